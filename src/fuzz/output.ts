/**
 * Where a campaign's findings go: a folder checked for writability before the campaign starts,
 * and entries written so that a crash, a full disk or a second campaign never leaves a half entry
 * or replaces an existing one. Each file is written to a temporary name and then hard-linked to
 * its final name (link fails with EEXIST instead of replacing, unlike rename); an entry whose
 * name is taken gets a numeric suffix. The sidecar `.expect.json` is linked before the program
 * file, and the program file last: `corpus check` finds entries by their program file, so it
 * sees either nothing or a whole entry.
 */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../isa/errors.js';

/** One file of an entry: its extension (".s", ".expect.json", ".bin") and bytes. */
export interface EntryFile {
  ext: string;
  data: string | Uint8Array;
}

const errText = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

export class FindingWriter {
  private seq = 0;

  /** Creates `dir` when missing and proves it writable; throws InputError naming it otherwise. */
  constructor(readonly dir: string) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new InputError('io', `fuzz: cannot create the output folder ${dir} (${errText(e)})`);
    }
    const probe = join(dir, `.bpflab-fuzz-probe-${process.pid}`);
    try {
      closeSync(openSync(probe, 'wx'));
      unlinkSync(probe);
    } catch (e) {
      throw new InputError('io', `fuzz: the output folder ${dir} is not writable (${errText(e)})`);
    }
  }

  /** Whether any file of entry `base` exists already. */
  private taken(base: string, names: ReadonlySet<string>): boolean {
    for (const n of names) if (n === base || n.startsWith(`${base}.`)) return true;
    return false;
  }

  /**
   * Writes an entry under `name` (or `name-2`, `name-3`, ... when taken; `build` makes the files
   * for the base name chosen) and returns the paths written, in order. The files are linked in
   * the order given: put the program file last.
   * On failure (disk full, folder removed) nothing of the entry is left behind and an Error
   * naming the entry is thrown.
   */
  write(name: string, build: (base: string) => readonly EntryFile[]): { name: string; paths: string[] } {
    const existing = new Set(readdirSync(this.dir));
    let k = 1;
    const next = (): string => {
      let base: string;
      do base = k++ === 1 ? name : `${name}-${k - 1}`; while (this.taken(base, existing));
      return base;
    };
    let base = next();
    const tmps: string[] = [];
    let files = build(base);
    const writeTemps = (): void => {
      for (const f of files) {
        const tmp = join(this.dir, `.${name}${f.ext}.${process.pid}.${this.seq++}.tmp`);
        tmps.push(tmp);
        const fd = openSync(tmp, 'wx');
        try {
          const bytes = typeof f.data === 'string' ? Buffer.from(f.data) : f.data;
          for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
    };
    const dropTemps = (): void => {
      for (const t of tmps.splice(0)) { try { unlinkSync(t); } catch { /* never created */ } }
    };
    try {
      writeTemps();
      for (let attempt = 0; ; attempt++) {
        const done: string[] = [];
        try {
          files.forEach((f, i) => {
            const path = join(this.dir, `${base}${f.ext}`);
            linkSync(tmps[i]!, path);
            done.push(path);
          });
          return { name: base, paths: done };
        } catch (e) {
          // Program file last, so removing in reverse never leaves a program without its sidecar.
          for (const p of done.reverse()) { try { unlinkSync(p); } catch { /* already gone */ } }
          // Another campaign took the name between the listing and the link: the next suffix.
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 100) throw e;
          base = next();
          dropTemps();
          files = build(base);
          writeTemps();
        }
      }
    } catch (e) {
      throw new Error(`cannot write finding ${join(this.dir, base)} (${errText(e)})`);
    } finally {
      dropTemps();
    }
  }

  /** Removes an entry written by `write` (its paths as returned): the program file first, so no program is left without its sidecar. */
  remove(paths: readonly string[]): void {
    for (const p of [...paths].reverse()) { try { unlinkSync(p); } catch { /* already gone */ } }
  }
}
