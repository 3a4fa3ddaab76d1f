/**
 * Worker processes for the prover. Each attempt (obligation, width) runs in a child process with
 * a fresh Z3 context; the parent holds a wall-clock timer per attempt (the budget plus a grace
 * period) and kills the child when it expires, so a solver that does not honour its own timeout,
 * an obligation that never returns, or a crash inside Z3's WebAssembly costs one attempt (reported
 * as `timeout` or `error` with the message) and never the run. A killed or crashed worker is
 * replaced on the next attempt; a worker whose memory grew past a limit is recycled.
 * Child processes rather than worker threads: a thread stuck in WebAssembly cannot be stopped
 * from outside as reliably as a process, and a process's memory is returned in full when it ends.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Attempt } from './prover.js';
import type { WorkerReply, WorkerTask } from './worker.js';

export interface PoolOptions {
  /** Added to each attempt's budget before the worker is killed (solver timeouts overrun a little under load). */
  graceMs?: number;
  /** Recycle a worker whose resident memory exceeds this after an attempt. */
  maxRssBytes?: number;
  /** Time allowed for a new worker to load Z3. */
  startMs?: number;
}

/** The compiled worker: next to this module in dist/, or dist/smt/ when running from sources (vitest). */
export function workerPath(): string {
  for (const rel of ['./worker.js', '../../dist/smt/worker.js']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('the prover worker is not built (dist/smt/worker.js): run `npm run build`');
}

interface Pending {
  id: number;
  resolve(a: Attempt): void;
}

/** One worker process, started on demand and restarted after a kill or a crash. */
class Slot {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private pending: Pending | null = null;
  private stderr = '';
  private nextId = 1;
  /** Bumped on every start and kill: events of an earlier child are ignored. */
  private gen = 0;

  constructor(private readonly path: string, private readonly opts: Required<PoolOptions>) {}

  private start(): Promise<void> {
    const gen = ++this.gen;
    const child = fork(this.path, [], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    this.child = child;
    this.stderr = '';
    child.stderr?.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-2000); });
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { this.kill(); reject(new Error(`the prover worker did not load Z3 within ${this.opts.startMs / 1000} s`)); }, this.opts.startMs);
      child.on('message', (m: WorkerReply) => {
        if (this.gen !== gen) return;
        if (m.t === 'ready') { clearTimeout(timer); resolve(); return; }
        const p = this.pending;
        if (m.t === 'crash') { if (p) this.finish(p, { verdict: 'error', error: `worker crashed: ${m.message}` }); return; }
        if (p && m.id === p.id) {
          this.pending = null;
          p.resolve(m.attempt);
          if (m.rss > this.opts.maxRssBytes) this.kill();
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (this.gen !== gen) return;
        this.child = null;
        this.ready = null;
        const why = signal ? `signal ${signal}` : `exit code ${code}`;
        const tail = this.stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new Error(`the prover worker ended while loading Z3 (${why})${tail ? `: ${tail}` : ''}`));
        const p = this.pending;
        if (p) this.finish(p, { verdict: 'error', error: `worker ended (${why})${tail ? `: ${tail}` : ''}` });
      });
    });
    return this.ready;
  }

  private finish(p: Pending, a: Pick<Attempt, 'verdict' | 'error'>): void {
    if (this.pending !== p) return;
    this.pending = null;
    p.resolve({ width: 0, seconds: 0, ...a });
  }

  /** One attempt; never rejects and never outlasts timeoutMs + graceMs (+ the worker's start). */
  async attempt(task: Omit<WorkerTask, 'id'>): Promise<Attempt> {
    const t0 = performance.now();
    const secs = (): number => (performance.now() - t0) / 1000;
    try {
      await (this.child && this.ready ? this.ready : this.start());
    } catch (e) {
      return { width: task.width, verdict: 'error', seconds: secs(), error: e instanceof Error ? e.message : String(e) };
    }
    const t1 = performance.now();
    const id = this.nextId++;
    const a = await new Promise<Attempt>((resolve) => {
      const budget = task.timeoutMs + this.opts.graceMs;
      const timer = setTimeout(() => {
        this.finish(p, { verdict: 'timeout', error: `killed after ${(budget / 1000).toFixed(0)} s without an answer` });
        this.kill();
      }, budget);
      const p: Pending = { id, resolve: (x) => { clearTimeout(timer); resolve(x); } };
      this.pending = p;
      this.child!.send({ ...task, id } satisfies WorkerTask);
    });
    // Attempts that the parent ended carry no width or time of their own.
    return { ...a, width: task.width, seconds: a.seconds || (performance.now() - t1) / 1000 };
  }

  kill(): void {
    const c = this.child;
    this.gen++;
    this.child = null;
    this.ready = null;
    if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

export class ProverPool {
  private readonly slots: Slot[];

  constructor(readonly jobs: number, opts: PoolOptions = {}) {
    const path = workerPath();
    const o: Required<PoolOptions> = { graceMs: 5_000, maxRssBytes: 1.5e9, startMs: 60_000, ...opts };
    this.slots = Array.from({ length: Math.max(1, jobs) }, () => new Slot(path, o));
  }

  /** Runs fn(slot) for every item with one lane per worker; results in input order. */
  async map<I, R>(items: readonly I[], fn: (item: I, attempt: (t: Omit<WorkerTask, 'id'>) => Promise<Attempt>) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array<R>(items.length);
    let next = 0;
    const lane = async (slot: Slot): Promise<void> => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, (t) => slot.attempt(t));
      }
    };
    await Promise.all(this.slots.map(lane));
    return out;
  }

  close(): void {
    for (const s of this.slots) s.kill();
  }
}
