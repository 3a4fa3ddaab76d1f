/**
 * Every valid instruction survives decode -> encode and disassemble -> assemble unchanged
 * (fast-check; 100,000 single instructions plus whole programs).
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { decodeInsns, encodeInsns, validateInsns } from '../../src/isa/decode.js';
import { checkInsn } from '../../src/isa/validate.js';
import { disasmInsn, disasmProgram } from '../../src/isa/disasm.js';
import { assemble } from '../../src/isa/asm/index.js';
import * as op from '../../src/isa/opcodes.js';
import type { Insn } from '../../src/isa/insn.js';
import type { MapSpec, Program } from '../../src/isa/program.js';
import { CLASS_NAMES, imm32, off16, reg, validInsn } from './arbitrary.js';

const RUNS = 100_000;

describe('instruction round trips', () => {
  test(`${RUNS} random valid instructions: decode(encode(x)) = x and assemble(disasm(x)) = x`, () => {
    const perClass = new Map<string, number>();
    const opcodes = new Set<number>();
    fc.assert(
      fc.property(validInsn, (slots) => {
        expect(checkInsn(slots[0]!)).toBeNull();
        const bytes = encodeInsns(slots);
        expect(decodeInsns(bytes, { validate: false })).toEqual(slots);
        const text = disasmInsn(slots, 0);
        const back = assemble(text).insns;
        if (JSON.stringify(back) !== JSON.stringify(slots)) throw new Error(`'${text}' assembled to ${JSON.stringify(back)}, want ${JSON.stringify(slots)}`);
        const name = CLASS_NAMES[op.cls(slots[0]!.code)]!;
        perClass.set(name, (perClass.get(name) ?? 0) + 1);
        opcodes.add(slots[0]!.code);
      }),
      { numRuns: RUNS },
    );
    console.log(`round trip: ${RUNS} instructions, ${opcodes.size} distinct opcodes; per class: ${[...perClass].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    // Every opcode the validator accepts was generated (no blind spot in the arbitrary).
    const accepted = [];
    for (let code = 0; code < 256; code++) if (acceptsSomeFields(code)) accepted.push(code);
    expect([...opcodes].sort((a, b) => a - b)).toEqual(accepted);
  });

  test('random slots that pass validation also round trip (independent of the arbitrary)', () => {
    const anySlot = fc.record({ code: fc.integer({ min: 0, max: 255 }), dst: fc.oneof(fc.constant(0), reg), src: fc.oneof(fc.constant(0), reg), off: fc.oneof(fc.constant(0), off16), imm: fc.oneof(fc.constant(0), imm32) });
    let valid = 0;
    fc.assert(
      fc.property(anySlot, (s) => {
        if (checkInsn(s) !== null || s.code === op.BPF_LD_IMM64) return;
        valid++;
        expect(assemble(disasmInsn([s], 0)).insns).toEqual([s]);
      }),
      { numRuns: 20_000 },
    );
    expect(valid).toBeGreaterThan(500);
  });

  const maps: MapSpec[] = [
    { name: 'counters', type: 'array', keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 },
    { name: 'flows', type: 'hash', keySize: 16, valueSize: 32, maxEntries: 1024, flags: 1 },
  ];
  test('whole programs with pc-relative jumps, map references and directives: assemble(disasmProgram(p)) = p', () => {
    const mapRef = fc.record({ dst: reg, idx: fc.integer({ min: 0, max: 1 }), value: fc.boolean(), off: fc.integer({ min: 0, max: 31 }) }).map(({ dst, idx, value, off }) => [
      { code: op.BPF_LD_IMM64, dst, src: value ? 2 : 1, off: 0, imm: idx },
      { code: 0, dst: 0, src: 0, off: 0, imm: value ? off : 0 },
    ]);
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 4, arbitrary: validInsn }, { weight: 1, arbitrary: mapRef }), { minLength: 1, maxLength: 40 }), fc.boolean(), (parts, withMaps) => {
        const insns: Insn[] = parts.filter((s) => withMaps || !(s[0]!.code === op.BPF_LD_IMM64 && (s[0]!.src === 1 || s[0]!.src === 2))).flat();
        const p: Program = { name: 'p', section: '', type: 'xdp', insns, maps: withMaps ? maps : [], license: 'GPL' };
        const text = disasmProgram(p);
        const r = assemble(text);
        expect(r.insns).toEqual(insns);
        expect(r.maps).toEqual(p.maps);
        expect(r.type).toBe('xdp');
      }),
      { numRuns: 2_000 },
    );
  });

  test('validateInsns accepts every generated instruction inside a program whose jumps stay in range', () => {
    fc.assert(
      fc.property(validInsn, (slots) => {
        // Neutralise jump distances so that only the encoding is judged.
        const s = slots.map((x) => ({ ...x }));
        const c = op.cls(s[0]!.code);
        if ((c === op.BPF_JMP || c === op.BPF_JMP32) && op.jmpOp(s[0]!.code) !== op.BPF_EXIT) {
          if (op.jmpOp(s[0]!.code) === op.BPF_CALL) { if (s[0]!.src === 1) s[0]!.imm = 0; } else if (c === op.BPF_JMP32 && op.jmpOp(s[0]!.code) === op.BPF_JA) s[0]!.imm = 0;
          else s[0]!.off = 0;
        }
        validateInsns([...s, { code: op.BPF_JMP | op.BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 }]);
      }),
      { numRuns: 5_000 },
    );
  });
});

/** Whether some choice of fields makes `code` valid (search over a small field grid). */
function acceptsSomeFields(code: number): boolean {
  if (code === op.BPF_LD_IMM64) return true;
  for (const src of [0, 1, 2]) for (const off of [0, 1, 8]) for (const imm of [0, 1, 16, op.BPF_XCHG, op.BPF_CMPXCHG])
    if (checkInsn({ code, dst: 0, src, off, imm }) === null) return true;
  return false;
}
