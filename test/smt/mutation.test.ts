/**
 * Mutation check: deliberately wrong operators are substituted into the kernel table (dependency
 * injection, no code edited). For each, the prover must find a counterexample, and replaying the
 * counterexample with the running bigint operators must show the violation. The correct table
 * proves the same obligations (so the counterexample is due to the planted bug).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadZ3, proveAt, selectObligations, type Patch, type Z3Handle } from '../../src/smt/index.js';
import { HALF_FIELDS, REG_FIELDS, copyReg, type Kernel, type Reg, type Tnum } from '../../src/verifier/domains/index.js';

let z: Z3Handle;
beforeAll(async () => { z = await loadZ3(); });
afterAll(async () => { await z.close(); });

interface Mutant { name: string; obligation: string; patch: Patch; width?: number }

const MUTANTS: Mutant[] = [
  {
    name: 'tnum_add without the carry mask',
    obligation: 'tnum.add',
    patch: <T, B>(k: Kernel<T, B>) => {
      const { n } = k;
      k.t = { ...k.t, add: (a: Tnum<T>, b: Tnum<T>) => { const mu = n.or(a.mask, b.mask); return { value: n.and(n.add(a.value, b.value), n.not(mu)), mask: mu }; } };
    },
  },
  {
    name: '32-bit result not zero-extended (upper var_off kept)',
    obligation: 'alu32.add',
    patch: <T, B>(k: Kernel<T, B>) => { k.zext32To64 = (r: Reg<T>) => k.assign32Into64(r); },
  },
  {
    name: 'u32 bounds sign-extended into u64 (__reg_assign_32_into_64)',
    obligation: 'zext32 (w = w)',
    patch: <T, B>(k: Kernel<T, B>) => {
      const orig = k.assign32Into64;
      k.assign32Into64 = (r: Reg<T>) => { orig(r); r.umin = k.A.sext(r.u32min, k.H, k.N); r.umax = k.A.sext(r.u32max, k.H, k.N); };
    },
  },
  {
    name: 'JLT refinement off by one (umax of the smaller operand = other umax - 2)',
    obligation: 'jlt.taken',
    patch: <T, B>(k: Kernel<T, B>) => {
      const orig = k.refineCondOp;
      k.refineCondOp = (r1, r2, op, jmp32) => {
        if (op !== 'jlt' || jmp32) return orig(r1, r2, op, jmp32);
        r1.umax = k.n.umin(r1.umax, k.n.sub(r2.umax, k.n.c(2)));
        r2.umin = k.n.umax(k.n.add(r1.umin, k.n.one), r2.umin);
      };
    },
  },
  {
    name: 'fall-through of JLT refined as JGT instead of JGE',
    obligation: 'jlt.fall',
    patch: <T, B>(k: Kernel<T, B>) => {
      const orig = k.refineCondOp;
      k.refineCondOp = (r1, r2, op, jmp32) => orig(r1, r2, op === 'jge' ? 'jgt' : op, jmp32);
    },
  },
  {
    name: 'signed add bounds without the overflow check',
    obligation: 'alu64.add',
    patch: <T, B>(k: Kernel<T, B>) => {
      const orig = k.add64;
      k.add64 = (d, s) => { const smin = k.n.add(d.smin, s.smin), smax = k.n.add(d.smax, s.smax); orig(d, s); d.smin = smin; d.smax = smax; };
    },
  },
  {
    // alu64.or takes tnum_or's result from the tnum.or lemma (assume-guarantee): a wrong range computed from it is still caught
    name: 'OR64 umax from var_off.value alone (the unknown bits dropped)',
    obligation: 'alu64.or',
    patch: <T, B>(k: Kernel<T, B>) => {
      const orig = k.or64;
      k.or64 = (d, s) => { orig(d, s); d.umax = d.value; };
    },
  },
  {
    name: 'JGT decided taken when umin1 >= umax2',
    obligation: 'jgt.decide',
    patch: <T, B>(k: Kernel<T, B>) => {
      const orig = k.branch;
      k.branch = (op, jmp32, a, b) => (op === 'jgt' && !jmp32 ? k.n.ite(k.n.uge(a.umin, b.umax), k.n.one, orig(op, jmp32, a, b)) : orig(op, jmp32, a, b));
    },
  },
  {
    name: 'smin from var_off ignoring an unknown sign bit',
    obligation: 'sync.update_reg64_bounds',
    patch: <T, B>(k: Kernel<T, B>) => {
      // the obligation proves the ranges' part of __update_reg64_bounds (the single-value check is its own)
      const orig = k.updateReg64Ranges;
      k.updateReg64Ranges = (r) => { orig(r); r.smin = k.n.smax(r.smin, r.value); };
    },
  },
  {
    name: 'arsh64 shifting the signed bounds logically',
    obligation: 'alu64.arsh',
    patch: <T, B>(k: Kernel<T, B>) => {
      const orig = k.arsh64;
      k.arsh64 = (d, s) => { const smin = k.n.lshr(d.smin, s.umin), smax = k.n.lshr(d.smax, s.umin); orig(d, s); d.smin = smin; d.smax = smax; };
    },
  },
  {
    name: 'narrow load keeps the range without checking the dropped bits',
    obligation: 'load.u8',
    patch: <T, B>(k: Kernel<T, B>) => {
      k.coerceToSize = (r, bits) => {
        const m = k.n.c((1n << BigInt(bits)) - 1n);
        const v = k.t.cast(r, bits);
        r.value = v.value; r.mask = v.mask;
        r.umin = k.n.and(r.umin, m); r.umax = k.n.and(r.umax, m); r.smin = r.umin; r.smax = r.umax;
        k.mark32Unbounded(r);
      };
    },
  },
  {
    name: 'tnum_mul step treating an unknown trit of the multiplier as 0',
    obligation: 'tnum.mul',
    patch: <T, B>(k: Kernel<T, B>) => {
      const { n, A } = k;
      k.t = { ...k.t, mulStep: (acc: Tnum<T>, a: Tnum<T>, b: Tnum<T>) => k.t.ite(A.not(n.isZero(n.and(a.value, n.one))), k.t.add(acc, b), acc) };
    },
  },
  {
    name: 'mul64 unsigned bounds without the overflow check (integer instantiation, 64 bits)',
    obligation: 'mul.u64',
    width: 64,
    patch: <T, B>(k: Kernel<T, B>) => {
      k.mul64 = (d, s) => { d.umin = k.n.mul(d.umin, s.umin); d.umax = k.n.mul(d.umax, s.umax); };
    },
  },
  {
    name: 'mul64 signed bounds from two corners only (smin·smin, smax·smax; integer instantiation, 64 bits)',
    obligation: 'mul.s64',
    width: 64,
    patch: <T, B>(k: Kernel<T, B>) => {
      const orig = k.mul64;
      k.mul64 = (d, s) => {
        const { n, A } = k;
        const pairs: [T, T][] = [[d.smin, s.smin], [d.smax, s.smax]];
        const ov = A.or(...pairs.map(([a, b]) => n.smulOv(a, b)));
        const [p, q] = pairs.map(([a, b]) => n.mul(a, b)) as [T, T];
        orig(d, s);
        d.smin = n.ite(ov, n.sminv, n.smin(p, q));
        d.smax = n.ite(ov, n.smaxv, n.smax(p, q));
      };
    },
  },
  {
    name: 'mul32 signed overflow checked on one corner only (integer instantiation, subregister at 64 bits)',
    obligation: 'mul.s32',
    width: 64,
    patch: <T, B>(k: Kernel<T, B>) => {
      const orig = k.mul32;
      k.mul32 = (d, s) => {
        const { h } = k;
        const c = [h.mul(d.s32min, s.s32min), h.mul(d.s32min, s.s32max), h.mul(d.s32max, s.s32min), h.mul(d.s32max, s.s32max)] as [T, T, T, T];
        const ov = h.smulOv(d.s32max, s.s32max);
        orig(d, s);
        d.s32min = h.ite(ov, h.sminv, h.smin(h.smin(c[0], c[1]), h.smin(c[2], c[3])));
        d.s32max = h.ite(ov, h.smaxv, h.smax(h.smax(c[0], c[1]), h.smax(c[2], c[3])));
      };
    },
  },
  {
    name: 'be16 as swab64 of the whole var_off, then truncated to 16 bits',
    obligation: 'end.be16',
    patch: <T, B>(k: Kernel<T, B>) => {
      const orig = k.t.bswap;
      k.t = { ...k.t, bswap: (a: Tnum<T>, bits: number) => k.t.cast(orig(a, k.N), bits) };
    },
  },
  {
    name: 'bswap64 keeping the ranges of the unswapped value',
    obligation: 'end.bswap64',
    patch: <T, B>(k: Kernel<T, B>) => {
      k.end = (dst, bits64, kind) => {
        const d = { ...dst };
        const t = k.t.bswap(d, (bits64 * k.N) / 64);
        d.value = t.value; d.mask = t.mask;
        return d;
      };
    },
  },
  {
    // Found by the tnum.step lemma (only a step that overshoots a member can make the check unsound).
    name: 'tnum_step smearing all of d instead of its non-mask bits (skips members)',
    obligation: 'tnum.step',
    patch: <T, B>(k: Kernel<T, B>) => {
      const { n } = k;
      k.t = {
        ...k.t,
        step: (a: Tnum<T>, z: T) => {
          const tmax = n.or(a.value, a.mask);
          const d = n.sub(z, a.value);
          let sm = d;
          for (let i = 1; i < n.w; i *= 2) sm = n.or(sm, n.lshrk(sm, i));
          const next = n.or(a.value, n.and(n.add(n.or(sm, n.not(a.mask)), n.one), a.mask));
          return n.ite(n.uge(z, tmax), tmax, n.ite(n.ult(z, a.value), a.value, next));
        },
      };
    },
  },
  {
    // Proven assuming the tnum.step lemma: the planted check trusts the first search alone.
    name: 'single-value check taking the first member above umin as the only one (second search skipped)',
    obligation: 'sync.single_value',
    patch: <T, B>(k: Kernel<T, B>) => {
      const { A, n, h } = k;
      k.reg64SingleValue = (r: Reg<T>) => {
        const next = k.t.step(r, r.umin);
        const wrong = A.and(A.not(n.eq(n.and(r.umin, n.not(r.mask)), r.value)), n.ule(next, r.umax));
        const c = copyReg(r);
        k.markKnown(c, next);
        for (const f of REG_FIELDS) r[f] = (HALF_FIELDS.has(f) ? h : n).ite(wrong, c[f], r[f]);
      };
    },
  },
  {
    // Proven with the single-value step assumed (sync.single_value): the bug before it is found
    // in the stages (the state the step receives).
    name: 'lsh64 unsigned bounds without the check for bits shifted out',
    obligation: 'alu64.lsh',
    patch: <T, B>(k: Kernel<T, B>) => {
      const orig = k.lsh64;
      k.lsh64 = (d, s) => {
        const umin = k.n.shl(d.umin, s.umin), umax = k.n.shl(d.umax, s.umax);
        const update = k.updateRegBounds;
        k.updateRegBounds = (r) => { r.umin = umin; r.umax = umax; update(r); };
        try { orig(d, s); } finally { k.updateRegBounds = update; }
      };
    },
  },
  {
    name: 'linked register moved by the negated offset difference (known - reg instead of reg - known)',
    obligation: 'linked.sync',
    patch: <T, B>(k: Kernel<T, B>) => {
      const orig = k.linkedMove;
      k.linkedMove = (known, delta) => orig(known, k.n.neg(delta));
    },
  },
  {
    name: 'self-comparison JLE refined as JLT, the empty result kept (no sanity reset)',
    obligation: 'jle.self.taken',
    patch: <T, B>(k: Kernel<T, B>) => {
      const orig = k.refineSelf;
      k.refineSelf = (op, jmp32, a) => {
        if (op !== 'jle' || jmp32) return orig(op, jmp32, a);
        const r = copyReg(a);
        k.refineCondOp(r, r, 'jlt', jmp32);
        k.regBoundsSync(r);
        return { taken: r, fall: orig(op, jmp32, a).fall };
      };
    },
  },
];

describe('mutation check: the prover catches planted bugs', () => {
  for (const m of MUTANTS) {
    it(m.name, async () => {
      const [ob] = selectObligations(m.obligation);
      expect(ob?.name).toBe(m.obligation);
      const width = m.width ?? 8;
      const bad = await proveAt(z, ob!, width, 60_000, m.patch);
      expect(bad.verdict).toBe('failed');
      expect(bad.counterexample?.replayed).toBe(true);
      const good = await proveAt(z, ob!, width, 60_000);
      expect(good.verdict).toBe('proved');
    });
  }
});
