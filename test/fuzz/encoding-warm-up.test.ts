import { describe, expect, it } from 'vitest';
import { warmUpEncodings, warmUpEncodingSet } from '../../src/fuzz/encoding-warm-up.js';
import { makeInsn } from '../../src/isa/insn.js';
import { checkInsn, invalidRegister } from '../../src/isa/validate.js';

/** A reason with its numbers masked (`unknown opcode 0x8f` and `unknown opcode 0x9f` are one path of checkInsn). */
const pathOf = (r: { kind: string; reason: string } | null): string => (r === null ? 'valid' : `${r.kind}: ${r.reason.replace(/opcode (0x)?[0-9a-f]+/g, 'opcode N').replace(/0x[0-9a-f]+|-?\d+/g, 'N')}`);

describe('instruction validation warm-up before a campaign (fuzz/encoding-warm-up.ts)', () => {
  it('meets every verdict checkInsn and invalidRegister give on 200,000 random encodings', () => {
    const warm = new Set<string>();
    for (const ins of warmUpEncodingSet()) { warm.add(pathOf(checkInsn(ins))); warm.add(`reg ${invalidRegister(ins)?.field ?? 'none'}`); }
    // A fixed-seed xorshift: the same encodings every run.
    let x = 0x2545f491;
    const next = (): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x; };
    const random = new Set<string>();
    for (let i = 0; i < 200_000; i++) {
      const r = next();
      // Fields drawn mostly small (as fuzz programs have them), sometimes anything.
      const small = (i & 3) !== 0;
      const ins = makeInsn(r & 0xff, (r >>> 8) & 15, (r >>> 12) & 15, small ? ((next() % 40) | 0) : (next() << 16) >> 16, small ? ((next() % 80) | 0) : next());
      random.add(pathOf(checkInsn(ins)));
      random.add(`reg ${invalidRegister(ins)?.field ?? 'none'}`);
    }
    expect([...random].filter((p) => !warm.has(p))).toEqual([]);
  });

  it('runs once per isolate', () => {
    warmUpEncodings();
    expect(warmUpEncodings()).toBe(0);
  });
});
