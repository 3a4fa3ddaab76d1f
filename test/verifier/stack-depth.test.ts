/**
 * Stack depth limits as kernel 6.18 checks them: statically, after every path was verified
 * (check_max_stack_depth), over depths from which the bpf_fastcall spill area was removed
 * (remove_fastcall_spills_fills), with the 256-byte rule for subprograms that tail-call and
 * bpf_loop callbacks counted as frames; and bpf_loop's callback visits bounded by its count
 * (callback_depth). The expected figures were taken from BPF_PROG_LOAD on 6.18; with the live
 * kernel they are compared again.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program, ProgType } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { loadElf, type ElfObject } from '../../src/loader/elf.js';
import { verify } from '../../src/verifier/index.js';

const kernel = kernelAvailable();
let skipped = 0;
afterAll(() => { if (skipped) console.log(`stack-depth: ${skipped} kernel comparisons skipped (${kernel.reason ?? 'no kernel'})`); });

const asm = (text: string, type: ProgType = 'raw_tracepoint'): Program => {
  const a = assemble(text);
  return { name: 'p', section: '', type, insns: a.insns, maps: a.maps, license: 'GPL' };
};

interface Expect { verdict: 'accept' | 'reject'; message?: string; depth: string; processed?: number; states?: number }

/** bpflab's verdict, message, `stack depth` line and processed count; then the kernel's, if it is here. */
function check(p: Program, want: Expect): void {
  const r = verify(p, { log: true });
  const depth = /^stack depth (.*)$/m.exec(r.log ?? '')?.[1];
  expect({ verdict: r.verdict, message: r.error?.message, depth }).toEqual({ verdict: want.verdict, message: want.message, depth: want.depth });
  if (want.processed !== undefined) expect(r.processed).toBe(want.processed);
  if (want.states !== undefined) expect(r.states).toBe(want.states);
  if (!kernel.ok) { skipped++; return; }
  const k = progLoad(p, { logLevel: 1 });
  if (k.fd !== null) closeFd(k.fd);
  const lines = k.log.split('\n').filter(Boolean);
  expect(k.verdict).toBe(want.verdict);
  if (want.message) expect(lines).toContain(want.message);
  expect(lines).toContain(`stack depth ${want.depth}`);
  if (want.processed !== undefined) expect(k.processed).toBe(want.processed);
  if (want.states !== undefined) expect(k.states).toBe(want.states);
}

const fixture = (name: string): ElfObject => loadElf(new Uint8Array(readFileSync(new URL(`../fixtures/elf/${name}`, import.meta.url))), name);

/** One test per program of `elf` named in `cases`, each checked by `check`. */
function checkPrograms(elf: ElfObject, cases: Record<string, Expect>): void {
  for (const [name, want] of Object.entries(cases)) {
    it(name, () => {
      const p = elf.programs.find((q) => q.name === name);
      expect(p, name).toBeDefined();
      check(p!, want);
    });
  }
}

// The main program uses the whole 512 bytes; the subprogram's spill/fill around a bpf_fastcall
// helper is removed after verification, so its depth becomes 0 and the chain fits.
const CUMULATIVE = (fill: string) => `
    r1 = 42
    *(u64 *)(r10 -512) = r1
    call sub
    exit
sub:
    *(u64 *)(r10 -8) = r1
    call bpf_get_smp_processor_id
    ${fill}
    exit`;

describe('bpf_fastcall and the stack limit', () => {
  it('a removed spill/fill pattern gives its stack back (verifier_bpf_fastcall/cumulative_stack_depth)', () => {
    check(asm(CUMULATIVE('r1 = *(u64 *)(r10 -8)')), { verdict: 'accept', depth: '512+0', processed: 8 });
  });

  it('a fill into another register is no pattern: the subprogram keeps its 8 bytes', () => {
    check(asm(CUMULATIVE('r2 = *(u64 *)(r10 -8)')),
      { verdict: 'reject', message: 'combined stack size of 2 calls is 528. Too large', depth: '512+8', processed: 8 });
  });

  it('another access to the pattern\'s slot breaks the contract (check_fastcall_stack_contract)', () => {
    check(asm(CUMULATIVE('r1 = *(u64 *)(r10 -8)\n    r3 = *(u64 *)(r10 -8)')),
      { verdict: 'reject', message: 'combined stack size of 2 calls is 528. Too large', depth: '512+8', processed: 9 });
  });
});

describe('the combined stack is checked after every path', () => {
  const CHAIN = (after: string) => `
    r1 = 1
    *(u64 *)(r10 -400) = r1
    call sub
    ${after}
    exit
sub:
    r1 = 2
    *(u64 *)(r10 -200) = r1
    r0 = 0
    exit`;

  it('an oversized chain is reported after the paths, with every instruction processed', () => {
    check(asm(CHAIN('r0 = 0'), 'socket_filter'),
      { verdict: 'reject', message: 'combined stack size of 2 calls is 608. Too large', depth: '400+200', processed: 9 });
  });

  it('an error on a path wins over an oversized chain', () => {
    check(asm(CHAIN('r0 = *(u64 *)(r1 +0)'), 'socket_filter'),
      { verdict: 'reject', message: 'R1 !read_ok', depth: '400+200', processed: 8 });
  });
});

describe('compiled programs (test/fixtures/elf/stack_depth.c)', () => {
  const elf = fixture('stack_depth.o');
  const cases: Record<string, Expect> = {
    // The callback's frame counts; an inlined bpf_loop adds 3 slots to an accepted caller.
    loop_big: { verdict: 'reject', message: 'combined stack size of 2 calls is 528. Too large', depth: '320+200' },
    loop_small: { verdict: 'accept', depth: '344+64' },
    // A subprogram that tail-calls allows at most 256 bytes of callers' stack.
    tail_deep: { verdict: 'reject', message: 'tail_calls are not allowed when call stack of previous frames is 272 bytes. Too large', depth: '264+0' },
    tail_edge: { verdict: 'reject', message: 'tail_calls are not allowed when call stack of previous frames is 256 bytes. Too large', depth: '256+0' },
    tail_shallow: { verdict: 'accept', depth: '240+0' },
    chain3: { verdict: 'accept', depth: '0+160+160+160' },
    chain_over: { verdict: 'reject', message: 'combined stack size of 4 calls is 544. Too large', depth: '64+160+160+160' },
  };
  checkPrograms(elf, cases);
});

describe('bpf_loop visits its callback at most umax(r1) times (test/fixtures/elf/loop_callbacks.c)', () => {
  const elf = fixture('loop_callbacks.o');
  // The counter the callback bumps indexes a 4-byte buffer: only a bounded number of visits keeps it inside the frame.
  const cases: Record<string, Expect> = {
    loop3: { verdict: 'accept', depth: '40+0', processed: 72, states: 6 },
    loop9: { verdict: 'accept', depth: '40+0', processed: 174, states: 12 },
  };
  checkPrograms(elf, cases);

  it('logs where the iteration limit stops the visits (log level 2)', () => {
    const p = elf.programs.find((q) => q.name === 'loop3')!;
    expect(verify(p, { log: true, logLevel: 2 }).log).toMatch(/frame0 bpf_loop iteration limit reached/);
  });
});
