/** Output to user space: perf_event_output, ringbuf_output/reserve/submit/discard/query, get_stackid. */
import { isPerfEventArray, isRingBufMap, isStackTraceMap } from '../../maps/guards.js';
import type { RingBufMap } from '../../maps/types.js';
import { type HelperEnv, arg, argNum, setR0, setR0Int } from '../../env.js';
import { Memory, split } from '../../memory.js';
import { VmError } from '../../errors.js';
import { EFAULT, EINVAL, ENOENT, type HelperFn, ctxArg, mapArg } from './common.js';

const BPF_F_INDEX_MASK = 0xffffffffn;
const BPF_F_CTXLEN_MASK = 0xfffffn << 32n;

/**
 * bpf_perf_event_output(ctx, map, flags, data, size). For skb and xdp programs the upper 32 bits
 * of flags (BPF_F_CTXLEN_MASK) ask for that many packet bytes appended to the record.
 */
export const perfEventOutput: HelperFn = (env) => {
  ctxArg(env, 1);
  const map = mapArg(env, 2);
  const flags = arg(env, 3);
  const size = argNum(env, 5);
  const data = env.mem.slice(arg(env, 4), size, false, env.pc);
  if (!isPerfEventArray(map)) { setR0Int(env, EINVAL); return; }
  const pktFlags = env.packet !== null;
  if ((flags & ~(BPF_F_INDEX_MASK | (pktFlags ? BPF_F_CTXLEN_MASK : 0n))) !== 0n) { setR0Int(env, EINVAL); return; }
  const ctxLen = Number((flags & BPF_F_CTXLEN_MASK) >> 32n);
  let rec = data;
  if (ctxLen > 0 && env.packet) {
    const pk = env.packet;
    if (ctxLen > pk.end - pk.data) { setR0Int(env, EFAULT); return; }
    rec = new Uint8Array(size + ctxLen);
    rec.set(data);
    rec.set(pk.buf.subarray(pk.data, pk.data + ctxLen), size);
  } else rec = data.slice();
  setR0Int(env, map.outputFromProgram(Number(flags & BPF_F_INDEX_MASK), env.cpu, rec));
};

export const ringbufOutput: HelperFn = (env) => {
  const map = mapArg(env, 1);
  if (!isRingBufMap(map)) { setR0Int(env, EINVAL); return; }
  const size = argNum(env, 3);
  const data = env.mem.slice(arg(env, 2), size, false, env.pc);
  const f = arg(env, 4);
  setR0Int(env, map.output(data, f > 0xffffffffn ? 0x7fffffff : Number(f)));
};

interface RecordOwner { ring: RingBufMap; handle: number; released: boolean }

/** Reserves a `size`-byte record (flags already checked): a pointer to its region, or 0n when the ring is full. */
export function reserveRecord(env: HelperEnv, map: RingBufMap, size: number, flags: number): bigint {
  const rec = map.reserve(size, flags);
  if (!rec) return 0n;
  const owner: RecordOwner = { ring: map, handle: rec.handle, released: false };
  const id = env.mem.add('ringbuf', rec.data, { writable: true, owner });
  return Memory.ptr(id, 0);
}

export const ringbufReserve: HelperFn = (env) => {
  const map = mapArg(env, 1);
  if (!isRingBufMap(map)) { setR0Int(env, 0); return; }
  const size = argNum(env, 2);
  const flags = arg(env, 3);
  setR0(env, flags > 0xffffffffn || Number.isNaN(size) ? 0n : reserveRecord(env, map, size, Number(flags)));
};

/** Submits or discards the record that pointer `p` (its start) points to; the record's region closes. */
export function releaseRecord(env: HelperEnv, p: bigint, submit: boolean, flags: number): void {
  const { hi, lo } = split(p);
  const id = env.mem.regionOf(hi);
  const owner = id > 0 && env.mem.kindOf(id) === 'ringbuf' ? (env.mem.owners[id] as RecordOwner | undefined) : undefined;
  if (!owner || lo !== 0) throw new VmError('bad_call', env.pc, 'not a reserved ring buffer record');
  if (owner.released) throw new VmError('bad_call', env.pc, 'ring buffer record released twice');
  owner.released = true;
  if (submit) owner.ring.submit(owner.handle, flags);
  else owner.ring.discard(owner.handle, flags);
  // the record is gone: later accesses through the old pointer fault
  env.mem.setWindow(id, 1, 0);
}

function release(submit: boolean): HelperFn {
  return (env) => releaseRecord(env, arg(env, 1), submit, Number(BigInt.asUintN(32, arg(env, 2))));
}
export const ringbufSubmit = release(true);
export const ringbufDiscard = release(false);

export const ringbufQuery: HelperFn = (env) => {
  const map = mapArg(env, 1);
  if (!isRingBufMap(map)) { setR0Int(env, 0); return; }
  setR0(env, map.query(Number(BigInt.asUintN(32, arg(env, 2)))));
};

const BPF_F_USER_STACK = 1n << 8n;

/** bpf_get_stackid(ctx, map, flags): the id of the current (modelled) kernel or user stack. */
export const getStackid: HelperFn = (env) => {
  ctxArg(env, 1);
  const map = mapArg(env, 2);
  if (!isStackTraceMap(map)) { setR0Int(env, EINVAL); return; }
  const flags = arg(env, 3);
  const stack = (flags & BPF_F_USER_STACK) !== 0n ? env.userStack : env.kernelStack;
  setR0Int(env, map.getStackId(stack, Number(BigInt.asUintN(32, flags))));
};

/** bpf_get_stack(ctx, buf, size, flags): copies the stack's ips (u64 each); returns bytes copied. */
export const getStack: HelperFn = (env) => {
  ctxArg(env, 1);
  const size = argNum(env, 3);
  const buf = env.mem.slice(arg(env, 2), size, true, env.pc);
  const flags = arg(env, 4);
  const skip = Number(flags & 0xffn);
  if ((flags & ~(0xffn | BPF_F_USER_STACK | (1n << 11n))) !== 0n || size % 8 !== 0) { buf.fill(0); setR0Int(env, EINVAL); return; }
  const stack = ((flags & BPF_F_USER_STACK) !== 0n ? env.userStack : env.kernelStack).slice(skip);
  const n = Math.min(stack.length, size / 8);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  buf.fill(0);
  for (let i = 0; i < n; i++) dv.setBigUint64(i * 8, BigInt.asUintN(64, stack[i]!), true);
  setR0Int(env, n === 0 ? EFAULT : n * 8);
};

const BPF_F_GET_BRANCH_RECORDS_SIZE = 1n;

/**
 * bpf_read_branch_records(ctx, buf, size, flags): the sample's branch stack (LBR). The modelled
 * perf event samples none (no PERF_SAMPLE_BRANCH_STACK), so past the flags check: -ENOENT.
 */
export const readBranchRecords: HelperFn = (env) => {
  ctxArg(env, 1);
  setR0Int(env, (arg(env, 4) & ~BPF_F_GET_BRANCH_RECORDS_SIZE) !== 0n ? EINVAL : ENOENT);
};
