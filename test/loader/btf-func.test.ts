/**
 * What the loader derives from BTF for the verifier and the kernel: function linkage and
 * argument kinds (btf_prepare_func_args), the kernel-ready .BTF (libbpf's DATASEC fix-ups),
 * the per-program func_info / line_info records, and the host-independent map fix-ups.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BPF_LD_IMM64 } from '../../src/isa/opcodes.js';
import type { ProgType, Program } from '../../src/isa/program.js';
import { funcSignature, kernelBtf, parseBtf } from '../../src/loader/btf/index.js';
import { loadElf, type ElfObject } from '../../src/loader/elf.js';
import { parseElf } from '../../src/loader/elf-file.js';
import { loadFileDetailed } from '../../src/loader/index.js';
import { btfLoad, closeFd, kernelAvailable } from '../../src/kernel/index.js';

const fixtures = new URL('../fixtures/elf/', import.meta.url);
const corpus = new URL('../../../shared/corpus-samples/', import.meta.url);
const loadAt = (base: URL, name: string): ElfObject => loadElf(new Uint8Array(readFileSync(new URL(name, base))), name);
const prog = (o: ElfObject, name: string): Program => o.programs.find((p) => p.name === name)!;

describe('function signatures from BTF', () => {
  test('calls_globals.o: context, scalar and sizeless pointer arguments; static vs global', () => {
    const o = loadAt(fixtures, 'calls_globals.o');
    const p = prog(o, 'with_calls');
    const by = new Map(p.funcInfo!.map((f) => [f.name, f]));
    expect(by.get('with_calls')).toMatchObject({ linkage: 'global', params: [{ kind: 'ctx', pointee: 'struct __sk_buff' }] });
    expect(by.get('add_square')).toMatchObject({ linkage: 'global', params: [{ kind: 'scalar' }] });
    expect(by.get('square')).toMatchObject({ linkage: 'static', params: [{ kind: 'scalar' }] });
    // `static long step(__u32 i, void *ctx)`: void has no size (what the kernel would log).
    expect(by.get('step')).toMatchObject({ linkage: 'static', paramError: "arg#1 reference type('UNKNOWN ') size cannot be determined: -22" });
    expect(by.get('step')!.params).toBeUndefined();
    expect(prog(o, 'tail_target').funcInfo![0]).toMatchObject({ params: [{ kind: 'ctx', pointee: 'struct xdp_md' }] });
  });

  test('btf_kinds.o: a pointer to a struct is memory of the struct size', () => {
    const p = prog(loadAt(fixtures, 'btf_kinds.o'), 'use_all');
    expect(p.funcInfo!.find((f) => f.name === 'helper')).toMatchObject({
      linkage: 'global', params: [{ kind: 'ptr', size: 112, pointee: 'struct record' }, { kind: 'scalar' }],
    });
  });

  test('the context is judged for the program type: overriding the type re-judges it', async () => {
    const bytes = new Uint8Array(readFileSync(new URL('calls_globals.o', fixtures)));
    const asXdp = await loadFileDetailed('calls_globals.o', bytes, { type: 'xdp', section: 'with_calls' });
    const f = asXdp.programs[0]!.funcInfo![0]!;
    // struct __sk_buff * is not an XDP program's context: plain memory of sizeof(struct __sk_buff).
    expect(f).toMatchObject({ name: 'with_calls', params: [{ kind: 'ptr', size: 192, pointee: 'struct __sk_buff' }] });
    const asTc = await loadFileDetailed('calls_globals.o', bytes, { type: 'sched_cls', section: 'with_calls' });
    expect(asTc.programs[0]!.funcInfo![0]!.params).toEqual([{ kind: 'ctx', pointee: 'struct __sk_buff' }]);
  });

  test('kprobe: struct pt_regs * and the bpf_user_pt_regs_t typedef are the context', () => {
    const b = new BtfBuilder();
    const regs = b.struct('pt_regs', 168);
    const td = b.typedef('bpf_user_pt_regs_t', regs);
    const fn = b.func('f', b.proto(b.int(), [b.ptr(regs), b.ptr(td), b.ptr(b.struct('other', 8))]), 1);
    const sig = funcSignature(parseBtf(b.raw(), 't'), fn, 'kprobe');
    expect(sig.params!.map((x) => x.kind)).toEqual(['ctx', 'ctx', 'ptr']);
    expect(funcSignature(parseBtf(b.raw(), 't'), fn, 'xdp').params!.map((x) => x.kind)).toEqual(['ptr', 'ptr', 'ptr']);
  });

  test('arg: decl tags (__arg_ctx, __arg_nonnull) as btf_prepare_func_args reads them', () => {
    const b = new BtfBuilder();
    const i32 = b.int();
    const fn = b.func('g', b.proto(i32, [b.ptr(b.voidId()), b.ptr(i32), b.ptr(i32)]), 1);
    b.declTag('arg:ctx', fn, 0);
    b.declTag('arg:nonnull', fn, 1);
    const sig = funcSignature(parseBtf(b.raw(), 't'), fn, 'tracing');
    expect(sig.params).toEqual([{ kind: 'ctx', pointee: 'void' }, { kind: 'ptr', size: 4, pointee: 'int', nonnull: true }, { kind: 'ptr', size: 4, pointee: 'int' }]);
    b.declTag('arg:bogus', fn, 2);
    expect(funcSignature(parseBtf(b.raw(), 't'), fn, 'tracing').paramError).toBe('arg#2 has unsupported set of tags');
  });

  test('property: scalars, sized pointers and context pointers come out in order', () => {
    type Arg = 'int' | 'enum' | { arr: number } | 'ctx' | 'struct' | 'void*';
    const argArb: fc.Arbitrary<Arg> = fc.oneof(
      fc.constant('int' as const), fc.constant('enum' as const), fc.record({ arr: fc.integer({ min: 1, max: 64 }) }),
      fc.constant('ctx' as const), fc.constant('struct' as const), fc.constant('void*' as const));
    const types: ProgType[] = ['xdp', 'sched_cls', 'kprobe', 'tracepoint', 'cgroup_sock_addr'];
    fc.assert(fc.property(fc.array(argArb, { maxLength: 7 }), fc.constantFrom(...types), fc.boolean(), (args, type, global) => {
      const b = new BtfBuilder();
      const i32 = b.int();
      const ctxName = { xdp: 'xdp_md', sched_cls: '__sk_buff', kprobe: 'pt_regs', tracepoint: 'trace_entry', cgroup_sock_addr: 'bpf_sock_addr' }[type as string]!;
      const ids = args.map((a) => {
        if (a === 'int') return i32;
        if (a === 'enum') return b.enumType(4);
        if (a === 'ctx') return b.ptr(b.struct(ctxName, 24));
        if (a === 'struct') return b.ptr(b.struct('thing', 40));
        if (a === 'void*') return b.ptr(b.voidId());
        return b.ptr(b.array(b.int(1), a.arr));
      });
      const fn = b.func('h', b.proto(i32, ids), global ? 1 : 0);
      const sig = funcSignature(parseBtf(b.raw(), 'prop'), fn, type);
      expect(sig.linkage).toBe(global ? 'global' : 'static');
      if (args.length > 5) {
        expect(sig.paramError).toMatch(/> 5 args/);
        return;
      }
      const firstVoid = args.indexOf('void*');
      if (firstVoid >= 0) {
        expect(sig.paramError).toBe(`arg#${firstVoid} reference type('UNKNOWN ') size cannot be determined: -22`);
        return;
      }
      expect(sig.params!.map((p) => (p.kind === 'ptr' ? p.size : p.kind))).toEqual(args.map((a) => {
        if (a === 'int' || a === 'enum') return 'scalar';
        // tracepoint's context is a u64, never a struct: only __arg_ctx could make it one.
        if (a === 'ctx') return type === 'tracepoint' ? 24 : 'ctx';
        if (a === 'struct') return 40;
        return typeof a === 'object' ? a.arr : 0;
      }));
    }), { numRuns: 300 });
  });
});

describe('the BTF the kernel gets', () => {
  test('DATASEC sizes and variable offsets come from the ELF, variables sorted by offset', () => {
    for (const name of ['kprobe_ringbuf.o', 'calls_globals.o', 'btf_kinds.o']) {
      const bytes = new Uint8Array(readFileSync(new URL(name, fixtures)));
      const elf = parseElf(bytes, name);
      const o = loadElf(bytes, name);
      const k = parseBtf(o.programs[0]!.btf!.raw, name);
      const secs = k.types.filter((t) => t.kind === 'datasec');
      expect(secs.length).toBeGreaterThan(0);
      for (const ds of secs) {
        if (ds.kind !== 'datasec') continue;
        expect(ds.size, `${name} ${ds.name}`).toBe(elf.byName(ds.name)!.size);
        const offs = ds.vars.map((v) => v.offset);
        expect(offs).toEqual([...offs].sort((a, b) => a - b));
        for (const v of ds.vars) {
          const t = k.type(v.type)!;
          const sym = elf.symbols.find((s) => s.name === t.name && s.type === 1);
          if (sym) expect(v.offset).toBe(sym.value);
        }
      }
      // The parsed BTF keeps what the compiler wrote.
      expect(o.btf!.types.length).toBe(k.types.length);
    }
  });

  test('extern-backing DATASECs are laid out as libbpf lays them out (.ksyms with a dummy_ksym VAR, .kconfig in map order)', () => {
    const b = new BtfBuilder();
    const int = b.int();
    const chr = b.int(1);
    const proto = b.proto(int, [b.ptr(int), int], false);
    const kfunc = b.func('bpf_task_from_pid', proto, 2);
    const ksym = b.variable('bpf_prog_active', chr, 2);
    const small = b.variable('CONFIG_HZ_small', chr, 2);
    const big = b.variable('LINUX_KERNEL_VERSION', int, 2);
    const ksyms = b.datasec('.ksyms', 0, [kfunc, ksym]);
    const kconfig = b.datasec('.kconfig', 0, [small, big], [1, 4]);
    const raw = b.raw();
    const btf = parseBtf(raw, 'k');
    const r = kernelBtf(btf, raw, { sectionSize: () => undefined, varSymbol: () => undefined, hiddenFuncs: new Set() });
    expect(r.ok).toBe(true);
    const out = (r as { raw: Uint8Array }).raw;
    const k = parseBtf(out, 'k');
    // one VAR appended after the compiler's types, named for the unnamed kfunc parameters
    const dummy = btf.types.length;
    expect(k.types.length).toBe(dummy + 1);
    expect(k.type(dummy)).toMatchObject({ kind: 'var', name: 'dummy_ksym', linkage: 1, type: int });
    expect(k.type(kfunc)).toMatchObject({ kind: 'func', linkage: 1 });
    expect(k.type(proto)).toMatchObject({ kind: 'func_proto', params: [{ name: 'dummy_ksym' }, { name: 'dummy_ksym' }] });
    expect(k.type(ksym)).toMatchObject({ kind: 'var', linkage: 1, type: int });
    expect(k.type(ksyms)).toMatchObject({ size: 8, vars: [{ type: dummy, offset: 0, size: 4 }, { type: ksym, offset: 4, size: 4 }] });
    // .kconfig: alignment descending, then size (the 4-byte int first, the char after it)
    expect(k.type(kconfig)).toMatchObject({ size: 5, vars: [{ type: big, offset: 0, size: 4 }, { type: small, offset: 4, size: 1 }] });
    expect(k.type(big)).toMatchObject({ linkage: 1 });
    // the compiler's BTF is untouched
    expect(btf.type(kfunc)).toMatchObject({ linkage: 2 });
    const avail = kernelAvailable();
    if (!avail.ok) { console.log(`skip: BPF_BTF_LOAD of the laid-out BTF: ${avail.reason}`); return; }
    const loaded = btfLoad(out);
    expect(loaded.log).toBe('');
    expect(loaded.fd).not.toBeNull();
    closeFd(loaded.fd!);
  });

  test('hidden global functions become static in the uploaded BTF and in FuncInfo', () => {
    const b = new BtfBuilder();
    const fn = b.func('sub', b.proto(b.int(), [b.ptr(b.int())]), 1);
    const btf = parseBtf(b.raw(), 'h');
    const r = kernelBtf(btf, b.raw(), { sectionSize: () => undefined, varSymbol: () => undefined, hiddenFuncs: new Set(['sub']) });
    expect(r.ok).toBe(true);
    const t = parseBtf((r as { raw: Uint8Array }).raw, 'h').type(fn);
    expect(t).toMatchObject({ kind: 'func', linkage: 0 });
    expect(funcSignature(btf, fn, 'xdp', true).linkage).toBe('static');
  });

  test('func_info / line_info: one FUNC per subprogram start, line info ascending and covering each start', () => {
    const objs: [URL, string][] = [
      [fixtures, 'calls_globals.o'], [fixtures, 'xdp_parser.o'], [fixtures, 'kprobe_ringbuf.o'],
      [corpus, 'build/bpf2bpf.o'], [corpus, 'cilium-core/bpf_overlay.o'], [corpus, 'cilium-examples/tcprtt_sockops_bpf_bpfel.o'],
    ];
    let checked = 0;
    for (const [base, name] of objs) {
      const o = loadAt(base, name);
      o.programs.forEach((p, i) => {
        const pb = p.btf!;
        expect(pb, `${name}:${p.name}`).toBeDefined();
        const starts = [0, ...o.details[i]!.subprograms.map((s) => s.pc)].sort((a, b) => a - b);
        expect(pb.funcInfo.map((f) => f.pc)).toEqual(starts);
        expect(pb.funcInfo.map((f) => f.typeId)).toEqual(p.funcInfo!.map((f) => f.typeId));
        const pcs = pb.lineInfo.map((l) => l.pc);
        expect(pcs.length).toBeGreaterThan(0);
        for (let j = 1; j < pcs.length; j++) expect(pcs[j]!).toBeGreaterThan(pcs[j - 1]!);
        for (const s of starts) expect(pcs).toContain(s);
        for (const pc of pcs) expect(isSecondHalf(p, pc)).toBe(false);
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(20);
  });
});

describe('map fix-ups at load', () => {
  test('perf_event_array: 4-byte key and value whatever the BTF value type says, max_entries 0 kept', () => {
    const o = loadAt(corpus, 'cilium-examples/uretprobe_bpf_x86_bpfel.o');
    const m = o.mapDetails.find((x) => x.spec.name === 'events')!;
    expect(m.valueType).toBe('struct event');
    expect(m.spec).toMatchObject({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 0 });
  });

  test('ringbuf: no key, no value', () => {
    const o = loadAt(corpus, 'cilium-examples/tcprtt_sockops_bpf_bpfel.o');
    expect(o.maps.find((x) => x.name === 'rtt_events')).toMatchObject({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 1 << 24 });
  });

  test('iproute2 map-in-map: the outer map names its inner template by id', () => {
    const o = loadAt(corpus, 'cilium/bpf_xdp_dsr_linux.o');
    for (const v of ['6', '4']) {
      const outer = o.maps.find((x) => x.name === `cilium_lb${v}_maglev`)!;
      const inner = o.maps.find((x) => x.name === `cilium_lb${v}_maglev_inner`)!;
      expect(outer).toMatchObject({ type: 'hash_of_maps', valueSize: 4 });
      expect(outer.inner).toEqual({ name: inner.name, type: 'array', keySize: 4, valueSize: inner.valueSize, maxEntries: 1, flags: 0 });
    }
  });
});

/** Whether `pc` is the second slot of an ld_imm64 (walking from 0, as the kernel does). */
function isSecondHalf(p: Program, pc: number): boolean {
  for (let i = 0; i < p.insns.length; i++) {
    if (p.insns[i]!.code === BPF_LD_IMM64) {
      if (i + 1 === pc) return true;
      i++;
    }
  }
  return false;
}

/** A minimal .BTF writer for synthetic type graphs. */
class BtfBuilder {
  private recs: number[][] = [];
  private strs: number[] = [0];
  private str(s: string): number {
    if (!s) return 0;
    const off = this.strs.length;
    for (const c of new TextEncoder().encode(s)) this.strs.push(c);
    this.strs.push(0);
    return off;
  }
  private add(words: number[]): number {
    this.recs.push(words);
    return this.recs.length;
  }
  private info(kind: number, vlen = 0, kflag = 0): number {
    return ((kflag << 31) | (kind << 24) | vlen) >>> 0;
  }
  voidId(): number { return 0; }
  int(size = 4): number { return this.add([this.str(size === 1 ? 'char' : 'int'), this.info(1), size, ((size === 1 ? 2 : 1) << 24) | (size * 8)]); }
  ptr(to: number): number { return this.add([0, this.info(2), to]); }
  array(elem: number, n: number): number { return this.add([0, this.info(3), 0, elem, this.int(), n]); }
  struct(name: string, size: number): number { return this.add([this.str(name), this.info(4), size]); }
  enumType(size: number): number { return this.add([this.str('e'), this.info(6, 1), size, this.str('E_A'), 1]); }
  typedef(name: string, to: number): number { return this.add([this.str(name), this.info(8), to]); }
  proto(ret: number, params: number[], named = true): number {
    return this.add([0, this.info(13, params.length), ret, ...params.flatMap((t, i) => [named ? this.str(`a${i}`) : 0, t])]);
  }
  func(name: string, proto: number, linkage: number): number { return this.add([this.str(name), this.info(12, linkage), proto]); }
  variable(name: string, type: number, linkage: number): number { return this.add([this.str(name), this.info(14), type, linkage]); }
  datasec(name: string, size: number, vars: number[], sizes: number[] = []): number {
    return this.add([this.str(name), this.info(15, vars.length), size, ...vars.flatMap((v, i) => [v, 0, sizes[i] ?? 4])]);
  }
  declTag(name: string, to: number, idx: number): number { return this.add([this.str(name), this.info(17), to, idx >>> 0]); }
  raw(): Uint8Array {
    const words = this.recs.flat();
    const typeLen = words.length * 4;
    const out = new Uint8Array(24 + typeLen + this.strs.length);
    const dv = new DataView(out.buffer);
    dv.setUint16(0, 0xeb9f, true);
    dv.setUint8(2, 1);
    dv.setUint32(4, 24, true);
    dv.setUint32(8, 0, true);
    dv.setUint32(12, typeLen, true);
    dv.setUint32(16, typeLen, true);
    dv.setUint32(20, this.strs.length, true);
    words.forEach((w, i) => dv.setUint32(24 + 4 * i, w >>> 0, true));
    out.set(this.strs, 24 + typeLen);
    return out;
  }
}
