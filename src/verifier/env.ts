/**
 * The verifier environment (the kernel's bpf_verifier_env): the program, the scalar domain,
 * the current state, id generation, statistics and the log. The instruction semantics live in
 * alu.ts, memory.ts, calls.ts and branch.ts as functions of this environment; the exploration
 * loop is explore.ts.
 */
import type { FastcallInfo } from './fastcall.js';
import { availableParallelism } from 'node:os';
import type { Insn } from '../isa/insn.js';
import { MAX_BPF_REG } from '../isa/opcodes.js';
import type { FuncInfo, MapSpec, Program } from '../isa/program.js';
import { verifierCtxLayout, type CtxLayout } from '../runtime/context/index.js';
import { isTailCall, type Cfg } from './cfg.js';
import { getDomain, type Scalar, type ScalarDomain } from './domains/index.js';
import { Reject, type ErrorKind } from './error-kinds.js';
import { changesPktData, globalSubprogs } from './global-funcs.js';
import { Log } from './log.js';
import { INSN_LIMIT, type VerifyOptions } from './options.js';
import { DYNPTR_TYPE_SKB, DYNPTR_TYPE_SKB_META, DYNPTR_TYPE_XDP, MEM_ALLOC, T, base, isLocalBtf, isPointer, typeName } from './reg-types.js';
import { mapRecord, programBtf, recordField } from './map-record.js';
import { copyReg, curFrame, forEachRegOf, type Checkpoint, type Frame, type Reg, type VState } from './state.js';
import type { Btf } from '../loader/btf/index.js';
import { readTargetBtf, RUNNING_KERNEL_BTF } from '../loader/target.js';
import { BPF_F_SLEEPABLE, sectionType } from '../loader/section-types.js';
import { checkSectionsClosed, inRcuSection } from './locks.js';
import { isBtfCtxProgram, lsmTargetError, tracingTarget, type TracingTarget } from './tracing-ctx.js';
import { structOpsTarget, type StructOpsTarget } from './struct-ops.js';
import { StackLiveness } from './stack-liveness.js';
import { isCallbackCall } from './callback-helpers.js';
import { gplCompatible } from './license.js';

let cpus: number | undefined;
/** The machine's CPUs, asked once (os.availableParallelism is a sched_getaffinity call, ~5 µs: too slow per program). */
const machineCpus = (): number => (cpus ??= availableParallelism());

/**
 * One unknown Scalar per domain, shared by every verification (Scalars are immutable): a fresh one
 * per program would be a new operand for the domain's memo each time (hashed, then remembered).
 */
const unknowns = new Map<ScalarDomain, Scalar>();
function sharedUnknown(dom: ScalarDomain): Scalar {
  let u = unknowns.get(dom);
  if (!u) unknowns.set(dom, (u = dom.unknown()));
  return u;
}

export class Env {
  readonly prog: Program;
  readonly insns: readonly Insn[];
  readonly dom: ScalarDomain;
  readonly opts: VerifyOptions;
  readonly cfg: Cfg;
  readonly live: Uint16Array;
  /** Stack slot liveness per call chain (liveness.c), kept across the verification of every subprogram. */
  readonly stackLive: StackLiveness;
  readonly log: Log | null;
  /** State formatter for path tracking (the log's, or a private one with options.pathStates). */
  readonly trail: Log | null;
  readonly ctx: CtxLayout | undefined;
  readonly insnLimit: number;
  /** nr_cpu_ids, for bpf_get_smp_processor_id's result range. */
  readonly nrCpus: number;
  /** The shared unknown scalar (Scalars are immutable). */
  readonly UNKNOWN: Scalar;
  readonly ZERO: Scalar;

  cur!: VState;
  /** The instruction being processed. */
  pc = 0;
  idGen = 0;
  insnProcessed = 0;
  /** Registers (bits 0-10) touched by the current instruction, for the log. */
  scratched = 0;
  /** Every register and slot counts as scratched (after a pop or a call: the next state line is whole). */
  scratchAll = false;
  /** Log level 2: print_insn_state now, for the instruction being checked (set by the exploration loop). */
  printInsnState: (() => void) | undefined = undefined;
  /** What the current instruction touched, for precision backtracking (see precision.ts). */
  histExtra = 0;
  /** Stack slots (frame-relative 8-byte slot indices) touched by the current instruction. */
  scratchedStack: number[] = [];
  /** A log line the current instruction prints after its state annotation. */
  note: string | null = null;
  /** The note ends without a newline (the kernel's next output continues its last line). */
  noteOpen = false;
  /**
   * A state pushed for later exploration (push_stack) shares the current path's history up to and
   * including the instruction that pushes it: its jump-history entry -- a jump point's, or one with
   * what the instruction touched (stack slots, a linked set), recorded before the push as the
   * kernel does -- counts towards the pushed state's jmp_history_cnt too (force_new_state past 40).
   */
  recordPushedHistory(st: VState): void {
    st.hist.push(this.pc);
    st.histx.push(this.histExtra);
    if (this.cfg.jmpPoint[this.pc] || this.histExtra) st.jmpHistory = (st.jmpHistory ?? 0) + 1;
  }
  /** Queues another path for exploration (set by explore(); callbacks push their first visit with it). */
  pushBranch: (st: VState) => void = () => { throw new Error('pushBranch outside explore()'); };

  /** Per subprogram: its FuncInfo when BTF makes it global (verified on its own), else null. */
  readonly globals: (FuncInfo | null)[];
  /** Per subprogram: 1 once a call to it (a global) was seen (the kernel's aux->called). */
  readonly globalCalled: Uint8Array;
  /** Per subprogram: a global whose helpers may move the packet (changes_pkt_data). */
  readonly globalChangesPkt: Uint8Array;
  /**
   * The analysis behind subprogMightSleep (might-sleep.ts), given by verify(): its module imports
   * the kfunc tables, which import this file's users. A module function, not a closure made per
   * verification: such a closure (with the Env in its context) kept every verification's objects
   * alive through minor GCs until the next full GC.
   */
  mightSleepAnalysis: ((env: Env) => Uint8Array) | null = null;
  private mightSleep: Uint8Array | null = null;

  /** subprog_info[].might_throw (subprogsMightThrow), computed at the first call of a global function. */
  mightThrow: Uint8Array | null = null;

  /** subprog_info[].might_sleep, computed on first use. */
  subprogMightSleep(sub: number): boolean {
    if (!this.mightSleepAnalysis) return false;
    return (this.mightSleep ??= this.mightSleepAnalysis(this))[sub] === 1;
  }

  // Pruning statistics, as the kernel's log reports them.
  explored: (Checkpoint[] | undefined)[];
  /** insn_aux_data[].ptr_type: the pointer type each load/store was first verified with (-1: none yet). */
  ptrTypeAt?: Int32Array;
  totalStates = 0;
  /**
   * peak_states counts what the kernel holds at once: explored_states_size (checkpoints in the
   * lists), free_list_size (evicted ones still referenced: paths below them open, or their loop's
   * marks incomplete) and num_backedges (converged loop paths kept until their visit ends). None is
   * reset between the passes of the main program and its global subprograms: the kernel's
   * free_states() frees the states without taking them off the counts.
   */
  curStates = 0;
  freeListSize = 0;
  numBackedges = 0;
  peakStates = 0;
  maxStatesPerInsn = 0;
  /** Some path ends the program with a pointer in R0 (root may return one; its value is the machine's). */
  exitR0Pointer = false;
  /** Some path branched on, or computed a scalar from, a pointer's value (an address: the machine's own). */
  usesAddress = false;
  /**
   * prog->aux->max_rdonly_access / max_rdwr_access: the furthest byte read from an iterator's
   * read-only buffer (a map element's key) and accessed in its writable one (the value); attaching
   * the iterator to a map with a smaller key or value fails (bpf_iter_attach_map: EACCES).
   */
  maxRdonlyAccess = 0;
  maxRdwrAccess = 0;
  /** First kfunc call with btf_id 0 that a path reached (fixup_kfunc_call refuses it after exploration; -1: none). */
  zeroKfuncCall = -1;
  /** Subprograms registered as asynchronous callbacks on some verified path (subprog_info[].is_async_cb). */
  readonly asyncCallbacks = new Set<number>();
  /** Subprograms entered as callbacks (sync or async) on some verified path (subprog_info[].is_cb). */
  readonly callbacks = new Set<number>();
  /** The exception callback's subprogram (env->exception_callback_subprog; 0: none). */
  exceptionCb = 0;
  /** Per bpf_loop call site: whether optimize_bpf_loop can inline it, and its callback (bpf_loop_inline_state). */
  readonly loopInline = new Map<number, { fit: boolean; sub: number }>();
  /** The bpf_fastcall patterns of the program (mark_fastcall_patterns), or null when not computed. */
  fastcall: FastcallInfo | null = null;
  /**
   * Per-verification results of the analyses above Env (explore, iterators, graph, precision),
   * kept here rather than in WeakMaps keyed by the Env: V8's minor GC keeps an ephemeron's value
   * alive while its key is young, so every verification's tables would survive to the next full GC.
   */
  /** compute_scc: each instruction's loop id (explore.ts). */
  sccIds: Int32Array | null = null;
  /** Per subprogram: the deepest stack byte any path touched (explore.ts). */
  maxDepth: Int32Array | null = null;
  /** 1 at calls of an iterator's `_next` kfunc (iterators.ts). */
  iterNextPcs: Uint8Array | null = null;
  /** The callback-running kfunc calls were marked (graph.ts). */
  callbackKfuncsMarked = false;
  /** Per bpf_obj_drop_impl call: the struct meta it frees (graph.ts). */
  dropMeta: Map<number, number | null> | null = null;
  /** The linked sets the jump history refers to (precision.ts). */
  linkedSets: (readonly number[])[] | null = null;
  /**
   * Precision marks decide nothing in this exploration (prune 'exact' without widening loops:
   * they serve only subsumption and loop widening), so backtracking is skipped (precision.ts).
   */
  precisionUnused = false;
  /** This verification's number in precision.ts's shared per-pc table (0 until it walks a history). */
  btPassGen = 0;
  /** Counters since the last checkpoint (the kernel's loop heuristics). */
  jmpsProcessed = 0;
  prevJmpsProcessed = 0;
  prevInsnProcessed = 0;

  constructor(prog: Program, cfg: Cfg, live: Uint16Array, opts: VerifyOptions) {
    this.prog = prog;
    this.insns = prog.insns;
    this.opts = opts;
    this.cfg = cfg;
    this.live = live;
    this.dom = getDomain(opts.domain ?? 'kernel');
    this.UNKNOWN = sharedUnknown(this.dom);
    this.ZERO = this.dom.known(0n);
    this.log = opts.log ? new Log(prog, this.dom, opts.disasm) : null;
    if (this.log) this.log.sourceLines = true;
    const log = this.log;
    this.stackLive = new StackLiveness(cfg, (pc) => cfg.forceCheckpoint[pc] === 1 && isCallbackCall(prog.insns[pc]),
      (pc) => isTailCall(prog.insns[pc]!),
      log && opts.logLevel === 2 ? (line) => log.line(line) : null, cfg.prunePoint);
    this.trail = (opts.pathStates ?? !!opts.log) ? (this.log ?? new Log(prog, this.dom, opts.disasm)) : null;
    if (this.trail) {
      this.trail.btfTypeName = (r) => this.btfTypeName(r);
      this.trail.innerMap = (idx) => this.innerMaps[idx - this.prog.maps.length];
      this.trail.kfuncName = (id, module) => (module === 0 ? this.logBtf()?.type(id)?.name : undefined);
    }
    this.ctx = verifierCtxLayout(prog.type);
    this.insnLimit = opts.insnLimit ?? INSN_LIMIT;
    this.nrCpus = Math.max(1, opts.nrCpus ?? machineCpus());
    this.explored = new Array(prog.insns.length);
    this.globals = globalSubprogs(prog, cfg);
    this.globalCalled = new Uint8Array(cfg.subprogs.length);
    this.globalChangesPkt = new Uint8Array(cfg.subprogs.length);
    this.globals.forEach((g, i) => { if (g) this.globalChangesPkt[i] = changesPktData(prog, cfg, i) ? 1 : 0; });
  }

  /** Rejects at the current instruction; `after`: the lines the kernel logs after the message. */
  reject(kind: ErrorKind, message: string, after: readonly string[] = []): never {
    throw new Reject(this.pc, kind, message, after);
  }

  /**
   * check_resource_leak: every reference still held is a leak ("Unreleased reference id=N
   * alloc_insn=M", one line each), then `<what> would lead to reference leak`.
   */
  rejectLeaks(what: string): void {
    checkSectionsClosed(this, what, () => {
      const refs = this.cur.refs.filter((r) => !r.kind);
      if (!refs.length) return;
      const lines = refs.map((r) => `Unreleased reference id=${r.id} alloc_insn=${r.insn}`);
      this.reject('reference_leak', lines[0]!, [...lines.slice(1), `${what} would lead to reference leak`]);
    });
  }

  get frame(): Frame {
    return curFrame(this.cur);
  }

  reg(r: number): Reg {
    return this.frame.regs[r]!;
  }

  /** Inner-map templates of map-in-map lookups, indexed after program.maps. */
  readonly innerMaps: MapSpec[] = [];
  /** Per inner-map index: the map_uid it stands for (0: any inner map of that template). */
  private readonly innerUids: number[] = [];

  map(idx: number): MapSpec {
    const m = idx >= this.prog.maps.length ? this.innerMaps[idx - this.prog.maps.length] : this.prog.maps[idx];
    if (!m) this.reject('invalid_insn', `fd ${idx} is not pointing to valid bpf_map`);
    return m;
  }

  /** reg->map_uid of map index `idx`: 0 but for an inner map told apart by its lookup. */
  mapUid(idx: number): number {
    return idx >= this.prog.maps.length ? this.innerUids[idx - this.prog.maps.length] ?? 0 : 0;
  }

  /**
   * The index standing for the inner map of map-in-map `outer` found by the lookup whose id is
   * `uid`. An inner map whose values hold a timer, workqueue or task_work is told apart by that id
   * (reg->map_uid = reg->id), so that an object of one inner map is not armed with another inner
   * map of the same template (process_timer_func's map_uid check); other inner maps share one index.
   */
  innerMap(outer: number, uid: number): number {
    const o = this.map(outer);
    // Legacy (iproute2-style) map-in-map definitions name no template; cilium pairs `X` with `X_inner`.
    const spec = o.inner ?? this.prog.maps.find((m) => m.name === `${o.name}_inner`);
    if (!spec) this.reject('unsupported', `map-in-map ${this.map(outer).name} has no inner map template`);
    const rec = mapRecord(this.prog, spec);
    const keyed = recordField(rec, 'timer') || recordField(rec, 'wq') || recordField(rec, 'task_work') ? uid : 0;
    let i = 0;
    while (i < this.innerMaps.length && (this.innerMaps[i] !== spec || this.innerUids[i] !== keyed)) i++;
    if (i === this.innerMaps.length) { this.innerMaps.push(spec); this.innerUids.push(keyed); }
    return this.prog.maps.length + i;
  }

  newId(): number {
    return ++this.idGen;
  }

  // ---- register marking (the kernel's __mark_reg_*) ----

  markUnknown(r: Reg): void {
    r.type = T.SCALAR;
    r.v = this.UNKNOWN;
    r.off = 0;
    r.id = 0;
    r.refObjId = 0;
    r.range = 0;
    r.map = -1;
    r.memSize = 0;
    r.frameno = 0;
    r.precise = false;
    r.dynptrId = 0;
  }

  markScalar(r: Reg, v: Scalar): void {
    this.markUnknown(r);
    r.v = v;
  }

  markKnown(r: Reg, v: bigint): void {
    this.markScalar(r, this.dom.known(v));
  }

  /** markKnown of an integer (an immediate). */
  markKnownInt(r: Reg, n: number): void {
    this.markScalar(r, this.dom.knownInt(n));
  }

  markNotInit(r: Reg): void {
    this.markUnknown(r);
    r.type = T.NOT_INIT;
  }

  /** A pointer of `type` with no variable offset. */
  markPtr(r: Reg, type: number, off = 0): void {
    this.markUnknown(r);
    r.type = type;
    r.v = this.ZERO;
    r.off = off;
  }

  /** check_reg_arg(SRC_OP): the register must exist and hold a value. */
  readReg(regno: number): Reg {
    if (regno >= MAX_BPF_REG) this.invalidReg(regno);
    this.scratched |= 1 << regno;
    const r = this.reg(regno);
    if (r.type === T.NOT_INIT) this.reject('uninit_reg', `R${regno} !read_ok`);
    return r;
  }

  /** check_reg_arg(DST_OP): the register must exist and may be written (not r10). */
  writeReg(regno: number): Reg {
    if (regno >= MAX_BPF_REG) this.invalidReg(regno);
    if (regno === 10) this.reject('frame_pointer_write', 'frame pointer is read only');
    this.scratched |= 1 << regno;
    return this.reg(regno);
  }

  /** A register field above r10 (4 bits encode r0..r15), met where exploration reaches it. */
  private invalidReg(regno: number): never {
    this.reject('invalid_insn', `R${regno} is invalid`);
  }

  setReg(regno: number, src: Reg): void {
    copyReg(this.writeReg(regno), src);
  }

  isConst(r: Reg): boolean {
    return r.type === T.SCALAR && this.dom.isConst(r.v);
  }

  /** register_is_null: the known scalar 0. */
  isNull(r: Reg): boolean {
    return r.type === T.SCALAR && this.dom.constValue(r.v) === 0n;
  }

  typeStr(r: Reg): string {
    return typeName(r.type);
  }

  /** Every register and spilled register in every frame, for id-based propagation. */
  forEachReg(fn: (r: Reg) => void): void {
    forEachRegOf(this.cur, fn);
  }

  /** Pointers carrying values that may not be dereferenced after a helper changed the packet. */
  clearPacketPointers(): void {
    this.forEachReg((r) => {
      // clear_all_pkt_pointers: packet pointers, and slices of skb / xdp dynptrs (reg_is_dynptr_slice_pkt)
      if (r.type === T.PTR_TO_PACKET || r.type === T.PTR_TO_PACKET_META || r.type === T.PTR_TO_PACKET_END
        || (base(r.type) === T.PTR_TO_MEM && (r.type & (DYNPTR_TYPE_SKB | DYNPTR_TYPE_XDP | DYNPTR_TYPE_SKB_META)) !== 0)) this.markUnknown(r);
    });
  }

  isPointer(r: Reg): boolean {
    return isPointer(r.type);
  }

  // ---- the target kernel's BTF (BTF-typed contexts, kernel pointers, kfuncs) ----

  private kbtf: Btf | undefined;
  /** The target kernel's BTF (program.targetBtf, else the running kernel's); refuses the program when there is none. */
  kernelBtf(): Btf {
    if (this.kbtf) return this.kbtf;
    const b = readTargetBtf(this.prog.targetBtf ?? RUNNING_KERNEL_BTF);
    if (typeof b === 'string') this.reject('unsupported', `this program needs the target kernel's BTF: ${b}`);
    this.kbtf = b;
    return b;
  }

  /**
   * btf_type_name for the log: the name of a PTR_TO_BTF_ID register's type in its BTF (the
   * program's for allocated objects, the kernel's otherwise); "" when that BTF is not there.
   */
  btfTypeName(r: Reg): string {
    const btf = isLocalBtf(r.type) ? programBtf(this.prog) : this.logBtf();
    return btf?.type(r.memSize)?.name ?? '';
  }

  /** The target kernel's BTF for log text only: null when there is none (the log never refuses a program). */
  private logBtf(): Btf | null {
    if (!this.kbtf) {
      const b = readTargetBtf(this.prog.targetBtf ?? RUNNING_KERNEL_BTF);
      if (typeof b !== 'string') this.kbtf = b;
    }
    return this.kbtf ?? null;
  }

  /**
   * in_sleepable: BPF_F_SLEEPABLE from the section (fentry.s, lsm.s, iter.s, syscall, ...). The
   * sleepable async callbacks (workqueues, task work) need no flag of their own: the running kernel
   * refuses them in a program that is not sleepable (async-work.ts), so their paths have the program's.
   */
  get sleepable(): boolean {
    return (sectionType(this.prog.section ?? '').progFlags & BPF_F_SLEEPABLE) !== 0;
  }

  /** in_rcu_cs: non-sleepable programs run under RCU; sleepable ones inside bpf_rcu_read_lock sections or while holding a spin lock. */
  inRcu(): boolean {
    return inRcuSection(this);
  }

  private target: TracingTarget | undefined;
  /** The attach target of a BTF-typed program (tp_btf, fentry, lsm, iter), or undefined for other types. */
  tracingTarget(): TracingTarget | undefined {
    if (this.target) return this.target;
    if (this.prog.type === 'struct_ops') return this.structOpsTarget();
    if (!isBtfCtxProgram(this.prog.type, this.prog.expectedAttachType)) return undefined;
    const btf = this.kernelBtf();
    const t = tracingTarget(btf, this.prog.type, this.prog.expectedAttachType!, this.prog.attachTo);
    if (typeof t === 'string') this.reject('invalid_insn', t);
    const disabled = this.prog.type === 'lsm' ? lsmTargetError(t, btf.find(t.name, 'func')[0]?.id ?? 0) : undefined;
    if (disabled) this.reject('invalid_insn', disabled);
    this.target = t;
    return t;
  }

  /** A struct_ops program's struct, member and context (check_struct_ops_btf_id); refuses the program as the kernel does. */
  structOpsTarget(): StructOpsTarget {
    if (this.target) return this.target as StructOpsTarget;
    const t = structOpsTarget(this.kernelBtf(), { ...(this.prog.structOps && { structOps: this.prog.structOps }), gpl: gplCompatible(this.prog.license), sleepable: this.sleepable });
    if ('message' in t) this.reject(t.unsupported ? 'unsupported' : 'invalid_insn', t.message);
    this.target = t;
    return t;
  }
}
