/**
 * bpf_cast_to_kern_ctx(ctx): the kernel object behind a program's context, which the verifier
 * types as the `BPF_PROG_TYPE_<T>_kern` member of struct bpf_ctx_convert -- struct sk_buff for
 * the skb program types, struct xdp_buff for XDP -- and which fixup_kfunc_call turns into
 * `r0 = r1`: in the kernel the uapi ctx pointer *is* that object. In the VM the uapi ctx is a
 * region of its own, so the cast returns a read-only kernel object of the run's world, laid out by
 * the kernel BTF, with the fields the run has filled in from its ctx and packet as they are at the
 * call (each call refreshes them): for sk_buff len, data_len (0: linear), mark, queue_mapping,
 * protocol, priority, skb_iif, hash, tc_index, napi_id, tstamp, head/data, tail and the mac,
 * network (and unset transport, ~0) header offsets; for xdp_buff data, data_end, data_meta,
 * data_hard_start, frame_sz and flags (0: no fragments). Fields the VM has no counterpart for
 * (dev, sk, rxq, truesize, end, ...) stay 0, so a walk through them reads 0 (probe loads). Other
 * program types' kernel contexts are the uapi ctx itself (pt_regs, the raw tracepoint arguments)
 * or not modelled: the cast stays the identity there.
 */
import { type HelperEnv, arg, setR0 } from '../env.js';
import { Memory } from '../memory.js';
import { kernelWorld, type KernelObject, type KernelWorld } from '../kernel-objects/index.js';
import { memberPath, writeInt } from '../kernel-objects/layout.js';
import { XDP_FRAME, isSkbType } from '../ctx-region.js';

/** The world object's name: one per run, refreshed by each cast. */
const OBJECT = 'bpf_cast_to_kern_ctx';
/** skb->transport_header when unset (skb_transport_header_was_set: ~0U of the u16). */
const HEADER_UNSET = 0xffffn;

/** The kernel context struct of `type` programs (bpf_ctx_convert's member), or undefined. */
function kernStructId(w: KernelWorld, type: string): number | undefined {
  const conv = w.btf.find('bpf_ctx_convert', 'struct')[0];
  if (conv?.kind !== 'struct') return undefined;
  const m = conv.members.find((x) => x.name === `BPF_PROG_TYPE_${type.toUpperCase()}_kern`);
  const t = m ? w.btf.skipMods(m.type) : undefined;
  return t?.kind === 'struct' ? t.id : undefined;
}

/** Writes integer field `path` of `obj` (bitfields are not written: none of the filled fields is one). */
function set(w: KernelWorld, obj: KernelObject, path: string, v: bigint): void {
  const loc = memberPath(w.btf, obj.typeId, path);
  if (typeof loc === 'string' || loc.bits) return; // a kernel without the field
  const size = w.btf.resolveSize(loc.type) ?? 0;
  if (size > 0 && size <= 8) writeInt(w.ownBytes(obj), loc.off, size, v);
}

function fillSkb(env: HelperEnv, w: KernelWorld, obj: KernelObject): void {
  const ctx = env.mem.bytes[env.ctxRegion]!;
  const dv = new DataView(ctx.buffer, ctx.byteOffset, ctx.length);
  const u32 = (off: number): bigint => BigInt(dv.getUint32(off, true));
  const p = env.packet;
  if (p) {
    // head is the start of the run's buffer; the header fields are offsets from it (sk_buff_data_t on 64-bit)
    set(w, obj, 'len', BigInt(p.end - p.data));
    set(w, obj, 'head', Memory.ptr(p.region, 0));
    set(w, obj, 'data', Memory.ptr(p.region, p.data));
    set(w, obj, 'tail', BigInt(p.end));
    set(w, obj, 'mac_header', p.mac !== undefined ? BigInt(p.mac) : HEADER_UNSET);
    set(w, obj, 'network_header', p.network !== undefined ? BigInt(p.network) : HEADER_UNSET);
    set(w, obj, 'transport_header', HEADER_UNSET);
  }
  set(w, obj, 'data_len', 0n);
  set(w, obj, 'mark', u32(8));
  set(w, obj, 'queue_mapping', u32(12));
  // the __be16 as its bytes in memory (the ctx holds them in the low half of the u32)
  const proto = locOff(w, obj, 'protocol');
  if (proto !== undefined) w.ownBytes(obj).set(ctx.subarray(16, 18), proto);
  set(w, obj, 'priority', u32(32));
  set(w, obj, 'skb_iif', u32(36));
  set(w, obj, 'tc_index', u32(44));
  set(w, obj, 'hash', u32(68));
  set(w, obj, 'napi_id', u32(84));
  set(w, obj, 'tstamp', dv.getBigUint64(152, true));
}

function locOff(w: KernelWorld, obj: KernelObject, path: string): number | undefined {
  const loc = memberPath(w.btf, obj.typeId, path);
  return typeof loc === 'string' ? undefined : loc.off;
}

function fillXdp(env: HelperEnv, w: KernelWorld, obj: KernelObject): void {
  const p = env.packet;
  if (!p) return;
  set(w, obj, 'data', Memory.ptr(p.region, p.data));
  set(w, obj, 'data_end', Memory.ptr(p.region, p.end));
  set(w, obj, 'data_meta', Memory.ptr(p.region, p.meta));
  set(w, obj, 'data_hard_start', Memory.ptr(p.region, 0));
  set(w, obj, 'frame_sz', BigInt(XDP_FRAME));
  set(w, obj, 'flags', 0n);
}

export function castToKernCtx(env: HelperEnv): void {
  const ctx = arg(env, 1);
  if (env.progType !== 'xdp' && !isSkbType(env.progType)) { setR0(env, ctx); return; }
  const w = kernelWorld(env);
  const id = kernStructId(w, env.progType);
  if (id === undefined) { setR0(env, ctx); return; }
  const obj = w.objects.get(OBJECT) ?? w.add(OBJECT, id);
  if (env.progType === 'xdp') fillXdp(env, w, obj); else fillSkb(env, w, obj);
  setR0(env, w.pointer(obj));
}
