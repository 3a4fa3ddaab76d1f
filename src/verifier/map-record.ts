/**
 * The special fields of a map's value (the kernel's btf_record, from btf_parse_fields over the
 * value's BTF type) and check_map_prog_compatibility, which refuses some of them to some program
 * types when an ld_imm64 names the map, before any path is explored.
 */
import type { MapSpec, Program, ProgType } from '../isa/program.js';
import { parseBtf, type Btf } from '../loader/btf/index.js';

export type SpecialField = 'spin_lock' | 'res_spin_lock' | 'timer' | 'wq' | 'list_head' | 'rb_root';

const FIELD_STRUCTS: Readonly<Record<string, SpecialField>> = {
  bpf_spin_lock: 'spin_lock', bpf_res_spin_lock: 'res_spin_lock', bpf_timer: 'timer', bpf_wq: 'wq',
  bpf_list_head: 'list_head', bpf_rb_root: 'rb_root',
};

const parsed = new WeakMap<Uint8Array, Btf | null>();

function programBtf(program: Program): Btf | null {
  const raw = program.btf?.raw;
  if (!raw) return null;
  let b = parsed.get(raw);
  if (b === undefined) {
    try { b = parseBtf(raw, program.file ?? program.name); } catch { b = null; }
    parsed.set(raw, b);
  }
  return b;
}

/** The special fields anywhere in the map's value type (nested structs and arrays included). */
export function mapSpecialFields(program: Program, map: MapSpec): Set<SpecialField> {
  const out = new Set<SpecialField>();
  const btf = map.btfValueTypeId ? programBtf(program) : null;
  if (!btf) return out;
  const seen = new Set<number>();
  const walk = (id: number, depth: number): void => {
    const t = btf.skipMods(id);
    if (!t || depth > 16 || seen.has(t.id)) return;
    if (t.kind === 'struct' || t.kind === 'union') {
      const f = FIELD_STRUCTS[t.name];
      if (f) { out.add(f); return; }
      seen.add(t.id);
      for (const m of t.members) walk(m.type, depth + 1);
      seen.delete(t.id);
    } else if (t.kind === 'array') walk(t.type, depth + 1);
    else if (t.kind === 'datasec') for (const v of t.vars) walk(v.type, depth + 1);
    else if (t.kind === 'var') walk(t.type, depth + 1);
  };
  walk(map.btfValueTypeId!, 0);
  return out;
}

/** is_tracing_prog_type. */
const TRACING_TYPES: ReadonlySet<ProgType> = new Set(['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint', 'raw_tracepoint_writable']);

/** check_map_prog_compatibility for the special fields: the kernel's message, or null. */
export function mapProgIncompatibility(program: Program, map: MapSpec): string | null {
  const fields = mapSpecialFields(program, map);
  if (fields.size === 0) return null;
  const tracing = TRACING_TYPES.has(program.type);
  if ((fields.has('list_head') || fields.has('rb_root')) && tracing) return 'tracing progs cannot use bpf_{list_head,rb_root} yet';
  if (fields.has('spin_lock') || fields.has('res_spin_lock')) {
    if (program.type === 'socket_filter') return 'socket filter progs cannot use bpf_spin_lock yet';
    if (tracing) return 'tracing progs cannot use bpf_spin_lock yet';
  }
  if (fields.has('timer') && tracing) return 'tracing progs cannot use bpf_timer yet';
  if (fields.has('wq') && tracing) return 'tracing progs cannot use bpf_wq yet';
  return null;
}
