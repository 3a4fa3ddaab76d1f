/**
 * `bpflab selftests`: test specs from decl tags as test_loader.c parses them, `__msg` patterns
 * with `{{regex}}` parts, and the agreement with the running kernel on ../shared/kernel-selftests
 * held against the figures recorded in test/fixtures/selftests-baseline.json.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../../src/cli/io.js';
import {
  compilePattern, firstUnmatched, LOAD_JITED, LOAD_NO_JITED, parseBaseline, parseKernelVerdicts, parseTestSpec, PROG_FLAGS, regressions, runObject, runSuite,
  TESTING_PROG_FLAGS, POINTER_VALUE,
} from '../../src/selftests/index.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';

const SELFTESTS = resolve(__dirname, '../../../shared/kernel-selftests');
const have = existsSync(join(SELFTESTS, 'obj')) && existsSync(join(SELFTESTS, 'kernel-verdicts.json'));
if (!have) console.log(`skipping kernel-selftests agreement: no ${SELFTESTS}`);

describe('parseTestSpec (test_loader.c parse_test_spec)', () => {
  it('reads failure, messages in order, retval names, flags set and cleared, log level', () => {
    const s = parseTestSpec('p', [
      'comment:test_description=a test', 'comment:test_expect_failure', 'comment:test_expect_msg=0=first', 'comment:test_expect_msg=1=second=x',
      'comment:test_retval=POINTER_VALUE', 'comment:test_prog_flags=BPF_F_ANY_ALIGNMENT', 'comment:test_prog_flags=!BPF_F_TEST_RND_HI32',
      'comment:test_prog_flags=0x40', 'comment:test_log_level=2',
    ]);
    expect(s.description).toBe('a test');
    expect(s.priv.expectFailure).toBe(true);
    expect(s.priv.msgs).toEqual(['first', 'second=x']);
    expect(s.priv.retval).toBe(POINTER_VALUE);
    expect(s.progFlags).toBe((TESTING_PROG_FLAGS | PROG_FLAGS.BPF_F_ANY_ALIGNMENT | 0x40) & ~PROG_FLAGS.BPF_F_TEST_RND_HI32);
    expect(s.logLevel).toBe(2);
    // unpriv inherits the privileged expectations when it has none of its own
    expect(s.unpriv).toMatchObject({ expectFailure: true, msgs: ['first', 'second=x'] });
  });
  it('defaults to a privileged expected success; auxiliary and unprivileged-only tags', () => {
    expect(parseTestSpec('p', [])).toMatchObject({ modeMask: 1, auxiliary: false, priv: { expectFailure: false, execute: false } });
    expect(parseTestSpec('p', ['comment:test_auxiliary'])).toMatchObject({ auxiliary: true, modeMask: 1 });
    expect(parseTestSpec('p', ['comment:test_expect_failure_unpriv']).modeMask).toBe(2);
    expect(parseTestSpec('p', ['comment:test_retval=INT_MIN']).priv.retval).toBe(-0x80000000);
    expect(() => parseTestSpec('p', ['comment:test_retval=12x'])).toThrow(/failed to parse __retval/);
    // 6.18's architectures (verifier_may_goto_1.c names s390x beside x86-64 and arm64)
    expect(parseTestSpec('p', ['comment:test_arch=X86_64', 'comment:test_arch=s390x']).arch).toEqual(['X86_64', 's390x']);
    expect(() => parseTestSpec('p', ['comment:test_arch=MIPS'])).toThrow(/bad arch spec: 'MIPS'/);
  });
});

describe('6.18 test_loader tags: __not_msg, __load_if_JITed, __xlated', () => {
  it('parses them as parse_test_spec does', () => {
    const s = parseTestSpec('p', ['comment:test_expect_msg=1=a', 'comment:test_expect_not_msg=2=b=c', 'comment:test_expect_msg=3=d',
      'comment:test_expect_xlated=4=0: r0 = 0', 'comment:load_mode=jited']);
    expect(s.priv.msgs).toEqual(['a', 'b=c', 'd']);
    expect(s.priv.negative).toEqual([false, true, false]);
    expect(s.priv.xlated).toEqual(['0: r0 = 0']);
    expect(s.loadMask).toBe(LOAD_JITED);
    expect(s.unpriv).toMatchObject({ msgs: ['a', 'b=c', 'd'], negative: [false, true, false] });
    expect(parseTestSpec('p', ['comment:load_mode=no_jited']).loadMask).toBe(LOAD_NO_JITED);
    expect(parseTestSpec('p', []).loadMask).toBe(LOAD_JITED | LOAD_NO_JITED);
    expect(parseTestSpec('p', ['comment:test_expect_msg=1=a']).priv.negative).toBeUndefined();
    expect(() => parseTestSpec('p', ['comment:load_mode=maybe'])).toThrow(/bad load spec: 'maybe'/);
  });

  it('matches a __not_msg only in its span between the positive matches around it', () => {
    const log = 'A\nX\nB\nY\nC\n';
    const p = (s: string) => compilePattern(s);
    // X lies between A and B: found in the span, the negative fails
    expect(firstUnmatched(log, [p('A'), p('X'), p('B')], [false, true, false])).toBe(1);
    // Y lies after B: not in A..B
    expect(firstUnmatched(log, [p('A'), p('Y'), p('B')], [false, true, false])).toBe(-1);
    // a trailing negative spans to the end of the log; a leading one from its start
    expect(firstUnmatched(log, [p('B'), p('Y')], [false, true])).toBe(1);
    expect(firstUnmatched(log, [p('X'), p('C')], [true, false])).toBe(0);
    expect(firstUnmatched(log, [p('Z'), p('C')], [true, false])).toBe(-1);
    // a missing positive fails at its own index
    expect(firstUnmatched(log, [p('A'), p('Z'), p('Q')], [false, true, false])).toBe(2);
    // match_negative_msgs checks only the first pattern of a run of negatives
    expect(firstUnmatched(log, [p('A'), p('Z'), p('X'), p('B')], [false, true, true, false])).toBe(-1);
  });

  const tags = resolve(__dirname, '../fixtures/selftests/test_loader_tags.o');
  it('runs them: spans of __not_msg, a no-JIT test skipped, __xlated counted as unchecked', async () => {
    const res = await runObject(tags, new Uint8Array(readFileSync(tags)));
    const by = Object.fromEntries(res.map((t) => [t.name, t]));
    expect(by.not_msg_outside_span).toMatchObject({ verdict: 'reject', passed: true, negative: [false, true, false] });
    expect(by.not_msg_in_span).toMatchObject({ verdict: 'reject', passed: false, msgUnmatched: 1 });
    expect(by.jited_only).toMatchObject({ verdict: 'accept', passed: true });
    expect(by.interpreter_only!.skipped).toMatch(/__load_if_no_JITed/);
    expect(by.with_xlated).toMatchObject({ verdict: 'accept', passed: true, xlatedUnchecked: 1 });
    // an acceptance's log below level 2 is its statistics; "stack depth" only with BPF_LOG_STATS
    for (const n of ['level1_accepted_erased', 'level2_no_stats', 'level2_with_stats']) expect(by[n], n).toMatchObject({ verdict: 'accept', passed: true });
    // the kernel's own logs give the same outcomes
    const k = kernelAvailable();
    if (!k.ok) { console.log(`test_loader tags: no kernel comparison (${k.reason})`); return; }
    for (const prog of await loadFile(tags, new Uint8Array(readFileSync(tags)))) {
      const t = by[prog.name]!;
      // (progLoad always asks for BPF_LOG_STATS: the test of its absence is bpflab's only)
      if (t.skipped || prog.name === 'level2_no_stats') continue;
      const kr = progLoad(prog, { logLevel: t.logLevel & 2 ? 2 : 1 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(kr.verdict, prog.name).toBe(t.verdict);
      expect(firstUnmatched(kr.log, t.msgs.map(compilePattern), t.negative), prog.name).toBe(t.msgUnmatched);
    }
  });
});

describe('__msg patterns (compile_regex, validate_msgs)', () => {
  it('matches substrings and {{regex}} parts in order, each after the previous match', () => {
    const log = '0: (b7) r0 = 0\n1: (95) exit\nR0 min value is negative\nprocessed 2 insns\n';
    const p = (s: string) => compilePattern(s);
    expect(firstUnmatched(log, [p('r0 = 0'), p('exit')])).toBe(-1);
    expect(firstUnmatched(log, [p('exit'), p('r0 = 0')])).toBe(1);
    expect(firstUnmatched(log, [p('processed {{[0-9]+}} insns')])).toBe(-1);
    expect(firstUnmatched(log, [p('processed {{[[:digit:]]+}} insns')])).toBe(-1);
    // verbatim parts are not regexes; REG_NEWLINE keeps '.' on one line
    expect(firstUnmatched(log, [p('(b7) r0 = 0')])).toBe(-1);
    expect(firstUnmatched(log, [p('exit{{.*}}negative')])).toBe(0);
  });
});

describe('runObject', () => {
  it('verifies the programs with their CO-RE relocations applied, as libbpf loads them', async () => {
    const path = resolve(__dirname, '../fixtures/selftests/core_type_id.o');
    if (!existsSync('/sys/kernel/btf/vmlinux')) { console.log('skip CO-RE selftest object: no /sys/kernel/btf/vmlinux to relocate against'); return; }
    const [t] = await runObject(path, new Uint8Array(readFileSync(path)));
    // unrelocated, bpf_core_type_id_kernel(struct sk_buff) is the object's own type id: a wrong type for bpf_rdonly_cast
    expect(t).toMatchObject({ name: 'cast_by_kernel_type_id', verdict: 'accept', passed: true });
  });
});

describe.skipIf(!have)('kernel-selftests agreement (../shared/kernel-selftests)', () => {
  it('holds the agreement recorded in test/fixtures/selftests-baseline.json', async () => {
    const dir = join(SELFTESTS, 'obj');
    const verdicts = parseKernelVerdicts(readFileSync(join(SELFTESTS, 'kernel-verdicts.json'), 'utf8'), 'kernel-verdicts.json');
    const basePath = resolve(__dirname, '../fixtures/selftests-baseline.json');
    const base = parseBaseline(readFileSync(basePath, 'utf8'), basePath);
    const files = readdirSync(dir).filter((f) => f.endsWith('.o')).sort().map((f) => join(dir, f));
    const suite = await runSuite(files, (p) => new Uint8Array(readFileSync(p)), verdicts);
    const a = suite.agreement!;
    expect(a.agree + a.acceptedKernelRejects + a.rejectedKernelAccepts + a.noVerdict).toBe(a.withKernelVerdict);
    const perFile = Object.fromEntries(suite.files.map((f) => [f.file, f.agreement!]));
    console.log(`kernel-selftests: ${a.agree}/${a.withKernelVerdict} agree, ${a.acceptedKernelRejects} accepted that the kernel rejects, ${a.rejectedKernelAccepts} rejected that it accepts, ${a.noVerdict} without a verdict`);
    expect(regressions(base, a, perFile)).toEqual([]);
  }, 120_000);
});

describe.skipIf(!have)('bpflab selftests (CLI)', () => {
  it('prints a table and the closing line; --json is one document', async () => {
    const obj = join(SELFTESTS, 'obj/verifier_and.o');
    const io = memoryIo({ [obj]: readFileSync(obj) });
    const code = await main(['selftests', obj], io);
    expect(io.stdout.trimEnd().split('\n').at(-1)).toMatch(/^\d+ passed, \d+ failed$/);
    expect(io.stdout).toMatch(/^file\s+passed\s+failed\s+skipped/m);
    expect(code).toBe(io.stdout.includes(' 0 failed') ? 0 : 1);
    const j = memoryIo({ [obj]: readFileSync(obj) });
    await main(['selftests', obj, '--json'], j);
    const doc = JSON.parse(j.stdout) as { tests: { name: string; expect: string }[]; passed: number };
    expect(doc.tests.map((t) => t.name)).toContain('invalid_and_of_negative_number');
    expect(doc.tests.find((t) => t.name === 'invalid_and_of_negative_number')!.expect).toBe('reject');
  });
  it('bad input: exit 2 and one line naming the file', async () => {
    const io = memoryIo({});
    expect(await main(['selftests', '/nonexistent/x.o'], io)).toBe(2);
    expect(io.stderr).toMatch(/^bpflab: \/nonexistent\/x\.o: cannot read file/);
  });
});
