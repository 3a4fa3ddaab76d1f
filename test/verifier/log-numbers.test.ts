/**
 * Numbers in register states print as Linux 6.18's print_reg_state prints them: a pointer's off
 * with verbose_snum (decimal within s16, else hex: `ctx(off=0xfffe)`), a memory size and packet
 * range with verbose_unum (decimal up to U16_MAX, else hex: `sz=0x11170`). Compared with the
 * running kernel's log where bpf() is available.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`log number formats: no kernel comparison (${k.reason})`);

function program(name: string, type: Program['type'], text: string): Program {
  const a = assemble(`.type ${type}\n${text}`);
  // a syscall program is sleepable, which its section says (BPF_F_SLEEPABLE)
  return { name, section: type === 'syscall' ? 'syscall' : '', type, insns: a.insns, maps: a.maps, license: 'GPL' };
}

/** The log's instruction lines with their states (`N: (op) ... ; R...`). */
const stateLines = (log: string): string[] => log.split("\n").filter((l) => /^\d+: \(/.test(l) && l.includes(";") && !/^\d+: \(18\)/.test(l));

function likeKernel(p: Program): string[] {
  const mine = stateLines(verify(p, { log: true }).log!);
  if (k.ok) {
    const kr = progLoad(p, { logLevel: 1 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(mine).toEqual(stateLines(kr.log));
  }
  return mine;
}

describe('numbers in register states', () => {
  it('a ctx offset above s16 prints in hex', () => {
    const lines = likeKernel(program('ctx_off_hex', 'syscall', 'r1 += 65534\nr0 = *(u32 *)(r1 +0)\nexit'));
    expect(lines[0]).toContain('R1=ctx(off=0xfffe)');
  });

  it('a memory size above u16 prints in hex, one below in decimal', () => {
    const text = (n: number): string => `.map rb ringbuf entries=1048576
    r1 = map[rb]
    r2 = ${n}
    r3 = 0
    call bpf_ringbuf_reserve
    r0 = *(u8 *)(r0 +0)
    exit`;
    expect(likeKernel(program('mem_sz_hex', 'kprobe', text(70000))).join('\n')).toContain('sz=0x11170');
    expect(likeKernel(program('mem_sz_dec', 'kprobe', text(60000))).join('\n')).toContain('sz=60000');
  });
});
