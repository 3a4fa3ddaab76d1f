/**
 * Every rejected corpus entry gets an explanation: a real failure with a witness that replays
 * on the checked VM (memory errors fault at the rejected instruction; returns leave the allowed
 * range; other rules: a feasible path to the instruction), or a false alarm with the imprecise
 * instruction, or -- only for static rules, explorations without a failing path and paths beyond the time bound -- a stated reason.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findEntries } from '../../src/cli/commands/corpus.js';
import { expectationFor, verifyFlags } from '../../src/corpus/expectations.js';
import { loadFile } from '../../src/loader/index.js';
import { closeExplain, explainProgram } from '../../src/smt/explain/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const rejected = findEntries(resolve(root, 'corpus')).filter((e) => e.expect.verdict === 'reject');
/** Why an entry may stay undecided: rules checked before any path exists, a path past the bound, or a construct the verifier itself does not model. */
const UNDECIDED_REASONS = /static rule checked before any path|static rule over the call graph|no failing path|bound reached|construct bpflab does not model/;
const outcomes = { feasible: [] as string[], infeasible: [] as string[], undecided: [] as string[] };
/** Real bounds, NULL and leak rejections (a packet pointer a helper invalidated counts as bounds: its fix is a bounds re-check). */
const FIXABLE = new Set(['packet_oob', 'map_value_oob', 'stack_oob', 'mem_oob', 'unbounded_access', 'null_pointer', 'reference_leak']);
const fixRate = { fixed: [] as string[], missed: [] as string[] };

describe('explain: every rejected corpus entry', () => {
  afterAll(async () => {
    await closeExplain();
    console.log(
      `explain over ${rejected.length} rejected corpus entries: ${outcomes.feasible.length} feasible, ` +
        `${outcomes.infeasible.length} infeasible (${outcomes.infeasible.join(', ') || 'none'}), ` +
        `${outcomes.undecided.length} undecided (${outcomes.undecided.join(', ') || 'none'}); ` +
        `explain --fix: a verified, replayed fix for ${fixRate.fixed.length} of ${fixRate.fixed.length + fixRate.missed.length} real bounds/NULL/leak rejections (none for ${fixRate.missed.join(', ') || '-'})`,
    );
  });

  it('the corpus has rejected entries', () => {
    expect(rejected.length).toBeGreaterThanOrEqual(30);
  });

  for (const entry of rejected) {
    const name = relative(resolve(root, 'corpus'), entry.file);
    it(name, async () => {
      const programs = await loadFile(entry.file, new Uint8Array(readFileSync(entry.file)));
      // a lower exploration limit keeps loop-heavy entries fast; the kind check below guards the verdict
      const exps = [];
      for (const p of programs) {
        // the load options the entry pins (e.g. BPF_F_STRICT_ALIGNMENT) are part of its verdict
        const x = entry.sidecar.programs ? expectationFor(entry.sidecar, p) : entry.expect;
        let ex = await explainProgram(p, { verify: { insnLimit: 100_000, ...verifyFlags(x?.options) }, fix: true });
        // an entry that meets the lowered limit (e.g. a jump-sequence rejection past 100,000 insns) is explained at the kernel's
        if (ex.error?.kind === 'too_large' && x?.kind !== 'too_large') ex = await explainProgram(p, { verify: verifyFlags(x?.options), fix: true });
        exps.push(ex);
      }
      const ex = exps.find((x) => x.verdict === 'reject');
      expect(ex, 'some program of the entry is rejected').toBeDefined();
      const e = ex!;
      if (entry.expect.kind) expect(e.error?.kind).toBe(entry.expect.kind);
      if (e.feasible === true) {
        outcomes.feasible.push(name);
        expect(e.path.at(-1)).toBe(e.error!.pc);
        expect(e.witness).not.toBeNull();
        expect(e.replay).not.toBeNull();
        // the VM run of the witness shows the fault: a trap, a return value, a leak's acquire and exit, or the rule's instruction reached
        expect(e.replay!.reproduced, JSON.stringify(e.replay)).toBe(true);
        if (e.check === 'memory' && e.replay!.fault) expect(e.replay!.fault.pc).toBe(e.error!.pc);
        if (FIXABLE.has(e.error!.kind) || /packet data changed/.test(e.reason)) {
          // every fix shown was accepted by the verifier; one that also stops the counterexample counts
          (e.fixes?.some((f) => f.verified && f.replayed === true) ? fixRate.fixed : fixRate.missed).push(name);
        }
      } else if (e.feasible === false) {
        outcomes.infeasible.push(name);
        expect(e.imprecision).not.toBeNull();
        expect(e.path).toContain(e.imprecision!.pc);
        // every false alarm names the class of its loss and the instructions involved, never two equal ranges
        expect(e.imprecision!.cls).toBeDefined();
        expect(e.imprecision!.pcs!.length).toBeGreaterThan(0);
        expect(e.imprecision!.concrete).not.toBe(e.imprecision!.abstract);
      } else {
        outcomes.undecided.push(name);
        expect(e.reason).toMatch(UNDECIDED_REASONS);
      }
    });
  }

  it('explain --fix finds a verified, replayed fix for at least 80 % of the real bounds, NULL and leak rejections', () => {
    const n = fixRate.fixed.length + fixRate.missed.length;
    expect(n).toBeGreaterThanOrEqual(20);
    expect(fixRate.fixed.length / n, `no fix for ${fixRate.missed.join(', ')}`).toBeGreaterThanOrEqual(0.8);
  });
});
