/**
 * check_stack_write_fixed_off, plain data over a "special" slot (is_stack_slot_special: its lowest
 * byte is a spill, dynptr or iterator byte): scrub_spilled_slot turns every initialized byte of the
 * slot into STACK_MISC, the STACK_ZERO bytes beside a narrow spill too. A later read of those bytes
 * is an unknown scalar, so the branch that needs it to be nonzero is explored (and here rejected).
 * Found in Inspektor Gadget's trace_dns (a sockets_key zeroed with two u32 stores, then its u32
 * netns spilled and its u16 family stored over it). A variable-offset write that may touch the slot,
 * and a helper writing into it, scrub it the same way; in the variable-offset write the slot is
 * scrubbed before the written byte's type is chosen, so even a zero written over a zero byte is data.
 */
import { describe, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { expectVerdict, kernelCompared } from './expect-verdicts.js';

kernelCompared('stack scrub of special slots');

// fp-4..-1 zero (a misaligned u32 store of 0), fp-8..-5 a spilled u32 scalar, then `store`.
const prog = (name: string, store: string): Program => ({
  name, section: '', type: 'socket_filter', license: 'GPL', maps: [],
  insns: assemble(`call bpf_get_prandom_u32
r6 = r0
r6 &= 255
r1 = 0
*(u32 *)(r10 -4) = r1
*(u32 *)(r10 -8) = r6
r3 = 1
${store}
r0 = *(u32 *)(r10 -4)
if r0 == 0 goto +2
r1 = 0
r0 = *(u64 *)(r1 +0)
r0 = 0
exit`).insns,
});

// The same slot, then a byte written at fp-11 or fp-3 (variable offset) with `value`; `read` is loaded.
const varOff = (name: string, value: number, read: string): Program => ({
  name, section: '', type: 'socket_filter', license: 'GPL', maps: [],
  insns: assemble(`call bpf_get_prandom_u32
r6 = r0
r6 &= 8
r7 = r0
r7 &= 255
r1 = 0
*(u64 *)(r10 -16) = r1
*(u32 *)(r10 -4) = r1
*(u32 *)(r10 -8) = r7
r2 = r10
r2 += -11
r2 += r6
r3 = ${value}
*(u8 *)(r2 +0) = r3
r0 = ${read}
if r0 == 0 goto +2
r1 = 0
r0 = *(u64 *)(r1 +0)
r0 = 0
exit`).insns,
});

// The same slot, then a helper writes 2 bytes at fp-8.
const helperWrite = (name: string, call: string): Program => ({
  name, section: '', type: 'kprobe', license: 'GPL', maps: [],
  insns: assemble(`call bpf_get_prandom_u32
r7 = r0
r7 &= 255
r1 = 0
*(u32 *)(r10 -4) = r1
*(u32 *)(r10 -8) = r7
r1 = r10
r1 += -8
r2 = 2
r3 = 0
call ${call}
r0 = *(u16 *)(r10 -2)
if r0 == 0 goto +2
r1 = 0
r0 = *(u64 *)(r1 +0)
r0 = 0
exit`).insns,
});

describe('plain stack writes scrub a special slot whole', () => {
  it('a u16 store inside the spill makes the zero bytes data', () => {
    expectVerdict(prog('scrub_u16_in_spill', '*(u16 *)(r10 -6) = r3'), ['reject', "R1 invalid mem access 'scalar'"]);
  });
  it('a u8 store inside the spill too', () => {
    expectVerdict(prog('scrub_u8_in_spill', '*(u8 *)(r10 -5) = r3'), ['reject', "R1 invalid mem access 'scalar'"]);
  });
  it('without the store the zero bytes stay zero', () => {
    expectVerdict(prog('no_store', 'r3 = 2'), ['accept']);
  });
  it('a variable-offset write that may hit the slot scrubs it, a zero written over a zero byte too', () => {
    expectVerdict(varOff('varoff_zero_over_zero', 0, '*(u8 *)(r10 -3)'), ['reject', "R1 invalid mem access 'scalar'"]);
    expectVerdict(varOff('varoff_other_bytes', 1, '*(u16 *)(r10 -2)'), ['reject', "R1 invalid mem access 'scalar'"]);
  });
  it('a variable-offset zero write keeps a spilled zero in the other slot', () => {
    expectVerdict(varOff('varoff_spilled_zero_kept', 0, '*(u8 *)(r10 -11)'), ['accept']);
  });
  it('a helper writing into the slot scrubs it', () => {
    expectVerdict(helperWrite('probe_read_scrub', 'bpf_probe_read_kernel'), ['reject', "R1 invalid mem access 'scalar'"]);
    expectVerdict(helperWrite('comm_scrub', 'bpf_get_current_comm'), ['reject', "R1 invalid mem access 'scalar'"]);
  });
});
