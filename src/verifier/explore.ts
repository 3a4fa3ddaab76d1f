/**
 * Path exploration (the kernel's do_check): follow one path instruction by instruction with the
 * state mutated in place, push the other side of every undecided branch on a work stack, and
 * at prune points end a path whose state a finished, explored state subsumes. Loops are
 * explored by unrolling, bounded by the processed-instruction limit. The `join` strategy
 * instead keeps one joined (and eventually widened) state per loop head.
 */
import { type Insn, withInsn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { pseudoBtfId } from './btf-access.js';
import { checkKfuncCall, isIterNextKfunc } from './kfuncs.js';
import { checkMayGoto, isMayGoto, iterArgActive, markIterNextCalls } from './iterators.js';
import { isInfiniteLoop } from './loop-check.js';
import { sameBucket } from './state-buckets.js';
import { isCallbackCall } from './callbacks.js';
import { markCallbackKfuncCalls } from './graph.js';
import { checkInsn } from '../isa/validate.js';
import { checkAlu } from './alu.js';
import { checkCondJmp } from './branch.js';
import { depthsWithoutFastcallSpills } from './fastcall.js';
import { checkExit, checkHelperCall, checkLdAbs, checkSubprogCall, checkTailCallExit } from './calls.js';
import { globalEntryRegs, usableFuncInfo } from './global-funcs.js';
import type { Env } from './env.js';
import { joinStates } from './join.js';
import { checkCallWhileLocked } from './locks.js';
import { checkMemAccess, checkPtrAlignment } from './memory.js';
import { markAllImprecise, propagatePrecision } from './precision.js';
import { statesEqual } from './prune.js';
import { SccVisits, computeScc, type Backedge } from './scc.js';
import { MEM_RDONLY, PTR_UNTRUSTED, T, base, mayFaultOnDeref } from './reg-types.js';
import { cloneReg, cloneState, newFrame, newState, type Checkpoint, type Reg, type VState } from './state.js';
import { zeroedI32, zeroedU8 } from './flat-arrays.js';
import { findSubprog } from './cfg.js';

/** Per pc of the exploration running now: 1 once its reserved fields were found valid. */
let fieldsChecked = new Uint8Array(0);

/** Per pc of the program explored now: 1 at iterator `_next` calls (forced checkpoints). */
let iterNext: Uint8Array = new Uint8Array(0);
/** The loops' visits in the exploration running now. */
let loops = new SccVisits(new Int32Array(0));
/** The exploration running now ends paths at equal finished states only (VerifyOptions.prune 'exact'). */
let exactPrune = false;

/** Whether the register links (ids, reference ids, constant-delta offsets) of `o` and `c` are there on both sides or neither. */
const sameLink = (o: Reg, c: Reg): boolean => !o.id === !c.id && !o.refObjId === !c.refObjId && (!o.id || o.type !== T.SCALAR || o.off === c.off);

/**
 * For prune 'exact', beside the EXACT comparison: that comparison lets an old register without an
 * id cover a current one linked to others, whose later refinements (a branch on one of them, a
 * NULL check) the old one would not share. Registers as statesEqual compares them (live ones),
 * every spilled one.
 */
function sameLinks(env: Env, old: VState, cur: VState, pc: number): boolean {
  const n = old.frames.length;
  for (let fi = 0; fi < n; fi++) {
    const of = old.frames[fi]!, cf = cur.frames[fi]!;
    const live = fi === n - 1 ? env.live[pc]! | (1 << 10) : (env.live[cur.frames[fi + 1]!.callsite + 1]! & ~0x3f) | (1 << 10);
    for (let r = 0; r <= 10; r++) if ((live & (1 << r)) && !sameLink(of.regs[r]!, cf.regs[r]!)) return false;
    for (let k = Math.min(of.spillLow, cf.spillLow); k < of.spills.length; k++) {
      const o = of.spills[k], c = cf.spills[k];
      if (o && c && !sameLink(o, c)) return false;
    }
  }
  return true;
}

/**
 * Whether the future of a state at some instruction may depend on more than the state: loops
 * that widen scalars by precision and by their earlier visits (callbacks, iterators, may_goto),
 * and kfunc calls (conservatively: some run callbacks). prune 'exact' is off for such programs.
 */
function mayWidenLoops(env: Env): boolean {
  const insns = env.insns;
  for (let pc = 0; pc < insns.length; pc++) {
    const ins = insns[pc]!;
    if (iterNext[pc] || isMayGoto(ins) || isCallbackCall(ins)) return true;
    if (ins.code === (op.BPF_JMP | op.BPF_CALL) && ins.src === op.BPF_PSEUDO_KFUNC_CALL) return true;
    if (ins.code === op.BPF_LD_IMM64 && ins.src === op.BPF_PSEUDO_FUNC) return true;
  }
  return false;
}

/**
 * The stack depth of each subprogram as the kernel reports it ("stack depth 8+16"): the deepest
 * byte touched, in 8-byte slots, less the bpf_fastcall spill area, plus what the rewrites after
 * the depth limits were checked reserve: 24 bytes for inlined bpf_loop calls (optimize_bpf_loop)
 * and 16 bytes in a subprogram with may_goto (do_misc_fixups; x86-64 JITs the timed may_goto: a
 * counter and a timestamp). A rejected program is reported before those rewrites.
 */
export function stackDepths(env: Env, stage: { pathsVerified: boolean; accepted: boolean }): number[] {
  const verified = subprogStackDepths(env, stage.pathsVerified);
  return env.cfg.subprogs.map((sp, i) => {
    let depth = verified[i]!;
    // The rewrites run only on a program that passed every check.
    if (!stage.accepted) return depth;
    // optimize_bpf_loop: an inlined bpf_loop keeps its index, count and context in 3 slots.
    for (const [pc, s] of env.loopInline) if (s.fit && pc >= sp.start && pc < sp.end) { depth += 24; break; }
    for (let pc = sp.start; pc < sp.end; pc++) if (!env.cfg.second[pc] && isMayGoto(env.insns[pc]!)) { depth += 16; break; }
    return depth;
  });
}

/**
 * subprog_info[].stack_depth as check_max_stack_depth sees it: the deepest byte any verified path
 * touched, in 8-byte slots, less the bpf_fastcall spill area the kernel removes.
 */
export function subprogStackDepths(env: Env, pathsVerified = true): number[] {
  const d = env.maxDepth;
  const touched = env.cfg.subprogs.map((_, i) => Math.ceil((d?.[i] ?? 0) / 8) * 8);
  // remove_fastcall_spills_fills runs only once every path was verified.
  return env.fastcall && pathsVerified ? depthsWithoutFastcallSpills(env.fastcall, env.cfg.subprogs, touched) : touched;
}

/** BPF_COMPLEXITY_LIMIT_JMP_SEQ: pending branches at once. */
const JMP_SEQ_LIMIT = 8192;

interface JoinEntry {
  st: VState;
  joins: number;
}

/**
 * The state a verification starts from: the main program with r1 = ctx, or (sub > 0) a global
 * subprogram with its BTF arguments.
 */
export function initialState(env: Env, sub = 0): VState {
  const f = newFrame(env.UNKNOWN, -1, sub);
  const g = sub > 0 ? env.globals[sub] : null;
  if (g) globalEntryRegs(env, f.regs, g);
  else {
    for (const r of f.regs) env.markNotInit(r);
    env.markPtr(f.regs[1]!, T.PTR_TO_CTX);
    env.markPtr(f.regs[10]!, T.PTR_TO_STACK);
  }
  const pc = env.cfg.subprogs[sub]?.start ?? 0;
  return newState(f, pc, -1, !!env.trail);
}

/**
 * The instructions from the entry to the current state's next instruction along its history
 * (checkpoint chain, then its own), with the states before them when tracked.
 */
export function currentPath(env: Env, failPc: number): { path: number[]; states: { pc: number; regs: string }[] | null } {
  const st = env.cur;
  const chain: Checkpoint[] = [];
  for (let p = st.parent; p; p = p.parent) chain.push(p);
  chain.reverse();
  // Copied into arrays made at their full length (a million pushes to a growing array cost more
  // than the exploration of a long straight path); a spread would exceed the call stack.
  let n = st.hist.length + 1;
  let nS = st.histS?.length ?? 0;
  for (const cp of chain) { n += cp.hist.length; nS += cp.histS?.length ?? 0; }
  const path: number[] = new Array<number>(n);
  const regs: string[] = new Array<string>(nS);
  let at = 0;
  let atS = 0;
  const copy = <X>(to: X[], from: readonly X[], o: number): number => { for (let i = 0; i < from.length; i++) to[o + i] = from[i]!; return o + from.length; };
  for (const cp of chain) { at = copy(path, cp.hist, at); if (cp.histS) atS = copy(regs, cp.histS, atS); }
  at = copy(path, st.hist, at);
  path[at] = failPc;
  if (!st.histS) return { path, states: null };
  atS = copy(regs, st.histS, atS);
  // A rejection before the step (limits, loops) has no state recorded for the failing pc yet.
  if (regs.length < path.length && env.trail) regs.push(env.trail.state(st).trimStart());
  if (regs.length !== path.length) return { path, states: null };
  return { path, states: path.map((pc, i) => ({ pc, regs: regs[i]! })) };
}

/**
 * Explores every path from the entry of subprogram `sub` (0: the main program; otherwise a
 * global subprogram, verified on its own). Explored states are per verification, as the
 * kernel frees them after each do_check_common.
 */
export function explore(env: Env, sub = 0): void {
  const stack: VState[] = [];
  const joins = new Map<string, JoinEntry>();
  const log = env.log;
  // Emptied, not made anew (Env made it): in optimised code `new Array(n)` deoptimises once n
  // passes V8's inline-allocation limit (about 16K elements), and the first program that large
  // in a process would run its whole exploration unoptimised.
  env.explored.fill(undefined);
  fieldsChecked = zeroedU8(env.insns.length);
  // prev_jmps_processed / prev_insn_processed are not reset here: the kernel's do_check_common
  // keeps them from the previous subprogram's pass, so the first prune points of a global
  // subprogram see the jumps and instructions since the last checkpoint of the pass before.
  env.cur = initialState(env, sub);
  log?.newPass();
  env.stackLive.resetCallchain();
  iterNext = markIterNextCalls(env, isIterNextKfunc);
  markCallbackKfuncCalls(env);
  exactPrune = env.opts.prune === 'exact' && !mayWidenLoops(env);
  env.precisionUnused = exactPrune && !env.log;
  const force = env.cfg.forceCheckpoint, insns = env.insns;
  const scc = (env.sccIds ??= computeScc(env.cfg, insns.length, (pc) => force[pc] === 1 && isCallbackCall(insns[pc])));
  loops = new SccVisits(scc);
  const depth = (env.maxDepth ??= new Int32Array(env.cfg.subprogs.length));
  // The kernel reads the main program's BTF signature too and logs why it cannot use it.
  const mainErr = sub === 0 && log ? usableFuncInfo(env.prog, env.cfg)?.[0]?.paramError : undefined;
  if (sub === 0 && log && env.opts.logLevel === 2) logPreamble(env, log, scc);
  if (mainErr) log!.line(mainErr);
  // Log level 2 prints as do_check does: "from A to B" with the whole state after a pop, and
  // before each instruction what the previous ones scratched (on the previous instruction's line
  // when nothing came between), everything after a path ended. Level 1 keeps its own layout.
  const level2 = log !== undefined && log !== null && env.opts.logLevel === 2;
  env.scratchAll = true;
  let printState = !level2;
  /** The last instruction returned from a callee (do_print_state: "from A to B" lines follow). */
  let afterReturn = false;
  loops.log = level2 ? (line) => log.line(line) : undefined;
  env.printInsnState = level2 ? () => {
    const any = env.scratchAll || env.scratched !== 0 || env.scratchedStack.length !== 0;
    log.insnState(env.pc, env.scratchAll ? log.state(env.cur) : log.state(env.cur, false, env.scratched, env.scratchedStack), any);
    env.scratchAll = false;
    env.scratched = 0;
    if (env.scratchedStack.length) env.scratchedStack.length = 0;
  } : undefined;

  const push = (st: VState): void => {
    if (st.parent) st.parent.branches++;
    stack.push(st);
    if (stack.length > JMP_SEQ_LIMIT) env.reject('too_complex', `The sequence of ${stack.length} jumps is too complex.`);
  };
  env.pushBranch = push;
  /** update_branch_counts: the current path is done. */
  const finish = (): void => {
    let p = env.cur.parent;
    while (p) {
      if (--p.branches > 0) break;
      const backedges = loops.exit(p);
      if (backedges) {
        env.numBackedges -= backedges.length;
        propagateBackedges(env, backedges, p);
      }
      // The kernel frees an evicted checkpoint once its last path is done (after its SCC exit).
      maybeFreeCheckpoint(env, p);
      p = p.parent;
    }
  };
  /** Next pending path, or false when exploration is complete. */
  const pop = (): boolean => {
    finish();
    // bpf_update_live_stack: what the ended path read and wrote reaches the checkpoints it came from
    env.stackLive.updateLiveStack(env.cur);
    const st = stack.pop();
    if (!st) return false;
    env.cur = st;
    printState = true;
    env.scratchAll = true;
    return true;
  };

  // Read once: the loop below runs per instruction, and these never change during a pass.
  const prunePoint = env.cfg.prunePoint, jmpPoint = env.cfg.jmpPoint, onInsn = env.opts.onInsn, trail = env.trail, stackLive = env.stackLive;
  for (;;) {
    const st = env.cur;
    const pc = st.pc;
    env.pc = pc;
    if (++env.insnProcessed > env.insnLimit)
      env.reject('too_large', `BPF program is too large. Processed ${env.insnProcessed} insn`);
    if (prunePoint[pc]) {
      if (env.opts.strategy === 'join' && env.cfg.loopHead[pc]) {
        if (joinAtLoopHead(env, joins, pc)) {
          log?.line(printState ? `from ${st.prevPc} to ${pc}: safe` : `${pc}: safe`);
          if (!pop()) break;
          continue;
        }
      } else if (isStateVisited(env, pc)) {
        const from = (printState || afterReturn) && st.prevPc >= 0;
        if (level2 && from) log.line('');
        log?.line(from ? `from ${st.prevPc} to ${pc}: safe` : `${pc}: safe`);
        if (!pop()) break;
        continue;
      }
    }
    if (level2) {
      if (printState) { log.line(''); log.line(`from ${st.prevPc} to ${pc}:${log.state(env.cur)}`); printState = false; }
      env.printInsnState!();
    } else if (log && printState) {
      log.line(st.prevPc >= 0 && st.prevPc !== pc - 1 ? `from ${st.prevPc} to ${pc}:${log.state(env.cur)}` : `${pc}:${log.state(env.cur)}`);
      printState = false;
    }
    log?.insn(pc);
    env.scratched = 0;
    if (env.scratchedStack.length) env.scratchedStack.length = 0;
    env.histExtra = 0;
    const hist = env.cur;
    if (onInsn) onInsn(pc, hist, env.live[pc]!);
    if (trail) hist.histS!.push(trail.state(hist).trimStart());
    // The stack slots one visit of the instruction writes in full narrow its must_write marks.
    stackLive.resetWrites(hist, pc);
    const ins = insns[pc]!;
    const ended = step(env, ins, push);
    stackLive.commitWrites();
    afterReturn = !ended && ins.code === (op.BPF_JMP | op.BPF_EXIT);
    if (afterReturn && level2) {
      // prepare_func_exit printed both frames whole: nothing is left to print for the caller's next instruction
      printState = true;
      env.scratchAll = false;
      env.scratched = 0;
      if (env.scratchedStack.length) env.scratchedStack.length = 0;
    }
    for (const f of hist.frames) if (f.depth > depth[f.subprog]!) depth[f.subprog] = f.depth;
    hist.hist.push(pc);
    hist.histx.push(env.histExtra);
    if (jmpPoint[pc] || env.histExtra) hist.jmpHistory = (hist.jmpHistory ?? 0) + 1;
    if (level2) {
      // what it scratched is printed before the next instruction
      if (env.note !== null) log.line(env.note, env.noteOpen);
    } else if (log) {
      const s = log.state(env.cur, false, env.scratched, env.scratchedStack);
      // A line printed while the instruction ran (a global call) moves its state to a line of its own.
      if (env.note !== null) { log.line(env.note, env.noteOpen); if (s) log.line(`${env.cur.pc}:${s}`); }
      else log.annotate(s);
    }
    env.note = null;
    env.noteOpen = false;
    if (ended || env.cur.pc < 0) {
      if (!pop()) break;
      continue;
    }
    env.cur.prevPc = pc;
  }
}

/** Executes one instruction on env.cur. Returns true when the path ends (exit from main). */
function step(env: Env, ins: Insn, push: (st: VState) => void): boolean {
  const st = env.cur;
  const pc = env.pc;
  const c = op.cls(ins.code);
  // may_goto's fields are checked where it is handled (check_cond_jmp_op).
  if (ins.code !== op.BPF_LD_IMM64 && !isMayGoto(ins)) checkFields(env, ins);
  switch (c) {
    case op.BPF_ALU:
    case op.BPF_ALU64:
      checkAlu(env, ins);
      st.pc = pc + 1;
      return false;
    case op.BPF_LDX: {
      env.readReg(ins.src);
      env.writeReg(ins.dst);
      const size = op.sizeBytes(op.size(ins.code));
      const srcType = env.reg(ins.src).type;
      checkMemAccess(env, ins.src, ins.off, size, 'read', ins.dst, null, 0, op.mode(ins.code) === op.BPF_MEMSX);
      savePtrType(env, srcType, true);
      st.pc = pc + 1;
      return false;
    }
    case op.BPF_ST: {
      const dstType = env.readReg(ins.dst).type;
      checkMemAccess(env, ins.dst, ins.off, op.sizeBytes(op.size(ins.code)), 'write', -1, null, ins.imm, false);
      savePtrType(env, dstType, false);
      st.pc = pc + 1;
      return false;
    }
    case op.BPF_STX: {
      if (op.mode(ins.code) === op.BPF_ATOMIC) { checkAtomic(env, ins); st.pc = pc + 1; return false; }
      const value = env.readReg(ins.src);
      const dstType = env.readReg(ins.dst).type;
      checkMemAccess(env, ins.dst, ins.off, op.sizeBytes(op.size(ins.code)), 'write', -1, value, 0, false);
      savePtrType(env, dstType, false);
      st.pc = pc + 1;
      return false;
    }
    case op.BPF_LD: {
      if (ins.code === op.BPF_LD_IMM64) { checkLdImm64(env, ins); st.pc = pc + 2; return false; }
      if (!checkLdAbs(env, ins, push)) st.pc = pc + 1;
      return false;
    }
    case op.BPF_JMP:
    case op.BPF_JMP32: {
      const o = op.jmpOp(ins.code);
      env.jmpsProcessed++;
      if (o === op.BPF_JA) { st.pc = pc + 1 + (c === op.BPF_JMP32 ? ins.imm : ins.off); return false; }
      if (o === op.BPF_EXIT) return checkExit(env);
      if (o === op.BPF_JCOND) { checkMayGoto(env, ins); return false; }
      if (o === op.BPF_CALL) {
        checkCallWhileLocked(env, ins);
        if (ins.src === op.BPF_PSEUDO_CALL) return checkSubprogCall(env, ins);
        if (ins.src === op.BPF_PSEUDO_KFUNC_CALL) { st.pc = pc + 1; return checkKfuncCall(env, ins.imm, ins.off); }
        checkHelperCall(env, ins);
        if (!checkTailCallExit(env, ins, push)) st.pc = pc + 1;
        return false;
      }
      checkCondJmp(env, ins, push);
      return false;
    }
  }
  env.reject('invalid_insn', `unknown opcode ${ins.code.toString(16).padStart(2, '0')}`);
}

/**
 * What the kernel logs at level 2 before the paths: each subprogram's start (check_subprogs) and
 * the registers live before each instruction with its loop's id (compute_live_registers).
 */
function logPreamble(env: Env, log: NonNullable<Env['log']>, scc: Int32Array): void {
  env.cfg.subprogs.forEach((sp, i) => log.line(`func#${i} @${sp.start}`));
  log.line('Live regs before insn:');
  for (let pc = 0; pc < env.insns.length; pc++) {
    const live = env.live[pc]!;
    let regs = '';
    for (let r = 0; r < 10; r++) regs += live & (1 << r) ? String(r) : '.';
    const id = scc[pc]!;
    log.line(`${id ? String(id).padStart(3) + ' ' : '    '}${String(pc).padStart(3)}: ${regs} ${log.insnText(pc).replace(/^\d+: /, '')}`);
    if (env.insns[pc]!.code === op.BPF_LD_IMM64) pc++;
  }
}

/**
 * Reserved-field checks of an instruction being explored (the kernel makes them in do_check, so
 * dead code is never checked). BPF_EXIT's `off` is not among the fields the kernel checks.
 */
function checkFields(env: Env, ins: Insn): void {
  // The fields of an instruction do not change: check each pc once per exploration.
  if (fieldsChecked[env.pc]) return;
  const isExit = ins.code === (op.BPF_JMP | op.BPF_EXIT);
  const bad = checkInsn(isExit && ins.off !== 0 ? withInsn(ins, { off: 0 }) : ins);
  if (!bad) { fieldsChecked[env.pc] = 1; return; }
  // check_cond_jmp_op reads its destination before it looks at the reserved fields.
  if (bad.kind === 'reserved_field' && isCondJmp(ins)) env.readReg(ins.dst);
  const atomic = op.cls(ins.code) === op.BPF_STX && op.mode(ins.code) === op.BPF_ATOMIC;
  env.reject('invalid_insn', bad.kind === 'unknown_opcode' && !atomic ? `unknown opcode ${ins.code.toString(16).padStart(2, '0')}` : bad.reason);
}

/** A conditional jump (check_cond_jmp_op's instructions other than may_goto). */
function isCondJmp(ins: Insn): boolean {
  const c = op.cls(ins.code), o = op.jmpOp(ins.code);
  return (c === op.BPF_JMP || c === op.BPF_JMP32) && o !== op.BPF_JA && o !== op.BPF_CALL && o !== op.BPF_EXIT && o !== op.BPF_JCOND;
}

function checkLdImm64(env: Env, ins: Insn): void {
  // check_ld_imm: the first slot's offset is reserved.
  if (ins.off !== 0) env.reject('invalid_insn', 'BPF_LD_IMM64 uses reserved fields');
  // check_reg_arg(dst, DST_OP): "R15 is invalid" only here, a dead pair is never checked
  const dst = env.writeReg(ins.dst);
  const hi = env.insns[env.pc + 1]!;
  switch (ins.src) {
    case 0:
      env.markKnown(dst, (BigInt(hi.imm >>> 0) << 32n) | BigInt(ins.imm >>> 0));
      return;
    case op.BPF_PSEUDO_MAP_FD:
    case op.BPF_PSEUDO_MAP_IDX: {
      env.map(ins.imm);
      env.markPtr(dst, T.CONST_PTR_TO_MAP);
      dst.map = ins.imm;
      return;
    }
    case op.BPF_PSEUDO_MAP_VALUE:
    case op.BPF_PSEUDO_MAP_IDX_VALUE: {
      const m = env.map(ins.imm);
      // check_ld_imm: an arena address (an `__arena` global) is a plain number to the verifier.
      if (m.type === 'arena') { env.markUnknown(dst); return; }
      const off = hi.imm >>> 0;
      if (off >= m.valueSize) env.reject('map_value_oob', `invalid access to map value pointer, value_size=${m.valueSize} off=${off}`);
      env.markPtr(dst, T.PTR_TO_MAP_VALUE, off);
      dst.map = ins.imm;
      return;
    }
    case op.BPF_PSEUDO_FUNC: {
      const target = env.pc + 1 + ins.imm;
      // check_ld_imm: callbacks need BTF func_info and must be static functions.
      if (!env.prog.funcInfo?.length) env.reject('subprog', 'missing btf func_info');
      const sub = findSubprog(env.cfg.subprogs, target);
      if (env.globals[sub]) env.reject('subprog', 'callback function not static');
      env.markPtr(dst, T.PTR_TO_FUNC);
      dst.memSize = sub;
      return;
    }
    case op.BPF_PSEUDO_BTF_ID: {
      const k = pseudoBtfId(env.kernelBtf(), ins.imm, env.prog.targetBtf);
      if (typeof k === 'string') env.reject('invalid_insn', k);
      env.markPtr(dst, k.type);
      dst.memSize = k.btfId ?? k.memSize ?? 0;
      return;
    }
    default:
      env.reject('invalid_insn', 'unrecognized bpf_ld_imm64 insn');
  }
}

/**
 * save_aux_ptr_type: a load or store instruction keeps the pointer type it was first verified
 * with, because the kernel rewrites it for that type (ctx field conversion, socket and BTF
 * accesses); another path reaching it with a different kind of pointer is refused. Loads may mix
 * trusted and untrusted BTF pointers (they become untrusted).
 */
function savePtrType(env: Env, type: number, allowTrustMismatch: boolean): void {
  const at = (env.ptrTypeAt ??= zeroedI32(env.insns.length).fill(-1));
  const prev = at[env.pc]!;
  if (prev === -1) { at[env.pc] = type; return; }
  if (type === prev || (mismatchOk(type) && mismatchOk(prev))) return;
  if (allowTrustMismatch && memOrBtfId(type) && memOrBtfId(prev)) { at[env.pc] = mergePtrTypes(type, prev); return; }
  env.reject('invalid_mem_access', 'same insn cannot be used with different pointers');
}

const memOrBtfId = (type: number): boolean => base(type) === T.PTR_TO_MEM || base(type) === T.PTR_TO_BTF_ID;

/**
 * merge_ptr_types (09c447564fca): a load reached with a PTR_TO_MEM and a PTR_TO_BTF_ID, or with a
 * trusted and an untrusted one, keeps the kernel's probe rewrite when either side needs it.
 */
function mergePtrTypes(a: number, b: number): number {
  const toMem = base(a) === T.PTR_TO_MEM || base(b) === T.PTR_TO_MEM;
  const merged = toMem ? T.PTR_TO_MEM : T.PTR_TO_BTF_ID;
  if (mayFaultOnDeref(a) || mayFaultOnDeref(b)) return merged | (toMem ? MEM_RDONLY | PTR_UNTRUSTED : PTR_UNTRUSTED);
  return merged | ((a | b) & MEM_RDONLY);
}

/**
 * reg_type_mismatch_ok: pointer kinds whose accesses are not rewritten per type. Memory that may
 * fault (untrusted PTR_TO_MEM, read through probe instructions) is one that is (6.18.y, f438ba7a4c3e):
 * the same load cannot also see a map value or the stack.
 */
function mismatchOk(type: number): boolean {
  if (mayFaultOnDeref(type)) return false;
  switch (base(type)) {
    case T.PTR_TO_CTX: case T.PTR_TO_SOCKET: case T.PTR_TO_SOCK_COMMON: case T.PTR_TO_TCP_SOCK: case T.PTR_TO_XDP_SOCK: case T.PTR_TO_BTF_ID:
    case T.PTR_TO_ARENA:
      return false;
    default:
      return true;
  }
}

/** BPF_ATOMIC: a read-modify-write of stack, map or kernel memory. */
function checkAtomic(env: Env, ins: Insn): void {
  if (ins.imm === op.BPF_LOAD_ACQ) { checkLoadAcquire(env, ins); return; }
  if (ins.imm === op.BPF_STORE_REL) { checkStoreRelease(env, ins); return; }
  const src = env.readReg(ins.src);
  if (src.type !== T.SCALAR) env.usesAddress = true; // an address becomes part of a value in memory
  const dst = env.readReg(ins.dst);
  if (ins.imm === op.BPF_CMPXCHG) env.readReg(0);
  // atomic_ptr_type_ok: in an arena, the x86 JIT has no fetching and/or/xor (bpf_jit_supports_insn).
  const arenaOk = dst.type === T.PTR_TO_ARENA && ins.imm !== (op.BPF_AND | op.BPF_FETCH) && ins.imm !== (op.BPF_OR | op.BPF_FETCH) && ins.imm !== (op.BPF_XOR | op.BPF_FETCH);
  // Kernel objects too: check_mem_access decides (a struct_ops type's btf_struct_access may allow the write).
  const okType = dst.type === T.PTR_TO_STACK || dst.type === T.PTR_TO_MAP_VALUE || (dst.type & 0xff) === T.PTR_TO_MEM || (dst.type & 0xff) === T.PTR_TO_BTF_ID || arenaOk;
  const size = op.sizeBytes(op.size(ins.code));
  if (!okType) {
    if (dst.type === T.SCALAR) {
      // A scalar passes atomic_ptr_type_ok; check_mem_access then checks the alignment (strict
      // for atomics, pointer_desc "") before it finds the register is no pointer.
      checkPtrAlignment(env, dst, ins.off, size, true);
      env.reject('invalid_mem_access', `R${ins.dst} invalid mem access 'scalar'`);
    }
    env.reject('invalid_mem_access', `BPF_ATOMIC stores into R${ins.dst} ${env.typeStr(dst)} is not allowed`);
  }
  // A pointer operand is a leak only for unprivileged loaders (is_pointer_value without
  // allow_ptr_leaks); what lands in memory is then data, not a spilled pointer.
  // Atomics are always checked for natural alignment (strict_alignment_once); the stack access
  // path checks its own alignment.
  if (dst.type !== T.PTR_TO_STACK) checkPtrAlignment(env, dst, ins.off, size, true);
  const loadTo = ins.imm === op.BPF_CMPXCHG ? 0 : ins.imm & op.BPF_FETCH ? ins.src : -1;
  checkMemAccess(env, ins.dst, ins.off, size, 'read', loadTo, null, 0, false);
  // "check whether we can write into the same memory": value_regno -1, so stack bytes become data
  const written = cloneReg(src);
  written.type = T.SCALAR;
  written.v = env.UNKNOWN;
  written.id = 0;
  checkMemAccess(env, ins.dst, ins.off, size, 'write', -1, written, 0, false, true);
}

/**
 * atomic_ptr_type_ok: what a load-acquire or store-release may address. Not the context, packet
 * or flow keys, and not a socket (the exact types: a socket that may be NULL fails later, in the
 * access itself). x86's JIT supports both in an arena.
 */
function atomicPtrTypeOk(r: Reg): boolean {
  const b = base(r.type);
  return !(r.type === T.PTR_TO_CTX || b === T.PTR_TO_PACKET || b === T.PTR_TO_PACKET_META || r.type === T.PTR_TO_FLOW_KEYS ||
    r.type === T.PTR_TO_SOCKET || r.type === T.PTR_TO_SOCK_COMMON || r.type === T.PTR_TO_TCP_SOCK || r.type === T.PTR_TO_XDP_SOCK);
}

/**
 * check_atomic_load: `rD = load_acquire((uN *)(rS +off))` is checked as the load BPF_LDX of the
 * same size, with natural alignment enforced (strict_alignment_once), after the address type.
 */
function checkLoadAcquire(env: Env, ins: Insn): void {
  const src = env.readReg(ins.src);
  if (!atomicPtrTypeOk(src) || mayFaultOnDeref(src.type)) env.reject('invalid_mem_access', `BPF_ATOMIC loads from R${ins.src} ${env.typeStr(src)} is not allowed`);
  env.writeReg(ins.dst);
  const size = op.sizeBytes(op.size(ins.code));
  const srcType = env.reg(ins.src).type;
  if (srcType !== T.PTR_TO_STACK) checkPtrAlignment(env, env.reg(ins.src), ins.off, size, true);
  checkMemAccess(env, ins.src, ins.off, size, 'read', ins.dst, null, 0, false);
  savePtrType(env, srcType, false);
}

/**
 * check_atomic_store: `store_release((uN *)(rD +off), rS)` is first the store BPF_STX, naturally
 * aligned (check_store_reg), and only then its address type is judged (the kernel's order: an
 * unreadable value or a bad context access is what it reports first).
 */
function checkStoreRelease(env: Env, ins: Insn): void {
  const value = env.readReg(ins.src);
  const dst = env.readReg(ins.dst);
  const dstType = dst.type;
  const size = op.sizeBytes(op.size(ins.code));
  if (dstType !== T.PTR_TO_STACK) checkPtrAlignment(env, dst, ins.off, size, true);
  checkMemAccess(env, ins.dst, ins.off, size, 'write', -1, value, 0, false);
  savePtrType(env, dstType, false);
  if (!atomicPtrTypeOk(env.reg(ins.dst))) env.reject('invalid_mem_access', `BPF_ATOMIC stores into R${ins.dst} ${env.typeStr(env.reg(ins.dst))} is not allowed`);
}

/**
 * is_state_visited: true when the current state is pruned. Adds a checkpoint otherwise, with the
 * kernel's heuristics (a new state only after 2 jumps and 8 instructions, rarer inside loops)
 * and its eviction of states that keep missing.
 */
function isStateVisited(env: Env, pc: number): boolean {
  const cur = env.cur;
  const list = env.explored[pc] ?? (env.explored[pc] = []);
  const jmps = env.jmpsProcessed - env.prevJmpsProcessed;
  const insns = env.insnProcessed - env.prevInsnProcessed;
  // force_new_state: at forced checkpoints, and when the jump history grows past 40 entries.
  const force = env.opts.testStateFreq === true || env.cfg.forceCheckpoint[pc] === 1 || (cur.jmpHistory ?? 0) > 40;
  let addNew = force || (jmps >= 2 && insns >= 8);
  // Newest first, as the kernel's list (list_add at the head): the first hit ends the search.
  // states_cnt: the states looked at, whether or not one is added afterwards (max_states_per_insn)
  let statesCnt = 0;
  const callsite = cur.frames[cur.frames.length - 1]!.callsite;
  cleanLiveStates(env, list, cur, callsite);
  for (let i = list.length - 1; i >= 0; i--) {
    const cp = list[i]!;
    if (!sameBucket(cp.callsite, callsite, pc, env.insns.length)) continue; // another call site's list
    statesCnt++;
    if (cp.branches > 0 && iterNext[pc]) {
      // An iterator loop converged: this visit lies within one in progress, the iterator still active.
      if (statesEqual(env, cp.st, cur, pc, 'range') && iterArgActive(env, cur)) return loopHit(env, cp);
      if (!force && jmps < 20 && insns < 100) addNew = false;
    } else if (cp.branches > 0 && isMayGoto(env.insns[pc]!) && (cp.st.mayGotoDepth ?? 0) !== (cur.mayGotoDepth ?? 0) &&
      statesEqual(env, cp.st, cur, pc, 'range')) {
      return loopHit(env, cp);
    } else if (cp.branches > 0 && env.cfg.forceCheckpoint[pc] && isCallbackCall(env.insns[pc]!)) {
      // calls_callback: the callback loop converged when this visit lies within one in progress.
      if (statesEqual(env, cp.st, cur, pc, 'range')) return loopHit(env, cp);
      if (!force && jmps < 20 && insns < 100) addNew = false;
    } else if (cp.branches > 0) {
      if (isInfiniteLoop(env, cp.st, cur, pc))
        env.reject('infinite_loop', `infinite loop detected at insn ${pc}`);
      if (!force && jmps < 20 && insns < 100) addNew = false;
    } else if (exactPrune) {
      // The same state again (not merely a covered one): its future was explored from the equal one.
      if (statesEqual(env, cp.st, cur, pc, true) && sameLinks(env, cp.st, cur, pc)) { cp.hits++; return true; }
    } else if (env.opts.prune !== false && env.opts.prune !== 'exact') {
      // Inside a loop whose visit is open and converged somewhere, read and precision marks may be incomplete: compare by range.
      const loop = loops.incomplete(cp);
      if (statesEqual(env, cp.st, cur, pc, loop ? 'range' : false, cp.live)) {
        if (loop) return loopHit(env, cp);
        cp.hits++;
        propagatePrecision(env, cp.st, cp.live);
        return true;
      }
    }
    // Only misses that lead to a new state count; keep loop checkpoints longer (they make loops converge).
    if (addNew) cp.misses++;
    const n = env.cfg.forceCheckpoint[pc] && cp.branches > 0 ? 64 : 3;
    if (cp.misses > cp.hits * n + n) {
      // Evicted: off the list (explored_states_size), onto the kernel's free_list until nothing refers to it.
      list.splice(i, 1);
      env.curStates--;
      cp.inFreeList = true;
      env.freeListSize++;
      maybeFreeCheckpoint(env, cp);
    }
  }
  if (statesCnt > env.maxStatesPerInsn) env.maxStatesPerInsn = statesCnt;
  if (!addNew) return false;
  // mark_all_scalars_imprecise: the new checkpoint keeps only the precision its own future
  // asks for (backtracking marks it), not what the path inherited from older checkpoints.
  markAllImprecise(cur);
  const snap = cloneState(cur, false);
  const cp: Checkpoint = { st: snap, parent: cur.parent, branches: 1, hits: 0, misses: 0, insnAt: env.insnProcessed, hist: cur.hist, histx: cur.histx,
    live: null, inFreeList: false, callsite };
  cur.parent = cp;
  cur.hist = [];
  cur.histx = [];
  if (cur.histS) {
    cp.histS = cur.histS;
    cur.histS = [];
  }
  cur.jmpHistory = 0;
  list.push(cp);
  loops.enter(cp);
  env.totalStates++;
  env.curStates++;
  updatePeakStates(env);
  env.prevJmpsProcessed = env.jmpsProcessed;
  env.prevInsnProcessed = env.insnProcessed;
  return false;
}

/**
 * maybe_free_verifier_state: an evicted checkpoint is gone once no open path descends from it
 * and its loop's marks are complete; until then it counts towards peak_states.
 */
function maybeFreeCheckpoint(env: Env, cp: Checkpoint): void {
  if (!cp.inFreeList || cp.branches !== 0 || loops.incomplete(cp)) return;
  cp.inFreeList = false;
  env.freeListSize--;
}

/** update_peak_states. */
function updatePeakStates(env: Env): void {
  const cur = env.curStates + env.freeListSize + env.numBackedges;
  if (cur > env.peakStates) env.peakStates = cur;
}

/**
 * clean_live_states: a checkpoint at this instruction, with the current state's call sites, whose
 * paths are all explored is cleaned once: from then on it is compared only on the stack slots
 * live at it then. Not while it lies in an open loop visit that converged somewhere: the loop's
 * marks may be incomplete (incomplete_read_marks).
 */
function cleanLiveStates(env: Env, list: readonly Checkpoint[], cur: VState, callsite: number): void {
  for (let i = 0; i < list.length; i++) {
    const cp = list[i]!;
    if (cp.live !== null || cp.branches > 0 || cp.callsite !== callsite || !sameCallsites(cp.st, cur) || loops.incomplete(cp)) continue;
    cp.live = env.stackLive.aliveSlots(cp.st);
  }
}

function sameCallsites(a: VState, b: VState): boolean {
  if (a.frames.length !== b.frames.length) return false;
  for (let i = 0; i < a.frames.length; i++) if (a.frames[i]!.callsite !== b.frames[i]!.callsite) return false;
  return true;
}

/** A loop (iterator, may_goto) converged on checkpoint `cp`: the path ends, inheriting what the loop's future needs. */
function loopHit(env: Env, cp: Checkpoint): true {
  cp.hits++;
  // As the kernel: precision first, then the backedge is recorded (its log line after the marks').
  propagatePrecision(env, cp.st, cp.live);
  if (loops.addBackedge(cp, env.cur, env.pc)) {
    env.numBackedges++;
    updatePeakStates(env);
  }
  return true;
}

/** Scalars marked precise in the checkpoints of `st`'s chain, up to `entry`. */
function preciseMarks(st: VState, entry: Checkpoint): number {
  let n = 0;
  for (let p = st.parent; p; p = p === entry ? null : p.parent) {
    for (const f of p.st.frames) {
      for (const r of f.regs) if (r.precise) n++;
      for (const r of f.spills) if (r?.precise) n++;
    }
  }
  return n;
}

/**
 * propagate_backedges (a loop's visit, entered at `entry`, ended): the precision the loop's
 * states found they need after paths were pruned against them goes back along those paths too,
 * until the loop's checkpoints change no more.
 */
function propagateBackedges(env: Env, backedges: Backedge[], entry: Checkpoint): void {
  const saved = env.cur;
  const savedPc = env.pc;
  try {
    // MAX_BACKEDGE_ITERS: the marks only grow, so this ends; the bound is the kernel's.
    for (let iter = 0; iter < 64; iter++) {
      let changed = false;
      // Newest first, as the kernel's list (add_scc_backedge puts each at its head).
      for (let j = backedges.length - 1; j >= 0; j--) {
        const b = backedges[j]!;
        const before = preciseMarks(b.st, entry);
        env.cur = b.st;
        env.pc = b.pc;
        propagatePrecision(env, b.equal);
        if (preciseMarks(b.st, entry) !== before) changed = true;
      }
      if (!changed) break;
    }
  } finally {
    env.cur = saved;
    env.pc = savedPc;
  }
}

/**
 * The `join` strategy at a loop head: the first arrival is kept; a later one that the kept state
 * covers ends; otherwise the two are joined (widened after a few rounds) and exploration goes
 * on from the joined state. Returns true when the path ends here.
 */
function joinAtLoopHead(env: Env, joins: Map<string, JoinEntry>, pc: number): boolean {
  const cur = env.cur;
  const key = `${pc}:${cur.frames.map((f) => f.callsite).join(',')}`;
  const e = joins.get(key);
  if (!e) {
    joins.set(key, { st: cloneState(cur), joins: 0 });
    env.totalStates++;
    return false;
  }
  if (statesEqual(env, e.st, cur, pc, false)) return true;
  const merged = joinStates(env, e.st, cur, pc, e.joins >= 2);
  e.st = cloneState(merged);
  e.joins++;
  merged.parent = cur.parent;
  merged.prevPc = cur.prevPc;
  merged.pc = pc;
  env.cur = merged;
  return false;
}
