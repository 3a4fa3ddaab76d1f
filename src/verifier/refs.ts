/** Acquired references (the kernel's acquired_refs): releasing one invalidates every pointer that carries it. */
import type { Env } from './env.js';
import { S, writableSpill } from './state.js';

/**
 * release_reference: forget the reference and every register or spilled register that carries
 * it (dynptr and iterator slots are not registers: their owners clear them).
 */
export function releaseReference(env: Env, refId: number): void {
  const refs = env.cur.refs;
  const i = refs.findIndex((r) => r.id === refId && !r.kind);
  if (i < 0) env.reject('reference_invalid', `reference has not been acquired before`);
  refs.splice(i, 1);
  for (const f of env.cur.frames) {
    for (const r of f.regs) if (r.refObjId === refId) env.markUnknown(r);
    for (let k = 0; k < f.spills.length; k++) {
      const s = f.spills[k];
      if (s && s.refObjId === refId && f.slots[k * 8] !== S.DYNPTR && f.slots[k * 8] !== S.ITER) env.markUnknown(writableSpill(f, k));
    }
  }
}
