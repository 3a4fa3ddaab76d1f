import { expect } from 'vitest';
import type { MapSpec, MapType } from '../../src/isa/program.js';

export const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n >>> 0]).buffer);
export const u64 = (n: bigint): Uint8Array => new Uint8Array(new BigUint64Array([BigInt.asUintN(64, n)]).buffer);
export const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
export const hex = (b: Uint8Array | undefined): string | undefined => (b ? Buffer.from(b).toString('hex') : undefined);

export function spec(type: MapType, keySize: number, valueSize: number, maxEntries: number, flags = 0, inner?: MapSpec): MapSpec {
  return { name: `t_${type}`, type, keySize, valueSize, maxEntries, flags, ...(inner ? { inner } : {}) };
}

/** The errno name a call throws (MapError / KernelError), or 'ok'. */
export function errnoOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    const errno = (e as { errno?: unknown }).errno;
    if (typeof errno !== 'string') throw e;
    return errno;
  }
}

export function expectErrno(f: () => unknown, errno: string): void {
  expect(errnoOf(f)).toBe(errno);
}
