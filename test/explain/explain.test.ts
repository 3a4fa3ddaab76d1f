/**
 * Focused cases for `explain`: real failures whose witnesses need packet bytes, map contents,
 * helper results and loop unrolling; false alarms the verifier raises through operations it
 * tracks imprecisely; undecided constructs; the path recovered from the log; the CLI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { loadAsmProgram } from '../../src/loader/asm.js';
import { closeExplain, explainProgram } from '../../src/smt/explain/index.js';
import { pathFromLog } from '../../src/smt/explain/path.js';
import { verify } from '../../src/verifier/index.js';

const prog = (text: string) => loadAsmProgram(text, 'test.s', {});
const explain = (text: string) => explainProgram(prog(text));

afterAll(async () => {
  await closeExplain();
});

// reads 4 bytes at offset 20 after proving only 14
const PACKET_OOB = `.type xdp
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)
    r4 = r2
    r4 += 14
    if r4 > r3 goto out
    r0 = *(u32 *)(r2 +20)
out:
    r0 = 2
    exit
`;

// (len & 7) / 2 is at most 3, but the verifier does not track division: a false alarm
const FALSE_ALARM_DIV = `.type socket_filter
.map m array key=4 value=8 entries=1
    r6 = *(u32 *)(r1 +0)
    r6 &= 7
    r6 /= 2
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[m]
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r0 += r6
    r0 = *(u8 *)(r0 +0)
out:
    r0 = 0
    exit
`;

// r5 = x - x is 0, but the verifier's subtraction of two unknowns is unknown
const FALSE_ALARM_SUB = `.type xdp
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)
    r4 = r3
    r4 -= r2
    r5 = r4
    r5 -= r4
    r6 = r2
    r6 += 1
    if r6 > r3 goto out
    r2 += r5
    r0 = *(u8 *)(r2 +0)
out:
    r0 = 2
    exit
`;

describe('explain: real failures', () => {
  it('a packet read past the checked length: the witness is short enough and the VM faults there', async () => {
    const e = await explain(PACKET_OOB);
    expect(e.feasible).toBe(true);
    expect(e.check).toBe('memory');
    expect(e.path).toEqual([0, 1, 2, 3, 4, 5]);
    const len = e.witness!.packet!.length / 2;
    expect(len).toBeGreaterThanOrEqual(14);
    expect(len).toBeLessThan(24);
    expect(e.replay!.fault).toEqual({ pc: 5, kind: 'out_of_bounds', region: 'packet', offset: 20, size: 4 });
    expect(e.replay!.reproduced).toBe(true);
  });

  it('map contents: the witness stores the value the path compares with', async () => {
    const e = await explain(`.type socket_filter
.map h hash key=4 value=8 entries=4
    *(u32 *)(r10 -4) = 7
    r2 = r10
    r2 += -4
    r1 = map[h]
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = *(u64 *)(r0 +0)
    if r1 != 0x1234 goto out
    r0 = *(u32 *)(r0 +6)
out:
    r0 = 0
    exit
`);
    expect(e.feasible).toBe(true);
    expect(Object.keys(e.witness!.maps.h!)).toEqual(['07000000']);
    expect(e.witness!.maps.h!['07000000']).toBe('3412000000000000');
    expect(e.replay!.fault).toMatchObject({ pc: 9, kind: 'out_of_bounds', region: 'map_value', offset: 6, size: 4 });
  });

  it('a NULL lookup result: the witness leaves the key out of the map', async () => {
    const e = await explain(`.type socket_filter
.map h hash key=4 value=8 entries=4
    *(u32 *)(r10 -4) = 1
    r2 = r10
    r2 += -4
    r1 = map[h]
    call bpf_map_lookup_elem
    r0 = *(u64 *)(r0 +0)
    exit
`);
    expect(e.error!.kind).toBe('null_pointer');
    expect(e.feasible).toBe(true);
    expect(e.witness!.maps).toEqual({});
    expect(e.replay!.fault).toMatchObject({ pc: 6, kind: 'null' });
  });

  it('a helper result: the witness picks it and the replay forces it', async () => {
    const e = await explain(`.type socket_filter
    call bpf_get_prandom_u32
    if r0 != 77 goto out
    *(u64 *)(r10 -520) = r0
out:
    r0 = 0
    exit
`);
    expect(e.feasible).toBe(true);
    expect(e.witness!.helpers).toEqual([{ pc: 0, helper: 'get_prandom_u32', r0: '77' }]);
    expect(e.replay!.fault).toMatchObject({ pc: 2, region: 'stack', offset: -520, size: 8 });
    expect(e.replay!.reproduced).toBe(true);
  });

  it('a loop on the path is unrolled: four iterations, then the access at offset 12 of an 8-byte value', async () => {
    const e = await explain(`.type socket_filter
.map m array key=4 value=8 entries=1
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[m]
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r6 = 0
loop:
    r6 += 3
    if r6 < 12 goto loop
    r0 += r6
    r0 = *(u8 *)(r0 +0)
out:
    r0 = 0
    exit
`);
    expect(e.feasible).toBe(true);
    expect(e.path.filter((pc) => pc === 9)).toHaveLength(4);
    expect(e.replay!.fault).toMatchObject({ kind: 'out_of_bounds', region: 'map_value', offset: 12, size: 1 });
    expect(e.bound.maxPathLength).toBeGreaterThan(1000);
  });

  it('return values: a cgroup_skb verdict out of [0, 1] is reproduced by the VM run', async () => {
    const e = await explain(`.type cgroup_skb
    r0 = *(u32 *)(r1 +0)
    r0 &= 3
    exit
`);
    expect(e.error!.kind).toBe('return_range');
    expect(e.feasible).toBe(true);
    expect(BigInt(e.replay!.r0!)).toBeGreaterThan(1n);
    expect(e.replay!.reproduced).toBe(true);
  });
});

describe('explain: false alarms', () => {
  it('division the verifier does not track: infeasible, imprecise at the division', async () => {
    const e = await explain(FALSE_ALARM_DIV);
    expect(e.feasible).toBe(false);
    expect(e.witness).toBeNull();
    expect(e.imprecision!.pc).toBe(2);
    expect(e.imprecision!.abstract).toContain('R6=scalar()');
    expect(e.imprecision!.concrete).toContain('R6: u64 [0, 3]');
  });

  it('x - x with x unknown: infeasible, imprecise at the subtraction (not at the copy the verifier links)', async () => {
    const e = await explain(FALSE_ALARM_SUB);
    expect(e.feasible).toBe(false);
    expect(e.imprecision!.pc).toBe(5);
    expect(e.imprecision!.concrete).toContain('R5: {0}');
  });
});

describe('explain: undecided and accepted', () => {
  it('an LPM trie lookup is not modelled: feasible null with the reason', async () => {
    const e = await explain(`.type socket_filter
.map t lpm_trie key=8 value=8 entries=4 flags=1
    *(u64 *)(r10 -8) = 0
    r2 = r10
    r2 += -8
    r1 = map[t]
    call bpf_map_lookup_elem
    r0 = *(u64 *)(r0 +0)
    exit
`);
    expect(e.verdict).toBe('reject');
    expect(e.feasible).toBeNull();
    expect(e.reason).toMatch(/lpm_trie/);
  });

  it('an accepted program has nothing to explain', async () => {
    const e = await explain('.type socket_filter\n    r0 = 0\n    exit\n');
    expect(e.verdict).toBe('accept');
    expect(e.feasible).toBeNull();
    expect(e.path).toEqual([]);
  });
});

describe('the failing path from the verifier log', () => {
  it('follows the pending branch the failing state came from', () => {
    const p = prog(`.type kprobe
.map rb ringbuf key=0 value=0 entries=4096
    r1 = map[rb]
    r2 = 8
    r3 = 0
    call bpf_ringbuf_reserve
    if r0 == 0 goto out
    r7 = r0
    call bpf_get_prandom_u32
    if r0 == 1 goto out
    r1 = r7
    r2 = 0
    call bpf_ringbuf_submit
out:
    r0 = 0
    exit
`);
    const r = verify(p, { log: true });
    expect(r.error!.kind).toBe('reference_leak');
    const lp = pathFromLog(r.log!, r.error!.pc)!;
    expect(lp.path).toEqual([0, 2, 3, 4, 5, 6, 7, 8, 12, 13]);
    expect(lp.before).toHaveLength(lp.path.length);
    expect(lp.before[9]![7]).toMatch(/^ringbuf_mem/);
  });
});

describe('bpflab explain (CLI)', () => {
  it('--json gives SPEC 4b and exit 1 for a real failure', async () => {
    const io = memoryIo({ 'p.s': PACKET_OOB });
    const code = await main(['explain', 'p.s', '--json'], io);
    expect(code).toBe(1);
    const doc = JSON.parse(io.stdout) as { file: string; programs: Record<string, unknown>[] };
    expect(doc.file).toBe('p.s');
    const p = doc.programs[0]!;
    for (const k of ['name', 'verdict', 'error', 'path', 'feasible', 'reason', 'witness', 'replay', 'imprecision']) expect(p).toHaveProperty(k);
    expect(p.feasible).toBe(true);
  });

  it('text output and exit 0 for a false alarm', async () => {
    const io = memoryIo({ 'fa.s': FALSE_ALARM_DIV });
    const code = await main(['explain', 'fa.s'], io);
    expect(code).toBe(0);
    expect(io.stdout).toContain('FALSE ALARM');
    expect(io.stdout).toContain('imprecise instruction 2: r6 /= 2');
  });

  it('bad input: exit 2 with one line', async () => {
    const io = memoryIo({ 'bad.s': 'r0 = = 1\n' });
    const code = await main(['explain', 'bad.s'], io);
    expect(code).toBe(2);
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
  });

  // add1(int *x) is global: the kernel verifies it alone, for any x its prototype allows, NULL included
  const bpf2bpf = resolve(import.meta.dirname, '../../../shared/corpus-samples/build/bpf2bpf.o');
  it.skipIf(!existsSync(bpf2bpf))('a global function verified on its own: its arguments are the prototype\'s (a NULL pointer argument is real)', async () => {
    const [func] = (await loadFile(bpf2bpf, new Uint8Array(readFileSync(bpf2bpf)), { type: 'socket_filter' })).filter((p) => p.name === 'func');
    const e = await explainProgram(func!, { noImprecision: true });
    expect(e.path[0]).not.toBe(0);
    expect(e.feasible).toBe(true);
    expect(e.reason).toMatch(/^real: .*can be NULL.*global function at pc \d+ allows/);
    // nothing to replay from the program's entry, and no program input to show
    expect(e.witness).toBeNull();
    expect(e.replay).toBeNull();
  });

  it('a path that needs never-written stack bytes to hold earlier data: real (the kernel does not clear the stack), not replayed on the zeroed VM stack', async () => {
    const e = await explain(`.type socket_filter
    r2 = *(u8 *)(r10 -8)
    if r2 == 0 goto out
    r0 = 0
    r0 = *(u64 *)(r0 +0)
out:
    r0 = 0
    exit
`);
    expect(e.feasible).toBe(true);
    expect(e.reason).toMatch(/^real: .*hold earlier data, which the kernel does not clear/);
    expect(e.replay).toBeNull();
    expect(e.witness).toBeNull();
  });
});
