/**
 * The path machine: executes a program along ONE fixed path (the pcs the verifier followed to a
 * rejection) with the concrete eBPF semantics over symbolic inputs, collecting the path condition
 * as Z3 constraints. Inputs are the context bytes, the packet length and bytes, the initial
 * contents of every map (value bytes by key, and which keys a hash map holds), and the result of
 * every helper whose value the program's input does not determine.
 *
 * Pointer provenance is followed concretely, as the verifier does (a register points into ctx,
 * the packet, a stack frame, a map value, a ring-buffer record); offsets and data are symbolic.
 * Because the path is fixed, a loop on it is already unrolled: the machine never branches.
 */
import type { BitVec } from 'z3-solver';
import type { Insn } from '../../isa/insn.js';
import * as op from '../../isa/opcodes.js';
import { storedMapFlags } from '../../isa/map-flags.js';
import type { MapSpec, Program } from '../../isa/program.js';
import { ctxLayout, type CtxLayout } from '../../runtime/context/index.js';
import { isSkbType, XDP_FRAME, XDP_HEADROOM, SKB_SHARED_INFO, ETH_HLEN } from '../../runtime/ctx-region.js';
import { helperProto, type HelperProto } from '../../runtime/helpers/prototypes.js';
import type { AluOp } from '../../verifier/domains/alu.js';
import type { JmpOp } from '../../verifier/domains/branch.js';
import type { ZB, ZT } from '../z3-algebra.js';
import type { Term, Terms } from './terms.js';
import { Undecided } from './undecided.js';
import { KernelCtxModel } from './kernel-objects.js';
import { gamma, type AbsReg } from './abstract.js';
import { FlatStore, MapValueStore, UNINIT, type BoolArr, type ByteArr, type MapModel, type PtrVal, type Region, type Val } from './values.js';

/** Program types whose test runs see the frame from the Ethernet header on (tc). */
const L2_TYPES: ReadonlySet<string> = new Set(['sched_cls', 'sched_act']);

/** Longest packet the machine considers: the XDP test frame (larger packets need nothing new). */
export const MAX_PACKET = XDP_FRAME - XDP_HEADROOM - SKB_SHARED_INFO;

const ALU_OPS: Record<number, AluOp> = {
  [op.BPF_ADD]: 'add', [op.BPF_SUB]: 'sub', [op.BPF_MUL]: 'mul', [op.BPF_DIV]: 'div', [op.BPF_OR]: 'or',
  [op.BPF_AND]: 'and', [op.BPF_LSH]: 'lsh', [op.BPF_RSH]: 'rsh', [op.BPF_MOD]: 'mod', [op.BPF_XOR]: 'xor', [op.BPF_ARSH]: 'arsh',
};

export const JMP_OPS: Record<number, JmpOp> = {
  [op.BPF_JEQ]: 'jeq', [op.BPF_JNE]: 'jne', [op.BPF_JSET]: 'jset', [op.BPF_JGT]: 'jgt', [op.BPF_JGE]: 'jge', [op.BPF_JLT]: 'jlt',
  [op.BPF_JLE]: 'jle', [op.BPF_JSGT]: 'jsgt', [op.BPF_JSGE]: 'jsge', [op.BPF_JSLT]: 'jslt', [op.BPF_JSLE]: 'jsle',
};

const ERRNO = { ENOENT: 2, E2BIG: 7, EFAULT: 14, EEXIST: 17, EINVAL: 22 } as const;

interface Frame {
  regs: Val[];
  stack: Region;
  /** Spilled registers by (concrete) offset from the frame top; scalars live in the stack bytes. */
  spills: Map<number, Val>;
  callsite: number;
}

/** A helper call on the path whose result the witness chooses. */
export interface HelperCall {
  pc: number;
  id: number;
  name: string;
  r0: Term;
  /** The memory the helper writes (argument register, byte count, the fresh bytes the path reads back). */
  writes: { arg: number; size: number; bytes: ZT }[];
}

/** The machine just before one instruction of the path. */
export interface StepRecord {
  pc: number;
  /** Registers of the current frame. */
  regs: readonly Val[];
  /** How many path constraints hold at this point. */
  constraints: number;
  depth: number;
}

export interface PacketModel {
  region: Region;
  store: FlatStore;
  len: Term;
  /** The first generation is the input; helpers that change packet data start a new one. */
  readonly initial: { store: ByteArr; len: Term; /** frame bytes before data (the pulled Ethernet header), at offsets -header..-1 */ header: number };
}

export class PathMachine {
  readonly T: Terms;
  readonly program: Program;
  readonly insns: readonly Insn[];
  readonly layout: CtxLayout | undefined;
  /** The path condition so far. */
  readonly constraints: ZB[] = [];
  /** Index in `constraints` -> the path step whose branch added it. */
  private readonly branchAt = new Map<number, number>();
  readonly frames: Frame[] = [];
  readonly helperCalls: HelperCall[] = [];
  readonly records: StepRecord[] = [];
  readonly ctx: { region: Region; store: FlatStore; initial: ByteArr } | null;
  /** BTF-typed contexts: the argument slots and the kernel objects behind them (null for other programs). */
  readonly kobj: KernelCtxModel | null;
  packet: PacketModel | null;
  readonly maps: (MapModel | undefined)[] = [];
  /** Ring buffer bytes reserved so far, per map (reserve succeeds while records fit). */
  private readonly ringUsed = new Map<number, number>();
  /** Per ring buffer map: "the ring starts full" (a witness choice). */
  readonly ringFull = new Map<number, ZB>();
  private nextRegion = 1;
  /** The pc being executed (for Undecided). */
  pc = 0;

  constructor(T: Terms, program: Program) {
    this.T = T;
    this.program = program;
    this.insns = program.insns;
    this.layout = ctxLayout(program.type);
    const Z = T.Z;
    const b64 = Z.BitVec.sort(64);
    const b8 = Z.BitVec.sort(8);
    if (this.layout) {
      const arr = Z.Array.const('ctx', b64, b8) as unknown as ByteArr;
      const store = new FlatStore(T, arr);
      const region = this.region('ctx', this.layout.struct, T.k(0), T.k(this.layout.size), true, false, store);
      this.ctx = { region, store, initial: arr };
    } else this.ctx = null;
    this.kobj = this.layout ? null : KernelCtxModel.forProgram(T, program, (label, size, store) => this.region('kernel', label, T.k(0), T.k(size), false, false, store));
    if (this.kobj) {
      const arr = Z.Array.const('ctx', b64, b8) as unknown as ByteArr;
      const store = new FlatStore(T, arr);
      this.ctx = { region: this.region('ctx', `${this.kobj.target.name} arguments`, T.k(0), T.k(this.kobj.ctxSize), false, false, store), store, initial: arr };
    }
    this.packet = null;
    if (this.layout && (isSkbType(program.type) || program.type === 'xdp')) {
      const arr = Z.Array.const('packet', b64, b8) as unknown as ByteArr;
      const len = T.var('packet_len');
      // as BPF_PROG_TEST_RUN (and the VM): the frame must hold an Ethernet header; skb programs other
      // than tc see the packet from the network header on (eth_type_trans pulled the 14 bytes)
      const skb = isSkbType(program.type);
      const header = skb && !L2_TYPES.has(program.type) ? ETH_HLEN : 0;
      const min = skb && header === 0 ? ETH_HLEN : 0;
      this.constraints.push(T.ule(T.k(min), len), T.ule(len, T.k(MAX_PACKET - header)));
      const store = new FlatStore(T, arr);
      const writable = program.type !== 'socket_filter' && program.type !== 'cgroup_skb';
      const region = this.region('packet', 'packet', T.k(0), len, writable, false, store);
      this.packet = { region, store, len, initial: { store: arr, len, header } };
    }
    const f = this.newFrame(-1);
    if (this.ctx) f.regs[1] = { k: 'ptr', region: this.ctx.region, off: T.k(0), nul: null };
    this.frames.push(f);
  }

  private region(kind: Region['kind'], label: string, lo: Term, hi: Term, writable: boolean, strictAlign: boolean, store: Region['store'], map?: number): Region {
    const r: Region = { id: this.nextRegion++, kind, label, lo, hi, writable, strictAlign, store, ...(map !== undefined && { map }) };
    return r;
  }

  /**
   * Each frame's stack before the program writes it. The kernel does not clear a program's stack
   * (a root program may read bytes it never wrote: earlier data); the VM does. `zeroStacks` says
   * "as the VM": explain asks first with it (a witness the VM can replay), then without.
   */
  private readonly stackInits: ByteArr[] = [];

  /** Every frame's stack starts zeroed (the VM's stack). */
  zeroStacks(): ZB[] {
    const Z = this.T.Z;
    const zero = Z.Array.K(Z.BitVec.sort(64), Z.BitVec.val(0, 8)) as unknown as ByteArr;
    return this.stackInits.map((a) => a.eq(zero));
  }

  private newFrame(callsite: number): Frame {
    const Z = this.T.Z;
    const depth = this.frames.length;
    const init = Z.Array.const(`stack${depth}_before_writes!${this.stackInits.length}`, Z.BitVec.sort(64), Z.BitVec.sort(8)) as unknown as ByteArr;
    this.stackInits.push(init);
    const stack = this.region('stack', `stack of frame ${depth}`, this.T.k(-512), this.T.k(0), true, true, new FlatStore(this.T, init));
    const regs: Val[] = new Array<Val>(11).fill(UNINIT);
    regs[10] = { k: 'ptr', region: stack, off: this.T.k(0), nul: null };
    return { regs, stack, spills: new Map(), callsite };
  }

  /**
   * The path starts in a global function the verifier checks on its own (do_check_subprogs): its
   * arguments are whatever its BTF prototype allows, i.e. the verifier's state at its entry:
   * scalars in their sets, PTR_TO_MEM(_OR_NULL) of the prototype's size, or the context.
   */
  enterGlobalFunction(entry: readonly (AbsReg | undefined)[]): void {
    const T = this.T;
    const Z = T.Z;
    const f = this.frame;
    for (let r = 1; r <= 5; r++) {
      const a = entry[r];
      if (!a) { f.regs[r] = UNINIT; continue; }
      if (a.kind === 'scalar') {
        const x = T.var(`arg_r${r}`);
        this.constraints.push(gamma(T, a.s, x));
        f.regs[r] = { k: 'scalar', t: x };
        continue;
      }
      if (a.kind === 'ptr' && a.type === 'ctx' && this.ctx) {
        f.regs[r] = { k: 'ptr', region: this.ctx.region, off: T.k(a.off), nul: null };
        continue;
      }
      const size = /\bsz=(\d+)/.exec(a.text);
      if (a.kind === 'ptr' && (a.type === 'mem' || a.type === 'mem_or_null') && size) {
        const n = Number(size[1]);
        const arr = Z.Array.const(`arg_r${r}_mem`, Z.BitVec.sort(64), Z.BitVec.sort(8)) as unknown as ByteArr;
        const region = this.region('mem', `argument R${r} (${n} bytes)`, T.k(0), T.k(n), !/rdonly/.test(a.text), false, new FlatStore(T, arr));
        f.regs[r] = { k: 'ptr', region, off: T.k(a.off), nul: a.type === 'mem_or_null' ? Z.Bool.const(`arg_r${r}_null`) : null };
        continue;
      }
      this.undecided(`argument R${r} of the global function at pc ${this.pc} (${a.text}) is not modelled`);
    }
  }

  get frame(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  reg(r: number): Val {
    return this.frame.regs[r]!;
  }

  undecided(reason: string): never {
    throw new Undecided(this.pc, reason);
  }

  /** A fact about inputs or helpers (holds on every path). */
  assume(c: ZB): void {
    if (!this.T.Z.isTrue(c)) this.constraints.push(c);
  }

  /** A branch condition of the path, made at step `records.length - 1`. */
  assumeBranch(c: ZB): void {
    if (this.T.Z.isTrue(c)) return;
    this.branchAt.set(this.constraints.length, this.records.length - 1);
    this.constraints.push(c);
  }

  /** The constraints without the branch conditions taken before step i (the verifier's state at i summarises those). */
  constraintsFrom(i: number): ZB[] {
    return this.constraints.filter((_, k) => (this.branchAt.get(k) ?? i) >= i);
  }

  /** The map model for program.maps[i], created on first use. */
  map(i: number): MapModel {
    const have = this.maps[i];
    if (have) return have;
    const spec: MapSpec | undefined = this.program.maps[i];
    if (!spec) this.undecided(`map #${i} is not declared`);
    const Z = this.T.Z;
    const keyBits = Math.max(spec.keySize, 1) * 8;
    const vals0 = Z.Array.const(`map_${spec.name}_values`, Z.BitVec.sort(keyBits + 32), Z.BitVec.sort(8)) as unknown as ByteArr;
    const hashLike = ['hash', 'lru_hash', 'percpu_hash', 'lru_percpu_hash'].includes(spec.type);
    const present0 = hashLike ? (Z.Array.const(`map_${spec.name}_present`, Z.BitVec.sort(keyBits), Z.Bool.sort()) as unknown as BoolArr) : null;
    const m: MapModel = { index: i, spec, keyBits, vals: vals0, vals0, present: present0, present0, keys: [] };
    this.maps[i] = m;
    // global data (.data/.rodata/.bss): key 0 starts with the object's bytes
    if (spec.initial && spec.valueSize <= 4096) {
      const store = new MapValueStore(this.T, m, Z.BitVec.val(0, keyBits) as ZT);
      for (let o = 0; o < spec.valueSize; o++)
        this.constraints.push((store.read(this.T.k(o), 1) as BitVec<number, 'main'>).eq(Z.BitVec.val(spec.initial[o] ?? 0, 8)));
    }
    return m;
  }

  /** A map value region for `key` of map i. */
  private mapValueRegion(i: number, key: ZT, pc: number): Region {
    const m = this.map(i);
    const rdonly = (storedMapFlags(m.spec) & 0x80) !== 0 || m.spec.readonly === true;
    return this.region('map_value', `map_value of ${m.spec.name} (pc ${pc})`, this.T.k(0), this.T.k(m.spec.valueSize), !rdonly, false, new MapValueStore(this.T, m, key), i);
  }

  // ---------------------------------------------------------------- running

  /** Executes path[0 .. n-2]; the last pc is the failing instruction, left for the caller to judge. */
  run(path: readonly number[], before?: (i: number) => void): void {
    this.advance(path, path.length - 1, before);
    this.arrive(path, before);
  }

  /** Path steps executed so far (advance continues from here). */
  private executed = 0;

  /** Executes path steps [executed, end): a long path is encoded in pieces, the solver checking each prefix. */
  advance(path: readonly number[], end: number, before?: (i: number) => void): void {
    for (let i = this.executed; i < end && i + 1 < path.length; i++) {
      this.record(path[i]!);
      before?.(i);
      this.step(path[i]!, path[i + 1]!);
      this.executed = i + 1;
    }
  }

  /** Records the arrival at the failing instruction (after advance reached it). */
  arrive(path: readonly number[], before?: (i: number) => void): void {
    this.record(path[path.length - 1]!);
    before?.(path.length - 1);
  }

  private record(pc: number): void {
    this.records.push({ pc, regs: this.frame.regs.slice(), constraints: this.constraints.length, depth: this.frames.length - 1 });
  }

  /** Executes the instruction at pc; `next` is the pc the path goes to. */
  step(pc: number, next: number): void {
    this.pc = pc;
    const ins = this.insns[pc];
    if (!ins) this.undecided(`the path leaves the program at pc ${pc}`);
    const c = op.cls(ins.code);
    switch (c) {
      case op.BPF_ALU:
      case op.BPF_ALU64:
        this.alu(ins, c === op.BPF_ALU64);
        return this.expectNext(next, pc + 1);
      case op.BPF_LDX:
        this.ldx(ins);
        return this.expectNext(next, pc + 1);
      case op.BPF_ST:
      case op.BPF_STX:
        if (op.mode(ins.code) === op.BPF_ATOMIC) this.atomic(ins);
        else this.store(ins, c === op.BPF_ST ? { k: 'scalar', t: this.T.k(ins.imm) } : this.read(ins.src));
        return this.expectNext(next, pc + 1);
      case op.BPF_LD:
        if (ins.code === op.BPF_LD_IMM64) {
          this.ldImm64(ins, pc);
          return this.expectNext(next, pc + 2);
        }
        this.ldAbs(ins);
        return this.expectNext(next, pc + 1);
      default:
        return this.jmp(ins, pc, next, c === op.BPF_JMP32);
    }
  }

  private expectNext(next: number, want: number): void {
    if (next !== want) this.undecided(`the path goes from pc ${this.pc} to ${next}, but the instruction continues at ${want}`);
  }

  /** A register read: the value (uninit reads are the verifier's business; the path never has one before its end). */
  read(r: number): Val {
    const v = this.reg(r);
    if (v.k === 'uninit') this.undecided(`R${r} is read uninitialised at pc ${this.pc}`);
    return v;
  }

  scalar(r: number): Term {
    const v = this.read(r);
    if (v.k !== 'scalar') this.undecided(`R${r} holds a ${v.k === 'ptr' ? `pointer to ${v.region.kind}` : v.k} where a number is needed at pc ${this.pc}`);
    return v.t;
  }

  private set(r: number, v: Val): void {
    this.frame.regs[r] = v;
  }

  private setScalar(r: number, t: Term): void {
    this.frame.regs[r] = { k: 'scalar', t };
  }

  // ---------------------------------------------------------------- ALU

  private alu(ins: Insn, is64: boolean): void {
    const T = this.T;
    const o = op.aluOp(ins.code);
    const useReg = op.srcBit(ins.code) === op.BPF_X;
    if (o === op.BPF_END) {
      const kind = is64 ? 'bswap' : useReg ? 'be' : 'le';
      return this.setScalar(ins.dst, T.end(this.scalar(ins.dst), ins.imm, kind));
    }
    if (o === op.BPF_NEG) return this.setScalar(ins.dst, T.neg(!is64, this.scalar(ins.dst)));
    const src: Val = useReg ? this.read(ins.src) : { k: 'scalar', t: T.k(ins.imm) };
    if (o === op.BPF_MOV) {
      if (src.k !== 'scalar') {
        if (is64 && ins.off === 0) return this.set(ins.dst, src);
        this.undecided(`a 32-bit or sign-extending move of a ${src.k} at pc ${this.pc} is not modelled`);
      }
      if (ins.off !== 0 && useReg) return this.setScalar(ins.dst, T.movsx(src.t, ins.off, !is64));
      return this.setScalar(ins.dst, is64 ? src.t : T.mov32(src.t));
    }
    let name = ALU_OPS[o];
    if (!name) this.undecided(`ALU opcode 0x${ins.code.toString(16)} at pc ${this.pc}`);
    if (ins.off === 1 && (name === 'div' || name === 'mod')) name = name === 'div' ? 'sdiv' : 'smod';
    const dst = this.read(ins.dst);
    if (dst.k === 'scalar' && src.k === 'scalar') return this.setScalar(ins.dst, T.alu(name, !is64, dst.t, src.t));
    // pointer arithmetic the verifier allowed: pointer +- number, pointer - pointer
    if (is64 && name === 'add' && dst.k === 'ptr' && src.k === 'scalar') return this.set(ins.dst, { ...dst, off: T.add(dst.off, src.t) });
    if (is64 && name === 'add' && dst.k === 'scalar' && src.k === 'ptr') return this.set(ins.dst, { ...src, off: T.add(src.off, dst.t) });
    if (is64 && name === 'sub' && dst.k === 'ptr' && src.k === 'scalar') return this.set(ins.dst, { ...dst, off: T.sub(dst.off, src.t) });
    if (is64 && name === 'sub' && dst.k === 'ptr' && src.k === 'ptr' && dst.region === src.region) return this.setScalar(ins.dst, T.sub(dst.off, src.off));
    this.undecided(`${name} of ${dst.k} and ${src.k} at pc ${this.pc} (pointer arithmetic outside +/-) is not modelled`);
  }

  // ---------------------------------------------------------------- memory

  /** The pointer an access at pc goes through, with the instruction's offset added. */
  addr(r: number, off: number): PtrVal {
    const v = this.read(r);
    if (v.k !== 'ptr') this.undecided(`R${r} is ${v.k === 'stale' ? `a pointer invalidated (${v.why})` : `a ${v.k}`}, not a pointer, at pc ${this.pc}`);
    return { ...v, off: this.T.addk(v.off, off) };
  }

  private ldx(ins: Insn): void {
    const size = op.sizeBytes(op.size(ins.code));
    const signed = op.mode(ins.code) === op.BPF_MEMSX;
    const p = this.addr(ins.src, ins.off);
    this.set(ins.dst, this.load(p, size, signed));
  }

  /** The value `size` bytes at p hold. */
  load(p: PtrVal, size: number, signed: boolean): Val {
    const T = this.T;
    const r = p.region;
    if (r.kind === 'ctx') return this.ctxLoad(p, size, signed);
    if (r.kind === 'sock') this.undecided('socket pointers (skb->sk) are not modelled');
    if (r.kind === 'kernel') return this.kobj!.load(this.kobj!.owns(r)!, this.concreteOff(p, 'a kernel object load'), size, signed);
    if (r.kind === 'stack') {
      const o = this.concreteOff(p, 'a stack load');
      const f = this.frameOf(r);
      if (f) {
        const sp = f.spills.get(o);
        if (sp && size === 8) return sp;
        if (sp && sp.k === 'stale') this.undecided(`a ${size}-byte read of a partly overwritten spilled pointer at fp${o}`);
        for (const so of f.spills.keys()) if (so < o + size && o < so + 8) this.undecided(`a ${size}-byte read of part of a spilled pointer at fp${o}`);
      }
    }
    const bytes = r.store.read(p.off, size);
    return { k: 'scalar', t: signed ? T.sext(bytes, 8 * size) : T.zext(bytes, 8 * size) };
  }

  private ctxLoad(p: PtrVal, size: number, signed: boolean): Val {
    const T = this.T;
    const off = this.concreteOff(p, 'a ctx load');
    if (this.kobj) {
      const v = this.kobj.ctxLoad(off, size);
      if (v) return v;
      const bytes = this.ctx!.store.read(p.off, size);
      return { k: 'scalar', t: signed ? T.sext(bytes, 8 * size) : T.zext(bytes, 8 * size) };
    }
    const layout = this.layout!;
    const a = layout.access(off, size, 'read', { isLdsx: signed, ...(this.program.expectedAttachType !== undefined && { expectedAttachType: this.program.expectedAttachType }) });
    if (!a.ok) this.undecided(`ctx load at off ${off} size ${size} is not allowed (${a.reason})`);
    const pk = this.packet;
    if (a.pointer === 'packet' || a.pointer === 'packet_meta') {
      if (!pk) this.undecided('a packet pointer in a program type without packet');
      return { k: 'ptr', region: pk.region, off: T.k(0), nul: null };
    }
    if (a.pointer === 'packet_end') {
      if (!pk) this.undecided('a packet pointer in a program type without packet');
      return { k: 'ptr', region: pk.region, off: pk.len, nul: null, tag: 'pkt_end' };
    }
    if (a.pointer === 'sock_common_or_null' || a.pointer === 'socket_or_null') {
      // a socket the run may or may not have (test runs have none): only its NULL-ness is modelled
      const region = this.region('sock', `${layout.struct}.${a.field?.name ?? 'sk'}`, T.k(0), T.k(0), false, false, this.ctx!.store);
      return { k: 'ptr', region, off: T.k(0), nul: T.Z.Bool.const(`sk_null@${this.pc}`) };
    }
    if (a.pointer) this.undecided(`ctx field ${a.pointer} is not modelled`);
    // the VM (like test_run) serves __sk_buff.len from the packet
    if (pk && layout.struct === '__sk_buff' && off === 0 && size === 4) return { k: 'scalar', t: pk.len };
    const bytes = this.ctx!.store.read(p.off, size);
    return { k: 'scalar', t: signed ? T.sext(bytes, 8 * size) : T.zext(bytes, 8 * size) };
  }

  private frameOf(r: Region): Frame | undefined {
    return this.frames.find((f) => f.stack === r);
  }

  concreteOff(p: PtrVal, what: string): number {
    if (p.off.c === undefined) this.undecided(`${what} at a variable offset at pc ${this.pc}`);
    return Number(BigInt.asIntN(64, p.off.c));
  }

  private store(ins: Insn, v: Val): void {
    const size = op.sizeBytes(op.size(ins.code));
    const p = this.addr(ins.dst, ins.off);
    this.storeAt(p, size, v);
  }

  storeAt(p: PtrVal, size: number, v: Val): void {
    const r = p.region;
    if (r.kind === 'sock') this.undecided('stores through socket pointers are not modelled');
    if (r.kind === 'stack') {
      const f = this.frameOf(r);
      if (p.off.c === undefined) {
        if (f && f.spills.size) this.undecided('a variable-offset stack store over spilled pointers');
      } else if (f) {
        const o = Number(BigInt.asIntN(64, p.off.c));
        for (const [so, sv] of [...f.spills]) {
          if (!(so < o + size && o < so + 8)) continue;
          // overwriting part of a spilled pointer leaves bytes that are neither the pointer nor a number the program chose
          if (size < 8 || so !== o) f.spills.set(so, sv.k === 'ptr' ? { k: 'stale', was: sv, why: `a spilled pointer partly overwritten at pc ${this.pc}` } : sv);
          else f.spills.delete(so);
        }
        if (v.k !== 'scalar') {
          if (size !== 8) this.undecided(`a ${size}-byte spill of a ${v.k}`);
          f.spills.set(o, v);
          return;
        }
      }
    } else if (r.kind === 'ctx') {
      const off = this.concreteOff(p, 'a ctx store');
      const a = this.layout!.access(off, size, 'write', this.program.expectedAttachType !== undefined ? { expectedAttachType: this.program.expectedAttachType } : {});
      if (!a.ok) this.undecided(`ctx store at off ${off} size ${size} is not allowed (${a.reason})`);
    }
    if (v.k !== 'scalar') this.undecided(`storing a ${v.k} into ${r.kind} at pc ${this.pc}`);
    r.store.write(p.off, size, v.t.z.extract(8 * size - 1, 0) as ZT);
  }

  /** A helper wrote `size` bytes the machine does not know: fresh bytes, and any pointer spilled there is gone. */
  private havoc(p: PtrVal, size: number, bytes: ZT): void {
    const r = p.region;
    if (!r.writable) this.undecided(`a helper writes read-only ${r.kind} memory`);
    if (r.kind === 'ctx' || r.kind === 'sock') this.undecided(`a helper writes ${r.kind} memory`);
    const f = r.kind === 'stack' ? this.frameOf(r) : undefined;
    if (f && f.spills.size) {
      if (p.off.c === undefined) this.undecided('a helper writes a variable stack range over spilled pointers');
      const o = Number(BigInt.asIntN(64, p.off.c));
      for (const so of [...f.spills.keys()]) if (so < o + size && o < so + 8) f.spills.delete(so);
    }
    r.store.write(p.off, size, bytes);
  }

  private atomic(ins: Insn): void {
    const T = this.T;
    const size = op.sizeBytes(op.size(ins.code));
    if (size !== 4 && size !== 8) this.undecided(`a ${size}-byte atomic`);
    const p = this.addr(ins.dst, ins.off);
    const old = this.load(p, size, false);
    if (old.k !== 'scalar') this.undecided('an atomic on a spilled pointer');
    const src = this.scalar(ins.src);
    const a32 = size === 4;
    const imm = ins.imm;
    if (imm === op.BPF_CMPXCHG) {
      const r0 = this.scalar(0);
      const eq = a32 ? T.eq(T.mov32(old.t), T.mov32(r0)) : T.eq(old.t, r0);
      this.storeAt(p, size, { k: 'scalar', t: T.ite(eq, src, old.t) });
      this.setScalar(0, old.t);
      return;
    }
    if (imm === op.BPF_XCHG) {
      this.storeAt(p, size, { k: 'scalar', t: src });
      this.setScalar(ins.src, old.t);
      return;
    }
    const names: Record<number, AluOp> = { [op.BPF_ADD]: 'add', [op.BPF_OR]: 'or', [op.BPF_AND]: 'and', [op.BPF_XOR]: 'xor' };
    const name = names[imm & ~op.BPF_FETCH];
    if (!name) this.undecided(`atomic operation 0x${imm.toString(16)}`);
    this.storeAt(p, size, { k: 'scalar', t: T.alu(name, a32, old.t, src) });
    if (imm & op.BPF_FETCH) this.setScalar(ins.src, old.t);
  }

  private ldImm64(ins: Insn, pc: number): void {
    const T = this.T;
    const hi = this.insns[pc + 1]!;
    switch (ins.src) {
      case 0:
        return this.setScalar(ins.dst, T.k((BigInt(hi.imm >>> 0) << 32n) | BigInt(ins.imm >>> 0)));
      case op.BPF_PSEUDO_MAP_FD:
      case op.BPF_PSEUDO_MAP_IDX:
        this.map(ins.imm);
        return this.set(ins.dst, { k: 'mapptr', map: ins.imm });
      case op.BPF_PSEUDO_MAP_VALUE:
      case op.BPF_PSEUDO_MAP_IDX_VALUE: {
        const m = this.map(ins.imm);
        const key = T.Z.BitVec.val(0, m.keyBits) as ZT;
        m.keys.push({ pc, key });
        return this.set(ins.dst, { k: 'ptr', region: this.mapValueRegion(ins.imm, key, pc), off: T.k(hi.imm >>> 0), nul: null });
      }
      case op.BPF_PSEUDO_FUNC:
        return this.set(ins.dst, { k: 'func', pc: pc + 1 + ins.imm });
      default:
        this.undecided(`ld_imm64 with src ${ins.src}`);
    }
  }

  /** LD_ABS / LD_IND: the path goes on only when the bytes exist (else the program returns 0). */
  private ldAbs(ins: Insn): void {
    const T = this.T;
    const pk = this.packet;
    if (!pk) this.undecided('BPF_LD_ABS without a packet');
    const size = op.sizeBytes(op.size(ins.code));
    const ind = op.mode(ins.code) === op.BPF_IND;
    const off = ind ? T.movsx(T.add(this.scalar(ins.src), T.k(ins.imm)), 32, false) : T.k(ins.imm);
    this.assumeBranch(T.and(T.sle(T.k(0), off), T.sle(T.addk(off, size), pk.len)));
    const le = pk.store.read(off, size);
    this.setScalar(0, T.end(T.zext(le, 8 * size), size * 8, 'be'));
    for (let r = 1; r <= 5; r++) this.set(r, UNINIT);
  }

  // ---------------------------------------------------------------- jumps and calls

  private jmp(ins: Insn, pc: number, next: number, is32: boolean): void {
    const o = op.jmpOp(ins.code);
    if (o === op.BPF_JA) return this.expectNext(next, pc + 1 + (is32 ? ins.imm : ins.off));
    if (o === op.BPF_EXIT) {
      if (this.frames.length === 1) this.undecided(`the path goes on after the program's exit at pc ${pc}`);
      const r0 = this.reg(0); // copied back unread, as prepare_func_exit: the caller may never read it
      const f = this.frames.pop()!;
      this.expectNext(next, f.callsite + 1);
      this.set(0, r0);
      for (let r = 1; r <= 5; r++) this.set(r, UNINIT);
      return;
    }
    if (o === op.BPF_CALL) {
      if (ins.src === op.BPF_PSEUDO_CALL) {
        // a global function is verified on its own: the caller's path steps over the call
        if (next === pc + 1 && ins.imm !== 0) this.undecided(`the path steps over the global function called at pc ${pc} (verified on its own); its effect on the caller (a summary of the call) is a construct bpflab does not model here`);
        const f = this.newFrame(pc);
        for (let r = 1; r <= 5; r++) f.regs[r] = this.reg(r);
        this.frames.push(f);
        return this.expectNext(next, pc + 1 + ins.imm);
      }
      if (ins.src !== 0) this.undecided('kfunc calls are a construct bpflab does not model on the path');
      this.helper(ins.imm, pc);
      return this.expectNext(next, pc + 1);
    }
    if (o === op.BPF_JCOND) this.undecided('may_goto is not modelled');
    const name = JMP_OPS[o];
    if (!name) this.undecided(`jump opcode 0x${ins.code.toString(16)}`);
    const target = pc + 1 + ins.off;
    if (target === pc + 1) return this.expectNext(next, pc + 1);
    if (next !== target && next !== pc + 1) this.undecided(`the path goes from the jump at pc ${pc} to ${next}`);
    const a = this.read(ins.dst);
    const b: Val = op.srcBit(ins.code) === op.BPF_X ? this.read(ins.src) : { k: 'scalar', t: this.T.k(ins.imm) };
    const cond = this.condition(name, is32, a, b);
    this.assumeBranch(next === target ? cond : this.T.not(cond));
    // a NULL check settles every copy of the pointer (the kernel's mark_ptr_or_null_regs)
    const p = a.k === 'ptr' && b.k === 'scalar' && b.t.c === 0n ? a : b.k === 'ptr' && a.k === 'scalar' && a.t.c === 0n ? b : null;
    if (p && p.nul && (name === 'jeq' || name === 'jne')) {
      const isNull = (next === target) === (name === 'jeq');
      const nul = p.nul;
      const fix = (v: Val): Val => (v.k === 'ptr' && v.nul === nul ? (isNull ? { k: 'scalar', t: this.T.k(0) } : { ...v, nul: null }) : v);
      for (const f of this.frames) {
        f.regs = f.regs.map(fix);
        for (const [o, v] of f.spills) f.spills.set(o, fix(v));
      }
    }
  }

  /** The jump condition "a op b" over values, pointers compared as the verifier allows. */
  condition(name: JmpOp, is32: boolean, a: Val, b: Val): ZB {
    const T = this.T;
    if (a.k === 'scalar' && b.k === 'scalar') return T.cond(name, is32, a.t, b.t);
    if (is32) this.undecided(`a 32-bit comparison of a ${a.k} and a ${b.k}`);
    if (a.k === 'ptr' && b.k === 'ptr' && a.region === b.region) return T.cond(name, false, a.off, b.off);
    // Pointers into objects of different kinds (the stack and a socket, the ctx and a map value)
    // are never equal, unless both are NULL; a kernel object may be any of them, and two objects
    // of one kind (two lookups of one key) may be the same one.
    if (a.k === 'ptr' && b.k === 'ptr' && (name === 'jeq' || name === 'jne') && a.region.kind !== b.region.kind && a.region.kind !== 'kernel' && b.region.kind !== 'kernel') {
      const bothNull = T.and(a.nul ?? T.ff, b.nul ?? T.ff);
      return name === 'jeq' ? bothNull : T.not(bothNull);
    }
    // pointer against NULL
    const [p, s, swapped] = a.k === 'ptr' && b.k === 'scalar' ? [a, b, false] : b.k === 'ptr' && a.k === 'scalar' ? [b, a, true] : [null, null, false];
    if (p && s && s.t.c === 0n) {
      const isNull = p.nul ?? T.ff;
      const eff: JmpOp = swapped ? ({ jgt: 'jlt', jlt: 'jgt', jge: 'jle', jle: 'jge' } as Record<string, JmpOp>)[name] ?? name : name;
      if (eff === 'jeq' || eff === 'jle') return isNull;
      if (eff === 'jne' || eff === 'jgt') return T.not(isNull);
      if (eff === 'jge') return T.tt;
      if (eff === 'jlt') return T.ff;
    }
    this.undecided(`comparing a ${a.k === 'ptr' ? a.region.kind + ' pointer' : a.k} with a ${b.k === 'ptr' ? b.region.kind + ' pointer' : b.k} (${name})`);
  }

  // ---------------------------------------------------------------- helpers

  /** The bytes helper memory argument `r` points to, `size` long. */
  private argBytes(r: number, size: number): { p: PtrVal; bytes: ZT } {
    const p = this.addr(r, 0);
    if (p.region.kind === 'ctx' || p.region.kind === 'sock') this.undecided(`a helper reading ${p.region.kind} memory`);
    if (size === 0) return { p, bytes: this.T.Z.BitVec.val(0, 8) as ZT };
    return { p, bytes: p.region.store.read(p.off, size) };
  }

  private helper(id: number, pc: number): void {
    const T = this.T;
    const Z = T.Z;
    const proto = helperProto(id);
    if (!proto) this.undecided(`helper #${id} has no prototype`);
    const ret = (t: Term): void => this.setScalar(0, t);
    switch (id) {
      case 1: case 195: { // map_lookup_elem, map_lookup_percpu_elem
        const mi = this.mapArg(1);
        const m = this.map(mi);
        const key = this.argBytes(2, m.spec.keySize).bytes;
        m.keys.push({ pc, key });
        let found: ZB;
        if (m.spec.type === 'array' || m.spec.type === 'percpu_array') found = (key.extract(31, 0) as BitVec<number, 'main'>).ult(Z.BitVec.val(m.spec.maxEntries, 32));
        else if (m.present) found = m.present.select(key as BitVec<number, 'main'>);
        else this.undecided(`lookups in ${m.spec.type} maps are a construct bpflab does not model on the path`);
        if (id === 195) found = T.and(found, T.cond('jlt', true, this.scalar(3), T.k(1)));
        this.clobber();
        return this.set(0, { k: 'ptr', region: this.mapValueRegion(mi, key, pc), off: T.k(0), nul: T.not(found) });
      }
      case 2: { // map_update_elem
        const m = this.map(this.mapArg(1));
        const key = this.argBytes(2, m.spec.keySize).bytes;
        const value = this.argBytes(3, m.spec.valueSize).bytes;
        const flags = this.scalar(4);
        m.keys.push({ pc, key });
        const isArray = m.spec.type === 'array' || m.spec.type === 'percpu_array';
        if (!isArray && !m.present) this.undecided(`updates of ${m.spec.type} maps are not modelled`);
        const present = isArray ? (key.extract(31, 0) as BitVec<number, 'main'>).ult(Z.BitVec.val(m.spec.maxEntries, 32)) : m.present!.select(key as BitVec<number, 'main'>);
        const badFlags = T.not(T.ule(flags, T.k(2)));
        const noexist = T.eq(flags, T.k(1));
        const exist = T.eq(flags, T.k(2));
        const err: Term = isArray
          ? T.ite(badFlags, T.k(-ERRNO.EINVAL), T.ite(T.not(present), T.k(-ERRNO.E2BIG), T.ite(noexist, T.k(-ERRNO.EEXIST), T.k(0))))
          : T.ite(badFlags, T.k(-ERRNO.EINVAL), T.ite(T.and(noexist, present), T.k(-ERRNO.EEXIST), T.ite(T.and(exist, T.not(present)), T.k(-ERRNO.ENOENT), T.k(0))));
        const ok = T.eq(err, T.k(0));
        const store = new MapValueStore(T, m, key);
        const old = store.read(T.k(0), m.spec.valueSize);
        store.write(T.k(0), m.spec.valueSize, Z.If(ok, value, old) as ZT);
        if (m.present) m.present = m.present.store(key as BitVec<number, 'main'>, T.or(present, ok)) as BoolArr;
        this.clobber();
        return ret(err);
      }
      case 3: { // map_delete_elem
        const m = this.map(this.mapArg(1));
        const key = this.argBytes(2, m.spec.keySize).bytes;
        m.keys.push({ pc, key });
        this.clobber();
        if (!m.present) return ret(T.k(-ERRNO.EINVAL));
        const present = m.present.select(key as BitVec<number, 'main'>);
        m.present = m.present.store(key as BitVec<number, 'main'>, T.ff) as BoolArr;
        return ret(T.ite(present, T.k(0), T.k(-ERRNO.ENOENT)));
      }
      case 131: { // ringbuf_reserve: succeeds while records fit in the ring (the VM's ring starts empty)
        const mi = this.mapArg(1);
        const size = this.scalar(2).c;
        if (size === undefined) this.undecided('a ring buffer reserve of variable size');
        const used = this.ringUsed.get(mi) ?? 0;
        const need = (Number(size) + 8 + 7) & ~7;
        const fits = used + need < (this.program.maps[mi]?.maxEntries ?? 0);
        if (fits) this.ringUsed.set(mi, used + need);
        // the ring may also be full of records user space has not consumed yet: the witness can ask for that
        let full = this.ringFull.get(mi);
        if (!full) { full = Z.Bool.const(`ringbuf_${this.program.maps[mi]?.name ?? mi}_full`); this.ringFull.set(mi, full); }
        const arr = Z.Array.const(`ringbuf@${pc}`, Z.BitVec.sort(64), Z.BitVec.sort(8)) as unknown as ByteArr;
        const region = this.region('mem', `ring buffer record (pc ${pc})`, T.k(0), T.k(size), true, false, new FlatStore(T, arr));
        this.clobber();
        return this.set(0, { k: 'ptr', region, off: T.k(0), nul: fits ? full : T.tt });
      }
      case 86: { // sk_release: the socket reference is gone
        const p = this.read(1);
        if (p.k === 'ptr' && p.region.kind === 'sock') this.invalidate((v) => v.region === p.region, `released by ${proto.name} at pc ${pc}`);
        this.clobber();
        return this.setScalar(0, T.k(0));
      }
      case 132: case 133: { // ringbuf_submit / discard: the record is gone
        const p = this.read(1);
        if (p.k === 'ptr') this.invalidate((v) => v.region === p.region, `released by ${proto.name} at pc ${pc}`);
        this.clobber();
        return this.set(0, UNINIT);
      }
      default:
        return this.genericHelper(proto, pc);
    }
  }

  private mapArg(r: number): number {
    const v = this.read(r);
    if (v.k !== 'mapptr') this.undecided(`R${r} is not a map pointer at pc ${this.pc}`);
    return v.map;
  }

  /** r1..r5 are caller-saved: unreadable after a call. */
  private clobber(): void {
    for (let r = 1; r <= 5; r++) this.set(r, UNINIT);
  }

  /** Turns pointers matching `pred` (in every frame, registers and spills) into stale ones. */
  private invalidate(pred: (p: PtrVal) => boolean, why: string): void {
    const fix = (v: Val): Val => (v.k === 'ptr' && pred(v) ? { k: 'stale', was: v, why } : v);
    for (const f of this.frames) {
      f.regs = f.regs.map(fix);
      for (const [o, v] of f.spills) f.spills.set(o, fix(v));
    }
  }

  /**
   * Any other helper: memory it writes gets fresh bytes, a packet it changes gets fresh length and
   * bytes (old packet pointers go stale), and an integer result is a fresh value the witness picks.
   */
  private genericHelper(proto: HelperProto, pc: number): void {
    const T = this.T;
    const Z = T.Z;
    const args = proto.args;
    const writes: HelperCall['writes'] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const isMem = a.base === 'ARG_PTR_TO_MEM' || a.base === 'ARG_PTR_TO_FIXED_SIZE_MEM' || a.base === 'ARG_PTR_TO_STACK';
      if (!isMem || !(a.uninit || a.write)) continue;
      const v = this.read(i + 1);
      if (v.k === 'scalar' && v.t.c === 0n && a.maybeNull) continue;
      const sizeArg = args[i + 1];
      let size: number | undefined = a.fixedSize;
      if (size === undefined && sizeArg && sizeArg.base.startsWith('ARG_CONST_SIZE')) {
        const c = this.scalar(i + 2).c;
        if (c === undefined) this.undecided(`${proto.name} writes a variable number of bytes`);
        size = Number(c);
      }
      if (size === undefined || size > 4096) this.undecided(`${proto.name} writes memory of unknown size`);
      if (size === 0) continue;
      const p = this.addr(i + 1, 0);
      const bytes = Z.BitVec.const(`${proto.name}@${pc}.arg${i + 1}`, 8 * size) as ZT;
      this.havoc(p, size, bytes);
      writes.push({ arg: i + 1, size, bytes });
    }
    if (proto.changesPkt && this.packet) {
      const pk = this.packet;
      this.invalidate((v) => v.region === pk.region, `packet data changed by ${proto.name} at pc ${pc}`);
      const arr = Z.Array.const(`packet@${pc}`, Z.BitVec.sort(64), Z.BitVec.sort(8)) as unknown as ByteArr;
      const len = T.var(`packet_len@${pc}`);
      this.assume(T.ule(len, T.k(MAX_PACKET)));
      const store = new FlatStore(T, arr);
      this.packet = { region: this.region('packet', `packet after pc ${pc}`, T.k(0), len, true, false, store), store, len, initial: pk.initial };
    }
    if (proto.ret === 'RET_VOID') {
      this.clobber();
      return this.set(0, UNINIT);
    }
    if (/^RET_PTR_TO_(SOCKET|SOCK_COMMON|TCP_SOCK)(_OR_NULL)?$/.test(proto.ret)) {
      // a socket the path only null-checks, passes on and releases: an opaque object (reading it is undecided),
      // NULL or not as the witness chooses
      const arr = Z.Array.const(`${proto.name}@${pc}.sock`, Z.BitVec.sort(64), Z.BitVec.sort(8)) as unknown as ByteArr;
      const region = this.region('sock', `socket from ${proto.name} (pc ${pc})`, T.k(0), T.k(0), false, false, new FlatStore(T, arr));
      const nul = proto.ret.endsWith('_OR_NULL') ? Z.Bool.const(`${proto.name}@${pc}.null`) : T.ff;
      this.clobber();
      return this.set(0, { k: 'ptr', region, off: T.k(0), nul });
    }
    if (proto.ret !== 'RET_INTEGER') this.undecided(`${proto.name} returns ${proto.ret} (a construct bpflab does not model)`);
    const r0 = T.var(`${proto.name}@${pc}`);
    const sizeOf = (n: number): Term | undefined => (this.reg(n).k === 'scalar' ? (this.reg(n) as { t: Term }).t : undefined);
    const c = returnConstraint(T, proto.id, r0, sizeOf);
    if (c) this.assume(c);
    this.helperCalls.push({ pc, id: proto.id, name: proto.name, r0, writes });
    this.clobber();
    this.setScalar(0, r0);
  }
}

/** What the helpers bpflab models can really return (so a witness never asks for the impossible). */
function returnConstraint(T: Terms, id: number, r0: Term, arg: (n: number) => Term | undefined): ZB | undefined {
  const efault = T.k(-ERRNO.EFAULT);
  switch (id) {
    case 7: case 8: case 42: // get_prandom_u32, smp_processor_id, numa_node_id: u32
      return T.ule(r0, T.k(0xffffffff));
    case 4: case 112: case 113: case 26: case 68: case 189: // probe_read*, skb_load_bytes*, xdp_load_bytes: 0 or -EFAULT
      return T.or(T.eq(r0, T.k(0)), T.eq(r0, efault));
    case 45: case 114: case 115: { // probe_read_*str: -EFAULT or 1..size
      const size = arg(2);
      if (!size) return undefined;
      return T.or(T.eq(r0, efault), T.and(T.ule(T.k(1), r0), T.ule(r0, size)));
    }
    default:
      return undefined;
  }
}

