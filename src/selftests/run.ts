/**
 * Runs kernel-selftest-style objects as test_loader.c does: every program that is not auxiliary
 * is a test, verified with its own flags together with the object's auxiliary programs; its
 * `__msg` patterns are matched against bpflab's log; an accepted test with `__retval` is run on
 * the VM over 64 zero bytes (BPF_PROG_TEST_RUN's input in test_loader's do_prog_test_run).
 */
import { InputError } from '../isa/errors.js';
import { withInsn } from '../isa/insn.js';
import { BPF_LD_IMM64, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE } from '../isa/opcodes.js';
import { makeProgram, type Program } from '../isa/program.js';
import { loadFileDetailed, type ElfObject } from '../loader/index.js';
import { isSkbType } from '../runtime/index.js';
import { tracingTestRunRetval } from '../runtime/kernel-objects/index.js';
import { isProgArray, MapError } from '../runtime/maps/index.js';
import { verify, type VerifierError, type VerifyOptions } from '../verifier/index.js';
import { Vm, VmError, type RunInput } from '../vm/index.js';
import { compilePattern, firstUnmatched } from './msgs.js';
import { declTags, LOAD_JITED, MODE_PRIV, parseTestSpec, POINTER_VALUE, PROG_FLAGS, SpecError, type TestSpec } from './spec.js';

/** BPF_PROG_TEST_RUN's data_in in test_loader.c (TEST_DATA_LEN). */
const TEST_DATA_LEN = 64;

export type TestVerdict = 'accept' | 'reject' | 'error';

export interface TestResult {
  /** Object file name without directory and `.o` (the kernel's skeleton name). */
  file: string;
  name: string;
  section: string;
  description: string;
  expect: 'accept' | 'reject';
  /** bpflab's verdict on loading the test with its auxiliary programs; `error` = no verdict. */
  verdict: TestVerdict;
  /** The verifier's error (the test's own, or an auxiliary program's). */
  error?: VerifierError & { program: string };
  /** Why there is no verdict (the object or program could not be loaded, bpflab does not model it). */
  why?: string;
  /** __msg / __not_msg patterns, and the first one that fails on bpflab's log (-1: none). */
  msgs: string[];
  /** Which of `msgs` are __not_msg (absent: none). */
  negative?: boolean[];
  msgUnmatched: number;
  /** __xlated patterns: bpflab has no rewritten program to check them against (not counted). */
  xlatedUnchecked?: number;
  /** __retval and what the VM returned (as the kernel's u32 retval read as int). */
  retval?: { expected: number; actual: number | null; ok: boolean; fault?: string };
  passed: boolean;
  skipped?: string;
  /** The expectation and flags as parsed (for --json). */
  flags: number;
  logLevel: number;
  /** bpflab's log, kept only when the caller asked for logs. */
  log?: string;
}

export interface RunOptions {
  /** Keep each test's verifier log in the result. */
  keepLogs?: boolean;
  /** Only tests whose name matches. */
  filter?: (file: string, name: string) => boolean;
  /** Processed-instruction limit per verification (default: the kernel's 1,000,000). */
  insnLimit?: number;
}

/** Objects under test: a file's base name without `.o`. */
export function objectName(path: string): string {
  return (path.split('/').pop() ?? path).replace(/\.o$/, '');
}

/** The verifier's options for one selftest program (privileged, as prog_tests/verifier.c runs them). */
export function verifyOptionsFor(spec: TestSpec, withLog: boolean, opts: RunOptions): VerifyOptions {
  const v: VerifyOptions = {
    // CAP_SYS_ADMIN is dropped, CAP_BPF and CAP_PERFMON stay: the privileged rules, reads of
    // uninitialised stack allowed (env->allow_uninit_stack = perfmon_capable()).
    allowUninitStack: true,
  };
  if (spec.progFlags & PROG_FLAGS.BPF_F_TEST_REG_INVARIANTS) v.testRegInvariants = true;
  if (spec.progFlags & PROG_FLAGS.BPF_F_TEST_STATE_FREQ) v.testStateFreq = true;
  // env->strict_alignment: BPF_F_STRICT_ALIGNMENT, cleared by BPF_F_ANY_ALIGNMENT (x86-64 has
  // efficient unaligned access, so nothing else sets it).
  if (spec.progFlags & PROG_FLAGS.BPF_F_STRICT_ALIGNMENT && !(spec.progFlags & PROG_FLAGS.BPF_F_ANY_ALIGNMENT)) v.strictAlignment = true;
  if (withLog) { v.log = true; v.logLevel = (spec.logLevel & 3) >= 2 ? 2 : 1; }
  if (opts.insnLimit !== undefined) v.insnLimit = opts.insnLimit;
  return v;
}

/** Runs every test of one object file. */
export async function runObject(path: string, bytes: Uint8Array, opts: RunOptions = {}): Promise<TestResult[]> {
  const file = objectName(path);
  let elf: ElfObject;
  // The programs as libbpf would load them: CO-RE relocations applied against the target BTF
  // (elf.programs are the object's own, e.g. bpf_core_type_id_kernel still a local type id).
  let programs: Program[];
  try {
    const loaded = await loadFileDetailed(path, bytes);
    if (!loaded.elf) throw new InputError('format', `${path}: not an ELF object`);
    elf = loaded.elf;
    programs = loaded.programs;
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return [objectFailure(file, e.message)];
  }
  if (!elf.btf) return [objectFailure(file, `${path}: BPF object has no BTF`)];
  const btf = elf.btf;
  const specs = programs.map((p): TestSpec | SpecError => {
    try { return parseTestSpec(p.name, declTags(btf, p.name)); } catch (e) { if (e instanceof SpecError) return e; throw e; }
  });
  const auxiliary: Program[] = [];
  programs.forEach((p, i) => { const s = specs[i]!; if (!(s instanceof SpecError) && s.auxiliary && s.modeMask & MODE_PRIV) auxiliary.push(p); });
  // Auxiliary programs load with their own flags; their verdict is the same for every test.
  const auxVerdicts = new Map<Program, VerifierError | null>();
  const auxVerdict = (p: Program): VerifierError | null => {
    let v = auxVerdicts.get(p);
    if (v === undefined) {
      const s = specs[programs.indexOf(p)] as TestSpec;
      v = verify(p, verifyOptionsFor(s, false, opts)).error;
      auxVerdicts.set(p, v);
    }
    return v;
  };

  const out: TestResult[] = [];
  programs.forEach((relocated, i) => {
    const spec = specs[i]!;
    // __btf_path: CO-RE against the test's own BTF object (btf__core_reloc_*.bpf.o, the same
    // types as the program's): the object's unrelocated program is what that gives.
    const prog = !(spec instanceof SpecError) && spec.btfPath !== undefined ? elf.programs[i]! : relocated;
    if (opts.filter && !opts.filter(file, prog.name)) return;
    if (spec instanceof SpecError) {
      out.push({ ...blank(file, prog), verdict: 'error', why: `can't parse test spec: ${spec.message}` });
      return;
    }
    if (spec.auxiliary) return;
    out.push(runTest(file, prog, spec, elf, auxiliary, auxVerdict, opts));
  });
  return out;
}

function blank(file: string, prog: Program): TestResult {
  return { file, name: prog.name, section: prog.section, description: prog.name, expect: 'accept', verdict: 'error', msgs: [], msgUnmatched: -1, passed: false, flags: 0, logLevel: 0 };
}

function objectFailure(file: string, why: string): TestResult {
  return { file, name: '*', section: '', description: '(object)', expect: 'accept', verdict: 'error', why, msgs: [], msgUnmatched: -1, passed: false, flags: 0, logLevel: 0 };
}

function runTest(file: string, prog: Program, spec: TestSpec, elf: ElfObject, auxiliary: readonly Program[],
  auxVerdict: (p: Program) => VerifierError | null, opts: RunOptions): TestResult {
  const sub = spec.priv;
  const res: TestResult = {
    file, name: prog.name, section: prog.section, description: spec.description, expect: sub.expectFailure ? 'reject' : 'accept',
    verdict: 'error', msgs: sub.msgs, msgUnmatched: -1, passed: false, flags: spec.progFlags, logLevel: spec.logLevel,
  };
  if (sub.negative) res.negative = sub.negative;
  if (sub.xlated.length) res.xlatedUnchecked = sub.xlated.length;
  if (!(spec.modeMask & MODE_PRIV)) { res.skipped = 'unprivileged-only test'; return res; }
  // run_subtest: a test whose load_mode excludes the JIT's state is skipped (bpflab, like the
  // x86-64 kernel with bpf_jit_enable=1, JITs every program).
  if (!(spec.loadMask & LOAD_JITED)) { res.skipped = '__load_if_no_JITed (the JIT is enabled)'; return res; }
  if (spec.arch.length && !spec.arch.includes('X86_64')) { res.skipped = `__arch_* ${spec.arch.join(',')}`; return res; }
  // libbpf: with log_level 0 the log is requested only when the load fails (then at level 1).
  const r = verify(prog, verifyOptionsFor(spec, true, opts));
  let log = r.log ?? '';
  if (r.error?.kind === 'load_error') {
    res.why = `cannot be loaded: ${r.error.message}`;
    res.error = { ...r.error, program: prog.name };
  } else if (r.error?.kind === 'unsupported') {
    res.why = `bpflab does not model this: ${r.error.message}`;
    res.error = { ...r.error, program: prog.name };
  } else if (r.error) {
    res.verdict = 'reject';
    res.error = { ...r.error, program: prog.name };
  } else {
    // An accepted program's log below level 2 is its closing statistics only: with level 0 the
    // kernel writes no log; at level 1 do_check_common erases what each subprogram's successful
    // pass printed (bpf_vlog_reset, pop_log) and print_verification_stats adds its lines.
    if ((spec.logLevel & 3) === 0 && !(spec.logLevel & 4)) log = '';
    else if ((spec.logLevel & 3) < 2) log = log.split('\n').filter((l) => /^(verification time|stack depth|processed) /.test(l)).map((l) => l + '\n').join('');
    res.verdict = 'accept';
    // bpf_object__load: the auxiliary programs load too, and any failure fails the load.
    for (const a of auxiliary) {
      const e = auxVerdict(a);
      if (!e) continue;
      res.error = { ...e, program: a.name };
      if (e.kind === 'unsupported' || e.kind === 'load_error') { res.verdict = 'error'; res.why = `auxiliary program ${a.name}: ${e.kind === 'load_error' ? 'cannot be loaded' : 'bpflab does not model this'}: ${e.message}`; }
      else res.verdict = 'reject';
      break;
    }
  }
  // print_verification_stats: "stack depth" only with BPF_LOG_STATS (bpflab's log always has it).
  if (!(spec.logLevel & 4)) log = log.replace(/^stack depth [0-9+]+\n/m, '');
  if (opts.keepLogs) res.log = log;
  if (res.verdict === 'error') return res;
  const patterns = sub.msgs.map(compilePattern);
  res.msgUnmatched = firstUnmatched(log, patterns, sub.negative);
  // should_do_test_run: an expected success with __retval, unless alignment forbids running it.
  if (res.verdict === 'accept' && sub.execute && !sub.expectFailure && !(spec.progFlags & PROG_FLAGS.BPF_F_ANY_ALIGNMENT && !EFFICIENT_UNALIGNED_ACCESS))
    res.retval = runRetval(prog, elf, auxiliary, sub.retval);
  res.passed = res.verdict === res.expect && res.msgUnmatched < 0 && (res.retval?.ok ?? true);
  return res;
}

/** x86-64 has efficient unaligned access: BPF_F_ANY_ALIGNMENT tests run there. */
const EFFICIENT_UNALIGNED_ACCESS = true;

/**
 * do_prog_test_run: one run over 64 zero bytes (syscall programs get no input), maps as the object
 * declares them (global data initialised, prog_array slots from `.maps` relocations filled).
 */
export function runRetval(prog: Program, elf: ElfObject, loaded: readonly Program[], expected: number): NonNullable<TestResult['retval']> {
  let vm: Vm;
  try {
    vm = new Vm(withUsedMapsOnly(prog));
  } catch (e) {
    if (!(e instanceof InputError || e instanceof MapError || e instanceof VmError)) throw e;
    return { expected, actual: null, ok: false, fault: e.message };
  }
  for (const init of elf.mapInits) {
    const m = vm.maps.find((x) => x.spec.name === init.map);
    const target = [prog, ...loaded].find((p) => p.name === init.target);
    if (m && target && isProgArray(m)) m.setProgram(init.slot, withUsedMapsOnly(target));
  }
  const input: RunInput = {};
  if (prog.type === 'xdp' || isSkbType(prog.type)) input.packet = new Uint8Array(TEST_DATA_LEN);
  let actual: number | null = null;
  let fault: string | undefined;
  try {
    const r = vm.run(input);
    if (r.fault) fault = r.fault.message;
    else if (r.error) fault = r.error.message;
    // fentry/fexit/fmod_ret: the program runs over the default kernel world (a fault is a miss), but
    // test_run reports what its test functions return, the program being loaded, not attached
    else actual = (prog.type === 'tracing' ? tracingTestRunRetval(prog.expectedAttachType) : undefined) ?? Number(BigInt.asIntN(32, r.r0));
  } catch (e) {
    if (!(e instanceof InputError || e instanceof MapError || e instanceof VmError)) throw e;
    fault = e.message;
  }
  const ok = actual !== null && (expected === POINTER_VALUE || actual === expected);
  return fault !== undefined ? { expected, actual, ok, fault } : { expected, actual, ok };
}

/**
 * The program with only the maps its ld_imm64 instructions name (the kernel's used_maps), indices
 * renumbered: a run needs no instance of maps the program never touches, e.g. map types the VM
 * does not model that only other programs of the object use.
 */
function withUsedMapsOnly(prog: Program): Program {
  const used = new Map<number, number>();
  const insns = prog.insns.slice();
  for (let pc = 0; pc < insns.length; pc++) {
    const ins = insns[pc]!;
    if (ins.code !== BPF_LD_IMM64) continue;
    if ((ins.src === BPF_PSEUDO_MAP_FD || ins.src === BPF_PSEUDO_MAP_VALUE) && prog.maps[ins.imm]) {
      let idx = used.get(ins.imm);
      if (idx === undefined) { idx = used.size; used.set(ins.imm, idx); }
      insns[pc] = withInsn(ins, { imm: idx });
    }
    pc++;
  }
  const maps = [...used.keys()].map((i) => prog.maps[i]!);
  return makeProgram({ ...prog, insns, maps });
}
