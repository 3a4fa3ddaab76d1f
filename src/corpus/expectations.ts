/**
 * Corpus sidecars (`<name>.expect.json`, SPEC section 6): the old per-file form (one verdict for
 * the whole file) and the per-program form, keyed by `section/function` (or the function name
 * for inputs without sections):
 *   { "why": "...", "programs": { "tc/handle_a": { "verdict": "reject", "kind": "...", ... } } }
 */
import { InputError } from '../isa/errors.js';
import type { Program } from '../isa/program.js';

export type Verdict = 'accept' | 'reject';

/** Inputs an accepted program is run on (on the VM) to check `r0`. Hex bytes. */
export interface RunInputSpec {
  packet?: string;
  ctx?: string;
  mem?: string;
}

/** What one program (or, in the old form, the whole file) is expected to do. */
export interface ProgramExpectation {
  verdict: Verdict;
  /** Error kind (rejections). */
  kind?: string;
  /** A substring of the verifier's message (rejections). */
  message?: string;
  /** r0 (unsigned decimal) of a run on the VM with `input` (accepted programs). */
  r0?: string;
  input?: RunInputSpec;
  /** The running kernel's verdict. */
  kernel?: Verdict;
  /** How the program is loaded, by bpflab and by the kernel (absent: the defaults). */
  options?: LoadFlags;
  why?: string;
}

/** Load-time choices an entry can pin. */
export interface LoadFlags {
  /** BPF_F_STRICT_ALIGNMENT (`verify --strict-alignment`); the kernel is asked with the same flag. */
  strictAlignment?: boolean;
  /** Reads of never-written stack: true (the default) as for root, false as for unprivileged loaders (`--deny-uninit-stack`). */
  allowUninitStack?: boolean;
}

/** The verifier options an expectation's `options` select. */
export function verifyFlags(o: LoadFlags | undefined): { strictAlignment?: boolean; allowUninitStack?: boolean } {
  return { ...(o?.strictAlignment && { strictAlignment: true }), ...(o?.allowUninitStack !== undefined && { allowUninitStack: o.allowUninitStack }) };
}

/** The old per-file form, as SPEC section 6 states it. */
export interface Expectation extends ProgramExpectation {
  why: string;
}

export interface Sidecar {
  /** Old form: one expectation for every program of the file. */
  file?: Expectation;
  /** Per-program form. */
  programs?: Record<string, ProgramExpectation>;
  why?: string;
}

/** A program's key in a per-program sidecar. */
export function programKey(p: Program): string {
  return p.section ? `${p.section}/${p.name}` : p.name;
}

function checkOne(x: unknown, where: string): ProgramExpectation {
  if (!x || typeof x !== 'object') throw new InputError('corpus', `${where}: expected an object`);
  const e = x as ProgramExpectation;
  for (const k of ['kind', 'message', 'why'] as const) {
    const v = (x as Record<string, unknown>)[k];
    if (v !== undefined && typeof v !== 'string') throw new InputError('corpus', `${where}: "${k}" must be a string, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  }
  if (e.verdict !== 'accept' && e.verdict !== 'reject') throw new InputError('corpus', `${where}: "verdict" must be "accept" or "reject"`);
  if (e.kernel !== undefined && e.kernel !== 'accept' && e.kernel !== 'reject') throw new InputError('corpus', `${where}: "kernel" must be "accept" or "reject"`);
  const opts = (x as Record<string, unknown>)['options'];
  if (opts !== undefined) {
    if (!opts || typeof opts !== 'object' || Array.isArray(opts)) throw new InputError('corpus', `${where}: "options" must be an object`);
    for (const [k, v] of Object.entries(opts)) {
      if (k !== 'strictAlignment' && k !== 'allowUninitStack') throw new InputError('corpus', `${where}: unknown option "${k}" (strictAlignment, allowUninitStack)`);
      if (typeof v !== 'boolean') throw new InputError('corpus', `${where}: option "${k}" must be true or false`);
    }
  }
  if (e.r0 !== undefined && (typeof e.r0 !== 'string' || !/^\d+$/.test(e.r0))) throw new InputError('corpus', `${where}: "r0" must be an unsigned decimal string`);
  return e;
}

/** Reads a sidecar's text (either form). Throws InputError naming the file. */
export function parseSidecar(path: string, text: string): Sidecar {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (e) { throw new InputError('corpus', `${path}: not valid JSON (${(e as Error).message})`); }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError('corpus', `${path}: expected a JSON object, got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`);
  const o = raw as { programs?: unknown; why?: unknown; verdict?: unknown };
  if (o.programs !== undefined) {
    if (!o.programs || typeof o.programs !== 'object') throw new InputError('corpus', `${path}: "programs" must be an object keyed by section/function`);
    const programs: Record<string, ProgramExpectation> = {};
    for (const [k, v] of Object.entries(o.programs)) programs[k] = checkOne(v, `${path}: programs["${k}"]`);
    return { programs, ...(typeof o.why === 'string' && { why: o.why }) };
  }
  return { file: checkOne(raw, path) as Expectation };
}

/** The expectation of program `p` in a per-program sidecar: by `section/function`, else by a unique function name. */
export function expectationFor(sc: Sidecar, p: Program): ProgramExpectation | undefined {
  const progs = sc.programs;
  if (!progs) return undefined;
  const exact = progs[programKey(p)];
  if (exact) return exact;
  const byName = Object.entries(progs).filter(([k]) => k === p.name || k.endsWith(`/${p.name}`));
  return byName.length === 1 ? byName[0]![1] : undefined;
}

/** The sidecar as written: per-program form, keys sorted, one line per program. */
export function formatSidecar(sc: Sidecar): string {
  if (sc.file) return JSON.stringify(sc.file) + '\n';
  const keys = Object.keys(sc.programs ?? {}).sort();
  const lines = keys.map((k) => `    ${JSON.stringify(k)}: ${JSON.stringify(sc.programs![k])}`);
  return `{\n${sc.why !== undefined ? `  "why": ${JSON.stringify(sc.why)},\n` : ''}  "programs": {\n${lines.join(',\n')}\n  }\n}\n`;
}
