/**
 * Classic BPF (struct sock_filter): the text forms tcpdump prints (`-dd` C fragments, `-ddd`
 * decimal lines, also C arrays of `{ code, jt, jf, k }`) and raw 8-byte records; the kernel's
 * checks (bpf_check_classic and check_load_and_stores in net/core/filter.c, plus
 * seccomp_check_filter for seccomp filters); and the conversion to eBPF with
 * bpf_convert_filter's semantics: A → r0, X → r7, ctx in r6, scratch M[i] on the stack at
 * r10 - (4i + 4), RET → mov + exit, division by a zero X returns 0.
 *
 * Two deliberate differences keep the output a verifiable program: A and X are cleared with
 * moves (the kernel xors them, reading unset registers), and packet loads (LD ABS/IND, LDX MSH) become eBPF's LD_ABS/LD_IND
 * instructions, not the kernel's private fast path through struct sk_buff internals, so the
 * result is an ordinary socket_filter program that the verifier, the VM and BPF_PROG_LOAD
 * accept. Because LD_ABS clobbers r1-r5 like a call, the scratch register is r8 (as in the
 * kernels whose converter emitted LD_ABS, before 4.17).
 */
import { InputError } from '../isa/errors.js';
import { insn, type Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { makeProgram, type Program } from '../isa/program.js';

/** One classic instruction (struct sock_filter). */
export interface ClassicInsn {
  code: number;
  jt: number;
  jf: number;
  /** Unsigned 32-bit. */
  k: number;
}

/** What the filter runs on: a packet (socket filter) or struct seccomp_data. */
export type CbpfContext = 'socket' | 'seccomp';

// Classic opcode fields (linux/filter.h / bpf_common.h).
const C = {
  LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, RET: 0x06, MISC: 0x07,
  W: 0x00, H: 0x08, B: 0x10,
  IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, LEN: 0x80, MSH: 0xa0,
  K: 0x00, X: 0x08, A: 0x10,
  TAX: 0x00, TXA: 0x80,
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40,
} as const;
export const BPF_MAXINSNS = 4096;
const BPF_MEMWORDS = 16;
/** SKF_AD_OFF = -0x1000: ancillary loads live at negative offsets. */
const SKF_AD_OFF = 0xfffff000;
const SKF_LL_OFF = 0xffe00000;
/** sizeof(struct seccomp_data). */
export const SECCOMP_DATA_SIZE = 64;

/** SKF_AD_* ancillary data offsets (after SKF_AD_OFF). */
export const SKF_AD = {
  protocol: 0, pkttype: 4, ifindex: 8, nlattr: 12, nlattr_nest: 16, mark: 20, queue: 24, hatype: 28, rxhash: 32,
  cpu: 36, alu_xor_x: 40, vlan_tag: 44, vlan_tag_present: 48, pay_offset: 52, random: 56, vlan_tpid: 60,
} as const;

/** struct __sk_buff offsets used by the converted ancillary loads. */
const SKB = { len: 0, pkt_type: 4, mark: 8, queue_mapping: 12, protocol: 16, vlan_present: 20, vlan_tci: 24, vlan_proto: 28, ifindex: 40, hash: 68 } as const;
const HELPER_GET_PRANDOM_U32 = 7;
const HELPER_GET_SMP_PROCESSOR_ID = 8;

/** The codes bpf_check_classic allows (chk_code_allowed). */
const ALLOWED = new Set<number>([
  ...[0x00, 0x10, 0x20, 0x30, 0x90, 0x50, 0x40, 0xa0, 0x60, 0x70].flatMap((o) => [C.ALU | o | C.K, C.ALU | o | C.X]),
  C.ALU | 0x80, // NEG
  C.LD | C.W | C.ABS, C.LD | C.H | C.ABS, C.LD | C.B | C.ABS, C.LD | C.W | C.LEN,
  C.LD | C.W | C.IND, C.LD | C.H | C.IND, C.LD | C.B | C.IND, C.LD | C.IMM, C.LD | C.MEM,
  C.LDX | C.W | C.LEN, C.LDX | C.B | C.MSH, C.LDX | C.IMM, C.LDX | C.MEM,
  C.ST, C.STX, C.MISC | C.TAX, C.MISC | C.TXA, C.RET | C.K, C.RET | C.A,
  C.JMP | C.JA, ...[C.JEQ, C.JGE, C.JGT, C.JSET].flatMap((o) => [C.JMP | o | C.K, C.JMP | o | C.X]),
]);

const isCondJump = (code: number) => (code & 0x07) === C.JMP && (code & 0xf0) !== C.JA;

// ---------------------------------------------------------------- parsing

/**
 * Parses classic BPF text: `tcpdump -dd` (`{ 0x28, 0, 0, 0x0000000c },`), `tcpdump -ddd`
 * (a count line, then `code jt jf k` in decimal), or any C array of such braces. Comments
 * (`#`, `//`, `/* *\/`) are skipped; a comment `context: seccomp` selects the seccomp context.
 */
export function parseCbpf(text: string, path: string): { insns: ClassicInsn[]; context?: CbpfContext } {
  let context: CbpfContext | undefined;
  const m = /(?:#|\/\/|\/\*)\s*context:\s*(socket|seccomp)\b/.exec(text);
  if (m) context = m[1] as CbpfContext;
  const lines = text.split('\n');
  const stripped = lines.map((l) => l.replace(/\/\/.*$|#.*$/, '').replace(/\/\*.*?\*\//g, ''));
  const body = stripped.join('\n');
  const out: ClassicInsn[] = [];
  const fail = (line: number, col: number, msg: string) => new InputError('cbpf_syntax', `${path}:${line}:${col}: ${msg}`);
  const num = (s: string, line: number, col: number, max: number, what: string): number => {
    const t = s.trim();
    if (!/^(0x[0-9a-fA-F]+|\d+)[uUlL]*$/.test(t)) throw fail(line, col, `${what}: '${t}' is not a number`);
    const v = Number(t.replace(/[uUlL]+$/, ''));
    if (v > max) throw fail(line, col, `${what} ${t} does not fit (max ${max})`);
    return v;
  };
  if (body.includes('{')) {
    // C fragments: every `{ a, b, c, d }` group is one instruction.
    for (let li = 0; li < stripped.length; li++) {
      const l = stripped[li]!;
      const re = /\{([^{}]*)\}/g;
      let g: RegExpExecArray | null;
      while ((g = re.exec(l))) {
        const parts = g[1]!.split(',');
        if (parts.length !== 4) throw fail(li + 1, g.index + 1, `expected { code, jt, jf, k }, got {${g[1]}}`);
        const col = g.index + 2;
        out.push({
          code: num(parts[0]!, li + 1, col, 0xffff, 'code'),
          jt: num(parts[1]!, li + 1, col, 0xff, 'jt'),
          jf: num(parts[2]!, li + 1, col, 0xff, 'jf'),
          k: num(parts[3]!, li + 1, col, 0xffffffff, 'k'),
        });
      }
      const rest = l.replace(/\{[^{}]*\}/g, '').replace(/struct\s+sock_filter\s+\w+\s*\[\s*\d*\s*\]\s*=|[{},;\s]|static|const/g, '');
      if (rest !== '') throw fail(li + 1, 1, `unexpected text '${rest.slice(0, 20)}' (expected tcpdump -dd output)`);
    }
  } else {
    // tcpdump -ddd: optional count line, then four decimal numbers per line.
    let count: number | undefined;
    let countLine = 0;
    for (let li = 0; li < stripped.length; li++) {
      const t = stripped[li]!.trim();
      if (t === '') continue;
      const f = t.split(/[\s,]+/);
      if (f.length === 1 && count === undefined && out.length === 0) {
        count = num(f[0]!, li + 1, 1, BPF_MAXINSNS, 'instruction count');
        countLine = li + 1;
        continue;
      }
      if (f.length !== 4) throw fail(li + 1, 1, `expected 'code jt jf k', got '${t.slice(0, 40)}'`);
      out.push({ code: num(f[0]!, li + 1, 1, 0xffff, 'code'), jt: num(f[1]!, li + 1, 1, 0xff, 'jt'), jf: num(f[2]!, li + 1, 1, 0xff, 'jf'), k: num(f[3]!, li + 1, 1, 0xffffffff, 'k') });
    }
    if (count !== undefined && count !== out.length) throw fail(countLine, 1, `count line says ${count} instructions, found ${out.length}`);
  }
  if (out.length === 0) throw new InputError('cbpf_syntax', `${path}: no classic BPF instructions found`);
  return context ? { insns: out, context } : { insns: out };
}

/** Raw `struct sock_filter` records: u16 code, u8 jt, u8 jf, u32 k, little-endian. */
export function decodeCbpf(bytes: Uint8Array, path: string): ClassicInsn[] {
  if (bytes.length === 0 || bytes.length % 8 !== 0)
    throw new InputError('truncated', `${path}: ${bytes.length} bytes is not a whole number of 8-byte sock_filter records`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: ClassicInsn[] = [];
  for (let o = 0; o < bytes.length; o += 8) out.push({ code: dv.getUint16(o, true), jt: dv.getUint8(o + 2), jf: dv.getUint8(o + 3), k: dv.getUint32(o + 4, true) });
  return out;
}

export function encodeCbpf(insns: readonly ClassicInsn[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * 8);
  const dv = new DataView(bytes.buffer);
  insns.forEach((c, i) => { dv.setUint16(i * 8, c.code, true); dv.setUint8(i * 8 + 2, c.jt); dv.setUint8(i * 8 + 3, c.jf); dv.setUint32(i * 8 + 4, c.k >>> 0, true); });
  return bytes;
}

// ---------------------------------------------------------------- checking

/** A classic-rule violation: `pc` names the instruction (the kernel just says EINVAL). */
export class CbpfError extends InputError {
  constructor(readonly pc: number, reason: string, where: string) {
    super('cbpf_invalid', `${where}: classic insn ${pc}: ${reason}`);
    this.name = 'CbpfError';
  }
}

function ancillary(k: number): keyof typeof SKF_AD | undefined {
  if (k < SKF_AD_OFF) return undefined;
  const off = k - SKF_AD_OFF;
  for (const [name, v] of Object.entries(SKF_AD)) if (v === off) return name as keyof typeof SKF_AD;
  return undefined;
}

/** The kernel's bpf_check_classic (+ check_load_and_stores); throws CbpfError. */
export function checkClassic(insns: readonly ClassicInsn[], where = 'filter'): void {
  const flen = insns.length;
  if (flen === 0 || flen > BPF_MAXINSNS) throw new CbpfError(0, `program length ${flen} is not in 1..${BPF_MAXINSNS}`, where);
  for (let pc = 0; pc < flen; pc++) {
    const f = insns[pc]!;
    const bad = (r: string) => new CbpfError(pc, r, where);
    if (!ALLOWED.has(f.code)) throw bad(`opcode 0x${f.code.toString(16).padStart(2, '0')} is not allowed`);
    switch (f.code) {
      case C.ALU | 0x30 | C.K: case C.ALU | 0x90 | C.K:
        if (f.k === 0) throw bad('division by constant zero');
        break;
      case C.ALU | 0x60 | C.K: case C.ALU | 0x70 | C.K:
        if (f.k >= 32) throw bad(`shift by ${f.k} (must be < 32)`);
        break;
      case C.LD | C.MEM: case C.LDX | C.MEM: case C.ST: case C.STX:
        if (f.k >= BPF_MEMWORDS) throw bad(`scratch memory M[${f.k}] out of range (M[0..15])`);
        break;
      case C.JMP | C.JA:
        if (f.k >= flen - pc - 1) throw bad(`jump offset ${f.k} out of range`);
        break;
      case C.LD | C.W | C.ABS: case C.LD | C.H | C.ABS: case C.LD | C.B | C.ABS:
        if (f.k >= SKF_AD_OFF && ancillary(f.k) === undefined) throw bad(`unknown ancillary load at offset 0x${f.k.toString(16)}`);
        break;
      default:
        if (isCondJump(f.code) && (pc + f.jt + 1 >= flen || pc + f.jf + 1 >= flen)) throw bad(`conditional jump target out of range (jt ${f.jt}, jf ${f.jf})`);
    }
  }
  const last = insns[flen - 1]!.code;
  if (last !== (C.RET | C.K) && last !== (C.RET | C.A)) throw new CbpfError(flen - 1, 'last instruction is not a RET', where);
  // check_load_and_stores: M[k] must be written on every path before it is read.
  const masks = new Uint16Array(flen).fill(0xffff);
  let memvalid = 0;
  for (let pc = 0; pc < flen; pc++) {
    memvalid &= masks[pc]!;
    const f = insns[pc]!;
    switch (f.code) {
      case C.ST: case C.STX: memvalid |= 1 << f.k; break;
      case C.LD | C.MEM: case C.LDX | C.MEM:
        if (!(memvalid & (1 << f.k))) throw new CbpfError(pc, `scratch memory M[${f.k}] read before it is written`, where);
        break;
      case C.JMP | C.JA: masks[pc + 1 + f.k]! &= memvalid; memvalid = 0xffff; break;
      default:
        if (isCondJump(f.code)) {
          masks[pc + 1 + f.jt]! &= memvalid;
          masks[pc + 1 + f.jf]! &= memvalid;
          memvalid = 0xffff;
        }
    }
  }
}

/** seccomp_check_filter: only the allowed codes; loads rewritten to struct seccomp_data reads. */
export function seccompRewrite(insns: readonly ClassicInsn[], where = 'filter'): ClassicInsn[] {
  return insns.map((f, pc) => {
    const bad = (r: string) => new CbpfError(pc, r, where);
    switch (f.code) {
      case C.LD | C.W | C.ABS:
        if (f.k >= SECCOMP_DATA_SIZE || (f.k & 3) !== 0) throw bad(`seccomp load at offset ${f.k} is outside struct seccomp_data or not 4-byte aligned`);
        return { ...f, code: C.LDX | C.W | C.ABS };
      case C.LD | C.W | C.LEN: return { ...f, code: C.LD | C.IMM, k: SECCOMP_DATA_SIZE };
      case C.LDX | C.W | C.LEN: return { ...f, code: C.LDX | C.IMM, k: SECCOMP_DATA_SIZE };
      case C.LD | C.H | C.ABS: case C.LD | C.B | C.ABS: case C.LD | C.W | C.IND: case C.LD | C.H | C.IND: case C.LD | C.B | C.IND: case C.LDX | C.B | C.MSH:
        throw bad(`opcode 0x${f.code.toString(16).padStart(2, '0')} is not allowed in seccomp filters`);
      default:
        return f;
    }
  });
}

// ---------------------------------------------------------------- conversion

const A = 0; // BPF_REG_A
const X = 7; // BPF_REG_X
const TMP = 8; // scratch (callee-saved: survives LD_ABS)
const CTX = 6;
const FP = 10;

const alu32K = (o: number, dst: number, imm: number) => insn(op.BPF_ALU | o | op.BPF_K, dst, 0, 0, imm);
const alu32X = (o: number, dst: number, src: number) => insn(op.BPF_ALU | o | op.BPF_X, dst, src, 0, 0);
const mov64X = (dst: number, src: number) => insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, dst, src);
const ldxW = (dst: number, src: number, off: number) => insn(op.BPF_LDX | op.BPF_MEM | op.BPF_W, dst, src, off);
const exit = () => insn(op.BPF_JMP | op.BPF_EXIT);

/** A jump to classic pc `target`, emitted `slot` instructions into a group; patched later. */
interface PendingJump { at: number; target: number }

/**
 * bpf_convert_filter: classic → eBPF. Jumps are mapped through the start of each classic
 * instruction's group; conditional jumps use the kernel's shapes (fall-through on jf == 0,
 * inverted JEQ/JGT/JGE on jt == 0, otherwise Jxx + JA; negative immediates via a register).
 */
export function convertClassic(prog: readonly ClassicInsn[], context: CbpfContext = 'socket', where = 'filter'): Insn[] {
  // The kernel clears A and X with `w0 ^= w0; w7 ^= w7`; its output is never verified. Ours
  // is, and reading an unset register is an error there, so the same effect comes from moves.
  const out: Insn[] = [insn(op.BPF_ALU | op.BPF_MOV | op.BPF_K, A), insn(op.BPF_ALU | op.BPF_MOV | op.BPF_K, X), mov64X(CTX, 1)];
  const addrs = new Int32Array(prog.length + 1);
  const jumps: PendingJump[] = [];
  const jump = (code: number, dst: number, src: number, imm: number, target: number) => {
    jumps.push({ at: out.length, target });
    out.push(insn(code, dst, src, 0, imm));
  };
  prog.forEach((f, i) => {
    addrs[i] = out.length;
    const cls = f.code & 0x07;
    const bad = (r: string) => new CbpfError(i, r, where);
    switch (f.code) {
      case C.ALU | 0x00 | C.K: case C.ALU | 0x10 | C.K: case C.ALU | 0x20 | C.K: case C.ALU | 0x30 | C.K: case C.ALU | 0x40 | C.K:
      case C.ALU | 0x50 | C.K: case C.ALU | 0x60 | C.K: case C.ALU | 0x70 | C.K: case C.ALU | 0x90 | C.K: case C.ALU | 0xa0 | C.K:
        out.push(alu32K(f.code & 0xf0, A, f.k | 0));
        return;
      case C.ALU | 0x30 | C.X: case C.ALU | 0x90 | C.X:
        // Division by a zero X ends the filter with 0, as classic BPF always did.
        out.push(insn(op.BPF_ALU | op.BPF_MOV | op.BPF_X, X, X), insn(op.BPF_JMP | op.BPF_JNE | op.BPF_K, X, 0, 2, 0), alu32X(op.BPF_XOR, A, A), exit());
        out.push(alu32X(f.code & 0xf0, A, X));
        return;
      case C.ALU | 0x00 | C.X: case C.ALU | 0x10 | C.X: case C.ALU | 0x20 | C.X: case C.ALU | 0x40 | C.X:
      case C.ALU | 0x50 | C.X: case C.ALU | 0x60 | C.X: case C.ALU | 0x70 | C.X: case C.ALU | 0xa0 | C.X:
        out.push(alu32X(f.code & 0xf0, A, X));
        return;
      case C.ALU | 0x80:
        out.push(insn(op.BPF_ALU | op.BPF_NEG, A));
        return;
      case C.LD | C.W | C.ABS: case C.LD | C.H | C.ABS: case C.LD | C.B | C.ABS: {
        if (context === 'socket' && f.k >= SKF_AD_OFF) { convertAncillary(f, out, bad); return; }
        if (f.k >= SKF_LL_OFF && f.k < SKF_AD_OFF) throw bad(`link-layer/net offset loads (SKF_LL_OFF/SKF_NET_OFF, k=0x${f.k.toString(16)}) are not supported`);
        if (f.k > 0x7fffffff) throw bad(`load offset 0x${f.k.toString(16)} is negative`);
        out.push(insn(op.BPF_LD | op.BPF_ABS | (f.code & 0x18), 0, 0, 0, f.k | 0));
        return;
      }
      case C.LD | C.W | C.IND: case C.LD | C.H | C.IND: case C.LD | C.B | C.IND:
        out.push(insn(op.BPF_LD | op.BPF_IND | (f.code & 0x18), 0, X, 0, f.k | 0));
        return;
      case C.LDX | C.B | C.MSH:
        // X = 4 * (P[k] & 0xf), keeping A in a register LD_ABS does not clobber.
        out.push(mov64X(TMP, A), insn(op.BPF_LD | op.BPF_ABS | op.BPF_B, 0, 0, 0, f.k | 0), alu32K(op.BPF_AND, A, 0xf), alu32K(op.BPF_LSH, A, 2), mov64X(X, A), mov64X(A, TMP));
        return;
      case C.LDX | C.W | C.ABS: // seccomp: A = *(u32 *)(ctx + k)
        out.push(ldxW(A, CTX, f.k));
        return;
      case C.RET | C.A:
        out.push(exit());
        return;
      case C.RET | C.K:
        out.push(insn(op.BPF_ALU | op.BPF_MOV | op.BPF_K, A, 0, 0, f.k | 0), exit());
        return;
      case C.ST: case C.STX:
        out.push(insn(op.BPF_STX | op.BPF_MEM | op.BPF_W, FP, cls === C.ST ? A : X, -(f.k * 4 + 4)));
        return;
      case C.LD | C.MEM: case C.LDX | C.MEM:
        out.push(ldxW(cls === C.LD ? A : X, FP, -(f.k * 4 + 4)));
        return;
      case C.LD | C.IMM: case C.LDX | C.IMM:
        out.push(insn(op.BPF_ALU | op.BPF_MOV | op.BPF_K, cls === C.LD ? A : X, 0, 0, f.k | 0));
        return;
      case C.MISC | C.TAX: out.push(mov64X(X, A)); return;
      case C.MISC | C.TXA: out.push(mov64X(A, X)); return;
      case C.LD | C.W | C.LEN: case C.LDX | C.W | C.LEN:
        out.push(ldxW(cls === C.LD ? A : X, CTX, SKB.len));
        return;
      case C.JMP | C.JA:
        jump(op.BPF_JMP | op.BPF_JA, 0, 0, 0, i + 1 + f.k);
        return;
      default:
        break;
    }
    if (!isCondJump(f.code) || !ALLOWED.has(f.code)) throw bad(`opcode 0x${f.code.toString(16).padStart(2, '0')} cannot be converted`);
    const o = f.code & 0xf0;
    let src = 0;
    let imm = 0;
    let bsrc: number = f.code & 0x08;
    if (bsrc === C.K && (f.k | 0) < 0) {
      // eBPF immediates are sign-extended: compare against the zero-extended value in a register.
      out.push(insn(op.BPF_ALU | op.BPF_MOV | op.BPF_K, TMP, 0, 0, f.k | 0));
      src = TMP;
      bsrc = op.BPF_X;
    } else if (bsrc === C.X) src = X;
    else imm = f.k | 0;
    if (f.jf === 0) { jump(op.BPF_JMP | o | bsrc, A, src, imm, i + 1 + f.jt); return; }
    if (f.jt === 0) {
      const inv = o === op.BPF_JEQ ? op.BPF_JNE : o === op.BPF_JGT ? op.BPF_JLE : o === op.BPF_JGE ? op.BPF_JLT : -1;
      if (inv >= 0) { jump(op.BPF_JMP | inv | bsrc, A, src, imm, i + 1 + f.jf); return; }
    }
    jump(op.BPF_JMP | o | bsrc, A, src, imm, i + 1 + f.jt);
    jump(op.BPF_JMP | op.BPF_JA, 0, 0, 0, i + 1 + f.jf);
  });
  addrs[prog.length] = out.length;
  for (const j of jumps) {
    if (j.target < 0 || j.target >= prog.length) throw new CbpfError(j.target, 'jump target out of range', where);
    const off = addrs[j.target]! - j.at - 1;
    if (off < -32768 || off > 32767) throw new CbpfError(j.target, 'converted jump does not fit in 16 bits', where);
    out[j.at] = { ...out[j.at]!, off };
  }
  return out;
}

/** SKF_AD_* loads as __sk_buff field reads or helper calls (the fields a socket filter can read). */
function convertAncillary(f: ClassicInsn, out: Insn[], bad: (r: string) => InputError): void {
  const name = ancillary(f.k);
  const field = (off: number) => out.push(ldxW(A, CTX, off));
  switch (name) {
    case 'protocol': field(SKB.protocol); out.push(insn(op.BPF_ALU | op.BPF_END | op.BPF_TO_BE, A, 0, 0, 16)); return; // ntohs
    case 'pkttype': field(SKB.pkt_type); return;
    case 'ifindex': field(SKB.ifindex); return;
    case 'mark': field(SKB.mark); return;
    case 'queue': field(SKB.queue_mapping); return;
    case 'rxhash': field(SKB.hash); return;
    case 'vlan_tag': field(SKB.vlan_tci); return;
    case 'vlan_tag_present': field(SKB.vlan_present); return;
    case 'vlan_tpid': field(SKB.vlan_proto); out.push(insn(op.BPF_ALU | op.BPF_END | op.BPF_TO_BE, A, 0, 0, 16)); return;
    case 'alu_xor_x': out.push(alu32X(op.BPF_XOR, A, X)); return;
    case 'cpu': out.push(insn(op.BPF_JMP | op.BPF_CALL, 0, 0, 0, HELPER_GET_SMP_PROCESSOR_ID)); return;
    case 'random': out.push(insn(op.BPF_JMP | op.BPF_CALL, 0, 0, 0, HELPER_GET_PRANDOM_U32)); return;
    default: throw bad(`ancillary load ${name ? `SKF_AD_${name.toUpperCase()}` : `0x${f.k.toString(16)}`} needs kernel-internal data and is not supported`);
  }
}

/**
 * Loads classic BPF text as an eBPF program: checks it as the kernel does and converts it.
 * `context` (or a `# context: seccomp` comment) picks seccomp; the default is a socket filter.
 */
export function loadCbpf(text: string, path: string, opts: { context?: CbpfContext } = {}): Program {
  const parsed = parseCbpf(text, path);
  return classicProgram(parsed.insns, path, opts.context ?? parsed.context ?? 'socket');
}

/** Checks and converts already-decoded classic instructions. */
export function classicProgram(classic: readonly ClassicInsn[], path: string, context: CbpfContext = 'socket'): Program {
  checkClassic(classic, path);
  const insns = convertClassic(context === 'seccomp' ? seccompRewrite(classic, path) : classic, context, path);
  return makeProgram({
    name: context === 'seccomp' ? 'seccomp_filter' : 'classic_filter',
    section: '',
    type: context === 'seccomp' ? 'unspec' : 'socket_filter',
    attachTo: context === 'seccomp' ? 'seccomp' : undefined,
    insns,
    maps: [],
    license: 'GPL',
    file: path,
  });
}
