/**
 * Verifier fixes that the 6.18.y stable releases carry on top of Linux 6.18.0 and that the running
 * 6.18.44 has (each probed with these programs): processed counts and verdicts are compared with
 * the running kernel's when it is there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { verify } from '../../src/verifier/index.js';
import { runProgram } from '../../src/vm/vm.js';
import { expectProcessedLikeKernel as processed, expectVerdict, kernelCompared, type Expected } from './expect-verdicts.js';

kernelCompared('6.18.y stable verifier fixes');
// Programs that name kernel types or kfuncs need the kernel's BTF.
const kernelBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!kernelBtf) console.log('6.18.y stable verifier fixes: no /sys/kernel/btf/vmlinux, the kfunc and kernel-type programs are skipped');

/** A program of test/fixtures/stable-fixes (FILE with its extension: .s, or .o built from the .c beside it). */
const fixture = async (file: string) => {
  const path = new URL(`../fixtures/stable-fixes/${file}`, import.meta.url);
  const [p] = await loadFile(path.pathname, new Uint8Array(readFileSync(path)));
  return p!;
};

describe('backtrack_insn: an atomic fetch is a load (179ee84a8911)', () => {
  // Precision of the fetched register goes to the stack slot and what was spilled there; the
  // unrelated r6 stays imprecise, so the second path is pruned (it was 31 insns with every scalar
  // forced precise).
  it('atomic64_fetch_add into src', async () => {
    expect(processed(await fixture('atomic-fetch-prune.s'))).toBe(23);
  });
  it('atomic64_cmpxchg into r0', async () => {
    expect(processed(await fixture('cmpxchg-prune.s'))).toBe(25);
  });
});

describe('helper prototypes: memory the helper writes is MEM_WRITE (802eef5afb18)', () => {
  // The helper's write clobbers what the program spilled into the buffer: the compare with the
  // spilled constant is open and the bad access behind it is reached.
  it('bpf_fib_lookup params', async () => {
    // the corpus entry is the fixture (one copy of the program)
    expectVerdict(await fixture('../../../corpus/verifier/helpers/fib-lookup-writes-params.s'), ['reject', 'invalid read from stack R10 off=8 size=8']);
  });
  it('bpf_snprintf output buffer', async () => {
    expectVerdict(await fixture('snprintf-write.o'), ['reject', "R1 invalid mem access 'scalar'"]);
  });
});

describe('adjust_reg_min_max_vals: rX += rX keeps no link (d7f14173c0d5)', () => {
  // r1 = r0 shares r0's id; r1 += r1 on the path where r1 is 5 leaves r1 = 10 without an id, so
  // the other path's r1 = 10 is covered at the join (26 insns when r1 kept a link with delta 5).
  it('the second path is pruned at the join', async () => {
    expect(processed(await fixture('self-add-no-link.s'))).toBe(22);
  });
});

describe("check_bpf_snprintf_call: bpf_snprintf's format (bpf_bprintf_prepare, UTF-8 text since b960430ea886)", () => {
  const programs = async () => {
    const path = new URL('../fixtures/stable-fixes/snprintf-formats.o', import.meta.url);
    return loadFile(path.pathname, new Uint8Array(readFileSync(path)));
  };
  const expected: Record<string, Expected> = {
    utf8_text: ['accept'],
    unknown_conversion: ['reject', 'Invalid format string'],
    too_many_conversions: ['reject', 'Invalid format string'],
    non_ascii_conversion: ['reject', 'Invalid format string'],
    control_byte: ['reject', 'Invalid format string'],
    latin1_punct_after_s: ['accept'],
    letter_after_s: ['reject', 'Invalid format string'],
    flags_width_ll: ['accept'],
  };
  it('each format as the running kernel judges it', async () => {
    const ps = await programs();
    expect(ps.map((p) => p.name).sort()).toEqual(Object.keys(expected).sort());
    for (const p of ps) expectVerdict(p, expected[p.name]!);
  });
  it('the VM formats UTF-8 text (bpf_snprintf returns the bytes written with the NUL)', async () => {
    const p = (await programs()).find((q) => q.name === 'utf8_text')!;
    expect(runProgram(p).r0).toBe(5n); // "\\xc3\\xa9 1" and the NUL
  });
});

describe.skipIf(!kernelBtf)('a global function that may throw is an exception exit at the call (3d562d35a044)', () => {
  const programs = async () => {
    const path = new URL('../../corpus/c/global_throw_ref_leak.o', import.meta.url);
    return new Map((await loadFile(path.pathname, new Uint8Array(readFileSync(path)))).map((p) => [p.name, p]));
  };
  it('a reference held across the call leaks when it throws (directly or in a function it calls)', async () => {
    const ps = await programs();
    expectVerdict(ps.get('ref_across_thrower')!, ['reject', 'Unreleased reference id=2 alloc_insn=6']);
    expectVerdict(ps.get('ref_across_nested_thrower')!, ['reject', 'Unreleased reference id=2 alloc_insn=6']);
  });
  it('a function that cannot throw, or no reference held: accepted, the path after the call explored', async () => {
    const ps = await programs();
    expectVerdict(ps.get('ref_across_quiet')!, ['accept']);
    expect(processed(ps.get('no_ref_thrower')!)).toBe(36);
  });
});

describe.skipIf(!kernelBtf)('process_spin_lock: releasing the last lock of a sleepable program ends its RCU section (180c7000712d)', () => {
  const programs = async () => {
    const path = new URL('../fixtures/stable-fixes/rcu-spin-unlock.o', import.meta.url);
    return new Map((await loadFile(path.pathname, new Uint8Array(readFileSync(path)))).map((p) => [p.name, p]));
  };
  it('a __rcu field read under the lock is untrusted after it', async () => {
    expectVerdict((await programs()).get('rcu_ptr_after_last_unlock')!, ['reject', 'R1 must be a rcu pointer']);
  });
  it('an explicit bpf_rcu_read_lock section still protects it', async () => {
    expect(processed((await programs()).get('rcu_ptr_in_rcu_section')!)).toBe(29);
  });
});

describe.skipIf(!kernelBtf)('pointers the kernel reads through probe instructions (is_load_acq_unsafe, merge_ptr_types 09c447564fca, f438ba7a4c3e)', () => {
  const programs = async () => {
    const path = new URL('../fixtures/stable-fixes/fault-prone.o', import.meta.url);
    return new Map((await loadFile(path.pathname, new Uint8Array(readFileSync(path)))).map((p) => [p.name, p]));
  };
  it('a load-acquire from a plain or untrusted PTR_TO_BTF_ID or untrusted memory is refused (bpflab accepted the first two)', async () => {
    const ps = await programs();
    expectVerdict(ps.get('lacq_btf_id')!, ['reject', 'BPF_ATOMIC loads from R2 ptr_ is not allowed']);
    expectVerdict(ps.get('lacq_untrusted_btf')!, ['reject', 'BPF_ATOMIC loads from R2 untrusted_ptr_ is not allowed']);
    expectVerdict(ps.get('lacq_untrusted_mem')!, ['reject', 'BPF_ATOMIC loads from R2 rdonly_untrusted_mem is not allowed']);
  });
  it('a plain load of them, and a load-acquire from a trusted argument, are allowed', async () => {
    const ps = await programs();
    expect(processed(ps.get('ldx_btf_id')!)).toBe(11);
    expect(processed(ps.get('lacq_trusted')!)).toBe(4);
  });
  it('untrusted read-only memory is read at any offset (bpflab refused it as an invalid mem access)', async () => {
    expect(processed((await programs()).get('untrusted_mem_any_offset')!)).toBe(12);
  });
  it('pointer arithmetic on untrusted memory tracks no offset (scalar += ptr gives the pointer): the loop head repeats', async () => {
    // The kernel finds the same state at the loop head after one iteration (19 insns); bpflab
    // tracked the offset and ran to the 1M insn limit (selftest mem_rdonly_untrusted/offset_not_tracked).
    const p = (await programs()).get('untrusted_mem_commuted_loop')!;
    expectVerdict(p, ['reject', 'infinite loop detected at insn 6']);
    expect(verify(p).processed).toBe(19);
  });
  it('a store through an untrusted pointer is refused before the conntrack rule (bpflab accepted ct->master->mark = 1)', async () => {
    const ps = await programs();
    expectVerdict(ps.get('store_untrusted_ct')!, ['reject', 'only read is supported']);
    expect(processed(ps.get('store_trusted_ct')!)).toBe(22);
  });
  it('btf_struct_walk names an anonymous struct "(anon)"', async () => {
    expectVerdict((await programs()).get('ldx_anon_member')!, ['reject', 'access beyond struct (anon) at off 0 size 8']);
  });
  it('one load: untrusted memory and a PTR_TO_BTF_ID merge; a map value mismatches a fault prone pointer', async () => {
    const ps = await programs();
    expect(processed(ps.get('merge_mem_btf_id')!)).toBe(24);
    expectVerdict(ps.get('merge_map_untrusted_mem')!, ['reject', 'same insn cannot be used with different pointers']);
    // ringbuf memory merged with a plain PTR_TO_BTF_ID stays fault prone, so the map value that follows mismatches
    expectVerdict(ps.get('merge3_ringbuf_btf_id_map')!, ['reject', 'same insn cannot be used with different pointers']);
  });
});

describe('regsafe: a packet pointer at or beyond pkt_end matches only itself (a8502a79e832)', () => {
  // The old state at j has r1 BEYOND_PKT_END (range -2), the second path r1 with range 8: the
  // negative range is no smaller range, so the second path is explored on (the fix; it was pruned).
  it('the second path is not pruned at j', async () => {
    expect(processed(await fixture('pkt-end-range-prune.s'))).toBe(48);
  });
});
