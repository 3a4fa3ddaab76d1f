/**
 * is_state_visited's "2 jumps and 8 instructions since the last checkpoint" counts across
 * subprograms: the kernel's do_check_common does not reset prev_insn_processed and
 * prev_jmps_processed when it starts verifying a global subprogram, so what the main program
 * processed after its last checkpoint counts towards the global function's first one
 * (test/fixtures/prune/global_checkpoint.c; found on xdp-project's pping built with -Os, where
 * bpflab processed 15,200 instructions against the kernel's 15,290).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { verify } from '../../src/verifier/index.js';
import { expectProcessedLikeKernel, kernelCompared } from './expect-verdicts.js';

kernelCompared('checkpoints of global subprograms');

const path = 'test/fixtures/prune/global_checkpoint.o';
const program = async () => (await loadFile(path, new Uint8Array(readFileSync(path))))[0]!;

describe('checkpoints of global subprograms', () => {
  it("counts the main program's instructions and jumps towards the global function's first checkpoint", async () => {
    const p = await program();
    // prog: 4 instructions, 2 jumps (call, exit); f's first path: 4, 5 (jump), 6, 7 (jump), 9. At
    // the join (9) that makes 4 jumps and 9 instructions: a checkpoint, where the branch from 5 ends.
    expect(expectProcessedLikeKernel(p)).toBe(12);
    const log = verify(p, { log: true, logLevel: 2 }).log!;
    expect(log).toContain('Validating f() func#1...');
    expect(log).toMatch(/^9: safe$/m);
    expect(log).toContain('total_states 1 ');
  });
});
