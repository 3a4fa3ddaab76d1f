/**
 * The kernel oracle: bpflab against the running kernel's verifier and BPF_PROG_TEST_RUN.
 *
 * - bpflab accepts what the kernel rejects: a soundness suspect (`bpflab-accepts:<kernel message>`).
 * - bpflab rejects what the kernel accepts: a precision gap (`bpflab-rejects:<bpflab kind>`),
 *   except exploration limits (bpflab fuzzes with a lower cap than the kernel's).
 * - both accept: the VM and the kernel must agree on r0 (low 32 bits: test runs report u32; not
 *   when the verifier saw a pointer in r0 at an exit), the packet and the array/hash/lru_hash maps, for
 *   programs without time- or CPU-dependent helpers.
 */
import type { Program } from '../../isa/program.js';
import { LoadedProgram, kernelAvailable, progLoad, runInKernel, syscallDeadlineUnavailable, withSyscallDeadline, type KernelRunResult } from '../../kernel/index.js';
import { closeFd } from '../../kernel/index.js';
import * as op from '../../isa/opcodes.js';
import { validateInsns } from '../../isa/decode.js';
import { type Engine, vmEngine } from '../engines.js';
import type { Finding } from '../finding.js';
import { type FuzzInput, hex, materialize } from '../generators/inputs.js';
import { FUZZ_MAX_STEPS, FUZZ_VERIFY_OPTIONS, type FuzzCase, type Oracle, type VerifyFn } from './types.js';
import type { VerifyResult } from '../../verifier/index.js';
import { InputError } from '../../isa/errors.js';
import { verify as realVerify } from '../../verifier/index.js';
import { budgetLeftMs, checkBudget } from '../budget.js';
import { loadKernelBtf } from '../../loader/core.js';

/** Helpers whose results depend only on the program's inputs (map ops, skb_load_bytes, dynptr_from_mem/read/write/data). */
const DETERMINISTIC_HELPERS = new Set([1, 2, 3, 26, 197, 201, 202, 203]);
/**
 * kfuncs likewise (the dynptr family over local memory and the packet); any other kfunc call makes a
 * run incomparable. Not the `bool` ones (bpf_dynptr_is_null, bpf_dynptr_is_rdonly): a kernel
 * function returns a bool in %al and leaves the rest of %rax as it was (x86-64 ABI), the verifier
 * calls R0 unknown, and clang masks it (`r0 &= 1`); the VM returns 0 or 1 (fuzz finding: VM 0,
 * kernel 0xffffff00).
 */
const DETERMINISTIC_KFUNCS = new Set(['bpf_dynptr_size', 'bpf_dynptr_adjust', 'bpf_dynptr_slice', 'bpf_dynptr_from_xdp', 'bpf_dynptr_from_skb']);

/** The name of the running kernel's BTF function `id` (a kfunc call's imm), or undefined. */
function kfuncName(id: number): string | undefined {
  try { return loadKernelBtf().type(id)?.name; } catch { return undefined; }
}
/** Program types BPF_PROG_TEST_RUN runs with a packet. */
const RUNNABLE = new Set(['socket_filter', 'sched_cls', 'sched_act', 'xdp']);
/** bpflab rejections that are exploration budgets, not judgements. */
const BUDGET_KINDS = new Set(['too_large', 'too_complex', 'unsupported']);

/** The kernel verifier's error line: the last log line that is not a statistic. */
export function kernelMessage(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter((l) => l && !/^processed \d+ insns/.test(l) && !/^verification time/.test(l) && !/^stack depth/.test(l));
  return lines[lines.length - 1] ?? '(no message)';
}

/** pc of the last instruction line ("12: (bf) ...") in a level-1 log, or -1. */
export function kernelErrorPc(log: string): number {
  const m = [...log.matchAll(/^(\d+): \([0-9a-f]{2}\)/gm)];
  const last = m[m.length - 1];
  return last ? Number(last[1]) : -1;
}

/** A message with numbers and register names abstracted, for deduplication. */
const normalize = (msg: string): string =>
  msg.replace(/\([^)]*\)/g, '').replace(/\bR\d+/g, 'R').replace(/[-+]?\b(0x[0-9a-f]+|\d+)\b/gi, 'N').replace(/N([+-]?N)+/g, 'N').replace(/\s+/g, ' ').trim().slice(0, 60);

function deterministic(p: Program): boolean {
  for (const i of p.insns)
    if (i.code === (op.BPF_JMP | op.BPF_CALL)) {
      if (i.src === 0 && !DETERMINISTIC_HELPERS.has(i.imm)) return false;
      if (i.src === op.BPF_PSEUDO_KFUNC_CALL && (i.off !== 0 || !DETERMINISTIC_KFUNCS.has(kfuncName(i.imm) ?? ''))) return false;
    }
  return true;
}

/** Map types whose contents are compared: one value per key (lru_hash too: bpflab evicts as the kernel does, finding 7f779d). */
const COMPARED_MAPS = new Set(['array', 'hash', 'lru_hash']);
const sortedMaps = (p: Program, lines: readonly string[]): string =>
  lines.filter((l) => { const i = p.maps.findIndex((m) => l.startsWith(`${m.name} `)); const t = p.maps[i]?.type; return t !== undefined && COMPARED_MAPS.has(t); }).sort().join('\n');

function kernelMapLines(p: Program, r: KernelRunResult): string[] {
  const out: string[] = [];
  for (const m of r.maps) for (const [k, v] of m.entries) out.push(`${m.name} ${hex(k)}=${hex(v)}`);
  void p;
  return out;
}

/** Whether BPF_PROG_TEST_RUN can run `p` with results comparable to the VM's (packet types, deterministic helpers). */
export function kernelComparable(p: Program): boolean {
  return RUNNABLE.has(p.type) && deterministic(p);
}

/**
 * Runs an accepted program on the VM and in the kernel with the same input: the first difference
 * in r0 (low 32 bits), the packet or the array/hash maps, or null (also when either cannot run it).
 */
export function kernelResultDiff(p: Program, input: FuzzInput, vm: Engine, notes?: Set<string>, r0Pointer = false, loaded?: LoadedProgram): { kind: string; message: string; r0?: string } | null {
  const ci = materialize(p, input);
  const mine = vm(p, ci, { maxSteps: FUZZ_MAX_STEPS });
  if (!mine.ok || mine.res.fault || mine.res.error) return null; // the sanitize oracle reports these
  let k: KernelRunResult;
  try {
    const run = { ...(ci.packet && { data: ci.packet }), fill: ci.fills.map((f) => ({ map: f.map, key: f.key, value: f.value })) };
    // (the verdict's load and maps serve every input when the maps can be reset between runs)
    k = withSyscallDeadline(budgetLeftMs(), () => (loaded?.reusable ? loaded.run(run) : runInKernel(p, { ...run, logLevel: 0 })));
  } catch (e) {
    notes?.add(`kernel: test run failed (${(e as Error).message.split('\n')[0]})`);
    return null;
  }
  if (!k.run) return null;
  const r0 = Number(mine.res.r0 & 0xffffffffn);
  // A pointer returned in R0 (root may) is an address, the machine's own on each side.
  if (!r0Pointer && r0 !== k.run.retval) return { kind: 'result:r0', message: `r0 differs: VM ${r0}, kernel ${k.run.retval}`, r0: String(k.run.retval) };
  if (mine.res.packet && k.run.dataOut && hex(mine.res.packet) !== hex(k.run.dataOut))
    return { kind: 'result:packet', message: 'the packet after the run differs between the VM and the kernel' };
  const a = sortedMaps(p, mine.maps), b = sortedMaps(p, kernelMapLines(p, k));
  if (a !== b) return { kind: 'result:maps', message: 'map contents after the run differ between the VM and the kernel' };
  return null;
}

export function kernelOracle(opts: { vm?: Engine; results?: boolean; verify?: VerifyFn } = {}): Oracle {
  const vm = opts.vm ?? vmEngine;
  const verify = opts.verify ?? realVerify;
  const compareResults = opts.results ?? true;
  const notes = new Set<string>();
  return {
    name: 'kernel',
    notes,
    unavailable: () => { const k = kernelAvailable(); return k.ok ? null : k.reason; },
    check(c, cx) {
      const v = cx.verdict();
      const p = c.program;
      let loaded: LoadedProgram;
      if (Number.isFinite(budgetLeftMs())) {
        const why = syscallDeadlineUnavailable();
        if (why) notes.add(`kernel: loads past the program budget cannot be interrupted here (${why})`);
      }
      try {
        // (a verification the kernel would spend minutes on is interrupted at the program's budget)
        loaded = withSyscallDeadline(budgetLeftMs(), () => LoadedProgram.load(p, { logLevel: 0 }));
      } catch (e) {
        if (e instanceof InputError) return null; // e.g. a mutant referring to a map it does not declare: nothing to load
        throw e;
      }
      try {
        return compare(c, v, loaded);
      } finally {
        loaded.close();
      }
    },
  };

  /** The verdicts compared, then (both accepting) the runs, with the verdict's load serving the runs. */
  function compare(c: FuzzCase, v: VerifyResult, loaded: LoadedProgram): Finding | null {
    const p = c.program;
    const load = loaded.load;
    checkBudget('kernel-load');
    // A load a signal kept interrupting (do_check answers EAGAIN when a signal is pending; a
    // profiler's SIGPROF does that) has no verdict: nothing to compare.
    if (load.errno === 'EAGAIN' || load.errno === 'EINTR') return null;
    // Root loads with CAP_PERFMON, which lets uninitialised stack reads through and prunes with
    // allow_uninit_stack (an explored STACK_MISC byte matches anything): the campaign verifies
    // with the unprivileged rule (runs stay comparable), so a rejection is re-checked as root.
    const relaxed = v.verdict === 'reject' && load.verdict === 'accept';
    if (relaxed) v = verify(p, { ...FUZZ_VERIFY_OPTIONS, allowUninitStack: true });
    const base = { oracle: 'kernel' as const, program: p, verdict: v.verdict, kernel: load.verdict };
    if (v.verdict === 'accept' && load.verdict === 'reject') {
      // bpflab's loader refuses malformed encodings (e.g. ld_imm64 reserved fields) before the verifier, as the kernel does;
      // r11..r15 are the verifier's to judge (where reached), so they do not hide a difference
      try { validateInsns(p.insns, { registers: false }); } catch { return null; }
      const detail = withSyscallDeadline(budgetLeftMs(), () => progLoad(p, { logLevel: 1 }));
      if (detail.fd !== null) closeFd(detail.fd);
      const msg = kernelMessage(detail.log || load.log);
      // The kernel flagging its own inconsistency on the way ("verifier bug: REG INVARIANTS VIOLATION ...")
      // is one finding whatever the unsafe access it then reached: kind by that report, not the last line.
      const own = /verifier bug: ([A-Z][A-Z ]+[A-Z])/.exec(detail.log);
      return {
        ...base, kind: own ? `kernel-verifier-bug:${own[1]}` : `bpflab-accepts:${normalize(msg)}`, pc: kernelErrorPc(detail.log),
        message: `bpflab accepts, the kernel rejects (${load.errno}): ${msg}${own ? ` (after the kernel reported "verifier bug: ${own[1]}")` : ''}`,
      } satisfies Finding;
    }
    if (v.verdict === 'reject' && load.verdict === 'accept') {
      const e = v.error!;
      if (BUDGET_KINDS.has(e.kind)) return null;
      return { ...base, kind: `bpflab-rejects:${e.kind}`, pc: e.pc, message: `bpflab rejects (${e.message}), the kernel accepts` } satisfies Finding;
    }
    // (uninitialised stack bytes are zero on the VM and arbitrary in the kernel: no result comparison then)
    // (nor when a path branches on or computes with an address: each side has its own addresses)
    if (v.verdict !== 'accept' || relaxed || !compareResults || v.usesAddress || !kernelComparable(p)) return null;
    for (const input of c.inputs) {
      checkBudget('kernel-run');
      const d = kernelResultDiff(p, input, vm, notes, v.r0Pointer === true, loaded);
      if (d) return { ...base, input, ...d, pc: -1, expect: 'accept' };
    }
    return null;
  }
}

/**
 * Adds the running kernel's verdict to a finding that lacks it (when the kernel is available), and
 * makes it the entry's expectation: for a sanitize finding the kernel tells a verifier bug (kernel
 * rejects) from a VM modelling bug (kernel accepts too).
 */
export function withKernelVerdict(f: Finding): Finding {
  // (a slow finding's program may be what the kernel is slow on)
  if (f.kernel !== undefined || f.kind.startsWith('slow:') || !kernelAvailable().ok) return f;
  try {
    const load = progLoad(f.program, { logLevel: 0 });
    if (load.fd !== null) closeFd(load.fd);
    return { ...f, kernel: load.verdict, expect: load.verdict };
  } catch {
    return f;
  }
}
