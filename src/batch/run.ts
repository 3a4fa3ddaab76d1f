/**
 * Verifies many files: in this thread, or with `jobs` > 1 on worker threads that each take the
 * next file from a shared queue (big objects do not hold up a whole share). Rows come back in
 * input order whatever finished first.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { verifyFileRows, type BatchRow, type RowOptions } from './row.js';

export interface BatchOptions extends RowOptions {
  /** Worker threads (default 1: this thread). */
  jobs?: number;
  /** Called after each file with the count done so far. */
  onProgress?: (done: number, total: number, file: string) => void;
}

export interface BatchResult {
  rows: BatchRow[];
  /** Threads actually used. */
  workers: number;
  /** Why fewer workers than asked were used, if so. */
  note?: string;
}

/** What a worker is sent and answers. */
export type WorkerRequest = { file: string; index: number } | { stop: true };
export type WorkerReply = { index: number; rows: BatchRow[] } | { index: number; error: string };

/** Verifies every program of every file (a file that does not load gives one `load` failure row). */
export async function verifyFiles(files: readonly string[], opts: BatchOptions = {}): Promise<BatchResult> {
  const jobs = Math.max(1, Math.min(opts.jobs ?? 1, files.length));
  const url = new URL('./worker.js', import.meta.url);
  const rowOpts: RowOptions = { ...(opts.load && { load: opts.load }), ...(opts.verify && { verify: stripHooks(opts.verify) }), ...(opts.kernel && { kernel: true }) };
  if (jobs > 1 && !opts.explain && existsSync(fileURLToPath(url))) return inWorkers(files, jobs, url, rowOpts, opts.onProgress);
  const rows: BatchRow[] = [];
  for (let i = 0; i < files.length; i++) {
    rows.push(...(await verifyFileRows(files[i]!, opts)));
    opts.onProgress?.(i + 1, files.length, files[i]!);
  }
  const res: BatchResult = { rows, workers: 1 };
  if (jobs > 1) res.note = opts.explain ? 'explain runs in one thread (Z3 keeps its own workers)' : 'no compiled worker (running from sources): one thread';
  return res;
}

/** Functions cannot cross to a worker; the hooks stay in this thread. */
function stripHooks(v: NonNullable<RowOptions['verify']>): NonNullable<RowOptions['verify']> {
  const { onInsn: _o, disasm: _d, ...rest } = v;
  return rest;
}

function inWorkers(files: readonly string[], jobs: number, url: URL, rowOpts: RowOptions, onProgress: BatchOptions['onProgress']): Promise<BatchResult> {
  return new Promise((resolve, reject) => {
    const results: BatchRow[][] = new Array(files.length);
    let next = 0;
    let done = 0;
    let failed = false;
    const workers: Worker[] = [];
    const finish = (err?: Error): void => {
      if (failed) return;
      if (err) failed = true;
      for (const w of workers) void w.terminate();
      if (err) reject(err);
      else resolve({ rows: results.flat(), workers: jobs });
    };
    const feed = (w: Worker): void => {
      if (next >= files.length) { w.postMessage({ stop: true } satisfies WorkerRequest); return; }
      const index = next++;
      w.postMessage({ file: files[index]!, index } satisfies WorkerRequest);
    };
    for (let i = 0; i < jobs; i++) {
      const w = new Worker(url, { workerData: rowOpts });
      workers.push(w);
      w.on('message', (m: WorkerReply) => {
        if ('error' in m) { finish(new Error(`${files[m.index]}: ${m.error}`)); return; }
        results[m.index] = m.rows;
        done++;
        onProgress?.(done, files.length, files[m.index]!);
        if (done === files.length) finish();
        else feed(w);
      });
      w.on('error', (e) => finish(e));
      feed(w);
    }
  });
}
