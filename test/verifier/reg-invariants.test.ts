/**
 * Bounds that contradict each other after a branch's refinement (reg_bounds_sanity_check): 6.18
 * does not call that side dead, it logs `verifier bug: REG INVARIANTS VIOLATION`, resets the
 * register's ranges and explores it; under BPF_F_TEST_REG_INVARIANTS it refuses the load. A
 * 32-bit self-comparison is not decided, so its dead side reaches such a refinement (found by the
 * kernel campaign, docs/findings.md). Compared with the running kernel when it is there.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { verify } from '../../src/verifier/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`reg invariants: no kernel comparison (${k.reason})`);

const BPF_F_TEST_REG_INVARIANTS = 1 << 7;

function asm(text: string): Program {
  return { name: 'inv', section: 'socket', type: 'socket_filter', insns: assemble(text).insns, maps: [], license: 'GPL' };
}

/** r0 in [0, 1]; `cmp` leaves it so on every real path; `if w0 > 1` then guards a load through a scalar. */
const prog = (cmp: string): Program => asm(`r0 = *(u32 *)(r1 +0)\nr0 &= 1\n${cmp}\nif w0 > 1 goto bad\nr0 = 0\nexit\nbad:\nr0 = *(u64 *)(r0 +0)\nexit`);

const VIOLATION = 'verifier bug: REG INVARIANTS VIOLATION (false_reg1): range bounds violation u64=[0x0, 0x1] s64=[0x0, 0x1] u32=[0x1, 0x0] s32=[0x0, 0x1] var_off=(0x0, 0x1)';

describe('REG INVARIANTS VIOLATION', () => {
  it('the dead side of a 32-bit self-comparison is explored and the load through a scalar refused', () => {
    const p = prog('if w0 <= w0 goto +0');
    const r = verify(p, { log: true });
    expect(r.verdict).toBe('reject');
    expect(r.error?.message).toBe("R0 invalid mem access 'scalar'");
    expect(r.log).toContain(VIOLATION);
    if (!k.ok) return;
    const kr = progLoad(p, { logLevel: 1 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(kr.verdict).toBe('reject');
    expect(kr.log).toContain(VIOLATION);
    expect(kr.log).toContain("R0 invalid mem access 'scalar'");
  });

  it('with BPF_F_TEST_REG_INVARIANTS the violation itself refuses the load', () => {
    const p = prog('if w0 <= w0 goto +0');
    const r = verify(p, { testRegInvariants: true });
    expect(r.verdict).toBe('reject');
    expect(r.error?.kind).toBe('verifier_bug');
    expect(r.error?.message).toContain(VIOLATION);
    if (!k.ok) return;
    const kr = progLoad(p, { logLevel: 1, extraProgFlags: BPF_F_TEST_REG_INVARIANTS });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(kr.verdict).toBe('reject');
    expect(kr.log).toContain(VIOLATION);
    expect(kr.log).not.toContain("R0 invalid mem access 'scalar'");
  });

  it('a decided comparison never reaches the check: the 64-bit self-comparison is accepted', () => {
    const p = prog('if r0 <= r0 goto +0');
    const r = verify(p, { log: true });
    expect(r.verdict).toBe('accept');
    expect(r.log).not.toContain('REG INVARIANTS');
    if (!k.ok) return;
    const kr = progLoad(p, { logLevel: 1 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(kr.verdict).toBe('accept');
  });
});
