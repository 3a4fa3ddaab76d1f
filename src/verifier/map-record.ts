/**
 * The special fields of a map's value (the kernel's btf_record, from btf_parse_fields over the
 * value's BTF type) and check_map_prog_compatibility, which refuses some of them to some program
 * types when an ld_imm64 names the map, before any path is explored.
 */
import type { MapSpec, MapType, Program, ProgType } from '../isa/program.js';
import { BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG } from '../runtime/maps/flags.js';
import { objectBtf, type Btf, type BtfType } from '../loader/btf/index.js';

/** The kernel's enum btf_field_type (the kinds btf_parse_fields finds in a map value). */
export type FieldType = 'spin_lock' | 'res_spin_lock' | 'timer' | 'wq' | 'task_work' | 'list_head' | 'list_node' | 'rb_root' | 'rb_node'
  | 'refcount' | 'kptr_untrusted' | 'kptr' | 'percpu_kptr' | 'uptr';
/** Kept for callers that only ask which kinds a value holds. */
export type SpecialField = FieldType;

export interface RecordField {
  type: FieldType;
  /** Byte offset in the map value. */
  off: number;
  size: number;
  /** For kptrs: the name of the struct pointed to (btf_parse_kptr looks it up by name in the kernel's BTF). */
  pointee?: string;
  /** For kptrs to a struct the kernel does not have: its id in the program's BTF (a program-local type). */
  localId?: number;
  /** For bpf_list_head / bpf_rb_root: what its `contains:` decl tag names (btf_parse_graph_root). */
  graph?: GraphRoot;
}

/** The kernel's btf_field_graph_root: the program struct a list or tree holds and the offset of its node in it. */
export interface GraphRoot {
  valueId: number;
  valueName: string;
  nodeOff: number;
}

/** A map value's btf_record: its special fields in offset order. */
export interface BtfRecord {
  fields: RecordField[];
}

/** btf_field_type_name: how the kernel names each kind in messages. */
export const FIELD_NAMES: Readonly<Record<FieldType, string>> = {
  spin_lock: 'bpf_spin_lock', res_spin_lock: 'bpf_res_spin_lock', timer: 'bpf_timer', wq: 'bpf_wq', task_work: 'bpf_task_work',
  list_head: 'bpf_list_head', list_node: 'bpf_list_node', rb_root: 'bpf_rb_root', rb_node: 'bpf_rb_node', refcount: 'bpf_refcount',
  kptr_untrusted: 'kptr', kptr: 'kptr', percpu_kptr: 'percpu_kptr', uptr: 'uptr',
};

/** btf_field_type_size / _align, for the kinds matched by struct name. */
const NAMED_FIELDS: Readonly<Record<string, readonly [FieldType, number, number]>> = {
  bpf_spin_lock: ['spin_lock', 4, 4], bpf_res_spin_lock: ['res_spin_lock', 4, 4], bpf_timer: ['timer', 16, 8], bpf_wq: ['wq', 16, 8],
  bpf_task_work: ['task_work', 8, 8], bpf_list_head: ['list_head', 16, 8], bpf_list_node: ['list_node', 24, 8],
  bpf_rb_root: ['rb_root', 16, 8], bpf_rb_node: ['rb_node', 32, 8], bpf_refcount: ['refcount', 4, 4],
};
/** Kinds the kernel refuses only once per struct (btf_get_field_type's seen_mask). */
const ONCE: ReadonlySet<FieldType> = new Set(['spin_lock', 'res_spin_lock', 'timer', 'wq', 'task_work']);
const KPTR_TAGS: Readonly<Record<string, FieldType>> = { kptr_untrusted: 'kptr_untrusted', kptr: 'kptr', percpu_kptr: 'percpu_kptr', uptr: 'uptr' };
/** BTF_FIELDS_MAX: the special fields one map value may hold. */
const BTF_FIELDS_MAX = 11;
/** MAX_RESOLVE_DEPTH. */
const MAX_DEPTH = 32;

const parsed = new WeakMap<Uint8Array, Btf | null>();

/**
 * The program's own BTF (program.btf.raw): the object's parse (objectBtf, done by the loader),
 * checked once per raw buffer; null without one or when it does not parse.
 */
export function programBtf(program: Program): Btf | null {
  const raw = program.btf?.raw;
  // The kernel refused this BTF at BPF_BTF_LOAD and libbpf loaded the program without it.
  if (!raw || program.btf!.kernelIgnores) return null;
  let b = parsed.get(raw);
  if (b === undefined) {
    b = objectBtf(raw, program.file ?? program.name);
    // A BTF that BPF_BTF_LOAD refuses reaches the kernel not at all: libbpf goes on without it
    // ("BTF is optional, ignoring"), so the program has no BTF and its maps none either.
    if (b && structMetasRefused(b)) b = null;
    parsed.set(raw, b);
  }
  return b;
}

/** alloc_obj_fields (btf.c): a struct with a direct member of one of these is parsed by btf_parse_struct_metas. */
const ALLOC_OBJ_FIELDS = ['bpf_spin_lock', 'bpf_list_head', 'bpf_list_node', 'bpf_rb_root', 'bpf_rb_node', 'bpf_refcount'];

/**
 * btf_parse_struct_metas at BPF_BTF_LOAD: every program struct holding a lock, a list or tree head
 * or node, or a refcount directly must parse (btf_parse_fields): a head naming no such struct or
 * node (ENOENT), a head without a lock, or list and tree nodes without a bpf_refcount (EINVAL)
 * refuse the whole BTF. Returns why, or undefined.
 */
function structMetasRefused(btf: Btf): string | undefined {
  const ids = new Set<number>();
  for (const name of ALLOC_OBJ_FIELDS) {
    const t = btf.find(name, 'struct')[0];
    if (t) ids.add(t.id);
  }
  if (ids.size === 0) return undefined;
  for (const t of btf.types) {
    if (t.kind !== 'struct' || !t.members.some((m) => ids.has(m.type))) continue;
    const fields = findFields(btf, t, 0);
    if (!fields) return `struct ${t.name}: its special fields do not parse`;
    const has = (type: FieldType): boolean => fields.some((f) => f.type === type);
    if ((has('list_head') || has('rb_root')) && !has('spin_lock') && !has('res_spin_lock')) return `struct ${t.name}: a list or tree head without a lock`;
    if (has('list_node') && has('rb_node') && !has('refcount')) return `struct ${t.name}: list and tree nodes without a bpf_refcount`;
  }
  return undefined;
}

/** The decl tags of a BTF, by `target id:component index` (-1: the type or variable itself). */
const tagIndex = new WeakMap<Btf, Map<string, string[]>>();
function declTags(btf: Btf, id: number, component: number): string[] {
  let m = tagIndex.get(btf);
  if (!m) {
    m = new Map();
    for (const t of btf.types) {
      if (t.kind !== 'decl_tag') continue;
      const k = `${t.type}:${t.componentIdx}`;
      const l = m.get(k) ?? [];
      l.push(t.name);
      m.set(k, l);
    }
    tagIndex.set(btf, m);
  }
  return m.get(`${id}:${component}`) ?? [];
}

/**
 * btf_parse_graph_root: the `contains:<struct>:<node>` tag of a list head or tree root names the
 * program struct it holds and that struct's node member, which must be of the node kind.
 */
function graphRoot(btf: Btf, tags: string[], nodeStruct: string): GraphRoot | null {
  const tag = tags.find((x) => x.startsWith('contains:'));
  if (!tag) return null;
  const [, valueName, nodeName] = tag.split(':');
  const value = btf.find(valueName ?? '', 'struct')[0];
  if (!value || value.kind !== 'struct') return null;
  const m = value.members.find((x) => x.name === nodeName);
  const mt = m ? btf.skipMods(m.type) : undefined;
  if (!m || m.bitOffset % 8 || mt?.kind !== 'struct' || mt.name !== nodeStruct) return null;
  return { valueId: value.id, valueName: value.name, nodeOff: m.bitOffset / 8 };
}

/**
 * btf_find_field over a struct or a datasec, as btf.c walks it: members are matched by the
 * name of their own type (no typedef is looked through), kptrs by the type tag of a pointer
 * member, other structs (and arrays of them) are walked with their fields repeated per element.
 * A layout the kernel refuses (a second lock in one struct, a repeated lock) yields null.
 */
function findFields(btf: Btf, t: BtfType, level: number): RecordField[] | null {
  const out: RecordField[] = [];
  const seen = new Set<FieldType>();
  const one = (typeId: number, off: number, expectedSize: number, tags: string[]): boolean => {
    let vt = btf.type(typeId);
    let nelems = 1;
    for (let i = 0; vt && vt.kind === 'array'; i++) {
      if (i >= MAX_DEPTH) return false;
      nelems *= vt.nelems;
      vt = btf.type(vt.type);
    }
    if (!vt || nelems === 0) return true;
    const named = vt.kind === 'struct' ? NAMED_FIELDS[vt.name] : undefined;
    if (!named && vt.kind === 'struct') {
      if (expectedSize && expectedSize !== vt.size * nelems) return true;
      if (level + 1 >= MAX_DEPTH) return false;
      const inner = findFields(btf, vt, level + 1);
      if (!inner) return false;
      if (inner.length && nelems > 1 && inner.some((f) => !REPEATABLE.has(f.type))) return false;
      for (let e = 0; e < nelems; e++) for (const f of inner) out.push({ ...f, off: f.off + off + e * vt.size });
      return true;
    }
    let field: RecordField;
    if (named) {
      const [type, size, align] = named;
      if (ONCE.has(type)) { if (seen.has(type)) return false; seen.add(type); }
      if ((expectedSize && expectedSize !== size * nelems) || off % align) return true;
      field = { type, off, size };
      if (type === 'list_head' || type === 'rb_root') {
        const g = graphRoot(btf, tags, type === 'list_head' ? 'bpf_list_node' : 'bpf_rb_node');
        if (!g) return false;
        field.graph = g;
      }
    } else {
      // btf_find_kptr: a (volatile) pointer to a type-tagged struct.
      if ((expectedSize && expectedSize !== 8 * nelems) || off % 8) return true;
      let p: BtfType | undefined = vt;
      if (p.kind === 'volatile') p = btf.type(p.type);
      if (!p || p.kind !== 'ptr') return true;
      const tag = btf.type(p.type);
      if (!tag || tag.kind !== 'type_tag') return true;
      const type = KPTR_TAGS[tag.name];
      if (!type || btf.type(tag.type)?.kind === 'type_tag' || btf.skipMods(tag.type)?.kind !== 'struct') return false;
      field = { type, off, size: 8, pointee: btf.skipMods(tag.type)!.name, localId: btf.skipMods(tag.type)!.id };
    }
    if (nelems > 1 && !REPEATABLE.has(field.type)) return false;
    for (let e = 0; e < nelems; e++) out.push({ ...field, off: field.off + e * field.size });
    return true;
  };
  if (t.kind === 'struct') {
    for (let i = 0; i < t.members.length; i++) {
      const m = t.members[i]!;
      if (m.bitOffset % 8) return null;
      if (!one(m.type, m.bitOffset / 8, 0, declTags(btf, t.id, i))) return null;
    }
  } else if (t.kind === 'datasec') {
    for (const v of t.vars) {
      const vr = btf.type(v.type);
      if (!vr || vr.kind !== 'var') continue;
      if (!one(vr.type, v.offset, v.size, declTags(btf, v.type, -1))) return null;
    }
  }
  // btf_parse_fields has room for BTF_FIELDS_MAX fields: more is -E2BIG (the map has no record).
  return out.length > BTF_FIELDS_MAX ? null : out;
}

/** btf_repeat_fields: only these may repeat (arrays of them). */
const REPEATABLE: ReadonlySet<FieldType> = new Set(['kptr_untrusted', 'kptr', 'percpu_kptr', 'uptr', 'list_head', 'rb_root']);

const records = new WeakMap<MapSpec, BtfRecord | null>();
/** Maps whose BTF BPF_MAP_CREATE refuses (see mapHasBtf). */
const btfDropped = new WeakSet<MapSpec>();

const STORAGE: readonly MapType[] = ['sk_storage', 'inode_storage', 'task_storage', 'cgrp_storage'];
/**
 * map_check_btf (kernel/bpf/syscall.c): the map types whose values may hold each kind of special
 * field; in any other the map is refused with EOPNOTSUPP. (List and tree nodes are no fields of
 * a map value: the kernel does not look for them there.)
 */
const FIELD_MAP_TYPES: Readonly<Partial<Record<FieldType, ReadonlySet<MapType>>>> = (() => {
  const lock = new Set<MapType>(['hash', 'array', 'cgroup_storage', ...STORAGE]);
  const async = new Set<MapType>(['hash', 'lru_hash', 'array']);
  const kptr = new Set<MapType>(['hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash', 'array', 'percpu_array', ...STORAGE]);
  return {
    spin_lock: lock, res_spin_lock: lock, timer: async, wq: async, task_work: async,
    kptr_untrusted: kptr, kptr: kptr, percpu_kptr: kptr, refcount: kptr, uptr: new Set<MapType>(['task_storage']),
    list_head: async, rb_root: async,
  };
})();

/**
 * map_check_btf's refusals of a value's special fields: a kind the map type may not hold
 * (EOPNOTSUPP), or any field in a map the program may only read or only write (EACCES).
 */
function refusesFields(map: MapSpec, rec: BtfRecord): boolean {
  if (!rec.fields.some((f) => f.type !== 'list_node' && f.type !== 'rb_node')) return false;
  if (map.flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) return true;
  return rec.fields.some((f) => FIELD_MAP_TYPES[f.type] !== undefined && !FIELD_MAP_TYPES[f.type]!.has(map.type));
}

/**
 * The map's btf_record (btf_parse_fields over its value type), or null when the map has no
 * value BTF (or a layout the kernel would refuse at map creation, or fields its type may not
 * hold: libbpf then creates the map again without BTF, so it has none).
 */
export function mapRecord(program: Program, map: MapSpec): BtfRecord | null {
  // No value BTF, no record: answered without the WeakMap, whose entry per map spec (a fuzz
  // campaign makes new specs with every program) costs an insert and ephemeron work in every GC.
  if (!map.btfValueTypeId) return null;
  let rec = records.get(map);
  if (rec !== undefined) return rec;
  rec = null;
  const btf = map.btfValueTypeId ? programBtf(program) : null;
  const t = btf?.skipMods(map.btfValueTypeId!);
  if (btf && t) {
    const fields = findFields(btf, t, 0);
    if (fields) rec = { fields: fields.sort((a, b) => a.off - b.off) };
  }
  if (rec && refusesFields(map, rec)) {
    btfDropped.add(map);
    rec = null;
  }
  records.set(map, rec);
  return rec;
}

/**
 * Whether the map was created with its value BTF: declared with one, and not one BPF_MAP_CREATE
 * refuses for its special fields (libbpf retries such a map without BTF, as bpflab's kernel side does).
 */
export function mapHasBtf(program: Program, map: MapSpec): boolean {
  if (!map.btfValueTypeId || !programBtf(program)) return false;
  mapRecord(program, map);
  return !btfDropped.has(map);
}

const structRecords = new WeakMap<Btf, Map<number, BtfRecord | null>>();

/**
 * btf_find_struct_meta: the special fields of one of the program's own structs (the objects
 * bpf_obj_new allocates), or null when it has none (or a layout the kernel refuses).
 */
export function structRecord(btf: Btf, id: number): BtfRecord | null {
  let m = structRecords.get(btf);
  if (!m) structRecords.set(btf, (m = new Map()));
  let rec = m.get(id);
  if (rec !== undefined) return rec;
  const t = btf.skipMods(id);
  const fields = t?.kind === 'struct' ? findFields(btf, t, 0) : null;
  rec = fields && fields.length ? { fields: fields.sort((a, b) => a.off - b.off) } : null;
  m.set(id, rec);
  return rec;
}

/** The first field of `type` in the record (the kernel caches spin_lock_off, timer_off, ...). */
export function recordField(rec: BtfRecord | null, type: FieldType): RecordField | undefined {
  return rec?.fields.find((f) => f.type === type);
}

/** The kinds of special field in the map's value. */
export function mapSpecialFields(program: Program, map: MapSpec): Set<SpecialField> {
  return new Set(mapRecord(program, map)?.fields.map((f) => f.type));
}

/** is_tracing_prog_type. */
const TRACING_TYPES: ReadonlySet<ProgType> = new Set(['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint', 'raw_tracepoint_writable']);

/** check_map_prog_compatibility for the special fields: the kernel's message, or null. */
export function mapProgIncompatibility(program: Program, map: MapSpec): string | null {
  // (most values hold no special field: no set of their kinds is made then)
  if (!mapRecord(program, map)?.fields.length) return null;
  const fields = mapSpecialFields(program, map);
  const tracing = TRACING_TYPES.has(program.type);
  if ((fields.has('list_head') || fields.has('rb_root')) && tracing) return 'tracing progs cannot use bpf_{list_head,rb_root} yet';
  if (fields.has('spin_lock') || fields.has('res_spin_lock')) {
    if (program.type === 'socket_filter') return 'socket filter progs cannot use bpf_spin_lock yet';
    if (tracing) return 'tracing progs cannot use bpf_spin_lock yet';
  }
  if (fields.has('timer') && tracing) return 'tracing progs cannot use bpf_timer yet';
  if (fields.has('wq') && tracing) return 'tracing progs cannot use bpf_wq yet';
  return null;
}

/**
 * check_map_access's field rules: no load, store or helper access may touch a special field,
 * except a kptr, which a direct, constant-offset, 8-byte access exactly at the field may (stores
 * only of NULL into referenced kptrs' neighbours: check_map_kptr_access). `off` is the fixed
 * offset (insn off + reg off); [smin, umax] the register's variable part.
 * Returns the kernel's message (or what bpflab does not model), or null.
 */
export function fieldAccessError(rec: BtfRecord | null, off: number, size: number, smin: bigint, umax: bigint, constVar: bigint | undefined,
  direct: boolean, store: 'none' | 'imm' | 'reg', storeImm: number, storedNull: boolean): { unsupported: boolean; message: string } | null {
  if (!rec) return null;
  const bad = (message: string): { unsupported: boolean; message: string } => ({ unsupported: false, message });
  for (const f of rec.fields) {
    if (!(smin + BigInt(off) < BigInt(f.off + f.size) && BigInt(f.off) < umax + BigInt(off + size))) continue;
    const name = FIELD_NAMES[f.type];
    if (f.type !== 'kptr' && f.type !== 'kptr_untrusted' && f.type !== 'percpu_kptr' && f.type !== 'uptr')
      return bad(`${name} cannot be accessed directly by load/store`);
    if (!direct) return bad(`${name} cannot be accessed indirectly by helper`);
    if (constVar === undefined) return bad(`${name} access cannot have variable offset`);
    if (BigInt(f.off) !== BigInt(off) + constVar) return bad(`${name} access misaligned expected=${f.off} off=${BigInt(off) + constVar}`);
    if (size !== 8) return bad(`${name} access size must be BPF_DW`);
    if (store === 'none') continue;
    if (f.type === 'kptr' || f.type === 'percpu_kptr') return bad('store to referenced kptr disallowed');
    if (f.type === 'uptr') return bad('store to uptr disallowed');
    if (store === 'imm' && storeImm !== 0) return bad(`BPF_ST imm must be 0 when storing to kptr at off=${f.off}`);
    if (store === 'reg' && !storedNull) return { unsupported: true, message: `bpflab does not model stores of pointers into kptr fields (off=${f.off})` };
  }
  return null;
}
