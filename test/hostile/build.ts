/**
 * Small writers for hostile inputs: a relocatable ELF64 eBPF object from a list of sections and
 * symbols, and raw BTF from a list of type records. Enough to build, byte for byte, what a crafted
 * object in a bug report could hold (type cycles, 65,000 sections, names that are not identifiers).
 */

export interface SectionSpec {
  name: string;
  type: number; // SHT_*
  flags?: number;
  data?: Uint8Array;
  /** sh_link as an index into the final section list (0 = none). */
  link?: number;
  info?: number;
  entsize?: number;
  align?: number;
}

export interface SymbolSpec {
  name: string;
  /** Index into the final section list. */
  shndx: number;
  value?: number;
  size?: number;
  bind?: number; // STB_*
  type?: number; // STT_*
}

export const SHT = { PROGBITS: 1, SYMTAB: 2, STRTAB: 3, REL: 9 } as const;
export const SHF_ALLOC = 2;
export const SHF_EXECINSTR = 4;
export const SHF_WRITE = 1;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3 } as const;
export const STB = { LOCAL: 0, GLOBAL: 1 } as const;

class StrTab {
  private readonly parts: Uint8Array[] = [new Uint8Array(1)];
  private size = 1;
  private readonly seen = new Map<string, number>();
  add(s: string): number {
    if (s === '') return 0;
    const old = this.seen.get(s);
    if (old !== undefined) return old;
    const b = Buffer.from(s + '\0', 'latin1');
    const off = this.size;
    this.parts.push(b);
    this.size += b.length;
    this.seen.set(s, off);
    return off;
  }
  bytes(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

/**
 * An ELF object holding `sections` (indices 1..n in order) followed by .symtab, .strtab and
 * .shstrtab. Symbol shndx values index the final list (the user sections start at 1).
 */
export function buildElf(sections: readonly SectionSpec[], symbols: readonly SymbolSpec[]): Uint8Array {
  const shstr = new StrTab();
  const str = new StrTab();
  const symtabIndex = sections.length + 1;
  const strtabIndex = sections.length + 2;
  const shstrIndex = sections.length + 3;
  const sym = Buffer.alloc(24 * (symbols.length + 1));
  // Locals first, as ELF requires: sh_info = index of the first global.
  const ordered = [...symbols].sort((a, b) => (a.bind ?? STB.GLOBAL) - (b.bind ?? STB.GLOBAL));
  let firstGlobal = ordered.length + 1;
  ordered.forEach((s, i) => {
    const o = 24 * (i + 1);
    const bind = s.bind ?? STB.GLOBAL;
    if (bind !== STB.LOCAL && firstGlobal > i + 1) firstGlobal = i + 1;
    sym.writeUInt32LE(str.add(s.name), o);
    sym.writeUInt8((bind << 4) | (s.type ?? STT.FUNC), o + 4);
    sym.writeUInt16LE(s.shndx, o + 6);
    sym.writeBigUInt64LE(BigInt(s.value ?? 0), o + 8);
    sym.writeBigUInt64LE(BigInt(s.size ?? 0), o + 16);
  });
  const all: SectionSpec[] = [
    ...sections,
    { name: '.symtab', type: SHT.SYMTAB, data: sym, link: strtabIndex, info: firstGlobal, entsize: 24, align: 8 },
    { name: '.strtab', type: SHT.STRTAB, data: str.bytes() },
    { name: '.shstrtab', type: SHT.STRTAB, data: new Uint8Array(0) },
  ];
  const names = all.map((s) => shstr.add(s.name));
  all[all.length - 1] = { ...all[all.length - 1]!, data: shstr.bytes() };
  // Layout: header, section data (8-aligned), section header table.
  let off = 64;
  const offsets: number[] = [];
  for (const s of all) {
    off = (off + 7) & ~7;
    offsets.push(off);
    off += s.data?.length ?? 0;
  }
  const shoff = (off + 7) & ~7;
  const n = all.length + 1;
  const out = Buffer.alloc(shoff + 64 * n);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  out.writeUInt16LE(1, 16); // ET_REL
  out.writeUInt16LE(247, 18); // EM_BPF
  out.writeUInt32LE(1, 20);
  out.writeBigUInt64LE(BigInt(shoff), 40);
  out.writeUInt16LE(64, 52);
  out.writeUInt16LE(64, 58);
  out.writeUInt16LE(n < 0xff00 ? n : 0, 60);
  out.writeUInt16LE(shstrIndex < 0xff00 ? shstrIndex : 0xffff, 62);
  if (n >= 0xff00) out.writeBigUInt64LE(BigInt(n), shoff + 32);
  if (shstrIndex >= 0xff00) out.writeUInt32LE(shstrIndex, shoff + 40);
  all.forEach((s, i) => {
    if (s.data) out.set(s.data, offsets[i]!);
    const h = shoff + 64 * (i + 1);
    out.writeUInt32LE(names[i]!, h);
    out.writeUInt32LE(s.type, h + 4);
    out.writeBigUInt64LE(BigInt(s.flags ?? 0), h + 8);
    out.writeBigUInt64LE(BigInt(offsets[i]!), h + 24);
    out.writeBigUInt64LE(BigInt(s.data?.length ?? 0), h + 32);
    out.writeUInt32LE(s.link ?? 0, h + 40);
    out.writeUInt32LE(s.info ?? 0, h + 44);
    out.writeBigUInt64LE(BigInt(s.align ?? 8), h + 48);
    out.writeBigUInt64LE(BigInt(s.entsize ?? 0), h + 56);
  });
  void symtabIndex;
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** One BTF type record: kind number, name, vlen/kflag, size-or-type, and the kind's extra words. */
export interface BtfRecord {
  kind: number;
  name?: string;
  vlen?: number;
  kflag?: number;
  sizeOrType: number;
  /** The trailing u32 words (members, params, array data, ...); names in them as strings. */
  extra?: readonly (number | string)[];
}

export const BTF_KIND = { INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15 } as const;

/** Raw .BTF bytes (header, types, strings) for `types` with ids 1..n in order. */
export function buildBtf(types: readonly BtfRecord[]): Uint8Array {
  const str = new StrTab();
  const words: number[] = [];
  for (const t of types) {
    words.push(str.add(t.name ?? ''), ((t.kflag ?? 0) << 31) | (t.kind << 24) | (t.vlen ?? 0), t.sizeOrType);
    for (const x of t.extra ?? []) words.push(typeof x === 'string' ? str.add(x) : x);
  }
  const typeBytes = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => typeBytes.writeUInt32LE(w >>> 0, i * 4));
  const strings = str.bytes();
  const hdr = Buffer.alloc(24);
  hdr.writeUInt16LE(0xeb9f, 0);
  hdr.writeUInt8(1, 2);
  hdr.writeUInt32LE(24, 4);
  hdr.writeUInt32LE(0, 8);
  hdr.writeUInt32LE(typeBytes.length, 12);
  hdr.writeUInt32LE(typeBytes.length, 16);
  hdr.writeUInt32LE(strings.length, 20);
  return new Uint8Array(Buffer.concat([hdr, typeBytes, strings]));
}

/** `r0 = 0; exit` as bytes. */
export const RETURN_ZERO = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

/** An object with one socket-filter program and the given extra sections/symbols after it (section 1 is the program). */
export function programObject(extra: readonly SectionSpec[] = [], extraSymbols: readonly SymbolSpec[] = [], progName = 'prog', section = 'socket'): Uint8Array {
  return buildElf(
    [{ name: section, type: SHT.PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, data: RETURN_ZERO }, { name: 'license', type: SHT.PROGBITS, flags: SHF_ALLOC | SHF_WRITE, data: Buffer.from('GPL\0') }, ...extra],
    [{ name: progName, shndx: 1, size: 16, type: STT.FUNC }, { name: '_license', shndx: 2, size: 4, type: STT.OBJECT }, ...extraSymbols],
  );
}
