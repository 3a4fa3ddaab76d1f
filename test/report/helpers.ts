/** Shared fixtures for the report tests: programs from assembly text, reports of them. */
import { loadAsmProgram } from '../../src/loader/asm.js';
import type { Program } from '../../src/isa/program.js';
import { verify } from '../../src/verifier/index.js';
import type { ReportInput } from '../../src/report/index.js';

export function asm(text: string, name = 'prog.s'): Program {
  return loadAsmProgram(text, name, {});
}

/** XDP: reads 4 bytes at offset 12 after proving only 14 bytes: packet_oob at insn 5. */
export const PACKET_OOB = `.type xdp
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)
    r4 = r2
    r4 += 14
    if r4 > r3 goto drop
    r0 = *(u32 *)(r2 +12)
drop:
    r0 = 2
    exit
`;

/** Accepted XDP program with a bounds check and two paths. */
export const PACKET_OK = `.type xdp
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)
    r4 = r2
    r4 += 16
    if r4 > r3 goto drop
    r0 = *(u32 *)(r2 +12)
drop:
    r0 = 2
    exit
`;

/** Rejected only on the second explored path (after a "from A to B" line): r0 unset when r1 != 0. */
export const BRANCHY = `.type xdp
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)
    r4 = r2
    r4 += 8
    if r4 > r3 goto out
    r5 = *(u8 *)(r2 +0)
    if r5 == 0x11 goto udp
    r0 = 1
    exit
udp:
    r5 = *(u8 *)(r2 +9)
    r0 = *(u8 *)(r2 +8)
    exit
out:
    r0 = 2
    exit
`;

export function inputOf(programs: Program[], file = 'prog.s'): ReportInput {
  return { file, programs: programs.map((program) => ({ program, result: verify(program, { log: true }) })) };
}

/**
 * A long XDP program (about `insns` instructions, two blocks per 8): sections that branch on a
 * bit of an unknown ctx field and join again (the verifier prunes at each join: dead registers
 * differ), then a 4-byte packet read after proving only 14 bytes: rejected at the last read.
 */
export function longProgram(insns: number): string {
  const out = ['.type xdp', '    r2 = *(u32 *)(r1 +0)', '    r3 = *(u32 *)(r1 +4)', '    r6 = *(u32 *)(r1 +12)'];
  const sections = Math.max(1, Math.floor((insns - 12) / 8));
  for (let i = 0; i < sections; i++) {
    out.push('    r0 = r6', '    r0 &= 1', `    if r0 == 0 goto s${i}`, '    r8 = 5', '    r8 += 1', '    r8 *= 3', '    r8 -= 2', `s${i}:`, '    r9 = 7');
  }
  out.push('    r4 = r2', '    r4 += 14', '    if r4 > r3 goto drop', '    r0 = *(u32 *)(r2 +12)', 'drop:', '    r0 = 2', '    exit');
  return out.join('\n') + '\n';
}
