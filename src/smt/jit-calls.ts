/**
 * Proof obligations for the JIT's templates that leave straight-line code (src/jit/calls.ts):
 * helper calls (bpf_tail_call's return_call_indirect included), kfunc calls, bpf-to-bpf calls,
 * exit and may_goto, emitted by the JIT's own emitters into a function shaped like the JIT's
 * ((r0..r10, depth) -> r0..r5) and executed symbolically (wasm-sym.ts).
 *
 * A callee is an uninterpreted function of what it is given, so the proofs hold for every helper,
 * kfunc and subprogram: a helper or kfunc of its id, pc, depth, program and the memory, whose
 * REGS area is the register file it reads (the VM's helpers read the VM's register file, the
 * JIT's read REGS: one HelperEnv shape); a subprogram of its eleven registers, depth and memory.
 * The VM side is interpreter.ts's sequence written over the same functions: its register file
 * before the call, the same callee, the register file after it. Proven: the callee gets exactly
 * the VM's arguments (r1-r5 and the rest of the register file, the frame pointer, the depth), r0-r5
 * after the call are the VM's, r6-r10 are kept as the VM keeps them, memory is the callee's, the
 * faults are the VM's, and bpf_tail_call continues in its target with the VM's registers and depth
 * exactly when the helper asked for it (the count limit MAX_TAIL_CALL_CNT and the index check are
 * in the helper both engines run: runtime/helpers/impl/control.ts, so a declined tail call, the
 * helper's result < 0, falls through in both).
 *
 * Assumed (contracts of code outside the template, stated as premises): helpers write only r0-r5
 * of the register file (the kernel's calling convention; both engines share the helper code), a
 * helper does not write promoted stack slots (they are promoted only when the frame's address
 * never escapes), and the runtime's mayGoto import returns timedMayGotoCheck's count and leaves its
 * new timestamp in SCRATCH (runtime.ts).
 */
import { emitCall, emitCharge, emitExit, emitFallInto, emitMayGoto, emitPrologue, TAIL_CALL_HELPER, type CallEnv, type MayGotoLocals } from '../jit/calls.js';
import { HANDOFF, REGS, SCRATCH, STACKS, TRAP } from '../jit/layout.js';
import type { PromotedSlot } from '../jit/memory.js';
import { Code, I32, I64 } from '../jit/wasm/index.js';
import { insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { BPF_MAX_TIMED_LOOPS } from '../runtime/may-goto.js';
import { MAX_FRAMES, Memory, STACK_SIZE } from '../runtime/memory.js';
import type { Obligation } from './obligation.js';
import { jitObligation } from './jit-templates.js';
import { WasmSymbolic, type ImportModel, type SymState, type SymValue } from './wasm-sym.js';
import type { Z3Ctx, ZB, ZT } from './z3-algebra.js';

type Arr = SymState['mem'];

const HELPER = 0, KFUNC = 1, TRAP_FN = 2, MAY_GOTO = 3;
const FN_TYPE = 5;
const DEPTH_MAX = 0;
/** The program's index in its batch (passed to the imports). */
const PROG = 3;
const PC = 40;
/** Subprogram function indices: the entry pc + this. */
const FUNC_BASE = 1000;
const RUNTIME_MEMORY = new Memory();
const FP_HI0 = Memory.hiOf(RUNTIME_MEMORY.stackIds[0]!);

interface Frame {
  x: CallEnv;
  types: ('i32' | 'i64')[];
  slots: Array<{ slot: number; local: number; size: number }>;
  mg?: MayGotoLocals;
}

/** A function like the JIT's: params r0..r10 (i64) and depth (i32), then the scratch locals. */
function frame(fpStatic: boolean, slotSpecs: Array<{ slot: number; uniform: PromotedSlot['uniform'] }> = [], mayGoto = false): Frame {
  const c = new Code(12);
  const types: ('i32' | 'i64')[] = [...Array<'i64'>(11).fill('i64'), 'i32'];
  const l = (t: typeof I32 | typeof I64): number => { types.push(t === I32 ? 'i32' : 'i64'); return c.local(t); };
  const t32 = l(I32), sb = l(I32);
  const slots = new Map<number, PromotedSlot>();
  const list: Frame['slots'] = [];
  for (const s of slotSpecs) {
    const local = l(I64);
    slots.set(s.slot, { local, uniform: s.uniform });
    list.push({ slot: s.slot, local, size: s.uniform?.size ?? 8 });
  }
  const mg = mayGoto ? { count: l(I32), stamp: l(I64), taken: l(I32) } : undefined;
  const x: CallEnv = {
    c, reg: Array.from({ length: 11 }, (_, i) => i), t32, depth: 11, sb,
    imp: { helper: HELPER, kfunc: KFUNC, trap: TRAP_FN, mayGoto: MAY_GOTO }, depthMax: DEPTH_MAX, fnType: FN_TYPE,
    fpHi0: FP_HI0, prog: PROG, fpStatic, slots, funcIndexOfPc: (pc) => FUNC_BASE + pc,
  };
  return { x, types, slots: list, ...(mg ? { mg } : {}) };
}

const bv = (Z: Z3Ctx, n: number | bigint, w: number): ZT => Z.BitVec.val(BigInt.asUintN(w, BigInt(n)), w);

function storeBytes(Z: Z3Ctx, m: Arr, addr: ZT, v: ZT, bytes: number): Arr {
  for (let i = 0; i < bytes; i++) m = m.store(addr.add(bv(Z, i, 32)), v.extract(8 * i + 7, 8 * i)) as Arr;
  return m;
}
function load64(Z: Z3Ctx, m: Arr, addr: number | ZT): ZT {
  const a = typeof addr === 'number' ? bv(Z, addr, 32) : addr;
  const parts: ZT[] = [];
  for (let i = 7; i >= 0; i--) parts.push(m.select(a.add(bv(Z, i, 32))) as unknown as ZT);
  return Z.Concat(...parts) as ZT;
}
/** The register file written into REGS (the VM's register file as helpers see it). */
function withRegs(Z: Z3Ctx, m: Arr, regs: readonly ZT[]): Arr {
  regs.forEach((r, i) => { m = storeBytes(Z, m, bv(Z, REGS + 8 * i, 32), r, 8); });
  return m;
}

/** The VM's r10 at a (symbolic, < MAX_FRAMES) depth: the top of that frame's stack region. */
function vmFramePointer(Z: Z3Ctx, depth: ZT): ZT {
  let fp = bv(Z, 0, 64);
  for (let d = MAX_FRAMES - 1; d >= 0; d--) fp = Z.If(depth.eq(bv(Z, d, 32)), bv(Z, Memory.ptr(RUNTIME_MEMORY.stackIds[d]!, STACK_SIZE), 64), fp) as ZT;
  return fp;
}

interface Run {
  s: SymState;
  ws: WasmSymbolic;
  regs: ZT[];
  depth: ZT;
  mem0: Arr;
  slotVals: ZT[];
  /** Memory with the promoted slots written to the frame (the VM's view of the frame). */
  flushed: Arr;
  after: (i: number) => ZT;
  /** A fresh address, for equalities of whole memories. */
  q: ZT;
  /** depth < MAX_FRAMES (the VM's invariant). */
  premise: ZB;
}

function run(Z: Z3Ctx, f: Frame, imports: Map<number, ImportModel>, extra: Map<number, SymValue> = new Map(), globals: Map<number, SymValue> = new Map()): Run {
  const regs: ZT[] = Array.from({ length: 11 }, (_, i) => Z.BitVec.const(`r${i}`, 64));
  const depth: ZT = Z.BitVec.const('depth', 32);
  const sb = bv(Z, STACKS, 32).add(depth.mul(bv(Z, STACK_SIZE, 32)));
  const locals = new Map<number, SymValue>(regs.map((v, i) => [i, { type: 'i64', v }]));
  locals.set(11, { type: 'i32', v: depth });
  locals.set(f.x.sb, { type: 'i32', v: sb });
  const slotVals: ZT[] = f.slots.map((s) => Z.BitVec.const(`slot${s.slot}`, 64));
  f.slots.forEach((s, i) => locals.set(s.local, { type: 'i64', v: slotVals[i]! }));
  for (const [k, v] of extra) locals.set(k, v);
  const mem0 = Z.Array.const('mem', Z.BitVec.sort(32), Z.BitVec.sort(8)) as unknown as Arr;
  let flushed = mem0;
  f.slots.forEach((s, i) => { flushed = storeBytes(Z, flushed, sb.add(bv(Z, 8 * s.slot, 32)), slotVals[i]!, s.size); });
  const sig = { params: [...Array<'i64'>(11).fill('i64'), 'i32' as const], results: Array<'i64'>(6).fill('i64') };
  const ws = new WasmSymbolic(Z, { imports, globals, types: new Map([[FN_TYPE, sig]]) });
  const s = ws.run(f.x.c.w.view(), ws.state(locals, mem0), (i) => f.types[i]!);
  return {
    s, ws, regs, depth, mem0, slotVals, flushed, after: (i) => s.locals.get(i)!.v, q: Z.BitVec.const('q', 32),
    premise: depth.ult(bv(Z, MAX_FRAMES, 32)),
  };
}

/** The trap import: the run ends with the VM error the trap names. */
const trapModel = (Z: Z3Ctx): ImportModel => ({ params: ['i32', 'i32', 'i32', 'i32'], results: [], effect: () => ({ results: [], fault: Z.Bool.val(true) }) });

/** A helper or kfunc: uninterpreted functions of (its arguments, memory) giving memory, a result and a fault. */
function callee(Z: Z3Ctx, name: string, nargs: number) {
  const A = Z.Array.sort(Z.BitVec.sort(32), Z.BitVec.sort(8));
  const dom = [...Array.from({ length: nargs }, () => Z.BitVec.sort(32)), A] as const;
  const mem = Z.Function.declare(`${name}_mem`, ...(dom as unknown as [typeof A]), A);
  const res = Z.Function.declare(`${name}_res`, ...(dom as unknown as [typeof A]), Z.BitVec.sort(32));
  const fault = Z.Function.declare(`${name}_fault`, ...(dom as unknown as [typeof A]), Z.Bool.sort());
  return {
    mem: (args: ZT[], m: Arr): Arr => (mem.call as (...a: unknown[]) => Arr)(...args, m),
    res: (args: ZT[], m: Arr): ZT => (res.call as (...a: unknown[]) => ZT)(...args, m),
    fault: (args: ZT[], m: Arr): ZB => (fault.call as (...a: unknown[]) => ZB)(...args, m),
  };
}

/**
 * Helper call `call imm` (and kfunc call when `kfunc`): see the file comment. `fpStatic` false:
 * r10 may have moved, and a tail call refuses (TAIL_R10) unless r10 is the frame pointer.
 */
function helperTemplate(name: string, kind: 'helper' | 'tail' | 'kfunc', fpStatic: boolean): Obligation {
  return jitObligation(name, (Z) => {
    const imm = kind === 'tail' ? TAIL_CALL_HELPER : 5;
    const slots = kind === 'tail' && fpStatic ? [{ slot: 62, uniform: null }, { slot: 61, uniform: { shift: 0, size: 4 } }] : [];
    const f = frame(fpStatic, slots);
    const H = callee(Z, kind === 'kfunc' ? 'kfunc' : 'helper', kind === 'kfunc' ? 3 : 4);
    const imports = new Map<number, ImportModel>([
      [HELPER, { params: ['i32', 'i32', 'i32', 'i32'], results: ['i32'], effect: (a, s) => { const m = s.mem; s.mem = H.mem(a, m); return { results: [H.res(a, m)], fault: H.fault(a, m) }; } }],
      [KFUNC, { params: ['i32', 'i32', 'i32'], results: [], effect: (a, s) => { const m = s.mem; s.mem = H.mem(a, m); return { results: [], fault: H.fault(a, m) }; } }],
      [TRAP_FN, trapModel(Z)],
    ]);
    const ins = kind === 'kfunc' ? insn(op.BPF_JMP | op.BPF_CALL, 0, op.BPF_PSEUDO_KFUNC_CALL, 0, 77) : insn(op.BPF_JMP | op.BPF_CALL, 0, 0, 0, imm);
    emitCall(f.x, ins, PC);
    const r = run(Z, f, imports);
    const { s, ws, regs, depth, q } = r;
    // the VM: the register file, then the callee on it
    const args = kind === 'kfunc' ? [bv(Z, PC, 32), depth, bv(Z, PROG, 32)] : [bv(Z, imm, 32), bv(Z, PC, 32), depth, bv(Z, PROG, 32)];
    const before = withRegs(Z, r.flushed, regs);
    const M = H.mem(args, before), res = H.res(args, before), hfault = H.fault(args, before);
    const vmRegs = regs.map((_, i) => load64(Z, M, REGS + 8 * i));
    // helpers write only r0..r5 of the register file, and not the promoted stack slots
    const slotAddr = (slot: number): ZT => bv(Z, STACKS, 32).add(depth.mul(bv(Z, STACK_SIZE, 32))).add(bv(Z, 8 * slot, 32));
    const abi = Z.And(r.premise, ...regs.slice(6).map((x, i) => vmRegs[6 + i]!.eq(x)),
      ...f.slots.map((sl) => load64(Z, M, slotAddr(sl.slot)).eq(load64(Z, before, slotAddr(sl.slot)))));
    const calls = ws.calls.filter((c) => c.fn === (kind === 'kfunc' ? KFUNC : HELPER));
    if (calls.length !== 1) throw new Error(`${name}: ${calls.length} callee calls`);
    const call = calls[0]!;
    const goals: ZB[] = [];
    // exactly the VM's arguments and register file
    goals.push(Z.And(r.premise, Z.Not(Z.And(...call.args.map((a, i) => a.eq(args[i]!))))));
    goals.push(Z.And(r.premise, Z.Not((call.mem.select(q) as unknown as ZT).eq(before.select(q) as unknown as ZT))));
    const tails = ws.exits.filter((e) => e.kind === 'return_call_indirect');
    if (ws.exits.length !== tails.length || tails.length !== (kind === 'kfunc' ? 0 : 1)) throw new Error(`${name}: unexpected exits`);
    const tail = tails[0];
    const jitFp = bv(Z, (BigInt(FP_HI0 >>> 0) << 32n) | BigInt(STACK_SIZE), 64).add(depth.zeroExt(32).shl(bv(Z, 40, 64)));
    const fpOk = fpStatic ? Z.Bool.val(true) : regs[10]!.eq(jitFp);
    const wantsTail = kind === 'kfunc' ? Z.Bool.val(false) : res.sge(bv(Z, 0, 32));
    // faults: the callee's, and (r10 moved) the JIT's refusal of a tail call
    const fault = Z.Or(s.fault, ...ws.exits.map((e) => e.state.fault));
    goals.push(Z.And(r.premise, Z.Not(fault.eq(Z.Or(hfault, Z.And(Z.Not(hfault), wantsTail, Z.Not(fpOk)))))));
    // the refusal only where r10 is not the VM's frame pointer
    if (!fpStatic) goals.push(Z.And(r.premise, Z.Not(hfault), wantsTail, Z.Not(fpOk), regs[10]!.eq(vmFramePointer(Z, depth))));
    // no tail call: falls through with the VM's registers and the callee's memory
    goals.push(Z.And(r.premise, Z.Not(s.live.eq(Z.And(Z.Not(hfault), Z.Not(wantsTail))))));
    for (let i = 0; i <= 10; i++) goals.push(Z.And(abi, s.live, Z.Not(r.after(i).eq(vmRegs[i]!))));
    goals.push(Z.And(r.premise, s.live, Z.Not((s.mem.select(q) as unknown as ZT).eq(M.select(q) as unknown as ZT))));
    // promoted slots still hold the frame's bytes
    f.slots.forEach((sl, i) => goals.push(Z.And(abi, s.live, Z.Not(r.after(sl.local).eq(r.slotVals[i]!)))));
    if (tail) {
      // a tail call: the target continues this frame with the VM's registers and depth
      goals.push(Z.And(r.premise, Z.Not(tail.guard.eq(Z.And(Z.Not(hfault), wantsTail, fpOk)))));
      if (tail.fn !== FN_TYPE) throw new Error(`${name}: tail call through type ${tail.fn}`);
      goals.push(Z.And(r.premise, tail.guard, Z.Not(tail.index!.eq(res))));
      for (let i = 0; i <= 10; i++) goals.push(Z.And(abi, tail.guard, Z.Not(tail.values[i]!.v.eq(vmRegs[i]!))));
      goals.push(Z.And(r.premise, tail.guard, Z.Not(tail.values[11]!.v.eq(depth))));
      goals.push(Z.And(r.premise, tail.guard, Z.Not((tail.state.mem.select(q) as unknown as ZT).eq(M.select(q) as unknown as ZT))));
      goals.push(tail.state.trap);
    }
    goals.push(s.trap);
    return goals;
  });
}

/** bpf-to-bpf call `call pc+imm`: depth check, deepest frame, the callee with the VM's registers, r6..r10 kept. */
function localCallTemplate(): Obligation {
  return jitObligation('jit.call.local', (Z) => {
    const f = frame(true);
    const imm = 17, target = PC + 1 + imm;
    const A = Z.Array.sort(Z.BitVec.sort(32), Z.BitVec.sort(8));
    const dom = [...Array.from({ length: 11 }, () => Z.BitVec.sort(64)), Z.BitVec.sort(32), A] as const;
    const F = {
      res: Array.from({ length: 6 }, (_, i) => Z.Function.declare(`sub_r${i}`, ...(dom as unknown as [typeof A]), Z.BitVec.sort(64))),
      mem: Z.Function.declare('sub_mem', ...(dom as unknown as [typeof A]), A),
      fault: Z.Function.declare('sub_fault', ...(dom as unknown as [typeof A]), Z.Bool.sort()),
    };
    const ap = <T>(fn: { call: unknown }, a: ZT[], m: Arr): T => (fn.call as (...x: unknown[]) => T)(...a, m);
    const imports = new Map<number, ImportModel>([
      [TRAP_FN, trapModel(Z)],
      [FUNC_BASE + target, {
        params: [...Array<'i64'>(11).fill('i64'), 'i32'], results: Array<'i64'>(6).fill('i64'),
        effect: (a, s) => { const m = s.mem; s.mem = ap<Arr>(F.mem, a, m); return { results: F.res.map((g) => ap<ZT>(g, a, m)), fault: ap<ZB>(F.fault, a, m) }; },
      }],
    ]);
    emitCall(f.x, insn(op.BPF_JMP | op.BPF_CALL, 0, op.BPF_PSEUDO_CALL, 0, imm), PC);
    const dm = Z.BitVec.const('depth_max', 32);
    const r = run(Z, f, imports, new Map(), new Map([[DEPTH_MAX, { type: 'i32', v: dm }]]));
    const { s, ws, regs, depth, mem0, q } = r;
    // the VM: call_depth when depth + 1 reaches MAX_FRAMES; else a new frame, r10 its stack top
    const d1 = depth.add(bv(Z, 1, 32));
    const tooDeep = d1.uge(bv(Z, MAX_FRAMES, 32));
    const vmArgs = [...regs.slice(0, 10), vmFramePointer(Z, d1), d1];
    const calls = ws.calls.filter((c) => c.fn === FUNC_BASE + target);
    if (calls.length !== 1) throw new Error(`jit.call.local: ${calls.length} calls of the subprogram's function`);
    const call = calls[0]!;
    const traps = ws.calls.filter((c) => c.fn === TRAP_FN);
    const goals: ZB[] = [];
    const p = r.premise;
    goals.push(Z.And(p, Z.Not(call.guard.eq(Z.Not(tooDeep)))));
    for (const t of traps) goals.push(Z.And(p, t.guard, Z.Not(Z.And(t.args[0]!.eq(bv(Z, TRAP.CALL_DEPTH, 32)), t.args[1]!.eq(bv(Z, PC, 32))))));
    vmArgs.forEach((a, i) => goals.push(Z.And(p, call.guard, Z.Not(call.args[i]!.eq(a)))));
    goals.push(Z.And(p, call.guard, Z.Not((call.mem.select(q) as unknown as ZT).eq(mem0.select(q) as unknown as ZT))));
    const fault = ap<ZB>(F.fault, vmArgs, mem0);
    goals.push(Z.And(p, Z.Not(s.fault.eq(Z.Or(tooDeep, fault)))));
    // deepest frame reached, as the VM's maxDepth
    goals.push(Z.And(p, s.live, Z.Not(s.globals.get(DEPTH_MAX)!.v.eq(Z.If(d1.sgt(dm), d1, dm) as ZT))));
    // after the call: r0..r5 the callee's, r6..r10 the caller's, memory the callee's
    for (let i = 0; i <= 10; i++) goals.push(Z.And(p, s.live, Z.Not(r.after(i).eq(i <= 5 ? ap<ZT>(F.res[i]!, vmArgs, mem0) : regs[i]!))));
    goals.push(Z.And(p, s.live, Z.Not((s.mem.select(q) as unknown as ZT).eq(ap<Arr>(F.mem, vmArgs, mem0).select(q) as unknown as ZT))));
    if (ws.exits.length) throw new Error('jit.call.local: leaves the function');
    goals.push(s.trap);
    return goals;
  });
}

/** exit: the function returns r0..r5 (the VM's register file, r0 the result) with the promoted slots in the frame's bytes. */
function exitTemplate(): Obligation {
  return jitObligation('jit.exit', (Z) => {
    const f = frame(true, [{ slot: 63, uniform: null }, { slot: 60, uniform: { shift: 0, size: 2 } }]);
    emitExit(f.x);
    const r = run(Z, f, new Map());
    const rets = r.ws.exits;
    if (rets.length !== 1 || rets[0]!.kind !== 'return' || rets[0]!.values.length !== 6) throw new Error('jit.exit: one return of six values expected');
    const ret = rets[0]!;
    const goals: ZB[] = ret.values.map((v, i) => Z.And(r.premise, Z.Not(v.v.eq(r.regs[i]!))));
    goals.push(Z.And(r.premise, Z.Not((ret.state.mem.select(r.q) as unknown as ZT).eq(r.flushed.select(r.q) as unknown as ZT))));
    // returns on every path, without a trap
    goals.push(Z.Not(ret.guard), ret.state.trap, r.s.live);
    return goals;
  });
}

/**
 * may_goto: taken when the frame's count is 0; else count - 1, and when that is 0 the time check
 * (timedMayGotoCheck through the mayGoto import) gives the new count and timestamp. The VM:
 * interpreter.ts MAY_GOTO on mgCount/mgStamp.
 */
function mayGotoTemplate(): Obligation {
  return jitObligation('jit.may_goto', (Z) => {
    const f = frame(true, [], true);
    const g = f.mg!;
    const A = Z.Array.sort(Z.BitVec.sort(32), Z.BitVec.sort(8));
    const checkF = Z.Function.declare('timed_check_count', Z.BitVec.sort(64), A, Z.BitVec.sort(32));
    const stampF = Z.Function.declare('timed_check_stamp', Z.BitVec.sort(64), A, Z.BitVec.sort(64));
    const check = { call: (st: ZT, m: Arr): ZT => (checkF.call as (...a: unknown[]) => ZT)(st, m) };
    const stampOf = { call: (st: ZT, m: Arr): ZT => (stampF.call as (...a: unknown[]) => ZT)(st, m) };
    // the clock the check reads is the run's (the memory stands for the state both engines share)
    const imports = new Map<number, ImportModel>([[MAY_GOTO, {
      params: ['i64'], results: ['i32'],
      effect: ([st], s) => {
        const m = s.mem;
        s.mem = storeBytes(Z, m, bv(Z, SCRATCH, 32), stampOf.call(st!, m) as ZT, 8);
        return { results: [check.call(st!, m) as ZT] };
      },
    }]]);
    emitMayGoto(f.x, g);
    const count: ZT = Z.BitVec.const('count', 32), stamp: ZT = Z.BitVec.const('stamp', 64);
    const r = run(Z, f, imports, new Map([[g.count, { type: 'i32', v: count }], [g.stamp, { type: 'i64', v: stamp }]]));
    const { s, ws, mem0 } = r;
    const top = s.stack[s.stack.length - 1];
    if (!top || top.type !== 'i32' || s.stack.length !== 1) throw new Error('jit.may_goto: the condition must leave one i32');
    const zero = count.eq(bv(Z, 0, 32)), one = count.eq(bv(Z, 1, 32));
    const calls = ws.calls.filter((c) => c.fn === MAY_GOTO);
    if (calls.length !== 1) throw new Error('jit.may_goto: one time check expected in the code');
    const goals: ZB[] = [
      Z.Not(Z.Not(top.v.eq(bv(Z, 0, 32))).eq(zero)),
      // the time check runs exactly when the VM runs it, on the frame's timestamp
      Z.Not(calls[0]!.guard.eq(one)),
      Z.And(one, Z.Not(calls[0]!.args[0]!.eq(stamp))),
      Z.Not(r.after(g.count).eq(Z.If(zero, count, Z.If(one, check.call(stamp, mem0) as ZT, count.sub(bv(Z, 1, 32)))) as ZT)),
      Z.Not(r.after(g.stamp).eq(Z.If(one, stampOf.call(stamp, mem0) as ZT, stamp) as ZT)),
      ...r.regs.map((x, i) => Z.Not(r.after(i).eq(x))),
      s.trap,
    ];
    return goals;
  });
}

/**
 * A function's prologue: the frame's stack bottom is where the runtime binds the VM's stack region
 * of that depth (runtime.ts: STACKS + depth * STACK_SIZE), may_goto's count starts at
 * BPF_MAX_TIMED_LOOPS (the VM's enterFrame; its timestamp local starts at 0, as every wasm local),
 * and promoted slots hold the frame's bytes.
 */
function prologueTemplate(fallTarget: boolean): Obligation {
  return jitObligation(`jit.prologue${fallTarget ? '.fall' : ''}`, (Z) => {
    const f = frame(true, [{ slot: 62, uniform: null }, { slot: 61, uniform: { shift: 0, size: 4 } }], true);
    const g = f.mg!;
    emitPrologue(f.x, g, fallTarget);
    // every local but the parameters starts at 0 in WebAssembly
    const r = run(Z, f, new Map(), new Map([[f.x.sb, { type: 'i32', v: Z.BitVec.const('sb_before', 32) }], [g.stamp, { type: 'i64', v: bv(Z, 0, 64) }]]));
    const sb = bv(Z, STACKS, 32).add(r.depth.mul(bv(Z, STACK_SIZE, 32)));
    const load32 = (m: Arr, at: number): ZT => load64(Z, m, at).extract(31, 0);
    // a frame continued from the previous subprogram (HANDOFF's flag set) keeps its may_goto state
    const handed = fallTarget ? Z.Not(load32(r.mem0, HANDOFF).eq(bv(Z, 0, 32))) : Z.Bool.val(false);
    const goals: ZB[] = [
      Z.Not(r.after(f.x.sb).eq(sb)),
      Z.Not(r.after(g.count).eq(Z.If(handed, load32(r.mem0, HANDOFF + 4), bv(Z, BPF_MAX_TIMED_LOOPS, 32)) as ZT)),
      Z.Not(r.after(g.stamp).eq(Z.If(handed, load64(Z, r.mem0, HANDOFF + 8), bv(Z, 0, 64)) as ZT)),
      Z.Not((r.s.mem.select(r.q) as unknown as ZT).eq((fallTarget ? storeBytes(Z, r.mem0, bv(Z, HANDOFF, 32), bv(Z, 0, 32), 4) : r.mem0).select(r.q) as unknown as ZT)),
      ...r.regs.map((x, i) => Z.Not(r.after(i).eq(x))),
      r.s.trap,
    ];
    f.slots.forEach((sl) => {
      const v = load64(Z, r.mem0, sb.add(bv(Z, 8 * sl.slot, 32)));
      goals.push(Z.Not(r.after(sl.local).eq(sl.size === 8 ? v : v.extract(8 * sl.size - 1, 0).zeroExt(64 - 8 * sl.size))));
    });
    return goals;
  });
}

/**
 * The step budget (checked mode): with B >= 0 steps left, a segment of n instructions traps
 * exactly when B < n, telling the trap import the B steps left (the VM stops at the segment's
 * (B+1)-th instruction; runtime.ts stepPc names it), and otherwise leaves B - n.
 */
function chargeTemplate(): Obligation {
  return jitObligation('jit.charge', (Z) => {
    const goals: ZB[] = [];
    const BUDGET = 1;
    for (const n of [1, 3, 4096]) {
      const f = frame(true);
      emitCharge(f.x, BUDGET, PC, n);
      const B: ZT = Z.BitVec.const('budget', 32);
      const r = run(Z, f, new Map([[TRAP_FN, trapModel(Z)]]), new Map(), new Map([[BUDGET, { type: 'i32', v: B }]]));
      const p = B.sge(bv(Z, 0, 32));
      const out = B.slt(bv(Z, n, 32));
      const traps = r.ws.calls.filter((c) => c.fn === TRAP_FN);
      if (traps.length !== 1) throw new Error('jit.charge: one trap expected in the code');
      const t = traps[0]!;
      goals.push(
        Z.And(p, Z.Not(r.s.fault.eq(out))),
        Z.And(p, t.guard, Z.Not(Z.And(t.args[0]!.eq(bv(Z, TRAP.STEP_LIMIT, 32)), t.args[1]!.eq(bv(Z, PC, 32)), t.args[2]!.eq(B), t.args[3]!.eq(bv(Z, PROG, 32))))),
        Z.And(p, r.s.live, Z.Not(r.s.globals.get(BUDGET)!.v.eq(B.sub(bv(Z, n, 32))))),
        ...r.regs.map((x, i) => Z.And(p, r.s.live, Z.Not(r.after(i).eq(x)))),
        r.s.trap,
      );
    }
    return goals;
  });
}

/**
 * Running off a subprogram's end into the next one's code: that function continues this frame with
 * the same registers, and (the function keeping may_goto state) the count and timestamp handed
 * over in HANDOFF, which jit.prologue.fall takes.
 */
function fallIntoTemplate(fpStatic: boolean): Obligation {
  return jitObligation(`jit.fall_into${fpStatic ? '' : '.fp'}`, (Z) => {
    const f = frame(fpStatic, fpStatic ? [{ slot: 62, uniform: null }, { slot: 59, uniform: { shift: 0, size: 1 } }] : [], fpStatic);
    const next = PC + 1;
    emitFallInto(f.x, next, f.mg ?? null);
    const sig = { params: [...Array<'i64'>(11).fill('i64'), 'i32' as const], results: Array<'i64'>(6).fill('i64'), effect: () => ({ results: [] }) };
    const count: ZT = Z.BitVec.const('count', 32), stamp: ZT = Z.BitVec.const('stamp', 64);
    const extra = new Map<number, SymValue>(f.mg ? [[f.mg.count, { type: 'i32', v: count }], [f.mg.stamp, { type: 'i64', v: stamp }]] : []);
    const r = run(Z, f, new Map<number, ImportModel>([[TRAP_FN, trapModel(Z)], [FUNC_BASE + next, sig]]), extra);
    const exits = r.ws.exits;
    if (exits.length !== 1 || exits[0]!.kind !== 'return_call' || exits[0]!.fn !== FUNC_BASE + next) throw new Error('fall_into: one return_call of the next subprogram expected');
    const e = exits[0]!;
    const jitFp = bv(Z, (BigInt(FP_HI0 >>> 0) << 32n) | BigInt(STACK_SIZE), 64).add(r.depth.zeroExt(32).shl(bv(Z, 40, 64)));
    const moved = fpStatic ? Z.Bool.val(false) : Z.Not(r.regs[10]!.eq(jitFp));
    let mem = r.flushed;
    if (f.mg) {
      mem = storeBytes(Z, mem, bv(Z, HANDOFF, 32), bv(Z, 1, 32), 4);
      mem = storeBytes(Z, mem, bv(Z, HANDOFF + 4, 32), count, 4);
      mem = storeBytes(Z, mem, bv(Z, HANDOFF + 8, 32), stamp, 8);
    }
    const p = r.premise;
    const goals: ZB[] = [
      Z.And(p, Z.Not(e.guard.eq(Z.Not(moved)))),
      Z.And(p, Z.Not(e.state.fault.eq(moved))),
      // refused only where r10 is not the VM's frame pointer
      Z.And(p, moved, r.regs[10]!.eq(vmFramePointer(Z, r.depth))),
      ...e.values.map((v, i) => Z.And(p, e.guard, Z.Not(v.v.eq(i <= 10 ? r.regs[i]! : r.depth)))),
      Z.And(p, e.guard, Z.Not((e.state.mem.select(r.q) as unknown as ZT).eq(mem.select(r.q) as unknown as ZT))),
      e.state.trap, r.s.live,
    ];
    return goals;
  });
}

export function callObligations(): Obligation[] {
  return [
    helperTemplate('jit.call.helper', 'helper', true),
    helperTemplate('jit.call.helper.fp', 'helper', false),
    helperTemplate('jit.call.tail', 'tail', true),
    helperTemplate('jit.call.tail.fp', 'tail', false),
    helperTemplate('jit.call.kfunc', 'kfunc', true),
    localCallTemplate(),
    exitTemplate(),
    mayGotoTemplate(),
    prologueTemplate(false),
    prologueTemplate(true),
    chargeTemplate(),
    fallIntoTemplate(true),
    fallIntoTemplate(false),
  ];
}
