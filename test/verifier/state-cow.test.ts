/**
 * Copy-on-write spilled registers: a state and its copies (branches, checkpoints) share the spills
 * array and the registers in it until one of them writes, and a write reaches only the writer.
 * Unit checks on the state functions, and a program whose branch refines a spilled scalar linked
 * to the compared register differently on each side (each side must see its own bounds), beside
 * the running kernel when it is there.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { getDomain } from '../../src/verifier/domains/index.js';
import { verify } from '../../src/verifier/index.js';
import { T } from '../../src/verifier/reg-types.js';
import { MAX_SPILL_SLOTS, S, cloneReg, cloneState, fillSlots, forEachRegOf, newFrame, newState, setSpill, writableSlots, writableSpill } from '../../src/verifier/state.js';

const k = kernelAvailable();
if (!k.ok) console.log(`state copy-on-write: no kernel comparison (${k.reason})`);

const dom = getDomain('kernel');

/** A state whose frame has a spilled scalar 5 (id 7) in slot 63 (fp-8). */
function stateWithSpill(): ReturnType<typeof newState> {
  const f = newFrame(dom.unknown(), -1, 0);
  const r = cloneReg(f.regs[0]!);
  r.type = T.SCALAR;
  r.v = dom.known(5n);
  r.id = 7;
  setSpill(f, 63, r);
  return newState(f, 0, -1, false);
}

describe('spilled registers, copy-on-write', () => {
  it('a copy shares them until it writes; the write reaches the copy only', () => {
    const st = stateWithSpill();
    const copy = cloneState(st);
    expect(copy.frames[0]!.spills[63]).toBe(st.frames[0]!.spills[63]);
    writableSpill(copy.frames[0]!, 63).precise = true;
    expect(copy.frames[0]!.spills[63]!.precise).toBe(true);
    expect(st.frames[0]!.spills[63]!.precise).toBe(false);
    // The original writes its slot afterwards: the copy keeps what it had.
    setSpill(st.frames[0]!, 63, undefined);
    expect(st.frames[0]!.spills[63]).toBeUndefined();
    expect(copy.frames[0]!.spills[63]!.id).toBe(7);
  });

  it('forEachRegOf writes a changed spilled register back to the visited state only', () => {
    const st = stateWithSpill();
    const copy = cloneState(st);
    const ten = dom.known(10n);
    forEachRegOf(copy, (r) => { if (r.id === 7) r.v = ten; });
    expect(copy.frames[0]!.spills[63]!.v).toBe(ten);
    expect(dom.constValue(st.frames[0]!.spills[63]!.v)).toBe(5n);
    // A visit that changes nothing copies nothing.
    const again = cloneState(st);
    forEachRegOf(again, () => {});
    expect(again.frames[0]!.spills[63]).toBe(st.frames[0]!.spills[63]);
  });

  it('a store of the bytes a shared array already holds copies nothing; a change copies it for the writer only', () => {
    const st = stateWithSpill();
    const f = st.frames[0]!;
    fillSlots(f, 0, 8, S.MISC);
    const copy = cloneState(st);
    const cf = copy.frames[0]!;
    expect(cf.slots).toBe(f.slots);
    fillSlots(cf, 0, 8, S.MISC);
    expect(cf.slots).toBe(f.slots);
    // A partly different range: the writer gets its own array, the original keeps its bytes.
    fillSlots(cf, 4, 12, S.ZERO);
    expect(cf.slots).not.toBe(f.slots);
    expect([...cf.slots.slice(0, 12)]).toEqual([S.MISC, S.MISC, S.MISC, S.MISC, S.ZERO, S.ZERO, S.ZERO, S.ZERO, S.ZERO, S.ZERO, S.ZERO, S.ZERO]);
    expect([...f.slots.slice(0, 12)]).toEqual([S.MISC, S.MISC, S.MISC, S.MISC, S.MISC, S.MISC, S.MISC, S.MISC, 0, 0, 0, 0]);
    // The writer's own array is written in place from then on.
    const own = writableSlots(cf);
    fillSlots(cf, 16, 24, S.MISC);
    expect(cf.slots).toBe(own);
  });

  it('clearing an empty spill slot leaves a shared spills array shared', () => {
    const st = stateWithSpill();
    const copy = cloneState(st);
    setSpill(copy.frames[0]!, 10, undefined);
    expect(copy.frames[0]!.spills).toBe(st.frames[0]!.spills);
    setSpill(copy.frames[0]!, 63, undefined);
    expect(copy.frames[0]!.spills).not.toBe(st.frames[0]!.spills);
    expect(st.frames[0]!.spills[63]!.id).toBe(7);
  });

  it('spillLow bounds the used spill slots from below, in copies too', () => {
    const st = stateWithSpill();
    expect(newFrame(dom.unknown(), -1, 0).spillLow).toBe(MAX_SPILL_SLOTS);
    expect(st.frames[0]!.spillLow).toBe(63);
    const copy = cloneState(st);
    const r = cloneReg(st.frames[0]!.spills[63]!);
    r.id = 9;
    setSpill(copy.frames[0]!, 40, r);
    expect(copy.frames[0]!.spillLow).toBe(40);
    expect(st.frames[0]!.spillLow).toBe(63);
    // The walks over spilled registers start there: slot 40's register is visited.
    const ids: number[] = [];
    forEachRegOf(copy, (x) => { if (x.type === T.SCALAR) ids.push(x.id); });
    expect(ids).toEqual([9, 7]);
  });

  it('a branch refines a linked spilled scalar on each side separately (the kernel agrees)', () => {
    // r0 is spilled (the spill links it by id), then `if r0 > 10` bounds the spilled copy to
    // [11, 255] on the taken side and [0, 10] on the other. The taken side's fill must keep its
    // own bounds: with them `if r1 < 11` is never true and the bad access is dead code.
    const text = [
      'call bpf_get_prandom_u32', 'r0 &= 0xff', '*(u64 *)(r10 -8) = r0', 'if r0 > 10 goto big',
      'r1 = *(u64 *)(r10 -8)', 'r2 = r10', 'r2 += -16', 'r2 += r1', 'r3 = 0', '*(u8 *)(r2 +0) = r3', 'r0 = 0', 'exit',
      'big:', 'r1 = *(u64 *)(r10 -8)', 'if r1 < 11 goto bad', 'r0 = 0', 'exit',
      'bad:', 'r0 = *(u32 *)(r1 +0)', 'exit',
    ].join('\n');
    const p: Program = { name: 'cow', section: 'socket', type: 'socket_filter', insns: assemble(text).insns, maps: [], license: 'GPL' };
    const r = verify(p, { log: true });
    expect(r.verdict, r.error?.message).toBe('accept');
    if (!k.ok) return;
    const kr = progLoad(p, { logLevel: 1 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(kr.verdict).toBe('accept');
    expect(r.processed).toBe(Number(/processed (\d+) insns/.exec(kr.log)?.[1]));
  });
});
