/**
 * A deadline for bpf() calls: the kernel verifier gives up when a signal is pending (do_check
 * returns -EAGAIN; BPF_PROG_TEST_RUN returns -EINTR between repeats), so a watchdog thread that
 * sends the process SIGALRM once the deadline has passed ends a verification that would take
 * minutes. A process-directed signal goes to the main thread when it can take it (the kernel's
 * complete_signal gives the thread-group leader the first chance), so deadlines are armed on the
 * main thread only; elsewhere `withSyscallDeadline` just runs the call. The signal keeps coming
 * (every RESEND_MS) until the call returns, so the retries of an interrupted load (syscall.ts)
 * are cut too; the caller sees EAGAIN or EINTR.
 */
import { isMainThread, Worker } from 'node:worker_threads';

/** Shared state: [armed generation (0: disarmed)], and the deadline (ms since the epoch). */
const ARMED = 0;
const RESEND_MS = 20;

const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const state = new Int32Array(workerData.sab, 0, 1);
const deadline = new Float64Array(workerData.sab, 8, 1);
for (;;) {
  const gen = Atomics.load(state, 0);
  if (gen === 0) { Atomics.wait(state, 0, 0); continue; }
  const left = deadline[0] - Date.now();
  if (left > 0) { Atomics.wait(state, 0, gen, left); continue; }
  if (Atomics.load(state, 0) === gen) process.kill(process.pid, 'SIGALRM');
  Atomics.wait(state, 0, gen, ${RESEND_MS});
}
`;

let watchdog: { state: Int32Array; deadline: Float64Array } | null | undefined;
let generation = 0;

function start(): { state: Int32Array; deadline: Float64Array } | null {
  if (watchdog !== undefined) return watchdog;
  watchdog = null;
  if (!isMainThread) return null;
  try {
    const sab = new SharedArrayBuffer(16);
    // SIGALRM's default action ends the process: a listener makes Node (libuv) handle it.
    process.on('SIGALRM', () => {});
    const w = new Worker(WATCHDOG, { eval: true, workerData: { sab } });
    w.unref();
    w.on('error', () => { watchdog = null; });
    watchdog = { state: new Int32Array(sab, 0, 1), deadline: new Float64Array(sab, 8, 1) };
  } catch {
    watchdog = null;
  }
  return watchdog;
}

/** Runs `fn` (bpf() calls) with SIGALRM sent to this process from `ms` milliseconds on until it returns. */
export function withSyscallDeadline<T>(ms: number, fn: () => T): T {
  if (!Number.isFinite(ms)) return fn();
  const w = start();
  if (!w) return fn();
  generation = (generation % 0x7ffffffe) + 1;
  w.deadline[0] = Date.now() + Math.max(0, ms);
  Atomics.store(w.state, ARMED, generation);
  Atomics.notify(w.state, ARMED);
  try {
    return fn();
  } finally {
    Atomics.store(w.state, ARMED, 0);
    Atomics.notify(w.state, ARMED);
  }
}
