/**
 * CO-RE as libbpf 1.x applies it, by default, on test/fixtures/btf-typed/core_bitfields.c:
 * bitfield relocations (whose instructions libbpf does not validate against the local value),
 * and `--btf` naming another kernel's BTF (test/fixtures/btf-typed/other_kernel.o, where
 * task_struct has no tgid): field_exists gives 0 there and the offset read is poisoned.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { applyCoreRelocations, CORE_POISON_IMM } from '../../src/loader/core.js';
import { loadFileDetailed } from '../../src/loader/index.js';
import { readTargetBtf } from '../../src/loader/target.js';
import { verify } from '../../src/verifier/index.js';

const dir = new URL('../fixtures/btf-typed/', import.meta.url);
const bytes = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip CO-RE against the running kernel: no /sys/kernel/btf/vmlinux');

describe('CO-RE by default', () => {
  test.skipIf(!haveBtf)('bitfield relocations resolve against the kernel (tcphdr.doff, sock.skc_reuse)', async () => {
    const plain = await loadFileDetailed('core_bitfields.o', bytes('core_bitfields.o'), { noCore: true });
    const p = plain.programs.find((x) => x.name === 'read_bitfields')!;
    const vmlinux = readTargetBtf('/sys/kernel/btf/vmlinux');
    if (typeof vmlinux === 'string') throw new Error(vmlinux);
    const { results } = applyCoreRelocations(p, vmlinux, plain.elf!.btf);
    const doff = results.filter((r) => r.path === 'struct tcphdr.doff');
    const tcp = vmlinux.find('tcphdr', 'struct')[0]!;
    if (tcp.kind !== 'struct') throw new Error('no tcphdr');
    const m = tcp.members.find((x) => x.name === 'doff')!;
    const bySize = new Map(doff.map((r) => [r.kind, r.target]));
    // doff is a 4-bit field of a __u16 word: 2-byte load at the word's offset, shifts from its bit position.
    expect(bySize.get('field_byte_size')).toBe(2n);
    expect(bySize.get('field_byte_offset')).toBe(BigInt(Math.floor(m.bitOffset / 16) * 2));
    expect(bySize.get('field_lshift_u64')).toBe(BigInt(64 - (m.bitOffset + 4 - Math.floor(m.bitOffset / 16) * 16)));
    expect(bySize.get('field_rshift_u64')).toBe(60n);
    expect(results.every((r) => !r.poisoned)).toBe(true);
    const loaded = await loadFileDetailed('core_bitfields.o', bytes('core_bitfields.o'));
    expect(loaded.programs.every((x) => x.btf?.coreRelos === undefined)).toBe(true);
    expect(verify(loaded.programs.find((x) => x.name === 'read_bitfields')!).verdict).toBe('accept');
  });

  test('--btf another kernel: field_exists is 0 there, the offset read is poisoned as libbpf poisons it', async () => {
    const { programs } = await loadFileDetailed('core_bitfields.o', bytes('core_bitfields.o'), { btf: new URL('other_kernel.o', dir).pathname });
    const exists = programs.find((x) => x.name === 'task_tgid_exists')!;
    const offset = programs.find((x) => x.name === 'task_tgid_offset')!;
    expect(exists.insns.some((i) => i.code === 0xb7 && i.imm === 0)).toBe(true);
    expect(verify(exists).verdict).toBe('accept');
    expect(offset.insns[0]).toMatchObject({ code: 0x85, imm: CORE_POISON_IMM });
    const r = verify(offset);
    expect(r.error).toMatchObject({ pc: 0, message: `invalid func unknown#${CORE_POISON_IMM}` });
  });
});
