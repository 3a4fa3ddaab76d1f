/** Conditional-jump conditions as wasm: push an i32 that is non-zero when the jump is taken. */
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { plantedJitBugs } from './planted.js';
import { Op, type Code } from './wasm/index.js';

const CMP64: Record<number, number> = {
  [op.BPF_JEQ]: Op.i64_eq, [op.BPF_JNE]: Op.i64_ne,
  [op.BPF_JGT]: Op.i64_gt_u, [op.BPF_JGE]: Op.i64_ge_u, [op.BPF_JLT]: Op.i64_lt_u, [op.BPF_JLE]: Op.i64_le_u,
  [op.BPF_JSGT]: Op.i64_gt_s, [op.BPF_JSGE]: Op.i64_ge_s, [op.BPF_JSLT]: Op.i64_lt_s, [op.BPF_JSLE]: Op.i64_le_s,
};
const CMP32: Record<number, number> = {
  [op.BPF_JEQ]: Op.i32_eq, [op.BPF_JNE]: Op.i32_ne,
  [op.BPF_JGT]: Op.i32_gt_u, [op.BPF_JGE]: Op.i32_ge_u, [op.BPF_JLT]: Op.i32_lt_u, [op.BPF_JLE]: Op.i32_le_u,
  [op.BPF_JSGT]: Op.i32_gt_s, [op.BPF_JSGE]: Op.i32_ge_s, [op.BPF_JSLT]: Op.i32_lt_s, [op.BPF_JSLE]: Op.i32_le_s,
};

const UNSIGNED_OF: Record<number, number> = { [op.BPF_JSGT]: op.BPF_JGT, [op.BPF_JSGE]: op.BPF_JGE, [op.BPF_JSLT]: op.BPF_JLT, [op.BPF_JSLE]: op.BPF_JLE };

/** Pushes the condition of a JMP/JMP32 conditional jump; `reg` maps register numbers to locals. */
export function emitCondition(c: Code, ins: Insn, reg: readonly number[]): void {
  const is32 = op.cls(ins.code) === op.BPF_JMP32;
  const o = op.jmpOp(ins.code);
  const x = op.srcBit(ins.code) === op.BPF_X;
  const dst = reg[ins.dst]!;
  const src = reg[ins.src]!;
  if (is32) {
    c.get(dst).op(Op.i32_wrap_i64);
    if (x) c.get(src).op(Op.i32_wrap_i64); else c.i32(ins.imm);
    if (o === op.BPF_JSET) { c.op(Op.i32_and).i32(0).op(Op.i32_ne); return; }
    const w = CMP32[o];
    if (w === undefined) throw new Error(`jit: unhandled JMP32 op 0x${o.toString(16)}`);
    c.op(w);
    return;
  }
  c.get(dst);
  if (x) c.get(src); else c.i64s(ins.imm);
  if (o === op.BPF_JSET) { c.op(Op.i64_and).i64s(0).op(Op.i64_ne); return; }
  const w = CMP64[plantedJitBugs.signedJumpsAsUnsigned ? UNSIGNED_OF[o] ?? o : o];
  if (w === undefined) throw new Error(`jit: unhandled JMP op 0x${o.toString(16)}`);
  c.op(w);
}
