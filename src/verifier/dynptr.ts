/**
 * Dynptr arguments of helpers and kfuncs, checked as Linux 6.18's verifier does
 * (process_dynptr_func, is_dynptr_reg_valid_uninit / _init, is_dynptr_type_expected,
 * mark_stack_slots_dynptr, unmark_stack_slots_dynptr, and check_helper_call /
 * check_kfunc_call's dynptr cases):
 *
 * - MEM_UNINIT arguments (bpf_dynptr_from_mem, bpf_ringbuf_reserve_dynptr, the kfuncs'
 *   `__uninit` parameters) create a dynptr in 16 bytes of stack: the bytes are written (a
 *   referenced dynptr there cannot be overwritten, an unreferenced one is destroyed), become
 *   STACK_DYNPTR, and a ring-buffer dynptr acquires a reference (a clone shares its parent's).
 * - Other dynptr arguments need an initialised dynptr of the expected type; a global function's
 *   CONST_PTR_TO_DYNPTR argument may only go where the dynptr is not mutated (MEM_RDONLY).
 * - Releasing a ring-buffer dynptr (submit / discard) drops its reference, which invalidates
 *   its slices and its clones.
 * - Slices (bpf_dynptr_data, bpf_dynptr_slice) are PTR_TO_MEM of the requested constant size
 *   carrying the dynptr's id and reference; skb / xdp slices also die when the packet may move.
 */
import type { Btf, BtfParam } from '../loader/btf/index.js';
import type { ArgSpec } from '../runtime/helpers/prototypes.js';
import type { Env } from './env.js';
import { checkMemAccess, checkPtrOffReg, packetWritable } from './memory.js';
import { markStackRead, markStackWritten } from './liveness.js';
import { releaseReference } from './refs.js';
import {
  DYNPTR_NR_SLOTS, DYNPTR_TYPE_NAMES, DynptrType, dynptrAt, dynptrDescriptor, dynptrRefcounted, dynptrSlot, invalidateDynptr,
} from './dynptr-state.js';
import {
  DYNPTR_TYPE_LOCAL, DYNPTR_TYPE_RINGBUF, DYNPTR_TYPE_SKB, DYNPTR_TYPE_SKB_META, DYNPTR_TYPE_XDP, MAYBE_NULL, MEM_RDONLY, T, typeName,
} from './reg-types.js';
import { REG_SIZE, S, newRef, setSpill, writableSlots, type Reg } from './state.js';

/** What a dynptr argument asks for (the ARG_PTR_TO_DYNPTR flags). */
export interface DynptrArg {
  /** MEM_UNINIT: the call initialises a new dynptr there. */
  uninit: boolean;
  /** MEM_RDONLY: the call neither mutates nor destroys the dynptr. */
  rdonly: boolean;
  /** DYNPTR_TYPE_*: the type it creates or expects (INVALID: any). */
  type: DynptrType;
}

/** An initialised dynptr argument (the kernel's meta->initialized_dynptr). */
export interface DynptrRef {
  id: number;
  type: DynptrType;
  refObjId: number;
}

/** get_dynptr_type_flag: the register-type flag of a dynptr type (what slices carry). */
function dynptrTypeFlag(t: DynptrType): number {
  switch (t) {
    case DynptrType.LOCAL: return DYNPTR_TYPE_LOCAL;
    case DynptrType.RINGBUF: return DYNPTR_TYPE_RINGBUF;
    case DynptrType.SKB: return DYNPTR_TYPE_SKB;
    case DynptrType.XDP: return DYNPTR_TYPE_XDP;
    case DynptrType.SKB_META: return DYNPTR_TYPE_SKB_META;
    default: return 0;
  }
}

/** A helper argument's dynptr flags, from its prototype. */
export function helperDynptrArg(a: ArgSpec): DynptrArg {
  const type = a.dynptr === 'local' ? DynptrType.LOCAL : a.dynptr === 'ringbuf' ? DynptrType.RINGBUF : DynptrType.INVALID;
  return { uninit: a.uninit === true, rdonly: a.rdonly === true, type };
}

/** The dynptr's type as a register holds it: slot descriptors keep it in slot.dynptrType, CONST_PTR_TO_DYNPTR registers in memSize. */
const typeOfConst = (r: Reg): DynptrType => r.memSize as DynptrType;

/** A CONST_PTR_TO_DYNPTR register (a global function's dynptr argument: __mark_dynptr_reg on a register). */
export function markConstDynptr(env: Env, r: Reg, type: DynptrType): void {
  env.markPtr(r, T.CONST_PTR_TO_DYNPTR);
  r.memSize = type;
  r.id = env.newId();
}

function scratch(env: Env, frameno: number, k: number): void {
  if (frameno === env.cur.frames.length - 1) env.scratchedStack.push(k);
}

/**
 * process_dynptr_func for argument register `regno`. Returns the dynptr an initialised argument
 * names (undefined for MEM_UNINIT ones). `cloneRefObjId`: the parent's reference for a clone.
 */
export function processDynptrArg(env: Env, regno: number, spec: DynptrArg, cloneRefObjId = 0): DynptrRef | undefined {
  const r = env.reg(regno);
  if (r.type !== T.PTR_TO_STACK && r.type !== T.CONST_PTR_TO_DYNPTR)
    env.reject('helper_arg', `arg#${regno - 1} expected pointer to stack or const struct bpf_dynptr`);
  // check_func_arg_reg_off: a dynptr pointer (unlike one to the stack) goes unmodified.
  if (r.type === T.CONST_PTR_TO_DYNPTR) checkPtrOffReg(env, regno, r);
  if (spec.uninit) {
    // is_dynptr_reg_valid_uninit: a stack slot pair at a constant, aligned offset (a dynptr there may be replaced).
    const slot = r.type === T.PTR_TO_STACK ? dynptrSlot(env, r) : 'const';
    if (typeof slot === 'string' && slot !== 'range') {
      if (slot !== 'const') env.log?.line(slot);
      env.reject('helper_arg', 'Dynptr has to be an uninitialized dynptr');
    }
    // The two 8-byte writes the kernel checks (bounds, stack depth, overwriting a dynptr).
    for (let i = 0; i < DYNPTR_NR_SLOTS * REG_SIZE; i += REG_SIZE) checkMemAccess(env, regno, i, REG_SIZE, 'write', -1, null, 0, false, true);
    markDynptrSlots(env, r, slot as number, spec.type, cloneRefObjId);
    return undefined;
  }
  if (r.type === T.CONST_PTR_TO_DYNPTR && !spec.rdonly) env.reject('helper_arg', 'cannot pass pointer to const bpf_dynptr, the helper mutates it');
  const invalid = (): never => env.reject('helper_arg', `Expected an initialized dynptr as arg #${regno - 1}`);
  let ref: DynptrRef;
  if (r.type === T.CONST_PTR_TO_DYNPTR) ref = { id: r.id, type: typeOfConst(r), refObjId: r.refObjId };
  else {
    const slot = dynptrSlot(env, r);
    if (typeof slot === 'string') {
      if (slot !== 'range') env.log?.line(slot);
      return invalid();
    }
    const f = env.cur.frames[r.frameno]!;
    const d = dynptrAt(f, slot);
    if (!d) return invalid();
    ref = { id: d.id, type: (d.slot?.dynptrType ?? 0) as DynptrType, refObjId: d.refObjId };
    // mark_dynptr_read
    for (let i = 0; i < DYNPTR_NR_SLOTS; i++) {
      markStackRead(env, r.frameno, slot + i);
      scratch(env, r.frameno, slot + i);
    }
  }
  if (spec.type !== DynptrType.INVALID && ref.type !== spec.type)
    env.reject('helper_arg', `Expected a dynptr of type ${DYNPTR_TYPE_NAMES[spec.type]} as arg #${regno - 1}`);
  return ref;
}

/** mark_stack_slots_dynptr: the slot pair at `slot` becomes a dynptr of `type`. */
function markDynptrSlots(env: Env, r: Reg, slot: number, type: DynptrType, cloneRefObjId: number): void {
  if (type === DynptrType.INVALID) env.reject('unsupported', 'verifier internal error: no dynptr type for an uninitialized dynptr argument');
  const f = env.cur.frames[r.frameno]!;
  const id = env.newId();
  let refObjId = 0;
  if (dynptrRefcounted(type)) {
    refObjId = cloneRefObjId;
    if (!refObjId) {
      refObjId = env.newId();
      env.cur.refs.push(newRef(refObjId, env.pc));
    }
  }
  for (let i = 0; i < DYNPTR_NR_SLOTS; i++) {
    setSpill(f, slot + i, dynptrDescriptor(type, i === 0, id, refObjId, r.frameno, env.ZERO));
    writableSlots(f).fill(S.DYNPTR, (slot + i) * 8, (slot + i + 1) * 8);
    markStackWritten(env, r.frameno, slot + i);
    scratch(env, r.frameno, slot + i);
  }
}

/**
 * check_func_arg's release check for a dynptr argument (OBJ_RELEASE): it must be a dynptr on
 * the stack that holds a reference.
 */
export function checkDynptrRelease(env: Env, regno: number): void {
  const r = env.reg(regno);
  if (r.type !== T.PTR_TO_STACK) env.reject('reference_invalid', 'cannot release unowned const bpf_dynptr');
  const slot = dynptrSlot(env, r);
  if (typeof slot === 'string' && slot !== 'range') env.log?.line(slot);
  const f = env.cur.frames[r.frameno]!;
  const d = typeof slot === 'number' && f.slots[slot * 8] === S.DYNPTR ? f.spills[slot] : undefined;
  if (!d || !d.refObjId) env.reject('reference_invalid', `arg ${regno} is an unacquired reference`);
}

/**
 * unmark_stack_slots_dynptr: the dynptr argument `regno` is released. A referenced one drops its
 * reference (its slices go with it) and every clone sharing it is invalidated.
 */
export function unmarkDynptr(env: Env, regno: number): void {
  const r = env.reg(regno);
  const slot = dynptrSlot(env, r) as number;
  const f = env.cur.frames[r.frameno]!;
  const d = f.spills[slot]!;
  if (!dynptrRefcounted(d.slot?.dynptrType ?? 0)) {
    invalidateDynptr(env, f, r.frameno, slot);
    return;
  }
  const ref = d.refObjId;
  releaseReference(env, ref);
  // The kernel looks for clones in the released dynptr's own frame.
  for (let k = 0; k < f.spills.length; k++) {
    const c = f.spills[k];
    if (c && c.refObjId === ref && c.slot?.dynptrFirst && f.slots[k * 8] === S.DYNPTR) invalidateDynptr(env, f, r.frameno, k);
  }
}

// ---- kfuncs ----

/** The kfuncs whose `__uninit` dynptr argument gets a fixed type (check_kfunc_args's special_kfunc_list cases). */
const KFUNC_DYNPTR_TYPE: Readonly<Record<string, DynptrType>> = {
  bpf_dynptr_from_skb: DynptrType.SKB,
  bpf_dynptr_from_xdp: DynptrType.XDP,
  bpf_dynptr_from_skb_meta: DynptrType.SKB_META,
};

/** is_kfunc_arg_dynptr: a pointer to `struct bpf_dynptr`. */
export function isDynptrParam(btf: Btf, p: BtfParam): boolean {
  const t = btf.skipMods(p.type);
  if (!t || t.kind !== 'ptr') return false;
  const s = btf.skipMods(t.type);
  return !!s && s.kind === 'struct' && s.name === 'bpf_dynptr';
}

/** Per kfunc call: the dynptr it was given (meta->initialized_dynptr) and the constant size of a `__szk` buffer. */
export interface KfuncDynptrMeta {
  initialized?: DynptrRef;
  constSize?: number;
}

/** check_kfunc_args's KF_ARG_PTR_TO_DYNPTR case for parameter `p` of kfunc `name` in register `regno`. */
export function checkKfuncDynptrArg(env: Env, name: string, regno: number, p: BtfParam, meta: KfuncDynptrMeta): void {
  const r = env.reg(regno);
  const uninit = p.name.endsWith('__uninit');
  let type = DynptrType.INVALID;
  let cloneRef = 0;
  if (uninit && KFUNC_DYNPTR_TYPE[name] !== undefined) type = KFUNC_DYNPTR_TYPE[name]!;
  else if (uninit && name === 'bpf_dynptr_clone') {
    const parent = meta.initialized;
    if (!parent) env.reject('unsupported', 'verifier internal error: no dynptr type for parent of clone');
    type = parent.type;
    cloneRef = parent.refObjId;
  }
  const ref = processDynptrArg(env, regno, { uninit, rdonly: r.type === T.CONST_PTR_TO_DYNPTR, type }, cloneRef);
  if (ref) meta.initialized = ref;
}

/**
 * r0 of bpf_dynptr_slice / bpf_dynptr_slice_rdwr: memory of the constant buffer size in the
 * dynptr the call was given, read-only for bpf_dynptr_slice, NULL when the range is not there.
 */
export function dynptrSliceResult(env: Env, name: string, meta: KfuncDynptrMeta): void {
  const d = meta.initialized;
  if (!d) env.reject('unsupported', `verifier internal error: ${name} without a dynptr`);
  if (meta.constSize === undefined) env.reject('unsupported', `verifier internal error: ${name} no constant size`);
  const rdwr = name === 'bpf_dynptr_slice_rdwr';
  if (rdwr && !packetWritable(env)) env.reject('helper_arg', 'the prog does not allow writes to packet data');
  const r0 = env.reg(0);
  env.markPtr(r0, T.PTR_TO_MEM | dynptrTypeFlag(d.type) | (rdwr ? 0 : MEM_RDONLY) | MAYBE_NULL);
  r0.memSize = meta.constSize;
  r0.id = env.newId();
  r0.dynptrId = d.id;
  // A ring-buffer dynptr's slices go away with its reference (submit / discard).
  r0.refObjId = d.refObjId;
}

/** The slice kfuncs. */
export const isDynptrSliceKfunc = (name: string): boolean => name === 'bpf_dynptr_slice' || name === 'bpf_dynptr_slice_rdwr';

/** Program types that may call the dynptr constructors of net/core/filter.c (their kfunc sets' registrations). */
const KFUNC_PROG_TYPES: Readonly<Record<string, readonly string[]>> = {
  bpf_dynptr_from_skb: ['sched_cls', 'sched_act', 'sk_skb', 'socket_filter', 'cgroup_skb', 'lwt_out', 'lwt_in', 'lwt_xmit', 'lwt_seg6local', 'netfilter', 'tracing'],
  bpf_dynptr_from_skb_meta: ['sched_cls', 'sched_act'],
  bpf_dynptr_from_xdp: ['xdp'],
};

/** btf_kfunc_is_allowed for the dynptr constructors: undefined when allowed, else the kernel's message. */
export function dynptrKfuncNotAllowed(env: Env, name: string): string | undefined {
  const types = KFUNC_PROG_TYPES[name];
  if (types && !types.includes(env.prog.type)) return `calling kernel function ${name} is not allowed`;
  return undefined;
}

// ---- helpers ----

/** BPF_FUNC ids of the dynptr helpers with rules of their own. */
const BPF_FUNC_dynptr_from_mem = 197;
export const BPF_FUNC_dynptr_write = 202;

/** check_helper_call's per-helper dynptr rules, after the arguments (r1-r5 still hold them). */
export function dynptrHelperChecks(env: Env, id: number): void {
  // Only map values may back a local dynptr made by the helper.
  if (id === BPF_FUNC_dynptr_from_mem && env.reg(1).type !== T.PTR_TO_MAP_VALUE)
    env.reject('helper_arg', `Unsupported reg type ${typeName(env.reg(1).type)} for bpf_dynptr_from_mem data`);
}

/** bpf_dynptr_data's r0: nullable memory of the requested size inside the dynptr, carrying its id and reference. */
export function dynptrDataResult(env: Env, d: DynptrRef | undefined, size: number): void {
  const r0 = env.reg(0);
  env.markPtr(r0, T.PTR_TO_MEM | MAYBE_NULL);
  r0.memSize = size;
  r0.id = env.newId();
  r0.dynptrId = d?.id ?? 0;
  r0.refObjId = d?.refObjId ?? 0;
}

/** bpf_dynptr_write to an skb dynptr may move the packet (clear_all_pkt_pointers, with its slices). */
export const dynptrWriteChangesPacket = (d: DynptrRef | undefined): boolean => d?.type === DynptrType.SKB || d?.type === DynptrType.SKB_META;
