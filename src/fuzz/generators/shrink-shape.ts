/**
 * Shrinking of program shapes (see shape.ts): candidates from the largest cut to the smallest
 * change -- fewer subprograms, fewer fragments (all, halves, one at a time), an if or loop replaced
 * by its body, nested bodies shrunk the same way, then each fragment's fields moved towards a
 * canonical value (0, the first name of its list, false, null, a register operand to an
 * immediate). Every candidate is strictly smaller than its shape -- fewer fragments, or the same
 * fragments with fields nearer their canonical values -- so shrinking ends; every candidate keeps
 * its fields in the ranges lowering handles (sizes powers of two, lengths at least 1), so it always lowers.
 */
import { ALU_NAMES, ATOMICS, CMP_NAMES } from './fragments.js';
import type { Frag, MapShape, Operand, ProgramShape, SubShape, Var } from './shape.js';

const without = <T>(xs: readonly T[], i: number): T[] => [...xs.slice(0, i), ...xs.slice(i + 1)];
const replaced = <T>(xs: readonly T[], i: number, by: readonly T[]): T[] => [...xs.slice(0, i), ...by, ...xs.slice(i + 1)];

/** Smaller integers towards `to`: `to` itself, then halfway. */
function* towards(x: number, to = 0): Generator<number> {
  if (x === to) return;
  yield to;
  const half = to + Math.trunc((x - to) / 2);
  if (half !== to && half !== x) yield half;
}

function* towardsBig(x: bigint): Generator<bigint> {
  if (x === 0n) return;
  yield 0n;
  const half = x / 2n;
  if (half !== 0n) yield half;
}

/** A name of `list` earlier than `x` (the first one, then the one halfway). */
function* earlier<T>(list: readonly T[], x: T): Generator<T> {
  const i = list.indexOf(x);
  for (const j of towards(i)) yield list[j]!;
}

function* operand(o: Operand): Generator<Operand> {
  if ('reg' in o) { yield { imm: 0 }; for (const r of towards(o.reg)) yield { reg: r as Var }; return; }
  for (const v of towards(o.imm)) yield { imm: v };
}

function* optionalVar(v: Var | null): Generator<Var | null> {
  if (v === null) return;
  yield null;
  for (const r of towards(v)) yield r as Var;
}

/** Power-of-two sizes halved towards `min`. */
function* smallerSize<T extends number>(x: T, min: T): Generator<T> {
  if (x > min) { yield min; if (x / 2 > min) yield (x / 2) as T; }
}

/** Candidates that change one field of `f` (no fragment count change). */
function* fields(f: Frag): Generator<Frag> {
  const v = (x: Var): Generator<number> => towards(x);
  switch (f.k) {
    case 'alu':
      for (const op of earlier(ALU_NAMES, f.op)) yield { ...f, op };
      if (f.w32) yield { ...f, w32: false };
      for (const dst of v(f.dst)) yield { ...f, dst: dst as Var };
      for (const src of operand(f.src)) yield { ...f, src };
      return;
    case 'neg':
      if (f.w32) yield { ...f, w32: false };
      for (const dst of v(f.dst)) yield { ...f, dst: dst as Var };
      return;
    case 'const':
      for (const value of towardsBig(f.value)) yield { ...f, value };
      for (const how of earlier(['mov64', 'mov32', 'ld64'] as const, f.how)) yield { ...f, how };
      for (const dst of v(f.dst)) yield { ...f, dst: dst as Var };
      return;
    case 'movsx':
      for (const bits of smallerSize(f.bits, 8)) yield { ...f, bits };
      if (f.w32) yield { ...f, w32: false };
      for (const dst of v(f.dst)) yield { ...f, dst: dst as Var };
      for (const src of v(f.src)) yield { ...f, src: src as Var };
      return;
    case 'end':
      for (const kind of earlier(['le', 'be', 'bswap'] as const, f.kind)) yield { ...f, kind };
      for (const bits of smallerSize(f.bits, 16)) yield { ...f, bits };
      for (const dst of v(f.dst)) yield { ...f, dst: dst as Var };
      return;
    case 'ctx':
      for (const field of towards(f.field)) yield { ...f, field };
      for (const narrow of towards(f.narrow)) yield { ...f, narrow };
      if (f.viaSpill) yield { ...f, viaSpill: false };
      for (const dst of v(f.dst)) yield { ...f, dst: dst as Var };
      return;
    case 'ctxStore':
      for (const field of towards(f.field)) yield { ...f, field };
      for (const src of v(f.src)) yield { ...f, src: src as Var };
      return;
    case 'helper':
      for (const fn of towards(f.fn)) yield { ...f, fn };
      for (const mask of towards(f.mask)) yield { ...f, mask };
      for (const dst of v(f.dst)) yield { ...f, dst: dst as Var };
      return;
    case 'spill':
      if (f.atomic !== null) yield { ...f, atomic: null };
      if (f.sx) yield { ...f, sx: false };
      for (const size of smallerSize(f.size, 1)) yield { ...f, size };
      for (const slot of towards(f.slot)) yield { ...f, slot };
      for (const src of v(f.src)) yield { ...f, src: src as Var };
      for (const dst of v(f.dst)) yield { ...f, dst: dst as Var };
      return;
    case 'packet':
      for (const idx of optionalVar(f.idx)) yield { ...f, idx };
      if (f.write) yield { ...f, write: false };
      for (const len of towards(f.len, 1)) yield { ...f, len };
      for (const off of towards(f.off)) yield { ...f, off };
      for (const size of smallerSize(f.size, 1)) yield { ...f, size };
      for (const form of towards(f.form)) yield { ...f, form };
      for (const slack of towards(f.slack)) yield { ...f, slack };
      for (const dst of v(f.dst)) yield { ...f, dst: dst as Var };
      return;
    case 'ldabs':
      for (const ind of optionalVar(f.ind)) yield { ...f, ind };
      for (const off of towards(f.off)) yield { ...f, off };
      for (const size of smallerSize(f.size, 1)) yield { ...f, size };
      for (const dst of v(f.dst)) yield { ...f, dst: dst as Var };
      return;
    case 'skbLoad':
      for (const off of operand(f.off)) yield { ...f, off };
      for (const len of towards(f.len, 1)) yield { ...f, len };
      for (const at of towards(f.at)) yield { ...f, at };
      for (const size of smallerSize(f.size, 1)) yield { ...f, size };
      for (const dst of v(f.dst)) yield { ...f, dst: dst as Var };
      return;
    case 'map':
      for (const access of earlier(['load', 'store', 'atomic', 'update', 'delete'] as const, f.access)) yield { ...f, access };
      for (const idx of optionalVar(f.idx)) yield { ...f, idx };
      for (const key of operand(f.key)) yield { ...f, key };
      for (const off of towards(f.off)) yield { ...f, off };
      for (const size of smallerSize(f.size, 1)) yield { ...f, size };
      for (const nullCheck of towards(f.nullCheck)) yield { ...f, nullCheck: nullCheck as 0 | 1 | 2 };
      for (const slack of towards(f.slack)) yield { ...f, slack };
      for (const bound of earlier(['and', 'jgt', 'jsgt'] as const, f.bound)) yield { ...f, bound };
      for (const atomic of earlier(ATOMICS, f.atomic)) yield { ...f, atomic };
      for (const map of towards(f.map)) yield { ...f, map };
      for (const dst of v(f.dst)) yield { ...f, dst: dst as Var };
      return;
    case 'if':
      for (const cmp of earlier(CMP_NAMES, f.cmp)) yield { ...f, cmp };
      if (f.j32) yield { ...f, j32: false };
      for (const b of operand(f.b)) yield { ...f, b };
      for (const a of v(f.a)) yield { ...f, a: a as Var };
      return;
    case 'loop':
      for (const bound of optionalVar(f.bound)) yield { ...f, bound };
      for (const n of towards(f.n, 1)) yield { ...f, n };
      return;
    case 'call':
      for (const sub of towards(f.sub)) yield { ...f, sub };
      for (const a of v(f.args[0])) yield { ...f, args: [a as Var, f.args[1]] };
      for (const a of v(f.args[1])) yield { ...f, args: [f.args[0], a as Var] };
      for (const dst of v(f.dst)) yield { ...f, dst: dst as Var };
      return;
  }
}

/** Shorter fragment lists, then each fragment unwrapped, its bodies shrunk, its fields simplified. */
export function* shrinkFrags(fs: readonly Frag[]): Generator<Frag[]> {
  const n = fs.length;
  if (n === 0) return;
  yield [];
  if (n > 2) { yield fs.slice(0, n >> 1); yield fs.slice(n >> 1); }
  if (n > 1) for (let i = 0; i < n; i++) yield without(fs, i);
  for (let i = 0; i < n; i++) {
    const f = fs[i]!;
    if (f.k === 'if') {
      yield replaced(fs, i, f.then);
      yield replaced(fs, i, f.else);
      for (const then of shrinkFrags(f.then)) yield replaced(fs, i, [{ ...f, then }]);
      for (const els of shrinkFrags(f.else)) yield replaced(fs, i, [{ ...f, else: els }]);
    } else if (f.k === 'loop') {
      yield replaced(fs, i, f.body);
      for (const body of shrinkFrags(f.body)) yield replaced(fs, i, [{ ...f, body }]);
    }
  }
  for (let i = 0; i < n; i++) for (const g of fields(fs[i]!)) yield replaced(fs, i, [g]);
}

function* mapShape(m: MapShape): Generator<MapShape> {
  if (m.kind !== 'array') yield { ...m, kind: 'array' };
  if (m.keySize !== 4) yield { ...m, keySize: 4 };
  for (const valueSize of towards(m.valueSize / 8, 1)) yield { ...m, valueSize: 8 * valueSize };
  for (const entries of towards(m.entries, 1)) yield { ...m, entries };
}

const CANONICAL_INIT = (dst: Var): Frag => ({ k: 'const', dst, value: 0n, how: 'mov64' });
const isCanonicalInit = (f: Frag): boolean => f.k === 'const' && f.value === 0n && f.how === 'mov64';

export function* shrinkShape(s: ProgramShape): Generator<ProgramShape> {
  for (let i = s.subs.length - 1; i >= 0; i--) yield { ...s, subs: without(s.subs, i) };
  for (const body of shrinkFrags(s.body)) yield { ...s, body };
  for (let i = 0; i < s.subs.length; i++)
    for (const body of shrinkFrags(s.subs[i]!.body)) yield { ...s, subs: replaced<SubShape>(s.subs, i, [{ body }]) };
  if (s.maps.length > 1) yield { ...s, maps: s.maps.slice(0, 1) };
  for (let v = 0; v < 3; v++) {
    const f = s.init[v]!;
    if (!isCanonicalInit(f)) {
      const init: ProgramShape['init'] = [...s.init];
      init[v] = CANONICAL_INIT(v as Var);
      yield { ...s, init };
    }
  }
  for (let i = 0; i < s.maps.length; i++) for (const m of mapShape(s.maps[i]!)) yield { ...s, maps: replaced(s.maps, i, [m]) };
  if (s.ret32) yield { ...s, ret32: false };
  if (s.ret !== 0) yield { ...s, ret: 0 };
}
