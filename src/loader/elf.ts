/**
 * eBPF ELF objects as libbpf opens them: programs from executable sections (several per
 * section when the section holds several functions), their type from the section name,
 * maps (legacy, BTF-defined, global data), relocations (map references, global data
 * addresses, bpf-to-bpf calls and callback addresses), subprograms from .text appended to
 * each program that calls them, and BTF line/func info remapped to the final pcs.
 *
 * Every map is in every program's `maps`, in the object's order, so a map index in an
 * ld_imm64 is the same in all programs of an object.
 */
import { decodeInsns } from '../isa/decode.js';
import { InputError } from '../isa/errors.js';
import { type Insn, makeInsn, withInsn } from '../isa/insn.js';
import { BPF_LD_IMM64, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE } from '../isa/opcodes.js';
import { type FuncInfo, type LineInfo, makeProgram, type MapSpec, type ProgType, type Program, type ProgramBtf } from '../isa/program.js';
import { funcReturnsScalar, funcSignature, kernelBtf, objectBtf, parseBtf, parseBtfExt, rememberObjectBtf, type Btf, type BtfExt } from './btf/index.js';
import {
  parseElf, SHF_EXECINSTR, SHN_LORESERVE, SHN_UNDEF, SHT_PROGBITS, SHT_REL, SHT_RELA, STB_GLOBAL, STB_LOCAL, STB_WEAK,
  STT_FILE, STT_FUNC, STT_NOTYPE, STT_OBJECT, STT_SECTION, STV_HIDDEN, STV_INTERNAL, view, type ElfFile, type ElfRelocation, type ElfSection, type ElfSymbol,
} from './elf-file.js';
import { applyMapFixups, attachArenaData, btfMaps, globalDataMaps, isLegacyMapSection, legacyMaps, objectName, type ElfMap } from './elf-maps.js';
import { sectionType, type SectionType } from './section-types.js';
import { BTF_REQUIRED_MAP_TYPES } from './map-btf-required.js';
import { structOpsMembers } from './struct-ops.js';

const BPF_CALL_INSN = 0x85;

/** Relocation types of the BPF ELF ABI (llvm's BPF relocations). */
export const R_BPF = { NONE: 0, R_BPF_64_64: 1, R_BPF_64_ABS64: 2, R_BPF_64_ABS32: 3, R_BPF_64_NODYLD32: 4, R_BPF_64_32: 10 } as const;

/** A CO-RE relocation record as found in .BTF.ext, placed at a program pc (not applied). */
export interface CoreReloListing {
  pc: number;
  kind: string;
  /** The local (object BTF) root type id. */
  typeId: number;
  /** C-like name of the root type. */
  type: string;
  access: string;
  /** The access string spelled as C, e.g. "struct bpf_sock_ops.remote_ip4" or "struct x.a[2].b". */
  path: string;
}

/** Per-program facts that do not belong in the portable `Program`. */
export interface ElfProgramInfo {
  name: string;
  section: string;
  sectionType: SectionType;
  /** Byte offset of the entry function in its section. */
  offset: number;
  /** Instructions of the entry function itself (before subprograms are appended). */
  ownInsns: number;
  /** Subprograms appended, in order, with the pc where each starts. */
  subprograms: { name: string; pc: number }[];
  coreRelos: CoreReloListing[];
  /** Instructions that refer to an extern (`.kconfig`/`.ksyms`), by index into ElfObject.externs; poisoned until resolved. */
  externRelos: { pc: number; extern: number; /** An ld_imm64 (else a call) and its destination register. */ ld: boolean; dst: number }[];
  /** Relocations applied to this program's instructions (its own and its subprograms'). */
  relocations: number;
}

/** An extern variable or function (libbpf's struct extern_desc), resolved against the target kernel at load. */
export interface ElfExtern {
  name: string;
  /** The DATASEC it is declared in. */
  section: '.kconfig' | '.ksyms';
  weak: boolean;
  /** Its BTF VAR or FUNC type id in the object's BTF. */
  btfId: number;
  /** A function (kfunc) rather than a variable. */
  func: boolean;
}

export interface RelocationCounts {
  /** ld_imm64 → map (src 1). */
  map: number;
  /** ld_imm64 → global data value address (src 2). */
  data: number;
  /** bpf-to-bpf calls. */
  call: number;
  /** ld_imm64 of a function address (src 4, bpf_loop callbacks). */
  func: number;
  /** ld_imm64 / calls referring to `.kconfig`/`.ksyms` externs (resolved at load). */
  extern: number;
  /** Relocations in sections libbpf does not relocate (debug info, data, .eh_frame). */
  skipped: number;
}

/** An initial slot of a prog_array or map-in-map from relocations in `.maps`. */
export interface MapSlotInit {
  map: string;
  slot: number;
  target: string;
}

export interface ElfObject {
  programs: Program[];
  maps: MapSpec[];
  license: string;
  /** The `version` section (kernel version for old kprobe loaders). */
  version?: number;
  btf?: Btf;
  /** The raw .BTF section, for BPF_BTF_LOAD (programs with callbacks need func_info). */
  btfRaw?: Uint8Array;
  btfExt?: BtfExt;
  /** Parallel to `programs`. */
  details: ElfProgramInfo[];
  /** Parallel to `maps`. */
  mapDetails: ElfMap[];
  relocations: RelocationCounts;
  /** Total relocations applied (map + data + call + func). */
  relocationsApplied: number;
  mapInits: MapSlotInit[];
  /** Extern variables and functions (`.kconfig`, `.ksyms`) the programs refer to. */
  externs: ElfExtern[];
  /** Things libbpf would log and ignore (unparsable .BTF.ext, unrecognised sections). */
  warnings: string[];
  /**
   * The .text functions that carry CO-RE records, each as a program of its own code and records:
   * libbpf relocates every .text subprogram for any load (bpf_object__relocate_core skips only
   * programs not autoloaded, and subprograms always are), so one that fails fails every program
   * of the object, whether it calls that function or not.
   */
  textCore?: Program[];
}

/** A function inside an executable section. */
interface Func {
  sec: ElfSection;
  name: string;
  /** Instruction index of the first slot inside the section. */
  start: number;
  count: number;
  sym: ElfSymbol | undefined;
}

interface CodeSection {
  sec: ElfSection;
  insns: Insn[];
  funcs: Func[];
  /** Call / function-address relocations by instruction index. */
  codeRelos: Map<number, { sym: ElfSymbol; kind: 'call' | 'func' }>;
  /** Extern references by instruction index (index into the object's externs). */
  externRelos: Map<number, { extern: number; ld: boolean; dst: number }>;
  /** Relocations applied per instruction index (for per-program counts). */
  applied: Set<number>;
  /** Relocations that failed, by instruction index: they fail only the programs holding them. */
  failures: Map<number, string>;
}

/** Loads an eBPF ELF object. Throws InputError naming the file, section and offset. */
export function loadElf(bytes: Uint8Array, path: string): ElfObject {
  const elf = parseElf(bytes, path);
  const warnings: string[] = [];

  // license and version
  let license = '';
  let version: number | undefined;
  const licSec = elf.byName('license');
  if (licSec && licSec.type === SHT_PROGBITS) {
    const d = elf.data(licSec);
    const nul = d.indexOf(0);
    license = new TextDecoder('latin1').decode(nul >= 0 ? d.subarray(0, nul) : d);
  }
  const verSec = elf.byName('version');
  if (verSec && verSec.type === SHT_PROGBITS) {
    if (verSec.size !== 4) throw elf.error(verSec, verSec.offset, `invalid kver section: size ${verSec.size} is not 4`);
    version = view(elf.bytes).getUint32(verSec.offset, true);
  }

  // BTF: like libbpf, a broken .BTF is fatal only when something needs it (BTF-defined maps).
  const mapsSec = elf.byName('.maps');
  let btf: Btf | undefined;
  let btfExt: BtfExt | undefined;
  const btfSec = elf.byName('.BTF');
  if (btfSec && btfSec.type === SHT_PROGBITS) {
    try {
      btf = parseBtf(elf.data(btfSec), path, btfSec.offset);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      if (mapsSec) throw new InputError(e.kind, `${e.message} (BTF is required for '.maps')`);
      warnings.push(`ignored .BTF: ${e.message}`);
    }
  }
  const extSec = elf.byName('.BTF.ext');
  if (btf && extSec && extSec.type === SHT_PROGBITS) {
    try {
      btfExt = parseBtfExt(elf.data(extSec), btf, path, extSec.offset);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      warnings.push(`ignored .BTF.ext: ${e.message}`);
    }
  }

  // Maps, in libbpf's order.
  const mapList: ElfMap[] = [...legacyMaps(elf)];
  if (mapsSec) mapList.push(...btfMaps(elf, mapsSec, btf, warnings));
  mapList.push(...globalDataMaps(elf, objectName(path), btf));
  attachArenaData(elf, mapList);
  for (const m of mapList) applyMapFixups(m.spec);
  const maps = mapList.map((m) => m.spec);

  // Code sections and their functions.
  const text = elf.sections.find((s) => s.name === '.text' && isCode(s));
  const code = new Map<number, CodeSection>();
  for (const sec of elf.sections) {
    if (!isCode(sec)) continue;
    code.set(sec.index, { sec, insns: sectionInsns(elf, sec), funcs: functions(elf, sec), codeRelos: new Map(), externRelos: new Map(), applied: new Set(), failures: new Map() });
  }

  const counts: RelocationCounts = { map: 0, data: 0, call: 0, func: 0, extern: 0, skipped: 0 };
  const externs = collectExterns(elf, btf);
  const mapInits: MapSlotInit[] = [];
  for (const rsec of elf.sections) {
    if (rsec.type !== SHT_REL && rsec.type !== SHT_RELA) continue;
    const target = elf.section(rsec.info);
    if (!target || rsec.info === 0) throw elf.error(rsec, rsec.offset, `relocation section targets section ${rsec.info}, which does not exist`);
    const cs = code.get(rsec.info);
    if (cs) {
      relocateCode(elf, rsec, cs, mapList, counts, externs);
    } else if (mapsSec && target.index === mapsSec.index) {
      mapInits.push(...mapSlotRelocations(elf, rsec, mapList, code));
    } else {
      counts.skipped += rsec.size / (rsec.type === SHT_RELA ? 24 : 16);
    }
  }

  // Entry programs: functions outside .text; .text functions only when nothing else exists.
  const entries: Func[] = [];
  for (const cs of code.values()) if (cs.sec !== text) entries.push(...cs.funcs);
  if (entries.length === 0 && text) {
    const cs = code.get(text.index)!;
    entries.push(...cs.funcs.filter((f) => f.sym === undefined || f.sym.bind !== STB_LOCAL));
  }

  // The BTF the kernel gets (libbpf's fix-ups); without it programs load without func/line info.
  const hiddenFuncs = new Set<string>();
  if (text) for (const f of code.get(text.index)?.funcs ?? []) if (f.sym && isHiddenGlobal(f.sym)) hiddenFuncs.add(f.name);
  let kbtf: Uint8Array | undefined;
  let kbtfRefused: string | undefined;
  let withoutFuncInfo = false;
  if (btf && btfSec) {
    const k = kernelBtf(btf, elf.data(btfSec), {
      sectionSize: (name) => elf.byName(name)?.size,
      varSymbol: (name) => {
        const sym = elf.symbols.find((x) => x.name === name && x.type === STT_OBJECT && (x.bind === STB_GLOBAL || x.bind === STB_WEAK));
        return sym ? { value: sym.value, hidden: sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL } : undefined;
      },
      hiddenFuncs,
    });
    if (k.ok) kbtf = k.raw;
    else {
      warnings.push(`.BTF cannot be given to the kernel: ${k.reason}`);
      // bpflab still uses it (CO-RE relocations, func info); the kernel load goes without it
      kbtf = elf.data(btfSec);
      kbtfRefused = k.reason;
      withoutFuncInfo = k.withoutFuncInfo === true;
    }
    // Parsed here, once per object, so that no program's verification pays for it (the verifier
    // reads it through objectBtf); the section as compiled is the parse above.
    if (k.ok) objectBtf(kbtf, path);
    else rememberObjectBtf(kbtf, btf);
  }

  const programs: Program[] = [];
  const details: ElfProgramInfo[] = [];
  for (const f of entries) {
    let built: ReturnType<typeof buildProgram>;
    try {
      built = buildProgram(elf, f, code, maps, license, version, btf, btfExt, kbtf, text);
      if (kbtfRefused !== undefined && built.prog.btf) built.prog.btf.kernelRefuses = kbtfRefused;
      if (withoutFuncInfo && built.prog.btf) Object.assign(built.prog.btf, { kernelIgnores: true, funcInfo: [], lineInfo: [] });
      // The kernel verifies such a program as libbpf loads it: no func_info (every subprogram
      // static, the main program's signature unread).
      if (withoutFuncInfo) built.prog.funcInfo = undefined; // not delete: it would make the program a dictionary-mode object
    } catch (e) {
      // Like libbpf, a program whose code cannot be linked fails on its own, at load.
      if (!(e instanceof ProgramLoadError)) throw e;
      built = unlinkedProgram(elf, f, code, maps, license, e);
    }
    programs.push(built.prog);
    details.push(built.info);
  }
  // The kernel refused the object's BTF and libbpf went on without it: a map that cannot be
  // created without BTF fails bpf_object__create_maps, before any program loads.
  const needsBtf = withoutFuncInfo ? maps.find((m) => BTF_REQUIRED_MAP_TYPES.has(m.type)) : undefined;
  if (needsBtf) for (const p of programs) if (!p.loadError) p.loadError = { pc: 0, message: `map '${needsBtf.name}': failed to create: Invalid argument(-22) (no BTF: ${kbtfRefused})` };
  // struct_ops programs: the map member each implements (libbpf sets attach_btf_id / expected_attach_type from it).
  const stOps = structOpsMembers(elf, btf, (shndx, value) => code.get(shndx)?.funcs.some((f) => f.start * 8 === value) ?? false);
  entries.forEach((f, i) => {
    const use = stOps.get(`${f.sec.index}:${f.start * 8}`);
    if (!use) return;
    programs[i]!.structOps = { struct: use.struct, member: use.member };
    if (use.conflict && !programs[i]!.loadError) programs[i]!.loadError = { pc: 0, message: use.conflict };
  });
  const relocationsApplied = counts.map + counts.data + counts.call + counts.func + counts.extern;
  const obj: ElfObject = { programs, maps, license, details, mapDetails: mapList, relocations: counts, relocationsApplied, mapInits, externs, warnings };
  if (version !== undefined) obj.version = version;
  if (btf && btfSec) { obj.btf = btf; obj.btfRaw = elf.data(btfSec); }
  if (btfExt) obj.btfExt = btfExt;
  const textRelos = text && btfExt && kbtf ? btfExt.coreRelos.get(text.name) ?? [] : [];
  if (text && kbtf && textRelos.length) {
    const cs = code.get(text.index)!;
    obj.textCore = cs.funcs.flatMap((f) => {
      const own = textRelos.filter((r) => r.insnOff % 8 === 0 && r.insnOff / 8 >= f.start && r.insnOff / 8 < f.start + f.count);
      if (!own.length) return [];
      const coreRelos = own.map((r) => ({ pc: r.insnOff / 8 - f.start, typeId: r.typeId, access: r.access, accessOff: r.accessOff, kind: r.kind }));
      return [makeProgram({ name: f.name, section: text.name, type: 'unspec', insns: cs.insns.slice(f.start, f.start + f.count), maps, license, file: path, btf: { raw: kbtf, funcInfo: [], lineInfo: [], coreRelos } })];
    });
  }
  return obj;
}

/** A global function or variable that libbpf treats as static (visibility hidden/internal). */
function isHiddenGlobal(sym: ElfSymbol): boolean {
  return (sym.bind === STB_GLOBAL || sym.bind === STB_WEAK) && (sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL);
}

function isCode(sec: ElfSection): boolean {
  return sec.type === SHT_PROGBITS && (sec.flags & SHF_EXECINSTR) !== 0 && sec.size > 0;
}

function sectionInsns(elf: ElfFile, sec: ElfSection): Insn[] {
  if (sec.size % 8 !== 0) throw elf.error(sec, sec.offset, `code section size ${sec.size} is not a multiple of 8`);
  return decodeInsns(elf.data(sec), { validate: false });
}

/**
 * The functions of a code section (libbpf: STT_FUNC symbols). Objects from old compilers have
 * no STT_FUNC symbols: then global symbols mark program starts, each running to the next one,
 * and a section without any becomes one program named after the section.
 */
function functions(elf: ElfFile, sec: ElfSection): Func[] {
  const n = sec.size / 8;
  let syms = elf.symbolsIn(sec.index).filter((s) => s.type === STT_FUNC);
  if (syms.length === 0)
    syms = elf.symbolsIn(sec.index).filter((s) => s.type !== STT_SECTION && s.type !== STT_FILE && (s.bind === STB_GLOBAL || s.bind === STB_WEAK));
  if (syms.length === 0) {
    // Whole section, named by a symbol at its start when there is one (old ovs objects).
    const first = elf.symbolsIn(sec.index).find((s) => s.value === 0 && s.type === STT_NOTYPE && s.name !== '' && !/^(LBB|\.L|L\d)/.test(s.name));
    return [{ sec, name: first?.name ?? sec.name.replace(/[^A-Za-z0-9_]/g, '_'), start: 0, count: n, sym: first }];
  }
  syms = [...syms].sort((a, b) => a.value - b.value || a.index - b.index);
  const out: Func[] = [];
  for (let i = 0; i < syms.length; i++) {
    const s = syms[i]!;
    if (i > 0 && syms[i - 1]!.value === s.value) continue; // alias of the previous function
    if (s.value % 8 !== 0) throw elf.error(sec, sec.offset + s.value, `program '${s.name}' at offset ${s.value} doesn't start at an instruction boundary`);
    let size = s.size;
    if (size === 0) {
      let next = sec.size;
      for (let j = i + 1; j < syms.length; j++) if (syms[j]!.value > s.value) { next = syms[j]!.value; break; }
      size = next - s.value;
    }
    if (s.value + size > sec.size) throw elf.error(sec, sec.offset + s.value, `program '${s.name}' at offset ${s.value} crosses section boundary (size ${size}, section ${sec.size})`);
    if (size % 8 !== 0) throw elf.error(sec, sec.offset + s.value, `program '${s.name}' size ${size} is not a multiple of 8`);
    if (size === 0) continue;
    out.push({ sec, name: s.name, start: s.value / 8, count: size / 8, sym: s });
  }
  return out;
}

function funcAt(cs: CodeSection, idx: number): Func | undefined {
  return cs.funcs.find((f) => idx >= f.start && idx < f.start + f.count);
}

/** libbpf's POISON_CALL_KFUNC_BASE: an unresolved kfunc call becomes a call to helper id BASE + extern index. */
export const POISON_CALL_KFUNC_BASE = 2002000000;

/** The call that stands in for an extern reference until it is resolved (also what an unresolved weak kfunc call stays). */
export function externPoison(externIndex: number): Insn {
  return makeInsn(BPF_CALL_INSN, 0, 0, 0, POISON_CALL_KFUNC_BASE + externIndex);
}

/**
 * libbpf's bpf_object__collect_externs: every undefined global symbol must be a VAR or FUNC
 * of the object's BTF declared in the `.kconfig` or `.ksyms` DATASEC (kfuncs are declared
 * `__ksym`, which puts them in `.ksyms`).
 */
function collectExterns(elf: ElfFile, btf: Btf | undefined): ElfExtern[] {
  const out: ElfExtern[] = [];
  const symtab = elf.sections.find((x) => x.type === 2);
  for (const sym of elf.symbols) {
    if (!isExtern(sym) || !sym.name) continue;
    const where = symtab ?? elf.sections[0]!;
    if (!btf) throw elf.error(where, where.offset, `extern '${sym.name}': BTF is missing, externs need it`, 'elf_reloc');
    // find_extern_btf_id: the first VAR or FUNC of that name, which must be declared extern
    // (-EINVAL otherwise: GCC 12 writes some `extern ... __kconfig` VARs as global, allocated).
    const t = btf.types.find((x) => x.name === sym.name && (x.kind === 'var' || x.kind === 'func'));
    if (!t) throw elf.error(where, where.offset, `failed to find BTF for extern '${sym.name}': -2`, 'elf_reloc');
    if ((t.kind === 'var' || t.kind === 'func') && t.linkage !== 2) throw elf.error(where, where.offset, `failed to find BTF for extern '${sym.name}': -22`, 'elf_reloc');
    let section: ElfExtern['section'] | undefined;
    for (const ds of btf.types) {
      if (ds.kind !== 'datasec' || (ds.name !== '.kconfig' && ds.name !== '.ksyms')) continue;
      if (ds.vars.some((v) => v.type === t.id)) section = ds.name;
    }
    if (!section) throw elf.error(where, where.offset, `failed to find BTF for extern '${sym.name}' [${t.id}] section: not in .kconfig or .ksyms`, 'elf_reloc');
    out.push({ name: sym.name, section, weak: sym.bind === STB_WEAK, btfId: t.id, func: t.kind === 'func' });
  }
  return out;
}

function isExtern(sym: ElfSymbol): boolean {
  return sym.shndx === SHN_UNDEF && (sym.bind === STB_GLOBAL || sym.bind === STB_WEAK) && (sym.type === STT_NOTYPE || sym.type === STT_FUNC);
}

/** Applies map and data relocations to a section's instructions; records call relocations. */
function relocateCode(elf: ElfFile, rsec: ElfSection, cs: CodeSection, mapList: ElfMap[], counts: RelocationCounts, externs: ElfExtern[]): void {
  const rels: ElfRelocation[] = elf.relocations(rsec);
  const sec = cs.sec;
  rels.forEach((r, i) => failsOnlyItsProgram(cs, r.offset, unresolvable(elf, elf.symbols[r.symbol], mapList), () => {
    const at = rsec.offset + i * (rsec.type === SHT_RELA ? 24 : 16);
    if (r.offset % 8 !== 0 || r.offset >= sec.size) throw elf.error(rsec, at, `invalid offset 0x${r.offset.toString(16)} for relocation #${i} (section '${sec.name}' is ${sec.size} bytes)`, 'elf_reloc');
    const idx = r.offset / 8;
    const f = funcAt(cs, idx);
    if (!f) { counts.skipped++; return; } // libbpf: no program covers it (overridden weak function)
    const ins = cs.insns[idx]!;
    const sym = elf.symbols[r.symbol]!;
    const symName = sym.name || (sym.type === STT_SECTION ? elf.section(sym.shndx)?.name ?? '' : '');
    const fail = (msg: string) => elf.error(rsec, at, `program '${f.name}': ${msg}`, 'elf_reloc');
    const isCall = ins.code === BPF_CALL_INSN;
    const isLd = ins.code === BPF_LD_IMM64;
    if (!isCall && !isLd) throw fail(`invalid relo against '${symName}' for insns[${idx - f.start}].code 0x${ins.code.toString(16)}`);
    if (isLd && idx + 1 >= f.start + f.count) throw fail(`ld_imm64 at insn ${idx - f.start} has no second half`);
    if (isExtern(sym)) {
      const ei = externs.findIndex((x) => x.name === symName);
      if (ei < 0) throw fail(`extern '${symName}' is not a BTF-described .kconfig/.ksyms extern`);
      const ext = externs[ei]!;
      if (isCall && (!ext.func || ins.src !== BPF_PSEUDO_CALL)) throw fail(`extern relo for insn #${idx - f.start} (call) against non-function '${symName}'`);
      // Poisoned until the target kernel resolves it (libbpf's poison_kfunc_call / bpf_core_poison_insn).
      cs.insns[idx] = externPoison(ei);
      if (isLd) cs.insns[idx + 1] = externPoison(ei);
      cs.externRelos.set(idx, { extern: ei, ld: isLd, dst: isLd ? ins.dst : 0 });
      counts.extern++;
      cs.applied.add(idx);
      return;
    }
    if (isCall) {
      if (ins.src !== BPF_PSEUDO_CALL) throw fail(`incorrect bpf_call opcode (call with relocation against '${symName}' is not a bpf-to-bpf call)`);
      const tsec = elf.section(sym.shndx);
      if (!tsec || !isCode(tsec)) throw fail(`bad call relo against '${symName}' in section '${tsec?.name ?? sym.shndx}'`);
      if (sym.value % 8 !== 0) throw fail(`bad call relo against '${symName}' at offset ${sym.value}`);
      cs.codeRelos.set(idx, { sym, kind: 'call' });
      counts.call++;
      cs.applied.add(idx);
      return;
    }
    if (sym.shndx === SHN_UNDEF || sym.shndx >= SHN_LORESERVE)
      throw fail(`invalid relo against '${symName}' in special section 0x${sym.shndx.toString(16)}; forgot to initialize global var?`);
    const tsec = elf.section(sym.shndx)!;
    if (isCode(tsec) && ((sym.bind === STB_GLOBAL && sym.type === STT_FUNC) || (sym.bind === STB_LOCAL && sym.type === STT_SECTION) || sym.type === STT_FUNC)) {
      if (sym.value % 8 !== 0 || ins.imm % 8 !== 0) throw fail(`bad subprog addr relo against '${symName}' at offset ${sym.value}+${ins.imm}`);
      // libbpf marks the ld_imm64 as a function address (clang leaves src 0) and points it
      // at the subprogram when linking.
      cs.insns[idx] = withInsn(ins, { src: BPF_PSEUDO_FUNC });
      cs.codeRelos.set(idx, { sym, kind: 'func' });
      counts.func++;
      cs.applied.add(idx);
      return;
    }
    if (isLegacyMapSection(tsec.name) || tsec.name === '.maps') {
      const mi = mapList.findIndex((m) => (m.origin === 'legacy' || m.origin === 'btf') && m.sectionIndex === sym.shndx && m.offset === sym.value);
      if (mi < 0) throw fail(`map relo failed to find map for section '${tsec.name}', off ${sym.value}`);
      cs.insns[idx] = withInsn(ins, { src: BPF_PSEUDO_MAP_FD, imm: mi });
      counts.map++;
      cs.applied.add(idx);
      return;
    }
    const addend = r.addend ?? ins.imm;
    const ai = mapList.findIndex((m) => m.arenaData?.sectionIndex === sym.shndx);
    if (ai >= 0) {
      // An `__arena` global: a value address in the arena map (libbpf's RELO_DATA with arena_map_idx).
      cs.insns[idx] = withInsn(ins, { src: BPF_PSEUDO_MAP_VALUE, imm: ai });
      cs.insns[idx + 1] = withInsn(cs.insns[idx + 1]!, { imm: (addend + sym.value + mapList[ai]!.arenaData!.offset) | 0 });
      counts.data++;
      cs.applied.add(idx);
      return;
    }
    const mi = mapList.findIndex((m) => (m.origin === 'data' || m.origin === 'rodata' || m.origin === 'bss') && m.sectionIndex === sym.shndx);
    if (mi < 0) throw fail(`bad data relo against section '${tsec.name}'`);
    const off = addend + sym.value;
    // libbpf (bpf_object__relocate_data) writes insn[1].imm = imm + st_value unchecked: an offset
    // outside the section is the kernel's to refuse at load ("invalid access to map value pointer").
    cs.insns[idx] = withInsn(ins, { src: BPF_PSEUDO_MAP_VALUE, imm: mi });
    cs.insns[idx + 1] = withInsn(cs.insns[idx + 1]!, { imm: off | 0 });
    counts.data++;
    cs.applied.add(idx);
  }));
}

/** A link or relocation failure of one program, at `pc` of its final instructions. */
class ProgramLoadError extends InputError {
  constructor(kind: string, message: string, readonly pc: number) {
    super(kind, message);
  }
}

/**
 * A well-formed relocation against a symbol the loader cannot place: an extern (kfunc, ksym,
 * library function) or data in a section it has no map for (e.g. an arena's address space).
 * Like libbpf at load, that fails the programs using it; a malformed relocation fails the object.
 */
function unresolvable(elf: ElfFile, sym: ElfSymbol | undefined, mapList: readonly ElfMap[]): boolean {
  if (!sym) return false;
  if (isExtern(sym)) return true;
  if (sym.shndx === SHN_UNDEF || sym.shndx >= SHN_LORESERVE) return false;
  const sec = elf.section(sym.shndx);
  return !!sec && !isCode(sec) && !mapList.some((m) => m.sectionIndex === sym.shndx || m.arenaData?.sectionIndex === sym.shndx);
}

/**
 * Runs one relocation: when a relocation against an unresolvable symbol fails inside a function,
 * the failure is kept for the programs that contain that function instead of failing the object.
 */
function failsOnlyItsProgram(cs: CodeSection, offset: number, perProgram: boolean, relocate: () => void): void {
  try {
    relocate();
  } catch (e) {
    const idx = offset / 8;
    if (!perProgram || !(e instanceof InputError) || e.kind !== 'elf_reloc' || offset % 8 !== 0 || !funcAt(cs, idx)) throw e;
    if (!cs.failures.has(idx)) cs.failures.set(idx, e.message);
  }
}

/** A program that could not be linked: its own instructions, as written, and why. */
function unlinkedProgram(elf: ElfFile, main: Func, code: Map<number, CodeSection>, maps: MapSpec[], license: string,
  e: ProgramLoadError): { prog: Program; info: ElfProgramInfo } {
  const insns = code.get(main.sec.index)!.insns.slice(main.start, main.start + main.count);
  const st = sectionType(main.sec.name);
  const prog: Program = makeProgram({ name: main.name, section: main.sec.name, type: st.type, insns, maps, license, file: elf.path, loadError: { pc: Math.min(e.pc, insns.length - 1), message: e.message } });
  if (st.attachTo !== undefined) prog.attachTo = st.attachTo;
  if (st.expectedAttachType !== undefined) prog.expectedAttachType = st.expectedAttachType;
  const info: ElfProgramInfo = {
    name: main.name, section: main.sec.name, sectionType: st, offset: main.start * 8, ownInsns: main.count, subprograms: [], coreRelos: [], externRelos: [], relocations: 0,
  };
  return { prog, info };
}

/** Relocations in `.maps`: initial prog_array / map-in-map slots (`.values = { ... }`). */
function mapSlotRelocations(elf: ElfFile, rsec: ElfSection, mapList: ElfMap[], code: Map<number, CodeSection>): MapSlotInit[] {
  const out: MapSlotInit[] = [];
  elf.relocations(rsec).forEach((r, i) => {
    const at = rsec.offset + i * (rsec.type === SHT_RELA ? 24 : 16);
    const sym = elf.symbols[r.symbol]!;
    const map = mapList.find((m) => m.origin === 'btf' && r.offset >= m.offset && r.offset < m.offset + m.defSize);
    if (!map) throw elf.error(rsec, at, `.maps relo #${i}: cannot find map definition at offset ${r.offset}`, 'elf_reloc');
    if (map.valuesOffset === undefined) throw elf.error(rsec, at, `.maps relo #${i}: map '${map.spec.name}' has no 'values' member`, 'elf_reloc');
    const rel = r.offset - map.offset - map.valuesOffset;
    if (rel < 0 || rel % 8 !== 0) throw elf.error(rsec, at, `.maps relo #${i}: offset ${r.offset} is not a slot of '${map.spec.name}'.values`, 'elf_reloc');
    const isProg = code.has(sym.shndx);
    const isMap = mapList.some((m) => m.origin === 'btf' && m.sectionIndex === sym.shndx && m.offset === sym.value);
    if (!isProg && !isMap) throw elf.error(rsec, at, `.maps relo #${i}: '${sym.name}' is neither a program nor a map`, 'elf_reloc');
    out.push({ map: map.spec.name, slot: rel / 8, target: sym.name });
  });
  return out;
}

/** One entry program: its code, subprograms appended as libbpf's bpf_object__reloc_code does. */
function buildProgram(elf: ElfFile, main: Func, code: Map<number, CodeSection>, maps: MapSpec[], license: string, version: number | undefined,
  btf: Btf | undefined, ext: BtfExt | undefined, kbtf: Uint8Array | undefined, text: ElfSection | undefined): { prog: Program; info: ElfProgramInfo } {
  const insns: Insn[] = code.get(main.sec.index)!.insns.slice(main.start, main.start + main.count);
  const placed = new Map<Func, number>([[main, 0]]);
  const order: Func[] = [main];
  const fail = (f: Func, i: number, msg: string) =>
    new ProgramLoadError('elf_reloc', elf.error(f.sec, f.sec.offset + (f.start + i) * 8, `program '${main.name}': ${msg}`, 'elf_reloc').message, (placed.get(f) ?? 0) + i);

  // Iterative form of libbpf's recursion: a stack of (function, next insn to look at).
  const stack: { f: Func; i: number }[] = [{ f: main, i: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const { f } = top;
    if (top.i >= f.count) { stack.pop(); continue; }
    const i = top.i;
    const cs = code.get(f.sec.index)!;
    const base = placed.get(f)!;
    const ins = insns[base + i]!;
    const isCall = ins.code === BPF_CALL_INSN && ins.src === BPF_PSEUDO_CALL;
    const isFunc = ins.code === BPF_LD_IMM64 && ins.src === BPF_PSEUDO_FUNC;
    // A call whose relocation failed stays unlinked: the program fails with that error.
    if ((!isCall && !isFunc) || cs.failures.has(f.start + i)) { top.i++; continue; }
    const relo = cs.codeRelos.get(f.start + i);
    let tcs: CodeSection;
    let idx: number;
    if (relo) {
      tcs = code.get(relo.sym.shndx)!;
      idx = relo.kind === 'call' ? relo.sym.value / 8 + ins.imm + 1 : (relo.sym.value + ins.imm) / 8;
    } else if (isFunc) {
      throw fail(f, i, `missing subprog addr relo for insn #${i}`);
    } else {
      tcs = cs;
      idx = f.start + i + ins.imm + 1;
    }
    const sub = tcs.funcs.find((g) => g.start === idx);
    if (!sub) {
      const within = funcAt(tcs, idx);
      throw fail(f, i, within ? `call to insn ${idx} of section '${tcs.sec.name}', inside function '${within.name}' rather than at its start`
        : `no function at insn ${idx} of section '${tcs.sec.name}' for the ${isCall ? 'call' : 'callback address'} at insn #${i}`);
    }
    if (!placed.has(sub)) {
      placed.set(sub, insns.length);
      order.push(sub);
      insns.push(...tcs.insns.slice(sub.start, sub.start + sub.count));
      // Process the appended subprogram before going on (libbpf's order).
      stack.push({ f: sub, i: 0 });
    }
    insns[base + i] = withInsn(ins, { imm: placed.get(sub)! - (base + i) - 1 });
    top.i++;
  }

  const st = sectionType(main.sec.name);
  const prog: Program = makeProgram({ name: main.name, section: main.sec.name, type: st.type, insns, maps, license, file: elf.path });
  // The first relocation that failed in any function of this program fails the program.
  for (const f of order) {
    const base = placed.get(f)!;
    for (const [idx, message] of code.get(f.sec.index)!.failures) {
      if (idx < f.start || idx >= f.start + f.count) continue;
      const pc = base + idx - f.start;
      if (!prog.loadError || pc < prog.loadError.pc) prog.loadError = { pc, message };
    }
  }
  // Map references no relocation filled keep the fd written in the object (libbpf leaves them).
  const rawMapFds: number[] = [];
  for (const f of order) {
    const base = placed.get(f)!;
    const cs = code.get(f.sec.index)!;
    for (let i = 0; i < f.count; i++) {
      const ins = insns[base + i]!;
      if (ins.code === BPF_LD_IMM64 && (ins.src === BPF_PSEUDO_MAP_FD || ins.src === BPF_PSEUDO_MAP_VALUE) && !cs.applied.has(f.start + i)) rawMapFds.push(base + i);
      if (ins.code === BPF_LD_IMM64) i++;
    }
  }
  if (rawMapFds.length) prog.rawMapFds = rawMapFds;
  if (st.attachTo !== undefined) prog.attachTo = st.attachTo;
  if (st.expectedAttachType !== undefined) prog.expectedAttachType = st.expectedAttachType;
  if (version !== undefined) prog.kernelVersion = version;

  // func_info / line_info / CO-RE records, moved to where each function landed.
  const lineInfo: LineInfo[] = [];
  const funcInfo: FuncInfo[] = [];
  const rawLines: ProgramBtf['lineInfo'] = [];
  const rawCore: NonNullable<ProgramBtf['coreRelos']> = [];
  const coreRelos: CoreReloListing[] = [];
  const externRelos: ElfProgramInfo['externRelos'] = [];
  let relocations = 0;
  for (const f of order) {
    const base = placed.get(f)!;
    const cs = code.get(f.sec.index)!;
    for (const idx of cs.applied) if (idx >= f.start && idx < f.start + f.count) relocations++;
    for (const [idx, e] of cs.externRelos) if (idx >= f.start && idx < f.start + f.count) externRelos.push({ pc: base + idx - f.start, ...e });
    if (!ext || !btf) continue;
    const within = (insnOff: number) => insnOff % 8 === 0 && insnOff / 8 >= f.start && insnOff / 8 < f.start + f.count;
    const pcOf = (insnOff: number) => base + insnOff / 8 - f.start;
    // libbpf turns hidden global subprograms static (mark_btf_static).
    const hidden = f.sec === text && f !== main && f.sym !== undefined && isHiddenGlobal(f.sym);
    for (const r of ext.funcInfo.get(f.sec.name) ?? []) {
      if (!within(r.insnOff)) continue;
      const t = btf.type(r.typeId);
      const fi: FuncInfo = { pc: pcOf(r.insnOff), name: t && t.kind === 'func' ? t.name : `type ${r.typeId}`, typeId: r.typeId };
      funcInfo.push(withSignature(fi, btf, st.type, hidden));
    }
    for (const r of ext.lineInfo.get(f.sec.name) ?? []) {
      if (!within(r.insnOff)) continue;
      lineInfo.push({ pc: pcOf(r.insnOff), file: r.file, line: r.line, col: r.col, text: r.text });
      rawLines.push({ pc: pcOf(r.insnOff), fileNameOff: r.fileNameOff, lineOff: r.lineOff, lineCol: r.lineCol });
    }
    for (const r of ext.coreRelos.get(f.sec.name) ?? []) {
      if (!within(r.insnOff)) continue;
      coreRelos.push({ pc: pcOf(r.insnOff), kind: r.kindName, typeId: r.typeId, type: btf.format(r.typeId), access: r.access, path: accessPath(btf, r.typeId, r.access, r.kindName) });
      rawCore.push({ pc: pcOf(r.insnOff), typeId: r.typeId, access: r.access, accessOff: r.accessOff, kind: r.kind });
    }
  }
  if (lineInfo.length) prog.lineInfo = lineInfo.sort((a, b) => a.pc - b.pc);
  if (funcInfo.length) prog.funcInfo = funcInfo.sort((a, b) => a.pc - b.pc);
  if (kbtf) {
    const pb = programBtf(kbtf, funcInfo, rawLines, insns, order.map((g) => placed.get(g)!));
    if (rawCore.length) pb.coreRelos = rawCore.sort((a, b) => a.pc - b.pc);
    prog.btf = pb;
  }

  // Like libbpf, no instruction checks here: a bad register or jump is the verifier's to reject
  // (in the kernel's words), and fails only this program.
  if (insns.length === 0) throw new InputError('empty', `${elf.path}: program '${main.name}' in section '${main.sec.name}': program has no instructions`);
  const info: ElfProgramInfo = {
    name: main.name, section: main.sec.name, sectionType: st, offset: main.start * 8, ownInsns: main.count,
    subprograms: order.slice(1).map((g) => ({ name: g.name, pc: placed.get(g)! })), coreRelos, externRelos, relocations,
  };
  return { prog, info };
}

/** Spells a CO-RE access string ("0:1:2": root index, then member/element indices) as C. */
export function accessPath(btf: Btf, typeId: number, access: string, kind?: string): string {
  const idx = access.split(':').map(Number);
  let out = btf.format(typeId);
  if (idx.length === 0 || idx.some((n) => !Number.isInteger(n) || n < 0)) return `${out} <${access}>`;
  const root = btf.skipMods(typeId);
  // Enum-value relocations: the one index names an enumerator.
  if (kind?.startsWith('enumval') && root && (root.kind === 'enum' || root.kind === 'enum64')) return idx.length === 1 ? `${out}::${root.values[idx[0]!]?.name ?? `<${idx[0]}>`}` : `${out} <${access}>`;
  if (idx[0] !== 0) out += `[${idx[0]}]`;
  let t = btf.skipMods(typeId);
  for (const i of idx.slice(1)) {
    if (t && (t.kind === 'struct' || t.kind === 'union')) {
      const m = t.members[i];
      if (!m) return `${out} <${access}>`;
      out += m.name ? `.${m.name}` : `.<anon ${i}>`;
      t = btf.skipMods(m.type);
    } else if (t && t.kind === 'array') {
      out += `[${i}]`;
      t = btf.skipMods(t.type);
    } else if (t && (t.kind === 'enum' || t.kind === 'enum64')) {
      return `${out}::${t.values[i]?.name ?? `<${i}>`}`;
    } else return `${out} <${access}>`;
  }
  return out;
}

/** A FuncInfo with the linkage and arguments of its BTF signature for a program of `type`. */
function withSignature(fi: FuncInfo, btf: Btf, type: ProgType, hidden: boolean): FuncInfo {
  if (fi.typeId === undefined) return fi;
  const sig = funcSignature(btf, fi.typeId, type, hidden);
  const { params: _p, paramError: _e, ...base } = fi;
  const out: FuncInfo = { ...base, linkage: sig.linkage, scalarReturn: funcReturnsScalar(btf, fi.typeId) };
  if (sig.params) out.params = sig.params;
  if (sig.paramError !== undefined) out.paramError = sig.paramError;
  return out;
}

/**
 * Re-judges the BTF arguments of a program's functions for another program type (a context
 * pointer is one only for the type it belongs to). Used when the caller overrides the type.
 */
export function retypeFuncInfo(prog: Program, btf: Btf, type: ProgType): FuncInfo[] | undefined {
  return prog.funcInfo?.map((fi) => {
    const fn = fi.typeId === undefined ? undefined : btf.type(fi.typeId);
    // A FUNC that BTF calls global but the loader made static was hidden.
    const hidden = fi.linkage === 'static' && fn?.kind === 'func' && fn.linkage === 1;
    return withSignature(fi, btf, type, hidden);
  });
}

/**
 * The program's BTF with the kernel's func_info / line_info. Both are left empty when the
 * func_info records would not pass check_btf_func (one FUNC per subprogram, at its first
 * instruction, the first at pc 0): an object without func_info (GCC 12 writes .BTF.ext with
 * CO-RE records only) still has its BTF, for its maps and its CO-RE relocations, as libbpf
 * keeps it ("missing .BTF.ext function info for the main program, skipping all of .BTF.ext
 * func info"). line_info is dropped (it is optional) unless it passes check_btf_line: strictly
 * ascending, never on the second half of an ld_imm64, one at the start of every subprogram.
 */
function programBtf(raw: Uint8Array, funcs: readonly FuncInfo[], lines: ProgramBtf['lineInfo'], insns: readonly Insn[], starts: number[]): ProgramBtf {
  const funcInfo = funcs.filter((f) => f.typeId !== undefined).map((f) => ({ pc: f.pc, typeId: f.typeId! })).sort((a, b) => a.pc - b.pc);
  const subStarts = [...starts].sort((a, b) => a - b);
  if (funcInfo.length !== subStarts.length || funcInfo.some((f, i) => f.pc !== subStarts[i])) return { raw, funcInfo: [], lineInfo: [] };
  const sorted = [...lines].sort((a, b) => a.pc - b.pc);
  const lineInfo: ProgramBtf['lineInfo'] = [];
  for (const l of sorted) if (lineInfo.length === 0 || lineInfo[lineInfo.length - 1]!.pc !== l.pc) lineInfo.push(l);
  const secondHalf = new Set<number>();
  for (let pc = 0; pc < insns.length; pc++) if (insns[pc]!.code === BPF_LD_IMM64) secondHalf.add(++pc);
  const have = new Set(lineInfo.map((l) => l.pc));
  const linesOk = lineInfo.every((l) => l.pc < insns.length && !secondHalf.has(l.pc)) && subStarts.every((pc) => have.has(pc));
  return { raw, funcInfo, lineInfo: linesOk ? lineInfo : [] };
}
