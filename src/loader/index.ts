/**
 * Load any supported input into programs, choosing the format by content, then by extension
 * (SPEC section 2): ELF (\x7fELF), conformance .data, assembly .s/.asm, classic BPF .cbpf,
 * raw bytecode .bin or stdin.
 */
import { InputError } from '../isa/errors.js';
import { makeProgram, type ProgType, type Program } from '../isa/program.js';
import type { ElfObject } from './elf.js';

export type { ElfObject, ElfProgramInfo, RelocationCounts, CoreReloListing, MapSlotInit } from './elf.js';
export type { ElfMap, MapOrigin } from './elf-maps.js';
export { sectionType, ATTACH_TYPES, type SectionType, type AttachType } from './section-types.js';
export type { CbpfContext, ClassicInsn } from './cbpf.js';

export interface LoadOptions {
  /** Only programs from this ELF section (or with this name). */
  section?: string;
  /**
   * Program type for inputs that do not say (raw bytecode; default socket_filter). For ELF
   * objects it overrides the type from the section name (e.g. Cilium's "2/1" sections, which
   * libbpf's conventions leave 'unspec'); the expected attach type is then dropped.
   */
  type?: ProgType;
  /**
   * The target kernel's BTF: a raw BTF file (/sys/kernel/btf/vmlinux format) or an ELF object
   * carrying a .BTF section. Default: the running kernel's /sys/kernel/btf/vmlinux. CO-RE
   * relocations and `.ksyms` externs are resolved against it, as libbpf does at load.
   */
  btf?: string;
  /**
   * Leave CO-RE relocations unapplied (the kernel binding then hands the records to
   * BPF_PROG_LOAD, which applies them against the running kernel itself).
   */
  noCore?: boolean;
  /**
   * Older spelling: true applies CO-RE against the running kernel (now the default), a string
   * against that BTF file (= `btf`).
   */
  core?: boolean | string;
  /**
   * Files named inside an input (`-- mem @ FILE` in a .data file) may be absolute or outside the
   * input's folder (default: refused; see file-policy.ts).
   */
  allowOutsideFiles?: boolean;
}

/** A loaded file: its programs, plus the ELF object's details when it was one. */
export interface LoadedFile {
  programs: Program[];
  elf?: ElfObject;
}

/** Loads every program in a file. Throws InputError naming the file and place on bad input. */
export async function loadFile(path: string, bytes: Uint8Array, opts: LoadOptions = {}): Promise<Program[]> {
  return (await loadFileDetailed(path, bytes, opts)).programs;
}

/** loadFile, keeping the ELF object (maps with their origin, BTF, per-program details) too. */
export async function loadFileDetailed(path: string, bytes: Uint8Array, opts: LoadOptions = {}): Promise<LoadedFile> {
  const isElf = bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  const lower = path.toLowerCase();
  if (!isElf && /\.(c|h|cc|cpp|bpf\.c)$/.test(lower))
    throw new InputError('format', `${path}: C source, not a program: compile it with clang first (clang -O2 -g --target=bpf -c ${path} -o ${path.replace(/\.[^./]+$/, '')}.o)`);
  let programs: Program[];
  let elf: ElfObject | undefined;
  if (isElf) {
    const { loadElf } = await import('./elf.js');
    const { resolveExterns } = await import('./elf-externs.js');
    const { targetFor } = await import('./target.js');
    elf = loadElf(bytes, path);
    // .kconfig / .ksyms externs are filled from the target kernel before anything else (libbpf's bpf_object__resolve_externs).
    programs = elf.programs = resolveExterns(elf, targetFor(opts));
  } else if (lower.endsWith('.data')) {
    const { loadConformanceProgram } = await import('./conformance.js');
    programs = [loadConformanceProgram(text(bytes, path), path, opts)];
  } else if (lower.endsWith('.cbpf')) {
    const { loadCbpf } = await import('./cbpf.js');
    programs = [loadCbpf(text(bytes, path), path)];
  } else if (lower.endsWith('.s') || lower.endsWith('.asm')) {
    const { loadAsmProgram } = await import('./asm.js');
    programs = [loadAsmProgram(text(bytes, path), path, opts)];
  } else if (lower.endsWith('.bin') || path === '-' || lower.endsWith('.o') === false) {
    const { loadRaw } = await import('./raw.js');
    programs = [loadRaw(bytes, path, opts)];
  } else {
    throw new InputError('format', `${path}: not an ELF object (bad magic)`);
  }
  if (opts.section !== undefined) {
    const sel = programs.filter((p) => p.section === opts.section || p.name === opts.section);
    if (sel.length === 0)
      throw new InputError('no_program', `${path}: no program in section '${opts.section}' (have: ${programs.map((p) => p.section || p.name).join(', ')})`);
    programs = sel;
  }
  if (opts.type !== undefined) {
    const type = opts.type;
    const btf = elf?.btf;
    const { retypeFuncInfo } = elf ? await import('./elf.js') : { retypeFuncInfo: undefined };
    programs = programs.map((p) => {
      if (p.type === type) return p;
      // Which argument is the context depends on the program type.
      const funcInfo = btf && retypeFuncInfo ? retypeFuncInfo(p, btf, type) : undefined;
      return makeProgram({ ...p, type, expectedAttachType: undefined, funcInfo: funcInfo ?? p.funcInfo });
    });
  }
  if (elf) {
    const { targetFor } = await import('./target.js');
    const target = targetFor(opts);
    if (!opts.noCore && opts.core !== false && programs.some((p) => p.btf?.coreRelos?.length)) {
      const btf = target.btf();
      if (btf) {
        const { applyCoreRelocations, CoreRelocationError } = await import('./core.js');
        // A .text subprogram's relocation that fails fails every load of the object.
        let textFailure: string | undefined;
        for (const t of elf.textCore ?? []) {
          try {
            applyCoreRelocations(t, btf, elf.btf);
          } catch (e) {
            if (!(e instanceof CoreRelocationError)) throw e;
            textFailure = e.message;
            break;
          }
        }
        programs = programs.map((p) => {
          if (textFailure !== undefined && !p.loadError) return makeProgram({ ...p, loadError: { pc: 0, message: textFailure } });
          try {
            return applyCoreRelocations(p, btf, elf.btf).program;
          } catch (e) {
            // bpf_object__relocate_core relocates only the programs being loaded (it skips those
            // not autoloaded): a relocation that fails fails the load of its program, not the
            // other programs of the object, each loaded alone.
            if (!(e instanceof CoreRelocationError) || p.loadError) throw e;
            return makeProgram({ ...p, loadError: { pc: Math.min(e.pc, p.insns.length - 1), message: e.message } });
          }
        });
      } else elf.warnings.push(`CO-RE relocations left unapplied: ${target.btfError()}`);
    }
  }
  if (elf && (opts.btf !== undefined || typeof opts.core === 'string')) {
    const targetBtf = opts.btf ?? (opts.core as string);
    programs = programs.map((p) => makeProgram({ ...p, targetBtf }));
  }
  return elf ? { programs, elf } : { programs };
}

function text(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError('format', `${path}: not valid UTF-8 text`);
  }
}
