import { describe, expect, it } from 'vitest';
import { splitState, statesFromLog } from '../../src/report/index.js';
import { verify } from '../../src/verifier/index.js';
import { asm, BRANCHY, PACKET_OK, PACKET_OOB } from './helpers.js';

const get = (entries: [string, string][], k: string): string | undefined => entries.find((e) => e[0] === k)?.[1];

describe('splitState', () => {
  it('splits at spaces outside parentheses', () => {
    expect(splitState('R1=ctx() R5=scalar(smin=0,var_off=(0x0; 0xff)) fp-8=mmmm????')).toEqual([
      'R1=ctx()', 'R5=scalar(smin=0,var_off=(0x0; 0xff))', 'fp-8=mmmm????',
    ]);
  });
});

describe('statesFromLog', () => {
  it('rebuilds the failing path across a "from A to B" line', () => {
    const p = asm(BRANCHY);
    const r = verify(p, { log: true });
    expect(r.error?.pc).toBe(9);
    const s = statesFromLog(r.log!, r.error!.pc);
    expect(s.path).toEqual([0, 1, 2, 3, 4, 5, 6, 9]);
    // Before insn 9 the state is the one the jump at 6 pushed: r5 == 17 on the taken side.
    const at9 = s.pathVisits[s.pathVisits.length - 1]!;
    expect(at9.pc).toBe(9);
    expect(get(at9.before, 'R5')).toBe('17');
    expect(get(at9.before, 'R2')).toBe('pkt(r=8)');
    // Insn 5 on the path: R5 becomes an unknown byte; R4 keeps what insn 4 proved.
    const at5 = s.pathVisits[5]!;
    expect(get(at5.before, 'R5')).toBeUndefined();
    expect(get(at5.after, 'R5')).toMatch(/^scalar\(/);
    expect(get(at5.before, 'R4')).toBe('pkt(off=8,r=8)');
    expect(at5.changed).toContain('R5');
  });

  it('gives every processed pc a state and counts visits', () => {
    const p = asm(PACKET_OK);
    const r = verify(p, { log: true });
    expect(r.verdict).toBe('accept');
    const s = statesFromLog(r.log!, null);
    expect(s.path).toBeNull();
    for (const pc of [0, 1, 2, 3, 4, 5, 6, 7]) expect(s.lastVisit.has(pc), `pc ${pc}`).toBe(true);
    expect(s.visits.get(6)).toBe(2); // reached on both sides of the bounds check
    expect(get(s.lastVisit.get(0)!.before, 'R1')).toBe('ctx()');
    expect(get(s.lastVisit.get(0)!.before, 'R10')).toBe('fp0');
  });

  it('finds a straight failing path', () => {
    const r = verify(asm(PACKET_OOB), { log: true });
    const s = statesFromLog(r.log!, r.error!.pc);
    expect(s.path).toEqual([0, 1, 2, 3, 4, 5]);
    expect(get(s.pathVisits[5]!.before, 'R4')).toBe('pkt(off=14,r=14)');
    expect(get(s.pathVisits[5]!.before, 'R2')).toMatch(/^pkt\(/);
  });

  it('forgets r0-r5 across a helper call and follows bpf-to-bpf frames', () => {
    const log = [
      '0: R1=ctx() R10=fp0',
      '0: (b7) r1 = 1                        ; R1=1',
      '1: (85) call pc+2',
      '4: (b7) r0 = 0                        ; R0=0',
      '5: (95) exit                          ; R0=0',
      '2: (85) call bpf_get_prandom_u32#7    ; R0=scalar()',
      '3: (bf) r0 = r1',
      'R1 !read_ok',
    ].join('\n');
    const s = statesFromLog(log, 3);
    expect(s.path).toEqual([0, 1, 4, 5, 2, 3]);
    const v4 = s.pathVisits[2]!;
    expect(v4.frame).toBe(1);
    expect(get(v4.before, 'R1')).toBe('1');
    const v3 = s.pathVisits[5]!;
    expect(v3.frame).toBe(0);
    expect(get(v3.before, 'R1')).toBeUndefined();
    expect(get(v3.before, 'R0')).toBe('scalar()');
  });

  it('gives no path when the log does not end at the failing pc', () => {
    const r = verify(asm(PACKET_OOB), { log: true });
    expect(statesFromLog(r.log!, 3).path).toBeNull();
    expect(statesFromLog('', 0).path).toBeNull();
  });
});
