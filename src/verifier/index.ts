/**
 * bpflab's verifier: decides, as the Linux verifier does, whether a program is safe, and says
 * why not in the kernel's words. `verify(program, options)` is the whole public surface; the
 * CFG, error kinds and options are re-exported for reports and tools.
 */
import { performance } from 'node:perf_hooks';
import { checkInsn } from '../isa/validate.js';
import * as op from '../isa/opcodes.js';
import type { Program } from '../isa/program.js';
import { buildCfg, type Cfg } from './cfg.js';
import { Env } from './env.js';
import { Reject, type VerifierError } from './error-kinds.js';
import { explore } from './explore.js';
import { liveRegisters } from './liveness.js';
import type { VerifyOptions } from './options.js';

export { ERROR_KINDS, type ErrorKind, type VerifierError } from './error-kinds.js';
export { buildCfg, type Cfg, type Block, type Subprog, type EdgeKind } from './cfg.js';
export { INSN_LIMIT, type VerifyOptions, type DomainName, type Strategy } from './options.js';

export interface VerifyResult {
  verdict: 'accept' | 'reject';
  error: VerifierError | null;
  /** Instructions processed (the kernel's insn_processed). */
  processed: number;
  /** Checkpoints stored (total_states). */
  states: number;
  peakStates: number;
  maxStatesPerInsn: number;
  ms: number;
  /** The kernel-format log (with options.log). */
  log?: string;
  /** The control-flow graph (null when the program is structurally invalid before it could be built). */
  cfg: Cfg | null;
}

/** Structural checks of every instruction slot, with the kernel's messages. */
function checkEncoding(program: Program): void {
  const insns = program.insns;
  if (insns.length === 0) throw new Reject(0, 'invalid_insn', 'program has no instructions');
  for (let pc = 0; pc < insns.length; pc++) {
    const ins = insns[pc]!;
    const bad = checkInsn(ins);
    if (bad) {
      const msg = bad.kind === 'unknown_opcode' ? `unknown opcode ${ins.code.toString(16).padStart(2, '0')}` : bad.reason;
      throw new Reject(pc, 'invalid_insn', msg);
    }
    if (ins.code === op.BPF_LD_IMM64) {
      const next = insns[pc + 1];
      if (!next || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0)
        throw new Reject(pc, 'invalid_insn', 'invalid BPF_LD_IMM insn');
      pc++;
    }
  }
}

/** Verifies one program. Never throws for a bad program: the verdict says why. */
export function verify(program: Program, options: VerifyOptions = {}): VerifyResult {
  const t0 = performance.now();
  let cfg: Cfg | null = null;
  let env: Env | null = null;
  let error: VerifierError | null = null;
  try {
    checkEncoding(program);
    cfg = buildCfg(program.insns, options.rejectLoops ? { rejectLoops: true } : {});
    const live = liveRegisters(program.insns, cfg);
    env = new Env(program, cfg, live, options);
    explore(env);
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    error = { pc: e.pc, message: e.message, kind: e.kind };
    env?.log?.line(e.message);
  }
  const processed = env?.insnProcessed ?? 0;
  const res: VerifyResult = {
    verdict: error ? 'reject' : 'accept',
    error,
    processed,
    states: env?.totalStates ?? 0,
    peakStates: env?.peakStates ?? 0,
    maxStatesPerInsn: env?.maxStatesPerInsn ?? 0,
    ms: performance.now() - t0,
    cfg,
  };
  if (options.log) {
    const log = env?.log;
    let text = log ? log.text() : error ? error.message + '\n' : '';
    text += `processed ${processed} insns (limit ${env?.insnLimit ?? 1000000}) max_states_per_insn ${res.maxStatesPerInsn} total_states ${res.states} peak_states ${res.peakStates} mark_read 0\n`;
    res.log = text;
  }
  return res;
}
