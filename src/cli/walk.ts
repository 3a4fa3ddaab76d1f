/**
 * The folder walk of `corpus` and `conformance`: every file under a root whose name a command
 * wants, in sorted order, never blocking and never looping. Entries that cannot be used (a
 * FIFO, a device, a dangling link, a symbolic-link loop, an unreadable folder) come back as
 * problems naming the path, for the command to report as failures; directory links that lead
 * back to a folder already walked are skipped.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errnoText } from '../loader/file-policy.js';

export interface WalkProblem {
  path: string;
  reason: string;
}

export interface WalkResult {
  /** Regular files whose name `wanted` accepted, sorted by path within each folder. */
  files: string[];
  problems: WalkProblem[];
}

/** Walks `root` (a folder, or a single file) for the files `wanted` accepts by name. */
export function walkFiles(root: string, wanted: (name: string) => boolean): WalkResult {
  const out: WalkResult = { files: [], problems: [] };
  const seenDirs = new Set<string>();
  // An explicit stack: depth follows the input's nesting.
  const stack: string[] = [root];
  while (stack.length > 0) {
    const p = stack.pop()!;
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      const loop = (e as NodeJS.ErrnoException).code === 'ELOOP';
      // A link loop is reported whatever its name (it might have been a folder); a dangling link only when wanted.
      if (p === root || loop || wanted(p)) out.problems.push({ path: p, reason: loop ? 'symbolic link loop' : errnoText(e) });
      continue;
    }
    if (st.isDirectory()) {
      let real: string;
      try { real = realpathSync(p); } catch (e) { out.problems.push({ path: p, reason: errnoText(e) }); continue; }
      if (seenDirs.has(real)) continue;
      seenDirs.add(real);
      let names: string[];
      try { names = readdirSync(p).sort(); } catch (e) { out.problems.push({ path: p, reason: `cannot list folder (${errnoText(e)})` }); continue; }
      // Reverse so that popping walks in sorted order.
      for (let i = names.length - 1; i >= 0; i--) {
        const child = join(p, names[i]!);
        stack.push(child);
      }
      continue;
    }
    if (p !== root && !wanted(p)) continue;
    if (!st.isFile()) out.problems.push({ path: p, reason: `not a regular file (${st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device'})` });
    else out.files.push(p);
  }
  return out;
}
