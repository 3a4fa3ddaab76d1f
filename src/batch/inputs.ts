/**
 * The files a batch run reads: each argument is a file, a folder (walked recursively for program
 * files) or a glob (expanded by tinyglobby, for shells that pass it through quoted).
 */
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { InputError } from '../isa/errors.js';

/** Extensions of the program files a folder contributes (ELF objects, assembly, conformance, classic BPF). */
export const PROGRAM_EXTENSIONS: readonly string[] = ['.o', '.s', '.asm', '.data', '.cbpf'];

const isProgramFile = (name: string): boolean => PROGRAM_EXTENSIONS.some((e) => name.endsWith(e));

/** An ELF file whatever its name (veristat takes every BPF object a folder holds; some have no extension). */
function isElf(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b[0] === 0x7f && b.toString('latin1', 1, 4) === 'ELF';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    let st;
    try { st = statSync(p); } catch { continue; }
    if (st.isDirectory()) walk(p, out);
    else if (isProgramFile(name) || (!name.includes('.') && isElf(p))) out.push(p);
  }
}

/** The program files named by `args`, in argument order (each folder's and glob's files sorted), without duplicates. */
export function expandInputs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (a === '-') { out.push(a); continue; }
    let st;
    try { st = statSync(a); } catch { st = undefined; }
    if (st?.isDirectory()) { walk(a, out); continue; }
    if (st) { out.push(a); continue; }
    if (isDynamicPattern(a)) {
      const hits = globSync(a, { onlyFiles: false, expandDirectories: false }).sort();
      if (hits.length === 0) throw new InputError('io', `${a}: no file matches this pattern`);
      for (const h of hits) {
        if (statSync(h).isDirectory()) walk(h, out);
        else out.push(h);
      }
      continue;
    }
    // Not on disk: the caller's reader names the problem (or finds it, as an in-memory reader does).
    out.push(a);
  }
  return [...new Set(out)];
}
