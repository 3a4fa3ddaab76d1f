import { writeFileSync } from 'node:fs';
import { InputError } from '../isa/errors.js';
import { FileRefused, errnoText, readBoundedFile, type ReadLimits } from '../loader/file-policy.js';
import { errorLine, printableText } from './printable.js';

/** Where a command reads and writes. Tests pass their own; the binary passes process streams and files. */
export interface Io {
  out(text: string): void; // stdout, text should end with \n where a line is meant
  err(text: string): void; // stderr
  /**
   * Reads a file (path "-" is stdin), size-capped; `limits.regularOnly` for files named in an
   * option (`--packet @FILE`). Throws InputError naming the file when it cannot.
   */
  readFile(path: string, limits?: ReadLimits): Uint8Array;
  /** Writes a file (path "-" is stdout, as bytes). Throws InputError naming the file when it cannot. */
  writeFile(path: string, data: Uint8Array | string): void;
  /** stderr when it is a terminal: where progress bars may draw (absent in tests and pipes). */
  readonly tty?: NodeJS.WriteStream | undefined;
}

/** What every command exports. Returns the exit code: 0 ok, 1 negative answer, 2 bad usage/input. */
export interface Command {
  decl: import('./args.js').CommandDecl;
  run(argv: readonly string[], io: Io): Promise<number>;
}

/** An Io that keeps everything in memory: for tests and for library callers of `main`. */
export interface MemoryIo extends Io {
  stdout: string;
  stderr: string;
  /** Files by path: the inputs given, plus whatever the command wrote. */
  files: Map<string, Uint8Array>;
}

export function memoryIo(files: Record<string, Uint8Array | string> = {}): MemoryIo {
  const enc = new TextEncoder();
  const bytes = (d: Uint8Array | string) => (typeof d === 'string' ? enc.encode(d) : d);
  const io: MemoryIo = {
    stdout: '',
    stderr: '',
    files: new Map(Object.entries(files).map(([k, v]) => [k, bytes(v)])),
    out: (t) => { io.stdout += t; },
    err: (t) => { io.stderr += t; },
    readFile: (p) => {
      const f = io.files.get(p);
      if (!f) throw new InputError('io', `${p}: cannot read file (no such file)`);
      return f;
    },
    writeFile: (p, d) => {
      if (p === '-') io.stdout += typeof d === 'string' ? d : Buffer.from(d).toString('latin1');
      else io.files.set(p, bytes(d));
    },
  };
  return io;
}

/** Reads a file the user named on the command line: bounded, never blocking on open (file-policy.ts). */
export function readUserFile(path: string, limits: ReadLimits = {}): Uint8Array {
  try {
    return readBoundedFile(path, limits);
  } catch (e) {
    throw new InputError('io', `${path}: cannot read file (${e instanceof FileRefused ? e.reason : errnoText(e)})`);
  }
}

/** Writes a file the user named (path "-" is stdout). */
export function writeUserFile(path: string, data: Uint8Array | string): void {
  if (path === '-') { process.stdout.write(data); return; }
  try {
    writeFileSync(path, data);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : errnoText(e);
    throw new InputError('io', `${path}: cannot write file (${why})`);
  }
}

/**
 * `io` with its output made printable: stdout text keeps newlines and tabs, every stderr line is
 * one capped, escaped line (printable.ts). Bytes written with writeFile are left alone.
 */
export function printableIo(io: Io): Io {
  return {
    out: (t) => io.out(printableText(t)),
    err: (t) => io.err(t.split('\n').map((l, i, all) => (i === all.length - 1 && l === '' ? l : errorLine(l))).join('\n')),
    readFile: (p, limits) => io.readFile(p, limits),
    writeFile: (p, d) => io.writeFile(p, d),
  };
}
