/**
 * A strict ELF64 little-endian reader for relocatable eBPF objects (e_machine 247, or 0 from
 * old LLVM, which libbpf accepts too). It reads the section header table, section names,
 * the symbol table and REL/RELA tables, and checks every field it uses: an offset or size
 * past the end of the file, overlapping sections, a bad string index or a bad link is an
 * InputError naming the section and the file offset. Nothing here knows about BPF programs.
 */
import { InputError } from '../isa/errors.js';

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_LLVM_ADDRSIG = 0x6fff4c03;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const STV_INTERNAL = 1;
export const STV_HIDDEN = 2;
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

export const EM_NONE = 0;
export const EM_BPF = 247;
const ET_REL = 1;

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;
const RELA_SIZE = 24;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  bind: number;
  type: number;
  /** Section index (SHN_* for special sections). */
  shndx: number;
  /** st_other & 3: the symbol visibility (STV_DEFAULT 0, STV_INTERNAL 1, STV_HIDDEN 2, STV_PROTECTED 3). */
  visibility: number;
}

export interface ElfRelocation {
  /** Byte offset inside the target section. */
  offset: number;
  type: number;
  symbol: number;
  /** Explicit addend for RELA entries, null for REL (the addend is in the patched bytes). */
  addend: number | null;
}

/** A parsed ELF object: the raw bytes plus checked tables. */
export class ElfFile {
  readonly machine: number;
  readonly sections: ElfSection[];
  readonly symbols: ElfSymbol[];
  readonly symtab: ElfSection | undefined;
  private sectionsByName: Map<string, ElfSection> | undefined;
  private symbolsBySection: Map<number, ElfSymbol[]> | undefined;

  constructor(readonly bytes: Uint8Array, readonly path: string) {
    const dv = view(bytes);
    if (bytes.length < EHDR_SIZE) throw this.error(undefined, 0, `file is ${bytes.length} bytes, shorter than an ELF header (64)`);
    if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) throw this.error(undefined, 0, 'bad ELF magic');
    if (bytes[4] !== 2) throw this.error(undefined, 4, `ELF class ${bytes[4]} is not ELFCLASS64 (2)`);
    if (bytes[5] !== 1) throw this.error(undefined, 5, `ELF data encoding ${bytes[5]} is not little-endian (1)${bytes[5] === 2 ? ': big-endian eBPF objects are not supported' : ''}`);
    if (bytes[6] !== 1) throw this.error(undefined, 6, `ELF version ${bytes[6]} is not 1`);
    const type = dv.getUint16(16, true);
    this.machine = dv.getUint16(18, true);
    if (type !== ET_REL) throw this.error(undefined, 16, `ELF type ${type} is not ET_REL (1): not an eBPF object file`);
    if (this.machine !== EM_BPF && this.machine !== EM_NONE)
      throw this.error(undefined, 18, `e_machine ${this.machine} is not EM_BPF (247): not an eBPF object file`);
    const shoff = this.u64(dv, 40, undefined);
    const shentsize = dv.getUint16(58, true);
    let shnum = dv.getUint16(60, true);
    let shstrndx = dv.getUint16(62, true);
    if (shoff === 0) throw this.error(undefined, 40, 'no section header table (e_shoff is 0)');
    if (shentsize !== SHDR_SIZE) throw this.error(undefined, 58, `e_shentsize ${shentsize} is not 64`);
    if (shoff + SHDR_SIZE > bytes.length) throw this.error(undefined, 40, `section header table at 0x${shoff.toString(16)} out of bounds (file is ${bytes.length} bytes)`);
    // Extended numbering: section 0 holds the real count / string table index.
    if (shnum === 0) shnum = this.u64(dv, shoff + 32, undefined);
    if (shstrndx === SHN_XINDEX) shstrndx = dv.getUint32(shoff + 40, true);
    if (shnum === 0) throw this.error(undefined, 60, 'no sections');
    if (shoff + shnum * SHDR_SIZE > bytes.length)
      throw this.error(undefined, 40, `section header table at 0x${shoff.toString(16)} with ${shnum} entries out of bounds (file is ${bytes.length} bytes)`);
    if (shstrndx === 0 || shstrndx >= shnum) throw this.error(undefined, 62, `section name string table index ${shstrndx} out of range (${shnum} sections)`);

    const raw: ElfSection[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * SHDR_SIZE;
      const sec: ElfSection = {
        index: i,
        name: '',
        type: dv.getUint32(o + 4, true),
        // int32 (bitwise tests only): SHF_EXCLUDE's bit 31 as a double would change the field's
        // representation (and every section's V8 hidden class) when the first .llvm_addrsig is read
        flags: Number(dv.getBigUint64(o + 8, true) & 0xffffffffn) | 0,
        offset: this.u64(dv, o + 24, i),
        size: this.u64(dv, o + 32, i),
        link: dv.getUint32(o + 40, true),
        info: dv.getUint32(o + 44, true),
        addralign: this.u64(dv, o + 48, i),
        entsize: this.u64(dv, o + 56, i),
      };
      if (i === 0) { sec.size = 0; sec.link = 0; }
      raw.push(sec);
    }
    this.sections = raw;
    const pastEnd = (sec: ElfSection) => sec.type !== SHT_NOBITS && sec.type !== SHT_NULL && sec.offset + sec.size > bytes.length;
    const boundsError = (sec: ElfSection) => this.error(sec, shoff + sec.index * SHDR_SIZE + 24,
      `section #${sec.index} data [0x${sec.offset.toString(16)}, +0x${sec.size.toString(16)}) runs past the end of the file (${bytes.length} bytes)`);
    const shstr = raw[shstrndx]!;
    if (shstr.type !== SHT_STRTAB) throw this.error(shstrndx, shoff + shstrndx * SHDR_SIZE + 4, `section name table #${shstrndx} is not SHT_STRTAB (type ${shstr.type})`);
    if (pastEnd(shstr)) throw boundsError(shstr);
    for (const sec of raw) {
      if (sec.index === 0) continue;
      const nameOff = dv.getUint32(shoff + sec.index * SHDR_SIZE, true);
      sec.name = this.cstring(shstr, nameOff, `name of section #${sec.index}`);
    }
    for (const sec of raw) if (pastEnd(sec)) throw boundsError(sec);
    // Symbol table: at most one, as libbpf requires. Its checks come first because they give
    // the reason libbpf would give for the same file.
    const symtabs = raw.filter((s) => s.type === SHT_SYMTAB);
    if (symtabs.length > 1) throw this.error(symtabs[1]!.index, symtabs[1]!.offset, 'multiple symbol tables');
    this.symtab = symtabs[0];
    if (this.symtab) this.checkSymtabLink(this.symtab);
    this.checkOverlaps(shoff, shnum);
    this.symbols = this.symtab ? this.readSymbols(this.symtab) : [];
  }

  /** An InputError naming the file, the section (when known) and the byte offset. */
  error(section: number | ElfSection | undefined, offset: number, message: string, kind = 'elf_malformed'): InputError {
    const sec = typeof section === 'number' ? this.sections?.[section] : section;
    const where = sec ? `section '${sec.name || `#${sec.index}`}'${sec.name ? ` (#${sec.index})` : ''} at offset 0x${offset.toString(16)}` : `offset 0x${offset.toString(16)}`;
    return new InputError(kind, `${this.path}: ELF ${where}: ${message}`);
  }

  /** The bytes of a section (empty for SHT_NOBITS). */
  data(sec: ElfSection): Uint8Array {
    if (sec.type === SHT_NOBITS) return new Uint8Array(0);
    return this.bytes.subarray(sec.offset, sec.offset + sec.size);
  }

  section(index: number): ElfSection | undefined {
    return this.sections[index];
  }

  /** The first section with this name (an index built once: loading stays linear in the section count). */
  byName(name: string): ElfSection | undefined {
    if (!this.sectionsByName) {
      this.sectionsByName = new Map();
      for (const s of this.sections) if (!this.sectionsByName.has(s.name)) this.sectionsByName.set(s.name, s);
    }
    return this.sectionsByName.get(name);
  }

  /** The symbols defined in section `index`, in symbol-table order (an index built once). */
  symbolsIn(index: number): readonly ElfSymbol[] {
    if (!this.symbolsBySection) {
      this.symbolsBySection = new Map();
      for (const sym of this.symbols) {
        const list = this.symbolsBySection.get(sym.shndx);
        if (list) list.push(sym);
        else this.symbolsBySection.set(sym.shndx, [sym]);
      }
    }
    return this.symbolsBySection.get(index) ?? [];
  }

  /** A NUL-terminated string at `off` in string table `tab`. */
  cstring(tab: ElfSection, off: number, what: string): string {
    if (tab.type !== SHT_STRTAB) throw this.error(tab, tab.offset, `${what}: section is not a string table`);
    if (off >= tab.size) throw this.error(tab, tab.offset + off, `${what}: string index ${off} is past the end of the string table (${tab.size} bytes)`);
    const start = tab.offset + off;
    const end = tab.offset + tab.size;
    let i = start;
    while (i < end && this.bytes[i] !== 0) i++;
    if (i === end) throw this.error(tab, start, `${what}: string at index ${off} is not NUL-terminated`);
    return latin1(this.bytes.subarray(start, i));
  }

  /** The relocation entries of a REL or RELA section, checked against the symbol table. */
  relocations(sec: ElfSection): ElfRelocation[] {
    const rela = sec.type === SHT_RELA;
    const ent = rela ? RELA_SIZE : REL_SIZE;
    if (sec.entsize !== ent) throw this.error(sec, sec.offset, `sh_entsize ${sec.entsize} is not ${ent} for a ${rela ? 'RELA' : 'REL'} section`);
    if (sec.size % ent !== 0) throw this.error(sec, sec.offset, `size ${sec.size} is not a multiple of the entry size ${ent}`);
    if (!this.symtab || sec.link !== this.symtab.index)
      throw this.error(sec, sec.offset, `sh_link ${sec.link} does not name the symbol table${this.symtab ? ` (#${this.symtab.index})` : ' (there is none)'}`);
    const dv = view(this.bytes);
    const out: ElfRelocation[] = [];
    for (let o = sec.offset; o < sec.offset + sec.size; o += ent) {
      const info = dv.getBigUint64(o + 8, true);
      const symbol = Number(info >> 32n);
      if (symbol >= this.symbols.length) throw this.error(sec, o + 8, `relocation #${out.length} names symbol ${symbol}, past the end of the symbol table (${this.symbols.length} symbols)`);
      out.push({
        offset: this.u64(dv, o, sec.index),
        type: Number(info & 0xffffffffn),
        symbol,
        addend: rela ? Number(dv.getBigInt64(o + 16, true)) : null,
      });
    }
    return out;
  }

  private checkSymtabLink(symtab: ElfSection): void {
    const strtab = this.sections[symtab.link];
    if (symtab.link === 0 || !strtab || strtab.type !== SHT_STRTAB)
      throw this.error(symtab, symtab.offset, `symbol strings section missing or invalid (sh_link ${symtab.link})`);
  }

  private readSymbols(symtab: ElfSection): ElfSymbol[] {
    if (symtab.entsize !== SYM_SIZE) throw this.error(symtab, symtab.offset, `symbol table sh_entsize ${symtab.entsize} is not ${SYM_SIZE}`);
    if (symtab.size % SYM_SIZE !== 0) throw this.error(symtab, symtab.offset, `symbol table size ${symtab.size} is not a multiple of ${SYM_SIZE}`);
    const strtab = this.sections[symtab.link];
    if (symtab.link === 0 || !strtab || strtab.type !== SHT_STRTAB)
      throw this.error(symtab, symtab.offset, `symbol strings section missing or invalid (sh_link ${symtab.link})`);
    const dv = view(this.bytes);
    const n = symtab.size / SYM_SIZE;
    const out: ElfSymbol[] = [];
    for (let i = 0; i < n; i++) {
      const o = symtab.offset + i * SYM_SIZE;
      const info = dv.getUint8(o + 4);
      const shndx = dv.getUint16(o + 6, true);
      const nameOff = dv.getUint32(o, true);
      const name = this.cstring(strtab, nameOff, `name of symbol #${i}`);
      if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= this.sections.length)
        throw this.error(symtab, o + 6, `symbol #${i} '${name}' names section ${shndx}, past the last section (${this.sections.length - 1})`);
      out.push({
        index: i,
        name,
        value: this.u64(dv, o + 8, symtab.index),
        size: this.u64(dv, o + 16, symtab.index),
        bind: info >> 4,
        type: info & 0xf,
        shndx,
        visibility: dv.getUint8(o + 5) & 3,
      });
    }
    return out;
  }

  /** No two sections (nor a section and the headers) may share file bytes. */
  private checkOverlaps(shoff: number, shnum: number): void {
    const spans: { start: number; end: number; what: string; sec: ElfSection | undefined }[] = [
      { start: 0, end: EHDR_SIZE, what: 'the ELF header', sec: undefined },
      { start: shoff, end: shoff + shnum * SHDR_SIZE, what: 'the section header table', sec: undefined },
    ];
    for (const s of this.sections) {
      if (s.index === 0 || s.type === SHT_NOBITS || s.type === SHT_NULL || s.size === 0) continue;
      spans.push({ start: s.offset, end: s.offset + s.size, what: `section '${s.name}' (#${s.index})`, sec: s });
    }
    spans.sort((a, b) => a.start - b.start || a.end - b.end);
    for (let i = 1; i < spans.length; i++) {
      const a = spans[i - 1]!;
      const b = spans[i]!;
      if (b.start < a.end) {
        const sec = b.sec ?? a.sec;
        throw this.error(sec, b.start, `${b.what} [0x${b.start.toString(16)}, 0x${b.end.toString(16)}) overlaps ${a.what} [0x${a.start.toString(16)}, 0x${a.end.toString(16)})`);
      }
    }
  }

  /** A u64 field as a safe integer (anything above 2^53 is certainly out of range for a file). */
  private u64(dv: DataView, off: number, section: number | undefined): number {
    const v = dv.getBigUint64(off, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.error(section, off, `64-bit field 0x${v.toString(16)} is out of range`);
    // A small integer where it is one: Number(bigint) gives a heap number even for 0, and fields
    // holding both kinds change representation (and hidden class) as objects are read.
    const n = Number(v);
    return n <= 0x7fffffff ? n | 0 : n;
  }
}

export function parseElf(bytes: Uint8Array, path: string): ElfFile {
  return new ElfFile(bytes, path);
}

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Bytes to a string one char per byte: names in ELF/BTF are ASCII; stray bytes stay visible. */
export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}
