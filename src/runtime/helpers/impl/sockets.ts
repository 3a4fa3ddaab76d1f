/**
 * Socket lookups and references (net/core/filter.c): bpf_sk_lookup_tcp / _udp, bpf_skc_lookup_tcp,
 * bpf_sk_release, bpf_sk_fullsock, bpf_get_listener_sock, over the run's socket table
 * (runtime/sockets.ts).
 *
 * Each socket a lookup returns is a new reference: a read-only region over the socket's
 * struct bpf_sock image. bpf_sk_release ends that region's life, so a read through a released
 * reference faults; references still held when the program exits are a reference leak (the
 * kernel's verifier refuses such programs; the VM checks it at run time too).
 */
import { type HelperEnv, arg, argNum, setR0 } from '../../env.js';
import { VmError } from '../../errors.js';
import { Memory } from '../../memory.js';
import { type Socket, type SocketRef, SocketTable } from '../../sockets.js';
import type { HelperFn } from './common.js';

/** sizeof(bpf_sock_tuple.ipv4) and sizeof(bpf_sock_tuple.ipv6). */
const TUPLE_V4 = 12;
const TUPLE_V6 = 36;
const S32_MAX = 0x7fffffffn;

function table(env: HelperEnv): SocketTable {
  return (env.sockets ??= new SocketTable());
}

/**
 * The device a lookup is made from: skb->dev (test runs: loopback, or the ctx's ifindex) for skb
 * programs, the receive queue's device for XDP; sock_addr programs look up without a device.
 */
function deviceIfindex(env: HelperEnv): number {
  const ctx = env.mem.bytes[env.ctxRegion];
  if (!ctx || !env.packet) return 0;
  const off = env.progType === 'xdp' ? 12 : 40; // xdp_md.ingress_ifindex, __sk_buff.ifindex
  return ctx.length >= off + 4 ? new DataView(ctx.buffer, ctx.byteOffset + off, 4).getUint32(0, true) : 0;
}

/**
 * __bpf_skc_lookup(ctx, tuple, len, netns_id, flags): the tuple's size picks the family (else
 * NULL), flags must be 0 and netns_id either negative as s32 (the caller's namespace) or a
 * namespace id up to S32_MAX; any other argument gives NULL, as does a tuple nobody matches.
 */
function skcLookup(env: HelperEnv, protocol: 'tcp' | 'udp'): Socket | null {
  const len = argNum(env, 3);
  if (len !== TUPLE_V4 && len !== TUPLE_V6) return null;
  const netns = arg(env, 4);
  if (arg(env, 5) !== 0n) return null;
  const low = env.regs[8]! | 0;
  if (!(low < 0 || netns <= S32_MAX)) return null;
  const t = env.mem.sliceHL(env.regs[5]!, env.regs[4]!, len, false, env.pc);
  const n = len === TUPLE_V4 ? 4 : 16;
  const port = (o: number): number => (t[o]! << 8) | t[o + 1]!;
  return table(env).lookup(len === TUPLE_V4 ? 'ipv4' : 'ipv6', protocol, t.slice(0, n), port(2 * n), t.slice(n, 2 * n), port(2 * n + 2),
    deviceIfindex(env), low < 0 ? undefined : low);
}

/** r0 = a new reference to `socket` (or NULL). */
function returnRef(env: HelperEnv, socket: Socket | null): void {
  if (!socket) { setR0(env, 0n); return; }
  socket.refs++;
  const ref: SocketRef = { socket, released: false };
  const id = env.mem.add('sock', socket.image, { writable: false, owner: ref });
  setR0(env, Memory.ptr(id, 0));
}

/** bpf_sk_lookup_*: full sockets only (sk_to_full_sk; a time-wait socket gives NULL). */
const skLookup = (protocol: 'tcp' | 'udp'): HelperFn => (env) => {
  const s = skcLookup(env, protocol);
  returnRef(env, s && s.full ? s : null);
};
export const skLookupTcp = skLookup('tcp');
export const skLookupUdp = skLookup('udp');

/** bpf_skc_lookup_tcp: any socket the lookup finds, time-wait ones included. */
export const skcLookupTcp: HelperFn = (env) => returnRef(env, skcLookup(env, 'tcp'));

/**
 * The reference argument n points to, or null for NULL; anything else is a bad call. Helpers that
 * read the socket (`read`) fault on a released reference as a load through it would.
 */
export function refArg(env: HelperEnv, n: number, read: boolean): { id: number; ref: SocketRef } | null {
  if (arg(env, n) === 0n) return null;
  const d = env.mem.decode(arg(env, n));
  const ref = d && d.kind === 'sock' ? (env.mem.owners[d.id] as SocketRef | undefined) : undefined;
  if (!d || !ref) throw new VmError('bad_call', env.pc, `R${n} is not a socket pointer`);
  if (read) env.mem.sliceHL(env.regs[2 * n + 1]!, env.regs[2 * n]!, 1, false, env.pc);
  return { id: d.id, ref };
}

/** bpf_sk_release(sk): drops the reference (sock_gen_put for refcounted sockets); returns 0. */
export const skRelease: HelperFn = (env) => {
  const r = refArg(env, 1, false);
  if (r) {
    if (r.ref.released) throw new VmError('bad_call', env.pc, 'bpf_sk_release of a socket reference already released');
    r.ref.released = true;
    r.ref.socket.refs--;
    env.mem.release(r.id, 'socket released by bpf_sk_release');
  }
  setR0(env, 0n);
};

/** bpf_sk_fullsock(sk): sk itself when it is a full socket (same reference), else NULL. */
export const skFullsock: HelperFn = (env) => {
  const r = refArg(env, 1, true);
  setR0(env, r && r.ref.socket.full ? arg(env, 1) : 0n);
};

/** bpf_get_listener_sock(sk): sk itself when it listens (request sockets are not modelled), else NULL. */
export const getListenerSock: HelperFn = (env) => {
  const r = refArg(env, 1, true);
  const s = r?.ref.socket;
  setR0(env, s && s.spec.protocol === 'tcp' && (s.spec.state ?? 'listen') === 'listen' ? arg(env, 1) : 0n);
};

/**
 * bpf_tcp_sock(sk): NULL unless sk is a full TCP socket. For TCP sockets the kernel returns the
 * live struct bpf_tcp_sock counters (cwnd, RTT, sequence numbers), which the VM does not model.
 */
export const tcpSock: HelperFn = (env) => {
  const s = refArg(env, 1, true)?.ref.socket;
  if (!s || !s.full || s.spec.protocol !== 'tcp') { setR0(env, 0n); return; }
  throw new VmError('unsupported', env.pc, 'bpf_tcp_sock on a TCP socket: the VM does not model struct tcp_sock (congestion window, RTT, sequence numbers)');
};
