/**
 * Dynptrs in the abstract stack (Linux 6.18's STACK_DYNPTR): a `struct bpf_dynptr` is 16 bytes,
 * two 8-byte slots whose bytes are S.DYNPTR and whose `spills` entries describe it as
 * __mark_dynptr_reg does: type CONST_PTR_TO_DYNPTR, the dynptr's type (local, ringbuf, skb,
 * xdp), whether the slot is the first (lower-address) one, the dynptr's id (what its slices
 * carry as dynptr_id) and, for ring-buffer dynptrs, the reference it holds.
 *
 * This file is the state level: finding a dynptr's slots, destroying one that a stack write
 * overwrites (destroy_if_dynptr_stack_slot), invalidating one (invalidate_dynptr), comparing
 * slots for pruning and printing them. The checks of the helpers and kfuncs that create, use
 * and release dynptrs are in dynptr.ts.
 */
import type { Env } from './env.js';
import { markStackWritten } from './liveness.js';
import { MAYBE_NULL, T } from './reg-types.js';
import { MAX_BPF_STACK, REG_SIZE, S, newReg, setSpill, withSlot, writableSlots, type Frame, type Reg } from './state.js';

/** enum bpf_dynptr_type. */
export const enum DynptrType {
  INVALID = 0,
  LOCAL = 1,
  RINGBUF = 2,
  SKB = 3,
  XDP = 4,
  SKB_META = 5,
}

/** dynptr_type_str. */
export const DYNPTR_TYPE_NAMES: readonly string[] = ['', 'local', 'ringbuf', 'skb', 'xdp', 'skb_meta'];

/** BPF_DYNPTR_NR_SLOTS. */
export const DYNPTR_NR_SLOTS = 2;

/** dynptr_type_refcounted: only ring-buffer dynptrs hold a reference (the reserved record). */
export const dynptrRefcounted = (t: number): boolean => t === DynptrType.RINGBUF;

/**
 * dynptr_get_spi: the index (into Frame.spills) of the first slot of the dynptr that stack
 * pointer `r` points at, or the kernel's message when it cannot point at one. Slots outside the
 * frame are reported as 'range' (the kernel's -ERANGE: for a new dynptr the stack write checks
 * them).
 */
export function dynptrSlot(env: Env, r: Reg): number | 'range' | string {
  const c = env.dom.constValue(r.v);
  if (c === undefined) return 'dynptr has to be at a constant offset';
  const off = r.off + Number(BigInt.asIntN(64, c));
  if (off % REG_SIZE) return `cannot pass in dynptr at an offset=${off}`;
  // __get_spi(off) = (-off - 1) / 8; the object takes spi and spi - 1.
  const spi = Math.trunc((-off - 1) / REG_SIZE);
  if (spi + 1 < DYNPTR_NR_SLOTS) return `cannot pass in dynptr at an offset=${off}`;
  if (off < -MAX_BPF_STACK) return 'range';
  return (MAX_BPF_STACK + off) >> 3;
}

/** The descriptor of the dynptr starting at slot `k` of `f`, or undefined when the slots are not a whole dynptr. */
export function dynptrAt(f: Frame, k: number): Reg | undefined {
  const d = f.spills[k];
  if (!d || !d.slot?.dynptrFirst || k + 1 >= f.spills.length) return undefined;
  for (let i = k * 8; i < (k + 2) * 8; i++) if (f.slots[i] !== S.DYNPTR) return undefined;
  return d;
}

/** A slot descriptor (the kernel's __mark_dynptr_reg). */
export function dynptrDescriptor(type: DynptrType, first: boolean, id: number, refObjId: number, frameno: number, zero: Reg['v']): Reg {
  const d = newReg(zero);
  d.type = T.CONST_PTR_TO_DYNPTR;
  d.id = id;
  d.refObjId = refObjId;
  d.frameno = frameno;
  withSlot(d, { dynptrType: type, dynptrFirst: first });
  return d;
}

function clearSlots(env: Env, f: Frame, frameno: number, k: number): void {
  for (let i = 0; i < DYNPTR_NR_SLOTS; i++) {
    setSpill(f, k + i, undefined);
    writableSlots(f).fill(S.INVALID, (k + i) * 8, (k + i + 1) * 8);
    markStackWritten(env, frameno, k + i);
    if (frameno === env.cur.frames.length - 1) env.scratchedStack.push(k + i);
  }
}

/** invalidate_dynptr: the dynptr starting at slot `k` is gone (its slots uninitialised). */
export function invalidateDynptr(env: Env, f: Frame, frameno: number, k: number): void {
  clearSlots(env, f, frameno, k);
}

/**
 * destroy_if_dynptr_stack_slot: a stack write touches slot `k`. A dynptr there is destroyed
 * whole (both slots) unless it holds a reference ("cannot overwrite referenced dynptr"); its
 * slices die with it, except read-only and typed ones (the kernel invalidates only registers of
 * type exactly PTR_TO_MEM or PTR_TO_MEM | PTR_MAYBE_NULL, i.e. bpf_dynptr_data's).
 */
export function destroyIfDynptrSlot(env: Env, f: Frame, frameno: number, k: number): void {
  if (f.slots[k * 8] !== S.DYNPTR) return;
  const first = f.spills[k]?.slot?.dynptrFirst ? k : k - 1;
  const d = f.spills[first];
  if (d && dynptrRefcounted(d.slot?.dynptrType ?? 0)) env.reject('helper_arg', 'cannot overwrite referenced dynptr');
  const id = d?.id ?? 0;
  clearSlots(env, f, frameno, first);
  if (!id) return;
  env.forEachReg((r) => {
    if (r.type !== T.PTR_TO_MEM && r.type !== (T.PTR_TO_MEM | MAYBE_NULL)) return;
    if (r.dynptrId === id) env.markUnknown(r);
  });
}

/** stacksafe for STACK_DYNPTR slots: the same type and slot, the references in correspondence. */
export function dynptrSlotsSafe(o: Reg | undefined, c: Reg | undefined, checkIds: (a: number, b: number) => boolean): boolean {
  if (!o || !c) return !o && !c;
  return o.slot?.dynptrType === c.slot?.dynptrType && o.slot?.dynptrFirst === c.slot?.dynptrFirst && checkIds(o.refObjId, c.refObjId);
}

/**
 * How print_verifier_state shows a dynptr (at its first slot): `dynptr_<type>(id=..,ref_id=..,
 * dynptr_id=1)`. The trailing dynptr_id=1 is the kernel's: in struct bpf_reg_state the slot's
 * first_slot flag shares its bytes with a slice's dynptr_id, which the printer reads.
 */
export function dynptrSlotString(d: Reg): string {
  const parts: string[] = [];
  if (d.id) parts.push(`id=${d.id}`);
  if (d.refObjId) parts.push(`ref_id=${d.refObjId}`);
  if (d.slot?.dynptrFirst) parts.push('dynptr_id=1');
  return `dynptr_${DYNPTR_TYPE_NAMES[d.slot?.dynptrType ?? 0] ?? '?'}(${parts.join(',')})`;
}
