/**
 * `bpflab disasm` on ELF objects: the per-program header (section, type, attach point, maps),
 * `--source` with BTF line info, JSON, and that the output still assembles to the program.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { encodeInsns } from '../../src/isa/decode.js';
import { loadElf } from '../../src/loader/elf.js';

const obj = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/elf/${name}`, import.meta.url)));
async function run(argv: string[], files: Record<string, Uint8Array | string>) {
  const io = memoryIo(files);
  const code = await main(argv, io);
  return { code, io };
}

describe('bpflab disasm on ELF objects', () => {
  test('lists section, type, attach point and maps of each program', async () => {
    const { code, io } = await run(['disasm', 'k.o'], { 'k.o': obj('kprobe_ringbuf.o') });
    expect(code).toBe(0);
    expect(io.stdout).toContain('; program trace_openat2\n; section kprobe/do_sys_openat2, type kprobe, attach do_sys_openat2, license "GPL", 25 insns\n');
    expect(io.stdout).toContain('; map 0: events ringbuf key=0 value=0 entries=65536 [btf]');
    expect(io.stdout).toContain('; program trace_openat2_ret\n');
  });

  test('--source interleaves BTF line info; the text still assembles to the same program', async () => {
    const files = { 'c.o': obj('calls_globals.o') };
    const { code, io } = await run(['disasm', 'c.o', '--section', 'with_calls', '--source'], files);
    expect(code).toBe(0);
    expect(io.stdout).toContain('; calls_globals.c:53:2  bpf_loop(16, step, NULL, 0);\n13: (b7) r1 = 16\n');
    expect(io.stdout).toContain('; --- square\n; calls_globals.c:28:0  static __noinline __u64 square(__u64 x)\n');
    expect(io.stdout).toContain('; subprograms: step at 24, add_square at 44, square at 52');
    const asm = await run(['asm', 'c.s', '-o', 'c.bin'], { 'c.s': io.stdout });
    expect(asm.code, asm.io.stderr).toBe(0);
    const p = loadElf(files['c.o'], 'c.o').programs[0]!;
    expect(asm.io.files.get('c.bin')).toEqual(encodeInsns(p.insns));
  });

  test('--json carries maps with their origin and C types, subprograms, and source with --source', async () => {
    const { code, io } = await run(['disasm', 'x.o', '--json', '--source'], { 'x.o': obj('xdp_parser.o') });
    expect(code).toBe(0);
    const doc = JSON.parse(io.stdout);
    expect(doc.programs[0]).toMatchObject({ name: 'xdp_parse', section: 'xdp', type: 'xdp', expectedAttachType: 37, subprograms: [] });
    expect(doc.programs[0].maps[0]).toMatchObject({ name: 'proto_count', type: 'array', origin: 'btf', keyType: '__u32', valueType: '__u64' });
    expect(doc.programs[0].insns[0].source).toMatchObject({ pc: 0, line: 28, text: 'int xdp_parse(struct xdp_md *ctx)' });
  });

  test('a refused object is one error line naming the file, exit 2', async () => {
    const bytes = obj('xdp_parser.o').slice(0, 200);
    const { code, io } = await run(['disasm', 'bad.o'], { 'bad.o': bytes });
    expect(code).toBe(2);
    expect(io.stderr).toMatch(/^bpflab: bad\.o: ELF .*\n$/);
  });

  test('classic filters disassemble as their eBPF conversion', async () => {
    const cbpf = readFileSync(new URL('../fixtures/cbpf/ip.cbpf', import.meta.url), 'utf8');
    const { code, io } = await run(['disasm', 'ip.cbpf'], { 'ip.cbpf': cbpf });
    expect(code).toBe(0);
    expect(io.stdout).toContain('.type socket_filter\n0: (b4) w0 = 0\n1: (b4) w7 = 0\n2: (bf) r6 = r1\n3: (28) r0 = *(u16 *)skb[12]\n');
  });
});
