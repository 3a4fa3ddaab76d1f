/**
 * `bpflab fuzz-worker --queue redis://HOST:PORT [--lock-seconds N]`: a worker of queue campaigns
 * (`bpflab fuzz --queue`): pulls seed-range jobs from the BullMQ queue, runs them, streams their
 * statistics back and returns their findings. Runs until SIGINT/SIGTERM (then finishes nothing:
 * the job it holds goes back to the queue when its lock expires, and another worker runs it).
 */
import { UsageError, numberOption, parseArgs, type CommandDecl } from '../args.js';
import type { Command } from '../io.js';

const decl: CommandDecl = {
  name: 'fuzz-worker',
  summary: 'Work for queue fuzzing campaigns (`bpflab fuzz --queue`): run their seed-range jobs until stopped.',
  usage: 'fuzz-worker --queue redis://HOST:PORT [--lock-seconds N]',
  options: [
    { name: 'queue', kind: 'string', valueName: 'redis://HOST:PORT', description: 'the Redis server of the BullMQ queue' },
    { name: 'lock-seconds', kind: 'number', valueName: 'N', description: 'a worker silent this long is taken for dead and its job is run again elsewhere (default 60)' },
  ],
  positionals: { min: 0, max: 0, name: '' },
  json: false,
};

export const command: Command = {
  decl,
  async run(argv, io) {
    const args = parseArgs(decl, argv);
    const url = args.strings.get('queue');
    if (url === undefined) throw new UsageError('fuzz-worker: --queue redis://HOST:PORT is required');
    if (!/^rediss?:\/\/[^/\s]+/.test(url)) throw new UsageError(`fuzz-worker: --queue ${url}: expected redis://HOST:PORT`);
    const lockSeconds = numberOption(args, 'lock-seconds', 60);
    if (lockSeconds < 1) throw new UsageError('fuzz-worker: --lock-seconds must be at least 1');
    const { startQueueWorker } = await import('../../fuzz/queue.js');
    const w = startQueueWorker({ url, lockMs: lockSeconds * 1000, onLog: (l) => io.err(`fuzz-worker ${process.pid}: ${l}\n`) });
    await w.worker.waitUntilReady();
    io.err(`fuzz-worker ${process.pid}: waiting for jobs on ${url}\n`);
    await new Promise<void>((resolve) => {
      const stop = (sig: NodeJS.Signals): void => {
        io.err(`fuzz-worker ${process.pid}: ${sig}, closing\n`);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    // Not waiting for the running job: it is retried elsewhere once its lock expires.
    await w.close();
    return 0;
  },
};
