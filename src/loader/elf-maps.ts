/**
 * Maps declared by an eBPF object, in libbpf's order: legacy `maps` section records
 * (struct bpf_map_def and its longer variants), BTF-defined maps in `.maps`, then global
 * data (.data*, .rodata*, .bss*) as single-entry array maps named the way libbpf names them.
 */
import { InputError } from '../isa/errors.js';
import { makeMapSpec, mapTypeName, type MapSpec } from '../isa/program.js';
import type { Btf } from './btf/index.js';
import type { BtfType } from './btf/types.js';
import { SHT_NOBITS, STB_LOCAL, STT_SECTION, view, type ElfFile, type ElfSection } from './elf-file.js';

export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_MMAPABLE = 1 << 10;
/** The kernel's BPF_OBJ_NAME_LEN (names are at most 15 characters). */
const BPF_OBJ_NAME_LEN = 16;

export type MapOrigin = 'legacy' | 'btf' | 'data' | 'rodata' | 'bss';

/** Where a map came from, for relocations and listings. */
export interface ElfMap {
  spec: MapSpec;
  origin: MapOrigin;
  /** ELF section index and byte offset of the definition (global data: offset 0). */
  sectionIndex: number;
  section: string;
  offset: number;
  /** Size of the definition in the section (for `.maps` relocations into `values`). */
  defSize: number;
  /** The map type number as written (kept when the number has no name). */
  typeNumber: number;
  keyType?: string;
  valueType?: string;
  /** Byte offset of the `values` member inside a BTF map definition. */
  valuesOffset?: number;
  /**
   * The ARENA map only: the `.addr_space.1` section (global `__arena` variables) it holds, and
   * the byte offset in the arena where libbpf places that section's data.
   */
  arenaData?: { sectionIndex: number; offset: number };
}

/** libbpf's ARENA_SEC: clang puts global variables of address space 1 (`__arena`) here. */
export const ARENA_SECTION = '.addr_space.1';
const ARENA_PAGE_SIZE = 4096;

/**
 * libbpf's checks and placement for arena objects (bpf_object__init_user_btf_maps,
 * init_arena_map_data): one ARENA map at most; `__arena` globals need that map, must fit in it,
 * and go at the end of the arena (page-aligned), where relocations against them point.
 */
export function attachArenaData(elf: ElfFile, mapList: readonly ElfMap[]): void {
  const arenas = mapList.filter((m) => m.origin === 'btf' && m.spec.type === 'arena');
  const sec = elf.sections.find((s) => s.name === ARENA_SECTION);
  if (arenas.length > 1) {
    const [a, b] = arenas;
    throw elf.error(elf.section(b!.sectionIndex)!, elf.section(b!.sectionIndex)!.offset + b!.offset,
      `map '${b!.spec.name}': only single ARENA map is supported (map '${a!.spec.name}' is also ARENA)`, 'elf_maps');
  }
  if (!sec) return;
  const arena = arenas[0];
  if (!arena) throw elf.error(sec, sec.offset, `to use global __arena variables the ARENA map should be explicitly declared in SEC(".maps")`, 'elf_maps');
  const mmapSize = arena.spec.maxEntries * ARENA_PAGE_SIZE;
  const allocSize = Math.ceil(sec.size / ARENA_PAGE_SIZE) * ARENA_PAGE_SIZE;
  if (allocSize > mmapSize)
    throw elf.error(sec, sec.offset, `declared ARENA map size (${mmapSize}) is too small to hold global __arena variables of size ${sec.size}`, 'elf_maps');
  arena.arenaData = { sectionIndex: sec.index, offset: mmapSize - allocSize };
}

export function isLegacyMapSection(name: string): boolean {
  return name === 'maps' || name.startsWith('maps/');
}

export function globalDataKind(sec: ElfSection): 'data' | 'rodata' | 'bss' | undefined {
  const n = sec.name;
  const is = (p: string) => n === p || n.startsWith(p + '.');
  if (sec.type === SHT_NOBITS) return is('.bss') ? 'bss' : undefined;
  if (is('.data')) return 'data';
  if (is('.rodata')) return 'rodata';
  return undefined;
}

/** libbpf's internal_map_name: up to 8 characters of the object name, then the section name. */
export function internalMapName(objectName: string, secName: string): string {
  const sfxLen = Math.max(7, secName.length);
  const pfxLen = secName.indexOf('.', 1) >= 0 ? 0 : Math.min(BPF_OBJ_NAME_LEN - sfxLen - 1, objectName.length);
  const name = (objectName.slice(0, Math.max(0, pfxLen)) + secName.slice(0, sfxLen)).slice(0, BPF_OBJ_NAME_LEN - 1);
  return name.replace(/[^A-Za-z0-9_.]/g, '_');
}

/** Object name as libbpf derives it: file name up to its first dot. */
export function objectName(path: string): string {
  const base = path.split('/').pop() ?? path;
  const dot = base.indexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

function specType(n: number): MapSpec['type'] {
  return mapTypeName(n) ?? 'unspec';
}

/** Legacy map definitions: all `maps` / `maps/*` sections, equally sized records per section. */
export function legacyMaps(elf: ElfFile): ElfMap[] {
  const out: ElfMap[] = [];
  const inner: { map: ElfMap; idx: number }[] = [];
  const innerById: { map: ElfMap; id: number }[] = [];
  const ids = new Map<ElfMap, number>();
  for (const sec of elf.sections) {
    if (!isLegacyMapSection(sec.name) || sec.type === SHT_NOBITS) continue;
    const syms = elf.symbolsIn(sec.index).filter((s) => s.type !== STT_SECTION).sort((a, b) => a.value - b.value);
    if (syms.length === 0 || sec.size === 0) {
      if (sec.size === 0) continue;
      throw elf.error(sec, sec.offset, `unable to determine legacy map definition size: no map symbols in section '${sec.name}'`, 'elf_maps');
    }
    if (sec.size % syms.length !== 0)
      throw elf.error(sec, sec.offset, `unable to determine legacy map definition size: ${sec.size} bytes for ${syms.length} maps`, 'elf_maps');
    const defSize = sec.size / syms.length;
    if (defSize < 20) throw elf.error(sec, sec.offset, `legacy map definitions of ${defSize} bytes are shorter than struct bpf_map_def (20)`, 'elf_maps');
    const dv = view(elf.bytes);
    for (const sym of syms) {
      if (sym.bind === STB_LOCAL) throw elf.error(sec, sec.offset + sym.value, `map '${sym.name}' (legacy): static maps are not supported`, 'elf_maps');
      if (sym.value + defSize > sec.size)
        throw elf.error(sec, sec.offset + sym.value, `corrupted maps section: map '${sym.name}' at offset ${sym.value} runs past the section end`, 'elf_maps');
      const o = sec.offset + sym.value;
      const u32 = (k: number) => dv.getUint32(o + 4 * k, true);
      const typeNumber = u32(0);
      const spec: MapSpec = makeMapSpec({ name: sym.name, type: specType(typeNumber), keySize: u32(1), valueSize: u32(2), maxEntries: u32(3), flags: u32(4) });
      const m: ElfMap = { spec, origin: 'legacy', sectionIndex: sec.index, section: sec.name, offset: sym.value, defSize, typeNumber };
      // Longer records: iproute2's struct bpf_elf_map (36 bytes: id, pinning, inner_id, inner_idx)
      // or samples/bpf's bpf_load_map_def (inner_map_idx, numa_node).
      if (defSize === 36) {
        const pinning = u32(6);
        if (pinning) spec.pinning = pinning;
        // iproute2: an outer map names its inner template by the template's `id` field.
        if ((spec.type === 'array_of_maps' || spec.type === 'hash_of_maps') && u32(7) !== 0) innerById.push({ map: m, id: u32(7) });
        ids.set(m, u32(5));
      } else if (defSize >= 28 && (spec.type === 'array_of_maps' || spec.type === 'hash_of_maps')) {
        inner.push({ map: m, idx: u32(5) });
      }
      out.push(m);
    }
  }
  for (const { map, idx } of inner) {
    const target = out[idx];
    if (!target || target === map) throw elf.error(map.sectionIndex, map.offset, `map '${map.spec.name}' (legacy): inner_map_idx ${idx} does not name another map`, 'elf_maps');
    map.spec.inner = makeMapSpec(target.spec);
  }
  for (const { map, id } of innerById) {
    const target = out.find((m) => m !== map && m.section === map.section && ids.get(m) === id);
    if (!target) throw elf.error(map.sectionIndex, map.offset, `map '${map.spec.name}' (iproute2): inner_id ${id} does not match the id of another map`, 'elf_maps');
    map.spec.inner = makeMapSpec({ ...target.spec, pinning: undefined });
  }
  return out;
}

/**
 * The map fix-ups loaders apply before BPF_MAP_CREATE that do not depend on the host (as
 * cilium/ebpf's fixupMagicFields; libbpf's BTF maps carry these sizes): a perf_event_array has
 * 4-byte keys and values (its `__type(value, struct event)` only documents the records), a
 * ringbuf none, and a map-in-map holds 4-byte map fds. Inner templates get the same treatment.
 * A perf_event_array with max_entries 0 keeps the 0 here, meaning "one slot per possible CPU":
 * the kernel binding (hostMapSpec) and the VM resolve it when they create the map, so a loaded
 * Program does not depend on the host it was loaded on.
 */
export function applyMapFixups(spec: MapSpec): void {
  // BTF describes what the program declared; where the sizes are forced it no longer fits.
  if (spec.type === 'perf_event_array' || spec.type === 'ringbuf' || spec.type === 'array_of_maps' || spec.type === 'hash_of_maps') {
    // (set to undefined, not deleted: a delete turns the spec into a slow dictionary-mode object)
    spec.btfKeyTypeId = undefined;
    spec.btfValueTypeId = undefined;
  }
  if (spec.type === 'perf_event_array') {
    spec.keySize = 4;
    spec.valueSize = 4;
  } else if (spec.type === 'ringbuf') {
    spec.keySize = 0;
    spec.valueSize = 0;
  } else if (spec.type === 'array_of_maps' || spec.type === 'hash_of_maps') {
    spec.valueSize = 4;
  }
  if (spec.inner) applyMapFixups(spec.inner);
}

/** BTF-defined maps: the variables of the `.maps` DATASEC (libbpf's parse_btf_map_def). */
export function btfMaps(elf: ElfFile, sec: ElfSection, btf: Btf | undefined, warnings: string[]): ElfMap[] {
  const fail = (off: number, msg: string) => elf.error(sec, sec.offset + off, msg, 'elf_maps');
  if (!btf) throw fail(0, "BTF is required for map definitions in '.maps', but is missing or corrupted");
  const ds = btf.find('.maps', 'datasec')[0];
  if (!ds || ds.kind !== 'datasec') throw fail(0, "DATASEC '.maps' not found in BTF");
  const out: ElfMap[] = [];
  for (const vi of ds.vars) {
    const v = btf.type(vi.type);
    if (!v || v.kind !== 'var') throw fail(0, `map #${out.length}: unexpected var kind ${v?.kind ?? 'missing'}`);
    const name = v.name;
    if (v.linkage !== 1) throw fail(vi.offset, `map '${name}': unsupported map linkage ${['static', 'global', 'extern'][v.linkage] ?? v.linkage}`);
    const sym = elf.symbolsIn(sec.index).find((s) => s.name === name && s.type !== STT_SECTION);
    if (!sym) throw fail(vi.offset, `failed to find ELF symbol for map '${name}'`);
    const def = btf.skipMods(v.type);
    if (!def || def.kind !== 'struct') throw fail(sym.value, `map '${name}': unexpected def kind ${def?.kind ?? 'missing'}`);
    if (sym.value + def.size > sec.size) throw fail(sym.value, `map '${name}': invalid def size`);
    const m = parseMapDef(elf, sec, btf, name, def, false, sym.value, warnings);
    m.offset = sym.value;
    // An initialised `values` array makes the variable longer than its struct type.
    m.defSize = Math.max(def.size, sym.size, vi.size);
    out.push(m);
  }
  return out;
}

function parseMapDef(elf: ElfFile, sec: ElfSection, btf: Btf, name: string, def: Extract<BtfType, { kind: 'struct' | 'union' }>, isInner: boolean, off: number,
  warnings: string[]): ElfMap {
  const fail = (msg: string) => elf.error(sec, sec.offset + off, `map '${name}': ${msg}`, 'elf_maps');
  const spec: MapSpec = makeMapSpec({ name, type: 'unspec', keySize: 0, valueSize: 0, maxEntries: 0, flags: 0 });
  const m: ElfMap = { spec, origin: 'btf', sectionIndex: sec.index, section: sec.name, offset: off, defSize: def.size, typeNumber: 0 };
  /** `__uint(name, N)` is `int (*name)[N]`: the value is the array length. */
  const intField = (mname: string, type: number): number => {
    const t = btf.skipMods(type);
    if (!t || t.kind !== 'ptr') throw fail(`attr '${mname}': expected PTR, got ${t?.kind ?? 'missing'}`);
    const arr = btf.type(t.type);
    if (!arr || arr.kind !== 'array') throw fail(`attr '${mname}': expected ARRAY, got ${arr?.kind ?? 'missing'}`);
    return arr.nelems;
  };
  /**
   * libbpf's get_map_field_long: `__uint(name, N)` as above, or `__ulong(name, V)`, an anonymous
   * enum (ENUM or ENUM64) with a single value V, for values that do not fit an array length.
   */
  const longField = (mname: string, type: number): bigint => {
    const t = btf.skipMods(type);
    if (t?.kind === 'ptr') return BigInt(intField(mname, type));
    if (!t || (t.kind !== 'enum' && t.kind !== 'enum64')) throw fail(`attr '${mname}': expected ENUM or ENUM64, got ${t?.kind ?? 'missing'}`);
    if (t.values.length !== 1) throw fail(`attr '${mname}': invalid __ulong`);
    const v = t.values[0]!.value;
    // libbpf reads an ENUM value as __s32 (sign-extended into the u64), an ENUM64 one as u64.
    return BigInt.asUintN(64, t.kind === 'enum' ? BigInt.asIntN(32, v) : v);
  };
  const sized = (what: 'key' | 'value', type: number): number => {
    const t = btf.type(type);
    if (!t || t.kind !== 'ptr') throw fail(`${what} spec is not PTR: ${t?.kind ?? 'missing'}`);
    const sz = btf.resolveSize(t.type);
    if (sz === undefined) throw fail(`can't determine ${what} size for type [${t.type}]`);
    if (what === 'key') { m.keyType = btf.format(t.type); spec.btfKeyTypeId = t.type; }
    else { m.valueType = btf.format(t.type); spec.btfValueTypeId = t.type; }
    return sz;
  };
  def.members.forEach((mem, i) => {
    switch (mem.name) {
      case 'type': m.typeNumber = intField(mem.name, mem.type); spec.type = specType(m.typeNumber); break;
      case 'max_entries': spec.maxEntries = intField(mem.name, mem.type); break;
      case 'map_flags': spec.flags = intField(mem.name, mem.type); break;
      case 'numa_node': intField(mem.name, mem.type); break;
      case 'map_extra': {
        const extra = longField(mem.name, mem.type);
        if (extra) spec.mapExtra = extra;
        break;
      }
      case 'key_size': {
        const sz = intField(mem.name, mem.type);
        if (spec.keySize && spec.keySize !== sz) throw fail(`conflicting key size ${spec.keySize} != ${sz}`);
        spec.keySize = sz;
        break;
      }
      case 'value_size': {
        const sz = intField(mem.name, mem.type);
        if (spec.valueSize && spec.valueSize !== sz) throw fail(`conflicting value size ${spec.valueSize} != ${sz}`);
        spec.valueSize = sz;
        break;
      }
      case 'key': {
        const sz = sized('key', mem.type);
        if (spec.keySize && spec.keySize !== sz) throw fail(`conflicting key size ${spec.keySize} != ${sz}`);
        spec.keySize = sz;
        break;
      }
      case 'value': {
        const sz = sized('value', mem.type);
        if (spec.valueSize && spec.valueSize !== sz) throw fail(`conflicting value size ${spec.valueSize} != ${sz}`);
        spec.valueSize = sz;
        break;
      }
      case 'pinning': {
        if (isInner) throw fail('inner def can\'t be pinned');
        const p = intField(mem.name, mem.type);
        // libbpf knows 0 (none) and 1 (by name) and refuses others; Cilium's own loader adds
        // flags (CILIUM_PIN_REPLACE = 16). Keep the value and say so rather than refuse.
        if (p !== 0 && p !== 1) warnings.push(`map '${name}': pinning value ${p} is not one libbpf knows (0 none, 1 by name)`);
        if (p) spec.pinning = p;
        break;
      }
      case 'values': {
        const mapInMap = spec.type === 'array_of_maps' || spec.type === 'hash_of_maps';
        const progArray = spec.type === 'prog_array';
        if (isInner) throw fail('multi-level inner maps not supported');
        if (i !== def.members.length - 1) throw fail("'values' member should be last");
        if (!mapInMap && !progArray) throw fail('should be map-in-map or prog-array');
        if (spec.valueSize && spec.valueSize !== 4) throw fail(`conflicting value size ${spec.valueSize} != 4`);
        spec.valueSize = 4;
        m.valuesOffset = Math.floor(mem.bitOffset / 8);
        const arr = btf.type(mem.type);
        if (!arr || arr.kind !== 'array' || arr.nelems !== 0) throw fail(`${mapInMap ? 'map-in-map inner' : 'prog-array value'} spec is not a zero-sized array`);
        const ptr = btf.skipMods(arr.type);
        if (!ptr || ptr.kind !== 'ptr') throw fail(`${mapInMap ? 'map-in-map inner' : 'prog-array value'} def is of unexpected kind ${ptr?.kind ?? 'missing'}`);
        const target = btf.skipMods(ptr.type);
        if (progArray) {
          if (!target || target.kind !== 'func_proto') throw fail(`prog-array value def is of unexpected kind ${target?.kind ?? 'missing'}`);
          break;
        }
        if (!target || target.kind !== 'struct') throw fail(`map-in-map inner def is of unexpected kind ${target?.kind ?? 'missing'}`);
        spec.inner = parseMapDef(elf, sec, btf, `${name}.inner`, target, true, off, warnings).spec;
        break;
      }
      default:
        throw fail(`unknown field '${mem.name}'`);
    }
  });
  if (m.typeNumber === 0 && !def.members.some((x) => x.name === 'type')) throw fail('map type is not specified');
  return m;
}

/** .data*, .rodata*, .bss*: one array map per non-empty section (libbpf's internal maps). */
export function globalDataMaps(elf: ElfFile, objName: string, btf: Btf | undefined): ElfMap[] {
  const out: ElfMap[] = [];
  for (const sec of elf.sections) {
    const kind = globalDataKind(sec);
    if (!kind || sec.size === 0) continue;
    if (sec.size > 0xffffffff) throw elf.error(sec, sec.offset, 'global data section is too large for a map value', 'elf_maps');
    const initial = kind === 'bss' ? new Uint8Array(sec.size) : new Uint8Array(elf.data(sec));
    let flags = kind === 'rodata' ? BPF_F_RDONLY_PROG : 0;
    // libbpf makes the map mmapable when its DATASEC has a non-static variable.
    const ds = btf?.find(sec.name, 'datasec')[0];
    if (btf && ds && ds.kind === 'datasec' && ds.vars.some((vi) => { const v = btf.type(vi.type); return v?.kind === 'var' && v.linkage !== 0; }))
      flags |= BPF_F_MMAPABLE;
    const spec: MapSpec = makeMapSpec({ name: internalMapName(objName, sec.name), type: 'array', keySize: 4, valueSize: sec.size, maxEntries: 1, flags, initial });
    // libbpf describes a global-data map by its DATASEC (no key type).
    if (ds) { spec.btfKeyTypeId = 0; spec.btfValueTypeId = ds.id; }
    if (kind === 'rodata') spec.readonly = true;
    out.push({ spec, origin: kind, sectionIndex: sec.index, section: sec.name, offset: 0, defSize: sec.size, typeNumber: 2, valueType: `SEC("${sec.name}")` });
  }
  return out;
}

export function mapError(path: string, msg: string): InputError {
  return new InputError('elf_maps', `${path}: ${msg}`);
}
