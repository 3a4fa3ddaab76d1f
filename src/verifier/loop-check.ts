/**
 * is_state_visited's "infinite loop detected" test (kernel/bpf/verifier.c): a state that reaches
 * an instruction where one of its own ancestors (a checkpoint still in progress) stands, with
 * the same registers and an exactly equal state, loops forever. The kernel guards the costly
 * exact comparison with states_maybe_looping (the current frame's registers identical byte for
 * byte, ids included: no id remapping) and excuses the loops it knows end: iterators at other
 * depths, may_goto at another depth, and callbacks unrolled another number of times
 * (callback_unroll_depth: each bpf_loop visit re-enters the same callback code, often in the
 * same state, yet the helper bounds the visits).
 */
import type { Env } from './env.js';
import { iterActiveDepthsDiffer } from './iterators.js';
import { statesEqual } from './prune.js';
import { T } from './reg-types.js';
import type { Reg, VState } from './state.js';

/** memcmp of two bpf_reg_states up to the liveness fields: type, offset, the type's data, bounds and ids. */
function regsIdentical(env: Env, o: Reg, c: Reg): boolean {
  if (o.type !== c.type) return false;
  // mark_reg_not_init leaves an unknown scalar's fields behind the NOT_INIT type: all alike.
  if (o.type === T.NOT_INIT) return true;
  if (o.off !== c.off || o.id !== c.id || o.refObjId !== c.refObjId || o.range !== c.range || o.map !== c.map ||
    o.memSize !== c.memSize || o.dynptrId !== c.dynptrId) return false;
  return o.v === c.v || env.dom.equal(o.v, c.v);
}

/** states_maybe_looping: same frame depth and the current frame's registers identical. */
export function statesMaybeLooping(env: Env, old: VState, cur: VState): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  const of = old.frames[old.frames.length - 1]!.regs;
  const cf = cur.frames[cur.frames.length - 1]!.regs;
  for (let i = 0; i < of.length; i++) if (!regsIdentical(env, of[i]!, cf[i]!)) return false;
  return true;
}

/** The kernel's full test: `cur` repeats its in-progress ancestor `old` at `pc` and nothing bounds the repetition. */
export function isInfiniteLoop(env: Env, old: VState, cur: VState, pc: number): boolean {
  return statesMaybeLooping(env, old, cur) && statesEqual(env, old, cur, pc, true) && !iterActiveDepthsDiffer(old, cur) &&
    old.mayGotoDepth === cur.mayGotoDepth && old.callbackUnrollDepth === cur.callbackUnrollDepth;
}
