/**
 * Packet helpers of skb programs (skb_load/store_bytes, checksum updates, redirect, hash) and of
 * XDP (adjust_head/meta/tail, load/store bytes, redirect_map), on the run's PacketState.
 * Checksums are computed on 16-bit words in memory order, exactly as the kernel's csum_* on a
 * little-endian machine, so results match byte for byte.
 */
import type { BpfMap } from '../../maps/types.js';
import { type HelperEnv, type PacketState, arg, argNum, argU32, setR0, setR0Int } from '../../env.js';
import { VmError } from '../../errors.js';
import { EACCES, EFAULT, EINVAL, ENOENT, type HelperFn, ENOTSUPP, ctxArg, mapArg } from './common.js';
import { ARG, helperProtoFor } from '../prototypes.js';

const ETH_HLEN = 14;
const XDP_ABORTED = 0, XDP_REDIRECT = 4;
const TC_ACT_SHOT = 2, TC_ACT_REDIRECT = 7;

function packet(env: HelperEnv): PacketState {
  ctxArg(env, 1);
  if (!env.packet) throw new VmError('bad_call', env.pc, 'this program has no packet');
  return env.packet;
}

/** Moves the packet region's window after data/data_end/data_meta changed. */
function sync(env: HelperEnv, pk: PacketState): void {
  env.mem.setWindow(pk.region, pk.meta, pk.end, pk.data);
}

// ---- one's-complement arithmetic (include/net/checksum.h) ----
const fold = (s: number): number => { while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000); return s; };
/** 32-bit one's-complement add (csum_add): end-around carry. */
const add32 = (a: number, b: number): number => { const s = (a >>> 0) + (b >>> 0); return s > 0xffffffff ? (s - 0xffffffff) >>> 0 : s >>> 0; };
const csumFold = (c: number): number => (~fold((c & 0xffff) + (c >>> 16)) & 0xffff) >>> 0;

function csumReplace2(b: Uint8Array, at: number, from: number, to: number): void {
  const old = b[at]! | (b[at + 1]! << 8);
  // ~csum16_add(csum16_sub(~old, from), to)
  let s = (~old & 0xffff) + (~from & 0xffff);
  s = fold(s) + (to & 0xffff);
  const v = ~fold(s) & 0xffff;
  b[at] = v & 0xff; b[at + 1] = v >>> 8;
}

function csumReplace4(b: Uint8Array, at: number, from: number, to: number): void {
  // *sum = csum_fold(csum_add(csum_sub(~csum_unfold(*sum), from), to))
  const old = b[at]! | (b[at + 1]! << 8);
  let c = add32((~old & 0xffff) >>> 0, (~from) >>> 0);
  c = add32(c, to >>> 0);
  const v = csumFold(c);
  b[at] = v & 0xff; b[at + 1] = v >>> 8;
}

function csumReplaceByDiff(b: Uint8Array, at: number, diff: number): void {
  const old = b[at]! | (b[at + 1]! << 8);
  const v = csumFold(add32(diff >>> 0, (~old & 0xffff) >>> 0));
  b[at] = v & 0xff; b[at + 1] = v >>> 8;
}

/** bpf_skb_load_bytes(ctx, offset, to, len): -EFAULT (and a zeroed buffer) when the range is not in the packet. */
export const skbLoadBytes: HelperFn = (env) => {
  const pk = packet(env);
  const off = argU32(env, 2);
  const len = argNum(env, 4);
  const to = env.mem.slice(arg(env, 3), len, true, env.pc);
  if (off > 0x7fffffff || off + len > pk.end - pk.data) { to.fill(0); setR0Int(env, EFAULT); return; }
  to.set(pk.buf.subarray(pk.data + off, pk.data + off + len));
  setR0Int(env, 0);
};

/** bpf_skb_load_bytes_relative(ctx, offset, to, len, start_header): relative to the MAC (0) or network (1) header. */
export const skbLoadBytesRelative: HelperFn = (env) => {
  const pk = packet(env);
  const off = argU32(env, 2);
  const len = argNum(env, 4);
  const to = env.mem.slice(arg(env, 3), len, true, env.pc);
  const hdr = arg(env, 5);
  const base = hdr === 0n ? 0 : hdr === 1n ? ETH_HLEN : -1;
  if (base < 0 || off > 0xffff || base + off + len > pk.end - pk.data) { to.fill(0); setR0Int(env, base < 0 ? EINVAL : EFAULT); return; }
  to.set(pk.buf.subarray(pk.data + base + off, pk.data + base + off + len));
  setR0Int(env, 0);
};

const BPF_F_RECOMPUTE_CSUM = 1n, BPF_F_INVALIDATE_HASH = 2n;

/** bpf_skb_store_bytes(ctx, offset, from, len, flags). */
export const skbStoreBytes: HelperFn = (env) => {
  const pk = packet(env);
  const off = argU32(env, 2);
  const len = argNum(env, 4);
  const from = env.mem.slice(arg(env, 3), len, false, env.pc);
  const flags = arg(env, 5);
  if ((flags & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH)) !== 0n) { setR0Int(env, EINVAL); return; }
  if (off > 0xffff || off + len > pk.end - pk.data) { setR0Int(env, EFAULT); return; }
  pk.buf.set(from.slice(), pk.data + off);
  if ((flags & BPF_F_INVALIDATE_HASH) !== 0n) env.skbHash = 0;
  setR0Int(env, 0);
};

const HDR_FIELD_MASK = 0xfn;
const MARK_MANGLED_0 = 0x20n, MARK_ENFORCE = 0x40n, PSEUDO_HDR = 0x10n, F_IPV6 = 0x80n;

function csumAt(env: HelperEnv, pk: PacketState): number | null {
  const off = argU32(env, 2);
  if (off > 0xffff || off + 2 > pk.end - pk.data) return null;
  return pk.data + off;
}

/** bpf_l3_csum_replace(ctx, offset, from, to, flags): flags & 0xf is the field size (0: `to` is a diff, 2, 4). */
export const l3CsumReplace: HelperFn = (env) => {
  const pk = packet(env);
  const flags = arg(env, 5);
  if ((flags & ~HDR_FIELD_MASK) !== 0n) { setR0Int(env, EINVAL); return; }
  const at = csumAt(env, pk);
  if (at === null) { setR0Int(env, EFAULT); return; }
  const from = argU32(env, 3), to = argU32(env, 4);
  switch (Number(flags & HDR_FIELD_MASK)) {
    case 0: if (arg(env, 3) !== 0n) { setR0Int(env, EINVAL); return; } csumReplaceByDiff(pk.buf, at, to); break;
    case 2: csumReplace2(pk.buf, at, from, to); break;
    case 4: csumReplace4(pk.buf, at, from, to); break;
    default: setR0Int(env, EINVAL); return;
  }
  setR0Int(env, 0);
};

/** bpf_l4_csum_replace: as l3, plus BPF_F_MARK_MANGLED_0 / BPF_F_MARK_ENFORCE for UDP's zero checksum. */
export const l4CsumReplace: HelperFn = (env) => {
  const pk = packet(env);
  const flags = arg(env, 5);
  if ((flags & ~(MARK_MANGLED_0 | MARK_ENFORCE | PSEUDO_HDR | HDR_FIELD_MASK | F_IPV6)) !== 0n) { setR0Int(env, EINVAL); return; }
  const at = csumAt(env, pk);
  if (at === null) { setR0Int(env, EFAULT); return; }
  const b = pk.buf;
  const mmzero = (flags & MARK_MANGLED_0) !== 0n;
  const isZero = b[at] === 0 && b[at + 1] === 0;
  if (mmzero && isZero && (flags & MARK_ENFORCE) === 0n) { setR0Int(env, 0); return; }
  const from = argU32(env, 3), to = argU32(env, 4);
  switch (Number(flags & HDR_FIELD_MASK)) {
    case 0: if (arg(env, 3) !== 0n) { setR0Int(env, EINVAL); return; } csumReplaceByDiff(b, at, to); break;
    case 2: csumReplace2(b, at, from, to); break;
    case 4: csumReplace4(b, at, from, to); break;
    default: setR0Int(env, EINVAL); return;
  }
  if (mmzero && b[at] === 0 && b[at + 1] === 0) { b[at] = 0xff; b[at + 1] = 0xff; }
  setR0Int(env, 0);
};

/**
 * bpf_csum_diff(from, from_size, to, to_size, seed): csum_partial over ~from[] then to[] (u32
 * words), seeded, folded to 16 bits; sizes must be multiples of 4 and at most 512 bytes together.
 */
export const csumDiff: HelperFn = (env) => {
  const fs = argNum(env, 2), ts = argNum(env, 4);
  if (((fs | ts) & 3) !== 0 || fs + ts > 512 || fs < 0 || ts < 0) { setR0Int(env, EINVAL); return; }
  const from = env.mem.slice(arg(env, 1), fs, false, env.pc);
  const to = env.mem.slice(arg(env, 3), ts, false, env.pc);
  let sum = argU32(env, 5);
  const word = (b: Uint8Array, i: number): number => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
  for (let i = 0; i < fs; i += 4) sum = add32(sum, ~word(from, i) >>> 0);
  for (let i = 0; i < ts; i += 4) sum = add32(sum, word(to, i));
  // csum_from32to16: the kernel (6.12+) folds the result to 16 bits on every architecture
  const folded = ((sum + (((sum >>> 16) | (sum << 16)) >>> 0)) >>> 0) >>> 16;
  env.regs[0] = folded;
  env.regs[1] = 0;
};

/** bpf_csum_update(skb, csum): test runs use CHECKSUM_NONE, so the kernel answers -ENOTSUPP. */
export const csumUpdate: HelperFn = (env) => { packet(env); setR0Int(env, ENOTSUPP); };

const REDIRECT_FLAGS = 1n | 2n | 4n | 8n; // BPF_F_INGRESS | NEIGH | PEER | NEXTHOP

/** bpf_redirect(ifindex, flags): XDP_REDIRECT / TC_ACT_REDIRECT, or the failure action for bad flags. */
export const redirect: HelperFn = (env) => {
  const flags = arg(env, 2);
  const xdp = env.progType === 'xdp';
  if (xdp ? flags !== 0n : (flags & ~REDIRECT_FLAGS) !== 0n) { setR0Int(env, xdp ? XDP_ABORTED : TC_ACT_SHOT); return; }
  env.redirect = { ifindex: argU32(env, 1), flags };
  setR0Int(env, xdp ? XDP_REDIRECT : TC_ACT_REDIRECT);
};

const BPF_F_ACTION_MASK = 3n, BPF_F_BROADCAST = 8n, BPF_F_EXCLUDE_INGRESS = 16n;

/** bpf_redirect_map(map, key, flags): XDP_REDIRECT when the key has an entry, else the action in flags' low 2 bits. */
export const redirectMap: HelperFn = (env) => {
  const map: BpfMap = mapArg(env, 1);
  const flags = arg(env, 3);
  if ((flags & ~(BPF_F_ACTION_MASK | BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS)) !== 0n) { setR0Int(env, XDP_ABORTED); return; }
  const key = new Uint8Array(Math.max(4, map.spec.keySize));
  new DataView(key.buffer).setUint32(0, argU32(env, 2), true);
  const hit = map.lookupRef(key.subarray(0, map.spec.keySize), env.cpu);
  if (!hit) { setR0(env, flags & BPF_F_ACTION_MASK); return; }
  env.redirect = { ifindex: argU32(env, 2), flags, map: map.spec.name };
  setR0Int(env, XDP_REDIRECT);
};

export const getHashRecalc: HelperFn = (env) => { packet(env); env.regs[0] = env.skbHash | 0; env.regs[1] = 0; };
export const setHashInvalid: HelperFn = (env) => { packet(env); env.skbHash = 0; };
export const setHash: HelperFn = (env) => { packet(env); env.skbHash = argU32(env, 2); setR0Int(env, 0); };
/** No socket is attached to a test-run skb: cookie 0, uid overflowuid (65534). */
export const getSocketCookie: HelperFn = (env) => setR0Int(env, 0);
export const getSocketUid: HelperFn = (env) => { packet(env); setR0Int(env, 65534); };
/**
 * bpf_get_cgroup_classid: tc/lwt programs pass the skb (its socket's classid); every other type
 * gets bpf_get_cgroup_classid_curr, no argument, the current task's net_cls classid. Both are 0
 * here: no net_cls cgroup is configured.
 */
export const getCgroupClassid: HelperFn = (env) => {
  if (helperProtoFor(17, env.progType)?.args[0] === ARG.ctx) packet(env);
  setR0Int(env, 0);
};
export const getRouteRealm: HelperFn = (env) => { packet(env); setR0Int(env, 0); };

/** bpf_xdp_adjust_head(ctx, delta): moves data (and data_meta with it); keeps >= 14 bytes and room for xdp_frame. */
export const xdpAdjustHead: HelperFn = (env) => {
  const pk = packet(env);
  const delta = argS(env, 2);
  const metalen = pk.data - pk.meta;
  const data = pk.data + delta;
  if (data < pk.minHead + metalen || data > pk.end - ETH_HLEN) { setR0Int(env, EINVAL); return; }
  if (metalen) pk.buf.copyWithin(pk.meta + delta, pk.meta, pk.data);
  pk.meta += delta;
  pk.data = data;
  sync(env, pk);
  setR0Int(env, 0);
};

/** bpf_xdp_adjust_meta(ctx, delta): metadata must be a multiple of 4 bytes, at most 32. */
export const xdpAdjustMeta: HelperFn = (env) => {
  const pk = packet(env);
  const meta = pk.meta + argS(env, 2);
  if (meta < pk.minHead || meta > pk.data) { setR0Int(env, EINVAL); return; }
  const metalen = pk.data - meta;
  if ((metalen & 3) !== 0 || metalen > 32) { setR0Int(env, EACCES); return; }
  pk.meta = meta;
  sync(env, pk);
  setR0Int(env, 0);
};

/** bpf_xdp_adjust_tail(ctx, delta): grows (zero-filled) or shrinks data_end within the frame. */
export const xdpAdjustTail: HelperFn = (env) => {
  const pk = packet(env);
  const delta = argS(env, 2);
  const end = pk.end + delta;
  if (end > pk.maxEnd || end < pk.data + ETH_HLEN) { setR0Int(env, EINVAL); return; }
  if (delta > 0) pk.buf.fill(0, pk.end, end);
  pk.end = end;
  sync(env, pk);
  setR0Int(env, 0);
};

export const xdpGetBuffLen: HelperFn = (env) => { const pk = packet(env); setR0Int(env, pk.end - pk.data); };

export const xdpLoadBytes: HelperFn = (env) => {
  const pk = packet(env);
  const off = argU32(env, 2), len = argNum(env, 4);
  const to = env.mem.slice(arg(env, 3), len, true, env.pc);
  if (off + len > pk.end - pk.data) { setR0Int(env, EINVAL); return; }
  to.set(pk.buf.subarray(pk.data + off, pk.data + off + len));
  setR0Int(env, 0);
};

export const xdpStoreBytes: HelperFn = (env) => {
  const pk = packet(env);
  const off = argU32(env, 2), len = argNum(env, 4);
  const from = env.mem.slice(arg(env, 3), len, false, env.pc);
  if (off + len > pk.end - pk.data) { setR0Int(env, EINVAL); return; }
  pk.buf.set(from.slice(), pk.data + off);
  setR0Int(env, 0);
};

/** A helper's int argument (the kernel declares delta/offset as int). */
function argS(env: HelperEnv, n: number): number {
  return env.regs[2 * n]! | 0;
}

/** bpf_clone_redirect(skb, ifindex, flags): the test-run namespace has one device, lo (ifindex 1). */
export const cloneRedirect: HelperFn = (env) => {
  packet(env);
  const flags = arg(env, 3);
  if ((flags & ~1n) !== 0n) { setR0Int(env, EINVAL); return; }
  setR0Int(env, argU32(env, 2) === 1 ? 0 : EINVAL);
};

/** bpf_skb_change_tail(skb, len, flags): trims or zero-extends the packet to len bytes. */
export const skbChangeTail: HelperFn = (env) => {
  const pk = packet(env);
  const len = argU32(env, 2);
  const minLen = env.progType === 'sched_cls' || env.progType === 'sched_act' ? ETH_HLEN : 0;
  if (arg(env, 3) !== 0n || len > 0xffff || len < minLen || pk.data + len > pk.buf.length) { setR0Int(env, EINVAL); return; }
  const end = pk.data + len;
  if (end > pk.end) pk.buf.fill(0, pk.end, end);
  pk.end = end;
  sync(env, pk);
  setR0Int(env, 0);
};

/** bpf_skb_pull_data(skb, len): test-run skbs are linear; -ENOMEM when len exceeds the packet. */
export const skbPullData: HelperFn = (env) => {
  const pk = packet(env);
  setR0Int(env, argU32(env, 2) > pk.end - pk.data ? -12 : 0);
};

/** bpf_skb_get_tunnel_key(skb, key, size, flags): a test-run skb carries no tunnel metadata: -ENOENT, key zeroed. */
export const skbGetTunnelKey: HelperFn = (env) => {
  packet(env);
  const size = argNum(env, 3);
  env.mem.sliceHL(env.regs[5]!, env.regs[4]!, size, true, env.pc).fill(0);
  setR0Int(env, ENOENT);
};

/** bpf_get_netns_cookie(ctx): the initial network namespace's cookie (the first one allocated: 1). */
export const getNetnsCookie: HelperFn = (env) => setR0Int(env, 1);

// ---- bpf_skb_adjust_room (net/core/filter.c) ----
const ADJ_FIXED_GSO = 1, ADJ_ENCAP_L3_IPV4 = 2, ADJ_ENCAP_L3_IPV6 = 4, ADJ_ENCAP_L4_GRE = 8, ADJ_ENCAP_L4_UDP = 16;
const ADJ_NO_CSUM_RESET = 32, ADJ_ENCAP_L2_ETH = 64, ADJ_DECAP_L3_IPV4 = 128, ADJ_DECAP_L3_IPV6 = 256;
const ADJ_ENCAP_L3_MASK = ADJ_ENCAP_L3_IPV4 | ADJ_ENCAP_L3_IPV6;
const ADJ_DECAP_L3_MASK = ADJ_DECAP_L3_IPV4 | ADJ_DECAP_L3_IPV6;
/** BPF_F_ADJ_ROOM_MASK | NO_CSUM_RESET, with the inner L2 length in bits 56..63. */
const ADJ_FLAGS = BigInt(ADJ_FIXED_GSO | ADJ_ENCAP_L3_MASK | ADJ_ENCAP_L4_GRE | ADJ_ENCAP_L4_UDP | ADJ_ENCAP_L2_ETH | ADJ_DECAP_L3_MASK | ADJ_NO_CSUM_RESET) | (0xffn << 56n);
const ADJ_ROOM_NET = 0, ADJ_ROOM_MAC = 1;
/** BPF_SKB_MAX_LEN = SKB_MAX_ALLOC: 4 pages minus skb_shared_info. */
const BPF_SKB_MAX_LEN = 16384 - 320;
const PROTO_IP = 0x0008, PROTO_IPV6 = 0xdd86; // htons(ETH_P_IP/IPV6) as a u16 ctx load gives them

/**
 * bpf_skb_adjust_room(skb, len_diff, mode, flags): inserts len_diff zero bytes (or removes
 * -len_diff bytes) right after the MAC header (BPF_ADJ_ROOM_MAC) or after the base L3 header
 * (BPF_ADJ_ROOM_NET: 20 bytes IPv4, 40 IPv6), with the kernel's checks in its order. The skb
 * must be IPv4/IPv6; GSO skbs (ctx gso_size != 0, never TCP in a test run) are refused.
 * Encap/decap flags change skb->protocol as the kernel does; inner header offsets are not modelled.
 */
export const skbAdjustRoom: HelperFn = (env) => {
  const pk = packet(env);
  const lenDiff = argS(env, 2);
  const mode = argU32(env, 3);
  const flags = arg(env, 4);
  const lo = Number(flags & 0xffffffffn);
  const ctx = env.mem.views[env.ctxRegion]!;
  const proto = ctx.getUint16(16, true);
  const abs = Math.abs(lenDiff);
  const shrink = lenDiff < 0;
  if ((flags & ~ADJ_FLAGS) !== 0n) { setR0Int(env, EINVAL); return; }
  if (abs > 0xfff) { setR0Int(env, EFAULT); return; }
  if (proto !== PROTO_IP && proto !== PROTO_IPV6) { setR0Int(env, ENOTSUPP); return; }
  const netBase = proto === PROTO_IP ? 20 : 40;
  let lenMin = netBase;
  let off = ETH_HLEN; // skb_mac_header_len: tc test runs start at the MAC header
  if (mode === ADJ_ROOM_NET) off += netBase;
  else if (mode !== ADJ_ROOM_MAC) { setR0Int(env, ENOTSUPP); return; }
  if (lo & ADJ_DECAP_L3_MASK) {
    if (!shrink) { setR0Int(env, EINVAL); return; }
    const d = lo & ADJ_DECAP_L3_MASK;
    if (d === ADJ_DECAP_L3_IPV4) lenMin = 20;
    else if (d === ADJ_DECAP_L3_IPV6) lenMin = 40;
    else { setR0Int(env, EINVAL); return; }
  }
  const skbLen = pk.end - pk.data;
  const lenCur = skbLen - ETH_HLEN;
  const gso = ctx.getUint16(176, true) !== 0;
  if ((shrink && (abs >= lenCur || lenCur - abs < lenMin)) || (!shrink && skbLen + abs > BPF_SKB_MAX_LEN && !gso)) { setR0Int(env, ENOTSUPP); return; }
  if (gso) { setR0Int(env, ENOTSUPP); return; } // not TCP GSO: only UDP_L4 with FIXED_GSO would be allowed
  if (shrink) {
    // bpf_skb_net_shrink
    if (lo & ~(ADJ_FIXED_GSO | ADJ_DECAP_L3_MASK | ADJ_NO_CSUM_RESET) || flags >> 32n !== 0n) { setR0Int(env, EINVAL); return; }
    if (off + abs > skbLen) { setR0Int(env, -12); return; } // pskb_may_pull fails: -ENOMEM
    pk.buf.copyWithin(pk.data + off, pk.data + off + abs, pk.end);
    pk.end -= abs;
    if (lo & ADJ_DECAP_L3_IPV4) ctx.setUint16(16, PROTO_IP, true);
    else if (lo & ADJ_DECAP_L3_IPV6) ctx.setUint16(16, PROTO_IPV6, true);
  } else {
    // bpf_skb_net_grow
    const innerMac = Number(flags >> 56n);
    if (lo & ADJ_ENCAP_L3_MASK) {
      if ((lo & ADJ_ENCAP_L3_MASK) === ADJ_ENCAP_L3_MASK) { setR0Int(env, EINVAL); return; }
      if ((lo & (ADJ_ENCAP_L4_GRE | ADJ_ENCAP_L4_UDP)) === (ADJ_ENCAP_L4_GRE | ADJ_ENCAP_L4_UDP)) { setR0Int(env, EINVAL); return; }
      if (lo & ADJ_ENCAP_L2_ETH && innerMac < ETH_HLEN) { setR0Int(env, EINVAL); return; }
      if (innerMac > abs) { setR0Int(env, EINVAL); return; }
    }
    if (pk.end + abs > pk.buf.length) { setR0Int(env, -12); return; } // -ENOMEM: past the modelled tailroom
    pk.buf.copyWithin(pk.data + off + abs, pk.data + off, pk.end);
    pk.buf.fill(0, pk.data + off, pk.data + off + abs);
    pk.end += abs;
    // the outer L3 protocol follows the encapsulation
    if (proto === PROTO_IP && lo & ADJ_ENCAP_L3_IPV6) ctx.setUint16(16, PROTO_IPV6, true);
    else if (proto === PROTO_IPV6 && lo & ADJ_ENCAP_L3_IPV4) ctx.setUint16(16, PROTO_IP, true);
  }
  sync(env, pk);
  setR0Int(env, 0);
};

/** __sk_buff.protocol, tstamp and tstamp_type (skb->tstamp_type: enum skb_tstamp_type = BPF_SKB_CLOCK_*). */
const SKB_PROTOCOL = 16, SKB_TSTAMP = 152, SKB_TSTAMP_TYPE = 180;
const BPF_SKB_CLOCK_REALTIME = 0, BPF_SKB_CLOCK_MONOTONIC = 1, BPF_SKB_CLOCK_TAI = 2;
const EOPNOTSUPP = -95;

/**
 * bpf_skb_set_tstamp(skb, tstamp, tstamp_type): IPv4 and IPv6 packets only (-EOPNOTSUPP);
 * a realtime stamp may be 0, a monotonic or TAI one may not (-EINVAL), other clocks: -EINVAL.
 */
export const skbSetTstamp: HelperFn = (env) => {
  packet(env);
  const ctx = env.mem.views[env.ctxRegion]!;
  const proto = ctx.getUint16(SKB_PROTOCOL, false);
  if (proto !== 0x0800 && proto !== 0x86dd) { setR0Int(env, EOPNOTSUPP); return; }
  const tstamp = arg(env, 2);
  const type = argU32(env, 3);
  if (type !== BPF_SKB_CLOCK_REALTIME && type !== BPF_SKB_CLOCK_MONOTONIC && type !== BPF_SKB_CLOCK_TAI) { setR0Int(env, EINVAL); return; }
  if (type !== BPF_SKB_CLOCK_REALTIME && tstamp === 0n) { setR0Int(env, EINVAL); return; }
  ctx.setBigUint64(SKB_TSTAMP, tstamp, true);
  ctx.setUint8(SKB_TSTAMP_TYPE, type);
  setR0Int(env, 0);
};
