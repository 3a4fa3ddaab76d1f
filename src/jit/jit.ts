/**
 * The JIT's public face: a loaded program whose code is WebAssembly. `Jit` mirrors the VM's
 * `Vm` (same RunInput, same RunResult, same maps and helpers, because the run is set up and
 * finished by the VM's own prepare/finish), plus compile figures.
 *
 * Mode is explicit: 'checked' tests every access as the VM does (the VM's faults, pcs and
 * step limit); 'trusted' is for programs the verifier accepted and skips per-access checks
 * and step counting, as the kernel's JIT does.
 */
import { InputError } from '../isa/errors.js';
import type { Program } from '../isa/program.js';
import { Vm, type RunInput, type RunOutcome, type RunResult, type VmOptions } from '../vm/vm.js';
import type { JitMode } from './memory.js';
import { JitRuntime } from './runtime.js';

export interface JitOptions extends VmOptions {
  /** 'checked' (every access checked like the VM) or 'trusted' (verifier-accepted programs only). */
  mode: JitMode;
  /**
   * Compile into this runtime (its memory, table and imports) instead of a fresh one: many
   * short-lived programs (tests, fuzzing) then share one WebAssembly.Memory. Its mode and step
   * limit win over `mode` / `maxSteps`.
   */
  runtime?: JitRuntime;
}

/** What compiling a program cost. */
export interface JitStats {
  mode: JitMode;
  /** Instruction slots compiled. */
  insns: number;
  /** Size of the generated wasm module (of the whole batch when compiled with others). */
  wasmBytes: number;
  /** Programs in the module (1 unless batch-compiled with JitRuntime.compile). */
  batch: number;
  /** ms to generate the wasm binary from eBPF. */
  genMs: number;
  /** ms for the host to compile and instantiate it (V8's baseline tier; the optimising tier follows in the background). */
  instantiateMs: number;
  /** genMs + instantiateMs. */
  compileMs: number;
  /** Subprograms, and how many needed the dispatch-loop fallback (irreducible control flow). */
  functions: number;
  dispatchFunctions: number;
}

export interface JitRunResult extends RunResult {
  jit: JitStats;
}

const DEFAULT_MAX_STEPS = 10_000_000;

export class Jit {
  readonly program: Program;
  readonly mode: JitMode;
  /** Sets up and finishes runs (maps, contexts, packets) exactly as for the interpreter. */
  readonly vm: Vm;
  readonly runtime: JitRuntime;
  readonly stats: JitStats;

  constructor(program: Program, opts: JitOptions) {
    if (opts.onStep) throw new InputError('unsupported', 'jit: per-instruction hooks (onStep) need the interpreter; use the VM');
    this.program = program;
    this.vm = new Vm(program, opts);
    this.runtime = opts.runtime ?? new JitRuntime({ mode: opts.mode, maxSteps: opts.maxSteps ?? DEFAULT_MAX_STEPS });
    this.mode = this.runtime.mode;
    const jm = this.runtime.module(program);
    this.stats = {
      mode: this.mode, insns: jm.gen.insns, wasmBytes: jm.bytes.length, genMs: jm.genMs,
      instantiateMs: jm.compileMs, compileMs: jm.genMs + jm.compileMs, batch: jm.batch,
      functions: jm.gen.layouts.length, dispatchFunctions: jm.gen.layouts.filter((l) => l === 'dispatch').length,
    };
  }

  /** Live map instances of the program (shared with the VM's setup). */
  get maps() { return this.vm.maps; }

  /** The generated module (for inspection: `WebAssembly.validate`, wasm2wat). */
  get wasm(): Uint8Array { return this.runtime.module(this.program).bytes; }

  run(input: RunInput = {}): JitRunResult {
    return this.runRepeated(input, 1);
  }

  /**
   * BPF_PROG_TEST_RUN's `repeat`: one setup, then the program `repeat` times on the same
   * context and maps (stopping at the first fault or error); `nsPerRun` times only the runs.
   */
  runRepeated(input: RunInput, repeat: number): JitRunResult & { nsPerRun: number } {
    const prepared = this.vm.prepare(input);
    let outcome: RunOutcome;
    const n = Math.max(1, Math.floor(repeat));
    const t0 = process.hrtime.bigint();
    let done = 0;
    try {
      let r = this.runtime.execute(prepared);
      for (done = 1; done < n; done++) r = this.runtime.execute(prepared);
      outcome = { r0: r.r0, steps: r.steps, maxDepth: r.maxDepth };
    } catch (e) {
      done++;
      outcome = { error: e, steps: this.runtime.steps(), maxDepth: this.runtime.depthMax.value as number };
    }
    const nsPerRun = Number(process.hrtime.bigint() - t0) / done;
    return { ...this.vm.finish(prepared, outcome), jit: this.stats, nsPerRun };
  }
}

/**
 * Runs the program loaded in `vm` once, its code compiled into `runtime` (once per program):
 * what `new Jit(vm.program, { runtime, maps: vm.maps }).run(input)` returns, on a VM the caller
 * keeps across runs and programs (Vm.rebind, Vm.load) instead of a new one per run -- a fuzzer
 * runs thousands of short programs, and building a VM (memory, stacks, register file, decoded
 * code) for each was a twentieth of the JIT oracle's time. The VM must have no onStep hook.
 */
export function runJitOnVm(vm: Vm, runtime: JitRuntime, input: RunInput = {}): RunResult {
  runtime.module(vm.program);
  const prepared = vm.prepare(input);
  let outcome: RunOutcome;
  try {
    const r = runtime.execute(prepared);
    outcome = { r0: r.r0, steps: r.steps, maxDepth: r.maxDepth };
  } catch (e) {
    outcome = { error: e, steps: runtime.steps(), maxDepth: runtime.depthMax.value as number };
  }
  return vm.finish(prepared, outcome);
}

/** Compiles `program` to WebAssembly and loads it (maps created from its specs unless opts.maps). */
export function compileProgram(program: Program, opts: JitOptions): Jit {
  return new Jit(program, opts);
}

/** Compiles and runs `program` once: the JIT's counterpart of the VM's `runProgram`. */
export function runJit(program: Program, input: RunInput = {}, opts: JitOptions = { mode: 'checked' }): JitRunResult {
  return new Jit(program, opts).run(input);
}

/** What `bpflab run --engine jit` uses: the JIT behind the VM's runner shape ({ maps, run }). */
export function createJitRunner(program: Program, opts: Partial<JitOptions> = {}): Jit {
  return new Jit(program, { ...opts, mode: opts.mode ?? 'checked' });
}
