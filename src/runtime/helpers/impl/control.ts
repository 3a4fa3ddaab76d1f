/** bpf_tail_call and bpf_loop: the helpers that change control flow. */
import { isProgArray } from '../../maps/guards.js';
import { arg, argNum, argU32, setR0Int } from '../../env.js';
import { E2BIG, EINVAL, type HelperFn, ctxArg, mapArg } from './common.js';

/** MAX_TAIL_CALL_CNT. */
export const MAX_TAIL_CALLS = 33;
/** BPF_MAX_LOOPS: bpf_loop's limit on nr_loops. */
export const BPF_MAX_LOOPS = 1 << 23;

/**
 * bpf_tail_call(ctx, prog_array, index): in the kernel's order: index in range, then the
 * counter (incremented even when the slot turns out empty), then the slot. On any failure the
 * program continues after the call.
 */
export const tailCall: HelperFn = (env) => {
  ctxArg(env, 1);
  const map = mapArg(env, 2);
  if (!isProgArray(map)) { setR0Int(env, EINVAL); return; }
  const index = argU32(env, 3);
  if (index >= map.spec.maxEntries) return;
  if (env.tailCalls >= MAX_TAIL_CALLS) return;
  env.tailCalls++;
  const prog = map.getProgram(index);
  if (prog === undefined || prog === null) return;
  env.tailCall = { program: prog };
};

/** bpf_loop(nr_loops, callback, ctx, flags): callback(i, ctx) until it returns non-zero; returns the iterations run. */
export const loop: HelperFn = (env) => {
  const n = argNum(env, 1);
  const fn = env.mem.decode(arg(env, 2));
  const ctx = arg(env, 3);
  if (argNum(env, 4) !== 0) { setR0Int(env, EINVAL); return; }
  const count = argU32(env, 1);
  if ((Number.isNaN(n) ? Infinity : count) > BPF_MAX_LOOPS || env.regs[3] !== 0) { setR0Int(env, E2BIG); return; }
  if (!fn || fn.kind !== 'func') { setR0Int(env, EINVAL); return; }
  for (let i = 0; i < count; i++) {
    const r = env.callFunction(fn.off, BigInt(i), ctx, 0n, 0n, 0n);
    if (r !== 0n) { setR0Int(env, i + 1); return; }
  }
  setR0Int(env, count);
};
