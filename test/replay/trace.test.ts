/** Event traces: the format, replay through a whole object's tracing programs, hostile traces. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formatTraceEvent, readTrace } from '../../src/inputs/trace.js';
import { InputError } from '../../src/isa/errors.js';
import { loadFile } from '../../src/loader/index.js';
import { runTrace } from '../../src/replay/trace-run.js';
import { decodeValue } from '../../src/replay/decode-event.js';
import { parseBtf } from '../../src/loader/btf/index.js';
import { BTF_KIND, buildBtf, type BtfRecord } from '../hostile/build.js';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';

const OBJ = 'examples/execsnoop/execsnoop.o';
const hexStr = (s: string) => Buffer.from(s + '\0').toString('hex');
const TRACE = [
  '# two execs by two tasks; the second fails with -ENOENT; one event no program attaches to',
  JSON.stringify({ hook: 'tracepoint/syscalls/sys_enter_execve', ts_ns: '1000', cpu: 0, task: { pid: 100, tgid: 100, uid: 1000, comm: 'bash' }, args: ['0x7ffd00001000', '0x7ffd00002000'], user: { '0x7ffd00001000': hexStr('/usr/bin/ls') } }),
  JSON.stringify({ hook: 'tp/syscalls/sys_enter_execve', ts_ns: '2000', cpu: 1, task: { pid: 200, tgid: 200, uid: 0, comm: 'sh' }, args: ['0x7ffd00003000'], user: { '0x7ffd00003000': hexStr('/no/such') } }),
  JSON.stringify({ hook: 'tracepoint/syscalls/sys_exit_execve', ts_ns: '3000', task: { pid: 100, tgid: 100, uid: 1000, comm: 'ls' }, ret: 0 }),
  JSON.stringify({ hook: 'tracepoint/syscalls/sys_exit_execve', ts_ns: '4000', cpu: 1, task: { pid: 200, tgid: 200, comm: 'sh' }, ret: '-2' }),
  JSON.stringify({ hook: 'kprobe/do_unlinkat', task: { pid: 1 }, args: [1] }),
].join('\n') + '\n';

const programs = await loadFile(OBJ, new Uint8Array(readFileSync(OBJ)), {});

describe('replaying a trace through an execsnoop-like object', () => {
  test('one decoded event per exec, with comm, file name, uid and return value', async () => {
    const r = await runTrace(programs, readTrace(new TextEncoder().encode(TRACE), 't.jsonl'), OBJ);
    expect(r.events).toBe(5);
    expect(r.runs).toBe(4);
    expect(r.unmatched).toEqual({ 'kprobe/do_unlinkat': 1 });
    expect(r.errors).toEqual([]);
    expect(r.outputs.map((o) => [o.line, o.program, o.map, o.type])).toEqual([[4, 'handle_exit', 'events', 'struct event'], [5, 'handle_exit', 'events', 'struct event']]);
    expect(r.outputs.map((o) => o.data)).toEqual([
      { pid: 100, ppid_unused: 0, uid: 1000, retval: 0, comm: 'ls', filename: '/usr/bin/ls' },
      { pid: 200, ppid_unused: 0, uid: 0, retval: -2, comm: 'sh', filename: '/no/such' },
    ]);
    // the start entries were consumed by the exit handler: the shared hash is empty again
    expect(r.maps['starts']).toEqual({});
  });

  test('the JIT produces the same records', async () => {
    const ev = readTrace(new TextEncoder().encode(TRACE), 't.jsonl');
    const vm = await runTrace(programs, ev, OBJ);
    const jit = await runTrace(programs, ev, OBJ, { engine: 'jit' });
    expect(jit.outputs).toEqual(vm.outputs);
  });

  test('--event-type decodes as a named struct, and names a missing one', async () => {
    const ev = readTrace(new TextEncoder().encode(TRACE), 't.jsonl');
    const r = await runTrace(programs, ev, OBJ, { eventType: 'struct event' });
    expect(r.outputs[0]!.type).toBe('struct event');
    await expect(runTrace(programs, ev, OBJ, { eventType: 'nope' })).rejects.toThrow(/--event-type nope: no such struct/);
  });

  test('the CLI prints one line per record, JSONL per record, or one JSON document', async () => {
    const io = memoryIo({ [OBJ]: readFileSync(OBJ), 't.jsonl': TRACE });
    expect(await main(['run', OBJ, '--trace', 't.jsonl'], io)).toBe(0);
    expect(io.stdout.trim().split('\n')).toEqual([
      'handle_exit events: {"pid":100,"ppid_unused":0,"uid":1000,"retval":0,"comm":"ls","filename":"/usr/bin/ls"}',
      'handle_exit events: {"pid":200,"ppid_unused":0,"uid":0,"retval":-2,"comm":"sh","filename":"/no/such"}',
    ]);
    expect(io.stderr).toMatch(/5 events, 4 program runs, 2 records; no program at kprobe\/do_unlinkat \(1\)/);
    const j = memoryIo({ [OBJ]: readFileSync(OBJ), 't.jsonl': TRACE });
    expect(await main(['run', OBJ, '--trace', 't.jsonl', '--json'], j)).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc.records).toBe(2);
    expect(doc.outputs[1].data.retval).toBe(-2);
  });

  test('formatTraceEvent writes what readTrace reads', () => {
    const [ev] = readTrace(new TextEncoder().encode(TRACE), 't.jsonl');
    const again = readTrace(new TextEncoder().encode(formatTraceEvent(ev!)), 'u.jsonl')[0]!;
    expect({ ...again, line: 0, offset: 0 }).toEqual({ ...ev!, line: 0, offset: 0 });
  });
});

describe('malformed traces: one located error, never a crash', () => {
  test.each([
    ['not JSON', '{"hook":', /t\.jsonl: line 1 \(byte offset 0\): not JSON/],
    ['unknown field', '{"hook":"kprobe/f","bogus":1}', /line 1 \(byte offset 0\): unknown field 'bogus'/],
    ['bad hook', '{"hook":"nothing"}', /hook: expected e\.g\./],
    ['inexact number', '{"hook":"kprobe/f","args":[18446744073709551615]}', /args\[0\]: 18446744073709552000 is not an exact integer/],
    ['odd hex', '\n{"hook":"kprobe/f","ctx":"abc"}', /line 2 \(byte offset 1\): ctx: expected an even number of hex digits/],
    ['cpu out of range', '{"hook":"kprobe/f","cpu":99999}', /cpu: 99999 is out of range/],
  ])('%s', (_n, text, msg) => {
    expect(() => readTrace(new TextEncoder().encode(text), 't.jsonl')).toThrow(msg);
  });

  test('3,000 mutated traces: parsed or an InputError naming line and offset', () => {
    const good = new TextEncoder().encode(TRACE);
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (edits) => {
      const b = good.slice();
      for (const [at, v] of edits) b[at % b.length] = v;
      try { readTrace(b, 'm.jsonl'); } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        expect((e as Error).message).toMatch(/^m\.jsonl: line \d+ \(byte offset \d+\): /);
      }
    }), { numRuns: 3000, seed: 7 });
  });

  test('through the CLI: exit 2, one line', async () => {
    const io = memoryIo({ [OBJ]: readFileSync(OBJ), 'bad.jsonl': '{"hook":"tp/a/b"}\n{"hook":"tp/a/b","ts_ns":"x"}\n' });
    expect(await main(['run', OBJ, '--trace', 'bad.jsonl'], io)).toBe(2);
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
    expect(io.stderr).toMatch(/bad\.jsonl: line 2 \(byte offset 18\): ts_ns: expected an integer/);
  });
});

describe('perf buffers and programs without a section', () => {
  const KPROBE = [
    '.type kprobe',
    '.map out perf_event_array key=4 value=4 entries=4',
    'r6 = r1',
    'r1 = *(u64 *)(r6 +112)', // PT_REGS_PARM1 (di)
    '*(u64 *)(r10 -8) = r1',
    'call bpf_get_smp_processor_id',
    '*(u32 *)(r10 -12) = r0',
    'r1 = r6',
    'r2 = map[out]',
    'r3 = 0xffffffff ll', // BPF_F_CURRENT_CPU
    'r4 = r10',
    'r4 += -12',
    'r5 = 12',
    'call bpf_perf_event_output',
    'r0 = 0',
    'exit',
  ].join('\n') + '\n';
  const EVENTS = [
    JSON.stringify({ hook: 'kprobe/do_unlinkat', cpu: 2, args: ['0x1122334455667788'] }),
    JSON.stringify({ hook: 'kprobe/do_unlinkat', cpu: 3, args: [7] }),
  ].join('\n');

  test('--attach gives an assembly program its hook; records carry the CPU they were written on', async () => {
    const io = memoryIo({ 'p.s': KPROBE, 't.jsonl': EVENTS });
    expect(await main(['run', 'p.s', '--trace', 't.jsonl', '--attach', 'kprobe/do_unlinkat', '--jsonl'], io)).toBe(0);
    const lines = io.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.slice(0, 2).map((o) => [o.kind, o.map, o.index, o.hex])).toEqual([
      ['perf', 'out', 2, '02000000' + '8877665544332211'],
      ['perf', 'out', 3, '03000000' + '0700000000000000'],
    ]);
    expect(lines[2].summary.records).toBe(2);
  });

  test('without --attach the program is named and the fix suggested', async () => {
    const io = memoryIo({ 'p.s': KPROBE, 't.jsonl': EVENTS });
    expect(await main(['run', 'p.s', '--trace', 't.jsonl'], io)).toBe(2);
    expect(io.stderr).toMatch(/no tracing program to attach \(sections: p \(no section: give --attach HOOK\)\)/);
  });
});

describe('decoding records with a hostile BTF', () => {
  test('unions of unions (4^24 overlapping members) decode to a bounded value, not an exponential walk', () => {
    // [1] int; [2] union u0 { int x; }; [k+2] union uk { u(k-1) a, b, c, d; } for k = 1..24
    const types: BtfRecord[] = [
      { kind: BTF_KIND.INT, name: 'int', sizeOrType: 4, extra: [(1 << 24) | 32] },
      { kind: BTF_KIND.UNION, name: 'u0', vlen: 1, sizeOrType: 4, extra: ['x', 1, 0] },
    ];
    for (let k = 1; k <= 24; k++) types.push({ kind: BTF_KIND.UNION, name: `u${k}`, vlen: 4, sizeOrType: 4, extra: ['a', k + 1, 0, 'b', k + 1, 0, 'c', k + 1, 0, 'd', k + 1, 0] });
    const btf = parseBtf(buildBtf(types), 'bomb.o');
    const t0 = process.cpuUsage();
    const v = decodeValue(btf, 26, new Uint8Array([1, 0, 0, 0]), 0);
    const cpuMs = (process.cpuUsage(t0).user + process.cpuUsage(t0).system) / 1000;
    expect(cpuMs).toBeLessThan(2000);
    const json = JSON.stringify(v);
    expect(json.length).toBeLessThan(4 << 20);
    // the first leaf decodes, the rest of the record is summarised
    let first: unknown = v;
    for (let k = 0; k < 24; k++) first = (first as Record<string, unknown>)['a'];
    expect(first).toEqual({ x: 1 });
    expect(json).toContain('"..."');
  });
});
