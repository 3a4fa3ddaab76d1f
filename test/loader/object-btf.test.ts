/**
 * The object's program BTF (the fixed-up copy the kernel gets) is parsed once, by the loader, and
 * every program of the object reads that one parse: no program's verification parses it again.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { objectBtf, parseBtf } from '../../src/loader/btf/index.js';
import { loadFile, loadFileDetailed } from '../../src/loader/index.js';
import { programBtf } from '../../src/verifier/map-record.js';
import { verify } from '../../src/verifier/index.js';

const fixture = (name: string): URL => new URL(`../fixtures/${name}`, import.meta.url);
const bytes = (u: URL): Uint8Array => new Uint8Array(readFileSync(u));

describe('one BTF parse per object', () => {
  test('every program of an object shares the parse the loader made', async () => {
    const programs = await loadFile('graph.o', bytes(fixture('btf-typed/graph.o')));
    expect(programs.length).toBeGreaterThan(1);
    const raw = programs[0]!.btf!.raw;
    const shared = objectBtf(raw, 'graph.o');
    expect(shared).not.toBeNull();
    for (const p of programs) {
      expect(p.btf!.raw).toBe(raw);
      expect(objectBtf(p.btf!.raw, 'other')).toBe(shared); // the loader's, not a new parse
      expect(programBtf(p)).toBe(shared);
    }
    // The shared parse is the parse: same types as parsing the bytes afresh.
    const fresh = parseBtf(raw, 'graph.o');
    expect(shared!.count).toBe(fresh.count);
    for (let id = 1; id < fresh.count; id++) expect(shared!.type(id)).toEqual(fresh.type(id));
  });

  test('a BTF the kernel refuses: the section as compiled, the loader\'s own parse reused', async () => {
    const u = fixture('selftests/unnamed_arg.o');
    const { programs, elf } = await loadFileDetailed('unnamed_arg.o', bytes(u));
    const p = programs[0]!;
    expect(p.btf?.kernelRefuses).toBeDefined();
    expect(elf.btf).toBeDefined();
    expect(objectBtf(p.btf!.raw, 'unnamed_arg.o')).toBe(elf.btf);
  });

  test('a program whose raw BTF no loader parsed (a copy, as a worker gets) is parsed on first use, with the same verdict', async () => {
    const [p] = await loadFile('graph.o', bytes(fixture('btf-typed/graph.o')));
    const copy = { ...p!, btf: { ...p!.btf!, raw: new Uint8Array(p!.btf!.raw) } };
    const b = programBtf(copy);
    expect(b).not.toBeNull();
    expect(b).not.toBe(programBtf(p!));
    expect(b!.count).toBe(programBtf(p!)!.count);
    const a = verify(p!), c = verify(copy);
    expect(c.verdict).toBe(a.verdict);
    expect(c.processed).toBe(a.processed);
    expect(c.error?.message).toBe(a.error?.message);
  });
});
