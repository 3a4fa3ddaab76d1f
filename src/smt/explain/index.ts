/**
 * `explain`: for a program the verifier rejects, is the rejection a real bug or a false alarm?
 *
 * 1. Take the failing path (the verifier's, from entry to the failing instruction).
 * 2. Encode the program's concrete semantics along it over symbolic inputs (path machine).
 * 3. Ask Z3 whether the failing step can really happen (judge).
 * 4. Feasible: build the input from the model (witness) and replay it on the checked VM.
 *    Infeasible: find the instruction where the verifier's abstraction lost what it needed.
 * Anything outside the encoding is `feasible: null` with the reason.
 */
import { performance } from 'node:perf_hooks';
import type { Program, ProgType } from '../../isa/program.js';
import { returnRange } from '../../runtime/context/index.js';
import { verify, type VerifierError, type VerifyOptions, type VerifyResult } from '../../verifier/index.js';
import { loadZ3, type ZB } from '../z3-algebra.js';
import { parseReg, type AbsReg } from './abstract.js';
import { findImprecision, type Imprecision } from './imprecision.js';
import { judge, type Judgement } from './judge.js';
import { MAX_PACKET, PathMachine } from './machine.js';
import { pathFromLog, regsOfState } from './path.js';
import { Terms } from './terms.js';
import { Undecided } from './undecided.js';
import { replayFixes, verifyFixes, type Fix, type VerifiedFix } from './fix.js';
import { faultSites, RELEASERS, type Site } from './sites.js';
import { buildWitness, replayWitness, type Replay, type ReplayExpect, type Witness } from './witness.js';
import { helperId, helperName } from '../../isa/helper-ids.js';
import * as op from '../../isa/opcodes.js';

export type { Witness, Replay, ReplayFault } from './witness.js';
export type { Imprecision } from './imprecision.js';
export type { Fix } from './fix.js';
export type { Site } from './sites.js';

/**
 * Longest path explain encodes (a path through a loop is already unrolled): the verifier's own
 * limit, so every failing path it reports is in reach; time (PATH_BUDGET_MS) is the real bound.
 */
export const MAX_PATH = 1_000_000;
/** Paths up to this long are judged in one query (one solver run: the cheapest answer for a report). */
export const WHOLE_PATH_STEPS = 20_000;
/** Longer paths are encoded in pieces of this many steps, one solver checking each prefix. */
export const PREFIX_STEPS = 5_000;
/** Time for encoding and checking a long path's prefixes; when spent, the answer is undecided with the steps reached. */
export const PATH_BUDGET_MS = 60_000;
/** Explorations longer than this are not re-run for the failing path's states (the imprecision search goes without them). */
const MAX_LOGGED = 100_000;
/** Path steps the imprecision search may re-execute in all (each probe runs the whole path again). */
const IMPRECISION_STEPS = 400_000;
/** Z3 budget per query. */
export const SOLVER_TIMEOUT_MS = 10_000;

/** Errors found before any path is explored: no input is involved. */
const STATIC_KINDS = new Set(['cfg_unreachable', 'cfg_jump_out_of_range', 'cfg_last_insn', 'cfg_back_edge', 'too_complex', 'stack_size']);

export interface Explanation {
  name: string;
  section: string;
  type: ProgType;
  verdict: 'accept' | 'reject';
  error: VerifierError | null;
  /** pcs from entry to the failing instruction. */
  path: number[];
  /** true: the failure really happens on some input; false: a false alarm; null: undecided (see reason). */
  feasible: boolean | null;
  /** Why undecided, or what was checked (which rule, which access). */
  reason: string;
  /**
   * What "the failure happens" was taken to mean: 'memory' (an access the checked VM traps),
   * 'pointer' (pointer arithmetic leaving its object), 'return' (r0 outside the allowed range),
   * 'rule' (a rule about the program text: the path's feasibility decides); null when undecided early.
   */
  check: 'memory' | 'pointer' | 'return' | 'rule' | null;
  witness: Witness | null;
  replay: Replay | null;
  imprecision: Imprecision | null;
  /** The failing access in the witness (memory errors): region, offset from its origin, size. */
  access?: { region: string; offset: string; size: string } | null;
  /** The instructions that matter (a leak's acquire and exit, the r0 write before a bad return, the fault). */
  sites?: Site[];
  /** With `fix`: candidate patches, each re-verified and with the counterexample replayed. */
  fixes?: Fix[];
  /** Limits this answer was computed under. */
  bound: { maxPathLength: number; wholePathSteps: number; prefixSteps: number; pathBudgetMs: number; solverTimeoutMs: number; maxPacket: number };
  ms: number;
}

export interface ExplainOptions {
  verify?: VerifyOptions;
  timeoutMs?: number;
  /** Skip the imprecision search (faster; feasible verdicts are unaffected). */
  noImprecision?: boolean;
  /** Propose patches and verify them (`explain --fix`). */
  fix?: boolean;
  /** Longest path to encode (default MAX_PATH); longer ones are undecided at once. */
  maxPath?: number;
  /** Time for encoding and checking a long path prefix by prefix (default PATH_BUDGET_MS). */
  pathBudgetMs?: number;
  /** The result of `verify(program, verify)` when the caller has it (a report): saves the first run. */
  verified?: VerifyResult;
}

function base(p: Program, r: VerifyResult, timeoutMs: number, pathBudgetMs: number, maxPath: number): Explanation {
  return {
    name: p.name, section: p.section, type: p.type, verdict: r.verdict, error: r.error, path: [],
    feasible: null, reason: '', check: null, witness: null, replay: null, imprecision: null,
    bound: { maxPathLength: maxPath, wholePathSteps: WHOLE_PATH_STEPS, prefixSteps: PREFIX_STEPS, pathBudgetMs, solverTimeoutMs: timeoutMs, maxPacket: MAX_PACKET }, ms: 0,
  };
}

/**
 * The failing path, and (parsed on demand: only a false alarm needs them) the verifier's abstract
 * registers before each of its steps: from the result's path states (options.pathStates), else
 * from its log.
 */
function failingPath(r: VerifyResult, err: VerifierError): { path: number[]; before: () => (AbsReg | undefined)[][] } | null {
  const path = r.path;
  const ps = r.pathStates;
  if (path?.length && ps && ps.length === path.length && ps.every((s, i) => s.pc === path[i]))
    return { path, before: () => ps.map((s) => regsOfState(s.regs).map(parseReg)) };
  const lp = r.log ? pathFromLog(r.log, err.pc) : null;
  const parsed = (): (AbsReg | undefined)[][] => lp!.before.map((regs) => regs.map(parseReg));
  if (path?.length) return { path, before: lp && sameArray(lp.path, path) ? parsed : () => [] };
  if (!lp) return null;
  return { path: lp.path, before: parsed };
}

function sameArray(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Explains one program (verifying it first). */
export async function explainProgram(program: Program, opts: ExplainOptions = {}): Promise<Explanation> {
  const t0 = performance.now();
  const timeoutMs = opts.timeoutMs ?? SOLVER_TIMEOUT_MS;
  // verify without path states first (states of a 1M-instruction exploration cost more than they tell);
  // a rejection within the bound runs again with the failing path's states (no kernel-format log)
  let r = opts.verified ?? verify(program, { ...opts.verify, log: false, pathStates: false });
  if (r.verdict === 'reject' && r.error && r.processed <= MAX_LOGGED && !r.pathStates && r.log === undefined)
    r = { ...verify(program, { ...opts.verify, log: false, pathStates: true }), ms: r.ms };
  const budget = opts.pathBudgetMs ?? PATH_BUDGET_MS;
  const maxPath = Math.min(opts.maxPath ?? MAX_PATH, MAX_PATH);
  const ex = base(program, r, timeoutMs, budget, maxPath);
  const done = (): Explanation => { ex.ms = Number((performance.now() - t0).toFixed(1)); return ex; };
  if (r.verdict === 'accept' || !r.error) { ex.reason = 'accepted: nothing to explain'; return done(); }
  const err = r.error;
  if (err.kind === 'unsupported') {
    ex.reason = `undecided: the verifier stopped at a construct bpflab does not model (${err.message})`;
    return done();
  }
  if (STATIC_KINDS.has(err.kind) || r.processed === 0) {
    ex.reason = err.kind === 'stack_size'
      ? 'undecided: stack_size is a static rule over the call graph (checked once every path was verified); no input is involved'
      : `undecided: ${err.kind} is a static rule checked before any path is explored; no input is involved`;
    ex.path = [];
    return done();
  }
  if (err.kind === 'too_large' || (r.processed > MAX_LOGGED && !r.path?.length)) {
    ex.reason = err.kind === 'too_large'
      ? `undecided: the verifier gave up after ${r.processed} processed instructions (its complexity limit, not a fault of some input): no failing path to encode`
      : `undecided: the verifier processed ${r.processed} instructions and gave no failing path to encode`;
    return done();
  }
  const fp = failingPath(r, err);
  if (!fp) { ex.reason = 'undecided: the failing path could not be recovered from the verifier'; return done(); }
  ex.path = fp.path;
  ex.sites = faultSites(program, r, fp.path);
  // candidates re-verified while Z3 solves the path (the verifier needs no counterexample)
  let verifiedFixes: VerifiedFix[] | undefined;
  const withFixes = (): Explanation => {
    if (opts.fix && ex.feasible !== null) ex.fixes = replayFixes(verifiedFixes ?? verifyFixes(program, r, ex.path, { ...opts.verify }), err.pc, ex.witness);
    return done();
  };
  if (fp.path.length > maxPath) { ex.reason = `undecided: the failing path has ${fp.path.length} instructions, beyond the bound of ${maxPath}${maxPath < MAX_PATH ? ' (`bpflab explain` checks longer paths prefix by prefix)' : ''}`; return done(); }

  const z3 = await loadZ3();
  z3Loaded = true;
  const T = new Terms(z3.ctx);
  const Z = z3.ctx;
  const check = async (cs: ZB[]): Promise<'sat' | 'unsat' | 'unknown'> => {
    const s = new Z.Solver();
    s.set('timeout', timeoutMs);
    for (const c of cs) s.add(c);
    return s.check();
  };

  const M = new PathMachine(T, program);
  // a path that starts past pc 0 is a global function's, verified on its own for any valid arguments
  const globalEntry = fp.path[0] !== 0 ? fp.before()[0] : undefined;
  const prefixes = new Z.Solver();
  prefixes.set('timeout', timeoutMs);
  let asserted = 0;
  const assertNew = (): boolean => {
    const had = asserted;
    for (; asserted < M.constraints.length; asserted++) prefixes.add(M.constraints[asserted]!);
    return asserted > had;
  };
  const n = fp.path.length;
  const deadline = performance.now() + budget;
  let j: Judgement;
  try {
    if (globalEntry) M.enterGlobalFunction(globalEntry);
    else if (fp.path[0] !== 0) M.undecided(`the path starts at pc ${fp.path[0]} (a function verified on its own) and the verifier's state there is not known`);
    // bounded model checking along a long path: encode it in pieces into one solver and stop at
    // the first prefix no input can follow (the failing step is then unreachable: a false alarm)
    for (let end = n > WHOLE_PATH_STEPS ? PREFIX_STEPS : n - 1; end < n - 1; end = Math.min(end + PREFIX_STEPS, n - 1)) {
      M.advance(fp.path, end);
      if (performance.now() > deadline) {
        ex.reason = `undecided: bound reached: ${end} of the path's ${n} steps encoded and satisfiable within ${budget} ms`;
        return done();
      }
      if (!assertNew()) continue;
      const pre = await prefixes.check();
      if (pre === 'unsat') {
        ex.check = 'rule';
        ex.feasible = false;
        ex.reason = `false alarm: no input takes this path to pc ${err.pc}: its first ${end} of ${n} steps cannot all happen (bounded model checking, prefix by prefix)`;
        return withFixes();
      }
      if (pre === 'unknown') {
        ex.reason = `undecided: bound reached: Z3 gave no answer within ${timeoutMs} ms on the path's first ${end} of ${n} steps`;
        return done();
      }
    }
    M.run(fp.path);
    j = judge(M, err);
  } catch (e) {
    if (!(e instanceof Undecided)) throw e;
    ex.reason = `undecided at pc ${e.pc}: ${e.message}`;
    return done();
  }
  ex.check = j.class;
  // the whole path in a fresh solver: Z3 solves a one-shot query with its bit-vector preprocessing,
  // which the incremental mode the prefix checks put their solver in does without
  const pathSolver = (zeroStacks: boolean) => {
    const s = new Z.Solver();
    s.set('timeout', timeoutMs);
    for (const c of M.constraints) s.add(c);
    if (zeroStacks) for (const c of M.zeroStacks()) s.add(c);
    s.add(j.cond);
    return s;
  };
  // first with the stack zeroed as the VM has it (a witness it can replay)
  let solver = pathSolver(true);
  const checking = solver.check();
  if (opts.fix) {
    // let the check start on Z3's thread, then verify the fix candidates on this one meanwhile
    await new Promise((resolve) => setImmediate(resolve));
    verifiedFixes = verifyFixes(program, r, ex.path, { ...opts.verify });
  }
  let res = await checking;
  // then with never-written stack bytes holding anything, as in the kernel
  let stackGarbage = false;
  if (res === 'unsat') {
    const any = pathSolver(false);
    const r2 = await any.check();
    if (r2 !== 'unsat') { solver = any; res = r2; stackGarbage = r2 === 'sat'; }
  }
  if (res === 'unknown') { ex.reason = `undecided: Z3 gave no answer within ${timeoutMs} ms (${j.what})`; return done(); }
  if (res === 'sat') {
    ex.feasible = true;
    // prefer a short packet: tighten its length while the path stays feasible
    if (M.packet) {
      for (const lim of [0, 16, 64, 256, 1024]) {
        solver.push();
        solver.add(M.packet.initial.len.z.ule(Z.BitVec.val(lim, 64)));
        if ((await solver.check()) === 'sat') break;
        solver.pop();
      }
      await solver.check();
    }
    const model = solver.model();
    ex.witness = buildWitness(M, model);
    if (j.access) {
      const ev = (t: { z: import('../z3-algebra.js').ZT }): string => { const v = model.eval(t.z, true); return Z.isBitVecVal(v) ? String(BigInt.asIntN(64, v.value())) : '?'; };
      ex.access = { region: j.access.region, offset: ev(j.access.offset), size: ev(j.access.size) };
    }
    // the range check_return_code enforces (the verifier's own table, attach types included)
    const range = returnRange(program.type, program.expectedAttachType) ?? undefined;
    const expect: ReplayExpect = { pc: err.pc, memory: j.class === 'memory', ...(j.class === 'return' && range && { returnRange: range }) };
    const acquire = ex.sites.find((s) => s.role === 'acquire');
    if (err.kind === 'reference_leak' && acquire) {
      const name = helperName(program.insns[acquire.pc]!.imm) ?? '';
      expect.leak = { acquirePc: acquire.pc, release: (RELEASERS[name] ?? []).map((h) => helperId(h)).filter((x): x is number => x !== undefined) };
    } else if (j.class === 'rule' || j.class === 'pointer') expect.reach = true;
    if (stackGarbage) {
      // the VM zeroes the stack: it cannot start from the bytes this path needs (nor can a witness name them)
      ex.witness = null;
      ex.access = null;
      ex.reason = `${j.class === 'rule' ? `${j.what}; the path to pc ${err.pc} is feasible` : `real: ${j.what}`} (when stack bytes the program reads before writing them hold earlier data, which the kernel does not clear; no VM replay: the VM starts with a zeroed stack)`;
      return withFixes();
    }
    if (globalEntry) {
      // the VM runs the program from its entry, not the function with the arguments the model chose:
      // no program input to show or replay
      ex.witness = null;
      ex.access = null;
      ex.reason = `${j.class === 'rule' ? `${j.what}; the path to pc ${err.pc} is feasible` : `real: ${j.what}`} (for some arguments the prototype of the global function at pc ${fp.path[0]} allows: the kernel verifies it for any of them; no VM replay, which starts at the program's entry)`;
      return withFixes();
    }
    ex.replay = safeReplay(program, ex.witness, expect);
    if (ex.replay.note?.startsWith('the VM cannot run this witness')) {
      // a feasible path whose witness the VM cannot run is not shown: say so rather than claim a bug unreproduced
      ex.feasible = null;
      ex.reason = `undecided: the path to pc ${err.pc} is feasible, but ${ex.replay.note} (a construct bpflab does not model)`;
      return withFixes();
    }
    const failing = program.insns[err.pc]!;
    if (!ex.replay.reproduced && failing.code === (op.BPF_JMP | op.BPF_CALL) && failing.src === op.BPF_PSEUDO_CALL) {
      // Rejected at a call to a global function that may throw (its exception exit, checked at the
      // call): the witness would have to make the callee reach bpf_throw, a path the search does not follow.
      ex.feasible = null;
      ex.reason = `undecided: the path to pc ${err.pc} is feasible, but the rejection needs the global function it calls to throw, and the witness search does not follow a path inside it (a construct bpflab does not model)`;
      return withFixes();
    }
    ex.reason = j.class === 'rule'
      ? `${j.what}; the path to pc ${err.pc} is feasible`
      : `real: ${j.what}`;
    return withFixes();
  }
  ex.feasible = false;
  ex.reason = j.class === 'rule'
    ? `false alarm: no input takes this path to pc ${err.pc} (${j.what})`
    : `false alarm: ${j.what} is impossible on this path`;
  const before = opts.noImprecision ? [] : fp.before();
  if (before.length === fp.path.length) {
    try {
      ex.imprecision = await findImprecision(T, program, fp.path, before, err, check, Math.max(4, Math.min(200, Math.floor(IMPRECISION_STEPS / n))));
    } catch (e) {
      if (!(e instanceof Undecided)) throw e;
    }
  }
  return withFixes();
}

/** The replay, or why the VM could not run the witness (maps or program types it does not model). */
function safeReplay(program: Program, w: Witness, expect: Parameters<typeof replayWitness>[2]): Replay {
  try {
    return replayWitness(program, w, expect);
  } catch (e) {
    return { engine: 'vm', fault: null, reproduced: false, note: `the VM cannot run this witness: ${e instanceof Error ? e.message : String(e)}` };
  }
}

let z3Loaded = false;

/** Stops Z3's worker threads if explain started them (lets a CLI process exit). */
export async function closeExplain(): Promise<void> {
  if (!z3Loaded) return;
  z3Loaded = false;
  await (await loadZ3()).close();
}

/** Explains every program of a file. */
export async function explainPrograms(programs: readonly Program[], opts: ExplainOptions = {}): Promise<Explanation[]> {
  const out: Explanation[] = [];
  for (const p of programs) out.push(await explainProgram(p, opts));
  return out;
}
