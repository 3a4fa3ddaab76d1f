/**
 * A prover worker process (forked by pool.ts): loads Z3 once, then proves one (obligation, width)
 * attempt per message, each in a fresh Z3 context, and answers with the attempt. The parent
 * enforces the wall-clock budget by killing this process, so nothing here has to be trusted to
 * stop: a solver that ignores its timeout, a hung obligation or a crash in Z3's WebAssembly all
 * end with the parent reporting that attempt and starting a new worker.
 */
import { allObligations, type Obligation } from './obligations.js';
import { proveAt, type Attempt } from './prover.js';
import { loadZ3Api } from './z3-algebra.js';

export interface WorkerTask {
  id: number;
  name: string;
  width: number;
  timeoutMs: number;
  /** URL of a module whose `obligations()` lists the obligations (default: the built-in table). */
  module?: string;
}

export type WorkerReply =
  | { t: 'ready' }
  | { t: 'done'; id: number; attempt: Attempt; rss: number }
  | { t: 'crash'; message: string };

const send = (m: WorkerReply): void => { process.send?.(m); };

const tables = new Map<string, Map<string, Obligation>>();

async function table(module: string | undefined): Promise<Map<string, Obligation>> {
  const key = module ?? '';
  let t = tables.get(key);
  if (!t) {
    const list = module ? ((await import(module)) as { obligations(): Obligation[] }).obligations() : allObligations();
    t = new Map(list.map((o) => [o.name, o]));
    tables.set(key, t);
  }
  return t;
}

async function main(): Promise<void> {
  const crash = (e: unknown): void => {
    send({ t: 'crash', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    process.exit(70);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  process.on('disconnect', () => process.exit(0));
  const api = await loadZ3Api();
  process.on('message', (task: WorkerTask) => {
    void (async () => {
      const ob = (await table(task.module)).get(task.name);
      const cpu0 = process.cpuUsage();
      const attempt: Attempt = ob
        ? await proveAt({ ctx: api.context(), close: async () => {} }, ob, task.width, task.timeoutMs)
        : { width: task.width, verdict: 'error', seconds: 0, error: `no obligation named ${task.name}` };
      const cpu = process.cpuUsage(cpu0);
      attempt.cpu = (cpu.user + cpu.system) / 1e6;
      send({ t: 'done', id: task.id, attempt, rss: process.memoryUsage().rss });
    })().catch(crash);
  });
  send({ t: 'ready' });
}

if (process.send) void main();
