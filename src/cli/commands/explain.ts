/**
 * `bpflab explain FILE [--section S] [--type T] [--json]`: for each rejected program, the failing
 * path, whether the failure is feasible (Z3 over the program's concrete semantics along it), a
 * concrete input that triggers it and its replay on the checked VM, or, for a false alarm, the
 * instruction where the verifier's abstraction lost precision.
 *
 * Exit codes: 0 when every program is accepted or every rejection is a false alarm or undecided;
 * 1 when at least one rejection is real (feasible: a counterexample exists); 2 on bad input.
 */
import { disasmInsn } from '../../isa/disasm.js';
import type { Program } from '../../isa/program.js';
import { loadFile } from '../../loader/index.js';
import type { Explanation } from '../../smt/explain/index.js';
import { numberOption, parseArgs, UsageError, type CommandDecl } from '../args.js';
import { LOAD_OPTIONS, loadOptionsFrom } from '../load-options.js';
import type { Command } from '../io.js';

const decl: CommandDecl = {
  name: 'explain',
  summary:
    'For each rejected program: the failing path, whether the failure can really happen (Z3 over the concrete semantics along the path), ' +
    'a concrete input that triggers it replayed on the checked VM, or for a false alarm the instruction where the verifier lost precision. ' +
    'Exit 0: all accepted, false alarms or undecided; 1: some rejection is real; 2: bad input.',
  usage: 'explain FILE [--section S] [--type T] [--timeout MS] [--fix] [--deny-uninit-stack] [--json]',
  options: [
    ...LOAD_OPTIONS,
    { name: 'timeout', kind: 'number', valueName: 'MS', description: 'Z3 budget per query in milliseconds (default 10000)' },
    { name: 'deny-uninit-stack', kind: 'flag', description: 'reject reads of never-written stack, as the kernel does for unprivileged loaders (default: allowed, as for root)' },
    { name: 'allow-uninit-stack', kind: 'flag', description: 'the default (kept for older command lines): reads of never-written stack allowed, as for root' },
    { name: 'fix', kind: 'flag', description: 'propose bytecode patches (bounds check, mask, NULL check, release), re-verify each and replay the counterexample on it' },
  ],
  positionals: { min: 1, max: 1, name: 'FILE' },
};

const shortPath = (path: readonly number[]): string =>
  path.length <= 48 ? path.join(' ') : `${path.slice(0, 20).join(' ')} ... (${path.length - 40} more) ... ${path.slice(-20).join(' ')}`;

/** Hex bytes, 32 a line with their offset; runs of zero lines collapse to one line that says how many bytes. */
function chunk(hexText: string, indent: string): string {
  if (hexText.length <= 96) return hexText;
  const lines: string[] = [];
  let zeros = 0;
  const flush = (): void => { if (zeros) lines.push(`… ${zeros} zero bytes …`); zeros = 0; };
  for (let i = 0; i < hexText.length; i += 64) {
    const l = hexText.slice(i, i + 64);
    if (/^0+$/.test(l)) { zeros += l.length / 2; continue; }
    flush();
    lines.push(`+${(i / 2).toString(16).padStart(4, '0')}: ${l}`);
  }
  flush();
  return '\n' + lines.map((l) => indent + l).join('\n');
}

/** The human-readable explanation of one program. */
export function formatExplanation(p: Program, e: Explanation): string {
  const out: string[] = [];
  const head = `${p.name}${p.section ? ` (${p.section})` : ''} [${p.type}, ${p.insns.length} insns]`;
  if (e.verdict === 'accept' || !e.error) return `${head}: accepted, nothing to explain\n`;
  out.push(`${head}: rejected at insn ${e.error.pc}: ${e.error.message} [${e.error.kind}]`);
  if (e.path.length) {
    out.push(`  failing path (${e.path.length} insns): ${shortPath(e.path)}`);
    const tail = e.path.slice(-6);
    for (const pc of tail) out.push(`    ${String(pc).padStart(4)}: ${disasmInsn(p.insns, pc)}`);
  }
  if (e.feasible === true) out.push(`  verdict: REAL -- ${e.reason.replace(/^real: /, '')}`);
  else if (e.feasible === false) out.push(`  verdict: FALSE ALARM -- ${e.reason.replace(/^false alarm: /, '')}`);
  else out.push(`  verdict: UNDECIDED -- ${e.reason.replace(/^undecided:? ?/, '')}`);
  const w = e.witness;
  if (w) {
    out.push('  counterexample input:');
    if (w.packet !== undefined) out.push(`    packet (${w.packet.length / 2} bytes): ${chunk(w.packet, '      ') || '(empty)'}`);
    if (w.ctx !== undefined && /[^0]/.test(w.ctx)) out.push(`    ctx: ${chunk(w.ctx, '      ')}`);
    else if (w.ctx !== undefined) out.push(`    ctx: all ${w.ctx.length / 2} bytes zero`);
    for (const [name, entries] of Object.entries(w.maps))
      for (const [k, v] of Object.entries(entries)) out.push(`    map ${name}: key ${k} = ${chunk(v, '      ')}`);
    for (const name of w.fullRingbufs ?? []) out.push(`    ring buffer ${name}: full of unconsumed records`);
    for (const f of w.kernelFields ?? []) out.push(`    ${f}`);
    for (const h of w.helpers) {
      out.push(`    ${h.helper} at pc ${h.pc} returns ${h.r0}`);
      for (const x of h.writes ?? []) out.push(`      and writes through R${x.arg}: ${x.hex.length > 64 ? `${x.hex.slice(0, 64)}... (${x.hex.length / 2} bytes)` : x.hex}`);
    }
    if (e.access) out.push(`    -> the access goes to ${e.access.region}${Number(e.access.offset) >= 0 ? '+' : ''}${e.access.offset}, ${e.access.size} bytes`);
  }
  const r = e.replay;
  if (r) {
    let what: string;
    if (r.fault) what = `${r.fault.kind.replaceAll('_', ' ')} at pc ${r.fault.pc}: ${r.fault.size}-byte access at ${r.fault.region}${r.fault.offset >= 0 ? '+' : ''}${r.fault.offset}`;
    else if (r.error) what = `stopped: ${r.error.message}`;
    else what = `ran to exit, r0 = ${r.r0}`;
    out.push(`  replay on the checked VM: ${r.shows ?? what}${r.reproduced ? ' (reproduces the rejection)' : ''}`);
    if (r.note) out.push(`    note: ${r.note}`);
  }
  for (const site of e.sites ?? []) {
    if (site.role === 'fault') continue;
    out.push(`  ${site.role.replace('_', ' ')} at insn ${site.pc}: ${disasmInsn(p.insns, site.pc)} -- ${site.what}${site.line ? `\n      ${site.line}` : ''}`);
  }
  const imp = e.imprecision;
  if (imp) {
    out.push(`  imprecise instruction ${imp.pc}: ${disasmInsn(p.insns, imp.pc)}`);
    out.push(`    verifier: ${imp.abstract}`);
    out.push(`    real:     ${imp.concrete}`);
    if (imp.cls) out.push(`    loss: ${imp.cls.replaceAll('_', ' ')} -- ${imp.why ?? ''}`);
  }
  if (e.fixes) {
    const good = e.fixes.filter((f) => f.verified);
    if (!e.fixes.length) out.push('  fix: no candidate patch for this rejection');
    else if (!good.length) out.push(`  fix: ${e.fixes.length} candidate patch${e.fixes.length === 1 ? '' : 'es'}, none accepted by the verifier (${e.fixes[0]!.verdict})`);
    for (const f of good) {
      out.push(`  verified fix: ${f.description}`);
      if (f.c) out.push(`    ${f.c}`);
      out.push(`    bytecode ${f.inPlace ? 'change at' : 'before'} insn ${f.pc}${f.from !== undefined ? ` (on the edge from insn ${f.from})` : ''}: ${f.insns.join('; ')}`);
      out.push(`    re-verified: accepted${f.replayed === true ? '; the counterexample replayed on the patched program no longer fails' : f.replayed === false ? `; the counterexample still fails on it (${f.replayNote})` : ''}`);
    }
  }
  out.push(`  bounds: paths up to ${e.bound.maxPathLength} insns (loops unrolled along the path; longer than ${e.bound.wholePathSteps} checked in prefixes of ${e.bound.prefixSteps} within ${e.bound.pathBudgetMs} ms), Z3 ${e.bound.solverTimeoutMs} ms per query, packets up to ${e.bound.maxPacket} bytes`);
  return out.join('\n') + '\n';
}

export const command: Command = {
  decl,
  async run(argv, io) {
    const args = parseArgs(decl, argv);
    const path = args.positionals[0]!;
    const timeoutMs = numberOption(args, 'timeout', 10_000);
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError(`explain: --timeout must be a positive number of milliseconds (got ${args.strings.get('timeout')})`);
    const programs = await loadFile(path, io.readFile(path), loadOptionsFrom(args));
    const { explainProgram, closeExplain } = await import('../../smt/explain/index.js');
    const json = args.flags.has('json');
    const results: Explanation[] = [];
    try {
      for (const p of programs) {
        const e = await explainProgram(p, { timeoutMs, fix: args.flags.has('fix'), verify: { allowUninitStack: !args.flags.has('deny-uninit-stack') } });
        results.push(e);
        if (!json) io.out(formatExplanation(p, e));
      }
    } finally {
      await closeExplain();
    }
    if (json) io.out(JSON.stringify({ file: path, programs: results }) + '\n');
    return results.some((e) => e.feasible === true) ? 1 : 0;
  },
};
