/**
 * Graph layout in Node (layered, top to bottom), so the browser only draws: dagre for small
 * graphs (its crossing minimisation reads best), the linear pc-ordered layout of fast-layout.ts
 * above DAGRE_MAX_NODES blocks (dagre needs seconds there).
 */
import dagre from '@dagrejs/dagre';
import { layeredLayout, type OrderedNode } from './fast-layout.js';

export interface LayoutNode { id: string; width: number; height: number }
export interface LayoutEdge { from: string; to: string; key: string }

export interface PlacedNode { id: string; x: number; y: number; width: number; height: number }
export interface PlacedEdge { key: string; points: [number, number][] }
export interface Layout { width: number; height: number; nodes: Map<string, PlacedNode>; edges: Map<string, PlacedEdge> }

const round = (x: number): number => Math.round(x * 10) / 10;

/** Above this many nodes the linear layout is used. */
export const DAGRE_MAX_NODES = 80;

/** Lays out a graph whose nodes carry their pc order. */
export function layoutCfg(nodes: readonly OrderedNode[], edges: readonly LayoutEdge[]): Layout {
  return nodes.length > DAGRE_MAX_NODES ? layeredLayout(nodes, edges) : layoutGraph(nodes, edges);
}

export function layoutGraph(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): Layout {
  const g = new dagre.graphlib.Graph({ directed: true, multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 46, edgesep: 14, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: n.width, height: n.height });
  for (const e of edges) g.setEdge(e.from, e.to, { minlen: 1 }, e.key);
  dagre.layout(g);
  const placed = new Map<string, PlacedNode>();
  for (const n of nodes) {
    const l = g.node(n.id) as { x: number; y: number; width: number; height: number };
    placed.set(n.id, { id: n.id, x: round(l.x), y: round(l.y), width: n.width, height: n.height });
  }
  const pe = new Map<string, PlacedEdge>();
  for (const e of edges) {
    const l = g.edge(e.from, e.to, e.key) as { points?: { x: number; y: number }[] } | undefined;
    pe.set(e.key, { key: e.key, points: (l?.points ?? []).map((p) => [round(p.x), round(p.y)] as [number, number]) });
  }
  const gl = g.graph() as { width?: number; height?: number };
  return { width: Math.ceil(gl.width ?? 0), height: Math.ceil(gl.height ?? 0), nodes: placed, edges: pe };
}
