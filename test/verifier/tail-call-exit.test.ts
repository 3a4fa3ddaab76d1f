/**
 * A bpf_tail_call inside a subprogram is a possible exit from it (as LD_ABS is): the path where
 * the tail call fails goes on after the call, and the caller also sees the subprogram return at
 * once with r0 unknown. Without that exit a caller indexing with the subprogram's constant result
 * was accepted where the kernel rejects. Verdicts, messages and processed instruction counts are
 * the running kernel's when it is there (test/fixtures/tail-call/tail_call_exit.c, built by
 * test/fixtures/build.sh).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { verify } from '../../src/verifier/index.js';
import { expectProcessedLikeKernel, expectVerdict, kernelCompared } from './expect-verdicts.js';

kernelCompared('tail call exit');
const path = resolve(__dirname, '../fixtures/tail-call/tail_call_exit.o');
const programs = await loadFile(path, new Uint8Array(readFileSync(path)));
const named = (name: string) => programs.find((p) => p.name === name)!;

describe('a tail call in a subprogram may leave it', () => {
  it('the caller sees r0 unknown after the call', () => {
    expectVerdict(named('index_by_result'), ['reject', 'invalid variable-offset read from stack R1 var_off=(0x0; 0xffff) off=-8 size=1']);
  });
  it('a bounded result is accepted, with as many processed instructions as the kernel', () => {
    expect(expectProcessedLikeKernel(named('index_by_bounded_result'))).toBe(28);
  });
  it('the failed tail call goes on later, r0 not written (the helper returns void)', () => {
    const r = verify(named('index_by_bounded_result'), { log: true, logLevel: 2 });
    expect(r.log).toMatch(/\d+: frame1: R6=ctx\(\) R7=map_ptr\(map=jt,ks=4,vs=4\) R10=fp0/);
  });
});
