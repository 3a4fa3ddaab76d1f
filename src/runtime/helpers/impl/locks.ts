/**
 * bpf_spin_lock / bpf_spin_unlock on the lock word of a map value. The VM runs one program at a
 * time and the verifier pairs every lock with its unlock on each path, so a lock is never
 * contended: taking it sets the word (as the kernel's queued spinlock sets its locked byte),
 * releasing clears it. The word's previous content is not trusted: values written from user space
 * (or a counterexample's inputs) carry no lock state, as the kernel zeroes the field on update.
 */
import { setR0Int } from '../../env.js';
import { type HelperFn, argMem } from './common.js';

export const spinLock: HelperFn = (env) => {
  argMem(env, 1, 4, true)[0] = 1;
  setR0Int(env, 0);
};

export const spinUnlock: HelperFn = (env) => {
  argMem(env, 1, 4, true)[0] = 0;
  setR0Int(env, 0);
};
