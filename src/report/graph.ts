/**
 * The basic-block graph a report draws: the verifier's CFG when it built one, otherwise (the
 * program was rejected by the structural checks: unreachable insn, jump out of range, ...) a
 * tolerant partition that keeps every instruction so the failing one can still be shown.
 */
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import type { Cfg, EdgeKind } from '../verifier/index.js';

export interface GraphBlock {
  id: string;
  start: number;
  /** Last slot, inclusive (the second slot of a trailing ld_imm64). */
  end: number;
  subprog: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
}

export interface ReportGraph {
  blocks: GraphBlock[];
  edges: GraphEdge[];
  /** Block index of every slot. */
  blockOf: Int32Array;
  /** true when built here because the verifier had no CFG. */
  partial: boolean;
}

export function graphFromCfg(cfg: Cfg): ReportGraph {
  const blocks = cfg.blocks.map((b) => ({ id: b.id, start: b.start, end: b.end, subprog: b.subprog }));
  const edges: GraphEdge[] = cfg.graph.edges().map((e) => ({ from: e.v, to: e.w, kind: cfg.graph.edge(e)?.kind ?? 'fallthrough' }));
  return { blocks, edges, blockOf: cfg.blockOf, partial: false };
}

const isJmp = (c: number): boolean => op.cls(c) === op.BPF_JMP || op.cls(c) === op.BPF_JMP32;

/** Successors of one instruction, keeping only targets inside the program. */
function successors(insns: readonly Insn[], pc: number): { to: number; kind: EdgeKind }[] {
  const n = insns.length;
  const ins = insns[pc]!;
  const next = ins.code === op.BPF_LD_IMM64 ? pc + 2 : pc + 1;
  const out: { to: number; kind: EdgeKind }[] = [];
  if (!isJmp(ins.code)) out.push({ to: next, kind: 'fallthrough' });
  else {
    const o = op.jmpOp(ins.code);
    if (o === op.BPF_EXIT) return [];
    if (o === op.BPF_CALL) {
      out.push({ to: next, kind: 'fallthrough' });
      if (ins.src === op.BPF_PSEUDO_CALL) out.push({ to: pc + 1 + ins.imm, kind: 'call' });
    } else if (o === op.BPF_JA) out.push({ to: pc + 1 + (op.cls(ins.code) === op.BPF_JMP32 ? ins.imm : ins.off), kind: 'jump' });
    else out.push({ to: next, kind: 'fallthrough' }, { to: pc + 1 + ins.off, kind: 'taken' });
  }
  return out.filter((e) => e.to >= 0 && e.to < n);
}

/** Basic blocks of a program the verifier could not build a CFG for. */
export function fallbackGraph(insns: readonly Insn[]): ReportGraph {
  const n = insns.length;
  const second = new Uint8Array(n);
  for (let pc = 0; pc < n; pc++) if (insns[pc]!.code === op.BPF_LD_IMM64) { if (pc + 1 < n) second[pc + 1] = 1; pc++; }
  const leader = new Uint8Array(n);
  if (n) leader[0] = 1;
  for (let pc = 0; pc < n; pc++) {
    if (second[pc]) continue;
    const ins = insns[pc]!;
    if (!isJmp(ins.code)) continue;
    if (op.jmpOp(ins.code) === op.BPF_CALL && ins.src !== op.BPF_PSEUDO_CALL) continue;
    const next = pc + 1;
    if (next < n) leader[next] = 1;
    for (const e of successors(insns, pc)) if (!second[e.to]) leader[e.to] = 1;
  }
  const blocks: GraphBlock[] = [];
  const blockOf = new Int32Array(n).fill(-1);
  for (let pc = 0; pc < n; pc++) {
    if (leader[pc] && !second[pc]) blocks.push({ id: `b${pc}`, start: pc, end: pc, subprog: 0 });
    const b = blocks[blocks.length - 1]!;
    b.end = pc;
    blockOf[pc] = blocks.length - 1;
  }
  const edges: GraphEdge[] = [];
  for (const b of blocks) {
    const lastPc = second[b.end] ? b.end - 1 : b.end;
    for (const e of successors(insns, lastPc)) {
      const to = blocks[blockOf[e.to]!];
      if (to) edges.push({ from: b.id, to: to.id, kind: e.kind });
    }
  }
  return { blocks, edges, blockOf, partial: true };
}
