/**
 * bpf_tail_call's limits on the live kernel, the VM and both JIT modes: a program counting its
 * runs in an array map and tail-calling itself runs 1 + MAX_TAIL_CALL_CNT (33) times, then falls
 * through; an index past max_entries falls through at once. (The JIT's tail-call template is
 * proven against the VM in src/smt/jit-calls.ts; the limit and the index check are decided by
 * the helper both engines run, checked here against the kernel.)
 */
import { describe, expect, it } from 'vitest';
import { Jit, type JitMode } from '../../src/jit/index.js';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import type { BpfMap, ProgArrayMap } from '../../src/runtime/maps/types.js';
import { Vm } from '../../src/vm/index.js';

const avail = kernelAvailable();
if (!avail.ok) console.log(`skipping the kernel side of the tail-call tests: ${avail.reason}`);

const selfTail = (index: number): Program => {
  const a = assemble(`.map jt prog_array key=4 value=4 entries=1
.map cnt array key=4 value=8 entries=1
    r6 = r1
    r1 = 0
    *(u32 *)(r10 -4) = r1
    r2 = r10
    r2 += -4
    r1 = map[cnt]
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = *(u64 *)(r0 +0)
    r1 += 1
    *(u64 *)(r0 +0) = r1
  out:
    r1 = r6
    r2 = map[jt]
    r3 = ${index}
    call bpf_tail_call
    r0 = 7
    exit`);
  return { name: 'self_tail', section: 'socket', type: 'socket_filter', insns: a.insns, maps: a.maps, license: 'GPL' };
};

/** Runs of the program (the counter) and r0, on an engine whose slot 0 holds the program itself. */
function onEngine(p: Program, engine: 'vm' | JitMode): { runs: bigint; r0: bigint } {
  const runner: { maps: BpfMap[]; run: (i: { packet: Uint8Array }) => { r0: bigint; error?: unknown } } = engine === 'vm' ? new Vm(p, {}) : new Jit(p, { mode: engine });
  (runner.maps[0] as ProgArrayMap).setProgram(0, p);
  const r = runner.run({ packet: new Uint8Array(64) });
  expect(r.error).toBeUndefined();
  const v = runner.maps[1]!.lookup(new Uint8Array(4));
  return { runs: new DataView(v.buffer, v.byteOffset).getBigUint64(0, true), r0: r.r0 };
}

describe('bpf_tail_call: MAX_TAIL_CALL_CNT and an index out of range', () => {
  for (const [index, runs] of [[0, 34n], [5, 1n]] as const) {
    it(`index ${index}: ${runs} run(s), then r0 = 7 (VM, JIT checked and trusted${avail.ok ? ', live kernel' : ''})`, () => {
      const p = selfTail(index);
      for (const engine of ['vm', 'checked', 'trusted'] as const) expect(onEngine(p, engine), engine).toEqual({ runs, r0: 7n });
      if (!avail.ok) return;
      const k = runInKernel(p, { data: new Uint8Array(64), tailCalls: [{ map: 'jt', index: 0, program: p }] });
      expect(k.load.verdict).toBe('accept');
      expect(k.run?.retval).toBe(7);
      const v = k.maps[1]!.entries[0]![1];
      expect(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)).toBe(runs);
    });
  }
});
