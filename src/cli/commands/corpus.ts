/**
 * `bpflab corpus check [DIR] [--kernel] [--json]`: check every corpus entry (SPEC section 6) against
 * its expected verdict, kind and message; with --kernel also check the recorded kernel verdict
 * against the running kernel. A line per failure, then `N passed, N failed`.
 */
import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { InputError } from '../../isa/errors.js';
import { loadFile } from '../../loader/index.js';
import { verify } from '../../verifier/index.js';
import { UsageError, parseArgs, type CommandDecl } from '../args.js';
import type { Command } from '../io.js';
import { FileRefused, MAX_INCLUDED_BYTES, readBoundedFile } from '../../loader/file-policy.js';
import { parseExpectation, type Expectation } from '../corpus-expect.js';
import { walkFiles, type WalkProblem } from '../walk.js';
import { kernelVerdict } from './verify.js';

const decl: CommandDecl = {
  name: 'corpus',
  summary: 'Check the regression corpus: every DIR/**/<name>.{s,o,data,cbpf} against its <name>.expect.json (default DIR: corpus).',
  usage: 'corpus check [DIR] [--kernel] [--json]',
  options: [
    { name: 'kernel', kind: 'flag', description: 'also load each entry with a "kernel" field into the running kernel and check that verdict' },
  ],
  positionals: { min: 1, max: 2, name: 'check [DIR]' },
};

export type { Expectation } from '../corpus-expect.js';

export interface CorpusEntry {
  /** The program file. */
  file: string;
  expectFile: string;
  expect: Expectation;
}

const PROGRAM_EXTS = ['.s', '.o', '.data', '.cbpf'];

/** Every entry under `dir`, sorted by path; a bad sidecar is an InputError naming it. */
export function findEntries(dir: string): CorpusEntry[] {
  const { entries, problems } = walkEntries(dir);
  if (problems[0]) throw new InputError('corpus', `${problems[0].path}: ${problems[0].reason}`);
  return entries;
}

/** The entries under `dir`, and the files that cannot be entries (a FIFO, a link loop), by name. */
export function walkEntries(dir: string): { entries: CorpusEntry[]; problems: WalkProblem[] } {
  const walk = walkFiles(dir, (name) => PROGRAM_EXTS.some((e) => name.endsWith(e)));
  const entries: CorpusEntry[] = [];
  for (const p of walk.files) {
    const ext = PROGRAM_EXTS.find((e) => p.endsWith(e))!;
    const expectFile = p.slice(0, -ext.length) + '.expect.json';
    let text: string;
    try { text = new TextDecoder().decode(readBoundedFile(expectFile, { regularOnly: true, maxBytes: MAX_INCLUDED_BYTES })); } catch (e) { throw new InputError('corpus', `${p}: no readable sidecar ${expectFile}${e instanceof FileRefused ? ` (${e.reason})` : ''}`); }
    entries.push({ file: p, expectFile, expect: parseExpectation(text, expectFile) });
  }
  return { entries, problems: walk.problems };
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
}

/** Checks one entry; `withKernel` also compares the recorded kernel verdict with the running kernel. */
export async function checkEntry(e: CorpusEntry, withKernel: boolean): Promise<EntryResult> {
  const problems: string[] = [];
  let programs;
  try {
    programs = await loadFile(e.file, readBoundedFile(e.file, { regularOnly: true }));
  } catch (err) {
    return { file: e.file, ok: false, problems: [`does not load: ${(err as Error).message}`], verdict: 'error' };
  }
  const res: EntryResult = { file: e.file, ok: true, problems, verdict: 'accept' };
  for (const p of programs) {
    const r = verify(p);
    if (r.verdict === 'reject') {
      res.verdict = 'reject';
      res.message = r.error!.message;
      res.kind = r.error!.kind;
    }
    if (withKernel && e.expect.kernel) {
      const k = await kernelVerdict(p);
      if (k.verdict !== 'unavailable') {
        res.kernel = k.verdict;
        if (k.verdict !== e.expect.kernel) problems.push(`kernel ${k.verdict}s (recorded: ${e.expect.kernel})${k.message ? `: ${k.message}` : ''}`);
      }
    }
  }
  const x = e.expect;
  if (res.verdict !== x.verdict) problems.push(`expected ${x.verdict}, got ${res.verdict}${res.message ? `: ${res.message} [${res.kind}]` : ''}`);
  else if (x.verdict === 'reject') {
    if (x.kind !== undefined && res.kind !== x.kind) problems.push(`expected kind ${x.kind}, got ${res.kind} (${res.message})`);
    if (x.message !== undefined && !(res.message ?? '').includes(x.message)) problems.push(`expected message containing '${x.message}', got '${res.message}'`);
  }
  res.ok = problems.length === 0;
  return res;
}

export const command: Command = {
  decl,
  async run(argv, io) {
    const args = parseArgs(decl, argv);
    const [sub, dir = 'corpus'] = args.positionals;
    if (sub !== 'check') throw new UsageError(`corpus: unknown subcommand '${sub}' (usage: ${decl.usage})`);
    try { statSync(dir); } catch { throw new InputError('io', `${dir}: no such corpus directory`); }
    const { entries, problems } = walkEntries(dir);
    const withKernel = args.flags.has('kernel');
    const results: EntryResult[] = problems.map((p) => ({ file: p.path, ok: false, problems: [p.reason], verdict: 'error' }));
    if (!args.flags.has('json')) for (const r of results) io.out(`FAIL ${relative('.', r.file)}: ${r.problems.join('; ')}\n`);
    for (const e of entries) {
      const r = await checkEntry(e, withKernel);
      results.push(r);
      if (!r.ok && !args.flags.has('json')) io.out(`FAIL ${relative('.', r.file)}: ${r.problems.join('; ')}\n`);
    }
    const failed = results.filter((r) => !r.ok).length;
    const passed = results.length - failed;
    if (args.flags.has('json')) io.out(JSON.stringify({ dir, passed, failed, entries: results }) + '\n');
    else io.out(`${passed} passed, ${failed} failed\n`);
    return failed ? 1 : 0;
  },
};
