/**
 * bpflab's verifier: decides, as the Linux verifier does, whether a program is safe, and says
 * why not in the kernel's words. `verify(program, options)` is the whole public surface; the
 * CFG, error kinds and options are re-exported for reports and tools.
 */
import { performance } from 'node:perf_hooks';
import { checkInsn } from '../isa/validate.js';
import * as op from '../isa/opcodes.js';
import type { Program, ProgType } from '../isa/program.js';
import { buildCfg, checkSubprogs, findSubprog, isTailCall, type Cfg, type CheckedSubprogs } from './cfg.js';
import { Env } from './env.js';
import { Reject, type VerifierError } from './error-kinds.js';
import { currentPath, explore, stackDepths, subprogStackDepths } from './explore.js';
import { markFastcallPatterns, type CallSummarizer, type CallSummary } from './fastcall.js';
import { checkMaxStackDepth } from './stack-depth.js';
import { liveRegisters } from './liveness.js';
import { kfuncBtfProblem, kfuncSummary } from './kfuncs.js';
import { helperProtoFor } from '../runtime/helpers/prototypes.js';
import { readTargetBtf, RUNNING_KERNEL_BTF } from '../loader/target.js';
import type { Btf } from '../loader/btf/index.js';
import { mapProgIncompatibility } from './map-record.js';
import { pseudoBtfId } from './btf-access.js';
import { subprogsMightSleep } from './might-sleep.js';
import { usableFuncInfo } from './global-funcs.js';
import { secondArena } from './arena.js';
import { checkExceptionCbArgs, findExceptionCallback } from './exceptions.js';
import { INSN_LIMIT, type VerifyOptions } from './options.js';
import { collectStates, type StateCollectionOptions, type StateSnapshot } from './snapshot.js';

export { ERROR_KINDS, type ErrorKind, type VerifierError } from './error-kinds.js';
export { buildCfg, type Cfg, type Block, type Subprog, type EdgeKind } from './cfg.js';
export { INSN_LIMIT, type VerifyOptions, type DomainName, type Strategy } from './options.js';
export {
  StateSnapshotter, collectStates, type StateSnapshot, type FrameSnapshot, type RegSnapshot, type ScalarBounds, type StackSlotSnapshot,
  type StateCollectionOptions, type CollectedStates,
} from './snapshot.js';

export interface VerifyResult {
  verdict: 'accept' | 'reject';
  error: VerifierError | null;
  /** Instructions processed (the kernel's insn_processed). */
  processed: number;
  /** Checkpoints stored (total_states). */
  states: number;
  peakStates: number;
  maxStatesPerInsn: number;
  ms: number;
  /** The kernel-format log (with options.log). */
  log?: string | undefined;
  /**
   * Rejections found while exploring: the pcs executed from the entry to the failing
   * instruction along the failing state's history (subprogram pcs included, in execution
   * order, the failing pc last).
   */
  path?: number[] | undefined;
  /** With options.log or options.pathStates: the full state before each pc of `path`, in the log's format. */
  pathStates?: { pc: number; regs: string }[] | undefined;
  /** The control-flow graph (null when the program is structurally invalid before it could be built). */
  cfg: Cfg | null;
  /** Per subprogram, the stack depth the kernel reports (its log's `stack depth` line; see stackDepths). */
  stackDepth?: number[] | undefined;
  /** Accepted with a pointer in R0 at some exit of the main program: R0's value is then an address. */
  r0Pointer?: boolean | undefined;
  /** Accepted, and some path branches on or computes with an address (a pointer's value as a number). */
  usesAddress?: boolean | undefined;
  /**
   * An iterator's buffer extents (prog->aux->max_rdonly_access / max_rdwr_access): the key and
   * value sizes a map must have at least for the iterator to attach to it. Absent when both are 0.
   */
  bufferAccess?: { rdonly: number; rdwr: number } | undefined;
}

/**
 * The kernel's up-front passes, in its order: add_subprog_and_kfunc (kfunc ids, the exception
 * callback, subprogram starts), check_subprogs (jumps inside their subprogram, a last insn that
 * exits or jumps), check_btf_info (LD_ABS and tail calls in subprograms), then
 * resolve_pseudo_ldimm64 (ld_imm64 pairs and their map references, unknown opcodes, LDX reserved
 * fields); check_cfg (buildCfg) comes after. Returns the exception callback's first insn (0:
 * none) and the subprograms check_subprogs found, for the CFG.
 */
function checkEncoding(program: Program): { exceptionCb: number; checked: CheckedSubprogs } {
  const insns = program.insns;
  if (insns.length === 0) throw new Reject(0, 'invalid_insn', 'program has no instructions');
  // bpf_prog_load refuses insn_cnt > BPF_COMPLEXITY_LIMIT_INSNS with E2BIG before the verifier runs (no log).
  if (insns.length > INSN_LIMIT) throw new Reject(0, 'too_large', `E2BIG: program of ${insns.length} insns is longer than ${INSN_LIMIT}`);
  checkKfuncIds(program);
  const exceptionCb = findExceptionCallback(program);
  const checked = checkSubprogs(insns, exceptionCb || undefined);
  // check_btf_info: a load without func_info (none in the object, or BTF the kernel refused) gets
  // check_abnormal_return; with it, check_btf_func's int-return rule.
  if (!program.btf || program.btf.funcInfo.length === 0) checkAbnormalReturn(program, checked);
  else checkScalarReturn(program, checked);
  for (let pc = 0; pc < insns.length; pc++) {
    const ins = insns[pc]!;
    if (ins.code === op.BPF_LD_IMM64) {
      checkLdImm64Encoding(program, pc);
      pc++;
      continue;
    }
    // Up front the kernel refuses only opcodes outside its instruction table and LDX reserved
    // fields; the other field checks happen when exploration reaches the instruction (step()).
    // may_goto (BPF_JMP | BPF_JCOND) is checked when explored (check_cond_jmp_op).
    const bad = ins.code === (op.BPF_JMP | op.BPF_JCOND) ? null : checkInsn(ins);
    if (!bad) continue;
    // Every BPF_STX | BPF_ATOMIC size is in the table; check_atomic judges the rest when reached.
    const atomicOp = op.cls(ins.code) === op.BPF_STX && op.mode(ins.code) === op.BPF_ATOMIC;
    if (bad.kind === 'unknown_opcode' && !atomicOp) throw new Reject(pc, 'invalid_insn', `unknown opcode ${ins.code.toString(16).padStart(2, '0')}`);
    if (op.cls(ins.code) === op.BPF_LDX && bad.kind === 'reserved_field') throw new Reject(pc, 'invalid_insn', bad.reason);
  }
  return { exceptionCb, checked };
}

/**
 * add_subprog_and_kfunc: every kfunc call, reached or not, must name a function with a prototype
 * in the target kernel's BTF (without that BTF the call is judged when exploration reaches it).
 */
function checkKfuncIds(program: Program): void {
  let btf: Btf | string | undefined;
  for (let pc = 0; pc < program.insns.length; pc++) {
    const ins = program.insns[pc]!;
    if (ins.code !== (op.BPF_JMP | op.BPF_CALL) || ins.src !== op.BPF_PSEUDO_KFUNC_CALL || ins.off !== 0) continue;
    // add_kfunc_call leaves id 0 (with off 0) for later: dead code may still hold such a call.
    if (ins.imm === 0) continue;
    btf ??= readTargetBtf(program.targetBtf ?? RUNNING_KERNEL_BTF);
    if (typeof btf === 'string') return;
    const problem = kfuncBtfProblem(btf, ins.imm);
    if (problem) throw new Reject(pc, 'helper_unknown', problem);
  }
}

/** resolve_pseudo_ldimm64 for one pair: its shape, its pseudo source and the map it names. */
function checkLdImm64Encoding(program: Program, pc: number): void {
  const ins = program.insns[pc]!;
  const next = program.insns[pc + 1];
  const fail = (msg: string): never => { throw new Reject(pc, 'invalid_insn', msg); };
  if (!next || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) fail('invalid bpf_ld_imm64 insn');
  // (no dst check here: resolve_pseudo_ldimm64 has none; check_ld_imm checks it when the pair is reached)
  switch (ins.src) {
    case 0:
    case op.BPF_PSEUDO_FUNC:
      return;
    case op.BPF_PSEUDO_BTF_ID: {
      if (next!.imm !== 0) fail(`module BTF objects (fd ${next!.imm}) are not modelled by bpflab`);
      // check_pseudo_btf_id runs here, up front, reached or not (without the target's BTF it waits for exploration).
      const btf = readTargetBtf(program.targetBtf ?? RUNNING_KERNEL_BTF);
      const k = typeof btf === 'string' ? undefined : pseudoBtfId(btf, ins.imm, program.targetBtf);
      if (typeof k === 'string') fail(k);
      return;
    }
    case op.BPF_PSEUDO_MAP_FD:
    case op.BPF_PSEUDO_MAP_IDX:
      if (next!.imm !== 0) fail('unrecognized bpf_ld_imm64 insn');
      break;
    case op.BPF_PSEUDO_MAP_VALUE:
    case op.BPF_PSEUDO_MAP_IDX_VALUE:
      break;
    default:
      fail('unrecognized bpf_ld_imm64 insn');
  }
  // bpflab has no fd_array: a map index (src 5/6) cannot be resolved, as in a load without one.
  if (ins.src === op.BPF_PSEUDO_MAP_IDX || ins.src === op.BPF_PSEUDO_MAP_IDX_VALUE) fail('fd_idx without fd_array is invalid');
  // A raw file descriptor (no relocation) names no map bpflab knows.
  const raw = program.rawMapFds?.includes(pc) === true;
  const m = ins.imm >= 0 && !raw ? program.maps[ins.imm] : undefined;
  if (!m) fail(`fd ${ins.imm} is not pointing to valid bpf_map`);
  // __add_used_map: one arena per program (before the program-type compatibility check).
  const second = secondArena(program, ins.imm);
  if (second) throw new Reject(pc, 'invalid_insn', second);
  const incompatible = mapProgIncompatibility(program, m!);
  if (incompatible) throw new Reject(pc, 'map_prog_type', incompatible);
  if (ins.src === op.BPF_PSEUDO_MAP_VALUE) {
    const off = next!.imm >>> 0;
    if (off >= 1 << 29) fail(`direct value offset of ${off} is not allowed`);
    if (m!.type === 'arena') {
      // arena_map_direct_value_addr: any offset inside the arena's user range (max_entries pages).
      if (off > m!.maxEntries * ARENA_PAGE_SIZE) throw new Reject(pc, 'map_value_oob', `invalid access to map value pointer, value_size=${m!.valueSize} off=${off}`);
      return;
    }
    if (m!.type !== 'array') fail('no direct value access support for this map type');
    // array_map_direct_value_addr: only a single-element array has one value to point at (-ENOTSUPP).
    if (m!.maxEntries !== 1 || off >= m!.valueSize) throw new Reject(pc, 'map_value_oob', `invalid access to map value pointer, value_size=${m!.valueSize} off=${off}`);
  }
}

/**
 * check_abnormal_return: without BTF func_info the kernel refuses LD_ABS/LD_IND and tail calls
 * outside the main program (both can leave the whole program from inside a subprogram).
 */
function checkAbnormalReturn(program: Program, cfg: CheckedSubprogs): void {
  for (let i = 1; i < cfg.subprogs.length; i++) {
    const s = cfg.subprogs[i]!;
    for (let pc = s.start; pc < s.end; pc++) {
      if (cfg.second[pc]) continue;
      const ins = program.insns[pc]!;
      const c = op.cls(ins.code);
      if (c === op.BPF_LD && (op.mode(ins.code) === op.BPF_ABS || op.mode(ins.code) === op.BPF_IND))
        throw new Reject(pc, 'subprog', 'LD_ABS is not allowed in subprogs without BTF');
      if (isTailCall(ins))
        throw new Reject(pc, 'subprog', 'tail_call is not allowed in subprogs without BTF');
    }
  }
}

/**
 * check_btf_func: a subprogram that can leave the whole program (LD_ABS, tail calls) must return
 * an int, so that the value it leaves with means something.
 */
function checkScalarReturn(program: Program, cfg: CheckedSubprogs): void {
  const fis = usableFuncInfo(program, cfg);
  if (!fis) return;
  for (let i = 1; i < cfg.subprogs.length; i++) {
    if (fis[i]!.scalarReturn !== false) continue;
    const s = cfg.subprogs[i]!;
    for (let pc = s.start; pc < s.end; pc++) {
      if (cfg.second[pc]) continue;
      const ins = program.insns[pc]!;
      if (op.cls(ins.code) === op.BPF_LD && (op.mode(ins.code) === op.BPF_ABS || op.mode(ins.code) === op.BPF_IND))
        throw new Reject(pc, 'subprog', "LD_ABS is only allowed in functions that return 'int'.");
    }
    for (let pc = s.start; pc < s.end; pc++) {
      const ins = program.insns[pc]!;
      if (!cfg.second[pc] && isTailCall(ins))
        throw new Reject(pc, 'subprog', "tail_call is only allowed in functions that return 'int'.");
    }
  }
}

/**
 * do_check_subprogs: after the main program, every global subprogram some verified path called
 * is verified on its own, once; those may call further globals, so repeat until none is new.
 */
function verifyGlobalSubprogs(env: Env): void {
  const done = new Uint8Array(env.globals.length);
  // The exception callback is presumed to be always called.
  if (env.exceptionCb) env.globalCalled[env.exceptionCb] = 1;
  for (let again = true; again;) {
    again = false;
    for (let i = 1; i < env.globals.length; i++) {
      const g = env.globals[i];
      if (!g || !env.globalCalled[i] || done[i]) continue;
      env.log?.line(`Validating ${g.name}() func#${i}...`);
      // btf_prepare_func_args: a signature the kernel cannot use fails the function itself.
      if (!g.params) throw new Reject(env.cfg.subprogs[i]!.start, 'subprog', g.paramError ?? `arg types of ${g.name}() cannot be determined`);
      if (i === env.exceptionCb) checkExceptionCbArgs(env, i);
      explore(env, i);
      env.log?.line(`Func#${i} ('${g.name}') is safe for any args that match its prototype`);
      done[i] = 1;
      again = true;
    }
  }
}

/** Kfuncs with KF_FASTCALL that the verifier inlines (verifier_inlines_kfunc_call). */
/** The arena's page size (bpf_arena: max_entries counts pages). */
const ARENA_PAGE_SIZE = 4096;

const FASTCALL_KFUNCS = new Set(['bpf_cast_to_kern_ctx', 'bpf_rdonly_cast']);
/** Helpers with allow_fastcall that x86-64 inlines (verifier_inlines_helper_call). */
const FASTCALL_HELPERS = new Set([8 /* get_smp_processor_id */]);

/**
 * Helper call summaries per program type, indexed by helper id (null: no prototype). They depend
 * on the static prototype tables only, so each is made once per process rather than per call of
 * every verification (liveness and the fastcall patterns ask for each helper call).
 */
const helperSummaries = new Map<ProgType, (CallSummary | null | undefined)[]>();

function makeHelperSummary(id: number, type: ProgType): CallSummary | null {
  const proto = helperProtoFor(id, type);
  return proto ? { numParams: proto.args.length, isVoid: proto.ret === 'RET_VOID', fastcall: FASTCALL_HELPERS.has(id) } : null;
}

function helperSummary(id: number, type: ProgType): CallSummary | undefined {
  if (!(id >= 0 && id < 1024)) return makeHelperSummary(id, type) ?? undefined;
  let byId = helperSummaries.get(type);
  if (!byId) helperSummaries.set(type, (byId = []));
  let s = byId[id];
  if (s === undefined) byId[id] = s = makeHelperSummary(id, type);
  return s ?? undefined;
}

/** get_call_summary for helpers (their prototype) and kfuncs (their BTF prototype). */
function callSummarizer(program: Program): CallSummarizer {
  let btf: Btf | string | undefined;
  return (ins) => {
    if (ins.src === op.BPF_PSEUDO_KFUNC_CALL) {
      if (ins.off !== 0) return undefined;
      btf ??= readTargetBtf(program.targetBtf ?? RUNNING_KERNEL_BTF);
      if (typeof btf === 'string') return undefined;
      const k = kfuncSummary(btf, ins.imm);
      return k && { numParams: k.numParams, isVoid: k.isVoid, fastcall: FASTCALL_KFUNCS.has(k.name) };
    }
    if (ins.src !== 0) return undefined;
    return helperSummary(ins.imm, program.type);
  };
}

/** Verifies one program. Never throws for a bad program: the verdict says why. */
export function verify(program: Program, options: VerifyOptions = {}): VerifyResult {
  const t0 = performance.now();
  let cfg: Cfg | null = null;
  let env: Env | null = null;
  let error: VerifierError | null = null;
  let failPath: ReturnType<typeof currentPath> | null = null;
  /** Every path was verified: a rejection now is a whole-program check, with no failing path. */
  let afterPaths = false;
  try {
    if (program.loadError) throw new Reject(program.loadError.pc, 'load_error', program.loadError.message);
    const { exceptionCb, checked } = checkEncoding(program);
    cfg = buildCfg(program.insns, { checked, ...(options.rejectLoops ? { rejectLoops: true } : {}), ...(exceptionCb ? { exceptionCb } : {}) });
    const summarize = callSummarizer(program);
    const live = liveRegisters(program.insns, cfg, (ins) => summarize(ins)?.numParams);
    env = new Env(program, cfg, live, options);
    // check_attach_btf_id: a syscall program runs from bpf(BPF_PROG_RUN), in process context
    if (program.type === 'syscall' && !env.sleepable) throw new Reject(0, 'invalid_insn', 'Syscall programs can only be sleepable');
    // check_attach_btf_id runs before the paths: a struct_ops program's struct and member first.
    if (program.type === 'struct_ops') env.structOpsTarget();
    if (exceptionCb) env.exceptionCb = findSubprog(cfg.subprogs, exceptionCb);
    env.fastcall = markFastcallPatterns(program.insns, cfg.subprogs, summarize);
    env.mightSleepAnalysis = subprogsMightSleep;
    explore(env);
    verifyGlobalSubprogs(env);
    afterPaths = true;
    checkMaxStackDepth(env, subprogStackDepths(env));
    if (env.zeroKfuncCall >= 0) throw new Reject(env.zeroKfuncCall, 'helper_unknown', 'invalid kernel function call not eliminated in verifier pass');
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    error = { pc: e.pc, message: e.message, kind: e.kind };
    if (env?.cur && !afterPaths) failPath = currentPath(env, e.pc);
    env?.log?.line(e.message);
    for (const l of e.after) env?.log?.line(l);
  }
  const processed = env?.insnProcessed ?? 0;
  const ms = performance.now() - t0;
  // Every field present, in one order (absent ones undefined): one hidden class for all results,
  // where fields added as they apply made one per combination for the callers' optimised code.
  const res: VerifyResult = {
    verdict: error ? 'reject' : 'accept',
    error,
    processed,
    states: env?.totalStates ?? 0,
    peakStates: env?.peakStates ?? 0,
    maxStatesPerInsn: env?.maxStatesPerInsn ?? 0,
    ms,
    log: undefined,
    path: failPath ? failPath.path : undefined,
    pathStates: failPath?.states ? failPath.states : undefined,
    cfg,
    stackDepth: env ? stackDepths(env, { pathsVerified: afterPaths, accepted: !error }) : undefined,
    r0Pointer: env?.exitR0Pointer ? true : undefined,
    usesAddress: env?.usesAddress ? true : undefined,
    bufferAccess: env && (env.maxRdonlyAccess || env.maxRdwrAccess) ? { rdonly: env.maxRdonlyAccess, rdwr: env.maxRdwrAccess } : undefined,
  };
  if (options.log) {
    const log = env?.log;
    let text = log ? log.text() : error ? error.message + '\n' : '';
    if (res.stackDepth) text += `stack depth ${res.stackDepth.join('+')}\n`;
    text += `processed ${processed} insns (limit ${env?.insnLimit ?? 1000000}) max_states_per_insn ${res.maxStatesPerInsn} total_states ${res.states} peak_states ${res.peakStates} mark_read 0\n`;
    res.log = text;
  }
  return res;
}

/** A verification result with the abstract states before instructions, as data (see collectStates). */
export interface VerifyWithStatesResult extends VerifyResult {
  /** Per instruction, the state before it on each path explored through it, in visit order. */
  insnStates: Map<number, StateSnapshot[]>;
  /** The collection stopped at its limit. */
  statesTruncated: boolean;
}

/** `verify`, keeping the abstract state before each (or each chosen) instruction as data. */
export function verifyWithStates(program: Program, options: VerifyOptions = {}, collect: StateCollectionOptions = {}): VerifyWithStatesResult {
  const { options: withHook, collected } = collectStates(program, options, collect);
  const r = verify(program, withHook);
  return { ...r, insnStates: collected.states, statesTruncated: collected.truncated };
}
