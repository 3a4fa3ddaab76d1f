/** Shared pieces of the helper implementations: decoding map/ctx/function arguments, errnos. */
import { ERRNO } from '../../maps/errno.js';
import type { BpfMap } from '../../maps/types.js';
import { storedMapFlags } from '../../../isa/map-flags.js';
import { type HelperEnv, arg } from '../../env.js';
import { VmError } from '../../errors.js';
import { Memory, split } from '../../memory.js';

export type HelperFn = (env: HelperEnv) => void;

export const EINVAL = -ERRNO.EINVAL;
export const EFAULT = -ERRNO.EFAULT;
export const ENOENT = -ERRNO.ENOENT;
export const E2BIG = -ERRNO.E2BIG;
export const EACCES = -13;
export const ENOTSUPP = -ERRNO.ENOTSUPP;

/** The map that argument n points to (an ld_imm64 map reference or an inner map from map-in-map). */
export function mapArg(env: HelperEnv, n: number): BpfMap {
  const id = env.mem.regionOf(env.regs[2 * n + 1]!);
  const owner = id > 0 && env.mem.kindOf(id) === 'map' ? env.mem.owners[id] : undefined;
  if (!owner) throw new VmError('bad_call', env.pc, `R${n} is not a map pointer`);
  return owner as BpfMap;
}

/** The region id of a map's pointer in this run (registering inner maps on first use). */
export function mapPointer(env: HelperEnv, map: BpfMap): bigint {
  const i = env.maps.indexOf(map);
  if (i >= 0) return Memory.ptr(env.mapRegions[i]!, 0);
  for (let id = 1; id < env.mem.count; id++) if (env.mem.owners[id] === map && env.mem.kindOf(id) === 'map') return Memory.ptr(id, 0);
  return Memory.ptr(env.mem.add('map', new Uint8Array(0), { writable: false, owner: map }), 0);
}

/** `len` bytes of memory at pointer argument n (bounds-checked; a live view). */
export function argMem(env: HelperEnv, n: number, len: number, write: boolean): Uint8Array {
  return env.mem.sliceHL(env.regs[2 * n + 1]!, env.regs[2 * n]!, len, write, env.pc);
}

/** Checks that argument n is the ctx pointer (ARG_PTR_TO_CTX). */
export function ctxArg(env: HelperEnv, n: number): void {
  const { hi, lo } = split(arg(env, n));
  if (env.mem.regionOf(hi) !== env.ctxRegion || lo !== 0) throw new VmError('bad_call', env.pc, `R${n} is not the ctx pointer`);
}

/** Whether a map was created read-only for programs (BPF_F_RDONLY_PROG as stored: devmaps, .rodata). */
export function progReadonly(map: BpfMap): boolean {
  return (storedMapFlags(map.spec) & 0x80) !== 0 || map.spec.readonly === true;
}
