/**
 * Every .data file of ../shared/conformance and ../shared/ubpf-tests parses and its asm assembles;
 * where a file has both `-- asm` and `-- raw`, the assembled bytes equal the raw ones.
 */
import { describe, expect, test } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConformance } from '../../src/isa/conformance.js';
import { readConformanceTest } from '../../src/loader/conformance.js';
import { encodeInsns } from '../../src/isa/decode.js';
import { InputError } from '../../src/isa/errors.js';

const shared = fileURLToPath(new URL('../../../shared/', import.meta.url));

function dataFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...dataFiles(p));
    else if (name.endsWith('.data')) out.push(p);
  }
  return out;
}

describe.each(['conformance', 'ubpf-tests'])('%s', (suite) => {
  const files = dataFiles(join(shared, suite));
  test(`every .data file parses, assembles, and matches its -- raw section`, () => {
    expect(files.length).toBeGreaterThan(50);
    let withAsm = 0, withRaw = 0, compared = 0, slots = 0, withResult = 0;
    for (const f of files) {
      const t = readConformanceTest(readFileSync(f, 'utf8'), f);
      expect(t.insns.length, relative(shared, f)).toBeGreaterThan(0);
      if (t.sections.some((s) => s.name === 'asm')) withAsm++;
      if (t.result !== undefined) withResult++;
      slots += t.insns.length;
      if (t.raw) {
        withRaw++;
        if (t.sections.some((s) => s.name === 'asm')) {
          expect(Buffer.from(encodeInsns(t.insns)).toString('hex'), relative(shared, f)).toBe(Buffer.from(encodeInsns(t.raw)).toString('hex'));
          compared++;
        }
      }
    }
    console.log(`${suite}: ${files.length} files parsed, ${withAsm} with asm assembled (${slots} slots), ${withRaw} with -- raw, ${compared} asm/raw byte-compared, ${withResult} with a result`);
  });
});

describe('parseConformance details', () => {
  test('sections, memory, result and raw words', () => {
    const t = parseConformance([
      '# comment', '-- asm', 'ldxb %r0, [%r1+0x2]', 'exit', '-- mem', 'aa bb 11', 'cc dd', '-- raw', '0x0000000200100171', '0x0000000000000095',
      '-- result', '0x11', '-- error pattern', 'oops .*',
    ].join('\n'));
    expect(t.insns).toEqual([{ code: 0x71, dst: 0, src: 1, off: 2, imm: 0 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]);
    expect(t.raw).toEqual([{ code: 0x71, dst: 1, src: 0, off: 0x10, imm: 2 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]);
    expect([...t.mem]).toEqual([0xaa, 0xbb, 0x11, 0xcc, 0xdd]);
    expect(t.result).toBe(0x11n);
    expect(t.errorPattern).toBe('oops .*');
    expect(t.lines).toEqual([3, 4]);
  });

  test('hex dumps and `@ file` bodies', () => {
    const files: Record<string, string> = { 'p.asm': 'mov %r0, 1\nexit\n', 'pkt.hex': '0x0000:  0026 622f\n0x0004:  47\n' };
    const t = parseConformance('-- asm @ p.asm\n-- mem @ pkt.hex\n-- result\n1\n', { readFile: (n) => files[n]! });
    expect(t.insns.length).toBe(2);
    expect([...t.mem]).toEqual([0x00, 0x26, 0x62, 0x2f, 0x47]);
    expect(t.result).toBe(1n);
  });

  test.each([
    ['stray text', 'hello\n-- asm\nexit\n', 'x.data:1: text before the first section'],
    ['bad raw word', '-- raw\n0xzz\n', 'x.data:2: bad raw instruction'],
    ['bad mem', '-- asm\nexit\n-- mem\nabc\n', "x.data:4: bad hex bytes 'abc'"],
    ['bad asm', '# c\n-- asm\nmov %r0, 1\nfrob %r1\n', "x.data:4:1: unknown mnemonic 'frob'"],
    ['no program', '-- result\n0x1\n', 'x.data:1: no program'],
    ['two results', '-- asm\nexit\n-- result\n1\n2\n', 'x.data:3: -- result needs exactly one number'],
  ])('%s is an InputError naming file and line', (_name, text, msg) => {
    let err: unknown;
    try { parseConformance(text, { file: 'x.data' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(msg);
  });
});
