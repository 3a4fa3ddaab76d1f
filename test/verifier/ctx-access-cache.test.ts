/**
 * The verifier remembers is_valid_access answers per context layout (memory.ts ctxAccess): the
 * remembered answer must be the layout's own for every access, asked first or again.
 */
import { describe, expect, it } from 'vitest';
import { ctxAccess } from '../../src/verifier/memory.js';
import { verifierCtxLayout, ATTACH, BPF_CGROUP_INET_EGRESS } from '../../src/runtime/context/index.js';
import type { AccessKind } from '../../src/runtime/context/index.js';
import type { ProgType } from '../../src/isa/program.js';

const TYPES: ProgType[] = ['socket_filter', 'sched_cls', 'xdp', 'cgroup_skb', 'cgroup_sock_addr', 'sock_ops', 'kprobe', 'sk_lookup', 'cgroup_sockopt'];

describe('context access answers, remembered', () => {
  it('equal the layout\'s own for every offset, size, kind, sign extension and attach type, asked twice', () => {
    let asked = 0;
    for (const type of TYPES) {
      const layout = verifierCtxLayout(type);
      expect(layout, type).toBeDefined();
      for (const attach of [undefined, BPF_CGROUP_INET_EGRESS, ATTACH.CGROUP_INET4_CONNECT]) {
        for (let off = -8; off < layout!.size + 16; off++) {
          for (const size of [1, 2, 4, 8]) {
            for (const kind of ['read', 'write'] as AccessKind[]) {
              for (const sext of [false, true]) {
                const want = layout!.access(off, size, kind, { isLdsx: sext, ...(attach !== undefined ? { expectedAttachType: attach } : {}) });
                expect(ctxAccess(layout!, off, size, kind, attach, sext)).toEqual(want);
                expect(ctxAccess(layout!, off, size, kind, attach, sext)).toEqual(want);
                asked++;
              }
            }
          }
        }
      }
    }
    expect(asked).toBeGreaterThan(1000);
  });
});
