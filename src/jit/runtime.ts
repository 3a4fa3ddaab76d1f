/**
 * Running compiled programs: the shared WebAssembly memory, function table and step budget,
 * the imports every module calls (helper dispatch, memory slow paths, traps, LD_ABS), and the
 * region table kept in linear memory.
 *
 * Setup and results are the VM's own (Vm.prepare / Vm.finish): the JIT runs its code on the
 * same PreparedRun, so both engines see identical maps, contexts, packets and helpers. The
 * JIT rebinds the eight stack regions, the packet region and the helpers' register file to
 * views over its linear memory; every other region (ctx, map values, ring-buffer records,
 * plain input memory) stays where it is and is reached through the slow-path imports.
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import type { Program } from '../isa/program.js';
import * as op from '../isa/opcodes.js';
import { VmError } from '../runtime/errors.js';
import { F_CTX, F_WRITABLE, MAX_FRAMES, Memory, STACK_SIZE } from '../runtime/memory.js';
import type { HelperFn } from '../runtime/helpers/impl/index.js';
import { ATOMIC_KINDS, ldAbsLoad, memAtomic, memSlowLoad, memSlowStore } from '../runtime/access.js';
import { timedMayGotoCheck } from '../runtime/may-goto.js';
import { cannotExecute } from '../vm/decoded.js';
import type { PreparedRun } from '../vm/vm.js';
import { FN_PARAMS, FN_RESULTS, generateModule, type GeneratedProgram } from './codegen.js';
import { type HostCallName, installHostCalls } from './host-calls.js';
import { E_ALIGN, E_BASE, E_END, E_START, E_WEND, ENTRY_SIZE, INITIAL_PAGES, PACKET, REGS, SCRATCH, STACKS, TABLE, TABLE_CAP, TRAP } from './layout.js';
import type { JitMode } from './memory.js';
import { Wasm, type WasmGlobal, type WasmImportValue, type WasmMemory, type WasmTable } from './wasm/host.js';
import { I32, I64, ModuleBuilder, Op } from './wasm/index.js';


/** Subprogram entry signature as JS sees it. */
type WasmFn = (...args: Array<bigint | number>) => bigint[];

/** One program compiled and instantiated in a runtime. */
export interface JitModule {
  program: Program;
  gen: GeneratedProgram;
  /** The wasm module this program was compiled into (shared by a batch). */
  bytes: Uint8Array;
  /** Programs compiled in the same module. */
  batch: number;
  /** Table index of subprogram i = tableBase + i. */
  tableBase: number;
  funcs: WasmFn[];
  /** Entry pc -> subprogram index. */
  entryIndex: Map<number, number>;
  pseudo: Map<number, WasmGlobal>;
  /** ms to generate the wasm, and to compile + instantiate it (for the whole batch). */
  genMs: number;
  compileMs: number;
}

export interface RuntimeOptions {
  mode: JitMode;
  maxSteps: number;
}

/**
 * V8 (Node 20) compiles a module's functions lazily, on their first call, but validates all of
 * them when the module is created -- in background tasks, whose hand-offs cost a small module
 * more than the validation itself: with lazy validation a 50-instruction program's module costs
 * about half the CPU (and no helper threads), which matters when a fuzzing campaign compiles one
 * module per program. Functions are then validated when first called (a codegen bug still
 * surfaces, as a CompileError from the call); WebAssembly.validate still checks everything.
 * Set once, before the first runtime compiles anything; flags are per process.
 */
let lazyValidation = false;
function validateLazily(): void {
  if (lazyValidation) return;
  lazyValidation = true;
  try { setFlagsFromString('--wasm-lazy-validation'); } catch { /* another host: eager validation, only slower */ }
}

export class JitRuntime {
  readonly mode: JitMode;
  readonly maxSteps: number;
  readonly memory = new Wasm.Memory({ initial: INITIAL_PAGES });
  readonly table = new Wasm.Table({ element: 'anyfunc', initial: 0 });
  readonly budget = new Wasm.Global({ value: 'i32', mutable: true }, 0);
  readonly depthMax = new Wasm.Global({ value: 'i32', mutable: true }, 0);
  private readonly modules = new Map<Program, JitModule>();
  /** Compiled programs by id (the host calls' last argument; see codegen.ts progBase). */
  private readonly byId = new Map<number, JitModule>();
  private nextId = 0;
  private i32 = new Int32Array(this.memory.buffer);
  private regsView = new Int32Array(this.memory.buffer, REGS, 22);
  /** The run in progress. */
  private run: PreparedRun | null = null;
  private mem: Memory | null = null;
  private helpers: readonly (HelperFn | undefined)[] = [];
  /** Call depth of the helper call in progress (bpf_loop callbacks run one frame deeper). */
  private depth = 0;
  /** The module whose helper call is in progress. */
  private cur: JitModule | null = null;
  /** Table entries written so far (ids below this may hold stale entries from an earlier run). */
  private synced = 0;
  private packetRegion = 0;
  private readonly fpHi0: number;
  private stepLimitHit = false;

  /** enter(tableIndex, depth): runs a subprogram with r0..r10 from REGS and leaves r0..r5 there (i32-only JS boundary: no BigInt per call). */
  private readonly enter: (tableIndex: number, depth: number) => void;

  constructor(opts: RuntimeOptions) {
    validateLazily();
    this.mode = opts.mode;
    this.maxSteps = Math.min(opts.maxSteps, 0x7fffffff);
    this.fpHi0 = Memory.hiOf(new Memory().stackIds[0]!);
    this.buf = this.memory.buffer;
    installHostCalls(this.table, this.hostCalls());
    this.enter = buildTrampoline(this.memory, this.table);
    const ids = new Memory().stackIds;
    for (let d = 1; d < MAX_FRAMES; d++)
      if (ids[d] !== ids[0]! + d) throw new Error('jit: stack regions are not consecutive');
  }

  get checked(): boolean { return this.mode === 'checked'; }

  /** Compiles (once) and instantiates `program` in this runtime. */
  module(program: Program): JitModule {
    return this.modules.get(program) ?? this.compile([program])[0]!;
  }

  /**
   * Compiles several programs into ONE wasm module (the host has a fixed cost per module, about
   * a millisecond; tests and fuzzers compiling thousands of small programs batch them).
   */
  compile(programs: readonly Program[]): JitModule[] {
    const todo = programs.filter((p, i) => !this.modules.has(p) && programs.indexOf(p) === i);
    if (todo.length) this.compileNew(todo);
    return programs.map((p) => this.modules.get(p)!);
  }

  private compileNew(programs: readonly Program[]): void {
    const t0 = performance.now();
    const progBase = this.nextId;
    this.nextId += programs.length;
    const gen = generateModule(programs, { mode: this.mode, countSteps: this.checked, fpHi0: this.fpHi0 });
    const t1 = performance.now();
    const mod = new Wasm.Module(gen.bytes);
    const jms: JitModule[] = programs.map((program, i) => ({
      program, gen: gen.programs[i]!, bytes: gen.bytes, batch: programs.length, tableBase: 0, funcs: [],
      entryIndex: new Map(), pseudo: new Map(), genMs: t1 - t0, compileMs: 0,
    }));
    jms.forEach((jm, i) => this.byId.set(progBase + i, jm));
    const instance = new Wasm.Instance(mod, { env: { memory: this.memory, table: this.table, budget: this.budget, depthMax: this.depthMax, progBase } });
    const ex = instance.exports;
    for (const [pi, jm] of jms.entries()) {
      jm.tableBase = this.table.length;
      this.table.grow(jm.gen.entries.length);
      jm.gen.entries.forEach((pc, i) => {
        const f = ex[`f${pi}_${i}`] as WasmFn;
        jm.funcs.push(f);
        jm.entryIndex.set(pc, i);
        this.table.set(jm.tableBase + i, f);
      });
      for (const p of jm.gen.pseudo) jm.pseudo.set(p.pc, ex[p.global] as WasmGlobal);
    }
    const ms = performance.now() - t1;
    for (const jm of jms) {
      jm.compileMs = ms;
      this.modules.set(jm.program, jm);
      if (this.run) this.setPseudo(jm, this.run);
    }
  }

  /** Drops a compiled program (its table slots stay, empty): for long sessions of short-lived programs. */
  release(program: Program): void {
    const jm = this.modules.get(program);
    if (!jm) return;
    for (let i = 0; i < jm.funcs.length; i++) this.table.set(jm.tableBase + i, null);
    this.modules.delete(program);
    for (const [id, x] of this.byId) if (x === jm) { this.byId.delete(id); break; }
  }

  /** Runs a prepared run (from Vm.prepare) on compiled code. Returns r0 or throws what the VM would. */
  execute(run: PreparedRun): { r0: bigint; steps: number; maxDepth: number } {
    this.bind(run);
    const main = this.module(run.program);
    for (const jm of this.modules.values()) this.setPseudo(jm, run);
    this.budget.value = this.maxSteps;
    this.depthMax.value = 0;
    this.stepLimitHit = false;
    try {
      const R = this.regsView;
      R.fill(0);
      setReg(R, 1, run.initialR1);
      setReg(R, 2, run.initialR2);
      setReg(R, 10, run.initialR10);
      this.enter(main.tableBase, 0);
      return { r0: getReg(R, 0), steps: this.steps(), maxDepth: this.depthMax.value as number };
    } catch (e) {
      if (e instanceof RangeError && /call stack/i.test(e.message)) throw new VmError('call_depth', run.env.pc, 'host stack exhausted');
      throw e;
    } finally {
      this.run = null;
    }
  }

  /** Instructions executed in the last run (checked mode only; trusted code does not count). */
  steps(): number {
    if (!this.checked) return 0;
    if (this.stepLimitHit) return this.maxSteps + 1;
    return this.maxSteps - (this.budget.value as number);
  }

  // ---- memory binding ----

  /** Points the run's register file, stacks and packet at linear memory and fills the region table. */
  private bind(run: PreparedRun): void {
    if (this.bound === run && run.mem.count === this.boundCount) { this.run = run; return; } // repeated runs of one setup
    const mem = run.mem;
    this.run = run;
    this.mem = mem;
    this.helpers = run.helpers;
    const pk = run.env.packet;
    const need = PACKET + (pk ? pk.buf.length : 0);
    if (need > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / 65536));
      this.buf = this.memory.buffer;
      this.i32 = new Int32Array(this.memory.buffer);
      this.regsView = new Int32Array(this.memory.buffer, REGS, 22);
    }
    const buf = this.memory.buffer;
    run.env.regs = this.regsView;
    run.env.callFunction = (pc, a1, a2, a3, a4, a5) => this.callFunction(pc, a1, a2, a3, a4, a5);
    for (let d = 0; d < MAX_FRAMES; d++) {
      const id = mem.stackIds[d]!;
      if (mem.bytes[id]!.buffer !== buf) this.rebind(mem, id, new Uint8Array(buf, STACKS + d * STACK_SIZE, STACK_SIZE));
    }
    this.packetRegion = 0;
    if (pk) {
      const view = new Uint8Array(buf, PACKET, pk.buf.length);
      view.set(pk.buf);
      this.rebind(mem, pk.region, view);
      pk.buf = view;
      this.packetRegion = pk.region;
      this.pkStart = mem.start[pk.region]!;
      this.pkEnd = mem.end[pk.region]!;
    }
    // a fresh table for this run
    const top = Math.min(Math.max(this.synced, mem.count), TABLE_CAP);
    for (let id = 0; id < top; id++) this.writeEntry(id);
    this.synced = Math.min(mem.count, TABLE_CAP);
    this.bound = run;
    this.boundCount = mem.count;
  }

  private bound: PreparedRun | null = null;
  private boundCount = 0;

  private rebind(mem: Memory, id: number, view: Uint8Array): void {
    const old = mem.bytes[id]!;
    view.set(old.subarray(0, Math.min(old.length, view.length)));
    mem.bytes[id] = view;
    mem.views[id] = new DataView(view.buffer, view.byteOffset, view.byteLength);
  }

  /** Table entry of region `id`: linear base and window when its bytes are in linear memory, else "always slow". */
  private writeEntry(id: number): void {
    const mem = this.mem!;
    const e = (TABLE + id * ENTRY_SIZE) >> 2;
    const T = this.i32;
    const bytes = id < mem.count ? mem.bytes[id] : undefined;
    if (id > 0 && bytes && bytes.buffer === this.buf && (mem.flags[id]! & F_CTX) === 0) {
      T[e + (E_BASE >> 2)] = bytes.byteOffset;
      T[e + (E_START >> 2)] = mem.start[id]!;
      T[e + (E_END >> 2)] = mem.end[id]!;
      T[e + (E_WEND >> 2)] = (mem.flags[id]! & F_WRITABLE) !== 0 ? mem.end[id]! : 0;
      T[e + (E_ALIGN >> 2)] = mem.align[id]!;
    } else {
      T[e + (E_BASE >> 2)] = -1;
      T[e + (E_START >> 2)] = 1;
      T[e + (E_END >> 2)] = 0;
      T[e + (E_WEND >> 2)] = 0;
      T[e + (E_ALIGN >> 2)] = 0;
    }
  }

  /** After JS code ran (helpers): new regions get entries, the packet's window may have moved. */
  private sync(): void {
    const mem = this.mem!;
    const count = mem.count;
    if (count > this.synced) {
      const top = Math.min(count, TABLE_CAP);
      for (let id = this.synced; id < top; id++) this.writeEntry(id);
      this.synced = top;
    }
    this.boundCount = count;
    const pr = this.packetRegion;
    if (pr && (mem.start[pr] !== this.pkStart || mem.end[pr] !== this.pkEnd)) {
      this.writeEntry(pr);
      this.pkStart = mem.start[pr]!;
      this.pkEnd = mem.end[pr]!;
    }
  }

  private pkStart = 0;
  private pkEnd = 0;
  /** this.memory.buffer, cached (the getter is not free); replaced when the memory grows. */
  private buf: ArrayBuffer;

  private setPseudo(jm: JitModule, run: PreparedRun): void {
    const values = run.pseudo.get(jm.program);
    for (const [pc, g] of jm.pseudo) {
      const v = values?.get(pc);
      if (v === undefined) throw new VmError('bad_insn', pc, 'ld_imm64 value not prepared for this program');
      g.value = BigInt.asIntN(64, v);
    }
  }

  // ---- imports ----

  /** The JS side of the host calls (host-calls.ts), installed once per runtime. */
  private hostCalls(): Record<HostCallName, WasmImportValue> {
    const self = this;
    const S = SCRATCH >> 2;
    const checked = this.checked;
    // a host call's last argument: the calling program's id (progBase + its index in the module)
    const byId = this.byId;
    return {
      helper(id: number, pc: number, depth: number, prog: number): number {
        const fn = self.helpers[id];
        if (!fn) throw new VmError('unknown_helper', pc, `unknown helper #${id}`);
        const env = self.run!.env;
        env.pc = pc;
        const prevDepth = self.depth, prevCur = self.cur;
        self.depth = depth;
        self.cur = byId.get(prog)!;
        fn(env); // on a throw the run is over: nothing to restore
        self.depth = prevDepth;
        self.cur = prevCur;
        self.sync();
        if (env.tailCall) {
          const target = env.tailCall.program;
          env.tailCall = null;
          if (!target || typeof target !== 'object' || !self.run!.linked.has(target as Program))
            throw new VmError('bad_call', pc, 'tail call target is not a loaded program');
          return self.module(target as Program).tableBase;
        }
        return -1;
      },
      load(pc: number, hi: number, lo: number, off: number, size: number, signed: number): void {
        const mem = self.mem!;
        if (!checked) {
          // trusted: a verified access to a region outside linear memory (map value, ring-buffer record);
          // a pointer whose offset left [0, 2^32) (guard byte 0x7f/0x81) lands outside the view: the VM's rule;
          // region 0 (NULL kernel pointers: probe loads) takes the slow path
          const id = (hi >>> 8) & 0xffff, at = (lo >>> 0) + off;
          if (id > 0 && id < mem.count && (mem.flags[id]! & F_CTX) === 0 && at >= 0 && at + size <= mem.views[id]!.byteLength) {
            const v = mem.views[id]!, T = self.i32, s = signed !== 0;
            const l = size === 1 ? (s ? v.getInt8(at) : v.getUint8(at)) : size === 2 ? (s ? v.getInt16(at, true) : v.getUint16(at, true)) : v.getInt32(at, true);
            T[S] = l;
            T[S + 1] = size === 8 ? v.getInt32(at + 4, true) : s ? l >> 31 : 0;
            return;
          }
        }
        memSlowLoad(mem, pc, hi, (lo >>> 0) + off, size, signed !== 0, self.out);
        self.i32[S] = self.out[0]!;
        self.i32[S + 1] = self.out[1]!;
      },
      store(pc: number, hi: number, lo: number, off: number, size: number, vlo: number, vhi: number): void {
        const mem = self.mem!;
        if (!checked) {
          const id = (hi >>> 8) & 0xffff, at = (lo >>> 0) + off;
          if (id < mem.count && (mem.flags[id]! & F_CTX) === 0 && at >= 0 && at + size <= mem.views[id]!.byteLength) {
            const v = mem.views[id]!;
            if (size === 1) v.setInt8(at, vlo);
            else if (size === 2) v.setInt16(at, vlo, true);
            else { v.setInt32(at, vlo, true); if (size === 8) v.setInt32(at + 4, vhi, true); }
            return;
          }
        }
        memSlowStore(mem, pc, hi, (lo >>> 0) + off, size, vlo, vhi);
      },
      atomic(pc: number, hi: number, lo: number, off: number, kind: number, is64: number, bLo: number, bHi: number, r0lo: number, r0hi: number): void {
        const T = self.i32;
        T[S] = bLo; T[S + 1] = bHi; T[S + 2] = r0lo; T[S + 3] = r0hi;
        memAtomic(self.mem!, pc, hi, lo, off, (ATOMIC_KINDS as readonly number[]).indexOf(kind), is64 !== 0, T, S, T, S + 2);
      },
      trap(kind: number, pc: number, arg: number, prog: number): void {
        switch (kind) {
          case TRAP.STEP_LIMIT: {
            self.stepLimitHit = true;
            throw new VmError('step_limit', stepPc(byId.get(prog)!.program, pc, arg), `step limit of ${self.maxSteps} instructions reached`);
          }
          case TRAP.CALL_DEPTH: throw new VmError('call_depth', pc, `the call stack is too deep (max ${MAX_FRAMES} frames)`);
          case TRAP.OFF_END: throw new VmError('bad_insn', pc, 'execution fell off the end of the program');
          case TRAP.TAIL_R10: throw new VmError('unsupported', pc, 'jit: r10 was changed before control left this subprogram (tail call or fall-through)');
          default: throw new VmError('bad_insn', pc, cannotExecute(byId.get(prog)!.program.insns[pc]));
        }
      },
      kfunc(pc: number, depth: number, prog: number): void {
        const run = self.run!;
        const jm = byId.get(prog)!;
        const k = run.linked.get(jm.program)?.kfuncs.get(pc);
        if (!k || !('fn' in k)) throw new VmError('unsupported', pc, k?.why ?? 'kfunc call was not linked');
        const env = run.env;
        env.pc = pc;
        const prevDepth = self.depth, prevCur = self.cur;
        self.depth = depth;
        self.cur = jm;
        k.fn(env);
        self.depth = prevDepth;
        self.cur = prevCur;
        self.sync();
      },
      mayGoto(stamp: bigint): number {
        const a = self.mgStamp;
        a[0] = stamp;
        const count = timedMayGotoCheck(self.run!.env.clock, a, 0);
        const T = self.i32;
        T[S] = Number(BigInt.asUintN(32, a[0]!)) | 0;
        T[S + 1] = Number(BigInt.asUintN(64, a[0]!) >> 32n) | 0;
        return count;
      },
      ldAbs(pc: number, srcLo: number, k: number, size: number, ind: number): number {
        return ldAbsLoad(self.run!.env, pc, ind ? (srcLo | 0) + k : k, size);
      },
    };
  }

  private readonly out = new Int32Array(2);
  /** The frame timestamp a may_goto time check works on (the frame's own lives in a wasm local). */
  private readonly mgStamp = new BigInt64Array(1);

  /** bpf_loop / for_each_map_elem callbacks: a subprogram of the current program as a new frame. */
  private callFunction(pc: number, a1: bigint, a2: bigint, a3: bigint, a4: bigint, a5: bigint): bigint {
    const run = this.run!;
    const jm = this.cur;
    if (!jm) throw new VmError('bad_call', pc, 'callback outside a running program');
    if (pc < 0 || pc >= jm.program.insns.length) throw new VmError('bad_call', run.env.pc, `callback target ${pc} outside the program`);
    const depth = this.depth + 1;
    if (depth >= MAX_FRAMES) throw new VmError('call_depth', run.env.pc, `the call stack is too deep (max ${MAX_FRAMES} frames)`);
    const fi = jm.entryIndex.get(pc);
    if (fi === undefined) throw new VmError('unsupported', run.env.pc, `jit: callback target ${pc} is not a subprogram entry`);
    const R = this.regsView;
    const saved = R.slice(12, 22);
    if (depth > (this.depthMax.value as number)) this.depthMax.value = depth;
    const envPc = run.env.pc;
    // r0 and r6..r9 are the caller's (already in REGS), r1..r5 the arguments, r10 the new frame
    setReg(R, 1, a1); setReg(R, 2, a2); setReg(R, 3, a3); setReg(R, 4, a4); setReg(R, 5, a5);
    setReg(R, 10, Memory.ptr(run.mem.stackIds[depth]!, STACK_SIZE));
    // the VM leaves the callee's r0..r5 in the register file and restores r6..r10
    this.enter(jm.tableBase + fi, depth);
    R.set(saved, 12);
    run.env.pc = envPc;
    this.cur = jm;
    return getReg(R, 0);
  }
}

/** The pc at which the VM's step counter runs out: `remaining` instructions after `from`. */
function stepPc(program: Program, from: number, remaining: number): number {
  let pc = from;
  for (let i = 0; i < remaining; i++) pc += program.insns[pc]?.code === op.BPF_LD_IMM64 ? 2 : 1;
  return pc;
}


function setReg(R: Int32Array, i: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  R[2 * i] = Number(u & 0xffffffffn) | 0;
  R[2 * i + 1] = Number(u >> 32n) | 0;
}

function getReg(R: Int32Array, i: number): bigint {
  return (BigInt(R[2 * i + 1]! >>> 0) << 32n) | BigInt(R[2 * i]! >>> 0);
}

/** A small module sharing the memory and table: enter(idx, depth) = REGS -> call_indirect -> REGS. */
function buildTrampoline(memory: WasmMemory, table: WasmTable): (tableIndex: number, depth: number) => void {
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 1);
  m.importTable('env', 'table', 0);
  const fnType = m.type(FN_PARAMS, FN_RESULTS);
  const { index, code: c } = m.func([I32, I32], []);
  for (let r = 0; r <= 10; r++) c.i32(0).mem(Op.i64_load, 3, REGS + 8 * r);
  c.get(1).get(0).callIndirect(fnType, 0);
  const t = c.local(I64);
  for (let r = 5; r >= 0; r--) { c.set(t); c.i32(0).get(t).mem(Op.i64_store, 3, REGS + 8 * r); }
  m.exportFunc('enter', index);
  const inst = new Wasm.Instance(new Wasm.Module(m.encode()), { env: { memory, table } });
  return inst.exports['enter'] as (tableIndex: number, depth: number) => void;
}
