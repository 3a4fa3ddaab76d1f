import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { jitEngine } from '../../src/jit/index.js';
import type { JitMode } from '../../src/jit/index.js';
import { readConformanceTest } from '../../src/loader/conformance.js';
import { runConformanceTest } from '../../src/vm/conformance.js';

const shared = fileURLToPath(new URL('../../../shared/', import.meta.url));

function dataFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...dataFiles(p));
    else if (e.endsWith('.data')) out.push(p);
  }
  return out;
}

async function runAll(dir: string, mode: JitMode): Promise<{ pass: number; fail: string[]; skip: string[] }> {
  const engine = jitEngine(mode);
  const fail: string[] = [];
  const skip: string[] = [];
  let pass = 0;
  for (const f of dataFiles(dir)) {
    const name = relative(dir, f);
    const t = readConformanceTest(readFileSync(f, 'utf8'), f);
    const outcome = await runConformanceTest(t, name, engine, { path: f });
    if (outcome.status === 'pass') pass++;
    else if (outcome.status === 'skip') skip.push(`${name}: ${outcome.reason}`);
    else fail.push(`${name}: ${outcome.reason}`);
  }
  return { pass, fail, skip };
}

describe('conformance suites on the JIT', () => {
  for (const mode of ['checked', 'trusted'] as const) {
    it(`bpf_conformance (${mode}): every test passes`, async () => {
      const r = await runAll(join(shared, 'conformance'), mode);
      expect(r.fail).toEqual([]);
      // callx.data uses opcode 0x8d, a uBPF extension outside RFC 9669 that Linux rejects (skipped for the VM too)
      expect(r.skip).toEqual([expect.stringMatching(/^callx\.data: callx/)]);
      expect(r.pass).toBe(312);
    });
  }

  it('uBPF tests (checked): every test passes except those of uBPF-private helpers', async () => {
    const r = await runAll(join(shared, 'ubpf-tests'), 'checked');
    expect(r.fail).toEqual([]);
    for (const s of r.skip) expect(s).toMatch(/not eBPF|callx/);
    expect(r.pass).toBeGreaterThan(60);
  });
});
