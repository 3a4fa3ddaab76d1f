/**
 * Test oracle: an independent model of the scalar tracking of the Linux 6.18 verifier as it runs on
 * this machine (6.18.44), written from kernel/bpf/tnum.c and kernel/bpf/verifier.c. It shares no
 * code with src/verifier/domains (which is the code under test): its own representation (signed
 * bounds held as signed bigints, the way the C declares them), its own tnum, its own C-style
 * overflow checks, written function by function after the kernel's.
 *
 * Width-generic: registers of N bits with an N/2-bit subregister, so the same model runs at 64 bits
 * (the kernel) and scaled down to 8 (exhaustive enumeration). At N = 64 every "32" below is 32.
 *
 * 6.18.y points that matter (each checked on the live kernel, see test/domains/kernel-precision.test.ts):
 * - the false side of JSET (BPF_JSET | BPF_X internally) forgets the ranges before narrowing var_off
 *   (regs_refine_cond_op, "Forget ranges when refining tnum after JSET", 6.17);
 * - __reg32_deduce_bounds refines a u32 range against an s32 range that crosses the sign boundary
 *   (fbc7aef517d8, backported to 6.18.y; `cross32: false` models 6.18.0 without it);
 * - __reg_deduce_mixed_bounds has no s32 -> s64/u64 step (removed in 6.17 as redundant);
 * - is_scalar_branch_taken has no tnum_overlap test (that came after 6.18).
 */

export interface KTnum {
  v: bigint;
  m: bigint;
}

/** struct bpf_reg_state, scalar part: s* are signed values, u* unsigned. */
export interface KReg {
  var: KTnum;
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
  u32min: bigint;
  u32max: bigint;
  s32min: bigint;
  s32max: bigint;
}

export type KAluOp = 'add' | 'sub' | 'mul' | 'and' | 'or' | 'xor' | 'lsh' | 'rsh' | 'arsh';
export type KJmpOp = 'jeq' | 'jne' | 'jset' | 'jgt' | 'jge' | 'jlt' | 'jle' | 'jsgt' | 'jsge' | 'jslt' | 'jsle';
type KCond = KJmpOp | 'jset_x';

export interface KernelOracleOptions {
  /** fbc7aef517d8 (u32/s32 refinement across the sign boundary), in 6.18.y. Default true. */
  cross32?: boolean;
  /** The false side of JSET forgets the ranges before narrowing var_off (6.17+). Default true. */
  jsetForgetsRanges?: boolean;
}

export function cloneK(r: KReg): KReg {
  return { ...r, var: { v: r.var.v, m: r.var.m } };
}

/** The kernel's scalar operators at register width N (subregister N/2). */
export class KernelOracle {
  readonly N: number;
  readonly H: number;
  readonly U64_MAX: bigint;
  readonly S64_MIN: bigint;
  readonly S64_MAX: bigint;
  readonly U32_MAX: bigint;
  readonly S32_MIN: bigint;
  readonly S32_MAX: bigint;
  private readonly cross32: boolean;
  private readonly jsetForgetsRanges: boolean;
  private readonly bN: bigint;
  private readonly bH: bigint;

  constructor(N = 64, opts: KernelOracleOptions = {}) {
    this.N = N;
    this.H = N / 2;
    this.bN = BigInt(N);
    this.bH = BigInt(N / 2);
    this.U64_MAX = (1n << this.bN) - 1n;
    this.S64_MIN = -(1n << (this.bN - 1n));
    this.S64_MAX = (1n << (this.bN - 1n)) - 1n;
    this.U32_MAX = (1n << this.bH) - 1n;
    this.S32_MIN = -(1n << (this.bH - 1n));
    this.S32_MAX = (1n << (this.bH - 1n)) - 1n;
    this.cross32 = opts.cross32 ?? true;
    this.jsetForgetsRanges = opts.jsetForgetsRanges ?? true;
  }

  // C conversions: (u64), (s64), (u32), (s32).
  u64(x: bigint): bigint { return BigInt.asUintN(this.N, x); }
  s64(x: bigint): bigint { return BigInt.asIntN(this.N, x); }
  u32(x: bigint): bigint { return BigInt.asUintN(this.H, x); }
  s32(x: bigint): bigint { return BigInt.asIntN(this.H, x); }

  // ---------------------------------------------------------------- tnum.c
  tconst(v: bigint): KTnum { return { v: this.u64(v), m: 0n }; }
  tunknown(): KTnum { return { v: 0n, m: this.U64_MAX }; }

  trange(min: bigint, max: bigint): KTnum {
    const chi = this.u64(min) ^ this.u64(max);
    const bits = chi === 0n ? 0 : chi.toString(2).length; // fls64
    if (bits > this.N - 1) return this.tunknown();
    const delta = (1n << BigInt(bits)) - 1n;
    return { v: this.u64(min) & ~delta, m: delta };
  }

  tlshift(a: KTnum, s: bigint): KTnum { return { v: this.u64(a.v << s), m: this.u64(a.m << s) }; }
  trshift(a: KTnum, s: bigint): KTnum { return { v: a.v >> s, m: a.m >> s }; }

  tarshift(a: KTnum, s: bigint, bitness: 'reg' | 'subreg'): KTnum {
    if (bitness === 'subreg') return { v: this.u32(this.s32(a.v) >> s), m: this.u32(this.s32(a.m) >> s) };
    return { v: this.u64(this.s64(a.v) >> s), m: this.u64(this.s64(a.m) >> s) };
  }

  tadd(a: KTnum, b: KTnum): KTnum {
    const sm = this.u64(a.m + b.m);
    const sv = this.u64(a.v + b.v);
    const sigma = this.u64(sm + sv);
    const chi = sigma ^ sv;
    const mu = chi | a.m | b.m;
    return { v: sv & ~mu & this.U64_MAX, m: mu };
  }

  tsub(a: KTnum, b: KTnum): KTnum {
    const dv = this.u64(a.v - b.v);
    const alpha = this.u64(dv + a.m);
    const beta = this.u64(dv - b.m);
    const chi = alpha ^ beta;
    const mu = chi | a.m | b.m;
    return { v: dv & ~mu & this.U64_MAX, m: mu };
  }

  tneg(a: KTnum): KTnum { return this.tsub({ v: 0n, m: 0n }, a); }

  tand(a: KTnum, b: KTnum): KTnum {
    const alpha = a.v | a.m;
    const beta = b.v | b.m;
    const v = a.v & b.v;
    return { v, m: alpha & beta & ~v & this.U64_MAX };
  }

  tor(a: KTnum, b: KTnum): KTnum {
    const v = a.v | b.v;
    const mu = a.m | b.m;
    return { v, m: mu & ~v & this.U64_MAX };
  }

  txor(a: KTnum, b: KTnum): KTnum {
    const v = a.v ^ b.v;
    const mu = a.m | b.m;
    return { v: v & ~mu & this.U64_MAX, m: mu };
  }

  tunion(a: KTnum, b: KTnum): KTnum {
    const v = a.v & b.v;
    const mu = (a.v ^ b.v) | a.m | b.m;
    return { v: v & ~mu & this.U64_MAX, m: mu };
  }

  /** 6.18 tnum_mul: long multiplication over a's trits, an unknown trit unions "added" and "not". */
  tmul(a0: KTnum, b0: KTnum): KTnum {
    let a = a0;
    let b = b0;
    let acc: KTnum = { v: 0n, m: 0n };
    while (a.v !== 0n || a.m !== 0n) {
      if (a.v & 1n) acc = this.tadd(acc, b);
      else if (a.m & 1n) acc = this.tunion(acc, this.tadd(acc, b));
      a = this.trshift(a, 1n);
      b = this.tlshift(b, 1n);
    }
    return acc;
  }

  tintersect(a: KTnum, b: KTnum): KTnum {
    const v = a.v | b.v;
    const mu = a.m & b.m;
    return { v: v & ~mu & this.U64_MAX, m: mu };
  }

  tsubreg(a: KTnum): KTnum { return { v: a.v & this.U32_MAX, m: a.m & this.U32_MAX }; }
  tclearSubreg(a: KTnum): KTnum { return this.tlshift(this.trshift(a, this.bH), this.bH); }
  twithSubreg(reg: KTnum, sub: KTnum): KTnum { return this.tor(this.tclearSubreg(reg), this.tsubreg(sub)); }
  tconstSubreg(a: KTnum, value: bigint): KTnum { return this.twithSubreg(a, this.tconst(value)); }
  tisConst(a: KTnum): boolean { return a.m === 0n; }
  tsubregIsConst(a: KTnum): boolean { return (a.m & this.U32_MAX) === 0n; }

  // ------------------------------------------------------- register marks
  markKnown(r: KReg, imm: bigint): void {
    r.var = this.tconst(imm);
    r.smin = this.s64(imm); r.smax = this.s64(imm);
    r.umin = this.u64(imm); r.umax = this.u64(imm);
    r.s32min = this.s32(imm); r.s32max = this.s32(imm);
    r.u32min = this.u32(imm); r.u32max = this.u32(imm);
  }

  markReg32Known(r: KReg, imm: bigint): void {
    r.var = this.tconstSubreg(r.var, this.u32(imm));
    r.s32min = this.s32(imm); r.s32max = this.s32(imm);
    r.u32min = this.u32(imm); r.u32max = this.u32(imm);
  }

  mark64Unbounded(r: KReg): void {
    r.smin = this.S64_MIN; r.smax = this.S64_MAX; r.umin = 0n; r.umax = this.U64_MAX;
  }

  mark32Unbounded(r: KReg): void {
    r.s32min = this.S32_MIN; r.s32max = this.S32_MAX; r.u32min = 0n; r.u32max = this.U32_MAX;
  }

  markUnbounded(r: KReg): void {
    this.mark64Unbounded(r);
    this.mark32Unbounded(r);
  }

  unknown(): KReg {
    const r: KReg = { var: this.tunknown(), umin: 0n, umax: 0n, smin: 0n, smax: 0n, u32min: 0n, u32max: 0n, s32min: 0n, s32max: 0n };
    this.markUnbounded(r);
    return r;
  }

  known(v: bigint): KReg {
    const r = this.unknown();
    this.markKnown(r, v);
    return r;
  }

  // ----------------------------------------------------- reg_bounds_sync
  updateReg32Bounds(r: KReg): void {
    const t = this.tsubreg(r.var);
    const signBit = 1n << (this.bH - 1n);
    r.s32min = max(r.s32min, this.s32(t.v | (t.m & signBit)));
    r.s32max = min(r.s32max, this.s32(t.v | (t.m & this.S32_MAX)));
    r.u32min = max(r.u32min, this.u32(t.v));
    r.u32max = min(r.u32max, this.u32(t.v | t.m));
  }

  updateReg64Bounds(r: KReg): void {
    const signBit = 1n << (this.bN - 1n);
    r.smin = max(r.smin, this.s64(r.var.v | (r.var.m & signBit)));
    r.smax = min(r.smax, this.s64(r.var.v | (r.var.m & this.S64_MAX)));
    r.umin = max(r.umin, r.var.v);
    r.umax = min(r.umax, r.var.v | r.var.m);
    // 6.18.y: a u64 range and a tnum that overlap in a single value make the register that constant.
    const tmax = r.var.v | r.var.m;
    const next = this.tstep(r.var, r.umin);
    const uminIn = (r.umin & ~r.var.m & this.U64_MAX) === r.var.v;
    if (uminIn && next > r.umax) this.markKnown(r, r.umin);
    else if (!uminIn && next === tmax) this.markKnown(r, tmax);
    else if (!uminIn && next <= r.umax && this.tstep(r.var, next) > r.umax) this.markKnown(r, next);
  }

  /** tnum_step: the smallest member of t above z, or t's largest member when z is at or above it. */
  tstep(t: KTnum, z: bigint): bigint {
    const tmax = t.v | t.m;
    if (z >= tmax) return tmax;
    if (z < t.v) return t.v;
    // The next member m > z agrees with z above some bit i where z has 0 and m has 1, then takes
    // t's smallest bits below i: try every such i, keep the smallest.
    let best = tmax;
    for (let i = this.N - 1; i >= 0; i--) {
      const bit = 1n << BigInt(i);
      if (z & bit) continue;
      if (!(t.m & bit) && !(t.v & bit)) continue;
      const above = this.U64_MAX & ~((bit << 1n) - 1n);
      if ((z & above & ~t.m) !== (t.v & above & ~t.m)) continue;
      const candidate = (z & above) | bit | (t.v & (bit - 1n));
      if (candidate < best) best = candidate;
    }
    return best;
  }

  updateRegBounds(r: KReg): void {
    this.updateReg32Bounds(r);
    this.updateReg64Bounds(r);
  }

  reg32DeduceBounds(r: KReg): void {
    const { bH } = this;
    if (r.umin >> bH === r.umax >> bH) {
      r.u32min = max(r.u32min, this.u32(r.umin));
      r.u32max = min(r.u32max, this.u32(r.umax));
      if (this.s32(r.umin) <= this.s32(r.umax)) {
        r.s32min = max(r.s32min, this.s32(r.umin));
        r.s32max = min(r.s32max, this.s32(r.umax));
      }
    }
    if (r.smin >> bH === r.smax >> bH) {
      if (this.u32(r.smin) <= this.u32(r.smax)) {
        r.u32min = max(r.u32min, this.u32(r.smin));
        r.u32max = min(r.u32max, this.u32(r.smax));
      }
      if (this.s32(r.smin) <= this.s32(r.smax)) {
        r.s32min = max(r.s32min, this.s32(r.smin));
        r.s32max = min(r.s32max, this.s32(r.smax));
      }
    }
    if (this.u32(this.u32(r.umin >> bH) + 1n) === this.u32(r.umax >> bH) && this.s32(r.umin) < 0n && this.s32(r.umax) >= 0n) {
      r.s32min = max(r.s32min, this.s32(r.umin));
      r.s32max = min(r.s32max, this.s32(r.umax));
    }
    if (this.u32(this.u32(r.smin >> bH) + 1n) === this.u32(r.smax >> bH) && this.s32(r.smin) < 0n && this.s32(r.smax) >= 0n) {
      r.s32min = max(r.s32min, this.s32(r.smin));
      r.s32max = min(r.s32max, this.s32(r.smax));
    }
    if (this.s32(r.u32min) <= this.s32(r.u32max)) {
      r.s32min = max(r.s32min, this.s32(r.u32min));
      r.s32max = min(r.s32max, this.s32(r.u32max));
    }
    if (this.u32(r.s32min) <= this.u32(r.s32max)) {
      r.u32min = max(this.u32(r.s32min), r.u32min);
      r.u32max = min(this.u32(r.s32max), r.u32max);
    } else if (this.cross32) {
      if (r.u32max < this.u32(r.s32min)) {
        r.s32min = this.s32(r.u32min);
        r.u32max = min(r.u32max, this.u32(r.s32max));
      } else if (this.u32(r.s32max) < r.u32min) {
        r.s32max = this.s32(r.u32max);
        r.u32min = max(r.u32min, this.u32(r.s32min));
      }
    }
  }

  reg64DeduceBounds(r: KReg): void {
    if (this.s64(r.umin) <= this.s64(r.umax)) {
      r.smin = max(r.smin, this.s64(r.umin));
      r.smax = min(r.smax, this.s64(r.umax));
    }
    if (this.u64(r.smin) <= this.u64(r.smax)) {
      r.umin = max(this.u64(r.smin), r.umin);
      r.umax = min(this.u64(r.smax), r.umax);
    } else if (r.umax < this.u64(r.smin)) {
      r.smin = this.s64(r.umin);
      r.umax = min(r.umax, this.u64(r.smax));
    } else if (this.u64(r.smax) < r.umin) {
      r.smax = this.s64(r.umax);
      r.umin = max(r.umin, this.u64(r.smin));
    }
  }

  regDeduceMixedBounds(r: KReg): void {
    const hi = this.U64_MAX & ~this.U32_MAX;
    const newUmin = (r.umin & hi) | r.u32min;
    const newUmax = (r.umax & hi) | r.u32max;
    r.umin = max(r.umin, newUmin);
    r.umax = min(r.umax, newUmax);
    const newSmin = this.s64((this.u64(r.smin) & hi) | r.u32min);
    const newSmax = this.s64((this.u64(r.smax) & hi) | r.u32max);
    r.smin = max(r.smin, newSmin);
    r.smax = min(r.smax, newSmax);
    if (r.s32min >= 0n && r.smin >= this.S32_MIN && r.smax <= this.S32_MAX) {
      r.smin = r.s32min;
      r.smax = r.s32max;
      r.umin = this.u64(r.s32min);
      r.umax = this.u64(r.s32max);
      r.var = this.tintersect(r.var, this.trange(this.u64(r.smin), this.u64(r.smax)));
    }
  }

  regDeduceBounds(r: KReg): void {
    this.reg32DeduceBounds(r);
    this.reg64DeduceBounds(r);
    this.regDeduceMixedBounds(r);
  }

  regBoundOffset(r: KReg): void {
    const var64 = this.tintersect(r.var, this.trange(r.umin, r.umax));
    const var32 = this.tintersect(this.tsubreg(var64), this.trange(r.u32min, r.u32max));
    r.var = this.tor(this.tclearSubreg(var64), var32);
  }

  regBoundsSync(r: KReg): void {
    this.updateRegBounds(r);
    this.regDeduceBounds(r);
    this.regDeduceBounds(r);
    this.regBoundOffset(r);
    this.updateRegBounds(r);
  }

  sync(r: KReg): KReg {
    const d = cloneK(r);
    this.regBoundsSync(d);
    return d;
  }

  // ------------------------------------------------- range transfer functions
  /** check_add_overflow for the signed type of `bits` (N or H): the wrapped sum and whether it overflowed. */
  private sadd(a: bigint, b: bigint, sub: boolean, half: boolean): [bigint, boolean] {
    const exact = sub ? a - b : a + b;
    const w = half ? this.s32(exact) : this.s64(exact);
    return [w, w !== exact];
  }

  private uadd(a: bigint, b: bigint, sub: boolean, half: boolean): [bigint, boolean] {
    const exact = sub ? a - b : a + b;
    const w = half ? this.u32(exact) : this.u64(exact);
    return [w, w !== exact];
  }

  private minMaxAdd(d: KReg, s: KReg, half: boolean, sub: boolean): void {
    const [smin, smax, umin, umax] = half ? (['s32min', 's32max', 'u32min', 'u32max'] as const) : (['smin', 'smax', 'umin', 'umax'] as const);
    const SMIN = half ? this.S32_MIN : this.S64_MIN;
    const SMAX = half ? this.S32_MAX : this.S64_MAX;
    const UMAX = half ? this.U32_MAX : this.U64_MAX;
    // add: smin + smin', smax + smax'; sub: smin - smax', smax - smin'.
    const [lo, loOv] = this.sadd(d[smin], sub ? s[smax] : s[smin], sub, half);
    let signedOv = loOv;
    let hi = 0n;
    if (!signedOv) {
      const r = this.sadd(d[smax], sub ? s[smin] : s[smax], sub, half);
      hi = r[0];
      signedOv = r[1];
    }
    if (signedOv) {
      d[smin] = SMIN;
      d[smax] = SMAX;
    } else {
      d[smin] = lo;
      d[smax] = hi;
    }
    const uminVal = s[umin];
    const umaxVal = s[umax];
    const [nmin, minOv] = this.uadd(d[umin], sub ? umaxVal : uminVal, sub, half);
    const [nmax, maxOv] = this.uadd(d[umax], sub ? uminVal : umaxVal, sub, half);
    d[umin] = nmin;
    d[umax] = nmax;
    const lost = sub ? minOv && !maxOv : !minOv && maxOv;
    if (lost) {
      d[umin] = 0n;
      d[umax] = UMAX;
    }
  }

  private minMaxMul(d: KReg, s: KReg, half: boolean): void {
    const [smin, smax, umin, umax] = half ? (['s32min', 's32max', 'u32min', 'u32max'] as const) : (['smin', 'smax', 'umin', 'umax'] as const);
    const UMAX = half ? this.U32_MAX : this.U64_MAX;
    const umaxP = d[umax] * s[umax];
    const uminP = d[umin] * s[umin];
    if (umaxP > UMAX || uminP > UMAX) {
      d[umin] = 0n;
      d[umax] = UMAX;
    } else {
      d[umin] = uminP;
      d[umax] = umaxP;
    }
    const SMIN = half ? this.S32_MIN : this.S64_MIN;
    const SMAX = half ? this.S32_MAX : this.S64_MAX;
    const prods = [d[smin] * s[smin], d[smin] * s[smax], d[smax] * s[smin], d[smax] * s[smax]];
    if (prods.some((p) => p < SMIN || p > SMAX)) {
      d[smin] = SMIN;
      d[smax] = SMAX;
    } else {
      d[smin] = prods.reduce(min);
      d[smax] = prods.reduce(max);
    }
  }

  /** scalar32_min_max_{and,or,xor}: var_off already holds the result. */
  private bitwise32(d: KReg, s: KReg, op: 'and' | 'or' | 'xor'): void {
    const srcKnown = this.tsubregIsConst(s.var);
    const dstKnown = this.tsubregIsConst(d.var);
    const t = this.tsubreg(d.var);
    if (srcKnown && dstKnown) {
      this.markReg32Known(d, t.v);
      return;
    }
    if (op === 'and') {
      d.u32min = t.v;
      d.u32max = min(d.u32max, s.u32max);
    } else if (op === 'or') {
      d.u32min = max(d.u32min, s.u32min);
      d.u32max = t.v | t.m;
    } else {
      d.u32min = t.v;
      d.u32max = t.v | t.m;
    }
    if (this.s32(d.u32min) <= this.s32(d.u32max)) {
      d.s32min = this.s32(d.u32min);
      d.s32max = this.s32(d.u32max);
    } else {
      d.s32min = this.S32_MIN;
      d.s32max = this.S32_MAX;
    }
  }

  private bitwise64(d: KReg, s: KReg, op: 'and' | 'or' | 'xor'): void {
    if (this.tisConst(s.var) && this.tisConst(d.var)) {
      this.markKnown(d, d.var.v);
      return;
    }
    if (op === 'and') {
      d.umin = d.var.v;
      d.umax = min(d.umax, s.umax);
    } else if (op === 'or') {
      d.umin = max(d.umin, s.umin);
      d.umax = d.var.v | d.var.m;
    } else {
      d.umin = d.var.v;
      d.umax = d.var.v | d.var.m;
    }
    if (this.s64(d.umin) <= this.s64(d.umax)) {
      d.smin = this.s64(d.umin);
      d.smax = this.s64(d.umax);
    } else {
      d.smin = this.S64_MIN;
      d.smax = this.S64_MAX;
    }
    this.updateRegBounds(d);
  }

  private scalar32LshBounds(d: KReg, uminVal: bigint, umaxVal: bigint): void {
    d.s32min = this.S32_MIN;
    d.s32max = this.S32_MAX;
    if (umaxVal > this.bH - 1n || d.u32max > 1n << (this.bH - 1n - umaxVal)) {
      d.u32min = 0n;
      d.u32max = this.U32_MAX;
    } else {
      d.u32min = this.u32(d.u32min << uminVal);
      d.u32max = this.u32(d.u32max << umaxVal);
    }
  }

  private scalar64LshBounds(d: KReg, uminVal: bigint, umaxVal: bigint): void {
    const by32 = uminVal === this.bH && umaxVal === this.bH;
    // 6.12+: "s32 bounds don't flip sign when shifting to the left by 32bits", negative ones included
    d.smax = by32 ? d.s32max << this.bH : this.S64_MAX;
    d.smin = by32 ? d.s32min << this.bH : this.S64_MIN;
    if (d.umax > 1n << (this.bN - 1n - umaxVal)) {
      d.umin = 0n;
      d.umax = this.U64_MAX;
    } else {
      d.umin = this.u64(d.umin << uminVal);
      d.umax = this.u64(d.umax << umaxVal);
    }
  }

  private lsh(d: KReg, s: KReg, alu32: boolean): void {
    if (alu32) {
      const sub = this.tsubreg(d.var);
      this.scalar32LshBounds(d, s.u32min, s.u32max);
      d.var = this.tsubreg(this.tlshift(sub, s.u32min));
      this.mark64Unbounded(d);
      this.updateReg32Bounds(d);
      return;
    }
    this.scalar64LshBounds(d, s.umin, s.umax);
    this.scalar32LshBounds(d, s.umin, s.umax);
    d.var = this.tlshift(d.var, s.umin);
    this.updateRegBounds(d);
  }

  private rsh(d: KReg, s: KReg, alu32: boolean): void {
    if (alu32) {
      const sub = this.tsubreg(d.var);
      d.s32min = this.S32_MIN;
      d.s32max = this.S32_MAX;
      d.var = this.trshift(sub, s.u32min);
      d.u32min = d.u32min >> s.u32max;
      d.u32max = d.u32max >> s.u32min;
      this.mark64Unbounded(d);
      this.updateReg32Bounds(d);
      return;
    }
    d.smin = this.S64_MIN;
    d.smax = this.S64_MAX;
    d.var = this.trshift(d.var, s.umin);
    d.umin = d.umin >> s.umax;
    d.umax = d.umax >> s.umin;
    this.mark32Unbounded(d);
    this.updateRegBounds(d);
  }

  private arsh(d: KReg, s: KReg, alu32: boolean): void {
    if (alu32) {
      const sh = s.u32min;
      d.s32min = this.s32(d.s32min >> sh);
      d.s32max = this.s32(d.s32max >> sh);
      d.var = this.tarshift(this.tsubreg(d.var), sh, 'subreg');
      d.u32min = 0n;
      d.u32max = this.U32_MAX;
      this.mark64Unbounded(d);
      this.updateReg32Bounds(d);
      return;
    }
    const sh = s.umin;
    d.smin = d.smin >> sh;
    d.smax = d.smax >> sh;
    d.var = this.tarshift(d.var, sh, 'reg');
    d.umin = 0n;
    d.umax = this.U64_MAX;
    this.mark32Unbounded(d);
    this.updateRegBounds(d);
  }

  /** is_safe_to_compute_dst_reg_range */
  safeToCompute(op: KAluOp, alu32: boolean, s: KReg): boolean {
    if (op !== 'lsh' && op !== 'rsh' && op !== 'arsh') return true;
    const srcConst = alu32
      ? this.tsubregIsConst(s.var) && s.s32min === s.s32max && s.u32min === s.u32max
      : this.tisConst(s.var) && s.smin === s.smax && s.umin === s.umax;
    return srcConst && s.umax < (alu32 ? this.bH : this.bN);
  }

  /** adjust_scalar_min_max_vals on two scalars (dst and src untouched; the new dst returned). */
  alu(op: KAluOp, alu32: boolean, dst: KReg, src: KReg): KReg {
    const d = cloneK(dst);
    const s = cloneK(src);
    if (!this.safeToCompute(op, alu32, s)) {
      d.var = this.tunknown();
      this.markUnbounded(d);
      return d;
    }
    switch (op) {
      case 'add':
        this.minMaxAdd(d, s, true, false);
        this.minMaxAdd(d, s, false, false);
        d.var = this.tadd(d.var, s.var);
        break;
      case 'sub':
        this.minMaxAdd(d, s, true, true);
        this.minMaxAdd(d, s, false, true);
        d.var = this.tsub(d.var, s.var);
        break;
      case 'mul':
        d.var = this.tmul(d.var, s.var);
        this.minMaxMul(d, s, true);
        this.minMaxMul(d, s, false);
        break;
      case 'and':
      case 'or':
      case 'xor':
        d.var = op === 'and' ? this.tand(d.var, s.var) : op === 'or' ? this.tor(d.var, s.var) : this.txor(d.var, s.var);
        this.bitwise32(d, s, op);
        this.bitwise64(d, s, op);
        break;
      case 'lsh': this.lsh(d, s, alu32); break;
      case 'rsh': this.rsh(d, s, alu32); break;
      case 'arsh': this.arsh(d, s, alu32); break;
    }
    if (alu32) this.zext32To64(d);
    this.regBoundsSync(d);
    return d;
  }

  /** BPF_NEG: 0 - dst through the sub bounds, var_off = tnum_neg. */
  neg(alu32: boolean, dst: KReg): KReg {
    const fake = cloneK(dst);
    const d = cloneK(dst);
    this.markKnown(d, 0n);
    this.minMaxAdd(d, fake, true, true);
    this.minMaxAdd(d, fake, false, true);
    d.var = this.tneg(fake.var);
    if (alu32) this.zext32To64(d);
    this.regBoundsSync(d);
    return d;
  }

  /**
   * BPF_MOV with a sign-extension offset: r = (s8/s16/s32) r (coerce_reg_to_size_sx, no sync
   * after it) and w = (s8/s16) w (coerce_subreg_to_size_sx, zext, sync). Sizes are in bits of
   * the 64-bit kernel and scale with N.
   */
  movsx(bits64: 8 | 16 | 32, alu32: boolean, src: KReg): KReg {
    const d = cloneK(src);
    const bits = (bits64 * this.N) / 64;
    if (!alu32) { this.coerceRegToSizeSx(d, bits); return d; }
    this.coerceSubregToSizeSx(d, bits);
    this.zext32To64(d);
    this.regBoundsSync(d);
    return d;
  }

  private sext(x: bigint, bits: number): bigint { return BigInt.asIntN(bits, x); }

  /**
   * The sign-extended ends of a range given as unsigned patterns, ordered, when the bits above
   * `bits` agree at both ends and both extended ends have one sign (else undefined).
   */
  private sextEnds(min: bigint, max: bigint, bits: number): [bigint, bigint] | undefined {
    const b = BigInt(bits);
    if (min >> b !== max >> b) return undefined;
    const a = this.sext(max, bits);
    const c = this.sext(min, bits);
    const mx = a > c ? a : c;
    const mn = a > c ? c : a;
    return (mx >= 0n) === (mn >= 0n) ? [mn, mx] : undefined;
  }

  /** coerce_reg_to_size_sx as 6.18.44 runs it (its fallback probed on the live kernel's log). */
  coerceRegToSizeSx(r: KReg, bits: number): void {
    if (this.tisConst(r.var)) { this.markKnown(r, this.sext(r.var.v, bits)); return; }
    const b = BigInt(bits);
    const ends = this.sextEnds(this.u64(r.smin), this.u64(r.smax), bits);
    if (ends) {
      const [mn, mx] = ends;
      r.smin = mn; r.smax = mx; r.s32min = this.s32(mn); r.s32max = this.s32(mx);
      r.umin = this.u64(mn); r.umax = this.u64(mx); r.u32min = this.u32(mn); r.u32max = this.u32(mx);
      r.var = this.trange(this.u64(mn), this.u64(mx));
      return;
    }
    const lo = -(1n << (b - 1n));
    const hi = (1n << (b - 1n)) - 1n;
    r.var = this.tunknown();
    if (r.smin >= lo && r.smax <= hi) { this.regBoundsSync(r); return; }
    if (bits === this.H || (r.s32min >= lo && r.s32max <= hi)) {
      r.smin = r.s32min; r.smax = r.s32max; r.umin = 0n; r.umax = this.U64_MAX;
      this.regBoundsSync(r);
      return;
    }
    r.smin = lo; r.smax = hi; r.s32min = lo; r.s32max = hi;
    r.umin = 0n; r.umax = this.U64_MAX; r.u32min = 0n; r.u32max = this.U32_MAX;
  }

  /** coerce_subreg_to_size_sx. */
  coerceSubregToSizeSx(r: KReg, bits: number): void {
    if (this.tisConst(r.var)) {
      const c = this.sext(r.var.v, bits);
      r.var = this.tconst(c);
      r.s32min = this.s32(c); r.s32max = this.s32(c); r.u32min = this.u32(c); r.u32max = this.u32(c);
      return;
    }
    const b = BigInt(bits);
    const ends = this.sextEnds(this.u32(r.s32min), this.u32(r.s32max), bits);
    if (ends) {
      const [mn, mx] = ends;
      r.s32min = mn; r.s32max = mx; r.u32min = this.u32(mn); r.u32max = this.u32(mx);
      r.var = this.tsubreg(this.trange(this.u64(mn), this.u64(mx)));
      return;
    }
    r.s32min = -(1n << (b - 1n)); r.s32max = (1n << (b - 1n)) - 1n;
    r.u32min = 0n; r.u32max = this.U32_MAX;
    r.var = this.tsubreg(this.tunknown());
  }

  /** The concrete sign-extending move. */
  concreteMovsx(bits64: 8 | 16 | 32, alu32: boolean, x: bigint): bigint {
    const v = this.sext(x, (bits64 * this.N) / 64);
    return alu32 ? this.u32(v) : this.u64(v);
  }

  zext32To64(r: KReg): void {
    r.var = this.tsubreg(r.var);
    r.umin = r.u32min;
    r.umax = r.u32max;
    r.smax = r.s32min >= 0n && r.s32max >= 0n ? r.s32max : this.U32_MAX;
    r.smin = r.s32min >= 0n ? r.s32min : 0n;
  }

  // ------------------------------------------------------------- branches
  private isRegConst(r: KReg, jmp32: boolean): boolean {
    return jmp32 ? this.tsubregIsConst(r.var) : this.tisConst(r.var);
  }

  private regConstValue(r: KReg, jmp32: boolean): bigint {
    return jmp32 ? this.tsubreg(r.var).v : r.var.v;
  }

  /** is_scalar_branch_taken: 1, 0, or -1 (unknown). */
  branchTaken(op: KJmpOp, jmp32: boolean, reg1: KReg, reg2: KReg): 1 | 0 | -1 {
    let r1 = reg1;
    let r2 = reg2;
    let t1 = jmp32 ? this.tsubreg(r1.var) : r1.var;
    let t2 = jmp32 ? this.tsubreg(r2.var) : r2.var;
    const umin1 = jmp32 ? r1.u32min : r1.umin, umax1 = jmp32 ? r1.u32max : r1.umax;
    const smin1 = jmp32 ? r1.s32min : r1.smin, smax1 = jmp32 ? r1.s32max : r1.smax;
    const umin2 = jmp32 ? r2.u32min : r2.umin, umax2 = jmp32 ? r2.u32max : r2.umax;
    const smin2 = jmp32 ? r2.s32min : r2.smin, smax2 = jmp32 ? r2.s32max : r2.smax;
    switch (op) {
      case 'jeq':
      case 'jne': {
        const eq = op === 'jeq';
        if (this.tisConst(t1) && this.tisConst(t2)) return (t1.v === t2.v) === eq ? 1 : 0;
        const no = eq ? 0 : 1;
        // tnum_overlap (6.18: known bits that disagree rule equality out)
        const mu = ~t1.m & ~t2.m;
        if ((t1.v & mu) !== (t2.v & mu)) return no;
        if (umin1 > umax2 || umax1 < umin2) return no;
        if (smin1 > smax2 || smax1 < smin2) return no;
        if (!jmp32) {
          if (r1.u32min > r2.u32max || r1.u32max < r2.u32min) return no;
          if (r1.s32min > r2.s32max || r1.s32max < r2.s32min) return no;
        }
        return -1;
      }
      case 'jset':
        if (!this.isRegConst(r2, jmp32)) {
          [r1, r2] = [r2, r1];
          [t1, t2] = [t2, t1];
        }
        if (!this.isRegConst(r2, jmp32)) return -1;
        if (~t1.m & t1.v & t2.v) return 1;
        if (((t1.m | t1.v) & t2.v) === 0n) return 0;
        return -1;
      case 'jgt': return umin1 > umax2 ? 1 : umax1 <= umin2 ? 0 : -1;
      case 'jsgt': return smin1 > smax2 ? 1 : smax1 <= smin2 ? 0 : -1;
      case 'jlt': return umax1 < umin2 ? 1 : umin1 >= umax2 ? 0 : -1;
      case 'jslt': return smax1 < smin2 ? 1 : smin1 >= smax2 ? 0 : -1;
      case 'jge': return umin1 >= umax2 ? 1 : umax1 < umin2 ? 0 : -1;
      case 'jsge': return smin1 >= smax2 ? 1 : smax1 < smin2 ? 0 : -1;
      case 'jle': return umax1 <= umin2 ? 1 : umin1 > umax2 ? 0 : -1;
      case 'jsle': return smax1 <= smin2 ? 1 : smin1 > smax2 ? 0 : -1;
    }
  }

  /** regs_refine_cond_op: narrows reg1 and reg2 in place assuming "reg1 op reg2". */
  refineCondOp(reg1: KReg, reg2: KReg, opIn: KCond, jmp32: boolean): void {
    let op = opIn;
    let r1 = reg1;
    let r2 = reg2;
    const flip: Partial<Record<KCond, KCond>> = { jge: 'jle', jgt: 'jlt', jsge: 'jsle', jsgt: 'jslt' };
    const f = flip[op];
    if (f) {
      op = f;
      [r1, r2] = [r2, r1];
    }
    switch (op) {
      case 'jeq':
        if (jmp32) {
          r1.u32min = max(r1.u32min, r2.u32min);
          r1.u32max = min(r1.u32max, r2.u32max);
          r1.s32min = max(r1.s32min, r2.s32min);
          r1.s32max = min(r1.s32max, r2.s32max);
          r2.u32min = r1.u32min; r2.u32max = r1.u32max; r2.s32min = r1.s32min; r2.s32max = r1.s32max;
          const t = this.tintersect(this.tsubreg(r1.var), this.tsubreg(r2.var));
          r1.var = this.twithSubreg(r1.var, t);
          r2.var = this.twithSubreg(r2.var, t);
        } else {
          r1.umin = max(r1.umin, r2.umin);
          r1.umax = min(r1.umax, r2.umax);
          r1.smin = max(r1.smin, r2.smin);
          r1.smax = min(r1.smax, r2.smax);
          r2.umin = r1.umin; r2.umax = r1.umax; r2.smin = r1.smin; r2.smax = r1.smax;
          r1.var = this.tintersect(r1.var, r2.var);
          r2.var = { ...r1.var };
        }
        return;
      case 'jne': {
        if (!this.isRegConst(r2, jmp32)) [r1, r2] = [r2, r1];
        if (!this.isRegConst(r2, jmp32)) return;
        const val = this.regConstValue(r2, jmp32);
        if (jmp32) {
          if (r1.u32min === this.u32(val)) r1.u32min = this.u32(r1.u32min + 1n);
          if (r1.u32max === this.u32(val)) r1.u32max = this.u32(r1.u32max - 1n);
          if (r1.s32min === this.s32(val)) r1.s32min = this.s32(r1.s32min + 1n);
          if (r1.s32max === this.s32(val)) r1.s32max = this.s32(r1.s32max - 1n);
        } else {
          if (r1.umin === this.u64(val)) r1.umin = this.u64(r1.umin + 1n);
          if (r1.umax === this.u64(val)) r1.umax = this.u64(r1.umax - 1n);
          if (r1.smin === this.s64(val)) r1.smin = this.s64(r1.smin + 1n);
          if (r1.smax === this.s64(val)) r1.smax = this.s64(r1.smax - 1n);
        }
        return;
      }
      case 'jset': {
        if (!this.isRegConst(r2, jmp32)) [r1, r2] = [r2, r1];
        if (!this.isRegConst(r2, jmp32)) return;
        const val = this.regConstValue(r2, jmp32);
        if (val === 0n || (val & (val - 1n)) !== 0n) return; // !is_power_of_2
        if (jmp32) r1.var = this.twithSubreg(r1.var, this.tor(this.tsubreg(r1.var), this.tconst(val)));
        else r1.var = this.tor(r1.var, this.tconst(val));
        return;
      }
      case 'jset_x': {
        if (!this.isRegConst(r2, jmp32)) [r1, r2] = [r2, r1];
        if (!this.isRegConst(r2, jmp32)) return;
        const val = this.regConstValue(r2, jmp32);
        if (this.jsetForgetsRanges) this.markUnbounded(r1);
        const notVal = this.tconst(this.U64_MAX & ~val);
        if (jmp32) r1.var = this.twithSubreg(r1.var, this.tand(this.tsubreg(r1.var), notVal));
        else r1.var = this.tand(r1.var, notVal);
        return;
      }
      case 'jle':
        if (jmp32) {
          r1.u32max = min(r1.u32max, r2.u32max);
          r2.u32min = max(r1.u32min, r2.u32min);
        } else {
          r1.umax = min(r1.umax, r2.umax);
          r2.umin = max(r1.umin, r2.umin);
        }
        return;
      case 'jlt':
        if (jmp32) {
          r1.u32max = min(r1.u32max, this.u32(r2.u32max - 1n));
          r2.u32min = max(this.u32(r1.u32min + 1n), r2.u32min);
        } else {
          r1.umax = min(r1.umax, this.u64(r2.umax - 1n));
          r2.umin = max(this.u64(r1.umin + 1n), r2.umin);
        }
        return;
      case 'jsle':
        if (jmp32) {
          r1.s32max = min(r1.s32max, r2.s32max);
          r2.s32min = max(r1.s32min, r2.s32min);
        } else {
          r1.smax = min(r1.smax, r2.smax);
          r2.smin = max(r1.smin, r2.smin);
        }
        return;
      case 'jslt':
        if (jmp32) {
          r1.s32max = min(r1.s32max, this.s32(r2.s32max - 1n));
          r2.s32min = max(this.s32(r1.s32min + 1n), r2.s32min);
        } else {
          r1.smax = min(r1.smax, this.s64(r2.smax - 1n));
          r2.smin = max(this.s64(r1.smin + 1n), r2.smin);
        }
        return;
      default:
        return;
    }
  }

  /** reg_set_min_max: both sides of "a op b", refined then synchronised. */
  refine(op: KJmpOp, jmp32: boolean, a: KReg, b: KReg): { taken: [KReg, KReg]; fall: [KReg, KReg] } {
    const rev: Record<KJmpOp, KCond> = {
      jeq: 'jne', jne: 'jeq', jset: 'jset_x', jge: 'jlt', jgt: 'jle', jle: 'jgt', jlt: 'jge',
      jsge: 'jslt', jsgt: 'jsle', jsle: 'jsgt', jslt: 'jsge',
    };
    const fa = cloneK(a), fb = cloneK(b);
    this.refineCondOp(fa, fb, rev[op], jmp32);
    this.regBoundsSync(fa);
    this.regBoundsSync(fb);
    const ta = cloneK(a), tb = cloneK(b);
    this.refineCondOp(ta, tb, op, jmp32);
    this.regBoundsSync(ta);
    this.regBoundsSync(tb);
    return { taken: [ta, tb], fall: [fa, fb] };
  }

  // ------------------------------------------------------------ concrete
  /** x is in the concretisation of r (N-bit unsigned pattern). */
  contains(r: KReg, x: bigint): boolean {
    const l = x & this.U32_MAX;
    const sx = this.s64(x);
    const sl = this.s32(l);
    return (x & ~r.var.m & this.U64_MAX) === r.var.v && x >= r.umin && x <= r.umax && sx >= r.smin && sx <= r.smax &&
      l >= r.u32min && l <= r.u32max && sl >= r.s32min && sl <= r.s32max;
  }

  /** The concrete ALU operation (RFC 9669) on N-bit patterns; 32-bit forms zero-extend. */
  concreteAlu(op: KAluOp | 'neg', alu32: boolean, x: bigint, y: bigint): bigint {
    const w = alu32 ? this.H : this.N;
    const bw = BigInt(w);
    const u = (v: bigint): bigint => BigInt.asUintN(w, v);
    const a = u(x);
    const b = u(y);
    const sh = b & (bw - 1n);
    switch (op) {
      case 'add': return u(a + b);
      case 'sub': return u(a - b);
      case 'mul': return u(a * b);
      case 'and': return a & b;
      case 'or': return a | b;
      case 'xor': return a ^ b;
      case 'lsh': return u(a << sh);
      case 'rsh': return a >> sh;
      case 'arsh': return u(BigInt.asIntN(w, a) >> sh);
      case 'neg': return u(-a);
    }
  }

  concreteCond(op: KJmpOp, jmp32: boolean, x: bigint, y: bigint): boolean {
    const w = jmp32 ? this.H : this.N;
    const a = BigInt.asUintN(w, x), b = BigInt.asUintN(w, y);
    const sa = BigInt.asIntN(w, x), sb = BigInt.asIntN(w, y);
    switch (op) {
      case 'jeq': return a === b;
      case 'jne': return a !== b;
      case 'jset': return (a & b) !== 0n;
      case 'jgt': return a > b;
      case 'jge': return a >= b;
      case 'jlt': return a < b;
      case 'jle': return a <= b;
      case 'jsgt': return sa > sb;
      case 'jsge': return sa >= sb;
      case 'jslt': return sa < sb;
      case 'jsle': return sa <= sb;
    }
  }
}

function max(a: bigint, b: bigint): bigint { return a > b ? a : b; }
function min(a: bigint, b: bigint): bigint { return a < b ? a : b; }
