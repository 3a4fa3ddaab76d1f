/**
 * A small typed option parser: each option is declared once (name, kind, description), and
 * the declaration feeds both parsing and --help. Bad usage throws UsageError (exit 2).
 */
import { InputError } from '../isa/errors.js';

export class UsageError extends InputError {
  constructor(message: string) {
    super('usage', message);
    this.name = 'UsageError';
  }
}

export type OptionKind = 'flag' | 'string' | 'number' | 'list';

export interface OptionDecl {
  name: string; // long name without dashes, e.g. "section"
  short?: string; // e.g. "o"
  kind: OptionKind;
  description: string;
  /** Allowed values for string options. */
  choices?: readonly string[];
  valueName?: string;
}

export interface CommandDecl {
  name: string;
  summary: string;
  usage: string;
  options: readonly OptionDecl[];
  /** Minimum and maximum positional arguments. */
  positionals?: { min: number; max: number; name: string };
  /** false: the command has no JSON output (a long-running worker), so --json is refused rather than ignored. */
  json?: false;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Set<string>;
  strings: Map<string, string>;
  lists: Map<string, string[]>;
}

export const COMMON_OPTIONS: readonly OptionDecl[] = [
  { name: 'json', kind: 'flag', description: 'print exactly one JSON document on stdout' },
  { name: 'help', short: 'h', kind: 'flag', description: 'show help for this command' },
  { name: 'debug', kind: 'flag', description: 'print stack traces of internal errors' },
];

/** The options a command accepts: its own, then the common ones (without --json where it has no JSON output). */
function commandOptions(decl: CommandDecl): OptionDecl[] {
  return [...decl.options, ...COMMON_OPTIONS.filter((o) => o.name !== 'json' || decl.json !== false)];
}

export function parseArgs(decl: CommandDecl, argv: readonly string[]): ParsedArgs {
  const all = commandOptions(decl);
  const byName = new Map(all.map((o) => [o.name, o]));
  const byShort = new Map(all.filter((o) => o.short).map((o) => [o.short!, o]));
  const out: ParsedArgs = { positionals: [], flags: new Set(), strings: new Map(), lists: new Map() };
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (onlyPositionals || a === '-' || !a.startsWith('-')) {
      out.positionals.push(a);
      continue;
    }
    if (a === '--') { onlyPositionals = true; continue; }
    let name: string;
    let inline: string | undefined;
    let o: OptionDecl | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq >= 0 ? a.slice(eq + 1) : undefined;
      o = byName.get(name);
    } else {
      name = a.slice(1);
      o = byShort.get(name);
    }
    if (!o) throw new UsageError(`${decl.name}: unknown option ${a} (see bpflab ${decl.name} --help)`);
    if (o.kind === 'flag') {
      if (inline !== undefined) throw new UsageError(`${decl.name}: option --${o.name} takes no value`);
      out.flags.add(o.name);
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new UsageError(`${decl.name}: option --${o.name} needs a value`);
    if (o.choices && !o.choices.includes(v))
      throw new UsageError(`${decl.name}: --${o.name} must be one of ${o.choices.join(', ')} (got '${v}')`);
    if (o.kind === 'number' && !/^\d+$/.test(v))
      throw new UsageError(`${decl.name}: --${o.name} needs a non-negative whole number (got '${v}')`);
    if (o.kind === 'list') {
      const l = out.lists.get(o.name) ?? [];
      l.push(v);
      out.lists.set(o.name, l);
    } else out.strings.set(o.name, v);
  }
  if (!out.flags.has('help') && decl.positionals) {
    const { min, max, name } = decl.positionals;
    if (out.positionals.length < min) throw new UsageError(`${decl.name}: missing ${name} (usage: ${decl.usage})`);
    if (out.positionals.length > max) throw new UsageError(`${decl.name}: unexpected argument '${out.positionals[max]}' (usage: ${decl.usage})`);
  }
  return out;
}

export function numberOption(args: ParsedArgs, name: string, dflt: number): number {
  const v = args.strings.get(name);
  return v === undefined ? dflt : Number(v);
}

export function helpText(decl: CommandDecl): string {
  const lines = [`bpflab ${decl.usage}`, '', decl.summary, '', 'Options:'];
  for (const o of commandOptions(decl)) {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${o.name}${o.kind === 'flag' ? '' : ` ${o.valueName ?? o.name.toUpperCase()}`}`;
    lines.push(`  ${flag.padEnd(28)} ${o.description}`);
  }
  return lines.join('\n');
}
