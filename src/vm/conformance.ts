/**
 * Running conformance tests (.data files of bpf_conformance and uBPF) on an engine. A test
 * passes when the program loads and returns `-- result`, or, for tests with `-- error` /
 * `-- error pattern`, when loading or running fails (uBPF's error texts are its own; what must
 * match is that the engine refuses).
 */
import type { ConformanceTest } from '../isa/conformance.js';
import { encodeInsns, validateInsns } from '../isa/decode.js';
import { InputError } from '../isa/errors.js';
import * as op from '../isa/opcodes.js';
import type { Insn } from '../isa/insn.js';
import { makeProgram, type Program } from '../isa/program.js';
import { jumpTarget } from '../isa/validate.js';
import { HELPERS } from '../runtime/helpers/impl/index.js';
import { Vm } from './vm.js';

/** What an engine reports for one run. */
export interface EngineRun {
  r0?: bigint;
  /** Load or run failure, one line. */
  error?: string;
  /** A reason not to count the test (engine cannot express it), one line. */
  skip?: string;
  /** The engine refused to load the program (a verifier): counts as the error of `-- error` tests, else as a skip. */
  refused?: boolean;
}

export type Engine = (program: Program, mem: Uint8Array) => EngineRun | Promise<EngineRun>;

export interface ConformanceOutcome {
  status: 'pass' | 'fail' | 'skip';
  /** Why it failed or was skipped. */
  reason?: string;
  r0?: bigint;
}

/**
 * Load-time checks a runtime makes before running (uBPF's and the kernel's check_subprogs):
 * each subprogram ends with exit or an unconditional jump, calls target instructions inside the
 * program, called helpers exist. Returns a reason or null.
 */
export function loadCheck(insns: readonly Insn[]): string | null {
  try { validateInsns(insns); } catch (e) { if (e instanceof InputError) return e.message; throw e; }
  const starts = new Set<number>([0]);
  insns.forEach((ins, pc) => {
    if (ins.code === (op.BPF_JMP | op.BPF_CALL) && ins.src === op.BPF_PSEUDO_CALL) starts.add(pc + 1 + ins.imm);
  });
  const sorted = [...starts].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i++) {
    const end = (sorted[i + 1] ?? insns.length) - 1;
    const last = insns[end];
    if (!last) return `subprogram at ${sorted[i]} is empty`;
    const isExit = last.code === (op.BPF_JMP | op.BPF_EXIT);
    const isJa = last.code === (op.BPF_JMP | op.BPF_JA) || last.code === (op.BPF_JMP32 | op.BPF_JA);
    if (!isExit && !isJa) return `sub-program does not end with EXIT or unconditional jump at pc ${end}`;
    for (let pc = sorted[i]!; pc <= end; pc++) {
      const ins = insns[pc]!;
      const t = jumpTarget(ins, pc);
      if (t !== null && !(ins.code === (op.BPF_JMP | op.BPF_CALL)) && (t < sorted[i]! || t > end)) return `jump out of subprogram from insn ${pc} to ${t}`;
      if (ins.code === (op.BPF_JMP | op.BPF_CALL) && ins.src === 0 && !HELPERS[ins.imm]) return `call to unknown helper #${ins.imm} at pc ${pc}`;
    }
  }
  return null;
}

/**
 * Tests of instructions outside eBPF as RFC 9669 and Linux define it: `callx` (0x8d, call the
 * helper whose id is in a register) is a uBPF/LLVM extension the kernel rejects as an unknown
 * opcode, so no engine here can be expected to run it.
 */
export function notEbpf(insns: readonly Insn[]): string | null {
  const at = insns.findIndex((i) => i.code === (op.BPF_JMP | op.BPF_CALL | op.BPF_X));
  return at >= 0 ? `callx (opcode 0x8d at pc ${at}) is a uBPF extension, not RFC 9669 / Linux eBPF` : null;
}

/** The VM engine: load checks, then one run with r1 = mem, r2 = its length. */
export const vmEngine: Engine = (program, mem) => {
  const bad = loadCheck(program.insns);
  if (bad) return { error: bad };
  let vm: Vm;
  try { vm = new Vm(program, { maxSteps: 1_000_000 }); } catch (e) { return { error: e instanceof Error ? e.message : String(e) }; }
  const r = vm.run({ mem: mem.slice(), entry: 'mem' });
  if (r.fault) return { error: r.fault.message };
  if (r.error) return { error: r.error.message };
  return { r0: r.r0 };
};

/**
 * Tests in ../shared/ubpf-tests that exercise uBPF itself rather than eBPF: its private test
 * helpers (ids 0..5 mean other functions there than in Linux), its unwind extension, its
 * load API and its own limits. Keyed by path suffix.
 */
export const UBPF_PRIVATE: readonly (readonly [string, string])[] = [
  ['helpers/call.data', 'uBPF test helper gather_bytes (#0; Linux has no helper 0)'],
  ['helpers/call-memfrob.data', 'uBPF test helper memfrob (#1; Linux #1 is map_lookup_elem)'],
  ['helpers/call-save.data', 'uBPF test helper gather_bytes (#0) checking its register saving'],
  ['stack2.data', 'uBPF test helpers memfrob (#1) and gather_bytes (#0)'],
  ['string-stack.data', 'uBPF test helper strcmp_ext (#4; Linux #4 is probe_read)'],
  ['extensions/call_unwind.data', 'uBPF unwind extension (helper #5 stops the program when r1 = 0; Linux #5 is ktime_get_ns)'],
  ['reload.data', "uBPF's load API (loading code twice into one VM)"],
  ['errors/err-too-many-instructions.data', "uBPF's 65536-instruction limit (Linux accepts up to 1M for privileged loads)"],
  ['errors/err-unknown-opcode.data', 'opcode 0x06 is JMP32|JA (gotol), valid in RFC 9669 and Linux; uBPF predates it'],
];

export interface ConformanceRunOptions {
  /** The test's file path (for the uBPF-private list). */
  path?: string;
}

/** Runs one parsed test on `engine`. */
export async function runConformanceTest(test: ConformanceTest, name: string, engine: Engine, opts: ConformanceRunOptions = {}): Promise<ConformanceOutcome> {
  const path = (opts.path ?? name).replace(/\\/g, '/');
  const priv = UBPF_PRIVATE.find(([suffix]) => path === suffix || path.endsWith(`/${suffix}`));
  if (priv) return { status: 'skip', reason: `not eBPF: ${priv[1]}` };
  const program: Program = makeProgram({ name, section: '', type: 'socket_filter', insns: test.insns, maps: [], license: 'GPL' });
  const expectError = test.error !== undefined || test.errorPattern !== undefined;
  if (!expectError && test.result === undefined && test.raw) {
    // an encoding test (uBPF's alu.data, jmp.data, ...): the assembly must give exactly the raw words
    const a = encodeInsns(test.insns), b = encodeInsns(test.raw);
    const same = a.length === b.length && a.every((x, i) => x === b[i]);
    return same ? { status: 'pass', reason: 'encoding test: -- asm assembles to -- raw' } : { status: 'fail', reason: 'encoding test: -- asm does not assemble to -- raw' };
  }
  if (test.insns.length === 0) return expectError ? { status: 'pass' } : { status: 'fail', reason: 'empty program' };
  const why = notEbpf(test.insns);
  if (why) return { status: 'skip', reason: why };
  const run = await engine(program, test.mem);
  if (run.skip) return { status: 'skip', reason: run.skip };
  if (expectError) {
    if (run.error !== undefined) return { status: 'pass', reason: run.error };
    return { status: 'fail', reason: `expected an error (${test.error ?? test.errorPattern}), got r0=0x${(run.r0 ?? 0n).toString(16)}` };
  }
  if (run.error !== undefined) return run.refused ? { status: 'skip', reason: run.error } : { status: 'fail', reason: run.error };
  if (test.result === undefined) return { status: 'fail', reason: 'test has no -- result' };
  if (run.r0 === test.result) return { status: 'pass', r0: run.r0 };
  return { status: 'fail', reason: `r0=0x${(run.r0 ?? 0n).toString(16)}, expected 0x${test.result.toString(16)}`, r0: run.r0 ?? 0n };
}
