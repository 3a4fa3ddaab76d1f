/**
 * BTF in the kernel: BPF_BTF_LOAD of an object's .BTF, and the func_info / line_info arrays
 * BPF_PROG_LOAD reads with it (struct bpf_func_info, struct bpf_line_info). The kernel needs
 * them for programs with bpf_loop-style callbacks ("missing btf func_info") and verifies BTF
 * global functions on their own from their signature.
 */
import type { Insn } from '../isa/insn.js';
import type { Program, ProgramBtf } from '../isa/program.js';
import { ATTACH_TYPES } from '../loader/section-types.js';
import { readTargetBtf, RUNNING_KERNEL_BTF } from '../loader/target.js';
import { isBtfCtxProgram } from '../verifier/tracing-ctx.js';
import { Attr, BTF_LOAD, BPF_CORE_RELO_SIZE, BPF_FUNC_INFO_SIZE, BPF_LINE_INFO_SIZE } from './attr.js';
import { BPF_CMD, bpf, errnoName, scratchBuffer, scratchCopy } from './syscall.js';

export type BtfLoadResult = { fd: number; log: string } | { fd: null; errno: string; log: string };

/** BPF_BTF_LOAD with a level-1 log (only read when the kernel refuses the BTF). The caller closes the fd. */
export function btfLoad(raw: Uint8Array, logSize = 64 << 10): BtfLoadResult {
  // As libbpf's btf_load_into_kernel: without a log first (the kernel logs every type when asked
  // for a log, so a large valid BTF can fail with ENOSPC), and with one only to say why it failed.
  const quiet = bpf(BPF_CMD.BTF_LOAD, new Attr(BTF_LOAD.size).u64(BTF_LOAD.btf, scratchCopy('btf', raw)).u32(BTF_LOAD.btf_size, raw.length).bytes);
  if (quiet.ret >= 0) return { fd: quiet.ret, log: '' };
  for (let size = logSize; ; size *= 4) {
    const log = scratchBuffer('btfLog', size, false);
    log.bytes[0] = 0;
    const a = new Attr(BTF_LOAD.size)
      .u64(BTF_LOAD.btf, scratchCopy('btf', raw))
      .u32(BTF_LOAD.btf_size, raw.length)
      .u64(BTF_LOAD.btf_log_buf, log.addr)
      .u32(BTF_LOAD.btf_log_size, size)
      .u32(BTF_LOAD.btf_log_level, 1);
    const r = bpf(BPF_CMD.BTF_LOAD, a.bytes);
    if (r.ret >= 0) return { fd: r.ret, log: '' };
    if (errnoName(r.errno) === 'ENOSPC' && size < (16 << 20)) continue;
    const end = log.bytes.indexOf(0);
    const text = Buffer.from(log.bytes.subarray(0, end < 0 ? size : end)).toString('utf8');
    return { fd: null, errno: errnoName(r.errno), log: text };
  }
}

/** struct bpf_func_info[] { insn_off, type_id }. */
export function encodeFuncInfo(recs: ProgramBtf['funcInfo']): Uint8Array {
  const out = new Uint8Array(recs.length * BPF_FUNC_INFO_SIZE);
  const dv = new DataView(out.buffer);
  recs.forEach((r, i) => {
    dv.setUint32(i * BPF_FUNC_INFO_SIZE, r.pc, true);
    dv.setUint32(i * BPF_FUNC_INFO_SIZE + 4, r.typeId, true);
  });
  return out;
}

/** struct bpf_line_info[] { insn_off, file_name_off, line_off, line_col }. */
export function encodeLineInfo(recs: ProgramBtf['lineInfo']): Uint8Array {
  const out = new Uint8Array(recs.length * BPF_LINE_INFO_SIZE);
  const dv = new DataView(out.buffer);
  recs.forEach((r, i) => {
    const o = i * BPF_LINE_INFO_SIZE;
    dv.setUint32(o, r.pc, true);
    dv.setUint32(o + 4, r.fileNameOff, true);
    dv.setUint32(o + 8, r.lineOff, true);
    dv.setUint32(o + 12, r.lineCol, true);
  });
  return out;
}

/** struct bpf_core_relo[] for BPF_PROG_LOAD's core_relos (the kernel applies them against its own BTF). */
export function encodeCoreRelos(recs: NonNullable<ProgramBtf['coreRelos']>): Uint8Array {
  const out = new Uint8Array(recs.length * BPF_CORE_RELO_SIZE);
  const dv = new DataView(out.buffer);
  recs.forEach((r, i) => {
    const o = i * BPF_CORE_RELO_SIZE;
    dv.setUint32(o, r.pc * 8, true);
    dv.setUint32(o + 4, r.typeId, true);
    dv.setUint32(o + 8, r.accessOff, true);
    dv.setUint32(o + 12, r.kind, true);
  });
  return out;
}

/**
 * The part of program.btf that still describes `insns`, or why none does. Callers that rewrite
 * a loaded program's instructions (inserting a prologue, mutating) keep the old records: the
 * kernel would refuse func_info that does not sit on the subprogram starts ("func_info BTF
 * section doesn't match subprog layout"), so such BTF is left out rather than sent.
 */
export function btfForInsns(btf: ProgramBtf, insns: readonly Insn[]): { btf: ProgramBtf } | { reason: string } {
  const starts = new Set<number>([0]);
  const second = new Set<number>();
  for (let pc = 0; pc < insns.length; pc++) {
    const ins = insns[pc]!;
    if (ins.code === 0x85 && ins.src === 1) starts.add(pc + 1 + ins.imm);
    if (ins.code === 0x18) {
      if (ins.src === 4) starts.add(pc + 1 + ins.imm);
      second.add(++pc);
    }
  }
  // A function nothing calls (an exception callback the loader appended) may start where the
  // previous one ended (after an exit or ja).
  const ends = (pc: number): boolean => pc > 0 && !second.has(pc - 1) && (insns[pc - 1]!.code === 0x95 || insns[pc - 1]!.code === 0x05 || insns[pc - 1]!.code === 0x06);
  for (const f of btf.funcInfo) if (f.pc < insns.length && !second.has(f.pc) && ends(f.pc)) starts.add(f.pc);
  const want = [...starts].sort((a, b) => a - b);
  const have = btf.funcInfo.map((f) => f.pc);
  if (want.length !== have.length || want.some((pc, i) => pc !== have[i]))
    return { reason: `program.btf func_info at [${have.join(',')}] does not match the subprograms at [${want.join(',')}] (instructions rewritten?)` };
  const linesOk = btf.lineInfo.every((l, i) => l.pc < insns.length && !second.has(l.pc) && (i === 0 || l.pc > btf.lineInfo[i - 1]!.pc));
  const coreOk = (btf.coreRelos ?? []).every((r) => {
    const ins = insns[r.pc];
    if (!ins) return false;
    const cls = ins.code & 7;
    return ins.code === 0x18 || cls === 1 || cls === 2 || cls === 3 || ((cls === 4 || cls === 7) && (ins.code & 8) === 0);
  });
  if (!coreOk) return { reason: 'program.btf CO-RE records do not sit on relocatable instructions (instructions rewritten?)' };
  return { btf: linesOk ? btf : { ...btf, lineInfo: [] } };
}

/**
 * attach_btf_id for BPF_PROG_LOAD of a BTF-typed program (libbpf's find_kernel_btf_id): the id
 * in the target kernel's BTF of the `btf_trace_NAME` typedef (tp_btf), the FUNC NAME
 * (fentry/fexit/fmod_ret), `bpf_lsm_NAME` (lsm) or `bpf_iter_NAME` (iter); undefined for other
 * programs or when the target does not exist (the kernel then refuses the load).
 */
export function attachBtfId(program: Program): number | undefined {
  if (program.type === 'struct_ops') return structOpsAttach(program)?.btfId;
  if (!isBtfCtxProgram(program.type, program.expectedAttachType) || !program.attachTo) return undefined;
  const btf = readTargetBtf(program.targetBtf ?? RUNNING_KERNEL_BTF);
  if (typeof btf === 'string') return undefined;
  const a = program.expectedAttachType;
  if (a === ATTACH_TYPES.trace_raw_tp) return btf.find(`btf_trace_${program.attachTo}`, 'typedef')[0]?.id;
  const name = program.type === 'lsm' ? `bpf_lsm_${program.attachTo}` : a === ATTACH_TYPES.trace_iter ? `bpf_iter_${program.attachTo}` : program.attachTo;
  return btf.find(name, 'func')[0]?.id;
}

/**
 * libbpf's struct_ops attach (bpf_map__init_kern_struct_ops): attach_btf_id is the kernel struct,
 * expected_attach_type the member's index in it, both from the target kernel's BTF by name.
 */
export function structOpsAttach(program: Program): { btfId: number; member: number } | undefined {
  if (program.type !== 'struct_ops' || !program.structOps) return undefined;
  const btf = readTargetBtf(program.targetBtf ?? RUNNING_KERNEL_BTF);
  if (typeof btf === 'string') return undefined;
  const st = btf.find(program.structOps.struct, 'struct')[0];
  if (!st || st.kind !== 'struct') return undefined;
  const member = st.members.findIndex((m) => m.name === program.structOps!.member);
  return member < 0 ? undefined : { btfId: st.id, member };
}
