/**
 * The level-2 state line of a jump both of whose sides are open: check_cond_jmp_op prints the
 * registers the jump refined on this side ("; R0=...") before it returns, so the line is there
 * also when the next instruction's is_state_visited prunes the fall-through at once (the line
 * comes before "N: safe" and before any "frame 0: propagating" the pruning prints). Programs:
 * the fall-through pruned (accepted; refused later on the jump's other side), the target pruned,
 * a NULL check whose fall-through is pruned. Compared line for line with the running kernel.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`state line of an open jump: no kernel comparison (${k.reason})`);

const program = (name: string, text: string): Program => {
  const a = assemble(`.type socket_filter\n${text}`);
  return { name, section: 'socket', type: 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL' };
};

/**
 * The first path reaches `f` after enough instructions and jumps for a checkpoint there; the
 * second reaches the open jump at `j2` whose fall-through (or target, `swap`) is `f`.
 */
const twoPaths = (name: string, j2: string, tail: string): Program => program(name, `
    call bpf_get_prandom_u32
    r2 = 0
    r3 = 0
    r4 = 0
    if r0 > 10 goto j2
    r0 = 0
    r2 = 0
    r3 = 0
    r4 = 0
    r5 = 0
    r2 = 0
    goto f
j2:
    r1 = 0
${j2}
${tail}`);

const fallPruned = twoPaths('fall_pruned', '    if r0 > 20 goto t\nf:\n    r0 = 0\n    exit', 't:\n    r0 = 1\n    exit');
const fallPrunedRefused = twoPaths('fall_pruned_refused', '    if r0 > 20 goto t\nf:\n    r0 = 0\n    exit', 't:\n    r0 = *(u64 *)(r1 +0)\n    exit');
const targetPruned = twoPaths('target_pruned', '    if r0 > 20 goto f\n    r0 = 1\n    exit', 'f:\n    r0 = 0\n    exit');

const nullCheck = program('null_fall_pruned', `.map m hash key=4 value=16 entries=2
    r1 = 0
    *(u32 *)(r10 -4) = r1
    r2 = r10
    r2 += -4
    r1 = map[m]
    call bpf_map_lookup_elem
    r6 = r0
    call bpf_get_prandom_u32
    r2 = 0
    r3 = 0
    if r0 > 10 goto j2
    r0 = 0
    r2 = 0
    r3 = 0
    r4 = 0
    r5 = 0
    r2 = 0
    goto f
j2:
    r1 = 0
    if r6 != 0 goto t
f:
    r0 = 0
    exit
t:
    r0 = *(u64 *)(r6 +0)
    r0 = 1
    exit`);

/** The log without what only one side prints: timing, the map's address (bpflab names the map). */
const comparable = (log: string): string[] => log.split('\n')
  .filter((l) => !/^verification time/.test(l))
  .map((l) => l.replace(/(\(18\) r\d = )(map\[\w+\]|0x[0-9a-f]+)( +;)?/, (_m, insn: string, _map: string, semi?: string) => `${insn}MAP${semi ? ' ;' : ''}`).trimEnd());

function level2(p: Program): { lines: string[]; verdict: string; processed: number } {
  const r = verify(p, { log: true, logLevel: 2 });
  const lines = comparable(r.log!);
  if (k.ok) {
    const kr = progLoad(p, { logLevel: 2 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(r.verdict).toBe(kr.verdict);
    expect(r.processed).toBe(kr.processed);
    expect(lines).toEqual(comparable(kr.log));
  }
  return { lines, verdict: r.verdict, processed: r.processed };
}

/** The jump's line and the one after it. */
const around = (lines: string[], jump: RegExp): string[] => {
  const i = lines.findIndex((l) => jump.test(l));
  expect(i).toBeGreaterThanOrEqual(0);
  return lines.slice(i, i + 2);
};

describe('the state line of a jump with both sides open', () => {
  it('is printed when the fall-through is pruned at once', () => {
    const { lines, verdict } = level2(fallPruned);
    expect(verdict).toBe('accept');
    const [jump, next] = around(lines, /^13: \(25\) if r0 > 0x14 goto pc\+2/);
    expect(jump).toMatch(/; R0=scalar\(smin=umin=smin32=umin32=11,smax=umax=smax32=umax32=20,var_off=\(0x0; 0x1f\)\)$/);
    expect(next).toBe('14: safe');
  });

  it('is printed when the fall-through is pruned and the other side is refused', () => {
    const { lines, verdict } = level2(fallPrunedRefused);
    expect(verdict).toBe('reject');
    const [jump, next] = around(lines, /^13: \(25\) if r0 > 0x14 goto pc\+2/);
    expect(jump).toMatch(/; R0=scalar\(smin=umin=smin32=umin32=11,/);
    expect(next).toBe('14: safe');
  });

  it('is printed once when the target is pruned (the fall-through goes on)', () => {
    const { lines } = level2(targetPruned);
    const [jump, next] = around(lines, /^13: \(25\) if r0 > 0x14 goto pc\+2/);
    expect(jump).toMatch(/; R0=scalar\(smin=umin=smin32=umin32=11,/);
    expect(next).toMatch(/^14: \(b7\) r0 = 1 +; R0=1$/);
    expect(lines).toContain('from 13 to 16: safe');
  });

  it('shows the NULL side of a lookup result when the fall-through is pruned', () => {
    const { lines } = level2(nullCheck);
    const [jump, next] = around(lines, /^20: \(55\) if r6 != 0x0 goto pc\+2/);
    expect(jump).toMatch(/; R6=0$/);
    expect(next).toBe('21: safe');
  });
});
