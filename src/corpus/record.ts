/**
 * Creating and refreshing sidecars from what bpflab (and, when asked, the running kernel) does
 * now: `corpus record` for new objects, `corpus check --update` after a reviewed change. What a
 * person wrote (why, inputs) is kept.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Program } from '../isa/program.js';
import { kernelVerdict } from '../kernel/verdict.js';
import { loadFile } from '../loader/index.js';
import { verify } from '../verifier/index.js';
import { readEntry, runR0, sidecarPath } from './check.js';
import { expectationFor, formatSidecar, programKey, verifyFlags, type LoadFlags, type ProgramExpectation, type Sidecar } from './expectations.js';

export interface RecordOptions {
  /** Also record the running kernel's verdict (skipped when bpf() is unavailable). */
  kernel?: boolean;
  /** Load options to pin in the entry (merged over the ones its old sidecar pins). */
  options?: LoadFlags;
}

/** The stable head of a verifier message (the text before register details), for a substring match. */
export function messageHead(message: string): string {
  return message.split(',')[0]!.trim();
}

/** A per-program sidecar for `file` from the current results, keeping what the old one says beside them. */
export async function recordSidecar(file: string, opts: RecordOptions = {}): Promise<Sidecar> {
  const programs = await loadFile(file, new Uint8Array(readFileSync(file)));
  const old = readEntry(file);
  const out: Record<string, ProgramExpectation> = {};
  for (const p of programs) out[programKey(p)] = await recordProgram(file, p, old?.sidecar, opts);
  const why = old?.sidecar.why ?? (old?.sidecar.file && programs.length > 1 ? old.sidecar.file.why : undefined);
  return { programs: out, ...(why !== undefined && { why }) };
}

async function recordProgram(file: string, p: Program, old: Sidecar | undefined, opts: RecordOptions): Promise<ProgramExpectation> {
  const prev = old ? (expectationFor(old, p) ?? old.file) : undefined;
  const options: LoadFlags = { ...prev?.options, ...opts.options };
  const flags = verifyFlags(options);
  const r = verify(p, flags);
  const x: ProgramExpectation = { verdict: r.verdict };
  if (Object.keys(options).length > 0) x.options = options;
  if (r.error) { x.kind = r.error.kind; x.message = messageHead(r.error.message); }
  if (prev?.input) x.input = prev.input;
  if (r.verdict === 'accept') {
    const run = runR0(file, p, prev?.input);
    if ('r0' in run) x.r0 = run.r0;
  }
  if (opts.kernel) {
    const k = await kernelVerdict(p, { strictAlignment: flags.strictAlignment === true });
    if (k.verdict !== 'unavailable') x.kernel = k.verdict;
  } else if (prev?.kernel !== undefined) x.kernel = prev.kernel;
  x.why = prev?.why ?? `recorded by bpflab corpus record: ${r.verdict}${r.error ? ` (${r.error.kind})` : ''}`;
  return x;
}

/** Writes the sidecar of `file` from the current results; returns its path. */
export async function recordFile(file: string, opts: RecordOptions = {}): Promise<string> {
  const sc = await recordSidecar(file, opts);
  const path = sidecarPath(file);
  writeFileSync(path, formatSidecar(sc));
  return path;
}
