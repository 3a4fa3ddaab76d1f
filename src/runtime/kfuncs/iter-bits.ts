/**
 * The bits iterator (kernel/bpf/helpers.c, bpf_iter_bits_*): iterates over the set bits of a
 * copy of `nr_words` u64 words read from an arbitrary address at creation. Its state is the
 * program's 16-byte `struct bpf_iter_bits` on its stack, laid out as the kernel's
 * `struct bpf_iter_bits_kern`:
 *   [0, 8)   the words themselves when nr_words == 1 (bits_copy), else the address of a
 *            bpf_mem_alloc'd copy (bits)
 *   [8, 12)  u32 allocated:1 (bit 0), nr_bits:31 (bits 1..31)
 *   [12, 16) int bit: the current bit, which bpf_iter_bits_next() hands out a pointer to
 */
import { type HelperEnv, arg, argU32, setR0 } from '../env.js';
import { E2BIG, EFAULT, EINVAL, argMem } from '../helpers/impl/common.js';
import { probeReadKernelBytes } from '../helpers/impl/probe.js';
import { ERRNO } from '../maps/errno.js';
import { BPF_MEM_ALLOC_MAX_SIZE, KernelHeap } from './heap.js';
import { setKfuncInt } from './iter-num.js';

/** BITS_ITER_NR_WORDS_MAX. */
export const BITS_ITER_NR_WORDS_MAX = 511;
const ENOMEM = -ERRNO.ENOMEM;

function state(env: HelperEnv): DataView {
  const b = argMem(env, 1, 16, true);
  return new DataView(b.buffer, b.byteOffset, 16);
}

function heap(env: HelperEnv): KernelHeap {
  return (env.heap ??= new KernelHeap());
}

/** bpf_iter_bits_new(it, unsafe_ptr, nr_words). */
export function iterBitsNew(env: HelperEnv): void {
  const s = state(env);
  const src = arg(env, 2);
  const nrWords = argU32(env, 3);
  s.setBigUint64(0, 0n, true); // bits_copy = 0
  s.setUint32(8, 0, true); // allocated = 0, nr_bits = 0
  s.setInt32(12, -1, true); // bit = -1
  if (src === 0n || nrWords === 0) { setKfuncInt(env, EINVAL); return; }
  if (nrWords > BITS_ITER_NR_WORDS_MAX) { setKfuncInt(env, E2BIG); return; }
  const nrBytes = nrWords * 8;
  const nrBits = nrBytes * 8;
  if (nrWords === 1) {
    const b = probeReadKernelBytes(env, src, 8);
    if (typeof b === 'number') { setKfuncInt(env, EFAULT); return; }
    s.setBigUint64(0, new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true), true);
    s.setUint32(8, nrBits << 1, true);
    setKfuncInt(env, 0);
    return;
  }
  if (nrBytes > BPF_MEM_ALLOC_MAX_SIZE) { setKfuncInt(env, E2BIG); return; }
  const h = heap(env);
  const addr = h.alloc(nrBytes);
  if (addr === 0n) { setKfuncInt(env, ENOMEM); return; }
  s.setBigUint64(0, addr, true); // kit->bits (left dangling on a failed read, as in the kernel)
  const b = probeReadKernelBytes(env, src, nrBytes);
  if (typeof b === 'number') { h.free(addr); setKfuncInt(env, b); return; }
  h.get(addr)!.set(b);
  s.setUint32(8, (nrBits << 1) | 1, true);
  setKfuncInt(env, 0);
}

/** bpf_iter_bits_next(it): &it->bit at the next set bit, or NULL (and nr_bits = 0) past the last. */
export function iterBitsNext(env: HelperEnv): void {
  const s = state(env);
  const word = s.getUint32(8, true);
  const nrBits = word >>> 1;
  if (nrBits === 0) { setR0(env, 0n); return; }
  let bits: Uint8Array;
  if ((word & 1) === 0) bits = new Uint8Array(s.buffer, s.byteOffset, 8);
  else {
    const b = heap(env).get(s.getBigUint64(0, true));
    if (!b) { setR0(env, 0n); return; } // unreachable for a verified program: allocated blocks live until destroy
    bits = b;
  }
  const bit = findNextBit(bits, nrBits, s.getInt32(12, true) + 1);
  if (bit >= nrBits) {
    s.setUint32(8, word & 1, true); // nr_bits = 0, allocated kept
    setR0(env, 0n);
    return;
  }
  s.setInt32(12, bit, true);
  setR0(env, arg(env, 1) + 12n);
}

/** bpf_iter_bits_destroy(it): frees the copy when there is one. */
export function iterBitsDestroy(env: HelperEnv): void {
  const s = state(env);
  if ((s.getUint32(8, true) & 1) === 0) return;
  heap(env).free(s.getBigUint64(0, true));
}

/** find_next_bit over little-endian words: the first set bit at or after `start`, or `size` when none. */
function findNextBit(bits: Uint8Array, size: number, start: number): number {
  for (let i = Math.max(0, start); i < size; i++) if ((bits[i >>> 3]! >>> (i & 7)) & 1) return i;
  return size;
}
