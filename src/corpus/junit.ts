/** A corpus check as JUnit XML (one test case per program), the report format CI systems read. */
import type { EntryResult } from './check.js';

const xml = (s: string): string =>
  // eslint-disable-next-line no-control-regex
  s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function junitXml(results: readonly EntryResult[], suiteName = 'bpflab corpus'): string {
  const cases: string[] = [];
  let tests = 0;
  let failures = 0;
  let totalMs = 0;
  for (const r of results) {
    const progs = r.programs ?? [];
    if (progs.length === 0) {
      tests++; failures++;
      cases.push(`    <testcase classname="${xml(r.file)}" name="${xml(r.file)}" time="0"><failure message="${xml(r.problems[0] ?? 'failed')}">${xml(r.problems.join('\n'))}</failure></testcase>`);
      continue;
    }
    for (const p of progs) {
      tests++;
      totalMs += p.ms;
      const head = `    <testcase classname="${xml(r.file)}" name="${xml(p.key)}" time="${(p.ms / 1000).toFixed(6)}"`;
      if (p.ok) { cases.push(`${head}/>`); continue; }
      failures++;
      const problems = p.problems.length ? p.problems : r.problems;
      cases.push(`${head}><failure message="${xml(problems[0] ?? 'failed')}" type="${xml(p.kind ?? p.verdict)}">${xml(problems.join('\n'))}</failure></testcase>`);
    }
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(suiteName)}" tests="${tests}" failures="${failures}" time="${(totalMs / 1000).toFixed(6)}">`,
    `  <testsuite name="${xml(suiteName)}" tests="${tests}" failures="${failures}" errors="0" skipped="0" time="${(totalMs / 1000).toFixed(6)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
