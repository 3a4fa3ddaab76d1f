/**
 * The same operation sequences on a bpflab map and on a real kernel map (bpf() via src/kernel),
 * compared result by result: returned bytes or errno names.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MapSpec } from '../../src/isa/program.js';
import { KernelMap, kernelAvailable, mapCreate, possibleCpus } from '../../src/kernel/index.js';
import { BPF_F_NO_PREALLOC, createMap, type BpfMap, type MapOfMaps, type QueueStackMap } from '../../src/runtime/maps/index.js';
import { CREATE_CASES } from './cases.js';
import { errnoOf, hex, spec, u32 } from './util.js';

const avail = kernelAvailable();
if (!avail.ok) console.log(`skipping kernel map comparisons: ${avail.reason}`);
const cpus = avail.ok ? possibleCpus() : 1;

/** A result as a comparable string: "ok", "ok:<hex>", "end" (no next key) or the errno name. */
function outcome(f: () => Uint8Array | undefined | void): string {
  let r: Uint8Array | undefined | void;
  const e = errnoOf(() => {
    r = f();
  });
  if (e !== 'ok') return e;
  return r instanceof Uint8Array ? `ok:${hex(r)}` : r === undefined ? 'ok' : 'ok';
}

type Op =
  | { kind: 'update'; key: Uint8Array; value: Uint8Array; flags: number }
  | { kind: 'lookup'; key: Uint8Array }
  | { kind: 'delete'; key: Uint8Array }
  | { kind: 'next'; key: Uint8Array | null };

interface UserMap {
  lookup(k: Uint8Array): Uint8Array;
  update(k: Uint8Array, v: Uint8Array, f?: number): void;
  delete(k: Uint8Array): void;
  nextKey(k: Uint8Array | null): Uint8Array | undefined;
}

function apply(m: UserMap, op: Op, orderFree: boolean): string {
  switch (op.kind) {
    case 'update':
      return outcome(() => m.update(op.key, op.value, op.flags));
    case 'lookup':
      return outcome(() => m.lookup(op.key));
    case 'delete':
      return outcome(() => m.delete(op.key));
    case 'next': {
      const r = outcome(() => m.nextKey(op.key));
      // Hash maps iterate in bucket order in the kernel and insertion order here: the key after a present key is
      // order-dependent (not compared); from null or a missing key both must return some key.
      if (orderFree && op.key && r.startsWith('ok')) {
        let present = true;
        try {
          m.lookup(op.key);
        } catch {
          present = false;
        }
        if (present) return 'order-dependent';
      }
      return orderFree && r.startsWith('ok:') ? 'ok:some' : r;
    }
  }
}

/** Every key reachable by get-next-key, sorted (hash order is implementation-defined). */
function keySet(m: UserMap): string[] {
  const out: string[] = [];
  let k = m.nextKey(null);
  for (let guard = 0; k && guard < 10_000; guard++) {
    out.push(hex(k)!);
    k = m.nextKey(k);
  }
  return out.sort();
}

function runBoth(s: MapSpec, ops: Op[], orderFree: boolean): void {
  const mine = createMap(s, { cpus });
  const kern = mapCreate(s);
  try {
    ops.forEach((op, i) => {
      const a = apply(mine, op, orderFree);
      const b = apply(kern, op, orderFree);
      expect(a, `step ${i} ${op.kind}: bpflab ${a}, kernel ${b}`).toBe(b);
    });
    if (s.type !== 'queue' && s.type !== 'stack') expect(keySet(mine)).toEqual(keySet(kern));
  } finally {
    kern.close();
  }
}

const flagsArb = fc.constantFrom(0, 0, 0, 1, 2, 3, 4);
function opsArb(key: fc.Arbitrary<Uint8Array>, value: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Op[]> {
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('update' as const), key, value, flags: flagsArb }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('lookup' as const), key }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('next' as const), key: fc.option(key, { nil: null }) }) },
  );
  return fc.array(op, { minLength: 1, maxLength: 40 });
}
const bytesArb = (n: number, max = 255) => fc.array(fc.integer({ min: 0, max }), { minLength: n, maxLength: n }).map((a) => Uint8Array.from(a));
const smallU32 = fc.integer({ min: 0, max: 6 }).map(u32);
/** BPFLAB_FC_SCALE=N multiplies the number of random sequences (for a longer local run). */
const SCALE = Number(process.env['BPFLAB_FC_SCALE'] ?? 1) || 1;
const RUNS = { numRuns: 60 * SCALE };

describe.skipIf(!avail.ok)('bpflab maps vs kernel maps', () => {
  it('BPF_MAP_CREATE accepts and rejects the same specs with the same errno', () => {
    const diffs: string[] = [];
    for (const [s] of CREATE_CASES) {
      const mine = errnoOf(() => createMap(s, { cpus }));
      const kern = errnoOf(() => mapCreate(s).close());
      if (mine !== kern) diffs.push(`${s.type} k${s.keySize} v${s.valueSize} n${s.maxEntries} f${s.flags}: bpflab ${mine}, kernel ${kern}`);
    }
    expect(diffs).toEqual([]);
  });

  it('array: same results for random operation sequences', () => {
    const s = spec('array', 4, 8, 5);
    fc.assert(fc.property(opsArb(smallU32, bytesArb(8)), (ops) => runBoth(s, ops, false)), RUNS);
  });

  it('percpu_array: same per-CPU values', () => {
    const s = spec('percpu_array', 4, 4, 3);
    const stride = 8 * cpus;
    fc.assert(fc.property(opsArb(smallU32, bytesArb(stride).map((b) => {
      // the padding bytes of each CPU slot are not stored by the kernel: keep them zero
      for (let c = 0; c < cpus; c++) b.fill(0, c * 8 + 4, c * 8 + 8);
      return b;
    })), (ops) => runBoth(s, ops, false)), RUNS);
  });

  it('hash: same results (get-next-key compared as a set)', () => {
    const s = spec('hash', 4, 4, 4);
    fc.assert(fc.property(opsArb(smallU32, bytesArb(4)), (ops) => runBoth(s, ops, true)), RUNS);
  });

  it('hash with odd key size and BPF_F_NO_PREALLOC', () => {
    const s = spec('hash', 3, 5, 3, BPF_F_NO_PREALLOC);
    fc.assert(fc.property(opsArb(bytesArb(3, 2), bytesArb(5)), (ops) => runBoth(s, ops, true)), RUNS);
  });

  it('percpu_hash: same per-CPU values', () => {
    const s = spec('percpu_hash', 4, 8, 3);
    fc.assert(fc.property(opsArb(smallU32, bytesArb(8 * cpus)), (ops) => runBoth(s, ops, true)), RUNS);
  });

  it('lpm_trie: same longest-prefix matches, errors and iteration order', () => {
    const s = spec('lpm_trie', 6, 4, 5, BPF_F_NO_PREALLOC);
    const key = fc
      .tuple(fc.integer({ min: 0, max: 18 }), fc.constantFrom(0x00, 0x0a, 0x80, 0xff), fc.constantFrom(0x00, 0x01, 0x80, 0xf0))
      .map(([len, a, b]) => Uint8Array.of(len, 0, 0, 0, a, b));
    fc.assert(fc.property(opsArb(key, bytesArb(4)), (ops) => runBoth(s, ops, false)), { numRuns: 100 * SCALE });
  });

  it('queue and stack: same push/pop/peek results', () => {
    for (const type of ['queue', 'stack'] as const) {
      const s = spec(type, 0, 4, 3);
      const op = fc.oneof(
        fc.record({ kind: fc.constant('push' as const), v: bytesArb(4), flags: flagsArb }),
        fc.constant({ kind: 'pop' as const }),
        fc.constant({ kind: 'peek' as const }),
        fc.constant({ kind: 'delete' as const }),
        fc.constant({ kind: 'next' as const }),
      );
      fc.assert(
        fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
          const mine = createMap(s) as QueueStackMap;
          const kern = mapCreate(s);
          try {
            const none = new Uint8Array(0);
            for (const o of ops) {
              const run = (m: { push(v: Uint8Array, f: number): void; pop(): Uint8Array; peek(): Uint8Array; delete(k: Uint8Array): void; nextKey(k: null): unknown }) =>
                o.kind === 'push'
                  ? outcome(() => m.push(o.v, o.flags))
                  : o.kind === 'pop'
                    ? outcome(() => m.pop())
                    : o.kind === 'peek'
                      ? outcome(() => m.peek())
                      : o.kind === 'delete'
                        ? outcome(() => m.delete(none))
                        : outcome(() => void m.nextKey(null));
              const mineAdapter = {
                push: (v: Uint8Array, f: number) => mine.update(none, v, f),
                pop: () => mine.lookupAndDelete(),
                peek: () => mine.lookup(none),
                delete: (k: Uint8Array) => mine.delete(k),
                nextKey: (k: null) => mine.nextKey(k),
              };
              expect(run(mineAdapter)).toBe(run(kern));
            }
          } finally {
            kern.close();
          }
        }),
        { numRuns: 40 * SCALE },
      );
    }
  });

  it('fd arrays, stack_trace and ringbuf: same answers to user-space element commands', () => {
    const cases: MapSpec[] = [
      spec('prog_array', 4, 4, 3),
      spec('perf_event_array', 4, 4, 3),
      spec('stack_trace', 4, 16, 3),
      spec('array_of_maps', 4, 4, 3, 0, spec('array', 4, 4, 1)),
      spec('hash_of_maps', 4, 4, 3, 0, spec('array', 4, 4, 1)),
    ];
    for (const s of cases) {
      const mine = createMap(s);
      const kern = mapCreate(s);
      try {
        for (const k of [0, 2, 3, 100]) {
          for (const op of [
            { kind: 'lookup', key: u32(k) },
            { kind: 'next', key: u32(k) },
            { kind: 'next', key: null },
          ] as Op[]) {
            expect(`${s.type} ${op.kind} ${k}: ${apply(mine, op, false)}`).toBe(`${s.type} ${op.kind} ${k}: ${apply(kern, op, false)}`);
          }
          if (s.type === 'perf_event_array') continue; // bpflab attaches a reader at every index (see perf-event-array.ts)
          const del: Op = { kind: 'delete', key: u32(k) };
          expect(`${s.type} delete ${k}: ${apply(mine, del, false)}`).toBe(`${s.type} delete ${k}: ${apply(kern, del, false)}`);
        }
      } finally {
        kern.close();
      }
    }
    const rbSpec = spec('ringbuf', 0, 0, 4096);
    const rb = createMap(rbSpec);
    const krb = mapCreate(rbSpec);
    try {
      for (const op of [
        { kind: 'lookup', key: new Uint8Array(0) },
        { kind: 'update', key: new Uint8Array(0), value: new Uint8Array(0), flags: 0 },
        { kind: 'delete', key: new Uint8Array(0) },
        { kind: 'next', key: null },
      ] as Op[])
        expect(apply(rb, op, false)).toBe(apply(krb, op, false));
    } finally {
      krb.close();
    }
  });

  it('map-in-map: inner maps must match the template, with the same errnos', () => {
    const tmpl = spec('array', 4, 4, 2);
    for (const outerType of ['array_of_maps', 'hash_of_maps'] as const) {
      const outerSpec = spec(outerType, 4, 4, 2, 0, tmpl);
      const mine = createMap(outerSpec) as MapOfMaps;
      const kern = mapCreate(outerSpec);
      const inners: Array<[BpfMap, KernelMap]> = [tmpl, spec('array', 4, 4, 3), spec('hash', 4, 4, 2), spec('array', 4, 8, 2)].map((t) => [
        createMap(t),
        mapCreate(t),
      ]);
      try {
        const results = (pick: 0 | 1) => {
          const out: string[] = [];
          const outer: UserMap = pick === 0 ? mine : kern;
          inners.forEach(([m, k], i) => {
            const fdOrId = pick === 0 ? m.id : k.fd;
            out.push(`update ${i}: ${outcome(() => outer.update(u32(i % 3), u32(fdOrId)))}`);
          });
          out.push(`update badfd: ${outcome(() => outer.update(u32(0), u32(pick === 0 ? 0x7fffffff : 9999)))}`);
          out.push(`lookup 0: ${outcome(() => outer.lookup(u32(0))).slice(0, 2)}`);
          out.push(`lookup 1: ${outcome(() => outer.lookup(u32(1)))}`);
          out.push(`delete 0: ${outcome(() => outer.delete(u32(0)))}`);
          out.push(`delete 0 again: ${outcome(() => outer.delete(u32(0)))}`);
          return out;
        };
        expect(results(0)).toEqual(results(1));
      } finally {
        kern.close();
        for (const [, k] of inners) k.close();
      }
    }
  });

  it('devmap, devmap_hash and cpumap: same user-space answers (ifindex 1 = lo, cpu 0)', () => {
    const v = (a: number, b?: number) => (b === undefined ? u32(a) : Uint8Array.of(...u32(a), ...u32(b)));
    const cases: Array<[MapSpec, Op[]]> = [
      [
        spec('devmap', 4, 4, 3),
        [
          { kind: 'lookup', key: u32(0) },
          { kind: 'update', key: u32(0), value: v(1), flags: 0 },
          { kind: 'lookup', key: u32(0) },
          { kind: 'update', key: u32(1), value: v(1), flags: 1 },
          { kind: 'update', key: u32(1), value: v(1), flags: 3 },
          { kind: 'update', key: u32(5), value: v(1), flags: 0 },
          { kind: 'next', key: null },
          { kind: 'next', key: u32(2) },
          { kind: 'delete', key: u32(1) },
          { kind: 'delete', key: u32(0) },
          { kind: 'delete', key: u32(7) },
          { kind: 'lookup', key: u32(0) },
        ],
      ],
      [
        spec('devmap_hash', 4, 4, 2),
        [
          { kind: 'update', key: u32(10), value: v(1), flags: 0 },
          { kind: 'update', key: u32(10), value: v(1), flags: 1 },
          { kind: 'update', key: u32(11), value: v(1), flags: 0 },
          { kind: 'update', key: u32(12), value: v(1), flags: 0 },
          { kind: 'lookup', key: u32(11) },
          { kind: 'delete', key: u32(12) },
          { kind: 'delete', key: u32(11) },
          { kind: 'next', key: null },
        ],
      ],
      [
        spec('cpumap', 4, 4, 2),
        [
          { kind: 'lookup', key: u32(0) },
          { kind: 'update', key: u32(0), value: v(192), flags: 0 },
          { kind: 'lookup', key: u32(0) },
          { kind: 'update', key: u32(0), value: v(192), flags: 1 },
          { kind: 'update', key: u32(0), value: v(99999), flags: 0 },
          { kind: 'update', key: u32(2), value: v(192), flags: 0 },
          { kind: 'delete', key: u32(0) },
          { kind: 'delete', key: u32(0) },
          { kind: 'delete', key: u32(5) },
          { kind: 'lookup', key: u32(0) },
        ],
      ],
    ];
    for (const [s, ops] of cases) runBoth(s, ops, s.type === 'devmap_hash');
  });

  it('lru_hash: never full, never above max_entries, keeps the newest key', () => {
    const s = spec('lru_hash', 4, 4, 8);
    const mine = createMap(s);
    const kern = mapCreate(s);
    try {
      for (let i = 0; i < 40; i++) {
        expect(outcome(() => mine.update(u32(i), u32(i)))).toBe(outcome(() => kern.update(u32(i), u32(i))));
        expect(keySet(mine).length).toBeLessThanOrEqual(8);
        expect(keySet(kern).length).toBeLessThanOrEqual(8);
        expect(outcome(() => mine.lookup(u32(i)))).toBe(outcome(() => kern.lookup(u32(i))));
      }
    } finally {
      kern.close();
    }
  });
});
