/**
 * The level-2 verifier log in 6.18's layout: "func#N @start" and the "Live regs before insn"
 * listing first; before each instruction what the previous ones scratched (on the previous
 * instruction's line when nothing came between, else on a line of its own); after a path ends,
 * a blank line and "from A to B:" with the whole state, then that state again for B; a decided
 * jump prints its state at once; "P" marks precise scalars; callbacks print "cb" and their
 * return ("returning from callee:" / "to caller at N:"); mark_precise starts at the current
 * instruction. Compared line for line with the running kernel when it is there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import type { Program } from '../../src/isa/program.js';
import { verify } from '../../src/verifier/index.js';
import { prog } from '../runtime/util.js';

const k = kernelAvailable();
if (!k.ok) console.log(`level-2 log: no kernel comparison (${k.reason})`);

/** The log without what only the kernel prints: timing, source lines. */
const comparable = (log: string): string[] => log.split('\n').map((l) => l.trimEnd())
  .filter((l) => !/^verification time|^; /.test(l));

function expectLikeKernel(p: Program): string[] {
  const r = verify(p, { log: true, logLevel: 2 });
  const ours = comparable(r.log!);
  if (k.ok) {
    const kr = progLoad(p, { logLevel: 2 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(ours).toEqual(comparable(kr.log));
  }
  return ours;
}

const BRANCH = `call bpf_get_prandom_u32
r6 = r0
r7 = 1
if r6 > 5 goto +2
r0 = 1
exit
r0 = 2
r0 = *(u32 *)(r6 +0)
exit`;

describe('the level-2 log', () => {
  test('preamble, scratched state before each instruction, from-lines after a path ends', () => {
    const log = expectLikeKernel({ ...prog(BRANCH), name: 'branch' });
    expect(log.slice(0, 3)).toEqual(['func#0 @0', 'Live regs before insn:', '      0: .......... (85) call bpf_get_prandom_u32#7']);
    expect(log).toContain('      3: ......6... (25) if r6 > 0x5 goto pc+2');
    // the exit is not annotated: the path ended before another instruction printed its state
    const exit = log.indexOf('5: (95) exit');
    expect(log.slice(exit, exit + 4)).toEqual([
      '5: (95) exit', '',
      // r0 is dead at the jump: the branch refines only the live copy of the linked scalar
      'from 3 to 6: R0=scalar(id=1) R6=scalar(id=1,umin=6) R7=1 R10=fp0',
      '6: R0=scalar(id=1) R6=scalar(id=1,umin=6) R7=1 R10=fp0',
    ]);
  });

  test('a bpf-to-bpf call: caller and callee frames, the return, "from A to B: safe" after it', () => {
    const log = expectLikeKernel({ ...prog('call bpf_get_prandom_u32\nr6 = 0\nif r0 > 5 goto +1\nr6 = 0\ncall pc+2\nr0 = r6\nexit\nr0 = 1\nr1 = 2\nr2 = 3\nr3 = 4\nexit'), name: 'subprog' });
    const call = log.indexOf('4: (85) call pc+2');
    expect(log.slice(call, call + 7)).toEqual(['4: (85) call pc+2', 'caller:', ' R6=0 R10=fp0', 'callee:', ' frame1: R10=fp0', '7: frame1: R10=fp0', '7: (b7) r0 = 1                        ; frame1: R0=1']);
    expect(log).toContain('from 11 to 5: R0=1 R6=0 R10=fp0');
    expect(log).toContain('from 11 to 5: safe');
    expect(log.filter((l) => l).at(-1)).toBe('processed 19 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0');
  });

  test('a constant that is linked by a delta prints its value (the delta is not part of it)', () => {
    const log = expectLikeKernel({ ...prog('call bpf_get_prandom_u32\nr0 &= 7\nr6 = r0\nr7 = r0\nif r6 != 1 goto +3\nr6 += -1\nr0 = r6\nexit\nr0 = 0\nexit'), name: 'linked_const' });
    expect(log).toContain('5: (07) r6 += -1                      ; R6=0');
  });

  const sel = new URL('../../../shared/kernel-selftests/obj/verifier_subprog_precision.o', import.meta.url);
  test.skipIf(!existsSync(sel))('a callback: cb marks, its return, precision propagated from it', async () => {
    const programs = await loadFile('verifier_subprog_precision.o', new Uint8Array(readFileSync(sel)));
    const p = programs.find((x) => x.name === 'callback_result_precise')!;
    // Not line for line: the kernel prints map addresses, and marks bpf_loop's NULL context precise.
    const log = comparable(verify(p, { log: true, logLevel: 2 }).log!);
    const kernelLog = k.ok ? comparable(progLoad(p, { logLevel: 2 }).log) : null;
    const ret = log.indexOf('returning from callee:');
    const returning = [
      'returning from callee:',
      ' frame1: R0=0 R1=scalar() R2=0 R10=fp0 cb',
      'to caller at 9:',
      ' R1=3 R2=func() R3=0 R4=0 R6=3 R7=map_value(map=.data.vals,ks=4,vs=16) R8=func() R10=fp0',
    ];
    expect(log.slice(ret, ret + 4)).toEqual(returning);
    const lines = ['17: (b7) r0 = 0                       ; frame1: R0=0 cb', 'mark_precise: frame0: last_idx 14 first_idx 9 subseq_idx -1',
      'from 9 to 17: frame1: R1=scalar() R2=0 R10=fp0 cb', '17: frame1: R1=scalar() R2=0 R10=fp0 cb', 'SCC enter (1)', ...returning];
    for (const l of lines) {
      expect(log).toContain(l);
      if (kernelLog) expect(kernelLog).toContain(l);
    }
  });
});

describe('stack accesses in the jump history', () => {
  test('a fill of data (an atomic made the slot data) ends the precision walk, as INSN_F_STACK_ACCESS is only for spills and fills', () => {
    const p = prog(`.map m array key=4 value=8 entries=1
w7 = 0
*(u32 *)(r10 -24) = r7
lock *(u32 *)(r10 -24) += r7
r7 = *(u32 *)(r10 -24)
*(u32 *)(r10 -64) = 0
r1 = map[m]
r2 = r10
r2 += -64
call bpf_map_lookup_elem
if r0 == 0 goto +3
r7 &= 3
r0 += r7
r0 = *(u8 *)(r0 +0)
exit`);
    // the kernel prints the map's address where bpflab names the map: compare the precision walk only
    const marks = (log: string): string[] => comparable(log).filter((l) => l.startsWith('mark_precise')).map((l) => l.replace(/r1 = \S+$|r1 = map\[m\]$/, 'r1 = MAP'));
    const ours = marks(verify(p, { log: true, logLevel: 2 }).log!);
    expect(ours.at(-1)).toBe('mark_precise: frame0: regs=r7 stack= before 3: (61) r7 = *(u32 *)(r10 -24)');
    if (k.ok) {
      const kr = progLoad(p, { logLevel: 2 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(ours).toEqual(marks(kr.log));
    }
  });
});
