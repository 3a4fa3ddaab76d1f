/**
 * Inserting instructions into a program: every jump, call and function-pointer offset is
 * relocated, line and function info move with their instructions. A jump to the insertion point
 * lands on the inserted code (it must run on every path that reaches the instruction it guards).
 */
import { copyInsn, insn, type Insn } from '../../isa/insn.js';
import * as op from '../../isa/opcodes.js';
import { makeMapSpec, makeProgram, type Program } from '../../isa/program.js';

export interface Patched {
  program: Program;
  /** New pc of an old instruction. */
  pcOf: (old: number) => number;
}

function isJump(ins: Insn): boolean {
  const c = op.cls(ins.code);
  if (c !== op.BPF_JMP && c !== op.BPF_JMP32) return false;
  const o = op.jmpOp(ins.code);
  return o !== op.BPF_EXIT && o !== op.BPF_CALL;
}

/** Inserts `code` before old pc `at`: every path that reaches `at` runs it. */
export function insertBefore(p: Program, at: number, code: readonly Insn[]): Patched {
  return insertAt(p, at, code, null);
}

/**
 * Inserts `code` on the edge from old pc `from` to old pc `at` only: other jumps to `at` land
 * after it, and when `from` is a jump, the fall-through into `at` skips it with a `goto`.
 */
export function insertOnEdge(p: Program, from: number, at: number, code: readonly Insn[]): Patched {
  return insertAt(p, at, code, from);
}

function insertAt(p: Program, at: number, body: readonly Insn[], edgeFrom: number | null): Patched {
  const fromJump = edgeFrom !== null && edgeFrom !== at - 1;
  const code = fromJump ? [insn(op.BPF_JMP | op.BPF_JA, 0, 0, body.length, 0), ...body] : [...body];
  const n = code.length;
  const bodyStart = at + (fromJump ? 1 : 0);
  const pcOf = (old: number): number => (old < at ? old : old + n);
  const targetOf = (jumpPc: number, old: number): number => {
    if (old < at) return old;
    if (old > at) return old + n;
    if (edgeFrom === null) return at;
    return jumpPc === edgeFrom ? bodyStart : at + n;
  };
  const out: Insn[] = [];
  for (let pc = 0; pc < p.insns.length; pc++) {
    if (pc === at) out.push(...code.map(copyInsn));
    const ins = copyInsn(p.insns[pc]!);
    const np = pcOf(pc);
    if (isJump(ins)) {
      const ja32 = op.cls(ins.code) === op.BPF_JMP32 && op.jmpOp(ins.code) === op.BPF_JA;
      const t = pc + 1 + (ja32 ? ins.imm : ins.off);
      const nt = targetOf(pc, t) - (np + 1);
      if (ja32) ins.imm = nt; else ins.off = nt;
    } else if (op.cls(ins.code) === op.BPF_JMP && op.jmpOp(ins.code) === op.BPF_CALL && ins.src === op.BPF_PSEUDO_CALL) {
      ins.imm = pcOf(pc + 1 + ins.imm) - (np + 1);
    } else if (ins.code === op.BPF_LD_IMM64 && ins.src === op.BPF_PSEUDO_FUNC) {
      ins.imm = pcOf(pc + 1 + ins.imm) - (np + 1);
    }
    out.push(ins);
  }
  if (at >= p.insns.length) out.push(...code.map(copyInsn));
  // the inserted code belongs to the line and function of the instruction it precedes
  const infoPc = (old: number): number => (old < at ? old : old === at && edgeFrom === null ? at : old + n);
  const program: Program = makeProgram({ ...p, insns: out });
  if (p.lineInfo) program.lineInfo = p.lineInfo.map((li) => ({ ...li, pc: infoPc(li.pc) }));
  if (p.funcInfo) program.funcInfo = p.funcInfo.map((fi) => ({ ...fi, pc: pcOf(fi.pc) }));
  if (p.btf) {
    program.btf = {
      ...p.btf,
      funcInfo: p.btf.funcInfo.map((f) => ({ ...f, pc: pcOf(f.pc) })),
      lineInfo: p.btf.lineInfo.map((l) => ({ ...l, pc: infoPc(l.pc) })),
      ...(p.btf.coreRelos && { coreRelos: p.btf.coreRelos.map((r) => ({ ...r, pc: pcOf(r.pc) })) }),
    };
  }
  return { program, pcOf };
}

/** Replaces the instruction at `pc` (not the first slot of an ld_imm64): nothing moves. */
export function replaceInsn(p: Program, pc: number, ins: Insn): Patched {
  const insns = p.insns.map((x, i) => (i === pc ? copyInsn(ins) : x));
  return { program: makeProgram({ ...p, insns }), pcOf: (old) => old };
}

/**
 * The program with map `index`'s value enlarged to `size` bytes: a global-data map's initial
 * contents padded with zeros; its BTF value type no longer describes it and is dropped.
 */
export function withValueSize(p: Program, index: number, size: number): Patched {
  const maps = p.maps.map((m, i) => {
    if (i !== index) return m;
    const grown = makeMapSpec({ ...m, valueSize: size, btfKeyTypeId: undefined, btfValueTypeId: undefined });
    if (m.initial) {
      const init = new Uint8Array(size);
      init.set(m.initial.subarray(0, Math.min(size, m.initial.length)));
      grown.initial = init;
    }
    return grown;
  });
  return { program: makeProgram({ ...p, maps }), pcOf: (old) => old };
}

// Small instruction builders for patches.
const J = (jop: number, k: boolean): number => op.BPF_JMP | jop | (k ? op.BPF_K : op.BPF_X);
export const asmPatch = {
  movImm: (dst: number, imm: number): Insn => insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_K, dst, 0, 0, imm),
  movReg: (dst: number, src: number): Insn => insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, dst, src),
  addImm: (dst: number, imm: number): Insn => insn(op.BPF_ALU64 | op.BPF_ADD | op.BPF_K, dst, 0, 0, imm),
  andImm: (dst: number, imm: number): Insn => insn(op.BPF_ALU64 | op.BPF_AND | op.BPF_K, dst, 0, 0, imm),
  /** if dst <op> imm goto +off */
  jImm: (jop: number, dst: number, imm: number, off: number): Insn => insn(J(jop, true), dst, 0, off, imm),
  /** if dst <op> src goto +off */
  jReg: (jop: number, dst: number, src: number, off: number): Insn => insn(J(jop, false), dst, src, off, 0),
  ldx: (size: number, dst: number, src: number, off: number): Insn => insn(op.BPF_LDX | op.BPF_MEM | size, dst, src, off),
  stx: (size: number, dst: number, src: number, off: number): Insn => insn(op.BPF_STX | op.BPF_MEM | size, dst, src, off),
  call: (helper: number): Insn => insn(op.BPF_JMP | op.BPF_CALL, 0, 0, 0, helper),
  exit: (): Insn => insn(op.BPF_JMP | op.BPF_EXIT),
};
