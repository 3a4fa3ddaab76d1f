/**
 * The running kernel's symbol table (/proc/kallsyms): libbpf resolves typeless `.ksyms` through
 * it, and the verifier's check_pseudo_btf_id asks kallsyms_lookup_name for every typed kernel
 * variable an ld_imm64 names. A kernel built without CONFIG_KALLSYMS_ALL lists only a few data
 * symbols, so there such loads fail ("ldimm64 failed to find the address for kernel symbol").
 */
import { existsSync, readFileSync } from 'node:fs';

let table: Map<string, bigint> | undefined;
let readable = false;

function load(): Map<string, bigint> {
  if (table) return table;
  table = new Map();
  try {
    if (existsSync('/proc/kallsyms')) {
      for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
        const [addr, , sym] = line.split(/\s+/);
        if (addr && sym && !table.has(sym)) table.set(sym, BigInt(`0x${addr}`));
      }
      readable = table.size > 0;
    }
  } catch {
    // not readable: nothing is known
  }
  return table;
}

/** The address of a kernel symbol (0 when kptr_restrict hides addresses), or undefined. */
export function kallsymsAddr(name: string): bigint | undefined {
  return load().get(name);
}

/** Whether the running kernel's kallsyms_lookup_name finds `name`; true when /proc/kallsyms cannot be read. */
export function kallsymsHas(name: string): boolean {
  const t = load();
  return !readable || t.has(name);
}
