/**
 * Checking corpus entries against their sidecars: verdict, kind and message per program (or per
 * file in the old form), r0 of accepted programs run on the VM with the entry's inputs, and the
 * recorded kernel verdict against the running kernel.
 */
import { readFileSync } from 'node:fs';
import { FileRefused, MAX_INCLUDED_BYTES, readBoundedFile } from '../loader/file-policy.js';
import { walkFiles, type WalkProblem } from '../loader/walk.js';
import { InputError } from '../isa/errors.js';
import { parseConformance } from '../isa/conformance.js';
import type { Program } from '../isa/program.js';
import { kernelVerdict } from '../kernel/verdict.js';
import { loadFile } from '../loader/index.js';
import { verify, type VerifyResult } from '../verifier/index.js';
import { runProgram, type RunInput } from '../vm/index.js';
import { expectationFor, parseSidecar, programKey, verifyFlags, type Expectation, type ProgramExpectation, type RunInputSpec, type Sidecar } from './expectations.js';

export interface CorpusEntry {
  /** The program file. */
  file: string;
  expectFile: string;
  /** The file-level view (the old form itself, or a summary of the per-program form: reject when any program is expected to be). */
  expect: Expectation;
  sidecar: Sidecar;
}

export const PROGRAM_EXTS: readonly string[] = ['.s', '.o', '.data', '.cbpf'];

/** The sidecar path of a program file. */
export function sidecarPath(file: string): string {
  const ext = PROGRAM_EXTS.find((e) => file.endsWith(e)) ?? '';
  return (ext ? file.slice(0, -ext.length) : file) + '.expect.json';
}

function summarize(sc: Sidecar): Expectation {
  if (sc.file) return sc.file;
  const progs = Object.values(sc.programs ?? {});
  const rej = progs.find((p) => p.verdict === 'reject');
  const kernelRej = progs.some((p) => p.kernel === 'reject');
  const anyKernel = progs.some((p) => p.kernel !== undefined);
  return {
    verdict: rej ? 'reject' : 'accept',
    ...(rej?.kind !== undefined && { kind: rej.kind }),
    ...(rej?.message !== undefined && { message: rej.message }),
    ...(anyKernel && { kernel: kernelRej ? 'reject' : 'accept' }),
    why: sc.why ?? progs.map((p) => p.why).filter(Boolean).join('; '),
  };
}

/** Reads the entry of one program file. `null` when it has no sidecar. */
export function readEntry(file: string): CorpusEntry | null {
  const expectFile = sidecarPath(file);
  let text: string;
  try {
    text = new TextDecoder().decode(readBoundedFile(expectFile, { regularOnly: true, maxBytes: MAX_INCLUDED_BYTES }));
  } catch (e) {
    if (e instanceof FileRefused && (e as { code?: string }).code !== 'ENOENT' && !/no such file/.test(e.message)) throw new InputError('corpus', `${file}: no readable sidecar ${expectFile} (${e.reason})`);
    return null;
  }
  const sidecar = parseSidecar(expectFile, text);
  return { file, expectFile, expect: summarize(sidecar), sidecar };
}

/** Every program file under `dir` (sorted by path), and what cannot be one (a FIFO, a link loop). */
export function walkProgramFiles(dir: string): { files: string[]; problems: WalkProblem[] } {
  return walkFiles(dir, (name) => PROGRAM_EXTS.some((e) => name.endsWith(e)));
}

/** Every program file under `dir` (sorted by path); a file that cannot be one is an InputError naming it. */
export function findProgramFiles(dir: string): string[] {
  const { files, problems } = walkProgramFiles(dir);
  if (problems[0]) throw new InputError('corpus', `${problems[0].path}: ${problems[0].reason}`);
  return files;
}

/** Every entry under `dir`, sorted by path. A program file without a sidecar is an error (create it with `corpus record`). */
export function findEntries(dir: string): CorpusEntry[] {
  return findProgramFiles(dir).map((f) => {
    const e = readEntry(f);
    if (!e) throw new InputError('corpus', `${f}: no sidecar ${sidecarPath(f)} (create it with: bpflab corpus record ${f})`);
    return e;
  });
}

/** One program's outcome. */
export interface ProgramCheck {
  key: string;
  ok: boolean;
  problems: string[];
  verdict: 'accept' | 'reject';
  kind?: string;
  message?: string;
  r0?: string;
  kernel?: string;
  ms: number;
}

export interface EntryResult {
  file: string;
  ok: boolean;
  /** Why it failed (empty when ok). */
  problems: string[];
  verdict: 'accept' | 'reject' | 'error';
  message?: string;
  kind?: string;
  kernel?: string;
  /** Per program (absent when the file did not load). */
  programs?: ProgramCheck[];
}

const hex = (s: string, what: string): Uint8Array => {
  const h = s.replace(/[\s:]/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(h)) throw new InputError('corpus', `${what}: not hex bytes`);
  return Uint8Array.from({ length: h.length / 2 }, (_, i) => parseInt(h.slice(2 * i, 2 * i + 2), 16));
};

/** The VM input of an entry: its sidecar's `input`, else a conformance file's `-- mem`. */
function runInput(file: string, spec: RunInputSpec | undefined): RunInput {
  const input: RunInput = {};
  if (spec?.packet !== undefined) input.packet = hex(spec.packet, `${file}: input.packet`);
  if (spec?.ctx !== undefined) input.ctx = hex(spec.ctx, `${file}: input.ctx`);
  if (spec?.mem !== undefined) input.mem = hex(spec.mem, `${file}: input.mem`);
  if (!spec && file.endsWith('.data')) {
    const mem = parseConformance(readFileSync(file, 'utf8')).mem;
    if (mem.length) input.mem = mem;
  }
  return input;
}

/** r0 of an accepted program on the VM (unsigned decimal), or why it could not be had. */
export function runR0(file: string, p: Program, spec: RunInputSpec | undefined): { r0: string } | { error: string } {
  try {
    const r = runProgram(p, runInput(file, spec));
    if (r.fault) return { error: `the VM faults: ${r.fault.message}` };
    if (r.error) return { error: `the VM stops: ${r.error.message}` };
    return { r0: r.r0.toString() };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

function compareOne(x: ProgramExpectation, r: VerifyResult, problems: string[]): void {
  const got = r.verdict;
  const msg = r.error?.message;
  if (got !== x.verdict) { problems.push(`expected ${x.verdict}, got ${got}${msg ? `: ${msg} [${r.error!.kind}]` : ''}`); return; }
  if (x.verdict === 'reject') {
    if (x.kind !== undefined && r.error?.kind !== x.kind) problems.push(`expected kind ${x.kind}, got ${r.error?.kind} (${msg})`);
    if (x.message !== undefined && !(msg ?? '').includes(x.message)) problems.push(`expected message containing '${x.message}', got '${msg}'`);
  }
}

/** Checks one entry; `withKernel` also compares the recorded kernel verdict with the running kernel. */
export async function checkEntry(e: CorpusEntry, withKernel: boolean): Promise<EntryResult> {
  let programs: Program[];
  try {
    programs = await loadFile(e.file, readBoundedFile(e.file, { regularOnly: true }));
  } catch (err) {
    return { file: e.file, ok: false, problems: [`does not load: ${(err as Error).message}`], verdict: 'error' };
  }
  const res: EntryResult = { file: e.file, ok: true, problems: [], verdict: 'accept', programs: [] };
  const perProgram = e.sidecar.programs !== undefined;
  let kernelAll: 'accept' | 'reject' | undefined;
  let firstReject: VerifyResult | undefined;
  let firstResult: VerifyResult | undefined;
  for (const p of programs) {
    const key = programKey(p);
    const t0 = performance.now();
    const x = perProgram ? expectationFor(e.sidecar, p) : undefined;
    const flags = verifyFlags((perProgram ? x : e.expect)?.options);
    const r = verify(p, flags);
    const pc: ProgramCheck = { key, ok: true, problems: [], verdict: r.verdict, ms: 0 };
    if (r.error) { pc.kind = r.error.kind; pc.message = r.error.message; }
    if (r.verdict === 'reject' && !firstReject) firstReject = r;
    firstResult ??= r;
    if (perProgram && !x) pc.problems.push(`no expectation for program ${key} (have: ${Object.keys(e.sidecar.programs!).join(', ')}); refresh with corpus check --update`);
    if (x) compareOne(x, r, pc.problems);
    const r0Expect = x?.r0 ?? (!perProgram && programs.length === 1 ? e.expect.r0 : undefined);
    const input = x?.input ?? (!perProgram ? e.expect.input : undefined);
    if (r0Expect !== undefined && r.verdict === 'accept') {
      const run = runR0(e.file, p, input);
      if ('error' in run) pc.problems.push(`r0: ${run.error}`);
      else { pc.r0 = run.r0; if (run.r0 !== r0Expect) pc.problems.push(`expected r0 ${r0Expect}, got ${run.r0}`); }
    }
    const kernelExpect = x?.kernel ?? (!perProgram ? e.expect.kernel : undefined);
    if (withKernel && kernelExpect) {
      const k = await kernelVerdict(p, { strictAlignment: flags.strictAlignment === true });
      if (k.verdict !== 'unavailable') {
        pc.kernel = k.verdict;
        if (perProgram) {
          if (k.verdict !== kernelExpect) pc.problems.push(`kernel ${k.verdict}s (recorded: ${kernelExpect})${k.message ? `: ${k.message}` : ''}`);
        } else kernelAll = kernelAll === 'reject' || k.verdict === 'reject' ? 'reject' : 'accept';
      }
    }
    pc.ms = Number((performance.now() - t0).toFixed(3));
    pc.ok = pc.problems.length === 0;
    res.programs!.push(pc);
    res.problems.push(...pc.problems.map((m) => (programs.length > 1 ? `${key}: ${m}` : m)));
  }
  if (firstReject) { res.verdict = 'reject'; res.message = firstReject.error!.message; res.kind = firstReject.error!.kind; }
  if (!perProgram) {
    // The old form states one verdict for the whole file: reject when any program is rejected.
    const problems: string[] = [];
    const fileResult = firstReject ?? firstResult;
    if (fileResult) compareOne(e.expect, fileResult, problems);
    else problems.push('the file holds no program');
    if (withKernel && e.expect.kernel && kernelAll !== undefined) {
      res.kernel = kernelAll;
      if (kernelAll !== e.expect.kernel) problems.push(`kernel ${kernelAll}s (recorded: ${e.expect.kernel})`);
    }
    res.problems.unshift(...problems);
    if (problems.length && res.programs!.length === 1) res.programs![0]!.problems.unshift(...problems);
    if (problems.length) for (const pc of res.programs!) pc.ok = false;
  } else {
    const kernels = res.programs!.map((p) => p.kernel).filter((k) => k !== undefined);
    if (kernels.length) res.kernel = kernels.includes('reject') ? 'reject' : 'accept';
  }
  res.ok = res.problems.length === 0;
  return res;
}
