/**
 * Tokens of one assembly line, each with its 1-based column, for both the kernel syntax
 * (`if r1 s> 0x5 goto pc+3`) and the conformance syntax (`jsgt %r1, 5, +3`).
 */
import { AsmError } from './error.js';

export type TokKind = 'id' | 'num' | 'op';

export interface Tok {
  kind: TokKind;
  text: string;
  col: number;
  /** For 'num': the value (non-negative; signs are separate tokens). */
  value?: bigint;
}

// Longest first. The signed kernel operators (s>>=, s/=, s%=, s>=, s>, s<=, s<) are built from an
// identifier `s` directly followed by one of these (see below).
const OPS = ['<<=', '>>=', '+=', '-=', '*=', '/=', '|=', '&=', '%=', '^=', '==', '!=', '>=', '<=',
  '>', '<', '=', '&', '*', '(', ')', '[', ']', ',', '+', '-', ':', '#', '%'];
const SIGNED_OPS = ['>>=', '/=', '%=', '>=', '<=', '>', '<'];

const ID_START = /[A-Za-z_.$]/;
const ID_CHAR = /[A-Za-z0-9_.$]/;

/**
 * Removes a comment: `;` or `//` anywhere, `#` at the start or after whitespace (so that
 * `call bpf_map_lookup_elem#1` keeps its `#1`). Keeps columns: returns a prefix of the line.
 */
export function stripComment(line: string): string {
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === ';') return line.slice(0, i);
    if (ch === '/' && line[i + 1] === '/') return line.slice(0, i);
    if (ch === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

/** Longer numbers are refused before conversion: 2^64 has 20 decimal digits (leading zeros allowed). */
const MAX_NUMBER_DIGITS = 64;

/** Splits a comment-free line into tokens; throws AsmError naming the column of a bad character. */
export function tokenize(text: string, line: number): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) { i++; continue; }
    const col = i + 1;
    if (/[0-9]/.test(ch)) {
      let j = i + 1;
      let value: bigint;
      if (ch === '0' && (text[j] === 'x' || text[j] === 'X')) {
        j++;
        const s = j;
        while (j < text.length && /[0-9a-fA-F]/.test(text[j]!)) j++;
        if (j === s) throw new AsmError(line, col, `bad number '${text.slice(i, j + 1)}'`);
        if (j - s > MAX_NUMBER_DIGITS) throw new AsmError(line, col, `number of ${j - s} hex digits is too long (no operand takes more than 64 bits)`);
        value = BigInt('0x' + text.slice(s, j));
      } else {
        while (j < text.length && /[0-9]/.test(text[j]!)) j++;
        if (j - i > MAX_NUMBER_DIGITS) throw new AsmError(line, col, `number of ${j - i} digits is too long (no operand takes more than 64 bits)`);
        value = BigInt(text.slice(i, j));
      }
      if (j < text.length && ID_CHAR.test(text[j]!)) {
        let k = j;
        while (k < text.length && ID_CHAR.test(text[k]!)) k++;
        throw new AsmError(line, col, `bad number '${text.slice(i, k)}'`);
      }
      out.push({ kind: 'num', text: text.slice(i, j), col, value });
      i = j;
      continue;
    }
    if (ID_START.test(ch)) {
      let j = i + 1;
      while (j < text.length && ID_CHAR.test(text[j]!)) j++;
      let word = text.slice(i, j);
      // `kernel-function#N` is how the kernel prints a kfunc call without BTF.
      if (word === 'kernel' && text.startsWith('-function', j)) { word = 'kernel-function'; j += 9; }
      if (word === 's') {
        const sop = SIGNED_OPS.find((o) => text.startsWith(o, j));
        if (sop) { out.push({ kind: 'op', text: 's' + sop, col }); i = j + sop.length; continue; }
      }
      out.push({ kind: 'id', text: word, col });
      i = j;
      continue;
    }
    const o = OPS.find((x) => text.startsWith(x, i));
    if (!o) throw new AsmError(line, col, `unexpected character '${ch}'`);
    out.push({ kind: 'op', text: o, col });
    i += o.length;
  }
  return out;
}
