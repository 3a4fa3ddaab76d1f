/**
 * Kernel struct layout from BTF: where a (dotted) member path lives in a struct, anonymous
 * structs and unions included as C sees them (`task->pid`, `sk->__sk_common.skc_family`), and how a
 * value of the JSON description is written at a member of a given type.
 */
import type { Btf, BtfType } from '../../loader/btf/index.js';

/** A member found by path: byte offset, bit position/width for bitfields, and its type id. */
export interface MemberLoc {
  off: number;
  /** Bit offset inside the byte at `off` and the width, for bitfields (width 0: not a bitfield). */
  bitShift: number;
  bits: number;
  type: number;
}

type Composite = Extract<BtfType, { kind: 'struct' | 'union' }>;

export function composite(btf: Btf, id: number): Composite | undefined {
  const t = btf.skipMods(id);
  return t && (t.kind === 'struct' || t.kind === 'union') ? t : undefined;
}

type Found = { bitOffset: number; bits: number; type: number };

/**
 * The member `name` of struct `id` (searching anonymous members), bit offset from the struct's
 * start. Each (anonymous type, depth) is searched once: a hostile --btf whose anonymous unions
 * hold four anonymous unions each would otherwise cost 4^16 steps.
 */
function member(btf: Btf, id: number, name: string, depth = 0, seen = new Map<number, Found | null>()): Found | undefined {
  const st = composite(btf, id);
  if (!st || depth > 16) return undefined;
  const key = id * 18 + depth;
  const known = seen.get(key);
  if (known !== undefined) return known ?? undefined;
  let found: Found | undefined;
  for (const m of st.members) if (m.name === name) { found = { bitOffset: m.bitOffset, bits: m.bitfieldSize, type: m.type }; break; }
  if (!found) {
    for (const m of st.members) {
      if (m.name) continue;
      const inner = member(btf, m.type, name, depth + 1, seen);
      if (inner) { found = { ...inner, bitOffset: m.bitOffset + inner.bitOffset }; break; }
    }
  }
  seen.set(key, found ?? null);
  return found;
}

/** memberPath's answers per BTF (which never changes): every run over kernel objects asks the same few hundred. */
const resolved = new WeakMap<Btf, Map<string, MemberLoc | string>>();

/** Resolves "a.b.c" inside struct `id` (nested structs only: pointers are not followed); a string says what is missing. */
export function memberPath(btf: Btf, id: number, path: string): MemberLoc | string {
  let known = resolved.get(btf);
  if (!known) resolved.set(btf, (known = new Map()));
  const key = `${id}:${path}`;
  let loc = known.get(key);
  if (loc === undefined) known.set(key, (loc = resolveMemberPath(btf, id, path)));
  return loc;
}

function resolveMemberPath(btf: Btf, id: number, path: string): MemberLoc | string {
  let type = id;
  let bitOffset = 0;
  let bits = 0;
  for (const part of path.split('.')) {
    if (!composite(btf, type)) return `'${part}': ${btf.format(type)} has no members`;
    const m = member(btf, type, part);
    if (!m) return `${btf.format(type)} has no member '${part}'`;
    bitOffset += m.bitOffset;
    bits = m.bits;
    type = m.type;
  }
  return { off: Math.floor(bitOffset / 8), bitShift: bitOffset % 8, bits, type };
}

/** The pointee of a pointer type (modifiers skipped), or undefined. */
export function pointee(btf: Btf, id: number): BtfType | undefined {
  const t = btf.skipMods(id);
  return t?.kind === 'ptr' ? btf.skipMods(t.type) : undefined;
}

/** A `char *` / `const unsigned char *` (C strings in kernel memory). */
export function isCharPointer(btf: Btf, id: number): boolean {
  const p = pointee(btf, id);
  return p?.kind === 'int' && p.size === 1;
}

/** The single scalar leaf of a struct like kuid_t or atomic_t ({ val } / { counter }), if it has exactly one. */
export function singleScalar(btf: Btf, id: number, depth = 0): { off: number; type: number } | undefined {
  const st = composite(btf, id);
  if (!st || st.members.length !== 1 || depth > 8) return undefined;
  const m = st.members[0]!;
  if (m.bitfieldSize) return undefined;
  const inner = btf.skipMods(m.type);
  if (inner && (inner.kind === 'struct' || inner.kind === 'union')) {
    const s = singleScalar(btf, m.type, depth + 1);
    return s && { off: m.bitOffset / 8 + s.off, type: s.type };
  }
  return { off: m.bitOffset / 8, type: m.type };
}

/** Writes an integer of `size` bytes (little-endian) at `off`; bitfields go through writeBits. */
export function writeInt(bytes: Uint8Array, off: number, size: number, v: bigint): void {
  let u = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i++) { bytes[off + i] = Number(u & 0xffn); u >>= 8n; }
}

export function readInt(bytes: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i] ?? 0);
  return v;
}

/** Writes a `bits`-wide bitfield starting `shift` bits into the byte at `off`. */
export function writeBits(bytes: Uint8Array, off: number, shift: number, bits: number, v: bigint): void {
  const span = Math.ceil((shift + bits) / 8);
  const mask = ((1n << BigInt(bits)) - 1n) << BigInt(shift);
  const cur = readInt(bytes, off, span);
  writeInt(bytes, off, span, (cur & ~mask) | ((BigInt.asUintN(bits, v) << BigInt(shift)) & mask));
}
