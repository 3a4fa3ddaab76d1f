/**
 * A deadline for bpf() calls: the kernel verifier gives up when a signal is pending (do_check
 * returns -EAGAIN; BPF_PROG_TEST_RUN returns -EINTR between repeats), so `withSyscallDeadline`
 * arms a POSIX timer (timer_create with SIGEV_THREAD_ID) that sends SIGALRM to the calling
 * thread -- the main thread or a worker thread -- at the deadline and every RESEND_MS after it,
 * until the call returns: the retries of an interrupted load (syscall.ts) are cut too, and the
 * caller sees EAGAIN or EINTR. A process-directed signal would not do: the kernel gives it to the
 * main thread when it can take it, not to the worker that is loading.
 *
 * The signal needs a handler, or SIGALRM would end the process: Node's (libuv's, async-signal
 * safe from any thread), installed process-wide by a listener on the main thread
 * (`prepareSyscallDeadlines`: done on first use on the main thread; a parent of worker threads
 * calls it before starting them -- a worker's own `process.on` installs none). Node starts
 * worker threads with every signal blocked, and a blocked signal does not count as pending, so
 * a worker unblocks SIGALRM for itself before its first deadline. Where there is no handler or
 * no way to arm the timer, the call just runs (`syscallDeadlineUnavailable` says why).
 */
import { isMainThread } from 'node:worker_threads';
import { getBinding } from './syscall.js';

const SIGALRM = 14;
const SIG_UNBLOCK = 1;
const CLOCK_MONOTONIC = 1;
const SIGEV_THREAD_ID = 4;
/** After the deadline, the signal is sent again this often until the call returns. */
const RESEND_MS = 20;

interface TimerLib {
  gettid: () => number;
  pthreadSigmask: (how: number, set: Buffer | null, old: Buffer | null) => number;
  sigaction: (sig: number, act: Buffer | null, old: Buffer | null) => number;
  timerCreate: (clock: number, sev: Buffer, out: Buffer) => number;
  timerSettime: (id: bigint, flags: number, spec: Buffer, old: Buffer | null) => number;
  timerDelete: (id: bigint) => number;
}

let lib: TimerLib | null | undefined;
/** This thread: ready to be signalled (its tid), or why not. */
let thread: { tid: number } | string | undefined;
let listening = false;

function timerLib(): TimerLib | null {
  if (lib !== undefined) return lib;
  lib = null;
  const b = getBinding();
  if (!b) return null;
  try {
    const c = b.koffi.load('libc.so.6');
    lib = {
      gettid: c.func('int gettid()') as TimerLib['gettid'],
      pthreadSigmask: c.func('int pthread_sigmask(int, void *, void *)') as TimerLib['pthreadSigmask'],
      sigaction: c.func('int sigaction(int, void *, void *)') as TimerLib['sigaction'],
      timerCreate: c.func('int timer_create(int, void *, void *)') as TimerLib['timerCreate'],
      timerSettime: c.func('int timer_settime(intptr_t, int, void *, void *)') as TimerLib['timerSettime'],
      timerDelete: c.func('int timer_delete(intptr_t)') as TimerLib['timerDelete'],
    };
  } catch {
    lib = null;
  }
  return lib;
}

/**
 * Installs the process-wide SIGALRM handler (a listener on the main thread; nothing elsewhere).
 * Call it on the main thread before starting worker threads that make bpf() calls with deadlines.
 */
export function prepareSyscallDeadlines(): void {
  if (!isMainThread || listening) return;
  listening = true;
  process.on('SIGALRM', () => {});
}

/** Readies this thread to be signalled, once: its tid, SIGALRM unblocked; or why it cannot be. */
function readyThread(): { tid: number } | string {
  if (thread !== undefined) return thread;
  const l = timerLib();
  if (!l) return (thread = 'libc timers are not reachable through koffi');
  prepareSyscallDeadlines();
  const old = Buffer.alloc(256); // struct sigaction; the handler (or SIG_DFL 0 / SIG_IGN 1) comes first
  if (l.sigaction(SIGALRM, null, old) !== 0) return (thread = 'sigaction(SIGALRM) failed');
  const handler = old.readBigUInt64LE(0);
  if (handler === 0n || handler === 1n)
    return (thread = 'no SIGALRM handler in this process (the main thread must call prepareSyscallDeadlines before starting worker threads)');
  if (!isMainThread) {
    const set = Buffer.alloc(128); // sigset_t: bit (sig - 1), little-endian words
    set[(SIGALRM - 1) >> 3]! |= 1 << ((SIGALRM - 1) & 7);
    if (l.pthreadSigmask(SIG_UNBLOCK, set, null) !== 0) return (thread = 'pthread_sigmask failed');
  }
  return (thread = { tid: l.gettid() });
}

/** Why deadlines cannot be armed on this thread, or null when they can. */
export function syscallDeadlineUnavailable(): string | null {
  const t = readyThread();
  return typeof t === 'string' ? t : null;
}

function writeTimespec(b: Buffer, at: number, ms: number): void {
  const ns = BigInt(Math.max(1, Math.round(ms * 1e6)));
  b.writeBigInt64LE(ns / 1_000_000_000n, at);
  b.writeBigInt64LE(ns % 1_000_000_000n, at + 8);
}

/** Runs `fn` (bpf() calls) with SIGALRM sent to this thread from `ms` milliseconds on until it returns. */
export function withSyscallDeadline<T>(ms: number, fn: () => T): T {
  if (!Number.isFinite(ms)) return fn();
  const t = readyThread();
  if (typeof t === 'string') return fn();
  const l = lib!;
  const sev = Buffer.alloc(64); // struct sigevent: value, signo, notify, then the thread id
  sev.writeInt32LE(SIGALRM, 8);
  sev.writeInt32LE(SIGEV_THREAD_ID, 12);
  sev.writeInt32LE(t.tid, 16);
  const out = Buffer.alloc(8);
  if (l.timerCreate(CLOCK_MONOTONIC, sev, out) !== 0) return fn();
  const id = out.readBigInt64LE(0);
  try {
    const spec = Buffer.alloc(32); // struct itimerspec: it_interval, it_value
    writeTimespec(spec, 0, RESEND_MS);
    writeTimespec(spec, 16, Math.max(0, ms));
    if (l.timerSettime(id, 0, spec, null) !== 0) return fn();
    return fn();
  } finally {
    l.timerDelete(id);
  }
}
