/**
 * Instruction validation's type feedback, collected before a campaign rather than during it.
 * isa/validate.ts's checkInsn has one return per kind of malformed encoding, and raw and mutated
 * fuzz programs reach them one at a time: each first visit is a call with no type feedback in
 * the optimised checkInsn, which deoptimises it and has TurboFan compile it again (measured on a
 * cold worker, 10,000 guided sanitize programs: 13-14 compiles of checkInsn, 11 of its deopts of
 * that kind), on V8's helper threads -- CPU a second worker on the other core loses.
 *
 * Validating every opcode with a set of field patterns once per isolate (a few thousand
 * instructions, a few milliseconds) gives the first optimised checkInsn all of them.
 */
import { type Insn, makeInsn } from '../isa/insn.js';
import { checkInsn, invalidRegister } from '../isa/validate.js';

/**
 * dst, src, off, imm: zero fields, small and reserved values, the movsx / sdiv / address-space
 * offsets, byte-swap widths, may_goto's form, registers above r10, and the extremes of off and imm.
 */
const FIELDS: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 0, 0], [1, 1, 0, 0], [1, 0, 1, 1], [1, 2, 1, 0], [1, 2, 8, 0], [1, 2, 16, 0], [1, 2, 32, 0], [1, 0, 0, 16],
  [1, 0, 0, 32], [1, 0, 0, 64], [1, 0, 0, 8], [0, 1, 0, 1], [0, 2, 0, 1], [0, 0, 1, 0], [0, 0, -1, 0], [11, 12, 0, 0],
  [15, 15, -1, -1], [1, 3, 0, 0x7fffffff], [1, 4, -0x8000, -0x80000000], [10, 0, 0x7fff, 0], [0, 5, 0, 0], [0, 6, 0, 0],
];

/** The instructions the warm-up validates. */
export function warmUpEncodingSet(): Insn[] {
  const out: Insn[] = [];
  for (let code = 0; code < 256; code++) for (const [dst, src, off, imm] of FIELDS) out.push(makeInsn(code, dst, src, off, imm));
  return out;
}

let warm = false;

/** Validates every opcode with the field patterns above (once per isolate); returns how many instructions it judged malformed. */
export function warmUpEncodings(): number {
  if (warm) return 0;
  warm = true;
  let malformed = 0;
  for (const ins of warmUpEncodingSet()) {
    if (checkInsn(ins) !== null) malformed++;
    invalidRegister(ins);
  }
  return malformed;
}
