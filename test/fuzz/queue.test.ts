/**
 * Queue campaigns against a real Redis server (Debian's redis-server on a free loopback port):
 * three `bpflab fuzz-worker` processes, one killed (SIGKILL) as soon as it has taken a job; the
 * coordinator's campaign must end with the same findings (signatures and minimised programs) and
 * the same program count as the same seed-range jobs run in one process. Skipped, with the
 * reason, without redis-server or a built dist/ (the workers run the compiled CLI).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type JobResult, campaignJobs, exactListing, mergeJobs, runJob } from '../../src/fuzz/index.js';
import { runQueueCampaign } from '../../src/fuzz/queue.js';
import { NEAR_JGT } from './near-bugs.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/bpflab.js');
const redisServer = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p)) ??
  (spawnSync('which', ['redis-server']).stdout?.toString().trim() || undefined);
const built = existsSync(join(root, 'dist/cli/commands/fuzz-worker.js'));
/** A server started for the tests (.ci/run exports its URL), else one this test starts. */
const given = process.env['BPFLAB_TEST_REDIS'];
const why = !given && !redisServer ? 'redis-server is not installed (apt-get install redis-server)' : !built ? 'dist/ is not built (npm run build)' : null;
if (why) console.log(`queue campaign test skipped: ${why}`);

const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => resolve(typeof a === 'object' && a ? a.port : 0)); });
});


describe.skipIf(why !== null)('queue campaigns (BullMQ on Redis)', () => {
  let redis: ChildProcess | undefined;
  let url = '';
  const scratch = mkdtempSync(join(tmpdir(), 'bpflab-queue-'));
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    if (given) { url = given; return; }
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redis = spawn(redisServer!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const ping = spawnSync('redis-cli', ['-p', String(port), 'ping']);
      if (ping.stdout?.toString().includes('PONG')) break;
      if (ping.error) { await new Promise((r) => setTimeout(r, 500)); break; } // no redis-cli: give the server a moment
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    redis?.kill('SIGTERM');
    rmSync(scratch, { recursive: true, force: true });
  });

  test('3 workers, one killed mid-job: the same findings and program count as one process', async () => {
    const jobs = campaignJobs({
      seed: 11, jobs: 6, seedsPerJob: 1, batch: 10, oracles: ['sanitize', 'embed'], useSeeds: false, maxFragments: 4, structured: 0, seedShare: 1, seedAsm: [NEAR_JGT],
      shrinkSteps: 100, minimiseSteps: 100, shrinkSeconds: 600, plantedBug: 'jgt-fall-as-jlt',
    });
    const results: JobResult[] = [];
    for (const spec of jobs) results.push(await runJob(spec));
    const a = mergeJobs(results);
    expect(a.stats.runs).toBeGreaterThan(0);
    expect(a.found.length).toBeGreaterThan(0);

    let killed = false;
    const logs: string[] = ['', '', ''];
    for (let i = 0; i < 3; i++) {
      const w = spawn(process.execPath, [bin, 'fuzz-worker', '--queue', url, '--lock-seconds', '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
      w.stderr!.on('data', (d: Buffer) => {
        logs[i] += d.toString();
        if (i === 0 && !killed && /job \S+ started/.test(logs[i]!)) { killed = true; w.kill('SIGKILL'); }
      });
      workers.push(w);
    }
    let lines = 0;
    const b = await runQueueCampaign({ url, jobs, onProgress: () => { lines++; } });
    expect(killed).toBe(true);
    expect(b.stats.runs).toBe(a.stats.runs);
    expect(b.found.map((f) => f.signature)).toEqual(a.found.map((f) => f.signature));
    expect(b.found.map((f) => exactListing(f.finding.program))).toEqual(a.found.map((f) => exactListing(f.finding.program)));
    // the killed worker's job was run again by another worker
    const lost = /job (\S+) started/.exec(logs[0]!)![1]!;
    expect(logs.slice(1).join('')).toContain(`job ${lost} done`);
    expect(lines).toBeGreaterThan(0);
    for (const w of workers.slice(1)) w.kill('SIGTERM');
  }, 300_000);
});
