/**
 * Mechanisms the kernel selftests beyond ../shared showed missing (bench/extra-selftests), each
 * with a small program of our own, compared with the live kernel when it is here:
 * - is_state_visited's infinite-loop test: states_maybe_looping (the current frame's registers
 *   identical, ids included) and callback_unroll_depth (bpf_loop visits of a callback);
 * - callback-calling instructions as loops of their own (compute_scc's implicit loop);
 * - the iterators' ctx_arg_info (which object arguments are trusted) and the untrusted pointers
 *   a walk through an unlisted field gives;
 * - writable raw tracepoints: the first argument is the tracepoint's buffer (PTR_TO_TP_BUFFER).
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program, ProgType } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { loadElf } from '../../src/loader/elf.js';
import { ATTACH_TYPES } from '../../src/loader/section-types.js';
import { RUNNING_KERNEL_BTF, readTargetBtf } from '../../src/loader/target.js';
import { computeScc } from '../../src/verifier/scc.js';
import { buildCfg } from '../../src/verifier/cfg.js';
import { verify } from '../../src/verifier/index.js';

const kernel = kernelAvailable();
const skipped: string[] = [];
afterAll(() => { if (skipped.length) console.log(`loop-check: kernel comparison skipped for ${skipped.join(', ')} (${kernel.reason ?? 'no kernel'})`); });

const asm = (text: string, type: ProgType = 'socket_filter'): Program => {
  const a = assemble(text);
  return { name: 'p', section: '', type, insns: a.insns, maps: a.maps, license: 'GPL' };
};

interface Want { verdict: 'accept' | 'reject'; message?: string; processed?: number; states?: number }

/** bpflab's verdict, message and processed count; then the kernel's, if it is here. */
function check(p: Program, want: Want): void {
  const r = verify(p, {});
  expect({ verdict: r.verdict, message: r.error?.message }).toEqual({ verdict: want.verdict, message: want.message });
  if (want.processed !== undefined) expect(r.processed).toBe(want.processed);
  if (want.states !== undefined) expect(r.states).toBe(want.states);
  if (!kernel.ok) { skipped.push(p.name); return; }
  const k = progLoad(p, { logLevel: 1 });
  if (k.fd !== null) closeFd(k.fd);
  expect(k.verdict).toBe(want.verdict);
  if (want.message) expect(k.log.split('\n')).toContain(want.message);
  if (want.processed !== undefined) expect(k.processed).toBe(want.processed);
  if (want.states !== undefined) expect(k.states).toBe(want.states);
}

const fixture = (name: string, prog: string): Program => {
  const elf = loadElf(new Uint8Array(readFileSync(new URL(`../fixtures/elf/${name}`, import.meta.url))), name);
  const p = elf.programs.find((q) => q.name === prog);
  if (!p) throw new Error(`${name}: no program ${prog}`);
  return p;
};

// A loop that reaches its head in the state of an ancestor still in progress. With `r7 = r0`
// each round links r0 and r7 under a fresh id: the states are equal up to the ids, yet not
// identical, so states_maybe_looping lets the kernel go on until the jump sequence limit.
const LOOP = (body: string) => `
    r6 = 0
loop:
    call bpf_get_prandom_u32
    ${body}
    if r7 > 10 goto next
    r6 += 0
next:
    if r6 == 0 goto loop
    r0 = 0
    exit`;

describe('the infinite-loop test (is_state_visited)', () => {
  it('an identical state at an ancestor still in progress is an infinite loop', () => {
    check(asm(LOOP('r7 = 5')), { verdict: 'reject', message: 'infinite loop detected at insn 2' });
  });

  it('states equal only through an id map are no infinite loop (states_maybe_looping compares ids)', () => {
    check(asm(LOOP('r7 = r0')), { verdict: 'reject', message: 'The sequence of 8193 jumps is too complex.', processed: 40964 });
  });

  it('two bpf_loop visits of a callback in the same state are no infinite loop (callback_unroll_depth)', () => {
    check(fixture('loop_checks.o', 'refill_loop'), { verdict: 'accept' });
  });
});

describe('explored states are kept per call site (explored_state)', () => {
  it('a subprogram\'s checkpoint under one call site does not hold back another call site\'s (test_verif_scale3.o)', () => {
    check(fixture('call_sites.o', 'three_calls'), { verdict: 'accept', processed: 335, states: 5 });
  });
});

describe('callback-calling instructions are loops (compute_scc)', () => {
  it('a bpf_loop call is a loop of its own; a plain helper call is not', () => {
    const p = asm(`
    r1 = 2
    r2 = subprog[cb]
    r3 = 0
    r4 = 0
    call bpf_loop
    call bpf_get_prandom_u32
    exit
cb:
    r0 = 0
    exit`);
    const cfg = buildCfg(p.insns);
    const calls = (pc: number) => p.insns[pc]!.code === 0x85 && p.insns[pc]!.imm === 181;
    const scc = computeScc(cfg, p.insns.length, calls);
    const loopCall = p.insns.findIndex((i) => i.code === 0x85 && i.imm === 181);
    expect(scc[loopCall]).toBeGreaterThan(0);
    expect(scc[loopCall + 1]).toBe(0);
    expect(computeScc(cfg, p.insns.length)[loopCall]).toBe(0);
  });
});

const btf = readTargetBtf(RUNNING_KERNEL_BTF);
/** A member's byte offset in a struct of the running kernel's BTF (through anonymous struct and union members). */
function memberOff(struct: string, member: string): number {
  if (typeof btf === 'string') throw new Error(btf);
  const find = (id: number): number | undefined => {
    const t = btf.skipMods(id);
    if (t?.kind !== 'struct' && t?.kind !== 'union') return undefined;
    for (const m of t.members) {
      if (m.name === member) return m.bitOffset / 8;
      if (!m.name) {
        const inner = find(m.type);
        if (inner !== undefined) return m.bitOffset / 8 + inner;
      }
    }
    return undefined;
  };
  const off = find(btf.find(struct, 'struct')[0]?.id ?? 0);
  if (off === undefined) throw new Error(`no ${struct}.${member}`);
  return off;
}

const iter = (target: string, text: string): Program => {
  const a = assemble(text);
  return { name: `iter_${target}`, section: `iter/${target}`, type: 'tracing', attachTo: target, expectedAttachType: ATTACH_TYPES.trace_iter,
    insns: a.insns, maps: a.maps, license: 'GPL' };
};

/** bpf_d_path(path, buf, 16) on `path` formed from an iterator argument at ctx offset `ctxOff`. */
const D_PATH = (ctxOff: number, toPath: string) => `
    r1 = *(u64 *)(r1 +${ctxOff})
    if r1 == 0 goto out
    ${toPath}
    r2 = r10
    r2 += -16
    r3 = 16
    call bpf_d_path
out:
    r0 = 0
    exit`;

describe.skipIf(typeof btf === 'string')('iterator arguments (ctx_arg_info) and pointer walks', () => {
  it('task_file\'s file is a plain pointer: its embedded f_path may go to bpf_d_path', () => {
    check(iter('task_file', D_PATH(24, `r1 += ${memberOff('file', 'f_path')}`)), { verdict: 'accept' });
  });

  it('task_vma\'s vma is plain: vm_file read through it is untrusted (bpf_iter_task_vmas.o proc_maps)', () => {
    check(iter('task_vma', D_PATH(16, `r1 = *(u64 *)(r1 +${memberOff('vm_area_struct', 'vm_file')})\n    if r1 == 0 goto out\n    r1 += ${memberOff('file', 'f_path')}`)),
      { verdict: 'reject', message: 'R1 type=untrusted_ptr_ expected=ptr_, trusted_ptr_, rcu_ptr_' });
  });

  it('task\'s task is trusted; a field no list makes safe gives an untrusted pointer', () => {
    const p = iter('task', `
    r1 = *(u64 *)(r1 +8)
    if r1 == 0 goto out
    r2 = *(u64 *)(r1 +${memberOff('task_struct', 'files')})
out:
    r0 = 0
    exit`);
    const r = verify(p, { log: true, logLevel: 2 });
    expect(r.verdict).toBe('accept');
    expect(r.log).toMatch(/R1=trusted_ptr_or_null_\w*\(id=1\)/);
    expect(r.log).toMatch(/R2=untrusted_ptr_\w*\(\)/);
  });
});

describe('writable raw tracepoints (raw_tp.w)', () => {
  it('the first argument is the tracepoint buffer, read and written at constant offsets', () => {
    check(asm(`
    r1 = *(u64 *)(r1 +0)
    r2 = *(u32 *)(r1 +4)
    *(u8 *)(r1 +0) = r2
    r0 = 0
    exit`, 'raw_tracepoint_writable'), { verdict: 'accept', processed: 5 });
  });

  it('a variable offset into the buffer is refused', () => {
    const r = verify(asm(`
    r6 = *(u64 *)(r1 +0)
    call bpf_get_prandom_u32
    r0 &= 7
    r6 += r0
    r2 = *(u32 *)(r6 +0)
    r0 = 0
    exit`, 'raw_tracepoint_writable'), {});
    expect(r.error?.message).toBe('R6 invalid variable buffer offset: off=0, var_off=(0x0; 0x7)');
  });

  it('the buffer pointer is read whole', () => {
    const r = verify(asm('r1 = *(u32 *)(r1 +0)\nr0 = 0\nexit', 'raw_tracepoint_writable'), {});
    expect(r.error?.message).toBe('invalid bpf_context access off=0 size=4');
  });
});
