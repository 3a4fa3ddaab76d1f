/**
 * Errors for bad input. Every stage throws an InputError (or a subclass) for input the user
 * handed in: the CLI prints `message` as one line and exits 2. `where` names the file,
 * offset, line or instruction so that the user can find the problem.
 */
export class InputError extends Error {
  /** A stable machine-readable class, e.g. "unknown_opcode", "asm_syntax", "elf_malformed". */
  readonly kind: string;
  constructor(kind: string, message: string) {
    super(message);
    this.name = 'InputError';
    this.kind = kind;
  }
}

/** An instruction-level decode/validation error naming the pc. */
export class DecodeError extends InputError {
  readonly pc: number;
  constructor(kind: string, pc: number, reason: string) {
    super(kind, `insn ${pc}: ${reason}`);
    this.name = 'DecodeError';
    this.pc = pc;
  }
}
