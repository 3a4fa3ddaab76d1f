/**
 * The running kernel's BTF is parsed lazily (types decoded on demand, names found through hash
 * chains over the string section): every lookup must answer as the eager, checked parse does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseBtf, type Btf } from '../../src/loader/btf/index.js';
import { essentialName, loadKernelBtf } from '../../src/loader/core.js';
import { loadFile } from '../../src/loader/index.js';

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

  test('CO-RE candidates by essential name: the name index and the flavour index answer as a scan of every type', () => {
    const e = eager();
    const byEssential = new Map<string, number[]>();
    for (const t of e.types) {
      if (!t.name) continue;
      const k = essentialName(t.name);
      const l = byEssential.get(k);
      if (l) l.push(t.id);
      else byEssential.set(k, [t.id]);
    }
    const l = parseBtf(raw, 'vmlinux', 0, { lazy: true });
    const flavoured = l.flavouredIds();
    for (const [k, ids] of flavoured) expect(byEssential.get(k)!.filter((id) => e.type(id)!.name !== k)).toEqual(ids);
    let checked = 0;
    for (const [k, ids] of byEssential) {
      if (checked++ % 97 !== 0 && !flavoured.has(k)) continue;
      expect([...l.idsWithName(k), ...(flavoured.get(k) ?? [])].sort((a, b) => a - b)).toEqual(ids);
    }
    expect((l as unknown as { all: unknown }).all).toBeUndefined();
  });

  test('loading a CO-RE object leaves the running kernel\'s BTF undecoded', async () => {
    const obj = new URL('../../../shared/corpus-samples/cilium-examples/tcprtt_sockops_bpf_bpfel.o', import.meta.url);
    if (!existsSync(obj)) { console.log('btf-lazy: CO-RE object test skipped: no ../shared/corpus-samples'); return; }
    const progs = await loadFile(obj.pathname, new Uint8Array(readFileSync(obj)));
    expect(progs.length).toBeGreaterThan(0);
    expect((loadKernelBtf() as unknown as { all: unknown }).all).toBeUndefined();
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

test('flavoured names: the first "___" past the first character splits off the flavour', () => {
  // INT types named as below; strings section "\0" + names.
  const names = ['foo', 'foo___v1', 'foo___v2___x', '___bar', '___bar___v1', 'a____b', 'a___', '_', 'b__c', 'foo'];
  const strs: number[] = [0];
  const offs = names.map((n) => { const o = strs.length; strs.push(...Buffer.from(n), 0); return o; });
  const typeLen = names.length * 16;
  const b = new Uint8Array(24 + typeLen + strs.length);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, 0xeb9f, true); dv.setUint8(2, 1); dv.setUint32(4, 24, true);
  dv.setUint32(8, 0, true); dv.setUint32(12, typeLen, true); dv.setUint32(16, typeLen, true); dv.setUint32(20, strs.length, true);
  offs.forEach((o, i) => {
    const at = 24 + i * 16;
    dv.setUint32(at, o, true); dv.setUint32(at + 4, 1 << 24, true); dv.setUint32(at + 8, 4, true); dv.setUint32(at + 12, 32, true);
  });
  b.set(strs, 24 + typeLen);
  for (const lazy of [false, true]) {
    const btf = parseBtf(b, 'x', 0, { lazy });
    // '___bar___v1' has its first "___" at 0: no flavour (libbpf's essential name is all of it).
    expect(Object.fromEntries(btf.flavouredIds())).toEqual({ foo: [2, 3], a: [6, 7] });
    expect(btf.idsWithName('foo')).toEqual([1, 10]);
    expect(btf.idsWithName('___bar')).toEqual([4]);
    expect(names.map(essentialName)).toEqual(['foo', 'foo', 'foo', '___bar', '___bar___v1', 'a', 'a', '_', 'b__c', 'foo']);
  }
});
