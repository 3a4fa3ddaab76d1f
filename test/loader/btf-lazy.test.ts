/**
 * The running kernel's BTF is parsed lazily (types decoded on demand, names found through hash
 * chains over the string section): every lookup must answer as the eager, checked parse does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseBtf, type Btf } from '../../src/loader/btf/index.js';
import { loadKernelBtf } from '../../src/loader/core.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const have = existsSync(VMLINUX);
if (!have) console.log(`btf-lazy: skipped: no ${VMLINUX} (kernel without CONFIG_DEBUG_INFO_BTF, or not Linux)`);

describe.skipIf(!have)('lazy BTF parsing (the running kernel)', () => {
  const raw = have ? new Uint8Array(readFileSync(VMLINUX)) : new Uint8Array();
  let parsed: Btf | undefined;
  const eager = (): Btf => (parsed ??= parseBtf(raw, 'vmlinux'));

  test('type, find, skipMods, resolveSize and format agree with the eager parse', () => {
    const e = eager();
    const l = parseBtf(raw, 'vmlinux', 0, { lazy: true });
    expect(l.count).toBe(e.count);
    for (let id = 0; id < e.count; id += 397) {
      expect(l.type(id)).toEqual(e.type(id));
      expect(l.skipMods(id)).toEqual(e.skipMods(id));
      expect(l.resolveSize(id)).toBe(e.resolveSize(id));
      expect(l.format(id)).toBe(e.format(id));
    }
    expect(l.type(e.count)).toBeUndefined();
    expect(l.type(-1)).toBeUndefined();
    // Names shared by several types (a struct and its typedef), absent names, the empty name.
    const names = new Set(['task_struct', 'sk_buff', 'bpf_dynptr', 'u32', '__u64', 'bpf_map_lookup_elem', 'no_such_type_here', '']);
    for (let id = 1; id < e.count; id += 4999) names.add(e.type(id)!.name);
    for (const n of names) {
      expect(l.find(n).map((t) => t.id)).toEqual(e.find(n).map((t) => t.id));
      expect(l.find(n, 'struct').map((t) => t.id)).toEqual(e.find(n, 'struct').map((t) => t.id));
    }
  });

  test('a lookup decodes a few types, `types` all of them (the same records)', () => {
    const l = parseBtf(raw, 'vmlinux', 0, { lazy: true });
    const ts = l.find('task_struct', 'struct');
    expect(ts).toHaveLength(1);
    expect(l.type(ts[0]!.id)).toBe(ts[0]); // decoded once
    const e = eager();
    const all = l.types;
    expect(all.length).toBe(e.types.length);
    expect(all[ts[0]!.id]).toBe(ts[0]);
    for (let id = 0; id < all.length; id++) if (all[id]!.kind !== e.types[id]!.kind || all[id]!.name !== e.types[id]!.name) throw new Error(`type [${id}] differs`);
    expect(l.recordOffsets).toEqual(e.recordOffsets);
  });

  test('loadKernelBtf parses the running kernel lazily', () => {
    const k = loadKernelBtf();
    expect(k.find('task_struct', 'struct')).toHaveLength(1);
    expect((k as unknown as { all: unknown }).all).toBeUndefined();
  });
});

test('a lazy parse still refuses a record past the type section', () => {
  // Header, one STRUCT claiming 2 members (24 bytes) with none present, strings "\0a\0".
  const b = new Uint8Array(24 + 12 + 3);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, 0xeb9f, true); dv.setUint8(2, 1); dv.setUint32(4, 24, true);
  dv.setUint32(8, 0, true); dv.setUint32(12, 12, true); dv.setUint32(16, 12, true); dv.setUint32(20, 3, true);
  dv.setUint32(24, 1, true); dv.setUint32(28, (4 << 24) | 2, true); dv.setUint32(32, 8, true);
  b.set([0, 0x61, 0], 36);
  expect(() => parseBtf(b, 'x', 0, { lazy: true })).toThrow(/type \[1\] STRUCT data runs past the end of the type section/);
  expect(() => parseBtf(b, 'x')).toThrow(/type \[1\] STRUCT members runs past the end of the type section/);
});
