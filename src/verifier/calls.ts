/**
 * Calls and exits: helper calls checked against the shared prototype table
 * (check_helper_call / check_func_arg), reference tracking for acquired objects (ring buffer
 * records, sockets), bpf-to-bpf calls with frames, tail calls, and program exit
 * (check_reference_leak, check_return_code).
 */
import type { Insn } from '../isa/insn.js';
import { PROG_TYPES, type MapSpec, type MapType } from '../isa/program.js';
import { returnRange } from '../runtime/context/index.js';
import { HELPER_NAMES, helperProtoFor, unmodelledHelperOffered, type ArgSpec, type HelperProto } from '../runtime/helpers/prototypes.js';
import { funcProto, hasTrampoline } from '../runtime/helpers/func-proto.js';
import { BPF_F_INNER_MAP, BPF_F_RDONLY_PROG } from '../runtime/maps/flags.js';
import { storedMapFlags } from '../isa/map-flags.js';
import { checkConstStr, checkSnprintfFormat } from './const-str.js';
import type { Scalar } from './domains/index.js';
import type { Env } from './env.js';
import { checkGlobalCall } from './global-funcs.js';
import { releaseReference } from './refs.js';
import {
  BPF_FUNC_dynptr_write, checkDynptrRelease, dynptrDataResult, dynptrHelperChecks, dynptrWriteChangesPacket, helperDynptrArg, processDynptrArg,
  unmarkDynptr, type DynptrRef,
} from './dynptr.js';
import { mapFuncIncompatibility } from './map-funcs.js';
import { checkHelperMem, checkPtrAlignment, checkPtrOffReg } from './memory.js';
import { checkHelperBtfArg, helperNotAllowed, helperRetBtf } from './btf-access.js';
import { checkKptrSrc, kptrXchgResult, processKptrDest } from './kptr.js';
import type { RecordField } from './map-record.js';
import { callsCallback, pushAsyncCallback, pushCallback, updateLoopInlineState, widenAfterCallback } from './callbacks.js';
import { btfProgRetRange } from './tracing-ctx.js';
import { structOpsHelper } from './struct-ops.js';
import { subprogsMightThrow } from './subprog-effects.js';
import { markPrecise, stackSlotCode } from './precision.js';
import { checkGlobalCallInSection, checkHelperInSection, mayPointToSpinLock, processSpinLock, processTimerArg } from './locks.js';
import { keepPercpuRcuAfterXchg, percpuObjArg, percpuObjResult, type PercpuObjArg } from './percpu-obj.js';
import { DYNPTR_TYPE_FLAGS, LOCAL_BTF, MAYBE_NULL, MEM_PERCPU, MEM_RCU, MEM_RDONLY, MEM_RINGBUF, PTR_TRUSTED, T, base, typeName } from './reg-types.js';
import { gplCompatible } from './license.js';
import { MAX_BPF_STACK, MAX_CALL_FRAMES, S, cloneState, copyReg, newFrame, newRef, writableSpill, type Reg, type VState } from './state.js';
import { findSubprog } from './cfg.js';

const MAX_VAR_SIZ = 1n << 29n;

/** Helpers that hand out a reference the program must release (is_acquire_function). */
const BPF_FUNC_kptr_xchg = 194;
const ACQUIRE = new Set([84, 85, 99, 131, BPF_FUNC_kptr_xchg]);
/** Helpers whose result shares the argument's reference (is_ptr_cast_function). */
const PTR_CAST = new Set([95, 96, 136, 137, 138, 139, 140]);

const BPF_FUNC_spin_lock = 93;
const BPF_FUNC_timer_set_callback = 170;
const BPF_FUNC_loop = 181;
const BPF_FUNC_get_local_storage = 81;
const BPF_FUNC_snprintf = 165;

const helperStr = (id: number): string => `bpf_${HELPER_NAMES[id] ?? 'unknown'}#${id}`;

const MEM_TYPES = [T.PTR_TO_STACK, T.PTR_TO_PACKET, T.PTR_TO_PACKET_META, T.PTR_TO_MAP_KEY, T.PTR_TO_MAP_VALUE, T.PTR_TO_MEM, T.PTR_TO_MEM | MEM_RINGBUF, T.PTR_TO_BUF, T.PTR_TO_BTF_ID | PTR_TRUSTED];
const PERCPU_BTF_TYPES = [T.PTR_TO_BTF_ID | MEM_PERCPU, T.PTR_TO_BTF_ID | MEM_PERCPU | MEM_RCU, T.PTR_TO_BTF_ID | MEM_PERCPU | PTR_TRUSTED];
const SOCK_TYPES = [T.PTR_TO_SOCK_COMMON, T.PTR_TO_SOCKET, T.PTR_TO_TCP_SOCK, T.PTR_TO_XDP_SOCK];
/** btf_id_sock_common_types: the socket types and kernel struct pointers (checked apart: checkHelperBtfArg). */
const BTF_SOCK_TYPES = [...SOCK_TYPES, T.PTR_TO_BTF_ID, T.PTR_TO_BTF_ID | PTR_TRUSTED];

interface CallMeta {
  map: number;
  memSize: number;
  refObjId: number;
  releaseRegno: number;
  /** The memory argument of a size pair was the NULL constant. */
  nullMem: boolean;
  /** umax of the last size argument (msize_max_value). */
  sizeMax: bigint;
  /** A constant array-map key (get_constant_map_key), -1n when unknown. */
  constKey: bigint;
  /** The callback subprogram of an ARG_PTR_TO_FUNC argument (-1: none). */
  subprog: number;
  /** The initialised dynptr an ARG_PTR_TO_DYNPTR argument named (bpf_dynptr_data / _write); whether the released argument is a dynptr. */
  dynptr?: DynptrRef;
  releaseDynptr?: boolean;
  /** The kptr field an ARG_KPTR_XCHG_DEST argument points at (meta->kptr_field). */
  kptr?: RecordField;
  /** The kernel BTF type an ARG_PTR_TO_PERCPU_BTF_ID argument points to (meta->ret_btf_id). */
  retBtfId?: number;
  /** An ARG_PTR_TO_PERCPU_BTF_ID argument that is an RCU-protected per-CPU object (returns_cpu_specific_alloc_ptr). */
  percpuObj?: PercpuObjArg | undefined;
}

/**
 * get_constant_map_key: the key a stack pointer points to when the stack holds it as zero
 * bytes or as a constant scalar spill of exactly the key's size. The value is marked precise:
 * pruning must not merge paths whose lookups differ in nullness.
 */
function constMapKey(env: Env, r: Reg, keySize: number): bigint {
  if (r.type !== T.PTR_TO_STACK) return -1n;
  const c = env.dom.constValue(r.v);
  if (c === undefined) return -1n;
  const f = env.cur.frames[r.frameno];
  if (!f) return -1n;
  const i0 = MAX_BPF_STACK + r.off + Number(BigInt.asIntN(64, c));
  if (i0 < 0 || i0 >= MAX_BPF_STACK) return -1n;
  const k = i0 >> 3;
  const end = k * 8 + 8;
  let zeros = 0;
  for (let i = i0; i < end && f.slots[i] === S.ZERO; i++) zeros++;
  if (zeros >= keySize) return 0n;
  const sp = f.spills[k];
  if (!sp || sp.type !== T.SCALAR || f.slots[k * 8] !== S.SPILL) return -1n;
  let spilled = 0;
  for (let i = i0; i < end && f.slots[i] === S.SPILL; i++) spilled++;
  if (spilled !== keySize) return -1n;
  const v = env.dom.constValue(sp.v);
  if (v === undefined) return -1n;
  writableSpill(f, k).precise = true; // (shared copy-on-write with pushed branches and checkpoints)
  markPrecise(env, 0, [stackSlotCode(r.frameno, k)]);
  return BigInt.asIntN(64, v);
}

/** The kernel's list of memory types in messages. */
const MEM_TYPES_STR = 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_';

function checkType(env: Env, regno: number, r: Reg, allowed: readonly number[]): void {
  // MEM_RDONLY memory is fine where read-only access is asked for; a dynptr slice's type flag does not matter (check_reg_type)
  const b = r.type & ~0x200 & ~DYNPTR_TYPE_FLAGS & ~LOCAL_BTF;
  if (allowed.includes(b)) return;
  const expected = allowed === MEM_TYPES ? MEM_TYPES_STR : allowed.map(typeName).join(', ');
  env.reject('helper_arg', `R${regno} type=${typeName(r.type)} expected=${expected}`);
}

/** check_reg_type for memory arguments (mem_types): a trusted kernel object only where the helper only reads it. */
function checkMemType(env: Env, id: number, regno: number, r: Reg, a: ArgSpec): void {
  checkType(env, regno, r, MEM_TYPES);
  if (base(r.type) === T.PTR_TO_BTF_ID && !a.rdonly)
    env.reject('helper_arg', `bpf_${HELPER_NAMES[id] ?? 'unknown'}() may write into memory pointed by R${regno} type=${typeName(r.type)}`);
}

/**
 * checkArg for the argument types its switch leaves. True: the argument may hold or release a
 * reference (checkArg's common tail follows); false: it is done.
 */
function checkOtherArg(env: Env, id: number, regno: number, r: Reg, a: ArgSpec, meta: CallMeta): boolean {
  switch (a.base) {
    case 'ARG_PTR_TO_CONST_STR':
      checkType(env, regno, r, [T.PTR_TO_MAP_VALUE]);
      checkConstStr(env, regno);
      return false;
    case 'ARG_PTR_TO_RINGBUF_MEM':
      checkType(env, regno, r, [T.PTR_TO_MEM | MEM_RINGBUF]);
      if (r.off || !env.dom.isConst(r.v) || env.dom.constValue(r.v) !== 0n)
        env.reject('reference_invalid', `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
      return true;
    case 'ARG_PTR_TO_SOCK_COMMON':
      checkType(env, regno, r, SOCK_TYPES);
      return true;
    case 'ARG_PTR_TO_BTF_ID_SOCK_COMMON': {
      // check_reg_type: where the argument may be NULL, the register's PTR_MAYBE_NULL does not count
      const rs = a.maybeNull && (r.type & MAYBE_NULL) ? { ...r, type: r.type & ~MAYBE_NULL } : r;
      // Also a kernel struct pointer that is (or starts with) a struct sock_common.
      if ((rs.type & 0xff) === T.PTR_TO_BTF_ID && !(rs.type & MAYBE_NULL)) checkHelperBtfArg(env, regno, rs, 'sock_common', helperStr(id));
      else checkType(env, regno, rs, BTF_SOCK_TYPES);
      return true;
    }
    case 'ARG_PTR_TO_SOCKET':
      checkType(env, regno, r, [T.PTR_TO_SOCKET]);
      return true;
    case 'ARG_PTR_TO_FUNC':
      checkType(env, regno, r, [T.PTR_TO_FUNC]);
      meta.subprog = r.memSize;
      return false;
    case 'ARG_PTR_TO_PERCPU_BTF_ID':
      // percpu_btf_ptr_types: a per-CPU kernel variable (a __ksym in .data..percpu) or per-CPU object, unmodified
      checkType(env, regno, r, PERCPU_BTF_TYPES);
      checkPtrOffReg(env, regno, r);
      if (!r.memSize) env.reject('helper_arg', `Helper has invalid btf_id in R${regno}`);
      meta.retBtfId = r.memSize;
      meta.percpuObj = percpuObjArg(env, r);
      return true;
    case 'ARG_PTR_TO_BTF_ID':
      if (a.kptr) checkKptrSrc(env, regno, r, meta.kptr!);
      else checkHelperBtfArg(env, regno, r, a.btfStruct, helperStr(id), a.maybeNull === true);
      return true;
    case 'ARG_KPTR_XCHG_DEST':
      meta.kptr = processKptrDest(env, regno, r);
      return false;
    case 'ARG_PTR_TO_SPIN_LOCK':
      processSpinLock(env, regno, id === BPF_FUNC_spin_lock);
      return true;
    case 'ARG_PTR_TO_TIMER':
      meta.map = processTimerArg(env, regno);
      return true;
    case 'ARG_PTR_TO_DYNPTR': {
      checkType(env, regno, r, [T.PTR_TO_STACK, T.CONST_PTR_TO_DYNPTR]);
      if (a.release) {
        checkDynptrRelease(env, regno);
        meta.releaseRegno = regno;
        meta.releaseDynptr = true;
      }
      const d = processDynptrArg(env, regno, helperDynptrArg(a));
      if (d) meta.dynptr = d;
      return false;
    }
    default:
      env.reject('unsupported', `bpflab does not model ${a.name} arguments (R${regno} of ${helperStr(id)})`);
  }
}

/** ARG_CONST_SIZE(_OR_ZERO): the size of the memory argument before it, a bounded scalar made precise. */
function checkSizeArg(env: Env, regno: number, r: Reg, a: ArgSpec, meta: CallMeta, prevArg: ArgSpec | undefined): void {
  checkType(env, regno, r, [T.SCALAR]);
  markPrecise(env, 1 << regno);
  const zeroOk = a.base === 'ARG_CONST_SIZE_OR_ZERO';
  const d = env.dom;
  meta.sizeMax = d.umax(r.v);
  if (d.smin(r.v) < 0n) env.reject('helper_arg', `R${regno} min value is negative, either use unsigned or 'var &= const'`);
  if (d.umin(r.v) === 0n && !zeroOk)
    env.reject('helper_arg', `R${regno} invalid zero-sized read: u64=[${d.umin(r.v)},${d.umax(r.v)}]`);
  if (d.umax(r.v) >= MAX_VAR_SIZ) env.reject('helper_arg', `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
  // A NULL memory argument (PTR_MAYBE_NULL) is fine only with a size that is 0
  // (check_helper_mem_access on a scalar: "R1 type=scalar expected=fp").
  const memArg = prevArg;
  const uninit = memArg?.uninit === true && d.isConst(r.v);
  checkHelperMem(env, regno - 1, Number(d.umax(r.v)), zeroOk, memArg?.write === true || memArg?.uninit === true, uninit);
}

function checkArg(env: Env, id: number, regno: number, a: ArgSpec, meta: CallMeta, prevArg: ArgSpec | undefined, pktOk: boolean): void {
  if (a.base === 'ARG_DONTCARE') return;
  const r = env.readReg(regno);
  if (a.base === 'ARG_ANYTHING') return;
  if ((r.type === T.PTR_TO_PACKET || r.type === T.PTR_TO_PACKET_META) && !pktOk)
    env.reject('helper_arg', 'helper access to the packet is not allowed');
  if (a.maybeNull && env.isNull(r)) {
    // The NULL itself decided this path (another one may pass a non-NULL scalar): precise, so
    // that a checkpoint of this path never covers that one.
    markPrecise(env, 1 << regno);
    if (a.base === 'ARG_PTR_TO_MEM') meta.nullMem = true;
    return;
  }
  switch (a.base) {
    case 'ARG_CONST_MAP_PTR':
      checkType(env, regno, r, [T.CONST_PTR_TO_MAP]);
      // A timer argument named its map first: the two must be the same map, and the same inner map
      // of a map-in-map (map_uid: the index of an inner map told apart by its lookup says both).
      if (meta.map >= 0 && meta.map !== r.map)
        env.reject('helper_arg', `timer pointer in R1 map_uid=${env.mapUid(meta.map)} doesn't match map pointer in R${regno} map_uid=${env.mapUid(r.map)}`);
      meta.map = r.map;
      return;
    case 'ARG_PTR_TO_MAP_KEY':
    case 'ARG_PTR_TO_MAP_VALUE': {
      if (a.base === 'ARG_PTR_TO_MAP_VALUE') {
        // resolve_map_arg_type: a sockmap/sockhash value is a socket.
        if (meta.map < 0) env.reject('helper_arg', 'invalid map_ptr to access map->type');
        const mt = env.map(meta.map).type;
        if (mt === 'sockmap' || mt === 'sockhash') {
          if (a.uninit) env.reject('helper_arg', 'invalid arg_type for sockmap/sockhash');
          checkType(env, regno, r, SOCK_TYPES);
          break;
        }
      }
      checkMemType(env, id, regno, r, a);
      if (meta.map < 0) env.reject('helper_arg', `invalid map_ptr to access map->${a.base === 'ARG_PTR_TO_MAP_KEY' ? 'key' : 'value'}`);
      const m = env.map(meta.map);
      const size = a.base === 'ARG_PTR_TO_MAP_KEY' ? m.keySize : m.valueSize;
      checkHelperMem(env, regno, size, false, a.write === true, a.uninit === true);
      // can_elide_value_nullness: array lookups with a constant in-range key cannot fail, except in an
      // array made with BPF_F_INNER_MAP, whose max_entries an inner map swapped in may lower (the
      // running 6.18 kernel neither elides nor marks the key precise there).
      if (a.base === 'ARG_PTR_TO_MAP_KEY' && (m.type === 'array' || m.type === 'percpu_array') && !(m.flags & BPF_F_INNER_MAP))
        meta.constKey = constMapKey(env, r, m.keySize);
      return;
    }
    case 'ARG_PTR_TO_MEM':
      checkMemType(env, id, regno, r, a);
      meta.nullMem = false;
      return;
    case 'ARG_PTR_TO_FIXED_SIZE_MEM':
      checkMemType(env, id, regno, r, a);
      checkHelperMem(env, regno, a.fixedSize ?? 8, false, a.write === true, a.uninit === true);
      // MEM_ALIGNED: check_ptr_alignment(reg, 0, arg_size, strict_alignment_once = true).
      if (a.aligned) checkPtrAlignment(env, r, 0, a.fixedSize ?? 8, true);
      return;
    case 'ARG_CONST_SIZE':
    case 'ARG_CONST_SIZE_OR_ZERO':
      checkSizeArg(env, regno, r, a, meta, prevArg);
      return;
    case 'ARG_CONST_ALLOC_SIZE_OR_ZERO': {
      checkType(env, regno, r, [T.SCALAR]);
      markPrecise(env, 1 << regno);
      const c = env.dom.constValue(r.v);
      if (c === undefined) env.reject('helper_arg', `R${regno} is not a known constant'`);
      meta.memSize = Number(c);
      return;
    }
    case 'ARG_PTR_TO_CTX':
      checkType(env, regno, r, [T.PTR_TO_CTX]);
      // check_func_arg_reg_off: the context goes to helpers unmodified (no fixed or variable offset).
      checkPtrOffReg(env, regno, r);
      return;
    case 'ARG_PTR_TO_STACK':
      checkType(env, regno, r, [T.PTR_TO_STACK]);
      return;
    default:
      // The rarer argument types: a small checkArg is optimised sooner.
      if (!checkOtherArg(env, id, regno, r, a, meta)) return;
  }
  if (r.refObjId) meta.refObjId = r.refObjId;
  if (a.release) {
    if (!r.refObjId) env.reject('reference_invalid', `R${regno} must be referenced when passed to release function`);
    meta.releaseRegno = regno;
  }
}

export { releaseReference } from './refs.js';

function mapType(m: MapSpec): MapType {
  return m.type;
}

const BPF_FUNC_get_func_ip = 173;
/** check_get_func_ip: tracing_prog_func_proto hands the helper to every type that falls back to it; only trampolines and kprobes know the address. */
function checkGetFuncIp(env: Env): void {
  const type = env.prog.type;
  if (type === 'kprobe' || (type === 'tracing' && hasTrampoline(type, env.prog.expectedAttachType))) return;
  if (type === 'tracing') env.reject('helper_prog_type', `func ${helperStr(BPF_FUNC_get_func_ip)} supported only for fentry/fexit/fmod_ret programs`);
  env.reject('helper_prog_type', `func ${helperStr(BPF_FUNC_get_func_ip)} not supported for program type ${PROG_TYPES[type]}`);
}

/** bpf_map_update_elem, bpf_map_delete_elem, bpf_map_push_elem, bpf_map_pop_elem: record_func_map's writers. */
const MAP_CHANGING_HELPERS: ReadonlySet<number> = new Set([2, 3, 87, 88]);

/** The helper's prototype for this program (get_func_proto), or the kernel's refusal. */
function helperProto(env: Env, id: number): HelperProto {
  // struct_ops: the struct type's own get_func_proto (bpf_struct_ops.verifier_ops); others: the program's get_func_proto.
  const st = env.prog.type === 'struct_ops' ? env.structOpsTarget() : undefined;
  let proto: HelperProto | undefined;
  if (st) {
    proto = structOpsHelper(st, id);
    if (!proto && helperProtoFor(id, env.prog.type)) env.reject('helper_prog_type', `program of this type cannot use helper ${helperStr(id)}`);
    if (!proto) env.reject('unsupported', `bpflab does not model helper ${helperStr(id)}`);
    if (!proto.progTypes.includes(env.prog.type)) env.reject('helper_prog_type', `program of this type cannot use helper ${helperStr(id)}`);
  } else {
    if (!helperProtoFor(id, env.prog.type)) {
      if (!unmodelledHelperOffered(id, env.prog.type)) env.reject('helper_prog_type', `program of this type cannot use helper ${helperStr(id)}`);
      env.reject('unsupported', `bpflab does not model helper ${helperStr(id)}`);
    }
    proto = funcProto(id, env.prog);
    if (!proto) env.reject('helper_prog_type', `program of this type cannot use helper ${helperStr(id)}`);
  }
  return proto;
}

/**
 * After the arguments: the map the call takes against the helper (record_func_map's read-only
 * check, check_map_func_compatibility), and the tail call's and get_func_ip's own checks.
 */
function helperMapChecks(env: Env, id: number, meta: CallMeta): void {
  // record_func_map (after the arguments, before the map/helper compatibility): the helpers that
  // change a map refuse a BPF_F_RDONLY_PROG one, by its stored flags (devmaps get the flag at creation).
  if (meta.map >= 0 && MAP_CHANGING_HELPERS.has(id) && storedMapFlags(env.map(meta.map)) & BPF_F_RDONLY_PROG)
    env.reject('readonly_write', 'write into map forbidden');

  // check_map_func_compatibility, both directions.
  if (meta.map >= 0) {
    const mt = mapType(env.map(meta.map));
    const bad = mapFuncIncompatibility(mt, id, helperStr(id), env.prog.type, env.prog.expectedAttachType);
    if (bad) {
      if (id === 12) env.reject('tail_call', 'expected prog array map for tail call');
      for (const l of bad.slice(0, -1)) env.log?.line(l);
      env.reject('helper_arg', bad[bad.length - 1]!);
    }
  }
  if (id === 12) env.rejectLeaks('tail_call');
  if (id === BPF_FUNC_get_func_ip) checkGetFuncIp(env);
  // record_func_key: a constant in-range tail call index is kept for the poke descriptor, so r3 is
  // precise and paths with different indices are not pruned into each other.
  if (id === 12 && meta.map >= 0) {
    const key = env.reg(3);
    if (key.type === T.SCALAR && env.dom.isConst(key.v) && env.dom.constValue(key.v)! < BigInt(env.map(meta.map).maxEntries)) markPrecise(env, 1 << 3);
  }
}

/** The call's effects before R0: a released reference or dynptr, format strings, queued callbacks. */
function helperEffects(env: Env, id: number, meta: CallMeta): void {
  if (meta.releaseDynptr) unmarkDynptr(env, meta.releaseRegno);
  else if (meta.releaseRegno) {
    const refId = env.reg(meta.releaseRegno).refObjId;
    if (id === BPF_FUNC_kptr_xchg) keepPercpuRcuAfterXchg(env, refId);
    releaseReference(env, refId);
  }
  dynptrHelperChecks(env, id);
  // get_local_storage cannot return an error, so it takes no flags.
  if (id === BPF_FUNC_get_local_storage && !env.isNull(env.reg(2))) env.reject('helper_arg', "get_local_storage() doesn't support non-zero flags");
  if (id === BPF_FUNC_snprintf) checkSnprintfFormat(env);
  // The callback runs (maybe) before the call returns: its first visit starts from the caller's registers as they are now.
  if (id === BPF_FUNC_loop) {
    updateLoopInlineState(env, meta.subprog);
    // The iterations end when r1 runs out, so r1 is precise; at most umax(r1) visits are queued.
    markPrecise(env, 1 << 1);
    if ((env.frame.callbackDepth ?? 0) < env.dom.umax(env.reg(1).v)) pushCallback(env, id, meta.subprog, meta.map);
    else {
      env.frame.callbackDepth = 0;
      if (env.opts.logLevel === 2) env.log?.line(`frame${env.cur.frames.length - 1} bpf_loop iteration limit reached`);
    }
  } else if (callsCallback(id)) pushCallback(env, id, meta.subprog, meta.map);
  else if (id === BPF_FUNC_timer_set_callback) pushAsyncCallback(env, meta.subprog, meta.map);
}

/** R0 for the return types other than a scalar, nothing or a map value. */
function helperRetOther(env: Env, id: number, ret: HelperProto['ret'], meta: CallMeta, r0: Reg): void {
  switch (ret) {
    case 'RET_PTR_TO_SOCKET_OR_NULL': env.markPtr(r0, T.PTR_TO_SOCKET | MAYBE_NULL); break;
    case 'RET_PTR_TO_TCP_SOCK_OR_NULL': env.markPtr(r0, T.PTR_TO_TCP_SOCK | MAYBE_NULL); break;
    case 'RET_PTR_TO_SOCK_COMMON_OR_NULL': env.markPtr(r0, T.PTR_TO_SOCK_COMMON | MAYBE_NULL); break;
    case 'RET_PTR_TO_RINGBUF_MEM_OR_NULL':
      env.markPtr(r0, T.PTR_TO_MEM | MEM_RINGBUF | MAYBE_NULL);
      r0.memSize = meta.memSize;
      break;
    case 'RET_PTR_TO_BTF_ID':
    case 'RET_PTR_TO_BTF_ID_OR_NULL':
      if (id === BPF_FUNC_kptr_xchg) kptrXchgResult(env, meta.kptr!, r0);
      else helperRetBtf(env, id, r0, ret === 'RET_PTR_TO_BTF_ID_OR_NULL');
      break;
    case 'RET_PTR_TO_MEM_OR_BTF_ID':
    case 'RET_PTR_TO_MEM_OR_BTF_ID_OR_NULL':
      if (meta.percpuObj) percpuObjResult(env, r0, meta.percpuObj);
      else percpuResult(env, r0, meta.retBtfId ?? 0, ret === 'RET_PTR_TO_MEM_OR_BTF_ID_OR_NULL');
      break;
    case 'RET_PTR_TO_DYNPTR_MEM_OR_NULL':
      dynptrDataResult(env, meta.dynptr, meta.memSize);
      break;
    default: env.markUnknown(r0);
  }
}

/**
 * check_helper_call. The prototype lookup, the map checks, the effects and the rarer return types
 * are functions of their own: V8 optimises a small function sooner (and again sooner after a
 * deoptimisation), which is most of a program's verify time the first time a process runs it.
 */
export function checkHelperCall(env: Env, ins: Insn): void {
  const id = ins.imm;
  if (id < 0 || id >= HELPER_NAMES.length) env.reject('helper_unknown', `invalid func unknown#${id}`);
  const proto = helperProto(env, id);
  const notAllowed = helperNotAllowed(env, id);
  if (notAllowed) env.reject('helper_prog_type', notAllowed);
  if (proto.gplOnly && !gplCompatible(env.prog.license))
    env.reject('helper_gpl', 'cannot call GPL-restricted function from non-GPL compatible program');
  checkHelperInSection(env, id);
  const meta: CallMeta = { map: -1, memSize: 0, refObjId: 0, releaseRegno: 0, nullMem: false, sizeMax: 0n, constKey: -1n, subprog: -1 };
  const pktOk = proto.pktAccess || (ACQUIRE.has(id) || id === 28 || id === 100 ? true : false);
  for (let i = 0; i < proto.args.length; i++) checkArg(env, id, i + 1, proto.args[i]!, meta, proto.args[i - 1], pktOk);

  if (meta.map >= 0 || id === 12 || id === BPF_FUNC_get_func_ip) helperMapChecks(env, id, meta);

  helperEffects(env, id, meta);

  // Caller-saved registers are clobbered; r0 gets the return type.
  for (let r = 0; r <= 5; r++) { env.markNotInit(env.reg(r)); env.scratched |= 1 << r; }
  const r0 = env.reg(0);
  let acquire = ACQUIRE.has(id);
  /** A map-in-map lookup's outer map (-1: another call). */
  let innerOf = -1;
  switch (proto.ret) {
    case 'RET_INTEGER': env.markScalar(r0, retvalRange(env, id, meta)); break;
    case 'RET_VOID': env.markNotInit(r0); break;
    case 'RET_PTR_TO_MAP_VALUE_OR_NULL':
    case 'RET_PTR_TO_MAP_VALUE': {
      const m = env.map(meta.map);
      const elide = id === 1 && meta.constKey >= 0n && meta.constKey < BigInt(m.maxEntries);
      const nullable = proto.ret === 'RET_PTR_TO_MAP_VALUE_OR_NULL' && !elide ? MAYBE_NULL : 0;
      if (m.type === 'array_of_maps' || m.type === 'hash_of_maps') {
        // Linux 6.18 (unlike 6.12's map_value_or_null of the outer map): the inner map's pointer
        // (its template: "map_ptr_or_null(id=1,ks=4,vs=8)"), which the NULL check makes map_ptr.
        env.markPtr(r0, T.CONST_PTR_TO_MAP | nullable);
        innerOf = meta.map; // (the inner map's index once the lookup has its id: below)
      } else if ((m.type === 'sockmap' || m.type === 'sockhash') && id === 1) {
        env.markPtr(r0, T.PTR_TO_SOCKET | nullable);
        acquire = true;
      } else {
        env.markPtr(r0, T.PTR_TO_MAP_VALUE | nullable);
        r0.map = meta.map;
      }
      break;
    }
    default: helperRetOther(env, id, proto.ret, meta, r0);
  }
  // A value of a map with a lock keeps an id (the lock's identity) even when it cannot be NULL.
  if ((r0.type & MAYBE_NULL || mayPointToSpinLock(env, r0)) && !r0.dynptrId) r0.id = env.newId();
  if (innerOf >= 0) r0.map = env.innerMap(innerOf, r0.id);
  if (PTR_CAST.has(id)) r0.refObjId = meta.refObjId;
  else if (acquire) {
    const refId = env.newId();
    env.cur.refs.push(newRef(refId, env.pc));
    r0.id = refId;
    r0.refObjId = refId;
  }
  if (proto.changesPkt || (id === BPF_FUNC_dynptr_write && dynptrWriteChangesPacket(meta.dynptr))) env.clearPacketPointers();
}

/**
 * r0 of bpf_per_cpu_ptr / bpf_this_cpu_ptr (RET_PTR_TO_MEM_OR_BTF_ID | MEM_RDONLY): this CPU's copy
 * of the variable, a plain kernel pointer for a struct, else read-only memory of the type's size.
 */
function percpuResult(env: Env, r0: Reg, btfId: number, nullable: boolean): void {
  const btf = env.kernelBtf();
  const t = btf.skipMods(btfId);
  const maybe = nullable ? MAYBE_NULL : 0;
  if (t && (t.kind === 'struct' || t.kind === 'union')) {
    env.markPtr(r0, T.PTR_TO_BTF_ID | maybe);
    r0.memSize = t.id;
    return;
  }
  const size = t ? (t.kind === 'ptr' ? 8 : btf.resolveSize(t.id)) : undefined;
  if (size === undefined) env.reject('helper_arg', `unable to resolve the size of type '${t?.name ?? ''}': -22`);
  env.markPtr(r0, T.PTR_TO_MEM | MEM_RDONLY | maybe);
  r0.memSize = size;
}

/** do_refine_retval_range: helpers whose integer result the kernel bounds. */
function retvalRange(env: Env, id: number, meta: CallMeta): Scalar {
  const d = env.dom;
  const atMost = (v: Scalar, max: bigint, signed: boolean): Scalar => d.refine(signed ? 'jsle' : 'jle', false, v, d.known(max)).taken[0];
  switch (id) {
    case 8: // get_smp_processor_id: [0, nr_cpu_ids - 1]
      return atMost(env.UNKNOWN, BigInt(env.nrCpus - 1), false);
    case 67: case 141: case 45: case 114: case 115: { // get_stack, get_task_stack, probe_read*_str: [-MAX_ERRNO, size]
      const v = d.refine('jsge', false, env.UNKNOWN, d.known(-4095n)).taken[0];
      return atMost(v, BigInt(meta.sizeMax), true);
    }
    default:
      return env.UNKNOWN;
  }
}

/**
 * BPF_LD_ABS / BPF_LD_IND: legacy packet loads through the context in r6. Inside a subprogram
 * the load's hidden exit (bpf_gen_ld_abs returns 0 when the packet is too short) is a path of
 * its own: the continuation at the next instruction is pushed, and the current path returns 0
 * to the caller. Returns true when it moved the current path (the caller must not).
 */
export function checkLdAbs(env: Env, ins: Insn, push: (st: VState) => void): boolean {
  if (!env.ctx?.ldAbs) env.reject('invalid_insn', 'BPF_LD_[ABS|IND] instructions not allowed for this program type');
  env.rejectLeaks('BPF_LD_[ABS|IND]');
  const r6 = env.readReg(6);
  if (r6.type !== T.PTR_TO_CTX) env.reject('invalid_insn', 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
  if ((ins.code & 0xe0) === 0x40) {
    // check_ld_abs reads the index register whatever its type: a pointer there makes the offset
    // (int)(address + imm), which depends on where the object lies (each machine has its own).
    if (env.readReg(ins.src).type !== T.SCALAR) env.usesAddress = true;
  }
  // check_ptr_off_reg: the skb that R6 points to must be the context itself, not into it.
  checkPtrOffReg(env, 6, r6);
  for (let r = 0; r <= 5; r++) env.markNotInit(env.reg(r));
  // mark_reg_unknown: the kernel keeps no bounds from the load's width (a `u8` load can still be
  // 'above 255' to the verifier), so neither may bpflab or it would skip paths the kernel checks
  env.markScalar(env.reg(0), env.UNKNOWN);
  env.scratched |= 0x3f;
  if (env.cur.frames.length === 1) return false;
  const branch = cloneState(env.cur);
  branch.pc = env.pc + 1;
  branch.prevPc = env.pc;
  env.recordPushedHistory(branch);
  push(branch);
  env.markKnown(env.reg(0), 0n);
  checkExit(env);
  return true;
}

/**
 * A tail call in a subprogram may leave it (the running 6.18.44 kernel, as for LD_ABS): the path
 * that fails the tail call goes on at the next instruction (pushed, r0 not written: the helper
 * returns void), the current one returns to the caller at once with r0 unknown. Called after
 * check_helper_call; true when the current path has left the subprogram.
 */
export function checkTailCallExit(env: Env, ins: Insn, push: (st: VState) => void): boolean {
  if (ins.imm !== 12 || env.cur.frames.length === 1) return false;
  const branch = cloneState(env.cur);
  branch.pc = env.pc + 1;
  branch.prevPc = env.pc;
  branch.hist.push(env.pc);
  branch.histx.push(env.histExtra);
  push(branch);
  env.markScalar(env.reg(0), env.UNKNOWN);
  env.scratched |= 1;
  checkExit(env);
  return true;
}

/**
 * A bpf-to-bpf call: a new frame with r1-r5 passed, r10 its own frame pointer. A global function
 * is not descended into; one that may throw (3d562d35a044, in the running 6.18.44) leaves the
 * current path as an exception exit at the call, the path after the call is pushed. True when
 * the current path ended.
 */
export function checkSubprogCall(env: Env, ins: Insn): boolean {
  const st = env.cur;
  const target = env.pc + 1 + ins.imm;
  const sub = findSubprog(env.cfg.subprogs, target);
  const global = env.globals[sub];
  if (global) {
    checkGlobalCallInSection(env, sub);
    checkGlobalCall(env, sub, global);
    st.pc = env.pc + 1;
    if (!(env.mightThrow ??= subprogsMightThrow(env))[sub]) return false;
    const next = cloneState(st);
    next.prevPc = env.pc;
    env.pushBranch(next);
    // check_func_call printed the global function's line before the exception exit's checks
    if (env.log && env.note !== null) { env.log.line(env.note); env.note = null; }
    env.rejectLeaks('bpf_throw');
    return true;
  }
  if (st.frames.length >= MAX_CALL_FRAMES)
    env.reject('call_depth', `the call stack of ${st.frames.length + 1} frames is too deep`);
  // (no recursion check here: a recursive call is a frame like any other; the frame limit and
  // check_max_stack_depth's static walk bound it, as in the kernel)
  const caller = env.frame;
  const callee = newFrame(env.UNKNOWN, env.pc, sub);
  for (let r = 1; r <= 5; r++) copyReg(callee.regs[r]!, caller.regs[r]!);
  for (let r = 0; r <= 10; r++) if (r < 1 || r > 5) env.markNotInit(callee.regs[r]!);
  env.markPtr(callee.regs[10]!, T.PTR_TO_STACK);
  callee.regs[10]!.frameno = st.frames.length;
  for (let r = 0; r <= 5; r++) env.markNotInit(caller.regs[r]!);
  st.frames.push(callee);
  env.stackLive.resetCallchain(); // the marks of the callee's instructions go to its own call chain
  st.pc = target;
  const log = env.log;
  if (log) {
    // setup_func_entry's log: both frames whole, and the callee's is printed again before its first instruction
    const fi = st.frames.length - 1;
    log.line('caller:');
    log.line(log.frameLine(st, fi - 1));
    log.line('callee:');
    log.line(log.frameLine(st, fi));
    env.scratchAll = true;
  }
  return false;
}

/** prepare_func_exit's log: both frames as they are when the callee returns to `to`. */
function logFuncExit(env: Env, to: number): void {
  const log = env.log;
  if (!log) return;
  const st = env.cur;
  const fi = st.frames.length - 1;
  log.line('returning from callee:');
  log.line(log.frameLine(st, fi));
  log.line(`to caller at ${to}:`);
  log.line(log.frameLine(st, fi - 1));
}

/** BPF_EXIT: return to the caller frame, or end the program (leaks, r0 range). Returns true when the path ends. */
export function checkExit(env: Env): boolean {
  const st = env.cur;
  if (st.frames.length > 1) {
    // process_bpf_exit_full: the callee's call chain (and the callers') is solved before its frame goes
    env.stackLive.updateLiveStack(st);
    // prepare_func_exit: r0 goes back as it is; an unwritten r0 is an error only if the caller reads it.
    env.scratched |= 1;
    const r0 = env.reg(0);
    if (r0.type === T.PTR_TO_STACK) env.reject('pointer_leak', 'cannot return stack pointer to the caller');
    if (env.frame.cbRet) {
      // A callback: r0 in its range, then back to the helper call, which runs again (the callback loop).
      const [lo, hi] = env.frame.cbRet;
      if (r0.type !== T.SCALAR) env.reject('return_range', 'R0 not a scalar value');
      markPrecise(env, 1);
      const smin = env.dom.smin(r0.v);
      const smax = env.dom.smax(r0.v);
      if (smin < lo || smax > hi) {
        let has = '';
        if (smin > -(1n << 63n)) has += ` smin=${smin}`;
        if (smax < (1n << 63n) - 1n) has += ` smax=${smax}`;
        env.reject('return_range', `At callback return the register R0 has${has || ' unknown scalar value'} should have been in [${lo}, ${hi}]`);
      }
      logFuncExit(env, env.frame.callsite);
      const cb = st.frames.pop()!;
      st.pc = cb.callsite;
      widenAfterCallback(env, cb.callsite);
      return false;
    }
    copyReg(st.frames[st.frames.length - 2]!.regs[0]!, r0);
    logFuncExit(env, env.frame.callsite + 1);
    const callee = st.frames.pop()!;
    st.pc = callee.callsite + 1;
    return false;
  }
  env.rejectLeaks('BPF_EXIT instruction in main prog');
  checkReturnCode(env, 0);
  return true;
}

/**
 * check_return_code for register `regno` (R0 at an exit; R1, the cookie, at bpf_throw without an
 * exception callback). The outermost frame decides the rule: an async callback returns 0, a
 * global subprogram any scalar, the main program and the exception callback the program's range.
 */
export function checkReturnCode(env: Env, regno: number): void {
  const outer = env.cur.frames[0]!;
  // struct_ops members returning void: R0 is not looked at (it need not even be set).
  if (env.prog.type === 'struct_ops' && !outer.cbRet && (outer.subprog === 0 || outer.subprog === env.exceptionCb) && env.structOpsTarget().ret === 0) return;
  const reg = env.readReg(regno);
  const name = `R${regno}`;
  // An async callback (bpf_timer_set_callback) ends like a program, with its own return range.
  const asyncRet = outer.cbRet;
  if (outer.subprog > 0 && !asyncRet && outer.subprog !== env.exceptionCb) {
    // A global subprogram verified on its own: any scalar may go back.
    if (reg.type !== T.SCALAR) env.reject('pointer_leak', `At subprogram exit the register ${name} is not a scalar value (${typeName(reg.type)})`);
    return;
  }
  if (!asyncRet && reg.type !== T.SCALAR) env.exitR0Pointer = true;
  const target = asyncRet ? undefined : env.tracingTarget();
  const btfSpec = target ? btfProgRetRange(env.kernelBtf(), env.prog.type, target) : undefined;
  const spec = asyncRet ? { min: Number(asyncRet[0]), max: Number(asyncRet[1]) } : target ? btfSpec : returnRange(env.prog.type, env.prog.expectedAttachType);
  const where = asyncRet ? 'At async callback return' : 'At program exit';
  if (!spec) return;
  if (reg.type !== T.SCALAR) env.reject('return_range', `${where} the register ${name} is not a known value (${typeName(reg.type)})`);
  markPrecise(env, 1 << regno);
  const d = env.dom;
  // LSM hooks compare the low 32 bits (return_32bit).
  const bits32 = btfSpec?.bits32 === true;
  const smin = bits32 ? d.s32min(reg.v) : d.smin(reg.v);
  const smax = bits32 ? d.s32max(reg.v) : d.smax(reg.v);
  if (smin < BigInt(spec.min) || smax > BigInt(spec.max)) {
    let has = '';
    if (smin > -(1n << 63n)) has += ` smin=${smin}`;
    if (smax < (1n << 63n) - 1n) has += ` smax=${smax}`;
    if (!has) has = ' unknown scalar value';
    env.reject('return_range', `${where} the register ${name} has${has} should have been in [${spec.min}, ${spec.max}]`);
  }
}
