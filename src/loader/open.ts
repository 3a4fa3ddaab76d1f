/**
 * Loading for library callers: a path (read from disk) or bytes, all programs (`loadObject`) or
 * exactly one (`loadProgram`, which names the candidates when the choice is ambiguous).
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../isa/errors.js';
import type { Program } from '../isa/program.js';
import { loadFileDetailed, type LoadedFile, type LoadOptions } from './index.js';

/** Where a program comes from: a path on disk, or bytes with the name they go by (it picks the format by extension when not ELF). */
export type ProgramSource = string | { path: string; bytes: Uint8Array };

function readSource(src: ProgramSource): { path: string; bytes: Uint8Array } {
  if (typeof src !== 'string') return src;
  try {
    return { path: src, bytes: new Uint8Array(readFileSync(src)) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new InputError('io', `${src}: cannot read file (${code === 'ENOENT' ? 'no such file' : code})`);
  }
}

/** Every program of an object (ELF, assembly, conformance .data, classic BPF, raw bytecode), with the ELF details when it is one. */
export async function loadObject(src: ProgramSource, opts: LoadOptions = {}): Promise<LoadedFile> {
  const { path, bytes } = readSource(src);
  return loadFileDetailed(path, bytes, opts);
}

/** How to tell programs apart when a choice must be made: the function name, with the section when several share it. */
export function programLabel(p: Program): string {
  return p.section && p.section !== p.name ? `${p.name} (section ${p.section})` : p.name;
}

/**
 * Exactly one program of `programs`; otherwise an InputError listing them (a section such as `tc`
 * may hold several functions: pick one by its name).
 */
export function onlyProgram(path: string, programs: readonly Program[], section?: string): Program {
  if (programs.length === 1) return programs[0]!;
  const names = programs.map(programLabel).join(', ');
  if (section !== undefined) throw new InputError('no_program', `${path}: section '${section}' holds ${programs.length} programs: ${names}; pick one by function name (--section NAME)`);
  throw new InputError('no_program', `${path}: has ${programs.length} programs: ${names}; pick one with --section (a section or function name)`);
}

/** The one program of an object (or the one named by `opts.section`: a section or function name). */
export async function loadProgram(src: ProgramSource, opts: LoadOptions = {}): Promise<Program> {
  const { programs } = await loadObject(src, opts);
  return onlyProgram(typeof src === 'string' ? src : src.path, programs, opts.section);
}
