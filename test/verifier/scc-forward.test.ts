/**
 * compute_scc's loops, against a plain reachability reference on generated programs: an
 * instruction is in a loop when it reaches itself by non-call edges, two loop instructions share
 * an id when each reaches the other. Programs whose edges all lead forward (most generated ones)
 * take computeScc's shortcut (every id 0, no walk); the others take the walk.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import { caseArb } from '../../src/fuzz/campaign.js';
import { EDGE_KINDS, buildCfg, type Cfg } from '../../src/verifier/cfg.js';
import { Reject } from '../../src/verifier/error-kinds.js';
import { computeScc } from '../../src/verifier/scc.js';

const CALL = EDGE_KINDS.indexOf('call');

/** reach[a][b]: b is reached from a by one or more non-call edges. */
function reachability(cfg: Cfg, n: number): boolean[][] {
  const reach: boolean[][] = [];
  for (let a = 0; a < n; a++) {
    const seen = new Array<boolean>(n).fill(false);
    const work: number[] = [];
    const visit = (pc: number): void => {
      for (let i = 2 * pc; i < 2 * pc + cfg.succCount[pc]!; i++) {
        const t = cfg.succTo[i]!;
        if (cfg.succKind[i] === CALL || t < 0 || t >= n || seen[t]) continue;
        seen[t] = true;
        work.push(t);
      }
    };
    visit(a);
    while (work.length) visit(work.pop()!);
    reach.push(seen);
  }
  return reach;
}

function expectLoopsLikeReference(cfg: Cfg, n: number): boolean {
  const scc = computeScc(cfg, n);
  const reach = reachability(cfg, n);
  let forward = true;
  for (let pc = 0; pc < n; pc++) for (let i = 2 * pc; i < 2 * pc + cfg.succCount[pc]!; i++) if (cfg.succKind[i] !== CALL && cfg.succTo[i]! <= pc) forward = false;
  for (let a = 0; a < n; a++) {
    expect(scc[a] !== 0).toBe(reach[a]![a]!);
    if (!scc[a]) continue;
    for (let b = 0; b < n; b++) if (scc[b]) expect(scc[a] === scc[b]).toBe(a === b || (reach[a]![b]! && reach[b]![a]!));
  }
  return forward;
}

describe('compute_scc against reachability', () => {
  test('generated programs, with and without edges leading back', () => {
    let forward = 0;
    let back = 0;
    for (let seed = 1; seed <= 40; seed++) for (const c of fc.sample(caseArb(), { numRuns: 10, seed })) {
      let cfg: Cfg;
      try { cfg = buildCfg(c.program.insns); } catch (e) { if (e instanceof Reject) continue; throw e; }
      if (expectLoopsLikeReference(cfg, c.program.insns.length)) forward++;
      else back++;
    }
    expect(forward).toBeGreaterThan(50);
    expect(back).toBeGreaterThan(10);
  });

  test('a backward jump that is no loop leaves every id 0; one that closes a loop does not', () => {
    const noLoop = assemble(`r0 = 0
if r1 == 0 goto +2
goto +2
exit
r0 = 1
goto -3`).insns;
    expect(expectLoopsLikeReference(buildCfg(noLoop), noLoop.length)).toBe(false);
    expect([...computeScc(buildCfg(noLoop), noLoop.length)].every((id) => id === 0)).toBe(true);
    const loop = assemble(`r0 = 0
r0 += 1
if r0 < 3 goto -2
exit`).insns;
    expect([...computeScc(buildCfg(loop), loop.length)]).toEqual([0, 1, 1, 0]);
  });
});
