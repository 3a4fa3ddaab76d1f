/**
 * The helpers that run a callback before they return (is_sync_callback_calling_function), as plain
 * data: the exploration (callbacks.ts) and precision backtracking (precision.ts) both need it.
 */
import type { Insn } from '../isa/insn.js';

/** Helper ids that call a callback synchronously, and the callback's argument layout. */
export const SYNC_CALLBACKS: Readonly<Record<number, 'loop' | 'map_elem' | 'find_vma' | 'user_ringbuf'>> = { 181: 'loop', 164: 'map_elem', 180: 'find_vma', 209: 'user_ringbuf' };

/** Kfunc call instructions that run a callback (bpf_rbtree_add_impl), found by name before exploring (graph.ts). */
const callbackKfuncCalls = new WeakSet<Insn>();
export function markKfuncCallback(ins: Insn): void {
  callbackKfuncCalls.add(ins);
}

/** is_sync_callback_calling_insn: a helper or kfunc call that runs a callback. */
export function isCallbackCall(ins: Insn | undefined): boolean {
  return !!ins && ins.code === 0x85 && ((ins.src === 0 && SYNC_CALLBACKS[ins.imm] !== undefined) || callbackKfuncCalls.has(ins));
}

export function callsCallback(helperId: number): boolean {
  return SYNC_CALLBACKS[helperId] !== undefined;
}
