/**
 * BPF arenas (Linux 6.9+), as libbpf-era projects use them (sched_ext, selftests' bpf_arena_*.h):
 * the loader reads `__ulong(map_extra, ...)` (an ENUM64 in BTF, libbpf's get_map_field_long) and
 * places global `__arena` variables (.addr_space.1) at the end of the arena as libbpf does; the
 * verifier knows arena pointers (addr_space_cast), the arena kfuncs, and the arena's rules. This
 * machine's kernel refuses ARENA maps (EPERM at BPF_MAP_CREATE), so the verdicts here are the
 * ones kernel/bpf/verifier.c gives, without a live comparison.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import * as op from '../../src/isa/opcodes.js';
import { loadElf } from '../../src/loader/elf.js';
import { loadFileDetailed } from '../../src/loader/index.js';
import { verify } from '../../src/verifier/index.js';

const ARENA = '.map arena arena key=0 value=0 entries=4 flags=1024';

function run(text: string): { verdict: string; message?: string } {
  const a = assemble(text);
  const r = verify({ name: 'arena', section: 'syscall', type: 'syscall', insns: a.insns, maps: a.maps, license: 'GPL' });
  return { verdict: r.verdict, ...(r.error && { message: r.error.message }) };
}

describe('arena objects (test/fixtures/arena/arena_globals.c)', () => {
  const o = loadElf(new Uint8Array(readFileSync(new URL('../fixtures/arena/arena_globals.o', import.meta.url))), 'arena_globals.o');

  it('reads map_extra given as __ulong (ENUM64) and places __arena globals at the end of the arena', () => {
    const arena = o.maps.findIndex((m) => m.type === 'arena');
    expect(o.maps[arena]).toMatchObject({ name: 'arena', type: 'arena', maxEntries: 4, flags: 1024, mapExtra: 1n << 44n });
    const p = o.programs[0]!;
    // `hits++`: an ld_imm64 of the arena map's value at 4 pages - 1 page (the data rounded up) + 0.
    const at = p.insns.findIndex((ins, pc) => ins.code === op.BPF_LD_IMM64 && ins.src === op.BPF_PSEUDO_MAP_VALUE && ins.imm === arena && p.insns[pc + 1]!.imm === 3 * 4096);
    expect(at).toBeGreaterThan(0);
  });

  // The kfuncs resolve against the running kernel's BTF.
  it.skipIf(!existsSync('/sys/kernel/btf/vmlinux'))('the program allocating, writing and freeing arena pages, and calling a global function with an __arg_arena argument, is accepted', async () => {
    const path = new URL('../fixtures/arena/arena_globals.o', import.meta.url).pathname;
    const { programs } = await loadFileDetailed(path, readFileSync(path));
    const p = programs[0]!;
    // btf_prepare_func_args: ARG_PTR_TO_ARENA, whatever the pointee (a global function taking
    // `int __arena *` would otherwise want 4 bytes of memory, and refuse the scalar address passed);
    // the page bpf_arena_alloc_pages returns is a scalar ('void *' kfunc result), passed uncast too
    expect(p.funcInfo?.map((f) => f.params)).toContainEqual([{ kind: 'arena' }]);
    const r = verify(p);
    expect(r.verdict, r.error?.message).toBe('accept');
  });
});

describe('arena pointers in the verifier', () => {
  it('accesses through an arena pointer are not checked; it survives arithmetic, spills and atomics', () => {
    expect(run(`${ARENA}
r1 = map_value[arena] + 16
r1 = addr_space_cast(r1, 0, 1)
r2 = *(u64 *)(r1 +4096)
r1 += r2
*(u32 *)(r1 -8) = r2
*(u64 *)(r10 -8) = r1
r3 = *(u64 *)(r10 -8)
r4 = 1
lock *(u64 *)(r3 +0) += r4
r5 = addr_space_cast(r3, 1, 0)
r0 = 0
exit`)).toEqual({ verdict: 'accept' });
  });

  it('addr_space_cast needs the program to use an arena, and only converts between spaces 1 and 0', () => {
    expect(run('r1 = 0\nr1 = addr_space_cast(r1, 0, 1)\nr0 = 0\nexit')).toEqual({ verdict: 'reject', message: 'addr_space_cast insn can only be used in a program that has an associated arena' });
    expect(run(`${ARENA}\nr1 = map[arena]\nr1 = addr_space_cast(r1, 0, 2)\nr0 = 0\nexit`)).toEqual({ verdict: 'reject', message: 'addr_space_cast insn can only convert between address space 1 and 0' });
  });

  it('the kernel rules around arenas', () => {
    // x86's JIT has no fetching and/or/xor on arena memory (bpf_jit_supports_insn)
    expect(run(`${ARENA}\nr1 = map_value[arena]\nr1 = addr_space_cast(r1, 0, 1)\nr2 = 1\nr2 = atomic64_fetch_and((u64 *)(r1 +0), r2)\nr0 = 0\nexit`))
      .toEqual({ verdict: 'reject', message: 'BPF_ATOMIC stores into R1 arena is not allowed' });
    // scalar += arena pointer goes through adjust_ptr_min_max_vals, which knows no arena
    expect(run(`${ARENA}\nr1 = map_value[arena]\nr1 = addr_space_cast(r1, 0, 1)\nr2 = 8\nr2 += r1\nr0 = 0\nexit`))
      .toEqual({ verdict: 'reject', message: 'R2 pointer arithmetic on arena prohibited' });
    // arena_map_direct_value_addr: offsets up to the arena's size (4 pages)
    expect(run(`${ARENA}\nr1 = map_value[arena] + 16384\nr0 = 0\nexit`)).toEqual({ verdict: 'accept' });
    expect(run(`${ARENA}\nr1 = map_value[arena] + 16385\nr0 = 0\nexit`)).toEqual({ verdict: 'reject', message: 'invalid access to map value pointer, value_size=0 off=16385' });
    expect(run(`${ARENA}\n.map other arena key=0 value=0 entries=4 flags=1024\nr1 = map[arena]\nr1 = map[other]\nr0 = 0\nexit`))
      .toEqual({ verdict: 'reject', message: 'Only one arena per program' });
  });
});
