/**
 * `bpflab run --cpus N --cpu K` and the CPUs of a trace: per-CPU maps get one slot per CPU
 * modelled, bpf_get_smp_processor_id and the per-CPU slot follow the CPU a run is on, on the VM
 * and the JIT alike. A trace's events name their CPU, so a trace models as many CPUs as it shows
 * (before this, an event on cpu 1 with a per-CPU map was an internal error).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo, type MemoryIo } from '../../src/cli/io.js';

/** Adds the CPU it runs on to a per-CPU counter and returns it (XDP_PASS = 2 when the lookup fails). */
const body = `.map per percpu_array key=4 value=8 entries=1
    call bpf_get_smp_processor_id
    r6 = r0
    r1 = 0
    *(u32 *)(r10 - 4) = r1
    r2 = r10
    r2 += -4
    r1 = map[per]
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = *(u64 *)(r0 + 0)
    r1 += 1
    *(u64 *)(r0 + 0) = r1
out:
    r0 = r6
    exit
`;
const XDP = `.type xdp\n${body}`;
const TP = `.type tracepoint\n${body}`;
const PCAP = 'examples/xdp-ddos/flood.pcap';

const event = (cpu: number, ts: number): string =>
  JSON.stringify({ hook: 'tracepoint/syscalls/sys_enter_execve', ts_ns: String(ts), cpu, task: { pid: 1, tgid: 1, comm: 'sh' }, args: ['0'] });
const TRACE = [event(0, 1), event(2, 2), event(2, 3), event(1, 4), event(2, 5)].join('\n') + '\n';

async function cli(argv: string[]): Promise<{ code: number; io: MemoryIo }> {
  const io = memoryIo({ 'x.s': XDP, 't.s': TP, 't.jsonl': TRACE, [PCAP]: readFileSync(PCAP) });
  return { code: await main(argv, io), io };
}

/** The per-CPU counter's slots, one u64 per CPU, from the JSON map dump. */
function slots(hexValue: string): number[] {
  const b = Buffer.from(hexValue, 'hex');
  return Array.from({ length: b.length / 8 }, (_, i) => Number(b.readBigUInt64LE(8 * i)));
}

describe('run --cpus/--cpu', () => {
  test.each(['vm', 'jit'])('%s: a run on cpu 3 of 4 sees cpu 3 and counts in its slot', async (engine) => {
    const { code, io } = await cli(['run', 'x.s', '--engine', engine, '--cpus', '4', '--cpu', '3', '--packet', '00'.repeat(64), '--json']);
    expect(code).toBe(0);
    const r = JSON.parse(io.stdout);
    expect(r.r0).toBe('3');
    expect(slots(r.maps.per['00000000'])).toEqual([0, 0, 0, 1]);
  });

  test('default: one CPU, the run on cpu 0', async () => {
    const { code, io } = await cli(['run', 'x.s', '--packet', '00'.repeat(64), '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(io.stdout).r0).toBe('0');
    expect(slots(JSON.parse(io.stdout).maps.per['00000000'])).toEqual([1]);
  });

  test.each(['vm', 'jit'])('%s: every packet of a capture on the CPU given', async (engine) => {
    const { code, io } = await cli(['run', 'x.s', '--engine', engine, '--cpus', '3', '--cpu', '2', '--pcap', PCAP, '--json']);
    expect(code).toBe(0);
    const r = JSON.parse(io.stdout);
    expect(r.packets).toBe(2400);
    expect(slots(r.maps.per['00000000'])).toEqual([0, 0, 2400]);
  });

  test.each(['vm', 'jit'])("%s: a trace runs each event on its own cpu and models the trace's CPUs", async (engine) => {
    const { code, io } = await cli(['run', 't.s', '--trace', 't.jsonl', '--attach', 'tracepoint/syscalls/sys_enter_execve', '--engine', engine, '--json']);
    expect(io.stderr).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(io.stdout);
    expect(r.runs).toBe(5);
    expect(slots(r.maps.per['00000000'])).toEqual([1, 1, 3]);
  });

  test('a trace with --cpus models that many CPUs', async () => {
    const { code, io } = await cli(['run', 't.s', '--trace', 't.jsonl', '--attach', 'tracepoint/syscalls/sys_enter_execve', '--cpus', '5', '--json']);
    expect(code).toBe(0);
    expect(slots(JSON.parse(io.stdout).maps.per['00000000'])).toEqual([1, 1, 3, 0, 0]);
  });

  test.each([
    [['x.s', '--cpu', '1'], /--cpu 1 is outside the CPUs modelled \(0\.\.0; give --cpus\)/],
    [['x.s', '--cpus', '2', '--cpu', '2'], /--cpu 2 is outside the CPUs modelled \(0\.\.1/],
    [['x.s', '--cpus', '0'], /--cpus must be 1\.\.8192 \(got 0\)/],
    [['x.s', '--cpus', '8193'], /--cpus must be 1\.\.8192/],
    [['x.s', '--cpus', 'two'], /--cpus needs a non-negative whole number/],
    [['x.s', '--cpus', '2', '--engine', 'kernel'], /the kernel engine runs on this host's/],
    [['t.s', '--trace', 't.jsonl', '--attach', 'tracepoint/syscalls/sys_enter_execve', '--cpu', '1'], /--trace runs each event on its own cpu/],
    [['t.s', '--trace', 't.jsonl', '--attach', 'tracepoint/syscalls/sys_enter_execve', '--cpus', '2'], /t\.jsonl: line 2: the event ran on cpu 2; --cpus 2 models cpus 0\.\.1/],
  ])('bad input %j: exit 2 and one line', async (argv, message) => {
    const { code, io } = await cli(['run', ...argv]);
    expect(code).toBe(2);
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
    expect(io.stderr).toMatch(message);
    expect(io.stderr).not.toContain('internal error');
  });
});
