/**
 * For a false alarm: the instruction where the verifier's abstract state first admitted values
 * that matter for the failure but that the real path cannot produce.
 *
 * Let S_i be the verifier's registers before path[i]. F(i) asks: run the real path up to i, then
 * forget the registers' real values and keep only what S_i says about them (γ(S_i)), run the rest
 * of the path concretely and ask whether the failure is possible. F(end) is true (that is why the
 * verifier rejected); F(0) is the real question, false for a false alarm. The largest i with F(i)
 * false marks path[i] as the imprecise step: before it the verifier still knew enough, after it
 * (S_{i+1}) it did not. Its registers are reported both ways: the abstract set and the values the
 * real path can give (Z3 minimum/maximum on the path prefix).
 */
import type { Program } from '../../isa/program.js';
import type { VerifierError } from '../../verifier/index.js';
import { gamma, type AbsReg, describeScalar } from './abstract.js';
import { judge } from './judge.js';
import { PathMachine } from './machine.js';
import type { Terms, Term } from './terms.js';
import type { Val } from './values.js';
import type { ZB } from '../z3-algebra.js';
import { buildCfg } from '../../verifier/index.js';
import { classifyLoss, type LossClass } from './loss.js';

export interface Imprecision {
  pc: number;
  /** The verifier's registers after that instruction (the ones that matter), log text and sets. */
  abstract: string;
  /** What the real path can produce there (under all of the path's branches). */
  concrete: string;
  /** Why the fact was lost (lost relation, join, spill/fill, 32-bit truncation, helper return, ...). */
  cls?: LossClass;
  /** The class in words, naming registers and instructions. */
  why?: string;
  /** The instructions involved (the imprecise one first). */
  pcs?: number[];
}

type Check = (constraints: ZB[]) => Promise<'sat' | 'unsat' | 'unknown'>;

/** Replaces the current frame's registers by fresh values constrained to the verifier's abstract set. */
function abstractify(M: PathMachine, regs: readonly (AbsReg | undefined)[], only?: number): void {
  const T = M.T;
  const f = M.frame;
  const linked = new Map<number, Term>();
  for (let r = 0; r < 10; r++) {
    if (only !== undefined && r !== only) continue;
    const a = regs[r];
    const v = f.regs[r]!;
    if (!a) continue;
    if (a.kind === 'scalar' && v.k === 'scalar') {
      // registers with one id are one value to the verifier: keep them equal
      let x = a.id ? linked.get(a.id) : undefined;
      if (!x) {
        x = T.var(`abs_r${r}`);
        M.constraints.push(gamma(T, a.s, x));
        if (a.id) linked.set(a.id, x);
      }
      f.regs[r] = { k: 'scalar', t: x };
    } else if (a.kind === 'ptr' && v.k === 'ptr' && a.v.mask !== 0n) {
      const x = T.var(`abs_r${r}_off`);
      M.constraints.push(gamma(T, a.v, x));
      f.regs[r] = { ...v, off: T.addk(x, a.off) };
    }
  }
}

/** A path machine for the path (entering a global function verified on its own as the verifier does). */
function machineFor(T: Terms, program: Program, path: readonly number[], before: readonly (readonly (AbsReg | undefined)[])[]): PathMachine {
  const M = new PathMachine(T, program);
  if (path[0] !== 0 && before[0]) M.enterGlobalFunction(before[0]);
  return M;
}

/** F(i): is the failure possible from γ(S_i) (registers `only`, or all) followed by the real rest of the path? */
async function feasibleFrom(T: Terms, program: Program, path: readonly number[], before: readonly (readonly (AbsReg | undefined)[])[], i: number, err: VerifierError, check: Check, only?: number): Promise<boolean | null> {
  const M = machineFor(T, program, path, before);
  try {
    M.run(path, (k) => { if (k === i) abstractify(M, before[k]!, only); });
    const j = judge(M, err);
    const res = await check([...M.constraintsFrom(i), j.cond]);
    return res === 'sat' ? true : res === 'unsat' ? false : null;
  } catch {
    return null;
  }
}

/** Real unsigned and signed extremes of t under the constraints. */
async function extremes(T: Terms, t: Term, constraints: ZB[]): Promise<string> {
  if (t.c !== undefined) return `{${BigInt.asIntN(64, t.c)}}`;
  const Z = T.Z;
  const out: string[] = [];
  for (const signed of [false, true]) {
    const bounds: bigint[] = [];
    for (const dir of ['min', 'max'] as const) {
      const opt = new Z.Optimize();
      opt.set('timeout', 5000);
      for (const c of constraints) opt.add(c);
      const target = signed ? t.z.add(Z.BitVec.val(1n << 63n, 64)) : t.z; // bias: signed order as unsigned
      if (dir === 'min') opt.minimize(target); else opt.maximize(target);
      if ((await opt.check()) !== 'sat') return 'unknown';
      const v = opt.model().eval(t.z, true);
      bounds.push(Z.isBitVecVal(v) ? (signed ? BigInt.asIntN(64, v.value()) : v.value()) : 0n);
    }
    if (bounds[0] === bounds[1]) return `{${BigInt.asIntN(64, bounds[0]!)}}`;
    out.push(`${signed ? 's64' : 'u64'} [${bounds[0]}, ${bounds[1]}]`);
  }
  return out[0] === out[1]?.replace('s64', 'u64') ? out[0]! : out.join(', ');
}

function regsWritten(before: readonly (AbsReg | undefined)[], after: readonly (AbsReg | undefined)[]): number[] {
  const out: number[] = [];
  for (let r = 0; r < 10; r++) if (before[r]?.text !== after[r]?.text && after[r]) out.push(r);
  return out;
}

/**
 * Finds the imprecise instruction. `before[i]` = the verifier's registers before path[i]
 * (parsed); scans from the failing instruction backwards (bounded by `maxScan` checks).
 */
export async function findImprecision(
  T: Terms, program: Program, path: readonly number[], before: readonly (readonly (AbsReg | undefined)[])[],
  err: VerifierError, check: Check, maxScan = 200,
): Promise<Imprecision | null> {
  const found = await locate(T, program, path, before, err, check, maxScan);
  if (!found) return null;
  const { imp, index, regs } = found;
  let loops: Uint8Array | undefined;
  try { loops = buildCfg(program.insns).loopHead; } catch { loops = undefined; }
  const loss = classifyLoss(program, path, before, index, regs, loops);
  // equal ranges are not a loss of range: the loss is the relation between registers
  if (imp.sameBounds && loss.cls !== 'lost_relation') {
    loss.cls = 'lost_relation';
    loss.why = `the verifier's bounds of ${regs.map((r) => `R${r}`).join(', ')} equal the real ones; what it lost at insn ${imp.pc} is their relation to the registers they came from (it keeps one range per register and links only plain copies)`;
  }
  const { sameBounds: _same, ...out } = imp;
  return { ...out, cls: loss.cls, why: loss.why, pcs: loss.pcs };
}

async function locate(
  T: Terms, program: Program, path: readonly number[], before: readonly (readonly (AbsReg | undefined)[])[],
  err: VerifierError, check: Check, maxScan: number,
): Promise<{ imp: Imprecision & { sameBounds?: boolean }; index: number; regs: number[] } | null> {
  const n = path.length;
  let found = -1;
  for (let i = n - 1; i >= 0 && n - 1 - i < maxScan; i--) {
    const f = await feasibleFrom(T, program, path, before, i, err, check);
    if (f === null) return null;
    if (!f) { found = i; break; }
  }
  if (found < 0) return null;
  // the failing step itself: the verifier's own check is where it over-approximates
  if (found === n - 1) {
    const regs = before[n - 1]!;
    const M = machineFor(T, program, path, before);
    M.run(path);
    const shown = describeRegs(regs, [...Array(10).keys()].filter((r) => regs[r]?.kind === 'scalar' || (regs[r]?.kind === 'ptr' && (regs[r] as { v: { mask: bigint } }).v.mask !== 0n)));
    // the registers agree with the real values here: the loss is in the check, not in a range
    return { index: n - 1, regs: [], imp: { pc: path[n - 1]!, abstract: `its check at this instruction${shown ? ` (with ${shown})` : ''}`, concrete: 'no value this path can produce makes the step fail' } };
  }
  // registers that changed across path[found]; prefer those whose abstraction alone makes the failure possible
  const after = before[found + 1]!;
  let regs = regsWritten(before[found]!, after);
  const culprits: number[] = [];
  for (const r of regs) if (await feasibleFrom(T, program, path, before, found + 1, err, check, r)) culprits.push(r);
  if (culprits.length) regs = culprits;
  const M = machineFor(T, program, path, before);
  for (let k = 0; k <= found; k++) M.step(path[k]!, path[k + 1]!);
  if ((await check(M.constraints)) === 'unsat') {
    // no real execution reaches this point along the path: compare with the exact image of the verifier's own previous state
    const M2 = machineFor(T, program, path, before);
    for (let k = 0; k <= found; k++) {
      if (k === found) abstractify(M2, before[k]!);
      M2.step(path[k]!, path[k + 1]!);
    }
    const cs = M2.constraintsFrom(found);
    let text: string;
    let same = false;
    if ((await check(cs)) === 'unsat') text = `no state the verifier allowed before pc ${path[found]} goes on to pc ${path[found + 1]}`;
    else {
      same = await sameBounds(T, M2.frame.regs, after, regs, cs);
      text = same
        ? `the same bounds as the verifier's (the exact result of this instruction on its previous state; no real execution reaches it on this path)`
        : (await concreteText(T, M2, M2.frame.regs, regs, cs)).replace(/ on this path$/, ' (the exact result of this instruction on the verifier\'s previous state; no real execution reaches it on this path)');
    }
    return { index: found, regs, imp: { pc: path[found]!, abstract: describeRegs(after, regs) || 'the verifier lets the path go on', concrete: text, sameBounds: same } };
  }
  // the real values right after the step, under every branch of the whole path (later checks included)
  const F = machineFor(T, program, path, before);
  F.run(path);
  const vals = F.records[found + 1]?.regs ?? M.frame.regs;
  const same = await sameBounds(T, vals, after, regs, F.constraints);
  const concrete = same
    ? `the same bounds as the verifier's on this path: ${await concreteText(T, F, vals, regs, F.constraints)}`.replace(/ on this path$/, '')
    : await concreteText(T, F, vals, regs, F.constraints);
  return { index: found, regs, imp: { pc: path[found]!, abstract: describeRegs(after, regs), concrete: concrete.replace(/ on this path$/, ' on this path (all its branches)'), sameBounds: same } };
}

/** Whether each register's real extremes equal the abstract bounds (then the loss is relational). */
async function sameBounds(T: Terms, vals: readonly Val[], after: readonly (AbsReg | undefined)[], regs: number[], cs: ZB[]): Promise<boolean> {
  for (const r of regs) {
    const a = after[r];
    const v = vals[r];
    if (!a || a.kind !== 'scalar' || !v || v.k !== 'scalar') return false;
    const want = a.s.mask === 0n ? `{${BigInt.asIntN(64, a.s.value)}}` : undefined;
    const got = await extremes(T, v.t, cs);
    if (want !== undefined ? got !== want : !got.startsWith(`u64 [${a.s.umin}, ${a.s.umax}]`)) return false;
  }
  return regs.length > 0;
}

function describeRegs(regs: readonly (AbsReg | undefined)[], which: number[]): string {
  const parts: string[] = [];
  for (const r of which) {
    const a = regs[r];
    if (!a) continue;
    if (a.kind === 'scalar') parts.push(`R${r}=${a.text}: ${describeScalar(a.s)}`);
    else if (a.kind === 'ptr') parts.push(`R${r}=${a.text}: offset ${a.off} + ${describeScalar(a.v)}`);
    else parts.push(`R${r}=${a.text}`);
  }
  return parts.join('; ');
}

async function concreteText(T: Terms, _M: PathMachine, vals: readonly Val[], which: number[], constraints: ZB[]): Promise<string> {
  const parts: string[] = [];
  for (const r of which) {
    const v = vals[r];
    if (!v) continue;
    if (v.k === 'scalar') parts.push(`R${r}: ${await extremes(T, v.t, constraints)}`);
    else if (v.k === 'ptr') parts.push(`R${r}: ${v.region.label} + ${await extremes(T, v.off, constraints)}`);
  }
  return parts.length ? parts.join('; ') + ' on this path' : 'no value the failure needs';
}
