/** Argument and result access shared by the kfunc implementations (no allocation: they run once per loop iteration). */
import { type HelperEnv, setR0Int } from '../env.js';

/**
 * The iterator that r1 points to: checks `size` writable bytes there (a fault otherwise) and
 * returns the region id; the state starts at `env.mem.at` in `env.mem.views[id]`.
 */
export function iterState(env: HelperEnv, size: number): number {
  return env.mem.check(env.regs[3]!, env.regs[2]!, 0, size, true, env.pc, false, false);
}

/** r0 = r1 + off (a pointer into the iterator that r1 points to). */
export function setR0ToIter(env: HelperEnv, off: number): void {
  const R = env.regs;
  const lo = (R[2]! >>> 0) + off;
  R[0] = lo | 0;
  R[1] = (R[3]! + (lo > 0xffffffff ? 1 : 0)) | 0;
}

/** r0 = NULL. */
export function setR0Null(env: HelperEnv): void {
  env.regs[0] = 0;
  env.regs[1] = 0;
}

/**
 * r0 for a kfunc returning a C `int`: the x86-64 callee writes eax, which zero-extends into rax
 * (the verifier only lets the program use the low 32 bits).
 */
export function setKfuncInt(env: HelperEnv, n: number): void {
  setR0Int(env, n);
  env.regs[1] = 0;
}
