/**
 * SARIF 2.1.0 for CI (GitHub code scanning and friends): one result per rejected program,
 * ruleId = the error kind, located at the source line from BTF line info when there is one,
 * else at the object file with the instruction index as a logical location.
 */
import { ERROR_KINDS } from '../verifier/index.js';
import type { ReportInput } from './model.js';
import { sourceAt } from './view.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifMessage { text: string }
export interface SarifArtifactLocation { uri: string; uriBaseId?: string }
export interface SarifRegion { startLine: number; startColumn?: number; snippet?: { text: string } }
export interface SarifPhysicalLocation { artifactLocation: SarifArtifactLocation; region?: SarifRegion }
export interface SarifLogicalLocation { name: string; fullyQualifiedName: string; kind: string }
export interface SarifLocation { physicalLocation?: SarifPhysicalLocation; logicalLocations?: SarifLogicalLocation[]; message?: SarifMessage }
export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: 'error' | 'warning' | 'note';
  message: SarifMessage;
  locations: SarifLocation[];
  partialFingerprints: Record<string, string>;
  properties: Record<string, unknown>;
}
export interface SarifRule {
  id: string;
  name: string;
  shortDescription: SarifMessage;
  fullDescription: SarifMessage;
  defaultConfiguration: { level: 'error' };
  properties: { tags: string[] };
}
export interface SarifRun {
  tool: { driver: { name: string; informationUri?: string; version?: string; semanticVersion?: string; rules: SarifRule[] } };
  artifacts: { location: SarifArtifactLocation }[];
  results: SarifResult[];
  columnKind: 'utf16CodeUnits';
  originalUriBaseIds?: Record<string, { uri?: string; description?: SarifMessage }>;
}
export interface SarifLog { $schema: string; version: '2.1.0'; runs: SarifRun[] }

/** A path as a SARIF uri: absolute paths become file:// URIs, relative ones stay relative to %SRCROOT%. */
export function toArtifactLocation(path: string): SarifArtifactLocation {
  const enc = (p: string): string => p.split('/').map((s) => encodeURIComponent(s)).join('/');
  if (path.startsWith('/')) return { uri: `file://${enc(path)}` };
  return { uri: enc(path.replace(/^\.\//, '')), uriBaseId: '%SRCROOT%' };
}

function ruleFor(kind: string): SarifRule {
  const desc = (ERROR_KINDS as Record<string, string>)[kind] ?? 'a verifier rejection';
  const short = desc.replace(/:.*$/, '').replace(/\s*\(.*$/, '');
  return {
    id: kind,
    name: kind.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(''),
    shortDescription: { text: short.charAt(0).toUpperCase() + short.slice(1) },
    fullDescription: { text: desc.replace(/`/g, "'") },
    defaultConfiguration: { level: 'error' },
    properties: { tags: ['ebpf', 'verifier'] },
  };
}

/** The SARIF log for the rejected programs of `input` (accepted programs give no result). */
export function renderSarif(input: ReportInput, opts: { version?: string } = {}): SarifLog {
  const rules: SarifRule[] = [];
  const ruleIndex = new Map<string, number>();
  const artifacts: { location: SarifArtifactLocation }[] = [];
  const artifactSeen = new Set<string>();
  const addArtifact = (loc: SarifArtifactLocation): void => {
    const key = `${loc.uriBaseId ?? ''}|${loc.uri}`;
    if (!artifactSeen.has(key)) { artifactSeen.add(key); artifacts.push({ location: loc }); }
  };
  const results: SarifResult[] = [];
  for (const { program: p, result: r, explain, kernel } of input.programs) {
    if (r.verdict !== 'reject' || !r.error) continue;
    const e = r.error;
    if (!ruleIndex.has(e.kind)) { ruleIndex.set(e.kind, rules.length); rules.push(ruleFor(e.kind)); }
    const objFile = p.file ?? input.file;
    const qualified = `${objFile}:${p.section || p.name}/${p.name}+${e.pc}`;
    const logical: SarifLogicalLocation[] = [
      { name: p.name, fullyQualifiedName: `${p.section || p.name}/${p.name}`, kind: 'function' },
      { name: `insn ${e.pc}`, fullyQualifiedName: qualified, kind: 'instruction' },
    ];
    const src = sourceAt(p.lineInfo, e.pc);
    let physical: SarifPhysicalLocation;
    if (src && src.file) {
      const loc = toArtifactLocation(src.file);
      physical = { artifactLocation: loc, region: { startLine: Math.max(1, src.line), ...(src.col > 0 && { startColumn: src.col }), ...(src.text && { snippet: { text: src.text } }) } };
      addArtifact(loc);
    } else {
      const loc = toArtifactLocation(objFile);
      physical = { artifactLocation: loc };
      addArtifact(loc);
    }
    const where = `${p.name}${p.section && p.section !== p.name ? ` (section ${p.section})` : ''}, insn ${e.pc}`;
    const properties: Record<string, unknown> = { program: p.name, section: p.section, type: p.type, pc: e.pc, kernelMessage: e.message };
    if (explain) properties['feasible'] = explain.feasible;
    if (kernel && kernel.verdict !== 'unavailable') properties['kernelVerdict'] = kernel.verdict;
    results.push({
      ruleId: e.kind,
      ruleIndex: ruleIndex.get(e.kind)!,
      level: 'error',
      message: { text: `eBPF verifier rejects ${where}: ${e.message}` },
      locations: [{ physicalLocation: physical, logicalLocations: logical }],
      partialFingerprints: { 'bpflabProgram/v1': `${p.section}/${p.name}:${e.kind}:${e.pc}` },
      properties,
    });
  }
  const driver: SarifRun['tool']['driver'] = { name: 'bpflab', rules };
  if (opts.version ?? input.version) { driver.version = (opts.version ?? input.version)!; driver.semanticVersion = driver.version; }
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: { driver },
      artifacts,
      results,
      columnKind: 'utf16CodeUnits',
      originalUriBaseIds: { '%SRCROOT%': { description: { text: 'the directory bpflab was run from' } } },
    }],
  };
}
