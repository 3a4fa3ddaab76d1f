/**
 * `bpflab conformance PATH... [--engine vm|jit|kernel] [--json]`: run conformance `.data` files
 * (files or folders, recursively). A line per failure, then `N passed, N failed, N skipped`.
 * Exit 1 when any test failed.
 */
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../isa/errors.js';
import { makeProgram, type Program } from '../../isa/program.js';
import { readConformanceTest } from '../../loader/conformance.js';
import { type ConformanceOutcome, type Engine, runConformanceTest, vmEngine } from '../../vm/conformance.js';
import { MEM_MAP, R0_MAP, captureR0, memInMap } from '../../vm/kernel-harness.js';
import { parseArgs, type CommandDecl } from '../args.js';
import type { Command, Io } from '../io.js';
import { walkFiles, type WalkResult } from '../../loader/walk.js';

const decl: CommandDecl = {
  name: 'conformance',
  summary: 'Run conformance .data files (bpf_conformance / uBPF format) on an engine: the VM, the WebAssembly JIT, or the running kernel.',
  usage: 'conformance PATH... [--engine vm|jit|kernel] [--json]',
  options: [
    { name: 'engine', kind: 'string', choices: ['vm', 'jit', 'kernel'], valueName: 'E', description: 'engine to run on (default vm)' },
    { name: 'verbose', short: 'v', kind: 'flag', description: 'also list skipped tests and why' },
    { name: 'allow-outside-files', kind: 'flag', description: 'let .data files include files (-- NAME @ FILE) outside their own folder' },
  ],
  positionals: { min: 1, max: 10000, name: 'PATH' },
};

/** The .data files under `path`, and the entries that cannot be read (reported as failures). */
function dataFiles(path: string, io: Io): WalkResult {
  // Not on disk: io.readFile throws the clear "no such file" error (exit 2), or serves it (in-memory Io).
  if (!existsSync(path) && !isSymlink(path)) { io.readFile(path); return { files: [path], problems: [] }; }
  return walkFiles(path, (name) => name.endsWith('.data'));
}

function isSymlink(path: string): boolean {
  try { return lstatSync(path).isSymbolicLink(); } catch { return false; }
}

/**
 * The running kernel as an engine: the program (with `-- mem` moved into an array map and r0
 * captured in another, see vm/kernel-harness.ts) is loaded as a socket filter and test-run once.
 * A program the kernel verifier rejects counts as a refusal.
 */
export async function kernelEngine(): Promise<Engine> {
  const k = await import('../../kernel/index.js');
  const avail = k.kernelAvailable();
  if (!avail.ok) throw new InputError('kernel', `conformance: the kernel engine is unavailable here: ${avail.reason}`);
  return (program: Program, mem: Uint8Array) => {
    let p = mem.length > 0 ? memInMap(program, mem.length) : program;
    p = captureR0(makeProgram({ ...p, type: 'socket_filter' }));
    const fill = mem.length > 0 ? [{ map: MEM_MAP, key: new Uint8Array(4), value: mem }] : [];
    const res = k.runInKernel(p, { data: new Uint8Array(64), fill, logLevel: 1 });
    if (res.load.verdict === 'reject') {
      const lines = res.load.log.trim().split('\n').filter((l) => l && !/^(processed|stack depth|verification time|\d+: )/.test(l));
      return { error: `kernel verifier: ${lines.at(-1) ?? res.load.errno ?? 'rejected'}`, refused: true };
    }
    const r0 = res.maps.find((m) => m.name === R0_MAP)?.entries[0]?.[1];
    if (!res.run || !r0) return { error: 'kernel test run produced no result' };
    return { r0: new DataView(r0.buffer, r0.byteOffset, 8).getBigUint64(0, true) };
  };
}

/** The JIT engine, when src/jit provides one (`jitEngine(mode) -> Engine`), in checked mode. */
export async function jitEngine(): Promise<Engine> {
  const url = new URL('../../jit/index.js', import.meta.url);
  if (!existsSync(fileURLToPath(url)) && !existsSync(fileURLToPath(url).replace(/\.js$/, '.ts'))) throw new InputError('unsupported', 'conformance: --engine jit is not available (src/jit is not built yet)');
  const mod = (await import(url.href)) as Record<string, unknown>;
  const make = mod['jitEngine'];
  if (typeof make !== 'function') throw new InputError('unsupported', 'conformance: --engine jit is not available (src/jit exports no jitEngine)');
  // conformance programs are not verified, so the JIT must check every access
  return (make as (mode: string) => Engine)('checked');
}

export const command: Command = {
  decl,
  async run(argv, io) {
    const args = parseArgs(decl, argv);
    const engineName = args.strings.get('engine') ?? 'vm';
    const engine = engineName === 'kernel' ? await kernelEngine() : engineName === 'jit' ? await jitEngine() : vmEngine;
    const json = args.flags.has('json');
    const results: { file: string; status: ConformanceOutcome['status']; reason?: string }[] = [];
    let passed = 0, failed = 0, skipped = 0;
    const policy = { allowOutside: args.flags.has('allow-outside-files') };
    for (const root of args.positionals) {
      const walk = dataFiles(root, io);
      for (const p of walk.problems) {
        failed++;
        if (!json) io.out(`FAIL ${p.path}: ${p.reason}\n`);
        results.push({ file: p.path, status: 'fail', reason: p.reason });
      }
      for (const f of walk.files) {
        const name = f; // as the user named it (folders: joined below the given path)
        let o: ConformanceOutcome;
        try {
          const test = readConformanceTest(new TextDecoder().decode(io.readFile(f, { regularOnly: f !== root })), f, policy);
          o = await runConformanceTest(test, name, engine, { path: f });
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          o = { status: 'fail', reason: e.message };
        }
        if (o.status === 'pass') passed++;
        else if (o.status === 'fail') { failed++; if (!json) io.out(`FAIL ${name}: ${o.reason}\n`); }
        else { skipped++; if (!json && args.flags.has('verbose')) io.out(`SKIP ${name}: ${o.reason}\n`); }
        results.push({ file: name, status: o.status, ...(o.reason !== undefined && o.status !== 'pass' && { reason: o.reason }) });
      }
    }
    if (json) io.out(JSON.stringify({ engine: engineName, passed, failed, skipped, results }) + '\n');
    else io.out(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
    return failed > 0 ? 1 : 0;
  },
};
