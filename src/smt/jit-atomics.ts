/**
 * Proof obligations for the JIT's atomics (BPF_STX | BPF_ATOMIC: add, or, and, xor with and
 * without BPF_FETCH, xchg, cmpxchg; 32 and 64 bits). The JIT's own emitter (emitAtomic) writes
 * each template; wasm-sym.ts executes the bytes. The three code shapes it emits are proven:
 *  - a promoted stack slot (trusted mode, r10 never escapes): the read-modify-write on the i64
 *    local that holds the slot's bytes (byte-addressed) or its one field (uniform);
 *  - r10 + const in a function that never writes r10: linear memory at the frame's stack, the
 *    address decided at compile time (a misaligned or out-of-frame offset: the slow path);
 *  - through any other pointer register, in both JIT modes: the region-table lookup of
 *    jit-memory.ts, then the read-modify-write on linear memory or the `atomic` import.
 *
 * The VM's semantics is runtime/access.ts memAtomic, the one rule both engines share for the
 * access (Memory.check with `atomic`: natural alignment whatever the region, writable, no ctx),
 * transcribed over Z3 on jit-memory.ts's model of the Memory and its bytes, with the operation
 * written from its definition (RFC 9669 §5.3): the value written is old op src (xchg: src;
 * cmpxchg: src when r0 equals old in the operation's width, else old); FETCH forms and xchg load
 * the old value into src, cmpxchg into r0, zero-extended at 32 bits. The `atomic` import is
 * modelled as runtime.ts implements it: the operand and r0 in SCRATCH, memAtomic on the operands
 * passed, the results read back from SCRATCH.
 *
 * Proven, for all register values (and the aliasing forms src = dst, src = r0, dst = r0), every
 * memory and table content satisfying jit-memory.ts's premises: checked mode (and the frame form,
 * which is the same in both modes) faults exactly when the VM faults; when the VM does not fault
 * (trusted mode: the verifier proved it) every register equals the VM's, on the fast and the slow
 * path; each of the template's own stores writes the VM's value at the VM's linear address, none
 * when the VM faults, and on the fast path one happens unless the VM writes back the old value;
 * the regions outside linear memory change as the VM changes them; the slow path receives the
 * instruction's pc, pointer halves, offset, operation, width, operand and r0 (so the import, the
 * VM's rule, writes the VM's bytes); no wasm trap; every wasm access lies inside memory.
 */
import { SCRATCH } from '../jit/layout.js';
import { emitAtomic, type MemCtx, type PromotedSlot } from '../jit/memory.js';
import { I64 } from '../jit/wasm/index.js';
import { insn, type Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { ATOMIC_KINDS } from '../runtime/access.js';
import { PTR_TAG, PTR_TAG_MASK, STACK_SIZE } from '../runtime/memory.js';
import { c32, c64, numeral, placement, premises, readBytes, vmCheck, world, writeBytes, type Bytes, type World } from './jit-memory.js';
import { jitFrame, jitObligation } from './jit-templates.js';
import type { Obligation } from './obligation.js';
import { WasmSymbolic, type ImportModel, type SymAccess, type SymState, type SymValue } from './wasm-sym.js';
import type { Z3Ctx, ZB, ZT } from './z3-algebra.js';

type Arr = SymState['mem'];
type Where = 'slot' | 'slot.uniform' | 'frame' | 'ptr.checked' | 'ptr.trusted';

/** The emitter under proof (the mutation test plants bugs into it through src/jit/planted.ts). */
export interface AtomicEmitters { atomic: typeof emitAtomic }

/** Every operation, by its name in the obligations (imm values: ATOMIC_KINDS). */
export const ATOMIC_OPS: Readonly<Record<string, number>> = {
  add: op.BPF_ADD, or: op.BPF_OR, and: op.BPF_AND, xor: op.BPF_XOR,
  fetch_add: op.BPF_ADD | op.BPF_FETCH, fetch_or: op.BPF_OR | op.BPF_FETCH, fetch_and: op.BPF_AND | op.BPF_FETCH, fetch_xor: op.BPF_XOR | op.BPF_FETCH,
  xchg: op.BPF_XCHG, cmpxchg: op.BPF_CMPXCHG,
};

const IMPORT = { load: 0, store: 1, atomic: 2 } as const;

/**
 * The operation (RFC 9669 §5.3) on the old value (zero-extended from `size` bytes), the operand
 * `b` and r0: the value written (low `size` bytes) and the registers it loads.
 */
function operation(Z: Z3Ctx, kind: number, size: 4 | 8, old: ZT, b: ZT, r0: ZT): { next: ZT; old: ZT; src: ZT | null; r0: ZT | null } {
  const w = 8 * size;
  const o = old.extract(w - 1, 0), v = b.extract(w - 1, 0);
  const widen = (x: ZT): ZT => (w === 64 ? x : x.zeroExt(64 - w));
  let next: ZT;
  switch (kind & ~op.BPF_FETCH) {
    case op.BPF_ADD: next = o.add(v); break;
    case op.BPF_OR: next = o.or(v); break;
    case op.BPF_AND: next = o.and(v); break;
    case op.BPF_XOR: next = o.xor(v); break;
    case op.BPF_XCHG & ~op.BPF_FETCH: next = v; break;
    case op.BPF_CMPXCHG & ~op.BPF_FETCH: next = Z.If(r0.extract(w - 1, 0).eq(o), v, o) as ZT; break;
    default: throw new Error(`jit-atomics: no atomic operation 0x${kind.toString(16)}`);
  }
  if (kind === op.BPF_CMPXCHG) return { next, old: o, src: null, r0: widen(o) };
  return { next, old: o, src: (kind & op.BPF_FETCH) !== 0 ? widen(o) : null, r0: null };
}

/** memAtomic: the fault (ctx, Memory.check with `atomic`), the memory after, the registers loaded. */
function vmAtomic(W: World, m: Bytes, hi: ZT, lo: ZT, off: ZT, size: 4 | 8, kind: number, b: ZT, r0: ZT) {
  const Z = W.Z;
  const k = vmCheck(W, hi, lo, off, size, true);
  // atomics need natural alignment in every region (check(..., atomic = true))
  const fault = Z.Or(k.ctx, Z.Not(k.ok), Z.Not(k.addr.and(c64(Z, size - 1)).eq(c64(Z, 0))));
  const at = k.addr.extract(31, 0);
  const r = operation(Z, kind, size, readBytes(W, m, k.id, at, size, false), b, r0);
  const w = writeBytes(W, m, k.id, at, size, r.next);
  return {
    fault, src: r.src, r0: r.r0, k, at,
    /** The value written (low `size` bytes) and the old value, at the operation's width. */
    next: r.next, old: r.old,
    after: { lin: Z.If(fault, m.lin, w.lin) as unknown as Arr, ext: Z.If(fault, m.ext, w.ext) as unknown as Arr },
  };
}

/** Stores the 8 bytes of v at linear address `at` (little-endian). */
function put64(Z: Z3Ctx, mem: Arr, at: number, v: ZT): Arr {
  for (let k = 0; k < 8; k++) mem = mem.store(c32(Z, at + k), v.extract(8 * k + 7, 8 * k)) as Arr;
  return mem;
}

/**
 * The `atomic` import as runtime.ts implements it: the operand and r0 into SCRATCH, memAtomic on
 * the arguments (32-bit forms take the operand's low word), the old value into SCRATCH (FETCH,
 * xchg) or SCRATCH + 8 (cmpxchg). A kind outside ATOMIC_KINDS is outside the model.
 */
function atomicImport(W: World, ext: { now: Arr }): Map<number, ImportModel> {
  const Z = W.Z;
  const I32 = 'i32' as const;
  const model: ImportModel = {
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], results: [],
    effect([, hi, lo, off, kindArg, is64Arg, bLo, bHi, r0lo, r0hi], s) {
      const kind = numeral(Z, kindArg!, 'operation');
      if (!(ATOMIC_KINDS as readonly number[]).includes(kind)) throw new Error(`jit-atomics: the slow path is passed operation ${kind}, not in ATOMIC_KINDS`);
      const size = numeral(Z, is64Arg!, 'width') !== 0 ? 8 : 4;
      const passed = Z.Concat(bHi!, bLo!) as ZT, r0 = Z.Concat(r0hi!, r0lo!) as ZT;
      const scratch = put64(Z, put64(Z, s.mem, SCRATCH, passed), SCRATCH + 8, r0);
      const vm = vmAtomic(W, { lin: scratch, ext: ext.now }, hi!, lo!, off!, size, kind, size === 8 ? passed : bLo!.zeroExt(32), r0);
      let mem = vm.after.lin;
      if (vm.src) mem = put64(Z, mem, SCRATCH, vm.src);
      if (vm.r0) mem = put64(Z, mem, SCRATCH + 8, vm.r0);
      s.mem = mem;
      ext.now = Z.If(s.live, vm.after.ext, ext.now) as unknown as Arr;
      return { results: [], fault: vm.fault };
    },
  };
  return new Map([[IMPORT.atomic, model]]);
}

/** r10 is this frame's pointer: a live, writable, strict stack region of STACK_SIZE bytes at linear address sb, at its top. */
function framePremise(W: World, r10: ZT, sb: ZT): ZB {
  const Z = W.Z;
  const hi = r10.extract(63, 32), id = hi.extract(23, 8);
  return Z.And(hi.and(c32(Z, PTR_TAG_MASK)).eq(c32(Z, PTR_TAG)), Z.Not(id.eq(Z.BitVec.val(0, 16))), id.zeroExt(16).ult(W.count),
    W.linear(id), Z.Not(W.ctx(id)), W.base(id).eq(sb), W.start(id).eq(c32(Z, 0)), W.end(id).eq(c32(Z, STACK_SIZE)),
    W.len(id).eq(c32(Z, STACK_SIZE)), W.writable(id), W.strict(id), r10.extract(31, 0).eq(c32(Z, STACK_SIZE)));
}

/** The VM's registers after the operation: src or r0 loaded with the old value, the others kept. */
function vmRegs(regs: ZT[], ins: Insn, r: { src: ZT | null; r0: ZT | null }): ZT[] {
  return regs.map((x, i) => (r.r0 && i === 0 ? r.r0 : r.src && i === ins.src ? r.src : x));
}

/** One atomic form through the region table (ptr) or the static frame: negated goals. */
function memoryForm(Z: Z3Ctx, W: World, ins: Insn, where: 'frame' | 'ptr.checked' | 'ptr.trusted', E: AtomicEmitters): ZB[] {
  const size = op.size(ins.code) === op.BPF_DW ? 8 : 4;
  const pc = 23;
  const f = jitFrame();
  const m: MemCtx = { ...f.m, mode: where === 'ptr.trusted' ? 'trusted' : 'checked', fpStatic: true, slots: new Map(), imports: IMPORT };
  E.atomic(m, ins, pc);
  const regs = f.L.reg.map((_, i) => Z.BitVec.const(`r${i}`, 64));
  const sb = Z.BitVec.const('sb', 32);
  const lin0 = Z.Array.const('lin', Z.BitVec.sort(32), Z.BitVec.sort(8)) as unknown as Arr;
  const ext0 = Z.Array.const('ext', Z.BitVec.sort(48), Z.BitVec.sort(8)) as unknown as Arr;
  const ext = { now: ext0 };
  const ws = new WasmSymbolic(Z, atomicImport(W, ext));
  const locals = new Map<number, SymValue>(f.L.reg.map((l, i) => [l, { type: 'i64', v: regs[i]! }]));
  locals.set(f.m.sb, { type: 'i32', v: sb });
  const s = ws.run(f.c.w.view(), ws.state(locals, lin0), (i) => f.types[i]!);
  const after = (i: number) => s.locals.get(f.L.reg[i]!)!.v;
  const ptr = regs[ins.dst]!;
  const hi = ptr.extract(63, 32), lo = ptr.extract(31, 0), off = c32(Z, ins.off);
  const P = where === 'frame' ? Z.And(premises(W, lin0, hi), framePremise(W, regs[10]!, sb)) : premises(W, lin0, hi);
  const vm = vmAtomic(W, { lin: lin0, ext: ext0 }, hi, lo, off, size, ins.imm, regs[ins.src]!, regs[0]!);
  const pre = where === 'ptr.trusted' ? Z.And(P, Z.Not(vm.fault)) : P;
  const runs = Z.And(pre, Z.Not(vm.fault));
  const goals: ZB[] = [];
  if (where !== 'ptr.trusted') goals.push(Z.And(pre, Z.Not(s.fault.eq(vm.fault))));
  const want = vmRegs(regs, ins, vm);
  const regsOk = (subst: (t: ZB) => ZT | ZB = (t) => t): ZB => Z.And(...want.map((x, i) => subst(after(i).eq(x)) as ZB));
  // one query per path (the slow path called, or not)
  const slow = ws.calls.length ? Z.Or(...ws.calls.map((c) => c.guard)) : Z.Bool.val(false);
  goals.push(Z.And(runs, slow, Z.Not(regsOk())));
  // The fast path: the lemma split of jit-memory.ts. Where its load (the old value, the one
  // `size`-byte load at static offset 0) and its stores go is proven first (region in linear
  // memory, not ctx, the VM allows the access, the address is the VM's); the registers and the
  // stored values are then proven with the VM's address substituted for the accesses' (both
  // sides read the same bytes: cmpxchg64's value query took 45 s of CPU before, fractions of a
  // second after). Sound as in jit-memory.ts: each fact is proven on the path that reaches the
  // access, so substituting equals there is exact.
  // (The frame shape's address is a constant offset from r10's region: it proves in about a
  // second without the split.)
  const pl = placement(W, vm.k, Z.Not(vm.fault));
  const loads = ws.accesses.filter((a) => !a.stored && a.bytes === size && a.offset === 0);
  const stores = ws.accesses.filter((a) => a.stored);
  const split = where !== 'frame' && loads.length === 1;
  const data = split ? [...loads, ...stores] : [];
  for (const a of data) goals.push(...pl.facts(pre, a));
  // on the placed path, both sides read and write the region's bytes in linear memory
  const placed = Z.And(W.linear(vm.k.id), Z.Not(vm.k.ctx));
  if (split) {
    const old = loads[0]!;
    // (each substitution only where the accesses it names are reached: the load on the fast
    // path, the load and a store where the store is, which comes after the load)
    const sub = (t: ZT | ZB, also: SymAccess[] = []): ZT | ZB => pl.substitute(t, [old, ...also]);
    goals.push(Z.And(pre, Z.Not(slow), Z.Not(old.guard)));
    goals.push(Z.And(Z.Not(slow), old.guard, placed, Z.Not(regsOk(sub))));
    // memory. The slow path: the import applies the VM's rule to the operands it is handed
    // (checked below). The template's own stores: each writes the VM's value (at the VM's
    // address: the facts), never when the VM faults (the facts: the VM allows it); on the fast
    // path one happens unless the VM writes back the old value (cmpxchg that does not match).
    for (const a of stores) {
      if (a.bytes !== size) throw new Error(`jit-atomics: a ${a.bytes}-byte store in a ${size}-byte atomic`);
      goals.push(Z.And(pre, a.guard, Z.Not(old.guard)));
      goals.push(Z.And(old.guard, sub(a.guard, [a]) as ZB, placed, Z.Not((sub(a.stored!, [a]) as ZT).extract(8 * size - 1, 0).eq(vm.next))));
    }
    goals.push(Z.And(Z.Not(slow), old.guard, placed, Z.Not(sub(Z.Or(...stores.map((a) => a.guard))) as ZB), Z.Not(vm.next.eq(vm.old))));
  } else {
    // the frame, or no fast path (an access the emitter resolves to the slow path): the address compared directly
    goals.push(Z.And(runs, Z.Not(slow), Z.Not(regsOk())));
    const target = W.base(vm.k.id).zeroExt(32).add(vm.k.addr.and(c64(Z, 0xffffffff)));
    for (const a of stores) {
      if (a.bytes !== size) throw new Error(`jit-atomics: a ${a.bytes}-byte store in a ${size}-byte atomic`);
      const at = Z.And(W.linear(vm.k.id), a.addr.zeroExt(32).add(c64(Z, a.offset)).eq(target));
      // the address, then the value given the address (a smaller second query)
      goals.push(Z.And(runs, a.guard, Z.Not(at)));
      goals.push(Z.And(runs, a.guard, at, Z.Not(a.stored!.extract(8 * size - 1, 0).eq(vm.next))));
      goals.push(Z.And(pre, vm.fault, a.guard));
    }
    goals.push(Z.And(runs, Z.Not(slow), Z.Not(Z.Or(...stores.map((a) => a.guard))), Z.Not(vm.next.eq(vm.old))));
  }
  // the regions outside linear memory change only as the VM changes them
  const q: ZT = Z.BitVec.const('q', 48);
  goals.push(Z.And(runs, Z.Not((ext.now.select(q) as unknown as ZT).eq(vm.after.ext.select(q) as unknown as ZT))));
  // the slow path is handed the instruction's operands
  const src = regs[ins.src]!, r0 = regs[0]!;
  for (const c of ws.calls) {
    const args = [c32(Z, pc), hi, lo, off, c32(Z, ins.imm), c32(Z, size === 8 ? 1 : 0), src.extract(31, 0), src.extract(63, 32), r0.extract(31, 0), r0.extract(63, 32)];
    goals.push(Z.And(pre, c.guard, Z.Not(Z.And(...args.map((w, i) => c.args[i]!.eq(w))))));
  }
  goals.push(Z.And(pre, s.trap));
  // every access inside the memory (a placed one of `size` bytes: by its facts and the lemma jit.ptr.inside)
  for (const a of ws.accesses) {
    if (!(data.includes(a) && a.bytes === size)) goals.push(Z.And(pre, a.guard, a.addr.zeroExt(32).add(c64(Z, a.offset + a.bytes)).ugt(W.memSize)));
  }
  return goals;
}

/**
 * One atomic form on a promoted stack slot. A byte-addressed slot's local holds the slot's 8
 * bytes (little-endian), a uniform slot's its one field zero-extended; the VM's operation is on
 * the field at `pos`.
 */
function slotForm(Z: Z3Ctx, ins: Insn, uniform: boolean, pos: number, E: AtomicEmitters): ZB[] {
  const size = op.size(ins.code) === op.BPF_DW ? 8 : 4;
  const f = jitFrame();
  const local = f.c.local(I64);
  f.types.push('i64');
  const p: PromotedSlot = { local, uniform: uniform ? { shift: 8 * pos, size } : null };
  const m: MemCtx = { ...f.m, mode: 'trusted', fpStatic: true, slots: new Map([[(STACK_SIZE + ins.off) >> 3, p]]), imports: IMPORT };
  E.atomic(m, ins, 0);
  const regs = f.L.reg.map((_, i) => Z.BitVec.const(`r${i}`, 64));
  const S: ZT = Z.BitVec.const('slot', 64);
  const ws = new WasmSymbolic(Z);
  const locals = new Map<number, SymValue>(f.L.reg.map((l, i) => [l, { type: 'i64', v: regs[i]! }]));
  locals.set(local, { type: 'i64', v: S });
  const s = ws.run(f.c.w.view(), ws.state(locals), (i) => f.types[i]!);
  if (ws.accesses.length || ws.calls.length) throw new Error('jit-atomics: a promoted slot\'s template touches memory');
  const bits = 8 * size;
  const mask = (1n << BigInt(bits)) - 1n;
  const shift = c64(Z, uniform ? 0 : 8 * pos);
  const premise = uniform && size < 8 ? S.ule(c64(Z, mask)) : Z.Bool.val(true);
  const old = S.lshr(shift).and(c64(Z, mask));
  const r = operation(Z, ins.imm, size, old, regs[ins.src]!, regs[0]!);
  const next = size === 8 ? r.next : r.next.zeroExt(64 - bits);
  const slotAfter = uniform || size === 8 ? next : S.and(c64(Z, ~(mask << BigInt(8 * pos)))).or(next.shl(shift));
  const want = vmRegs(regs, ins, r);
  const after = (i: number) => s.locals.get(f.L.reg[i]!)!.v;
  return [
    Z.And(premise, Z.Not(Z.And(...want.map((x, i) => after(i).eq(x))))),
    Z.And(premise, Z.Not(s.locals.get(local)!.v.eq(slotAfter))),
    s.trap,
  ];
}

/** The instruction forms of one operation and width at one code shape. */
function forms(kind: number, size: 4 | 8, where: Where): Array<{ ins: Insn; pos: number }> {
  const code = op.BPF_STX | op.BPF_ATOMIC | (size === 8 ? op.BPF_DW : op.BPF_W);
  const at = (dst: number, src: number, off: number, pos = 0) => ({ ins: insn(code, dst, src, off, kind), pos });
  const cmpxchg = kind === op.BPF_CMPXCHG;
  if (where === 'slot' || where === 'slot.uniform') {
    const positions = where === 'slot' && size === 4 ? [0, 4] : [0];
    return [...positions.map((pos) => at(10, 4, -16 + pos, pos)), ...(cmpxchg ? [at(10, 0, -16)] : [])];
  }
  if (where === 'frame') {
    // aligned inside the frame (the top and the bottom), misaligned, past the frame's top: the last two take the slow path
    return [at(10, 4, -size), at(10, 4, -STACK_SIZE), at(10, 4, -size / 2), at(10, 4, 0), ...(cmpxchg ? [at(10, 0, -size)] : [])];
  }
  // the offsets' extremes (the aliasing form at the one without an add: offsets are emitAccess's, proven in jit-memory.ts)
  return [at(1, 4, -0x8000), at(1, 4, 0x7fff), at(1, 1, 0), ...(cmpxchg ? [at(1, 0, 0), at(0, 4, -8)] : [])];
}

/** 30-60 queries, 25-50 s of solver time through pointers: six times the run's per-attempt budget. */
const PTR_BUDGET_SCALE = 6;

function atomicTemplate(name: string, size: 4 | 8, where: Where, E: AtomicEmitters): Obligation {
  const kind = ATOMIC_OPS[name]!;
  const ob = jitObligation(`jit.atomic.${name}${8 * size}.${where}`, (Z) => {
    const W = where === 'slot' || where === 'slot.uniform' ? null : world(Z);
    return forms(kind, size, where).flatMap(({ ins, pos }) => (W ? memoryForm(Z, W, ins, where as 'frame' | 'ptr.checked' | 'ptr.trusted', E) : slotForm(Z, ins, where === 'slot.uniform', pos, E)));
  });
  // the placed accesses' bounds rest on the lemma (proven once in jit-memory.ts's rows)
  return where.startsWith('ptr.') ? { ...ob, assumes: 'jit.ptr.inside', budgetScale: PTR_BUDGET_SCALE } : ob;
}

/** Every atomic template: each operation at 32 and 64 bits, on a promoted slot, on the frame, through a pointer in both modes. */
export function atomicObligations(E: Partial<AtomicEmitters> = {}): Obligation[] {
  const e: AtomicEmitters = { atomic: emitAtomic, ...E };
  const out: Obligation[] = [];
  for (const name of Object.keys(ATOMIC_OPS)) for (const size of [4, 8] as const) {
    const shapes: Where[] = size === 4 ? ['slot', 'slot.uniform', 'frame', 'ptr.checked', 'ptr.trusted'] : ['slot', 'frame', 'ptr.checked', 'ptr.trusted'];
    for (const where of shapes) out.push(atomicTemplate(name, size, where, e));
  }
  return out;
}
