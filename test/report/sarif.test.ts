import { describe, expect, it } from 'vitest';
import { renderSarif, toArtifactLocation, type SarifLog } from '../../src/report/index.js';
import { asm, BRANCHY, inputOf, PACKET_OK, PACKET_OOB } from './helpers.js';

/**
 * The properties the SARIF 2.1.0 schema marks required (sarifLog, run, tool, toolComponent,
 * result, message, reportingDescriptor, multiformatMessageString), plus its value constraints
 * on what we emit (region.startLine >= 1, columnKind enum, level enum, ruleIndex range).
 */
function schemaProblems(log: SarifLog): string[] {
  const bad: string[] = [];
  const req = (o: unknown, k: string, where: string): void => {
    if (!o || typeof o !== 'object' || !(k in o)) bad.push(`${where}: missing ${k}`);
  };
  req(log, 'version', 'sarifLog');
  req(log, 'runs', 'sarifLog');
  if (log.version !== '2.1.0') bad.push('version must be 2.1.0');
  if (!Array.isArray(log.runs)) return [...bad, 'runs must be an array'];
  log.runs.forEach((run, i) => {
    req(run, 'tool', `runs[${i}]`);
    req(run.tool, 'driver', `runs[${i}].tool`);
    req(run.tool.driver, 'name', `runs[${i}].tool.driver`);
    if (!['utf16CodeUnits', 'unicodeCodePoints'].includes(run.columnKind)) bad.push('columnKind');
    const rules = run.tool.driver.rules;
    rules.forEach((r, k) => {
      req(r, 'id', `rules[${k}]`);
      for (const d of ['shortDescription', 'fullDescription'] as const) if (typeof r[d].text !== 'string' || r[d].text.length > 1024) bad.push(`rules[${k}].${d}.text`);
    });
    if (new Set(rules.map((r) => r.id)).size !== rules.length) bad.push('duplicate rule ids');
    run.results.forEach((res, k) => {
      req(res, 'message', `results[${k}]`);
      if (typeof res.message.text !== 'string' || !res.message.text) bad.push(`results[${k}].message.text`);
      if (!['none', 'note', 'warning', 'error'].includes(res.level)) bad.push(`results[${k}].level`);
      if (rules[res.ruleIndex]?.id !== res.ruleId) bad.push(`results[${k}].ruleIndex does not point at ruleId`);
      for (const loc of res.locations) {
        const pl = loc.physicalLocation;
        if (pl) {
          if (typeof pl.artifactLocation.uri !== 'string' || !pl.artifactLocation.uri) bad.push(`results[${k}] uri`);
          if (pl.region && !(Number.isInteger(pl.region.startLine) && pl.region.startLine >= 1)) bad.push(`results[${k}] startLine`);
        }
      }
    });
  });
  return bad;
}

describe('renderSarif', () => {
  it('gives one result per rejected program, ruleId = error kind, with the required fields', () => {
    const input = inputOf([asm(PACKET_OOB, 'oob.s'), asm(PACKET_OK, 'ok.s'), asm(BRANCHY, 'br.s')], 'progs.s');
    input.programs[0]!.program.name = 'oob';
    input.programs[2]!.program.name = 'branchy';
    const log = renderSarif(input);
    expect(schemaProblems(log)).toEqual([]);
    const run = log.runs[0]!;
    expect(run.tool.driver.name).toBe('bpflab');
    expect(run.results.map((r) => r.ruleId)).toEqual(['packet_oob', 'packet_oob']);
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(['packet_oob']);
    const r = run.results[0]!;
    expect(r.message.text).toContain('invalid access to packet, off=12 size=4');
    expect(r.message.text).toContain('oob');
    // No line info: the object file, with the instruction as a logical location.
    expect(r.locations[0]!.physicalLocation!.artifactLocation).toEqual({ uri: 'oob.s', uriBaseId: '%SRCROOT%' });
    expect(r.locations[0]!.physicalLocation!.region).toBeUndefined();
    expect(r.locations[0]!.logicalLocations!.find((l) => l.kind === 'instruction')!.fullyQualifiedName).toBe('oob.s:oob/oob+5');
    expect(r.properties['pc']).toBe(5);
    // The document survives JSON.
    expect(JSON.parse(JSON.stringify(log))).toEqual(log);
  });

  it('points at the source line when the program has BTF line info', () => {
    const p = asm(BRANCHY, 'obj.o');
    p.lineInfo = [
      { pc: 0, file: '/src/prog dir/xdp.c', line: 10, col: 5, text: 'void *data = ...;' },
      { pc: 9, file: '/src/prog dir/xdp.c', line: 21, col: 9, text: 'proto = ip->protocol;' },
    ];
    const log = renderSarif(inputOf([p], 'obj.o'));
    expect(schemaProblems(log)).toEqual([]);
    const loc = log.runs[0]!.results[0]!.locations[0]!.physicalLocation!;
    expect(loc.artifactLocation.uri).toBe('file:///src/prog%20dir/xdp.c');
    expect(loc.region).toEqual({ startLine: 21, startColumn: 9, snippet: { text: 'proto = ip->protocol;' } });
    expect(log.runs[0]!.artifacts).toEqual([{ location: { uri: 'file:///src/prog%20dir/xdp.c' } }]);
  });

  it('is empty (but valid) when every program is accepted', () => {
    const log = renderSarif(inputOf([asm(PACKET_OK)]));
    expect(schemaProblems(log)).toEqual([]);
    expect(log.runs[0]!.results).toEqual([]);
  });

  it('makes uris from paths', () => {
    expect(toArtifactLocation('./a/b#c.c')).toEqual({ uri: 'a/b%23c.c', uriBaseId: '%SRCROOT%' });
    expect(toArtifactLocation('/x/y.o')).toEqual({ uri: 'file:///x/y.o' });
  });
});
