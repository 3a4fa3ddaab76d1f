/**
 * The context of a BTF-typed program run over the world: the attach target's arguments as u64
 * slots (what the trampoline saves, what btf_ctx_access reads), then the return value for
 * fexit / fmod_ret / lsm. Arguments come from the description's "args"; one left out is, for a
 * pointer to a struct, the world's object of that type (the current task for a task_struct)
 * or a new zeroed one, and 0 otherwise. Iterators get their bpf_iter_meta (with a seq_file)
 * and the object of this step (NULL at the end, as bpf_iter's stop call).
 */
import type { Program } from '../../isa/program.js';
import { ATTACH_TYPES } from '../../loader/section-types.js';
import { type TracingTarget, isBtfCtxProgram, tracingTarget } from '../../verifier/tracing-ctx.js';
import { type CtxHandler, type Memory, MemoryFault } from '../memory.js';
import { PT_REGS_PARM, PT_REGS_RC } from '../context/tracing.js';
import type { FieldValue } from './description.js';
import { composite, memberPath, pointee, writeInt } from './layout.js';
import { type KernelObject, type KernelWorld, WorldError } from './world.js';

/** Whether `program` has a BTF-typed context (tp_btf, fentry/fexit/fmod_ret, lsm, iter). */
export function hasBtfContext(program: Program, expectedAttachType?: number): boolean {
  return isBtfCtxProgram(program.type, expectedAttachType ?? program.expectedAttachType);
}

/** The attach target of a BTF-typed program in the world's BTF, or why it has none. */
export function attachTarget(w: KernelWorld, program: Program): TracingTarget | string {
  return tracingTarget(w.btf, program.type, program.expectedAttachType ?? 0, program.attachTo);
}

/**
 * The objects an iterator visits: those of its second argument's type (`struct task_struct *task`
 * of bpf_iter__task), tasks by pid as the pid IDR is walked, others in description order.
 */
export function iterObjects(w: KernelWorld, t: TracingTarget): KernelObject[] {
  const p = t.params[1] ? pointee(w.btf, t.params[1].type) : undefined;
  if (!p || (p.kind !== 'struct' && p.kind !== 'union')) return [];
  const objs = w.ofType(p.name).filter((o) => !o.name.startsWith('iter_'));
  if (p.name !== 'task_struct') return objs;
  return objs.map((o) => ({ o, pid: Number(BigInt.asIntN(32, w.field(o, 'pid') ?? 0n)) })).sort((a, b) => a.pid - b.pid).map((x) => x.o);
}

/** What an iterator run is at: the seq_num of this call and its object (undefined: the final call). */
export interface IterStep {
  seqNum: number;
  object: KernelObject | undefined;
}

/** The default value of argument `i` (type `type`). */
function defaultArg(w: KernelWorld, type: number, i: number): bigint {
  const p = pointee(w.btf, type);
  if (!p || (p.kind !== 'struct' && p.kind !== 'union')) return 0n;
  const have = p.name === 'task_struct' && w.current ? w.current : w.ofType(p.name)[0];
  if (have) return w.pointer(have);
  // a struct path: the first file's f_path (what dentry_open, vfs_* and security_path_* are given)
  const file = p.name === 'path' ? w.ofType('file')[0] : undefined;
  const fpath = file && memberPath(w.btf, file.typeId, 'f_path');
  if (file && fpath && typeof fpath !== 'string') return w.pointer(file, fpath.off);
  return w.pointer(w.add(`arg${i}`, p.id));
}

/** The u64 slots of the context (12 at most, MAX_BPF_FUNC_ARGS, plus the return value). */
export function tracingArgs(w: KernelWorld, t: TracingTarget, args: readonly FieldValue[] | undefined, ret: FieldValue | undefined, iter?: IterStep): Uint8Array {
  const n = t.params.length + (t.retSlot ? 1 : 0);
  const bytes = new Uint8Array(Math.max(8, n * 8));
  // BPF_PROG(name, args..., ret): the return value may be given as one more argument
  if (args && t.retSlot && args.length === t.params.length + 1) { ret ??= args[t.params.length]; args = args.slice(0, -1); }
  if (args && args.length > t.params.length) throw new WorldError(`args: ${args.length} values for ${t.name}'s ${t.params.length} arguments${t.retSlot ? ' and its return value' : ''}`);
  t.params.forEach((p, i) => {
    let v: bigint;
    if (t.attach === ATTACH_TYPES.trace_iter && iter) v = i === 0 ? iterMeta(w, iter.seqNum) : iter.object ? w.pointer(iter.object) : 0n;
    else if (args?.[i] !== undefined) v = argValue(w, p.type, args[i]!, `args[${i}] (${p.name || `arg${i}`})`);
    else v = defaultArg(w, p.type, i);
    writeInt(bytes, i * 8, 8, v);
  });
  if (t.retSlot && ret !== undefined) writeInt(bytes, t.params.length * 8, 8, argValue(w, t.ret, ret, 'ret'));
  return bytes;
}

/**
 * kprobe / kretprobe over the world: PT_REGS_PARM1..6 from "args" (typed by the probed function's
 * BTF prototype when the kernel has it: a missing pointer argument is the world's object, as for
 * fentry) and, for kretprobes, the return register from "ret". Writes into the pt_regs bytes.
 */
export function fillKprobeRegs(w: KernelWorld, program: Program, regs: Uint8Array, args: readonly FieldValue[] | undefined, ret: FieldValue | undefined): void {
  const fname = program.attachTo?.split('+')[0];
  const fn = fname ? w.btf.find(fname, 'func')[0] : undefined;
  const proto = fn?.kind === 'func' ? w.btf.skipMods(fn.type) : undefined;
  const params = proto?.kind === 'func_proto' ? proto.params : [];
  if (args && args.length > PT_REGS_PARM.length) throw new WorldError(`args: ${args.length} values, but pt_regs passes ${PT_REGS_PARM.length} arguments`);
  for (let i = 0; i < PT_REGS_PARM.length; i++) {
    const type = params[i]?.type;
    const given = args?.[i];
    let v: bigint | undefined;
    if (given !== undefined) v = type !== undefined ? argValue(w, type, given, `args[${i}]`) : w.pointerValue(given, 0, `args[${i}]`);
    else if (type !== undefined) v = defaultArg(w, type, i);
    if (v !== undefined) writeInt(regs, PT_REGS_PARM[i]!, 8, v);
  }
  if (ret !== undefined && program.section.startsWith('kretprobe')) writeInt(regs, PT_REGS_RC, 8, proto?.kind === 'func_proto' ? argValue(w, proto.type, ret, 'ret') : w.pointerValue(ret, 0, 'ret'));
}

/**
 * raw_tp (BPF_PROG_TYPE_RAW_TRACEPOINT) over the world: args[] from "args", typed by the
 * tracepoint's btf_trace_NAME prototype when the kernel has it (missing pointers default as
 * for tp_btf). Writes into the u64 args[] bytes.
 */
export function fillRawTpArgs(w: KernelWorld, program: Program, slots: Uint8Array, args: readonly FieldValue[] | undefined): void {
  const t = tracingTarget(w.btf, 'tracing', ATTACH_TYPES.trace_raw_tp, program.attachTo);
  const params = typeof t === 'string' ? [] : t.params;
  const n = Math.min(slots.length / 8, Math.max(params.length, args?.length ?? 0));
  if (args && args.length > slots.length / 8) throw new WorldError(`args: ${args.length} values for a raw tracepoint's ${slots.length / 8} slots`);
  for (let i = 0; i < n; i++) {
    const type = params[i]?.type;
    const given = args?.[i];
    const v = given !== undefined ? (type !== undefined ? argValue(w, type, given, `args[${i}]`) : w.pointerValue(given, 0, `args[${i}]`)) : type !== undefined ? defaultArg(w, type, i) : 0n;
    writeInt(slots, i * 8, 8, v);
  }
}

/** One argument: pointers as in field values, integers sign-extended to the 64-bit slot. */
function argValue(w: KernelWorld, type: number, v: FieldValue, where: string): bigint {
  const t = w.btf.skipMods(type);
  if (t?.kind === 'ptr') return w.pointerValue(v, type, where);
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?(0x[0-9a-fA-F]+|\d+)$/.test(v)) return v.startsWith('-') ? -BigInt(v.slice(1)) : BigInt(v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (t && composite(w.btf, t.id)) throw new WorldError(`${where}: struct arguments by value are not modelled`);
  throw new WorldError(`${where}: expected an integer, got ${JSON.stringify(v)}`);
}

/** bpf_iter_meta { seq, session_id, seq_num } with a seq_file the seq helpers write to. */
function iterMeta(w: KernelWorld, seqNum: number): bigint {
  const metaT = w.btf.find('bpf_iter_meta', 'struct')[0];
  const seqT = w.btf.find('seq_file', 'struct')[0];
  if (!metaT || !seqT) throw new WorldError('the kernel BTF has no struct bpf_iter_meta / seq_file');
  const seq = w.objects.get('iter_seq') ?? w.add('iter_seq', seqT.id);
  const meta = w.add('iter_meta', metaT.id);
  w.write(meta, 0, metaT.id, { seq: `@${seq.name}`, session_id: 1, seq_num: seqNum }, 'iter_meta');
  return w.pointer(meta);
}

/** The read-only u64 slots a BTF-typed program's r1 points to, as a ctx region. */
export function addTracingContext(mem: Memory, bytes: Uint8Array): number {
  const handler: CtxHandler = {
    load(off, size, out, pc, signed) {
      if (off < 0 || off + size > bytes.length) throw new MemoryFault(pc, 'ctx_access', 'ctx', off, size, `outside the ${bytes.length / 8} argument slots`);
      let v = 0n;
      for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i]!);
      if (signed) v = BigInt.asIntN(size * 8, v);
      const u = BigInt.asUintN(64, v);
      out[0] = Number(u & 0xffffffffn) | 0;
      out[1] = Number(u >> 32n) | 0;
    },
    store(off, size, _lo, _hi, pc) {
      throw new MemoryFault(pc, 'read_only', 'ctx', off, size, 'the arguments of a tracing program are read-only');
    },
  };
  const id = mem.add('ctx', bytes, { writable: false });
  mem.ctx = handler;
  return id;
}
