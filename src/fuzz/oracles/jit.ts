/**
 * The differential oracle VM = JIT: on every input both engines must end the same way -- the
 * same r0, the same fault or error (kind and pc), the same packet, ctx, trace output and maps.
 * Accepted programs are compared; with `rejected: true` also rejected ones that both engines can
 * run (under a small step budget), which checks that faults are reported identically.
 */
import type { RunResult } from '../../vm/index.js';
import type { Engine, EngineRun } from '../engines.js';
import { sameMapContents, vmEngine } from '../engines.js';
import type { Finding } from '../finding.js';
import { hex, materialize } from '../generators/inputs.js';
import { FUZZ_MAX_STEPS, type Oracle } from './types.js';
import { checkBudget } from '../budget.js';

const outcome = (r: RunResult): string =>
  r.fault ? `fault ${r.fault.kind} ${r.fault.region}${r.fault.offset} size ${r.fault.size} at pc ${r.fault.pc}`
  : r.error ? `error ${r.error.kind} at pc ${r.error.pc}`
  : r.ldAbsExit !== undefined ? `ld_abs exit at pc ${r.ldAbsExit}`
  : `r0 = ${r.r0}`;

/** Whether two optional byte strings are equal (absent counts as empty, as their hex listings would). */
function sameBytesOrNone(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  const x = a ?? EMPTY, y = b ?? EMPTY;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
const EMPTY = new Uint8Array(0);

/** The first difference between two runs: [kind, pc, description], or null. */
export function compareRuns(a: EngineRun & { ok: true }, b: EngineRun & { ok: true }): [string, number, string] | null {
  const x = a.res, y = b.res;
  const ox = outcome(x), oy = outcome(y);
  if (ox !== oy) {
    const kind = x.fault || y.fault ? 'fault' : x.error || y.error ? 'error' : x.ldAbsExit !== undefined || y.ldAbsExit !== undefined ? 'ldabs' : 'r0';
    const pc = x.fault?.pc ?? y.fault?.pc ?? x.error?.pc ?? y.error?.pc ?? x.ldAbsExit ?? y.ldAbsExit ?? -1;
    return [kind, pc, `VM: ${ox}; JIT: ${oy}`];
  }
  if (!sameBytesOrNone(x.packet, y.packet)) {
    const px = x.packet ? hex(x.packet) : '', py = y.packet ? hex(y.packet) : '';
    return ['packet', -1, `packets differ after the run: VM ${px.slice(0, 64)} JIT ${py.slice(0, 64)}`];
  }
  if (!sameBytesOrNone(x.ctx, y.ctx)) return ['ctx', -1, 'ctx bytes differ after the run'];
  if (x.trace.join('\n') !== y.trace.join('\n')) return ['trace', -1, `trace_printk output differs: VM ${JSON.stringify(x.trace)} JIT ${JSON.stringify(y.trace)}`];
  // the listings only when the maps are not plainly the same (most runs leave them equal)
  if (a.mapInstances && b.mapInstances && sameMapContents(a.mapInstances, b.mapInstances)) return null;
  const mx = a.maps.join('\n'), my = b.maps.join('\n');
  if (mx !== my) {
    const i = a.maps.findIndex((l, k) => l !== b.maps[k]);
    return ['maps', -1, `maps differ after the run: VM ${a.maps[i] ?? '(none)'}; JIT ${b.maps[i] ?? '(none)'}`];
  }
  return null;
}

export interface JitOracleOptions {
  /** The JIT as an Engine (see engines.ts jitEngine); null = unavailable with `why`. */
  jit: Engine | null;
  why?: string;
  vm?: Engine;
  /** Also compare rejected programs both engines can run. */
  rejected?: boolean;
}

export function jitOracle(opts: JitOracleOptions): Oracle {
  const vm = opts.vm ?? vmEngine;
  const notes = new Set<string>();
  return {
    name: 'jit',
    notes,
    unavailable: () => (opts.jit ? null : opts.why ?? 'no JIT available'),
    check(c, cx) {
      const jit = opts.jit;
      if (!jit) return null;
      const v = cx.verdict();
      if (v.verdict !== 'accept' && !opts.rejected) return null;
      const maxSteps = v.verdict === 'accept' ? FUZZ_MAX_STEPS : 10_000;
      for (const input of c.inputs) {
        checkBudget('jit-run');
        const ci = materialize(c.program, input);
        const a = vm(c.program, ci, { maxSteps });
        let b: EngineRun;
        try {
          b = jit(c.program, ci, { maxSteps });
        } catch (e) {
          return {
            oracle: 'jit', kind: 'crash', pc: -1, program: c.program, input, verdict: v.verdict,
            message: `the JIT threw ${(e as Error).name}: ${(e as Error).message.split('\n')[0]}`,
          } satisfies Finding;
        }
        if (!a.ok || !b.ok) {
          if (a.ok !== b.ok && v.verdict === 'accept') notes.add(`jit: ${a.ok ? 'JIT' : 'VM'} cannot run some accepted programs (${(a.ok ? (b as { reason: string }).reason : a.reason).split('\n')[0]})`);
          continue;
        }
        const d = compareRuns(a, b);
        if (d) {
          return {
            oracle: 'jit', kind: d[0], pc: d[1], message: d[2], program: c.program, input, verdict: v.verdict,
            ...(v.verdict === 'accept' && !a.res.fault && !a.res.error ? { r0: a.res.r0.toString() } : {}),
          } satisfies Finding;
        }
      }
      return null;
    },
  };
}
