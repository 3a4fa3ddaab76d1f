/**
 * Register liveness (compute_live_registers) stops after one pass when every edge leads
 * forward: that pass, from the last instruction back, computes each instruction from its
 * successors' final masks. Checked against the full iteration on generated programs: a self-loop
 * added at the last instruction changes no mask (live-in already holds what it would add) but
 * counts as a backward edge, so liveRegisters then passes until nothing changes.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Insn } from '../../src/isa/insn.js';
import { caseArb } from '../../src/fuzz/campaign.js';
import { EDGE_KINDS, buildCfg, type Cfg } from '../../src/verifier/cfg.js';
import { liveRegisters } from '../../src/verifier/liveness.js';
import { Reject } from '../../src/verifier/error-kinds.js';

/** liveRegisters with every pass run: the CFG with a self-loop at the last slot. */
function fullPasses(insns: readonly Insn[], cfg: Cfg): Uint16Array {
  const n = insns.length;
  const succCount = Uint8Array.from(cfg.succCount);
  const succTo = Int32Array.from(cfg.succTo);
  const succKind = Uint8Array.from(cfg.succKind);
  const last = cfg.second[n - 1] ? n - 2 : n - 1;
  expect(succCount[last]).toBeLessThan(2);
  const i = 2 * last + succCount[last]!++;
  succTo[i] = last;
  succKind[i] = EDGE_KINDS.indexOf('jump');
  return liveRegisters(insns, { ...cfg, second: cfg.second, succCount, succTo, succKind } as Cfg);
}

function cfgOf(insns: readonly Insn[]): Cfg | null {
  try { return buildCfg(insns); } catch (e) { if (e instanceof Reject) return null; throw e; }
}

describe('register liveness: one pass when every edge leads forward', () => {
  test('generated programs: the same masks as with every pass run', () => {
    let forwardOnly = 0;
    let checked = 0;
    for (let seed = 1; seed <= 40; seed++) for (const c of fc.sample(caseArb(), { numRuns: 10, seed })) {
      const insns = c.program.insns;
      const cfg = cfgOf(insns);
      if (!cfg) continue;
      checked++;
      let forward = true;
      for (let pc = 0; pc < insns.length; pc++) for (let k = 0; k < cfg.succCount[pc]!; k++) if (cfg.succTo[2 * pc + k]! <= pc) forward = false;
      if (forward) forwardOnly++;
      expect(Array.from(liveRegisters(insns, cfg))).toEqual(Array.from(fullPasses(insns, cfg)));
    }
    expect(checked).toBeGreaterThan(200);
    expect(forwardOnly).toBeGreaterThan(50);
  });

  test('a loop: the passes go on until r3, read at its head, is live all around it', () => {
    const insns = assemble(`r1 = 0
r3 = 0
r1 += 1
r2 = r3
if r1 < 4 goto -3
r0 = r2
exit`).insns;
    const cfg = buildCfg(insns);
    const live = liveRegisters(insns, cfg);
    expect(Array.from(live)).toEqual(Array.from(fullPasses(insns, cfg)));
    // r3 is read at 3 on every iteration: live from its definition to the loop's end
    for (const pc of [2, 3, 4]) expect(live[pc]! & (1 << 3)).not.toBe(0);
  });
});
