/**
 * firstKernelError on logs without an instruction trace: `verify --kernel` and the corpus load at
 * BPF_LOG_STATS alone, where the kernel's log holds notes printed before the check (BTF func info,
 * global functions), then the error's lines, then for some errors the failing instruction's
 * `; source @ file:line`. The error is the first line that is neither a note nor a source line,
 * the same line a level-1 log shows after its trace. Logs below were recorded from Linux 6.18;
 * where bpf() is available a program is also loaded at both levels and the two lines compared.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { firstKernelError } from '../../src/verifier/kernel-log.js';

const k = kernelAvailable();
if (!k.ok) console.log(`kernel log reading: no live comparison (${k.reason})`);

const stats = 'verification time 40 usec\nstack depth 8\nprocessed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n';

describe('the first error line of a BPF_LOG_STATS log', () => {
  it('skips the BTF func info note before the error', () => {
    expect(firstKernelError(`arg#0 reference type('UNKNOWN ') size cannot be determined: -22\nR0 invalid mem access 'map_value_or_null'\n${stats}`)).toBe("R0 invalid mem access 'map_value_or_null'");
  });

  it('skips global function notes', () => {
    expect(firstKernelError(`Validating add1() func#2...\nR1 invalid mem access 'mem_or_null'\n${stats}`)).toBe("R1 invalid mem access 'mem_or_null'");
    expect(firstKernelError(`Func#1 ('tail_call') is global and assumed valid.\nR6 invalid mem access 'scalar'\n${stats}`)).toBe("R6 invalid mem access 'scalar'");
    expect(firstKernelError(`Global function f() doesn't return scalar. Only those are supported.\ninvalid access to packet, off=0 size=8, R1(id=0,off=0,r=7)\nR1 offset is outside of the packet\n${stats}`))
      .toBe('invalid access to packet, off=0 size=8, R1(id=0,off=0,r=7)');
  });

  it('takes the first line of a two-line error, not the source line after it', () => {
    expect(firstKernelError(`invalid access to map value, value_size=4 off=0 size=8\nR1 min value is outside of the allowed memory range\n${stats}`)).toBe('invalid access to map value, value_size=4 off=0 size=8');
    expect(firstKernelError(`invalid bpf_context access off=80 size=4\n; void *data_end = (void *)(long)ctx->data_end; @ packet_reallocate.c:6\n${stats}`)).toBe('invalid bpf_context access off=80 size=4');
  });

  it('reads a level-1 log after its trace as before', () => {
    const log = `0: R1=ctx() R10=fp0\n; void *data_end = (void *)(long)ctx->data_end; @ packet_reallocate.c:6\n1: (61) r2 = *(u32 *)(r1 +80)\ninvalid bpf_context access off=80 size=4\n${stats}`;
    expect(firstKernelError(log)).toBe('invalid bpf_context access off=80 size=4');
  });

  it.skipIf(!k.ok)('gives the same line at both levels for a packet overrun (live kernel)', () => {
    const a = assemble(`.type xdp
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    if r2 > r3 goto out
    r0 = *(u32 *)(r2 + 0)
out:
    r0 = 2
    exit
`);
    const p: Program = { name: 'overrun', section: 'xdp', type: 'xdp', insns: a.insns, maps: a.maps, license: 'GPL' };
    const lines = ([0, 1] as const).map((logLevel) => {
      const r = progLoad(p, { logLevel });
      if (r.fd !== null) closeFd(r.fd);
      expect(r.verdict).toBe('reject');
      return firstKernelError(r.log);
    });
    expect(lines[0]).toMatch(/^invalid access to packet, off=0 size=4/);
    expect(lines[0]).toBe(lines[1]);
  });
});
