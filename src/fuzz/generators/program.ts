/** Structured program generation: shapes per program type, lowered to Programs. */
import fc from 'fast-check';
import type { Program } from '../../isa/program.js';
import { fragsArb, initArb, varArb } from './fragments.js';
import { lowerShape } from './lower.js';
import { FUZZ_PROG_TYPES, type FuzzProgType, type MapShape, type ProgramShape } from './shape.js';

export interface ShapeOptions {
  /** Program types to generate (default: socket_filter, xdp, sched_cls, kprobe). */
  types?: readonly FuzzProgType[];
  /** Most fragments in the main body (default 12). */
  maxFragments?: number;
  /** Nesting depth of if/loop bodies (default 2). */
  depth?: number;
  /** Most bpf-to-bpf subprograms (default 2). */
  maxSubs?: number;
}

export const mapShapeArb: fc.Arbitrary<MapShape> = fc.record({
  kind: fc.constantFrom<MapShape['kind']>('array', 'array', 'hash', 'percpu_array', 'lru_hash'),
  keySize: fc.constantFrom<4 | 8>(4, 8),
  valueSize: fc.constantFrom(8, 16, 24, 32, 48, 64),
  entries: fc.integer({ min: 1, max: 16 }),
});

export function shapeArb(opts: ShapeOptions = {}): fc.Arbitrary<ProgramShape> {
  const types = opts.types ?? FUZZ_PROG_TYPES;
  const maxFragments = opts.maxFragments ?? 12;
  const depth = opts.depth ?? 2;
  const maxSubs = opts.maxSubs ?? 2;
  // The per-type arbitraries are built once, not per generated program (building them is most of
  // fast-check's cost otherwise); arbitraries are stateless, so the programs drawn are the same.
  const byType = new Map<FuzzProgType, fc.Arbitrary<ProgramShape>>();
  const forType = (type: FuzzProgType): fc.Arbitrary<ProgramShape> => {
    let a = byType.get(type);
    if (!a) {
      a = fc.record({
        type: fc.constant(type),
        maps: fc.array(mapShapeArb, { minLength: 1, maxLength: 2 }),
        init: fc.tuple(initArb(type, 0), initArb(type, 1), initArb(type, 2)),
        body: fragsArb(type, depth, maxFragments, maxSubs > 0),
        subs: fc.array(fc.record({ body: fragsArb(type, 1, Math.max(1, maxFragments >> 1), true) }), { maxLength: maxSubs }),
        ret: varArb,
        ret32: fc.boolean(),
      });
      byType.set(type, a);
    }
    return a;
  };
  return fc.constantFrom(...types).chain(forType);
}

/** Programs the verifier should mostly accept, exercising its main mechanisms. */
export function programArb(opts: ShapeOptions = {}): fc.Arbitrary<Program> {
  return shapeArb(opts).map((s) => lowerShape(s));
}
