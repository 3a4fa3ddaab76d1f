/**
 * eBPF program -> WebAssembly module. One wasm function per bpf-to-bpf subprogram, with the
 * signature (r0..r10: i64, depth: i32) -> (r0..r5: i64): a callee starts from the caller's
 * registers (as the VM's shared register file does), gets its own frame pointer, and hands
 * back r0..r5; r6..r10 stay in the caller's locals, so they are restored by construction.
 *
 * Imports (module "env"): the helper dispatcher, the memory slow paths, traps, LD_ABS, the
 * shared memory, function table and step budget. Exports: every subprogram function
 * ("f0" = entry), and one i64 global per run-dependent ld_imm64 ("p<pc>": map pointers,
 * map values, function pointers), which the runtime sets before each run.
 */
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { invalidRegister } from '../isa/validate.js';
import { plainAccesses } from '../isa/ordered-access.js';
import type { Program } from '../isa/program.js';
import { emitAlu } from './alu.js';
import { buildCfg, type BasicBlock, type Subprog } from './cfg.js';
import { emitCondition } from './jumps.js';
import { TRAP } from './layout.js';
import { defineHostStubs } from './host-calls.js';
import { ATOMIC_KINDS } from '../runtime/access.js';
import { emitAtomic, emitLdAbs, emitLoad, emitStore, promotableSlots, type JitMode, type MemCtx, type PromotedSlot } from './memory.js';
import { emitCall, emitCharge, emitExit, emitFallInto, emitMayGoto, emitPrologue, emitTrap, type CallEnv, type MayGotoLocals } from './calls.js';
import { emitStructured } from './structure.js';
import { Code, I32, I64, ModuleBuilder, Op, type ValType } from './wasm/index.js';

export const FN_PARAMS: readonly ValType[] = [I64, I64, I64, I64, I64, I64, I64, I64, I64, I64, I64, I32];
export const FN_RESULTS: readonly ValType[] = [I64, I64, I64, I64, I64, I64];
const DEPTH = 11;

/** An ld_imm64 whose value the runtime supplies per run. */
export interface PseudoConst {
  pc: number;
  src: number;
  imm: number;
  next: number;
  global: string;
}

/** One program's part of a generated module. */
export interface GeneratedProgram {
  /** Entry pc of each subprogram; function i is exported as "f<prog>_<i>". */
  entries: number[];
  pseudo: PseudoConst[];
  /** Per subprogram: "structured" or "dispatch" (irreducible control flow). */
  layouts: Array<'structured' | 'dispatch'>;
  /** Number of eBPF instruction slots compiled. */
  insns: number;
}

export interface GeneratedModule {
  bytes: Uint8Array;
  programs: GeneratedProgram[];
}

export interface CodegenOptions {
  mode: JitMode;
  /** Count executed instructions against the shared budget (the VM's step limit). */
  countSteps: boolean;
  /** hi word of r10 at depth 0; deeper frames' stacks are the next regions (hi + depth << 8). */
  fpHi0: number;
}

/** Whether an instruction writes register r (for the static frame-pointer analysis). */
function writesReg(ins: Insn, r: number): boolean {
  const c = op.cls(ins.code);
  if (c === op.BPF_ALU || c === op.BPF_ALU64 || c === op.BPF_LDX) return ins.dst === r;
  if (c === op.BPF_LD) return ins.code === op.BPF_LD_IMM64 ? ins.dst === r : r === 0;
  if (c === op.BPF_STX && op.mode(ins.code) === op.BPF_ATOMIC) {
    if (ins.imm === op.BPF_CMPXCHG) return r === 0;
    return (ins.imm & op.BPF_FETCH) !== 0 && ins.src === r;
  }
  if ((c === op.BPF_JMP) && op.jmpOp(ins.code) === op.BPF_CALL) return r <= 5;
  return false;
}

/**
 * Generates one module holding `programs` (usually one; a batch amortises the host's fixed
 * cost per module when many small programs are compiled, as in differential testing).
 * The host calls `helper`, `trap` and `kfunc` take the program's id as last argument: its
 * index in the batch plus the imported global `progBase` (the runtime's id of the batch's
 * first program), added by the host-call stubs.
 */
export function generateModule(programs: readonly Program[], o: CodegenOptions): GeneratedModule {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 1);
  m.importTable('env', 'table', 0);
  const budget = m.importGlobal('env', 'budget', I32, true);
  const depthMax = m.importGlobal('env', 'depthMax', I32, true);
  // host calls: local stubs calling the runtime's table (host-calls.ts), not function imports
  const imp = defineHostStubs(m, m.importGlobal('env', 'progBase', I32, false));
  const fnType = m.type(FN_PARAMS, FN_RESULTS);

  const out: GeneratedProgram[] = [];
  programs.forEach((program, pi) => {
    // load-acquire and store-release compile to the plain load and store (one CPU)
    const insns = plainAccesses(program.insns);
    const cfg = buildCfg(insns);
    // Run-dependent constants: one mutable global each.
    const pseudo: PseudoConst[] = [];
    const pseudoGlobal = new Map<number, number>();
    for (let pc = 0; pc < insns.length; pc++) {
      const ins = insns[pc]!;
      if (ins.code !== op.BPF_LD_IMM64) continue;
      if (ins.src !== 0 && !invalidRegister(ins)) { // a pair naming r11..r15 traps: no value to prepare
        const g = m.global(I64, true, 0n);
        const name = `p${pi}_${pc}`;
        m.exportGlobal(name, g);
        pseudoGlobal.set(pc, g);
        pseudo.push({ pc, src: ins.src, imm: ins.imm, next: insns[pc + 1]?.imm ?? 0, global: name });
      }
      pc++;
    }
    const funcs = cfg.subprogs.map(() => m.func(FN_PARAMS, FN_RESULTS));
    const layouts: Array<'structured' | 'dispatch'> = [];
    cfg.subprogs.forEach((sp, i) => {
      const { code, index } = funcs[i]!;
      layouts.push(emitFunction(sp, code, insns, o, {
        imp, budget, depthMax, fnType, pseudoGlobal, prog: pi,
        funcIndexOfPc: (pc) => funcs[cfg.subprogAt.get(pc)!]!.index,
        // execution can run into this subprogram off the previous one's end (unverified code)
        fallTarget: i > 0 && cfg.subprogs[i - 1]!.blocks.some((b) => b.term.kind === 'off_end'),
      }));
      m.exportFunc(`f${pi}_${i}`, index);
    });
    out.push({ entries: cfg.subprogs.map((s) => s.start), pseudo, layouts, insns: insns.length });
  });
  return { bytes: m.encode(), programs: out };
}

interface FnEnv {
  imp: { helper: number; load: number; store: number; atomic: number; trap: number; ldAbs: number; kfunc: number; mayGoto: number };
  budget: number;
  depthMax: number;
  fnType: number;
  pseudoGlobal: Map<number, number>;
  /** Index of the program in the batch (passed to the helper, trap and kfunc host calls, which add progBase). */
  prog: number;
  funcIndexOfPc: (pc: number) => number;
  /** Execution can run into this function's subprogram from the previous one (the frame continues). */
  fallTarget: boolean;
}

function emitFunction(sp: Subprog, c: Code, insns: readonly Insn[], o: CodegenOptions, F: FnEnv): 'structured' | 'dispatch' {
  const reg = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const t64 = c.local(I64), u64 = c.local(I64), a64 = c.local(I64);
  const t32 = c.local(I32), u32 = c.local(I32), e32 = c.local(I32), sb = c.local(I32);
  let fpStatic = true;
  for (let pc = sp.start; pc < sp.end; pc++) {
    if (writesReg(insns[pc]!, 10)) fpStatic = false;
    if (insns[pc]!.code === op.BPF_LD_IMM64) pc++;
  }
  const slots = new Map<number, PromotedSlot>();
  if (o.mode === 'trusted' && fpStatic) for (const s of promotableSlots(insns, sp.start, sp.end)) slots.set(s.slot, { local: c.local(I64), uniform: s.uniform });
  const mc: MemCtx = { c, mode: o.mode, reg, t64, a64, t32, e32, sb, fpStatic, slots, imports: F.imp };
  const alu = { reg, t64, u64, t32, u32 };
  const x: CallEnv = {
    c, reg, t32, depth: DEPTH, sb, imp: F.imp, depthMax: F.depthMax, fnType: F.fnType, fpHi0: o.fpHi0, prog: F.prog,
    fpStatic, slots, funcIndexOfPc: F.funcIndexOfPc,
  };
  // may_goto's hidden slots of this frame (runtime/may-goto.ts): locals, set as the kernel's prologue
  // sets them; also kept by a function that passes a continued frame on to the next subprogram
  let hasMayGoto = false;
  for (let pc = sp.start; pc < sp.end; pc++) {
    if (isMayGoto(insns[pc]!) && insns[pc]!.off !== 0) { hasMayGoto = true; break; }
    if (insns[pc]!.code === op.BPF_LD_IMM64) pc++;
  }
  const fallsOut = sp.blocks.some((b) => b.term.kind === 'off_end' && b.start < insns.length);
  const mayGoto: MayGotoLocals | null = hasMayGoto || (F.fallTarget && fallsOut) ? { count: c.local(I32), stamp: c.local(I64), taken: c.local(I32) } : null;
  // stack bottom, may_goto's state, promoted slots from the frame's bytes (a tail-call target continues its caller's frame)
  emitPrologue(x, mayGoto, F.fallTarget);

  const trap = (kind: number, pc: number, arg: number | (() => void)) => emitTrap(x, kind, pc, arg);
  /** Charges `n` instructions starting at pc to the budget. */
  const charge = (pc: number, n: number) => { if (o.countSteps && n > 0) emitCharge(x, F.budget, pc, n); };

  const emitInsn = (pc: number): void => {
    const ins = insns[pc]!;
    // r11..r15 have no local: the verifier refuses them where reached, dead code may hold them
    if (invalidRegister(ins)) { trap(TRAP.BAD_INSN, pc, ins.code); return; }
    const cl = op.cls(ins.code);
    switch (cl) {
      case op.BPF_ALU: case op.BPF_ALU64: emitAlu(c, ins, alu); return;
      case op.BPF_LDX: emitLoad(mc, ins, pc); return;
      case op.BPF_ST: emitStore(mc, ins, pc); return;
      case op.BPF_STX:
        if (op.mode(ins.code) !== op.BPF_ATOMIC) emitStore(mc, ins, pc);
        // an operation the VM does not execute (a reserved imm) faults as there
        else if (!(ATOMIC_KINDS as readonly number[]).includes(ins.imm)) trap(TRAP.BAD_INSN, pc, ins.code);
        else emitAtomic(mc, ins, pc);
        return;
      case op.BPF_LD: {
        if (ins.code === op.BPF_LD_IMM64) { emitLdImm64(c, ins, insns[pc + 1], F.pseudoGlobal.get(pc), reg); return; }
        emitLdAbs(c, ins, pc, reg, F.imp.ldAbs);
        return;
      }
      case op.BPF_JMP: emitCall(x, ins, pc); return; // only calls reach here (other jumps terminate blocks)
      default:
        trap(TRAP.BAD_INSN, pc, ins.code);
    }
  };

  /**
   * Emits a basic block's instructions (all but its terminator), charging the step budget per
   * segment. A segment ends after each instruction that can fault or leave the function
   * (memory access, call, LD_ABS): when the budget runs out inside a segment, every
   * instruction before the limit is plain ALU work, so stopping at the segment's start and
   * naming the exact pc gives the VM's outcome and step count.
   */
  const emitBlock = (b: BasicBlock): void => {
    const pcs: number[] = [];
    for (let pc = b.start; pc < b.end; pc++) {
      pcs.push(pc);
      if (insns[pc]!.code === op.BPF_LD_IMM64) pc++;
    }
    let i = 0;
    while (i < pcs.length) {
      let j = i;
      while (j < pcs.length - 1 && !mayLeave(insns[pcs[j]!]!)) j++;
      charge(pcs[i]!, j + 1 - i);
      for (let k = i; k <= j; k++) if (pcs[k] !== b.termPc) emitInsn(pcs[k]!);
      i = j + 1;
    }
  };

  const layout = emitStructured(sp, c, {
    body: emitBlock,
    cond(b) {
      const ins = insns[b.termPc]!;
      if (invalidRegister(ins)) { trap(TRAP.BAD_INSN, b.termPc, ins.code); c.i32(0); return; }
      if (op.jmpOp(ins.code) !== op.BPF_JCOND) { emitCondition(c, ins, reg); return; }
      if (!isMayGoto(ins)) { trap(TRAP.BAD_INSN, b.termPc, ins.code); c.i32(0); return; }
      if (ins.off === 0 || !mayGoto) { c.i32(0); return; } // may_goto +0: removed by the verifier
      emitMayGoto(x, mayGoto);
    },
    exit() { emitExit(x); },
    offEnd(b) {
      if (b.start < insns.length) {
        // runs into the next subprogram's code: same frame, same registers (what the VM does)
        emitFallInto(x, b.start, mayGoto);
        return;
      }
      charge(b.start, 1);
      trap(TRAP.OFF_END, b.start, 0);
      c.op(Op.unreachable);
    },
  }, () => c.local(I32));
  return layout.kind;
}

/**
 * ld_imm64: dst = the instruction pair's 64-bit constant, or for a pseudo form (map, map value,
 * BTF object, function) the run's value, which the runtime writes into `global` before each run.
 */
export function emitLdImm64(c: Code, ins: Insn, next: Insn | undefined, global: number | undefined, reg: readonly number[]): void {
  if (global !== undefined) c.gget(global);
  else c.i64((BigInt(next?.imm ?? 0) << 32n) | BigInt(ins.imm >>> 0));
  c.set(reg[ins.dst]!);
}

/** may_goto: BPF_JMP | BPF_JCOND with src BPF_MAY_GOTO. */
function isMayGoto(ins: Insn): boolean {
  return ins.code === (op.BPF_JMP | op.BPF_JCOND) && ins.src === op.BPF_MAY_GOTO;
}

/** Instructions that can fault, trap or run other code: they end a step-counting segment. */
function mayLeave(ins: Insn): boolean {
  if (invalidRegister(ins)) return true; // it traps
  const c = op.cls(ins.code);
  if (c === op.BPF_LDX || c === op.BPF_ST || c === op.BPF_STX) return true;
  if (c === op.BPF_LD) return ins.code !== op.BPF_LD_IMM64;
  return ins.code === (op.BPF_JMP | op.BPF_CALL);
}
