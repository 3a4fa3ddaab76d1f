/**
 * Load any supported input into programs, choosing the format by content, then by extension
 * (SPEC section 2): ELF (\x7fELF), conformance .data, assembly .s/.asm, classic BPF .cbpf,
 * raw bytecode .bin or stdin.
 */
import { InputError } from '../isa/errors.js';
import type { ProgType, Program } from '../isa/program.js';

export interface LoadOptions {
  /** Only programs from this ELF section (or with this name). */
  section?: string;
  /** Program type for inputs that do not say (raw bytecode; default socket_filter). */
  type?: ProgType;
}

/** Loads every program in a file. Throws InputError naming the file and place on bad input. */
export async function loadFile(path: string, bytes: Uint8Array, opts: LoadOptions = {}): Promise<Program[]> {
  const isElf = bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  const lower = path.toLowerCase();
  let programs: Program[];
  if (isElf) {
    const { loadElf } = await import('./elf.js');
    programs = loadElf(bytes, path).programs;
  } else if (lower.endsWith('.data')) {
    const { loadConformanceProgram } = await import('./conformance.js');
    programs = [loadConformanceProgram(text(bytes, path), path, opts)];
  } else if (lower.endsWith('.cbpf')) {
    const { loadCbpf } = await import('./cbpf.js');
    programs = [loadCbpf(text(bytes, path), path)];
  } else if (lower.endsWith('.s') || lower.endsWith('.asm')) {
    const { loadAsmProgram } = await import('./asm.js');
    programs = [loadAsmProgram(text(bytes, path), path, opts)];
  } else if (lower.endsWith('.bin') || path === '-' || lower.endsWith('.o') === false) {
    const { loadRaw } = await import('./raw.js');
    programs = [loadRaw(bytes, path, opts)];
  } else {
    throw new InputError('format', `${path}: not an ELF object (bad magic)`);
  }
  if (opts.section !== undefined) {
    const sel = programs.filter((p) => p.section === opts.section || p.name === opts.section);
    if (sel.length === 0)
      throw new InputError('no_program', `${path}: no program in section '${opts.section}' (have: ${programs.map((p) => p.section || p.name).join(', ')})`);
    programs = sel;
  }
  if (opts.type !== undefined && !isElf) programs = programs.map((p) => ({ ...p, type: opts.type! }));
  return programs;
}

function text(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError('format', `${path}: not valid UTF-8 text`);
  }
}
