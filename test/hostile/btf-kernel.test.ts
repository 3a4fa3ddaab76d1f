/**
 * Crafted BTF (issue 17, item 2): bpflab accepts what BPF_BTF_LOAD accepts and refuses what it
 * refuses, with the kernel's reason. The verdicts below were recorded from Linux 6.18; with the
 * live kernel available the test also asks it.
 */
import { describe, expect, test } from 'vitest';
import { btfLoad, closeFd, kernelAvailable } from '../../src/kernel/index.js';
import { parseBtf } from '../../src/loader/btf/index.js';
import { BTF_KIND as K, buildBtf, type BtfRecord } from './build.js';

const INT: BtfRecord = { kind: K.INT, name: 'int', sizeOrType: 4, extra: [(1 << 24) | 32] };
/** [name, types 1..n, the kernel's verdict: 'accept' or the end of its log line]. */
const CASES: Array<[string, BtfRecord[], string]> = [
  ['pointer to a FUNC_PROTO taking that pointer', [INT, { kind: K.PTR, sizeOrType: 3 }, { kind: K.FUNC_PROTO, vlen: 1, sizeOrType: 1, extra: ['a', 2] }], 'accept'],
  ['typedef loop', [INT, { kind: K.TYPEDEF, name: 't', sizeOrType: 3 }, { kind: K.TYPEDEF, name: 'u', sizeOrType: 2 }], 'Loop detected'],
  ['const of itself', [INT, { kind: K.CONST, sizeOrType: 2 }], 'Loop detected'],
  ['pointer to itself', [INT, { kind: K.PTR, sizeOrType: 2 }], 'Loop detected'],
  ['pointer loop', [INT, { kind: K.PTR, sizeOrType: 3 }, { kind: K.PTR, sizeOrType: 2 }], 'Loop detected'],
  ['array of itself', [INT, { kind: K.ARRAY, sizeOrType: 0, extra: [2, 1, 2] }], 'Loop detected'],
  ['struct containing itself', [INT, { kind: K.STRUCT, name: 's', vlen: 1, sizeOrType: 4, extra: ['x', 2, 0] }], 'Loop detected'],
  ['struct with a pointer to itself', [INT, { kind: K.STRUCT, name: 's', vlen: 1, sizeOrType: 8, extra: ['x', 3, 0] }, { kind: K.PTR, sizeOrType: 2 }], 'accept'],
  ['FUNC of an INT', [INT, { kind: K.FUNC, name: 'f', sizeOrType: 1 }], 'Invalid type_id'],
  ['typedef chain of 40', [INT, ...Array.from({ length: 40 }, (_, i): BtfRecord => ({ kind: K.TYPEDEF, name: `t${i}`, sizeOrType: i + 1 }))], 'accept'],
  ['member past its struct', [INT, { kind: K.STRUCT, name: 's', vlen: 1, sizeOrType: 4, extra: ['x', 1, 64] }], 'Member bits_offset exceeds its struct size'],
  ['array over U32_MAX bytes', [INT, { kind: K.ARRAY, sizeOrType: 0, extra: [1, 1, 0xffffffff] }], 'Array size overflows U32_MAX'],
];

function ours(raw: Uint8Array): string {
  try { parseBtf(raw, 'x.o'); return 'accept'; } catch (e) { return (e as Error).message; }
}

describe('crafted BTF: the kernel verdicts', () => {
  test.each(CASES)('%s', (_name, types, verdict) => {
    const got = ours(buildBtf(types));
    if (verdict === 'accept') expect(got).toBe('accept');
    else expect(got).toContain(verdict);
  });

  const avail = kernelAvailable();
  test.skipIf(!avail.ok)(`the live kernel agrees (BPF_BTF_LOAD)${avail.ok ? '' : `: skipped, ${avail.reason}`}`, () => {
    const diffs: string[] = [];
    for (const [name, types, verdict] of CASES) {
      const k = btfLoad(buildBtf(types));
      if (k.fd !== null) closeFd(k.fd);
      const kv = k.fd !== null ? 'accept' : k.log.trim().split('\n').at(-1) ?? k.errno;
      if ((verdict === 'accept') !== (kv === 'accept') || (verdict !== 'accept' && !kv.includes(verdict))) diffs.push(`${name}: kernel '${kv}', recorded '${verdict}'`);
    }
    expect(diffs).toEqual([]);
  });
});
