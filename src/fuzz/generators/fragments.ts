/**
 * fast-check arbitraries for program fragments (see shape.ts), per program type. Weights favour
 * what stresses a verifier: ALU with edge constants, bounds checks, null checks, spills, loops
 * and calls; near misses (`slack`, missing null checks, bad shifts) are kept rare so most
 * programs are accepted and reach the oracles that run them.
 */
import fc from 'fast-check';
import { imm32Arb, imm64Arb, shiftArb } from './constants.js';
import type { AluName, AtomicName, CmpName, Frag, FuzzProgType, Operand, Size, Var } from './shape.js';
import { TYPE_SPECS } from './shape.js';

const ALU_NAMES: readonly AluName[] = ['add', 'sub', 'mul', 'div', 'sdiv', 'mod', 'smod', 'or', 'and', 'lsh', 'rsh', 'arsh', 'xor', 'mov'];
const CMP_NAMES: readonly CmpName[] = ['jeq', 'jne', 'jset', 'jgt', 'jge', 'jlt', 'jle', 'jsgt', 'jsge', 'jslt', 'jsle'];
const ATOMICS: readonly AtomicName[] = ['add', 'or', 'and', 'xor', 'fadd', 'for', 'fand', 'fxor', 'xchg', 'cmpxchg'];

export const varArb: fc.Arbitrary<Var> = fc.constantFrom<Var>(0, 1, 2);
const sizeArb: fc.Arbitrary<Size> = fc.constantFrom<Size>(1, 2, 4, 8);
/** A rare "make it wrong" switch: 1 in ~25. */
const nearMiss: fc.Arbitrary<number> = fc.oneof({ weight: 24, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) });
const regOperand: fc.Arbitrary<Operand> = varArb.map((reg) => ({ reg }));
const operandArb: fc.Arbitrary<Operand> = fc.oneof(regOperand, imm32Arb.map((imm) => ({ imm })));

const aluArb: fc.Arbitrary<Frag> = fc
  .record({ op: fc.constantFrom(...ALU_NAMES), w32: fc.boolean(), dst: varArb, src: operandArb, shift: shiftArb, bad: nearMiss })
  .map(({ op, w32, dst, src, shift, bad }): Frag => {
    if ('imm' in src && (op === 'lsh' || op === 'rsh' || op === 'arsh')) {
      // constant shifts >= the width are rejected by the verifier: keep them rare
      const imm = bad ? shift : w32 ? shift & 31 : shift & 63;
      return { k: 'alu', op, w32, dst, src: { imm } };
    }
    if ('imm' in src && src.imm === 0 && (op === 'div' || op === 'sdiv' || op === 'mod' || op === 'smod') && !bad)
      return { k: 'alu', op, w32, dst, src: { imm: 3 } };
    return { k: 'alu', op, w32, dst, src };
  });

const scalarLeaf = (type: FuzzProgType): fc.Arbitrary<Frag>[] => {
  const spec = TYPE_SPECS[type];
  const out: fc.Arbitrary<Frag>[] = [
    fc.record({ k: fc.constant('const' as const), dst: varArb, value: imm64Arb, how: fc.constantFrom('mov32' as const, 'mov64' as const, 'ld64' as const) }),
    fc.record({ k: fc.constant('helper' as const), dst: varArb, fn: fc.nat(7), mask: fc.constantFrom(0, 0, 0xff, 0xffff, 0x3f, 7) }),
  ];
  if (spec.ctxLoads.length > 0)
    out.push(fc.record({ k: fc.constant('ctx' as const), dst: varArb, field: fc.nat(63), narrow: fc.nat(15), viaSpill: fc.boolean() }));
  return out;
};

/** Fragments without nested bodies. */
export function leafArb(type: FuzzProgType): fc.Arbitrary<Frag> {
  const spec = TYPE_SPECS[type];
  const leaves: { weight: number; arbitrary: fc.Arbitrary<Frag> }[] = [
    { weight: 10, arbitrary: aluArb },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('neg' as const), w32: fc.boolean(), dst: varArb }) },
    { weight: 3, arbitrary: fc.oneof(...scalarLeaf(type)) },
    {
      weight: 1,
      arbitrary: fc.record({ k: fc.constant('movsx' as const), dst: varArb, src: varArb, bits: fc.constantFrom<8 | 16 | 32>(8, 16, 32), w32: fc.boolean() }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ k: fc.constant('end' as const), dst: varArb, kind: fc.constantFrom('le' as const, 'be' as const, 'bswap' as const), bits: fc.constantFrom<16 | 32 | 64>(16, 32, 64) }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        k: fc.constant('spill' as const), src: varArb, dst: varArb, slot: fc.nat(4), size: sizeArb, sx: fc.boolean(),
        atomic: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...ATOMICS) }),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        k: fc.constant('map' as const), map: fc.nat(3), key: fc.oneof(regOperand, fc.integer({ min: 0, max: 20 }).map((imm) => ({ imm }))), dst: varArb,
        access: fc.constantFrom('load' as const, 'load' as const, 'store' as const, 'atomic' as const, 'update' as const, 'delete' as const),
        off: fc.nat(63), size: sizeArb, idx: fc.option(varArb, { nil: null }), bound: fc.constantFrom('and' as const, 'jgt' as const, 'jsgt' as const),
        slack: nearMiss, nullCheck: fc.oneof({ weight: 20, arbitrary: fc.constantFrom<0 | 1>(0, 1) }, { weight: 1, arbitrary: fc.constant<2>(2) }),
        atomic: fc.constantFrom(...ATOMICS),
      }),
    },
  ];
  if (spec.packet)
    leaves.push({
      weight: 5,
      arbitrary: fc.record({
        k: fc.constant('packet' as const), dst: varArb, len: fc.integer({ min: 1, max: 64 }), off: fc.nat(63), size: sizeArb, write: fc.boolean(),
        idx: fc.option(varArb, { nil: null, freq: 2 }), mask: fc.constantFrom(0xff, 0x3f, 0xf, 0x1ff, 0x7), form: fc.nat(3), slack: nearMiss,
      }),
    });
  if (spec.ldAbs)
    leaves.push({
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('ldabs' as const), dst: varArb, off: fc.oneof(fc.nat(80), fc.constantFrom(-0x100000, -0x200000, 0x7fffffff)),
        size: fc.constantFrom<1 | 2 | 4>(1, 2, 4), ind: fc.option(varArb, { nil: null }),
      }),
    });
  if (spec.skbLoadBytes)
    leaves.push({
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('skbLoad' as const), dst: varArb, off: fc.oneof(regOperand, fc.nat(100).map((imm) => ({ imm }))), len: fc.integer({ min: 1, max: 32 }),
        at: fc.nat(31), size: sizeArb,
      }),
    });
  if (spec.ctxStores.length > 0) leaves.push({ weight: 1, arbitrary: fc.record({ k: fc.constant('ctxStore' as const), field: fc.nat(15), src: varArb }) });
  return fc.oneof(...leaves);
}

/** Fragment lists up to `depth` levels of nested if/loop bodies. `calls`: emit bpf-to-bpf calls. */
export function fragsArb(type: FuzzProgType, depth: number, maxLength: number, calls: boolean): fc.Arbitrary<Frag[]> {
  const leaf = leafArb(type);
  const choices: { weight: number; arbitrary: fc.Arbitrary<Frag> }[] = [{ weight: 12, arbitrary: leaf }];
  if (depth > 0) {
    const body = fragsArb(type, depth - 1, Math.max(1, maxLength >> 1), calls);
    choices.push({
      weight: 3,
      arbitrary: fc.record({ k: fc.constant('if' as const), cmp: fc.constantFrom(...CMP_NAMES), j32: fc.boolean(), a: varArb, b: operandArb, then: body, else: body }),
    });
    const loopBody = fragsArb(type, 0, 3, calls);
    choices.push({
      weight: 1,
      arbitrary: fc.record({ k: fc.constant('loop' as const), n: fc.integer({ min: 1, max: 6 }), bound: fc.option(varArb, { nil: null }), body: loopBody }),
    });
  }
  if (calls) choices.push({ weight: 1, arbitrary: fc.record({ k: fc.constant('call' as const), sub: fc.nat(3), args: fc.tuple(varArb, varArb), dst: varArb }) });
  return fc.array(fc.oneof(...choices), { maxLength });
}

/** An initialiser of variable `v`: a constant, a ctx field or a helper result. */
export function initArb(type: FuzzProgType, v: Var): fc.Arbitrary<Frag> {
  return fc.oneof(...scalarLeaf(type)).map((f): Frag => ({ ...f, dst: v }) as Frag);
}
