/**
 * A deterministic routing model for bpf_fib_lookup: network devices (ifindex, MAC, MTU, whether
 * forwarding is enabled), routes (longest-prefix match per family; types unicast / blackhole /
 * unreachable / prohibit) and neighbour entries. The default is what a test run sees on a host
 * with forwarding disabled: only the loopback device (ifindex 1), no routes, so a lookup on
 * ifindex 1 answers BPF_FIB_LKUP_RET_FWD_DISABLED and any other ifindex -ENODEV.
 * Not modelled: policy routing (mark, tos/flowinfo, BPF_FIB_LOOKUP_TBID / DIRECT tables), multipath,
 * lwt encaps, VLAN devices; routes are matched on the destination only.
 */
export interface FibDevice {
  ifindex: number;
  /** 6 bytes. */
  mac: Uint8Array;
  mtu: number;
  /** net.ipv4.conf.<dev>.forwarding / net.ipv6.conf.<dev>.forwarding */
  forwarding: boolean;
}

export type FibRouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';

export interface FibRoute {
  family: 'ipv4' | 'ipv6';
  /** Destination prefix, 4 or 16 bytes (network order). */
  dst: Uint8Array;
  prefixLen: number;
  type?: FibRouteType;
  /** Output device. */
  ifindex: number;
  /** Next hop; absent for directly connected routes. */
  gateway?: Uint8Array;
  /** The route's priority, reported as params->rt_metric. */
  metric?: number;
  /** Preferred source address (BPF_FIB_LOOKUP_SRC); absent -> BPF_FIB_LKUP_RET_NO_SRC_ADDR. */
  src?: Uint8Array;
}

export interface FibNeighbour {
  ifindex: number;
  /** 4 or 16 bytes. */
  addr: Uint8Array;
  mac: Uint8Array;
}

export interface FibModel {
  devices: readonly FibDevice[];
  routes: readonly FibRoute[];
  neighbours: readonly FibNeighbour[];
}

export const DEFAULT_FIB: FibModel = {
  devices: [{ ifindex: 1, mac: new Uint8Array(6), mtu: 65536, forwarding: false }],
  routes: [],
  neighbours: [],
};

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function prefixMatch(addr: Uint8Array, prefix: Uint8Array, len: number): boolean {
  if (addr.length !== prefix.length) return false;
  for (let bit = 0; bit < len; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((addr[bit >> 3]! & m) !== (prefix[bit >> 3]! & m)) return false;
  }
  return true;
}

/** The longest-prefix route for `dst` (ties: the lowest metric, then the first declared). */
export function fibRoute(fib: FibModel, family: 'ipv4' | 'ipv6', dst: Uint8Array): FibRoute | undefined {
  let best: FibRoute | undefined;
  for (const r of fib.routes) {
    if (r.family !== family || !prefixMatch(dst, r.dst, r.prefixLen)) continue;
    if (!best || r.prefixLen > best.prefixLen || (r.prefixLen === best.prefixLen && (r.metric ?? 0) < (best.metric ?? 0))) best = r;
  }
  return best;
}

export function fibNeighbour(fib: FibModel, ifindex: number, addr: Uint8Array): FibNeighbour | undefined {
  return fib.neighbours.find((n) => n.ifindex === ifindex && sameBytes(n.addr, addr));
}
