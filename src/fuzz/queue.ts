/**
 * Campaigns across machines on a BullMQ queue (Redis): the coordinator puts a campaign's
 * seed-range jobs (job.ts) on the queue; `bpflab fuzz-worker` processes anywhere pull them, stream
 * their statistics back as job progress and return their findings; the coordinator shows one
 * progress line for the whole campaign and merges the results in job order. A worker that dies
 * stops renewing its job's lock; BullMQ's stalled-job check moves the job back to the queue and
 * another worker runs it again from the start. Since a job's result depends on its spec alone and
 * only a completed job's result is counted (progress of a lost attempt is replaced), nothing is
 * lost or counted twice.
 */
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { InputError } from '../isa/errors.js';
import type { CampaignStats, FoundBug } from './campaign.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker as Thread } from 'node:worker_threads';
import { type JobResult, type JobSpec, decodeResult, encodeResult, mergeJobs, runJob } from './job.js';
import { tuneV8ForCampaign } from './v8-tuning.js';
import type { JobThreadMessage } from './job-thread.js';
import { prepareSyscallDeadlines } from '../kernel/index.js';

/** Default queue name; campaigns are told apart by a campaign id in the job ids. */
export const QUEUE_NAME = 'bpflab-fuzz';

/** A Redis connection from `redis://[user:password@]HOST:PORT[/DB]` (BullMQ wants maxRetriesPerRequest null). */
export function redisConnection(url: string): Redis {
  let u: URL;
  try { u = new URL(url); } catch { throw new InputError('usage', `fuzz: --queue ${url}: expected redis://HOST:PORT`); }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new InputError('usage', `fuzz: --queue ${url}: expected redis://HOST:PORT`);
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false, retryStrategy: (n) => (n > 20 ? null : Math.min(n * 200, 2000)) });
}

interface JobData {
  campaign: string;
  spec: JobSpec;
}

export interface QueueCampaignOptions {
  url: string;
  name?: string;
  jobs: readonly JobSpec[];
  /** Called about once a second with the campaign's statistics (completed jobs + running attempts). */
  onProgress?: (s: CampaignStats & { jobsDone: number; jobs: number }) => void;
  shouldStop?: () => boolean;
  /** Attempts per job when a worker fails it (stalls are retried separately, see fuzz-worker). */
  attempts?: number;
}

const ZERO: CampaignStats = { runs: 0, accepted: 0, findings: 0, duplicates: 0, seconds: 0, shrinkSeconds: 0, unconfirmed: 0 };

/** Runs a campaign's jobs on the queue and returns the merged result (findings deduplicated in job order). */
export async function runQueueCampaign(o: QueueCampaignOptions): Promise<{ stats: CampaignStats; found: FoundBug[]; notes: string[]; stopped: boolean }> {
  const name = o.name ?? QUEUE_NAME;
  const campaign = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
  const conn = redisConnection(o.url);
  const queue = new Queue<JobData>(name, { connection: conn });
  const eventsConn = redisConnection(o.url);
  const events = new QueueEvents(name, { connection: eventsConn });
  const t0 = Date.now();
  const results = new Map<string, JobResult>();
  const running = new Map<string, CampaignStats>();
  const ids = o.jobs.map((s) => `${campaign}-${s.index}`);
  let failure: string | null = null;
  let stopped = false;
  try {
    await events.waitUntilReady();
    events.on('progress', ({ jobId, data }) => {
      if (!results.has(jobId) && ids.includes(jobId) && typeof data === 'object' && data !== null) running.set(jobId, data as unknown as CampaignStats);
    });
    events.on('failed', ({ jobId, failedReason }) => { if (ids.includes(jobId)) void settle(jobId, failedReason); });
    events.on('completed', ({ jobId }) => { if (ids.includes(jobId)) void settle(jobId); });
    const settle = async (jobId: string, failedReason?: string): Promise<void> => {
      if (results.has(jobId)) return;
      const job = await queue.getJob(jobId);
      if (!job) return;
      if (typeof job.returnvalue === 'string') { results.set(jobId, decodeResult(job.returnvalue)); running.delete(jobId); return; }
      const state = await job.getState();
      if (state === 'failed') failure = `job ${jobId} failed: ${failedReason ?? job.failedReason}`;
    };
    await queue.addBulk(o.jobs.map((spec, i) => ({
      name: 'fuzz', data: { campaign, spec },
      opts: { jobId: ids[i]!, attempts: o.attempts ?? 3, removeOnComplete: false, removeOnFail: false },
    })));
    let lastPoll = Date.now();
    while (results.size < ids.length && failure === null) {
      if (o.shouldStop?.()) { stopped = true; break; }
      await new Promise((r) => setTimeout(r, 200));
      // Events can be missed (a reconnect): poll the jobs now and then as well.
      if (Date.now() - lastPoll > 3000) {
        lastPoll = Date.now();
        for (const id of ids) if (!results.has(id)) await settle(id);
      }
      if (o.onProgress) {
        const done = mergeJobs([...results.values()]).stats;
        const live = [...running.values()].reduce((a, b) => ({ ...a, runs: a.runs + b.runs, accepted: a.accepted + b.accepted, duplicates: a.duplicates + b.duplicates }), done);
        o.onProgress({ ...live, seconds: (Date.now() - t0) / 1000, jobsDone: results.size, jobs: ids.length });
      }
    }
    if (failure !== null) throw new Error(failure);
    const merged = mergeJobs([...results.values()]);
    merged.stats.seconds = (Date.now() - t0) / 1000;
    return { ...merged, stopped };
  } finally {
    // This campaign's jobs leave the queue: a stopped campaign's waiting jobs are not run any more.
    for (const id of ids) { try { await (await queue.getJob(id))?.remove(); } catch { /* active in a worker: it ends on its own */ } }
    await events.close();
    await queue.close();
    conn.disconnect();
    eventsConn.disconnect();
  }
}

/** Runs a job in a worker thread (job-thread.ts); in-thread when running from sources (no compiled thread entry). */
async function runJobInThread(spec: JobSpec, onProgress: (s: CampaignStats) => void): Promise<string> {
  const url = new URL('./job-thread.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) return encodeResult(await runJob(spec, onProgress));
  prepareSyscallDeadlines(); // (kernel loads in the thread are interrupted at the program budget by SIGALRM)
  return new Promise<string>((resolve, reject) => {
    const t = new Thread(url, { workerData: spec });
    t.on('message', (m: JobThreadMessage) => {
      if (m.t === 'progress') onProgress(m.stats);
      else if (m.t === 'done') { resolve(m.result); void t.terminate(); }
      else { reject(new Error(m.message)); void t.terminate(); }
    });
    t.on('error', reject);
    t.on('exit', (code) => { if (code !== 0) reject(new Error(`job thread exited with code ${code}`)); });
  });
}

export interface QueueWorkerOptions {
  url: string;
  name?: string;
  /** Job lock duration in ms (default 60,000): a worker silent this long is considered dead and its job is retried. */
  lockMs?: number;
  /** How often workers look for stalled jobs, ms (default lockMs / 2). */
  stalledMs?: number;
  onLog?: (line: string) => void;
}

/** A worker process's queue consumer: returns a handle whose close() ends it without finishing the current job. */
export function startQueueWorker(o: QueueWorkerOptions): { worker: Worker<JobData, string>; close: () => Promise<void> } {
  const name = o.name ?? QUEUE_NAME;
  const lockDuration = o.lockMs ?? 60_000;
  const conn = redisConnection(o.url);
  // A queue worker runs campaign jobs until it is closed: the campaign V8 setting (v8-tuning.ts) for as long.
  const untune = tuneV8ForCampaign();
  const worker = new Worker<JobData, string>(name, async (job: Job<JobData, string>) => {
    o.onLog?.(`job ${job.id} started (seeds ${job.data.spec.seed}..${job.data.spec.seed + job.data.spec.batches - 1}, attempt ${job.attemptsMade + 1})`);
    let last = 0;
    const encoded = await runJobInThread(job.data.spec, (stats) => {
      const now = Date.now();
      if (now - last < 500) return;
      last = now;
      void job.updateProgress({ ...stats }).catch(() => { /* the lock moved on: this attempt's progress no longer counts */ });
    });
    const r = decodeResult(encoded);
    o.onLog?.(`job ${job.id} done: ${r.stats.runs} programs, ${r.found.length} findings`);
    return encoded;
  }, {
    connection: conn, concurrency: 1, lockDuration, stalledInterval: o.stalledMs ?? Math.max(1000, lockDuration / 2), maxStalledCount: 5,
  });
  worker.on('error', (e) => o.onLog?.(`error: ${e.message}`));
  // Forced: the job in hand is not awaited (a sync fuzz loop could hold it for long); its lock lapses and it is retried.
  return { worker, close: async () => { await worker.close(true); conn.disconnect(); untune(); } };
}
