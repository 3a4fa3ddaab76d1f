/**
 * Reusable fast-check generators for eBPF programs and their inputs.
 *
 * - `programArb(opts)`: structured programs per type (socket_filter, xdp, sched_cls, kprobe) that a
 *   correct verifier mostly accepts: ALU with edge constants, packet bounds checks, map lookups with
 *   null checks, stack spills/fills and atomics, bounded loops, bpf-to-bpf calls, 32/64-bit mixes.
 * - `shapeArb(opts)` + `lowerShape(shape)`: the same, as a shrinkable description (drawn directly from
 *   fast-check's random stream, draw.ts; shrunk by shrink-shape.ts).
 * - `rawProgramArb`, `rawInsnArb`: random valid-encoding instructions.
 * - `mutatedProgramArb(base)`, `seedMutantArb(seeds)`, `loadSeedPrograms()`: mutational generation.
 * - `inputArb` + `materialize(program, input)`: packet, ctx, map contents, PRNG seed; `bytesArb` for their bytes.
 * - `modernProgramArb(opts)`: dynptrs, kfunc calls and BTF-typed pointers (modern.ts).
 */
export { Builder, type Label } from './builder.js';
export { IMM32_EDGES, IMM64_EDGES, SHIFT_EDGES, imm32Arb, imm64Arb, shiftArb } from './constants.js';
export { drawFrags, drawLeaf, drawInit, drawVar } from './fragments.js';
export { Draw } from './draw.js';
export { shrinkShape, shrinkFrags } from './shrink-shape.js';
export { bytesArb } from './bytes.js';
export { inputArb, materialize, hex, MIN_PACKET, type FuzzInput, type ConcreteInput, type MapFill, type MapFillInput } from './inputs.js';
export { lowerShape, shapeMaps } from './lower.js';
export { programArb, shapeArb, drawMapShape, type ShapeOptions } from './program.js';
export { rawInsnArb, rawProgramArb, mutationArb, mutateInsns, mutatedProgramArb, seedMutantArb, type Mutation } from './raw.js';
export { loadSeedPrograms, repoRoot } from './seeds.js';
export { MODERN_PROG_TYPES, lowerModern, modernBtf, modernProgramArb, modernShapeArb, type ModernBtf, type ModernFrag, type ModernProgType, type ModernShape } from './modern.js';
export * from './shape.js';
