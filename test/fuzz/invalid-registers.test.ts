/**
 * A kernel-differential finding whose program names r11..r15 in dead code (the kernel loads
 * it: check_reg_arg judges a register only where do_check reaches it) is written as a corpus
 * entry that replays: `bpflab corpus check` agrees with the recorded verdict and r0 (and, where
 * the kernel is available, with the kernel), and the recorded `bpflab run` line ends as the VM did.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import type { FoundBug } from '../../src/fuzz/campaign.js';
import type { Finding } from '../../src/fuzz/finding.js';
import { FindingWriter } from '../../src/fuzz/output.js';
import { writeFinding } from '../../src/fuzz/record.js';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { kernelAvailable } from '../../src/kernel/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'bpflab-invalid-reg-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// the shape of a kernel-oracle finding: a guarded dead block holding `r15 = r0` and friends
const TEXT = `r6 = r1
r0 = *(u32 *)(r6 +0)
r0 &= 0xff
if r0 > 0xff goto dead
exit
dead:
r15 = r0
r11 = *(u64 *)(r10 -8)
if r12 s> r13 goto +0
lock *(u64 *)(r10 -16) += r14
r15 = 0x1 ll
exit
`;

const program = (): Program => ({ name: 'finding', section: '', type: 'socket_filter', insns: assemble(TEXT).insns, maps: [], license: 'GPL' });

const avail = kernelAvailable();
if (!avail.ok) console.log(`corpus check of the invalid-register finding runs without --kernel: ${avail.reason}`);

describe('a finding with r11..r15 in dead code', () => {
  it('is written as an entry that corpus check and bpflab run replay', async () => {
    const finding: Finding = {
      oracle: 'kernel', kind: 'r0', pc: 4, message: 'the VM and the kernel return different r0', program: program(),
      input: { packet: new Uint8Array(60).fill(7), ctx: new Uint8Array(0), maps: [], seed: 1 }, verdict: 'accept', kernel: 'accept',
    };
    const bug: FoundBug = { signature: 'kernel:r0:invalid-registers', finding, originalInsns: finding.program.insns.length, seed: 1, shrinkSteps: 0 };
    const errors: string[] = [];
    const written = writeFinding(new FindingWriter(scratch), bug, (m) => errors.push(m));
    expect(errors).toEqual([]);
    expect(written).not.toBeNull();
    const base = join(scratch, written!.name);
    const s = readFileSync(`${base}.s`, 'utf8');
    expect(s).toContain('r15 = r0\n');
    expect(assemble(s).insns).toEqual(finding.program.insns);
    const entry = JSON.parse(readFileSync(`${base}.expect.json`, 'utf8')) as { verdict: string; fuzz: { replay: string; outcome: string } };
    expect(entry.verdict).toBe('accept');
    expect(entry.fuzz.outcome).toMatch(/^r0 \d+$/);

    const check = memoryIo({});
    const code = await main(['corpus', 'check', scratch, ...(avail.ok ? ['--kernel'] : [])], check);
    expect(code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('1 passed, 0 failed');

    const argv = entry.fuzz.replay.split(' ').slice(1).map((a) => (a.startsWith('"') ? (JSON.parse(a) as string) : a));
    expect(argv[0]).toBe('run');
    argv[1] = join(scratch, argv[1]!);
    const run = memoryIo({ [argv[1]]: s });
    expect(await main([...argv, '--json'], run), run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ r0: entry.fuzz.outcome.slice(3) });
  });
});
