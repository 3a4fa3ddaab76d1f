/**
 * The checks of the kernel's BPF_BTF_LOAD (kernel/bpf/btf.c) that a crafted .BTF can fail and
 * that bpflab's own walks rely on: reference loops (btf_resolve's "Loop detected"), a FUNC not
 * pointing at a FUNC_PROTO, a member past its struct, an array larger than U32_MAX bytes. Each
 * is linear in the number of types and iterative (no recursion on input depth). BTF the kernel
 * accepts passes: a pointer may lead back to its own struct, and a FUNC_PROTO may take a
 * pointer to itself (the kernel checks parameters apart from the resolve walk).
 */
import { isModifier, type BtfType } from './types.js';

export interface BtfProblem {
  id: number;
  message: string;
}

/**
 * btf_resolve follows a type's references in one of two modes (env_type_is_resolve_sink):
 * through a pointer only modifiers and pointers are followed; inside a struct, union or array
 * only modifiers, arrays and structs (a pointer member ends the walk). A cycle in either
 * relation is a loop.
 */
function ptrEdges(t: BtfType, types: readonly BtfType[]): number[] {
  if (!(isModifier(t) || t.kind === 'ptr')) return [];
  const n = types[t.type];
  return n && (isModifier(n) || n.kind === 'ptr') ? [t.type] : [];
}

function structEdges(t: BtfType, types: readonly BtfType[]): number[] {
  const keep = (id: number) => {
    const n = types[id];
    return n !== undefined && (isModifier(n) || n.kind === 'array' || n.kind === 'struct' || n.kind === 'union');
  };
  if (isModifier(t)) return keep(t.type) ? [t.type] : [];
  if (t.kind === 'array') return keep(t.type) ? [t.type] : [];
  if (t.kind === 'struct' || t.kind === 'union') return t.members.map((m) => m.type).filter(keep);
  return [];
}

/** A type on a cycle of `edges`, or undefined (iterative three-colour depth-first search). */
function findCycle(types: readonly BtfType[], edges: (t: BtfType, types: readonly BtfType[]) => number[]): number | undefined {
  const colour = new Uint8Array(types.length); // 0 new, 1 on the stack, 2 done
  for (let root = 1; root < types.length; root++) {
    if (colour[root]) continue;
    const stack: { id: number; next: number[]; i: number }[] = [{ id: root, next: edges(types[root]!, types), i: 0 }];
    colour[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (top.i === top.next.length) {
        colour[top.id] = 2;
        stack.pop();
        continue;
      }
      const n = top.next[top.i++]!;
      if (colour[n] === 1) return n;
      if (colour[n] === 0) {
        colour[n] = 1;
        stack.push({ id: n, next: edges(types[n]!, types), i: 0 });
      }
    }
  }
  return undefined;
}

const U32_MAX = 0xffffffff;

/** Byte size of a type for the array check (bounded walk; undefined when it has none). */
function sizeOf(types: readonly BtfType[], id: number, memo: Map<number, number | undefined>): number | undefined {
  if (memo.has(id)) return memo.get(id);
  // Iterative: follow modifiers and array element types, multiplying.
  let nelems = 1;
  let t = types[id];
  let out: number | undefined;
  for (let d = 0; t && d < 64; d++) {
    if (t.kind === 'int' || t.kind === 'struct' || t.kind === 'union' || t.kind === 'enum' || t.kind === 'enum64' || t.kind === 'float') { out = t.size * nelems; break; }
    if (t.kind === 'ptr') { out = 8 * nelems; break; }
    if (isModifier(t)) { t = types[t.type]; continue; }
    if (t.kind === 'array') { nelems *= t.nelems; t = types[t.type]; continue; }
    break;
  }
  memo.set(id, out);
  return out;
}

/** The first problem the kernel would report for `types` (index = id, 0 = void), or null. */
export function kernelBtfProblem(types: readonly BtfType[]): BtfProblem | null {
  for (const t of types) {
    if (t.kind === 'func') {
      const p = types[t.type];
      if (!p || p.kind !== 'func_proto') return { id: t.id, message: `FUNC '${t.name}' type_id=${t.type}: Invalid type_id (not a FUNC_PROTO)` };
    }
    if (t.kind === 'struct' || t.kind === 'union') {
      for (const m of t.members) {
        if (Math.ceil(m.bitOffset / 8) > t.size)
          return { id: t.id, message: `${t.kind.toUpperCase()} '${t.name}' member '${m.name}' bits_offset=${m.bitOffset}: Member bits_offset exceeds its struct size (${t.size})` };
      }
    }
  }
  const loop = findCycle(types, ptrEdges) ?? findCycle(types, structEdges);
  if (loop !== undefined) return { id: loop, message: `${types[loop]!.kind.toUpperCase()} '${types[loop]!.name}': Loop detected` };
  const memo = new Map<number, number | undefined>();
  for (const t of types) {
    if (t.kind !== 'array' || t.nelems === 0) continue;
    const elem = sizeOf(types, t.type, memo);
    if (elem !== undefined && elem > Math.floor(U32_MAX / t.nelems))
      return { id: t.id, message: `ARRAY nr_elems=${t.nelems} of ${elem}-byte elements: Array size overflows U32_MAX` };
  }
  return null;
}
