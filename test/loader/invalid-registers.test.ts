/**
 * The loaders read register fields r0..r15 as the kernel's load path does and leave r11..r15 to
 * the verifier (check_reg_arg, where exploration reaches them): assembly, raw bytecode and ELF
 * objects with such registers load; dead ones verify, reached ones are refused with the
 * kernel's message; the disassembly assembles back to the same bytes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { encodeInsns } from '../../src/isa/decode.js';
import { loadAsmProgram } from '../../src/loader/asm.js';
import { loadElf } from '../../src/loader/elf.js';
import { loadRaw } from '../../src/loader/raw.js';
import { verify } from '../../src/verifier/index.js';

// r11..r15 behind a branch the verifier knows is taken (the corpus entry of this case)
const DEAD = readFileSync(new URL('../../corpus/verifier/regs/invalid-reg-dead-code.s', import.meta.url), 'utf8');

async function run(argv: string[], files: Record<string, Uint8Array | string>) {
  const io = memoryIo(files);
  const code = await main(argv, io);
  return { code, io };
}

describe('r11..r15 load; the verifier judges them', () => {
  it('assembly: dead ones verify, a reached one is refused where it is reached', () => {
    const p = loadAsmProgram(DEAD, 'dead.s', {});
    expect(p.insns.map((i) => [i.dst, i.src]).slice(3, 9)).toEqual([[15, 0], [11, 10], [12, 13], [14, 0], [10, 15], [15, 0]]);
    expect(verify(p).verdict).toBe('accept');
    const live = loadAsmProgram('r0 = 0\nr1 = r0\nr15 = r1\nexit\n', 'live.s', {});
    expect(verify(live).error).toEqual({ pc: 2, kind: 'invalid_insn', message: 'R15 is invalid' });
  });

  it('raw bytecode: loads, disassembles with r11..r15 and assembles back to the same bytes', async () => {
    const bytes = encodeInsns(loadAsmProgram(DEAD, 'dead.s', {}).insns);
    const p = loadRaw(bytes, 'dead.bin', {});
    expect(verify(p).verdict).toBe('accept');
    const d = await run(['disasm', 'dead.bin'], { 'dead.bin': bytes });
    expect(d.code, d.io.stderr).toBe(0);
    expect(d.io.stdout).toContain('3: (bf) r15 = r0\n4: (79) r11 = *(u64 *)(r10 -8)\n5: (7b) *(u64 *)(r12 -8) = r13\n6: (2d) if r14 > r0 goto pc+3\n7: (db) lock *(u64 *)(r10 -8) += r15\n8: (18) r15 = 0x1 ll\n');
    const a = await run(['asm', 'back.s', '-o', 'back.bin'], { 'back.s': d.io.stdout });
    expect(a.code, a.io.stderr).toBe(0);
    expect(a.io.files.get('back.bin')).toEqual(bytes);
  });

  it('an ELF object: a register field patched to r15 loads; the verifier refuses it where reached', () => {
    const obj = new Uint8Array(readFileSync(new URL('../fixtures/elf/socket_filter.o', import.meta.url)));
    // tcp_only begins `r6 = r1; r7 = 0`: make the second `r15 = 0`
    const head = [0xbf, 0x16, 0, 0, 0, 0, 0, 0, 0xb7, 0x07];
    const at = obj.findIndex((_, i) => head.every((b, k) => obj[i + k] === b));
    expect(at).toBeGreaterThan(0);
    const patched = obj.slice();
    patched[at + 9] = 0x0f;
    const p = loadElf(patched, 'p.o').programs.find((x) => x.name === 'tcp_only')!;
    expect(p.insns[1]).toEqual({ code: 0xb7, dst: 15, src: 0, off: 0, imm: 0 });
    expect(verify(p).error).toEqual({ pc: 1, kind: 'invalid_insn', message: 'R15 is invalid' });
  });

  it('bpflab verify and run take a program with dead r11..r15', async () => {
    const v = await run(['verify', 'dead.s', '--json'], { 'dead.s': DEAD });
    expect(v.code, v.io.stderr).toBe(0);
    expect(JSON.parse(v.io.stdout)).toMatchObject({ programs: [{ verdict: 'accept', processed: 4 }] });
    const r = await run(['run', 'dead.s', '--json'], { 'dead.s': DEAD });
    expect(r.code, r.io.stderr).toBe(0);
    expect(JSON.parse(r.io.stdout)).toMatchObject({ r0: '0' });
  });
});
