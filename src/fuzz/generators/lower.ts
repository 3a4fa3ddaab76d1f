/**
 * Lowering: ProgramShape -> Program. Every fragment becomes a short, idiomatic instruction
 * sequence (the way clang writes bounds checks, null checks, spills), so a correct verifier
 * accepts most generated programs; near-miss parameters (`slack`, missing null checks, shift
 * amounts >= width) make some of them wrong on purpose.
 *
 * Stack layout of every frame: fp-8/fp-16 loop counters, fp-24..fp-56 spill slots,
 * fp-64 map key, fp-128..fp-72 map value buffer, fp-160..fp-129 skb_load_bytes buffer.
 */
import { makeMapSpec, makeProgram, type MapSpec, type Program } from '../../isa/program.js';
import * as op from '../../isa/opcodes.js';
import { Builder, type Label } from './builder.js';
import {
  type AluName, type AtomicName, type CmpName, type Frag, type MapShape, type Operand, type ProgramShape, type Size, TYPE_SPECS, type TypeSpec,
  type Var, varReg,
} from './shape.js';

const ALU_CODES: Record<AluName, number> = {
  add: op.BPF_ADD, sub: op.BPF_SUB, mul: op.BPF_MUL, div: op.BPF_DIV, sdiv: op.BPF_DIV, mod: op.BPF_MOD, smod: op.BPF_MOD,
  or: op.BPF_OR, and: op.BPF_AND, lsh: op.BPF_LSH, rsh: op.BPF_RSH, arsh: op.BPF_ARSH, xor: op.BPF_XOR, mov: op.BPF_MOV,
};
const CMP_CODES: Record<CmpName, number> = {
  jeq: op.BPF_JEQ, jne: op.BPF_JNE, jset: op.BPF_JSET, jgt: op.BPF_JGT, jge: op.BPF_JGE, jlt: op.BPF_JLT, jle: op.BPF_JLE,
  jsgt: op.BPF_JSGT, jsge: op.BPF_JSGE, jslt: op.BPF_JSLT, jsle: op.BPF_JSLE,
};
const ATOMIC_IMMS: Record<AtomicName, number> = {
  add: op.BPF_ADD, or: op.BPF_OR, and: op.BPF_AND, xor: op.BPF_XOR,
  fadd: op.BPF_ADD | op.BPF_FETCH, for: op.BPF_OR | op.BPF_FETCH, fand: op.BPF_AND | op.BPF_FETCH, fxor: op.BPF_XOR | op.BPF_FETCH,
  xchg: op.BPF_XCHG, cmpxchg: op.BPF_CMPXCHG,
};
const SIZE_CODES: Record<Size, number> = { 1: op.BPF_B, 2: op.BPF_H, 4: op.BPF_W, 8: op.BPF_DW };

export const LOOP_SLOT = (depth: number): number => -8 - 8 * depth;
export const SPILL_SLOT = (slot: number): number => -24 - 8 * (slot % 5);
export const KEY_SLOT = -64;
export const VALUE_BUF = -128;
export const SKB_BUF = -160;

const FP = 10;
const CTX = 6;

/** The largest power of two <= n (n >= 1). */
const pow2Floor = (n: number): number => (n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1);

interface Ctx {
  b: Builder;
  spec: TypeSpec;
  maps: readonly MapShape[];
  subLabels: Label[];
  /** Index of the subprogram being lowered (-1: main). */
  sub: number;
  loopDepth: number;
  /** Subprograms some emitted call targets (only those are emitted: unreachable code is rejected). */
  used: Set<number>;
}

/** Map specs of a shape (names map0, map1, ...). */
export function shapeMaps(maps: readonly MapShape[]): MapSpec[] {
  // Pushed one by one: `maps.map` over fast-check's (holey) arrays gives a holey array, a hidden
  // class of its own for the programs' `maps` (see objectElements in isa/program.ts).
  const out: MapSpec[] = [];
  maps.forEach((m, i) => out.push(makeMapSpec({
    name: `map${i}`, type: m.kind, keySize: m.kind === 'array' || m.kind === 'percpu_array' ? 4 : m.keySize,
    valueSize: m.valueSize, maxEntries: m.entries, flags: 0,
  })));
  return out;
}

export function lowerShape(shape: ProgramShape, name = 'fuzz'): Program {
  const b = new Builder();
  const spec = TYPE_SPECS[shape.type];
  const subLabels = shape.subs.map(() => b.label());
  const cx: Ctx = { b, spec, maps: shape.maps, subLabels, sub: -1, loopDepth: 0, used: new Set() };
  b.emit(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, CTX, 1);
  for (const f of shape.init) lowerFrag(cx, f);
  lowerFrags(cx, shape.body);
  b.emit((shape.ret32 ? op.BPF_ALU : op.BPF_ALU64) | op.BPF_MOV | op.BPF_X, 0, varReg(shape.ret));
  b.exit();
  shape.subs.forEach((s, i) => {
    if (!cx.used.has(i)) return;
    b.bind(subLabels[i]!);
    const sc: Ctx = { ...cx, sub: i, loopDepth: 0 };
    b.emit(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, CTX, 1);
    b.emit(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, 7, 2);
    b.emit(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, 8, 3);
    b.emit(op.BPF_ALU64 | op.BPF_MOV | op.BPF_K, 9, 0, 0, 0);
    lowerFrags(sc, s.body);
    b.emit(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, 0, 7);
    b.exit();
  });
  return makeProgram({ name, section: '', type: shape.type, insns: b.finish(), maps: shapeMaps(shape.maps), license: 'GPL' });
}

function lowerFrags(cx: Ctx, frags: readonly Frag[]): void {
  for (const f of frags) lowerFrag(cx, f);
}

function mov64(b: Builder, dst: number, src: number): void {
  b.emit(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, dst, src);
}
function movImm(b: Builder, dst: number, imm: number): void {
  b.emit(op.BPF_ALU64 | op.BPF_MOV | op.BPF_K, dst, 0, 0, imm);
}
function addImm(b: Builder, dst: number, imm: number): void {
  b.emit(op.BPF_ALU64 | op.BPF_ADD | op.BPF_K, dst, 0, 0, imm);
}
function ldx(b: Builder, size: Size, dst: number, src: number, off: number, sx = false): void {
  b.emit(op.BPF_LDX | (sx && size < 8 ? op.BPF_MEMSX : op.BPF_MEM) | SIZE_CODES[size], dst, src, off);
}
function stx(b: Builder, size: Size, dst: number, off: number, src: number): void {
  b.emit(op.BPF_STX | op.BPF_MEM | SIZE_CODES[size], dst, src, off);
}
function stImm(b: Builder, size: Size, dst: number, off: number, imm: number): void {
  b.emit(op.BPF_ST | op.BPF_MEM | SIZE_CODES[size], dst, 0, off, imm);
}
/** An atomic op on (base + off) with register `reg`; cmpxchg compares with r0 (set by the caller). */
function atomic(b: Builder, size: 4 | 8, base: number, off: number, reg: number, a: AtomicName): void {
  b.emit(op.BPF_STX | op.BPF_ATOMIC | SIZE_CODES[size], base, reg, off, ATOMIC_IMMS[a]);
}

function lowerFrag(cx: Ctx, f: Frag): void {
  const b = cx.b;
  switch (f.k) {
    case 'alu': {
      const cls = f.w32 ? op.BPF_ALU : op.BPF_ALU64;
      const signed = f.op === 'sdiv' || f.op === 'smod' ? 1 : 0;
      if ('reg' in f.src) b.emit(cls | ALU_CODES[f.op] | op.BPF_X, varReg(f.dst), varReg(f.src.reg), signed);
      else b.emit(cls | ALU_CODES[f.op] | op.BPF_K, varReg(f.dst), 0, signed, f.src.imm);
      return;
    }
    case 'neg':
      b.emit((f.w32 ? op.BPF_ALU : op.BPF_ALU64) | op.BPF_NEG, varReg(f.dst));
      return;
    case 'const': {
      const v = BigInt.asUintN(64, f.value);
      if (f.how === 'ld64') b.ld64(varReg(f.dst), v);
      else b.emit((f.how === 'mov32' ? op.BPF_ALU : op.BPF_ALU64) | op.BPF_MOV | op.BPF_K, varReg(f.dst), 0, 0, Number(BigInt.asIntN(32, v)));
      return;
    }
    case 'movsx': {
      const bits = f.w32 && f.bits === 32 ? 16 : f.bits;
      b.emit((f.w32 ? op.BPF_ALU : op.BPF_ALU64) | op.BPF_MOV | op.BPF_X, varReg(f.dst), varReg(f.src), bits);
      return;
    }
    case 'end': {
      const code = f.kind === 'bswap' ? op.BPF_ALU64 | op.BPF_END : op.BPF_ALU | op.BPF_END | (f.kind === 'be' ? op.BPF_TO_BE : op.BPF_TO_LE);
      b.emit(code, varReg(f.dst), 0, 0, f.bits);
      return;
    }
    case 'ctx': {
      const loads = cx.spec.ctxLoads;
      const fld = loads[f.field % loads.length]!;
      const sizes: Size[] = !fld.narrow ? [fld.size] : fld.size === 8 ? [8, 4, 2, 1] : [4, 2, 1];
      const size = sizes[f.narrow % sizes.length]!;
      const off = fld.off + ((((f.narrow >> 2) * size) % fld.size) & ~(size - 1));
      let base = CTX;
      if (f.viaSpill) {
        stx(b, 8, FP, SPILL_SLOT(0), CTX);
        ldx(b, 8, 1, FP, SPILL_SLOT(0));
        base = 1;
      }
      ldx(b, size, varReg(f.dst), base, off);
      return;
    }
    case 'ctxStore': {
      const stores = cx.spec.ctxStores;
      if (stores.length === 0) return;
      stx(b, 4, CTX, stores[f.field % stores.length]!, varReg(f.src));
      return;
    }
    case 'helper': {
      const hs = cx.spec.helpers;
      b.callHelper(hs[f.fn % hs.length]!);
      mov64(b, varReg(f.dst), 0);
      if (f.mask) b.emit(op.BPF_ALU64 | op.BPF_AND | op.BPF_K, varReg(f.dst), 0, 0, f.mask);
      return;
    }
    case 'spill':
      lowerSpill(cx, f);
      return;
    case 'packet':
      if (cx.spec.packet) lowerPacket(cx, f);
      else if (cx.spec.skbLoadBytes) lowerSkbLoad(cx, { k: 'skbLoad', dst: f.dst, off: { imm: f.off }, len: f.len, at: 0, size: f.size });
      return;
    case 'ldabs': {
      if (!cx.spec.ldAbs) return;
      const sz = f.size === 1 ? op.BPF_B : f.size === 2 ? op.BPF_H : op.BPF_W;
      if (f.ind === null) b.emit(op.BPF_LD | op.BPF_ABS | sz, 0, 0, 0, f.off);
      else b.emit(op.BPF_LD | op.BPF_IND | sz, 0, varReg(f.ind), 0, f.off);
      mov64(b, varReg(f.dst), 0);
      return;
    }
    case 'skbLoad':
      if (cx.spec.skbLoadBytes) lowerSkbLoad(cx, f);
      return;
    case 'map':
      if (cx.maps.length > 0) lowerMap(cx, f);
      return;
    case 'if': {
      const then = b.label();
      const end = b.label();
      const cls = f.j32 ? op.BPF_JMP32 : op.BPF_JMP;
      if ('reg' in f.b) b.jmp(cls | CMP_CODES[f.cmp] | op.BPF_X, varReg(f.a), varReg(f.b.reg), 0, then);
      else b.jmp(cls | CMP_CODES[f.cmp] | op.BPF_K, varReg(f.a), 0, f.b.imm, then);
      lowerFrags(cx, f.else);
      b.ja(end);
      b.bind(then);
      lowerFrags(cx, f.then);
      b.bind(end);
      return;
    }
    case 'loop': {
      if (cx.loopDepth >= 2) { lowerFrags(cx, f.body); return; }
      const slot = LOOP_SLOT(cx.loopDepth);
      const head = b.label();
      if (f.bound === null) stImm(b, 8, FP, slot, 0);
      else {
        mov64(b, 0, varReg(f.bound));
        b.emit(op.BPF_ALU64 | op.BPF_AND | op.BPF_K, 0, 0, 0, 7);
        addImm(b, 0, 1);
        stx(b, 8, FP, slot, 0);
      }
      b.bind(head);
      lowerFrags({ ...cx, loopDepth: cx.loopDepth + 1 }, f.body);
      ldx(b, 8, 0, FP, slot);
      addImm(b, 0, f.bound === null ? 1 : -1);
      stx(b, 8, FP, slot, 0);
      if (f.bound === null) b.jmp(op.BPF_JMP | op.BPF_JLT | op.BPF_K, 0, 0, Math.max(1, f.n), head);
      else b.jmp(op.BPF_JMP | op.BPF_JSGT | op.BPF_K, 0, 0, 0, head);
      return;
    }
    case 'call': {
      const n = cx.subLabels.length;
      const first = cx.sub + 1; // only call later subprograms: no recursion
      if (first >= n) { mov64(b, varReg(f.dst), varReg(f.args[0])); return; }
      const target = first + (f.sub % (n - first));
      cx.used.add(target);
      mov64(b, 1, CTX);
      mov64(b, 2, varReg(f.args[0]));
      mov64(b, 3, varReg(f.args[1]));
      b.callLocal(cx.subLabels[target]!);
      mov64(b, varReg(f.dst), 0);
      return;
    }
  }
}

function lowerSpill(cx: Ctx, f: Extract<Frag, { k: 'spill' }>): void {
  const b = cx.b;
  const off = SPILL_SLOT(f.slot);
  const src = varReg(f.src);
  const dst = varReg(f.dst);
  if (f.atomic) {
    const size: 4 | 8 = f.size === 8 ? 8 : 4;
    stx(b, size, FP, off, src);
    if (f.atomic === 'cmpxchg') {
      mov64(b, 0, src);
      atomic(b, size, FP, off, dst, 'cmpxchg');
      mov64(b, dst, 0);
    } else atomic(b, size, FP, off, dst, f.atomic);
    ldx(b, size, dst, FP, off);
    return;
  }
  stx(b, f.size, FP, off, src);
  ldx(b, f.size, dst, FP, off, f.sx);
}

/** data/data_end, optional variable offset, a bounds check of `len` bytes, one access. */
function lowerPacket(cx: Ctx, f: Extract<Frag, { k: 'packet' }>): void {
  const b = cx.b;
  const pk = cx.spec.packet!;
  const len = Math.max(1, f.len);
  const size = pow2Floor(Math.min(f.size, len)) as Size;
  const skip = b.label();
  ldx(b, 4, 2, CTX, pk.data);
  ldx(b, 4, 3, CTX, pk.end);
  if (f.idx !== null) {
    mov64(b, 1, varReg(f.idx));
    b.emit(op.BPF_ALU64 | op.BPF_AND | op.BPF_K, 1, 0, 0, f.mask & 0xffff);
    b.emit(op.BPF_ALU64 | op.BPF_ADD | op.BPF_X, 2, 1);
  }
  mov64(b, 4, 2);
  addImm(b, 4, len);
  switch (f.form & 3) {
    case 0: b.jmp(op.BPF_JMP | op.BPF_JGT | op.BPF_X, 4, 3, 0, skip); break;
    case 1: b.jmp(op.BPF_JMP | op.BPF_JLT | op.BPF_X, 3, 4, 0, skip); break;
    default: {
      const ok = b.label();
      if ((f.form & 3) === 2) b.jmp(op.BPF_JMP | op.BPF_JLE | op.BPF_X, 4, 3, 0, ok);
      else b.jmp(op.BPF_JMP | op.BPF_JGE | op.BPF_X, 3, 4, 0, ok);
      b.ja(skip);
      b.bind(ok);
    }
  }
  const off = (f.off % (len - size + 1)) + f.slack;
  if (f.write) stx(b, size, 2, off, varReg(f.dst));
  else ldx(b, size, varReg(f.dst), 2, off);
  b.bind(skip);
}

function lowerSkbLoad(cx: Ctx, f: Extract<Frag, { k: 'skbLoad' }>): void {
  const b = cx.b;
  const len = Math.min(32, Math.max(1, f.len));
  const size = pow2Floor(Math.min(f.size, len)) as Size;
  const at = Math.floor((f.at % (len - size + 1)) / size) * size;
  mov64(b, 1, CTX);
  if ('reg' in f.off) mov64(b, 2, varReg(f.off.reg));
  else movImm(b, 2, f.off.imm);
  mov64(b, 3, FP);
  addImm(b, 3, SKB_BUF);
  movImm(b, 4, len);
  b.callHelper(26); // bpf_skb_load_bytes
  ldx(b, size, varReg(f.dst), FP, SKB_BUF + at);
}

function lowerMap(cx: Ctx, f: Extract<Frag, { k: 'map' }>): void {
  const b = cx.b;
  const mi = f.map % cx.maps.length;
  const m = cx.maps[mi]!;
  const keySize = m.kind === 'array' || m.kind === 'percpu_array' ? 4 : m.keySize;
  const ks: Size = keySize === 4 ? 4 : 8;
  if ('reg' in f.key) stx(b, ks, FP, KEY_SLOT, varReg(f.key.reg));
  else stImm(b, ks, FP, KEY_SLOT, f.key.imm);
  const dst = varReg(f.dst);
  if (f.access === 'update') {
    for (let i = 0; i < m.valueSize; i += 8) stx(b, 8, FP, VALUE_BUF + i, dst);
    b.ldMap(1, mi);
    mov64(b, 2, FP);
    addImm(b, 2, KEY_SLOT);
    mov64(b, 3, FP);
    addImm(b, 3, VALUE_BUF);
    movImm(b, 4, 0);
    b.callHelper(2); // bpf_map_update_elem
    mov64(b, dst, 0);
    return;
  }
  b.ldMap(1, mi);
  mov64(b, 2, FP);
  addImm(b, 2, KEY_SLOT);
  if (f.access === 'delete') {
    b.callHelper(3); // bpf_map_delete_elem
    mov64(b, dst, 0);
    return;
  }
  b.callHelper(1); // bpf_map_lookup_elem
  const skip = b.label();
  if (f.nullCheck === 0) b.jmp(op.BPF_JMP | op.BPF_JEQ | op.BPF_K, 0, 0, 0, skip);
  else if (f.nullCheck === 1) {
    const ok = b.label();
    b.jmp(op.BPF_JMP | op.BPF_JNE | op.BPF_K, 0, 0, 0, ok);
    b.ja(skip);
    b.bind(ok);
  }
  const isAtomic = f.access === 'atomic';
  const size: Size = isAtomic ? (f.size === 8 ? 8 : 4) : f.size;
  const room = m.valueSize - size; // largest valid offset
  let off = f.off % (room + 1);
  // atomics must be naturally aligned (the kernel checks it even where plain accesses may be unaligned)
  if (isAtomic && !f.slack) off &= ~(size - 1);
  mov64(b, 3, 0);
  if (f.idx !== null) {
    const max = room - off; // largest valid index
    mov64(b, 1, varReg(f.idx));
    if (f.bound === 'and') {
      let mask = 0;
      while (mask * 2 + 1 <= max) mask = mask * 2 + 1;
      if (f.slack) mask = mask * 2 + 1;
      b.emit(op.BPF_ALU64 | op.BPF_AND | op.BPF_K, 1, 0, 0, mask);
    } else if (f.bound === 'jgt') b.jmp(op.BPF_JMP | op.BPF_JGT | op.BPF_K, 1, 0, max + f.slack, skip);
    else {
      b.jmp(op.BPF_JMP | op.BPF_JSGT | op.BPF_K, 1, 0, max + f.slack, skip);
      b.jmp(op.BPF_JMP | op.BPF_JSLT | op.BPF_K, 1, 0, 0, skip);
    }
    if (isAtomic && !f.slack) b.emit(op.BPF_ALU64 | op.BPF_AND | op.BPF_K, 1, 0, 0, -size);
    b.emit(op.BPF_ALU64 | op.BPF_ADD | op.BPF_X, 3, 1);
  } else if (f.slack) off = room + f.slack;
  if (f.access === 'load') ldx(b, size, dst, 3, off);
  else if (f.access === 'store') stx(b, size, 3, off, dst);
  else if (f.atomic === 'cmpxchg') {
    mov64(b, 0, dst);
    atomic(b, size as 4 | 8, 3, off, dst, 'cmpxchg');
    mov64(b, dst, 0);
  } else atomic(b, size as 4 | 8, 3, off, dst, f.atomic);
  b.bind(skip);
}

export type { Operand, Var };
