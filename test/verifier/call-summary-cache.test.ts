/**
 * The verifier keeps helper call summaries (get_call_summary: the number of arguments, a void
 * return, bpf_fastcall) once per program type and helper id. A helper whose prototype differs by
 * program type must keep its own summary per type whatever type asked first: bpf_get_cgroup_classid
 * takes the skb in tc programs (r1 is read, so live before the call) and no argument elsewhere
 * (bpf_get_cgroup_classid_curr: r1 is dead). Read from the log's "Live regs before insn" lines.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import { makeProgram, type ProgType } from '../../src/isa/program.js';
import { verify } from '../../src/verifier/index.js';

/** The live-register column of the log level 2 preamble for the call at pc 0. */
function liveBeforeCall(type: ProgType): string {
  const p = makeProgram({ name: 'classid', section: '', type, license: 'GPL', maps: [], insns: assemble('call bpf_get_cgroup_classid\nexit').insns });
  const r = verify(p, { log: true, logLevel: 2 });
  expect(r.verdict).toBe('accept');
  const line = r.log!.split('\n').find((l) => /^\s+0: /.test(l));
  expect(line).toBeDefined();
  return line!.trim().split(/\s+/)[1]!;
}

describe('helper call summaries per program type', () => {
  it('bpf_get_cgroup_classid reads r1 in tc programs only, in either order', () => {
    const tcFirst = [liveBeforeCall('sched_cls'), liveBeforeCall('kprobe')];
    const kprobeFirst = [liveBeforeCall('kprobe'), liveBeforeCall('sched_cls')];
    expect(tcFirst).toEqual(['.1........', '..........']);
    expect(kprobeFirst).toEqual(['..........', '.1........']);
  });
});
