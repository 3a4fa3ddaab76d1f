/**
 * The CLI frame and `asm`/`disasm` through `main(argv, io)` with an in-memory Io: round trips,
 * exit codes, and the promise that bad input gives exit 2 and one line on stderr, never a trace.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { main } from '../../src/cli/main.js';
import { memoryIo, type MemoryIo } from '../../src/cli/io.js';
import { encodeInsns } from '../../src/isa/decode.js';
import { validInsn } from '../isa/arbitrary.js';

const PROG = `.type xdp
.map counters array key=4 value=8 entries=16
    r6 = r1
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[counters]
    call bpf_map_lookup_elem
    if r0 == 0x0 goto out
    r1 = 1
    lock *(u64 *)(r0 +0) += r1
out:
    r0 = 2
    exit
`;

async function run(argv: string[], files: Record<string, Uint8Array | string> = {}): Promise<{ code: number; io: MemoryIo }> {
  const io = memoryIo(files);
  const code = await main(argv, io);
  return { code, io };
}

/** The CLI's error contract: exit 2 with exactly one line on stderr that is not an internal error. */
function expectOneLineError(code: number, io: MemoryIo): void {
  expect(code).toBe(2);
  expect(io.stderr.endsWith('\n')).toBe(true);
  expect(io.stderr.split('\n').length).toBe(2);
  expect(io.stderr).toMatch(/^bpflab: /);
  expect(io.stderr).not.toContain('internal error');
  expect(io.stderr).not.toMatch(/\n\s+at /);
}

describe('bpflab asm / disasm', () => {
  test('asm -o writes bytecode that disasm prints back as the source program', async () => {
    const a = await run(['asm', 'p.s', '-o', 'p.bin'], { 'p.s': PROG });
    expect(a.code).toBe(0);
    const bin = a.io.files.get('p.bin')!;
    expect(bin.length).toBe(12 * 8);
    const d = await run(['disasm', 'p.s'], { 'p.s': PROG });
    expect(d.code).toBe(0);
    expect(d.io.stdout.split('\n').slice(0, 4)).toEqual(['.type xdp', '.map counters array key=4 value=8 entries=16', '0: (bf) r6 = r1', '1: (62) *(u32 *)(r10 -4) = 0']);
    // disasm output assembles to the same bytes
    const again = await run(['asm', 'q.s', '-o', 'q.bin'], { 'q.s': d.io.stdout });
    expect(again.code).toBe(0);
    expect(again.io.files.get('q.bin')).toEqual(bin);
    // and the raw bytes disassemble to the same instruction lines (no maps declared in a .bin)
    const raw = await run(['disasm', 'p.bin', '--type', 'xdp'], { 'p.bin': bin });
    expect(raw.code).toBe(0);
    expect(raw.io.stdout).toContain('4: (18) r1 = map[id:0]\n');
  });

  test('asm without -o prints hex; --json prints one document', async () => {
    const a = await run(['asm', 'p.s'], { 'p.s': 'r0 = 1\nexit\n' });
    expect(a.io.stdout).toBe('b7 00 00 00 01 00 00 00\n95 00 00 00 00 00 00 00\n');
    const j = await run(['asm', 'p.s', '--json'], { 'p.s': 'r0 = 1\nexit\n' });
    expect(JSON.parse(j.io.stdout)).toMatchObject({ file: 'p.s', insns: 2, bytes: 16, hex: 'b70000000100000095' + '00'.repeat(7) });
    const d = await run(['disasm', 'p.s', '--json'], { 'p.s': PROG });
    const doc = JSON.parse(d.io.stdout);
    expect(doc.programs[0].insns[4]).toEqual({ pc: 4, code: 0x18, text: 'r1 = map[counters]', line: '4: (18) r1 = map[counters]' });
  });

  test('--help, unknown commands and options', async () => {
    const h = await run(['disasm', '--help']);
    expect(h.code).toBe(0);
    expect(h.io.stdout).toContain('bpflab disasm FILE');
    for (const [argv, files] of [
      [['frob'], {}],
      [[], {}],
      [['asm', 'p.s', '--bogus'], { 'p.s': 'exit' }],
      [['asm', 'missing.s'], {}],
      [['disasm', 'p.bin', '--style', 'fancy'], { 'p.bin': new Uint8Array(8) }],
      [['asm', 'p.s', '-o', '-', '--json'], { 'p.s': 'exit' }],
    ] as const) {
      const r = await run([...argv], files);
      expectOneLineError(r.code, r.io);
    }
  });

  test('errors name the file and line/column or instruction', async () => {
    const a = await run(['asm', 'p.s'], { 'p.s': 'r0 = 1\n  r1 += foo\nexit\n' });
    expectOneLineError(a.code, a.io);
    expect(a.io.stderr).toBe("bpflab: p.s:2:9: expected a register or an immediate, found 'foo'\n");
    const b = await run(['asm', 'p.s'], { 'p.s': 'r0 = 0\ngoto +5\nexit\n' });
    expectOneLineError(b.code, b.io);
    expect(b.io.stderr).toBe('bpflab: p.s:2: insn 1: jump out of range from insn 1 to 7\n');
    // a register field names r0..r15: the verifier judges r11..r15 where it reaches them, as the kernel does
    const r = await run(['asm', 'r.s'], { 'r.s': 'r11 = 1\nexit\n' });
    expect(r.code).toBe(0);
    expect(r.io.stdout).toBe('b7 0b 00 00 01 00 00 00\n95 00 00 00 00 00 00 00\n');
    const t = await run(['disasm', 't.bin'], { 't.bin': new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x18, 0x01, 0, 0, 0, 0, 0, 0]) });
    expectOneLineError(t.code, t.io);
    expect(t.io.stderr).toBe('bpflab: t.bin: insn 1: ld_imm64 without its second half (last instruction)\n');
  });
});

describe('malformed input never crashes the CLI (exit 2, one line, no stack trace)', () => {
  test('random bytes as raw bytecode', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 80 }), async (bytes) => {
        const { code, io } = await run(['disasm', 'x.bin'], { 'x.bin': bytes });
        if (code === 0) { expect(io.stderr).toBe(''); return; }
        expectOneLineError(code, io);
        if (bytes.length % 8 !== 0 || bytes.length === 0) expect(code).toBe(2);
      }),
      { numRuns: 3_000 },
    );
  });

  test('valid programs cut inside an ld_imm64', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(validInsn, { maxLength: 10 }), fc.integer({ min: 0, max: 10 }), fc.integer({ min: -1, max: 0x7fffffff }), async (parts, dst, imm) => {
        const insns = [...parts.flat(), { code: 0x18, dst, src: 0, off: 0, imm }];
        const { code, io } = await run(['disasm', 'x.bin'], { 'x.bin': encodeInsns(insns) });
        expectOneLineError(code, io);
      }),
      { numRuns: 1_000 },
    );
  });

  const TOKENS = ['r0', 'r1', 'w2', 'r10', 'r11', '%r1', '=', '+=', 's>>=', '-', '+', '*', '(', ')', 'u32', 's8', 'goto', 'pc', 'pc+1', '+3', '-1',
    '5', '0x10', '0xffffffffffffffff', 'll', 'map', '[', ']', 'map_value', 'call', 'exit', 'if', '==', ':', 'lbl', 'lbl:', '\n', ',', 'lock',
    '#', ';', '.map', '.type', 'xdp', 'array', 'key=4', 'entries=1', 'mov', 'ldxw', '[%r1+4]', 'lddw', 'ja', 'jne', 'local', 'bswap16', '@', '"', '\t'];
  test('garbage assembly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...TOKENS), { maxLength: 30 }), fc.constantFrom(' ', ''), async (toks, sep) => {
        const { code, io } = await run(['asm', 'x.s'], { 'x.s': toks.join(sep) });
        if (code === 0) { expect(io.stderr).toBe(''); return; }
        expectOneLineError(code, io);
      }),
      { numRuns: 3_000 },
    );
  });

  test('arbitrary text as assembly and as a conformance file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom('x.s', 'x.data'), async (text, name) => {
        const { code, io } = await run(['disasm', name], { [name]: text });
        if (code === 0) { expect(io.stderr).toBe(''); return; }
        expectOneLineError(code, io);
      }),
      { numRuns: 2_000 },
    );
  });
});
