/**
 * The license a program loads under, as in samples/bpf objects: xdp_sample.bpf.o has no license
 * section (it is meant to be linked with one that has), so libbpf loads it with "" and the kernel
 * refuses its GPL-only calls and kernel-type reads. The kernel comparison must load the program
 * with the license the verifier judged, not a GPL default.
 * Verdicts and messages are the running kernel's when it is there.
 */
import { describe, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { expectVerdict, kernelCompared, type Expected } from './expect-verdicts.js';

kernelCompared('program license');

// bpf_probe_read_kernel is gpl_only in every program type that has it.
const probeRead = assemble(`r1 = r10
r1 += -8
r2 = 8
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit`).insns;
const kprobe = (license: string): Program => ({ name: `probe_read_${license || 'none'}`, section: '', type: 'kprobe', insns: probeRead, maps: [], license });

const GPL_ONLY = 'cannot call GPL-restricted function from non-GPL compatible program';
const CASES: [string, Program, Expected][] = [
  ['no license section: a GPL-only helper is refused', kprobe(''), ['reject', GPL_ONLY]],
  ['a non-GPL license: a GPL-only helper is refused', kprobe('Proprietary'), ['reject', GPL_ONLY]],
  ['GPL: a GPL-only helper is accepted', kprobe('GPL'), ['accept']],
  ['Dual BSD/GPL: a GPL-only helper is accepted', kprobe('Dual BSD/GPL'), ['accept']],
];

describe('program license', () => {
  for (const [name, p, expected] of CASES) it(name, () => expectVerdict(p, expected));
});
