import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { parseConformance, type ConformanceTest } from '../isa/conformance.js';
import type { Program } from '../isa/program.js';
import type { LoadOptions } from './index.js';
import { validateAssembled } from './asm.js';

/** Parses a .data file, reading `-- asm @ FILE` / `-- mem @ FILE` bodies next to it. Does not validate. */
export function readConformanceTest(text: string, path: string): ConformanceTest {
  const dir = dirname(resolve(path));
  return parseConformance(text, { file: path, readFile: (name) => readFileSync(resolve(dir, name), 'utf8') });
}

/** The program of a conformance .data file (validated; type from --type, default socket_filter). */
export function loadConformanceProgram(text: string, path: string, opts: LoadOptions): Program {
  const t = readConformanceTest(text, path);
  validateAssembled(t.insns, t.lines ?? [], path);
  return {
    name: basename(path, extname(path)) || 'prog',
    section: '',
    type: opts.type ?? 'socket_filter',
    insns: t.insns,
    maps: [],
    license: 'GPL',
    file: path,
  };
}
