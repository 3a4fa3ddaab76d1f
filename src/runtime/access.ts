/**
 * The slow paths of memory access, shared by the VM and the JIT: ctx fields (through the ctx
 * handler), faults (Memory.check names them), atomics, and LD_ABS/LD_IND. Each engine inlines its
 * own fast path for plain in-bounds accesses and calls these for everything else.
 */
import type { HelperEnv } from './env.js';
import { VmError } from './errors.js';
import { F_CTX, type Memory, MemoryFault } from './memory.js';

/** Thrown by LD_ABS/LD_IND when the packet is too short: the program returns 0 (kernel semantics). */
export class LdAbsExit {
  constructor(readonly pc: number) {}
}

/** Atomic operations in the order engines number them (offset from their ATOMIC32 / ATOMIC64 ops). */
export const ATOMIC_KINDS = [0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1] as const;

/** Offsets from NULL a walked kernel pointer may reach (the largest kernel structs are a few pages). */
const PROBE_NULL_WINDOW = 0x10000;

const SKF_LL_OFF = -0x200000;
const SKF_NET_OFF = -0x100000;

/**
 * A load at absolute offset `a` of the region whose pointers have high word `hi` (a may be
 * negative or past the window: that is the fault). Result in out[0] (lo), out[1] (hi).
 */
export function memSlowLoad(mem: Memory, pc: number, hi: number, a: number, size: number, signed: boolean, out: Int32Array): void {
  const id = mem.regionOf(hi);
  if (id > 0 && (mem.flags[id]! & F_CTX) !== 0 && mem.ctx) { mem.ctx.load(a, size, out, pc, signed); return; }
  // BPF_PROBE_MEM: the exception table turns a faulting load through a NULL kernel pointer into 0
  if (hi === 0 && mem.probeLoads && a >= 0 && a + size <= PROBE_NULL_WINDOW) { out[0] = 0; out[1] = 0; return; }
  const rid = mem.check(hi, 0, a, size, false, pc);
  const v = mem.views[rid]!, at = mem.at;
  const lo = size === 1 ? (signed ? v.getInt8(at) : v.getUint8(at)) : size === 2 ? (signed ? v.getInt16(at, true) : v.getUint16(at, true)) : v.getInt32(at, true);
  out[0] = lo;
  out[1] = size === 8 ? v.getInt32(at + 4, true) : signed ? lo >> 31 : 0;
}

/** A store of (lo, hi) truncated to `size` bytes at absolute offset `a`. */
export function memSlowStore(mem: Memory, pc: number, hi: number, a: number, size: number, vlo: number, vhi: number): void {
  const id = mem.regionOf(hi);
  if (id > 0 && (mem.flags[id]! & F_CTX) !== 0 && mem.ctx) { mem.ctx.store(a, size, vlo, vhi, pc); return; }
  const rid = mem.check(hi, 0, a, size, true, pc);
  const v = mem.views[rid]!, at = mem.at;
  if (size === 1) v.setInt8(at, vlo);
  else if (size === 2) v.setInt16(at, vlo, true);
  else { v.setInt32(at, vlo, true); if (size === 8) v.setInt32(at + 4, vhi, true); }
}

/**
 * BPF_ATOMIC on the pointer (hi, lo) + off: k indexes ATOMIC_KINDS. `src` holds the operand
 * (lo, hi) and receives the old value for fetch/xchg; `r0` is compared and receives the old value
 * for cmpxchg. 32-bit forms zero-extend what they return.
 */
export function memAtomic(mem: Memory, pc: number, hi: number, lo: number, off: number, k: number, is64: boolean, src: Int32Array, srcAt: number, r0: Int32Array, r0At: number): void {
  const size = is64 ? 8 : 4;
  const rid = mem.regionOf(hi);
  if (rid > 0 && (mem.flags[rid]! & F_CTX) !== 0) throw new MemoryFault(pc, 'ctx_access', 'ctx', (lo >>> 0) + off, size, 'atomic access to ctx');
  const id = mem.check(hi, lo, off, size, true, pc, true);
  const v = mem.views[id]!, at = mem.at;
  const oldLo = v.getInt32(at, true);
  const oldHi = is64 ? v.getInt32(at + 4, true) : 0;
  const bLo = src[srcAt]!, bHi = is64 ? src[srcAt + 1]! : 0;
  const kind = ATOMIC_KINDS[k]!;
  let nLo = oldLo, nHi = oldHi;
  switch (kind & ~0x01) {
    case 0x00: { const l = (oldLo >>> 0) + (bLo >>> 0); nLo = l | 0; nHi = (oldHi + bHi + (l > 0xffffffff ? 1 : 0)) | 0; break; }
    case 0x40: nLo = oldLo | bLo; nHi = oldHi | bHi; break;
    case 0x50: nLo = oldLo & bLo; nHi = oldHi & bHi; break;
    case 0xa0: nLo = oldLo ^ bLo; nHi = oldHi ^ bHi; break;
    case 0xe0: nLo = bLo; nHi = bHi; break; // xchg
    case 0xf0: { // cmpxchg: compare with r0
      const eq = is64 ? r0[r0At] === oldLo && r0[r0At + 1] === oldHi : r0[r0At] === oldLo;
      if (eq) { nLo = bLo; nHi = bHi; }
      r0[r0At] = oldLo; r0[r0At + 1] = oldHi;
      break;
    }
  }
  v.setInt32(at, nLo, true);
  if (is64) v.setInt32(at + 4, nHi, true);
  if ((kind & 0x01) !== 0 && (kind & ~0x01) !== 0xf0) { src[srcAt] = oldLo; src[srcAt + 1] = oldHi; }
}

/**
 * LD_ABS / LD_IND of `size` bytes at packet offset `o` (an int, as bpf_skb_load_helper_* take
 * it): the big-endian value, or a thrown LdAbsExit when the bytes are not there. Non-negative
 * offsets count from skb->data; SKF_NET_OFF + k from the network header and SKF_LL_OFF + k from
 * the MAC header (bpf_internal_load_pointer_neg_helper), which for socket filters lie before
 * skb->data (eth_type_trans pulled the Ethernet header); anything below SKF_LL_OFF fails.
 */
export function ldAbsLoad(env: HelperEnv, pc: number, o: number, size: number): number {
  const pk = env.packet;
  if (!pk) throw new VmError('unsupported', pc, 'LD_ABS/LD_IND need a packet (socket_filter, sched_cls, sched_act)');
  o |= 0;
  let at: number;
  let low = pk.data;
  if (o >= 0) at = pk.data + o;
  else {
    // bpf_internal_load_pointer_neg_helper: from the network or MAC header, anywhere between the
    // buffer's head and the packet's tail (socket filters see data from the network header on).
    if (o >= SKF_NET_OFF) at = (pk.network ?? pk.data) + (o - SKF_NET_OFF);
    else if (o >= SKF_LL_OFF && pk.mac !== undefined) at = pk.mac + (o - SKF_LL_OFF);
    else throw new LdAbsExit(pc);
    low = 0;
  }
  if (at < low || at + size > pk.end) throw new LdAbsExit(pc);
  const b = pk.buf;
  return size === 1 ? b[at]! : size === 2 ? (b[at]! << 8) | b[at + 1]! : ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) | 0;
}
