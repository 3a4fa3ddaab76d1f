/**
 * `bpflab fuzz` through `main()` with an in-memory Io: a short campaign against a planted
 * verifier bug writes deduplicated, minimised findings as corpus entries that assemble back;
 * bad usage exits 2 with one line.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { verify, type VerifyOptions, type VerifyResult } from '../../src/verifier/index.js';
import { setFuzzOverrides } from '../../src/fuzz/index.js';

const acceptAll = (p: Program, o?: VerifyOptions): VerifyResult => ({ ...verify(p, o), verdict: 'accept', error: null });
let undo: (() => void) | null = null;
afterEach(() => { undo?.(); undo = null; });

interface FuzzJson {
  runs: number;
  acceptanceRate: number;
  programsPerSecond: number;
  findings: { name: string; signature: string; oracle: string; insns: number; originalInsns: number; files: string[] }[];
}

describe('bpflab fuzz', () => {
  test('a campaign against a planted bug writes minimised, deduplicated corpus entries', async () => {
    undo = setFuzzOverrides({ verify: acceptAll });
    const io = memoryIo();
    const code = await main(['fuzz', '--runs', '25', '--seed', '5', '--oracle', 'sanitize', '--out', 'found', '--shrink-seconds', '2', '--no-seeds', '--json'], io);
    expect(code).toBe(1);
    const doc = JSON.parse(io.stdout) as FuzzJson;
    expect(doc.runs).toBe(25);
    expect(doc.acceptanceRate).toBe(1);
    expect(doc.findings.length).toBeGreaterThan(0);
    expect(new Set(doc.findings.map((f) => f.signature)).size).toBe(doc.findings.length);
    expect(io.stderr).toMatch(/^fuzz: seed 5, oracles sanitize/);
    for (const f of doc.findings) {
      const s = new TextDecoder().decode(io.files.get(`found/${f.name}.s`)!);
      const expectJson = JSON.parse(new TextDecoder().decode(io.files.get(`found/${f.name}.expect.json`)!)) as Record<string, unknown>;
      // an accepted program that faults should have been rejected -- unless the running kernel says otherwise
      expect(expectJson['verdict']).toBe(expectJson['kernel'] ?? 'reject');
      expect(String(expectJson['why'])).toMatch(/^fuzz sanitize: accepted, but the VM/);
      if (s.includes('; NOTE: this listing does not reproduce')) {
        // a program the listing cannot express (e.g. a mutated, invalid opcode) also comes as raw bytes
        expect(io.files.get(`found/${f.name}.bin`)?.length).toBe(8 * f.insns);
      } else expect(assemble(s).insns.length).toBe(f.insns);
      expect(f.insns).toBeLessThanOrEqual(f.originalInsns + 8);
    }
  });

  test('a campaign of zero programs finds nothing and exits 0', async () => {
    const io = memoryIo();
    expect(await main(['fuzz', '--runs', '0', '--seed', '1', '--oracle', 'sanitize', '--no-seeds'], io)).toBe(0);
    expect(io.stdout).toMatch(/^0 programs in .* 0 findings/);
  });

  test('bad usage exits 2 with one line', async () => {
    for (const argv of [['fuzz', '--oracle', 'bogus'], ['fuzz', '--seed', 'x'], ['fuzz', '--workers', '0'], ['fuzz', 'extra']]) {
      const io = memoryIo();
      expect(await main(argv, io)).toBe(2);
      expect(io.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
