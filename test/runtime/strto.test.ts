/**
 * bpf_strtol / bpf_strtoul: the kernel's parse (base from flags or the 0 / 0x prefix, leading
 * whitespace, sign, 63-character window, -EINVAL / -ERANGE) on the VM, compared string by string
 * with BPF_PROG_TEST_RUN where bpf() is available.
 */
import { describe, expect, it } from 'vitest';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import { Vm } from '../../src/vm/index.js';
import { prog } from './util.js';

const k = kernelAvailable();
if (!k.ok) console.log(`skip kernel comparisons of bpf_strtol / bpf_strtoul: ${k.reason}`);

/** r0 and *res of one call, written to `out` as two u64. */
const call = (helper: 'bpf_strtol' | 'bpf_strtoul', len: number, flags: bigint) => prog(`.map buf array key=4 value=80 entries=1
.map out array key=4 value=16 entries=1
*(u64 *)(r10 -8) = 7
r1 = map_value[buf] + 0
r2 = ${len}
r3 = ${flags} ll
r4 = r10
r4 += -8
call ${helper}
r1 = map_value[out] + 0
*(u64 *)(r1 +0) = r0
r2 = *(u64 *)(r10 -8)
*(u64 *)(r1 +8) = r2
r0 = 0
exit`);

const CASES: [string, number, bigint][] = [
  ['123', 3, 0n], ['123abc', 6, 10n], ['  \t\n42', 6, 0n], ['-42', 3, 0n], ['-0', 2, 0n], ['0x1f', 4, 0n], ['0X1F', 4, 16n],
  ['0x', 2, 0n], ['0x', 2, 16n], ['0xg', 3, 0n], ['017', 3, 0n], ['019', 3, 0n], ['0', 1, 0n], ['', 1, 0n], ['   ', 3, 0n],
  ['-', 1, 0n], ['- 5', 3, 0n], ['+5', 2, 0n], ['ff', 2, 16n], ['ff', 2, 10n], ['777', 3, 8n], ['89', 2, 8n], ['12', 2, 2n],
  ['12', 2, 0x20n], ['12', 2, 0x100000000n], ['18446744073709551615', 20, 0n], ['18446744073709551616', 20, 0n],
  ['9223372036854775807', 19, 0n], ['9223372036854775808', 19, 0n], ['-9223372036854775808', 20, 0n], ['-9223372036854775809', 20, 0n],
  ['0xffffffffffffffff', 18, 0n], ['0x10000000000000000', 19, 0n], ['1234567890', 4, 0n], ['\xa0 7', 3, 0n], ['\x0b\x0c\r9', 4, 10n],
  ['0'.repeat(62) + '12', 64, 0n], [' ' + '0'.repeat(62) + '12', 65, 0n], ['-' + '0'.repeat(62) + '5', 64, 0n], ['12\x0034', 5, 0n],
  ['0x1g', 4, 0n], ['-0x10', 5, 0n], ['00x10', 5, 0n], ['1e3', 3, 0n], ['abc', 3, 16n], ['ABCdef09', 8, 16n],
];

const bytesOf = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const KEY = new Uint8Array(4);

function vmRun(helper: 'bpf_strtol' | 'bpf_strtoul', s: string, len: number, flags: bigint): [bigint, bigint] {
  const vm = new Vm(call(helper, len, flags));
  const v = new Uint8Array(80); v.set(bytesOf(s));
  vm.maps[0]!.update(KEY, v);
  const r = vm.run({});
  expect(r.fault ?? r.error).toBeUndefined();
  const out = new DataView(vm.maps[1]!.lookup(KEY)!.buffer);
  return [BigInt.asIntN(64, out.getBigUint64(0, true)), out.getBigUint64(8, true)];
}

describe('bpf_strtol / bpf_strtoul on the VM', () => {
  it('parses with the base rules and reports the characters consumed', () => {
    expect(vmRun('bpf_strtol', '  -0x1fz', 8, 0n)).toEqual([7n, BigInt.asUintN(64, -31n)]);
    expect(vmRun('bpf_strtoul', '017', 3, 0n)).toEqual([3n, 15n]);
    expect(vmRun('bpf_strtoul', '0x', 2, 0n)).toEqual([1n, 0n]);
  });
  it('fails with -EINVAL / -ERANGE and zeroes *res', () => {
    expect(vmRun('bpf_strtoul', '-1', 2, 0n)).toEqual([-22n, 0n]);
    expect(vmRun('bpf_strtol', '12', 2, 7n)).toEqual([-22n, 0n]);
    expect(vmRun('bpf_strtol', '9223372036854775808', 19, 0n)).toEqual([-34n, 0n]);
    expect(vmRun('bpf_strtoul', '18446744073709551616', 20, 0n)).toEqual([-34n, 0n]);
  });
});

describe.skipIf(!k.ok)('bpf_strtol / bpf_strtoul: VM vs kernel', () => {
  for (const helper of ['bpf_strtol', 'bpf_strtoul'] as const) {
    it(helper, () => {
      for (const [s, len, flags] of CASES) {
        const v = new Uint8Array(80); v.set(bytesOf(s));
        const kr = runInKernel(call(helper, len, flags), { data: new Uint8Array(64), fill: [{ map: 'buf', key: KEY, value: v }] });
        expect(kr.load.verdict, `${JSON.stringify(s)}: ${kr.load.log}`).toBe('accept');
        const out = new DataView(kr.maps.find((m) => m.name === 'out')!.entries[0]![1].buffer);
        const kernel = [BigInt.asIntN(64, out.getBigUint64(0, true)), out.getBigUint64(8, true)];
        expect(vmRun(helper, s, len, flags), `${helper}(${JSON.stringify(s)}, ${len}, ${flags})`).toEqual(kernel);
      }
    });
  }
});
