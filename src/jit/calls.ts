/**
 * The templates that leave straight-line code: helper and kfunc calls (with bpf_tail_call's
 * return_call_indirect), bpf-to-bpf calls, exit and may_goto. Each wasm function has the
 * signature (r0..r10: i64, depth: i32) -> (r0..r5: i64) (codegen.ts); helpers and kfuncs see the
 * registers through the shared register file REGS in linear memory, as the VM's helpers see its
 * register file. src/smt/jit-calls.ts proves these templates against the VM.
 */
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { BPF_MAX_TIMED_LOOPS } from '../runtime/may-goto.js';
import { MAX_FRAMES, STACK_SIZE } from '../runtime/memory.js';
import { HANDOFF, REGS, SCRATCH, STACKS, TRAP } from './layout.js';
import type { PromotedSlot } from './memory.js';
import { plantedJitBugs } from './planted.js';
import { Op, type Code } from './wasm/index.js';

/** bpf_tail_call: its target continues this frame, so promoted stack slots are written back first. */
export const TAIL_CALL_HELPER = 12;

/** What the call templates of one wasm function need. */
export interface CallEnv {
  c: Code;
  reg: readonly number[];
  /** i32 scratch local. */
  t32: number;
  /** The function's call-depth parameter. */
  depth: number;
  /** Linear address of this frame's stack bottom (i32 local). */
  sb: number;
  imp: { helper: number; kfunc: number; trap: number; mayGoto: number };
  /** The global holding the deepest frame reached. */
  depthMax: number;
  /** Type index of the subprogram functions (tail calls go through the table with it). */
  fnType: number;
  /** hi word of r10 at depth 0. */
  fpHi0: number;
  /** Index of the program in the batch (passed to the helper, kfunc and trap imports). */
  prog: number;
  /** r10 is never written in this function. */
  fpStatic: boolean;
  slots: ReadonlyMap<number, PromotedSlot>;
  funcIndexOfPc: (pc: number) => number;
}

/** may_goto's per-frame hidden slots, held in locals. */
export interface MayGotoLocals { count: number; stamp: number; taken: number }

const LOADS = { 1: Op.i64_load8_u, 2: Op.i64_load16_u, 4: Op.i64_load32_u, 8: Op.i64_load } as const;
const STORES = { 1: Op.i64_store8, 2: Op.i64_store16, 4: Op.i64_store32, 8: Op.i64_store } as const;

/** Calls the trap import (it throws the VM's error): kind, pc, an argument, the program. */
export function emitTrap(x: CallEnv, kind: number, pc: number, arg: number | (() => void)): void {
  x.c.i32(kind).i32(pc);
  if (typeof arg === 'number') x.c.i32(arg); else arg();
  x.c.i32(x.prog).call(x.imp.trap);
}

/**
 * A function's entry: its frame's stack bottom in linear memory, may_goto's count as the kernel's
 * prologue sets it (the timestamp local starts at 0 as every wasm local), the promoted slots. A
 * function that execution can run into from the previous subprogram (`fallTarget`) continues that
 * frame: when the previous one handed its may_goto state over (HANDOFF's flag), it takes it.
 */
export function emitPrologue(x: CallEnv, mayGoto: MayGotoLocals | null, fallTarget = false): void {
  const c = x.c;
  c.get(x.depth).i32(STACK_SIZE).op(Op.i32_mul).i32(STACKS).op(Op.i32_add).set(x.sb);
  if (mayGoto && fallTarget) {
    c.i32(0).mem(Op.i32_load, 2, HANDOFF).if_();
    c.i32(0).mem(Op.i32_load, 2, HANDOFF + 4).set(mayGoto.count);
    c.i32(0).mem(Op.i64_load, 3, HANDOFF + 8).set(mayGoto.stamp);
    c.else_();
    c.i32(BPF_MAX_TIMED_LOOPS).set(mayGoto.count);
    c.end();
  } else if (mayGoto) c.i32(BPF_MAX_TIMED_LOOPS).set(mayGoto.count);
  if (fallTarget) c.i32(0).i32(0).mem(Op.i32_store, 2, HANDOFF); // consumed (or not handed: a fresh frame's state)
  emitLoadSlots(x);
}

/**
 * Charges `n` instructions starting at pc to the step budget (checked mode); when fewer remain,
 * the trap import reports the VM's step_limit at the instruction the budget runs out on (it is
 * given the steps that were left).
 */
export function emitCharge(x: CallEnv, budget: number, pc: number, n: number): void {
  const c = x.c;
  c.gget(budget).i32(n).op(Op.i32_sub).tee(x.t32).gset(budget);
  c.get(x.t32).i32(0).op(plantedJitBugs.stepBudgetOffByOne ? Op.i32_le_s : Op.i32_lt_s).if_();
  emitTrap(x, TRAP.STEP_LIMIT, pc, () => { c.get(x.t32).i32(n).op(Op.i32_add); });
  c.end();
}

/**
 * Execution runs from this subprogram into the next one's code: same frame, same registers and
 * may_goto state (what the VM does). A function without may_goto locals hands nothing over: its
 * frame's state is still the fresh one the next function starts from.
 */
export function emitFallInto(x: CallEnv, pc: number, mayGoto: MayGotoLocals | null = null): void {
  emitCheckFp(x, pc);
  emitFlushSlots(x);
  if (mayGoto) {
    x.c.i32(0).i32(1).mem(Op.i32_store, 2, HANDOFF);
    x.c.i32(0).get(mayGoto.count).mem(Op.i32_store, 2, HANDOFF + 4);
    x.c.i32(0).get(mayGoto.stamp).mem(Op.i64_store, 3, HANDOFF + 8);
  }
  emitPushFrame(x);
  x.c.returnCall(x.funcIndexOfPc(pc));
}

/** Loads the promoted slots from the frame's bytes (function entry: a tail-call target continues its caller's frame). */
export function emitLoadSlots(x: CallEnv): void {
  for (const [slot, p] of x.slots) {
    const f = p.uniform ?? { shift: 0, size: 8 };
    x.c.get(x.sb).mem(LOADS[f.size as 1 | 2 | 4 | 8], 0, 8 * slot + f.shift / 8).set(p.local);
  }
}

/** Writes promoted slots back before code that may read this frame from memory (a tail-call target). */
export function emitFlushSlots(x: CallEnv): void {
  for (const [slot, p] of x.slots) {
    const f = p.uniform ?? { shift: 0, size: 8 };
    x.c.get(x.sb).get(p.local).mem(STORES[f.size as 1 | 2 | 4 | 8], 0, 8 * slot + f.shift / 8);
  }
}

/** r10 of the frame whose depth (i32) is on the stack: the top of that frame's stack region. */
function framePointer(x: CallEnv): void {
  x.c.op(Op.i64_extend_i32_u).i64s(40).op(Op.i64_shl);
  x.c.i64((BigInt(x.fpHi0 >>> 0) << 32n) | BigInt(STACK_SIZE)).op(Op.i64_add);
}

/** Before entering other code with this frame: it assumes r10 is the frame pointer (true unless this function moved it). */
export function emitCheckFp(x: CallEnv, pc: number): void {
  if (x.fpStatic) return;
  x.c.get(x.reg[10]!).get(x.depth);
  framePointer(x);
  x.c.op(Op.i64_ne).if_();
  emitTrap(x, TRAP.TAIL_R10, pc, 0);
  x.c.end();
}

/** r0..r10 and the depth: the arguments of a function continuing this frame. */
export function emitPushFrame(x: CallEnv): void {
  for (let r = 0; r <= 10; r++) x.c.get(x.reg[r]!);
  x.c.get(x.depth);
}

function storeRegs(x: CallEnv): void {
  for (let r = 0; r <= 10; r++) {
    if (r === 5 && plantedJitBugs.helperCallDropsR5) continue;
    x.c.i32(0).get(x.reg[r]!).mem(Op.i64_store, 3, REGS + 8 * r);
  }
}
function loadRegs0to5(x: CallEnv): void {
  for (let r = 0; r <= 5; r++) x.c.i32(0).mem(Op.i64_load, 3, REGS + 8 * r).set(x.reg[r]!);
}

/** A BPF_JMP | BPF_CALL: bpf-to-bpf call, kfunc call or helper call (bpf_tail_call included). */
export function emitCall(x: CallEnv, ins: Insn, pc: number): void {
  const c = x.c;
  if (ins.src === op.BPF_PSEUDO_CALL) {
    const target = pc + 1 + ins.imm;
    c.get(x.depth).i32(MAX_FRAMES - 1).op(Op.i32_ge_s).if_();
    emitTrap(x, TRAP.CALL_DEPTH, pc, 0);
    c.end();
    // deepest frame reached (reported like the VM's maxDepth)
    c.get(x.depth).i32(1).op(Op.i32_add).tee(x.t32).gget(x.depthMax).op(Op.i32_gt_s).if_();
    c.get(x.t32).gset(x.depthMax);
    c.end();
    for (let r = 0; r <= 9; r++) c.get(x.reg[r]!);
    // callee's r10: top of the next frame's stack
    c.get(x.depth).i32(plantedJitBugs.localCallKeepsCallerFp ? 0 : 1).op(Op.i32_add);
    framePointer(x);
    c.get(x.depth).i32(1).op(Op.i32_add);
    c.call(x.funcIndexOfPc(target));
    for (let r = 5; r >= 0; r--) c.set(x.reg[r]!);
    return;
  }
  if (ins.src === op.BPF_PSEUDO_KFUNC_CALL) {
    // like a helper call, without tail calls: registers out, dispatch by the linked kfunc, r0..r5 back
    storeRegs(x);
    c.i32(pc).get(x.depth).i32(x.prog).call(x.imp.kfunc);
    loadRegs0to5(x);
    return;
  }
  // helper call: registers to the shared register file, dispatch, results back; a non-negative
  // result is the table index of a tail call's target, which continues this frame
  if (ins.imm === TAIL_CALL_HELPER) emitFlushSlots(x);
  storeRegs(x);
  c.i32(ins.imm).i32(pc).get(x.depth).i32(x.prog).call(x.imp.helper).set(x.t32);
  loadRegs0to5(x);
  if (!plantedJitBugs.tailCallIgnoresDecline) c.get(x.t32).i32(0).op(Op.i32_ge_s).if_();
  else c.i32(ins.imm === TAIL_CALL_HELPER ? 1 : 0).if_();
  emitCheckFp(x, pc);
  emitPushFrame(x);
  c.get(x.t32).returnCallIndirect(x.fnType, 0);
  c.end();
}

/** exit: r0..r5 back to the caller (the VM's shared register file; r6..r10 stay in the caller's locals). */
export function emitExit(x: CallEnv): void {
  emitFlushSlots(x); // the frame's bytes stay as the VM leaves them (a later call at this depth, tests)
  for (let r = 0; r <= 5; r++) x.c.get(x.reg[r === 0 && plantedJitBugs.exitReturnsR1 ? 1 : r]!);
  x.c.op(Op.return_);
}

/**
 * may_goto (runtime/may-goto.ts): pushes an i32, non-zero when the jump is taken. Taken when the
 * frame's count is 0; else count -= 1, and when that reaches 0 the time check gives the new count.
 */
export function emitMayGoto(x: CallEnv, g: MayGotoLocals): void {
  const c = x.c;
  c.get(g.count).op(Op.i32_eqz).tee(g.taken).op(Op.i32_eqz).if_();
  if (plantedJitBugs.mayGotoNeverDecrements) c.get(g.count).op(Op.i32_eqz).if_();
  else c.get(g.count).i32(1).op(Op.i32_sub).tee(g.count).op(Op.i32_eqz).if_();
  c.get(g.stamp).call(x.imp.mayGoto).set(g.count);
  c.i32(0).mem(Op.i64_load, 3, SCRATCH).set(g.stamp);
  c.end();
  c.end();
  c.get(g.taken);
}
