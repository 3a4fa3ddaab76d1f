/**
 * Real programs from ../shared/corpus-samples (kernel-verdicts.csv gives the kernel's verdict and
 * program type): the smaller ones (the large cilium programs take minutes together; `bpflab bench`
 * runs them all). bpflab must accept what the kernel accepts and reject what it rejects, apart
 * from the documented differences below.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { samplePrograms, samplesDir } from '../../src/bench/verifier.js';
import { verify } from '../../src/verifier/index.js';

const dir = samplesDir();
const have = existsSync(resolve(dir, 'kernel-verdicts.csv'));
if (!have) console.log(`skipping corpus-samples: no ${dir}`);

/** Known, documented differences (object/section/function): none since bpflab verifies as root does. */
const KNOWN: Record<string, string> = {};

describe.skipIf(!have)('corpus-samples (programs up to 600 instructions)', () => {
  it('agrees with the kernel on every program but the documented ones', async () => {
    const all = await samplePrograms(dir);
    const small = all.filter(({ program }) => program.insns.length <= 600);
    expect(small.length).toBeGreaterThan(150);
    const disagree: string[] = [];
    let accepted = 0;
    for (const { row, program } of small) {
      const r = verify(program);
      const kernel = row.verdict === 'accepted' ? 'accept' : 'reject';
      if (r.verdict === 'accept') accepted++;
      const key = `${row.object}/${row.section}/${row.func}`;
      if (r.verdict !== kernel && !KNOWN[key]) disagree.push(`${key}: bpflab ${r.verdict} (${r.error?.message ?? ''}), kernel ${kernel} (${row.error})`);
    }
    console.log(`corpus-samples: ${small.length} programs up to 600 insns, bpflab accepts ${accepted}`);
    expect(disagree).toEqual([]);
  });
});
