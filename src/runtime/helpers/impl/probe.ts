/**
 * probe_read(_kernel|_user)(_str): copy from an address that may be anything. A pointer into a
 * live region (stack, map value, packet, ...) reads that region; other addresses read the
 * modelled kernel/user address spaces; anything else faults softly: -EFAULT and a zeroed buffer.
 */
import { type HelperEnv, arg, argNum, setR0Int } from '../../env.js';
import { F_CTX, split } from '../../memory.js';
import { EFAULT, type HelperFn } from './common.js';
import { ERRNO } from '../../maps/errno.js';

const ERANGE = -ERRNO.ERANGE;

type Space = 'kernel' | 'user' | 'any';

/** Up to `len` bytes at address `addr` (fewer for strings), or null when unreadable. */
function source(env: HelperEnv, addr: bigint, len: number, space: Space, str: boolean): Uint8Array | null {
  const { hi, lo } = split(addr);
  const id = env.mem.regionOf(hi);
  if (id > 0) {
    const at = lo >>> 0;
    const m = env.mem;
    if ((m.flags[id]! & F_CTX) !== 0) {
      const b = m.bytes[id]!;
      return at + (str ? 1 : len) <= b.length ? b.subarray(at, Math.min(b.length, at + len)) : null;
    }
    if (at < m.start[id]! || at >= m.end[id]! || (!str && at + len > m.end[id]!)) return null;
    return m.bytes[id]!.subarray(at, Math.min(m.end[id]!, at + len));
  }
  const spaces = space === 'kernel' ? [env.kernelMem] : space === 'user' ? [env.userMem] : [env.userMem, env.kernelMem];
  for (const s of spaces) {
    const b = str ? s.readUpTo(addr, len) : s.read(addr, len);
    if (b) return b;
  }
  return null;
}

/**
 * x86-64 copy_from_kernel_nofault_allowed(): kernel reads of user addresses (below
 * TASK_SIZE_MAX + PAGE_SIZE) or of non-canonical ones fail with -ERANGE, not -EFAULT; the
 * compat probe_read sends addresses below TASK_SIZE to the user copy (-EFAULT).
 */
function unreadable(space: Space, addr: bigint): number {
  const a = BigInt.asUintN(64, addr);
  if (space === 'user' || (space === 'any' && a < 0x0000_7fff_ffff_f000n)) return EFAULT; // compat: user addresses read user memory
  return a < 0xffff_8000_0000_0000n ? ERANGE : EFAULT;
}

/**
 * bpf_probe_read_kernel_common: `len` bytes at kernel address `addr`, or the -errno of
 * copy_from_kernel_nofault (for kfuncs that copy from an unsafe pointer).
 */
export function probeReadKernelBytes(env: HelperEnv, addr: bigint, len: number): Uint8Array | number {
  return source(env, addr, len, 'kernel', false) ?? unreadable('kernel', addr);
}

function probeRead(space: Space): HelperFn {
  return (env) => {
    const size = argNum(env, 2);
    const dst = env.mem.slice(arg(env, 1), size, true, env.pc);
    if (size === 0) { setR0Int(env, 0); return; }
    const src = source(env, arg(env, 3), size, space, false);
    if (!src) { dst.fill(0); setR0Int(env, unreadable(space, arg(env, 3))); return; }
    dst.set(src);
    setR0Int(env, 0);
  };
}

/** The *_str variants: copy up to size-1 bytes and a NUL; return the length including the NUL. */
function probeReadStr(space: Space): HelperFn {
  return (env) => {
    const size = argNum(env, 2);
    const dst = env.mem.slice(arg(env, 1), size, true, env.pc);
    if (size === 0) { setR0Int(env, 0); return; }
    const src = source(env, arg(env, 3), size, space, true);
    if (!src) { dst.fill(0); setR0Int(env, unreadable(space, arg(env, 3))); return; }
    let n = 0;
    while (n < size - 1 && n < src.length && src[n] !== 0) { dst[n] = src[n]!; n++; }
    if (n < size - 1 && n === src.length) { dst.fill(0); setR0Int(env, EFAULT); return; } // ran off mapped memory before a NUL
    dst[n] = 0;
    setR0Int(env, n + 1);
  };
}

export const probeReadCompat = probeRead('any');
export const probeReadKernel = probeRead('kernel');
export const probeReadUser = probeRead('user');
export const probeReadStrCompat = probeReadStr('any');
export const probeReadKernelStr = probeReadStr('kernel');
export const probeReadUserStr = probeReadStr('user');

/** Reads a NUL-terminated string for %s in printf-like helpers ('' when unreadable). */
export function readCString(env: HelperEnv, addr: bigint, max = 512): string {
  const b = source(env, addr, max, 'any', true);
  if (!b) return '';
  let n = 0;
  while (n < b.length && b[n] !== 0) n++;
  return String.fromCharCode(...b.subarray(0, n));
}

export function readBytes(env: HelperEnv, addr: bigint, n: number): Uint8Array | null {
  return source(env, addr, n, 'any', false);
}
