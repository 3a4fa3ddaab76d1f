/**
 * Tracing contexts (kernel/trace/bpf_trace.c): kprobe's `struct pt_regs` (x86_64, 168 bytes),
 * perf_event's `struct bpf_perf_event_data`, the tracepoint raw record and raw_tracepoint's u64 args[].
 * All read-only.
 */
import { type AccessKind, type CtxAccess, type CtxField, type CtxLayout, deny, field, fieldAt, narrowOk } from './types.js';

const X86_64_REGS = ['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss'];
export const PT_REGS_SIZE = 168;
export const PT_REGS_FIELDS: readonly CtxField[] = X86_64_REGS.map((n, i) => field(n, i * 8, 8));
/** Offsets of the x86_64 calling-convention argument registers (PT_REGS_PARM1..6: di si dx cx r8 r9) and the return value (ax). */
export const PT_REGS_PARM = [112, 104, 96, 88, 72, 64] as const;
export const PT_REGS_RC = 80;

/** kprobe_prog_is_valid_access: any aligned read inside pt_regs. */
function kprobeAccess(off: number, size: number, kind: AccessKind): CtxAccess {
  if (off < 0 || off >= PT_REGS_SIZE) return deny(`offset ${off} outside pt_regs`);
  if (kind !== 'read') return deny('pt_regs is read-only');
  if (off % size !== 0) return deny(`misaligned ctx access off=${off} size=${size}`);
  if (off + size > PT_REGS_SIZE) return deny('access past pt_regs');
  return { ok: true, field: fieldAt(PT_REGS_FIELDS, off), fieldSize: size };
}
export const KPROBE_CTX: CtxLayout = { struct: 'pt_regs', size: PT_REGS_SIZE, fields: PT_REGS_FIELDS, access: kprobeAccess, ldAbs: false };

export const PERF_EVENT_DATA_SIZE = 184;
export const PERF_EVENT_FIELDS: readonly CtxField[] = [
  ...PT_REGS_FIELDS.map((f) => field(`regs.${f.name}`, f.off, 8)),
  field('sample_period', 168, 8), field('addr', 176, 8),
];
/** pe_prog_is_valid_access: regs as whole u64s; sample_period and addr also narrow. */
function perfEventAccess(off: number, size: number, kind: AccessKind): CtxAccess {
  if (off < 0 || off >= PERF_EVENT_DATA_SIZE) return deny(`offset ${off} outside bpf_perf_event_data`);
  if (kind !== 'read') return deny('bpf_perf_event_data is read-only');
  if (off % size !== 0) return deny(`misaligned ctx access off=${off} size=${size}`);
  const f = fieldAt(PERF_EVENT_FIELDS, off)!;
  if (f.name === 'sample_period' || f.name === 'addr') {
    if (!narrowOk(size, 8)) return deny(`bad size ${size}`);
    return { ok: true, field: f, fieldSize: 8 };
  }
  if (size !== 8) return deny('regs need 8-byte loads');
  return { ok: true, field: f, fieldSize: 8 };
}
export const PERF_EVENT_CTX: CtxLayout = { struct: 'bpf_perf_event_data', size: PERF_EVENT_DATA_SIZE, fields: PERF_EVENT_FIELDS, access: perfEventAccess, ldAbs: false };

/** PERF_MAX_TRACE_SIZE (8192 in Linux 6.18): the tracepoint record the verifier lets a program read. */
export const TRACEPOINT_MAX = 8192;
/**
 * tp_prog_is_valid_access: the first 8 bytes (common_type, flags, preempt_count, pid) are hidden.
 * Its lower bound is `off < sizeof(void *)`, an unsigned comparison in C: a negative offset
 * converts to a huge size_t and passes, and the upper bound `off >= PERF_MAX_TRACE_SIZE` is
 * signed, so Linux accepts reads below the record (at offsets that are multiples of the size,
 * C's `%` keeping the sign). Modelled as the kernel does it.
 */
function tracepointAccess(off: number, size: number, kind: AccessKind): CtxAccess {
  if ((off >= 0 && off < 8) || off >= TRACEPOINT_MAX) return deny(`offset ${off} outside the readable tracepoint record [8, ${TRACEPOINT_MAX})`);
  if (kind !== 'read') return deny('tracepoint records are read-only');
  if (off % size !== 0) return deny(`misaligned ctx access off=${off} size=${size}`);
  return { ok: true, field: null, fieldSize: size };
}
export const TRACEPOINT_CTX: CtxLayout = {
  struct: 'tracepoint record', size: TRACEPOINT_MAX,
  fields: [field('common_type', 0, 2), field('common_flags', 2, 1), field('common_preempt_count', 3, 1), field('common_pid', 4, 4)],
  access: tracepointAccess, ldAbs: false,
};

/** MAX_BPF_FUNC_ARGS: raw_tracepoint's ctx is u64 args[12]. */
export const RAW_TP_ARGS = 12;
function rawTpAccess(off: number, size: number, kind: AccessKind): CtxAccess {
  if (off < 0 || off >= RAW_TP_ARGS * 8) return deny(`offset ${off} outside args[${RAW_TP_ARGS}]`);
  if (kind !== 'read') return deny('raw tracepoint args are read-only');
  if (off % size !== 0) return deny(`misaligned ctx access off=${off} size=${size}`);
  return { ok: true, field: fieldAt(RAW_TP_FIELDS, off), fieldSize: size };
}
const RAW_TP_FIELDS: readonly CtxField[] = Array.from({ length: RAW_TP_ARGS }, (_, i) => field(`args[${i}]`, i * 8, 8));
export const RAW_TRACEPOINT_CTX: CtxLayout = { struct: 'bpf_raw_tracepoint_args', size: RAW_TP_ARGS * 8, fields: RAW_TP_FIELDS, access: rawTpAccess, ldAbs: false };

/**
 * raw_tp_writable_prog_is_valid_access: a writable raw tracepoint's first argument (a full
 * 8-byte read) is the tracepoint's buffer, PTR_TO_TP_BUFFER; the other arguments as raw_tracepoint's.
 */
function rawTpWritableAccess(off: number, size: number, kind: AccessKind): CtxAccess {
  if (off === 0 && (size !== 8 || kind !== 'read')) return deny('the tracepoint buffer pointer (args[0]) is read whole');
  const a = rawTpAccess(off, size, kind);
  return a.ok && off === 0 ? { ...a, pointer: 'tp_buffer' } : a;
}
export const RAW_TRACEPOINT_WRITABLE_CTX: CtxLayout = { ...RAW_TRACEPOINT_CTX, access: rawTpWritableAccess };
