/**
 * mark_ptr_or_null_reg (Linux 6.18): a pointer found not NULL drops its id, referenced or not (the
 * reference lives on in ref_obj_id), unless it may point to a spin lock. The log then prints
 * `R0=ringbuf_mem(ref_obj_id=2,sz=8)` after the check. Compared with the running kernel's log
 * where bpf() is available.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`null-check ids: no kernel comparison (${k.reason})`);

const a = assemble(`.type kprobe
.map rb ringbuf entries=4096
    r1 = map[rb]
    r2 = 8
    r3 = 0
    call bpf_ringbuf_reserve
    if r0 == 0x0 goto out
    r1 = r0
    r2 = 0
    call bpf_ringbuf_discard
out:
    r0 = 0
    exit
`);
const prog: Program = { name: 'null_check_id', section: '', type: 'kprobe', insns: a.insns, maps: a.maps, license: 'GPL' };

/** The line of the NULL check (`N: (15) if r0 == 0x0 ...`) with its state. */
const checkLine = (log: string): string | undefined => log.split('\n').find((l) => /^\d+: \(15\) if r0 == 0x0/.test(l));

describe('a referenced pointer after its NULL check', () => {
  it('keeps ref_obj_id and loses id', () => {
    const r = verify(prog, { log: true, logLevel: 2 });
    expect(r.error).toBeNull();
    const mine = checkLine(r.log!);
    expect(mine).toMatch(/R0=ringbuf_mem\(ref_obj_id=2,sz=8\) refs=2$/);
    if (!k.ok) return;
    const kr = progLoad(prog, { logLevel: 2 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(mine).toBe(checkLine(kr.log));
  });
});
