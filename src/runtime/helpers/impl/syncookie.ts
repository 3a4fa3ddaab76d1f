/**
 * SYN cookies from XDP and tc (net/core/filter.c): bpf_tcp_gen_syncookie and
 * bpf_tcp_check_syncookie, for a socket of the run's table and the packet's IP and TCP headers.
 *
 * The argument checks are the kernel's, in its order. Past them the kernel consults the
 * listener's SYN queue under the default net.ipv4.tcp_syncookies = 1 ("cookies only when the
 * queue overflows"): a modelled listener's queue never overflows, so generating gives -ENOENT
 * (tcp_get_syncookie_mss returns 0) and checking gives -ENOENT (tcp_synq_no_recent_overflow).
 * The cookie value itself (a keyed hash with the host's secret) is never needed for that.
 */
import { type HelperEnv, argNum, setR0Int } from '../../env.js';
import { EINVAL, ENOENT, type HelperFn } from './common.js';
import { refArg } from './sockets.js';
import { VmError } from '../../errors.js';

const TCPHDR = 20, IPHDR = 20, IPV6HDR = 40;
const TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_ACK = 0x10;
const EPROTONOSUPPORT = -93;

/** The listener argument and the header bytes, or the errno the shared checks give. */
function headers(env: HelperEnv, needDoff: boolean): { iph: Uint8Array; th: Uint8Array; family: string; v6only: boolean } | number {
  const sk = refArg(env, 1, true)?.ref.socket;
  const iphLen = argNum(env, 3), thLen = argNum(env, 5);
  if (!sk || thLen < TCPHDR) return EINVAL;
  const th = env.mem.sliceHL(env.regs[9]!, env.regs[8]!, thLen, false, env.pc);
  if (needDoff && thLen !== (th[12]! >> 4) * 4) return EINVAL;
  if (sk.spec.protocol !== 'tcp' || (sk.spec.state ?? 'listen') !== 'listen') return EINVAL;
  const iph = env.mem.sliceHL(env.regs[5]!, env.regs[4]!, iphLen, false, env.pc);
  return { iph, th, family: sk.spec.family, v6only: sk.spec.v6only === true };
}

/** bpf_tcp_gen_syncookie(sk, iph, iph_len, th, th_len). */
export const tcpGenSyncookie: HelperFn = (env) => {
  const h = headers(env, true);
  if (typeof h === 'number') { setR0Int(env, h); return; }
  const flags = h.th[13]!;
  if (!(flags & TH_SYN) || flags & (TH_ACK | TH_FIN | TH_RST)) { setR0Int(env, EINVAL); return; }
  if (h.iph.length < IPHDR) { setR0Int(env, EINVAL); return; }
  switch (h.iph[0]! >> 4) {
    case 4:
      if (h.family === 'ipv6' && h.v6only) { setR0Int(env, EINVAL); return; }
      break;
    case 6:
      if (h.iph.length < IPV6HDR || h.family !== 'ipv6') { setR0Int(env, EINVAL); return; }
      break;
    default: setR0Int(env, EPROTONOSUPPORT); return;
  }
  // tcp_get_syncookie_mss: no cookie while the listener's SYN queue has room
  setR0Int(env, ENOENT);
};

/** bpf_tcp_check_syncookie(sk, iph, iph_len, th, th_len). */
export const tcpCheckSyncookie: HelperFn = (env) => {
  const h = headers(env, false);
  if (typeof h === 'number') { setR0Int(env, h); return; }
  const flags = h.th[13]!;
  if (!(flags & TH_ACK) || flags & (TH_RST | TH_SYN)) { setR0Int(env, ENOENT); return; }
  if (h.iph.length < IPHDR) { setR0Int(env, EINVAL); return; }
  // tcp_synq_no_recent_overflow: the listener never overflowed, so no cookie can be valid
  setR0Int(env, ENOENT);
};

/**
 * bpf_tcp_raw_gen_syncookie_ipv4 / _ipv6(iph, th, th_len): the TCP header length is checked
 * (-EINVAL); the cookie is a keyed hash with the host's secret, which the VM cannot reproduce.
 */
export const tcpRawGenSyncookie: HelperFn = (env) => {
  const thLen = argNum(env, 3);
  const th = env.mem.sliceHL(env.regs[7]!, env.regs[6]!, thLen, false, env.pc);
  if (thLen < TCPHDR || thLen !== (th[12]! >> 4) * 4) { setR0Int(env, EINVAL); return; }
  throw new VmError('unsupported', env.pc, 'bpf_tcp_raw_gen_syncookie: the cookie is keyed with the host\'s secret, which the VM does not have');
};

/** bpf_tcp_raw_check_syncookie_ipv4 / _ipv6(iph, th): whether the ACK's cookie is valid depends on the host's secret. */
export const tcpRawCheckSyncookie: HelperFn = (env) => {
  throw new VmError('unsupported', env.pc, 'bpf_tcp_raw_check_syncookie: the cookie is checked against the host\'s secret, which the VM does not have');
};
