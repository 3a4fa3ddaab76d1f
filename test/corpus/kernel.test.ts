/**
 * Where the kernel is available: the running kernel gives every corpus entry the verdict its
 * expect.json records in "kernel" (so the recorded kernel column stays true).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkEntry, findEntries } from '../../src/cli/commands/corpus.js';
import { kernelAvailable } from '../../src/kernel/index.js';

const dir = fileURLToPath(new URL('../../corpus', import.meta.url));
const entries = findEntries(dir);
const avail = kernelAvailable();
if (!avail.ok) console.log(`skipping the corpus kernel-agreement test: ${avail.reason}`);

describe.skipIf(!avail.ok)('corpus against the running kernel', () => {
  it('the kernel gives every entry the verdict it records', async () => {
    const withKernel = entries.filter((e) => e.expect.kernel !== undefined);
    expect(withKernel.length).toBe(entries.length);
    const failures: string[] = [];
    for (const e of withKernel) {
      const r = await checkEntry(e, true);
      const bad = r.problems.filter((p) => p.startsWith('kernel'));
      if (bad.length) failures.push(`${e.file}: ${bad.join('; ')}`);
    }
    expect(failures).toEqual([]);
  });
});
