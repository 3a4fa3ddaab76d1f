/**
 * Memory accesses (the kernel's check_mem_access and friends): per region bounds for the
 * context, the stack (per-byte slots, spill/fill), map values, packets and helper memory,
 * and the stack ranges helpers read or write (check_stack_range_initialized).
 */
import { checkFastcallStackContract } from './fastcall.js';
import type { MapSpec } from '../isa/program.js';
import { storedMapFlags } from '../isa/map-flags.js';
import type { Scalar } from './domains/index.js';
import type { Env } from './env.js';
import type { ErrorKind } from './error-kinds.js';
import { DYNPTR_TYPE_FLAGS, MAYBE_NULL, MEM_RDONLY, PTR_TRUSTED, PTR_UNTRUSTED, T, base, isPointer, typeName } from './reg-types.js';
import { destroyIfDynptrSlot } from './dynptr-state.js';
import { checkMapPtrAccess } from './map-ptr.js';
import { MAX_BPF_STACK, REG_SIZE, S, cloneReg, copyReg, fillSlots, setSpill, writableSlots, writableSpill, type Frame, type Reg } from './state.js';
import { MAX_VAR_OFF } from './alu.js';
import { markStackRead, markStackWritten } from './liveness.js';
import { sockAccessOk, sockCommonAccessOk, tcpSockAccessOk, xdpSockAccessOk } from '../runtime/context/sock-pointers.js';
import type { AccessKind, AccessOptions, CtxAccess, CtxLayout } from '../runtime/context/types.js';
import { markPrecise, stackSlotCode } from './precision.js';
import { checkBtfAccess } from './btf-access.js';
import { btfCtxAccess } from './tracing-ctx.js';
import { fieldAccessError, mapRecord } from './map-record.js';
import { checkKptrSrc, kptrFieldAt, loadKptr } from './kptr.js';
import { idBeforeMov } from './linked-scalars.js';

export type Access = 'read' | 'write';

const S64_MIN = -(1n << 63n);
const fitsS32 = (n: bigint): boolean => n >= -0x80000000n && n <= 0x7fffffffn;

function tnumStr(env: Env, v: Scalar): string {
  const t = env.dom.tnum(v);
  if (t.mask === 0n) return BigInt.asIntN(64, t.value).toString();
  return `(0x${t.value.toString(16)}; 0x${t.mask.toString(16)})`;
}

/**
 * check_generic_ptr_alignment in strict mode: the whole offset (variable part, fixed part and
 * the instruction's offset) must be a multiple of the access size.
 */
export function checkStrictAlignment(env: Env, r: Reg, insnOff: number, size: number, desc: string): void {
  if (size === 1) return;
  const t = env.dom.tnum(r.v);
  const low = BigInt(size - 1);
  if ((t.mask & low) !== 0n || ((t.value + BigInt(r.off + insnOff)) & low) !== 0n)
    env.reject('misaligned', `misaligned ${desc}access off ${tnumStr(env, r.v)}+${r.off}+${insnOff} size ${size}`);
}

/** check_ptr_alignment's pointer_desc per register type. */
const ALIGN_DESC: Partial<Record<number, string>> = {
  [T.PTR_TO_FLOW_KEYS]: 'flow keys ', [T.PTR_TO_MAP_VALUE]: 'value ', [T.PTR_TO_CTX]: 'context ', [T.PTR_TO_STACK]: 'stack ',
  [T.PTR_TO_SOCKET]: 'sock ', [T.PTR_TO_SOCK_COMMON]: 'sock_common ', [T.PTR_TO_TCP_SOCK]: 'tcp_sock ', [T.PTR_TO_XDP_SOCK]: 'xdp_sock ',
};

/**
 * check_ptr_alignment: with BPF_F_STRICT_ALIGNMENT (or `strictOnce`, as for atomics and
 * MEM_ALIGNED helper arguments) an access must be naturally aligned; packet pointers count
 * NET_IP_ALIGN (2) in front of the data; the stack is always strict.
 */
export function checkPtrAlignment(env: Env, r: Reg, insnOff: number, size: number, strictOnce: boolean): void {
  const strict = env.opts.strictAlignment === true || strictOnce || base(r.type) === T.PTR_TO_STACK;
  if (!strict || size === 1 || r.type === T.PTR_TO_ARENA) return;
  const t = env.dom.tnum(r.v);
  const low = BigInt(size - 1);
  if (base(r.type) === T.PTR_TO_PACKET || base(r.type) === T.PTR_TO_PACKET_META) {
    if ((t.mask & low) !== 0n || ((t.value + BigInt(2 + r.off + insnOff)) & low) !== 0n)
      env.reject('misaligned', `misaligned packet access off 2+${tnumStr(env, r.v)}+${r.off}+${insnOff} size ${size}`);
    return;
  }
  checkStrictAlignment(env, r, insnOff, size, ALIGN_DESC[base(r.type)] ?? '');
}

/** Value of a `size`-byte load of unknown memory. */
function loadedScalar(env: Env, size: number, sext: boolean): Scalar {
  if (size === 8) return env.UNKNOWN;
  return sext ? env.dom.sextLoad(env.UNKNOWN, size as 1 | 2 | 4) : env.dom.truncate(env.UNKNOWN, size as 1 | 2 | 4);
}

/**
 * bpf_map_direct_read: a constant-offset load from a frozen read-only array (libbpf freezes
 * .rodata and .kconfig after filling them) is the known value stored there.
 */
function frozenValue(env: Env, m: MapSpec, r: Reg, off: number, size: number, sext: boolean): Scalar | undefined {
  if (!m.readonly || (m.flags & 0x80) === 0 || m.type !== 'array' || !m.initial) return undefined;
  const c = env.dom.constValue(r.v);
  if (c === undefined) return undefined;
  const at = off + Number(c);
  if (at < 0 || at + size > m.initial.length) return undefined;
  let v = 0n;
  for (let i = 0; i < size; i++) v |= BigInt(m.initial[at + i]!) << BigInt(8 * i);
  if (sext) v = BigInt.asUintN(64, BigInt.asIntN(size * 8, v));
  return env.dom.known(v);
}

/** check_mem_region_access: fixed `off` plus the register's variable part within [0, memSize). */
function checkRegion(env: Env, regno: number, r: Reg, off: number, size: number, memSize: number, zeroOk: boolean,
  kind: ErrorKind, msg: (off: bigint) => string): void {
  const d = env.dom;
  const smin = d.smin(r.v);
  const umax = d.umax(r.v);
  const o = BigInt(off);
  const ok = (at: bigint): boolean => at >= 0n && (size > 0 || zeroOk) && at + BigInt(size) <= BigInt(memSize);
  if (smin < 0n && (smin === S64_MIN || !fitsS32(o + smin) || smin + o < 0n))
    env.reject('unbounded_access', `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  if (!ok(smin + o)) env.reject(kind, msg(smin + o), [`R${regno} min value is outside of the allowed memory range`]);
  if (umax >= MAX_VAR_OFF) env.reject('unbounded_access', `R${regno} unbounded memory access, make sure to bounds check any such access`);
  if (!ok(umax + o)) env.reject(kind, msg(umax + o), [`R${regno} max value is outside of the allowed memory range`]);
}

/** check_map_access: the value's bounds, then its special fields (`store`: how a direct access writes; helpers pass null). */
function checkMapValue(env: Env, regno: number, r: Reg, off: number, size: number, zeroOk: boolean,
  store: { how: 'none' | 'imm' | 'reg'; imm: number; value: Reg | null } | null = null): void {
  const m = env.map(r.map);
  checkRegion(env, regno, r, off, size, m.valueSize, zeroOk, 'map_value_oob',
    (o) => `invalid access to map value, value_size=${m.valueSize} off=${o} size=${size}`);
  const d = env.dom;
  const bad = fieldAccessError(mapRecord(env.prog, m), off, size, d.smin(r.v), d.umax(r.v), d.constValue(r.v), store !== null,
    store?.how ?? 'none', store?.imm ?? 0, store?.value ? env.isNull(store.value) : true);
  if (bad) env.reject(bad.unsupported ? 'unsupported' : 'map_field_access', bad.message);
}

function checkPacket(env: Env, regno: number, r: Reg, off: number, size: number, zeroOk: boolean): void {
  if (env.dom.smin(r.v) < 0n)
    env.reject('unbounded_access', `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  // A pointer known to lie beyond data_end (range BEYOND_PKT_END / AT_PKT_END): the kernel skips
  // __check_mem_access and its "invalid access to packet" line, reporting only the outside offset.
  if (r.range < 0) env.reject('packet_oob', `R${regno} offset is outside of the packet`);
  const ok = off >= 0 && (size > 0 || zeroOk) && off + size <= r.range;
  if (!ok) env.reject('packet_oob', `invalid access to packet, off=${off} size=${size}, R${regno}(id=${r.id},off=${off},r=${r.range})`, [`R${regno} offset is outside of the packet`]);
}

function checkMem(env: Env, regno: number, r: Reg, off: number, size: number, memSize: number, zeroOk: boolean): void {
  checkRegion(env, regno, r, off, size, memSize, zeroOk, 'mem_oob', (o) => `invalid access to memory, mem_size=${memSize} off=${o} size=${size}`);
}

/**
 * __check_ptr_off_reg: a pointer that may be used only in its original form (the context,
 * sockets, ...) has no negative offset, no fixed offset (unless `fixedOk`) and no variable one.
 */
export function checkPtrOffReg(env: Env, regno: number, r: Reg, fixedOk = false): void {
  if (r.off < 0) env.reject('ctx_modified', `negative offset ${typeName(r.type)} ptr R${regno} off=${r.off} disallowed`);
  if (!fixedOk && r.off) env.reject('ctx_modified', `dereference of modified ${typeName(r.type)} ptr R${regno} off=${r.off} disallowed`);
  const c = env.dom.constValue(r.v);
  if (c === undefined || c !== 0n) env.reject('ctx_modified', `variable ${typeName(r.type)} access var_off=${varOffStr(env, r.v)} disallowed`);
}

/** tnum_strn: "(value; mask)" in hex, as the kernel prints a var_off. */
function varOffStr(env: Env, v: Scalar): string {
  const t = env.dom.tnum(v);
  const hex = (n: bigint): string => (n === 0n ? '0x0' : `0x${n.toString(16)}`);
  return `(${hex(t.value)}; ${hex(t.mask)})`;
}

/** check_ptr_off_reg for the context. */
function checkCtxOff(env: Env, regno: number, r: Reg): void {
  checkPtrOffReg(env, regno, r);
}

/** The last context access options made, by sign extension (a context load is a common instruction; the layouts only read them). */
let ctxOptsAttach: number | undefined;
let ctxOpts: readonly [AccessOptions, AccessOptions] | null = null;

function ctxAccessOptions(expectedAttachType: number | undefined, sext: boolean): AccessOptions {
  if (ctxOpts === null || ctxOptsAttach !== expectedAttachType) {
    const attach = expectedAttachType !== undefined ? { expectedAttachType } : {};
    ctxOpts = [{ isLdsx: false, ...attach }, { isLdsx: true, ...attach }];
    ctxOptsAttach = expectedAttachType;
  }
  return ctxOpts[sext ? 1 : 0]!;
}

/**
 * is_valid_access answers per context layout and access: a layout's `access` is a function of
 * its arguments alone (the layouts are the program types' static tables), and working one out
 * walks the struct's field table by name several times, for every context access of every path.
 */
const ctxAnswers = new Map<CtxLayout, Map<number, CtxAccess>>();
/** Offsets at or above this are asked every time (no context struct is this large). */
const CTX_CACHED_OFFSETS = 4096;

export function ctxAccess(layout: CtxLayout, off: number, size: number, t: AccessKind, expectedAttachType: number | undefined, sext: boolean): CtxAccess {
  const attach = expectedAttachType ?? -1;
  if (off < 0 || off >= CTX_CACHED_OFFSETS || !Number.isInteger(off) || attach < -1 || attach >= 1024 || !Number.isInteger(attach) || size > 15)
    return layout.access(off, size, t, ctxAccessOptions(expectedAttachType, sext));
  const key = (((attach + 1) * CTX_CACHED_OFFSETS + off) * 16 + size) * 4 + (t === 'write' ? 2 : 0) + (sext ? 1 : 0);
  let answers = ctxAnswers.get(layout);
  if (!answers) ctxAnswers.set(layout, (answers = new Map()));
  let a = answers.get(key);
  if (a === undefined) answers.set(key, (a = layout.access(off, size, t, ctxAccessOptions(expectedAttachType, sext))));
  return a;
}

/** A load's value into register `dst` (none: -1). */
function setLoaded(env: Env, dst: number, v: Scalar): void {
  if (dst >= 0) env.markScalar(env.writeReg(dst), v);
}

/** A load or store through a packet (or packet-meta) pointer. */
function packetAccess(env: Env, regno: number, r: Reg, off: number, size: number, t: Access, dst: number, sext: boolean): void {
  if (t === 'write' && !packetWritable(env)) env.reject('readonly_write', 'cannot write into packet');
  checkPacket(env, regno, r, off, size, false);
  if (t === 'read') setLoaded(env, dst, loadedScalar(env, size, sext));
}

/**
 * A load or store of `size` bytes at `reg + insnOff`. For loads, `dst` receives the value; for
 * stores, `value` is the stored register (null for an immediate store, with `imm` its value).
 */
export function checkMemAccess(env: Env, regno: number, insnOff: number, size: number, t: Access,
  dst: number, value: Reg | null, imm: number, sext: boolean, dataWrite = false): void {
  const r = env.reg(regno);
  // A pointer stored outside the stack leaves an address in memory the run can be judged by.
  if (value && value.type !== T.SCALAR && value.type !== T.NOT_INIT && r.type !== T.PTR_TO_STACK) env.usesAddress = true;
  // The stack checks its own alignment below (with the offsets it reports).
  if (r.type !== T.PTR_TO_STACK) checkPtrAlignment(env, r, insnOff, size, false);
  const off = insnOff + r.off;
  // The common pointers here, every other one (and the BTF, map-pointer checks the kernel makes
  // first, which none of these are) in otherMemAccess: a small function is optimised sooner.
  switch (r.type) {
    case T.PTR_TO_STACK:
      stackAccess(env, regno, r, off, size, t, dst, value, imm, sext, dataWrite);
      return;
    case T.PTR_TO_MAP_VALUE:
      mapValueAccess(env, regno, r, off, size, t, dst, value, imm, sext);
      return;
    case T.PTR_TO_CTX:
      ctxMemAccess(env, regno, r, off, size, t, dst, sext);
      return;
    case T.PTR_TO_PACKET:
    case T.PTR_TO_PACKET_META:
      packetAccess(env, regno, r, off, size, t, dst, sext);
      return;
    default:
      otherMemAccess(env, regno, r, insnOff, off, size, t, dst, value, imm, sext, dataWrite);
  }
}

/** checkMemAccess through a map value. */
function mapValueAccess(env: Env, regno: number, r: Reg, off: number, size: number, t: Access,
  dst: number, value: Reg | null, imm: number, sext: boolean): void {
  const m = env.map(r.map);
  checkMapAccessType(env, m, off, size, t);
  const c = env.dom.constValue(r.v);
  const kptr = c === undefined ? undefined : kptrFieldAt(env, r.map, BigInt(off) + c, size);
  // A pointer stored into an unreferenced kptr is checked against the field's type below (map_kptr_match_type).
  const kptrStore = kptr?.type === 'kptr_untrusted' && value !== null && !env.isNull(value) ? value : null;
  checkMapValue(env, regno, r, off, size, false, { how: t === 'read' ? 'none' : value ? 'reg' : 'imm', imm, value: kptrStore ? null : value });
  if (kptr) {
    if (sext) env.reject('map_field_access', 'kptr in map can only be accessed using BPF_MEM instruction mode');
    if (t === 'read' && dst >= 0) loadKptr(env, kptr, env.writeReg(dst));
    if (kptrStore) checkKptrSrc(env, env.frame.regs.indexOf(kptrStore), kptrStore, kptr);
    return;
  }
  if (t === 'read') setLoaded(env, dst, frozenValue(env, m, r, off, size, sext) ?? loadedScalar(env, size, sext));
}

/** checkMemAccess through the context: its layout's fields, or a tracing program's BTF-typed arguments. */
function ctxMemAccess(env: Env, regno: number, r: Reg, off: number, size: number, t: Access, dst: number, sext: boolean): void {
  checkCtxOff(env, regno, r);
  const layout = env.ctx;
  if (!layout) {
    tracingCtxAccess(env, off, size, t, dst, sext);
    return;
  }
  const a = ctxAccess(layout, off, size, t, env.prog.expectedAttachType, sext);
  if (!a.ok) env.reject('ctx_access', `invalid bpf_context access off=${off} size=${size}`);
  if (t !== 'read' || dst < 0) return;
  if (a.pointer === undefined) setLoaded(env, dst, loadedScalar(env, size, sext));
  else ctxPointerLoad(env, a, size, dst, sext);
}

/** A context field that holds a pointer, loaded into `dst`. */
function ctxPointerLoad(env: Env, a: Extract<CtxAccess, { ok: true }>, size: number, dst: number, sext: boolean): void {
  const out = env.writeReg(dst);
  switch (a.pointer) {
    case 'packet': env.markPtr(out, T.PTR_TO_PACKET); break;
    case 'packet_end': env.markPtr(out, T.PTR_TO_PACKET_END); break;
    case 'packet_meta': env.markPtr(out, T.PTR_TO_PACKET_META); break;
    case 'flow_keys': env.markPtr(out, T.PTR_TO_FLOW_KEYS); break;
    case 'sock_common_or_null': env.markPtr(out, T.PTR_TO_SOCK_COMMON | MAYBE_NULL); out.id = env.newId(); break;
    case 'socket_or_null': env.markPtr(out, T.PTR_TO_SOCKET | MAYBE_NULL); out.id = env.newId(); break;
    case 'socket': env.markPtr(out, T.PTR_TO_SOCKET); break;
    case 'tp_buffer': env.markPtr(out, T.PTR_TO_TP_BUFFER); break;
    case 'btf_trusted': {
      const name = a.field!.btfStruct!;
      const t = env.kernelBtf().find(name, 'struct')[0];
      if (!t) env.reject('invalid_insn', `the target kernel has no struct ${name}`);
      env.markPtr(out, T.PTR_TO_BTF_ID | PTR_TRUSTED);
      out.memSize = t.id;
      break;
    }
    default: env.markScalar(out, loadedScalar(env, size, sext));
  }
}

/** The context of a program without a layout: a tracing program's BTF-typed arguments (btf_ctx_access), or none bpflab models. */
function tracingCtxAccess(env: Env, off: number, size: number, t: Access, dst: number, sext: boolean): void {
  const target = env.tracingTarget();
  if (!target) env.reject('unsupported', `bpflab does not model the context of ${env.prog.type} programs`);
  if (t !== 'read') env.reject('ctx_access', `invalid bpf_context access off=${off} size=${size}`);
  const a = btfCtxAccess(env.kernelBtf(), target, off, size);
  // btf_ctx_access logs why, then check_ctx_access its usual line
  if (typeof a === 'string') env.reject('ctx_access', a, [`invalid bpf_context access off=${off} size=${size}`]);
  if (env.log && a.kind !== 'buf' && a.log !== undefined) {
    env.note = a.log;
    env.noteOpen = a.kind === 'scalar' && a.logOpen === true;
  }
  if (dst < 0) return;
  if (a.kind === 'scalar') { setLoaded(env, dst, loadedScalar(env, size, sext)); return; }
  const out = env.writeReg(dst);
  env.markPtr(out, a.type);
  if (a.kind === 'btf') out.memSize = a.btfId;
  if (a.type & MAYBE_NULL) out.id = env.newId();
}

/** checkMemAccess through the pointers the common cases above leave, in the kernel's order. */
function otherMemAccess(env: Env, regno: number, r: Reg, insnOff: number, off: number, size: number, t: Access,
  dst: number, value: Reg | null, imm: number, sext: boolean, dataWrite: boolean): void {
  if (base(r.type) === T.PTR_TO_BTF_ID && !(r.type & MAYBE_NULL)) {
    checkBtfAccess(env, regno, r, insnOff, size, t === 'write', dst, () => setLoaded(env, dst, loadedScalar(env, size, sext)));
    return;
  }
  if (r.type === T.CONST_PTR_TO_MAP) {
    checkMapPtrAccess(env, regno, r, off, size, t === 'write', dst, () => setLoaded(env, dst, loadedScalar(env, size, sext)));
    return;
  }
  // A dynptr slice's DYNPTR_TYPE_* flag does not change how it is accessed.
  switch (r.type & ~DYNPTR_TYPE_FLAGS) {
    case T.PTR_TO_MAP_VALUE:
      mapValueAccess(env, regno, r, off, size, t, dst, value, imm, sext);
      return;
    case T.PTR_TO_MAP_KEY: {
      // check_mem_access has its own wording for a store through a map key (a callback's key argument);
      // a helper writing there (check_helper_mem_access) says 'cannot write into map_key'.
      if (t === 'write') env.reject('readonly_write', `write to change key R${regno} not allowed`);
      const m = env.map(r.map);
      checkRegion(env, regno, r, off, size, m.keySize, false, 'map_value_oob', (o) => `invalid access to map key, key_size=${m.keySize} off=${o} size=${size}`);
      setLoaded(env, dst, loadedScalar(env, size, sext));
      return;
    }
    case T.PTR_TO_TP_BUFFER:
      checkBuffer(env, regno, r, off, size, 'tracepoint');
      if (t === 'read') setLoaded(env, dst, loadedScalar(env, size, sext));
      return;
    case T.PTR_TO_BUF:
    case T.PTR_TO_BUF | MEM_RDONLY:
      if (t === 'write' && r.type & MEM_RDONLY) env.reject('readonly_write', `R${regno} cannot write into ${typeName(r.type)}`);
      iterBuffer(env, regno, r, off, size);
      if (t === 'read') setLoaded(env, dst, loadedScalar(env, size, sext));
      return;
    case T.PTR_TO_MEM | MEM_RDONLY | PTR_UNTRUSTED:
      // bpf_rdonly_cast to void (and untrusted pointers walked to): the JIT reads through probe
      // instructions, so any offset is allowed (check_mem_access skips check_mem_region_access).
      if (t === 'write') env.reject('readonly_write', `R${regno} cannot write into ${typeName(r.type)}`);
      if (t === 'read') setLoaded(env, dst, loadedScalar(env, size, sext));
      return;
    case T.PTR_TO_MEM:
    case T.PTR_TO_MEM | MEM_RDONLY:
    case T.PTR_TO_MEM | 0x400: {
      if (t === 'write' && r.type & MEM_RDONLY) env.reject('readonly_write', `R${regno} cannot write into ${typeName(r.type)}`);
      checkMem(env, regno, r, off, size, r.memSize, false);
      if (t === 'read') setLoaded(env, dst, loadedScalar(env, size, sext));
      return;
    }
    case T.PTR_TO_CTX:
      ctxMemAccess(env, regno, r, off, size, t, dst, sext);
      return;
    case T.PTR_TO_STACK:
      stackAccess(env, regno, r, off, size, t, dst, value, imm, sext, dataWrite);
      return;
    case T.PTR_TO_PACKET:
    case T.PTR_TO_PACKET_META:
      packetAccess(env, regno, r, off, size, t, dst, sext);
      return;
    case T.PTR_TO_ARENA:
      // check_mem_access: arena memory is not checked (the JIT makes every access fault-safe).
      if (t === 'read') setLoaded(env, dst, loadedScalar(env, size, sext));
      return;
    case T.PTR_TO_FLOW_KEYS:
      if (off < 0 || off + size > 56) env.reject('ctx_access', `invalid access to flow keys off=${off} size=${size}`);
      if (t === 'read') setLoaded(env, dst, loadedScalar(env, size, sext));
      return;
    case T.PTR_TO_SOCKET:
    case T.PTR_TO_SOCK_COMMON:
    case T.PTR_TO_TCP_SOCK:
    case T.PTR_TO_XDP_SOCK: {
      // check_sock_access
      if (t === 'write') env.reject('readonly_write', `R${regno} cannot write into ${typeName(r.type)}`);
      if (env.dom.smin(r.v) < 0n)
        env.reject('unbounded_access', `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
      const valid = r.type === T.PTR_TO_SOCKET ? sockAccessOk(off, size) : r.type === T.PTR_TO_SOCK_COMMON ? sockCommonAccessOk(off, size)
        : r.type === T.PTR_TO_TCP_SOCK ? tcpSockAccessOk(off, size) : xdpSockAccessOk(off, size);
      if (!valid) env.reject('ctx_access', `R${regno} invalid ${typeName(r.type)} access off=${off} size=${size}`);
      setLoaded(env, dst, loadedScalar(env, size, sext));
      return;
    }
    default:
      env.reject(r.type & MAYBE_NULL ? 'null_pointer' : 'invalid_mem_access', `R${regno} invalid mem access '${typeName(r.type)}'`);
  }
}

/** env->allow_uninit_stack: privileged loaders (the default) may read stack bytes never written. */
const uninitStackOk = (env: Env): boolean => env.opts.allowUninitStack !== false;

const BPF_F_RDONLY_PROG = 1 << 7;
const BPF_F_WRONLY_PROG = 1 << 8;

/**
 * check_map_access_type: BPF_F_RDONLY_PROG maps (and .rodata, which libbpf creates with it and
 * freezes) cannot be written by programs, BPF_F_WRONLY_PROG maps cannot be read. The flags are
 * the map's stored ones: devmap and devmap_hash get BPF_F_RDONLY_PROG from their allocator.
 */
function checkMapAccessType(env: Env, m: MapSpec, off: number, size: number, t: Access): void {
  const flags = storedMapFlags(m);
  const rdonly = m.readonly === true || (flags & BPF_F_RDONLY_PROG) !== 0;
  const wronly = (flags & BPF_F_WRONLY_PROG) !== 0;
  if (t === 'write' && rdonly) env.reject('readonly_write', `write into map forbidden, value_size=${m.valueSize} off=${off} size=${size}`);
  if (t === 'read' && wronly) env.reject('writeonly_read', `read from map forbidden, value_size=${m.valueSize} off=${off} size=${size}`);
}

/**
 * may_access_direct_pkt_data for writes (a cgroup_sockopt program's packet is its option buffer).
 * lwt_in/out, lwt_seg6local, sk_reuseport, flow_dissector and cgroup_skb only read their packet.
 */
export function packetWritable(env: Env): boolean {
  switch (env.prog.type) {
    case 'sched_cls': case 'sched_act': case 'xdp': case 'lwt_xmit': case 'sk_skb': case 'sk_msg': case 'cgroup_sockopt':
      return true;
    default:
      return false;
  }
}

// ---- the stack ----

/** The frame a stack pointer points into. */
function stackFrame(env: Env, r: Reg): Frame {
  return env.cur.frames[r.frameno]!;
}

function touch(env: Env, f: Frame, lo: number, scratch = true): void {
  if (-lo > f.depth) f.depth = -lo;
  // The scratched slots are for the log's state lines only (nothing else reads them).
  if (scratch && env.log && f === env.frame) {
    const k = (MAX_BPF_STACK + lo) >> 3;
    if (!env.scratchedStack.includes(k)) env.scratchedStack.push(k);
  }
}

/**
 * Destroys what slot `k` held (a spill, dynptr or iterator): scrub_spilled_slot on each of its
 * bytes, so every initialized byte becomes STACK_MISC, the STACK_ZERO bytes beside a narrow spill
 * too; only never-written bytes stay STACK_INVALID.
 */
function scrubSlot(f: Frame, k: number): void {
  let i = k * 8;
  // (bytes already data or never written stay as they are: a shared array is copied only for a change)
  while (i < k * 8 + 8 && (f.slots[i] === S.INVALID || f.slots[i] === S.MISC)) i++;
  if (i < k * 8 + 8) {
    const slots = writableSlots(f);
    for (; i < k * 8 + 8; i++) if (slots[i] !== S.INVALID) slots[i] = S.MISC;
  }
  setSpill(f, k, undefined);
}

function stackAccess(env: Env, regno: number, r: Reg, off: number, size: number, t: Access,
  dst: number, value: Reg | null, imm: number, sext: boolean, dataWrite: boolean): void {
  const d = env.dom;
  const f = stackFrame(env, r);
  const c = d.constValue(r.v);
  if (c !== undefined) {
    const o = off + Number(BigInt.asIntN(64, c));
    if (o % size !== 0) env.reject('misaligned', `misaligned stack access off ${tnumStr(env, r.v)}+${r.off}+${off - r.off} size ${size}`);
    if (o < -MAX_BPF_STACK || o + size > 0) env.reject('stack_oob', `invalid ${t === 'read' ? 'read from' : 'write to'} stack R${regno} off=${o} size=${size}`);
    touch(env, f, o);
    if (env.fastcall) checkFastcallStackContract(env.fastcall, env.cfg.subprogs, env.frame.subprog, env.pc, o);
    const slot = (MAX_BPF_STACK + o) >> 3;
    if (t === 'read') markStackRead(env, r.frameno, slot);
    else if (size === 8) markStackWritten(env, r.frameno, slot);
    let spillAccess: boolean;
    if (t === 'write') {
      destroyIfDynptrSlot(env, f, r.frameno, slot);
      spillAccess = stackWriteFixed(env, f, o, size, value, imm, dataWrite);
    }
    else spillAccess = stackReadFixed(env, f, o, size, dst, sext);
    // INSN_F_STACK_ACCESS in the jump history: only a register spilled or filled (insn_flags is
    // cleared for data), which precision backtracking follows through the slot.
    if (spillAccess) env.histExtra = stackSlotCode(r.frameno, slot);
    return;
  }
  stackAccessVarOff(env, regno, r, f, off, size, t, dst, value, imm, sext, dataWrite);
}

/** A stack access at a variable offset (check_stack_access_within_bounds, check_stack_{read,write}_var_off). */
function stackAccessVarOff(env: Env, regno: number, r: Reg, f: Frame, off: number, size: number, t: Access,
  dst: number, value: Reg | null, imm: number, sext: boolean, dataWrite: boolean): void {
  const d = env.dom;
  // Variable offset: aligned only when the unknown bits of the offset are above the access size.
  const tn = d.tnum(r.v);
  const low = BigInt(size - 1);
  if ((tn.mask & low) !== 0n || ((tn.value + BigInt(off)) & low) !== 0n)
    env.reject('misaligned', `misaligned stack access off ${tnumStr(env, r.v)}+${r.off}+${off - r.off} size ${size}`);
  // Every byte the access may touch.
  const lo = BigInt(off) + d.smin(r.v);
  const hi = BigInt(off) + d.smax(r.v) + BigInt(size);
  if (lo < -BigInt(MAX_BPF_STACK) || hi > 0n)
    env.reject('stack_oob', `invalid variable-offset ${t === 'read' ? 'read from' : 'write to'} stack R${regno} var_off=${tnumStr(env, r.v)} off=${off} size=${size}`);
  const from = Number(lo);
  const to = Number(hi);
  touch(env, f, from);
  if (t === 'write') {
    // check_stack_write_var_off: every slot the write may touch loses its dynptr first.
    for (let a = from; a < to; a++) destroyIfDynptrSlot(env, f, r.frameno, (MAX_BPF_STACK + a) >> 3);
    if (env.fastcall) checkFastcallStackContract(env.fastcall, env.cfg.subprogs, env.frame.subprog, env.pc, from);
    const zero = !dataWrite && (value ? env.isNull(value) : imm === 0);
    for (let a = from; a < to; a++) {
      const i = MAX_BPF_STACK + a;
      const st = f.slots[i]!;
      if (st === S.INVALID && !uninitStackOk(env))
        env.reject('stack_uninit', `uninit stack in range of var-offset write prohibited for !root; insn ${env.pc}, off: ${a}`);
      // Writing zero over a spilled scalar 0 leaves the spill as it is.
      const spill = f.spills[i >> 3];
      if (zero && st === S.SPILL && spill && env.isNull(spill)) continue;
      // The slot is scrubbed before this byte's new type is chosen: a zero written over a
      // STACK_ZERO byte beside a destroyed spill is data too.
      if (spill) scrubSlot(f, i >> 3);
      writableSlots(f)[i] = zero && f.slots[i] === S.ZERO ? S.ZERO : S.MISC;
    }
    return;
  }
  let zeros = 0;
  for (let a = from; a < to; a++) {
    const i = MAX_BPF_STACK + a;
    markStackRead(env, r.frameno, i >> 3);
    const st = f.slots[i]!;
    if (st === S.ZERO) zeros++;
    else if (st === S.MISC || (st === S.INVALID && uninitStackOk(env))) continue;
    else if (st === S.SPILL) continue;
    else env.reject('stack_uninit', `invalid read from stack R${regno} var_off ${tnumStr(env, r.v)}+${a} size ${size}`);
  }
  if (dst >= 0) {
    if (zeros === to - from) env.markKnown(env.writeReg(dst), 0n);
    else env.markScalar(env.writeReg(dst), loadedScalar(env, size, sext));
  }
}

/**
 * check_stack_write_fixed_off. `dataWrite`: the kernel's value_regno -1 outside BPF_ST (an atomic's
 * write half): the bytes become data (STACK_MISC), whatever was spilled there is scrubbed.
 */
/** 2^(8 * size) by access size in bytes: a spilled scalar below it fits the slot's bytes. */
const SIZE_LIMIT: readonly bigint[] = [1n, 1n << 8n, 1n << 16n, 0n, 1n << 32n];

/** save_register_state: `reg` (the frame's own copy) spilled into slot k with its low `size` bytes. */
function spillReg(f: Frame, k: number, reg: Reg, size: number): void {
  setSpill(f, k, reg);
  fillSlots(f, k * 8, k * 8 + size, S.SPILL);
  // mark_stack_slot_misc on the bytes above a narrow spill: INVALID and ZERO stay
  for (let i = k * 8 + size; i < k * 8 + 8; i++) {
    const b = f.slots[i];
    if (b === S.SPILL || b === S.ITER || b === S.IRQ_FLAG) writableSlots(f)[i] = S.MISC;
  }
}

/** Returns whether a register was spilled (the kernel's insn_flags stay set). */
function stackWriteFixed(env: Env, f: Frame, o: number, size: number, value: Reg | null, imm: number, dataWrite = false): boolean {
  const d = env.dom;
  const i0 = MAX_BPF_STACK + o;
  const k = i0 >> 3;
  const aligned = (o & 7) === 0;
  if (!dataWrite && value && aligned && value.type === T.SCALAR) {
    // A scalar spill keeps its bounds; a narrowing spill breaks the link to the source's id.
    const fits = size === 8 || d.umax(value.v) < SIZE_LIMIT[size]!;
    if (fits) idBeforeMov(env, value);
    spillReg(f, k, cloneReg(value), size);
    if (!fits) writableSpill(f, k).id = 0;
    return true;
  }
  if (!dataWrite && !value && aligned) {
    const tmp = cloneReg(env.reg(0));
    env.markKnownInt(tmp, imm);
    spillReg(f, k, tmp, size);
    return true;
  }
  if (!dataWrite && value && isPointer(value.type)) {
    if (size !== REG_SIZE) env.reject('spill_size', 'invalid size of register spill');
    if (f !== env.frame && value.type === T.PTR_TO_STACK)
      env.reject('pointer_leak', 'cannot spill pointers to stack into stack frame of the caller');
    spillReg(f, k, cloneReg(value), size);
    return true;
  }
  // Plain data: destroys any spilled register in the slot; an iterator's bytes all become data.
  // An atomic over a spilled pointer leaves data computed from that address in the slot.
  if (dataWrite && f.spills[k] && f.slots[k * 8] === S.SPILL && isPointer(f.spills[k]!.type)) env.usesAddress = true;
  // is_stack_slot_special (the slot's lowest byte is a spill, dynptr or iterator byte): every
  // initialized byte of the slot becomes data, the STACK_ZERO bytes beside a narrow spill too
  // (scrub_spilled_slot), so a later read of them is an unknown scalar, not 0.
  const low = f.slots[k * 8];
  if (low === S.SPILL || low === S.ITER || low === S.DYNPTR || low === S.IRQ_FLAG) scrubSlot(f, k);
  setSpill(f, k, undefined);
  const zero = !dataWrite && (value ? env.isNull(value) : imm === 0);
  // A register's 0 stored as data (not a spill) becomes STACK_ZERO, which is only right for later
  // states if the source is precise: the kernel marks it so.
  if (zero && value) {
    const regno = env.frame.regs.indexOf(value);
    if (regno >= 0) markPrecise(env, 1 << regno);
  }
  fillSlots(f, i0, i0 + size, zero ? S.ZERO : S.MISC);
  return false;
}

/** Returns whether a spilled register was filled (the kernel's insn_flags stay set). */
function stackReadFixed(env: Env, f: Frame, o: number, size: number, dst: number, sext: boolean): boolean {
  const d = env.dom;
  const i0 = MAX_BPF_STACK + o;
  const k = i0 >> 3;
  const sp = f.spills[k];
  if (sp && f.slots[k * 8] === S.SPILL) {
    let spillSize = 0;
    while (spillSize < 8 && f.slots[k * 8 + spillSize] === S.SPILL) spillSize++;
    if (size !== REG_SIZE || spillSize !== REG_SIZE) {
      if (sp.type !== T.SCALAR) env.reject('spill_size', 'invalid size of register fill');
      if (dst < 0) return false;
      if (size <= spillSize && (i0 & 7) === 0) {
        const out = env.writeReg(dst);
        copyReg(out, sp);
        // The fill equals the spilled value only when it fits in `size` bytes, and for a sign-extending
        // fill only when the narrow sign bit is clear too: otherwise the relation to the source is broken.
        if (size < 8 && d.umax(sp.v) >= 1n << BigInt(size * 8 - (sext ? 1 : 0))) out.id = 0;
        out.v = sext ? d.sextLoad(sp.v, size as 1 | 2 | 4) : size < 8 ? d.truncate(sp.v, size as 1 | 2 | 4) : sp.v;
        return true;
      }
      let spills = 0;
      let zeros = 0;
      for (let i = i0; i < i0 + size; i++) {
        const st = f.slots[i]!;
        if (st === S.SPILL) spills++;
        else if (st === S.ZERO) zeros++;
        else if (st === S.MISC || (st === S.INVALID && uninitStackOk(env))) continue;
        else env.reject('stack_uninit', `invalid read from stack off ${o}+${i - i0} size ${size}`);
      }
      const out = env.writeReg(dst);
      // a fill of a spilled 0 is still a register fill; zeros or data are not (insn_flags = 0)
      if (spills === size && d.constValue(sp.v) === 0n) { env.markKnown(out, 0n); return true; }
      if (zeros === size) env.markKnown(out, 0n);
      else env.markScalar(out, loadedScalar(env, size, sext));
      return false;
    }
    if (dst >= 0) copyReg(env.writeReg(dst), sp);
    return true;
  }
  let zeros = 0;
  for (let i = i0; i < i0 + size; i++) {
    const st = f.slots[i]!;
    if (st === S.ZERO) zeros++;
    else if (st === S.MISC || (st === S.INVALID && uninitStackOk(env))) continue;
    else env.reject('stack_uninit', `invalid read from stack off ${o}+${i - i0} size ${size}`);
  }
  if (dst >= 0) {
    const out = env.writeReg(dst);
    if (zeros === size) env.markKnown(out, 0n);
    else env.markScalar(out, loadedScalar(env, size, sext));
  }
  return false;
}

/** The program types whose verifier_ops have convert_ctx_access (their context fields are rewritten). */
const CTX_CONVERTED: ReadonlySet<string> = new Set([
  'socket_filter', 'sched_cls', 'sched_act', 'xdp', 'perf_event', 'cgroup_skb', 'cgroup_sock', 'lwt_in', 'lwt_out',
  'lwt_xmit', 'lwt_seg6local', 'sock_ops', 'sk_skb', 'sk_msg', 'cgroup_sock_addr', 'sk_reuseport', 'flow_dissector',
  'cgroup_sysctl', 'cgroup_sockopt', 'sk_lookup',
]);

/**
 * check_helper_mem_access: a helper reads (or, `write`, fills) `size` bytes at register
 * `regno`. Sizes come from the constant or bounded size argument.
 */
export function checkHelperMem(env: Env, regno: number, size: number, zeroOk: boolean, write: boolean, uninitOk: boolean): void {
  const r = env.reg(regno);
  switch (base(r.type)) {
    case T.PTR_TO_PACKET:
    case T.PTR_TO_PACKET_META:
      checkPacket(env, regno, r, r.off, size, zeroOk);
      return;
    case T.PTR_TO_MAP_KEY:
      if (write) env.reject('readonly_write', `R${regno} cannot write into ${typeName(r.type)}`);
      checkRegion(env, regno, r, r.off, size, env.map(r.map).keySize, zeroOk, 'map_value_oob',
        (o) => `invalid access to map key, key_size=${env.map(r.map).keySize} off=${o} size=${size}`);
      return;
    case T.PTR_TO_MAP_VALUE: {
      checkMapAccessType(env, env.map(r.map), r.off, size, write ? 'write' : 'read');
      checkMapValue(env, regno, r, r.off, size, zeroOk);
      return;
    }
    case T.PTR_TO_MEM:
      if (write && r.type & MEM_RDONLY) env.reject('readonly_write', `R${regno} cannot write into ${typeName(r.type)}`);
      checkMem(env, regno, r, r.off, size, r.memSize, zeroOk);
      return;
    case T.PTR_TO_BUF:
      if (write && r.type & MEM_RDONLY) env.reject('readonly_write', `R${regno} cannot write into ${typeName(r.type)}`);
      iterBuffer(env, regno, r, r.off, size);
      return;
    case T.PTR_TO_STACK:
      stackRange(env, regno, r, size, zeroOk, write, uninitOk);
      return;
    case T.PTR_TO_BTF_ID:
      // a kernel object as memory: check_ptr_to_btf_access with the access's own type (helpers that
      // write were refused by check_reg_type; a global function's or kfunc's memory is also written,
      // which a tracing program may not do: 'only read is supported')
      checkBtfAccess(env, regno, r, 0, size, write, -1, () => undefined);
      return;
    case T.PTR_TO_CTX:
      // A context the kernel does not rewrite accesses to (no convert_ctx_access: a syscall
      // program's is user memory) is checked at run time's extent: its last byte, as a one-byte
      // context access. Other contexts are refused below.
      if (!CTX_CONVERTED.has(env.prog.type)) {
        if (size > 0) checkMemAccess(env, regno, size - 1, 1, write ? 'write' : 'read', -1, null, 0, false);
        if (size > 0 || zeroOk) return;
      }
    // falls through
    default:
      if (zeroOk && size === 0 && env.isNull(r)) return;
      env.reject('helper_arg', `R${regno} type=${typeName(r.type)} expected=fp`);
  }
}

/**
 * __check_buffer_access: a writable raw tracepoint's buffer, or an iterator's key or value buffer,
 * is read and written at constant, non-negative offsets; its size is checked when the program is
 * attached (max_tp_access, max_rdonly_access, max_rdwr_access), not here.
 */
function checkBuffer(env: Env, regno: number, r: Reg, off: number, size: number, info: string): void {
  if (off < 0) env.reject('invalid_mem_access', `R${regno} invalid ${info} buffer access: off=${off}, size=${size}`);
  const c = env.dom.constValue(r.v);
  if (c === undefined || c !== 0n) {
    const tn = env.dom.tnum(r.v);
    env.reject('invalid_mem_access', `R${regno} invalid variable buffer offset: off=${off}, var_off=(0x${tn.value.toString(16)}; 0x${tn.mask.toString(16)})`);
  }
}

/** check_buffer_access for PTR_TO_BUF: the access, then the program's furthest byte into that buffer. */
function iterBuffer(env: Env, regno: number, r: Reg, off: number, size: number): void {
  const rdonly = (r.type & MEM_RDONLY) !== 0;
  checkBuffer(env, regno, r, off, size, rdonly ? 'rdonly' : 'rdwr');
  if (rdonly) env.maxRdonlyAccess = Math.max(env.maxRdonlyAccess, off + size);
  else env.maxRdwrAccess = Math.max(env.maxRdwrAccess, off + size);
}

/** check_stack_range_initialized. */
function stackRange(env: Env, regno: number, r: Reg, size: number, zeroOk: boolean, write: boolean, uninitOk: boolean): void {
  const d = env.dom;
  if (size === 0 && !zeroOk) env.reject('helper_arg', 'invalid zero-sized read');
  const f = stackFrame(env, r);
  const c = d.constValue(r.v);
  // check_stack_access_within_bounds: a variable offset must be bounded before its range is checked
  // check_stack_access_within_bounds names the helper's access type (6.13+: BPF_READ or
  // BPF_WRITE from the argument's flags; the "indirect access to" wording is gone).
  const what = write ? 'write to' : 'read from';
  if (c === undefined && (d.smax(r.v) >= MAX_VAR_OFF || d.smin(r.v) <= -MAX_VAR_OFF))
    env.reject('stack_oob', `invalid unbounded variable-offset ${what} stack R${regno}`);
  const minOff = BigInt(r.off) + (c !== undefined ? BigInt.asIntN(64, c) : d.smin(r.v));
  const maxOff = BigInt(r.off) + (c !== undefined ? BigInt.asIntN(64, c) : d.smax(r.v));
  // (the lowest byte must be a stack byte even for a zero-sized access: fp+0 with size 0 is refused)
  if (minOff < -BigInt(MAX_BPF_STACK) || minOff > -1n || maxOff + BigInt(size) > 0n) {
    if (c !== undefined) env.reject('stack_oob', `invalid ${what} stack R${regno} off=${minOff} size=${size}`);
    env.reject('stack_oob', `invalid variable-offset ${what} stack R${regno} var_off=${tnumStr(env, r.v)} off=${r.off} size=${size}`);
  }
  const lo = Number(minOff);
  const hi = Number(maxOff) + size;
  // (the log's state after the call shows the slots a raw-mode (MEM_UNINIT) helper wrote, as
  // check_helper_call's byte-by-byte check_mem_access marks them scratched -- every slot the bytes
  // cover; not those it read, nor a MEM_WRITE buffer it fills without MEM_UNINIT:
  // check_stack_range_initialized marks none)
  if (size > 0) {
    touch(env, f, lo, false);
    if (write && uninitOk && env.log && f === env.frame) {
      for (let k = (MAX_BPF_STACK + lo) >> 3; k <= (MAX_BPF_STACK + hi - 1) >> 3; k++) if (!env.scratchedStack.includes(k)) env.scratchedStack.push(k);
    }
  }
  if (write && uninitOk) {
    // Raw mode: the helper's byte writes must not land on a dynptr (aliasing with a dynptr argument).
    for (let a = lo; a < hi; a++) if (f.slots[MAX_BPF_STACK + a] === S.DYNPTR) env.reject('helper_arg', `potential write to dynptr at off=${a} disallowed`);
  }
  if (write && uninitOk && c !== undefined) {
    // The helper fills the buffer: the bytes become data (spills in range are destroyed).
    for (let a = lo; a < hi; a++) {
      const i = MAX_BPF_STACK + a;
      if (f.spills[i >> 3]) scrubSlot(f, i >> 3);
      writableSlots(f)[i] = S.MISC;
    }
    return;
  }
  for (let a = lo; a < hi; a++) {
    const i = MAX_BPF_STACK + a;
    markStackRead(env, r.frameno, i >> 3);
    const st = f.slots[i]!;
    if (st === S.MISC) continue;
    if (st === S.ZERO || (st === S.INVALID && uninitStackOk(env))) { if (write) writableSlots(f)[i] = S.MISC; continue; }
    if (st === S.SPILL && f.spills[i >> 3]) {
      // A spilled pointer read as bytes (allow_ptr_leaks): its address reaches the helper's data.
      if (!write && isPointer(f.spills[i >> 3]!.type)) env.usesAddress = true;
      if (write) {
        const k = i >> 3;
        scrubSlot(f, k);
      }
      continue;
    }
    if (c !== undefined) env.reject('stack_uninit', `invalid read from stack R${regno} off ${lo}+${a - lo} size ${size}`);
    env.reject('stack_uninit', `invalid read from stack R${regno} var_off ${tnumStr(env, r.v)}+${a} size ${size}`);
  }
}
