/**
 * The JIT's paths that random ALU/stack programs do not reach, each compared with the VM in both
 * modes: helpers and maps (array, hash, global data via direct value access), the packet as a
 * region in linear memory (XDP data/data_end, writes, bpf_xdp_adjust_head moving the window),
 * ctx fields, ring-buffer records, tail calls through a prog_array, bpf_loop callbacks,
 * LD_ABS/LD_IND, bpf-to-bpf calls, faults in helpers and in callees, repeated runs.
 */
import { describe, expect, it } from 'vitest';
import { Jit, type JitMode } from '../../src/jit/index.js';
import { assemble } from '../../src/isa/asm/index.js';
import type { ProgType, Program } from '../../src/isa/program.js';
import { createMap } from '../../src/runtime/maps/create.js';
import type { BpfMap, ProgArrayMap } from '../../src/runtime/maps/types.js';
import { Vm, type RunInput, type RunResult } from '../../src/vm/index.js';

function prog(text: string, type: ProgType = 'socket_filter'): Program {
  const a = assemble(text);
  return { name: 'test', section: '', type: a.type ?? type, insns: a.insns, maps: a.maps, license: 'GPL' };
}

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : null);

function dump(maps: readonly BpfMap[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of maps) {
    if (['prog_array', 'ringbuf', 'perf_event_array', 'queue', 'stack'].includes(m.spec.type)) continue;
    const rows: string[] = [];
    for (let k = m.nextKey(null); k; k = m.nextKey(k)) rows.push(`${hex(k)}=${hex(m.lookup(k))}`);
    out[m.spec.name] = rows;
  }
  return out;
}

function summary(r: RunResult, maps: readonly BpfMap[], mode: 'vm' | JitMode) {
  return {
    r0: r.r0, fault: r.fault?.toJSON() ?? null, error: r.error ? { kind: r.error.kind, pc: r.error.pc } : null,
    ldAbsExit: r.ldAbsExit ?? null, trace: r.trace, packet: hex(r.packet), ctx: hex(r.ctx), mem: hex(r.mem),
    tailCalls: r.tailCalls, maxDepth: r.maxDepth, maps: dump(maps),
    // the trusted JIT does not count instructions
    steps: mode === 'trusted' ? null : r.steps,
  };
}

/** Runs `program` on the VM and on the JIT in both modes (each with fresh maps set up by `setup`), `times` runs each. */
function agree(program: Program, input: RunInput, opts: { setup?: (maps: BpfMap[]) => void; times?: number; modes?: JitMode[] } = {}) {
  const fresh = () => {
    const maps = program.maps.map((s) => {
      const m = createMap(s);
      if (s.initial) m.update(new Uint8Array(s.keySize), s.initial);
      return m;
    });
    opts.setup?.(maps);
    return maps;
  };
  const runs = opts.times ?? 1;
  const vmMaps = fresh();
  const vm = new Vm(program, { maps: vmMaps });
  const want: ReturnType<typeof summary>[] = [];
  for (let i = 0; i < runs; i++) want.push(summary(vm.run({ ...input, packet: input.packet?.slice() }), vmMaps, 'vm'));
  for (const mode of opts.modes ?? (['checked', 'trusted'] as JitMode[])) {
    const maps = fresh();
    const jit = new Jit(program, { mode, maps });
    for (let i = 0; i < runs; i++) {
      const got = summary(jit.run({ ...input, packet: input.packet?.slice() }), maps, mode);
      expect(got, `${mode}, run ${i}`).toEqual({ ...want[i]!, steps: mode === 'trusted' ? null : want[i]!.steps });
    }
  }
  return want[runs - 1]!;
}

const pkt = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);

describe('JIT agrees with the VM beyond plain ALU and stack code', () => {
  it('array and hash maps through helpers, map values read and written in place', () => {
    const p = prog(`
      .map counters array key=4 value=8 entries=16
      .map seen hash key=4 value=8 entries=64
        r6 = 40
        r7 = 0
      loop:
        r1 = r6
        r1 &= 15
        *(u32 *)(r10 -4) = r1
        r2 = r10
        r2 += -4
        r1 = map[counters]
        call bpf_map_lookup_elem
        if r0 == 0 goto next
        r1 = *(u64 *)(r0 +0)
        r1 += r6
        *(u64 *)(r0 +0) = r1
        lock *(u64 *)(r0 +0) += r6
        r7 += r1
        *(u64 *)(r10 -16) = r7
        r2 = r10
        r2 += -4
        r3 = r10
        r3 += -16
        r1 = map[seen]
        r4 = 0
        call bpf_map_update_elem
      next:
        r6 -= 1
        if r6 != 0 goto loop
        r0 = r7
        exit`);
    const r = agree(p, { packet: new Uint8Array(64) }, { times: 3 });
    expect(r.maps['seen']!.length).toBe(16);
  });

  it('global data through direct value access (ld_imm64 map_value)', () => {
    const p = prog(`
      .map data array key=4 value=16 entries=1
        r1 = map_value[data] + 8
        r2 = *(u64 *)(r1 +0)
        r2 += 5
        *(u64 *)(r1 +0) = r2
        *(u32 *)(r1 -4) = r2
        r0 = r2
        exit`);
    agree(p, { packet: new Uint8Array(64) }, { times: 2 });
  });

  it('XDP: packet pointers from the ctx, bounds checks, writes, adjust_head moving the window', () => {
    const p = prog(`
      .type xdp
        r6 = r1
        r2 = *(u32 *)(r6 +0)
        r3 = *(u32 *)(r6 +4)
        r4 = r2
        r4 += 14
        if r4 > r3 goto drop
        r5 = *(u16 *)(r2 +12)
        r0 = *(u8 *)(r2 +0)
        r0 += 1
        *(u8 *)(r2 +0) = r0
        *(u16 *)(r2 +6) = r5
        r1 = r6
        r2 = 4
        call bpf_xdp_adjust_head
        if r0 != 0 goto drop
        r2 = *(u32 *)(r6 +0)
        r3 = *(u32 *)(r6 +4)
        r4 = r2
        r4 += 8
        if r4 > r3 goto drop
        r0 = *(u32 *)(r2 +4)
        *(u32 *)(r2 +0) = r0
        r0 = 2
        exit
      drop:
        r0 = 1
        exit`, 'xdp');
    const r = agree(p, { packet: pkt(60) });
    expect(r.r0).toBe(2n);
    // out of the packet: the same fault on both engines (checked; the verifier would refuse this program)
    const bad = prog(`
      .type xdp
        r2 = *(u32 *)(r1 +0)
        r0 = *(u64 *)(r2 +58)
        exit`, 'xdp');
    expect(agree(bad, { packet: pkt(60) }, { modes: ['checked'] }).fault).toMatchObject({ kind: 'out_of_bounds', region: 'packet', offset: 58 });
  });

  it('__sk_buff fields, LD_ABS / LD_IND and a too-short packet', () => {
    const p = prog(`
        r6 = r1
        r7 = *(u32 *)(r6 +0)
        r0 = *(u16 *)skb[12]
        r8 = r0
        r1 = 20
        r0 = *(u32 *)skb[r1 + 2]
        r0 += r8
        r0 += r7
        r1 = 200
        r0 = *(u8 *)skb[r1 + 0]
        r0 = 9
        exit`, 'sched_cls');
    const r = agree(p, { packet: pkt(60) });
    expect(r.ldAbsExit).toBe(9);
  });

  it('ring-buffer records (regions outside linear memory) and trace_printk', () => {
    const p = prog(`
      .map rb ringbuf key=0 value=0 entries=4096
        r1 = map[rb]
        r2 = 16
        r3 = 0
        call bpf_ringbuf_reserve
        if r0 == 0 goto out
        r6 = r0
        r1 = 0x1122334455667788 ll
        *(u64 *)(r6 +0) = r1
        *(u32 *)(r6 +8) = r1
        r2 = *(u64 *)(r6 +0)
        r1 = r6
        r2 = 0
        call bpf_ringbuf_submit
        r1 = 0x000a6425
        *(u32 *)(r10 -8) = r1
        r1 = r10
        r1 += -8
        r2 = 4
        r3 = 42
        call bpf_trace_printk
      out:
        r0 = 0
        exit`);
    const r = agree(p, { packet: new Uint8Array(64) });
    expect(r.trace.length).toBe(1);
  });

  it('tail calls through a prog_array (to itself, to another program, to an empty slot)', () => {
    const text = `.map jt prog_array key=4 value=4 entries=2
        r6 = r1
        r7 = *(u32 *)(r6 +0)
        *(u64 *)(r10 -8) = r7
        r1 = r6
        r2 = map[jt]
        r3 = 0
        call bpf_tail_call
        r0 = 77
        exit`;
    const p = prog(text);
    const other = prog('r0 = *(u64 *)(r10 -8)\nr0 += 5\nexit');
    const r = agree(p, { packet: new Uint8Array(64) }, { setup: (maps) => (maps[0] as ProgArrayMap).setProgram(0, p) });
    expect(r.tailCalls).toBe(33);
    // the target sees the caller's stack frame (the kernel reuses it): skb->len (64 - 14 for a socket filter) + 5
    expect(agree(p, { packet: new Uint8Array(64) }, { setup: (maps) => (maps[0] as ProgArrayMap).setProgram(0, other) }).r0).toBe(55n);
    expect(agree(p, { packet: new Uint8Array(64) }).r0).toBe(77n);
  });

  it('bpf_loop callbacks (a new frame per call) and bpf-to-bpf calls', () => {
    const p = prog(`
        r6 = 3
        *(u64 *)(r10 -8) = r6
        r1 = 10
        r2 = subprog[cb]
        r3 = r10
        r3 += -8
        r4 = 0
        call bpf_loop
        r7 = r0
        r1 = 5
        call sum
        r0 += r7
        r1 = *(u64 *)(r10 -8)
        r0 += r1
        exit
      cb:
        r3 = *(u64 *)(r2 +0)
        r3 += r1
        *(u64 *)(r2 +0) = r3
        *(u64 *)(r10 -8) = r1
        r0 = 0
        if r1 < 7 goto +1
        r0 = 1
        exit
      sum:
        r0 = r1
        if r1 == 0 goto +3
        r1 -= 1
        call sum
        r0 += 1
        exit`);
    const r = agree(p, { entry: 'mem' });
    expect(r.maxDepth).toBe(6);
  });

  it('faults raised inside helpers and inside callees carry the right pc', () => {
    const inHelper = prog(`
      .map m array key=4 value=8 entries=4
        r1 = map[m]
        r2 = r10
        r2 += -520
        call bpf_map_lookup_elem
        r0 = 1
        exit`);
    expect(agree(inHelper, { entry: 'mem' }, { modes: ['checked'] }).fault).toMatchObject({ pc: 4 });
    const inCallee = prog(`
        r1 = 0
        call f
        exit
      f:
        *(u64 *)(r10 -8) = r1
        r0 = *(u64 *)(r1 +8)
        exit`);
    expect(agree(inCallee, { entry: 'mem' }, { modes: ['checked'] }).fault).toMatchObject({ pc: 4, kind: 'null' });
  });

  it('irreducible control flow (dispatch-loop fallback) and the step limit', () => {
    // two entries into one loop: not reducible, compiled as a dispatch loop
    const p = prog(`
        r0 = 0
        r1 = 10
        if r2 > 3 goto b
      a:
        r0 += 1
      b:
        r0 += 2
        r1 -= 1
        if r1 != 0 goto a
        exit`);
    for (const mode of ['checked', 'trusted'] as JitMode[]) expect(new Jit(p, { mode }).stats.dispatchFunctions).toBe(1);
    agree(p, { mem: new Uint8Array(8) });
    const spin = prog('l:\nr0 += 1\ngoto l\nexit');
    const vm = new Vm(spin, { maxSteps: 1001 }).run({ entry: 'mem' });
    const jit = new Jit(spin, { mode: 'checked', maxSteps: 1001 }).run({ entry: 'mem' });
    expect([jit.error?.kind, jit.error?.pc, jit.steps, jit.r0]).toEqual([vm.error?.kind, vm.error?.pc, vm.steps, vm.r0]);
  });
});
