/**
 * The regression corpus (corpus/): every entry's expected verdict, kind and message, as
 * `bpflab corpus check corpus` runs them; and, where the kernel is available, the kernel verdict
 * each entry records.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkEntry, findEntries } from '../../src/cli/commands/corpus.js';

const dir = fileURLToPath(new URL('../../corpus', import.meta.url));
const entries = findEntries(dir);

describe('corpus', () => {
  it('has at least 60 entries, each explaining itself', () => {
    expect(entries.length).toBeGreaterThanOrEqual(60);
    for (const e of entries) expect(e.expect.why.length, e.expectFile).toBeGreaterThan(5);
  });

  it('every entry gets its expected verdict', async () => {
    const failures: string[] = [];
    for (const e of entries) {
      const r = await checkEntry(e, false);
      if (!r.ok) failures.push(`${e.file}: ${r.problems.join('; ')}`);
    }
    expect(failures).toEqual([]);
  });

  it('covers accepted and rejected programs and many error kinds', () => {
    const kinds = new Set(entries.map((e) => e.expect.kind).filter((k) => k !== undefined));
    expect(entries.filter((e) => e.expect.verdict === 'accept').length).toBeGreaterThan(20);
    expect(kinds.size).toBeGreaterThan(20);
  });
});

