import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/isa/errors.js';
import { ldImm64 } from '../../src/isa/insn.js';
import { patchMapFds } from '../../src/kernel/index.js';

describe('patchMapFds (no kernel needed)', () => {
  it('replaces map indices with fds in src=1/2 ld_imm64 only, leaving the input untouched', () => {
    const insns = [...ldImm64(1, 1n, 1), ...ldImm64(2, 0n, 2), ...ldImm64(3, 5n, 0), { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
    insns[3] = { ...insns[3]!, imm: 16 }; // value offset of the src=2 load stays
    const out = patchMapFds(insns, [40, 41]);
    expect(out.map((i) => i.imm)).toEqual([41, 0, 40, 16, 5, 0, 0]);
    expect(insns[0]!.imm).toBe(1);
  });

  it('names the instruction of an out-of-range map index', () => {
    const insns = [{ code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, ...ldImm64(1, 3n, 1)];
    expect(() => patchMapFds(insns, [7])).toThrow(InputError);
    expect(() => patchMapFds(insns, [7])).toThrow(/insn 1: map index 3 out of range/);
  });
});
