/**
 * What a run of a program sees besides its registers: memory, maps, the program type's
 * packet and context, and a deterministic model of the machine (clock, random numbers, the
 * current task, CPU, kernel/user address spaces, call stacks). Tests set every part; nothing
 * reads the host's clock or randomness, so runs are reproducible.
 *
 * Helpers are `(env) => void`: they read r1..r5 from `env.regs` (the VM's register file, two
 * int32 halves per register: lo at 2*i, hi at 2*i+1) and write r0 there. The JIT shares the
 * same functions by exposing its register file the same way.
 */
import type { Program, ProgType } from '../isa/program.js';
import type { BpfMap } from './maps/types.js';
import type { FibModel } from './fib.js';
import type { KernelHeap } from './kfuncs/heap.js';
import type { SocketTable } from './sockets.js';
import type { WorldDescription } from './kernel-objects/description.js';
import type { KernelWorld } from './kernel-objects/world.js';
import { Memory, join } from './memory.js';

/** The current task, as get_current_pid_tgid / uid_gid / comm / cgroup_id see it. */
export interface Task {
  pid: number;
  tgid: number;
  uid: number;
  gid: number;
  /** Task name; the kernel keeps at most 15 bytes plus NUL. */
  comm: string;
  cgroupId: bigint;
  /**
   * Ids of the cgroups above the task's (cgroup v2 hierarchy), for bpf_current_task_under_cgroup
   * and bpf_skb_under_cgroup. Default: [1n], the root cgroup.
   */
  cgroupAncestors?: readonly bigint[];
}

export const DEFAULT_TASK: Readonly<Task> = { pid: 4242, tgid: 4242, uid: 0, gid: 0, comm: 'bpflab', cgroupId: 1n };

/** A deterministic clock: every read advances it by `stepNs` (so loops see time pass). */
export class Clock {
  monoNs: bigint;
  bootOffsetNs: bigint;
  taiOffsetNs: bigint;
  stepNs: bigint;
  /** Jiffies per second (CONFIG_HZ). */
  hz: bigint;
  constructor(opts: { monoNs?: bigint; bootOffsetNs?: bigint; taiOffsetNs?: bigint; stepNs?: bigint; hz?: bigint } = {}) {
    this.monoNs = opts.monoNs ?? 1_000_000_000n;
    this.bootOffsetNs = opts.bootOffsetNs ?? 0n;
    this.taiOffsetNs = opts.taiOffsetNs ?? 37_000_000_000n;
    this.stepNs = opts.stepNs ?? 1000n;
    this.hz = opts.hz ?? 250n;
  }
  /** CLOCK_MONOTONIC (bpf_ktime_get_ns), advancing. */
  mono(): bigint { const t = this.monoNs; this.monoNs += this.stepNs; return t; }
  boot(): bigint { return this.mono() + this.bootOffsetNs; }
  tai(): bigint { return this.mono() + this.taiOffsetNs; }
  jiffies(): bigint { return 4294937296n + (this.monoNs * this.hz) / 1_000_000_000n; }
}

/** xorshift128+: seedable, fast, the stream get_prandom_u32 draws from. */
export class Prng {
  private s0 = 0n;
  private s1 = 0n;
  /** Whether s0/s1 hold the seeded state: seeding is done at the first draw (most runs never draw). */
  private seeded = false;
  private static last: { seed: bigint | number; s0: bigint; s1: bigint } | null = null;
  constructor(private readonly seed: bigint | number = 1) {}
  private init(): void {
    this.seeded = true;
    const seed = this.seed;
    const c = Prng.last;
    if (c && c.seed === seed) { this.s0 = c.s0; this.s1 = c.s1; return; }
    let z = BigInt.asUintN(64, BigInt(seed) ^ 0x9e3779b97f4a7c15n);
    const mix = () => { z = BigInt.asUintN(64, z + 0x9e3779b97f4a7c15n); let x = z; x = BigInt.asUintN(64, (x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n); x = BigInt.asUintN(64, (x ^ (x >> 27n)) * 0x94d049bb133111ebn); return x ^ (x >> 31n); };
    this.s0 = mix();
    this.s1 = mix() || 1n;
    Prng.last = { seed, s0: this.s0, s1: this.s1 };
  }
  next64(): bigint {
    if (!this.seeded) this.init();
    let x = this.s0;
    const y = this.s1;
    this.s0 = y;
    x = BigInt.asUintN(64, x ^ (x << 23n));
    this.s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return BigInt.asUintN(64, this.s1 + y);
  }
  u32(): number { return Number(this.next64() >> 32n); }
}

/** A flat address space (kernel or user memory) for probe_read*: byte ranges at 64-bit addresses. */
export class AddressSpace {
  private ranges: { base: bigint; bytes: Uint8Array }[] = [];
  map(base: bigint, bytes: Uint8Array): this { this.ranges.push({ base: BigInt.asUintN(64, base), bytes }); return this; }
  /** The bytes [addr, addr+len) when one mapped range holds them all, else null (a fault). */
  read(addr: bigint, len: number): Uint8Array | null {
    const a = BigInt.asUintN(64, addr);
    for (const r of this.ranges) {
      if (a >= r.base && a + BigInt(len) <= r.base + BigInt(r.bytes.length)) {
        const o = Number(a - r.base);
        return r.bytes.subarray(o, o + len);
      }
    }
    return null;
  }
  /** Bytes from addr up to the end of the range holding addr (for *_str reads), or null. */
  readUpTo(addr: bigint, max: number): Uint8Array | null {
    const a = BigInt.asUintN(64, addr);
    for (const r of this.ranges) {
      if (a >= r.base && a < r.base + BigInt(r.bytes.length)) {
        const o = Number(a - r.base);
        return r.bytes.subarray(o, Math.min(r.bytes.length, o + max));
      }
    }
    return null;
  }
}

/** The packet of a networking program: one buffer with head/tail room, windows moved by adjust helpers. */
export interface PacketState {
  region: number;
  buf: Uint8Array;
  /** Offsets into buf. data_meta <= data <= data_end <= buf.length. */
  meta: number;
  data: number;
  end: number;
  /** Lowest offset data/data_meta may move to (XDP: room for struct xdp_frame). */
  minHead: number;
  /** Highest offset data_end may reach (XDP: the frame minus skb_shared_info). */
  maxEnd: number;
  /** skb programs: the MAC and network headers (skb_mac_header / skb_network_header), which LD_ABS's SKF_LL_OFF / SKF_NET_OFF address. */
  mac?: number;
  network?: number;
}

/** Why a run ended early in a way the program asked for (tail calls, LD_ABS failures), carried by the VM. */
export interface TailCallRequest {
  program: unknown;
}

export interface RedirectState {
  ifindex: number;
  flags: bigint;
  /** The map a redirect_map named, if any. */
  map?: string;
}

/** Everything a helper may touch. One per run; the VM fills regs/mem and the rest comes from the input. */
export interface HelperEnv {
  mem: Memory;
  regs: Int32Array;
  program: Program;
  progType: ProgType;
  /** program.maps as live map instances, and the region id of each map's pointer. */
  maps: BpfMap[];
  mapRegions: Int32Array;
  cpu: number;
  clock: Clock;
  rng: Prng;
  task: Task;
  /** Kernel and user address spaces that probe_read_* see. */
  kernelMem: AddressSpace;
  userMem: AddressSpace;
  /** Kernel / user call stacks (instruction pointers, innermost first) for get_stackid / get_stack. */
  kernelStack: bigint[];
  userStack: bigint[];
  /** trace_printk output lines (without the trace pipe's prefix). */
  trace: string[];
  /** The packet of networking programs, null otherwise. */
  packet: PacketState | null;
  /** The region id of the ctx. */
  ctxRegion: number;
  /** skb->hash as get_hash_recalc computes it (tests may set it). */
  skbHash: number;
  redirect: RedirectState | null;
  /** Number of tail calls made so far (max 33). */
  tailCalls: number;
  /** Set by bpf_tail_call; the VM switches programs after the helper returns. */
  tailCall: TailCallRequest | null;
  /** Calls a subprogram (bpf_loop callbacks): r1..r5 in, r0 out. Provided by the VM/JIT. */
  callFunction: (pc: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;
  /** The pc of the current call instruction (for faults raised in helpers). */
  pc: number;
  // The optional fields below are set (to undefined when unused) where the VM makes an env, so that
  // every env has one hidden class: one added later would deoptimise the interpreter (`wrong map`).
  /** Devices, routes and neighbours bpf_fib_lookup consults (default: runtime/fib.ts DEFAULT_FIB). */
  fib?: FibModel | undefined;
  /** The sockets bpf_sk_lookup_* find (default: none). */
  sockets?: SocketTable | undefined;
  /** bpf_mem_alloc'd kernel memory of this run (kfuncs create it on first use). */
  heap?: KernelHeap | undefined;
  /** The kernel objects of this run (runtime/kernel-objects: built at the start or on first use). */
  kernel?: KernelWorld | undefined;
  /** The user's description of the kernel world, laid over the default one. */
  kernelObjects?: WorldDescription | undefined;
  /** What bpf_seq_printf / bpf_seq_write wrote (iterator programs), in order. */
  seq?: string[] | undefined;
}

// ---- argument and result access (r1..r5 live at regs[2..11]) ----

/** Argument n (1..5) as an unsigned 64-bit bigint. */
export function arg(env: HelperEnv, n: number): bigint {
  return join(env.regs[2 * n + 1]!, env.regs[2 * n]!);
}
/** Low 32 bits of argument n, unsigned (of its kernel address when it is a pointer: see Memory.addressLo). */
export function argU32(env: HelperEnv, n: number): number {
  const id = env.mem.regionOf(env.regs[2 * n + 1]!);
  return id > 0 ? Memory.addressLo(id, env.regs[2 * n]!) : env.regs[2 * n]! >>> 0;
}
/** Low 32 bits of argument n, signed. */
export function argS32(env: HelperEnv, n: number): number {
  return env.regs[2 * n]! | 0;
}
/** Argument n as a JS number when it fits in 53 bits signed (sizes, offsets), else NaN. */
export function argNum(env: HelperEnv, n: number): number {
  const lo = env.regs[2 * n]! >>> 0;
  const hi = env.regs[2 * n + 1]! | 0;
  if (hi === 0) return lo;
  if (hi === -1) return lo - 0x100000000;
  return Number.NaN;
}
export function setR0(env: HelperEnv, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  env.regs[0] = Number(u & 0xffffffffn) | 0;
  env.regs[1] = Number(u >> 32n) | 0;
}
/** r0 = a small signed integer (0, -errno, a length), sign-extended to 64 bits. */
export function setR0Int(env: HelperEnv, n: number): void {
  env.regs[0] = n | 0;
  env.regs[1] = n < 0 ? -1 : Math.floor(n / 0x100000000) | 0;
}
