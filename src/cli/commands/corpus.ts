/**
 * `bpflab corpus check [DIR] [--kernel] [--json] [--update] [--junit OUT.xml]`: check every corpus
 * entry (SPEC section 6) against its sidecar, per program: verdict, kind, message, r0 (run on the
 * VM) and, with --kernel, the recorded kernel verdict. A line per failure, then `N passed, N failed`.
 * `--update` rewrites the sidecars of failing entries from the current results (after review).
 * `bpflab corpus record PATH... [--kernel]`: write per-program sidecars for program files.
 */
import { relative } from 'node:path';
import { statSync } from 'node:fs';
import { InputError } from '../../isa/errors.js';
import { checkEntry, findProgramFiles, junitXml, readEntry, recordFile, walkProgramFiles, type EntryResult } from '../../corpus/index.js';
import { UsageError, parseArgs, type CommandDecl } from '../args.js';
import type { Command, Io } from '../io.js';

export { checkEntry, findEntries, type CorpusEntry, type EntryResult, type Expectation } from '../../corpus/index.js';

const decl: CommandDecl = {
  name: 'corpus',
  summary: 'Check the regression corpus: every DIR/**/<name>.{s,o,data,cbpf} against its <name>.expect.json (default DIR: corpus); or record sidecars for new program files.',
  usage: 'corpus check [DIR] [--kernel] [--json] [--update] [--junit OUT.xml] | corpus record PATH... [--kernel] [--strict-alignment]',
  options: [
    { name: 'strict-alignment', kind: 'flag', description: 'record: pin BPF_F_STRICT_ALIGNMENT in the entry (bpflab and the kernel then check it with the flag)' },
    { name: 'kernel', kind: 'flag', description: 'check: also load each program with a recorded "kernel" verdict into the running kernel; record: record the kernel\'s verdicts' },
    { name: 'update', kind: 'flag', description: 'check: rewrite the sidecars of failing entries from the current results (per-program form; why and inputs kept)' },
    { name: 'junit', kind: 'string', valueName: 'OUT.xml', description: 'check: also write JUnit XML (a test case per program)' },
  ],
  positionals: { min: 1, max: Number.MAX_SAFE_INTEGER, name: 'check [DIR] | record PATH...' },
};

const show = (p: string): string => relative('.', p) || p;

async function check(dir: string, args: ReturnType<typeof parseArgs>, io: Io): Promise<number> {
  try { statSync(dir); } catch { throw new InputError('io', `${dir}: no such corpus directory`); }
  const withKernel = args.flags.has('kernel');
  const update = args.flags.has('update');
  const json = args.flags.has('json');
  const results: EntryResult[] = [];
  const updated: string[] = [];
  const walk = walkProgramFiles(dir);
  // A FIFO or a link loop where an entry should be: a failure named by path, the rest still runs.
  for (const p of walk.problems) {
    results.push({ file: p.path, ok: false, problems: [p.reason], verdict: 'error' });
    if (!json) io.out(`FAIL ${show(p.path)}: ${p.reason}\n`);
  }
  const entries = walk.files.map((f) => {
    const e = readEntry(f);
    if (!e && !update) throw new InputError('corpus', `${f}: no sidecar ${f.replace(/\.[^./]+$/, '')}.expect.json (create it with: bpflab corpus record ${f})`);
    return { f, e };
  });
  for (const { f, e } of entries) {
    if (!e) {
      updated.push(await recordFile(f, { kernel: withKernel }));
      if (!json) io.out(`NEW  ${show(f)}: sidecar recorded\n`);
      continue;
    }
    const r = await checkEntry(e, withKernel);
    results.push(r);
    if (r.ok) continue;
    if (update && r.verdict !== 'error') {
      updated.push(await recordFile(f, { kernel: withKernel }));
      if (!json) io.out(`UPDATED ${show(f)}: ${r.problems.join('; ')}\n`);
    } else if (!json) io.out(`FAIL ${show(r.file)}: ${r.problems.join('; ')}\n`);
  }
  const junit = args.strings.get('junit');
  if (junit !== undefined) io.writeFile(junit, junitXml(results));
  const failed = results.filter((r) => !r.ok).length - (update ? results.filter((r) => !r.ok && r.verdict !== 'error').length : 0);
  const passed = results.filter((r) => r.ok).length;
  if (json) io.out(JSON.stringify({ dir, passed, failed, ...(update && { updated }), entries: results }) + '\n');
  else io.out(`${passed} passed, ${failed} failed${update ? `, ${updated.length} updated` : ''}\n`);
  return failed ? 1 : 0;
}

async function record(paths: readonly string[], args: ReturnType<typeof parseArgs>, io: Io): Promise<number> {
  const files: string[] = [];
  for (const p of paths) {
    let st;
    try { st = statSync(p); } catch { throw new InputError('io', `${p}: cannot read file (no such file)`); }
    if (st.isDirectory()) files.push(...findProgramFiles(p));
    else files.push(p);
  }
  if (files.length === 0) throw new InputError('io', `${paths.join(' ')}: no program files (.s .o .data .cbpf)`);
  const written: string[] = [];
  for (const f of files) {
    const out = await recordFile(f, { kernel: args.flags.has('kernel'), ...(args.flags.has('strict-alignment') && { options: { strictAlignment: true } }) });
    written.push(out);
    if (!args.flags.has('json')) io.out(`${show(out)}\n`);
  }
  if (args.flags.has('json')) io.out(JSON.stringify({ recorded: written }) + '\n');
  else io.out(`${written.length} sidecar${written.length === 1 ? '' : 's'} recorded\n`);
  return 0;
}

export const command: Command = {
  decl,
  async run(argv, io) {
    const args = parseArgs(decl, argv);
    const [sub, ...rest] = args.positionals;
    if (sub === 'check') {
      if (rest.length > 1) throw new UsageError(`corpus: check takes one DIR (got ${rest.length})`);
      // an entry's own "options" decide its flags at check time
      if (args.flags.has('strict-alignment')) throw new UsageError('corpus: --strict-alignment belongs to corpus record (check uses each entry\'s "options")');
      return check(rest[0] ?? 'corpus', args, io);
    }
    if (sub === 'record') {
      if (rest.length === 0) throw new UsageError(`corpus: record needs PATH... (usage: ${decl.usage})`);
      for (const o of ['update', 'junit'] as const) if (args.flags.has(o) || args.strings.has(o)) throw new UsageError(`corpus: --${o} belongs to corpus check`);
      return record(rest, args, io);
    }
    throw new UsageError(`corpus: unknown subcommand '${sub}' (usage: ${decl.usage})`);
  },
};
