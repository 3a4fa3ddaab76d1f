/**
 * A seed-range job in a worker thread (see queue.ts): the fuzz loop is synchronous for seconds at
 * a time, so a queue worker runs each job here and keeps its own event loop free to renew the
 * job's lock -- otherwise a busy worker would look dead and its job would be run twice.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CampaignStats } from './campaign.js';
import { type JobSpec, encodeResult, runJob } from './job.js';

export type JobThreadMessage = { t: 'progress'; stats: CampaignStats } | { t: 'done'; result: string } | { t: 'error'; message: string };

const post = (m: JobThreadMessage): void => parentPort?.postMessage(m);
runJob(workerData as JobSpec, (stats) => post({ t: 'progress', stats }))
  .then((r) => post({ t: 'done', result: encodeResult(r) }))
  .catch((e: unknown) => post({ t: 'error', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));
