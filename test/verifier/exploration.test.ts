/**
 * Exploration as the kernel explores: register liveness with the helpers' own argument counts
 * (get_call_summary), and precision backtracking through linked spilled scalars, legacy packet
 * loads and atomics without falling back to marking every scalar precise, and the fork of
 * `x s>> 63` masked by a constant (maybe_fork_scalars). Each program has two
 * paths that differ only in what these mechanisms leave out, so the second is pruned; with the
 * live kernel, the processed instructions and states are its own.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';

const prog = (text: string): Program => {
  const a = assemble(text);
  return { name: 'p', section: '', type: 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL' };
};

const kernel = kernelAvailable();
const skipped: string[] = [];
afterAll(() => { if (skipped.length) console.log(`exploration: kernel comparison skipped (${kernel.reason ?? 'no kernel'})`); });

/** Verifies `p`, checks the second path ends at `pruneAt` and nothing fell back to mark-all, then compares with the kernel. */
function check(p: Program, prunedLine: RegExp): void {
  const r = verify(p, { log: true, logLevel: 2 });
  expect(r.verdict).toBe('accept');
  expect(r.log).toMatch(prunedLine);
  expect(r.log).not.toMatch(/falling back to forcing all scalars precise/);
  if (!kernel.ok) { skipped.push(p.name); return; }
  const k = progLoad(p, { logLevel: 1 });
  if (k.fd !== null) closeFd(k.fd);
  expect(k.verdict).toBe('accept');
  expect({ processed: r.processed, states: r.states }).toEqual({ processed: k.processed, states: k.states });
}

// Two paths: r9 = 1 or 2 (never precise), then the mechanism under test.
const TWO_PATHS = `
call 7
r8 = r0
r9 = 1
if r8 > 7 goto j1
r9 = 2
j1:
call 7
r7 = r0`;

// Two checks of r7 (so r7 is precise) and an exit with the never-precise r9.
const R7_CHECKS = `if r7 > 10 goto out
if r7 > 20 goto out
r0 = r9
exit
out:
r0 = 0
exit`;

describe('exploration parity with the kernel', () => {
  it('a helper reads only its declared arguments: r4 is dead before map_lookup_elem', () => {
    check(prog(`.map m array key=4 value=8 entries=1
r6 = r1
call 7
r7 = 1
r7 = 2
r7 = 3
r7 = 4
r7 = 5
r7 = 6
r7 = 7
r4 = r10
if r0 > 5 goto big
r4 = 1
big:
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[m]
call 1
r0 = 0
exit`), /from 10 to 12: safe/);
  });

  it('a jump refining a spilled copy of a linked scalar tracks the copy, not every scalar', () => {
    check(prog(`${TWO_PATHS}
r1 = r7
*(u64 *)(r10 -8) = r1
if r7 > 10 goto out
r2 = *(u64 *)(r10 -8)
if r2 > 20 goto out
r0 = r9
exit
out:
r0 = 0
exit`), /^\d+: safe$/m);
  });

  it('a legacy packet load and an atomic add on the way back leave precision tracking intact', () => {
    check(prog(`r6 = r1${TWO_PATHS}
r0 = *(u8 *)skb[12]
r1 = 1
r1 = 2
${R7_CHECKS}`), /^\d+: safe$/m);
    check(prog(`.map m array key=4 value=8 entries=1
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[m]
call 1
if r0 == 0 goto out
r6 = r0${TWO_PATHS}
r1 = 1
lock *(u64 *)(r6 +0) += r1
r1 = 2
${R7_CHECKS}`), /^\d+: safe$/m);
  });

  it('a sign mask (-1 or 0) combined with a constant forks: -1 goes on, 0 runs the instruction again', () => {
    check(prog('call 7\nr0 s>>= 63\nr0 |= 5\nr0 += 0\nexit'), /^from 2 to 2: R0=0 R10=fp0$/m);
    check(prog('call 7\nw0 s>>= 31\nw0 &= -153\nw0 += 0\nexit'), /^from 2 to 2: R0=0 R10=fp0$/m);
    const r = verify(prog('call 7\nw0 s>>= 31\nw0 &= -153\nexit'), { log: true });
    expect(r.log).toMatch(/^2: \(54\) w0 &= -153 +; R0=0xffffff67$/m);
    expect(r.log).toMatch(/^2: \(54\) w0 &= -153 +; R0=0$/m);
  });
});
