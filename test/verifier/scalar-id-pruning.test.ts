/**
 * Scalar ids in state pruning and linked-register sync, as the running 6.18.44 does them (stable
 * fixes to Linux 6.18's regsafe, check_scalar_ids and sync_linked_regs):
 * - an old precise scalar without an id is matched by range alone, whatever link the current one has;
 * - an offset link (BPF_ADD_CONST) must map its base id consistently with the other registers;
 * - a 64-bit offset link and a 32-bit one are not synced with each other;
 * - a synced register is a copy of the refined one (copy_register_state): precision always, id and
 *   delta where the deltas agree.
 * Processed counts and verdicts are compared with the running kernel's when it is there.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { expectProcessedLikeKernel as processed, expectVerdict, kernelCompared } from './expect-verdicts.js';

kernelCompared('scalar id pruning');

const fixture = async (name: string) => {
  const path = new URL(`../fixtures/scalar-ids/${name}.s`, import.meta.url);
  const [p] = await loadFile(`${name}.s`, new Uint8Array(readFileSync(path)));
  return p!;
};

describe('scalar ids in regsafe', () => {
  it('an old scalar without an id covers a current offset-linked one by range (pruned)', async () => {
    expect(processed(await fixture('old-unlinked-vs-offset-link'))).toBe(29);
  });
  it('an old scalar without an id does not claim the current id another old register maps to (pruned)', async () => {
    expect(processed(await fixture('old-unlinked-vs-shared-id'))).toBe(33);
  });
  it('an offset link derived from an unrelated register does not match (explored)', async () => {
    expect(processed(await fixture('offset-link-base-id'))).toBe(54);
  });
});

describe('sync_linked_regs', () => {
  it('copies the refined register whole where the deltas agree: a plain copy takes over a `w7 += 0` link (explored)', async () => {
    // r6 = r7's id, r7 = that id + 0 (BPF_ADD_CONST32); `if w7 > 1000` gives r6 the link too, so the
    // join's old r6 (plain id) and current r6 (offset link) differ in regsafe: the kernel explores on
    // (40 insns). A sync that moved only the value pruned there (31).
    expect(processed(await fixture('sync-copies-link'))).toBe(40);
  });
  it('a 32-bit offset link refined by a branch leaves a 64-bit offset link of the same base alone', async () => {
    // r7 = r6 + 1 in 32 bits, r8 = r6 + 2 in 64 bits; `if r7 < 0xffffffff` pins r7 only. Synced, r8
    // would be zero-extended to 0 and the map access accepted; it may be 0x100000001.
    const path = new URL('../../corpus/verifier/regs/linked-mixed-width.s', import.meta.url);
    const [p] = await loadFile('linked-mixed-width.s', new Uint8Array(readFileSync(path)));
    expectVerdict(p!, ['reject', 'R0 unbounded memory access, make sure to bounds check any such access']);
  });
});
