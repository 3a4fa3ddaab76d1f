/**
 * Structured control flow from an eBPF control-flow graph, so that the wasm mirrors the
 * program's CFG and V8 optimises it like ordinary loops and branches.
 *
 * Reducible graphs (every retreating edge targets a dominator: all compiler output) are laid
 * out with the dominator-tree method of Ramsey, "Beyond Relooper" (ICFP 2022): blocks in
 * reverse postorder; a node with several forward in-edges (a merge node) becomes the code
 * after a wasm `block` that its predecessors `br` out of; a loop header is wrapped in a wasm
 * `loop` that back edges `br` to; any other node is inlined at its only forward predecessor.
 * Irreducible graphs fall back to a dispatch loop: a `br_table` over basic blocks inside one
 * `loop`.
 */
import { InputError } from '../isa/errors.js';
import type { Code } from './wasm/module.js';
import type { BasicBlock, Subprog } from './cfg.js';
import { plantedJitBugs } from './planted.js';

/** What the code generator supplies for each basic block. */
export interface BlockEmitter {
  /** Straight-line code of the block (everything except its terminator). */
  body(b: BasicBlock): void;
  /** Pushes an i32: non-zero when the block's conditional jump is taken. */
  cond(b: BasicBlock): void;
  /** Returns from the function (an `exit`). */
  exit(b: BasicBlock): void;
  /** Execution ran off the end of the subprogram: must not fall through (trap or throw). */
  offEnd(b: BasicBlock): void;
}

export interface Layout {
  /** Blocks reachable from the entry, in reverse postorder. */
  order: number[];
  /** "structured" or "dispatch" (irreducible graph). */
  kind: 'structured' | 'dispatch';
}

/** Deepest dominator tree laid out as nested wasm blocks (the layout recurses a few frames per level). */
const MAX_STRUCTURED_DEPTH = 1000;
/** V8's largest br_table (kV8MaxWasmFunctionBrTableSize). */
const MAX_BR_TABLE = 65520;


/** Depth of the dominator tree: blocks in reverse postorder see their idom first. */
function domTreeDepth(order: readonly number[], idom: ArrayLike<number>): number {
  const depth = new Map<number, number>();
  let max = 0;
  order.forEach((b, i) => {
    const d = i === 0 ? 0 : (depth.get(idom[b]!) ?? 0) + 1;
    depth.set(b, d);
    if (d > max) max = d;
  });
  return max;
}

type Ctx = { kind: 'loop'; header: number } | { kind: 'block'; follow: number } | { kind: 'if' };

/** Emits the body of one wasm function for `sp`. Every path ends in a return or a trap. */
export function emitStructured(sp: Subprog, code: Code, em: BlockEmitter, dispatchLocal: () => number): Layout {
  const blocks = sp.blocks;
  const order = reversePostorder(blocks);
  const rpo = new Int32Array(blocks.length).fill(-1);
  order.forEach((b, i) => { rpo[b] = i; });
  const idom = dominators(blocks, order, rpo);
  const dominates = (a: number, b: number): boolean => {
    for (let x = b; ; x = idom[x]!) {
      if (x === a) return true;
      if (x === order[0]) return false;
    }
  };
  let reducible = true;
  const forwardIn = new Int32Array(blocks.length);
  const loopHeader = new Uint8Array(blocks.length);
  for (const u of order) {
    for (const v of blocks[u]!.succs) {
      if (rpo[v]! > rpo[u]!) forwardIn[v]!++;
      else {
        loopHeader[v] = 1;
        if (!dominates(v, u)) reducible = false;
      }
    }
  }
  // The structured layout recurses along the dominator tree; the dispatch loop compiles too slowly
  // for such functions in V8: a very deep tree (a 20,000-branch chain) is refused with a reason.
  const depth = domTreeDepth(order, idom);
  if (depth > MAX_STRUCTURED_DEPTH)
    throw new InputError('unsupported', `jit: control flow nested ${depth} deep (more than ${MAX_STRUCTURED_DEPTH}) is not compiled; run it on the VM (--engine vm)`);
  if (!reducible) {
    if (order.length > MAX_BR_TABLE)
      throw new InputError('unsupported', `jit: ${order.length} basic blocks in an irreducible function need a dispatch table larger than WebAssembly allows (${MAX_BR_TABLE}); run it on the VM (--engine vm)`);
    emitDispatch(blocks, order, code, em, dispatchLocal());
    return { order, kind: 'dispatch' };
  }
  // Dominator-tree children that are merge nodes, sorted by descending RPO number.
  const mergeChildren: number[][] = blocks.map(() => []);
  for (const b of order) if (b !== order[0] && forwardIn[b]! >= 2) mergeChildren[idom[b]!]!.push(b);
  for (const l of mergeChildren) l.sort((a, b) => rpo[b]! - rpo[a]!);

  const ctx: Ctx[] = [];
  const depthOf = (pred: (c: Ctx) => boolean): number => {
    for (let i = ctx.length - 1; i >= 0; i--) if (pred(ctx[i]!)) return ctx.length - 1 - i;
    throw new Error('jit: structured layout lost a branch target');
  };
  /** The depth to br to for x->t, or -1 when t is inlined here. */
  const brDepth = (x: number, t: number): number => {
    if (rpo[t]! <= rpo[x]!) return depthOf((c) => c.kind === 'loop' && c.header === t);
    if (forwardIn[t]! >= 2) return depthOf((c) => c.kind === 'block' && c.follow === t);
    return -1;
  };
  const doBranch = (x: number, t: number): void => {
    const d = brDepth(x, t);
    if (d >= 0) code.br(d);
    else doTree(t);
  };
  const doTree = (x: number): void => {
    if (loopHeader[x]) {
      code.loop();
      ctx.push({ kind: 'loop', header: x });
      nodeWithin(x, mergeChildren[x]!, 0);
      ctx.pop();
      code.end();
    } else nodeWithin(x, mergeChildren[x]!, 0);
  };
  const nodeWithin = (x: number, ys: number[], i: number): void => {
    if (i < ys.length) {
      const y = ys[i]!;
      code.block();
      ctx.push({ kind: 'block', follow: y });
      nodeWithin(x, ys, i + 1);
      ctx.pop();
      code.end();
      doTree(y);
      return;
    }
    const b = blocks[x]!;
    em.body(b);
    const t = b.term;
    switch (t.kind) {
      case 'exit': em.exit(b); return;
      case 'off_end': em.offEnd(b); return;
      case 'jump': doBranch(x, t.target); return;
      case 'cond': {
        const dTaken = brDepth(x, t.taken);
        const dFall = brDepth(x, t.fall);
        em.cond(b);
        if (dTaken >= 0) { code.brIf(dTaken); doBranch(x, t.fall); return; }
        if (dFall >= 0) { code.op(0x45 /* i32.eqz */).brIf(dFall); doTree(t.taken); return; }
        code.if_();
        ctx.push({ kind: 'if' });
        const [yes, no] = plantedJitBugs.branchTargetsSwapped ? [t.fall, t.taken] : [t.taken, t.fall];
        doTree(yes);
        code.else_();
        doTree(no);
        ctx.pop();
        code.end();
      }
    }
  };
  doTree(order[0]!);
  code.op(0x00); // unreachable: every path above has returned
  return { order, kind: 'structured' };
}

function reversePostorder(blocks: readonly BasicBlock[]): number[] {
  const seen = new Uint8Array(blocks.length);
  const post: number[] = [];
  // Iterative DFS (programs can be long straight lines: no recursion depth issues).
  const stack: Array<[number, number]> = [[0, 0]];
  seen[0] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const succs = blocks[top[0]]!.succs;
    if (top[1] < succs.length) {
      const s = succs[top[1]++]!;
      if (!seen[s]) { seen[s] = 1; stack.push([s, 0]); }
    } else {
      post.push(top[0]);
      stack.pop();
    }
  }
  return post.reverse();
}

/** Immediate dominators (Cooper, Harvey, Kennedy: "A Simple, Fast Dominance Algorithm"). */
function dominators(blocks: readonly BasicBlock[], order: readonly number[], rpo: Int32Array): Int32Array {
  const idom = new Int32Array(blocks.length).fill(-1);
  const entry = order[0]!;
  idom[entry] = entry;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (rpo[a]! > rpo[b]!) a = idom[a]!;
      while (rpo[b]! > rpo[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 1; i < order.length; i++) {
      const b = order[i]!;
      let nd = -1;
      for (const p of blocks[b]!.preds) {
        if (rpo[p]! < 0 || idom[p]! < 0) continue; // unreachable or not yet processed
        nd = nd < 0 ? p : intersect(p, nd);
      }
      if (nd !== idom[b]) { idom[b] = nd; changed = true; }
    }
  }
  return idom;
}

/** Irreducible fallback: `loop { block*N { br_table } code0 } code1 } ... }`. */
function emitDispatch(blocks: readonly BasicBlock[], order: readonly number[], code: Code, em: BlockEmitter, next: number): void {
  const n = order.length;
  const slot = new Int32Array(blocks.length).fill(-1);
  order.forEach((b, i) => { slot[b] = i; });
  code.i32(0).set(next);
  code.loop();
  for (let i = 0; i < n; i++) code.block();
  code.get(next).brTable(order.map((_, i) => i), 0);
  for (let i = 0; i < n; i++) {
    code.end();
    // Here we are inside blocks i+1..n-1 and the loop: the loop is at depth n-1-i.
    const loopDepth = n - 1 - i;
    const b = blocks[order[i]!]!;
    const goTo = (t: number, depth: number) => {
      if (slot[t] === i + 1 && depth === loopDepth) return; // falls into the next block's code
      code.i32(slot[t]!).set(next).br(depth);
    };
    em.body(b);
    const t = b.term;
    if (t.kind === 'exit') em.exit(b);
    else if (t.kind === 'off_end') em.offEnd(b);
    else if (t.kind === 'jump') goTo(t.target, loopDepth);
    else {
      em.cond(b);
      code.if_();
      goTo(t.taken, loopDepth + 1);
      code.end();
      goTo(t.fall, loopDepth);
    }
  }
  code.end(); // loop
  code.op(0x00);
}
