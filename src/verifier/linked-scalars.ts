/**
 * Scalars linked by id with a constant delta (kernel/bpf/verifier.c, BPF_ADD_CONST): after
 * `r1 = r0; r1 += -1` both share r0's id, r1's marked BPF_ADD_CONST with `off` = -1, so that a
 * branch on r1 also bounds r0 (sync_linked_regs: r0 = r1 - (-1)). As in the kernel the flag lives
 * in the id's top bit and the delta in the scalar's `off`, so copies, spills and pruning carry
 * them as they carry the id. 32-bit adds link too (BPF_ADD_CONST32) when dst was a 32-bit value
 * before the add (its umax at most U32_MAX); sync_linked_regs zero-extends the value it moves
 * along such a link.
 */
import type { Scalar } from './domains/index.js';
import type { Env } from './env.js';
import { T } from './reg-types.js';
import type { Reg } from './state.js';

/** BPF_ADD_CONST64 (the kernel's bit 31; bit 30 here, so that ids stay small integers: ids themselves stay below 2^29). */
const ADD_CONST = 2 ** 30;
/** BPF_ADD_CONST32 (the kernel's bit 30): set with ADD_CONST's bit here, so that hasAddConst holds for both kinds. */
const ADD_CONST32 = 2 ** 29;

/** The id without its BPF_ADD_CONST flags. */
export const baseId = (id: number): number => id % ADD_CONST32;
/** Whether the id carries a BPF_ADD_CONST flag, 64- or 32-bit (the scalar is its base plus `off`). */
export const hasAddConst = (id: number): boolean => id >= ADD_CONST;
/** Whether the link is BPF_ADD_CONST32 (a 32-bit add: the scalar is zero-extended base + off). */
export const hasAddConst32 = (id: number): boolean => id >= ADD_CONST + ADD_CONST32;
/** The kind of link (id & BPF_ADD_CONST): 0, 64-bit or 32-bit, which regsafe compares. */
export const addConstKind = (id: number): number => id - baseId(id);

/**
 * assign_scalar_id_before_mov: a copied or spilled scalar shares the source's id; a source that
 * was itself offset from another (BPF_ADD_CONST) first leaves that link for a fresh id.
 */
export function idBeforeMov(env: Env, src: Reg): void {
  if (src.type !== T.SCALAR) return;
  if (hasAddConst(src.id)) { src.id = 0; src.off = 0; }
  if (!src.id && !env.dom.isConst(src.v)) src.id = env.newId();
}

/**
 * The end of adjust_reg_min_max_vals for scalar ALU: rX += const / rX -= const (64-bit with the
 * constant within s32, or 32-bit on a dst that was a 32-bit value) keeps rX linked to its id with
 * the constant as delta, once (a second delta breaks the link); every other operation breaks it.
 * `oldId` and `oldUmax` are dst's id and umax before the operation.
 */
export function linkAfterAlu(env: Env, dst: Reg, oldId: number, oldUmax: bigint, isAdd: boolean, isSub: boolean, alu32: boolean, srcV: Scalar): void {
  dst.id = 0;
  dst.off = 0;
  if (!(isAdd || isSub) || !oldId) return;
  // is_reg_const / reg_const_value: the low half only for a 32-bit operation
  const t = env.dom.tnum(srcV);
  if (alu32 ? (t.mask & 0xffffffffn) !== 0n : t.mask !== 0n) return;
  const val = alu32 ? BigInt.asIntN(32, t.value) : BigInt.asIntN(64, t.value);
  if (val < -(2n ** 31n) || val > 2n ** 31n - 1n) return;
  if (alu32 && oldUmax > 0xffffffffn) return;
  // `| 0`: a small integer, not the boxed number Number() returns (register fields hold small integers only, see state.ts).
  let off = Number(val) | 0;
  if (isSub) {
    if (off === -(2 ** 31)) return;
    off = -off | 0;
  }
  if (hasAddConst(oldId)) return;
  dst.id = oldId + ADD_CONST + (alu32 ? ADD_CONST32 : 0);
  dst.off = off;
}

/**
 * Whether one link is a 64-bit add and the other a 32-bit one: their deltas hold in different
 * widths, so sync_linked_regs leaves such a pair alone (a stable fix in the running 6.18.44).
 */
export const mixedWidthLink = (a: number, b: number): boolean =>
  hasAddConst(a) && hasAddConst(b) && hasAddConst32(a) !== hasAddConst32(b);

/**
 * sync_linked_regs for one register `o` linked to the refined `known` (same base id): the same
 * value when neither is offset or both by the same delta, else known's value moved by the
 * difference of the deltas.
 */
export function linkedValue(env: Env, known: Reg, o: Reg, v: Scalar): Scalar {
  if ((!hasAddConst(o.id) && !hasAddConst(known.id)) || o.off === known.off) return v;
  const moved = env.dom.linkedMove(v, BigInt(o.off) - BigInt(known.off));
  // zext_32_to_64 when either link is a 32-bit add (the running 6.18.44 zero-extends in both directions)
  return hasAddConst32(o.id) || hasAddConst32(known.id) ? env.dom.mov32(moved) : moved;
}

/** print_reg_state's id: the base id, then the delta of an offset link ("id=3-1"). */
export function idString(r: Reg): string {
  return hasAddConst(r.id) ? `id=${baseId(r.id)}${r.off >= 0 ? '+' : ''}${r.off}` : `id=${r.id}`;
}
