/**
 * The dynptr kfuncs (kernel/bpf/helpers.c common set, net/core/filter.c skb / xdp sets, Linux
 * 6.18) over the struct layout of helpers/impl/dynptr.ts: the skb and xdp constructors,
 * slices, adjust, the queries, clone and copy.
 */
import { type HelperEnv, arg, argU32, setR0 } from '../env.js';
import { ERRNO } from '../maps/errno.js';
import { EINVAL, E2BIG, type HelperFn } from '../helpers/impl/common.js';
import {
  DYNPTR_LOCAL, DYNPTR_RINGBUF, DYNPTR_SKB, DYNPTR_XDP, type Dynptr, dynptrArg, dynptrDataPointer, dynptrInit, dynptrReadInto,
  dynptrSetNull, dynptrWriteFrom, offLenOk,
} from '../helpers/impl/dynptr.js';
import { setKfuncInt, setR0Null } from './args.js';

const ERANGE = -ERRNO.ERANGE;

/**
 * Program types whose skb dynptrs are writable: the kernel swaps in bpf_dynptr_from_skb_rdonly
 * where may_access_direct_pkt_data(BPF_WRITE) fails (specialize_kfunc).
 */
const SKB_WRITABLE = new Set(['sched_cls', 'sched_act', 'lwt_xmit', 'sk_skb', 'sk_msg', 'lwt_seg6local']);

function fromPacket(type: number): HelperFn {
  return (env) => {
    const d = dynptrArg(env, 3, true);
    if (arg(env, 2) !== 0n) { dynptrSetNull(d); setKfuncInt(env, EINVAL); return; }
    const pk = env.packet;
    if (!pk) { dynptrSetNull(d); setKfuncInt(env, EINVAL); return; }
    const rdonly = type === DYNPTR_SKB && !SKB_WRITABLE.has(env.progType);
    dynptrInit(d, env.regs[3]!, env.regs[2]!, type, rdonly, 0, pk.end - pk.data);
    setKfuncInt(env, 0);
  };
}

/** bpf_dynptr_from_skb(skb, flags, ptr__uninit). */
export const dynptrFromSkb = fromPacket(DYNPTR_SKB);
/** bpf_dynptr_from_xdp(xdp, flags, ptr__uninit). */
export const dynptrFromXdp = fromPacket(DYNPTR_XDP);

/**
 * bpf_dynptr_slice(p, offset, buffer__opt, buffer__szk): a pointer to the bytes, in place for
 * local / ring-buffer data and for the (always linear) packet of a test run; NULL for a NULL
 * dynptr or a range outside it.
 */
function slice(env: HelperEnv, d: Dynptr): void {
  const off = argU32(env, 2), len = argU32(env, 4);
  if ((d.dataHi === 0 && d.dataLo === 0) || !offLenOk(d, off, len)) { setR0Null(env); return; }
  if (d.type !== DYNPTR_LOCAL && d.type !== DYNPTR_RINGBUF && d.type !== DYNPTR_SKB && d.type !== DYNPTR_XDP) { setR0Null(env); return; }
  if (d.type === DYNPTR_SKB || d.type === DYNPTR_XDP) {
    const pk = env.packet;
    if (!pk || d.offset + off + len > pk.end - pk.data) { setR0Null(env); return; }
  }
  setR0(env, dynptrDataPointer(env, d, off));
}

export const dynptrSlice: HelperFn = (env) => slice(env, dynptrArg(env, 1, false));

/** bpf_dynptr_slice_rdwr: NULL for a read-only dynptr. */
export const dynptrSliceRdwr: HelperFn = (env) => {
  const d = dynptrArg(env, 1, false);
  if (d.rdonly) { setR0Null(env); return; }
  slice(env, d);
};

/** bpf_dynptr_adjust(p, start, end): the view becomes [start, end) of the current one. */
export const dynptrAdjust: HelperFn = (env) => {
  const d = dynptrArg(env, 1, true);
  const start = argU32(env, 2), end = argU32(env, 3);
  if (d.dataHi === 0 && d.dataLo === 0) { setKfuncInt(env, EINVAL); return; }
  if (start > d.size || end > d.size) { setKfuncInt(env, ERANGE); return; }
  if (start > end) { setKfuncInt(env, EINVAL); return; }
  dynptrInit(d, d.dataHi, d.dataLo, d.type, d.rdonly, d.offset + start, end - start);
  setKfuncInt(env, 0);
};

/** bpf_dynptr_is_null(p). */
export const dynptrIsNull: HelperFn = (env) => {
  const d = dynptrArg(env, 1, false);
  setKfuncInt(env, d.dataHi === 0 && d.dataLo === 0 ? 1 : 0);
};

/** bpf_dynptr_is_rdonly(p): false for a NULL dynptr. */
export const dynptrIsRdonly: HelperFn = (env) => {
  const d = dynptrArg(env, 1, false);
  setKfuncInt(env, d.dataHi === 0 && d.dataLo === 0 ? 0 : d.rdonly ? 1 : 0);
};

/** bpf_dynptr_size(p): a __u32, so -EINVAL for a NULL dynptr comes back as 0xffffffea. */
export const dynptrSize: HelperFn = (env) => {
  const d = dynptrArg(env, 1, false);
  const n = d.dataHi === 0 && d.dataLo === 0 ? EINVAL >>> 0 : d.size;
  env.regs[0] = n | 0;
  env.regs[1] = 0;
};

/** bpf_dynptr_clone(p, clone__uninit): the same view; a NULL parent gives a NULL clone and -EINVAL. */
export const dynptrClone: HelperFn = (env) => {
  const d = dynptrArg(env, 1, false);
  const c = dynptrArg(env, 2, true);
  if (d.dataHi === 0 && d.dataLo === 0) { dynptrSetNull(c); setKfuncInt(env, EINVAL); return; }
  dynptrInit(c, d.dataHi, d.dataLo, d.type, d.rdonly, d.offset, d.size);
  setKfuncInt(env, 0);
};

/** bpf_dynptr_copy(dst, dst_off, src, src_off, size): as the kernel's chunked read-then-write. */
export const dynptrCopy: HelperFn = (env) => {
  const dst = dynptrArg(env, 1, false);
  const src = dynptrArg(env, 3, false);
  const dstOff = argU32(env, 2), srcOff = argU32(env, 4), size = argU32(env, 5);
  const buf = new Uint8Array(size);
  const bothRanges = offLenOk(dst, dstOff, size) && offLenOk(src, srcOff, size);
  const nullEither = (src.dataHi === 0 && src.dataLo === 0) || (dst.dataHi === 0 && dst.dataLo === 0) || dst.rdonly;
  if (!nullEither && !bothRanges) { setKfuncInt(env, E2BIG); return; }
  const r = dynptrReadInto(env, buf, src, srcOff);
  setKfuncInt(env, r || dynptrWriteFrom(env, dst, dstOff, buf, 0n));
};

/** bpf_dynptr_memset(p, offset, size, val): fills [offset, offset + size) of a writable dynptr. */
export const dynptrMemset: HelperFn = (env) => {
  const d = dynptrArg(env, 1, false);
  const off = argU32(env, 2), size = argU32(env, 3), val = env.regs[8]! & 0xff;
  if (d.rdonly) { setKfuncInt(env, EINVAL); return; }
  if (!offLenOk(d, off, size)) { setKfuncInt(env, E2BIG); return; }
  // a NULL dynptr has size 0: only an empty fill gets here, and it writes nothing
  setKfuncInt(env, size === 0 ? 0 : dynptrWriteFrom(env, d, off, new Uint8Array(size).fill(val), 0n));
};
