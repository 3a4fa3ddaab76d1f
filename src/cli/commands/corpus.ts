/**
 * `bpflab corpus check [DIR] [--kernel] [--json]`: check every corpus entry (SPEC section 6) against
 * its expected verdict, kind and message; with --kernel also check the recorded kernel verdict
 * against the running kernel. A line per failure, then `N passed, N failed`.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InputError } from '../../isa/errors.js';
import { loadFile } from '../../loader/index.js';
import { verify } from '../../verifier/index.js';
import { UsageError, parseArgs, type CommandDecl } from '../args.js';
import type { Command } from '../io.js';
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

export interface Expectation {
  verdict: 'accept' | 'reject';
  kind?: string;
  message?: string;
  r0?: string;
  kernel?: 'accept' | 'reject';
  why: string;
}

export interface CorpusEntry {
  /** The program file. */
  file: string;
  expectFile: string;
  expect: Expectation;
}

const PROGRAM_EXTS = ['.s', '.o', '.data', '.cbpf'];

/** Every entry under `dir`, sorted by path. */
export function findEntries(dir: string): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) { walk(p); continue; }
      const ext = PROGRAM_EXTS.find((e) => name.endsWith(e));
      if (!ext) continue;
      const expectFile = p.slice(0, -ext.length) + '.expect.json';
      let text: string;
      try { text = readFileSync(expectFile, 'utf8'); } catch { throw new InputError('corpus', `${p}: no sidecar ${expectFile}`); }
      let expect: Expectation;
      try { expect = JSON.parse(text) as Expectation; } catch (e) { throw new InputError('corpus', `${expectFile}: not valid JSON (${(e as Error).message})`); }
      if (expect.verdict !== 'accept' && expect.verdict !== 'reject') throw new InputError('corpus', `${expectFile}: "verdict" must be "accept" or "reject"`);
      out.push({ file: p, expectFile, expect });
    }
  };
  walk(dir);
  return out;
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
    programs = await loadFile(e.file, new Uint8Array(readFileSync(e.file)));
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
    const entries = findEntries(dir);
    const withKernel = args.flags.has('kernel');
    const results: EntryResult[] = [];
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
