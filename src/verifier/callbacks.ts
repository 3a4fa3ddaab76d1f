/**
 * Synchronous callbacks (bpf_loop, bpf_for_each_map_elem, bpf_find_vma), verified as 6.18 does
 * (push_callback_call and prepare_func_exit in kernel/bpf/verifier.c): at the helper call a
 * second path is pushed that enters the callback in a new frame with the arguments the helper
 * passes it (set_loop_callback_state, set_map_elem_callback_state, set_find_vma_callback_state);
 * the first path goes on past the call as if the callback had not run. When a callback returns,
 * its r0 must lie in [0, 1] and the path goes back to the helper call itself, which runs again
 * and pushes another visit of the callback: the callback is explored as a loop, and the call
 * instruction is a forced checkpoint where a visit lying within one still in progress
 * (RANGE_WITHIN) ends the iteration. Timer callbacks are asynchronous: verified as paths of their own.
 */
import type { Env } from './env.js';
import { MAYBE_NULL, PTR_TRUSTED, T } from './reg-types.js';
import { MAX_CALL_FRAMES, S, cloneState, copyReg, newFrame, newState, writableSpill, type Reg, type VState } from './state.js';
import { markConstDynptr } from './dynptr.js';
import { DynptrType } from './dynptr-state.js';
import { markPrecise } from './precision.js';
import { SYNC_CALLBACKS } from './callback-helpers.js';

export { callsCallback, isCallbackCall } from './callback-helpers.js';

/** push_callback_call for a synchronous callback: queue the path that runs callback `sub` once. */
export function pushCallback(env: Env, helperId: number, sub: number, map: number): void {
  const kind = SYNC_CALLBACKS[helperId]!;
  pushCallbackVisit(env, sub, (regs, callerRegs) => {
    switch (kind) {
      case 'loop':
        // callback_fn(u64 index, void *callback_ctx)
        env.markScalar(regs[1]!, env.UNKNOWN);
        copyReg(regs[2]!, callerRegs[3]!);
        break;
      case 'map_elem':
        // callback_fn(struct bpf_map *map, const void *key, void *value, void *callback_ctx)
        env.markPtr(regs[1]!, T.CONST_PTR_TO_MAP);
        regs[1]!.map = map;
        env.markPtr(regs[2]!, T.PTR_TO_MAP_KEY);
        regs[2]!.map = map;
        env.markPtr(regs[3]!, T.PTR_TO_MAP_VALUE);
        regs[3]!.map = map;
        copyReg(regs[4]!, callerRegs[3]!);
        break;
      case 'user_ringbuf':
        // callback_fn(const struct bpf_dynptr *sample, void *callback_ctx): a local dynptr it cannot release (set_user_ringbuf_callback_state)
        markConstDynptr(env, regs[1]!, DynptrType.LOCAL);
        copyReg(regs[2]!, callerRegs[3]!);
        break;
      case 'find_vma': {
        // callback_fn(struct task_struct *task, struct vm_area_struct *vma, void *callback_ctx)
        copyReg(regs[1]!, callerRegs[1]!);
        const vma = env.kernelBtf().find('vm_area_struct', 'struct')[0];
        if (!vma) env.reject('invalid_insn', 'the target kernel has no struct vm_area_struct');
        // set_find_vma_callback_state: a plain PTR_TO_BTF_ID (not trusted: the vma is only
        // stable while the callback runs)
        env.markPtr(regs[2]!, T.PTR_TO_BTF_ID);
        regs[2]!.memSize = vma.id;
        // bpf_find_vma(task, addr, callback_fn, callback_ctx, flags): the context is the caller's r4
        copyReg(regs[3]!, callerRegs[4]!);
        break;
      }
    }
  });
}

/**
 * push_callback_call: queue a visit of callback `sub` in a new frame, whose arguments `setArgs`
 * sets (the kernel's set_*_callback_state) from the caller's registers; its r0 must be 0 or 1.
 */
export function pushCallbackVisit(env: Env, sub: number, setArgs: (regs: Reg[], callerRegs: Reg[]) => void): void {
  if (sub < 0) env.reject('helper_arg', 'callback function not found');
  env.callbacks.add(sub);
  const caller = env.cur;
  if (caller.frames.length >= MAX_CALL_FRAMES) env.reject('call_depth', `the call stack of ${caller.frames.length + 1} frames is too deep`);
  const st = cloneState(caller);
  // The queued visit counts one more callback run; the path that goes on past the call starts over.
  const callerCopy = st.frames[st.frames.length - 1]!;
  callerCopy.callbackDepth = (callerCopy.callbackDepth ?? 0) + 1;
  env.frame.callbackDepth = 0;
  st.callbackUnrollDepth++;
  const f = newFrame(env.UNKNOWN, env.pc, sub);
  for (const r of f.regs) env.markNotInit(r);
  const regs = f.regs;
  setArgs(regs, callerCopy.regs);
  for (const r of regs) if (r.type & MAYBE_NULL && !r.id) r.id = env.newId();
  env.markPtr(regs[10]!, T.PTR_TO_STACK);
  regs[10]!.frameno = st.frames.length;
  f.cbRet = [0n, 1n];
  st.frames.push(f);
  st.pc = env.cfg.subprogs[sub]!.start;
  st.prevPc = env.pc;
  // The call is the last instruction of the visit's history before the callback (as the kernel's
  // pushed state shares the caller's history up to it): backtracking leaves the callback there.
  env.recordPushedHistory(st);
  env.pushBranch(st);
}

/**
 * update_loop_inline_state: a bpf_loop call is inlined after verification (optimize_bpf_loop) when
 * every visit passed flags known to be 0 (loop_flag_is_zero, which marks r4 precise) and the same
 * callback. The inlined loop keeps its counters in 3 stack slots of the caller.
 */
export function updateLoopInlineState(env: Env, sub: number): void {
  const r4 = env.reg(4);
  const flagsZero = env.isNull(r4);
  if (flagsZero) markPrecise(env, 1 << 4);
  const prev = env.loopInline.get(env.pc);
  if (!prev) env.loopInline.set(env.pc, { fit: flagsZero, sub });
  else if (prev.fit) prev.fit = flagsZero && prev.sub === sub;
}

/**
 * push_async_cb for bpf_timer_set_callback: the callback runs later, on a path of its own that
 * starts from a fresh state (no caller frame, references, locks or checkpoint parent) with the
 * timer's map, key and value as arguments (set_timer_callback_state). Its frame is the only one
 * and carries the return range ([0, 0] for timers and workqueues), which checkExit enforces
 * ("At async callback return"). A workqueue's or task work's callback runs sleepable
 * (push_async_cb's in_sleepable), which only a sleepable program may ask for (async-work.ts).
 */
export function pushAsyncCallback(env: Env, sub: number, map: number, ret: readonly [bigint, bigint] = [0n, 0n]): void {
  if (sub < 0) env.reject('helper_arg', 'callback function not found');
  env.asyncCallbacks.add(sub);
  env.callbacks.add(sub);
  const f = newFrame(env.UNKNOWN, -1, sub);
  const regs = f.regs;
  for (const r of regs) env.markNotInit(r);
  // callback_fn(struct bpf_map *map, void *key, void *value)
  env.markPtr(regs[1]!, T.CONST_PTR_TO_MAP);
  env.markPtr(regs[2]!, T.PTR_TO_MAP_KEY);
  env.markPtr(regs[3]!, T.PTR_TO_MAP_VALUE);
  for (let r = 1; r <= 3; r++) regs[r]!.map = map;
  env.markPtr(regs[10]!, T.PTR_TO_STACK);
  f.cbRet = ret;
  env.pushBranch(newState(f, env.cfg.subprogs[sub]!.start, env.pc, !!env.trail));
}

/**
 * widen_imprecise_scalars (prepare_func_exit for callbacks): after a callback returned to its
 * call, every scalar (register or spilled) that differs from the same one in the closest
 * in-progress checkpoint at that call, and is precise in neither, becomes unknown, so that a
 * counter the callback bumps converges instead of growing one iteration at a time.
 */
export function widenAfterCallback(env: Env, callsite: number): void {
  const cur = env.cur;
  const list = env.explored[callsite];
  if (!list) return;
  let prev: VState | undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    const cp = list[i]!;
    if (cp.branches > 0 && cp.st.frames.length === cur.frames.length && cp.st.frames.every((f, k) => f.callsite === cur.frames[k]!.callsite)) { prev = cp.st; break; }
  }
  if (prev) widenImpreciseScalars(env, prev, cur);
}

/** widen_imprecise_scalars: scalars of `cur` that differ from `prev` and are precise in neither become unknown. */
export function widenImpreciseScalars(env: Env, prev: VState, cur: VState): void {
  /** Whether `c` is widened. */
  const widen = (o: Reg | undefined, c: Reg | undefined): boolean => {
    if (!o || !c || o.type !== T.SCALAR || c.type !== T.SCALAR || o.precise || c.precise) return false;
    if (env.dom.equal(o.v, c.v) && o.id === c.id) return false;
    return true;
  };
  prev.frames.forEach((of, fi) => {
    const cf = cur.frames[fi];
    if (!cf) return;
    for (let r = 0; r < 11; r++) if (widen(of.regs[r], cf.regs[r])) env.markUnknown(cf.regs[r]!);
    for (let k = 0; k < of.spills.length; k++) {
      if (of.slots[k * 8] !== S.SPILL || cf.slots[k * 8] !== S.SPILL) continue;
      if (widen(of.spills[k], cf.spills[k])) env.markUnknown(writableSpill(cf, k));
    }
  });
}
