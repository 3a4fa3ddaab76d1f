/** A batch worker thread: verifies the files it is sent, one at a time, and answers with their rows. */
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerReply, WorkerRequest } from './run.js';
import { verifyFileRows, type RowOptions } from './row.js';

const opts = workerData as RowOptions;
parentPort!.on('message', (m: WorkerRequest) => {
  if ('stop' in m) { parentPort!.close(); return; }
  verifyFileRows(m.file, opts).then(
    (rows) => parentPort!.postMessage({ index: m.index, rows } satisfies WorkerReply),
    (e: unknown) => parentPort!.postMessage({ index: m.index, error: e instanceof Error ? e.message : String(e) } satisfies WorkerReply),
  );
});
