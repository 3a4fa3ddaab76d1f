/**
 * Issue 17's hand-made hostile inputs as named regression tests. Each runs the CLI in a child
 * process (the current sources, compiled once below) under a budget of 5 s of CPU and 512 MB (V8
 * heap capped with --max-old-space-size; the child's peak resident size checked), and a hang
 * watchdog on wall time.
 */
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { CASES, ENV_SECRET, type Outcome } from './cases.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// One output folder per checkout (worktrees may share node_modules through a link).
const OUT = join(ROOT, 'node_modules', '.cache', `hostile-dist-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}`);
const LIMIT_MS = 5000;
const LIMIT_MB = 512;
const HANG_MS = 30_000;

let scratch: string;

beforeAll(() => {
  // The current sources, not a possibly stale dist/ (tsc 7 takes a few seconds).
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json'), '--outDir', OUT, '--declaration', 'false', '--sourceMap', 'false'], { stdio: 'pipe' });
  scratch = mkdtempSync(join(tmpdir(), 'bpflab-hostile-'));
}, 120_000);

afterAll(() => { if (scratch) rmSync(scratch, { recursive: true, force: true }); });

/** Runs `argv` in `cwd` under the watchdog; resolves with the outcome, or a watchdog verdict. */
function runCli(argv: string[], cwd: string): Promise<Outcome & { cpuMs: number; rssMb: number; killed: boolean }> {
  const stats = join(cwd, '.stats.json');
  const script = `import(${JSON.stringify(join(OUT, 'cli', 'main.js'))}).then(async (m) => {
    const code = await m.main(process.argv.slice(1));
    const u = process.resourceUsage();
    require('node:fs').writeFileSync(${JSON.stringify(stats)}, JSON.stringify({ rss: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }));
    process.exitCode = code;
  });`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${LIMIT_MB}`, '-e', script, '--', ...argv], { cwd, env: { ...process.env, [ENV_SECRET.split('=')[0]!]: ENV_SECRET.split('=')[1]! } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { if (stdout.length < 1 << 20) stdout += d.toString('latin1'); });
    child.stderr.on('data', (d: Buffer) => { if (stderr.length < 1 << 20) stderr += d.toString('latin1'); });
    let killed = false;
    // The hang watchdog is on wall time, with room for a loaded machine; the budget is on CPU time.
    const timer = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, HANG_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      let rssMb = 0, cpuMs = 0;
      try {
        const st = JSON.parse(readFileSync(stats, 'utf8')) as { rss: number; cpuMs: number };
        rssMb = st.rss / 1024;
        cpuMs = st.cpuMs;
      } catch { /* crashed before writing: the exit code says so */ }
      resolve({ code: code ?? -1, stdout, stderr, cpuMs, rssMb, killed });
    });
  });
}

describe('hostile inputs (issue 17)', () => {
  CASES.forEach((c, i) => {
    if (c.pending) {
      test.skip(`${c.name} (pending: ${c.pending})`, () => {});
      return;
    }
    test(c.name, async () => {
      const dir = join(scratch, String(i));
      execFileSync('mkdir', ['-p', dir]);
      const argv = c.setup(dir);
      const o = await runCli(argv, dir);
      if (o.killed) throw new Error(`watchdog: still running after ${HANG_MS} ms`);
      c.check(o);
      // Node's own start-up is part of the measure; the budget is for the whole command.
      if (o.cpuMs > LIMIT_MS) throw new Error(`took ${o.cpuMs.toFixed(0)} ms of CPU (limit ${LIMIT_MS})`);
      if (o.rssMb > LIMIT_MB) throw new Error(`peak resident size ${o.rssMb.toFixed(0)} MB (limit ${LIMIT_MB})`);
    }, HANG_MS + 10_000);
  });
});
