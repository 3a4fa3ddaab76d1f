/**
 * `bpflab fuzz` through `main()` with an in-memory Io: a short campaign against a planted
 * verifier bug writes deduplicated, minimised findings as corpus entries that assemble back;
 * bad usage exits 2 with one line.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { verify, type VerifyOptions, type VerifyResult } from '../../src/verifier/index.js';
import { setFuzzOverrides } from '../../src/fuzz/index.js';

const acceptAll = (p: Program, o?: VerifyOptions): VerifyResult => ({ ...verify(p, o), verdict: 'accept', error: null });
let undo: (() => void) | null = null;
afterEach(() => { undo?.(); undo = null; });
const root = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'bpflab-fuzz-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(scratch, `out${dirs++}`);

interface FuzzJson {
  runs: number;
  acceptanceRate: number;
  programsPerSecond: number;
  findings: { name: string; signature: string; oracle: string; insns: number; originalInsns: number; files: string[] }[];
}

describe('bpflab fuzz', () => {
  test('a campaign against a planted bug writes minimised, deduplicated corpus entries that replay', async () => {
    undo = setFuzzOverrides({ verify: acceptAll });
    const io = memoryIo();
    const out = freshDir();
    // (no per-program budget: on a loaded machine a program run to the VM's step limit can take seconds, and a slow finding is not what this checks)
    const code = await main(['fuzz', '--runs', '25', '--seed', '5', '--oracle', 'sanitize', '--out', out, '--shrink-steps', '300', '--no-seeds', '--program-seconds', '600', '--json'], io);
    expect(code).toBe(1);
    const doc = JSON.parse(io.stdout) as FuzzJson;
    expect(doc.runs).toBe(25);
    expect(doc.acceptanceRate).toBe(1);
    expect(doc.findings.length).toBeGreaterThan(0);
    expect(new Set(doc.findings.map((f) => f.signature)).size).toBe(doc.findings.length);
    expect(io.stderr).toMatch(/^fuzz: seed 5, oracles sanitize/);
    // only whole entries, no temporary files left
    expect(readdirSync(out).sort()).toEqual(doc.findings.flatMap((f) => [`${f.name}.expect.json`, `${f.name}.s`]).sort());
    for (const f of doc.findings) {
      const s = readFileSync(join(out, `${f.name}.s`), 'utf8');
      const expectJson = JSON.parse(readFileSync(join(out, `${f.name}.expect.json`), 'utf8')) as { verdict: string; kernel?: string; why: string; fuzz: { replay?: string; outcome?: string } };
      // an accepted program that faults should have been rejected -- unless the running kernel says otherwise
      expect(expectJson.verdict).toBe(expectJson.kernel ?? 'reject');
      expect(expectJson.why).toMatch(/^fuzz sanitize: accepted, but the VM/);
      // the listing is exact: raw .insn slots where no statement expresses an encoding
      expect(assemble(s).insns.length).toBe(f.insns);
      expect(f.insns).toBeLessThanOrEqual(f.originalInsns + 8);
      // the recorded input replays with `bpflab run`, ending as recorded
      const argv = (expectJson.fuzz.replay ?? '').split(' ').slice(1).map((a) => (a.startsWith('"') ? (JSON.parse(a) as string) : a));
      expect(argv[0]).toBe('run');
      argv[1] = join(out, argv[1]!);
      const rio = memoryIo({ [argv[1]]: s });
      const rc = await main([...argv, '--json'], rio);
      const outcome = expectJson.fuzz.outcome ?? '';
      if (outcome.startsWith('fault') || outcome.startsWith('error')) {
        expect(rc).toBe(1);
        expect(rio.stdout + rio.stderr).toContain(outcome.split(' ')[1]!);
      } else if (outcome.startsWith('r0 ')) expect(rio.stdout).toContain(outcome.slice(3));
    }
  });

  test('findings never overwrite: a second campaign with the same seed adds suffixed entries', async () => {
    undo = setFuzzOverrides({ verify: acceptAll });
    const out = freshDir();
    const argv = ['fuzz', '--runs', '25', '--seed', '5', '--oracle', 'sanitize', '--out', out, '--shrink-steps', '100', '--no-seeds', '--json'];
    const a = JSON.parse((await (async () => { const io = memoryIo(); await main(argv, io); return io; })()).stdout) as FuzzJson;
    const before = new Map(readdirSync(out).map((n) => [n, readFileSync(join(out, n), 'utf8')]));
    const b = JSON.parse((await (async () => { const io = memoryIo(); await main(argv, io); return io; })()).stdout) as FuzzJson;
    expect(a.findings.length).toBeGreaterThan(0);
    expect(b.findings.map((f) => f.signature)).toEqual(a.findings.map((f) => f.signature));
    for (const [n, text] of before) expect(readFileSync(join(out, n), 'utf8')).toBe(text);
    for (const f of b.findings) {
      expect(f.name).toMatch(/-2$/);
      // deterministic shrinking: the same seed gives the same minimised program
      const first = a.findings.find((x) => x.signature === f.signature)!;
      const body = (n: string): string => readFileSync(join(out, `${n}.s`), 'utf8');
      expect(body(f.name)).toBe(body(first.name));
    }
  });

  test('an output folder that cannot be written is refused before the campaign', async () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'x');
    const io = memoryIo();
    expect(await main(['fuzz', '--runs', '5', '--seed', '1', '--oracle', 'sanitize', '--no-seeds', '--out', join(file, 'sub')], io)).toBe(2);
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
    expect(io.stderr).toMatch(/output folder .*a-file\/sub/);
    if (process.getuid?.() !== 0) {
      const ro = freshDir();
      await main(['fuzz', '--runs', '0', '--seed', '1', '--oracle', 'sanitize', '--no-seeds', '--out', ro], memoryIo());
      chmodSync(ro, 0o500);
      const io2 = memoryIo();
      expect(await main(['fuzz', '--runs', '5', '--seed', '1', '--oracle', 'sanitize', '--no-seeds', '--out', ro], io2)).toBe(2);
      expect(io2.stderr).toMatch(/not writable/);
    }
    expect(existsSync(join(file, 'sub'))).toBe(false);
  });

  test.skipIf(!existsSync(join(root, 'dist/cli/main.js')))('SIGINT ends a campaign with its summary', async () => {
    const out = freshDir();
    const child = spawn(process.execPath, [join(root, 'bin/bpflab.js'), 'fuzz', '--seconds', '120', '--seed', '3', '--oracle', 'sanitize', '--no-seeds', '--out', out, '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && /^fuzz: seed 3/m.test(stderr)) { sent = true; setTimeout(() => child.kill('SIGINT'), 1000); }
    });
    const t0 = Date.now();
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { runs: number; stoppedBy?: string };
    expect(doc.stoppedBy).toBe('SIGINT');
    expect(doc.runs).toBeGreaterThan(0);
    expect(stderr).toMatch(/SIGINT: stopping/);
  }, 90_000);

  test('a campaign of zero programs finds nothing and exits 0', async () => {
    const io = memoryIo();
    expect(await main(['fuzz', '--runs', '0', '--seed', '1', '--oracle', 'sanitize', '--no-seeds', '--out', freshDir()], io)).toBe(0);
    expect(io.stdout).toMatch(/^0 programs in .* 0 findings/);
  });

  test('bad usage exits 2 with one line', async () => {
    for (const argv of [['fuzz', '--oracle', 'bogus'], ['fuzz', '--seed', 'x'], ['fuzz', '--workers', '0'], ['fuzz', 'extra']]) {
      const io = memoryIo();
      expect(await main(argv, io)).toBe(2);
      expect(io.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
