/**
 * The control-flow graph the JIT lays out: a program's bpf-to-bpf subprograms (entry 0 and
 * every target of a `call pc+N` or BPF_PSEUDO_FUNC ld_imm64), each split into basic blocks.
 */
import { InputError } from '../isa/errors.js';
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';

export type Terminator =
  | { kind: 'cond'; taken: number; fall: number }
  | { kind: 'jump'; target: number }
  | { kind: 'exit' }
  /** Execution runs past the subprogram's last instruction (only in unverified programs). */
  | { kind: 'off_end'; pc: number };

export interface BasicBlock {
  /** Block index within its subprogram. */
  id: number;
  start: number;
  /** One past the last slot (an ld_imm64 counts two). */
  end: number;
  /** pc of the terminating jump/exit, or -1 when the block falls through. */
  termPc: number;
  term: Terminator;
  succs: number[];
  preds: number[];
}

export interface Subprog {
  /** Subprogram index (0 = main program). */
  index: number;
  start: number;
  end: number;
  blocks: BasicBlock[];
  /** Block index by pc of its first insn. */
  blockAt: Map<number, number>;
}

export interface Cfg {
  subprogs: Subprog[];
  /** Subprogram index by entry pc. */
  subprogAt: Map<number, number>;
}

function isJump(ins: Insn): boolean {
  const c = op.cls(ins.code);
  if (c !== op.BPF_JMP && c !== op.BPF_JMP32) return false;
  const o = op.jmpOp(ins.code);
  return o !== op.BPF_CALL;
}

/** Relative target of a jump (JA32 uses imm, everything else off). */
export function branchTarget(ins: Insn, pc: number): number {
  if (op.cls(ins.code) === op.BPF_JMP32 && op.jmpOp(ins.code) === op.BPF_JA) return pc + 1 + ins.imm;
  return pc + 1 + ins.off;
}

export function buildCfg(insns: readonly Insn[]): Cfg {
  const n = insns.length;
  const entries = new Set<number>([0]);
  for (let pc = 0; pc < n; pc++) {
    const ins = insns[pc]!;
    if (ins.code === op.BPF_LD_IMM64) {
      if (ins.src === op.BPF_PSEUDO_FUNC) addEntry(entries, pc + 1 + ins.imm, pc, n);
      pc++;
      continue;
    }
    if (ins.code === (op.BPF_JMP | op.BPF_CALL) && ins.src === op.BPF_PSEUDO_CALL) addEntry(entries, pc + 1 + ins.imm, pc, n);
  }
  const starts = [...entries].sort((a, b) => a - b);
  const subprogs: Subprog[] = [];
  const subprogAt = new Map<number, number>();
  starts.forEach((start, index) => {
    const end = starts[index + 1] ?? n;
    subprogAt.set(start, index);
    subprogs.push(splitBlocks(insns, index, start, end));
  });
  return { subprogs, subprogAt };
}

function addEntry(entries: Set<number>, target: number, pc: number, n: number): void {
  if (target < 0 || target >= n) throw new InputError('jump_out_of_range', `insn ${pc}: call target ${target} outside the program`);
  entries.add(target);
}

function splitBlocks(insns: readonly Insn[], index: number, start: number, end: number): Subprog {
  const leaders = new Set<number>([start]);
  for (let pc = start; pc < end; pc++) {
    const ins = insns[pc]!;
    if (ins.code === op.BPF_LD_IMM64) { pc++; continue; }
    if (!isJump(ins)) continue;
    if (op.jmpOp(ins.code) !== op.BPF_EXIT) {
      const t = branchTarget(ins, pc);
      if (t < start || t >= end)
        throw new InputError('jump_out_of_range', `insn ${pc}: jump to ${t} leaves its subprogram [${start}, ${end})`);
      leaders.add(t);
    }
    if (pc + 1 < end) leaders.add(pc + 1);
  }
  // A synthetic empty block at `end` stands for "execution ran off the subprogram's end".
  let needsOffEnd = false;
  for (let pc = start; pc < end; pc++) {
    const ins = insns[pc]!;
    if (ins.code === op.BPF_LD_IMM64) { if (pc + 2 >= end) needsOffEnd = true; pc++; continue; }
    if (pc + 1 === end && !(isJump(ins) && (op.jmpOp(ins.code) === op.BPF_EXIT || op.jmpOp(ins.code) === op.BPF_JA))) needsOffEnd = true;
  }
  if (needsOffEnd) leaders.add(end);
  const sorted = [...leaders].sort((a, b) => a - b);
  const blockAt = new Map<number, number>();
  sorted.forEach((s, i) => blockAt.set(s, i));
  const blocks: BasicBlock[] = sorted.map((s, id) => {
    if (s === end) return { id, start: s, end: s, termPc: -1, term: { kind: 'off_end', pc: end }, succs: [], preds: [] };
    const stop = Math.min(sorted[id + 1] ?? end, end);
    // Find the last instruction slot of [s, stop), skipping the second half of ld_imm64.
    let last = s;
    for (let pc = s; pc < stop; pc++) {
      last = pc;
      if (insns[pc]!.code === op.BPF_LD_IMM64) pc++;
    }
    const li = insns[last]!;
    let term: Terminator;
    let termPc = -1;
    if (isJump(li)) {
      termPc = last;
      const o = op.jmpOp(li.code);
      if (o === op.BPF_EXIT) term = { kind: 'exit' };
      else if (o === op.BPF_JA) term = { kind: 'jump', target: blockAt.get(branchTarget(li, last))! };
      else term = { kind: 'cond', taken: blockAt.get(branchTarget(li, last))!, fall: blockAt.get(stop)! };
    } else {
      term = { kind: 'jump', target: blockAt.get(stop)! };
    }
    return { id, start: s, end: stop, termPc, term, succs: [], preds: [] };
  });
  for (const b of blocks) {
    const t = b.term;
    if (t.kind === 'cond') b.succs.push(t.taken, t.fall);
    else if (t.kind === 'jump') b.succs.push(t.target);
    for (const s of b.succs) blocks[s]!.preds.push(b.id);
  }
  return { index, start, end, blocks, blockAt };
}
