/**
 * IRQ-disabled sections as Linux 6.18's verifier models them (bpf_local_irq_save/restore and
 * bpf_res_spin_lock_irqsave/unlock_irqrestore; process_irq_flag, mark_stack_slot_irq_flag,
 * unmark_stack_slot_irq_flag, acquire_irq_state, release_irq_state):
 *
 * - A save takes an uninitialised 8-byte stack slot (an `unsigned long` flags word), writes it,
 *   and turns it into a STACK_IRQ_FLAG slot that carries a new REF_TYPE_IRQ reference; that
 *   reference becomes the active IRQ id (the section is open).
 * - A restore needs a slot a save initialised (all 8 bytes still IRQ-flag bytes: any write over
 *   the slot makes it plain data), saved by the same class of kfunc (native or lock), and its
 *   reference must be the active one: sections close in reverse order. The active id is then
 *   the previous IRQ reference in acquisition order, which is the last one left: the reference
 *   list keeps its order when an entry is removed.
 * - While a section is open, the main program may not exit, nothing may sleep (see locks.ts).
 */
import type { Env } from './env.js';
import { markStackRead, markStackWritten } from './liveness.js';
import { activeIrqId } from './locks.js';
import { checkMemAccess } from './memory.js';
import { T } from './reg-types.js';
import { MAX_BPF_STACK, REG_SIZE, S, newReg, newRef, setSpill, writableSlots, type Reg } from './state.js';

/** irq.kfunc_class: which kfuncs saved the flag (kept in the slot register's memSize, unused for a stack pointer). */
export const IRQ_NATIVE_KFUNC = 1;
export const IRQ_LOCK_KFUNC = 2;

/** irq_flag_get_spi (stack_slot_obj_get_spi for one slot): the slot index, or the kernel's message. */
function irqFlagSlot(env: Env, r: Reg): number | string {
  const c = env.dom.constValue(r.v);
  if (c === undefined) return 'irq_flag has to be at a constant offset';
  const off = r.off + Number(BigInt.asIntN(64, c));
  if (off % REG_SIZE || off >= 0 || off < -MAX_BPF_STACK) return `cannot pass in irq_flag at an offset=${off}`;
  return (MAX_BPF_STACK + off) >> 3;
}

/**
 * process_irq_flag for kfunc argument `argNo` (register argNo + 1): `save` opens a section,
 * otherwise the flag is restored; `kfuncClass` is IRQ_NATIVE_KFUNC or IRQ_LOCK_KFUNC.
 */
export function processIrqFlag(env: Env, argNo: number, save: boolean, kfuncClass: number): void {
  const regno = argNo + 1;
  const r = env.reg(regno);
  if (r.type !== T.PTR_TO_STACK) env.reject('helper_arg', `arg#${argNo} doesn't point to an irq flag on stack`);
  const f = env.cur.frames[r.frameno]!;
  const slot = irqFlagSlot(env, r);
  const scratch = (k: number): void => { if (r.frameno === env.cur.frames.length - 1) env.scratchedStack.push(k); };
  if (save) {
    // is_irq_flag_reg_valid_uninit: no byte of the slot may hold a saved flag already.
    const busy = typeof slot === 'number' && f.slots.slice(slot * 8, slot * 8 + 8).some((b) => b === S.IRQ_FLAG);
    if (typeof slot === 'string' || busy) env.reject('helper_arg', `expected uninitialized irq flag as arg#${argNo}`);
    const k = slot as number;
    checkMemAccess(env, regno, 0, REG_SIZE, 'write', -1, null, 0, false);
    // acquire_irq_state + mark_stack_slot_irq_flag
    const id = env.newId();
    env.cur.refs.push(newRef(id, env.pc, 'irq'));
    const d = newReg(env.ZERO);
    d.type = T.PTR_TO_STACK; // (the kernel has no dedicated register type for it)
    d.refObjId = id;
    d.memSize = kfuncClass;
    d.frameno = r.frameno;
    setSpill(f, k, d);
    writableSlots(f).fill(S.IRQ_FLAG, k * 8, k * 8 + 8);
    markStackWritten(env, r.frameno, k);
    scratch(k);
    return;
  }
  // is_irq_flag_reg_valid_init
  const uninit = (): never => env.reject('helper_arg', `expected an initialized irq flag as arg#${argNo}`);
  if (typeof slot === 'string') uninit();
  const k = slot as number;
  const st = f.spills[k];
  if (!st?.refObjId) uninit();
  for (let b = k * 8; b < k * 8 + 8; b++) if (f.slots[b] !== S.IRQ_FLAG) uninit();
  markStackRead(env, r.frameno, k);
  // unmark_stack_slot_irq_flag
  if (st!.memSize !== kfuncClass) {
    const name = (c: number): string => (c === IRQ_NATIVE_KFUNC ? 'native' : 'lock');
    env.reject('helper_arg', `irq flag acquired by ${name(st!.memSize)} kfuncs cannot be restored with ${name(kfuncClass)} kfuncs`);
  }
  const refs = env.cur.refs;
  const active = activeIrqId(env.cur);
  if (st!.refObjId !== active) {
    const at = refs.find((x) => x.id === active)?.insn ?? 0;
    env.reject('lock_state', `cannot restore irq state out of order, expected id=${active} acquired at insn_idx=${at}`);
  }
  refs.splice(refs.findIndex((x) => x.id === active), 1);
  setSpill(f, k, undefined);
  writableSlots(f).fill(S.INVALID, k * 8, k * 8 + 8);
  markStackWritten(env, r.frameno, k);
  scratch(k);
}

/** stacksafe for a STACK_IRQ_FLAG slot: references in correspondence, saved by the same class of kfunc. */
export function irqSlotSafe(o: Reg | undefined, c: Reg | undefined, checkIds: (a: number, b: number) => boolean): boolean {
  if (!o || !c) return o === c;
  return checkIds(o.refObjId, c.refObjId) && o.memSize === c.memSize;
}
