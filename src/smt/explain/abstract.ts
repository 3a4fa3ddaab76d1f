/**
 * The verifier's abstract registers, read back from their log text, and their concretisation
 * γ as Z3 constraints: a scalar's tnum and its u64/s64/u32/s32 ranges; a pointer's fixed offset
 * plus its variable part (a scalar). Fields the log leaves out have their unbounded defaults,
 * as in the kernel's print_scalar_ranges; a pointer with no variable part printed has none.
 */
import type { ScalarBounds } from '../../verifier/snapshot.js';
import type { ZB } from '../z3-algebra.js';
import type { Term, Terms } from './terms.js';

/** A scalar's ranges and tnum as the log prints them. */
export interface AbsScalar extends ScalarBounds {
  value: bigint;
  mask: bigint;
}

export type AbsReg =
  /** id: registers with the same non-zero id hold the same value (the kernel's linked scalars). */
  | { kind: 'scalar'; s: AbsScalar; text: string; id: number }
  | { kind: 'ptr'; type: string; off: number; v: AbsScalar; text: string }
  | { kind: 'other'; text: string };

const U64 = (1n << 64n) - 1n;
const U32 = (1n << 32n) - 1n;

export function unknownScalar(): AbsScalar {
  return { umin: 0n, umax: U64, smin: -(1n << 63n), smax: (1n << 63n) - 1n, u32min: 0n, u32max: U32, s32min: -(1n << 31n), s32max: (1n << 31n) - 1n, value: 0n, mask: U64 };
}

export function constScalar(v: bigint): AbsScalar {
  const u = BigInt.asUintN(64, v);
  const l = BigInt.asUintN(32, v);
  return { umin: u, umax: u, smin: BigInt.asIntN(64, u), smax: BigInt.asIntN(64, u), u32min: l, u32max: l, s32min: BigInt.asIntN(32, l), s32max: BigInt.asIntN(32, l), value: u, mask: 0n };
}

function num(s: string): bigint | undefined {
  const t = s.trim();
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(t)) return undefined;
  return t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t);
}

/** Splits "a=1,b=(x; y),c" at top-level commas. */
function fields(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of body) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

const BOUND_KEYS = new Set(['umin', 'umax', 'smin', 'smax', 'umin32', 'umax32', 'smin32', 'smax32', 'var_off']);

/** Parses the log's text of one register; undefined for an absent one. */
export function parseReg(text: string | undefined): AbsReg | undefined {
  if (text === undefined) return undefined;
  const k = num(text);
  if (k !== undefined) return { kind: 'scalar', s: constScalar(k), text, id: 0 };
  const fp = /^fp(-?\d+)$/.exec(text);
  if (fp) return { kind: 'ptr', type: 'fp', off: Number(fp[1]), v: constScalar(0n), text };
  const m = /^([a-z_]+)\((.*)\)$/.exec(text);
  if (!m) return { kind: 'other', text };
  const name = m[1]!;
  const s = unknownScalar();
  let off = 0;
  let bounded = false;
  let id = 0;
  for (const f of fields(m[2]!)) {
    const parts = f.split('=');
    const valText = parts[parts.length - 1]!;
    for (const key of parts.slice(0, -1)) {
      if (key === 'off') { off = Number(num(valText) ?? 0n); continue; }
      if (key === 'id') { id = /^\d+$/.test(valText) ? Number(valText) : 0; continue; }
      if (!BOUND_KEYS.has(key)) continue;
      bounded = true;
      if (key === 'var_off') {
        const vm = /^\((0x[0-9a-f]+|\d+); (0x[0-9a-f]+|\d+)\)$/i.exec(valText);
        if (vm) { s.value = BigInt(vm[1]!); s.mask = BigInt(vm[2]!); }
        continue;
      }
      const v = num(valText);
      if (v === undefined) continue;
      switch (key) {
        case 'umin': s.umin = BigInt.asUintN(64, v); break;
        case 'umax': s.umax = BigInt.asUintN(64, v); break;
        case 'smin': s.smin = BigInt.asIntN(64, v); break;
        case 'smax': s.smax = BigInt.asIntN(64, v); break;
        case 'umin32': s.u32min = BigInt.asUintN(32, v); break;
        case 'umax32': s.u32max = BigInt.asUintN(32, v); break;
        case 'smin32': s.s32min = BigInt.asIntN(32, v); break;
        case 'smax32': s.s32max = BigInt.asIntN(32, v); break;
      }
    }
  }
  if (name === 'scalar') return { kind: 'scalar', s, text, id };
  return { kind: 'ptr', type: name, off, v: bounded ? s : constScalar(0n), text };
}

/** γ(s)(x): x is one of the values the abstract scalar stands for. */
export function gamma(T: Terms, s: AbsScalar, x: Term): ZB {
  const Z = T.Z;
  const z = x.z;
  const k = (v: bigint, w = 64) => Z.BitVec.val(BigInt.asUintN(w, v), w);
  const lo = z.extract(31, 0);
  return T.and(
    z.and(k(~s.mask)).eq(k(s.value & ~s.mask)),
    z.uge(k(s.umin)), z.ule(k(s.umax)),
    z.sge(k(s.smin)), z.sle(k(s.smax)),
    lo.uge(k(s.u32min, 32)), lo.ule(k(s.u32max, 32)),
    lo.sge(k(s.s32min, 32)), lo.sle(k(s.s32max, 32)),
  );
}

/** Short human text of an abstract scalar's sets. */
export function describeScalar(s: AbsScalar): string {
  if (s.mask === 0n) return `{${BigInt.asIntN(64, s.value)}}`;
  const u = unknownScalar();
  const parts: string[] = [];
  if (s.umin !== u.umin || s.umax !== u.umax) parts.push(`u64 [${s.umin}, ${s.umax}]`);
  if ((s.smin !== u.smin || s.smax !== u.smax) && (s.smin !== BigInt.asIntN(64, s.umin) || s.smax !== BigInt.asIntN(64, s.umax))) parts.push(`s64 [${s.smin}, ${s.smax}]`);
  if (s.mask !== u.mask && parts.length === 0) parts.push(`tnum (0x${s.value.toString(16)}; 0x${s.mask.toString(16)})`);
  return parts.length ? parts.join(', ') : 'any 64-bit value';
}
