/**
 * Seed programs for mutational fuzzing: the regression corpus (corpus/**) and the bundled
 * examples (examples/*.s), loaded with the ordinary loaders. Files that do not load are skipped.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Program } from '../../isa/program.js';
import { loadFile } from '../../loader/index.js';
import { ctxLayout } from '../../runtime/context/index.js';

/** The repository root (this file is src/fuzz/generators/seeds.ts or dist/fuzz/generators/seeds.js). */
export function repoRoot(): string {
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
}

function walk(dir: string, out: string[]): void {
  let names: string[];
  try { names = readdirSync(dir).sort(); } catch { return; }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (n.endsWith('.s')) out.push(p);
  }
}

/** Every loadable assembly program under `dirs` (default: <repo>/corpus and <repo>/examples) with a modelled context. */
export async function loadSeedPrograms(dirs?: readonly string[]): Promise<Program[]> {
  const root = repoRoot();
  const files: string[] = [];
  for (const d of dirs ?? [join(root, 'corpus'), join(root, 'examples')]) walk(d, files);
  const out: Program[] = [];
  for (const f of files) {
    try {
      for (const p of await loadFile(f, new Uint8Array(readFileSync(f)))) if (ctxLayout(p.type)) out.push(p);
    } catch {
      // seeds are best effort: a corpus entry that does not load is some other test's business
    }
  }
  return out;
}
