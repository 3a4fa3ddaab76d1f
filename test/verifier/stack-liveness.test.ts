/**
 * Stack liveness as Linux 6.18 computes it (kernel/bpf/liveness.c): may_read / must_write marks
 * per call chain and instruction, solved to live_before / must_write_acc when a path ends or a
 * subprogram returns; a finished checkpoint compares only the slots live at it. The level-2 log
 * prints each fixpoint step's changes ("(0,5) frame 0 insn 9 +written -8"): compared line for
 * line with the running kernel when it is there, else with what 6.18 printed for these programs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import type { Program } from '../../src/isa/program.js';
import { verify } from '../../src/verifier/index.js';
import { prog } from '../runtime/util.js';

const k = kernelAvailable();
if (!k.ok) console.log(`stack liveness: no kernel comparison (${k.reason})`);

const livenessLines = (log: string): string[] => log.split('\n').map((l) => l.trimEnd()).filter((l) => /^\([0-9,]+\) (frame|live stack)/.test(l));

/** bpflab's liveness lines and processed count, checked against the kernel's when it is there. */
function likeKernel(p: Program): { lines: string[]; processed: number } {
  const r = verify(p, { log: true, logLevel: 2 });
  expect(r.verdict).toBe('accept');
  const lines = livenessLines(r.log!);
  if (k.ok) {
    const kr = progLoad(p, { logLevel: 2 });
    if (kr.fd !== null) closeFd(kr.fd);
    expect(lines).toEqual(livenessLines(kr.log));
    expect(r.processed).toBe(Number(/processed (\d+) insns/.exec(kr.log)?.[1]));
  }
  return { lines, processed: r.processed };
}

describe('stack liveness per call chain (liveness.c)', () => {
  test('a subprogram writing and reading its caller\'s stack: marks of the callee\'s chain (5,8) reach the call instruction in (0)', () => {
    const { lines, processed } = likeKernel({ ...prog(`r1 = 0
*(u64 *)(r10 -8) = r1
*(u64 *)(r10 -16) = r1
r1 = r10
r1 += -8
call sub
r0 = *(u64 *)(r10 -8)
exit
sub:
r2 = *(u64 *)(r1 -8)
*(u64 *)(r1 +0) = r2
r0 = 0
exit`), name: 'caller_stack' });
    expect(processed).toBe(12);
    expect(lines).toEqual([
      '(5,8) frame 0 insn 9 +written -8',
      '(5,8) frame 0 insn 8 +live -16',
      '(5,8) frame 0 insn 8 +written -8',
      '(5,8) live stack update done in 2 iterations',
      // the call reads fp-16 and writes fp-8 of frame 0, as the callee's entry does
      '(0) frame 0 insn 5 +live -16',
      '(0) frame 0 insn 5 +written -8',
      '(0) frame 0 insn 2 +written -8,-16',
      '(0) frame 0 insn 1 +written -8,-16',
      '(0) frame 0 insn 0 +written -8,-16',
      '(0) live stack update done in 2 iterations',
      '(0) frame 0 insn 6 +live -8',
      '(0) live stack update done in 2 iterations',
    ]);
  });

  test('must_write narrows over visits; the call\'s must_write keeps only its low 32 slots when it narrows (commit_stack_write_marks\' u32)', () => {
    // The callee writes fp-264 through r2 on both visits, and fp-16 then fp-8 through r1: the
    // second visit leaves {fp-264} for the call, which 6.18 stores as {} (the high word is lost),
    // so fp-264 turns live before the call.
    const { lines } = likeKernel({ ...prog(`call bpf_get_prandom_u32
r6 = r0
r1 = 0
*(u64 *)(r10 -8) = r1
*(u64 *)(r10 -16) = r1
*(u64 *)(r10 -264) = r1
r1 = r10
r1 += -8
if r6 > 7 goto +2
r1 = r10
r1 += -16
r2 = r10
r2 += -264
call sub
r0 = *(u64 *)(r10 -8)
r2 = *(u64 *)(r10 -16)
r0 += r2
r1 = *(u64 *)(r10 -264)
r0 += r1
exit
sub:
*(u64 *)(r2 +0) = 0
*(u64 *)(r1 +0) = 0
r0 = 0
exit`), name: 'must_write_narrows' });
    const second = lines.lastIndexOf('(13,20) frame 0 insn 20 +written -264');
    expect(second).toBeGreaterThan(0);
    expect(lines.slice(second + 2, second + 5)).toEqual([
      '(0) frame 0 insn 13 +live -16,-264',
      '(0) frame 0 insn 11 +live -16,-264',
      '(0) frame 0 insn 8 +live -16,-264',
    ]);
  });

  test('a finished checkpoint is compared on live slots only: a dead slot holding ctx on one path and 0 on the other does not keep the path', () => {
    const p = prog(`r9 = r1
r8 = 0
r7 = 0
call bpf_get_prandom_u32
r6 = r0
if r6 > 10 goto +2
*(u64 *)(r10 -8) = r9
goto +1
*(u64 *)(r10 -8) = 0
r1 = 0
*(u64 *)(r10 -8) = r1
r0 = *(u64 *)(r10 -8)
exit`);
    const { processed } = likeKernel({ ...p, name: 'dead_slot' });
    expect(processed).toBe(14);
    expect(verify(p, { log: true }).log).toContain('9: safe');
  });
});

const samples = new URL('../../../shared/modern-samples/', import.meta.url);
const ksnoop = new URL('obj/bcc/libbpf-tools/ksnoop.bpf.o', samples);
describe.skipIf(!existsSync(ksnoop))('processed instructions as the kernel counts them (../shared/modern-samples)', () => {
  test('ksnoop\'s kprobes (many call chains, slots read on some paths only)', async () => {
    const verdicts = JSON.parse(readFileSync(new URL('kernel-verdicts.json', samples), 'utf8')) as { results: { obj: string; name: string; processed?: number }[] };
    const programs = await loadFile('ksnoop.bpf.o', new Uint8Array(readFileSync(ksnoop)));
    for (const name of ['kprobe_entry', 'kprobe_return']) {
      const want = verdicts.results.find((r) => r.obj === 'obj/bcc/libbpf-tools/ksnoop.bpf.o' && r.name === name)?.processed;
      expect(want).toBeGreaterThan(0);
      expect(verify(programs.find((p) => p.name === name)!).processed).toBe(want);
    }
  });
});
