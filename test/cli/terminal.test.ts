/** The terminal speaks like the kernel: source lines in --log, helpful refusals, options that imply others. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { diskIo } from '../batch/helpers.js';
import { assemble } from '../../src/isa/index.js';
import type { Program } from '../../src/isa/program.js';
import { verifyWithStates } from '../../src/verifier/index.js';

const root = resolve(import.meta.dirname, '../..');
const multi = resolve(root, '../shared/corpus-samples/cilium-examples/tcx_bpf_bpfel.o');

async function cli(io: ReturnType<typeof memoryIo>, ...argv: string[]): Promise<number> {
  return main(argv, io);
}

describe('the terminal', () => {
  it('interleaves the C source lines in --log as the kernel does', async () => {
    const io = diskIo();
    expect(await cli(io, 'verify', resolve(root, 'corpus/c/ringbuf_leak.o'), '--log')).toBe(1);
    const lines = io.stdout.split('\n');
    const i = lines.findIndex((l) => l.startsWith('; __u64 *e = bpf_ringbuf_reserve(&events, 8, 0); @ '));
    expect(i).toBeGreaterThanOrEqual(0);
    expect(lines[i]).toMatch(/@ .*ringbuf_leak\.c:7$/);
    expect(lines[i + 1]).toMatch(/^\d+: \(/); // the instruction follows its source line
    // the program's line comes first, its log after it
    const head = lines.findIndex((l) => /\[.*insns\]: (accept|reject)/.test(l));
    expect(head).toBeGreaterThanOrEqual(0);
    expect(head).toBeLessThan(i);
  });

  it('tells to compile a C file with clang first', async () => {
    const io = memoryIo({ 'x.c': 'int main(void) { return 0; }\n' });
    expect(await cli(io, 'verify', 'x.c')).toBe(2);
    expect(io.stderr).toBe('bpflab: x.c: C source, not a program: compile it with clang first (clang -O2 -g --target=bpf -c x.c -o x.o)\n');
  });

  it.skipIf(!existsSync(multi))('lists the functions when a section holds several programs', async () => {
    const io = diskIo();
    expect(await cli(io, 'run', multi, '--section', 'tc')).toBe(2);
    expect(io.stderr).toMatch(/section 'tc' holds 2 programs: ingress_prog_func \(section tc\), egress_prog_func \(section tc\); pick one by function name/);
    const io2 = diskIo();
    expect(await cli(io2, 'disasm', multi, '--section', 'egress_prog_func')).toBe(0);
  });

  it('takes --log-level 2 as asking for the log', async () => {
    const io = diskIo();
    await cli(io, 'verify', resolve(root, 'examples/xdp-parse-bug.s'), '--log-level', '2');
    // the program's line, then the level-2 log: subprograms, live registers, then the first state
    expect(io.stdout).toMatch(/^[^\n]*\[xdp, \d+ insns\]: [^\n]*\nfunc#0 @0\nLive regs before insn:\n/);
    expect(io.stdout).toMatch(/\n0: R1=ctx\(\) R10=fp0\n0: \(61\)/);
  });

  it('reads bench --only as a comma-separated list', async () => {
    const io = memoryIo();
    expect(await cli(io, 'bench', '--only', 'vm,nosuch')).toBe(2);
    // vm was taken as a group of its own: only the unknown one is named.
    expect(io.stderr).toMatch(/^bpflab: bench: unknown group 'nosuch' \(have: vm, jit, [a-z, ]+\)\n$/);
  });
});

describe('abstract states as data', () => {
  const asm = assemble('r0 = *(u32 *)(r1 + 0)\nr0 &= 0xff\nif r0 > 10 goto +1\nr0 += 5\n*(u64 *)(r10 - 8) = r0\nexit\n');
  const program: Program = { name: 'p', section: '', type: 'socket_filter', insns: asm.insns, maps: [], license: 'GPL' };

  it('gives registers with type, tnum and bounds, and stack slots, before each instruction', () => {
    const r = verifyWithStates(program);
    expect(r.verdict).toBe('accept');
    const at2 = r.insnStates.get(2)![0]!.frames[0]!;
    expect(at2.regs[0]).toMatchObject({ type: 'scalar', umin: 0n, umax: 255n, smin: 0n, smax: 255n, tnum: { value: 0n, mask: 255n }, const: null });
    expect(at2.regs[1]).toMatchObject({ type: 'ctx', off: 0 });
    expect(at2.regs[2]!.type).toBe('?');
    expect(at2.regs[10]).toMatchObject({ type: 'fp', const: 0n });
    // Both paths reach the store: with r0 in 0..10 (+5) and in 11..255.
    const at4 = r.insnStates.get(4)!.map((s) => [s.frames[0]!.regs[0]!.umin, s.frames[0]!.regs[0]!.umax]);
    expect(at4).toContainEqual([5n, 15n]);
    const exit = r.insnStates.get(5)![0]!.frames[0]!;
    expect(exit.stack).toEqual([expect.objectContaining({ off: -8, kinds: 'rrrrrrrr', spilled: expect.objectContaining({ type: 'scalar' }) })]);
    expect(exit.regs[0]!.text).toMatch(/^scalar\(/);
  });

  it('collects only the chosen instructions, up to a limit', () => {
    const r = verifyWithStates(program, {}, { at: [3], limit: 1 });
    expect([...r.insnStates.keys()]).toEqual([3]);
    expect(r.statesTruncated).toBe(false);
    const all = verifyWithStates(program, {}, { limit: 2 });
    expect(all.statesTruncated).toBe(true);
    expect([...all.insnStates.values()].flat().length).toBe(2);
  });
});
