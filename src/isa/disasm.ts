/**
 * Disassembler: prints instructions in the Linux verifier log's syntax, character for character
 * what the kernel's kernel/bpf/disasm.c (print_bpf_insn) prints, so that bpflab's text can be
 * compared with a kernel log line by line.
 *
 * Two styles differ only in 64-bit immediate loads (ld_imm64):
 * - 'kernel': the kernel's text (`r1 = 0x1234`); map references in bpftool's xlated form
 *   (`r1 = map[id:3]`, `r1 = map[id:3][0]+8`), since the kernel itself prints a raw address there.
 * - 'bpflab' (default): the canonical assembly of SPEC section 3, which the assembler reads back:
 *   `r1 = 0x1234 ll`, `r1 = map[counters]`, `r1 = map_value[counters] + 8`.
 */
import * as op from './opcodes.js';
import type { Insn } from './insn.js';
import type { MapSpec, Program } from './program.js';
import { HELPER_NAMES } from './helper-ids.js';
import { BPF_ADDR_SPACE_CAST, BPF_JCOND, BPF_LOAD_ACQ, BPF_MAY_GOTO, BPF_STORE_REL } from './opcodes.js';

export type DisasmStyle = 'kernel' | 'bpflab';

export interface DisasmOptions {
  /** Default 'bpflab'. */
  style?: DisasmStyle;
  /** Map declarations that ld_imm64 map references index (bpflab style prints their names). */
  maps?: readonly MapSpec[];
  /** A kfunc call's name from its BTF id and module (the verifier log's disasm_kfunc_name); "kernel-function" when undefined. */
  kfuncName?: (btfId: number, module: number) => string | undefined;
  /**
   * ld_imm64 operands as the verifier log prints them (bpflab style otherwise): the kernel's
   * __func_imm_name gives "0x%llx" of the 64-bit immediate, no " ll" (a constant, a subprogram's
   * offset, a BTF id). Map references keep bpflab's names: the kernel prints the map's address
   * there, which has no counterpart outside the kernel.
   */
  verifierLog?: boolean;
}

// The kernel's operator tables (disasm.c); a missing entry prints as C's "(null)".
const ALU_OPS = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];
const ALU_SIGNED_OPS: Record<number, string> = { 3: 's/=', 9: 's%=' };
const MOVSX_CASTS: Record<number, string> = { 8: '(s8)', 16: '(s16)', 32: '(s32)' };
const ATOMIC_ALU: Record<number, string> = { 0x00: 'add', 0x50: 'and', 0x40: 'or', 0xa0: 'xor' };
const LDST = ['u32', 'u16', 'u8', 'u64'];
const LDSX = ['s32', 's16', 's8'];
const JMP_OPS = ['jmp', '==', '>', '>=', '&', '!=', 's>', 's>=', 'call', 'exit', '<', '<=', 's<', 's<='];

const nul = (s: string | undefined): string => s ?? '(null)';
const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
/** C's "%+d". */
const signed = (n: number): string => (n < 0 ? `${n}` : `+${n}`);
const u32 = (n: number): number => n >>> 0;

/**
 * The text of the instruction at `pc` without the "(code) " prefix, e.g. `r0 = *(u32 *)(r1 +0)`.
 * Instructions the kernel cannot print give its "BUG_..." text.
 */
export function disasmInsn(insns: readonly Insn[], pc: number, opts: DisasmOptions = {}): string {
  const ins = insns[pc];
  if (!ins) throw new RangeError(`no instruction at pc ${pc}`);
  const { code, dst, src, off, imm } = ins;
  const c = op.cls(code);
  if (c === op.BPF_ALU || c === op.BPF_ALU64) {
    const r = c === op.BPF_ALU ? 'w' : 'r';
    const o = op.aluOp(code);
    if (o === op.BPF_END) {
      if (c === op.BPF_ALU64) return `r${dst} = bswap${imm} r${dst}`;
      return `r${dst} = ${op.srcBit(code) === op.BPF_TO_BE ? 'be' : 'le'}${imm} r${dst}`;
    }
    if (o === op.BPF_NEG) return `${r}${dst} = -${r}${dst}`;
    if (code === (op.BPF_ALU64 | op.BPF_MOV | op.BPF_X) && off === BPF_ADDR_SPACE_CAST)
      return `r${dst} = addr_space_cast(r${src}, ${u32(imm) >>> 16}, ${imm & 0xffff})`;
    if (code === (op.BPF_ALU64 | op.BPF_MOV | op.BPF_X) && off === -1) return `r${dst} = &(void __percpu *)(r${src})`;
    const sdiv = (o === op.BPF_DIV || o === op.BPF_MOD) && off === 1;
    const name = nul(sdiv ? ALU_SIGNED_OPS[o >> 4] : ALU_OPS[o >> 4]);
    if (op.srcBit(code) === op.BPF_X) {
      const cast = o === op.BPF_MOV ? (MOVSX_CASTS[off] ?? '') : '';
      return `${r}${dst} ${name} ${cast}${r}${src}`;
    }
    return `${r}${dst} ${name} ${imm}`;
  }
  if (c === op.BPF_STX) {
    const sz = LDST[op.size(code) >> 3]!;
    const m = op.mode(code);
    if (m === op.BPF_MEM) return `*(${sz} *)(r${dst} ${signed(off)}) = r${src}`;
    if (m === op.BPF_ATOMIC) {
      const w = op.size(code) === op.BPF_DW ? '64' : '';
      if (imm === op.BPF_ADD || imm === op.BPF_AND || imm === op.BPF_OR || imm === op.BPF_XOR)
        return `lock *(${sz} *)(r${dst} ${signed(off)}) ${ALU_OPS[imm >> 4]} r${src}`;
      if (imm === (op.BPF_ADD | op.BPF_FETCH) || imm === (op.BPF_AND | op.BPF_FETCH) ||
          imm === (op.BPF_OR | op.BPF_FETCH) || imm === (op.BPF_XOR | op.BPF_FETCH))
        return `r${src} = atomic${w}_fetch_${ATOMIC_ALU[imm & ~op.BPF_FETCH]}((${sz} *)(r${dst} ${signed(off)}), r${src})`;
      if (imm === op.BPF_CMPXCHG) return `r0 = atomic${w}_cmpxchg((${sz} *)(r${dst} ${signed(off)}), r0, r${src})`;
      if (imm === op.BPF_XCHG) return `r${src} = atomic${w}_xchg((${sz} *)(r${dst} ${signed(off)}), r${src})`;
      if (imm === BPF_LOAD_ACQ) return `r${dst} = load_acquire((${sz} *)(r${src} ${signed(off)}))`;
      if (imm === BPF_STORE_REL) return `store_release((${sz} *)(r${dst} ${signed(off)}), r${src})`;
    }
    return `BUG_${hex2(code)}`;
  }
  if (c === op.BPF_ST) {
    if (op.mode(code) === op.BPF_MEM) return `*(${LDST[op.size(code) >> 3]} *)(r${dst} ${signed(off)}) = ${imm}`;
    if (op.mode(code) === 0xc0) return 'nospec';
    return `BUG_st_${hex2(code)}`;
  }
  if (c === op.BPF_LDX) {
    const m = op.mode(code);
    if (m !== op.BPF_MEM && m !== op.BPF_MEMSX) return `BUG_ldx_${hex2(code)}`;
    const sz = m === op.BPF_MEM ? LDST[op.size(code) >> 3] : LDSX[op.size(code) >> 3];
    return `r${dst} = *(${nul(sz)} *)(r${src} ${signed(off)})`;
  }
  if (c === op.BPF_LD) {
    const m = op.mode(code);
    const sz = LDST[op.size(code) >> 3]!;
    if (m === op.BPF_ABS) return `r0 = *(${sz} *)skb[${imm}]`;
    if (m === op.BPF_IND) return `r0 = *(${sz} *)skb[r${src} + ${imm}]`;
    if (m === op.BPF_IMM && op.size(code) === op.BPF_DW) return `r${dst} = ${ldImm64Operand(insns, pc, opts)}`;
    return `BUG_ld_${hex2(code)}`;
  }
  // BPF_JMP, BPF_JMP32
  const o = op.jmpOp(code);
  if (o === op.BPF_CALL) {
    if (src === op.BPF_PSEUDO_CALL) return `call pc${signed(imm)}`;
    const kfunc = src === op.BPF_PSEUDO_KFUNC_CALL ? opts.kfuncName?.(imm, off) : undefined;
    return `call ${kfunc ?? callName(ins)}#${imm}`;
  }
  if (code === (op.BPF_JMP | op.BPF_JA)) return `goto pc${signed(off)}`;
  if (code === (op.BPF_JMP | op.BPF_JA | op.BPF_X)) return `gotox r${dst}`;
  if (code === (op.BPF_JMP | BPF_JCOND) && src === BPF_MAY_GOTO) return `may_goto pc${signed(off)}`;
  if (code === (op.BPF_JMP32 | op.BPF_JA)) return `gotol pc${signed(imm)}`;
  if (code === (op.BPF_JMP | op.BPF_EXIT)) return 'exit';
  const r = c === op.BPF_JMP32 ? 'w' : 'r';
  if (op.srcBit(code) === op.BPF_X) return `if ${r}${dst} ${nul(JMP_OPS[o >> 4])} ${r}${src} goto pc${signed(off)}`;
  return `if ${r}${dst} ${nul(JMP_OPS[o >> 4])} 0x${u32(imm).toString(16)} goto pc${signed(off)}`;
}

/** What the kernel prints after "call " for a helper or kfunc call (before "#imm"). */
function callName(ins: Insn): string {
  if (ins.src === 0 && ins.imm >= 0 && ins.imm < HELPER_NAMES.length) return HELPER_NAMES[ins.imm]!;
  if (ins.src === op.BPF_PSEUDO_KFUNC_CALL) return 'kernel-function';
  return 'unknown';
}

/** A map name the assembler reads back as `map[name]` and that names exactly one map. */
function mapName(maps: readonly MapSpec[] | undefined, idx: number): string | undefined {
  const m = maps?.[idx];
  if (!m || !/^[A-Za-z_.$][\w.$]*$/.test(m.name)) return undefined;
  return maps!.findIndex((x) => x.name === m.name) === idx ? m.name : undefined;
}

function ldImm64Operand(insns: readonly Insn[], pc: number, opts: DisasmOptions): string {
  const ins = insns[pc]!;
  const lo = u32(ins.imm);
  const hi = u32(insns[pc + 1]?.imm ?? 0);
  const full = (BigInt(hi) << 32n) | BigInt(lo);
  const kernel = opts.style === 'kernel';
  if (opts.verifierLog && !kernel && ins.src !== op.BPF_PSEUDO_MAP_FD && ins.src !== op.BPF_PSEUDO_MAP_VALUE
    && ins.src !== op.BPF_PSEUDO_MAP_IDX && ins.src !== op.BPF_PSEUDO_MAP_IDX_VALUE) return `0x${full.toString(16)}`;
  switch (ins.src) {
    case 0:
      return kernel ? `0x${full.toString(16)}` : `0x${full.toString(16)} ll`;
    case op.BPF_PSEUDO_MAP_FD: {
      const name = kernel ? undefined : mapName(opts.maps, lo);
      return name !== undefined ? `map[${name}]` : `map[id:${lo}]`;
    }
    case op.BPF_PSEUDO_MAP_VALUE: {
      const name = kernel ? undefined : mapName(opts.maps, lo);
      return name !== undefined ? `map_value[${name}] + ${hi}` : `map[id:${lo}][0]+${hi}`;
    }
    default:
      if (kernel) return `0x${full.toString(16)}`;
      if (ins.src === op.BPF_PSEUDO_BTF_ID) return hi ? `btf_id[${lo}][${hi}]` : `btf_id[${lo}]`;
      if (ins.src === op.BPF_PSEUDO_FUNC) return hi ? `subprog[${signed(ins.imm)}][${hi}]` : `subprog[${signed(ins.imm)}]`;
      if (ins.src === op.BPF_PSEUDO_MAP_IDX) return `map[idx:${lo}]`;
      if (ins.src === op.BPF_PSEUDO_MAP_IDX_VALUE) return `map[idx:${lo}]+${hi}`;
      return `0x${full.toString(16)} ll`;
  }
}

/** True when the text has the kernel's "(code) " prefix (everything but the BUG_ lines). */
function hasCodePrefix(text: string): boolean {
  return !text.startsWith('BUG_');
}

/** One verifier-log line: `12: (bf) r1 = r6` (or `12: BUG_ld_00`). */
export function disasmLine(insns: readonly Insn[], pc: number, opts: DisasmOptions = {}): string {
  const text = disasmInsn(insns, pc, opts);
  return hasCodePrefix(text) ? `${pc}: (${hex2(insns[pc]!.code)}) ${text}` : `${pc}: ${text}`;
}

export interface DisasmProgramOptions extends DisasmOptions {
  /** Print `.type` and `.map` directives first (default true in bpflab style). */
  directives?: boolean;
  /** Prefix each line with `pc: (code) ` as the verifier log does (default true). */
  prefixes?: boolean;
}

/** The `.map` directive that declares `m` (SPEC section 3). */
export function mapDirective(m: MapSpec): string {
  let s = `.map ${m.name} ${m.type} key=${m.keySize} value=${m.valueSize} entries=${m.maxEntries}`;
  if (m.flags) s += ` flags=0x${u32(m.flags).toString(16)}`;
  return s;
}

/**
 * The whole program, one instruction per line (the second slot of an ld_imm64 prints nothing,
 * as in the kernel log), preceded in bpflab style by its `.type` and `.map` directives so that
 * `assemble` rebuilds the same program.
 */
export function disasmProgram(program: Program, opts: DisasmProgramOptions = {}): string {
  const o: DisasmOptions = { style: opts.style ?? 'bpflab', maps: opts.maps ?? program.maps };
  const lines: string[] = [];
  if (opts.directives ?? o.style === 'bpflab') {
    lines.push(`.type ${program.type}`);
    for (const m of program.maps) lines.push(mapDirective(m));
  }
  const { insns } = program;
  for (let pc = 0; pc < insns.length; pc++) {
    lines.push(opts.prefixes === false ? disasmInsn(insns, pc, o) : disasmLine(insns, pc, o));
    if (insns[pc]!.code === op.BPF_LD_IMM64) pc++;
  }
  return lines.join('\n') + '\n';
}
