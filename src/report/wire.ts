/**
 * How a program view travels in the page's JSON island: the per-instruction columns (states,
 * the failing path, the listing) packed so that a 100,000-insn program stays a few megabytes.
 * Integer columns become strings of base-64 varints over their deltas with runs folded (a pc
 * column of straight-line code is one run); the listing is a table of distinct lines and one
 * index per pc. The page's script (client.ts) unpacks them once on load with the same rules.
 */
import type { CompactStates } from './states.js';
import type { ProgramView } from './view.js';

/** The varint alphabet: JSON- and HTML-safe (no quote, backslash or '<'). */
export const PACK_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DIGIT = 32; // 5 value bits per character, the sixth says "more follows"

function putVarint(out: string[], n: number): void {
  for (;;) {
    const low = n % DIGIT;
    n = Math.floor(n / DIGIT);
    if (n === 0) { out.push(PACK_ALPHABET[low]!); return; }
    out.push(PACK_ALPHABET[low + DIGIT]!);
  }
}

/**
 * Packs integers: each delta from the previous value, zigzag-signed, doubled; odd when a run
 * count follows (the same delta repeated n >= 2 times).
 */
export function packInts(xs: ArrayLike<number>): string {
  const out: string[] = [];
  let prev = 0;
  let i = 0;
  while (i < xs.length) {
    const d = xs[i]! - prev;
    let n = 1;
    while (i + n < xs.length && xs[i + n]! - xs[i + n - 1]! === d) n++;
    const zz = d >= 0 ? 2 * d : -2 * d - 1;
    putVarint(out, 2 * zz + (n > 1 ? 1 : 0));
    if (n > 1) putVarint(out, n);
    prev = xs[i + n - 1]!;
    i += n;
  }
  return out.join('');
}

/** The inverse of packInts (the page's script has the same loop). */
export function unpackInts(s: string): number[] {
  const out: number[] = [];
  let pos = 0;
  const next = (): number => {
    let n = 0;
    let scale = 1;
    for (;;) {
      const c = PACK_ALPHABET.indexOf(s[pos++]!);
      if (c < 0) throw new Error(`packed integers: bad character at ${pos - 1}`);
      n += (c % DIGIT) * scale;
      if (c < DIGIT) return n;
      scale *= DIGIT;
    }
  };
  let prev = 0;
  while (pos < s.length) {
    const code = next();
    const zz = Math.floor(code / 2);
    const d = zz % 2 === 0 ? zz / 2 : -(zz + 1) / 2;
    const n = code % 2 === 1 ? next() : 1;
    for (let k = 0; k < n; k++) { prev += d; out.push(prev); }
  }
  return out;
}

const STATE_COLUMNS = ['pc', 'visits', 'flags', 'frame', 'fullAt', 'fullLen', 'full', 'deltaLen', 'delta'] as const;

export type PackedStates = Omit<CompactStates, (typeof STATE_COLUMNS)[number]> & Record<(typeof STATE_COLUMNS)[number], string>;

export function packStates(t: CompactStates): PackedStates {
  const out: Record<string, unknown> = { ...t };
  for (const k of STATE_COLUMNS) out[k] = packInts(t[k]);
  return out as PackedStates;
}

export function unpackStates(p: PackedStates): CompactStates {
  const out: Record<string, unknown> = { ...p };
  for (const k of STATE_COLUMNS) out[k] = unpackInts(p[k]);
  return out as unknown as CompactStates;
}

/** A view as the page receives it: `text`, `path` and `pcStates` packed. */
export type WireView = Omit<ProgramView, 'text' | 'path' | 'pcStates'> & {
  /** Distinct listing lines, and per pc the index of its line (packed). */
  lines: string[];
  text: string;
  path: string | null;
  pcStates: PackedStates | null;
};

export function toWire(v: ProgramView): WireView {
  const lines: string[] = [];
  const index = new Map<string, number>();
  const idx = v.text.map((t) => {
    let i = index.get(t);
    if (i === undefined) { i = lines.length; lines.push(t); index.set(t, i); }
    return i;
  });
  return { ...v, lines, text: packInts(idx), path: v.path ? packInts(v.path) : null, pcStates: v.pcStates ? packStates(v.pcStates) : null };
}

/** The inverse of toWire (for tests and tools reading a report's island). */
export function fromWire(w: WireView): ProgramView {
  const { lines, ...rest } = w;
  return { ...rest, text: unpackInts(w.text).map((i) => lines[i]!), path: w.path === null ? null : unpackInts(w.path), pcStates: w.pcStates ? unpackStates(w.pcStates) : null };
}
