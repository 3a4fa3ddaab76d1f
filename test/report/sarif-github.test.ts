/**
 * SARIF for GitHub code scanning: valid against the SARIF 2.1.0 JSON schema (as shipped by
 * @microsoft/jest-sarif, checked with ajv) and meeting GitHub's ingestion rules: help per rule,
 * URIs relative to the source root, fingerprints that survive an unrelated line added above the
 * function, a code flow for the failing path, the acquire site of a leaked reference.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Ajv from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { renderSarif, type SarifLog } from '../../src/report/sarif.js';
import type { ProgramReportInput } from '../../src/report/index.js';
import { verify } from '../../src/verifier/index.js';

const root = resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')) as object;
const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false }).compile(schema);

async function sarifOf(files: readonly string[], sourceRoot: string): Promise<SarifLog> {
  const programs: ProgramReportInput[] = [];
  for (const f of files) for (const p of await loadFile(f, new Uint8Array(readFileSync(f)))) programs.push({ program: p, result: verify(p, { log: true }) });
  return renderSarif({ file: files[0]!, programs, version: '0.1.0' }, { sourceRoot });
}

/** GitHub's rules for an upload (the ones SARIF multitool's GitHub validation names). */
function githubProblems(log: SarifLog): string[] {
  const bad: string[] = [];
  for (const run of log.runs) {
    for (const rule of run.tool.driver.rules) {
      if (!rule.help?.text) bad.push(`${rule.id}: no help.text (GH2012)`);
      if (!rule.help?.markdown) bad.push(`${rule.id}: no help.markdown`);
      if (!rule.shortDescription.text || rule.shortDescription.text.length > 1024) bad.push(`${rule.id}: shortDescription`);
    }
    for (const res of run.results) {
      const locs = [...res.locations, ...(res.relatedLocations ?? []), ...(res.codeFlows ?? []).flatMap((c) => c.threadFlows.flatMap((t) => t.locations.map((l) => l.location)))];
      for (const l of locs) {
        const uri = l.physicalLocation?.artifactLocation.uri ?? '';
        if (!uri || /^[a-z]+:/.test(uri) || uri.startsWith('/')) bad.push(`${res.ruleId}: URI '${uri}' is not relative to the repository`);
      }
      if (!res.partialFingerprints || Object.keys(res.partialFingerprints).length === 0) bad.push(`${res.ruleId}: no partialFingerprints`);
      if (!res.locations[0]?.physicalLocation?.region?.startLine) bad.push(`${res.ruleId}: no region (GitHub shows the alert at line 1)`);
    }
  }
  return bad;
}

describe('SARIF for GitHub code scanning', () => {
  const entries = ['corpus/c/ringbuf_leak.o', 'corpus/c/xdp_eth_off_by_one.o', 'corpus/c/map_lookup_nocheck.o', 'examples/xdp-parse-bug.s'].map((f) => resolve(root, f));

  it('passes the SARIF 2.1.0 schema and GitHub\'s rules for three corpus entries and an assembly file', async () => {
    const log = await sarifOf(entries, root);
    expect(validate(log), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(validate({ ...log, runs: [{ ...log.runs[0]!, results: [{ message: {} }] }] })).toBe(false); // the schema does bite
    expect(githubProblems(log)).toEqual([]);
    const run = log.runs[0]!;
    expect(run.results.map((r) => r.ruleId)).toEqual(['reference_leak', 'packet_oob', 'null_pointer', 'packet_oob']);
    const uris = run.results.map((r) => r.locations[0]!.physicalLocation!.artifactLocation.uri);
    expect(uris).toEqual(['corpus/c/ringbuf_leak.c', 'corpus/c/xdp_eth_off_by_one.c', 'corpus/c/map_lookup_nocheck.c', 'examples/xdp-parse-bug.s']);
    // The help links the error-kind documentation.
    expect(run.tool.driver.rules[0]!.help.markdown).toContain('(docs/verifier-error-kinds.md)');
  });

  it('has a code flow along the failing path and the acquire site of a leaked reference', async () => {
    const log = await sarifOf([entries[0]!], root);
    const res = log.runs[0]!.results[0]!;
    const flow = res.codeFlows![0]!.threadFlows[0]!.locations;
    expect(flow.length).toBeGreaterThan(2);
    expect(flow.at(-1)!.location.message!.text).toContain('rejected: Unreleased reference');
    expect(flow.some((l) => l.state?.['verifier']?.text.includes('R'))).toBe(true);
    const acq = res.relatedLocations![0]!;
    expect(acq.message!.text).toMatch(/acquired here \(insn 4: call bpf_ringbuf_reserve/);
    const src = readFileSync(resolve(root, 'corpus/c/ringbuf_leak.c'), 'utf8').split('\n');
    expect(src[acq.physicalLocation!.region!.startLine - 1]).toContain('bpf_ringbuf_reserve');
  });

  it('gives a .s input the line of the failing instruction', async () => {
    const log = await sarifOf([entries[3]!], root);
    const region = log.runs[0]!.results[0]!.locations[0]!.physicalLocation!.region!;
    const lines = readFileSync(entries[3]!, 'utf8').split('\n');
    expect(lines[region.startLine - 1]!.trim()).toBe(region.snippet!.text.trim());
    expect(region.snippet!.text).toMatch(/r\d = \*\(u8 \*\)/);
  });

  const clang = spawnSync('clang-19', ['--version']).status === 0;
  it.skipIf(!clang)('keeps fingerprints when an unrelated line is added before the function', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpflab-sarif-'));
    try {
      copyFileSync(resolve(root, 'corpus/c/ringbuf_leak.c'), join(dir, 'leak.c'));
      const arch = `/usr/include/${execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim() || 'x86_64-linux-gnu'}`;
      const build = (): void => { execFileSync('clang-19', ['-O2', '-g', '--target=bpf', '-D__TARGET_ARCH_x86', `-I${arch}`, '-c', 'leak.c', '-o', 'leak.o'], { cwd: dir }); };
      build();
      const before = (await sarifOf([join(dir, 'leak.o')], dir)).runs[0]!.results[0]!;
      const src = readFileSync(join(dir, 'leak.c'), 'utf8');
      writeFileSync(join(dir, 'leak.c'), src.replace('// Reserves', 'static const int unrelated = 42; // an edit elsewhere\n\n// Reserves'));
      build();
      const after = (await sarifOf([join(dir, 'leak.o')], dir)).runs[0]!.results[0]!;
      expect(after.locations[0]!.physicalLocation!.artifactLocation.uri).toBe('leak.c');
      expect(after.locations[0]!.physicalLocation!.region!.startLine).toBe(before.locations[0]!.physicalLocation!.region!.startLine + 2);
      expect(after.partialFingerprints).toEqual(before.partialFingerprints);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
