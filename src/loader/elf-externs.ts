/**
 * `.kconfig` and `.ksyms` externs resolved as libbpf 1.x resolves them at load
 * (bpf_object__resolve_externs, bpf_object__relocate_data):
 * - `.kconfig` variables (LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE, LINUX_HAS_SYSCALL_WRAPPER,
 *   CONFIG_*) are laid out in one read-only array map, filled from the target kernel and frozen;
 *   each ld_imm64 becomes a map-value address into it;
 * - `.ksyms` functions (kfuncs) are found by name in the target's BTF: calls become
 *   BPF_PSEUDO_KFUNC_CALL with the kernel's FUNC id; typed variables become BPF_PSEUDO_BTF_ID
 *   loads of the kernel's VAR (or FUNC) id; typeless ones take their /proc/kallsyms address.
 * A weak extern that cannot be resolved is zero (kfunc calls to it stay poisoned: a call of
 * helper 2002000000 + extern index, which the verifier refuses where it is reachable); a strong
 * one fails the programs that refer to it, which keep that poisoned instruction, and a warning
 * says why (libbpf would refuse the object: bpflab keeps the other programs verifiable).
 */
import { type Insn, makeInsn } from '../isa/insn.js';
import { BPF_LD_IMM64, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_VALUE } from '../isa/opcodes.js';
import { makeMapSpec, makeProgram, type MapSpec, type Program } from '../isa/program.js';
import { kconfigLayout, type Btf, type KcfgType } from './btf/index.js';
import { typesCompat } from './core.js';
import type { ElfExtern, ElfObject } from './elf.js';
import { BPF_F_RDONLY_PROG, internalMapName, objectName } from './elf-maps.js';
import { kallsymsAddr } from './kallsyms.js';
import type { TargetKernel } from './target.js';

/** KERNEL_VERSION(a, b, c) of a release string, the patch level capped at 255 as libbpf does. */
export function kernelVersionCode(rel: string): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(rel);
  if (!m) return 0;
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(Number(m[3] ?? 0), 255);
}

/**
 * The value of a LINUX_* variable, from the target kernel: libbpf probes the running kernel;
 * bpflab reads the same facts from the target's BTF so that `--btf` answers for that kernel
 * (a helper exists when `enum bpf_func_id` has it; the syscall wrapper when `__x64_sys_bpf` is a function).
 */
function linuxValue(name: string, target: TargetKernel): bigint | string {
  switch (name) {
    case 'LINUX_KERNEL_VERSION': return BigInt(kernelVersionCode(target.release));
    case 'LINUX_HAS_BPF_COOKIE': {
      const btf = target.btf();
      if (!btf) return 'needs the target kernel BTF';
      const ids = btf.find('bpf_func_id', 'enum')[0];
      return ids?.kind === 'enum' && ids.values.some((v) => v.name === 'BPF_FUNC_get_attach_cookie') ? 1n : 0n;
    }
    case 'LINUX_HAS_SYSCALL_WRAPPER': {
      const btf = target.btf();
      if (!btf) return 'needs the target kernel BTF';
      return btf.find('__x64_sys_bpf', 'func').length > 0 ? 1n : 0n;
    }
    default: return `unrecognized extern '${name}'`;
  }
}

/** libbpf's set_kcfg_value_*: writes a CONFIG_ value; an error string when it does not fit the type. */
function setKcfg(buf: Uint8Array, off: number, size: number, type: KcfgType, raw: string): string | undefined {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (raw === 'y' || raw === 'n' || raw === 'm') {
    switch (type.kind) {
      case 'bool':
        if (raw === 'm') return `value '${raw}' isn't boolean compatible`;
        buf[off] = raw === 'y' ? 1 : 0;
        return undefined;
      case 'tristate':
        dv.setUint32(off, raw === 'y' ? 1 : raw === 'n' ? 0 : 2, true);
        return undefined;
      case 'char':
        buf[off] = raw.charCodeAt(0);
        return undefined;
      default: return `value '${raw}' isn't compatible with its type`;
    }
  }
  if (raw.startsWith('"')) {
    if (type.kind !== 'char_arr') return `value '${raw}' isn't a string`;
    const str = raw.slice(1, raw.endsWith('"') ? -1 : undefined);
    const bytes = new TextEncoder().encode(str);
    buf.set(bytes.subarray(0, size - 1), off);
    return undefined;
  }
  if (type.kind !== 'int' && type.kind !== 'char') return `value '${raw}' isn't compatible with its type`;
  let v: bigint;
  try {
    v = BigInt(raw.trim());
  } catch {
    return `can't parse '${raw}' as a number`;
  }
  const bits = BigInt(size * 8);
  const signed = (type.kind === 'int' || type.kind === 'char') && type.signed;
  // is_kcfg_value_in_range: 8-byte values always fit
  const fits = size === 8 ? v >= -(1n << 63n) && v < 1n << 64n : signed ? v >= -(1n << (bits - 1n)) && v < 1n << (bits - 1n) : v >= 0n && v < 1n << bits;
  if (!fits) return `value '${raw}' doesn't fit in ${size} bytes`;
  const u = BigInt.asUintN(64, v);
  for (let i = 0; i < size; i++) buf[off + i] = Number((u >> BigInt(8 * i)) & 0xffn);
  return undefined;
}

/** How one extern was resolved. */
type Resolved =
  | { kind: 'kconfig'; off: number }
  | { kind: 'btf_id'; id: number }
  | { kind: 'kfunc'; id: number }
  | { kind: 'addr'; value: bigint }
  | { kind: 'unresolved'; why: string };

/**
 * Resolves `elf`'s externs against `target` and returns its programs with every extern
 * reference patched (the `.kconfig` map appended to their maps). Programs without externs are
 * returned as they are.
 */
export function resolveExterns(elf: ElfObject, target: TargetKernel): Program[] {
  if (elf.externs.length === 0) return elf.programs;
  const btf = elf.btf!;
  const resolved: Resolved[] = new Array(elf.externs.length);

  // .kconfig layout (libbpf sorts by alignment descending, then size, then name).
  const kcfg = elf.externs.map((e, i) => ({ e, i })).filter(({ e }) => e.section === '.kconfig');
  const layout = kconfigLayout(btf, kcfg.map(({ e, i }) => ({ item: { e, i }, name: e.name, varId: e.btfId })));
  for (const r of layout.refused) resolved[r.item.i] = { kind: 'unresolved', why: `extern (kcfg) '${r.item.e.name}': ${r.why}` };
  const laid = layout.laid.map((k) => ({ i: k.item.i, e: k.item.e, size: k.size, type: k.type }));
  const size = layout.size;
  const offs = new Map<number, number>(layout.laid.map((k) => [k.item.i, k.off]));
  let kconfigMap: MapSpec | undefined;
  if (laid.length) {
    const data = new Uint8Array(size);
    const config = laid.some((k) => k.e.name.startsWith('CONFIG_')) ? target.kconfig() : new Map<string, string>();
    for (const k of laid) {
      const off = offs.get(k.i)!;
      let err: string | undefined;
      if (k.e.name.startsWith('LINUX_')) {
        const v = linuxValue(k.e.name, target);
        if (typeof v === 'string') err = v;
        else if (k.type.kind === 'bool' || k.type.kind === 'int' || k.type.kind === 'tristate') err = setKcfg(data, off, k.size, k.type.kind === 'int' ? k.type : { kind: 'int', signed: false }, String(v));
        else err = 'type is unsupported';
      } else if (k.e.name.startsWith('CONFIG_')) {
        const raw = config.get(k.e.name);
        if (raw === undefined) err = k.e.weak ? undefined : 'value not found';
        else err = setKcfg(data, off, k.size, k.type, raw);
      } else err = `unrecognized extern '${k.e.name}'`;
      resolved[k.i] = err && !k.e.weak ? { kind: 'unresolved', why: `extern (kcfg) '${k.e.name}': ${err}` } : { kind: 'kconfig', off };
    }
    // libbpf's .kconfig internal map: read-only for programs, frozen after it is filled.
    kconfigMap = makeMapSpec({
      name: internalMapName(objectName(elf.programs[0]?.file ?? 'obj'), '.kconfig'), type: 'array', keySize: 4, valueSize: Math.max(size, 1),
      maxEntries: 1, flags: BPF_F_RDONLY_PROG, initial: data, readonly: true,
    });
  }

  // .ksyms
  elf.externs.forEach((e, i) => {
    if (e.section !== '.ksyms') return;
    const fail = (why: string): Resolved => ({ kind: 'unresolved', why });
    const kb = target.btf();
    const local = btf.type(e.btfId)!;
    if (e.func) {
      if (!kb) { resolved[i] = fail(`extern (func ksym) '${e.name}': ${target.btfError()}`); return; }
      const kf = kb.find(e.name, 'func')[0];
      if (!kf || kf.kind !== 'func' || local.kind !== 'func') { resolved[i] = fail(`extern (func ksym) '${e.name}': not found in kernel or module BTFs`); return; }
      if (!typesCompat(btf, local.type, kb, kf.type)) { resolved[i] = fail(`extern (func ksym) '${e.name}': func_proto [${local.type}] incompatible with ${target.btfPath} [${kf.type}]`); return; }
      resolved[i] = { kind: 'kfunc', id: kf.id };
      return;
    }
    if (local.kind !== 'var') { resolved[i] = fail(`extern (var ksym) '${e.name}': not a variable`); return; }
    const vt = btf.skipMods(local.type);
    if (!vt || vt.kind === 'void') {
      const addr = kallsymsAddr(e.name);
      resolved[i] = addr === undefined ? fail(`extern (ksym) '${e.name}': not found in /proc/kallsyms`) : { kind: 'addr', value: addr };
      return;
    }
    if (!kb) { resolved[i] = fail(`extern (var ksym) '${e.name}': ${target.btfError()}`); return; }
    const kv = kb.find(e.name, 'var')[0];
    if (!kv || kv.kind !== 'var') { resolved[i] = fail(`extern (var ksym) '${e.name}': not found in kernel BTF`); return; }
    if (!typesCompat(btf, local.type, kb, kv.type)) { resolved[i] = fail(`extern (var ksym) '${e.name}': incompatible types, expected ${btf.format(local.type)}, but kernel has ${kb.format(kv.type)}`); return; }
    resolved[i] = { kind: 'btf_id', id: kv.id };
  });

  const unresolvedStrong = new Set<number>();
  elf.externs.forEach((e, i) => {
    const r = resolved[i]!;
    if (r.kind !== 'unresolved') return;
    if (e.weak) return;
    unresolvedStrong.add(i);
    elf.warnings.push(`${r.why} (the programs that use it fail to load)`);
  });

  const kconfigIndex = elf.maps.length;
  if (kconfigMap) elf.maps.push(kconfigMap);
  return elf.programs.map((p, pi) => {
    const relos = elf.details[pi]?.externRelos ?? [];
    const maps = kconfigMap ? elf.maps : p.maps;
    if (relos.length === 0) return maps === p.maps ? p : makeProgram({ ...p, maps });
    const insns: Insn[] = p.insns.slice();
    for (const { pc, extern, ld: isLd, dst } of relos) {
      const r = resolved[extern]!;
      if (unresolvedStrong.has(extern)) continue; // stays poisoned
      if (!isLd) {
        // A call: to the kfunc, or (weak, unresolved) left poisoned.
        if (r.kind === 'kfunc') insns[pc] = makeInsn(0x85, 0, BPF_PSEUDO_KFUNC_CALL, 0, r.id);
        continue;
      }
      const ld = (src: number, lo: number, hi: number) => {
        insns[pc] = makeInsn(BPF_LD_IMM64, dst, src, 0, lo | 0);
        insns[pc + 1] = makeInsn(0, 0, 0, 0, hi | 0);
      };
      switch (r.kind) {
        case 'kconfig': ld(BPF_PSEUDO_MAP_VALUE, kconfigIndex, r.off); break;
        case 'btf_id': case 'kfunc': ld(BPF_PSEUDO_BTF_ID, r.id, 0); break;
        case 'addr': ld(0, Number(r.value & 0xffffffffn), Number(r.value >> 32n)); break;
        case 'unresolved': ld(0, 0, 0); break; // weak: zero
      }
    }
    return makeProgram({ ...p, insns, maps });
  });
}
