/**
 * Running a program on the checked VM or the JIT with a fuzz input: maps created from the
 * program's specs and filled, the run, and the maps' contents read back, so two engines can be
 * compared on everything a program can change.
 */
import { InputError } from '../isa/errors.js';
import { mapToObjects, type Program } from '../isa/program.js';
import { createMap } from '../runtime/maps/create.js';
import { possibleCpus } from '../kernel/maps.js';
import { type BpfMap, MapError } from '../runtime/maps/types.js';
import { type RunInput, type RunResult, Vm, type VmOptions } from '../vm/index.js';
import { VmError } from '../runtime/errors.js';
import { type ConcreteInput, hex } from './generators/inputs.js';
import type { JitRuntime } from '../jit/index.js';

/**
 * How a run ended, with the maps afterwards ("map0 key=value" lines), or why it could not start
 * (`error`: the VmError when the engine refused the program itself, e.g. a dangling map reference).
 */
export type EngineRun = { ok: true; res: RunResult; maps: string[]; mapInstances?: readonly BpfMap[] } | { ok: false; reason: string; error?: VmError };

/** An engine: the VM, the JIT, or a wrapper around either (tests plant bugs this way). */
export type Engine = (program: Program, input: ConcreteInput, opts: EngineOptions) => EngineRun;

export interface EngineOptions {
  maxSteps: number;
  /** false: the caller does not read the packet and ctx after the run (RunInput.outputs); engines may leave them out. */
  outputs?: boolean;
}

export function runInput(ci: ConcreteInput, outputs = true): RunInput {
  const r: RunInput = { seed: ci.seed };
  if (!outputs) r.outputs = false;
  if (ci.packet) r.packet = ci.packet;
  if (ci.ctx) r.ctx = ci.ctx;
  return r;
}

/**
 * Creates the program's maps and fills them (entries a map refuses, e.g. when full, are skipped).
 * A map the runtime cannot create (a type bpflab does not model, e.g. sockmap) makes the program
 * unrunnable here: an InputError, as for any program an engine cannot start.
 */
export function makeMaps(program: Program, ci: ConcreteInput): BpfMap[] {
  const maps = mapToObjects(program.maps, (spec) => {
    let m: BpfMap;
    // (the program runs on one CPU of a machine with the host's possible CPUs: they size the LRU
    // maps' per-CPU lists, hence their evictions, which the kernel oracle compares)
    try { m = createMap(spec, { cpus: 1, possibleCpus: possibleCpus() }); } catch (e) {
      if (e instanceof MapError) throw new InputError('map_unsupported', e.message);
      throw e;
    }
    if (spec.initial) m.update(new Uint8Array(spec.keySize), spec.initial.subarray(0, spec.valueSize));
    return m;
  });
  for (const f of ci.fills) {
    try { maps[f.map]?.update(f.key, f.value, 0); } catch { /* full hash map, bad key: the input just has fewer entries */ }
  }
  return maps;
}

/** Every map's entries, in iteration order, as text (array/hash families; others by count). */
export function dumpMaps(maps: readonly BpfMap[]): string[] {
  const out: string[] = [];
  maps.forEach((m, i) => {
    const name = m.spec.name || `map${i}`;
    let key: Uint8Array | undefined;
    try {
      let n = 0;
      for (key = m.nextKey(null); key && n < 4096; key = m.nextKey(key), n++) {
        let v: string;
        try { v = hex(m.lookup(key)); } catch { v = '?'; }
        out.push(`${name} ${hex(key)}=${v}`);
      }
    } catch {
      out.push(`${name} count=${m.count()}`);
    }
  });
  return out;
}

/**
 * A finished run whose map listing is made when first read: only the oracles that compare maps
 * (jit, kernel) pay for it, not sanitize. Nothing touches the maps after the run.
 */
function ranWith(res: RunResult, maps: readonly BpfMap[]): EngineRun {
  return new FinishedRun(res, maps);
}

/** A finished run (a class, not an object literal with a getter: V8 builds those slowly, once per run). */
class FinishedRun {
  readonly ok = true as const;
  private lines: string[] | undefined;
  constructor(readonly res: RunResult, readonly mapInstances: readonly BpfMap[]) {}
  get maps(): string[] { return (this.lines ??= dumpMaps(this.mapInstances)); }
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

/**
 * Whether two runs' maps would list the same (dumpMaps) without writing the listings: the same
 * names, keys in the same order and the same values, up to dumpMaps' 4,096 entries a map. False
 * when they differ or when unsure (a map that cannot be walked): the caller compares the listings.
 */
export function sameMapContents(a: readonly BpfMap[], b: readonly BpfMap[]): boolean {
  if (a.length !== b.length) return false;
  try {
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!, y = b[i]!;
      if ((x.spec.name || '') !== (y.spec.name || '')) return false;
      let kx = x.nextKey(null), ky = y.nextKey(null);
      for (let n = 0; n < 4096 && (kx || ky); n++) {
        if (!kx || !ky || !sameBytes(kx, ky) || !sameBytes(x.lookup(kx), y.lookup(ky))) return false;
        kx = x.nextKey(kx);
        ky = y.nextKey(ky);
      }
    }
    return true;
  } catch {
    return false;
  }
}

/** Exceptions that mean "this engine cannot run this program" rather than "it ran and ended so". */
export function unrunnable(e: unknown): string | null {
  if (e instanceof InputError) return e.message;
  if (e instanceof VmError) return e.message;
  return null;
}

/**
 * The VM of the last program run, kept for the next: the next input of the same program (oracles
 * run a case's inputs one after another) keeps its predecoded code and gets fresh maps
 * (Vm.rebind); another program is loaded into it (Vm.load), reusing its memory and buffers.
 */
let lastVm: { program: Program; maxSteps: number; vm: Vm } | null = null;

/** The checked VM. */
export const vmEngine: Engine = (program, ci, opts) => {
  let vm: Vm;
  try {
    const maps = makeMaps(program, ci);
    if (lastVm && lastVm.maxSteps === opts.maxSteps) {
      vm = lastVm.vm;
      if (lastVm.program === program) vm.rebind(maps);
      else { vm.load(program, maps); lastVm.program = program; }
    } else {
      vm = new Vm(program, { maxSteps: opts.maxSteps, maps });
      lastVm = { program, maxSteps: opts.maxSteps, vm };
    }
  } catch (e) {
    const why = unrunnable(e);
    if (why !== null) return e instanceof VmError ? { ok: false, reason: why, error: e } : { ok: false, reason: why };
    throw e;
  }
  try {
    const res = vm.run(runInput(ci, opts.outputs));
    return ranWith(res, vm.maps);
  } catch (e) {
    const why = unrunnable(e);
    if (why !== null) return { ok: false, reason: why };
    throw e;
  }
};

/**
 * The shape of the JIT's entry point (src/jit/index.ts runJit): the VM's inputs, options and
 * result; `runtime` compiles into a shared JitRuntime (its memory, table and compiled programs).
 */
export type RunJit = (program: Program, input: RunInput, opts: VmOptions & { mode: 'checked' | 'trusted'; runtime?: JitRuntime }) => RunResult;

/** Makes a JitRuntime (src/jit's class, loaded with runJit). */
export type NewJitRuntime = (opts: { mode: 'checked'; maxSteps: number }) => JitRuntime;

/** Runs the program loaded in a VM on the JIT (src/jit runJitOnVm): the VM's setup, code compiled into `runtime`. */
export type RunJitOnVm = (vm: Vm, runtime: JitRuntime, input: RunInput) => RunResult;

let jitLoad: Promise<RunJit | string> | null = null;
let jitRuntimeClass: NewJitRuntime | null = null;
let jitOnVm: RunJitOnVm | null = null;

/**
 * Loads the JIT's `runJit` lazily (it is another helper's module, and the CLI should not pay for
 * it unless the jit oracle runs). Resolves to the function or to why it is unavailable.
 */
export function loadJit(): Promise<RunJit | string> {
  jitLoad ??= (async () => {
    const spec = '../jit/index.js';
    try {
      const mod = (await import(spec)) as Record<string, unknown>;
      const f = mod['runJit'];
      const R = mod['JitRuntime'];
      if (typeof R === 'function') jitRuntimeClass = (o) => new (R as new (o: { mode: 'checked'; maxSteps: number }) => JitRuntime)(o);
      if (typeof mod['runJitOnVm'] === 'function') jitOnVm = mod['runJitOnVm'] as RunJitOnVm;
      return typeof f === 'function' ? (f as RunJit) : 'src/jit/index.ts exports no runJit';
    } catch (e) {
      return `the JIT did not load (${(e as Error).message.split('\n')[0]})`;
    }
  })();
  return jitLoad;
}

/**
 * Distinct programs compiled into one shared JitRuntime before it is replaced. Its table only
 * grows, and V8 (Node 20) keeps every instance that imported the table alive with it and updates
 * each one's copy of it on every Table.grow and Table.set: compiling a program costs time in
 * proportion to the programs compiled into the runtime before it (about 0.1 ms per program on
 * average at 512). A fresh runtime costs about a millisecond (its host module and trampoline),
 * so the sum is smallest around 64.
 */
const RUNTIME_PROGRAMS = 64;

/**
 * An Engine over a RunJit function. With `newRuntime` (by default the JIT's own JitRuntime, once
 * loadJit has loaded it) the runs share a runtime per step limit: a program is compiled to wasm
 * once for all its inputs (not once per input), and the runtime's memory, table and trampoline
 * are not built again for every run; the program before is released from it.
 */
export function jitEngine(runJit: RunJit, newRuntime: NewJitRuntime | null = jitRuntimeClass, onVm: RunJitOnVm | null = jitOnVm): Engine {
  const shared = new Map<number, { runtime: JitRuntime; last: Program | null; programs: number }>();
  /** With a shared runtime: the VM that sets up the runs, kept across inputs and programs as vmEngine keeps its own. */
  let kept: { vm: Vm; program: Program } | null = null;
  const runtimeFor = (program: Program, maxSteps: number): JitRuntime | undefined => {
    if (!newRuntime) return undefined;
    let r = shared.get(maxSteps);
    // A program with a prog_array may have had tail-call targets compiled in too, which release()
    // does not reach (and a later run would try to prepare): such a runtime is not shared further.
    const fresh = !r || (r.last !== program && (r.programs >= RUNTIME_PROGRAMS || (r.last?.maps.some((m) => m.type === 'prog_array') ?? false)));
    if (!r || fresh) shared.set(maxSteps, (r = { runtime: newRuntime({ mode: 'checked', maxSteps }), last: null, programs: 0 }));
    if (r.last !== program) {
      if (r.last) r.runtime.release(r.last);
      r.last = program;
      r.programs++;
    }
    return r.runtime;
  };
  return (program, ci, opts) => {
    let maps: BpfMap[];
    try { maps = makeMaps(program, ci); } catch (e) {
      const why = unrunnable(e);
      if (why !== null) return { ok: false, reason: why };
      throw e;
    }
    try {
      const runtime = runtimeFor(program, opts.maxSteps);
      if (runtime && onVm) {
        // A program the VM refuses to load leaves the kept VM as it was (Vm.load), and is what runJit would throw.
        if (kept?.program === program) kept.vm.rebind(maps);
        else if (kept) { kept.vm.load(program, maps); kept.program = program; }
        else kept = { vm: new Vm(program, { maps, maxSteps: opts.maxSteps }), program };
        return ranWith(onVm(kept.vm, runtime, runInput(ci)), maps);
      }
      const res = runJit(program, runInput(ci), { mode: 'checked', maxSteps: opts.maxSteps, maps, ...(runtime && { runtime }) });
      return ranWith(res, maps);
    } catch (e) {
      const why = unrunnable(e);
      if (why !== null) return { ok: false, reason: why };
      throw e;
    }
  };
}
