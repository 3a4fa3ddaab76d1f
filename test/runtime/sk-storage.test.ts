/**
 * sk_storage maps: creation rules, and bpf_sk_storage_get / _delete on a socket a lookup
 * returned (create with and without an initial value, flags, delete twice), on the VM and
 * compared with BPF_PROG_TEST_RUN on a real listening socket of this host.
 */
import { describe, expect, it } from 'vitest';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import { createMap, MapError } from '../../src/runtime/maps/index.js';
import type { SocketSpec } from '../../src/runtime/sockets.js';
import { Vm } from '../../src/vm/index.js';
import { prog, useTcpListener } from './util.js';

const k = kernelAvailable();
if (!k.ok) console.log(`skip kernel comparisons of sk_storage: ${k.reason}`);

/** Looks up the IPv4 TCP listener on 127.0.0.1:port and exercises the storage helpers; results in `out`. */
function storageProgram(port: number) {
  const get = (value: string, flags: number): string => `r1 = map[st]\nr2 = r7\n${value}\nr4 = ${flags}\ncall bpf_sk_storage_get`;
  const del = 'r1 = map[st]\nr2 = r7\ncall bpf_sk_storage_delete';
  const be = ((port & 0xff) << 8) | (port >> 8);
  return prog(`.map st sk_storage key=4 value=8 entries=0 flags=1
.map out array key=4 value=56 entries=1
r6 = r1
*(u32 *)(r10 -48) = 0x0900000a
*(u32 *)(r10 -44) = 0x0100007f
*(u32 *)(r10 -40) = ${(be << 16) | 0xb315}
r1 = r6
r2 = r10
r2 += -48
r3 = 12
r4 = -1
r5 = 0
call bpf_sk_lookup_tcp
r7 = r0
r8 = map_value[out] + 0
if r7 != 0 goto found
*(u64 *)(r8 +0) = -1
r0 = 0
exit
found:
${get('r3 = 0', 0)}
*(u64 *)(r8 +0) = r0
r1 = 0x1122334455667788 ll
*(u64 *)(r10 -8) = r1
${get('r3 = r10\nr3 += -8', 1)}
if r0 == 0 goto release
r1 = *(u64 *)(r0 +0)
*(u64 *)(r8 +8) = r1
r1 += 1
*(u64 *)(r0 +0) = r1
${get('r3 = 0', 0)}
if r0 == 0 goto release
r1 = *(u64 *)(r0 +0)
*(u64 *)(r8 +16) = r1
${get('r3 = 0', 2)}
*(u64 *)(r8 +24) = r0
${del}
*(u64 *)(r8 +32) = r0
${del}
*(u64 *)(r8 +40) = r0
${get('r3 = 0', 1)}
if r0 == 0 goto release
r1 = *(u64 *)(r0 +0)
*(u64 *)(r8 +48) = r1
release:
r1 = r7
call bpf_sk_release
r0 = 0
exit`, 'sched_cls');
}

const results = (b: Uint8Array): bigint[] => Array.from({ length: 7 }, (_, i) => BigInt.asIntN(64, new DataView(b.buffer, b.byteOffset).getBigUint64(8 * i, true)));

function vmRun(port: number, sockets: SocketSpec[]): bigint[] {
  const vm = new Vm(storageProgram(port));
  const r = vm.run({ packet: new Uint8Array(64), sockets });
  expect(r.fault ?? r.error).toBeUndefined();
  return results(vm.maps[1]!.lookup(new Uint8Array(4))!);
}

const listener = (port: number): SocketSpec => ({ family: 'ipv4', protocol: 'tcp', localAddr: Uint8Array.from([127, 0, 0, 1]), localPort: port });

describe('sk_storage on the VM', () => {
  it('is created as the kernel allows it', () => {
    const spec = { name: 's', type: 'sk_storage' as const, keySize: 4, valueSize: 8, maxEntries: 0, flags: 1 };
    expect(createMap(spec).count()).toBe(0);
    for (const bad of [{ flags: 0 }, { maxEntries: 1 }, { keySize: 8 }, { valueSize: 0 }, { flags: 0x81 }])
      expect(() => createMap({ ...spec, ...bad })).toThrow(MapError);
    expect(() => createMap({ ...spec, valueSize: 0x10000 })).toThrow(/exceeds/);
  });
  it('keeps one value per socket: get, create from a value, update in place, delete', () => {
    const [noCreate, init, again, badFlags, del, del2, zeroed] = vmRun(4000, [listener(4000)]);
    expect([noCreate, init, again, badFlags, del, del2, zeroed]).toEqual([0n, 0x1122334455667788n, 0x1122334455667789n, 0n, 0n, -2n, 0n]);
  });
});

describe.skipIf(!k.ok)('sk_storage: VM vs kernel on a real socket', () => {
  const listenerPort = useTcpListener();
  it('the same values and errors', () => {
    const port = listenerPort();
    const kr = runInKernel(storageProgram(port), { data: new Uint8Array(64) });
    expect(kr.load.verdict, kr.load.log).toBe('accept');
    const kernel = results(kr.maps.find((m) => m.name === 'out')!.entries[0]![1]);
    expect(kernel[0]).not.toBe(-1n); // the kernel found the listener
    expect(vmRun(port, [listener(port)])).toEqual(kernel);
  });
});
