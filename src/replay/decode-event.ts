/**
 * Ring-buffer and perf-buffer records decoded with the object's BTF, as a tool's user-space half
 * would read them: integers by their BTF encoding (64-bit ones as decimal strings), char arrays
 * as strings up to the first NUL, enums by name, bitfields extracted, nested structs as objects.
 */
import type { Btf } from '../loader/btf/index.js';
import type { BtfType } from '../loader/btf/types.js';

export type EventValue = number | string | boolean | null | EventValue[] | { [k: string]: EventValue };

/** Nesting a decoded value may reach (BTF chains are bounded, hostile ones too). */
const MAX_NEST = 32;
/** Array elements decoded per array (the rest are summarised). */
const MAX_ELEMS = 4096;
/**
 * Values decoded per record: overlapping members (unions of unions, members at one offset) and
 * zero-sized elements are not bounded by the record's length, so a hostile BTF could ask for 4^24
 * values within 32 levels; past this many the rest of the record is summarised as '...'.
 */
const MAX_VALUES = 65536;

const BTF_INT_SIGNED = 1, BTF_INT_CHAR = 2, BTF_INT_BOOL = 4;

function readUint(b: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] ?? 0);
  return v;
}

const num = (v: bigint): number | string => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());

/** Whether `t` (modifiers skipped) is a 1-byte char-like integer. */
function isCharLike(btf: Btf, id: number): boolean {
  const t = btf.skipMods(id);
  return t?.kind === 'int' && t.size === 1 && (t.encoding & BTF_INT_CHAR || t.name === 'char' || t.name === 'unsigned char' || t.name === 'signed char') !== 0;
}

function decodeInt(t: Extract<BtfType, { kind: 'int' }>, b: Uint8Array, off: number, bitOff = 0, bits = 0): EventValue {
  const width = bits || t.bits || t.size * 8;
  const raw = readUint(b, off, t.size);
  let v = (raw >> BigInt(bitOff + (bits ? 0 : t.bitOffset))) & ((1n << BigInt(width)) - 1n);
  if (t.encoding & BTF_INT_BOOL) return v !== 0n;
  if (t.encoding & BTF_INT_SIGNED) v = BigInt.asIntN(width, v);
  return num(v);
}

/** Decodes the value of BTF type `id` at `off` in `b`, at most MAX_VALUES values of it. */
export function decodeValue(btf: Btf, id: number, b: Uint8Array, off: number): EventValue {
  return decodeBounded(btf, id, b, off, { left: MAX_VALUES }, 0);
}

/** One value (bitOff/bits for bitfield members), counted against the record's `budget`. */
function decodeBounded(btf: Btf, id: number, b: Uint8Array, off: number, budget: { left: number }, depth: number, bitOff = 0, bits = 0): EventValue {
  if (depth > MAX_NEST || budget.left <= 0) return '...';
  budget.left--;
  const t = btf.skipMods(id);
  if (!t) return null;
  switch (t.kind) {
    case 'int': return decodeInt(t, b, off, bitOff, bits);
    case 'enum': case 'enum64': {
      let v = readUint(b, off, t.size);
      if (bits) v = (v >> BigInt(bitOff)) & ((1n << BigInt(bits)) - 1n);
      if (t.signed) v = BigInt.asIntN(bits || t.size * 8, v);
      return t.values.find((e) => e.value === v || BigInt.asUintN(64, e.value) === BigInt.asUintN(64, v))?.name ?? num(v);
    }
    case 'ptr': return `0x${readUint(b, off, 8).toString(16)}`;
    case 'float': {
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      if (off + t.size > b.length) return null;
      return t.size === 4 ? dv.getFloat32(off, true) : t.size === 8 ? dv.getFloat64(off, true) : null;
    }
    case 'array': {
      if (isCharLike(btf, t.type)) {
        const end = Math.min(off + t.nelems, b.length);
        let z = off;
        while (z < end && b[z] !== 0) z++;
        return Buffer.from(b.subarray(off, z)).toString('utf8');
      }
      const size = btf.resolveSize(t.type) ?? 0;
      const n = Math.min(t.nelems, MAX_ELEMS);
      const out: EventValue[] = [];
      for (let i = 0; i < n && (size === 0 || off + i * size < b.length); i++) out.push(decodeBounded(btf, t.type, b, off + i * size, budget, depth + 1));
      return out;
    }
    case 'struct': case 'union': {
      const o: { [k: string]: EventValue } = {};
      t.members.forEach((m, i) => {
        const name = m.name || `<anon${i}>`;
        if (m.bitfieldSize) {
          const mt = btf.skipMods(m.type);
          const size = mt && 'size' in mt ? mt.size : 4;
          // read the storage unit that holds the bitfield, aligned to its own size
          const unitOff = Math.floor(m.bitOffset / (size * 8)) * size;
          o[name] = decodeBounded(btf, m.type, b, off + unitOff, budget, depth + 1, m.bitOffset - unitOff * 8, m.bitfieldSize);
        } else {
          const v = decodeBounded(btf, m.type, b, off + (m.bitOffset >> 3), budget, depth + 1);
          // anonymous struct/union members are flattened into their parent, as C reads them
          if (!m.name && v && typeof v === 'object' && !Array.isArray(v)) Object.assign(o, v);
          else o[name] = v;
        }
      });
      return o;
    }
    default: return null;
  }
}

/** The struct named `name` in `btf` (with or without a leading `struct `). */
export function findStruct(btf: Btf, name: string): Extract<BtfType, { kind: 'struct' | 'union' }> | undefined {
  const n = name.replace(/^(struct|union)\s+/, '');
  for (const t of btf.find(n)) {
    const s = btf.skipMods(t.id);
    if (s && (s.kind === 'struct' || s.kind === 'union')) return s;
  }
  return undefined;
}

/**
 * The struct a record of `size` bytes most likely is, when the object does not say: the only
 * struct of that size, or among several the one whose name says it is an event. Kernel types
 * pulled in through vmlinux.h are usually larger or not of that exact size; when two candidates
 * remain, nothing is guessed.
 */
export function inferEventStruct(btf: Btf, size: number): Extract<BtfType, { kind: 'struct' | 'union' }> | undefined {
  const cands: Extract<BtfType, { kind: 'struct' | 'union' }>[] = [];
  for (const t of btf.types) if (t.kind === 'struct' && t.size === size && t.name !== '') cands.push(t);
  if (cands.length === 1) return cands[0];
  const named = cands.filter((t) => /(^|_)(event|data|record|sample)s?($|_)/.test(t.name));
  return named.length === 1 ? named[0] : undefined;
}
