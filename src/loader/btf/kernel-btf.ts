/**
 * The .BTF bytes as libbpf hands them to BPF_BTF_LOAD (bpf_object_fixup_btf and the
 * mark_btf_static step of bpf_object__sanitize_and_load_btf): clang leaves DATASEC sizes and
 * variable offsets at 0 in object files, which the kernel refuses ("size == 0"), so they are
 * filled in from the ELF section sizes and symbol values; variables and .text functions with
 * hidden visibility become static. The extern-backing DATASECs are laid out as
 * bpf_object__collect_externs lays them out: `.kconfig` variables at their offsets in the
 * `.kconfig` map; `.ksyms` entries as 4-byte allocated ints, kfunc FUNCs replaced in the DATASEC
 * by one added `dummy_ksym` VAR (whose name also fills their unnamed parameters). The parsed
 * `Btf` stays as the compiler wrote it.
 */
import type { Btf } from './btf.js';
import { kconfigLayout } from './kconfig.js';

/** What the fix-ups need to know about the ELF object around the BTF. */
export interface BtfElfFacts {
  /** Size of the ELF section with this name, undefined when there is none. */
  sectionSize(name: string): number | undefined;
  /** The global/weak data symbol of a variable: its value (offset in its section) and whether it is hidden. */
  varSymbol(name: string): { value: number; hidden: boolean } | undefined;
  /** Names of global .text functions with hidden visibility (libbpf marks their BTF FUNC static). */
  hiddenFuncs: ReadonlySet<string>;
}

/**
 * `withoutFuncInfo`: the kernel refuses this BTF and libbpf, like the kernel, goes on without it
 * ("BTF is optional, ignoring"): programs load with no func_info and no line_info.
 */
export type KernelBtf = { ok: true; raw: Uint8Array } | { ok: false; reason: string; withoutFuncInfo?: true };

const BTF_VAR_STATIC = 0;
const BTF_VAR_GLOBAL_ALLOCATED = 1;
const BTF_VAR_GLOBAL_EXTERN = 2;
const BTF_FUNC_GLOBAL = 1;
const BTF_KIND_VAR = 14;
const DUMMY_KSYM = 'dummy_ksym';

/** A patched copy of `raw` (the parsed `btf`'s bytes), or why the kernel could not take it. */
export function kernelBtf(btf: Btf, raw: Uint8Array, facts: BtfElfFacts): KernelBtf {
  const out = new Uint8Array(raw);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  // libbpf's add_dummy_ksym_var: one VAR appended after the last type when .ksyms declares a kfunc.
  const ksyms = btf.types.find((t) => t.kind === 'datasec' && t.name === '.ksyms');
  const needsDummy = ksyms?.kind === 'datasec' && ksyms.vars.some((vi) => btf.type(vi.type)?.kind === 'func');
  const hdrLen = dv.getUint32(4, true);
  const strLen = dv.getUint32(20, true);
  const dummyId = btf.types.length;
  const dummyNameOff = strLen; // appended at the end of the string section
  // find_int_btf_id: the first 32-bit INT.
  const intId = btf.types.find((t) => t.kind === 'int' && t.bits === 32)?.id ?? 0;
  // btf_check_all_metas (each record's own fields, INT encodings among them) runs before
  // btf_check_all_types (where btf_func_check names the unnamed argument).
  const encoding = unsupportedIntEncoding(btf);
  if (encoding) return { ok: false, reason: encoding, withoutFuncInfo: true };
  const unnamed = unnamedFuncArg(btf, ksyms?.kind === 'datasec' ? new Set(ksyms.vars.map((v) => v.type)) : new Set());
  if (unnamed) return { ok: false, reason: unnamed, withoutFuncInfo: true };
  for (const t of btf.types) {
    const at = btf.recordOffsets[t.id];
    if (at === undefined || t.id === 0) continue;
    if (t.kind === 'func' && t.linkage === 1 && facts.hiddenFuncs.has(t.name)) {
      // info: kind << 24 | vlen (the linkage for FUNC); BTF_FUNC_STATIC = 0.
      dv.setUint32(at + 4, dv.getUint32(at + 4, true) & ~0xffff, true);
      continue;
    }
    if (t.kind !== 'datasec') continue;
    const vars: { type: number; offset: number; size: number }[] = [];
    if (t.name === '.ksyms') {
      for (let i = 0; i < t.vars.length; i++) {
        const vi = t.vars[i]!;
        const v = btf.type(vi.type);
        const vat = btf.recordOffsets[vi.type];
        if (!v || vat === undefined || (v.kind !== 'var' && v.kind !== 'func')) return { ok: false, reason: `DATASEC '.ksyms': member #${i} is neither a VAR nor a FUNC` };
        let type = vi.type;
        if (v.kind === 'func') {
          const proto = btf.type(v.type);
          const pat = btf.recordOffsets[v.type];
          if (proto?.kind === 'func_proto' && pat !== undefined) {
            proto.params.forEach((p, j) => {
              const po = pat + 12 + j * 8;
              if (p.type !== 0 && dv.getUint32(po, true) === 0) dv.setUint32(po, dummyNameOff, true);
            });
          }
          type = dummyId;
          dv.setUint32(vat + 4, (dv.getUint32(vat + 4, true) & ~0xffff) | BTF_FUNC_GLOBAL, true);
        } else {
          dv.setUint32(vat + 12, BTF_VAR_GLOBAL_ALLOCATED, true);
          dv.setUint32(vat + 8, intId, true);
        }
        vars.push({ type, offset: i * 4, size: 4 });
      }
      dv.setUint32(at + 8, t.vars.length * 4, true);
    } else if (t.name === '.kconfig') {
      const layout = kconfigLayout(btf, t.vars.map((vi, i) => ({ item: i, name: btf.type(vi.type)?.name ?? '', varId: vi.type })));
      const bad = layout.refused[0];
      if (bad) return { ok: false, reason: `DATASEC '.kconfig': extern '${btf.type(t.vars[bad.item]!.type)?.name ?? ''}': ${bad.why}` };
      for (const k of layout.laid) {
        const vi = t.vars[k.item]!;
        const vat = btf.recordOffsets[vi.type];
        if (vat !== undefined) dv.setUint32(vat + 12, BTF_VAR_GLOBAL_ALLOCATED, true);
        vars.push({ type: vi.type, offset: k.off, size: vi.size });
      }
      dv.setUint32(at + 8, layout.size, true);
    } else {
      let size = t.size;
      const fixOffsets = size === 0;
      if (fixOffsets) {
        size = facts.sectionSize(t.name) ?? 0;
        if (size === 0) return { ok: false, reason: `DATASEC '${t.name}': no ELF section gives its size` };
        dv.setUint32(at + 8, size, true);
      }
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
  return { ok: true, raw: needsDummy ? withVar(out, hdrLen, DUMMY_KSYM, intId) : out };
}

/**
 * btf_func_check (kernel/bpf/btf.c): every typed parameter of a FUNC's prototype needs a name
 * ("Invalid arg#N"). clang leaves them unnamed on `__naked` functions with parameters. The kfunc
 * externs of `.ksyms` (`externs`) are exempt: libbpf names their parameters (dummy_ksym).
 */
function unnamedFuncArg(btf: Btf, externs: ReadonlySet<number>): string | undefined {
  for (const t of btf.types) {
    if (t.kind !== 'func' || externs.has(t.id)) continue;
    const proto = btf.type(t.type);
    if (proto?.kind !== 'func_proto') continue;
    const i = proto.params.findIndex((p) => p.type !== 0 && !p.name);
    if (i >= 0) return `[${t.id}] FUNC ${t.name} type_id=${t.type} Invalid arg#${i + 1}`;
  }
  return undefined;
}

const BTF_INT_SIGNED = 1;
const BTF_INT_CHAR = 2;
const BTF_INT_BOOL = 4;

/**
 * btf_int_check_meta: an INT may carry at most one encoding bit (SIGNED, CHAR or BOOL); any
 * other encoding fails BPF_BTF_LOAD ("Unsupported encoding", -ENOTSUPP). GCC 12's BPF backend
 * describes `char` and `signed char` as SIGNED|CHAR, so the kernel refuses every BTF it writes
 * and libbpf loads the programs without BTF. libbpf's own parse does not check encodings.
 */
function unsupportedIntEncoding(btf: Btf): string | undefined {
  for (const t of btf.types) {
    if (t.kind !== 'int') continue;
    const e = t.encoding;
    if (e === 0 || e === BTF_INT_SIGNED || e === BTF_INT_CHAR || e === BTF_INT_BOOL) continue;
    return `[${t.id}] INT ${t.name} size=${t.size} bits_offset=${t.bitOffset} nr_bits=${t.bits} encoding=UNKN Unsupported encoding`;
  }
  return undefined;
}

/** `raw` with one VAR (global, allocated) of type `typeId` appended to its types and its name to its strings. */
function withVar(raw: Uint8Array, hdrLen: number, name: string, typeId: number): Uint8Array {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const typeOff = dv.getUint32(8, true), typeLen = dv.getUint32(12, true);
  const strOff = dv.getUint32(16, true), strLen = dv.getUint32(20, true);
  const nameBytes = new TextEncoder().encode(`${name}\0`);
  const rec = new Uint8Array(16);
  const rdv = new DataView(rec.buffer);
  rdv.setUint32(0, strLen, true); // the name's offset: the end of the old strings
  rdv.setUint32(4, BTF_KIND_VAR << 24, true);
  rdv.setUint32(8, typeId, true);
  rdv.setUint32(12, BTF_VAR_GLOBAL_ALLOCATED, true);
  // Types first, then strings, as libbpf writes BTF out.
  const out = new Uint8Array(hdrLen + typeLen + 16 + strLen + nameBytes.length);
  out.set(raw.subarray(0, hdrLen));
  out.set(raw.subarray(hdrLen + typeOff, hdrLen + typeOff + typeLen), hdrLen);
  out.set(rec, hdrLen + typeLen);
  out.set(raw.subarray(hdrLen + strOff, hdrLen + strOff + strLen), hdrLen + typeLen + 16);
  out.set(nameBytes, hdrLen + typeLen + 16 + strLen);
  const odv = new DataView(out.buffer);
  odv.setUint32(8, 0, true);
  odv.setUint32(12, typeLen + 16, true);
  odv.setUint32(16, typeLen + 16, true);
  odv.setUint32(20, strLen + nameBytes.length, true);
  return out;
}
