/**
 * The ctx handler remembers the layout's answer to each access (runtime/ctx-region.ts
 * accessCache), per layout and expected attach type: every load and store must still get exactly
 * what layout.access says for that run's type and attach type, the first time and from the cache.
 */
import { describe, expect, it } from 'vitest';
import type { ProgType } from '../../src/isa/program.js';
import { ctxLayout } from '../../src/runtime/context/index.js';
import { buildContext } from '../../src/runtime/ctx-region.js';
import { Memory, MemoryFault } from '../../src/runtime/memory.js';

const packet = new Uint8Array(64).fill(1);

/** The reason a load or store is refused, or 'ok'. */
function outcome(f: () => void): string {
  try { f(); return 'ok'; } catch (e) {
    if (e instanceof MemoryFault && e.kind === 'ctx_access') return e.message;
    if (e instanceof MemoryFault) return 'ok'; // past the ctx bytes: allowed by the layout
    return `other: ${(e as Error).message}`;
  }
}

describe('ctx access cache', () => {
  const runs: [ProgType, number | undefined][] = [['sched_cls', undefined], ['socket_filter', undefined], ['cgroup_skb', 0], ['cgroup_skb', 1], ['xdp', undefined], ['kprobe', undefined]];
  it('answers every access as layout.access does, per type and attach type, twice', () => {
    let refused = 0, allowed = 0;
    for (const [type, attach] of runs) {
      const layout = ctxLayout(type)!;
      for (let round = 0; round < 2; round++) {
        const mem = new Memory();
        buildContext(mem, type, { packet, ...(attach !== undefined && { expectedAttachType: attach }) });
        const ctx = mem.ctx!;
        const out = new Int32Array(2);
        for (let off = 0; off < layout.size + 8; off++) {
          for (const size of [1, 2, 4, 8]) {
            for (const signed of [false, true]) {
              const a = layout.access(off, size, 'read', attach === undefined ? { isLdsx: signed } : { isLdsx: signed, expectedAttachType: attach });
              const got = outcome(() => ctx.load(off, size, out, 0, signed));
              expect(got === 'ok' || got.startsWith('other'), `${type}/${attach} load ${off}/${size}`).toBe(a.ok);
              if (!a.ok) { refused++; expect(got).toContain(a.reason); } else allowed++;
            }
            const w = layout.access(off, size, 'write', attach === undefined ? {} : { expectedAttachType: attach });
            const got = outcome(() => ctx.store(off, size, 0, 0, 0));
            expect(got === 'ok' || got.startsWith('other'), `${type}/${attach} store ${off}/${size}`).toBe(w.ok);
            if (!w.ok) expect(got).toContain(w.reason);
          }
        }
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(allowed).toBeGreaterThan(0);
  });
});
