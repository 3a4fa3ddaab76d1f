/**
 * Mutation fuzzing of the loaders: 10,000 corrupted versions of real objects (bit flips,
 * truncation, section header table corruption, symbol/relocation/BTF corruption). Every
 * outcome must be a successful load or an InputError; any other exception (a TypeError, a
 * RangeError from a DataView, a stack overflow) or a hang fails the test.
 */
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { InputError } from '../../src/isa/errors.js';
import { loadCbpf } from '../../src/loader/cbpf.js';
import { parseElf } from '../../src/loader/elf-file.js';
import { loadElf } from '../../src/loader/elf.js';

const corpus = new URL('../../../shared/corpus-samples/', import.meta.url);
const SEEDS = [
  ...['build/bpf2bpf.o', 'build/map_in_map_legacy.o', 'linux/xdp1_kern.o', 'linux/tracex5_kern.o', 'cilium-examples/tcx_bpf_bpfel.o',
    'cilium-examples/tcprtt_sockops_bpf_bpfel.o', 'new_linux/tracex2_kern.o', 'suricata/xdp_filter.o', 'bpf_cilium_test/bpf_lb-DUNKNOWN.o']
    .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(new URL(f, corpus))) })),
  ...readdirSync(new URL('../fixtures/elf/', import.meta.url)).filter((f) => f.endsWith('.o'))
    .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(new URL(`../fixtures/elf/${f}`, import.meta.url))) })),
];

/** Byte ranges worth corrupting in an object: headers, symbols, relocations, BTF. */
function regions(bytes: Uint8Array) {
  const elf = parseElf(bytes, 'seed');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(dv.getBigUint64(40, true));
  const pick = (pred: (n: string, t: number) => boolean) => elf.sections.filter((s) => pred(s.name, s.type) && s.size > 0).map((s) => [s.offset, s.size] as const);
  return {
    shoff,
    shnum: elf.sections.length,
    tables: [...pick((_n, t) => t === 2 || t === 9 || t === 4), ...pick((n) => n === '.BTF' || n === '.BTF.ext' || n === '.maps' || n === 'maps')],
  };
}

type Mutation =
  | { kind: 'flip'; bits: { pos: number; bit: number }[] }
  | { kind: 'truncate'; at: number }
  | { kind: 'shdr'; section: number; field: number; value: number }
  | { kind: 'table'; which: number; pos: number; value: number }
  | { kind: 'ehdr'; pos: number; value: number };

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0xffffffff, 8, 16, 24, 64];
const value = fc.oneof(fc.constantFrom(...INTERESTING), fc.nat(0xffffffff));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), bits: fc.array(fc.record({ pos: fc.nat(), bit: fc.nat(7) }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  // Section header fields: name, type, flags, addr, offset, size, link, info, align, entsize.
  fc.record({ kind: fc.constant('shdr' as const), section: fc.nat(), field: fc.constantFrom(0, 4, 8, 24, 32, 40, 44, 56), value }),
  fc.record({ kind: fc.constant('table' as const), which: fc.nat(), pos: fc.nat(), value }),
  fc.record({ kind: fc.constant('ehdr' as const), pos: fc.constantFrom(4, 5, 6, 16, 18, 40, 58, 60, 62), value }),
);

function apply(seed: Uint8Array, m: Mutation): Uint8Array {
  const b = new Uint8Array(seed);
  const dv = new DataView(b.buffer);
  const r = regions(seed);
  switch (m.kind) {
    case 'flip':
      for (const { pos, bit } of m.bits) b[pos % b.length]! ^= 1 << bit;
      return b;
    case 'truncate':
      return b.subarray(0, m.at % b.length);
    case 'shdr': {
      const o = r.shoff + (m.section % r.shnum) * 64 + m.field;
      if (m.field === 24 || m.field === 32 || m.field === 56 || m.field === 8) dv.setBigUint64(o, BigInt(m.value), true);
      else dv.setUint32(o, m.value, true);
      return b;
    }
    case 'table': {
      if (r.tables.length === 0) return b;
      const [off, size] = r.tables[m.which % r.tables.length]!;
      const o = off + (m.pos % Math.max(1, size - 3));
      if (o + 4 <= b.length) dv.setUint32(o, m.value, true);
      return b;
    }
    case 'ehdr':
      if (m.pos >= 58) dv.setUint16(m.pos, m.value & 0xffff, true);
      else if (m.pos === 40) dv.setBigUint64(40, BigInt(m.value), true);
      else if (m.pos >= 16) dv.setUint16(m.pos, m.value & 0xffff, true);
      else b[m.pos] = m.value & 0xff;
      return b;
  }
}

describe('loader fuzzing', () => {
  test('10,000 mutated objects: each loads or is refused with an InputError', () => {
    const outcomes = { loaded: 0, refused: 0 };
    const kinds = new Map<string, number>();
    fc.assert(
      fc.property(fc.nat(SEEDS.length - 1), mutation, (s, m) => {
        const seed = SEEDS[s]!;
        const bytes = apply(seed.bytes, m);
        try {
          const o = loadElf(bytes, seed.name);
          outcomes.loaded++;
          for (const p of o.programs) expect(p.insns.length).toBeGreaterThan(0);
        } catch (e) {
          if (!(e instanceof InputError)) throw new Error(`${seed.name} ${JSON.stringify(m)}: ${(e as Error).stack}`);
          expect(e.message.startsWith(`${seed.name}: `)).toBe(true);
          expect(e.message).not.toContain('\n');
          outcomes.refused++;
          kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
        }
      }),
      { numRuns: 10_000, seed: 0x4c0ad },
    );
    console.log(`fuzz: ${outcomes.loaded} loaded, ${outcomes.refused} refused; ${[...kinds].map(([k, n]) => `${k} ${n}`).join(", ")}`);
    expect(outcomes.loaded + outcomes.refused).toBe(10_000);
    // Both outcomes occur, and refusals come from several checks.
    expect(outcomes.loaded).toBeGreaterThan(500);
    expect(outcomes.refused).toBeGreaterThan(500);
    expect(kinds.size).toBeGreaterThanOrEqual(3);
  }, 60_000);

  test('2,000 mutated classic filters: each converts or is refused with an InputError', () => {
    const text = readFileSync(new URL('../fixtures/cbpf/tcp-port-80.cbpf', import.meta.url), 'utf8');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(text.length - 1), fc.constantFrom(...'0123456789abcdefx,{} \n-'.split(''))), { minLength: 1, maxLength: 6 }), (edits) => {
        const chars = text.split('');
        for (const [i, c] of edits) chars[i] = c;
        try {
          loadCbpf(chars.join(''), 'f.cbpf');
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
        }
      }),
      { numRuns: 2_000, seed: 7 },
    );
  }, 30_000);
});
