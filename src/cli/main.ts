/**
 * bpflab's command line: dispatch to one module per command (loaded lazily so that
 * `bpflab asm` does not pay for Z3 or koffi), uniform errors and exit codes (SPEC section 1).
 */
import { InputError } from '../isa/errors.js';
import { printableIo, readUserFile, writeUserFile, type Command, type Io } from './io.js';
import { errorLine } from './printable.js';
import { helpText } from './args.js';

/** Every command and the module that implements it. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  verify: { summary: 'verify every program in FILES (batch: veristat columns, --compare)', load: async () => (await import('./commands/verify.js')).command },
  run: { summary: 'run one program and print r0', load: async () => (await import('./commands/run.js')).command },
  conformance: { summary: 'run conformance .data files', load: async () => (await import('./commands/conformance.js')).command },
  asm: { summary: 'assemble to raw bytecode', load: async () => (await import('./commands/asm.js')).command },
  disasm: { summary: 'print kernel-syntax disassembly', load: async () => (await import('./commands/disasm.js')).command },
  prove: { summary: 'run the Z3 soundness proofs of the abstract operators', load: async () => (await import('./commands/prove.js')).command },
  explain: { summary: 'explain why a program was rejected', load: async () => (await import('./commands/explain.js')).command },
  fuzz: { summary: 'run a fuzzing campaign', load: async () => (await import('./commands/fuzz.js')).command },
  'fuzz-worker': { summary: 'run jobs of queue fuzzing campaigns (fuzz --queue)', load: async () => (await import('./commands/fuzz-worker.js')).command },
  corpus: { summary: 'check the regression corpus (corpus check [DIR]) or record sidecars (corpus record PATH...)', load: async () => (await import('./commands/corpus.js')).command },
  report: { summary: 'write the HTML report of a program', load: async () => (await import('./commands/report.js')).command },
  selftests: { summary: 'run kernel-selftest-style objects as the kernel test loader does', load: async () => (await import('./commands/selftests.js')).command },
  bench: { summary: 'run the benchmark table', load: async () => (await import('./commands/bench.js')).command },
  trace: { summary: 'record tracepoint events from the running kernel (trace record HOOK... -o OUT.jsonl)', load: async () => (await import('./commands/trace.js')).command },
};

export const processIo: Io = {
  get tty() { return process.stderr.isTTY ? process.stderr : undefined; },
  out: (t) => { process.stdout.write(t); },
  err: (t) => { process.stderr.write(t); },
  readFile: readUserFile,
  writeFile: writeUserFile,
};

function usage(): string {
  const lines = ['usage: bpflab COMMAND [options]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(12)} ${c.summary}`);
  lines.push('', "Run 'bpflab COMMAND --help' for a command's options, 'bpflab --version' for the version.");
  return lines.join('\n') + '\n';
}

/** Runs the CLI; returns the exit code. Never throws. */
export async function main(argv: readonly string[], rawIo: Io = processIo): Promise<number> {
  const io = printableIo(rawIo);
  const debug = argv.includes('--debug');
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err('bpflab: missing command (see bpflab --help)\n');
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return 0;
  }
  if (name === '--version') { io.out('bpflab 0.1.0\n'); return 0; }
  const entry = COMMANDS[name];
  if (!entry) {
    io.err(`bpflab: unknown command '${name}' (see bpflab --help)\n`);
    return 2;
  }
  try {
    const cmd = await entry.load();
    if (wantsHelp(rest)) {
      io.out(helpText(cmd.decl) + '\n');
      return 0;
    }
    return await cmd.run(rest, io);
  } catch (e) {
    return reportError(e, io, debug);
  }
}

/** `--help` or `-h` before any `--`. */
function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/** One line on stderr, exit 2 for bad input; internal errors say so (stack only with --debug). */
export function reportError(e: unknown, io: Io, debug: boolean): number {
  if (e instanceof InputError) {
    io.err(`bpflab: ${errorLine(e.message)}\n`);
    if (debug && e.stack) io.err(e.stack + '\n');
    return 2;
  }
  const msg = e instanceof Error ? e.message : String(e);
  io.err(`bpflab: internal error: ${errorLine(msg)}${debug ? '' : ' (run with --debug for details)'}\n`);
  if (debug && e instanceof Error && e.stack) io.err(e.stack + '\n');
  return 2;
}
