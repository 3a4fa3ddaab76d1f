/**
 * Reused states (state.ts recycleState / recycleFrame): the state of a path that ended serves the
 * next branch copies (push_stack) and new frames. A copy made from a pooled state must be as
 * independent of its original as a new one, and a verification with the pool must be the
 * verification without it (disableStatePool): same verdicts, messages,
 * processed instructions, state counts and level-2 logs, over structured fuzz programs (branches,
 * spills, calls, rejections with paths left pending) and programs with subprograms, beside the
 * running kernel when it is there.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { caseArb } from '../../src/fuzz/campaign.js';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { getDomain } from '../../src/verifier/domains/index.js';
import { verify, type VerifyOptions } from '../../src/verifier/index.js';
import { T } from '../../src/verifier/reg-types.js';
import { cloneReg, cloneState, disableStatePool, newFrame, newState, recycleState, setRecycling, setSpill, writableSpill } from '../../src/verifier/state.js';

const k = kernelAvailable();
if (!k.ok) console.log(`state pool: no kernel comparison (${k.reason})`);

const dom = getDomain('kernel');

/** A state whose frame owns a spilled scalar 5 (id 7) in slot 63 (fp-8). */
function stateWithSpill(): ReturnType<typeof newState> {
  const f = newFrame(dom.unknown(), -1, 0);
  const r = cloneReg(f.regs[0]!);
  r.type = T.SCALAR;
  r.v = dom.known(5n);
  r.id = 7;
  setSpill(f, 63, r);
  return newState(f, 0, -1, false);
}

afterEach(() => {
  setRecycling(false);
  disableStatePool(false);
});

describe('pooled states', () => {
  it('a copy made from a pooled state is independent of its original', () => {
    setRecycling(true);
    const a = stateWithSpill();
    const b = cloneState(a);
    // b writes its spill (it owns its spills array from then on), then its path ends.
    writableSpill(b.frames[0]!, 63).id = 9;
    const bSpills = b.frames[0]!.spills;
    b.hist.push(1, 2, 3);
    recycleState(b);
    const c = cloneState(a);
    expect(c).toBe(b);
    expect(c.hist).toEqual(a.hist);
    expect(c.frames).toHaveLength(1);
    const cf = c.frames[0]!, af = a.frames[0]!;
    // Registers: copies of a's, not a's own objects.
    expect(cf.regs[1]).not.toBe(af.regs[1]);
    expect(cf.regs[1]!.type).toBe(af.regs[1]!.type);
    cf.regs[1]!.type = T.SCALAR;
    expect(af.regs[1]!.type).toBe(T.NOT_INIT);
    // Spills: shared with a until c writes; the write goes into b's former array, not a's.
    expect(cf.spills).toBe(af.spills);
    expect(cf.spills[63]!.id).toBe(7);
    writableSpill(cf, 63).id = 11;
    expect(cf.spills).toBe(bSpills);
    expect(af.spills[63]!.id).toBe(7);
    expect(cf.spills[63]!.id).toBe(11);
  });

  it('without recycling (the join strategy) nothing goes to the pool', () => {
    setRecycling(false);
    const a = stateWithSpill();
    const b = cloneState(a);
    recycleState(b);
    expect(cloneState(a)).not.toBe(b);
  });

  it('a new frame from the pool starts with nothing of the frame it was', () => {
    setRecycling(true);
    const a = stateWithSpill();
    a.frames[0]!.regs[3]!.type = T.SCALAR;
    recycleState(a);
    // (the state took the frame; a new frame takes it from the frame pool)
    const f = newFrame(dom.unknown(), 5, 2);
    expect(f.callsite).toBe(5);
    expect(f.subprog).toBe(2);
    expect(f.regs.every((r) => r.type === T.NOT_INIT && r.id === 0 && !r.precise)).toBe(true);
    expect(f.spills.every((r) => r === undefined)).toBe(true);
    expect(f.slots.every((b) => b === 0)).toBe(true);
  });
});

/** What a verification decides and reports (everything but its time); `pool` false: without reused states. */
function outcome(p: Program, opts: VerifyOptions, pool = true): unknown {
  disableStatePool(!pool);
  const r = verify(p, opts);
  disableStatePool(false);
  return { verdict: r.verdict, error: r.error, processed: r.processed, states: r.states, peak: r.peakStates, perInsn: r.maxStatesPerInsn, path: r.path,
    log: r.log, depth: r.stackDepth };
}

describe('a verification with the pool is the verification without it', () => {
  it('structured fuzz programs (level-2 logs for some)', () => {
    const cases = fc.sample(caseArb({ structured: 1 }), { numRuns: 300, seed: 16 });
    let rejected = 0;
    for (const [i, c] of cases.entries()) {
      const opts: VerifyOptions = i % 5 === 0 ? { insnLimit: 20_000, log: true, logLevel: 2 } : { insnLimit: 20_000 };
      const pooled = outcome(c.program, opts);
      const plain = outcome(c.program, opts, false);
      expect(pooled).toEqual(plain);
      if ((pooled as { verdict: string }).verdict === 'reject') rejected++;
    }
    // Rejections leave pending paths whose states the next verification reuses.
    expect(rejected).toBeGreaterThan(0);
  });

  it('the onInsn hook sees the same states with and without the pool', () => {
    const cases = fc.sample(caseArb({ structured: 1 }), { numRuns: 60, seed: 61 });
    const seen = (p: Program, pool: boolean): string[] => {
      const out: string[] = [];
      const onInsn: VerifyOptions['onInsn'] = (pc, st) => { out.push(`${pc}:${st.frames.map((f) => f.regs.map((r) => `${r.type}/${r.off}/${r.id}`).join(',')).join('|')}`); };
      outcome(p, { insnLimit: 20_000, onInsn }, pool);
      return out;
    };
    for (const c of cases) expect(seen(c.program, true)).toEqual(seen(c.program, false));
  });

  it('bpf-to-bpf calls: returning frames are reused by later branches and calls (the kernel agrees)', () => {
    const text = [
      'call bpf_get_prandom_u32', 'r6 = r0', '*(u64 *)(r10 -8) = r0',
      'if r6 > 100 goto big', 'r1 = r6', 'call sub', 'if r0 > 5 goto out', 'r1 = r0', 'call sub', 'goto out',
      'big:', 'r1 = 3', 'call sub', 'r1 = *(u64 *)(r10 -8)', 'if r1 < 101 goto bad',
      'out:', 'r0 = 0', 'exit',
      'bad:', 'r0 = *(u32 *)(r1 +0)', 'exit',
      'sub:', '*(u64 *)(r10 -16) = r1', 'r0 = r1', 'if r0 > 7 goto sbig', 'r0 &= 3', 'exit', 'sbig:', 'r0 = 6', 'exit',
    ].join('\n');
    const p: Program = { name: 'pool', section: 'socket', type: 'socket_filter', insns: assemble(text).insns, maps: [], license: 'GPL' };
    const pooled = outcome(p, { log: true, logLevel: 2 });
    expect(pooled).toEqual(outcome(p, { log: true, logLevel: 2 }, false));
    const r = verify(p, { log: true });
    expect(r.verdict, r.error?.message).toBe('accept');
    if (!k.ok) return;
    const kr = progLoad(p, { logLevel: 1 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(kr.verdict).toBe('accept');
    expect(r.processed).toBe(Number(/processed (\d+) insns/.exec(kr.log)?.[1]));
  });
});
