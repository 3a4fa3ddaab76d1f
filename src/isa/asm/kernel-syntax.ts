/**
 * Statements in the Linux verifier log's syntax (SPEC section 3), the inverse of disasm.ts:
 *   r1 = *(u32 *)(r1 +0)      *(u64 *)(r10 -8) = r1     w0 += w1      r0 = (s8)r1
 *   if r1 > 0x5 goto pc+3     goto label                call bpf_map_lookup_elem#1
 *   lock *(u64 *)(r10 -8) += r1     r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)
 *   r1 = 0x1234 ll            r1 = map[counters]        r1 = map_value[counters] + 8
 */
import * as op from '../opcodes.js';
import { insn, ldImm64 } from '../insn.js';
import { helperId } from '../helper-ids.js';
import type { Cursor, Emitted, Fixup, Reg } from './cursor.js';

const SIZES: Record<string, number> = { u8: op.BPF_B, u16: op.BPF_H, u32: op.BPF_W, u64: op.BPF_DW };
const SX_SIZES: Record<string, number> = { s8: op.BPF_B, s16: op.BPF_H, s32: op.BPF_W };
const ALU_ASSIGN: Record<string, number> = {
  '+=': op.BPF_ADD, '-=': op.BPF_SUB, '*=': op.BPF_MUL, '/=': op.BPF_DIV, '|=': op.BPF_OR, '&=': op.BPF_AND,
  '<<=': op.BPF_LSH, '>>=': op.BPF_RSH, '%=': op.BPF_MOD, '^=': op.BPF_XOR, 's>>=': op.BPF_ARSH,
  's/=': op.BPF_DIV, 's%=': op.BPF_MOD,
};
const JMP_CMP: Record<string, number> = {
  '==': op.BPF_JEQ, '>': op.BPF_JGT, '>=': op.BPF_JGE, '&': op.BPF_JSET, '!=': op.BPF_JNE, 's>': op.BPF_JSGT,
  's>=': op.BPF_JSGE, '<': op.BPF_JLT, '<=': op.BPF_JLE, 's<': op.BPF_JSLT, 's<=': op.BPF_JSLE,
};
const LOCK_OPS: Record<string, number> = { '+=': op.BPF_ADD, '&=': op.BPF_AND, '|=': op.BPF_OR, '^=': op.BPF_XOR };
const FETCH_OPS: Record<string, number> = { add: op.BPF_ADD, and: op.BPF_AND, or: op.BPF_OR, xor: op.BPF_XOR };
const END_RE = /^(be|le|bswap)(16|32|64)$/;
const ATOMIC_RE = /^atomic(64)?_(fetch_(add|and|or|xor)|xchg|cmpxchg)$/;

/** A jump target: `pc+N`, `pc-N`, `+N`, `-N` or a label. */
export function jumpTarget(c: Cursor, field: 'off' | 'imm'): { value: number; fixup?: Fixup } {
  if (c.isId('pc') && (c.isOp('+', 1) || c.isOp('-', 1))) c.next('pc');
  if (c.isOp('+') || c.isOp('-')) return { value: field === 'off' ? c.off16('a jump offset') : c.imm32('a jump offset') };
  if (c.isId() && !c.atReg()) {
    const t = c.next('a label');
    return { value: 0, fixup: { field, kind: 'label', name: t.text, col: t.col } };
  }
  return c.unexpected('a jump target (pc+N, +N, -N or a label)');
}

/** `(u32 *)` or `(s16 *)`: the size field and whether it is a sign-extending size. */
function sizeCast(c: Cursor, allowSigned: boolean): { size: number; sx: boolean } {
  c.expectOp('(');
  const t = c.ident('a size (u8, u16, u32, u64)');
  c.expectOp('*');
  c.expectOp(')');
  const u = SIZES[t.text];
  if (u !== undefined) return { size: u, sx: false };
  const s = allowSigned ? SX_SIZES[t.text] : undefined;
  if (s !== undefined) return { size: s, sx: true };
  return c.fail(`unknown size '${t.text}' (expected u8, u16, u32, u64${allowSigned ? ', s8, s16, s32' : ''})`, t.col);
}

/** `(r1 +8)`, `(r10 -8)`, `(r1)`. */
function memRef(c: Cursor): { reg: Reg; off: number } {
  c.expectOp('(');
  const reg = c.reg64();
  const off = c.isOp('+') || c.isOp('-') ? c.off16() : 0;
  c.expectOp(')');
  return { reg, off };
}

function sameReg(c: Cursor, a: Reg, b: Reg, what: string): void {
  if (a.n !== b.n || a.width !== b.width) c.fail(`${what} must name the same register on both sides (${a.width}${a.n})`, b.col);
}

/** Parses one statement in kernel syntax; `c` is positioned at its first token. */
export function parseKernelStatement(c: Cursor): Emitted {
  const t = c.peek()!;
  if (t.kind === 'id') {
    switch (t.text) {
      case 'exit': c.next(''); c.end(); return { slots: [insn(op.BPF_JMP | op.BPF_EXIT)] };
      case 'goto': case 'gotol': case 'may_goto': {
        c.next('');
        const field = t.text === 'gotol' ? 'imm' : 'off';
        const { value, fixup } = jumpTarget(c, field);
        c.end();
        const code = t.text === 'goto' ? op.BPF_JMP | op.BPF_JA : t.text === 'gotol' ? op.BPF_JMP32 | op.BPF_JA : op.BPF_JMP | op.BPF_JCOND;
        const s = field === 'off' ? insn(code, 0, t.text === 'may_goto' ? op.BPF_MAY_GOTO : 0, value, 0) : insn(code, 0, 0, 0, value);
        return fixup ? { slots: [s], fixup } : { slots: [s] };
      }
      case 'call': return parseCall(c);
      case 'if': return parseIf(c);
      case 'lock': return parseLock(c);
      case 'store_release': {
        c.next('');
        c.expectOp('(');
        const { size } = sizeCast(c, false);
        const m = memRef(c);
        c.expectOp(',');
        const s = c.reg64();
        c.expectOp(')');
        c.end();
        return { slots: [insn(op.BPF_STX | op.BPF_ATOMIC | size, m.reg.n, s.n, m.off, op.BPF_STORE_REL)] };
      }
      case 'nospec': c.next(''); c.end(); return { slots: [insn(op.BPF_ST | 0xc0)] };
    }
    if (c.atReg()) return parseAssign(c);
    if (!c.isOp(':', 1)) c.fail(`unknown mnemonic '${t.text}'`, t.col);
  }
  if (c.isOp('*')) return parseStore(c);
  if (c.atReg()) return parseAssign(c);
  return c.unexpected('an instruction');
}

function parseIf(c: Cursor): Emitted {
  c.expectId('if');
  const a = c.reg();
  const opTok = c.next('a comparison');
  const jop = JMP_CMP[opTok.text];
  if (opTok.kind !== 'op' || jop === undefined) c.fail(`unknown comparison '${opTok.text}'`, opTok.col);
  const cls = a.width === 'w' ? op.BPF_JMP32 : op.BPF_JMP;
  let code: number;
  let src = 0;
  let imm = 0;
  if (c.atReg()) {
    const b = c.reg();
    if (b.width !== a.width) c.fail(`both operands of a comparison must be ${a.width === 'w' ? '32' : '64'}-bit (${a.width}${b.n})`, b.col);
    code = cls | jop | op.BPF_X;
    src = b.n;
  } else {
    code = cls | jop | op.BPF_K;
    imm = c.imm32('a register or an immediate');
  }
  c.expectId('goto');
  const { value, fixup } = jumpTarget(c, 'off');
  c.end();
  const s = insn(code, a.n, src, value, imm);
  return fixup ? { slots: [s], fixup } : { slots: [s] };
}

function parseCall(c: Cursor): Emitted {
  c.expectId('call');
  const call = (src: number, imm: number) => insn(op.BPF_JMP | op.BPF_CALL, 0, src, 0, imm);
  // Conformance forms: `call local f`, `call helper 5`, `call runtime 5`, `call %r2` (callx).
  if (c.eatId('local')) {
    const { value, fixup } = jumpTarget(c, 'imm');
    c.end();
    return fixup ? { slots: [call(op.BPF_PSEUDO_CALL, 0)], fixup } : { slots: [call(op.BPF_PSEUDO_CALL, value)] };
  }
  if (c.eatId('helper')) { const imm = c.imm32('a helper id'); c.end(); return { slots: [call(0, imm)] }; }
  if (c.eatId('runtime')) { const imm = c.imm32('a kfunc id'); c.end(); return { slots: [call(op.BPF_PSEUDO_KFUNC_CALL, imm)] }; }
  if (c.atReg()) {
    const r = c.reg64();
    c.end();
    return { slots: [insn(op.BPF_JMP | op.BPF_CALL | op.BPF_X, r.n, 0, 0, 0)] };
  }
  if (c.isId('pc') && (c.isOp('+', 1) || c.isOp('-', 1))) {
    c.next('pc');
    const imm = c.imm32('a call offset');
    c.end();
    return { slots: [call(op.BPF_PSEUDO_CALL, imm)] };
  }
  if (c.atNumber()) { const imm = c.imm32('a helper id'); c.end(); return { slots: [call(0, imm)] }; }
  const name = c.ident('a helper name, a helper id, pc+N or a label');
  if (c.eatOp('#')) {
    // `name#id`: the id decides; the name says helper (a helper name or "unknown") or kfunc (anything else).
    const imm = c.imm32('an id after #');
    c.end();
    const isHelper = name.text === 'unknown' || helperId(name.text) !== undefined;
    return { slots: [call(isHelper ? 0 : op.BPF_PSEUDO_KFUNC_CALL, imm)] };
  }
  c.end();
  const id = helperId(name.text);
  if (id !== undefined) return { slots: [call(0, id)] };
  // Otherwise a local call to a label.
  return { slots: [call(op.BPF_PSEUDO_CALL, 0)], fixup: { field: 'imm', kind: 'label', name: name.text, col: name.col } };
}

function parseLock(c: Cursor): Emitted {
  c.expectId('lock');
  c.expectOp('*');
  const { size } = sizeCast(c, false);
  const m = memRef(c);
  const o = c.next("'+=', '&=', '|=' or '^='");
  const aop = LOCK_OPS[o.text];
  if (o.kind !== 'op' || aop === undefined) c.fail(`unknown atomic operation '${o.text}' (expected +=, &=, |= or ^=)`, o.col);
  const s = c.reg64();
  c.end();
  return { slots: [insn(op.BPF_STX | op.BPF_ATOMIC | size, m.reg.n, s.n, m.off, aop)] };
}

function parseStore(c: Cursor): Emitted {
  c.expectOp('*');
  const { size } = sizeCast(c, false);
  const m = memRef(c);
  c.expectOp('=');
  if (c.atReg()) {
    const s = c.reg64();
    c.end();
    return { slots: [insn(op.BPF_STX | op.BPF_MEM | size, m.reg.n, s.n, m.off, 0)] };
  }
  const imm = c.imm32('a register or an immediate');
  c.end();
  return { slots: [insn(op.BPF_ST | op.BPF_MEM | size, m.reg.n, 0, m.off, imm)] };
}

function parseAssign(c: Cursor): Emitted {
  const d = c.reg();
  const cls = d.width === 'w' ? op.BPF_ALU : op.BPF_ALU64;
  const o = c.next('an assignment operator');
  if (o.kind !== 'op') c.fail(`expected an assignment operator, found '${o.text}'`, o.col);
  if (o.text !== '=') {
    const aop = ALU_ASSIGN[o.text];
    if (aop === undefined) c.fail(`unknown operator '${o.text}'`, o.col);
    const off = o.text === 's/=' || o.text === 's%=' ? 1 : 0;
    if (c.atReg()) {
      const s = c.reg();
      if (s.width !== d.width) c.fail(`both operands must be ${d.width === 'w' ? '32' : '64'}-bit (${d.width}${s.n})`, s.col);
      c.end();
      return { slots: [insn(cls | aop | op.BPF_X, d.n, s.n, off, 0)] };
    }
    const imm = c.imm32('a register or an immediate');
    c.end();
    return { slots: [insn(cls | aop | op.BPF_K, d.n, 0, off, imm)] };
  }
  return parseAssignRhs(c, d, cls);
}

function parseAssignRhs(c: Cursor, d: Reg, cls: number): Emitted {
  const needR = (what: string) => { if (d.width !== 'r') c.fail(`${what} needs a 64-bit destination register (r${d.n})`, d.col); };
  // Loads: *(u32 *)(r1 +0), *(s8 *)(r1 +0), *(u8 *)skb[12], *(u8 *)skb[r1 + 12]
  if (c.eatOp('*')) {
    needR('a load');
    const { size, sx } = sizeCast(c, true);
    if (c.eatId('skb')) {
      if (sx) c.fail('packet loads (skb[...]) take an unsigned size');
      if (d.n !== 0) c.fail('packet loads (skb[...]) always write r0', d.col);
      c.expectOp('[');
      let code = op.BPF_LD | op.BPF_ABS | size;
      let src = 0;
      if (c.atReg()) {
        src = c.reg64().n;
        code = op.BPF_LD | op.BPF_IND | size;
        c.expectOp('+');
      }
      const imm = c.imm32('a packet offset');
      c.expectOp(']');
      c.end();
      return { slots: [insn(code, 0, src, 0, imm)] };
    }
    const m = memRef(c);
    c.end();
    return { slots: [insn(op.BPF_LDX | (sx ? op.BPF_MEMSX : op.BPF_MEM) | size, d.n, m.reg.n, m.off, 0)] };
  }
  // Negation: r0 = -r0
  if (c.isOp('-') && c.atRegAfterMinus()) {
    c.next('-');
    const s = c.reg();
    sameReg(c, d, s, 'negation');
    c.end();
    return { slots: [insn(cls | op.BPF_NEG, d.n)] };
  }
  // Sign-extending move: r0 = (s8)r1
  if (c.isOp('(')) {
    c.next('(');
    const t = c.ident('s8, s16 or s32');
    const bits = t.text === 's8' ? 8 : t.text === 's16' ? 16 : t.text === 's32' ? 32 : 0;
    if (!bits) c.fail(`unknown cast '${t.text}' (expected s8, s16 or s32)`, t.col);
    c.expectOp(')');
    const s = c.reg();
    if (s.width !== d.width) c.fail(`both operands must be ${d.width === 'w' ? '32' : '64'}-bit (${d.width}${s.n})`, s.col);
    c.end();
    return { slots: [insn(cls | op.BPF_MOV | op.BPF_X, d.n, s.n, bits, 0)] };
  }
  if (c.atReg()) {
    const s = c.reg();
    if (s.width !== d.width) c.fail(`both operands must be ${d.width === 'w' ? '32' : '64'}-bit (${d.width}${s.n})`, s.col);
    c.end();
    return { slots: [insn(cls | op.BPF_MOV | op.BPF_X, d.n, s.n, 0, 0)] };
  }
  if (c.atNumber()) {
    const start = c.col();
    const v = c.number('an immediate');
    if (c.eatId('ll')) {
      needR('a 64-bit immediate load');
      if (v.value < -(1n << 63n) || v.value >= 1n << 64n) c.fail(`immediate ${v.value} does not fit in 64 bits`, start);
      c.end();
      return { slots: ldImm64(d.n, v.value) };
    }
    if (v.value < -(1n << 31n) || v.value >= 1n << 32n)
      c.fail(`immediate ${v.value} does not fit in 32 bits (write '${v.value} ll' for a 64-bit load)`, start);
    c.end();
    return { slots: [insn(cls | op.BPF_MOV | op.BPF_K, d.n, 0, 0, Number(BigInt.asIntN(32, v.value)))] };
  }
  const t = c.ident('a register, an immediate or an expression');
  const end = END_RE.exec(t.text);
  if (end) {
    needR('a byte swap');
    const s = c.reg();
    sameReg(c, d, s, 'a byte swap');
    c.end();
    const code = end[1] === 'bswap' ? op.BPF_ALU64 | op.BPF_END : op.BPF_ALU | op.BPF_END | (end[1] === 'be' ? op.BPF_TO_BE : op.BPF_TO_LE);
    return { slots: [insn(code, d.n, 0, 0, Number(end[2]))] };
  }
  const atomic = ATOMIC_RE.exec(t.text);
  if (atomic) return parseAtomicCall(c, d, t.text, atomic[1] === '64', atomic[2]!, atomic[3]);
  switch (t.text) {
    case 'map': case 'map_value': case 'btf_id': case 'subprog':
      needR('a 64-bit immediate load');
      return parsePseudoLoad(c, d, t.text);
    case 'load_acquire': {
      needR('load_acquire');
      c.expectOp('(');
      const { size } = sizeCast(c, false);
      const m = memRef(c);
      c.expectOp(')');
      c.end();
      return { slots: [insn(op.BPF_STX | op.BPF_ATOMIC | size, d.n, m.reg.n, m.off, op.BPF_LOAD_ACQ)] };
    }
    case 'addr_space_cast': {
      needR('addr_space_cast');
      c.expectOp('(');
      const s = c.reg64();
      c.expectOp(',');
      const to = c.number('an address space');
      c.expectOp(',');
      const from = c.number('an address space');
      c.expectOp(')');
      c.end();
      if (to.value < 0n || to.value > 0xffffn) c.fail('address space must be 0..65535', to.col);
      if (from.value < 0n || from.value > 0xffffn) c.fail('address space must be 0..65535', from.col);
      const imm = Number(BigInt.asIntN(32, (to.value << 16n) | from.value));
      return { slots: [insn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_X, d.n, s.n, op.BPF_ADDR_SPACE_CAST, imm)] };
    }
  }
  return c.fail(`unknown expression '${t.text}'`, t.col);
}

/** `r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)`, `..._xchg(...)`, `r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)`. */
function parseAtomicCall(c: Cursor, d: Reg, name: string, is64: boolean, kind: string, fetchOp: string | undefined): Emitted {
  if (d.width !== 'r') c.fail(`${name} needs a 64-bit destination register (r${d.n})`, d.col);
  c.expectOp('(');
  const sizeCol = c.col();
  const { size } = sizeCast(c, false);
  if (is64 !== (size === op.BPF_DW)) c.fail(is64 ? `${name} needs a (u64 *) operand` : `${name} needs a size below u64 (use atomic64_)`, sizeCol);
  const m = memRef(c);
  c.expectOp(',');
  let imm: number;
  if (kind === 'cmpxchg') {
    if (d.n !== 0) c.fail(`${name} always writes r0`, d.col);
    const r0 = c.reg64();
    if (r0.n !== 0) c.fail(`${name} compares with r0`, r0.col);
    c.expectOp(',');
    imm = op.BPF_CMPXCHG;
  } else {
    imm = kind === 'xchg' ? op.BPF_XCHG : FETCH_OPS[fetchOp!]! | op.BPF_FETCH;
  }
  const s = c.reg64();
  if (kind !== 'cmpxchg' && s.n !== d.n) c.fail(`${name} returns the old value in its source register (r${s.n}), so the destination must be r${s.n}`, d.col);
  c.expectOp(')');
  c.end();
  return { slots: [insn(op.BPF_STX | op.BPF_ATOMIC | size, m.reg.n, s.n, m.off, imm)] };
}

/** The 64-bit loads with a pseudo source: map[name], map[id:N], map[id:N][0]+off, map[idx:N](+off), map_value[name] + off, btf_id[N], subprog[+N]. */
function parsePseudoLoad(c: Cursor, d: Reg, kind: string): Emitted {
  const two = (src: number, lo: number, hi: number) => {
    const [a, b] = ldImm64(d.n, 0n, src);
    a.imm = lo;
    b.imm = hi;
    return [a, b];
  };
  c.expectOp('[');
  if (kind === 'subprog' && c.isId() && !c.atReg()) {
    const t = c.next('a label');
    c.expectOp(']');
    c.end();
    return { slots: two(op.BPF_PSEUDO_FUNC, 0, 0), fixup: { field: 'imm', kind: 'label', name: t.text, col: t.col } };
  }
  if (kind === 'btf_id' || kind === 'subprog') {
    const lo = c.imm32(kind === 'btf_id' ? 'a BTF id' : 'a relative offset');
    c.expectOp(']');
    let hi = 0;
    if (c.eatOp('[')) { hi = c.imm32('a number'); c.expectOp(']'); }
    c.end();
    return { slots: two(kind === 'btf_id' ? op.BPF_PSEUDO_BTF_ID : op.BPF_PSEUDO_FUNC, lo, hi) };
  }
  const valueOffset = (): number => {
    if (!c.isOp('+') && !c.isOp('-')) return 0;
    return c.imm32('a value offset');
  };
  // Numbered forms: map[id:N] (src 1, or src 2 with [0]+off), map[idx:N] (src 5, or src 6 with +off).
  if (kind === 'map' && (c.isId('id') || c.isId('idx')) && c.isOp(':', 1)) {
    const which = c.next('id').text;
    c.next(':');
    const n = c.imm32('a number');
    c.expectOp(']');
    if (which === 'id') {
      if (c.eatOp('[')) {
        const z = c.number('0');
        if (z.value !== 0n) c.fail('only map[id:N][0] is supported', z.col);
        c.expectOp(']');
        const off = valueOffset();
        c.end();
        return { slots: two(op.BPF_PSEUDO_MAP_VALUE, n, off) };
      }
      c.end();
      return { slots: two(op.BPF_PSEUDO_MAP_FD, n, 0) };
    }
    if (c.isOp('+') || c.isOp('-')) {
      const off = valueOffset();
      c.end();
      return { slots: two(op.BPF_PSEUDO_MAP_IDX_VALUE, n, off) };
    }
    c.end();
    return { slots: two(op.BPF_PSEUDO_MAP_IDX, n, 0) };
  }
  const name = c.ident('a map name');
  c.expectOp(']');
  const off = kind === 'map_value' ? valueOffset() : 0;
  c.end();
  const fixup: Fixup = { field: 'imm', kind: 'map', name: name.text, col: name.col };
  return { slots: two(kind === 'map_value' ? op.BPF_PSEUDO_MAP_VALUE : op.BPF_PSEUDO_MAP_FD, 0, off), fixup };
}
