/**
 * Instruction-level minimisation after fast-check's shrinking (which works on the generators'
 * structure, fragment by fragment, and so stops at programs made of whole fragments): delta
 * debugging over the instruction list -- remove chunks of instructions (halving the chunk size
 * down to one), retargeting jumps across the removed range, and keep a removal whenever the
 * finding's signature still shows. Deterministic: the same program and predicate give the same
 * result; bounded by a step budget (and a deadline, which only a time limit makes nondeterministic).
 */
import { type Insn, withInsn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { makeProgram, type Program } from '../isa/program.js';

/** Whether the instruction has a pc-relative target in `off` (jumps) or `imm` (gotol, local calls). */
function relTarget(i: Insn): 'off' | 'imm' | null {
  const c = op.cls(i.code);
  if (c !== op.BPF_JMP && c !== op.BPF_JMP32) return null;
  const j = op.jmpOp(i.code);
  if (j === op.BPF_EXIT) return null;
  if (j === op.BPF_CALL) return i.src === op.BPF_PSEUDO_CALL ? 'imm' : null;
  if (j === op.BPF_JA && c === op.BPF_JMP32) return 'imm'; // gotol
  return 'off';
}

/** Which slots are the second half of an ld_imm64 pair. */
function secondSlots(insns: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length);
  for (let pc = 0; pc + 1 < insns.length; pc++) if (insns[pc]!.code === op.BPF_LD_IMM64) out[++pc] = 1;
  return out;
}

/** `insns` without [from, to), jumps retargeted (a jump into the removed range lands where it was); null if that splits an ld_imm64 pair or an offset overflows. */
export function removeRange(insns: readonly Insn[], from: number, to: number): Insn[] | null {
  const second = secondSlots(insns);
  if (second[from] || (to < insns.length && second[to])) return null;
  const k = to - from;
  const map = (t: number): number => (t < from ? t : t < to ? from : t - k);
  const out: Insn[] = [];
  for (let pc = 0; pc < insns.length; pc++) {
    if (pc >= from && pc < to) continue;
    const i = insns[pc]!;
    const f = second[pc] ? null : relTarget(i);
    if (f === null) { out.push(i); continue; }
    const rel = f === 'off' ? i.off : i.imm;
    const nrel = map(pc + 1 + rel) - (map(pc) + 1);
    if (f === 'off' && (nrel < -32768 || nrel > 32767)) return null;
    out.push(f === 'off' ? withInsn(i, { off: nrel }) : withInsn(i, { imm: nrel }));
  }
  return out;
}

export interface MinimiseOptions {
  /** Predicate evaluations allowed (default 400). */
  steps?: number;
  /** performance.now() after which to stop (default none). */
  deadline?: number;
  now?: () => number;
}

/**
 * The smallest program reached by removing instruction chunks while `keeps` holds; `keeps` is
 * called with candidate programs only (the input program is assumed to satisfy it).
 */
export function minimiseInsns(program: Program, keeps: (p: Program) => boolean, o: MinimiseOptions = {}): { program: Program; steps: number; cut: boolean } {
  let steps = 0;
  const budget = o.steps ?? 400;
  const deadline = o.deadline ?? Infinity;
  const now = o.now ?? (() => performance.now());
  let cur = program;
  let cut = false;
  const tryOne = (cand: Insn[]): boolean => {
    if (steps >= budget) return false;
    if (now() > deadline) { cut = true; return false; }
    steps++;
    const p: Program = makeProgram({ ...cur, insns: cand });
    if (!keeps(p)) return false;
    cur = p;
    return true;
  };
  for (let chunk = Math.max(1, cur.insns.length >> 1); ; ) {
    let progress = false;
    for (let from = 0; from + chunk <= cur.insns.length && steps < budget && !cut; ) {
      const cand = removeRange(cur.insns, from, from + chunk);
      if (cand && cand.length > 0 && tryOne(cand)) progress = true; // same `from`: the next chunk slid into place
      else from += chunk;
    }
    if (steps >= budget || cut) break;
    if (!progress) {
      if (chunk === 1) break;
      chunk >>= 1;
    }
  }
  return { program: cur, steps, cut };
}
