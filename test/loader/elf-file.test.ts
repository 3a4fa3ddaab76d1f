/**
 * The ELF reader's checks, one malformed field at a time, on a real object: each error names
 * the file, the section (when there is one) and the byte offset. Also libbpf's section-name
 * conventions for program types.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { InputError } from '../../src/isa/errors.js';
import { parseElf } from '../../src/loader/elf-file.js';
import { loadElf } from '../../src/loader/elf.js';
import { internalMapName } from '../../src/loader/elf-maps.js';
import { sectionType } from '../../src/loader/section-types.js';

const seed = new Uint8Array(readFileSync(new URL('../fixtures/elf/xdp_parser.o', import.meta.url)));
const elf = parseElf(seed, 'x.o');
const dv0 = new DataView(seed.buffer, seed.byteOffset, seed.byteLength);
const shoff = Number(dv0.getBigUint64(40, true));
const secIndex = (name: string) => elf.sections.findIndex((s) => s.name === name);

function mutate(f: (dv: DataView, b: Uint8Array) => void): Uint8Array {
  const b = new Uint8Array(seed);
  f(new DataView(b.buffer), b);
  return b;
}
function refusal(bytes: Uint8Array): InputError {
  try {
    loadElf(bytes, 'x.o');
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('loaded');
}
const shdr = (i: number, field: number) => shoff + i * 64 + field;

describe('ELF header', () => {
  test.each([
    ['class', (dv: DataView) => dv.setUint8(4, 1), /^x\.o: ELF offset 0x4: ELF class 1 is not ELFCLASS64/],
    ['endianness', (dv: DataView) => dv.setUint8(5, 2), /offset 0x5: .*big-endian eBPF objects are not supported/],
    ['machine', (dv: DataView) => dv.setUint16(18, 62, true), /offset 0x12: e_machine 62 is not EM_BPF \(247\)/],
    ['type', (dv: DataView) => dv.setUint16(16, 2, true), /ELF type 2 is not ET_REL/],
    ['section table past the end', (dv: DataView) => dv.setBigUint64(40, BigInt(seed.length), true), /offset 0x28: section header table .* out of bounds/],
    ['string table index', (dv: DataView) => dv.setUint16(62, 999, true), /offset 0x3e: section name string table index 999 out of range/],
    ['entry size', (dv: DataView) => dv.setUint16(58, 40, true), /e_shentsize 40 is not 64/],
  ])('%s', (_n, f, msg) => {
    expect(refusal(mutate(f)).message).toMatch(msg);
  });

  test('a short file and a non-ELF file', () => {
    expect(refusal(seed.subarray(0, 20)).message).toMatch(/file is 20 bytes, shorter than an ELF header/);
    expect(refusal(new Uint8Array(100)).message).toMatch(/bad ELF magic/);
  });
});

describe('sections', () => {
  const text = secIndex('xdp');
  const strtab = elf.sections.find((s) => s.type === 3)!.index;
  test('section data past the end of the file names the section', () => {
    const e = refusal(mutate((dv) => dv.setBigUint64(shdr(text, 32), 0x100000n, true)));
    expect(e.message).toMatch(new RegExp(`^x\\.o: ELF section 'xdp' \\(#${text}\\) at offset 0x${shdr(text, 24).toString(16)}: section #${text} data .* runs past the end of the file`));
  });
  test('overlapping sections', () => {
    const other = secIndex('license');
    const off = elf.sections[text]!.offset;
    const e = refusal(mutate((dv) => dv.setBigUint64(shdr(other, 24), BigInt(off), true)));
    expect(e.message).toMatch(/overlaps section 'xdp'|section 'xdp' .* overlaps/);
  });
  test('a bad section name index', () => {
    const e = refusal(mutate((dv) => dv.setUint32(shdr(text, 0), 0xfffff, true)));
    expect(e.message).toMatch(new RegExp(`section '.strtab' \\(#${strtab}\\) at offset 0x[0-9a-f]+: name of section #${text}: string index 1048575 is past the end of the string table`));
  });
  test('symbol table with a bad entry size, a bad string table link, a bad symbol section', () => {
    const sym = elf.symtab!.index;
    expect(refusal(mutate((dv) => dv.setBigUint64(shdr(sym, 56), 16n, true))).message).toMatch(/section '.symtab' .*: symbol table sh_entsize 16 is not 24/);
    expect(refusal(mutate((dv) => dv.setUint32(shdr(sym, 40), 0, true))).message).toMatch(/symbol strings section missing or invalid \(sh_link 0\)/);
    const s = elf.symbols.find((x) => x.name === 'xdp_parse')!;
    const e = refusal(mutate((dv) => dv.setUint16(elf.symtab!.offset + s.index * 24 + 6, 500, true)));
    expect(e.message).toMatch(/symbol #\d+ 'xdp_parse' names section 500, past the last section/);
  });
  test('a relocation naming a symbol past the table, at an offset past its section', () => {
    const rel = elf.sections.find((s) => s.name === '.relxdp')!;
    expect(refusal(mutate((dv) => dv.setUint32(rel.offset + 12, 9999, true))).message).toMatch(/section '.relxdp' .*: relocation #0 names symbol 9999, past the end of the symbol table/);
    expect(refusal(mutate((dv) => dv.setBigUint64(rel.offset, 0x100000n, true))).message).toMatch(/section '.relxdp' .*: invalid offset 0x100000 for relocation #0/);
    expect(refusal(mutate((dv) => dv.setBigUint64(rel.offset, 8n, true))).message).toMatch(/program 'xdp_parse': invalid relo against 'proto_count' for insns\[1\]\.code 0x/);
  });
  test('malformed BTF is fatal when .maps needs it', () => {
    const btf = elf.sections.find((s) => s.name === '.BTF')!;
    expect(refusal(mutate((dv) => dv.setUint16(btf.offset, 0x1234, true))).message).toMatch(/\.BTF at offset 0x[0-9a-f]+: bad magic 0x1234 \(BTF is required for '.maps'\)/);
  });
  test('malformed .BTF.ext is ignored with a warning, as libbpf does', () => {
    const ext = elf.sections.find((s) => s.name === '.BTF.ext')!;
    const o = loadElf(mutate((dv) => dv.setUint32(ext.offset + 8, 0xffffff, true)), 'x.o');
    expect(o.warnings.join()).toMatch(/ignored \.BTF\.ext: .*func_info .* out of bounds/);
    expect(o.programs[0]!.lineInfo).toBeUndefined();
  });
});

describe('section names (libbpf conventions)', () => {
  test.each([
    ['xdp', 'xdp', undefined, 37],
    ['xdp.frags', 'xdp', undefined, 37],
    ['xdp/devmap', 'xdp', undefined, 33],
    ['tc', 'sched_cls', undefined, undefined],
    ['classifier', 'sched_cls', undefined, undefined],
    ['action', 'sched_act', undefined, undefined],
    ['socket', 'socket_filter', undefined, undefined],
    ['kprobe/do_sys_open', 'kprobe', 'do_sys_open', undefined],
    ['kretprobe/tcp_sendmsg', 'kprobe', 'tcp_sendmsg', undefined],
    ['uprobe/bin/bash:readline', 'kprobe', 'bin/bash:readline', undefined],
    ['tracepoint/syscalls/sys_enter_openat', 'tracepoint', 'sys_enter_openat', undefined],
    ['tp/sched/sched_switch', 'tracepoint', 'sched_switch', undefined],
    ['raw_tracepoint/sys_enter', 'raw_tracepoint', 'sys_enter', undefined],
    ['raw_tp/sys_exit', 'raw_tracepoint', 'sys_exit', undefined],
    ['perf_event', 'perf_event', undefined, undefined],
    ['cgroup_skb/ingress', 'cgroup_skb', undefined, 0],
    ['cgroup_skb/egress', 'cgroup_skb', undefined, 1],
    ['cgroup/connect4', 'cgroup_sock_addr', undefined, 10],
    ['cgroup/sock_release', 'cgroup_sock', undefined, 34],
    ['fentry/tcp_connect', 'tracing', 'tcp_connect', 24],
    ['fexit/tcp_close', 'tracing', 'tcp_close', 25],
    ['lsm/file_open', 'lsm', 'file_open', 27],
    ['sockops', 'sock_ops', undefined, 3],
    ['sk_msg', 'sk_msg', undefined, 7],
    ['syscall', 'syscall', undefined, undefined],
  ])('%s', (name, type, attachTo, eat) => {
    const t = sectionType(name);
    expect(t.type).toBe(type);
    expect(t.attachTo).toBe(attachTo);
    expect(t.expectedAttachType).toBe(eat);
    expect(t.legacy).toBe(false);
  });

  test('libbpf 0.x prefixes and unknown names', () => {
    expect(sectionType('xdp_prog')).toMatchObject({ type: 'xdp', legacy: true });
    expect(sectionType('socket1')).toMatchObject({ type: 'socket_filter', legacy: true });
    expect(sectionType('cgroup/sock1')).toMatchObject({ type: 'cgroup_sock', legacy: true });
    expect(sectionType('2/1')).toMatchObject({ type: 'unspec', rule: '' });
    expect(sectionType('from-netdev').type).toBe('unspec');
    expect(sectionType('kprobe').type).toBe('kprobe');
    expect(sectionType('kprobex/foo').type).toBe('unspec');
    expect(sectionType('fentry.s/foo').progFlags).toBe(16);
  });

  test('internal map names as libbpf makes them', () => {
    expect(internalMapName('calls_globals', '.rodata')).toBe('calls_gl.rodata');
    expect(internalMapName('a', '.bss')).toBe('a.bss');
    expect(internalMapName('bpf_sock', '.rodata.config')).toBe('.rodata.config');
    expect(internalMapName('x', '.data.a_very_long_name')).toBe('.data.a_very_lo');
    expect(internalMapName('my-obj', '.data')).toBe('my_obj.data');
  });
});
