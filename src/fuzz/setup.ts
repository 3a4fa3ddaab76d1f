/**
 * Building a campaign's oracles by name, with the real verifier, VM, JIT and kernel -- or with
 * stand-ins installed by `setFuzzOverrides` (how tests plant a bug and watch a campaign, or the
 * CLI, find it).
 */
import { verify } from '../verifier/index.js';
import { budgetedVerify } from './budget.js';
import { type Engine, jitEngine, loadJit, vmEngine } from './engines.js';
import { ORACLE_NAMES, type OracleName } from './finding.js';
import { embedOracle, jitOracle, kernelOracle, sanitizeOracle, type Oracle, type VerifyFn } from './oracles/index.js';

export interface FuzzOverrides {
  verify?: VerifyFn;
  vm?: Engine;
  /** The JIT engine, or null for "no JIT". */
  jit?: Engine | null;
}

let overrides: FuzzOverrides = {};

/** Replaces components for the campaigns built afterwards in this thread; returns the undo. */
export function setFuzzOverrides(o: FuzzOverrides): () => void {
  const before = overrides;
  overrides = { ...before, ...o };
  return () => { overrides = before; };
}

export function isOracleName(s: string): s is OracleName {
  return (ORACLE_NAMES as readonly string[]).includes(s);
}

export interface OracleSetup {
  oracles: Oracle[];
  /** Oracles asked for but unavailable here, with the reason. */
  skipped: { name: OracleName; reason: string }[];
  verify: VerifyFn;
  /** The VM and (when it loads) the JIT, as the oracles use them: for re-checking findings. */
  vm: Engine;
  jit: Engine | null;
}

export async function buildOracles(names: readonly OracleName[]): Promise<OracleSetup> {
  const v: VerifyFn = overrides.verify ?? verify;
  const vm = overrides.vm;
  let jit: Engine | null;
  if (overrides.jit !== undefined) jit = overrides.jit;
  else { const j = await loadJit(); jit = typeof j === 'string' ? null : jitEngine(j); }
  const out: OracleSetup = { oracles: [], skipped: [], verify: v, vm: vm ?? vmEngine, jit };
  // The oracles' own verifications (embed's unpruned one, the kernel oracle's root re-check) keep to the campaign's per-program budget.
  const ov = budgetedVerify(v);
  for (const name of names) {
    let o: Oracle;
    switch (name) {
      case 'sanitize': o = sanitizeOracle(vm ? { engine: vm } : {}); break;
      case 'embed': o = embedOracle({ verify: ov }); break;
      case 'kernel': o = kernelOracle({ verify: ov, ...(vm && { vm }) }); break;
      case 'jit': {
        if (overrides.jit !== undefined) { o = jitOracle({ jit: overrides.jit, why: 'disabled', ...(vm && { vm }) }); break; }
        const j = await loadJit();
        o = typeof j === 'string' ? jitOracle({ jit: null, why: j }) : jitOracle({ jit, ...(vm && { vm }) });
        break;
      }
    }
    const why = o.unavailable();
    if (why !== null) out.skipped.push({ name, reason: why });
    else out.oracles.push(o);
  }
  return out;
}
