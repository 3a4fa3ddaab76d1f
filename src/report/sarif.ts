/**
 * SARIF 2.1.0 for CI, shaped for GitHub code scanning: one result per rejected program,
 * ruleId = the error kind with help text per rule; locations at the source line from BTF line
 * info (or the assembly line of a .s input), URIs relative to a source root (the repository);
 * fingerprints from the function, the kind and the source line's text (not its number, so an
 * unrelated edit above keeps the alert); a code flow along the failing path with the verifier's
 * state at the decisive steps; related locations for the acquire site of a leaked reference and
 * explain's imprecise instruction.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { disasmInsn } from '../isa/disasm.js';
import { assemble } from '../isa/asm/index.js';
import * as op from '../isa/opcodes.js';
import type { Program } from '../isa/program.js';
import { ERROR_KINDS } from '../verifier/index.js';
import type { ProgramReportInput, ReportInput } from './model.js';
import { sourceAt } from './view.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
/** Where the error kinds are documented (relative to the repository root). */
export const ERROR_KINDS_DOC = 'docs/verifier-error-kinds.md';

export interface SarifMessage { text: string; markdown?: string }
export interface SarifArtifactLocation { uri: string; uriBaseId?: string }
export interface SarifRegion { startLine: number; startColumn?: number; snippet?: { text: string } }
export interface SarifPhysicalLocation { artifactLocation: SarifArtifactLocation; region?: SarifRegion }
export interface SarifLogicalLocation { name: string; fullyQualifiedName: string; kind: string }
export interface SarifLocation { id?: number; physicalLocation?: SarifPhysicalLocation; logicalLocations?: SarifLogicalLocation[]; message?: SarifMessage }
export interface SarifThreadFlowLocation { location: SarifLocation; state?: Record<string, { text: string }>; importance?: 'essential' | 'important' | 'unimportant'; executionOrder?: number }
export interface SarifCodeFlow { message?: SarifMessage; threadFlows: { locations: SarifThreadFlowLocation[] }[] }
export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: 'error' | 'warning' | 'note';
  message: SarifMessage;
  locations: SarifLocation[];
  partialFingerprints: Record<string, string>;
  codeFlows?: SarifCodeFlow[];
  relatedLocations?: SarifLocation[];
  properties: Record<string, unknown>;
}
export interface SarifRule {
  id: string;
  name: string;
  shortDescription: SarifMessage;
  fullDescription: SarifMessage;
  help: SarifMessage;
  helpUri?: string;
  defaultConfiguration: { level: 'error' };
  properties: { tags: string[]; precision: string; 'problem.severity': string };
}
export interface SarifRun {
  tool: { driver: { name: string; informationUri?: string; version?: string; semanticVersion?: string; rules: SarifRule[] } };
  artifacts: { location: SarifArtifactLocation }[];
  results: SarifResult[];
  columnKind: 'utf16CodeUnits';
  originalUriBaseIds?: Record<string, { uri?: string; description?: SarifMessage }>;
}
export interface SarifLog { $schema: string; version: '2.1.0'; runs: SarifRun[] }

export interface SarifOptions {
  version?: string;
  /**
   * Directory that URIs are made relative to (GitHub: the repository root). Default: the current
   * directory. Paths outside it that cannot be found under it keep an absolute file:// URI.
   */
  sourceRoot?: string;
  /** Link of the error-kind documentation in each rule's help (default: docs/verifier-error-kinds.md). */
  docsUri?: string;
  /** At most this many steps per code flow (default 40: entry, branches, calls, the failing step). */
  maxFlowSteps?: number;
}

/** The git work tree holding `path` (its top level), or the current directory when there is none. */
export function defaultSourceRoot(path: string): string {
  try {
    const dir = dirname(resolve(path));
    return execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || process.cwd();
  } catch {
    return process.cwd();
  }
}

const encUri = (p: string): string => p.split('/').map((s) => encodeURIComponent(s)).join('/');

/** A path as a SARIF uri: absolute paths become file:// URIs, relative ones stay relative to %SRCROOT%. */
export function toArtifactLocation(path: string): SarifArtifactLocation {
  if (path.startsWith('/')) return { uri: `file://${encUri(path)}` };
  return { uri: encUri(path.replace(/^\.\//, '')), uriBaseId: '%SRCROOT%' };
}

/**
 * Where a file named by the object (debug info records the compiler's path, maybe from another
 * machine) or by the user lives relative to `root`: as given when inside, else the longest
 * trailing part of it that exists under `root` or beside the object.
 */
export function locateUnderRoot(path: string, root: string, objDir: string): string | null {
  const absRoot = resolve(root);
  const inside = (abs: string): string | null => {
    const rel = relative(absRoot, abs);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : null;
  };
  const candidates = isAbsolute(path) ? [path] : [resolve(objDir, path), resolve(path), resolve(absRoot, path)];
  for (const c of candidates) if (existsSync(c)) { const r = inside(c); if (r) return r; }
  const parts = path.split(/[\\/]+/).filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const tail = parts.slice(i).join('/');
    for (const base of [objDir, absRoot]) {
      const c = resolve(base, tail);
      if (existsSync(c)) { const r = inside(c); if (r) return r; }
    }
  }
  for (const c of candidates) { const r = inside(c); if (r) return r; }
  return null;
}

function ruleFor(kind: string, docsUri: string): SarifRule {
  const desc = (ERROR_KINDS as Record<string, string>)[kind] ?? 'a verifier rejection';
  const short = desc.replace(/:.*$/, '').replace(/\s*\(.*$/, '');
  const plain = desc.replace(/`/g, "'");
  return {
    id: kind,
    name: kind.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(''),
    shortDescription: { text: short.charAt(0).toUpperCase() + short.slice(1) },
    fullDescription: { text: plain },
    help: {
      text: `The eBPF verifier rejects the program: ${plain}. The program cannot be loaded until every path is proven safe. Error kinds: ${docsUri}. Run 'bpflab explain FILE' to see whether the failing path is feasible, with a counterexample input.`,
      markdown: `**${kind}**: ${desc}.\n\nThe eBPF verifier (as in Linux 6.18) rejects the program; it cannot be loaded until every path is proven safe. The failing path and the verifier's state along it are in the code flow.\n\nSee [verifier error kinds](${docsUri}) for every kind, and run \`bpflab explain FILE\` to learn whether the failing path is feasible (with a counterexample input replayed on the VM) or a false alarm.`,
    },
    ...(/^[a-z]+:\/\//.test(docsUri) && { helpUri: docsUri }),
    defaultConfiguration: { level: 'error' },
    properties: { tags: ['ebpf', 'verifier', 'correctness'], precision: 'very-high', 'problem.severity': 'error' },
  };
}

const normalize = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** The context that places pcs of one program in files. */
interface Placer {
  /** A physical location for `pc` (source line, assembly line, or the object file). */
  physical(pc: number): { loc: SarifPhysicalLocation; text: string };
}

function makePlacer(p: Program, objFile: string, root: string, addArtifact: (l: SarifArtifactLocation) => void): Placer {
  const objDir = dirname(resolve(objFile));
  const cache = new Map<string, SarifArtifactLocation>();
  const artifact = (path: string): SarifArtifactLocation => {
    let loc = cache.get(path);
    if (!loc) {
      const rel = locateUnderRoot(path, root, objDir);
      loc = rel !== null ? { uri: encUri(rel), uriBaseId: '%SRCROOT%' } : toArtifactLocation(resolve(objDir, path));
      cache.set(path, loc);
      addArtifact(loc);
    }
    return loc;
  };
  const asmLines = assemblyLines(p, objFile);
  return {
    physical(pc) {
      const src = sourceAt(p.lineInfo, pc);
      if (src && src.file) {
        return { loc: { artifactLocation: artifact(src.file), region: { startLine: Math.max(1, src.line), ...(src.col > 0 && { startColumn: src.col }), ...(src.text && { snippet: { text: src.text } }) } }, text: src.text };
      }
      if (asmLines) {
        const line = asmLines.lines[pc];
        if (line !== undefined) {
          const text = asmLines.text[line - 1] ?? '';
          return { loc: { artifactLocation: artifact(objFile), region: { startLine: line, ...(text.trim() && { snippet: { text } }) } }, text };
        }
      }
      return { loc: { artifactLocation: artifact(objFile) }, text: safeDisasm(p, pc) };
    },
  };
}

/** For an assembly input: the source line of every instruction slot (the file re-assembled). */
function assemblyLines(p: Program, file: string): { lines: number[]; text: string[] } | null {
  if (!/\.(s|asm)$/i.test(file) || p.lineInfo?.length) return null;
  try {
    const text = readFileSync(file, 'utf8');
    const r = assemble(text);
    if (r.insns.length !== p.insns.length) return null;
    return { lines: r.lines, text: text.split('\n') };
  } catch {
    return null;
  }
}

function safeDisasm(p: Program, pc: number): string {
  try { return disasmInsn(p.insns, pc, { maps: p.maps }); } catch { return `insn ${pc}`; }
}

function fingerprint(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

const isCondJump = (code: number): boolean => {
  const c = op.cls(code);
  if (c !== op.BPF_JMP && c !== op.BPF_JMP32) return false;
  const o = code & 0xf0;
  return o !== op.BPF_JA && o !== op.BPF_CALL && o !== op.BPF_EXIT;
};
const isCall = (code: number): boolean => code === (op.BPF_JMP | op.BPF_CALL);

/** The failing path as a thread flow: the entry, each branch decision and call, the failing step; states where the log kept them. */
function codeFlow(item: ProgramReportInput, placer: Placer, maxSteps: number): SarifCodeFlow | null {
  const { program: p, result: r } = item;
  const path = r.path;
  if (!path || path.length === 0 || !r.error) return null;
  const states = r.pathStates;
  const key: number[] = [];
  for (let i = 0; i < path.length; i++) {
    const code = p.insns[path[i]!]?.code ?? 0;
    if (i === 0 || i === path.length - 1 || isCondJump(code) || isCall(code)) key.push(i);
  }
  // Keep the entry and the steps nearest the failure when there are too many.
  const chosen = key.length > maxSteps ? [key[0]!, ...key.slice(key.length - (maxSteps - 1))] : key;
  const locations: SarifThreadFlowLocation[] = chosen.map((i, order) => {
    const pc = path[i]!;
    const ins = p.insns[pc]!;
    const next = path[i + 1];
    let what = `insn ${pc}: ${safeDisasm(p, pc)}`;
    if (i === path.length - 1) what += ` -- rejected: ${r.error!.message}`;
    else if (isCondJump(ins.code) && next !== undefined) what += next === pc + 1 ? ' (falls through)' : ` (jumps to ${next})`;
    const placed = placer.physical(pc);
    const tfl: SarifThreadFlowLocation = {
      location: { physicalLocation: placed.loc, message: { text: what } },
      executionOrder: order + 1,
      importance: i === path.length - 1 ? 'essential' : isCondJump(ins.code) ? 'important' : 'unimportant',
    };
    const st = states && states.length === path.length ? states[i]?.regs : undefined;
    if (st) tfl.state = { verifier: { text: st.length > 1000 ? st.slice(0, 1000) + '...' : st } };
    return tfl;
  });
  return { message: { text: `failing path: ${path.length} instructions from the entry (${locations.length} key steps shown)` }, threadFlows: [{ locations }] };
}

/** Locations that explain the result: where a leaked reference was acquired, where explain saw precision lost. */
function related(item: ProgramReportInput, placer: Placer): SarifLocation[] {
  const out: SarifLocation[] = [];
  const e = item.result.error!;
  const leak = /alloc_insn=(\d+)/.exec(e.message);
  if (leak) {
    const pc = Number(leak[1]);
    out.push({ id: out.length + 1, physicalLocation: placer.physical(pc).loc, message: { text: `the reference is acquired here (insn ${pc}: ${safeDisasm(item.program, pc)}) and not released on the failing path` } });
  }
  const imp = item.explain?.imprecision;
  if (imp) out.push({ id: out.length + 1, physicalLocation: placer.physical(imp.pc).loc, message: { text: `the verifier loses precision here (insn ${imp.pc}): it keeps ${imp.abstract}, while the values reachable on this path are ${imp.concrete}` } });
  return out;
}

/** The SARIF log for the rejected programs of `input` (accepted programs give no result). */
export function renderSarif(input: ReportInput, opts: SarifOptions = {}): SarifLog {
  const root = opts.sourceRoot ?? process.cwd();
  const docsUri = opts.docsUri ?? ERROR_KINDS_DOC;
  const rules: SarifRule[] = [];
  const ruleIndex = new Map<string, number>();
  const artifacts: { location: SarifArtifactLocation }[] = [];
  const artifactSeen = new Set<string>();
  const addArtifact = (loc: SarifArtifactLocation): void => {
    const key = `${loc.uriBaseId ?? ''}|${loc.uri}`;
    if (!artifactSeen.has(key)) { artifactSeen.add(key); artifacts.push({ location: loc }); }
  };
  const results: SarifResult[] = [];
  const seenPrints = new Map<string, number>();
  for (const item of input.programs) {
    const { program: p, result: r, explain, kernel } = item;
    if (r.verdict !== 'reject' || !r.error) continue;
    const e = r.error;
    if (!ruleIndex.has(e.kind)) { ruleIndex.set(e.kind, rules.length); rules.push(ruleFor(e.kind, docsUri)); }
    const objFile = p.file ?? input.file;
    const placer = makePlacer(p, objFile, root, addArtifact);
    const placed = placer.physical(e.pc);
    const fn = `${p.section || p.name}/${p.name}`;
    const logical: SarifLogicalLocation[] = [
      { name: p.name, fullyQualifiedName: fn, kind: 'function' },
      { name: `insn ${e.pc}`, fullyQualifiedName: `${objFile}:${fn}+${e.pc}`, kind: 'instruction' },
    ];
    const where = `${p.name}${p.section && p.section !== p.name ? ` (section ${p.section})` : ''}, insn ${e.pc}`;
    const properties: Record<string, unknown> = { program: p.name, section: p.section, type: p.type, pc: e.pc, kernelMessage: e.message };
    if (explain) properties['feasible'] = explain.feasible;
    if (kernel && kernel.verdict !== 'unavailable') properties['kernelVerdict'] = kernel.verdict;
    // Stable across edits elsewhere: the function, the kind and the text of the line (not its number).
    const base = [fn, e.kind, normalize(placed.text)];
    const baseKey = base.join('|');
    const nth = seenPrints.get(baseKey) ?? 0;
    seenPrints.set(baseKey, nth + 1);
    const res: SarifResult = {
      ruleId: e.kind,
      ruleIndex: ruleIndex.get(e.kind)!,
      level: 'error',
      message: { text: `eBPF verifier rejects ${where}: ${e.message}` },
      locations: [{ physicalLocation: placed.loc, logicalLocations: logical }],
      partialFingerprints: { 'bpflabSourceLine/v1': fingerprint([...base, String(nth)]) },
      properties,
    };
    const flow = codeFlow(item, placer, opts.maxFlowSteps ?? 40);
    if (flow) res.codeFlows = [flow];
    const rel = related(item, placer);
    if (rel.length) res.relatedLocations = rel;
    results.push(res);
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
      originalUriBaseIds: { '%SRCROOT%': { uri: `file://${encUri(resolve(root))}/`, description: { text: 'the source root (the repository)' } } },
    }],
  };
}
