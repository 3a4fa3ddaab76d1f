/**
 * The command line against ../shared/SPEC.md section 1: `bpflab --help` lists every command, each
 * command's --help names the options the SPEC fixes for it, and --json is either a command's one
 * JSON document or refused (exit 2), never silently ignored.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo, type MemoryIo } from '../../src/cli/io.js';
import { tracefsRoot } from '../../src/trace/tracefs.js';

async function run(argv: string[], files: Record<string, Uint8Array | string> = {}): Promise<{ code: number; io: MemoryIo }> {
  const io = memoryIo(files);
  const code = await main(argv, io);
  return { code, io };
}

/** SPEC section 1 and 1b: each command and the options its line names. */
const SPEC_OPTIONS: Record<string, string[]> = {
  verify: ['--section', '--type', '--json', '--log', '--report', '--sarif', '--kernel', '--domain', '--output', '--compare', '--jobs', '--btf', '--no-core', '--strict-alignment'],
  run: ['--section', '--engine', '--packet', '--ctx', '--mem', '--map', '--repeat', '--no-verify', '--json', '--pcap', '--out', '--trace', '--event-type'],
  conformance: ['--engine', '--json'],
  asm: ['-o'],
  disasm: ['--section'],
  prove: ['--width', '--op', '--json'],
  explain: ['--section', '--json', '--fix'],
  fuzz: ['--seconds', '--runs', '--workers', '--seed', '--oracle', '--out', '--json', '--queue'],
  'fuzz-worker': ['--queue'],
  corpus: ['--kernel', '--update', '--junit'],
  report: ['-o'],
  bench: ['--json'],
  selftests: ['--kernel-verdicts', '--json'],
  trace: ['-o', '--seconds'],
};

/** Commands with no JSON output: --json is refused rather than ignored. */
const NO_JSON = new Set(['fuzz-worker']);

describe('bpflab --help and COMMAND --help against the SPEC', () => {
  test('the command list names every command, and each command has help', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    const listed = [...top.io.stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(SPEC_OPTIONS).sort());
    for (const cmd of listed) {
      const h = await run([cmd!, '--help']);
      expect(h.code, cmd).toBe(0);
      expect(h.io.stdout.startsWith(`bpflab ${cmd}`), cmd).toBe(true);
    }
  });

  test.each(Object.entries(SPEC_OPTIONS))('%s --help lists the options the SPEC names', async (cmd, options) => {
    const { code, io } = await run([cmd, '--help']);
    expect(code).toBe(0);
    const optionLines = io.stdout.split('\n').filter((l) => /^ {2}-/.test(l)).join('\n');
    for (const o of options) expect(optionLines, `${cmd} ${o}`).toMatch(new RegExp(`(^|[ ,])${o}( |,|$)`, 'm'));
    expect(/^ {2}--json /m.test(optionLines), `${cmd} --json`).toBe(!NO_JSON.has(cmd));
  });

  test('a command without JSON output refuses --json with one usage line', async () => {
    const { code, io } = await run(['fuzz-worker', '--queue', 'redis://127.0.0.1:1', '--json']);
    expect(code).toBe(2);
    expect(io.stdout).toBe('');
    expect(io.stderr).toBe('bpflab: fuzz-worker: unknown option --json (see bpflab fuzz-worker --help)\n');
  });

  test('trace record --json cannot share stdout with the trace itself', async () => {
    const { code, io } = await run(['trace', 'record', 'syscalls:sys_enter_execve', '-o', '-', '--json']);
    expect(code).toBe(2);
    expect(io.stdout).toBe('');
    expect(io.stderr).toBe('bpflab: trace record: --json and -o - would both write to stdout (give -o OUT.jsonl)\n');
  });

  test.skipIf(!tracefsRoot())('trace source --json prints one JSON document with the recorder program', async () => {
    const { code, io } = await run(['trace', 'source', 'syscalls:sys_enter_execve', '--json']);
    expect(code).toBe(0);
    const doc = JSON.parse(io.stdout) as { hook: string; source: string };
    expect(doc.hook).toBe('tracepoint/syscalls/sys_enter_execve');
    expect(doc.source).toContain('; bpflab trace recorder for tracepoint/syscalls/sys_enter_execve\n.type tracepoint\n');
    const plain = await run(['trace', 'source', 'syscalls:sys_enter_execve']);
    expect(plain.io.stdout).toBe(doc.source);
  });
});

describe('options that would do nothing are refused (exit 2), not ignored', () => {
  test.each([
    [['fuzz', '--jobs', '1', '--runs', '300'], '--runs cannot go with --jobs (a campaign of seed-range jobs is 1 x 4 x 25 programs, one job at a time per process)'],
    [['fuzz', '--jobs', '2', '--seconds', '5', '--workers', '2'], '--seconds and --workers cannot go with --jobs (a campaign of seed-range jobs is 2 x 4 x 25 programs, one job at a time per process)'],
    [['fuzz', '--queue', 'redis://127.0.0.1:1', '--runs', '200', '--workers', '2'], '--workers cannot go with --queue (a campaign of seed-range jobs is 2 x 4 x 25 programs, one job at a time per process)'],
  ])('%j', async (argv, message) => {
    const { code, io } = await run(argv);
    expect(code).toBe(2);
    expect(io.stdout).toBe('');
    expect(io.stderr).toBe(`bpflab: fuzz: ${message}\n`);
  });
});

describe('verify options outside their output are refused (exit 2)', () => {
  test.each([
    [['verify', 'examples/xdp-count-proto.s', '--jobs', '2'], 'verify: --jobs runs the batch output on worker threads (add -o table, csv or json); the per-program lines are verified in this thread'],
    [['verify', 'examples/xdp-count-proto.s', '-o', 'csv', '--log-level', '2'], 'verify: --log-level has no effect with --output csv; use the text output for it'],
  ])('%j', async (argv, message) => {
    const { code, io } = await run(argv);
    expect(code).toBe(2);
    expect(io.stdout).toBe('');
    expect(io.stderr).toBe(`bpflab: ${message}\n`);
  });
});

describe('run options of one engine are refused on another (exit 2)', () => {
  const files = Object.fromEntries(['examples/xdp-count-proto.s', 'examples/ipv6-packet.hex', 'examples/execsnoop/execsnoop.o', 'examples/execsnoop/exec.jsonl']
    .map((f) => [f, new Uint8Array(readFileSync(f))]));
  test.each([
    [['run', 'examples/xdp-count-proto.s', '--trusted'], "run: --trusted is the jit's unchecked code: it goes with --engine jit (a single run or --pcap)"],
    [['run', 'examples/execsnoop/execsnoop.o', '--trace', 'examples/execsnoop/exec.jsonl', '--engine', 'jit', '--trusted'], "run: --trusted is the jit's unchecked code: it goes with --engine jit (a single run or --pcap)"],
    [['run', 'examples/xdp-count-proto.s', '--engine', 'kernel', '--seed', '1'], "run: --seed seeds bpf_get_prandom_u32 on the vm and the jit; the kernel engine uses the kernel's own"],
  ])('%j', async (argv, message) => {
    const { code, io } = await run(argv, files);
    expect(code).toBe(2);
    expect(io.stdout).toBe('');
    expect(io.stderr).toBe(`bpflab: ${message}\n`);
  });

  test('--trusted on the jit still runs', async () => {
    const { code, io } = await run(['run', 'examples/xdp-count-proto.s', '--packet', '@examples/ipv6-packet.hex', '--engine', 'jit', '--trusted'], files);
    expect([code, io.stdout, io.stderr]).toEqual([0, '1\n', 'XDP_DROP\n']);
  });
});

describe('an option of the other subcommand is refused (exit 2)', () => {
  test.each([
    [['corpus', 'check', 'corpus', '--strict-alignment'], 'corpus: --strict-alignment belongs to corpus record (check uses each entry\'s "options")'],
    [['trace', 'source', 'syscalls:sys_enter_execve', '--seconds', '3'], 'trace source: --seconds belongs to trace record'],
    [['trace', 'source', 'syscalls:sys_enter_execve', '-o', 'x.jsonl'], 'trace source: --out belongs to trace record'],
  ])('%j', async (argv, message) => {
    const { code, io } = await run(argv);
    expect(code).toBe(2);
    expect(io.stdout).toBe('');
    expect(io.stderr).toBe(`bpflab: ${message}\n`);
  });
});
