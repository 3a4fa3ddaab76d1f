/**
 * The kernel's own classic BPF: attach a filter to the receiving end of an AF_UNIX datagram
 * socket pair (SO_ATTACH_FILTER runs bpf_check_classic and bpf_convert_filter in the kernel),
 * send a packet, and see how many bytes arrive: the filter's snap length (0 = dropped).
 */
import { createRequire } from 'node:module';
import { encodeCbpf, type ClassicInsn } from '../../src/loader/cbpf.js';

type Koffi = typeof import('koffi');
interface Libc {
  koffi: Koffi;
  socketpair: (domain: number, type: number, proto: number, fds: Int32Array) => number;
  setsockopt: (fd: number, level: number, name: number, val: Uint8Array, len: number) => number;
  send: (fd: number, buf: Uint8Array, len: number, flags: number) => number;
  recv: (fd: number, buf: Uint8Array, len: number, flags: number) => number;
  close: (fd: number) => number;
}

const AF_UNIX = 1, SOCK_DGRAM = 2, SOL_SOCKET = 1, SO_ATTACH_FILTER = 26, MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20;
let libc: Libc | null | undefined;
let why = '';

function bind(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== 'linux') { why = `needs Linux (this is ${process.platform})`; return null; }
  try {
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    const lib = koffi.load('libc.so.6');
    libc = {
      koffi,
      socketpair: lib.func('int socketpair(int, int, int, _Out_ int *fds)') as Libc['socketpair'],
      setsockopt: lib.func('int setsockopt(int, int, int, const uint8_t *val, uint32_t len)') as Libc['setsockopt'],
      send: lib.func('long send(int, const uint8_t *buf, size_t len, int flags)') as Libc['send'],
      recv: lib.func('long recv(int, _Out_ uint8_t *buf, size_t len, int flags)') as Libc['recv'],
      close: lib.func('int close(int)') as Libc['close'],
    };
  } catch (e) {
    why = `koffi/libc unavailable: ${(e as Error).message.split('\n')[0]}`;
  }
  return libc;
}

/** Whether SO_ATTACH_FILTER can be used here, with the reason when not. */
export function classicKernelAvailable(): { ok: boolean; reason: string } {
  const l = bind();
  if (!l) return { ok: false, reason: why };
  try {
    const r = kernelClassicRun([{ code: 0x06, jt: 0, jf: 0, k: 0xffff }], [new Uint8Array(20)]);
    if (r[0] !== 20) return { ok: false, reason: `probe filter returned ${r[0]}, expected 20` };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  return { ok: true, reason: 'SO_ATTACH_FILTER on AF_UNIX socketpair' };
}

/** For each packet: bytes the kernel delivered through the filter (0 when dropped). */
export function kernelClassicRun(filter: readonly ClassicInsn[], packets: readonly Uint8Array[]): number[] {
  const l = bind();
  if (!l) throw new Error(why);
  const fds = new Int32Array(2);
  if (l.socketpair(AF_UNIX, SOCK_DGRAM, 0, fds) !== 0) throw new Error(`socketpair failed (errno ${l.koffi.errno()})`);
  const code = encodeCbpf(filter);
  const native = l.koffi.alloc('uint8_t', Math.max(code.length, 8));
  try {
    new Uint8Array(l.koffi.view(native, code.length)).set(code);
    // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
    const fprog = new Uint8Array(16);
    const dv = new DataView(fprog.buffer);
    dv.setUint16(0, filter.length, true);
    dv.setBigUint64(8, BigInt(l.koffi.address(native)), true);
    if (l.setsockopt(fds[1]!, SOL_SOCKET, SO_ATTACH_FILTER, fprog, 16) !== 0)
      throw new Error(`SO_ATTACH_FILTER refused the filter (errno ${l.koffi.errno()})`);
    const buf = new Uint8Array(65536);
    return packets.map((p) => {
      if (l.send(fds[0]!, p, p.length, 0) !== p.length) throw new Error(`send failed (errno ${l.koffi.errno()})`);
      const n = l.recv(fds[1]!, buf, buf.length, MSG_DONTWAIT | MSG_TRUNC);
      return n < 0 ? 0 : Number(n);
    });
  } finally {
    l.koffi.free(native);
    l.close(fds[0]!);
    l.close(fds[1]!);
  }
}
