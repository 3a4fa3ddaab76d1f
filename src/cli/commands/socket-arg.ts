/**
 * `run --socket SPEC`: a socket of the VM's socket table, which bpf_sk_lookup_* search.
 * SPEC = PROTO[,STATE],LOCAL[,REMOTE][,dev=N][,netns=N][,v6only] with PROTO tcp or udp, STATE
 * listen / established / time_wait (tcp, default listen) or bound / established (udp, default
 * bound), addresses as 127.0.0.1:80 or [::1]:80 (an address of zeros is the wildcard).
 */
import { isIP } from 'node:net';
import type { SocketSpec, SocketState } from '../../runtime/sockets.js';
import { UsageError } from '../args.js';

const STATES: readonly SocketState[] = ['listen', 'established', 'time_wait', 'bound'];

/** 127.0.0.1:80 or [::1]:80 -> family, 4 or 16 address bytes, port. */
function endpoint(text: string, what: string): { family: 'ipv4' | 'ipv6'; addr: Uint8Array; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  const kind = m ? isIP(m[1]!) : 0;
  if (!m || kind === 0 || !(port >= 0 && port <= 0xffff)) throw new UsageError(`run: --socket ${what} '${text}' is not ADDRESS:PORT (127.0.0.1:80, [::1]:80)`);
  if (kind === 4) return { family: 'ipv4', addr: Uint8Array.from(m[1]!.split('.').map(Number)), port };
  return { family: 'ipv6', addr: ipv6Bytes(m[1]!), port };
}

function ipv6Bytes(a: string): Uint8Array {
  const [head = '', tail] = a.split('::');
  const words = (s: string): number[] => (s ? s.split(':').map((w) => Number.parseInt(w, 16)) : []);
  const h = words(head), t = tail === undefined ? [] : words(tail);
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = new Uint8Array(16);
  all.forEach((w, i) => { out[2 * i] = w >> 8; out[2 * i + 1] = w & 0xff; });
  return out;
}

export function parseSocketArg(text: string): SocketSpec {
  const parts = text.split(',');
  const proto = parts.shift();
  if (proto !== 'tcp' && proto !== 'udp') throw new UsageError(`run: --socket '${text}': protocol must be tcp or udp`);
  let state: SocketState | undefined;
  if (parts[0] && (STATES as readonly string[]).includes(parts[0])) state = parts.shift() as SocketState;
  const local = parts.shift();
  if (!local) throw new UsageError(`run: --socket '${text}': the local ADDRESS:PORT is missing`);
  const l = endpoint(local, 'local address');
  const spec: SocketSpec = { family: l.family, protocol: proto, localAddr: l.addr, localPort: l.port };
  if (state) spec.state = state;
  for (const p of parts) {
    if (p === 'v6only') spec.v6only = true;
    else if (/^dev=\d+$/.test(p)) spec.boundIfindex = Number(p.slice(4));
    else if (/^netns=\d+$/.test(p)) spec.netnsId = Number(p.slice(6));
    else {
      const r = endpoint(p, 'remote address');
      if (r.family !== l.family) throw new UsageError(`run: --socket '${text}': local and remote addresses of different families`);
      spec.remoteAddr = r.addr;
      spec.remotePort = r.port;
    }
  }
  return spec;
}
