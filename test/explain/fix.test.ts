/**
 * `explain --fix`, the sites of non-memory faults and the class of a false alarm's loss: patches
 * for a NULL dereference, a short packet check, a variable map-value index and a leaked ring
 * buffer record, each re-verified and with the counterexample replayed on the patched program;
 * a leak's replay shows the acquire and the leaking exit; a lost relation is named as one.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAsmProgram } from '../../src/loader/asm.js';
import { loadFile } from '../../src/loader/index.js';
import { closeExplain, explainProgram } from '../../src/smt/explain/index.js';
import { insertBefore, insertOnEdge, asmPatch } from '../../src/smt/explain/patch.js';
import * as op from '../../src/isa/opcodes.js';
import { verify } from '../../src/verifier/index.js';

const prog = (text: string) => loadAsmProgram(text, 'test.s', {});
const root = fileURLToPath(new URL('../../', import.meta.url));
const corpus = (file: string): string => readFileSync(`${root}corpus/verifier/${file}`, 'utf8');
/** Reads 4 bytes at offset 12 after proving only 14. */
const SHORT_CHECK = corpus('packet/bounds-short.s');
/** A hash map value indexed by len & 15 (value: 8 bytes). */
const INDEX = corpus('map/value-var-index-too-big.s');
/** A reserved record submitted on one path and leaked on the other. */
const LEAK_ONE_PATH = corpus('refs/ringbuf-leak-one-path.s');
/** A hash lookup read without a NULL check. */
const NULL_DEREF = corpus('map/hash-const-key-null.s');
/** A checked packet pointer kept in r7 across bpf_skb_pull_data, then read. */
const STALE_AFTER_PULL = corpus('packet/stale-after-pull.s');
/** A checked packet pointer spilled across bpf_xdp_adjust_head, filled and read twice. */
const STALE_SPILL = `.type xdp
    r6 = r1
    r2 = *(u32 *)(r1 +0)
    r3 = *(u32 *)(r1 +4)
    r7 = r2
    r7 += 14
    r4 = r7
    r4 += 20
    if r4 > r3 goto out
    *(u64 *)(r10 -8) = r7
    r1 = r6
    r2 = -4
    call bpf_xdp_adjust_head
    if r0 != 0 goto out
    r8 = *(u64 *)(r10 -8)
    r0 = *(u8 *)(r8 +9)
    r0 = *(u8 *)(r8 +12)
    r0 = 2
    exit
out:
    r0 = 1
    exit
`;

afterAll(async () => {
  await closeExplain();
});





// j = idx << 1 is computed before the check idx < 8: the check bounds idx, not j
const LOST_RELATION = `.type socket_filter
.map m array key=4 value=16 entries=1
    r6 = *(u32 *)(r1 +0)
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[m]
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = r6
    r1 <<= 1
    if r6 >= 8 goto out
    r0 += r1
    r0 = *(u8 *)(r0 +0)
out:
    r0 = 0
    exit
`;

describe('patches', () => {
  it('insertBefore relocates jumps around the inserted code; jumps to the point land on it', () => {
    const p = prog(SHORT_CHECK);
    const { program, pcOf } = insertBefore(p, 5, [asmPatch.movImm(0, 7)]);
    expect(program.insns).toHaveLength(p.insns.length + 1);
    expect(pcOf(5)).toBe(6);
    // the `if r4 > r3 goto out` at 4 still reaches `out`
    expect(4 + 1 + program.insns[4]!.off).toBe(pcOf(6));
    expect(verify(program).verdict).toBe('reject');
  });

  it('insertOnEdge: only the edge from the branch runs the code; the fall-through skips it', () => {
    const p = prog(LEAK_ONE_PATH);
    const { program, pcOf } = insertOnEdge(p, 9, 13, [asmPatch.movImm(5, 1)]);
    // a goto over the code, then the code, then the old insn 13
    expect(program.insns[13]!.code).toBe(op.BPF_JMP | op.BPF_JA);
    expect(pcOf(13)).toBe(15);
    expect(9 + 1 + program.insns[9]!.off).toBe(14);
  });
});

describe('explain --fix', () => {
  it('a NULL map value: a NULL check before the read, verified and replayed', async () => {
    const e = await explainProgram(prog(NULL_DEREF), { fix: true });
    expect(e.feasible).toBe(true);
    const f = e.fixes!.find((x) => x.verified)!;
    expect(f).toMatchObject({ kind: 'null_check', pc: 6, replayed: true });
    expect(f.insns[0]).toMatch(/^if r0 != 0x0 goto/);
  });

  it('a packet read past the check: a bounds check against data_end', async () => {
    const e = await explainProgram(prog(SHORT_CHECK), { fix: true });
    const f = e.fixes!.find((x) => x.verified)!;
    expect(f).toMatchObject({ kind: 'packet_check', pc: 5, replayed: true });
    expect(f.description).toContain('+ 16');
  });

  it('a packet pointer kept across bpf_skb_pull_data: re-derived from ctx after the call and checked again', async () => {
    const e = await explainProgram(prog(STALE_AFTER_PULL), { fix: true });
    expect(e.feasible).toBe(true);
    const f = e.fixes!.find((x) => x.verified)!;
    expect(f).toMatchObject({ kind: 'packet_reload', pc: 10, from: 9, replayed: true });
    expect(f.insns).toEqual(['r7 = *(u32 *)(r6 +76)', 'r9 = *(u32 *)(r6 +80)', 'r8 = r7', 'r8 += 1', 'if r8 <= r9 goto pc+2', 'r0 = 2', 'exit']);
    expect(f.description).toMatch(/bpf_skb_pull_data at insn 9 changes packet data/);
  });

  it('a packet pointer spilled across bpf_xdp_adjust_head: re-derived at its offset after the fill, for every read that follows', async () => {
    const e = await explainProgram(prog(STALE_SPILL), { fix: true });
    expect(e.feasible).toBe(true);
    const f = e.fixes!.find((x) => x.verified)!;
    expect(f).toMatchObject({ kind: 'packet_reload', pc: 14, from: 13, replayed: true });
    expect(f.insns.slice(0, 2)).toEqual(['r8 = *(u32 *)(r6 +0)', 'r8 += 14']);
    expect(f.description).toContain('check 13 bytes'); // the reads at +9 and +12
  });

  it('a ring buffer record written past its size: the reservation made big enough, in place', async () => {
    const e = await explainProgram(prog(corpus('refs/ringbuf-oob.s')), { fix: true });
    expect(e.feasible).toBe(true);
    const f = e.fixes!.find((x) => x.verified)!;
    expect(f).toMatchObject({ kind: 'reserve_size', pc: 2, inPlace: true, insns: ['r2 = 16'], replayed: true });
  });

  it('a map value read past its end at a constant offset: the value declared big enough', async () => {
    const e = await explainProgram(prog(corpus('map/value-past-end.s')), { fix: true });
    const f = e.fixes!.find((x) => x.verified)!;
    expect(f).toMatchObject({ kind: 'value_size', pc: 7, inPlace: true, replayed: true });
    expect(f.description).toContain('declare the value with 16 bytes');
  });

  it('a stack store outside the frame: moved to the nearest free slot inside it; not when fp escapes into a register', async () => {
    const e = await explainProgram(prog(corpus('stack/write-below-frame.s')), { fix: true });
    expect(e.fixes!.find((x) => x.verified)).toMatchObject({ kind: 'stack_slot', pc: 0, insns: ['*(u64 *)(r10 -512) = 0'], replayed: true });
    const escaped = await explainProgram(prog(corpus('map/key-outside-stack.s')), { fix: true });
    expect(escaped.fixes!.filter((x) => x.kind === 'stack_slot')).toEqual([]);
  });

  it('a helper\'s stack buffer running past the frame pointer (a 4-byte key at fp-2): the pointer moved down, in place', async () => {
    const e = await explainProgram(prog(corpus('map/key-outside-stack.s')), { fix: true });
    expect(e.fixes!.find((x) => x.verified)).toMatchObject({ kind: 'stack_buffer', pc: 1, inPlace: true, insns: ['r2 += -4'], replayed: true });
    // a buffer pointer made without `+=`: the offset is added before the call
    const plain = await explainProgram(prog('.type socket_filter\n.map m hash key=8 value=8 entries=4\n    r2 = r10\n    r1 = map[m]\n    call bpf_map_lookup_elem\n    r0 = 0\n    exit\n'), { fix: true });
    expect(plain.fixes!.find((x) => x.verified)).toMatchObject({ kind: 'stack_buffer', pc: 3, insns: ['r2 += -8'], replayed: true });
  });

  it('a variable map-value index: a check (and a mask) before the pointer addition', async () => {
    const e = await explainProgram(prog(INDEX), { fix: true });
    const kinds = e.fixes!.filter((x) => x.verified && x.replayed).map((x) => x.kind);
    expect(kinds).toEqual(['index_check', 'index_mask']);
    expect(e.fixes![0]!.insns[0]).toBe('if r6 <= 0x7 goto pc+2');
  });

  it('a record leaked on one path: discarded on that path only; the replay shows acquire and leaking exit', async () => {
    const e = await explainProgram(prog(LEAK_ONE_PATH), { fix: true });
    expect(e.feasible).toBe(true);
    expect(e.sites!.map((s) => [s.role, s.pc])).toEqual([['acquire', 5], ['leak', 14]]);
    expect(e.replay).toMatchObject({ reproduced: true });
    expect(e.replay!.shows).toBe('the run acquires the reference at pc 5 and exits at pc 14 without releasing it');
    const f = e.fixes!.find((x) => x.verified)!;
    expect(f).toMatchObject({ kind: 'release', pc: 13, from: 9, replayed: true });
    expect(f.insns).toContain('call bpf_ringbuf_discard#133');
  });

  it('maps the fix to the C line through line info', async () => {
    const file = `${root}corpus/c/map_lookup_nocheck.o`;
    const [p] = await loadFile(file, new Uint8Array(readFileSync(file)));
    const e = await explainProgram(p!, { fix: true });
    const f = e.fixes!.find((x) => x.verified)!;
    expect(f.c).toMatch(/^add `if \(!ptr\) return XDP_DROP;.*` before line \d+ \(map_lookup_nocheck\.c: /);
  });
});

describe('the loss of a false alarm', () => {
  it('names a lost relation with both registers and both instructions, never two equal ranges', async () => {
    const e = await explainProgram(prog(LOST_RELATION));
    expect(e.feasible).toBe(false);
    const im = e.imprecision!;
    expect(im).toMatchObject({ pc: 9, cls: 'lost_relation', pcs: [9, 10] });
    expect(im.why).toMatch(/R1 is computed from R6 .* the check at insn 10 .* bounds R6/);
    expect(im.concrete).toContain('[0, 14]');
    expect(im.concrete).not.toBe(im.abstract);
  });
});
