import { basename, extname } from 'node:path';
import { parseConformance, type ConformanceTest } from '../isa/conformance.js';
import { makeProgram, type Program } from '../isa/program.js';
import type { LoadOptions } from './index.js';
import { validateAssembled } from './asm.js';
import { readIncludedFile, type IncludePolicy } from './file-policy.js';

/**
 * Parses a .data file, reading `-- asm @ FILE` / `-- mem @ FILE` bodies next to it under the
 * include policy (inside its folder unless allowed, regular files, size-capped). Does not validate.
 */
export function readConformanceTest(text: string, path: string, policy: IncludePolicy = {}): ConformanceTest {
  return parseConformance(text, { file: path, readFile: (name) => new TextDecoder().decode(readIncludedFile(name, path, policy)) });
}

/** The program of a conformance .data file (validated; type from --type, default socket_filter). */
export function loadConformanceProgram(text: string, path: string, opts: LoadOptions): Program {
  const t = readConformanceTest(text, path, { allowOutside: opts.allowOutsideFiles === true });
  validateAssembled(t.insns, t.lines ?? [], path);
  return makeProgram({
    name: basename(path, extname(path)) || 'prog',
    section: '',
    type: opts.type ?? 'socket_filter',
    insns: t.insns,
    maps: [],
    license: 'GPL',
    file: path,
  });
}
