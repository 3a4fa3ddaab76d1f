/**
 * check_stack_write_fixed_off, plain data over a "special" slot (is_stack_slot_special: its lowest
 * byte is a spill, dynptr or iterator byte): scrub_spilled_slot turns every initialized byte of the
 * slot into STACK_MISC, the STACK_ZERO bytes beside a narrow spill too. A later read of those bytes
 * is an unknown scalar, so the branch that needs it to be nonzero is explored (and here rejected).
 * Found in Inspektor Gadget's trace_dns (a sockets_key zeroed with two u32 stores, then its u32
 * netns spilled and its u16 family stored over it).
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
});
