/**
 * A loaded program ready to run many times (cilium/ebpf's Program vs ProgramSpec): its maps,
 * the predecoded code of it and of every tail-call target, a register file and the memory
 * regions, all reused across runs. `runProgram` is the one-shot convenience.
 */
import { InputError } from '../isa/errors.js';
import { makeMapSpec, type MapSpec, mapToObjects, type Program } from '../isa/program.js';
import { ctxLayout } from '../runtime/context/index.js';
import { ContextBuffers, buildContext, testRunDataOut } from '../runtime/ctx-region.js';
import { AddressSpace, Clock, DEFAULT_TASK, type HelperEnv, Prng, type RedirectState, type Task } from '../runtime/env.js';
import { VmError } from '../runtime/errors.js';
import type { FibModel } from '../runtime/fib.js';
import { type SocketSpec, SocketTable } from '../runtime/sockets.js';
import { HELPERS } from '../runtime/helpers/impl/index.js';
import { createMap } from '../runtime/maps/create.js';
import { ksymAddress } from '../runtime/kfuncs/index.js';
import { type WorldDescription, hasBtfContext, prepareKernelRun } from '../runtime/kernel-objects/index.js';
import { MemoryBudget } from '../runtime/maps/budget.js';
import { isProgArray } from '../runtime/maps/guards.js';
import { mapKernelImage } from '../runtime/maps/kernel-struct.js';
import { RUNNING_KERNEL_BTF, readTargetBtf } from '../loader/target.js';
import type { BpfMap } from '../runtime/maps/types.js';
import { Memory, MemoryFault } from '../runtime/memory.js';
import { type Decoded, checkTargets, decodeProgram } from './decoded.js';
import { type HelperFn, Interpreter, LdAbsExit } from './interpreter.js';

export interface RunInput {
  /** Context bytes (the uapi struct: __sk_buff, xdp_md, pt_regs, a tracepoint record, ...). */
  ctx?: Uint8Array;
  /** Packet bytes for networking programs (from the Ethernet header on). */
  packet?: Uint8Array;
  /** Plain memory for programs run as in the conformance suite: r1 = its address, r2 = its length. */
  mem?: Uint8Array;
  /** 'ctx': r1 = the program type's context; 'mem': r1/r2 = input.mem. Default: 'mem' when mem is given or the type has no context model. */
  entry?: 'ctx' | 'mem';
  task?: Partial<Task>;
  clock?: Clock;
  /** Seed of get_prandom_u32's stream. */
  seed?: number | bigint;
  cpu?: number;
  kernelMem?: AddressSpace;
  userMem?: AddressSpace;
  kernelStack?: bigint[];
  userStack?: bigint[];
  /** skb->hash for get_hash_recalc. */
  skbHash?: number;
  expectedAttachType?: number;
  /** The routing model bpf_fib_lookup sees (default: loopback only, forwarding disabled). */
  fib?: FibModel;
  /** The sockets bpf_sk_lookup_* / bpf_skc_lookup_tcp can find (default: none, so lookups return NULL). */
  sockets?: readonly SocketSpec[];
  /** The kernel objects the run sees, laid over the default world (runtime/kernel-objects). */
  kernelObjects?: WorldDescription;
  /** Iterator programs (iter/task, ...): the step of the iteration this run is (past the last object: the final NULL call). */
  iterStep?: number;
  /**
   * false: the result leaves out the packet and ctx after the run (RunResult.packet / ctx), for
   * callers that only look at how it ended (the fuzzer's sanitizer): copying them out is a good
   * part of a short run's cost. Default true.
   */
  outputs?: boolean;
}

export interface VmOptions {
  /** Stop with a step_limit error after this many instructions (default 10,000,000). */
  maxSteps?: number;
  /** Map instances for program.maps (same order); created from the specs when absent. */
  maps?: BpfMap[];
  /** CPUs that per-CPU maps model (default 1). */
  cpus?: number;
  /** What the maps created here may allocate together (default: runtime/maps DEFAULT_MAP_MEMORY). */
  memoryBudget?: MemoryBudget;
  /**
   * Debug hook: called before every instruction with its pc, the register file (r_i at 2i/2i+1,
   * lo/hi int32) and the call depth. Costs one branch per instruction when unset.
   */
  onStep?: (pc: number, regs: Int32Array, depth: number) => void;
  /**
   * The helper table for this VM (index = helper id); default the shared runtime table. Lets a
   * caller script helper results (explain's witness replay) without touching the shared table.
   */
  helpers?: readonly (HelperFn | undefined)[];
}

export interface RunResult {
  /** r0 at exit, unsigned. 0 when the run faulted. */
  r0: bigint;
  fault?: MemoryFault;
  error?: VmError;
  /** pc of an LD_ABS/LD_IND that ended the program (r0 = 0) because the packet was too short. */
  ldAbsExit?: number;
  /** Instructions executed. */
  steps: number;
  /** trace_printk output, one entry per call. */
  trace: string[];
  /**
   * The packet after the run as BPF_PROG_TEST_RUN's data_out: data..data_end, preceded by 14 zero
   * bytes for socket_filter / cgroup_skb (which see the packet from the network header on).
   */
  packet?: Uint8Array;
  /** The ctx bytes after the run. */
  ctx?: Uint8Array;
  /** input.mem after the run (the same bytes, modified in place). */
  mem?: Uint8Array;
  redirect?: RedirectState;
  tailCalls: number;
  /** Deepest call frame reached (0 = no calls). */
  maxDepth: number;
  /** What bpf_seq_printf / bpf_seq_write wrote (iterator programs). */
  seq?: string;
}

const DEFAULT_MAX_STEPS = 10_000_000;

interface Linked {
  program: Program;
  decoded: Decoded;
  maps: BpfMap[];
}

/** The bytes of a 'map' region (a map pointer's target: zero length, never written; mapImage replaces it). */
const NO_BYTES = new Uint8Array(0);

export class Vm {
  /** The main program (`load` replaces it). */
  program: Program;
  /** Live map instances of the main program (program.maps order; `rebind` replaces them). */
  maps: BpfMap[];
  /** The helper table this VM calls (VmOptions.helpers or the shared one). */
  readonly helpers: readonly (HelperFn | undefined)[];
  readonly mem = new Memory();
  private readonly interp: Interpreter;
  private readonly linked = new Map<Program, Linked>();
  private constBase = 22;
  private main: Linked;
  /** Where the constants of programs linked after the main one start (see rebind). */
  private mainConstEnd: number;
  private readonly buffers = new ContextBuffers();
  /** The decoded code store of the program loaded before the current one, reused by the next `load`. */
  private spareCode: ArrayBuffer | undefined;
  private hasProgArrays: boolean;
  private budget: MemoryBudget;
  /** Whether the memory budget is this VM's own (then `load` starts a fresh one, as a new VM would). */
  private readonly ownBudget: boolean;
  /** Every run's env.callFunction (one closure per VM, not per run). */
  private readonly callFunction: HelperEnv['callFunction'];
  /**
   * The env parts a run gets when its input gives none, made once per VM: helpers only read the
   * task, the address spaces and the call stacks (kernel objects replace env.task, never change it).
   */
  private readonly defaultTask: Task = { ...DEFAULT_TASK };
  private readonly emptyKernelMem = new AddressSpace();
  private readonly emptyUserMem = new AddressSpace();
  private readonly noStack: bigint[] = [];

  constructor(program: Program, opts: VmOptions = {}) {
    this.program = program;
    if (opts.maps && opts.maps.length !== program.maps.length)
      throw new InputError('maps', `${program.maps.length} maps declared but ${opts.maps.length} instances given`);
    const budget = opts.memoryBudget ?? new MemoryBudget();
    this.maps = opts.maps ?? mapToObjects(program.maps, (spec) => instantiateMap(spec, opts.cpus ?? 1, budget));
    this.budget = budget;
    this.ownBudget = opts.memoryBudget === undefined;
    this.helpers = opts.helpers ?? HELPERS;
    this.interp = new Interpreter(this.mem, new Int32Array(22), this.helpers, opts.maxSteps ?? DEFAULT_MAX_STEPS);
    const it = this.interp;
    this.callFunction = (pc, a1, a2, a3, a4, a5) => it.callFunction(pc, a1, a2, a3, a4, a5);
    this.mem.mapImage = (owner) => {
      const btf = readTargetBtf(this.program.targetBtf ?? RUNNING_KERNEL_BTF);
      return typeof btf === 'string' ? undefined : mapKernelImage(owner as BpfMap, btf);
    };
    if (opts.onStep) this.interp.onStep = opts.onStep;
    this.main = this.link(program, this.maps);
    this.mainConstEnd = this.constBase;
    this.hasProgArrays = this.maps.some((m) => isProgArray(m));
    this.interp.resolveTail = (p) => (p && typeof p === 'object' ? this.linked.get(p as Program)?.decoded : undefined);
  }

  /** Predecodes `program` into the register file's constant area. */
  private link(program: Program, maps: BpfMap[]): Linked {
    const have = this.linked.get(program);
    if (have) return have;
    return this.install(program, this.decode(program, maps, this.constBase), maps);
  }

  /** `program` decoded with its constant slots from `base`, its jump targets and references checked; the VM is not changed. */
  private decode(program: Program, maps: readonly BpfMap[], base: number, store?: ArrayBuffer): Decoded {
    const decoded = decodeProgram(program, base, store);
    checkTargets(decoded);
    for (const p of decoded.pseudo) {
      if (p.src === 3) { const a = ksymAddress(program, p.imm); if (typeof a === 'string') throw new VmError('unsupported', p.pc, a); }
      if ((p.src === 1 || p.src === 2 || p.src === 5 || p.src === 6) && !maps[p.imm])
        throw new VmError('bad_insn', p.pc, `ld_imm64 refers to map #${p.imm} but the program has ${maps.length} maps`);
    }
    return decoded;
  }

  /** Puts a decoded program's constants into the register file (grown when they do not fit) and links it. */
  private install(program: Program, decoded: Decoded, maps: BpfMap[]): Linked {
    this.constBase = decoded.base + 2 * decoded.n;
    let R = this.interp.R;
    if (R.length < this.constBase) {
      R = new Int32Array(this.constBase);
      R.set(this.interp.R);
      this.interp.R = R;
    }
    R.set(decoded.consts, decoded.base);
    const l = { program, decoded, maps };
    this.linked.set(program, l);
    return l;
  }

  /**
   * Another program on this VM, over `maps` (one per program.maps entry): the VM `new Vm(program,
   * { maps })` with this one's other options would be, without allocating its memory, stacks,
   * register file and buffers again (a fuzzer runs thousands of short programs). A program that
   * cannot be linked throws as the constructor would, and leaves the VM as it was.
   */
  load(program: Program, maps: BpfMap[]): void {
    if (maps.length !== program.maps.length)
      throw new InputError('maps', `${program.maps.length} maps declared but ${maps.length} instances given`);
    // Decoded into the store of the program before the current one (nothing refers to it any
    // more: a failed load leaves the current one intact); the current one's is next.
    const decoded = this.decode(program, maps, 22, this.spareCode);
    this.spareCode = this.main.decoded.s.buffer as ArrayBuffer;
    this.linked.clear();
    this.program = program;
    this.maps = maps;
    this.main = this.install(program, decoded, maps);
    this.mainConstEnd = this.constBase;
    this.hasProgArrays = maps.some((m) => isProgArray(m));
    if (this.ownBudget) this.budget = new MemoryBudget();
  }

  /**
   * The same loaded program over other map instances (one per program.maps entry, e.g. fresh
   * maps for the next test run, as a new BPF_MAP_CREATE would give): the predecoded code, the
   * register file and the memory regions are kept. Tail-call targets are linked again from the
   * new maps at the next run.
   */
  rebind(maps: BpfMap[]): void {
    if (maps.length !== this.program.maps.length)
      throw new InputError('maps', `${this.program.maps.length} maps declared but ${maps.length} instances given`);
    this.maps = maps;
    this.main = { program: this.program, decoded: this.main.decoded, maps };
    this.linked.clear();
    this.linked.set(this.program, this.main);
    this.constBase = this.mainConstEnd;
    this.hasProgArrays = maps.some((m) => isProgArray(m));
  }

  /** Tail-call targets: programs stored in prog_array maps (linked before a run, as their code must be). */
  private linkTailTargets(): void {
    const seen = new Set<BpfMap>();
    const visit = (maps: BpfMap[]): void => {
      for (const m of maps) {
        if (seen.has(m) || !isProgArray(m)) continue;
        seen.add(m);
        for (const i of m.usedIndices()) {
          const p = m.getProgram(i) as Program | undefined;
          if (!p || typeof p !== 'object' || !Array.isArray((p as Program).insns) || this.linked.has(p)) continue;
          const byName = new Map(this.maps.map((x) => [x.spec.name, x]));
          const maps2 = p.maps.map((spec) => byName.get(spec.name) ?? createMap(spec, { budget: this.budget }));
          this.link(p, maps2);
          visit(maps2);
        }
      }
    };
    visit(this.maps);
  }

  /**
   * Sets up a run without executing it: memory regions (maps, ctx, packet, stacks), the helper
   * environment, r1 and r10, and the run-dependent ld_imm64 values. The VM then calls
   * `execute`; the JIT runs its own code on the same PreparedRun and calls `finish`.
   */
  prepare(input: RunInput = {}): PreparedRun {
    const mem = this.mem;
    const it = this.interp;
    if (this.hasProgArrays) this.linkTailTargets();
    mem.reset(it.maxDepth + 1);
    // Regions in the order a Map keyed by instance would give them: the main program's maps first
    // (an instance listed twice gets one region), then the maps only tail-call targets use, as
    // their ld_imm64s come; no Map and no closure per run when nothing is linked besides the main program.
    const maps = this.maps;
    const mapRegions = new Int32Array(maps.length);
    for (let i = 0; i < maps.length; i++) {
      const m = maps[i]!;
      let j = 0;
      while (maps[j] !== m) j++;
      mapRegions[i] = j < i ? mapRegions[j]! : mem.add('map', NO_BYTES, { writable: false, owner: m });
    }
    let otherRegions: Map<BpfMap, number> | undefined;
    let funcRegion = 0;
    const R = it.R;
    for (const l of this.linked.values()) {
      const decoded = l.decoded;
      const lmaps = l.maps;
      const own = lmaps === maps;
      for (const p of decoded.pseudo) {
        const slot = decoded.base + 2 * p.pc;
        let hi: number, lo: number;
        if (p.src === 1 || p.src === 5) {
          let id: number | undefined;
          if (own) id = mapRegions[p.imm]!;
          else {
            const m = lmaps[p.imm]!;
            const i = maps.indexOf(m);
            if (i >= 0) id = mapRegions[i]!;
            else {
              id = (otherRegions ??= new Map()).get(m);
              if (id === undefined) { id = mem.add('map', NO_BYTES, { writable: false, owner: m }); otherRegions.set(m, id); }
            }
          }
          hi = Memory.hiOf(id);
          lo = 0;
        } else if (p.src === 2 || p.src === 6) {
          const m = lmaps[p.imm]!;
          const ref = m.lookupRef(new Uint8Array(m.spec.keySize), 0);
          if (!ref) throw new VmError('bad_insn', p.pc, `map ${m.spec.name} has no direct value access`);
          hi = Memory.hiOf(mem.regionFor('map_value', ref, !((m.spec.flags & 0x80) !== 0 || m.spec.readonly === true), m));
          lo = p.next | 0;
        } else if (p.src === 3) {
          const v = ksymAddress(l.program, p.imm) as bigint; // checked at link
          hi = Number(v >> 32n) | 0;
          lo = Number(v & 0xffffffffn) | 0;
        } else if (p.src === 4) {
          if (!funcRegion) funcRegion = mem.add('func', NO_BYTES, { writable: false });
          hi = Memory.hiOf(funcRegion);
          lo = (p.pc + 1 + p.imm) | 0;
        } else throw new VmError('unsupported', p.pc, `ld_imm64 with src ${p.src} is not supported`);
        R[slot] = lo;
        R[slot + 1] = hi;
      }
    }
    R.fill(0, 0, 22);
    const type = this.program.type;
    const eat = input.expectedAttachType ?? this.program.expectedAttachType;
    const btfCtx = !ctxLayout(type) && hasBtfContext(this.program, eat);
    const entry = input.entry ?? (input.mem !== undefined || (!ctxLayout(type) && !btfCtx) ? 'mem' : 'ctx');
    let ctxRegion = 0;
    let packet = null;
    let memRegion = 0;
    if (entry === 'ctx' && !btfCtx) {
      const ctxIn: { ctx?: Uint8Array; packet?: Uint8Array; expectedAttachType?: number } = {};
      if (input.ctx) ctxIn.ctx = input.ctx;
      if (input.packet) ctxIn.packet = input.packet;
      if (eat !== undefined) ctxIn.expectedAttachType = eat;
      const built = buildContext(mem, type, ctxIn, this.buffers);
      ctxRegion = built.ctxRegion;
      packet = built.packet;
      R[3] = Memory.hiOf(ctxRegion);
    } else if (input.mem && input.mem.length > 0) {
      memRegion = mem.add('mem', input.mem, { writable: true });
      R[3] = Memory.hiOf(memRegion);
      R[4] = input.mem.length;
    }
    it.setFp(0);
    const env: HelperEnv = {
      mem, regs: R, program: this.program, progType: type, maps: this.maps, mapRegions, cpu: input.cpu ?? 0,
      clock: input.clock ?? new Clock(), rng: new Prng(input.seed ?? 1), task: input.task ? { ...DEFAULT_TASK, ...input.task } : this.defaultTask,
      kernelMem: input.kernelMem ?? this.emptyKernelMem, userMem: input.userMem ?? this.emptyUserMem,
      kernelStack: input.kernelStack ?? this.noStack, userStack: input.userStack ?? this.noStack, trace: [], packet, ctxRegion,
      skbHash: input.skbHash ?? 0, redirect: null, tailCalls: 0, tailCall: null, pc: 0,
      callFunction: this.callFunction,
      // Every field, set now (see HelperEnv): later additions would give envs several hidden classes.
      fib: input.fib ?? undefined, sockets: input.sockets ? new SocketTable(input.sockets) : undefined,
      heap: undefined, kernel: undefined, kernelObjects: undefined, seq: undefined,
    };
    const kernelCtx = prepareKernelRun(env, this.program, input, eat, entry === 'ctx');
    if (kernelCtx) { env.ctxRegion = kernelCtx; R[2] = 0; R[3] = Memory.hiOf(kernelCtx); }
    it.env = env;
    it.steps = 0;
    it.depth = 0;
    it.maxDepth = 0;
    return new Prepared(env, mem, R, this.helpers, this.program, this.main.decoded, this.linked, memRegion, input);
  }

  /** Runs the run `prepare` set up on the interpreter (the PreparedRun itself is the JIT's business). */
  execute(_run: PreparedRun): RunOutcome {
    const it = this.interp;
    try {
      it.exec(this.main.decoded, 0, 0);
      const R = it.R;
      return { r0: (BigInt(R[1]! >>> 0) << 32n) | BigInt(R[0]! >>> 0), steps: it.steps, maxDepth: it.maxDepth };
    } catch (e) {
      return { error: e, steps: it.steps, maxDepth: it.maxDepth };
    }
  }

  /** Builds the result of a run from its outcome (shared by the VM and the JIT). */
  finish(run: PreparedRun, outcome: RunOutcome): RunResult {
    const env = run.env;
    this.interp.maxDepth = outcome.maxDepth; // the next prepare() zeroes the stacks this run used
    const res: RunResult = { r0: outcome.r0 ?? 0n, steps: outcome.steps, trace: env.trace, tailCalls: env.tailCalls, maxDepth: outcome.maxDepth };
    const e = outcome.error;
    if (e !== undefined) {
      if (e instanceof MemoryFault) { if (e.pc < 0) e.pc = env.pc; res.fault = e; }
      else if (e instanceof VmError) res.error = e;
      else if (e instanceof LdAbsExit) res.ldAbsExit = e.pc;
      else throw e;
    }
    const held = env.sockets?.held() ?? 0;
    if (held > 0 && !res.fault && !res.error)
      res.error = new VmError('reference_leak', env.pc, `the program exited holding ${held} socket reference${held > 1 ? 's' : ''} (bpf_sk_release never called)`);
    const pk = env.packet;
    const outputs = run.input.outputs !== false;
    if (pk && outputs) res.packet = testRunDataOut(env.progType, pk.buf.slice(pk.data, pk.end));
    if (env.ctxRegion && outputs) res.ctx = run.mem.ctx?.output?.() ?? run.mem.bytes[env.ctxRegion]!.slice();
    if (run.memRegion && run.input.mem) res.mem = run.input.mem;
    if (env.redirect) res.redirect = env.redirect;
    if (env.seq?.length) res.seq = env.seq.join('');
    return res;
  }

  run(input: RunInput = {}): RunResult {
    const prepared = this.prepare(input);
    return this.finish(prepared, this.execute(prepared));
  }

  /**
   * BPF_PROG_TEST_RUN's `repeat` (and the JIT's runRepeated): one setup, then the program `repeat`
   * times on the same context, packet and maps, each run from the initial registers (stopping at
   * the first fault or error). `nsPerRun` times only the runs, not the setup.
   */
  runRepeated(input: RunInput, repeat: number): RunResult & { nsPerRun: number } {
    const prepared = this.prepare(input);
    const it = this.interp;
    const initial = it.R.slice(0, 22);
    const n = Math.max(1, Math.floor(repeat));
    let done = 0;
    let outcome: RunOutcome;
    const t0 = process.hrtime.bigint();
    try {
      // the interpreter directly: no result object per run
      for (;;) {
        it.exec(this.main.decoded, 0, 0);
        if (++done >= n) break;
        it.R.set(initial);
        it.steps = 0;
        it.depth = 0;
        prepared.env.tailCalls = 0; // the tail-call budget is per run
      }
      const R = it.R;
      outcome = { r0: (BigInt(R[1]! >>> 0) << 32n) | BigInt(R[0]! >>> 0), steps: it.steps, maxDepth: it.maxDepth };
    } catch (e) {
      done++;
      outcome = { error: e, steps: it.steps, maxDepth: it.maxDepth };
    }
    const nsPerRun = Number(process.hrtime.bigint() - t0) / done;
    return { ...this.finish(prepared, outcome), nsPerRun };
  }
}

/** Everything a run needs, set up but not started (see Vm.prepare). */
export interface PreparedRun {
  env: HelperEnv;
  mem: Memory;
  /** The register file (r0..r10 as lo/hi int32 pairs at 0..21; the VM's constant slots follow). */
  regs: Int32Array;
  helpers: readonly (HelperFn | undefined)[];
  program: Program;
  decoded: Decoded;
  /** Every linked program (the main one and tail-call targets; prog_array slots hold Program objects). */
  linked: ReadonlyMap<Program, Decoded>;
  /** Run-dependent ld_imm64 values (map pointers, map values, callbacks) by program and pc. */
  pseudo: ReadonlyMap<Program, ReadonlyMap<number, bigint>>;
  initialR1: bigint;
  initialR2: bigint;
  initialR10: bigint;
  memRegion: number;
  input: RunInput;
}

/**
 * A PreparedRun as `prepare` returns it. The parts the interpreter never reads (the linked
 * programs, the ld_imm64 values as bigints, the initial r1/r2/r10) are made when first read
 * (by the JIT), not for every run: from the VM's linked programs and the register file, which
 * hold them until the next prepare, load or rebind, like the memory and env of the run.
 */
class Prepared implements PreparedRun {
  private readonly r1lo: number;
  private readonly r1hi: number;
  private readonly r2: number;
  private readonly r10lo: number;
  private readonly r10hi: number;
  private linkedMap: Map<Program, Decoded> | undefined;
  private pseudoMap: Map<Program, Map<number, bigint>> | undefined;
  constructor(
    readonly env: HelperEnv,
    readonly mem: Memory,
    readonly regs: Int32Array,
    readonly helpers: readonly (HelperFn | undefined)[],
    readonly program: Program,
    readonly decoded: Decoded,
    private readonly links: ReadonlyMap<Program, Linked>,
    readonly memRegion: number,
    readonly input: RunInput,
  ) {
    this.r1lo = regs[2]!;
    this.r1hi = regs[3]!;
    this.r2 = regs[4]!;
    this.r10lo = regs[20]!;
    this.r10hi = regs[21]!;
  }
  get initialR1(): bigint { return (BigInt(this.r1hi >>> 0) << 32n) | BigInt(this.r1lo >>> 0); }
  get initialR2(): bigint { return BigInt(this.r2 >>> 0); }
  get initialR10(): bigint { return (BigInt(this.r10hi >>> 0) << 32n) | BigInt(this.r10lo >>> 0); }
  get linked(): ReadonlyMap<Program, Decoded> {
    if (!this.linkedMap) {
      this.linkedMap = new Map();
      for (const [p, l] of this.links) this.linkedMap.set(p, l.decoded);
    }
    return this.linkedMap;
  }
  /** Read back from the constant slots prepare wrote (the run never writes them). */
  get pseudo(): ReadonlyMap<Program, ReadonlyMap<number, bigint>> {
    if (!this.pseudoMap) {
      const R = this.regs;
      this.pseudoMap = new Map();
      for (const [p, { decoded }] of this.links) {
        const values = new Map<number, bigint>();
        this.pseudoMap.set(p, values);
        for (const q of decoded.pseudo) {
          const slot = decoded.base + 2 * q.pc;
          values.set(q.pc, (BigInt(R[slot + 1]! >>> 0) << 32n) | BigInt(R[slot]! >>> 0));
        }
      }
    }
    return this.pseudoMap;
  }
}

/** How an engine's run ended: r0, or the error it threw (MemoryFault, VmError, LdAbsExit). */
export interface RunOutcome {
  r0?: bigint;
  error?: unknown;
  steps: number;
  maxDepth: number;
}

/**
 * The adjustments libbpf makes to declared maps before creating them (BTF-defined maps give the
 * C types' sizes): perf_event_array keys/values are u32 fds and max_entries 0 means one slot per
 * possible CPU; ringbuf maps have no key or value; map-in-map values are u32 fds.
 */
export function libbpfFixups(spec: MapSpec, cpus: number): MapSpec {
  switch (spec.type) {
    case 'perf_event_array': return makeMapSpec({ ...spec, keySize: 4, valueSize: 4, maxEntries: spec.maxEntries || cpus });
    case 'ringbuf': return makeMapSpec({ ...spec, keySize: 0, valueSize: 0 });
    case 'array_of_maps': case 'hash_of_maps': return makeMapSpec({ ...spec, valueSize: 4 });
    default: return spec;
  }
}

/** A map instance for `spec` as libbpf creates it (its fix-ups applied, global data filled in). */
export function instantiateMap(spec0: MapSpec, cpus = 1, budget?: MemoryBudget): BpfMap {
  const spec = libbpfFixups(spec0, cpus);
  const m = createMap(spec, { cpus, ...(budget && { budget }) });
  if (spec.initial) m.update(new Uint8Array(m.spec.keySize), spec.initial.subarray(0, spec.valueSize));
  return m;
}

/** Runs `program` once on `input` (creating its maps unless opts.maps gives them). */
export function runProgram(program: Program, input: RunInput = {}, opts: VmOptions = {}): RunResult {
  return new Vm(program, opts).run(input);
}
