/**
 * Stack liveness (liveness.c) treats a bpf_tail_call as an exit edge as well as a fall-through:
 * a write after the tail call is not certain to happen, so the call instruction of the caller is
 * not credited with it. Crediting it let a later path with another value in the slot be pruned
 * at a checkpoint that no longer compared the slot, hiding an out-of-bounds stack read the kernel
 * finds (Linux 6.18's verifier_live_stack.c caller_stack_write_tail_call, rebuilt as
 * test/fixtures/tail-call/tail_call_stack_write.c). Compared with the running kernel when it is there.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { verify } from '../../src/verifier/index.js';
import { expectVerdict, kernelCompared } from './expect-verdicts.js';
import { prog } from '../runtime/util.js';

kernelCompared('tail call liveness');
const path = resolve(__dirname, '../fixtures/tail-call/tail_call_stack_write.o');
const programs = await loadFile(path, new Uint8Array(readFileSync(path)));

describe('a tail call is an exit edge for stack liveness', () => {
  it('a caller slot written only after the tail call is still compared: the -1024 path is rejected', () => {
    expectVerdict(programs.find((p) => p.name === 'write_after_tail_call')!, ['reject', 'invalid read from stack R2 off=-1024 size=8']);
  });
  it('in the main program a write after the tail call does not reach the instructions before it', () => {
    const p = prog(`.map jt prog_array key=4 value=4 entries=1
r6 = r1
r2 = map[jt]
r3 = 0
call bpf_tail_call
r1 = 0
*(u64 *)(r10 -8) = r1
r0 = 0
exit`);
    const log = verify(p, { log: true, logLevel: 2 }).log!;
    // the kernel prints only "(0) frame 0 insn 6 +written -8" for this program
    expect(log).toContain('(0) frame 0 insn 6 +written -8');
    expect(log).not.toMatch(/\(0\) frame 0 insn [0-4] \+written/);
  });
});
