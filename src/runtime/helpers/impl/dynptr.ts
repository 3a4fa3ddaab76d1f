/**
 * Dynptrs at run time (kernel/bpf/helpers.c, kernel/bpf/ringbuf.c, net/core/filter.c, Linux
 * 6.18). A `struct bpf_dynptr` is 16 bytes of the program's stack laid out as the kernel's
 * `struct bpf_dynptr_kern`:
 *
 *     [0, 8)   data: a pointer of the memory model (a map value, a ring-buffer record's region)
 *              for local and ring-buffer dynptrs, the ctx pointer for skb and xdp ones; 0: NULL
 *     [8, 12)  size (low 24 bits) | type << 28 | rdonly << 31
 *     [12, 16) offset into the data
 *
 * The program only hands the struct to helpers (the verifier forbids touching it), so every
 * access to the data goes through the region checks here; skb and xdp data come from the run's
 * packet. Functions follow the kernel's error codes and NULL results exactly.
 */
import { type HelperEnv, arg, argNum, argU32, setR0, setR0Int } from '../../env.js';
import { isRingBufMap } from '../../maps/guards.js';
import { VmError } from '../../errors.js';
import { Memory, join } from '../../memory.js';
import { E2BIG, EFAULT, EINVAL, type HelperFn, mapArg } from './common.js';
import { releaseRecord, reserveRecord } from './events.js';

/** enum bpf_dynptr_type. */
export const DYNPTR_LOCAL = 1, DYNPTR_RINGBUF = 2, DYNPTR_SKB = 3, DYNPTR_XDP = 4;
const DYNPTR_MAX_SIZE = 0xffffff;
const TYPE_SHIFT = 28;
const RDONLY_BIT = 0x80000000;
const BPF_F_RECOMPUTE_CSUM = 1n, BPF_F_INVALIDATE_HASH = 2n;

/** A dynptr struct in memory: where it lives and its decoded fields. */
export interface Dynptr {
  view: DataView;
  at: number;
  dataHi: number;
  dataLo: number;
  size: number;
  type: number;
  rdonly: boolean;
  offset: number;
}

/** The dynptr argument n points to (16 bytes of memory the VM checks). */
export function dynptrArg(env: HelperEnv, n: number, write: boolean): Dynptr {
  const id = env.mem.check(env.regs[2 * n + 1]!, env.regs[2 * n]!, 0, 16, write, env.pc, false, false);
  const view = env.mem.views[id]!, at = env.mem.at;
  const word = view.getUint32(at + 8, true);
  return {
    view, at, dataLo: view.getInt32(at, true), dataHi: view.getInt32(at + 4, true),
    size: word & DYNPTR_MAX_SIZE, type: (word >>> TYPE_SHIFT) & 7, rdonly: (word & RDONLY_BIT) !== 0, offset: view.getUint32(at + 12, true),
  };
}

const isNull = (d: Dynptr): boolean => d.dataHi === 0 && d.dataLo === 0;

/** bpf_dynptr_init. */
export function dynptrInit(d: Dynptr, dataHi: number, dataLo: number, type: number, rdonly: boolean, offset: number, size: number): void {
  d.view.setInt32(d.at, dataLo, true);
  d.view.setInt32(d.at + 4, dataHi, true);
  d.view.setUint32(d.at + 8, ((size & DYNPTR_MAX_SIZE) | (type << TYPE_SHIFT) | (rdonly ? RDONLY_BIT : 0)) >>> 0, true);
  d.view.setUint32(d.at + 12, offset >>> 0, true);
}

/** bpf_dynptr_set_null: all 16 bytes zero. */
export function dynptrSetNull(d: Dynptr): void {
  for (let i = 0; i < 16; i += 4) d.view.setInt32(d.at + i, 0, true);
}

/** bpf_dynptr_check_off_len. */
export const offLenOk = (d: Dynptr, off: number, len: number): boolean => len <= d.size && off <= d.size - len;

function packetOf(env: HelperEnv): NonNullable<HelperEnv['packet']> {
  if (!env.packet) throw new VmError('bad_call', env.pc, 'an skb or xdp dynptr in a run without a packet');
  return env.packet;
}

/** The bytes [off, off + len) of a local or ring-buffer dynptr's data (checked by the memory model). */
function memBytes(env: HelperEnv, d: Dynptr, off: number, len: number, write: boolean): Uint8Array {
  return env.mem.sliceHL(d.dataHi, (d.dataLo + d.offset + off) | 0, len, write, env.pc);
}

/** __bpf_dynptr_read: copies len bytes at off into `dst`; 0 or -errno. */
export function dynptrReadInto(env: HelperEnv, dst: Uint8Array, d: Dynptr, off: number): number {
  const len = dst.length;
  if (isNull(d)) return EINVAL;
  if (!offLenOk(d, off, len)) return E2BIG;
  switch (d.type) {
    case DYNPTR_LOCAL: case DYNPTR_RINGBUF:
      dst.set(memBytes(env, d, off, len, false).slice()); // the ranges may overlap (memmove)
      return 0;
    case DYNPTR_SKB: case DYNPTR_XDP: {
      const pk = packetOf(env), at = d.offset + off;
      if (at + len > pk.end - pk.data) {
        if (d.type === DYNPTR_SKB) { dst.fill(0); return EFAULT; }
        return EINVAL;
      }
      dst.set(pk.buf.subarray(pk.data + at, pk.data + at + len));
      return 0;
    }
    default:
      return EINVAL;
  }
}

/** __bpf_dynptr_write: copies `src` to off; 0 or -errno. */
export function dynptrWriteFrom(env: HelperEnv, d: Dynptr, off: number, src: Uint8Array, flags: bigint): number {
  const len = src.length;
  if (isNull(d) || d.rdonly) return EINVAL;
  if (!offLenOk(d, off, len)) return E2BIG;
  switch (d.type) {
    case DYNPTR_LOCAL: case DYNPTR_RINGBUF:
      if (flags) return EINVAL;
      memBytes(env, d, off, len, true).set(src.slice());
      return 0;
    case DYNPTR_SKB: case DYNPTR_XDP: {
      if (d.type === DYNPTR_XDP ? flags !== 0n : (flags & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH)) !== 0n) return EINVAL;
      const pk = packetOf(env), at = d.offset + off;
      if (at + len > pk.end - pk.data) return d.type === DYNPTR_SKB ? EFAULT : EINVAL;
      pk.buf.set(src.slice(), pk.data + at);
      if (d.type === DYNPTR_SKB && (flags & BPF_F_INVALIDATE_HASH) !== 0n) env.skbHash = 0;
      return 0;
    }
    default:
      return EINVAL;
  }
}

/** A pointer `off` bytes into a dynptr's data (local / ring buffer: the memory; skb / xdp: the packet). */
export function dynptrDataPointer(env: HelperEnv, d: Dynptr, off: number): bigint {
  if (d.type === DYNPTR_SKB || d.type === DYNPTR_XDP) {
    const pk = packetOf(env);
    return Memory.ptr(pk.region, pk.data + d.offset + off);
  }
  return join(d.dataHi, (d.dataLo + d.offset + off) | 0);
}

// ---- helpers ----

/** bpf_dynptr_from_mem(data, size, flags, ptr): a local dynptr over a map value. */
export const dynptrFromMem: HelperFn = (env) => {
  const size = argU32(env, 2);
  const d = dynptrArg(env, 4, true);
  let err = 0;
  if (arg(env, 3) !== 0n) err = EINVAL;
  else if (size > DYNPTR_MAX_SIZE) err = E2BIG;
  if (err) { dynptrSetNull(d); setR0Int(env, err); return; }
  env.mem.sliceHL(env.regs[3]!, env.regs[2]!, size, true, env.pc); // the memory must be there, writable
  dynptrInit(d, env.regs[3]!, env.regs[2]!, DYNPTR_LOCAL, false, 0, size);
  setR0Int(env, 0);
};

/** bpf_ringbuf_reserve_dynptr(map, size, flags, ptr): a ring-buffer dynptr over a new record, or a NULL one. */
export const ringbufReserveDynptr: HelperFn = (env) => {
  const map = mapArg(env, 1);
  const size = argU32(env, 2);
  const d = dynptrArg(env, 4, true);
  let err = 0;
  if (size > DYNPTR_MAX_SIZE) err = E2BIG;
  else if (arg(env, 3) !== 0n) err = EINVAL;
  const p = err || !isRingBufMap(map) ? 0n : reserveRecord(env, map, size, 0);
  if (!err && p === 0n) err = EINVAL;
  if (err) { dynptrSetNull(d); setR0Int(env, err); return; }
  dynptrInit(d, Number(p >> 32n) | 0, Number(p & 0xffffffffn) | 0, DYNPTR_RINGBUF, false, 0, size);
  setR0Int(env, 0);
};

function ringbufReleaseDynptr(submit: boolean): HelperFn {
  return (env) => {
    const d = dynptrArg(env, 1, true);
    if (isNull(d)) return;
    releaseRecord(env, join(d.dataHi, d.dataLo), submit, argU32(env, 2));
    dynptrSetNull(d);
  };
}
export const ringbufSubmitDynptr = ringbufReleaseDynptr(true);
export const ringbufDiscardDynptr = ringbufReleaseDynptr(false);

/** bpf_dynptr_read(dst, len, src, offset, flags). */
export const dynptrRead: HelperFn = (env) => {
  const len = argNum(env, 2);
  const dst = env.mem.sliceHL(env.regs[3]!, env.regs[2]!, len, true, env.pc);
  const d = dynptrArg(env, 3, false);
  setR0Int(env, arg(env, 5) !== 0n ? EINVAL : dynptrReadInto(env, dst, d, argU32(env, 4)));
};

/** bpf_dynptr_write(dst, offset, src, len, flags). */
export const dynptrWrite: HelperFn = (env) => {
  const d = dynptrArg(env, 1, false);
  const len = argNum(env, 4);
  const src = env.mem.sliceHL(env.regs[7]!, env.regs[6]!, len, false, env.pc);
  setR0Int(env, dynptrWriteFrom(env, d, argU32(env, 2), src, arg(env, 5)));
};

/** bpf_dynptr_data(ptr, offset, len): a pointer into a writable local or ring-buffer dynptr, else NULL. */
export const dynptrData: HelperFn = (env) => {
  const d = dynptrArg(env, 1, false);
  const off = argU32(env, 2), len = argU32(env, 3);
  if (isNull(d) || !offLenOk(d, off, len) || d.rdonly || (d.type !== DYNPTR_LOCAL && d.type !== DYNPTR_RINGBUF)) { setR0(env, 0n); return; }
  setR0(env, dynptrDataPointer(env, d, off));
};
