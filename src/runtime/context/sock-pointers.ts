/**
 * Loads through socket pointers a program obtained (skb->sk, bpf_sk_lookup_*, bpf_sk_fullsock,
 * bpf_tcp_sock, xskmap lookups): the kernel's bpf_sock_common_is_valid_access,
 * bpf_sock_is_valid_access, bpf_tcp_sock_is_valid_access and bpf_xdp_sock_is_valid_access over
 * the uapi structs (struct bpf_sock: 80 bytes; struct bpf_tcp_sock: up to icsk_retransmits, 112).
 */

/** struct bpf_sock field offsets. */
const SK = {
  family: 4, type: 8, protocol: 12, priority: 20, src_ip4: 24, src_ip6: 28, src_port: 44, dst_port: 48,
  dst_ip4: 52, dst_ip6: 56, state: 72, rx_queue_mapping: 76, size: 80,
} as const;

/** bpf_ctx_narrow_access_ok: a power-of-two size no larger than the field. */
const narrowOk = (size: number, fieldSize: number): boolean => size <= fieldSize && (size & (size - 1)) === 0;

/** bpf_sock_is_valid_access (reads; sockets are never written through these pointers). */
export function sockAccessOk(off: number, size: number): boolean {
  if (off < 0 || off >= SK.size || size <= 0) return false;
  if (off % size !== 0) return false;
  const word = off & ~3;
  if (off === SK.state || off === SK.family || off === SK.type || off === SK.protocol || off === SK.src_port || off === SK.rx_queue_mapping
    || word === SK.src_ip4 || (off >= SK.src_ip6 && off < SK.src_ip6 + 16) || word === SK.dst_ip4 || (off >= SK.dst_ip6 && off < SK.dst_ip6 + 16))
    return narrowOk(size, 4);
  if (off >= SK.dst_port && off < SK.dst_port + 2) return narrowOk(size, size === 4 ? 4 : 2);
  // the zero padding after dst_port
  if (off >= SK.dst_port + 2 && off < SK.dst_ip4) return false;
  return size === 4;
}

/** bpf_sock_common_is_valid_access: type, protocol, mark and priority need a full socket. */
export function sockCommonAccessOk(off: number, size: number): boolean {
  if (off >= SK.type && off < SK.priority + 4) return false;
  return sockAccessOk(off, size);
}

/** struct bpf_tcp_sock: bytes_received and bytes_acked are u64, the rest u32, up to icsk_retransmits. */
export function tcpSockAccessOk(off: number, size: number): boolean {
  if (off < 0 || off >= 112 || size <= 0) return false;
  if (off % size !== 0) return false;
  if (off === 80 || off === 88) return size === 8;
  return size === 4;
}

/** struct bpf_xdp_sock: only queue_id. */
export function xdpSockAccessOk(off: number, size: number): boolean {
  if (off < 0 || off >= 4 || size <= 0) return false;
  if (off % size !== 0) return false;
  return off === 0 && size === 4;
}
