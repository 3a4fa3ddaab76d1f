/**
 * __bpf_trap, the kfunc clang emits for __builtin_trap(): any path that reaches the call is
 * refused ("unexpected __bpf_trap() due to uninitialized variable?", EFAULT), a call no path
 * reaches is not (Linux 6.18's verifier_bpf_trap.c). test/fixtures/btf-typed/bpf_trap.c,
 * compared with the running kernel when it is there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { expectVerdict, kernelCompared } from './expect-verdicts.js';

const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip __bpf_trap programs: no /sys/kernel/btf/vmlinux (the kfunc resolves against it)');
kernelCompared('__bpf_trap');
const programs = haveBtf ? await loadFile('bpf_trap.o', new Uint8Array(readFileSync(new URL('../fixtures/btf-typed/bpf_trap.o', import.meta.url)))) : [];

describe.skipIf(!haveBtf)('__bpf_trap', () => {
  it('refused where a path reaches it, ignored on a dead path', () => {
    expectVerdict(programs.find((p) => p.name === 'trap_reached')!, ['reject', 'unexpected __bpf_trap() due to uninitialized variable?']);
    expectVerdict(programs.find((p) => p.name === 'trap_on_dead_path')!, ['accept']);
  });
});
