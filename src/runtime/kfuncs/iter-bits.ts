/**
 * The bits iterator (kernel/bpf/helpers.c, bpf_iter_bits_*): iterates over the set bits of a
 * copy of `nr_words` u64 words read from an arbitrary address at creation. Its state is the
 * program's 16-byte `struct bpf_iter_bits` on its stack, laid out as the kernel's
 * `struct bpf_iter_bits_kern`:
 *   [0, 8)   the word itself when nr_bits == 64 (bits_copy), else the address of a
 *            bpf_mem_alloc'd copy (bits)
 *   [8, 12)  int nr_bits (0 until a successful new)
 *   [12, 16) int bit: the current bit, which bpf_iter_bits_next() hands out a pointer to; past
 *            the last set bit it is left at the bit find_next_bit returned (nr_bits), which a
 *            program still holding the last pointer reads (checked against the kernel)
 */
import { type HelperEnv, arg, argU32 } from '../env.js';
import { E2BIG, EFAULT, EINVAL } from '../helpers/impl/common.js';
import { probeReadKernelBytes } from '../helpers/impl/probe.js';
import { ERRNO } from '../maps/errno.js';
import { BPF_MEM_ALLOC_MAX_SIZE, KernelHeap } from './heap.js';
import { iterState, setKfuncInt, setR0Null, setR0ToIter } from './args.js';

/** BITS_ITER_NR_WORDS_MAX. */
export const BITS_ITER_NR_WORDS_MAX = 511;
const ENOMEM = -ERRNO.ENOMEM;

function state(env: HelperEnv): DataView {
  const id = iterState(env, 16);
  const b = env.mem.bytes[id]!;
  return new DataView(b.buffer, b.byteOffset + env.mem.at, 16);
}

function heap(env: HelperEnv): KernelHeap {
  return (env.heap ??= new KernelHeap());
}

/** bpf_iter_bits_new(it, unsafe_ptr, nr_words). */
export function iterBitsNew(env: HelperEnv): void {
  const s = state(env);
  const src = arg(env, 2);
  const nrWords = argU32(env, 3);
  s.setInt32(8, 0, true); // nr_bits = 0
  s.setBigUint64(0, 0n, true); // bits_copy = 0
  s.setInt32(12, -1, true); // bit = -1
  if (src === 0n || nrWords === 0) { setKfuncInt(env, EINVAL); return; }
  if (nrWords > BITS_ITER_NR_WORDS_MAX) { setKfuncInt(env, E2BIG); return; }
  const nrBytes = nrWords * 8;
  const nrBits = nrBytes * 8;
  if (nrBits === 64) {
    const b = probeReadKernelBytes(env, src, 8);
    if (typeof b === 'number') { setKfuncInt(env, EFAULT); return; }
    s.setBigUint64(0, new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true), true);
    s.setInt32(8, nrBits, true);
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
  s.setInt32(8, nrBits, true);
  setKfuncInt(env, 0);
}

/** bpf_iter_bits_next(it): &it->bit at the next set bit, or NULL (it->bit then past the end). */
export function iterBitsNext(env: HelperEnv): void {
  const id = iterState(env, 16);
  const m = env.mem, v = m.views[id]!, a = m.at;
  const nrBits = v.getInt32(a + 8, true);
  let bit = v.getInt32(a + 12, true);
  if (nrBits === 0 || bit >= nrBits) { setR0Null(env); return; }
  let bits: Uint8Array, base = 0;
  if (nrBits === 64) { bits = m.bytes[id]!; base = a; } // bits_copy, in the iterator itself
  else {
    const b = heap(env).get(v.getBigUint64(a, true));
    if (!b) { setR0Null(env); return; } // unreachable for a verified program: the copy lives until destroy
    bits = b;
  }
  bit = findNextBit(bits, base, nrBits, bit + 1);
  v.setInt32(a + 12, bit, true);
  if (bit >= nrBits) setR0Null(env);
  else setR0ToIter(env, 12);
}

/** bpf_iter_bits_destroy(it): frees the copy when there is one (nr_bits > 64). */
export function iterBitsDestroy(env: HelperEnv): void {
  const s = state(env);
  if (s.getInt32(8, true) <= 64) return;
  heap(env).free(s.getBigUint64(0, true));
}

/** find_next_bit over little-endian words at bits[base..]: the first set bit at or after `start`, or `size` when none. */
function findNextBit(bits: Uint8Array, base: number, size: number, start: number): number {
  for (let i = Math.max(0, start); i < size; i++) if ((bits[base + (i >>> 3)]! >>> (i & 7)) & 1) return i;
  return size;
}
