import { parseBtf, type Btf } from './btf.js';

/**
 * The parse of each object's program BTF (ProgramBtf.raw, the bytes the kernel gets), shared by
 * every program of the object. The ELF loader fills it once per object; a program built
 * elsewhere (or copied to a worker, whose raw is a new buffer) is parsed on first use.
 */
const parsed = new WeakMap<Uint8Array, Btf | null>();

/** The parsed BTF of `raw`, parsed once per buffer; null when it does not parse. `where` names it in the parse's (dropped) error. */
export function objectBtf(raw: Uint8Array, where: string): Btf | null {
  let b = parsed.get(raw);
  if (b === undefined) {
    try { b = parseBtf(raw, where); } catch { b = null; }
    parsed.set(raw, b);
  }
  return b;
}

/** Records that `btf` is the parse of `raw` (the loader's parse of the same bytes, kept instead of a second one). */
export function rememberObjectBtf(raw: Uint8Array, btf: Btf): void {
  if (!parsed.has(raw)) parsed.set(raw, btf);
}
