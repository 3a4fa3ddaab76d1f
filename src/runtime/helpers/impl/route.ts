/**
 * bpf_fib_lookup(ctx, params, plen, flags) on the run's routing model (runtime/fib.ts), with the
 * kernel's argument checks and result codes (bpf_skb_fib_lookup / bpf_xdp_fib_lookup and
 * bpf_ipv4/ipv6_fib_lookup in net/core/filter.c). struct bpf_fib_lookup (64 bytes):
 * family@0 l4_protocol@1 sport@2 dport@4 tot_len|mtu_result@6 ifindex@8 tos|flowinfo|rt_metric@12
 * src@16 dst@32 h_vlan_proto@48 h_vlan_TCI@50 (tbid@48) mark@52 | smac@52 dmac@58.
 */
import { type HelperEnv, arg, argS32 } from '../../env.js';
import { DEFAULT_FIB, type FibModel, fibNeighbour, fibRoute } from '../../fib.js';
import { setR0Int } from '../../env.js';
import { EINVAL, type HelperFn, ctxArg } from './common.js';

export const BPF_FIB_LKUP_RET = {
  SUCCESS: 0, BLACKHOLE: 1, UNREACHABLE: 2, PROHIBIT: 3, NOT_FWDED: 4, FWD_DISABLED: 5,
  UNSUPP_LWT: 6, NO_NEIGH: 7, FRAG_NEEDED: 8, NO_SRC_ADDR: 9,
} as const;

const FIB_LOOKUP_SIZE = 64;
/** DIRECT | OUTPUT | SKIP_NEIGH | TBID | SRC | MARK */
const BPF_FIB_LOOKUP_MASK = 0x3fn;
const BPF_FIB_LOOKUP_SKIP_NEIGH = 4, BPF_FIB_LOOKUP_SRC = 16;
const AF_INET = 2, AF_INET6 = 10;
const ENODEV = -19, EAFNOSUPPORT = -97;

function lookup(fib: FibModel, p: Uint8Array, v: DataView, flags: number, checkMtu: boolean, skbLen: number | null): number {
  const family = p[0]!;
  if (family !== AF_INET && family !== AF_INET6) return EAFNOSUPPORT;
  const v4 = family === AF_INET;
  const dev = fib.devices.find((d) => d.ifindex === v.getUint32(8, true));
  if (!dev) return ENODEV;
  if (!dev.forwarding) return BPF_FIB_LKUP_RET.FWD_DISABLED;
  const alen = v4 ? 4 : 16;
  const dst = p.slice(32, 32 + alen);
  const route = fibRoute(fib, v4 ? 'ipv4' : 'ipv6', dst);
  if (!route) return BPF_FIB_LKUP_RET.NOT_FWDED;
  switch (route.type ?? 'unicast') {
    case 'blackhole': return BPF_FIB_LKUP_RET.BLACKHOLE;
    case 'unreachable': return BPF_FIB_LKUP_RET.UNREACHABLE;
    case 'prohibit': return BPF_FIB_LKUP_RET.PROHIBIT;
    default: break;
  }
  const out = fib.devices.find((d) => d.ifindex === route.ifindex);
  if (!out) return BPF_FIB_LKUP_RET.NOT_FWDED;
  let mtu = 0;
  if (checkMtu) {
    mtu = out.mtu;
    if (v.getUint16(6, true) > mtu) { v.setUint16(6, Math.min(mtu, 0xffff), true); return BPF_FIB_LKUP_RET.FRAG_NEEDED; }
  }
  v.setUint32(12, route.metric ?? 0, true);
  v.setUint32(8, out.ifindex, true);
  if (flags & BPF_FIB_LOOKUP_SRC) {
    if (!route.src) return BPF_FIB_LKUP_RET.NO_SRC_ADDR;
    p.set(route.src.subarray(0, alen), 16);
  }
  if (route.gateway) p.set(route.gateway.subarray(0, alen), 32);
  if (!(flags & BPF_FIB_LOOKUP_SKIP_NEIGH)) {
    const n = fibNeighbour(fib, out.ifindex, p.slice(32, 32 + alen));
    if (!n) return BPF_FIB_LKUP_RET.NO_NEIGH;
    p.set(n.mac.subarray(0, 6), 58);
    p.set(out.mac.subarray(0, 6), 52);
  }
  // bpf_fib_set_fwd_params
  v.setUint16(48, 0, true);
  v.setUint16(50, 0, true);
  if (mtu) v.setUint16(6, Math.min(mtu, 0xffff), true);
  if (skbLen !== null) {
    // bpf_skb_fib_lookup without tot_len: is_skb_forwardable() on the output device, then mtu_result
    const rc = skbLen <= out.mtu + 14 + 4 ? BPF_FIB_LKUP_RET.SUCCESS : BPF_FIB_LKUP_RET.FRAG_NEEDED;
    v.setUint16(6, Math.min(out.mtu, 0xffff), true);
    return rc;
  }
  return BPF_FIB_LKUP_RET.SUCCESS;
}

export const fibLookup: HelperFn = (env: HelperEnv) => {
  ctxArg(env, 1);
  const plen = argS32(env, 3);
  const flags = arg(env, 4);
  if (plen < FIB_LOOKUP_SIZE || (flags & ~BPF_FIB_LOOKUP_MASK) !== 0n) { setR0Int(env, EINVAL); return; }
  const p = env.mem.sliceHL(env.regs[5]!, env.regs[4]!, plen, true, env.pc);
  const v = new DataView(p.buffer, p.byteOffset, FIB_LOOKUP_SIZE);
  const xdp = env.progType === 'xdp';
  const totLen = v.getUint16(6, true);
  const pk = env.packet;
  const skbLen = !xdp && totLen === 0 && pk ? pk.end - pk.data : null;
  setR0Int(env, lookup(env.fib ?? DEFAULT_FIB, p, v, Number(flags), xdp || totLen !== 0, skbLen));
};
