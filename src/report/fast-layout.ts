/**
 * A layered layout for large control-flow graphs in linear time. dagre's crossing minimisation
 * costs seconds to tens of seconds on a few hundred blocks with long jumps (every rank a long edge
 * crosses becomes a dummy node); a compiled program's CFG already has a good layering, its pc
 * order, so this one ranks blocks by the longest forward path in pc order, orders each rank by
 * the barycentre of its predecessors, and routes back edges around the right side.
 */
import type { Layout, LayoutEdge, PlacedEdge, PlacedNode } from './layout.js';

export interface OrderedNode { id: string; width: number; height: number; order: number }

const NODE_SEP = 28;
const RANK_SEP = 46;
const MARGIN = 16;

export function layeredLayout(nodes: readonly OrderedNode[], edges: readonly LayoutEdge[]): Layout {
  const sorted = [...nodes].sort((a, b) => a.order - b.order);
  const index = new Map(sorted.map((n, i) => [n.id, i]));
  const n = sorted.length;
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (const e of edges) {
    const u = index.get(e.from);
    const v = index.get(e.to);
    if (u !== undefined && v !== undefined && u < v) preds[v]!.push(u);
  }
  // ranks: longest forward path (pc order is a topological order of the forward edges)
  const rank = new Int32Array(n);
  let ranks = 0;
  for (let v = 0; v < n; v++) {
    let r = 0;
    for (const u of preds[v]!) r = Math.max(r, rank[u]! + 1);
    rank[v] = r;
    ranks = Math.max(ranks, r + 1);
  }
  const byRank: number[][] = Array.from({ length: ranks }, () => []);
  for (let v = 0; v < n; v++) byRank[rank[v]!]!.push(v);
  // y per rank
  const rankTop = new Float64Array(ranks);
  let y = MARGIN;
  for (let r = 0; r < ranks; r++) {
    rankTop[r] = y;
    let h = 0;
    for (const v of byRank[r]!) h = Math.max(h, sorted[v]!.height);
    y += h + RANK_SEP;
  }
  // x: each node wants to sit under the mean of its predecessors; overlaps are pushed apart
  const x = new Float64Array(n);
  let width = 0;
  for (let r = 0; r < ranks; r++) {
    const row = byRank[r]!;
    const want = new Map<number, number>();
    for (const v of row) {
      const ps = preds[v]!;
      want.set(v, ps.length ? ps.reduce((s, u) => s + x[u]!, 0) / ps.length : MARGIN + sorted[v]!.width / 2);
    }
    row.sort((a, b) => want.get(a)! - want.get(b)! || a - b);
    // left to right: no overlap
    let right = MARGIN;
    for (const v of row) {
      const w = sorted[v]!.width;
      x[v] = Math.max(want.get(v)!, right + w / 2);
      right = x[v]! + w / 2 + NODE_SEP;
    }
    // right to left: pull nodes back towards what they want where there is room
    for (let i = row.length - 2; i >= 0; i--) {
      const v = row[i]!;
      const next = row[i + 1]!;
      const limit = x[next]! - sorted[next]!.width / 2 - NODE_SEP - sorted[v]!.width / 2;
      if (x[v]! > want.get(v)!) x[v] = Math.max(want.get(v)!, Math.min(x[v]!, limit), MARGIN + sorted[v]!.width / 2);
    }
    for (const v of row) width = Math.max(width, x[v]! + sorted[v]!.width / 2);
  }
  const placed = new Map<string, PlacedNode>();
  const cy = (v: number): number => rankTop[rank[v]!]! + sorted[v]!.height / 2;
  for (let v = 0; v < n; v++) {
    const s = sorted[v]!;
    placed.set(s.id, { id: s.id, x: Math.round(x[v]! * 10) / 10, y: Math.round(cy(v) * 10) / 10, width: s.width, height: s.height });
  }
  const pe = new Map<string, PlacedEdge>();
  let backLane = width + 24;
  for (const e of edges) {
    const a = placed.get(e.from);
    const b = placed.get(e.to);
    if (!a || !b) continue;
    let points: [number, number][];
    if (b.y > a.y) {
      const y0 = a.y + a.height / 2;
      const y1 = b.y - b.height / 2;
      const dy = Math.min(RANK_SEP * 0.6, (y1 - y0) / 2);
      points = [[a.x, y0], [a.x, y0 + dy], [b.x, y1 - dy], [b.x, y1]];
    } else {
      // back edge (or same rank): out of the right side, up a lane beside the graph, back in
      const lane = Math.max(a.x + a.width / 2, b.x + b.width / 2) + 24;
      const far = Math.min(backLane, lane + 60);
      backLane += 2;
      points = [[a.x + a.width / 2, a.y], [far, a.y], [far, b.y], [b.x + b.width / 2, b.y]];
    }
    pe.set(e.key, { key: e.key, points: points.map(([px, py]) => [Math.round(px * 10) / 10, Math.round(py * 10) / 10]) });
  }
  return { width: Math.ceil(Math.max(width, backLane) + MARGIN), height: Math.ceil(y - RANK_SEP + MARGIN), nodes: placed, edges: pe };
}
