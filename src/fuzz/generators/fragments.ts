/**
 * Program fragments (see shape.ts), drawn per program type. Weights favour what stresses a
 * verifier: ALU with edge constants, bounds checks, null checks, spills, loops and calls; near
 * misses (`slack`, missing null checks, bad shifts) are kept rare so most programs are accepted
 * and reach the oracles that run them.
 *
 * The fragments are drawn directly from the random stream (draw.ts), not composed from
 * fast-check arbitraries; shrink-shape.ts shrinks them.
 */
import { IMM32_EDGES, IMM64_EDGES, SHIFT_EDGES } from './constants.js';
import { type Draw, cumulative, generatedMax } from './draw.js';
import type { AluName, AtomicName, CmpName, Frag, FuzzProgType, Operand, Size, Var } from './shape.js';
import { TYPE_SPECS } from './shape.js';

export const ALU_NAMES: readonly AluName[] = ['add', 'sub', 'mul', 'div', 'sdiv', 'mod', 'smod', 'or', 'and', 'lsh', 'rsh', 'arsh', 'xor', 'mov'];
export const CMP_NAMES: readonly CmpName[] = ['jeq', 'jne', 'jset', 'jgt', 'jge', 'jlt', 'jle', 'jsgt', 'jsge', 'jslt', 'jsle'];
export const ATOMICS: readonly AtomicName[] = ['add', 'or', 'and', 'xor', 'fadd', 'for', 'fand', 'fxor', 'xchg', 'cmpxchg'];
const VARS: readonly Var[] = [0, 1, 2];
const SIZES: readonly Size[] = [1, 2, 4, 8];
const HELPER_MASKS = [0, 0, 0xff, 0xffff, 0x3f, 7];
const PACKET_MASKS = [0xff, 0x3f, 0xf, 0x1ff, 0x7];
const LDABS_FAR = [-0x100000, -0x200000, 0x7fffffff];
const MAP_ACCESS = ['load', 'load', 'store', 'atomic', 'update', 'delete'] as const;
const MAP_BOUND = ['and', 'jgt', 'jsgt'] as const;
const CONST_HOW = ['mov32', 'mov64', 'ld64'] as const;
const END_KIND = ['le', 'be', 'bswap'] as const;
const END_BITS = [16, 32, 64] as const;
const MOVSX_BITS = [8, 16, 32] as const;

const IMM32_W = cumulative([3, 1, 1]);
const IMM64_W = cumulative([2, 1, 1]);
const SHIFT_W = cumulative([8, 4, 1]);
const NEAR_MISS_W = cumulative([24, 1]);
const NULL_CHECK_W = cumulative([20, 1]);
const ATOMIC_SPILL_W = cumulative([3, 1]);

export const drawVar = (d: Draw): Var => d.pick(VARS);

/** Edge constants most of the time, else any 32-bit value or a small one. */
export function drawImm32(d: Draw): number {
  switch (d.weighted(IMM32_W)) {
    case 0: return d.pick(IMM32_EDGES);
    case 1: return d.int(-0x80000000, 0x7fffffff);
    default: return d.int(-16, 300);
  }
}

export function drawImm64(d: Draw): bigint {
  switch (d.weighted(IMM64_W)) {
    case 0: return d.pick(IMM64_EDGES);
    case 1: return d.int64();
    default: return BigInt(drawImm32(d));
  }
}

/** Mostly valid shift amounts; 64 (and 32 for 32-bit shifts) now and then. */
function drawShift(d: Draw): number {
  switch (d.weighted(SHIFT_W)) {
    case 0: return d.pick(SHIFT_EDGES);
    case 1: return d.int(0, 31);
    default: return d.bool() ? 64 : -1;
  }
}

/** A rare "make it wrong" switch: 1 in 25. */
const nearMiss = (d: Draw): number => d.weighted(NEAR_MISS_W);
/** A Var, or null one time in `freq` (fast-check's option). */
const optionVar = (d: Draw, freq: number): Var | null => (d.uniform(1, freq) === 1 ? null : drawVar(d));
const operand = (d: Draw): Operand => (d.bool() ? { imm: drawImm32(d) } : { reg: drawVar(d) });

function drawAlu(d: Draw): Frag {
  const op = d.pick(ALU_NAMES);
  const w32 = d.bool();
  const dst = drawVar(d);
  const src = operand(d);
  if ('imm' in src && (op === 'lsh' || op === 'rsh' || op === 'arsh')) {
    // constant shifts >= the width are rejected by the verifier: keep them rare
    const shift = drawShift(d);
    const imm = nearMiss(d) ? shift : w32 ? shift & 31 : shift & 63;
    return { k: 'alu', op, w32, dst, src: { imm } };
  }
  if ('imm' in src && src.imm === 0 && (op === 'div' || op === 'sdiv' || op === 'mod' || op === 'smod') && !nearMiss(d))
    return { k: 'alu', op, w32, dst, src: { imm: 3 } };
  return { k: 'alu', op, w32, dst, src };
}

/** A scalar source into `dst`: a constant, a helper result or (where the type has some) a ctx field. */
function drawScalar(d: Draw, type: FuzzProgType, dst: Var): Frag {
  const kinds = TYPE_SPECS[type].ctxLoads.length > 0 ? 3 : 2;
  switch (d.uniform(0, kinds - 1)) {
    case 0: return { k: 'const', dst, value: drawImm64(d), how: d.pick(CONST_HOW) };
    case 1: return { k: 'helper', dst, fn: d.int(0, 7), mask: d.pick(HELPER_MASKS) };
    default: return { k: 'ctx', dst, field: d.int(0, 63), narrow: d.int(0, 15), viaSpill: d.bool() };
  }
}

/** Leaf kinds and their weights, per program type. */
type LeafKind = 'alu' | 'neg' | 'scalar' | 'movsx' | 'end' | 'spill' | 'map' | 'packet' | 'ldabs' | 'skbLoad' | 'ctxStore';
const leafTables = new Map<FuzzProgType, { kinds: LeafKind[]; cum: number[] }>();
function leafTable(type: FuzzProgType): { kinds: LeafKind[]; cum: number[] } {
  let t = leafTables.get(type);
  if (t) return t;
  const spec = TYPE_SPECS[type];
  const w: [LeafKind, number][] = [['alu', 10], ['neg', 1], ['scalar', 3], ['movsx', 1], ['end', 1], ['spill', 3], ['map', 4]];
  if (spec.packet) w.push(['packet', 5]);
  if (spec.ldAbs) w.push(['ldabs', 2]);
  if (spec.skbLoadBytes) w.push(['skbLoad', 2]);
  if (spec.ctxStores.length > 0) w.push(['ctxStore', 1]);
  t = { kinds: w.map((x) => x[0]), cum: cumulative(w.map((x) => x[1])) };
  leafTables.set(type, t);
  return t;
}

/** A fragment without nested bodies. */
export function drawLeaf(d: Draw, type: FuzzProgType): Frag {
  const t = leafTable(type);
  switch (t.kinds[d.weighted(t.cum)]!) {
    case 'alu': return drawAlu(d);
    case 'neg': return { k: 'neg', w32: d.bool(), dst: drawVar(d) };
    case 'scalar': return drawScalar(d, type, drawVar(d));
    case 'movsx': return { k: 'movsx', dst: drawVar(d), src: drawVar(d), bits: d.pick(MOVSX_BITS), w32: d.bool() };
    case 'end': return { k: 'end', dst: drawVar(d), kind: d.pick(END_KIND), bits: d.pick(END_BITS) };
    case 'spill':
      return { k: 'spill', src: drawVar(d), dst: drawVar(d), slot: d.int(0, 4), size: d.pick(SIZES), sx: d.bool(), atomic: d.weighted(ATOMIC_SPILL_W) === 0 ? null : d.pick(ATOMICS) };
    case 'map':
      return {
        k: 'map', map: d.int(0, 3), key: d.bool() ? { reg: drawVar(d) } : { imm: d.int(0, 20) }, dst: drawVar(d), access: d.pick(MAP_ACCESS),
        off: d.int(0, 63), size: d.pick(SIZES), idx: optionVar(d, 6), bound: d.pick(MAP_BOUND), slack: nearMiss(d),
        nullCheck: d.weighted(NULL_CHECK_W) === 0 ? (d.bool() ? 1 : 0) : 2, atomic: d.pick(ATOMICS),
      };
    case 'packet':
      return {
        k: 'packet', dst: drawVar(d), len: d.int(1, 64), off: d.int(0, 63), size: d.pick(SIZES), write: d.bool(),
        idx: optionVar(d, 2), mask: d.pick(PACKET_MASKS), form: d.int(0, 3), slack: nearMiss(d),
      };
    case 'ldabs':
      return { k: 'ldabs', dst: drawVar(d), off: d.bool() ? d.int(0, 80) : d.pick(LDABS_FAR), size: d.pick([1, 2, 4] as const), ind: optionVar(d, 6) };
    case 'skbLoad':
      return { k: 'skbLoad', dst: drawVar(d), off: d.bool() ? { reg: drawVar(d) } : { imm: d.int(0, 100) }, len: d.int(1, 32), at: d.int(0, 31), size: d.pick(SIZES) };
    case 'ctxStore':
      return { k: 'ctxStore', field: d.int(0, 15), src: drawVar(d) };
  }
}

const FRAG_W = {
  nested: cumulative([12, 3, 1]), nestedCalls: cumulative([12, 3, 1, 1]), flatCalls: cumulative([12, 0, 0, 1]),
};

/** Fragment lists up to `depth` levels of nested if/loop bodies. `calls`: emit bpf-to-bpf calls. */
export function drawFrags(d: Draw, type: FuzzProgType, depth: number, maxLength: number, calls: boolean): Frag[] {
  const n = d.length(0, generatedMax(maxLength));
  return d.items(() => {
    const out: Frag[] = [];
    for (let i = 0; i < n; i++) out.push(drawFrag(d, type, depth, maxLength, calls));
    return out;
  });
}

function drawFrag(d: Draw, type: FuzzProgType, depth: number, maxLength: number, calls: boolean): Frag {
  const cum = depth > 0 ? (calls ? FRAG_W.nestedCalls : FRAG_W.nested) : calls ? FRAG_W.flatCalls : null;
  switch (cum ? d.weighted(cum) : 0) {
    case 0: return drawLeaf(d, type);
    case 1: {
      const half = Math.max(1, maxLength >> 1);
      return {
        k: 'if', cmp: d.pick(CMP_NAMES), j32: d.bool(), a: drawVar(d), b: operand(d),
        then: drawFrags(d, type, depth - 1, half, calls), else: drawFrags(d, type, depth - 1, half, calls),
      };
    }
    case 2: return { k: 'loop', n: d.int(1, 6), bound: optionVar(d, 6), body: drawFrags(d, type, 0, 3, calls) };
    default: return { k: 'call', sub: d.int(0, 3), args: [drawVar(d), drawVar(d)], dst: drawVar(d) };
  }
}

/** An initialiser of variable `v`: a constant, a ctx field or a helper result. */
export function drawInit(d: Draw, type: FuzzProgType, v: Var): Frag {
  return drawScalar(d, type, v);
}
