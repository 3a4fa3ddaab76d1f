/**
 * Our own C programs (test/fixtures/elf/*.c, compiled by clang-19 with build.sh): they load,
 * their maps and relocations are what the source says, line info shows the source, the code
 * agrees byte for byte with the committed llvm-objdump listing, and the running kernel loads
 * every program as under libbpf, with BTF (skipped, with the reason, when bpf() is not
 * available): all are accepted except btf_kinds.o:use_all, whose global helper the kernel
 * verifies on its own and refuses, and the stack_depth.o programs written to break a stack limit
 * (test/verifier/stack-depth.test.ts checks them against bpflab).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadElf, type ElfObject } from '../../src/loader/elf.js';
import { loadFileDetailed } from '../../src/loader/index.js';
import { jumpTarget } from '../../src/isa/validate.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';

const dir = new URL('../fixtures/elf/', import.meta.url);
const objects = readdirSync(dir).filter((f) => f.endsWith('.o')).sort();
const load = (name: string): ElfObject => loadElf(new Uint8Array(readFileSync(new URL(name, dir))), `test/fixtures/elf/${name}`);

/** Instruction bytes per function from an `llvm-objdump -d` listing. */
function objdumpFunctions(name: string): Map<string, { section: string; bytes: number[] }> {
  const out = new Map<string, { section: string; bytes: number[] }>();
  let section = '';
  let cur: number[] | undefined;
  for (const line of readFileSync(new URL(name.replace(/\.o$/, '.objdump.txt'), dir), 'utf8').split('\n')) {
    let m;
    if ((m = /^Disassembly of section (.*):$/.exec(line))) { section = m[1]!; continue; }
    if ((m = /^[0-9a-f]+ <(.*)>:$/.exec(line))) {
      if (/^(LBB|\.L)/.test(m[1]!)) continue;
      cur = [];
      out.set(m[1]!, { section, bytes: cur });
      continue;
    }
    if ((m = /^\s*\d+:\t((?:[0-9a-f]{2} ?)+)\t/.exec(line)) && cur) cur.push(...m[1]!.trim().split(' ').map((h) => parseInt(h, 16)));
  }
  return out;
}

describe('own fixtures', () => {
  test('all fixtures are present', () => {
    expect(objects).toEqual(['btf_kinds.o', 'call_sites.o', 'calls_globals.o', 'core_reloc.o', 'kprobe_ringbuf.o', 'loop_callbacks.o', 'loop_checks.o', 'socket_filter.o', 'spin_lock.o', 'stack_depth.o', 'tc_classifier.o', 'tracepoint_percpu.o', 'xdp_parser.o', 'xdp_rewrite.o']);
  });

  test.each(objects)('%s: entry code matches llvm-objdump except relocated fields; line info points into the source', (name) => {
    const o = load(name);
    const listing = objdumpFunctions(name);
    const source = readFileSync(new URL(name.replace(/\.o$/, '.c'), dir), 'utf8').split('\n');
    o.programs.forEach((p, i) => {
      const d = o.details[i]!;
      const f = listing.get(p.name)!;
      expect(f.section).toBe(p.section);
      expect(f.bytes.length / 8).toBe(d.ownInsns);
      for (let pc = 0; pc < d.ownInsns; pc++) {
        const ins = p.insns[pc]!;
        const b = f.bytes.slice(pc * 8, pc * 8 + 8);
        const relocated = ins.code === 0x18 || (pc > 0 && p.insns[pc - 1]!.code === 0x18) || (ins.code === 0x85 && ins.src === 1);
        expect(ins.code, `${p.name} pc ${pc}`).toBe(b[0]);
        expect(ins.dst).toBe(b[1]! & 0xf);
        if (!relocated) {
          expect(ins.src).toBe(b[1]! >> 4);
          expect(ins.off).toBe(((b[3]! << 8) | b[2]!) << 16 >> 16);
          expect(ins.imm).toBe(b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24));
        }
      }
      expect(p.lineInfo!.length).toBeGreaterThan(0);
      for (const l of p.lineInfo!) {
        expect(l.file).toMatch(new RegExp(`${name.replace(/\.o$/, '.c')}$`));
        // The recorded text is the source line itself.
        expect(source[l.line - 1]).toBe(l.text);
      }
    });
  });

  test('xdp_parser: BTF array map, line info of the entry', () => {
    const o = load('xdp_parser.o');
    expect(o.mapDetails[0]).toMatchObject({ origin: 'btf', keyType: '__u32', valueType: '__u64', spec: { name: 'proto_count', type: 'array', keySize: 4, valueSize: 8, maxEntries: 256 } });
    const p = o.programs[0]!;
    expect(p).toMatchObject({ name: 'xdp_parse', section: 'xdp', type: 'xdp', expectedAttachType: 37, license: 'GPL' });
    expect(p.lineInfo![0]).toMatchObject({ pc: 0, line: 28, text: 'int xdp_parse(struct xdp_md *ctx)' });
    const fn = o.btf!.find('xdp_parse', 'func')[0]!;
    expect(o.btf!.funcSignature(fn.id)).toBe('int xdp_parse(struct xdp_md *ctx)');
  });

  test('tc_classifier: tc and tc/ingress (tcx attach type), pinned hash map', () => {
    const o = load('tc_classifier.o');
    expect(o.programs.map((p) => [p.name, p.section, p.type, p.expectedAttachType])).toEqual([['classify', 'tc', 'sched_cls', undefined], ['mark_all', 'tc/ingress', 'sched_cls', 46]]);
    expect(o.maps[0]).toMatchObject({ name: 'port_class', type: 'hash', keySize: 2, valueSize: 4, maxEntries: 1024, pinning: 1 });
    expect(o.relocations.map).toBe(1);
  });

  test('kprobe_ringbuf: kprobe/kretprobe attach points, ring buffer map', () => {
    const o = load('kprobe_ringbuf.o');
    expect(o.programs.map((p) => [p.name, p.type, p.attachTo])).toEqual([['trace_openat2', 'kprobe', 'do_sys_openat2'], ['trace_openat2_ret', 'kprobe', 'do_sys_openat2']]);
    expect(o.maps[0]).toMatchObject({ name: 'events', type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 65536 });
  });

  test('tracepoint_percpu: category and name, per-CPU hash with a struct value', () => {
    const o = load('tracepoint_percpu.o');
    expect(o.programs[0]).toMatchObject({ type: 'tracepoint', attachTo: 'sys_enter_write' });
    expect(o.details[0]!.sectionType.attachCategory).toBe('syscalls');
    expect(o.mapDetails[0]).toMatchObject({ valueType: 'struct write_stats', spec: { type: 'percpu_hash', keySize: 4, valueSize: 16, maxEntries: 4096 } });
  });

  test('socket_filter: LD_ABS instructions survive as eBPF packet loads', () => {
    const p = load('socket_filter.o').programs[0]!;
    expect(p.type).toBe('socket_filter');
    expect(p.insns.filter((i) => (i.code & 0xe7) === 0x20).length).toBe(2);
  });

  test('calls_globals: subprograms, global data, a bpf_loop callback, map-in-map and prog_array slots', () => {
    const o = load('calls_globals.o');
    expect(o.maps.map((m) => [m.name, m.type, m.valueSize, m.flags])).toEqual([
      ['inner_a', 'array', 8, 0],
      ['outer', 'array_of_maps', 4, 0],
      ['jumps', 'prog_array', 4, 0],
      ['calls_gl.rodata', 'array', 4, 0x480],
      ['calls_gl.data', 'array', 8, 0x400],
      ['.data.hist', 'array', 16, 0x400],
      ['calls_gl.bss', 'array', 8, 0x400],
    ]);
    expect(o.maps[1]!.inner).toMatchObject({ name: 'outer.inner', type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
    expect(Array.from(o.maps[3]!.initial!)).toEqual([8, 0, 0, 0]);
    expect(Array.from(o.maps[4]!.initial!)).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(o.mapInits).toEqual([{ map: 'outer', slot: 0, target: 'inner_a' }, { map: 'jumps', slot: 1, target: 'tail_target' }]);
    const i = o.programs.findIndex((p) => p.name === 'with_calls');
    const p = o.programs[i]!;
    expect(p).toMatchObject({ section: 'cgroup_skb/ingress', type: 'cgroup_skb', expectedAttachType: 0 });
    expect(o.details[i]!.subprograms.map((s) => s.name)).toEqual(['step', 'add_square', 'square']);
    const starts = new Map(o.details[i]!.subprograms.map((s) => [s.name, s.pc]));
    // The callback address: ld_imm64 src 4 whose target is step.
    const cb = p.insns.findIndex((x) => x.code === 0x18 && x.src === 4);
    expect(cb + 1 + p.insns[cb]!.imm).toBe(starts.get('step'));
    // Every call lands on a subprogram start.
    const calls = p.insns.map((x, pc) => (x.code === 0x85 && x.src === 1 ? jumpTarget(x, pc) : null)).filter((t) => t !== null);
    expect(new Set(calls)).toEqual(new Set([starts.get('add_square'), starts.get('square')]));
    // Global data: `calls++` is a direct value load of the .bss map at offset 0.
    const bss = o.maps.findIndex((m) => m.name === 'calls_gl.bss');
    expect(p.insns.some((x, pc) => x.code === 0x18 && x.src === 2 && x.imm === bss && p.insns[pc + 1]!.imm === 0)).toBe(true);
    // func info and line info follow the appended subprograms.
    expect(p.funcInfo!.map((f) => [f.name, f.pc])).toEqual([['with_calls', 0], ['step', starts.get('step')], ['add_square', starts.get('add_square')], ['square', starts.get('square')]]);
    expect(p.lineInfo!.find((l) => l.pc === starts.get('square'))!.text).toBe('static __noinline __u64 square(__u64 x)');
    expect(o.relocations).toMatchObject({ call: 3, func: 1 });
  });

  test('btf_kinds: every BTF kind parses and prints as C', () => {
    const o = load('btf_kinds.o');
    const btf = o.btf!;
    const kinds = new Set(btf.types.map((t) => t.kind));
    for (const k of ['int', 'ptr', 'array', 'struct', 'union', 'enum', 'enum64', 'fwd', 'typedef', 'volatile', 'const', 'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag'])
      expect(kinds.has(k as never), k).toBe(true);
    const rec = btf.find('record', 'struct')[0]!;
    if (rec.kind !== 'struct') throw new Error('not a struct');
    const member = (n: string) => btf.format(rec.members.find((m) => m.name === n)!.type);
    expect(member('name')).toBe('const volatile char *restrict');
    expect(member('opaque')).toBe('struct opaque *');
    expect(member('cb')).toBe('int (*)(void *, long)');
    expect(member('counts')).toBe('u64_t [4]');
    expect(member('b')).toBe('enum big');
    expect(member('uptr')).toBe('int __attribute__((btf_type_tag("user"))) *');
    expect(rec.members.find((m) => m.name === 'flag')!.bitfieldSize).toBe(3);
    const big = btf.find('big', 'enum64')[0]!;
    expect(big.kind === 'enum64' && big.values[0]!.value).toBe(0x123456789abcdefn);
    expect(btf.resolveSize(rec.id)).toBe(rec.size);
    expect(btf.funcSignature(btf.find('helper', 'func')[0]!.id)).toBe('int helper(struct record *r, enum big b)');
    expect(btf.types.filter((t) => t.kind === 'decl_tag').map((t) => t.name).sort()).toEqual(['arg_tag', 'helper_tag', 'key', 'record_tag']);
    expect(o.maps.map((m) => m.name)).toEqual(['.data.records']);
  });

  test('loadFileDetailed keeps the ELF object; --type overrides the section type', async () => {
    const bytes = new Uint8Array(readFileSync(new URL('tc_classifier.o', dir)));
    const r = await loadFileDetailed('tc_classifier.o', bytes, { section: 'tc/ingress' });
    expect(r.programs.map((p) => p.name)).toEqual(['mark_all']);
    expect(r.elf!.programs).toHaveLength(2);
    const t = await loadFileDetailed('tc_classifier.o', bytes, { type: 'sched_act' });
    expect(t.programs.map((p) => [p.type, p.expectedAttachType])).toEqual([['sched_act', undefined], ['sched_act', undefined]]);
  });
});

const k = kernelAvailable();
/** stack_depth.o's programs that break a limit on purpose, and the kernel's message. */
const STACK_LIMITS: Record<string, string> = {
  'stack_depth.o:loop_big': 'combined stack size of 2 calls is 528. Too large',
  'stack_depth.o:tail_deep': 'tail_calls are not allowed when call stack of previous frames is 272 bytes. Too large',
  'stack_depth.o:tail_edge': 'tail_calls are not allowed when call stack of previous frames is 256 bytes. Too large',
  'stack_depth.o:chain_over': 'combined stack size of 4 calls is 544. Too large',
};
if (!k.ok) console.log(`skip kernel loads of the fixtures: ${k.reason}`);
describe.skipIf(!k.ok)('the running kernel loads every fixture program as libbpf would (with BTF)', () => {
  const all = objects.flatMap((name) => load(name).programs.map((p) => [name, p.name] as const));
  test.each(all)('%s: %s', (name, prog) => {
    const p = load(name).programs.find((x) => x.name === prog)!;
    const r = progLoad(p, { logLevel: 1 });
    if (r.fd !== null) closeFd(r.fd);
    const bare = progLoad(p, { logLevel: 1, btf: false });
    if (bare.fd !== null) closeFd(bare.fd);
    expect(r.withBtf).toBe(true);
    if (prog === 'with_calls') {
      // bpf_loop callbacks need BTF func_info: without it the kernel stops exactly there, after
      // accepting the relocated code before it.
      expect(bare.log).toContain('missing btf func_info');
      expect(bare.log).toContain('14: (18) r2 = 0x9');
    }
    if (prog === 'use_all') {
      // With BTF, the global `helper(struct record *r, ...)` is verified on its own, where r may
      // be NULL: the kernel refuses the unchecked r->id, as it does under libbpf. Without BTF
      // every subprogram is static and sees the caller's non-NULL map value.
      expect(r.verdict).toBe('reject');
      expect(r.log).toContain('Validating helper() func#1');
      expect(r.log).toContain("R1 invalid mem access 'mem_or_null'");
      expect(bare.verdict, bare.log.split('\n').slice(-4).join('\n')).toBe('accept');
      return;
    }
    const limit = STACK_LIMITS[`${name}:${prog}`];
    if (limit) {
      expect(r.verdict).toBe('reject');
      expect(r.log).toContain(limit);
      return;
    }
    expect(r.verdict, r.log.split('\n').slice(-4).join('\n')).toBe('accept');
  });
});
