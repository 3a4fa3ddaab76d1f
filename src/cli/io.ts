/** Where a command writes. Tests pass their own; the binary passes process streams. */
export interface Io {
  out(text: string): void; // stdout, text should end with \n where a line is meant
  err(text: string): void; // stderr
  /** Reads a file (path "-" is stdin). */
  readFile(path: string): Uint8Array;
}

/** What every command exports. Returns the exit code: 0 ok, 1 negative answer, 2 bad usage/input. */
export interface Command {
  decl: import('./args.js').CommandDecl;
  run(argv: readonly string[], io: Io): Promise<number>;
}
