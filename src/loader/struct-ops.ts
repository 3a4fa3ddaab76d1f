/**
 * struct_ops maps (`SEC(".struct_ops")` / `SEC(".struct_ops.link")` variables): which member of
 * which struct each program implements, as libbpf's bpf_object__collect_st_ops_relos finds it.
 * Each variable of the section's DATASEC is one map whose value is a kernel struct (e.g.
 * `struct tcp_congestion_ops`); a relocation at a function-pointer member names the program.
 * libbpf then loads the program with attach_btf_id = the kernel struct and
 * expected_attach_type = the member's index in the kernel's type (matched by name); the verifier
 * resolves those against the target kernel's BTF (src/verifier/struct-ops.ts).
 */
import type { Btf } from './btf/index.js';
import { SHT_REL, SHT_RELA, type ElfFile } from './elf-file.js';

/** The struct_ops map member a program implements. */
export interface StructOpsMember {
  /** The map (the variable's name). */
  map: string;
  /** The struct type, without a `___flavor` suffix (libbpf strips it to find the kernel type). */
  struct: string;
  member: string;
  /** libbpf refuses the load: the program serves two different members or struct types. */
  conflict?: string;
}

/** Whether a section holds struct_ops maps (libbpf: ".struct_ops", ".struct_ops.link"). */
export function isStructOpsSection(name: string): boolean {
  return name === '.struct_ops' || name === '.struct_ops.link';
}

/**
 * The members programs implement, keyed by `${section index}:${byte offset}` of the program's
 * function. Relocations libbpf refuses fail the object with its message.
 */
export function structOpsMembers(elf: ElfFile, btf: Btf | undefined, isProgram: (shndx: number, value: number) => boolean): Map<string, StructOpsMember> {
  const out = new Map<string, StructOpsMember>();
  for (const sec of elf.sections) {
    if (!isStructOpsSection(sec.name)) continue;
    if (!btf) throw elf.error(sec, sec.offset, `struct_ops init: DATASEC ${sec.name} not found (no BTF)`, 'elf_reloc');
    const ds = btf.find(sec.name, 'datasec')[0];
    if (!ds || ds.kind !== 'datasec') throw elf.error(sec, sec.offset, `struct_ops init: DATASEC ${sec.name} not found`, 'elf_reloc');
    const vars = ds.vars.map((vi) => {
      const v = btf.type(vi.type);
      const st = v?.kind === 'var' ? btf.skipMods(v.type) : undefined;
      if (!v || !st || st.kind !== 'struct') throw elf.error(sec, sec.offset + vi.offset, `struct_ops init: ${v?.name ?? `type ${vi.type}`} is not a struct`, 'elf_reloc');
      // The object's DATASEC offsets are 0 until libbpf fixes them up from the symbols (btf_fixup_datasec).
      const sym = elf.symbols.find((x) => x.shndx === sec.index && x.name === v.name);
      return { name: v.name, offset: sym ? sym.value : vi.offset, size: st.size, type: st };
    });
    for (const rsec of elf.sections) {
      if ((rsec.type !== SHT_REL && rsec.type !== SHT_RELA) || rsec.info !== sec.index) continue;
      elf.relocations(rsec).forEach((r, i) => {
        const at = rsec.offset + i * (rsec.type === SHT_RELA ? 24 : 16);
        const fail = (msg: string) => { throw elf.error(rsec, at, `struct_ops reloc ${sec.name}: ${msg}`, 'elf_reloc'); };
        const sym = elf.symbols[r.symbol];
        if (!sym) fail(`symbol ${r.symbol} out of range`);
        const v = vars.find((x) => r.offset >= x.offset && r.offset < x.offset + x.size);
        if (!v) fail(`cannot find struct_ops map at offset ${r.offset}`);
        const moff = r.offset - v!.offset;
        const m = v!.type.members.find((x) => x.bitOffset === moff * 8);
        if (!m) fail(`cannot find member at moff ${moff}`);
        const ptr = btf.skipMods(m!.type);
        const fp = ptr?.kind === 'ptr' ? btf.skipMods(ptr.type) : undefined;
        if (fp?.kind !== 'func_proto') fail(`member ${m!.name} is not func ptr`);
        if (!isProgram(sym!.shndx, sym!.value)) fail(`cannot find prog at shndx ${sym!.shndx} off ${sym!.value}`);
        const struct = v!.type.name.replace(/___.*$/, '');
        const key = `${sym!.shndx}:${sym!.value}`;
        const prev = out.get(key);
        // libbpf (bpf_map__init_kern_struct_ops): one program serves one struct type and member;
        // a second use fails the load of the program.
        if (prev && !prev.conflict && (prev.struct !== struct || prev.member !== m!.name))
          prev.conflict = `struct_ops init_kern ${v!.name}: Cannot use prog ${sym!.name} for ${struct}.${m!.name}: it already implements ${prev.struct}.${prev.member}`;
        if (!prev) out.set(key, { map: v!.name, struct, member: m!.name });
      });
    }
  }
  return out;
}
