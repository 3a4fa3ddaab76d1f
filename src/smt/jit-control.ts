/**
 * Proof obligations for the control flow between the JIT's templates: that the structured
 * WebAssembly the JIT lays out (src/jit/cfg.ts + structure.ts: blocks, loops, br/br_if, if/else
 * and the br_table dispatch loop for irreducible graphs) enters, after each basic block, the block
 * of the instruction the VM executes next. The JIT's own `buildCfg` and `emitStructured` lay out a
 * program; the per-block code is replaced by probes (the templates themselves are proven in
 * jit-templates.ts, jit-calls.ts, ...): a block's body reports its first pc to an import that
 * checks it against the pc the VM goes to, and its condition is a fresh unknown i32 per visit,
 * from which the probe also records the VM's successor: decodeProgram's jump target (the VM's own
 * decoder: pc + 1 + off, JA32's imm) when non-zero, the next instruction when zero. Every path of
 * up to `LOOP_BOUND` iterations of each wasm loop is explored (bounded: a loop body's code is the
 * same in every iteration, so each edge is checked on its first traversal), and no path may fall
 * off the laid-out code (the final `unreachable`).
 */
import { assemble } from '../isa/asm/index.js';
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { buildCfg } from '../jit/cfg.js';
import { emitStructured } from '../jit/structure.js';
import { Code, I32 } from '../jit/wasm/index.js';
import { decodeProgram } from '../vm/decoded.js';
import type { Obligation } from './obligation.js';
import { jitObligation } from './jit-templates.js';
import { WasmSymbolic, type ImportModel } from './wasm-sym.js';
import type { Z3Ctx, ZB } from './z3-algebra.js';

/** Loop iterations explored per wasm loop. */
const LOOP_BOUND = 3;

/** Control-flow shapes: each exercises one way the layout transfers control. */
export const CONTROL_SHAPES: Record<string, string> = {
  // if/else with a merge node (wasm if/else, then a block the arms br out of)
  diamond: `
    if r1 > r2 goto a
    r0 = 1
    goto m
  a: r0 = 2
  m: exit`,
  // a merge node with three forward predecessors and a jump over it (nested blocks, br depths)
  merge3: `
    if r1 == 0 goto m
    if r2 s> 3 goto m
    w1 = 5
    if w1 != w2 goto x
  m: r0 = 1
  x: exit`,
  // a while loop (wasm loop, back edge br to it; the exit br_if)
  loop: `
    r0 = 0
  h: if r1 == 0 goto out
    r0 += 1
    r1 -= 1
    goto h
  out: exit`,
  // two nested loops, the inner one leaving to the outer header
  nested: `
  o: if r1 == 0 goto out
    r2 = 3
  i: if r2 == 0 goto next
    r2 -= 1
    goto i
  next: r1 -= 1
    goto o
  out: exit`,
  // a loop with a break and a continue in its body, and a conditional back edge
  breakcont: `
  h: r1 += 1
    if r1 & 1 goto h
    if r1 > 10 goto out
    if w1 < 4 goto h
    r0 = r1
    if r0 != 7 goto h
  out: exit`,
  // a conditional jump whose target is the next instruction (taken = fall-through), JMP32 and
  // gotol (JA with a 32-bit offset), a may_goto
  edges: `
    if r1 == 0 goto pc+0
    gotol pc+1
    r0 = 1
    if w1 s>= w2 goto pc+1
    r0 = 2
    may_goto pc+1
    r0 = 3
    exit`,
  // an irreducible loop (two entries): the br_table dispatch loop
  irreducible: `
    if r1 == 0 goto b
  a: r1 += 1
    if r1 > 9 goto out
  b: r1 += 2
    if r1 < 20 goto a
  out: exit`,
};

/**
 * The layout of subprogram `index` of `insns` with probes: E (the expected pc) checked at every
 * block entry, set from the VM's decoder at every block's end. Returns the negated goals and the
 * layout's kind.
 */
export function layoutGoals(Z: Z3Ctx, insns: readonly Insn[], index = 0): { goals: ZB[]; kind: 'structured' | 'dispatch' } {
  const program = { name: 'cf', section: '', type: 'socket_filter' as const, insns: [...insns], maps: [], license: 'GPL' };
  const D = decodeProgram(program, 22);
  const sp = buildCfg(insns).subprogs[index]!;
  const c = new Code(0);
  const types: ('i32' | 'i64')[] = [];
  const E = c.local(I32), V = c.local(I32);
  types.push('i32', 'i32');
  const MARK = 0, COND = 1;
  /** The pc the VM executes after the block's last instruction when it does not jump. */
  const nextPc = (start: number, end: number): number => {
    let last = start;
    for (let pc = start; pc < end; pc++) { last = pc; if (insns[pc]!.code === op.BPF_LD_IMM64) pc++; }
    return insns[last]!.code === op.BPF_LD_IMM64 ? last + 2 : last + 1;
  };
  const layout = emitStructured(sp, c, {
    body(b) {
      c.i32(b.start).call(MARK);
      if (b.term.kind === 'jump') c.i32(b.termPc >= 0 ? D.tgt[b.termPc]! : nextPc(b.start, b.end)).set(E);
    },
    cond(b) {
      c.call(COND).set(V);
      c.i32(D.tgt[b.termPc]!).i32(b.termPc + 1).get(V).op(0x1b /* select */).set(E);
      c.get(V);
    },
    exit() { c.op(0x0f /* return */); },
    offEnd() { c.op(0x0f); },
  }, () => { types.push('i32'); return c.local(I32); });
  const bad: ZB[] = [];
  const entered = new Set<number>();
  let fresh = 0;
  const imports = new Map<number, ImportModel>([
    [MARK, { params: ['i32'], results: [], effect: ([pc], s) => {
      if (Z.isBitVecVal(pc!)) entered.add(Number(pc.value()));
      bad.push(Z.And(s.live, Z.Not(s.locals.get(E)!.v.eq(pc!))));
      return { results: [] };
    } }],
    [COND, { params: [], results: ['i32'], effect: () => ({ results: [Z.BitVec.const(`cond${fresh++}`, 32)] }) }],
  ]);
  const ws = new WasmSymbolic(Z, { imports, loopBound: LOOP_BOUND });
  const s = ws.run(c.w.view(), ws.state(new Map([[E, { type: 'i32', v: Z.BitVec.val(sp.start, 32) }]])), (i) => types[i]!);
  // every block reachable in the graph is entered by the explored code (the probes saw them all)
  const missed = layout.order.map((b) => sp.blocks[b]!.start).filter((pc) => !entered.has(pc));
  if (missed.length) throw new Error(`control-flow probe: blocks at ${missed.join(', ')} never entered`);
  return { goals: [...bad, s.trap, ...ws.exits.map((x) => x.state.trap)], kind: layout.kind };
}

function shapeGoals(Z: Z3Ctx, name: string, text: string): ZB[] {
  const { goals, kind } = layoutGoals(Z, assemble(text).insns);
  if ((name === 'irreducible') !== (kind === 'dispatch')) throw new Error(`control-flow shape ${name} laid out as ${kind}`);
  return goals;
}

export function controlObligations(): Obligation[] {
  return Object.entries(CONTROL_SHAPES).map(([name, text]) => jitObligation(`jit.cf.${name}`, (Z) => shapeGoals(Z, name, text)));
}
