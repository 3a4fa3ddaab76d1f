/**
 * `bpflab trace record HOOK... -o OUT.jsonl [--seconds N] [--max-events N]`: record real events
 * from the running kernel (as root) in the trace format `bpflab run --trace` replays.
 * `bpflab trace source HOOK`: print the recorder program bpflab loads for a hook.
 */
import { formatTraceEvent } from '../../inputs/trace.js';
import { UsageError, parseArgs, type CommandDecl } from '../args.js';
import type { Command } from '../io.js';

const decl: CommandDecl = {
  name: 'trace',
  summary: 'Record tracepoint events from the running kernel into a trace that `run --trace` replays.',
  usage: 'trace record HOOK... -o OUT.jsonl [--seconds N] [--max-events N] [--json]\n       trace source HOOK [--json]',
  options: [
    { name: 'out', short: 'o', kind: 'string', valueName: 'OUT.jsonl', description: 'where to write the trace (- for stdout)' },
    { name: 'seconds', kind: 'number', valueName: 'N', description: 'how long to record (default 5)' },
    { name: 'max-events', kind: 'number', valueName: 'N', description: 'stop after N events' },
  ],
  positionals: { min: 2, max: 64, name: 'record|source HOOK...' },
};

export const command: Command = {
  decl,
  async run(argv, io) {
    const args = parseArgs(decl, argv);
    const [verb, ...hooks] = args.positionals;
    const { planHook, recorderSource, recordTrace } = await import('../../trace/record.js');
    const json = args.flags.has('json');
    if (verb === 'source') {
      if (hooks.length !== 1) throw new UsageError('trace source: give one HOOK');
      for (const o of ['out', 'seconds', 'max-events'] as const) if (args.strings.has(o)) throw new UsageError(`trace source: --${o} belongs to trace record`);
      const plan = planHook(hooks[0]!);
      const source = recorderSource(plan, 0);
      io.out(json ? JSON.stringify({ hook: plan.hook, source }) + '\n' : source);
      return 0;
    }
    if (verb !== 'record') throw new UsageError(`trace: unknown verb '${verb}' (record, source)`);
    const out = args.strings.get('out');
    if (out === undefined) throw new UsageError('trace record: -o OUT.jsonl is required');
    if (json && out === '-') throw new UsageError('trace record: --json and -o - would both write to stdout (give -o OUT.jsonl)');
    const seconds = Number(args.strings.get('seconds') ?? '5');
    if (!(seconds > 0 && seconds <= 86_400)) throw new UsageError(`trace record: --seconds ${args.strings.get('seconds')}: give 0 < N <= 86400`);
    const max = args.strings.get('max-events');
    const lines: string[] = [];
    const r = await recordTrace(hooks, {
      seconds, ...(max !== undefined && { maxEvents: Math.max(1, Number(max)) }),
      onEvent: (ev) => { lines.push(formatTraceEvent(ev)); },
    });
    io.writeFile(out, lines.length ? lines.join('\n') + '\n' : '');
    if (json) io.out(JSON.stringify({ out, events: r.events, hooks: r.hooks, seconds }) + '\n');
    else if (out !== '-') io.err(`recorded ${r.events} events from ${r.hooks.join(', ')} in ${seconds} s to ${out}\n`);
    return 0;
  },
};
