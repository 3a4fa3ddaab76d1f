/**
 * Kernel objects for running tracing programs: a typed world of tasks, files, dentries,
 * sockets, ... laid out by the kernel BTF (world.ts), described in JSON (description.ts) over a
 * default world (default-world.ts), the argument slots of BTF-typed contexts (tracing-args.ts).
 */
import { InputError } from '../../isa/errors.js';
import type { Program } from '../../isa/program.js';
import type { HelperEnv } from '../env.js';
import type { WorldDescription } from './description.js';
import { instantiateWorld, taskOfWorld, worldBtf } from './instance.js';
import { addTracingContext, attachTarget, fillKprobeRegs, fillRawTpArgs, hasBtfContext, iterObjects, tracingArgs } from './tracing-args.js';
import { WorldError } from './world.js';

export { parseWorldJson, parseWorldDescription, mergeWorlds, type WorldDescription, type ObjectDescription, type FieldValue } from './description.js';
export { KernelWorld, WorldError, buildWorld, dentryPath, findStructType, type KernelObject } from './world.js';
export { defaultWorld, DEFAULT_FILE_PATH, DEFAULT_EXEC_PATH } from './default-world.js';
export { kernelWorld, instantiateWorld, taskOfWorld, worldBtf } from './instance.js';
export { tracingTestRunRetval } from './test-run.js';
export { hasBtfContext, attachTarget, iterObjects, tracingArgs, addTracingContext, type IterStep } from './tracing-args.js';

/** What a run says about the kernel world (RunInput's part of it). */
export interface KernelRunInput {
  kernelObjects?: WorldDescription;
  /** The context bytes given explicitly (they replace the arguments built from the world). */
  ctx?: Uint8Array;
  /** Iterator programs: which step of the iteration this run is (0, 1, ...; past the last object: the final NULL call). */
  iterStep?: number;
}

/**
 * Sets up the kernel side of a run: builds the world when the program's context is BTF-typed or
 * the run was given a description, and for BTF-typed programs adds the argument slots as the
 * ctx region; returns that region (0 when the program's context is not BTF-typed). A bad
 * description is an InputError naming the object and field.
 */
export function prepareKernelRun(env: HelperEnv, program: Program, input: KernelRunInput, expectedAttachType: number | undefined, wantCtx: boolean): number {
  const btfCtx = hasBtfContext(program, expectedAttachType);
  if (input.kernelObjects) env.kernelObjects = input.kernelObjects;
  if (!btfCtx && !input.kernelObjects) return 0;
  const btf = worldBtf(program.targetBtf);
  if (typeof btf === 'string') throw new InputError('unsupported', `kernel objects need the kernel BTF: ${btf}`);
  try {
    const w = instantiateWorld(env.mem, btf, env.task, input.kernelObjects);
    env.kernel = w;
    env.task = taskOfWorld(w, env.task);
    env.mem.probeLoads = true;
    if (program.type === 'kprobe' && env.ctxRegion && !input.ctx) fillKprobeRegs(w, program, env.mem.bytes[env.ctxRegion]!, input.kernelObjects?.args, input.kernelObjects?.ret);
    if ((program.type === 'raw_tracepoint' || program.type === 'raw_tracepoint_writable') && env.ctxRegion && !input.ctx) fillRawTpArgs(w, program, env.mem.bytes[env.ctxRegion]!, input.kernelObjects?.args);
    if (!btfCtx || !wantCtx) return 0;
    if (input.ctx) return addTracingContext(env.mem, input.ctx.slice());
    const t = attachTarget(w, { ...program, expectedAttachType: expectedAttachType ?? program.expectedAttachType ?? 0 });
    if (typeof t === 'string') throw new InputError('unsupported', `${program.name}: ${t}`);
    const step = input.iterStep;
    const iter = t.iter ? { seqNum: step ?? 0, object: iterObjects(w, t)[step ?? 0] } : undefined;
    return addTracingContext(env.mem, tracingArgs(w, t, input.kernelObjects?.args, input.kernelObjects?.ret, iter));
  } catch (e) {
    if (e instanceof WorldError) throw new InputError('kernel_objects', `kernel objects: ${e.message}`);
    throw e;
  }
}

/** How many objects an iterator program visits in this world (the run after the last is the final NULL call). */
export function iterLength(program: Program, desc: WorldDescription | undefined, taskDefaults: Parameters<typeof instantiateWorld>[2], mem: Parameters<typeof instantiateWorld>[0]): number {
  const btf = worldBtf(program.targetBtf);
  if (typeof btf === 'string') throw new InputError('unsupported', `kernel objects need the kernel BTF: ${btf}`);
  try {
    const w = instantiateWorld(mem, btf, taskDefaults, desc);
    const t = attachTarget(w, program);
    if (typeof t === 'string' || !t.iter) return 0;
    return iterObjects(w, t).length;
  } catch (e) {
    if (e instanceof WorldError) throw new InputError('kernel_objects', `kernel objects: ${e.message}`);
    throw e;
  }
}
