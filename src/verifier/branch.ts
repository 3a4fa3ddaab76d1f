/**
 * Conditional jumps (the kernel's check_cond_jmp_op): decide branches that are always or never
 * taken, refine scalar bounds on both sides (and on registers linked by id), turn
 * `ptr == NULL` checks into typed pointers or zeros for every copy, and learn packet ranges
 * from comparisons with data_end.
 */
import { mayPointToSpinLock } from './locks.js';
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { flipOpcode, type JmpOp, type Scalar } from './domains/index.js';
import type { Env } from './env.js';
import { BASE_MASK, MAYBE_NULL, MEM_ALLOC, NON_OWN_REF, PTR_TRUSTED, PTR_UNTRUSTED, T, base, isPacketPtr } from './reg-types.js';
import { JMP_DST_STACK, JMP_SRC_STACK, LINKED, linkedEntry, linkedSetCode, markPrecise } from './precision.js';
import { S, cloneState, forEachRegOf, newReg, writableSpill, type Reg, type VState } from './state.js';
import { baseId, hasAddConst, linkedValue, mixedWidthLink } from './linked-scalars.js';
import { MAX_VAR_OFF } from './alu.js';

const JMP_OPS_BY_CODE: Record<number, JmpOp> = {
  [op.BPF_JEQ]: 'jeq', [op.BPF_JNE]: 'jne', [op.BPF_JSET]: 'jset', [op.BPF_JGT]: 'jgt', [op.BPF_JGE]: 'jge',
  [op.BPF_JLT]: 'jlt', [op.BPF_JLE]: 'jle', [op.BPF_JSGT]: 'jsgt', [op.BPF_JSGE]: 'jsge', [op.BPF_JSLT]: 'jslt', [op.BPF_JSLE]: 'jsle',
};
/** The comparisons by jmpOp >> 4 (a dense array: the code's object has sparse integer keys). */
const JMP_OPS: readonly (JmpOp | undefined)[] = Array.from({ length: 16 }, (_, i) => JMP_OPS_BY_CODE[i << 4]);

const NOT_NULL = new Set<number>([T.PTR_TO_SOCKET, T.PTR_TO_TCP_SOCK, T.PTR_TO_MAP_VALUE, T.PTR_TO_MAP_KEY, T.PTR_TO_SOCK_COMMON, T.PTR_TO_MEM]);
/** BPF_REG_TRUSTED_MODIFIERS. */
const TRUSTED_MODIFIERS = PTR_TRUSTED | MEM_ALLOC | NON_OWN_REF;
/**
 * is_trusted_reg for a PTR_TO_BTF_ID: referenced, or flagged with trusted modifiers and no other
 * (an RCU-protected per-CPU object's copy, MEM_ALLOC | MEM_RCU, is not).
 */
const trustedBtf = (r: Reg): boolean => r.refObjId !== 0 || ((r.type & TRUSTED_MODIFIERS) !== 0 && (r.type & ~BASE_MASK & ~TRUSTED_MODIFIERS) === 0);
/** reg_not_null: flags aside, also trusted kernel pointers and (not untrusted) read-only memory. */
const notNull = (r: Reg): boolean => NOT_NULL.has(r.type) || (!(r.type & MAYBE_NULL) && (
  (base(r.type) === T.PTR_TO_BTF_ID && trustedBtf(r)) || (base(r.type) === T.PTR_TO_MEM && !(r.type & PTR_UNTRUSTED)) || base(r.type) === T.CONST_PTR_TO_MAP || base(r.type) === T.PTR_TO_BUF));

let immReg: Reg | null = null;

/** Every register and spilled register of `st` (a spilled one `fn` changes is copied first: see forEachRegOf). */
const forEachRegIn = forEachRegOf;

const regOf = (st: VState, regno: number): Reg => st.frames[st.frames.length - 1]!.regs[regno]!;

/**
 * is_branch_taken with a pointer operand: packet pointers against each other, or a pointer that
 * cannot be NULL against 0 (1: taken, 0: not, -1: both paths open).
 */
function pointerBranchTaken(env: Env, jop: JmpOp, jmp32: boolean, dst: Reg, src: Reg): number {
  if (!jmp32 && pktAny(dst) && pktAny(src)) return pktPtrBranchTaken(dst, src, jop);
  if (!jmp32 && (jop === 'jeq' || jop === 'jne')) {
    // A pointer that cannot be NULL compared with 0. The running 6.18 kernel leaves the jump
    // open once the pointer's variable offset may reach BPF_MAX_VAR_OFF (1 << 29), checked on it:
    // [0, 2^29 - 1] decides, [0, 2^29] does not (kernel-campaign finding c3a007).
    const [p, z] = dst.type === T.SCALAR ? [src, dst] : [dst, src];
    if (notNull(p) && env.isNull(z) && env.dom.smax(p.v) < MAX_VAR_OFF) return jop === 'jne' ? 1 : 0;
  }
  return -1;
}

const pktOrEnd = (r: Reg): boolean => isPacketPtr(r.type) || r.type === T.PTR_TO_PACKET_END;

/** Both paths open on a pointer's value (not a NULL check, not packet bounds): an address decides. */
function notePointerCompare(env: Env, jop: JmpOp, jmp32: boolean, dst: Reg, src: Reg): void {
  const nullCheck = !jmp32 && (jop === 'jeq' || jop === 'jne') && ((dst.type & MAYBE_NULL && env.isNull(src)) || (src.type & MAYBE_NULL && env.isNull(dst)));
  if (!nullCheck && !(pktOrEnd(dst) && pktOrEnd(src))) env.usesAddress = true;
}

/** One register compared with itself, refined on both paths. */
function refineSelfCompare(env: Env, jop: JmpOp, jmp32: boolean, regno: number, dst: Reg, other: VState, linkedSet: readonly number[]): void {
  const d = env.dom;
  // One register compared with itself: the kernel refines it in place (reg_set_min_max with
  // both operands the same register); neither side is ever found dead.
  const { taken, fall, takenRefined, fallRefined } = d.refineSelf(jop, jmp32, dst.v);
  // The sanity check's reports, in the kernel's order (true_reg2 and false_reg2 are the same
  // registers, already reset); the reset itself is part of refineSelf.
  reportInvariants(env, takenRefined, 'true_reg1');
  reportInvariants(env, fallRefined, 'false_reg1');
  applyRefined(env, other, linkedSet, regno, -1, taken, taken);
  applyRefined(env, env.cur, linkedSet, regno, -1, fall, fall);
}

/** A comparison with a pointer operand: a NULL check, or pointers compared with each other. */
function refinePointerCompare(env: Env, jop: JmpOp, jmp32: boolean, x: boolean, ins: Insn, dst: Reg, src: Reg, other: VState): void {
  if (!jmp32 && !x && ins.imm === 0 && (jop === 'jeq' || jop === 'jne') && dst.type & MAYBE_NULL) {
    markPtrOrNull(env, other, dst.id, dst.refObjId, jop === 'jeq');
    markPtrOrNull(env, env.cur, dst.id, dst.refObjId, jop === 'jne');
  } else if (x && !jmp32) {
    inferNotNull(env, jop, ins, dst, src, env.cur, other);
    matchPacketPointers(env, jop, ins, dst, src, other);
  }
}

/**
 * Processes the jump at env.pc. Sets cur.pc to where the current path goes; pushes the other path.
 * Its pointer cases are functions of their own: V8 optimises a small function sooner (and again
 * sooner after a deoptimisation).
 */
export function checkCondJmp(env: Env, ins: Insn, push: (st: VState) => void): void {
  const jop = JMP_OPS[op.jmpOp(ins.code) >> 4];
  if (!jop) env.reject('invalid_insn', `invalid BPF_JMP/JMP32 opcode ${op.jmpOp(ins.code).toString(16)}`);
  const jmp32 = op.cls(ins.code) === op.BPF_JMP32;
  const x = op.srcBit(ins.code) === op.BPF_X;
  const dst = env.readReg(ins.dst);
  let src: Reg;
  if (x) src = env.readReg(ins.src);
  else {
    immReg ??= newReg(env.UNKNOWN);
    env.markKnownInt(immReg, ins.imm);
    src = immReg;
  }
  const d = env.dom;
  const target = env.pc + 1 + ins.off;
  const next = env.pc + 1;

  // (recorded for backtracking whatever the outcome, as check_cond_jmp_op pushes it before deciding)
  if (x && src.type === T.PTR_TO_STACK) env.histExtra |= JMP_SRC_STACK;
  if (x && dst.type === T.PTR_TO_STACK) env.histExtra |= JMP_DST_STACK;
  const pred = dst.type === T.SCALAR && src.type === T.SCALAR ? d.branch(jop, jmp32, dst.v, src.v) : pointerBranchTaken(env, jop, jmp32, dst, src);
  if (pred !== -1) {
    // The path taken depends on these values: they must be compared exactly when pruning.
    let mask = 0;
    if (dst.type === T.SCALAR) mask |= 1 << ins.dst;
    if (x && src.type === T.SCALAR) mask |= 1 << ins.src;
    if (mask) markPrecise(env, mask);
    // check_cond_jmp_op prints the state of a decided jump at once, as this instruction's
    env.printInsnState?.();
    env.cur.pc = pred === 1 ? target : next;
    return;
  }
  // Both paths open on a pointer's value (not a NULL check, not packet bounds): an address decides.
  if (dst.type !== T.SCALAR || src.type !== T.SCALAR) notePointerCompare(env, jop, jmp32, dst, src);
  // Registers linked by id to the compared ones are refined too: remember them for backtracking.
  const linkedSet = collectLinked(env, dst, x ? src : null);
  const linked = linkedHistory(env, linkedSet);
  if (linked) env.histExtra |= linked;

  const other = cloneState(env.cur);
  other.pc = target;
  other.prevPc = env.pc;
  env.recordPushedHistory(other);
  env.cur.pc = next;

  if (x && ins.src === ins.dst && dst.type === T.SCALAR) refineSelfCompare(env, jop, jmp32, ins.dst, dst, other, linkedSet);
  else if (dst.type === T.SCALAR && src.type === T.SCALAR) {
    const { taken, fall: exact } = d.refine(jop, jmp32, dst.v, src.v);
    const fall = env.opts.plantedBug === 'jgt-fall-as-jlt' && jop === 'jgt' ? d.refine('jlt', jmp32, dst.v, src.v).taken : exact;
    // reg_set_min_max ends in reg_bounds_sanity_check of the four refined registers, in this
    // order: 6.18 does not call a side dead for contradictory bounds (is_branch_taken decides
    // before), it reports a verifier bug and resets the register's ranges.
    const t0 = checkInvariants(env, taken[0], 'true_reg1');
    const t1 = checkInvariants(env, taken[1], 'true_reg2');
    const f0 = checkInvariants(env, fall[0], 'false_reg1');
    const f1 = checkInvariants(env, fall[1], 'false_reg2');
    applyRefined(env, other, linkedSet, ins.dst, x ? ins.src : -1, t0, t1);
    applyRefined(env, env.cur, linkedSet, ins.dst, x ? ins.src : -1, f0, f1);
  } else refinePointerCompare(env, jop, jmp32, x, ins, dst, src, other);
  push(other);
  // check_cond_jmp_op ends by printing this side's state on the jump's line: before the next
  // instruction's is_state_visited, so it is there when the fall-through is pruned at once.
  env.printInsnState?.();
}

/** LINKED_REGS_MAX: the entries one jump's linked set holds (they are packed into one u64 of jump history). */
const LINKED_REGS_MAX = 6;

/**
 * collect_linked_regs for src's id, then dst's: the scalars sharing an id with the compared ones
 * (live registers, then spilled copies from fp-8 down, innermost frame first), as linkedEntry
 * codes. Like the kernel, it collects once per operand, so a register shared by both is listed
 * twice, and it keeps at most LINKED_REGS_MAX entries: a scalar found after that loses its id
 * (and so its link, also when it is one of the compared registers). Both branches start from
 * this state, so they agree on who lost it.
 */
function collectLinked(env: Env, a: Reg, b: Reg | null): readonly number[] {
  // (most jumps compare scalars without an id: then nothing is allocated)
  let out: number[] | null = null;
  if (b) out = collectLinkedOf(env, b, out);
  return collectLinkedOf(env, a, out) ?? NO_LINKED;
}

/** An empty linked set (never written: a set with entries is a new array). */
const NO_LINKED: readonly number[] = [];

/** collectLinked's walk for one operand: its entries appended to `out` (made on the first one). */
function collectLinkedOf(env: Env, r: Reg, out: number[] | null): number[] | null {
  if (r.type !== T.SCALAR || !r.id) return out;
  const frames = env.cur.frames;
  const top = frames.length - 1;
  const base = baseId(r.id);
  for (let fi = top; fi >= 0; fi--) {
    const fr = frames[fi]!;
    const live = fi === top ? env.live[env.pc]! : env.live[frames[fi + 1]!.callsite]!;
    for (let i = 0; i < 10; i++) {
      const o = fr.regs[i]!;
      if (!(live & (1 << i)) || o.type !== T.SCALAR || baseId(o.id) !== base) continue;
      out ??= [];
      if (out.length < LINKED_REGS_MAX) out.push(linkedEntry(fi, i, true));
      else o.id = 0; // 6.18 clears the id only (a stale off means nothing without BPF_ADD_CONST)
    }
    for (let k = fr.spills.length - 1; k >= fr.spillLow; k--) {
      const o = fr.spills[k];
      if (!o || o.type !== T.SCALAR || baseId(o.id) !== base || fr.slots[k * 8] !== S.SPILL) continue;
      out ??= [];
      if (out.length < LINKED_REGS_MAX) out.push(linkedEntry(fi, k, false));
      else writableSpill(fr, k).id = 0; // the spill may be shared with a pushed branch or checkpoint
    }
  }
  return out;
}

/**
 * The jump history's record of a linked set (push_jmp_history with linked_regs_pack, when the set
 * has more than one entry): registers of the current frame only: LINKED | mask; otherwise the set.
 */
function linkedHistory(env: Env, set: readonly number[]): number {
  if (set.length < 2) return 0;
  const top = env.cur.frames.length - 1;
  let mask = 0;
  for (const e of set) {
    if (e >> 7 !== top || e & 64) return linkedSetCode(env, set);
    mask |= 1 << (e & 63);
  }
  return LINKED | mask;
}

/**
 * reg_bounds_sanity_check: bounds that contradict each other are a verifier bug. The kernel logs
 * it, refuses the load (EFAULT) under BPF_F_TEST_REG_INVARIANTS, and otherwise resets the ranges
 * (__mark_reg_unbounded; var_off kept, no sync) and goes on.
 */
function checkInvariants(env: Env, v: Scalar, ctx: string): Scalar {
  return reportInvariants(env, v, ctx) ? env.dom.unbounded(v) : v;
}

/** The report half of reg_bounds_sanity_check: whether v fails it (logged; refused under the flag). */
function reportInvariants(env: Env, v: Scalar, ctx: string): boolean {
  const d = env.dom;
  const why = d.sanity(v);
  if (why === undefined) return false;
  const hex = (x: bigint, bits: number): string => '0x' + BigInt.asUintN(bits, x).toString(16);
  const t = d.tnum(v);
  const line = `verifier bug: REG INVARIANTS VIOLATION (${ctx}): ${why} u64=[${hex(d.umin(v), 64)}, ${hex(d.umax(v), 64)}] `
    + `s64=[${hex(d.smin(v), 64)}, ${hex(d.smax(v), 64)}] u32=[${hex(d.u32min(v), 32)}, ${hex(d.u32max(v), 32)}] `
    + `s32=[${hex(d.s32min(v), 32)}, ${hex(d.s32max(v), 32)}] var_off=(${hex(t.value, 64)}, ${hex(t.mask, 64)})`;
  if (env.opts.testRegInvariants) env.reject('verifier_bug', line);
  env.log?.line(line);
  return true;
}

/**
 * Writes refined values into `st`, then sync_linked_regs: the scalars of `linked` (collectLinked)
 * sharing the operand's id take its value. As in check_cond_jmp_op, both operands are written
 * first, then src's value is copied, then dst's: when the two share an id, src's copy overwrites
 * dst before dst's own sync runs, so every linked register ends with src's refinement (`if r9 > r7`
 * with r9 and r7 copies: the taken side keeps r7's [0, umax-1], not r9's [1, umax]).
 */
function applyRefined(env: Env, st: VState, linked: readonly number[], dstno: number, srcno: number, dv: Scalar, sv: Scalar): void {
  const dst = regOf(st, dstno);
  const src = srcno >= 0 ? regOf(st, srcno) : null;
  dst.v = dv;
  if (src) src.v = sv;
  // (an empty set: nothing to sync, the common case)
  if (linked.length === 0) return;
  if (src) syncLinked(env, st, linked, src);
  syncLinked(env, st, linked, dst);
}

/** sync_linked_regs for one refined register `known` of `st`: its linked scalars take its new value. */
function syncLinked(env: Env, st: VState, linked: readonly number[], known: Reg): void {
  if (!known.id) return;
  const base = baseId(known.id);
  for (const e of linked) {
    const fr = st.frames[e >> 7]!;
    const o = e & 64 ? fr.spills[e & 63] : fr.regs[e & 63];
    if (!o || o === known || o.type !== T.SCALAR || baseId(o.id) !== base) continue;
    if (mixedWidthLink(known.id, o.id)) continue;
    // spills are shared with copies of the state until written (copy-on-write)
    const w = e & 64 ? writableSpill(fr, e & 63) : o;
    w.v = linkedValue(env, known, o, known.v);
    // copy_register_state(reg, known_reg) copies the whole register: its precision always, and
    // where the deltas agree (or neither is offset) its id and delta too, so a plain copy of an
    // `r1 += 0` link becomes that link (BPF_ADD_CONST, off 0); otherwise reg keeps its own.
    w.precise = known.precise;
    if ((!hasAddConst(w.id) && !hasAddConst(known.id)) || w.off === known.off) {
      w.id = known.id;
      w.off = known.off;
    }
  }
}

/** mark_ptr_or_null_regs: every copy of the nullable pointer becomes 0 or a valid pointer. */
function markPtrOrNull(env: Env, st: VState, id: number, refObjId: number, isNull: boolean): void {
  if (!id) return;
  if (isNull && refObjId && refObjId === id) {
    const i = st.refs.findIndex((r) => r.id === id);
    if (i >= 0) st.refs.splice(i, 1);
  }
  // Every copy changes (its type), so a spilled one is made the frame's own first: the others,
  // most of them, are only looked at (forEachRegOf would copy each into a stand-in to find out).
  const mark = (r: Reg): void => {
    if (isNull) {
      env.markKnown(r, 0n);
    } else {
      markNotNull(r);
      // reg->id is dropped (a referenced pointer keeps its ref_obj_id) unless a spin lock needs it
      if (!mayPointToSpinLock(env, r)) r.id = 0;
    }
  };
  for (const f of st.frames) {
    for (const r of f.regs) if (r.type & MAYBE_NULL && r.id === id) mark(r);
    const spills = f.spills;
    for (let k = f.spillLow; k < spills.length; k++) {
      const s = spills[k];
      if (s !== undefined && s.type & MAYBE_NULL && s.id === id) mark(writableSpill(f, k));
    }
  }
}

/**
 * mark_ptr_not_null_reg: the pointer without PTR_MAYBE_NULL. (A map-in-map lookup result is
 * already the inner map's pointer, map_ptr_or_null, in 6.18.)
 */
function markNotNull(r: Reg): void {
  r.type &= ~MAYBE_NULL;
}

/**
 * A pointer that may be NULL compared for equality with one that cannot be: where they are equal
 * it is not NULL either (check_cond_jmp_op; kernel BTF pointers excepted). Only that register.
 * The other side must be one reg_not_null vouches for (a socket, map value or key, map pointer,
 * memory, trusted kernel object): the running 6.18 kernel lifts nothing against the stack, the
 * ctx or a packet pointer (kernel campaign seed 20261208, finding f99f22: a sk_lookup socket
 * compared with r10 stayed sock_or_null).
 */
function inferNotNull(env: Env, jop: JmpOp, ins: Insn, dst: Reg, src: Reg, fall: VState, taken: VState): void {
  if (jop !== 'jeq' && jop !== 'jne') return;
  const isPtr = (r: Reg): boolean => r.type !== T.SCALAR && r.type !== T.NOT_INIT;
  if (!isPtr(dst) || !isPtr(src) || ((dst.type & MAYBE_NULL) !== 0) === ((src.type & MAYBE_NULL) !== 0)) return;
  if ((dst.type & 0xff) === T.PTR_TO_BTF_ID || (src.type & 0xff) === T.PTR_TO_BTF_ID) return;
  const srcMaybeNull = (src.type & MAYBE_NULL) !== 0;
  if (!notNull(srcMaybeNull ? dst : src)) return;
  const st = jop === 'jeq' ? taken : fall;
  markNotNull(regOf(st, srcMaybeNull ? ins.src : ins.dst));
}

/** mark_pkt_end's ranges: the pointer is at (>=) or beyond (>) the packet's end. */
const AT_PKT_END = -1;
const BEYOND_PKT_END = -2;

const pktAny = (r: Reg): boolean => r.type === T.PTR_TO_PACKET || r.type === T.PTR_TO_PACKET_META || r.type === T.PTR_TO_PACKET_END;

/** is_pkt_ptr_branch_taken: a packet pointer known at or beyond the end decides its compare with pkt_end. */
function pktPtrBranchTaken(dst: Reg, src: Reg, jopIn: JmpOp): number {
  let jop = jopIn;
  let pkt: Reg;
  if (src.type === T.PTR_TO_PACKET_END) pkt = dst;
  else if (dst.type === T.PTR_TO_PACKET_END) {
    pkt = src;
    jop = flipOpcode(jop) as JmpOp;
  } else return -1;
  if (pkt.range >= 0) return -1;
  switch (jop) {
    case 'jle': case 'jgt':
      return pkt.range === BEYOND_PKT_END ? (jop === 'jgt' ? 1 : 0) : -1;
    case 'jlt': case 'jge':
      return pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END ? (jop === 'jge' ? 1 : 0) : -1;
    default:
      return -1;
  }
}

/** try_match_pkt_pointers + find_good_pkt_pointers + mark_pkt_end. */
function matchPacketPointers(env: Env, jop: JmpOp, ins: Insn, dst: Reg, src: Reg, other: VState): void {
  const isInitPkt = (r: Reg): boolean => r.type === T.PTR_TO_PACKET && r.off === 0 && env.dom.constValue(r.v) === 0n;
  const pktVsEnd = (p: Reg, e: Reg): boolean =>
    (p.type === T.PTR_TO_PACKET && e.type === T.PTR_TO_PACKET_END) || (p.type === T.PTR_TO_PACKET_META && isInitPkt(e));
  // Which branch learns "pkt' <= end" (open=false) or "pkt' < end" (open=true).
  let pktRegno: number;
  let onTaken: boolean;
  let open: boolean;
  if (pktVsEnd(dst, src)) {
    pktRegno = ins.dst;
    switch (jop) {
      case 'jgt': onTaken = false; open = false; break;
      case 'jge': onTaken = false; open = true; break;
      case 'jlt': onTaken = true; open = true; break;
      case 'jle': onTaken = true; open = false; break;
      default: return;
    }
  } else if (pktVsEnd(src, dst)) {
    pktRegno = ins.src;
    switch (jop) {
      case 'jgt': onTaken = true; open = true; break;
      case 'jge': onTaken = true; open = false; break;
      case 'jlt': onTaken = false; open = false; break;
      case 'jle': onTaken = false; open = true; break;
      default: return;
    }
  } else return;
  // The other side learns the pointer is at (pkt >= end) or beyond (pkt > end) the end (mark_pkt_end: that register only).
  const endSide = regOf(onTaken ? env.cur : other, pktRegno);
  if (endSide.type === T.PTR_TO_PACKET) endSide.range = open ? AT_PKT_END : BEYOND_PKT_END;
  const st = onTaken ? other : env.cur;
  const p = regOf(st, pktRegno);
  if (p.off < 0 || (p.off === 0 && open)) return;
  const umax = env.dom.umax(p.v);
  if (umax > 0xffffn || umax + BigInt(p.off) > 0xffffn) return;
  const range = p.off + (open ? 1 : 0);
  const { type, id } = p;
  forEachRegIn(st, (r) => { if (r.type === type && r.id === id && r.range < range) r.range = range; });
}
