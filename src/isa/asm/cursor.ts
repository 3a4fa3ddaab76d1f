/** A cursor over one line's tokens with the small parsing steps both syntaxes share. */
import { AsmError } from './error.js';
import type { Tok } from './lexer.js';
import type { Insn } from '../insn.js';

export interface Reg {
  n: number;
  /** 'w' for a 32-bit subregister name. */
  width: 'r' | 'w';
  col: number;
}

/** A forward reference resolved after the whole text is read. */
export interface Fixup {
  /** Which field of the (first) slot receives the value. */
  field: 'off' | 'imm';
  /** A label (the field gets target - (pc + 1)) or a map name (imm gets the map's index). */
  kind: 'label' | 'map';
  name: string;
  col: number;
}

/** What one statement assembles to. */
export interface Emitted {
  slots: Insn[];
  fixup?: Fixup;
}

const INT32_MIN = -(1n << 31n);
const UINT32_MAX = (1n << 32n) - 1n;

export class Cursor {
  private i = 0;
  constructor(readonly toks: readonly Tok[], readonly line: number, private readonly endCol: number) {}

  peek(k = 0): Tok | undefined { return this.toks[this.i + k]; }
  atEnd(): boolean { return this.i >= this.toks.length; }
  isOp(text: string, k = 0): boolean { const t = this.peek(k); return t?.kind === 'op' && t.text === text; }
  isId(text?: string, k = 0): boolean { const t = this.peek(k); return t?.kind === 'id' && (text === undefined || t.text === text); }
  col(): number { return this.peek()?.col ?? this.endCol; }

  fail(reason: string, col = this.col()): never {
    throw new AsmError(this.line, col, reason);
  }
  /** The standard complaint about the current token. */
  unexpected(wanted: string): never {
    const t = this.peek();
    this.fail(t ? `expected ${wanted}, found '${t.text}'` : `expected ${wanted} at end of line`);
  }
  next(wanted: string): Tok {
    const t = this.peek();
    if (!t) this.unexpected(wanted);
    this.i++;
    return t;
  }
  eatOp(text: string): boolean {
    if (!this.isOp(text)) return false;
    this.i++;
    return true;
  }
  eatId(text: string): boolean {
    if (!this.isId(text)) return false;
    this.i++;
    return true;
  }
  expectOp(text: string): void { if (!this.eatOp(text)) this.unexpected(`'${text}'`); }
  expectId(text: string): void { if (!this.eatId(text)) this.unexpected(`'${text}'`); }
  ident(wanted: string): Tok {
    const t = this.peek();
    if (t?.kind !== 'id') this.unexpected(wanted);
    this.i++;
    return t;
  }
  end(): void {
    const t = this.peek();
    if (t) this.fail(`unexpected '${t.text}' after the instruction`);
  }

  /** True when a register (`r1`, `w1`, `%r1`) starts here. */
  atReg(): boolean {
    const k = this.isOp('%') ? 1 : 0;
    const t = this.peek(k);
    return t?.kind === 'id' && REG_RE.test(t.text);
  }
  /** True when `-` is followed by a register (`r0 = -r0`), not a number. */
  atRegAfterMinus(): boolean {
    const t = this.peek(1);
    return this.isOp('-') && t?.kind === 'id' && REG_RE.test(t.text);
  }
  reg(): Reg {
    const col = this.col();
    this.eatOp('%');
    const t = this.peek();
    const m = t?.kind === 'id' ? REG_RE.exec(t.text) : null;
    if (!m) this.unexpected('a register');
    this.i++;
    return { n: Number(m[2]), width: m[1] as 'r' | 'w', col };
  }
  /** A 64-bit register name (r0..r15). */
  reg64(): Reg {
    const r = this.reg();
    if (r.width !== 'r') this.fail(`expected a 64-bit register r${r.n}, found w${r.n}`, r.col);
    return r;
  }

  /** True when a (signed) number starts here. */
  atNumber(): boolean {
    const k = this.isOp('-') || this.isOp('+') ? 1 : 0;
    return this.peek(k)?.kind === 'num';
  }
  /** An optionally signed integer literal as a bigint. */
  number(wanted = 'a number'): { value: bigint; col: number } {
    const col = this.col();
    let neg = false;
    if (this.eatOp('-')) neg = true;
    else this.eatOp('+');
    const t = this.peek();
    if (t?.kind !== 'num') this.unexpected(wanted);
    this.i++;
    return { value: neg ? -t.value! : t.value!, col };
  }
  /** A 32-bit immediate: a signed value or an unsigned bit pattern, -2^31 .. 2^32-1. */
  imm32(wanted = 'an immediate'): number {
    const { value, col } = this.number(wanted);
    if (value < INT32_MIN || value > UINT32_MAX) this.fail(`immediate ${value} does not fit in 32 bits`, col);
    return Number(BigInt.asIntN(32, value));
  }
  /** A 16-bit offset: -32768 .. 65535 (the top half as a bit pattern). */
  off16(wanted = 'an offset'): number {
    const { value, col } = this.number(wanted);
    if (value < -32768n || value > 65535n) this.fail(`offset ${value} does not fit in 16 bits`, col);
    return Number(BigInt.asIntN(16, value));
  }
  /** A 64-bit immediate: -2^63 .. 2^64-1, as an unsigned bigint. */
  imm64(wanted = 'an immediate'): bigint {
    const { value, col } = this.number(wanted);
    if (value < -(1n << 63n) || value >= 1n << 64n) this.fail(`immediate ${value} does not fit in 64 bits`, col);
    return BigInt.asUintN(64, value);
  }
}

const REG_RE = /^([rw])([0-9]|1[0-5])$/;
