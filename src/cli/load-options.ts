/**
 * The input options every program-taking command shares (--section, --type, --btf, --no-core), declared
 * once so that their parsing, help text and meaning stay the same everywhere.
 */
import { PROG_TYPES, type ProgType } from '../isa/program.js';
import type { LoadOptions } from '../loader/index.js';
import type { OptionDecl, ParsedArgs } from './args.js';

export const LOAD_OPTIONS: readonly OptionDecl[] = [
  { name: 'section', kind: 'string', valueName: 'S', description: 'only the program(s) in ELF section S (or named S)' },
  { name: 'type', kind: 'string', valueName: 'T', choices: Object.keys(PROG_TYPES), description: "program type for inputs that do not say (default socket_filter); overrides an ELF section's type" },
  { name: 'btf', kind: 'string', valueName: 'FILE', description: "the target kernel's BTF (raw vmlinux BTF or an ELF with .BTF) for CO-RE, .ksyms and typed contexts (default /sys/kernel/btf/vmlinux)" },
  { name: 'no-core', kind: 'flag', description: 'leave CO-RE relocations unapplied (by default they are applied against the target BTF, as libbpf does)' },
  { name: 'core', kind: 'flag', description: 'apply CO-RE relocations (the default; kept for older scripts)' },
  { name: 'allow-outside-files', kind: 'flag', description: "let .data files include files (-- NAME @ FILE) outside their own folder" },
];

export function loadOptionsFrom(args: ParsedArgs): LoadOptions {
  const section = args.strings.get('section');
  const type = args.strings.get('type') as ProgType | undefined;
  const btf = args.strings.get('btf');
  return {
    ...(btf !== undefined && { btf }),
    ...(args.flags.has('no-core') && { noCore: true }),
    ...(section !== undefined && { section }),
    ...(type !== undefined && { type }),
    ...(args.flags.has('core') && { core: true }),
    ...(args.flags.has('allow-outside-files') && { allowOutsideFiles: true }),
  };
}
