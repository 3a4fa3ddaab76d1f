/**
 * check_max_stack_depth: after every path was verified, the stack of every chain of calls the
 * program can make must fit in MAX_BPF_STACK. The walk is static (every bpf-to-bpf call and
 * callback reference in the code, reached or not) over each subprogram's stack depth, the deepest
 * byte any verified path touched. That is why the kernel reports an error found on a path
 * (do_check) before an oversized stack, and why it reports the stack with no instruction.
 *
 * Private stacks (priv_stack_mode) are not modelled: the running 6.18 kernel applies the combined
 * limit to kprobe and raw_tracepoint programs too (checked with BPF_PROG_LOAD).
 */
import * as op from '../isa/opcodes.js';
import { findSubprog, isTailCall } from './cfg.js';
import type { Env } from './env.js';
import { Reject } from './error-kinds.js';
import { MAX_BPF_STACK, MAX_CALL_FRAMES } from './state.js';
import { isThrowCall } from './subprog-effects.js';

/** Caller's stack allowed below a subprogram that tail-calls (32 tail calls × 256 bytes = 8 KB). */
const TAIL_CALL_STACK_LIMIT = 256;

/** round_up_stack_depth with the JIT requested (the kernels bpflab models always JIT). */
const roundUp = (depth: number): number => Math.ceil(depth / 16) * 16;

/**
 * check_max_stack_depth: `depths` are the subprograms' stack depths (subprog_info[].stack_depth,
 * after remove_fastcall_spills_fills). Rejects as the kernel does; returns normally otherwise.
 */
export function checkMaxStackDepth(env: Env, depths: readonly number[]): void {
  const subs = env.cfg.subprogs;
  const insns = env.insns;
  // Per subprogram, whether it has a tail call: found when a walk enters it (-1: not looked yet);
  // most programs call no subprogram, and the main program's answer is never asked for.
  const tailCalls = new Int8Array(subs.length).fill(-1);
  const hasTailCall = (s: number): boolean => {
    if (tailCalls[s]! < 0) {
      const sp = subs[s]!;
      let found = 0;
      for (let pc = sp.start; pc < sp.end && !found; pc++) if (isTailCall(insns[pc]!)) found = 1;
      tailCalls[s] = found;
    }
    return tailCalls[s] === 1;
  };
  // The exception callback counts as an async callback and as a callback (mark_subprog_exc_cb).
  const exc = env.exceptionCb > 0 ? env.exceptionCb : -1;
  const isAsync = (s: number): boolean => env.asyncCallbacks.has(s) || s === exc;
  const isCb = (s: number): boolean => env.callbacks.has(s) || s === exc;
  const inCallback = (s: number): boolean => {
    for (let t = s; t >= 0; t = caller[t]!) if (isCb(t)) return true;
    return false;
  };
  // bpf_subprog_call_depth_info, shared by the walks as in the kernel.
  const caller = new Int32Array(subs.length).fill(-1);
  const frameAt = new Int32Array(subs.length);
  const retInsn = new Int32Array(subs.length);
  const callSite = new Int32Array(subs.length).fill(-1);

  const walk = (root: number): void => {
    let depth = 0;
    let frame = 0;
    let idx = root;
    let i = subs[root]!.start;
    let tailCallReachable = false;
    caller[root] = -1;
    for (;;) {
      // process_func: a new frame
      const where = callSite[idx]! >= 0 && idx !== root ? callSite[idx]! : subs[idx]!.start;
      if (idx !== 0 && depth >= TAIL_CALL_STACK_LIMIT && hasTailCall(idx))
        throw new Reject(where, 'stack_size', `tail_calls are not allowed when call stack of previous frames is ${depth} bytes. Too large`);
      depth += roundUp(depths[idx] ?? 0);
      if (depth > MAX_BPF_STACK) {
        let total = 0;
        for (let s = idx; s >= 0; s = caller[s]!) total++;
        throw new Reject(where, 'stack_size', `combined stack size of ${total} calls is ${depth}. Too large`);
      }
      // continue_func: the rest of the current subprogram, then back to its caller
      for (;;) {
        let callee = -1;
        for (; i < subs[idx]!.end; i++) {
          const ins = insns[i]!;
          if (ins.code === (op.BPF_JMP | op.BPF_CALL) && ins.src === op.BPF_PSEUDO_KFUNC_CALL && ins.off === 0) {
            if (isThrowCall(env, i) && inCallback(idx))
              throw new Reject(i, 'subprog', `bpf_throw kfunc (insn ${i}) cannot be called from callback subprog ${idx}`);
            continue;
          }
          const pseudoCall = ins.code === (op.BPF_JMP | op.BPF_CALL) && ins.src === op.BPF_PSEUDO_CALL;
          const pseudoFunc = ins.code === op.BPF_LD_IMM64 && ins.src === op.BPF_PSEUDO_FUNC;
          if (!pseudoCall && !pseudoFunc) continue;
          const s = findSubprog(subs, i + ins.imm + 1);
          if (s < 0) continue;
          // An asynchronous callback runs on a stack of its own unless called directly.
          if (isAsync(s) && !pseudoCall) continue;
          if (s === exc) throw new Reject(i, 'subprog', `insn ${i} cannot call exception cb directly`);
          frameAt[idx] = frame;
          retInsn[idx] = i + 1;
          caller[s] = idx;
          callSite[s] = i;
          callee = s;
          break;
        }
        if (callee >= 0) {
          i = subs[callee]!.start;
          idx = callee;
          if (hasTailCall(idx)) tailCallReachable = true;
          // Every call is a frame, a global function's too (the running 6.18 kernel counts them).
          frame++;
          if (frame >= MAX_CALL_FRAMES)
            throw new Reject(callSite[idx]!, 'call_depth', `the call stack of ${frame} frames is too deep !`);
          break;
        }
        // A tail call reachable from here may not run inside the exception callback.
        if (tailCallReachable)
          for (let t = idx; t >= 0; t = caller[t]!) if (t === exc) throw new Reject(subs[idx]!.start, 'subprog', 'cannot tail call within exception cb');
        if (frame === 0 && caller[idx]! < 0) return;
        depth -= roundUp(depths[idx] ?? 0);
        idx = caller[idx]!;
        frame = frameAt[idx]!;
        i = retInsn[idx]!;
      }
    }
  };
  // Async callbacks first, as the kernel walks them (in reverse), then the main program.
  for (let s = subs.length - 1; s >= 0; s--) if (s === 0 || isAsync(s)) walk(s);
}
