/**
 * CO-RE ("compile once, run everywhere") relocations, applied as libbpf's relo_core.c does:
 * each record names a local BTF type, an access path ("0:2:1": array index on the root, then
 * member/element indices) and what the instruction needs (a field's byte offset, size,
 * existence, signedness or bitfield shifts; a type's id, existence or size; an enumerator's
 * value or existence). The local type is matched by essential name (the part before "___")
 * against a target BTF, usually the running kernel's /sys/kernel/btf/vmlinux; fields are found
 * by name, through anonymous members, so local "flavors" of kernel structs with another layout
 * get the kernel's offsets. The instruction's immediate, offset (and load size) or 64-bit
 * constant is patched; a relocation with no match poisons its instruction as libbpf does (a
 * call to the nonexistent helper 0xbad2310), so only the paths that use it fail to verify.
 */
import { InputError } from '../isa/errors.js';
import { type Insn, makeInsn, withInsn } from '../isa/insn.js';
import { makeProgram, type Program, type ProgramBtf } from '../isa/program.js';
import { CORE_RELO_KINDS, parseBtf, type Btf, type BtfType } from './btf/index.js';
import { accessPath } from './elf.js';
import { readTargetBtf, RUNNING_KERNEL_BTF } from './target.js';

/** The helper id libbpf writes into poisoned instructions (0xbad2310). */
export const CORE_POISON_IMM = 0xbad2310;
const MAX_DEPTH = 32;

type Relo = NonNullable<ProgramBtf['coreRelos']>[number];

export interface CoreResult {
  pc: number;
  kind: string;
  /** The access spelled as C, e.g. "struct task_struct___local.se.vruntime". */
  path: string;
  /** What the compiler wrote (from the local BTF). */
  local: bigint;
  /** The target's value; undefined when the instruction was poisoned (no matching target type/field). */
  target?: bigint;
  /** Target type id of the root type that matched. */
  targetType?: number;
  poisoned: boolean;
}

/**
 * The running kernel's BTF (default /sys/kernel/btf/vmlinux), parsed once per path: the same
 * parse as the target kernel's BTF (target.ts), so a process that fuzzes, verifies and loads
 * reads it once. Throws InputError when it cannot be read (no CONFIG_DEBUG_INFO_BTF, or not Linux).
 */
export function loadKernelBtf(path = RUNNING_KERNEL_BTF): Btf {
  const btf = readTargetBtf(path);
  if (typeof btf === 'string') throw new InputError('core', btf);
  return btf;
}

/** libbpf's bpf_core_essential_name_len: "task_struct___local" -> "task_struct". */
export function essentialName(name: string): string {
  const i = name.indexOf('___');
  return i > 0 ? name.slice(0, i) : name;
}

const candIndex = new WeakMap<Btf, Map<string, readonly number[]>>();
/**
 * Target types whose essential name is `name` (libbpf's bpf_core_find_cands), in id order:
 * those named exactly so and their flavours (`name___x`), found through the target's name
 * index without decoding its other types. Remembered per target and name.
 */
function candidatesNamed(btf: Btf, name: string): readonly number[] {
  let byName = candIndex.get(btf);
  if (!byName) candIndex.set(btf, (byName = new Map()));
  let ids = byName.get(name);
  if (ids) return ids;
  const exact = btf.idsWithName(name);
  const flavoured = btf.flavouredIds().get(name);
  ids = flavoured ? [...exact, ...flavoured].sort((a, b) => a - b) : exact;
  byName.set(name, ids);
  return ids;
}

/** Skips const/volatile/restrict/type_tag and typedefs, returning the id reached. */
function skipId(btf: Btf, id: number): number {
  let t = btf.type(id);
  for (let d = 0; t && d < MAX_DEPTH; d++) {
    if (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag') {
      id = t.type;
      t = btf.type(id);
    } else break;
  }
  return id;
}

const isComposite = (t: BtfType | undefined): t is Extract<BtfType, { kind: 'struct' | 'union' }> => !!t && (t.kind === 'struct' || t.kind === 'union');
const isEnum = (t: BtfType | undefined): t is Extract<BtfType, { kind: 'enum' | 'enum64' }> => !!t && (t.kind === 'enum' || t.kind === 'enum64');

const FIELD_KINDS = new Set(['field_byte_offset', 'field_byte_size', 'field_exists', 'field_signed', 'field_lshift_u64', 'field_rshift_u64']);
const TYPE_KINDS = new Set(['type_id_local', 'type_id_target', 'type_exists', 'type_size', 'type_matches']);
/**
 * Kinds whose "no match" answer is 0 rather than a poisoned instruction: existence checks and
 * every type-based kind (bpf_core_calc_type_relo: "type-based relos return zero when target
 * type is not found").
 */
const EXISTENCE_KINDS = new Set(['field_exists', 'type_exists', 'enumval_exists', 'type_matches', 'type_id_target', 'type_size']);

/** A resolved access: where the field is and what it is. */
interface FieldSpec {
  rootId: number;
  bitOffset: number;
  /** Type id of the accessed field (the root itself for access "N"). */
  fieldType: number;
  /** Bitfield width, 0 when not a bitfield. */
  bitfieldSize: number;
  /** The last accessor is the root or an array element (libbpf's `!acc->name`), not a named member. */
  unnamed: boolean;
}

/** One access of a local spec: a named member, or an array element (name undefined). */
interface Access {
  idx: number;
  name?: string;
  /** The local member's (or element's) type id, for the compatibility check. */
  localType: number;
}

/** bpf_core_parse_spec for field relocations: the named accesses and the local field. */
function parseLocalField(btf: Btf, rootId: number, idx: number[]): { accesses: Access[]; spec: FieldSpec } {
  const root = btf.type(skipId(btf, rootId));
  const rootSize = btf.resolveSize(rootId);
  if (!root || rootSize === undefined) throw new Error(`root type [${rootId}] has no size`);
  let bitOffset = idx[0]! * rootSize * 8;
  let cur = rootId;
  // The field is the last accessor's: the root, an array element or a named member. An
  // anonymous member adds its offset but is no accessor (bpf_core_parse_spec does not count
  // it), so an access that ends inside anonymous members keeps the enclosing accessor's type:
  // systemd's clat.bpf.c `&ip4h.saddr` carries "0:9" (struct iphdr's anonymous union).
  let fieldType = rootId;
  let bitfieldSize = 0;
  let unnamed = true;
  const accesses: Access[] = [];
  for (let i = 1; i < idx.length; i++) {
    const t = btf.type(skipId(btf, cur));
    const n = idx[i]!;
    if (isComposite(t)) {
      const m = t.members[n];
      if (!m) throw new Error(`member #${n} out of range in ${btf.format(t.id)}`);
      bitOffset += m.bitOffset;
      if (m.name) {
        accesses.push({ idx: n, name: m.name, localType: m.type });
        fieldType = m.type;
        bitfieldSize = m.bitfieldSize;
        unnamed = false;
      }
      cur = m.type;
    } else if (t && t.kind === 'array') {
      const sz = btf.resolveSize(t.type);
      if (sz === undefined) throw new Error(`array element of ${btf.format(t.id)} has no size`);
      bitOffset += n * sz * 8;
      accesses.push({ idx: n, localType: t.type });
      fieldType = t.type;
      bitfieldSize = 0;
      unnamed = true;
      cur = t.type;
    } else {
      throw new Error(`access #${i} on non-composite ${t ? btf.format(t.id) : `type ${cur}`}`);
    }
  }
  return { accesses, spec: { rootId, bitOffset, fieldType, bitfieldSize, unnamed } };
}

/** bpf_core_fields_are_compat. */
function fieldsCompat(lb: Btf, lid: number, tb: Btf, tid: number, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  const l = lb.type(skipId(lb, lid));
  const t = tb.type(skipId(tb, tid));
  if (!l || !t) return false;
  if (isComposite(l) && isComposite(t)) return true;
  if (isEnum(l) && isEnum(t)) return !l.name || !t.name || essentialName(l.name) === essentialName(t.name);
  if (l.kind !== t.kind) return false;
  switch (l.kind) {
    case 'ptr': case 'float': return true;
    case 'fwd': return essentialName(l.name) === essentialName(t.name);
    case 'int': return l.bitOffset === 0 && t.kind === 'int' && t.bitOffset === 0;
    case 'array': return t.kind === 'array' && fieldsCompat(lb, l.type, tb, t.type, depth + 1);
    default: return false;
  }
}

/**
 * Answers of a type comparison by (local id, target id, depth): the comparisons branch at
 * function parameters and struct members, and hostile BTF repeating one type in every branch
 * would make the walk exponential within the depth limit; each triple is compared once.
 */
type CompareMemo = Map<string, boolean>;

function memoized(memo: CompareMemo, lid: number, tid: number, depth: number, compare: () => boolean): boolean {
  const key = `${lid}:${tid}:${depth}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const r = compare();
  memo.set(key, r);
  return r;
}

/** bpf_core_types_are_compat (type-based relocations). */
export function typesCompat(lb: Btf, lid: number, tb: Btf, tid: number, depth = 0, memo: CompareMemo = new Map()): boolean {
  if (depth > MAX_DEPTH) return false;
  const l = lb.type(skipId(lb, lid));
  const t = tb.type(skipId(tb, tid));
  if (!l || !t) return false;
  if (isEnum(l) && isEnum(t)) return true;
  if (l.kind !== t.kind) return false;
  switch (l.kind) {
    case 'void': case 'struct': case 'union': case 'fwd': return true;
    case 'int': return t.kind === 'int' && l.bitOffset === 0 && t.bitOffset === 0;
    case 'float': return true;
    case 'ptr': return t.kind === 'ptr' && typesCompat(lb, l.type, tb, t.type, depth + 1, memo);
    case 'array': return t.kind === 'array' && typesCompat(lb, l.type, tb, t.type, depth + 1, memo);
    case 'func_proto':
      return t.kind === 'func_proto' && l.params.length === t.params.length && memoized(memo, lid, tid, depth, () =>
        typesCompat(lb, l.type, tb, t.type, depth + 1, memo) && l.params.every((p, i) => typesCompat(lb, p.type, tb, t.params[i]!.type, depth + 1, memo)));
    default: return false;
  }
}

/** A shallow form of bpf_core_types_match: same shape, every local member/enumerator present in the target. */
function typesMatch(lb: Btf, lid: number, tb: Btf, tid: number, depth = 0, memo: CompareMemo = new Map()): boolean {
  if (depth > 8) return true;
  const l = lb.type(skipId(lb, lid));
  const t = tb.type(skipId(tb, tid));
  if (!l || !t) return false;
  if (isEnum(l) && isEnum(t)) {
    const names = new Set(t.values.map((w) => essentialName(w.name)));
    return l.values.every((v) => names.has(essentialName(v.name)));
  }
  if (l.kind !== t.kind) return false;
  switch (l.kind) {
    case 'struct': case 'union': {
      if (!isComposite(t)) return false;
      return memoized(memo, lid, tid, depth, () => {
        const byName = new Map<string, (typeof t.members)[number]>();
        for (const x of t.members) if (!byName.has(x.name)) byName.set(x.name, x);
        return l.members.every((m) => {
          const tm = byName.get(m.name);
          return tm !== undefined && tm.bitfieldSize === m.bitfieldSize && typesMatch(lb, m.type, tb, tm.type, depth + 1, memo);
        });
      });
    }
    case 'int': return t.kind === 'int' && l.size === t.size && (l.encoding & 1) === (t.encoding & 1);
    case 'ptr': return t.kind === 'ptr' && typesMatch(lb, l.type, tb, t.type, depth + 1, memo);
    case 'array': return t.kind === 'array' && l.nelems === t.nelems && typesMatch(lb, l.type, tb, t.type, depth + 1, memo);
    case 'func_proto': return t.kind === 'func_proto' && l.params.length === t.params.length;
    default: return true;
  }
}

type MemberMatch = { bitOffset: number; type: number; bitfieldSize: number };

/**
 * bpf_core_match_member: finds `name` in a target composite, through anonymous members. The
 * answer for an anonymous member depends only on its type and depth, so each (type, depth) is
 * searched once: a hostile target BTF of anonymous unions holding four anonymous unions each
 * would otherwise cost 4^32 steps (libbpf's recursion has no such memo).
 */
function matchMember(lb: Btf, localMember: number, name: string, tb: Btf, tid: number, depth = 0, seen = new Map<number, MemberMatch | null>()): MemberMatch | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const key = tid * (MAX_DEPTH + 2) + depth;
  const known = seen.get(key);
  if (known !== undefined) return known ?? undefined;
  const t = tb.type(skipId(tb, tid));
  let found: MemberMatch | undefined;
  if (isComposite(t)) {
    for (const m of t.members) {
      if (!m.name) {
        const inner = matchMember(lb, localMember, name, tb, m.type, depth + 1, seen);
        if (inner) { found = { ...inner, bitOffset: inner.bitOffset + m.bitOffset }; break; }
      } else if (m.name === name) {
        if (fieldsCompat(lb, localMember, tb, m.type)) found = { bitOffset: m.bitOffset, type: m.type, bitfieldSize: m.bitfieldSize };
        break;
      }
    }
  }
  seen.set(key, found ?? null);
  return found;
}

/** bpf_core_spec_match for fields: the same named accesses in a target root type. */
function matchField(lb: Btf, accesses: Access[], rootIndex: number, tb: Btf, targetRoot: number): FieldSpec | undefined {
  const rootSize = tb.resolveSize(targetRoot);
  if (rootSize === undefined) return undefined;
  let bitOffset = rootIndex * rootSize * 8;
  let cur = targetRoot;
  let bitfieldSize = 0;
  let unnamed = true;
  for (const acc of accesses) {
    if (acc.name !== undefined) {
      const m = matchMember(lb, acc.localType, acc.name, tb, cur);
      if (!m) return undefined;
      bitOffset += m.bitOffset;
      bitfieldSize = m.bitfieldSize;
      unnamed = false;
      cur = m.type;
    } else {
      const t = tb.type(skipId(tb, cur));
      if (!t || t.kind !== 'array') return undefined;
      if (t.nelems !== 0 && acc.idx >= t.nelems) return undefined;
      if (!fieldsCompat(lb, acc.localType, tb, t.type)) return undefined;
      const sz = tb.resolveSize(t.type);
      if (sz === undefined) return undefined;
      bitOffset += acc.idx * sz * 8;
      bitfieldSize = 0;
      unnamed = true;
      cur = t.type;
    }
  }
  return { rootId: targetRoot, bitOffset, fieldType: cur, bitfieldSize, unnamed };
}

/** What a field relocation yields (bpf_core_calc_field_relo); `size` is the memory access size. */
function fieldValue(btf: Btf, spec: FieldSpec, kind: string): { value: bigint; size?: number; bitfield?: boolean } {
  if (kind === 'field_exists') return { value: 1n };
  // An array element or the root has an offset and a size but no signedness or bitfield shifts:
  // libbpf fails the relocation, and with it the load.
  if (spec.unnamed && kind !== 'field_byte_offset' && kind !== 'field_byte_size') throw new Error(`relocation ${kind} can't be applied to array access`);
  const mt = btf.type(skipId(btf, spec.fieldType));
  const bitfield = spec.bitfieldSize > 0;
  let byteSz: number;
  let byteOff: number;
  let bitSz: number;
  if (!bitfield) {
    const sz = btf.resolveSize(spec.fieldType);
    if (sz === undefined) throw new Error(`field type ${btf.format(spec.fieldType)} has no size`);
    byteSz = sz;
    byteOff = Math.floor(spec.bitOffset / 8);
    bitSz = byteSz * 8;
  } else {
    // The smallest naturally aligned load (at least the declared type) covering the bits.
    byteSz = mt && 'size' in mt ? mt.size : 4;
    bitSz = spec.bitfieldSize;
    byteOff = Math.floor(spec.bitOffset / 8 / byteSz) * byteSz;
    while (spec.bitOffset + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) throw new Error('bitfield cannot be read with a 64-bit load');
      byteSz *= 2;
      byteOff = Math.floor(spec.bitOffset / 8 / byteSz) * byteSz;
    }
  }
  switch (kind) {
    case 'field_byte_offset': return bitfield ? { value: BigInt(byteOff), bitfield } : { value: BigInt(byteOff), size: byteSz };
    case 'field_byte_size': return { value: BigInt(byteSz), bitfield };
    case 'field_signed': {
      const signed = (isEnum(mt) && mt.signed) || (mt?.kind === 'int' && (mt.encoding & 1) === 1);
      return { value: signed ? 1n : 0n, bitfield };
    }
    case 'field_lshift_u64': return { value: BigInt(64 - (spec.bitOffset + bitSz - byteOff * 8)), bitfield };
    case 'field_rshift_u64': return { value: BigInt(64 - bitSz), bitfield };
    default: throw new Error(`unknown field relocation ${kind}`);
  }
}

/** The value of a type-based relocation for a matched type. */
function typeValue(btf: Btf, id: number, kind: string): bigint {
  switch (kind) {
    case 'type_id_local': case 'type_id_target': return BigInt(id);
    case 'type_exists': case 'type_matches': return 1n;
    case 'type_size': {
      const sz = btf.resolveSize(id);
      if (sz === undefined) throw new Error(`type ${btf.format(id)} has no size`);
      return BigInt(sz);
    }
    default: throw new Error(`unknown type relocation ${kind}`);
  }
}

interface Resolution {
  local: bigint;
  localSize?: number;
  /**
   * Whether the instruction must hold `local` (libbpf's res->validate): not for bitfield
   * relocations (the compiler's constants there depend on its own load width) nor for target
   * type ids (which change while linking).
   */
  validate: boolean;
  /** undefined: no candidate matched. */
  target?: { value: bigint; size?: number; type: number };
}

/** Resolves one relocation against the target (all matching candidates must agree, as libbpf requires). */
function resolve(lb: Btf, tb: Btf, r: Relo, kind: string): Resolution {
  const idx = r.access.split(':').map((x) => Number(x));
  if (idx.length === 0 || idx.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`bad access string '${r.access}'`);
  const localRoot = lb.type(r.typeId);
  if (!localRoot || r.typeId === 0) throw new Error(`local type [${r.typeId}] does not exist`);
  if (kind === 'type_id_local') return { local: BigInt(r.typeId), validate: true, target: { value: BigInt(r.typeId), type: r.typeId } };
  const rootName = essentialName(localRoot.name);
  if (!rootName) throw new Error(`local type ${lb.format(r.typeId)} is anonymous`);
  const rootKind = lb.type(skipId(lb, r.typeId))?.kind;
  const cands = candidatesNamed(tb, rootName).filter((id) => {
    const t = tb.type(id)!;
    if (localRoot.kind === 'enum' || localRoot.kind === 'enum64') return isEnum(t);
    return t.kind === localRoot.kind;
  });

  let local: bigint;
  let localSize: number | undefined;
  let validate = kind !== 'type_id_target';
  let match: (cand: number) => { value: bigint; size?: number } | undefined;
  if (FIELD_KINDS.has(kind)) {
    const parsed = parseLocalField(lb, r.typeId, idx);
    const lv = fieldValue(lb, parsed.spec, kind);
    local = lv.value;
    localSize = lv.size;
    // libbpf validates only non-bitfield accesses, from the local spec.
    if (lv.bitfield) validate = false;
    match = (cand) => {
      const spec = matchField(lb, parsed.accesses, idx[0]!, tb, cand);
      return spec ? fieldValue(tb, spec, kind) : undefined;
    };
  } else if (TYPE_KINDS.has(kind)) {
    if (r.access !== '0') throw new Error(`type relocation with access '${r.access}'`);
    local = typeValue(lb, r.typeId, kind === 'type_id_target' ? 'type_id_local' : kind);
    match = (cand) => {
      const ok = kind === 'type_matches' ? typesMatch(lb, r.typeId, tb, cand) : typesCompat(lb, r.typeId, tb, cand);
      return ok ? { value: typeValue(tb, cand, kind) } : undefined;
    };
  } else if (kind === 'enumval_exists' || kind === 'enumval_value') {
    const e = lb.type(skipId(lb, r.typeId));
    if (!isEnum(e) || rootKind === undefined) throw new Error(`enum relocation on ${lb.format(r.typeId)}`);
    const v = e.values[idx[0]!];
    if (!v || idx.length !== 1) throw new Error(`enumerator #${r.access} of ${lb.format(r.typeId)} does not exist`);
    local = kind === 'enumval_exists' ? 1n : v.value;
    match = (cand) => {
      const t = tb.type(skipId(tb, cand));
      if (!isEnum(t)) return undefined;
      const w = t.values.find((x) => essentialName(x.name) === essentialName(v.name));
      return w ? { value: kind === 'enumval_exists' ? 1n : w.value } : undefined;
    };
  } else {
    throw new Error(`unknown relocation kind ${kind}`);
  }

  let target: Resolution['target'];
  for (const cand of cands) {
    const m = match(cand);
    if (!m) continue;
    if (target && (target.value !== m.value || target.size !== m.size) && kind !== 'type_id_target')
      throw new Error(`relocation decision ambiguity: [${target.type}] gives ${target.value}, [${cand}] gives ${m.value}`);
    if (!target) target = { ...m, type: cand };
    else if (kind === 'type_id_target') throw new Error(`relocation decision ambiguity: types [${target.type}] and [${cand}] both match`);
  }
  const out: Resolution = { local, validate };
  if (localSize !== undefined) out.localSize = localSize;
  if (target) out.target = target;
  return out;
}

const BPF_CLASS = (code: number) => code & 7;
const SIZE_BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
const SIZE_CODE: Record<number, number> = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 };

/** bpf_core_patch_insn: writes `value` where the instruction carries the relocated constant. */
function patchInsn(insns: Insn[], pc: number, res: Resolution, value: bigint): string | undefined {
  const ins = insns[pc]!;
  const cls = BPF_CLASS(ins.code);
  if ((cls === 0x04 || cls === 0x07) && (ins.code & 0x08) === 0) {
    // ALU/ALU64 with an immediate operand.
    if (res.validate && BigInt(ins.imm >>> 0) !== BigInt.asUintN(32, res.local) && BigInt(ins.imm) !== res.local) return `unexpected insn #${pc} (ALU/ALU64) value: got ${ins.imm}, exp ${res.local} -> ${value}`;
    if (value > 0xffffffffn || value < -0x80000000n) return `insn #${pc} (ALU/ALU64) value too big: ${value}`;
    insns[pc] = withInsn(ins, { imm: Number(BigInt.asIntN(32, value)) });
    return undefined;
  }
  if (cls === 0x01 || cls === 0x02 || cls === 0x03) {
    // LDX / ST / STX: the offset, and the access size when the field's size changed.
    if (res.validate && BigInt(ins.off) !== res.local) return `unexpected insn #${pc} (LDX/ST/STX) value: got ${ins.off}, exp ${res.local} -> ${value}`;
    if (value > 0x7fffn) return `insn #${pc} (LDX/ST/STX) value too big: ${value}`;
    let code = ins.code;
    const newSize = res.target?.size;
    if (res.localSize !== undefined && newSize !== undefined && newSize !== res.localSize) {
      const cur = SIZE_BYTES[code & 0x18];
      if (cur !== res.localSize) return `insn #${pc} (LDX/ST/STX) unexpected mem size: got ${cur}, exp ${res.localSize}`;
      const sc = SIZE_CODE[newSize];
      if (sc === undefined) return `insn #${pc} (LDX/ST/STX) invalid new mem size: ${newSize}`;
      code = (code & ~0x18) | sc;
    }
    insns[pc] = withInsn(ins, { code, off: Number(value) });
    return undefined;
  }
  if (ins.code === 0x18 && pc + 1 < insns.length) {
    const lo = BigInt(ins.imm >>> 0);
    const hi = BigInt(insns[pc + 1]!.imm >>> 0);
    const cur = (hi << 32n) | lo;
    if (res.validate && cur !== BigInt.asUintN(64, res.local)) return `unexpected insn #${pc} (LDIMM64) value: got ${cur}, exp ${res.local} -> ${value}`;
    const v = BigInt.asUintN(64, value);
    insns[pc] = withInsn(ins, { imm: Number(BigInt.asIntN(32, v & 0xffffffffn)) });
    insns[pc + 1] = withInsn(insns[pc + 1]!, { imm: Number(BigInt.asIntN(32, v >> 32n)) });
    return undefined;
  }
  return `trying to relocate unrecognized insn #${pc}, code:0x${ins.code.toString(16)}`;
}

/** A CO-RE relocation libbpf cannot apply: the load of the program fails, at `pc`. */
export class CoreRelocationError extends InputError {
  constructor(message: string, readonly pc: number) {
    super('core', message);
  }
}

/** libbpf's bpf_core_poison_insn: a call to a helper that does not exist. */
function poison(insns: Insn[], pc: number): void {
  const wasLd = insns[pc]!.code === 0x18;
  insns[pc] = makeInsn(0x85, 0, 0, 0, CORE_POISON_IMM);
  if (wasLd && pc + 1 < insns.length) insns[pc + 1] = makeInsn(0x85, 0, 0, 0, CORE_POISON_IMM);
}

/**
 * Applies a program's CO-RE relocations (program.btf.coreRelos) against `target` (e.g.
 * loadKernelBtf()). Returns the relocated program, without the applied records so that the
 * kernel binding does not apply them again, and one result per relocation. `local` is the
 * object's BTF (default: parsed from program.btf.raw). Throws InputError, naming the program
 * and the relocation, where libbpf fails the load (malformed records, ambiguity, an
 * instruction that does not hold the value the compiler described).
 */
export function applyCoreRelocations(program: Program, target: Btf, local?: Btf): { program: Program; results: CoreResult[] } {
  const relos = program.btf?.coreRelos ?? [];
  if (relos.length === 0) return { program, results: [] };
  const lb = local ?? parseBtf(program.btf!.raw, program.file ?? program.name);
  const insns = program.insns.slice();
  const results: CoreResult[] = [];
  relos.forEach((r, i) => {
    const kind = CORE_RELO_KINDS[r.kind] ?? `kind_${r.kind}`;
    const path = accessPath(lb, r.typeId, r.access, kind);
    const fail = (msg: string) => new CoreRelocationError(`${program.file ?? ''}${program.file ? ': ' : ''}program '${program.name}': CO-RE relocation #${i} (${kind} at insn ${r.pc}, ${path}): ${msg}`, r.pc);
    if (r.pc >= insns.length) throw fail('instruction out of range');
    let res: Resolution;
    try {
      res = resolve(lb, target, r, kind);
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw fail((e as Error).message);
    }
    let value: bigint | undefined = res.target?.value;
    if (value === undefined && EXISTENCE_KINDS.has(kind)) value = 0n;
    const result: CoreResult = { pc: r.pc, kind, path, local: res.local, poisoned: value === undefined };
    if (value !== undefined) {
      const err = patchInsn(insns, r.pc, res, value);
      if (err) throw fail(err);
      result.target = value;
    } else {
      poison(insns, r.pc);
    }
    if (res.target) result.targetType = res.target.type;
    results.push(result);
  });
  const { coreRelos: _applied, ...btf } = program.btf!;
  return { program: makeProgram({ ...program, insns, btf }), results };
}
