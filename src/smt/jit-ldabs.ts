/**
 * Proof obligations for the JIT's legacy packet loads (LD_ABS, LD_IND; 8, 16, 32 bits). The
 * template (emitLdAbs) calls the `ldAbs` import, which hands the offset to runtime/access.ts
 * ldAbsLoad, the function the VM calls for the same instruction: the SKF_NET_OFF / SKF_LL_OFF
 * bases, the bounds (a short packet ends the run with r0 = 0), the byte order and the width live
 * there, and are compared with the kernel (BPF_PROG_TEST_RUN) in test/runtime/ld-abs.test.ts.
 * So the template is proven up to ldAbsLoad's contract, taken as uninterpreted: a value
 * value_size(o) (an int32, zero-extended bytes at 8 and 16 bits) and an exit exit_size(o) for each
 * width and 32-bit offset o.
 *
 * The import is modelled as runtime.ts implements it: o = (src's low word + imm) | 0 for LD_IND,
 * imm for LD_ABS (ldAbsLoad's `o |= 0`). The VM (interpreter.ts): the same offset from its
 * register, r0 = the value zero-extended, the run ended when ldAbsLoad throws.
 *
 * Proven, for all register values (the source register r0 too, which the load overwrites): the
 * run ends exactly when the VM's does; otherwise r0 equals the VM's and no other register
 * changes; the import is handed the instruction's pc (the exit names it); no wasm trap.
 */
import { emitLdAbs } from '../jit/memory.js';
import { insn, type Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { c32, numeral } from './jit-memory.js';
import { jitFrame, jitObligation } from './jit-templates.js';
import type { Obligation } from './obligation.js';
import { WasmSymbolic, type ImportModel, type SymValue } from './wasm-sym.js';
import type { Z3Ctx, ZB, ZT } from './z3-algebra.js';

/** The emitter under proof (the mutation test plants a bug into it through src/jit/planted.ts). */
export interface LdAbsEmitters { ldAbs: typeof emitLdAbs }

const LD_ABS_IMPORT = 5;

/** Offsets (imm) covering the bases ldAbsLoad distinguishes: data, SKF_NET_OFF, SKF_LL_OFF, below, the int32 extremes. */
const LD_IMMEDIATES = [0, 14, -1, -0x100000, -0x100000 + 9, -0x200000 + 12, -0x200001, 0x7fffffff, -0x80000000] as const;

/** ldAbsLoad's contract: the value (an int32; at 8 and 16 bits, below 2^8 / 2^16) and whether the run ends, per width, as functions of the offset. */
function contract(Z: Z3Ctx) {
  const decl = new Map<string, ReturnType<Z3Ctx['Function']['declare']>>();
  const fn = (name: string, range: ReturnType<Z3Ctx['BitVec']['sort']> | ReturnType<Z3Ctx['Bool']['sort']>) => {
    let d = decl.get(name);
    if (!d) { d = Z.Function.declare(name, Z.BitVec.sort(32), range); decl.set(name, d); }
    return d;
  };
  return {
    // 8- and 16-bit loads return the bytes zero-extended (ldAbsLoad's `b[at]`, `(b[at] << 8) | b[at + 1]`)
    value: (o: ZT, size: number): ZT => {
      const v = fn(`ld_abs_value${size}`, Z.BitVec.sort(8 * size)).call(o) as ZT;
      return size === 4 ? v : v.zeroExt(32 - 8 * size);
    },
    exit: (o: ZT, size: number): ZB => fn(`ld_abs_exit${size}`, Z.Bool.sort()).call(o) as ZB,
  };
}

/** One LD_ABS / LD_IND form: negated goals. */
function form(Z: Z3Ctx, ins: Insn, E: LdAbsEmitters): ZB[] {
  const C = contract(Z);
  const pc = 31;
  const f = jitFrame();
  E.ldAbs(f.c, ins, pc, f.L.reg, LD_ABS_IMPORT);
  const ldAbs: ImportModel = {
    params: ['i32', 'i32', 'i32', 'i32', 'i32'], results: ['i32'],
    effect([, srcLo, k, size, ind]) {
      const n = numeral(Z, size!, 'size');
      const o = numeral(Z, ind!, 'mode') !== 0 ? srcLo!.add(k!) : k!;
      return { results: [C.value(o, n)], fault: C.exit(o, n) };
    },
  };
  const regs = f.L.reg.map((_, i) => Z.BitVec.const(`r${i}`, 64));
  const ws = new WasmSymbolic(Z, new Map([[LD_ABS_IMPORT, ldAbs]]));
  const s = ws.run(f.c.w.view(), ws.state(new Map<number, SymValue>(f.L.reg.map((l, i) => [l, { type: 'i64', v: regs[i]! }]))), (i) => f.types[i]!);
  const size = op.sizeBytes(op.size(ins.code));
  // the VM's offset: (R[src] | 0) + imm, made an int32 by ldAbsLoad
  const o = op.mode(ins.code) === op.BPF_IND ? regs[ins.src]!.extract(31, 0).add(c32(Z, ins.imm)) : c32(Z, ins.imm);
  const exit = C.exit(o, size);
  const want = regs.map((x, i) => (i === 0 ? C.value(o, size).zeroExt(32) : x));
  const after = (i: number) => s.locals.get(f.L.reg[i]!)!.v;
  if (ws.calls.length !== 1) throw new Error('jit-ldabs: the template must call ldAbs once');
  return [
    Z.Not(s.fault.eq(exit)),
    Z.And(Z.Not(exit), Z.Not(Z.And(...want.map((x, i) => after(i).eq(x))))),
    Z.Not(ws.calls[0]!.args[0]!.eq(c32(Z, pc))),
    s.trap,
  ];
}

/** LD_ABS / LD_IND at one width: every offset of LD_IMMEDIATES, LD_IND from r3 and from r0. */
function ldAbsTemplate(mode: 'abs' | 'ind', size: 1 | 2 | 4, E: LdAbsEmitters): Obligation {
  const sz = size === 1 ? op.BPF_B : size === 2 ? op.BPF_H : op.BPF_W;
  return jitObligation(`jit.ld_${mode}${8 * size}`, (Z) => {
    const forms = mode === 'abs'
      ? LD_IMMEDIATES.map((k) => insn(op.BPF_LD | op.BPF_ABS | sz, 0, 0, 0, k))
      : [...LD_IMMEDIATES.map((k) => insn(op.BPF_LD | op.BPF_IND | sz, 0, 3, 0, k)), insn(op.BPF_LD | op.BPF_IND | sz, 0, 0, 0, 14)];
    return forms.flatMap((ins) => form(Z, ins, E));
  });
}

/** Every LD_ABS / LD_IND template. */
export function ldAbsObligations(E: Partial<LdAbsEmitters> = {}): Obligation[] {
  const e: LdAbsEmitters = { ldAbs: emitLdAbs, ...E };
  const out: Obligation[] = [];
  for (const mode of ['abs', 'ind'] as const) for (const size of [1, 2, 4] as const) out.push(ldAbsTemplate(mode, size, e));
  return out;
}
