/**
 * The mutation-fuzz harness of test/hostile: a seeded generator, byte and text mutators, and one
 * case run through the CLI's main() in-process, checked against the CLI's promise for any input:
 * a normal verdict (exit 0 or 1), or exit 2 with one printable stderr line naming the file --
 * never an internal error, a stack trace, a case over the time budget or a heap over the limit.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { expectPrintableLine } from './cases.js';

/**
 * Cases per format per run: 10,000 in CI (CI=true, as .ci/run sets), 500 in a developer's
 * run of the suite; BPFLAB_HOSTILE_CASES overrides (e.g. a longer local campaign).
 */
export const CASES_PER_FORMAT = Number(process.env['BPFLAB_HOSTILE_CASES'] ?? (process.env['CI'] ? 10_000 : 500)) || 500;
/** One case may take this long (a hang or a quadratic blow-up shows up here). */
const CASE_MS = 2000;
/** The heap must stay under this between cases (a leak or an unbounded allocation shows up here). */
const HEAP_LIMIT = 512 * 1024 * 1024;

/** xorshift32: fast, seeded, reproducible. */
export class Rng {
  constructor(private s: number) { if (!this.s) this.s = 0x9e3779b9; }
  next(): number {
    let x = this.s;
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number { return n <= 0 ? 0 : this.next() % n; }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]!; }
}

const INTERESTING32 = [0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** A mutated copy of `seed`: bit flips, interesting u32s at aligned offsets, byte runs, truncation or growth. */
export function mutateBytes(seed: Uint8Array, rng: Rng, region?: readonly [number, number]): Uint8Array {
  let b = new Uint8Array(seed);
  const [lo, hi] = region ?? [0, b.length];
  const at = () => Math.min(b.length, lo + rng.int(Math.max(1, hi - lo)));
  const n = 1 + rng.int(4);
  for (let k = 0; k < n; k++) {
    switch (rng.int(6)) {
      case 0: { const p = at(); if (p < b.length) b[p]! ^= 1 << rng.int(8); break; }
      case 1: { const p = at() & ~3; if (p + 4 <= b.length) new DataView(b.buffer).setUint32(p, rng.pick(INTERESTING32), true); break; }
      case 2: { const p = at(); const len = 1 + rng.int(16); for (let i = p; i < Math.min(b.length, p + len); i++) b[i] = rng.int(256); break; }
      case 3: b = b.slice(0, at()); break;
      case 4: { const p = at(); const src = rng.int(b.length); const len = rng.int(64); b.copyWithin(p, src, src + len); break; }
      default: { const extra = new Uint8Array(rng.int(64)).map(() => rng.int(256)); const p = at(); const out = new Uint8Array(b.length + extra.length); out.set(b.subarray(0, p)); out.set(extra, p); out.set(b.subarray(p), p + extra.length); b = out; }
    }
  }
  return b;
}

/** A mutated copy of `seed` text: tokens from `dictionary`, characters deleted, duplicated lines, hostile characters, long runs. */
export function mutateText(seed: string, rng: Rng, dictionary: readonly string[]): string {
  let t = seed;
  const n = 1 + rng.int(4);
  for (let k = 0; k < n; k++) {
    const p = rng.int(t.length + 1);
    switch (rng.int(8)) {
      case 0: t = t.slice(0, p) + rng.pick(dictionary) + t.slice(p); break;
      case 1: t = t.slice(0, p) + t.slice(p + 1 + rng.int(8)); break;
      case 2: { const lines = t.split('\n'); const i = rng.int(lines.length); lines.splice(i, 0, lines[rng.int(lines.length)]!); t = lines.join('\n'); break; }
      case 3: t = t.slice(0, p) + rng.pick(['\x1b[2K', '\r', '\0', '\x7f', '\u202e', '\xff', '\n', '\t', '"', '\\']) + t.slice(p); break;
      case 4: t = t.slice(0, p) + rng.pick(['9', 'f', 'x', '-', '(', '[']).repeat(1 + rng.int(300)) + t.slice(p); break;
      case 5: { const lines = t.split('\n'); lines.splice(rng.int(lines.length), 1); t = lines.join('\n'); break; }
      case 6: t = t.slice(0, p) + String(rng.pick(INTERESTING32) * (rng.int(2) ? 1 : -1)) + t.slice(p); break;
      default: t = t.slice(0, p) + t.slice(p, p + rng.int(40)).split('').reverse().join('') + t.slice(p + 40); break;
    }
  }
  return t;
}

export interface CaseResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A scratch folder for formats that must be on disk (conformance includes, corpus folders). */
export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'bpflab-mutation-'));
}

export function writeScratch(dir: string, name: string, data: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

/**
 * Runs one case and checks the promise. `file` is the input's name as given on the command line
 * (an error line must name it). Returns the outcome; throws with a reproducible description.
 */
export async function runCase(label: string, argv: string[], file: string, files?: Record<string, Uint8Array | string>): Promise<CaseResult> {
  const io = files ? memoryIo(files) : undefined;
  let out = '', err = '';
  const capture = io ?? {
    out: (t: string) => { out += t; }, err: (t: string) => { err += t; },
    readFile: (await import('../../src/cli/io.js')).readUserFile, writeFile: () => {},
  };
  const t0 = performance.now();
  const code = await main(argv, capture);
  const ms = performance.now() - t0;
  const stdout = io ? io.stdout : out;
  const stderr = io ? io.stderr : err;
  const fail = (why: string) => { throw new Error(`${label}: ${why}\n  argv: ${JSON.stringify(argv)}\n  exit ${code}\n  stderr: ${JSON.stringify(stderr.slice(0, 400))}`); };
  if (ms > CASE_MS) fail(`took ${ms.toFixed(0)} ms (limit ${CASE_MS})`);
  if (/internal error|\n\s+at /.test(stderr)) fail('internal error or stack trace');
  if (code === 2) {
    try { expectPrintableLine(stderr); } catch (e) { fail((e as Error).message); }
    if (!stderr.includes(file)) fail(`the error line does not name ${file}`);
  } else if (code !== 0 && code !== 1) fail(`exit code ${code}`);
  if (process.memoryUsage().heapUsed > HEAP_LIMIT) fail(`heap at ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB after the case`);
  return { code, stdout, stderr };
}

/** Runs `count` cases from `make(rng, i)`, tallying exits; returns the tally and the elapsed time. */
export async function campaign(format: string, seed: number, count: number, make: (rng: Rng, i: number) => { argv: string[]; file: string; files?: Record<string, Uint8Array | string> }): Promise<{ exits: Record<number, number>; ms: number }> {
  // Warm-up outside the count and the clock: the first main() call of a command loads its modules
  // (cases 0 and 1 cover the commands a campaign alternates between).
  for (const i of [0, 1]) {
    const warm = make(new Rng(seed ^ 0x5555), i);
    await main(warm.argv, warm.files ? memoryIo(warm.files) : { out: () => {}, err: () => {}, readFile: (await import('../../src/cli/io.js')).readUserFile, writeFile: () => {} });
  }
  const rng = new Rng(seed);
  const exits: Record<number, number> = {};
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const c = make(rng, i);
    const r = await runCase(`${format} case ${i} (seed ${seed})`, c.argv, c.file, c.files);
    exits[r.code] = (exits[r.code] ?? 0) + 1;
  }
  return { exits, ms: performance.now() - t0 };
}
