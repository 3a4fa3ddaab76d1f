import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readConformanceTest } from '../../src/loader/conformance.js';
import { UBPF_PRIVATE, runConformanceTest, vmEngine } from '../../src/vm/conformance.js';

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

async function runAll(dir: string): Promise<{ pass: number; fail: string[]; skip: string[] }> {
  const fail: string[] = [];
  const skip: string[] = [];
  let pass = 0;
  for (const f of dataFiles(dir)) {
    const name = relative(dir, f);
    let outcome;
    try {
      const t = readConformanceTest(readFileSync(f, 'utf8'), f);
      outcome = await runConformanceTest(t, name, vmEngine, { path: f });
    } catch (e) {
      outcome = { status: 'fail' as const, reason: `parse: ${(e as Error).message}` };
    }
    if (outcome.status === 'pass') pass++;
    else if (outcome.status === 'skip') skip.push(`${name}: ${outcome.reason}`);
    else fail.push(`${name}: ${outcome.reason}`);
  }
  return { pass, fail, skip };
}

describe('conformance suites on the VM', () => {
  it('bpf_conformance: every test passes', async () => {
    const r = await runAll(join(shared, 'conformance'));
    expect(r.fail).toEqual([]);
    // the one skip: callx.data uses opcode 0x8d, a uBPF extension outside RFC 9669 that Linux rejects
    expect(r.skip).toEqual([expect.stringMatching(/^callx\.data: callx/)]);
    expect(r.pass).toBe(312);
  });

  it('uBPF tests: every test passes except those of uBPF-private helpers', async () => {
    const r = await runAll(join(shared, 'ubpf-tests'));
    console.log(`ubpf-tests: ${r.pass} passed, ${r.fail.length} failed, ${r.skip.length} skipped`);
    expect(r.fail).toEqual([]);
    expect(r.skip.map((s) => s.split(':')[0])).toEqual(UBPF_PRIVATE.map(([p]) => p).sort());
    expect(r.pass + r.skip.length).toBe(dataFiles(join(shared, 'ubpf-tests')).length);
  });
});
