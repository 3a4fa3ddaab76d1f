import { InputError } from '../errors.js';

/** A syntax error in assembly text, naming its 1-based line and column. */
export class AsmError extends InputError {
  readonly line: number;
  readonly col: number;
  /** The message without the position. */
  readonly reason: string;
  constructor(line: number, col: number, reason: string) {
    super('asm_syntax', `line ${line}, column ${col}: ${reason}`);
    this.name = 'AsmError';
    this.line = line;
    this.col = col;
    this.reason = reason;
  }
}
