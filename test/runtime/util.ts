import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { ProgType, Program } from '../../src/isa/program.js';

/** A Program from bpflab assembly (`.type` / `.map` directives allowed). */
export function prog(text: string, type: ProgType = 'socket_filter'): Program {
  const a = assemble(text);
  return { name: 'test', section: '', type: a.type ?? type, insns: a.insns, maps: a.maps, license: 'GPL' };
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
export const u32le = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n >>> 0, true); return b; };
export const u64le = (n: bigint): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, n), true); return b; };

/** An Ethernet + IPv4 + UDP packet (checksums as given), 42 bytes + payload. */
export function udpPacket(dport = 53, payload = new Uint8Array(8)): Uint8Array {
  const b = new Uint8Array(42 + payload.length);
  b.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x00], 0);
  b.set([0x45, 0, 0, 28 + payload.length, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  const ip = new DataView(b.buffer, 14, 20);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  ip.setUint16(10, ~sum & 0xffff);
  const udp = new DataView(b.buffer, 34, 8);
  udp.setUint16(0, 1234); udp.setUint16(2, dport); udp.setUint16(4, 8 + payload.length); udp.setUint16(6, 0);
  b.set(payload, 42);
  return b;
}

/**
 * A TCP listener on 127.0.0.1 for the tests of one describe block (started before them, closed
 * after): the returned function gives its port.
 */
export function useTcpListener(): () => number {
  let server: Server | undefined;
  let port = 0;
  beforeAll(async () => {
    const srv = createServer();
    server = srv;
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
    port = (srv.address() as { port: number }).port;
  });
  afterAll(() => { server?.close(); });
  return () => port;
}
