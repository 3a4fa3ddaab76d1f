/**
 * LRU hash maps evict as the kernel's bpf_lru_list.c does (fuzz finding 7f779d): random traces of
 * user-space and program updates, lookups and deletes on lru_hash / lru_percpu_hash, with and
 * without BPF_F_NO_COMMON_LRU, replayed on bpflab's map and on a kernel map (the program side
 * through BPF_PROG_TEST_RUN), every return code and the surviving keys compared after each step.
 * The kernel side runs pinned to one CPU (onOneCpu), as bpflab's model makes every call on one.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { MapType, Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, mapCreate, onCpu, onOneCpu, possibleCpus, progLoad, progTestRun, runInKernel } from '../../src/kernel/index.js';
import { BPF_F_NO_COMMON_LRU, createMap, type BpfMap } from '../../src/runtime/maps/index.js';
import { Vm } from '../../src/vm/index.js';
import { kernelResultDiff } from '../../src/fuzz/oracles/kernel.js';
import { vmEngine } from '../../src/fuzz/engines.js';
import { errnoOf, spec, u32 } from './util.js';

const avail = kernelAvailable();
if (!avail.ok) console.log(`skipping LRU eviction comparisons with the kernel: ${avail.reason}`);

/** An XDP program doing one map operation read from the packet: op (0..2 update with those flags, 3 lookup, 4 delete), key. */
function opProgram(type: MapType, entries: number, flags: number): Program {
  const a = assemble(`.type xdp
.map m ${type} key=4 value=8 entries=${entries} flags=${flags}
    r6 = *(u32 *)(r1 +0)
    r7 = *(u32 *)(r1 +4)
    r2 = r6
    r2 += 8
    r0 = 99
    if r2 > r7 goto out
    r8 = *(u32 *)(r6 +0)
    r9 = *(u32 *)(r6 +4)
    *(u32 *)(r10 -4) = r9
    *(u64 *)(r10 -16) = r9
    if r8 == 3 goto lookup
    if r8 == 4 goto del
    r1 = map[m]
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = r8
    call bpf_map_update_elem
    goto out
lookup:
    r1 = map[m]
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r0 = 1
    goto out
del:
    r1 = map[m]
    r2 = r10
    r2 += -4
    call bpf_map_delete_elem
out:
    exit
`);
  return { name: 'lru_ops', section: '', type: 'xdp', insns: a.insns, maps: a.maps, license: 'GPL' };
}

type Step = [side: 'user' | 'prog', op: number, key: number];

/** xorshift32: the same traces on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

function randomTrace(seed: number, steps: number, keys: number): Step[] {
  const r = rng(seed * 7919);
  const out: Step[] = [];
  for (let i = 0; i < steps; i++) {
    const x = r();
    const op = x < 0.45 ? 0 : x < 0.55 ? 1 : x < 0.62 ? 2 : x < 0.85 ? 3 : 4;
    out.push([r() < 0.5 ? 'user' : 'prog', op, Math.floor(r() * keys)]);
  }
  return out;
}

const value = (key: number): Uint8Array => Uint8Array.of(key & 0xff, key >>> 8, 0, 0, 0, 0, 0, 0);
const keysOf = (next: (k: Uint8Array | null) => Uint8Array | undefined): string => {
  const ks: number[] = [];
  for (let k = next(null); k; k = next(k)) ks.push(new DataView(k.buffer, k.byteOffset).getUint32(0, true));
  return ks.sort((a, b) => a - b).join(',');
};

/** bpflab's side of one step (a program's on `cpu`): the helper's return or the user-space errno ('ok'). */
function bpflabStep(m: BpfMap, [side, op, key]: Step, cpu = 0): number | string {
  if (side === 'prog') {
    if (op <= 2) return m.updateFromProgram(u32(key), value(key), op, cpu);
    if (op === 3) return m.lookupRef(u32(key), cpu) ? 1 : 0;
    return m.deleteFromProgram(u32(key), cpu);
  }
  if (op <= 2) return errnoOf(() => m.update(u32(key), m.cpus > 1 ? new Uint8Array(8 * m.cpus).fill(key & 0xff) : value(key), op));
  if (op === 3) return errnoOf(() => m.lookup(u32(key)));
  return errnoOf(() => m.delete(u32(key)));
}

/**
 * Replays `trace` on both sides; the first step where they differ (with the steps before), or null.
 * Every call is made on one CPU, or with `progCpu`, user space on CPU 0 and programs on `progCpu`.
 */
function firstDifference(type: MapType, entries: number, flags: number, trace: Step[], progCpu?: number): string | null {
  const p = opProgram(type, entries, flags);
  const cpus = possibleCpus();
  const mine = createMap(p.maps[0]!, { cpus: type === 'lru_percpu_hash' ? cpus : 1, possibleCpus: cpus });
  const km = mapCreate(p.maps[0]!);
  const load = progLoad(p, { logLevel: 1, maps: [km] });
  if (load.fd === null) throw new Error(`the kernel rejected the LRU op program: ${load.log}`);
  const fd = load.fd;
  const seen: string[] = [];
  try {
    const on = <T>(side: Step[0], f: () => T): T => (progCpu === undefined ? f() : onCpu(side === 'prog' ? progCpu : 0, f));
    return onOneCpu(() => {
      for (const step of trace) {
        const [side, op, key] = step;
        let k: number | string;
        if (side === 'prog') {
          const data = new Uint8Array(16);
          new DataView(data.buffer).setUint32(0, op, true);
          new DataView(data.buffer).setUint32(4, key, true);
          k = on(side, () => progTestRun(fd, { data }).retval | 0);
        } else if (op <= 2) k = on(side, () => errnoOf(() => km.update(u32(key), new Uint8Array(8 * km.cpus).fill(key & 0xff), op)));
        else if (op === 3) k = on(side, () => errnoOf(() => km.lookup(u32(key))));
        else k = on(side, () => errnoOf(() => km.delete(u32(key))));
        const b = bpflabStep(mine, step, progCpu ?? 0);
        const kk = keysOf((x) => km.nextKey(x)), bk = keysOf((x) => mine.nextKey(x));
        seen.push(`${side} ${op} ${key}: kernel ${k} [${kk}], bpflab ${b} [${bk}]`);
        if (k !== b || kk !== bk) return seen.slice(-6).join('\n');
      }
      return null;
    });
  } finally {
    closeFd(fd);
    km.close();
  }
}

const variants: Array<[MapType, number]> = [['lru_hash', 0], ['lru_hash', BPF_F_NO_COMMON_LRU], ['lru_percpu_hash', 0], ['lru_percpu_hash', BPF_F_NO_COMMON_LRU]];

describe('LRU maps: bpflab vs the kernel (7f779d)', () => {
  it('finding 7f779d: a 2-entry lru_hash loses key 0 when key 1 is written twice, on the VM as in the kernel', () => {
    const p = assemble(`.type xdp
.map map0 lru_hash key=4 value=8 entries=2
    *(u32 *)(r10 -4) = 1
    *(u64 *)(r10 -16) = 0
    r6 = 2
again:
    r1 = map[map0]
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = 0
    call bpf_map_update_elem
    r6 += -1
    if r6 != 0 goto again
    *(u32 *)(r10 -4) = 0
    r1 = map[map0]
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r0 = *(u8 *)(r0 +0)
out:
    exit
`);
    const prog: Program = { name: 'f7f779d', section: '', type: 'xdp', insns: p.insns, maps: p.maps, license: 'GPL' };
    const fill = [{ map: 'map0', key: u32(0), value: Uint8Array.of(0x70, 0, 0, 0, 0, 0, 0, 0) }];
    const vm = new Vm(prog);
    vm.maps[0]!.update(fill[0]!.key, fill[0]!.value);
    // The second update of key 1 takes a third node: with one free per refill, the oldest inactive element (key 0) goes.
    expect(vm.run({ packet: new Uint8Array(14) }).r0).toBe(0n);
    if (!avail.ok) return;
    const k = runInKernel(prog, { data: new Uint8Array(14), fill });
    expect(k.load.verdict, k.load.log).toBe('accept');
    expect(k.run!.retval).toBe(0);
  });

  for (const [type, flags] of variants) {
    it.skipIf(!avail.ok)(`${type}${flags ? ' BPF_F_NO_COMMON_LRU' : ''}: random traces, sizes 1..300`, () => {
      for (const [entries, steps, seeds] of [[1, 30, 3], [2, 40, 4], [3, 40, 3], [5, 60, 3], [17, 120, 2], [64, 300, 1], [300, 700, 1]] as const) {
        for (let seed = 1; seed <= seeds; seed++) {
          const d = firstDifference(type, entries, flags, randomTrace(seed + entries * 100, steps, Math.max(3, Math.ceil(entries * 1.5))));
          expect(d, `${type} entries=${entries} seed=${seed}`).toBeNull();
        }
      }
    }, 120_000);
  }
});

/** A random XDP program of updates (with flags), lookups (their hits as r0's bits) and deletes on one lru_hash. */
function randomLruProgram(r: () => number): Program {
  const entries = 1 + Math.floor(r() * 8);
  const flags = r() < 0.3 ? BPF_F_NO_COMMON_LRU : 0;
  const keys = entries + 2;
  let body = '';
  for (let i = 0, n = 2 + Math.floor(r() * 8); i < n; i++) {
    const k = Math.floor(r() * keys), op = r();
    body += `    *(u32 *)(r10 -4) = ${k}\n    r1 = map[m]\n    r2 = r10\n    r2 += -4\n`;
    if (op < 0.5) body += `    *(u64 *)(r10 -16) = ${i + 1}\n    r3 = r10\n    r3 += -16\n    r4 = ${Math.floor(r() * 3)}\n    call bpf_map_update_elem\n`;
    else if (op < 0.85) body += `    call bpf_map_lookup_elem\n    r6 <<= 1\n    if r0 == 0 goto l${i}\n    r6 |= 1\nl${i}:\n`;
    else body += `    call bpf_map_delete_elem\n`;
  }
  const a = assemble(`.type xdp\n.map m lru_hash key=4 value=8 entries=${entries} flags=${flags}\n    r6 = 0\n${body}    r0 = r6\n    exit\n`);
  return { name: 'lru_random', section: '', type: 'xdp', insns: a.insns, maps: a.maps, license: 'GPL' };
}

describe('LRU maps used from two CPUs: bpflab vs the kernel', () => {
  // (a CPU's local free and pending lists, nodes stolen from another CPU's: user space on CPU 0, programs on CPU 1)
  it.skipIf(!avail.ok || possibleCpus() < 2)('random traces, programs on CPU 1', () => {
    for (const [type, flags] of variants)
      for (const [entries, steps] of [[1, 30], [2, 40], [5, 60], [12, 80]] as const) {
        const d = firstDifference(type, entries, flags, randomTrace(entries * 31 + flags, steps, entries + 3), 1);
        expect(d, `${type} flags=${flags} entries=${entries}`).toBeNull();
      }
  }, 120_000);
});

describe('the kernel oracle on LRU programs', () => {
  it.skipIf(!avail.ok)('finds no difference between the VM and the kernel (r0 and lru_hash contents)', () => {
    const r = rng(4242);
    const seen: string[] = [];
    for (let n = 0; n < 60; n++) {
      const p = randomLruProgram(r);
      const fills = Array.from({ length: Math.floor(r() * 4) }, (_, f) => ({ map: 0, key: u32(Math.floor(r() * 10)), value: value(0x70 + f) }));
      const d = kernelResultDiff(p, { packet: new Uint8Array(14), ctx: new Uint8Array(0), maps: fills, seed: 0 }, vmEngine);
      if (d) seen.push(`${n}: ${d.message}`);
    }
    expect(seen).toEqual([]);
  }, 120_000);
});

describe('LRU eviction model (bpf_lru_list.c) on a 2-CPU machine', () => {
  // (outcomes read from Linux 6.18 on a 2-CPU machine, process pinned to one CPU; checked here without the kernel)
  const run = (type: MapType, entries: number, flags: number, steps: Step[]): string => {
    const m = createMap(spec(type, 4, 8, entries, flags), { possibleCpus: 2 });
    for (const s of steps) bpflabStep(m, s);
    return keysOf((x) => m.nextKey(x));
  };
  const ups = (...keys: number[]): Step[] => keys.map((k) => ['user', 0, k]);
  it('a 4-entry common-LRU map holds 4 distinct keys; the fifth evicts the oldest', () => {
    expect(run('lru_hash', 4, 0, ups(1, 2, 3, 4))).toBe('1,2,3,4');
    expect(run('lru_hash', 4, 0, ups(1, 2, 3, 4, 5))).toBe('2,3,4,5');
  });
  it('a program lookup (reference bit) saves an element from eviction; a user-space lookup does not', () => {
    expect(run('lru_hash', 4, 0, [...ups(1, 2, 3, 4), ['prog', 3, 1], ...ups(5, 6)])).toBe('1,4,5,6');
    expect(run('lru_hash', 4, 0, [...ups(1, 2, 3, 4), ['user', 3, 1], ...ups(5, 6)])).toBe('3,4,5,6');
  });
  it('a 2-entry map: rewriting one key takes a node each time and evicts the other key', () => {
    expect(run('lru_hash', 2, 0, [['user', 0, 0], ['prog', 0, 1], ['prog', 0, 1]])).toBe('1');
  });
  it('BPF_F_NO_COMMON_LRU: one CPU owns max_entries / CPUs nodes and shrinks 4 at a time', () => {
    expect(run('lru_hash', 8, BPF_F_NO_COMMON_LRU, ups(0, 1, 2, 3, 4, 5))).toBe('4,5');
  });
});
