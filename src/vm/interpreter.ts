/**
 * The interpreter's hot loop. Registers live in one Int32Array as (lo, hi) pairs (r0 at 0..1,
 * r10 at 20..21), followed by the constant slots of every linked program, so a K-form operand is
 * just another index. No allocation per instruction: no BigInt, no objects, no closures.
 *
 * Memory accesses inline the region checks of runtime/memory.ts (tag, window, alignment,
 * writability); anything unusual (ctx, faults) goes to `slow*`, which asks Memory.check to
 * name the fault.
 */
import type { HelperEnv } from '../runtime/env.js';
import { helperName } from '../runtime/helpers/prototypes.js';
import { F_WRITABLE, MAX_FRAMES, Memory, PTR_TAG, PTR_TAG_MASK, STACK_SIZE } from '../runtime/memory.js';
import { LdAbsExit, ldAbsLoad, memAtomic, memSlowLoad, memSlowStore } from '../runtime/access.js';
import { BPF_MAX_TIMED_LOOPS, timedMayGotoCheck } from '../runtime/may-goto.js';

export { LdAbsExit };
import { T, bswap16, bswap32, mul64, sdiv64, smod64, udiv64, umod64 } from './arith.js';
import { cannotExecute, type Decoded, OP } from './decoded.js';
import { VmError } from './errors.js';

export type HelperFn = (env: HelperEnv) => void;

const TAG = PTR_TAG | 0;
const TAGM = PTR_TAG_MASK | 0;

export class Interpreter {
  /** Register file + constant slots. */
  R: Int32Array;
  readonly mem: Memory;
  env!: HelperEnv;
  helpers: readonly (HelperFn | undefined)[];
  steps = 0;
  maxSteps: number;
  /** Current call depth (0 = main program). */
  depth = 0;
  /** Deepest call depth reached (for reports). */
  maxDepth = 0;
  private readonly frameRet = new Int32Array(MAX_FRAMES);
  private readonly frameProg: (Decoded | undefined)[] = new Array<Decoded | undefined>(MAX_FRAMES);
  private readonly saved = new Int32Array(MAX_FRAMES * 10);
  private readonly out = new Int32Array(2);
  /** may_goto's hidden per-frame slots (runtime/may-goto.ts): count and timestamp, set at frame entry. */
  private readonly mgCount = new Int32Array(MAX_FRAMES);
  private readonly mgStamp = new BigInt64Array(MAX_FRAMES);
  /** The program running now (bpf_loop callbacks run in it). */
  cur: Decoded | null = null;
  /** Debug hook called before every instruction with its pc and the register file (null: no cost but one branch). */
  onStep: ((pc: number, regs: Int32Array, depth: number) => void) | null = null;
  /** Resolves a tail-call target (the object in a prog_array) to a linked program. */
  resolveTail: (prog: unknown) => Decoded | undefined = () => undefined;

  constructor(mem: Memory, regs: Int32Array, helpers: readonly (HelperFn | undefined)[], maxSteps: number) {
    this.mem = mem;
    this.R = regs;
    this.helpers = helpers;
    this.maxSteps = maxSteps;
  }

  /** Sets r10 to the top of frame `depth`'s stack. */
  setFp(depth: number): void {
    this.R[20] = STACK_SIZE;
    this.R[21] = Memory.hiOf(this.mem.stackIds[depth]!);
  }

  /** Calls a subprogram at `pc` of the current program as a new frame (bpf_loop callbacks). */
  callFunction(pc: number, a1: bigint, a2: bigint, a3: bigint, a4: bigint, a5: bigint): bigint {
    const D = this.cur;
    if (!D) throw new VmError('bad_call', pc, 'callback outside a running program');
    if (pc < 0 || pc >= D.n) throw new VmError('bad_call', this.env.pc, `callback target ${pc} outside the program`);
    if (this.depth + 1 >= MAX_FRAMES) throw new VmError('call_depth', this.env.pc, `the call stack is too deep (max ${MAX_FRAMES} frames)`);
    const R = this.R;
    const sv = this.saved, b = this.depth * 10;
    for (let i = 0; i < 10; i++) sv[b + i] = R[12 + i]!;
    this.depth++;
    if (this.depth > this.maxDepth) this.maxDepth = this.depth;
    const args = [a1, a2, a3, a4, a5];
    for (let i = 0; i < 5; i++) {
      const u = BigInt.asUintN(64, args[i]!);
      R[2 + 2 * i] = Number(u & 0xffffffffn) | 0;
      R[3 + 2 * i] = Number(u >> 32n) | 0;
    }
    this.setFp(this.depth);
    const envPc = this.env.pc;
    this.exec(D, pc, this.depth);
    this.depth--;
    for (let i = 0; i < 10; i++) R[12 + i] = sv[b + i]!;
    this.cur = D;
    this.env.pc = envPc;
    return (BigInt(R[1]! >>> 0) << 32n) | BigInt(R[0]! >>> 0);
  }

  /** Runs from `pc0` until the frame at `baseDepth` exits; r0 is left in R[0..1]. */
  exec(D0: Decoded, pc0: number, baseDepth: number): void {
    const R = this.R;
    const mem = this.mem;
    let D = D0;
    let op = D.op, d = D.d, s = D.s, off = D.off, tgt = D.tgt, imm = D.imm;
    let ms = mem.start, me = mem.end, mv = mem.views, ma = mem.align, mf = mem.flags;
    let pc = pc0;
    let steps = this.steps;
    const max = this.maxSteps;
    const hook = this.onStep;
    this.cur = D;
    this.enterFrame(baseDepth);
    for (;;) {
      const p = pc;
      pc = p + 1;
      if (++steps > max) { this.steps = steps; throw new VmError('step_limit', p, `step limit of ${max} instructions reached`); }
      if (hook !== null) { this.steps = steps; hook(p, R, this.depth); }
      const di = d[p]!;
      switch (op[p]) {
        // ---------------- ALU64 (K and X share a case: s[p] indexes a register or a constant slot) ----------------
        case 0x0f: { const si = s[p]!; const l = (R[di]! >>> 0) + (R[si]! >>> 0); R[di] = l | 0; R[di + 1] = (R[di + 1]! + R[si + 1]! + (l > 0xffffffff ? 1 : 0)) | 0; continue; }
        case 0x1f: { const si = s[p]!; const l = (R[di]! >>> 0) - (R[si]! >>> 0); R[di] = l | 0; R[di + 1] = (R[di + 1]! - R[si + 1]! - (l < 0 ? 1 : 0)) | 0; continue; }
        case 0x2f: { const si = s[p]!; mul64(R[di]!, R[di + 1]!, R[si]!, R[si + 1]!); R[di] = T[0]!; R[di + 1] = T[1]!; continue; }
        case 0x3f: { const si = s[p]!; udiv64(R[di]!, R[di + 1]!, R[si]!, R[si + 1]!); R[di] = T[0]!; R[di + 1] = T[1]!; continue; }
        case 0x4f: { const si = s[p]!; R[di] = R[di]! | R[si]!; R[di + 1] = R[di + 1]! | R[si + 1]!; continue; }
        case 0x5f: { const si = s[p]!; R[di] = R[di]! & R[si]!; R[di + 1] = R[di + 1]! & R[si + 1]!; continue; }
        case 0x6f: {
          const n = R[s[p]!]! & 63;
          if (n === 0) continue;
          const lo = R[di]!;
          if (n < 32) { R[di + 1] = (R[di + 1]! << n) | (lo >>> (32 - n)); R[di] = lo << n; } else { R[di + 1] = lo << (n - 32); R[di] = 0; }
          continue;
        }
        case 0x7f: {
          const n = R[s[p]!]! & 63;
          if (n === 0) continue;
          const hi = R[di + 1]!;
          if (n < 32) { R[di] = (R[di]! >>> n) | (hi << (32 - n)); R[di + 1] = hi >>> n; } else { R[di] = hi >>> (n - 32); R[di + 1] = 0; }
          continue;
        }
        case 0xcf: {
          const n = R[s[p]!]! & 63;
          if (n === 0) continue;
          const hi = R[di + 1]!;
          if (n < 32) { R[di] = (R[di]! >>> n) | (hi << (32 - n)); R[di + 1] = hi >> n; } else { R[di] = hi >> (n - 32); R[di + 1] = hi >> 31; }
          continue;
        }
        case 0x87: { const lo = R[di]!; R[di] = -lo | 0; R[di + 1] = (~R[di + 1]! + (lo === 0 ? 1 : 0)) | 0; continue; }
        case 0x9f: { const si = s[p]!; umod64(R[di]!, R[di + 1]!, R[si]!, R[si + 1]!); R[di] = T[0]!; R[di + 1] = T[1]!; continue; }
        case 0xaf: { const si = s[p]!; R[di] = R[di]! ^ R[si]!; R[di + 1] = R[di + 1]! ^ R[si + 1]!; continue; }
        case 0xbf: { const si = s[p]!; R[di] = R[si]!; R[di + 1] = R[si + 1]!; continue; }
        case 0x109 /* SDIV64 */: { const si = s[p]!; sdiv64(R[di]!, R[di + 1]!, R[si]!, R[si + 1]!); R[di] = T[0]!; R[di + 1] = T[1]!; continue; }
        case 0x10a /* SMOD64 */: { const si = s[p]!; smod64(R[di]!, R[di + 1]!, R[si]!, R[si + 1]!); R[di] = T[0]!; R[di + 1] = T[1]!; continue; }
        case 0x10d /* MOVSX64_8 */: { const v = (R[s[p]!]! << 24) >> 24; R[di] = v; R[di + 1] = v >> 31; continue; }
        case 0x10e /* MOVSX64_16 */: { const v = (R[s[p]!]! << 16) >> 16; R[di] = v; R[di + 1] = v >> 31; continue; }
        case 0x10f /* MOVSX64_32 */: { const v = R[s[p]!]!; R[di] = v; R[di + 1] = v >> 31; continue; }

        // ---------------- ALU32 (results zero-extended) ----------------
        case 0x0c: R[di] = (R[di]! + R[s[p]!]!) | 0; R[di + 1] = 0; continue;
        case 0x1c: R[di] = (R[di]! - R[s[p]!]!) | 0; R[di + 1] = 0; continue;
        case 0x2c: R[di] = Math.imul(R[di]!, R[s[p]!]!); R[di + 1] = 0; continue;
        case 0x3c: { const b = R[s[p]!]! >>> 0; R[di] = b === 0 ? 0 : ((R[di]! >>> 0) / b) | 0; R[di + 1] = 0; continue; }
        case 0x4c: R[di] = R[di]! | R[s[p]!]!; R[di + 1] = 0; continue;
        case 0x5c: R[di] = R[di]! & R[s[p]!]!; R[di + 1] = 0; continue;
        case 0x6c: R[di] = R[di]! << (R[s[p]!]! & 31); R[di + 1] = 0; continue;
        case 0x7c: R[di] = R[di]! >>> (R[s[p]!]! & 31); R[di + 1] = 0; continue;
        case 0xcc: R[di] = R[di]! >> (R[s[p]!]! & 31); R[di + 1] = 0; continue;
        case 0x84: R[di] = -R[di]! | 0; R[di + 1] = 0; continue;
        case 0x9c: { const b = R[s[p]!]! >>> 0; if (b !== 0) R[di] = (R[di]! >>> 0) % b | 0; R[di + 1] = 0; continue; }
        case 0xac: R[di] = R[di]! ^ R[s[p]!]!; R[di + 1] = 0; continue;
        case 0xbc: R[di] = R[s[p]!]!; R[di + 1] = 0; continue;
        case 0x10b /* SDIV32 */: { const b = R[s[p]!]! | 0; R[di] = b === 0 ? 0 : (R[di]! / b) | 0; R[di + 1] = 0; continue; }
        case 0x10c /* SMOD32 */: { const b = R[s[p]!]! | 0; if (b !== 0) R[di] = R[di]! % b | 0; R[di + 1] = 0; continue; }
        case 0x110 /* MOVSX32_8 */: R[di] = (R[s[p]!]! << 24) >> 24; R[di + 1] = 0; continue;
        case 0x111 /* MOVSX32_16 */: R[di] = (R[s[p]!]! << 16) >> 16; R[di + 1] = 0; continue;

        // ---------------- byte order ----------------
        case 0x100 /* LE16 */: R[di] = R[di]! & 0xffff; R[di + 1] = 0; continue;
        case 0x101 /* LE32 */: R[di + 1] = 0; continue;
        case 0x102 /* LE64 */: continue;
        case 0x103 /* BE16 */: case 0x106 /* BSWAP16 */: R[di] = bswap16(R[di]!); R[di + 1] = 0; continue;
        case 0x104 /* BE32 */: case 0x107 /* BSWAP32 */: R[di] = bswap32(R[di]!); R[di + 1] = 0; continue;
        case 0x105 /* BE64 */: case 0x108 /* BSWAP64 */: { const t = bswap32(R[di]!); R[di] = bswap32(R[di + 1]!); R[di + 1] = t; continue; }

        // ---------------- JMP (64-bit compares) ----------------
        case 0x05: pc = tgt[p]!; continue;
        case 0x1d: { const si = s[p]!; if (R[di] === R[si] && R[di + 1] === R[si + 1]) pc = tgt[p]!; continue; }
        case 0x5d: { const si = s[p]!; if (R[di] !== R[si] || R[di + 1] !== R[si + 1]) pc = tgt[p]!; continue; }
        case 0x4d: { const si = s[p]!; if ((R[di]! & R[si]!) !== 0 || (R[di + 1]! & R[si + 1]!) !== 0) pc = tgt[p]!; continue; }
        case 0x2d: { const si = s[p]!; const a = R[di + 1]! >>> 0, b = R[si + 1]! >>> 0; if (a > b || (a === b && (R[di]! >>> 0) > (R[si]! >>> 0))) pc = tgt[p]!; continue; }
        case 0x3d: { const si = s[p]!; const a = R[di + 1]! >>> 0, b = R[si + 1]! >>> 0; if (a > b || (a === b && (R[di]! >>> 0) >= (R[si]! >>> 0))) pc = tgt[p]!; continue; }
        case 0xad: { const si = s[p]!; const a = R[di + 1]! >>> 0, b = R[si + 1]! >>> 0; if (a < b || (a === b && (R[di]! >>> 0) < (R[si]! >>> 0))) pc = tgt[p]!; continue; }
        case 0xbd: { const si = s[p]!; const a = R[di + 1]! >>> 0, b = R[si + 1]! >>> 0; if (a < b || (a === b && (R[di]! >>> 0) <= (R[si]! >>> 0))) pc = tgt[p]!; continue; }
        case 0x6d: { const si = s[p]!; const a = R[di + 1]!, b = R[si + 1]!; if (a > b || (a === b && (R[di]! >>> 0) > (R[si]! >>> 0))) pc = tgt[p]!; continue; }
        case 0x7d: { const si = s[p]!; const a = R[di + 1]!, b = R[si + 1]!; if (a > b || (a === b && (R[di]! >>> 0) >= (R[si]! >>> 0))) pc = tgt[p]!; continue; }
        case 0xcd: { const si = s[p]!; const a = R[di + 1]!, b = R[si + 1]!; if (a < b || (a === b && (R[di]! >>> 0) < (R[si]! >>> 0))) pc = tgt[p]!; continue; }
        case 0xdd: { const si = s[p]!; const a = R[di + 1]!, b = R[si + 1]!; if (a < b || (a === b && (R[di]! >>> 0) <= (R[si]! >>> 0))) pc = tgt[p]!; continue; }

        // ---------------- JMP32 (low halves) ----------------
        case 0x1e: if (R[di] === R[s[p]!]) pc = tgt[p]!; continue;
        case 0x5e: if (R[di] !== R[s[p]!]) pc = tgt[p]!; continue;
        case 0x4e: if ((R[di]! & R[s[p]!]!) !== 0) pc = tgt[p]!; continue;
        case 0x2e: if ((R[di]! >>> 0) > (R[s[p]!]! >>> 0)) pc = tgt[p]!; continue;
        case 0x3e: if ((R[di]! >>> 0) >= (R[s[p]!]! >>> 0)) pc = tgt[p]!; continue;
        case 0xae: if ((R[di]! >>> 0) < (R[s[p]!]! >>> 0)) pc = tgt[p]!; continue;
        case 0xbe: if ((R[di]! >>> 0) <= (R[s[p]!]! >>> 0)) pc = tgt[p]!; continue;
        case 0x6e: if (R[di]! > R[s[p]!]!) pc = tgt[p]!; continue;
        case 0x7e: if (R[di]! >= R[s[p]!]!) pc = tgt[p]!; continue;
        case 0xce: if (R[di]! < R[s[p]!]!) pc = tgt[p]!; continue;
        case 0xde: if (R[di]! <= R[s[p]!]!) pc = tgt[p]!; continue;

        // ---------------- 64-bit immediate ----------------
        case 0x18: { const si = s[p]!; R[di] = R[si]!; R[di + 1] = R[si + 1]!; pc = tgt[p]!; continue; }

        // ---------------- loads ----------------
        case 0x61: { const si = s[p]!; const hi = R[si + 1]!; const id = (hi >>> 8) & 0xffff; const a = (R[si]! >>> 0) + off[p]!;
          if ((hi & TAGM) === TAG && a >= ms[id]! && a + 4 <= me[id]! && (a & 3 & ma[id]!) === 0) { R[di] = mv[id]!.getInt32(a, true); R[di + 1] = 0; }
          else { this.steps = steps; this.slowLoad(p, di, hi, a, 4, false); }
          continue; }
        case 0x69: { const si = s[p]!; const hi = R[si + 1]!; const id = (hi >>> 8) & 0xffff; const a = (R[si]! >>> 0) + off[p]!;
          if ((hi & TAGM) === TAG && a >= ms[id]! && a + 2 <= me[id]! && (a & 1 & ma[id]!) === 0) { R[di] = mv[id]!.getUint16(a, true); R[di + 1] = 0; }
          else { this.steps = steps; this.slowLoad(p, di, hi, a, 2, false); }
          continue; }
        case 0x71: { const si = s[p]!; const hi = R[si + 1]!; const id = (hi >>> 8) & 0xffff; const a = (R[si]! >>> 0) + off[p]!;
          if ((hi & TAGM) === TAG && a >= ms[id]! && a + 1 <= me[id]!) { R[di] = mv[id]!.getUint8(a); R[di + 1] = 0; }
          else { this.steps = steps; this.slowLoad(p, di, hi, a, 1, false); }
          continue; }
        case 0x79: { const si = s[p]!; const hi = R[si + 1]!; const id = (hi >>> 8) & 0xffff; const a = (R[si]! >>> 0) + off[p]!;
          if ((hi & TAGM) === TAG && a >= ms[id]! && a + 8 <= me[id]! && (a & 7 & ma[id]!) === 0) { const v = mv[id]!; R[di] = v.getInt32(a, true); R[di + 1] = v.getInt32(a + 4, true); }
          else { this.steps = steps; this.slowLoad(p, di, hi, a, 8, false); }
          continue; }
        case 0x81: { const si = s[p]!; const hi = R[si + 1]!; const id = (hi >>> 8) & 0xffff; const a = (R[si]! >>> 0) + off[p]!;
          if ((hi & TAGM) === TAG && a >= ms[id]! && a + 4 <= me[id]! && (a & 3 & ma[id]!) === 0) { const v = mv[id]!.getInt32(a, true); R[di] = v; R[di + 1] = v >> 31; }
          else { this.steps = steps; this.slowLoad(p, di, hi, a, 4, true); }
          continue; }
        case 0x89: { const si = s[p]!; const hi = R[si + 1]!; const id = (hi >>> 8) & 0xffff; const a = (R[si]! >>> 0) + off[p]!;
          if ((hi & TAGM) === TAG && a >= ms[id]! && a + 2 <= me[id]! && (a & 1 & ma[id]!) === 0) { const v = mv[id]!.getInt16(a, true); R[di] = v; R[di + 1] = v >> 31; }
          else { this.steps = steps; this.slowLoad(p, di, hi, a, 2, true); }
          continue; }
        case 0x91: { const si = s[p]!; const hi = R[si + 1]!; const id = (hi >>> 8) & 0xffff; const a = (R[si]! >>> 0) + off[p]!;
          if ((hi & TAGM) === TAG && a >= ms[id]! && a + 1 <= me[id]!) { const v = mv[id]!.getInt8(a); R[di] = v; R[di + 1] = v >> 31; }
          else { this.steps = steps; this.slowLoad(p, di, hi, a, 1, true); }
          continue; }

        // ---------------- stores (ST is decoded as STX from a constant slot) ----------------
        case 0x63: { const hi = R[di + 1]!; const id = (hi >>> 8) & 0xffff; const a = (R[di]! >>> 0) + off[p]!;
          if ((hi & TAGM) === TAG && a >= ms[id]! && a + 4 <= me[id]! && (a & 3 & ma[id]!) === 0 && (mf[id]! & F_WRITABLE) !== 0) mv[id]!.setInt32(a, R[s[p]!]!, true);
          else { this.steps = steps; this.slowStore(p, hi, a, 4, s[p]!); }
          continue; }
        case 0x6b: { const hi = R[di + 1]!; const id = (hi >>> 8) & 0xffff; const a = (R[di]! >>> 0) + off[p]!;
          if ((hi & TAGM) === TAG && a >= ms[id]! && a + 2 <= me[id]! && (a & 1 & ma[id]!) === 0 && (mf[id]! & F_WRITABLE) !== 0) mv[id]!.setInt16(a, R[s[p]!]!, true);
          else { this.steps = steps; this.slowStore(p, hi, a, 2, s[p]!); }
          continue; }
        case 0x73: { const hi = R[di + 1]!; const id = (hi >>> 8) & 0xffff; const a = (R[di]! >>> 0) + off[p]!;
          if ((hi & TAGM) === TAG && a >= ms[id]! && a + 1 <= me[id]! && (mf[id]! & F_WRITABLE) !== 0) mv[id]!.setInt8(a, R[s[p]!]!);
          else { this.steps = steps; this.slowStore(p, hi, a, 1, s[p]!); }
          continue; }
        case 0x7b: { const hi = R[di + 1]!; const id = (hi >>> 8) & 0xffff; const a = (R[di]! >>> 0) + off[p]!;
          if ((hi & TAGM) === TAG && a >= ms[id]! && a + 8 <= me[id]! && (a & 7 & ma[id]!) === 0 && (mf[id]! & F_WRITABLE) !== 0) { const v = mv[id]!; const si = s[p]!; v.setInt32(a, R[si]!, true); v.setInt32(a + 4, R[si + 1]!, true); }
          else { this.steps = steps; this.slowStore(p, hi, a, 8, s[p]!); }
          continue; }

        // ---------------- atomics ----------------
        case 0x120 /* ATOMIC32 */: case 0x121 /* ATOMIC32+1 */: case 0x122 /* ATOMIC32+2 */: case 0x123 /* ATOMIC32+3 */: case 0x124 /* ATOMIC32+4 */:
        case 0x125 /* ATOMIC32+5 */: case 0x126 /* ATOMIC32+6 */: case 0x127 /* ATOMIC32+7 */: case 0x128 /* ATOMIC32+8 */: case 0x129 /* ATOMIC32+9 */:
          this.steps = steps; this.atomic(p, di, s[p]!, off[p]!, op[p]! - OP.ATOMIC32, false); continue;
        case 0x130 /* ATOMIC64 */: case 0x131 /* ATOMIC64+1 */: case 0x132 /* ATOMIC64+2 */: case 0x133 /* ATOMIC64+3 */: case 0x134 /* ATOMIC64+4 */:
        case 0x135 /* ATOMIC64+5 */: case 0x136 /* ATOMIC64+6 */: case 0x137 /* ATOMIC64+7 */: case 0x138 /* ATOMIC64+8 */: case 0x139 /* ATOMIC64+9 */:
          this.steps = steps; this.atomic(p, di, s[p]!, off[p]!, op[p]! - OP.ATOMIC64, true); continue;

        // ---------------- legacy packet loads ----------------
        case 0x20: case 0x28: case 0x30: case 0x40: case 0x48: case 0x50: {
          const code = op[p]!;
          const k = imm[p]!;
          const ind = (code & 0x40) !== 0;
          const o = ind ? (R[s[p]!]! | 0) + k : k;
          const size = (code & 0x18) === 0 ? 4 : (code & 0x18) === 0x08 ? 2 : 1;
          this.steps = steps;
          this.ldAbs(p, o, size);
          continue;
        }

        // ---------------- calls ----------------
        case 0x85: {
          const fn = this.helpers[imm[p]!];
          if (!fn) throw new VmError('unknown_helper', p, `helper #${imm[p]}${helperName(imm[p]!) ? ` (bpf_${helperName(imm[p]!)})` : ''} is not implemented by bpflab`);
          this.steps = steps;
          this.cur = D;
          const env = this.env;
          env.pc = p;
          fn(env);
          steps = this.steps;
          ms = mem.start; me = mem.end; mv = mem.views; ma = mem.align; mf = mem.flags;
          if (env.tailCall) {
            const t = this.resolveTail(env.tailCall.program);
            env.tailCall = null;
            if (!t) throw new VmError('bad_call', p, 'tail call target is not a loaded program');
            D = t; op = D.op; d = D.d; s = D.s; off = D.off; tgt = D.tgt; imm = D.imm;
            this.cur = D;
            this.enterFrame(this.depth); // the target's prologue sets its may_goto slots
            pc = 0;
          }
          continue;
        }
        case 0x112 /* CALL_LOCAL */: {
          if (this.depth + 1 >= MAX_FRAMES) { this.steps = steps; throw new VmError('call_depth', p, `the call stack is too deep (max ${MAX_FRAMES} frames)`); }
          const sv = this.saved, b = this.depth * 10;
          for (let i = 0; i < 10; i++) sv[b + i] = R[12 + i]!;
          this.frameRet[this.depth] = pc;
          this.frameProg[this.depth] = D;
          this.depth++;
          if (this.depth > this.maxDepth) this.maxDepth = this.depth;
          R[20] = STACK_SIZE;
          R[21] = Memory.hiOf(mem.stackIds[this.depth]!);
          this.enterFrame(this.depth);
          pc = tgt[p]!;
          continue;
        }
        case 0x95: {
          if (this.depth === baseDepth) { this.steps = steps; return; }
          this.depth--;
          const sv = this.saved, b = this.depth * 10;
          for (let i = 0; i < 10; i++) R[12 + i] = sv[b + i]!;
          pc = this.frameRet[this.depth]!;
          D = this.frameProg[this.depth]!;
          op = D.op; d = D.d; s = D.s; off = D.off; tgt = D.tgt; imm = D.imm;
          this.cur = D;
          continue;
        }
        case 0x113 /* KFUNC */: {
          const k = D.kfuncs.get(p);
          if (!k || !('fn' in k)) { this.steps = steps; throw new VmError('unsupported', p, k?.why ?? `kfunc call (btf id ${imm[p]}) was not linked`); }
          this.steps = steps;
          this.cur = D;
          const env = this.env;
          env.pc = p;
          k.fn(env);
          steps = this.steps;
          ms = mem.start; me = mem.end; mv = mem.views; ma = mem.align; mf = mem.flags;
          continue;
        }
        case 0x115 /* MAY_GOTO */: {
          const f = this.depth, cnt = this.mgCount[f]!;
          if (cnt === 0) { pc = tgt[p]!; continue; }
          if (cnt !== 1) { this.mgCount[f] = cnt - 1; continue; }
          this.mgCount[f] = timedMayGotoCheck(this.env.clock, this.mgStamp, f);
          continue;
        }
        default:
          this.steps = steps;
          if (p >= D.n) throw new VmError('bad_insn', p, 'execution fell off the end of the program');
          throw new VmError('bad_insn', p, cannotExecute(D.program.insns[p]));
      }
    }
  }

  /** A new frame at `depth`: may_goto's count and timestamp as the frame's prologue sets them. */
  private enterFrame(depth: number): void {
    this.mgCount[depth] = BPF_MAX_TIMED_LOOPS;
    this.mgStamp[depth] = 0n;
  }

  /** A load the fast path refused: a ctx field, or a fault to report (runtime/access.ts). */
  private slowLoad(pc: number, di: number, hi: number, a: number, size: number, signed: boolean): void {
    memSlowLoad(this.mem, pc, hi, a, size, signed, this.out);
    this.R[di] = this.out[0]!;
    this.R[di + 1] = this.out[1]!;
  }

  private slowStore(pc: number, hi: number, a: number, size: number, si: number): void {
    memSlowStore(this.mem, pc, hi, a, size, this.R[si]!, this.R[si + 1]!);
  }

  private atomic(pc: number, di: number, si: number, offset: number, k: number, is64: boolean): void {
    const R = this.R;
    memAtomic(this.mem, pc, R[di + 1]!, R[di]!, offset, k, is64, R, si, R, 0);
  }

  private ldAbs(pc: number, o: number, size: number): void {
    this.R[0] = ldAbsLoad(this.env, pc, o, size);
    this.R[1] = 0;
  }
}
