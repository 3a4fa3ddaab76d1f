/**
 * Where libbpf puts `.kconfig` externs (bpf_object__collect_externs): each variable's kind,
 * size and alignment (find_kcfg_type), and their layout in the `.kconfig` map, sorted by
 * alignment descending, then size, then name. Both the extern resolution and the BTF handed to
 * the kernel use it, so the DATASEC offsets match the map's bytes.
 */
import type { Btf } from './btf.js';
import { BTF_INT_BOOL, BTF_INT_SIGNED } from './types.js';

export type KcfgType = { kind: 'bool' | 'tristate' | 'char_arr' } | { kind: 'int' | 'char'; signed: boolean };

/** libbpf's find_kcfg_type: what a .kconfig variable may be, or why it may not. */
export function kcfgType(btf: Btf, typeId: number): { type: KcfgType; size: number; align: number } | string {
  const t = btf.skipMods(typeId);
  if (!t) return 'type is unsupported';
  if (t.kind === 'int') {
    if (t.size === 1 && (t.encoding & BTF_INT_BOOL)) return { type: { kind: 'bool' }, size: 1, align: 1 };
    if (t.encoding & BTF_INT_BOOL) return 'type is unsupported';
    // Any other one-byte integer is a char to libbpf, whatever its encoding: clang describes
    // `char` as a signed INT, `unsigned char`/__u8 with no encoding at all.
    const signed = (t.encoding & BTF_INT_SIGNED) !== 0;
    if (t.size === 1) return { type: { kind: 'char', signed }, size: 1, align: 1 };
    if ([2, 4, 8].includes(t.size)) return { type: { kind: 'int', signed }, size: t.size, align: t.size };
    return 'type is unsupported';
  }
  if (t.kind === 'enum' && t.name === 'libbpf_tristate' && t.size === 4) return { type: { kind: 'tristate' }, size: 4, align: 4 };
  if (t.kind === 'array' && t.nelems > 0) {
    const e = btf.skipMods(t.type);
    const et = typeof e === 'undefined' ? undefined : kcfgType(btf, e.id);
    if (et && typeof et !== 'string' && et.type.kind === 'char') return { type: { kind: 'char_arr' }, size: t.nelems, align: 1 };
  }
  return 'type is unsupported';
}

export interface KcfgSlot<T> { item: T; name: string; type: KcfgType; size: number; align: number; off: number }

/**
 * The `.kconfig` layout of `items` (each a BTF VAR id with its name): the laid-out ones with their
 * offsets, the total size, and the ones whose type libbpf refuses, with why.
 */
export function kconfigLayout<T>(btf: Btf, items: readonly { item: T; name: string; varId: number }[]): { laid: KcfgSlot<T>[]; size: number; refused: { item: T; why: string }[] } {
  const laid: KcfgSlot<T>[] = [];
  const refused: { item: T; why: string }[] = [];
  for (const it of items) {
    const v = btf.type(it.varId);
    const kt = v?.kind === 'var' ? kcfgType(btf, v.type) : 'is not a variable';
    if (typeof kt === 'string') refused.push({ item: it.item, why: kt });
    else laid.push({ item: it.item, name: it.name, ...kt, off: 0 });
  }
  laid.sort((a, b) => b.align - a.align || a.size - b.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let size = 0;
  for (const k of laid) {
    k.off = Math.ceil(size / k.align) * k.align;
    size = k.off + k.size;
  }
  return { laid, size, refused };
}
