/**
 * The bit-vector algebra instantiated with Z3 terms (z3-solver, the official WebAssembly build):
 * T = BitVec expression, B = Bool expression. Loading Z3 costs about half a second, so it is
 * loaded once per process and only by the commands that prove.
 */
import type { Bool, BitVec, Context } from 'z3-solver';
import type { Algebra, BV } from '../verifier/domains/algebra.js';

export type Z3Ctx = Context<'main'>;
export type ZT = BitVec<number, 'main'>;
export type ZB = Bool<'main'>;

export interface Z3Handle {
  ctx: Z3Ctx;
  /** Stop Z3's worker threads so that the process can exit. */
  close(): Promise<void>;
}

let loading: Promise<Z3Handle> | undefined;

/** Z3's module, initialised once per process (the WebAssembly instance and its threads). */
export interface Z3Api {
  /** A fresh context: no terms or solver state shared with earlier ones. */
  context(): Z3Ctx;
  close(): Promise<void>;
}

let apiLoading: Promise<Z3Api> | undefined;
let contexts = 0;

/** The parts of z3-solver's Emscripten module and low-level API that {@link serialiseReleases} wraps. */
interface Z3Internals {
  em: {
    async_call: (...args: unknown[]) => Promise<unknown>;
    PThread: {
      runningWorkers: unknown[];
      unusedWorkers: unknown[];
      allocateUnusedWorker(): void;
      loadWasmModuleToWorker(worker: unknown): Promise<void>;
    };
  };
  Z3: Record<string, unknown>;
}

/**
 * z3-solver runs a solver check on a pthread while the main thread goes on, and releases its
 * objects from FinalizationRegistry callbacks on the main thread (`Z3.dec_ref` and kin). A release
 * that lands while a check runs on the same context races Z3's reference counts, which are not
 * thread-safe: seen in CI as "RuntimeError: memory access out of bounds" followed by a check whose
 * promise never settles. Releases are therefore queued while an asynchronous call is in flight and
 * run when it settles. Every asynchronous call of the low-level API goes through `em.async_call`.
 */
function serialiseReleases(api: Z3Internals): void {
  const { em, Z3 } = api;
  let inFlight = 0;
  const queued: (() => void)[] = [];
  // a long check can queue hundreds of thousands of releases: run them in order, then clear
  // (shifting them off one by one would be quadratic)
  const drain = (): void => {
    if (inFlight !== 0 || queued.length === 0) return;
    const run = queued.splice(0, queued.length);
    for (const release of run) release();
  };
  const asyncCall = em.async_call.bind(em);
  em.async_call = (...args: unknown[]): Promise<unknown> => {
    inFlight++;
    let settled: Promise<unknown>;
    try {
      settled = asyncCall(...args);
    } catch (e) {
      inFlight--;
      drain();
      throw e;
    }
    return settled.finally(() => {
      inFlight--;
      drain();
    });
  };
  for (const name of Object.keys(Z3)) {
    const release = Z3[name];
    if (typeof release !== 'function' || !/(^|_)dec_ref$|^del_context$|_del$/.test(name)) continue;
    Z3[name] = (...args: unknown[]): unknown => {
      if (inFlight === 0) return (release as (...a: unknown[]) => unknown)(...args);
      queued.push(() => (release as (...a: unknown[]) => unknown)(...args));
      return undefined;
    };
  }
}

/**
 * A pthread that has just answered a check still posts "cleanupThread" to the main thread;
 * terminating it before that message arrives makes Emscripten print "received cleanupThread
 * command from terminated worker" on stderr. Wait (boundedly) for running threads to finish.
 */
async function threadsIdle(em: Z3Internals['em'], maxMs = 2000): Promise<void> {
  const until = Date.now() + maxMs;
  while (em.PThread.runningWorkers.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Threads a solver check needs: the check runs on one pthread and its `timeout` timer on another.
 * Each is a worker that loads Z3's script and module when first needed; the check's thread spins
 * (sched_yield) until the timer's has started, which on a loaded machine cost a second of CPU on
 * the first check. Started here, they load while the caller encodes its first query.
 */
const PRESTARTED_THREADS = 2;

function prestartThreads(em: Z3Internals['em']): void {
  const P = em.PThread;
  // not awaited: a thread taken before it has loaded queues its work until it has
  for (let i = P.unusedWorkers.length; i < PRESTARTED_THREADS; i++) {
    P.allocateUnusedWorker();
    void P.loadWasmModuleToWorker(P.unusedWorkers[P.unusedWorkers.length - 1]);
  }
}

export function loadZ3Api(): Promise<Z3Api> {
  apiLoading ??= (async () => {
    const z3 = await import('z3-solver');
    const api = await z3.init();
    const internals = api as unknown as Z3Internals;
    serialiseReleases(internals);
    prestartThreads(internals.em);
    // The WebAssembly heap is fixed at 2 GiB: a query that outgrows it aborts the whole module.
    // Below that, Z3 gives up on the query ("unknown") and the module lives on.
    api.setParam('memory_max_size', '1536');
    return {
      context: () => api.Context(`c${contexts++}`) as unknown as Z3Ctx,
      close: async () => {
        await threadsIdle(internals.em);
        await z3.killThreads(internals.em);
        apiLoading = undefined;
        loading = undefined;
      },
    };
  })();
  return apiLoading;
}

/** One shared context (the in-process prover used by tests and explain). */
export function loadZ3(): Promise<Z3Handle> {
  loading ??= (async () => {
    const api = await loadZ3Api();
    return { ctx: api.context(), close: () => api.close() };
  })();
  return loading;
}

export function z3Algebra(Z: Z3Ctx): Algebra<ZT, ZB> {
  const cache = new Map<number, BV<ZT, ZB>>();
  const known = (b: ZB): boolean | undefined => (Z.isTrue(b) ? true : Z.isFalse(b) ? false : undefined);
  const bv = (w: number): BV<ZT, ZB> => {
    const hit = cache.get(w);
    if (hit) return hit;
    const c = (n: bigint | number): ZT => Z.BitVec.val(BigInt.asUintN(w, BigInt(n)), w);
    const ones = c(-1);
    const v: BV<ZT, ZB> = {
      w,
      c,
      add: (a, b) => a.add(b),
      sub: (a, b) => a.sub(b),
      mul: (a, b) => a.mul(b),
      and: (a, b) => a.and(b),
      or: (a, b) => a.or(b),
      xor: (a, b) => a.xor(b),
      not: (a) => a.not(),
      neg: (a) => a.neg(),
      shl: (a, s) => a.shl(s),
      lshr: (a, s) => a.lshr(s),
      ashr: (a, s) => a.shr(s),
      udiv: (a, b) => a.udiv(b),
      urem: (a, b) => a.urem(b),
      // Z3's bvsdiv by zero is already SMT-LIB's (x < 0 ? 1 : -1); keep the algebra's contract explicit.
      sdiv: (a, b) => Z.If(b.eq(c(0)), Z.If(a.slt(c(0)), c(1), ones), a.sdiv(b)) as ZT,
      srem: (a, b) => a.srem(b),
      eq: (a, b) => a.eq(b),
      ult: (a, b) => a.ult(b),
      ule: (a, b) => a.ule(b),
      slt: (a, b) => a.slt(b),
      sle: (a, b) => a.sle(b),
      ite: (cond, a, b) => {
        const k = known(cond);
        if (k !== undefined) return k ? a : b;
        return Z.If(cond, a, b) as ZT;
      },
      uaddOv: (a, b) => Z.Not(a.addNoOverflow(b, false)),
      saddOv: (a, b) => Z.Not(Z.And(a.addNoOverflow(b, true), a.addNoUnderflow(b))),
      usubOv: (a, b) => a.ult(b),
      ssubOv: (a, b) => Z.Not(Z.And(a.subNoOverflow(b), a.subNoUnderflow(b, true))),
      umulOv: (a, b) => Z.Not(a.mulNoOverflow(b, false)),
      smulOv: (a, b) => Z.Not(Z.And(a.mulNoOverflow(b, true), a.mulNoUnderflow(b))),
      value: (a) => (Z.isBitVecVal(a) ? a.value() : undefined),
    };
    cache.set(w, v);
    return v;
  };
  return {
    name: 'z3',
    tt: Z.Bool.val(true),
    ff: Z.Bool.val(false),
    and: (...xs) => {
      const ys = xs.filter((x) => !Z.isTrue(x));
      if (ys.some((x) => Z.isFalse(x))) return Z.Bool.val(false);
      return ys.length === 0 ? Z.Bool.val(true) : ys.length === 1 ? ys[0]! : Z.And(...ys);
    },
    or: (...xs) => {
      const ys = xs.filter((x) => !Z.isFalse(x));
      if (ys.some((x) => Z.isTrue(x))) return Z.Bool.val(true);
      return ys.length === 0 ? Z.Bool.val(false) : ys.length === 1 ? ys[0]! : Z.Or(...ys);
    },
    not: (a) => (Z.isTrue(a) ? Z.Bool.val(false) : Z.isFalse(a) ? Z.Bool.val(true) : Z.Not(a)),
    implies: (a, b) => Z.Implies(a, b),
    iteB: (cond, a, b) => {
      const k = known(cond);
      if (k !== undefined) return k ? a : b;
      return Z.If(cond, a, b) as ZB;
    },
    known,
    bv,
    zext: (a, from, to) => (to === from ? a : a.zeroExt(to - from)),
    sext: (a, from, to) => (to === from ? a : a.signExt(to - from)),
    trunc: (a, from, to) => (to === from ? a : a.extract(to - 1, 0)),
  };
}
