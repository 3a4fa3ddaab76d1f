/**
 * The .BTF bytes as libbpf hands them to BPF_BTF_LOAD (bpf_object_fixup_btf and the
 * mark_btf_static step of bpf_object__sanitize_and_load_btf): clang leaves DATASEC sizes and
 * variable offsets at 0 in object files, which the kernel refuses ("size == 0"), so they are
 * filled in from the ELF section sizes and symbol values; variables and .text functions with
 * hidden visibility become static. The parsed `Btf` stays as the compiler wrote it.
 */
import type { Btf } from './btf.js';

/** What the fix-ups need to know about the ELF object around the BTF. */
export interface BtfElfFacts {
  /** Size of the ELF section with this name, undefined when there is none. */
  sectionSize(name: string): number | undefined;
  /** The global/weak data symbol of a variable: its value (offset in its section) and whether it is hidden. */
  varSymbol(name: string): { value: number; hidden: boolean } | undefined;
  /** Names of global .text functions with hidden visibility (libbpf marks their BTF FUNC static). */
  hiddenFuncs: ReadonlySet<string>;
}

export type KernelBtf = { ok: true; raw: Uint8Array } | { ok: false; reason: string };

const BTF_VAR_STATIC = 0;
const BTF_VAR_GLOBAL_EXTERN = 2;

/** A patched copy of `raw` (the parsed `btf`'s bytes), or why the kernel could not take it. */
export function kernelBtf(btf: Btf, raw: Uint8Array, facts: BtfElfFacts): KernelBtf {
  const out = new Uint8Array(raw);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (const t of btf.types) {
    const at = btf.recordOffsets[t.id];
    if (at === undefined || t.id === 0) continue;
    if (t.kind === 'func' && t.linkage === 1 && facts.hiddenFuncs.has(t.name)) {
      // info: kind << 24 | vlen (the linkage for FUNC); BTF_FUNC_STATIC = 0.
      dv.setUint32(at + 4, dv.getUint32(at + 4, true) & ~0xffff, true);
      continue;
    }
    if (t.kind !== 'datasec') continue;
    // Extern-backing sections are laid out by the loader that resolves the externs.
    if (t.name === '.kconfig' || t.name === '.ksyms') return { ok: false, reason: `DATASEC '${t.name}' needs extern resolution` };
    let size = t.size;
    const fixOffsets = size === 0;
    if (fixOffsets) {
      size = facts.sectionSize(t.name) ?? 0;
      if (size === 0) return { ok: false, reason: `DATASEC '${t.name}': no ELF section gives its size` };
      dv.setUint32(at + 8, size, true);
    }
    const vars: { type: number; offset: number; size: number }[] = [];
    for (let i = 0; i < t.vars.length; i++) {
      const vi = t.vars[i]!;
      const entry = { ...vi };
      const v = btf.type(vi.type);
      if (!v || v.kind !== 'var') return { ok: false, reason: `DATASEC '${t.name}': member #${i} is not a VAR` };
      if (v.linkage !== BTF_VAR_STATIC && v.linkage !== BTF_VAR_GLOBAL_EXTERN) {
        const sym = facts.varSymbol(v.name);
        if (!sym) return { ok: false, reason: `DATASEC '${t.name}': no ELF symbol for VAR '${v.name}'` };
        if (fixOffsets) entry.offset = sym.value;
        const vat = btf.recordOffsets[v.id];
        if (sym.hidden && vat !== undefined) dv.setUint32(vat + 12, BTF_VAR_STATIC, true);
      }
      vars.push(entry);
    }
    // The kernel wants the variables sorted by offset.
    vars.sort((a, b) => a.offset - b.offset);
    vars.forEach((v, i) => {
      const o = at + 12 + i * 12;
      dv.setUint32(o, v.type, true);
      dv.setUint32(o + 4, v.offset, true);
      dv.setUint32(o + 8, v.size, true);
    });
  }
  return { ok: true, raw: out };
}
