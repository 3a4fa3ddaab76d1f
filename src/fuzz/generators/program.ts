/** Structured program generation: shapes per program type, lowered to Programs. */
import fc from 'fast-check';
import type { Program } from '../../isa/program.js';
import { Draw, generatedMax } from './draw.js';
import { drawFrags, drawInit, drawVar } from './fragments.js';
import { lowerShape } from './lower.js';
import { FUZZ_PROG_TYPES, type FuzzProgType, type MapShape, type ProgramShape } from './shape.js';
import { shrinkShape } from './shrink-shape.js';

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

const MAP_KINDS: readonly MapShape['kind'][] = ['array', 'array', 'hash', 'percpu_array', 'lru_hash'];
const VALUE_SIZES = [8, 16, 24, 32, 48, 64];

export function drawMapShape(d: Draw): MapShape {
  return { kind: d.pick(MAP_KINDS), keySize: d.bool() ? 8 : 4, valueSize: d.pick(VALUE_SIZES), entries: d.int(1, 16) };
}

/**
 * Program shapes, drawn in one pass from fast-check's random stream (see draw.ts) and shrunk by
 * shrink-shape.ts: fast-check still runs the property, replays a seed and drives shrinking.
 */
class ShapeArbitrary extends fc.Arbitrary<ProgramShape> {
  constructor(private readonly types: readonly FuzzProgType[], private readonly maxFragments: number, private readonly depth: number, private readonly maxSubs: number) {
    super();
  }

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<ProgramShape> {
    const d = new Draw(mrng, biasFactor);
    const type = d.pick(this.types);
    const maps: MapShape[] = [];
    const nMaps = d.length(1, 2);
    d.items(() => { for (let i = 0; i < nMaps; i++) maps.push(drawMapShape(d)); });
    const init: ProgramShape['init'] = [drawInit(d, type, 0), drawInit(d, type, 1), drawInit(d, type, 2)];
    const body = drawFrags(d, type, this.depth, this.maxFragments, this.maxSubs > 0);
    const subs: ProgramShape['subs'] = [];
    const nSubs = d.length(0, generatedMax(this.maxSubs));
    d.items(() => { for (let i = 0; i < nSubs; i++) subs.push({ body: drawFrags(d, type, 1, Math.max(1, this.maxFragments >> 1), true) }); });
    return new fc.Value({ type, maps, init, body, subs, ret: drawVar(d), ret32: d.bool() }, undefined);
  }

  canShrinkWithoutContext(value: unknown): value is ProgramShape {
    const s = value as ProgramShape;
    return typeof value === 'object' && value !== null && Array.isArray(s.body) && Array.isArray(s.subs) && Array.isArray(s.maps) && this.types.includes(s.type);
  }

  shrink(value: ProgramShape): fc.Stream<fc.Value<ProgramShape>> {
    return new fc.Stream(shrinkShape(value)).map((s) => new fc.Value(s, undefined));
  }
}

export function shapeArb(opts: ShapeOptions = {}): fc.Arbitrary<ProgramShape> {
  return new ShapeArbitrary(opts.types ?? FUZZ_PROG_TYPES, opts.maxFragments ?? 12, opts.depth ?? 2, opts.maxSubs ?? 2);
}

/** Programs the verifier should mostly accept, exercising its main mechanisms. */
export function programArb(opts: ShapeOptions = {}): fc.Arbitrary<Program> {
  return shapeArb(opts).map((s) => lowerShape(s));
}
