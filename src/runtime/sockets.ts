/**
 * The sockets a run's bpf_sk_lookup_* / bpf_skc_lookup_tcp can find: TCP listeners, established
 * and time-wait TCP sockets, UDP sockets (bound, optionally connected), each in the caller's
 * network namespace or in one the caller knows by a netns id. The default table is empty, as
 * the kernel's is for a lookup of any tuple nobody listens on.
 *
 * Matching follows net/ipv4/inet_hashtables.c and udp.c: an established socket matches the
 * exact 4-tuple; listeners match the local port and address (an address-bound listener before a
 * wildcard one, a dual-stack IPv6 wildcard listener also serving IPv4) and the receiving device
 * when the socket is bound to one; UDP sockets are scored as compute_score does (bound address,
 * connected peer, device, family) and the best wins.
 *
 * Each socket has the image a program reads through PTR_TO_SOCKET / PTR_TO_SOCK_COMMON: the
 * uapi `struct bpf_sock` (80 bytes) that bpf_sock_convert_ctx_access reads out of struct sock.
 */

export type SocketState = 'listen' | 'established' | 'time_wait' | 'bound';

export interface SocketSpec {
  /** 'unspec': AF_UNSPEC (the test run's dummy socket of a non-IP packet), no addresses. */
  family: 'ipv4' | 'ipv6' | 'unspec';
  /** 'none': no transport protocol (type and protocol 0), as BPF_PROG_TEST_RUN's dummy skb->sk; lookups never find it. */
  protocol: 'tcp' | 'udp' | 'none';
  /** TCP: listen (default), established or time_wait. UDP: bound (default) or established (connected). 'bound' reads as TCP_CLOSE. */
  state?: SocketState;
  /** Local address, 4 or 16 bytes in network order; all zero (default) = the wildcard. */
  localAddr?: Uint8Array;
  localPort: number;
  /** Peer of a connected socket (4 or 16 bytes) and its port. */
  remoteAddr?: Uint8Array;
  remotePort?: number;
  /** SO_BINDTODEVICE; 0 (default) = any device. */
  boundIfindex?: number;
  /** IPV6_V6ONLY: an IPv6 socket that does not also serve IPv4 (default false). */
  v6only?: boolean;
  /** The netns id the caller's namespace knows the socket's namespace by; absent = the caller's own. */
  netnsId?: number;
  mark?: number;
  priority?: number;
}

/** A socket of the table: its spec, its bpf_sock image, and the references programs hold. */
export interface Socket {
  readonly spec: Readonly<SocketSpec>;
  readonly image: Uint8Array;
  /** Whether lookups take a reference (TCP established / time-wait); listeners and UDP sockets are SOCK_RCU_FREE. */
  readonly refcounted: boolean;
  /** Full socket (not a time-wait mini socket): what bpf_sk_lookup_* and bpf_sk_fullsock accept. */
  readonly full: boolean;
  /** References taken by this run's lookups and not yet released. */
  refs: number;
}

const AF_INET = 2;
const AF_INET6 = 10;
/** enum tcp_state values bpf_sock.state reports. */
const TCP_STATE: Record<SocketState, number> = { established: 1, time_wait: 6, bound: 7, listen: 10 };
/** LOOPBACK4_IPV6 (127.0.0.6): the IPv4 address an IPv6 socket bound to a non-mapped address reports. */
const LOOPBACK4_IPV6 = Uint8Array.from([127, 0, 0, 6]);
/** struct bpf_sock offsets. */
const O = { boundDevIf: 0, family: 4, type: 8, protocol: 12, mark: 16, priority: 20, srcIp4: 24, srcIp6: 28, srcPort: 44, dstPort: 48, dstIp4: 52, dstIp6: 56, state: 72, rxQueue: 76, size: 80 };

const isZero = (a: Uint8Array): boolean => a.every((b) => b === 0);
const eq = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
/** ::ffff:a.b.c.d */
const isMapped = (a: Uint8Array): boolean => a.length === 16 && a.subarray(0, 10).every((b) => b === 0) && a[10] === 0xff && a[11] === 0xff;

/** The IPv4 view of an address as struct sock keeps it (inet_rcv_saddr / inet_daddr). */
function v4Of(a: Uint8Array): Uint8Array {
  if (a.length === 4) return a;
  if (isZero(a)) return new Uint8Array(4);
  return isMapped(a) ? a.subarray(12, 16) : LOOPBACK4_IPV6;
}

function addrLen(spec: SocketSpec): number { return spec.family === 'ipv6' ? 16 : 4; }

function checkSpec(spec: SocketSpec): void {
  const n = addrLen(spec);
  if (spec.localAddr && spec.localAddr.length !== n) throw new RangeError(`socket local address must be ${n} bytes for ${spec.family}`);
  if (spec.remoteAddr && spec.remoteAddr.length !== n) throw new RangeError(`socket remote address must be ${n} bytes for ${spec.family}`);
  if (!Number.isInteger(spec.localPort) || spec.localPort < 0 || spec.localPort > 0xffff) throw new RangeError(`socket port ${spec.localPort} out of range`);
  const st = spec.state ?? (spec.protocol === 'tcp' ? 'listen' : 'bound');
  if (spec.protocol !== 'tcp' && st !== 'bound' && st !== 'established') throw new RangeError(`a ${spec.protocol} socket is bound or established, not ${st}`);
  if (spec.protocol === 'tcp' && st === 'bound') throw new RangeError('a TCP socket in the table listens, is established or in time-wait');
}

/** The struct bpf_sock a program reads through a socket pointer. */
function imageOf(spec: SocketSpec, state: SocketState): Uint8Array {
  const b = new Uint8Array(O.size);
  const v = new DataView(b.buffer);
  const local = spec.localAddr ?? new Uint8Array(addrLen(spec));
  const remote = spec.remoteAddr ?? new Uint8Array(addrLen(spec));
  v.setUint32(O.boundDevIf, spec.boundIfindex ?? 0, true);
  v.setUint32(O.family, spec.family === 'ipv4' ? AF_INET : spec.family === 'ipv6' ? AF_INET6 : 0, true);
  v.setUint32(O.type, spec.protocol === 'tcp' ? 1 : spec.protocol === 'udp' ? 2 : 0, true); // SOCK_STREAM / SOCK_DGRAM
  v.setUint32(O.protocol, spec.protocol === 'tcp' ? 6 : spec.protocol === 'udp' ? 17 : 0, true);
  v.setUint32(O.mark, spec.mark ?? 0, true);
  v.setUint32(O.priority, spec.priority ?? 0, true);
  b.set(v4Of(local), O.srcIp4);
  if (spec.family === 'ipv6') b.set(local, O.srcIp6);
  v.setUint32(O.srcPort, spec.localPort, true); // host order
  v.setUint16(O.dstPort, spec.remotePort ?? 0, false); // __be16
  b.set(v4Of(remote), O.dstIp4);
  if (spec.family === 'ipv6') b.set(remote, O.dstIp6);
  v.setUint32(O.state, TCP_STATE[state], true);
  v.setInt32(O.rxQueue, -1, true); // no rx queue recorded (NO_QUEUE_MAPPING)
  return b;
}

/** A socket object for `spec` (checked: a RangeError names what is wrong). */
export function makeSocket(spec: SocketSpec): Socket {
  checkSpec(spec);
  const state = spec.state ?? (spec.protocol === 'tcp' ? 'listen' : 'bound');
  const tcpConn = spec.protocol === 'tcp' && state !== 'listen';
  return { spec, image: imageOf(spec, state), refcounted: tcpConn, full: state !== 'time_wait', refs: 0 };
}

/** What the owner of a 'sock' memory region records: the socket and whether this reference was released. */
export interface SocketRef {
  socket: Socket;
  released: boolean;
}

/** The socket table of a run. */
export class SocketTable {
  readonly sockets: Socket[];

  constructor(specs: readonly SocketSpec[] = []) {
    this.sockets = specs.map(makeSocket);
  }

  /** References lookups took and nobody released (the kernel's verifier makes this 0 at exit). */
  held(): number {
    let n = 0;
    for (const s of this.sockets) n += s.refs;
    return n;
  }

  /**
   * sk_lookup: the socket a packet `remote:rport -> local:lport` of `protocol` reaches in the
   * namespace `netns` (undefined = the caller's), received on device `dif`; null when none.
   */
  lookup(family: 'ipv4' | 'ipv6', protocol: 'tcp' | 'udp', remote: Uint8Array, rport: number, local: Uint8Array, lport: number, dif: number, netns: number | undefined): Socket | null {
    const inNs = this.sockets.filter((s) => s.spec.netnsId === netns && s.spec.protocol === protocol);
    const devOk = (s: Socket): boolean => !s.spec.boundIfindex || s.spec.boundIfindex === dif;
    if (protocol === 'tcp') {
      // __inet_lookup_established: the exact 4-tuple (time-wait sockets included)
      const est = inNs.find((s) => s.spec.family === family && (s.spec.state === 'established' || s.spec.state === 'time_wait')
        && s.spec.localPort === lport && s.spec.remotePort === rport && eq(s.spec.localAddr ?? new Uint8Array(local.length), local)
        && eq(s.spec.remoteAddr ?? new Uint8Array(remote.length), remote) && devOk(s));
      if (est) return est;
      // __inet_lookup_listener: the address-bound bucket first, then the wildcard one
      const listeners = inNs.filter((s) => (s.spec.state ?? 'listen') === 'listen' && s.spec.localPort === lport && devOk(s) && servesFamily(s, family));
      for (const wildcard of [false, true]) {
        let best: Socket | null = null;
        let bestScore = -1;
        for (const s of listeners) {
          const addr = boundAddrFor(s, family);
          if (wildcard ? !isZero(addr) : isZero(addr) || !eq(addr, local)) continue;
          const score = (s.spec.boundIfindex ? 2 : 1) + (s.spec.family === family ? 1 : 0);
          if (score > bestScore) { best = s; bestScore = score; }
        }
        if (best) return best;
      }
      return null;
    }
    // udp compute_score
    let best: Socket | null = null;
    let bestScore = -1;
    for (const s of inNs) {
      if (s.spec.localPort !== lport || !servesFamily(s, family)) continue;
      let score = s.spec.family === family ? 2 : 1;
      const addr = boundAddrFor(s, family);
      if (!isZero(addr)) { if (!eq(addr, local)) continue; score += 4; }
      const peer = s.spec.remoteAddr ? (family === 'ipv4' ? v4Of(s.spec.remoteAddr) : s.spec.remoteAddr) : new Uint8Array(local.length);
      if (!isZero(peer)) { if (!eq(peer, remote)) continue; score += 4; }
      if (s.spec.remotePort) { if (s.spec.remotePort !== rport) continue; score += 4; }
      if (s.spec.boundIfindex) { if (!devOk(s)) continue; score += 4; }
      if (score > bestScore) { best = s; bestScore = score; }
    }
    return best;
  }
}

/** IPv4 packets reach IPv4 sockets and dual-stack IPv6 ones; IPv6 packets reach IPv6 sockets. */
function servesFamily(s: Socket, family: 'ipv4' | 'ipv6'): boolean {
  if (s.spec.family === family) return true;
  return family === 'ipv4' && !s.spec.v6only && (!s.spec.localAddr || isZero(s.spec.localAddr) || isMapped(s.spec.localAddr));
}

/** The local address a socket is bound to, as a lookup of `family` compares it. */
function boundAddrFor(s: Socket, family: 'ipv4' | 'ipv6'): Uint8Array {
  const a = s.spec.localAddr ?? new Uint8Array(addrLen(s.spec));
  return family === 'ipv4' ? v4Of(a) : a;
}
