/**
 * Lock-like sections of a path, as 6.18 tracks them in the verifier state:
 * - a held bpf_spin_lock is a reference of type REF_TYPE_LOCK (id: the locked pointer's id,
 *   ptr: its map) in the state's reference list (process_spin_lock, acquire/release_lock_state);
 *   while one is held, calls other than bpf_spin_unlock and a few kfuncs, exits, LD_ABS and tail
 *   calls are refused;
 * - a bpf_rcu_read_lock section is a flag (active_rcu_lock; 6.18 refuses nesting): pointers marked
 *   MEM_RCU become untrusted when it closes, sleepable helpers and kfuncs are refused inside;
 * - bpf_preempt_disable sections are a depth too (active_preempt_locks).
 * bpf_timer arguments (process_timer_func) use the same map-value record.
 */
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { HELPER_NAMES, helperProto } from '../runtime/helpers/prototypes.js';
import type { Env } from './env.js';
import { mapHasBtf, mapRecord, recordField, type FieldType } from './map-record.js';
import { MAYBE_NULL, MEM_ALLOC, MEM_RCU, PTR_UNTRUSTED, T } from './reg-types.js';
import { LOCAL_LOCK, inRbtreeCallback, invalidateNonOwning, localBtf } from './graph.js';
import { structRecord } from './map-record.js';
import { cloneState, newRef, type Reg, type RefState, type VState } from './state.js';

const BPF_FUNC_spin_unlock = 94;

/** active_irq_id: the reference of the innermost open IRQ section, 0 when IRQs are on (irq-flags.ts). */
export function activeIrqId(st: VState): number {
  for (let i = st.refs.length - 1; i >= 0; i--) if (st.refs[i]!.kind === 'irq') return st.refs[i]!.id;
  return 0;
}

/** REF_TYPE_LOCK_MASK: a held lock of any kind. */
const isLockRef = (r: RefState): boolean => r.kind === 'lock' || r.kind === 'res_lock' || r.kind === 'res_lock_irq';

/** A held lock, bpf_spin_lock or bpf_res_spin_lock, if any (the kernel's cur->active_locks). */
export function activeLock(st: VState): RefState | undefined {
  for (const r of st.refs) if (isLockRef(r)) return r;
  return undefined;
}

/** reg_may_point_to_spin_lock: a map value whose record holds a lock keeps its id after the NULL check. */
export function mayPointToSpinLock(env: Env, r: Reg): boolean {
  if ((r.type & ~MAYBE_NULL) !== T.PTR_TO_MAP_VALUE || r.map < 0) return false;
  const rec = mapRecord(env.prog, env.map(r.map));
  return !!recordField(rec, 'spin_lock') || !!recordField(rec, 'res_spin_lock');
}

/**
 * The constant-offset map-value argument of a helper that takes a special field (a lock, a
 * timer): the kernel's messages when the map has no BTF, no such field, or the pointer is not at it.
 */
export function checkFieldArg(env: Env, regno: number, r: Reg, type: FieldType, what: string): void {
  const c = env.dom.constValue(r.v);
  if (c === undefined) env.reject('helper_arg', `R${regno} doesn't have constant offset. ${what} has to be at the constant offset`);
  const m = env.map(r.map);
  if (!mapHasBtf(env.prog, m)) env.reject('helper_arg', `map '${m.name}' has to have BTF in order to use ${what}`);
  const f = recordField(mapRecord(env.prog, m), type);
  if (!f) env.reject('helper_arg', `map '${m.name}' has no valid ${what}`);
  const off = BigInt.asIntN(64, c) + BigInt(r.off);
  if (BigInt(f.off) !== off) env.reject('helper_arg', `off ${off} doesn't point to 'struct ${what}' that is at ${f.off}`);
}

/**
 * ARG_PTR_TO_SPIN_LOCK (process_spin_lock) for bpf_spin_lock (`lock`) and bpf_spin_unlock: the lock
 * of a map value (owner: the map) or of an allocated object (owner: the program's BTF, LOCAL_LOCK).
 * Releasing it ends every non-owning pointer to list and tree nodes. With `res`, the same for
 * bpf_res_spin_lock / bpf_res_spin_unlock (PROCESS_RES_LOCK): such locks nest, on distinct locks,
 * and are released in the reverse order.
 */
export function processSpinLock(env: Env, regno: number, lock: boolean, res = false, irq = false): void {
  const r = env.reg(regno);
  // lock_str: the messages name the lock kind
  const what = res ? 'bpf_res_spin' : 'bpf_spin';
  const field: FieldType = res ? 'res_spin_lock' : 'spin_lock';
  // PROCESS_LOCK_IRQ: taken with bpf_res_spin_lock_irqsave, released only by bpf_res_spin_unlock_irqrestore
  const kind = res ? (irq ? 'res_lock_irq' : 'res_lock') : 'lock';
  if (inRbtreeCallback(env)) env.reject('lock_state', "can't spin_{lock,unlock} in rbtree cb");
  if (r.type === (T.PTR_TO_BTF_ID | MEM_ALLOC)) allocLockArg(env, regno, r, field, `${what}_lock`);
  else if (r.type !== T.PTR_TO_MAP_VALUE) env.reject('helper_arg', `R${regno} type=${env.typeStr(r)} expected=map_value, ptr_`);
  else checkFieldArg(env, regno, r, field, `${what}_lock`);
  const owner = r.type === T.PTR_TO_MAP_VALUE ? r.map : LOCAL_LOCK;
  const st = env.cur;
  const held = (k: RefState['kind']): RefState | undefined => st.refs.find((x) => x.kind === k && x.id === r.id && x.ptr === owner);
  if (lock) {
    // A second bpf_spin_lock is refused; resilient locks nest (up to the runtime's AA/ABBA checks) but not on the same lock.
    if (!res && st.refs.some((x) => x.kind === 'lock')) env.reject('lock_state', 'Locking two bpf_spin_locks are not allowed');
    if (res && (held('res_lock') || held('res_lock_irq'))) env.reject('lock_state', 'Acquiring the same lock again, AA deadlock detected');
    st.refs.push(newRef(r.id, env.pc, kind, owner));
    return;
  }
  if (!activeLock(st)) env.reject('lock_state', `${what}_unlock without taking a lock`);
  const mine = held(kind);
  if (!mine) env.reject('lock_state', `${what}_unlock of different lock`);
  // active_lock_id / active_lock_ptr: only the lock taken last may be released
  let last: RefState | undefined;
  for (const x of st.refs) if (isLockRef(x)) last = x;
  if (last!.id !== r.id || last!.ptr !== owner) env.reject('lock_state', `${what}_unlock cannot be out of order`);
  const wasRcu = inRcuSection(env);
  invalidateNonOwning(env);
  st.refs.splice(st.refs.indexOf(mine), 1);
  // The last lock of a sleepable program held its RCU section (in_rcu_cs): the pointers it
  // protected become untrusted (180c7000712d, in the running 6.18.44).
  if (wasRcu && !inRcuSection(env)) invalidateRcuProtected(env);
}

/** invalidate_rcu_protected_refs: leaving the RCU section, every MEM_RCU pointer becomes untrusted. */
function invalidateRcuProtected(env: Env): void {
  env.forEachReg((r) => { if (r.type & MEM_RCU) r.type = (r.type & ~(MEM_RCU | MAYBE_NULL)) | PTR_UNTRUSTED; });
}

/** process_spin_lock for an allocated object: its struct's lock, at a constant offset. */
function allocLockArg(env: Env, regno: number, r: Reg, field: FieldType, what: string): void {
  const c = env.dom.constValue(r.v);
  if (c === undefined) env.reject('helper_arg', `R${regno} doesn't have constant offset. ${what} has to be at the constant offset`);
  const f = recordField(structRecord(localBtf(env), r.memSize), field);
  if (!f) env.reject('helper_arg', `local 'kptr' has no valid ${what}`);
  const off = BigInt.asIntN(64, c) + BigInt(r.off);
  if (BigInt(f.off) !== off) env.reject('helper_arg', `off ${off} doesn't point to 'struct ${what}' that is at ${f.off}`);
}

/**
 * check_kfunc_call for bpf_res_spin_lock, before its argument is checked: taking a resilient lock
 * may fail, so the kernel queues the path where it did (push_stack at the next instruction) with
 * no lock held, r1-r5 cleared and r0 an error whose low 32 bits lie in [-MAX_ERRNO, -1]; the
 * current path goes on with the lock held and r0 = 0 (set by checkKfuncCall after the call).
 */
export function pushResLockFailure(env: Env): void {
  const branch = cloneState(env.cur);
  branch.pc = env.pc + 1;
  branch.prevPc = env.pc;
  const regs = branch.frames[branch.frames.length - 1]!.regs;
  for (let i = 0; i <= 5; i++) env.markNotInit(regs[i]!);
  const r0 = regs[0]!;
  env.markUnknown(r0);
  const d = env.dom;
  // __mark_reg_s32_range: the 32-bit signed bounds only; the upper half stays unknown
  const lo = d.refine('jsge', true, r0.v, d.known(-MAX_ERRNO)).taken[0];
  r0.v = d.refine('jsle', true, lo, d.known(-1n)).taken[0];
  env.pushBranch(branch);
}

const MAX_ERRNO = 4095n;

/** ARG_PTR_TO_TIMER (process_timer_func): returns the timer's map, which a map argument of the same call must name. */
export function processTimerArg(env: Env, regno: number): number {
  const r = env.reg(regno);
  if (r.type !== T.PTR_TO_MAP_VALUE) env.reject('helper_arg', `R${regno} type=${env.typeStr(r)} expected=map_value`);
  checkFieldArg(env, regno, r, 'timer', 'bpf_timer');
  return r.map;
}

/** kfunc_spin_allowed: the kfuncs a path may call while it holds a bpf_spin_lock (graph, bpf_iter_num and res-lock APIs). */
const SPIN_ALLOWED_KFUNCS: ReadonlySet<string> = new Set([
  'bpf_list_push_front_impl', 'bpf_list_push_back_impl', 'bpf_list_pop_front', 'bpf_list_pop_back', 'bpf_list_front', 'bpf_list_back',
  'bpf_rbtree_add_impl', 'bpf_rbtree_remove', 'bpf_rbtree_first', 'bpf_rbtree_root', 'bpf_rbtree_left', 'bpf_rbtree_right',
  'bpf_refcount_acquire_impl', 'bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_destroy',
  'bpf_res_spin_lock', 'bpf_res_spin_unlock', 'bpf_res_spin_lock_irqsave', 'bpf_res_spin_unlock_irqrestore',
]);

/** do_check at a BPF_CALL: with a lock held only bpf_spin_unlock, those kfuncs and static subprograms may be called. */
export function checkCallWhileLocked(env: Env, ins: Insn): void {
  if (!activeLock(env.cur)) return;
  const helper = ins.src === 0 && ins.imm !== BPF_FUNC_spin_unlock;
  const kfunc = ins.src === op.BPF_PSEUDO_KFUNC_CALL && (ins.off !== 0 || !SPIN_ALLOWED_KFUNCS.has(env.kernelBtf().type(ins.imm)?.name ?? ''));
  if (helper || kfunc) env.reject('lock_state', 'function calls are not allowed while holding a lock');
}

/**
 * Calls of global subprograms (verified on their own, without the caller's sections): none while
 * a lock is held; one that may sleep only where sleeping is allowed.
 */
export function checkGlobalCallInSection(env: Env, sub: number): void {
  const st = env.cur;
  if (activeLock(st)) env.reject('lock_state', 'global function calls are not allowed while holding a lock,', ['use static function instead']);
  if ((st.rcuLocks || st.preemptLocks || activeIrqId(st) || !env.sleepable) && env.subprogMightSleep(sub))
    env.reject('lock_state', 'global functions that may sleep are not allowed in non-sleepable context,',
      ['i.e., in a RCU/IRQ/preempt-disabled section, or in', 'a non-sleepable BPF program context']);
}

/** check_helper_call: a helper that may sleep (its prototype's might_sleep) only in a sleepable program, and not inside an RCU or non-preemptible section. */
export function checkHelperInSection(env: Env, id: number): void {
  if (!helperProto(id)?.mightSleep) return;
  if (!env.sleepable) env.reject('helper_prog_type', 'helper call might sleep in a non-sleepable prog');
  const name = `bpf_${HELPER_NAMES[id] ?? 'unknown'}#${id}`;
  if (env.cur.rcuLocks) env.reject('lock_state', `sleepable helper ${name} in rcu_read_lock region`);
  if (env.cur.preemptLocks) env.reject('lock_state', `sleepable helper ${name} in non-preemptible region`);
  if (activeIrqId(env.cur)) env.reject('lock_state', `sleepable helper ${name} in IRQ-disabled region`);
}

/** check_kfunc_call, before the arguments: a KF_RCU_PROTECTED kfunc needs in_rcu_cs. */
export function checkRcuProtected(env: Env, name: string): void {
  if (!inRcuSection(env)) env.reject('lock_state', `kernel func ${name} requires RCU critical section protection`);
}

/** in_rcu_cs: inside an RCU section, holding a spin lock, or any non-sleepable program. */
export function inRcuSection(env: Env): boolean {
  return !!env.cur.rcuLocks || !!activeLock(env.cur) || !env.sleepable;
}

/**
 * check_kfunc_call's section rules, after the arguments are checked: bpf_rcu_read_lock/unlock
 * (closing the section makes every MEM_RCU pointer untrusted), bpf_preempt_disable/enable,
 * and no sleepable kfunc inside either.
 */
export function kfuncSections(env: Env, name: string, sleepable: boolean): void {
  const st = env.cur;
  const rcuLock = name === 'bpf_rcu_read_lock';
  const rcuUnlock = name === 'bpf_rcu_read_unlock';
  if (st.rcuLocks) {
    // 6.18 does not nest RCU sections (the running kernel refuses a second bpf_rcu_read_lock).
    if (rcuLock) env.reject('lock_state', `nested rcu read lock (kernel function ${name})`);
    else if (rcuUnlock) {
      st.rcuLocks = 0;
      invalidateRcuProtected(env);
    } else if (sleepable) env.reject('lock_state', `kernel func ${name} is sleepable within rcu_read_lock region`);
  } else if (rcuLock) st.rcuLocks = 1;
  else if (rcuUnlock) env.reject('lock_state', `unmatched rcu read unlock (kernel function ${name})`);

  const disable = name === 'bpf_preempt_disable';
  const enable = name === 'bpf_preempt_enable';
  if (st.preemptLocks) {
    if (disable) st.preemptLocks++;
    else if (enable) st.preemptLocks--;
    else if (sleepable) env.reject('lock_state', `kernel func ${name} is sleepable within non-preemptible region`);
  } else if (disable) st.preemptLocks = 1;
  else if (enable) env.reject('lock_state', `unmatched attempt to enable preemption (kernel function ${name})`);
  if (activeIrqId(st) && sleepable) env.reject('lock_state', `kernel func ${name} is sleepable within IRQ-disabled region`);
}

/**
 * check_resource_leak's section checks around the reference-leak check (`leaks`): at the main
 * program's exit, LD_ABS and tail calls no lock may be held and no RCU or preempt section open.
 */
export function checkSectionsClosed(env: Env, what: string, leaks: () => void): void {
  if (activeLock(env.cur)) env.reject('lock_state', `${what} cannot be used inside bpf_spin_lock-ed region`);
  leaks();
  if (activeIrqId(env.cur)) env.reject('lock_state', `${what} cannot be used inside bpf_local_irq_save-ed region`);
  if (env.cur.rcuLocks) env.reject('lock_state', `${what} cannot be used inside bpf_rcu_read_lock-ed region`);
  if (env.cur.preemptLocks) env.reject('lock_state', `${what} cannot be used inside bpf_preempt_disable-ed region`);
}

/** refsafe's section part: the same sections open, the same lock held (ids compared by the caller's map). */
export function sectionsEqual(old: VState, cur: VState): boolean {
  return (old.rcuLocks ?? 0) === (cur.rcuLocks ?? 0) && (old.preemptLocks ?? 0) === (cur.preemptLocks ?? 0);
}
