/**
 * One program loaded once, with its maps, and test-run on many inputs: what `runInKernel` does
 * per input (create the maps, load, run, read back, close) costs a BPF_PROG_LOAD and a
 * BPF_MAP_CREATE per map for every input. Here the verdict's load serves every run, and the maps
 * are put back to their created state between runs (array values zeroed, hash entries deleted,
 * from what the previous run's read-back showed). Maps that cannot be reset this way (other types,
 * global data with initial contents, frozen maps) make `reusable` false: run with runInKernel then.
 */
import type { Program } from '../isa/program.js';
import { InputError } from '../isa/errors.js';
import type { KernelMap } from './maps.js';
import { type KernelRunResult, type MapFill, type ProgLoadOptions, type ProgLoadResult, type TestRunOptions, createProgramMaps, progLoad, progTestRun } from './prog.js';
import { closeFd } from './syscall.js';

const ARRAYS = new Set(['array', 'percpu_array']);
// (not the LRU hashes: deleting their entries does not give back a fresh map's LRU lists, which decide evictions)
const HASHES = new Set(['hash', 'percpu_hash']);

export class LoadedProgram {
  /** Whether runs can share this load (every map resettable); false: use runInKernel per input. */
  readonly reusable: boolean;
  /** What the previous run left in each map (keys and values as read back), to undo before the next. */
  private dirty: Array<Array<[Uint8Array, Uint8Array]>> = [];
  private closed = false;

  private constructor(readonly program: Program, readonly load: ProgLoadResult, private readonly maps: KernelMap[]) {
    this.reusable = load.fd !== null && program.maps.every((m) => !m.initial && !m.readonly && (ARRAYS.has(m.type) || HASHES.has(m.type)));
  }

  /** BPF_PROG_LOAD with maps created for the program (kept for the runs); InputError as progLoad. */
  static load(program: Program, opts: Omit<ProgLoadOptions, 'maps'> = {}): LoadedProgram {
    const maps = createProgramMaps(program, opts.btf === false ? { btf: false } : {});
    try {
      return new LoadedProgram(program, progLoad(program, { ...opts, maps }), maps);
    } catch (e) {
      for (const m of maps) m.close();
      throw e;
    }
  }

  /** Test-runs the loaded program on `input` with `fill` written first, and reads every map back. */
  run(input: TestRunOptions & { fill?: readonly MapFill[] }): KernelRunResult {
    if (!this.reusable || this.closed) throw new Error(`LoadedProgram.run: ${this.program.name} cannot be run again here`);
    this.reset();
    for (const f of input.fill ?? []) {
      const i = typeof f.map === 'number' ? f.map : this.program.maps.findIndex((m) => m.name === f.map);
      const m = this.maps[i];
      if (!m) throw new InputError('map_ref', `no map ${String(f.map)} in program ${this.program.name}`);
      m.update(f.key, f.value, f.flags ?? 0);
    }
    // (a run that throws leaves maps of unknown contents: read them back all the same before the next)
    this.dirty = this.maps.map(() => []);
    try {
      const run = progTestRun(this.load.fd!, input);
      return { load: this.load, run, maps: this.readBack() };
    } catch (e) {
      this.readBack();
      throw e;
    }
  }

  private readBack(): Array<{ name: string; entries: Array<[Uint8Array, Uint8Array]> }> {
    this.dirty = this.maps.map((m) => m.entries());
    return this.maps.map((m, i) => ({ name: m.spec.name, entries: this.dirty[i]! }));
  }

  /** Back to the maps' created state: zeroes where an array value is not zero, no hash entries. */
  private reset(): void {
    this.dirty.forEach((entries, i) => {
      const m = this.maps[i]!;
      const hash = HASHES.has(m.spec.type);
      for (const [k, v] of entries) {
        if (hash) m.delete(k);
        else if (v.some((b) => b !== 0)) m.update(k, new Uint8Array(v.length));
      }
    });
    this.dirty = [];
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.load.fd !== null) closeFd(this.load.fd);
    for (const m of this.maps) m.close();
  }
}
