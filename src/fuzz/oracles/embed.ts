/**
 * The embedding oracle: the verifier's abstract states must over-approximate every concrete run.
 * For an accepted program, at every executed pc some abstract state the verifier explored at that
 * pc must contain the VM's registers -- every register live there (pruning ignores dead ones):
 *
 *   scalar   value in tnum and in all eight bounds (u64/s64/u32/s32)
 *   pointer  same region kind (ctx, stack of the same frame, map value of the same map, packet),
 *            variable offset (concrete offset - fixed off) in the scalar part; packet pointers also
 *            (offset - off) + range <= packet length, i.e. the proven range really is in the packet
 *   *_or_null  NULL, or as the pointer
 *
 * The verifier reports its states through `VerifyOptions.onInsn(pc, state)`, explored with
 * `prune: 'exact'`: every path to its end or to an equal finished state, so that each state at a
 * pc is exact for the paths that reach it (a pruned path is only covered, in the registers marked
 * precise, by the wider explored state it was pruned against -- containment of the others is not
 * meant to hold, and checking it reported only false positives). The concrete registers are the
 * VM's before sampled steps of a run (what a run stopped after k steps leaves). Each explored
 * state is tested against the samples at its pc as it comes; the exploration stops once every
 * sample is contained, and a finding is reported only from a complete exploration.
 */
import { makeInsn } from '../../isa/insn.js';
import { makeProgram, type Program } from '../../isa/program.js';
import { MemoryFault } from '../../runtime/memory.js';
import type { Memory } from '../../runtime/memory.js';
import { VmError } from '../../runtime/errors.js';
import type { BpfMap } from '../../runtime/maps/types.js';
import type { Scalar } from '../../verifier/domains/index.js';
import type { VerifyOptions, VerifyResult } from '../../verifier/index.js';
import { liveRegisters } from '../../verifier/liveness.js';
import { T, typeName } from '../../verifier/reg-types.js';
import type { VState } from '../../verifier/state.js';
import { Vm } from '../../vm/index.js';
import { makeMaps, runInput } from '../engines.js';
import type { Finding } from '../finding.js';
import { type ConcreteInput, type FuzzInput, materialize } from '../generators/inputs.js';
import { FUZZ_VERIFY_OPTIONS, type Oracle, type VerifyFn } from './types.js';
import { checkBudget } from '../budget.js';

/** The fields of a verifier register the oracle reads. */
export interface AbstractReg {
  type: number;
  off: number;
  v: Scalar;
  range: number;
  map: number;
  frameno: number;
}

/** Registers live at a pc, copied when the verifier passes it (undefined: dead there). */
export type AbstractSnap = (AbstractReg | undefined)[];

/** The hook the verifier calls before each instruction (VerifyOptions.onInsn; `live` absent: every register). */
export type OnInsn = (pc: number, state: VState, live?: number) => void;

const MASK64 = (1n << 64n) - 1n;
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);

/** x (a u64 pattern) lies in the scalar: tnum_in and every bound. */
export function scalarContains(s: Scalar, x: bigint): boolean {
  x &= MASK64;
  if ((x & ~s.mask & MASK64) !== s.value) return false;
  if (x < s.umin || x > s.umax) return false;
  const sx = s64(x);
  if (sx < s64(s.smin) || sx > s64(s.smax)) return false;
  const lo = x & 0xffffffffn;
  if (lo < s.u32min || lo > s.u32max) return false;
  const slo = s32(lo);
  return slo >= s32(s.s32min) && slo <= s32(s.s32max);
}

const fmtScalar = (s: Scalar): string =>
  `var_off=(0x${s.value.toString(16)}; 0x${s.mask.toString(16)}) u64=[${s.umin}, ${s.umax}] s64=[${s64(s.smin)}, ${s64(s.smax)}] u32=[${s.u32min}, ${s.u32max}] s32=[${s32(s.s32min)}, ${s32(s.s32max)}]`;

/** Region kinds each verifier pointer type may point into. */
const REGION_OF: Partial<Record<number, string>> = {
  [T.PTR_TO_CTX]: 'ctx', [T.PTR_TO_STACK]: 'stack', [T.PTR_TO_MAP_VALUE]: 'map_value', [T.CONST_PTR_TO_MAP]: 'map',
  [T.PTR_TO_PACKET]: 'packet', [T.PTR_TO_PACKET_END]: 'packet', [T.PTR_TO_PACKET_META]: 'packet',
};
const MAYBE_NULL = 0x100;
const BASE = 0xff;

/** One concrete register: its raw 64 bits, and where it points when it is a pointer. */
interface ConcreteReg {
  bits: bigint;
  region?: { id: number; kind: string; off: number; len: number; owner: unknown };
}

export interface ConcreteStep {
  pc: number;
  regs: ConcreteReg[];
  /** Region id of each frame's stack. */
  stackIds: Int32Array;
  /** The run has no packet (a context whose packet pointers the VM leaves NULL: sk_reuseport, sock_ops, ...). */
  packetless: boolean;
}

/** Whether no region of `mem` below `count` (the regions the run had then) is a packet. */
function packetless(mem: Memory, count: number): boolean {
  for (let id = 1; id < count; id++) if (mem.kindOf(id) === 'packet') return false;
  return true;
}

/** A register the check does not read at that pc (dead there): not decoded. */
const UNREAD: ConcreteReg = { bits: 0n };

/**
 * The registers R[at..at+21] (lo, hi words of r0..r10) of a step when `mem` had `count` regions.
 * Regions are only added during a run (Memory.reset drops them after it), so a step recorded
 * raw decodes at the end of the run as it would have then, with the later regions left out.
 */
function decode(R: Int32Array, at: number, mem: Memory, count: number, mask: number): ConcreteReg[] {
  const out: ConcreteReg[] = [];
  for (let r = 0; r <= 10; r++) {
    if (!(mask & (1 << r))) { out.push(UNREAD); continue; }
    const lo = R[at + 2 * r]!, hi = R[at + 2 * r + 1]!;
    const bits = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    let id = mem.regionOf(hi);
    let lo64 = lo >>> 0;
    // a pointer moved below its region's start (or 4 GiB past it) is still that pointer
    if (id < 0 && (id = mem.regionOfMoved(hi)) > 0) lo64 += mem.outsideDelta;
    if (id >= count) id = -1;
    if (id < 0) { out.push({ bits }); continue; }
    const origin = mem.origin[id]!;
    out.push({ bits, region: { id, kind: mem.kindOf(id), off: lo64 - origin, len: mem.end[id]! - origin, owner: mem.owners[id] } });
  }
  return out;
}

/** Steps of a run kept raw (pc, region count, window epoch, r0..r10 as 22 words), so that a run of up to this many steps is not run again. */
const RAW_STEPS = 1024;
const RAW_WORDS = 25;
const raw = new Int32Array(RAW_STEPS * RAW_WORDS);

/**
 * The VM's registers before each of the first `maxSamples` executed instructions (evenly sampled
 * beyond that): the state before step k+1 is what a run stopped by the step limit after k steps
 * leaves, read here by the VM's onStep hook instead of re-running the program once per sample.
 * The run keeps its first RAW_STEPS steps raw; once its length is known, the chosen ones are
 * decoded from them, with the regions the run had then. A longer run, or one whose regions'
 * windows moved after a chosen step (Memory.windowEpoch), is run again, decoding the chosen steps
 * as it passes them. Runs are deterministic, so the samples are the states the step-limited
 * re-runs stopped in. With `live` (registers live per pc) only the live ones and r10 are decoded
 * (the others are UNREAD): the check compares no other.
 */
export function concreteSteps(program: Program, ci: ConcreteInput, maxSamples: number, live?: Uint16Array): ConcreteStep[] {
  const maskAt = (pc: number): number => (live ? live[pc]! | (1 << 10) : 0x7ff);
  let mem: Memory | null = null;
  /** A run: `wanted` steps decoded as it passes them (the re-run), or the first RAW_STEPS kept raw. */
  const run = (wanted: Set<number> | null): { out: ConcreteStep[]; steps: number } => {
    const out: ConcreteStep[] = [];
    let k = 0;
    mem = null;
    // whether the run has no packet, recomputed only when regions were added
    let regions = -1, noPacket = false;
    const vm = samplingVm(program, makeMaps(program, ci), (pc, regs) => {
      if (mem !== null) {
        if (wanted === null) {
          if (k < RAW_STEPS) {
            const at = k * RAW_WORDS;
            raw[at] = pc;
            raw[at + 1] = mem.count;
            raw[at + 2] = mem.windowEpoch;
            for (let i = 0; i < 22; i++) raw[at + 3 + i] = regs[i]!;
          }
        } else if (wanted.has(k)) {
          if (mem.count !== regions) { regions = mem.count; noPacket = packetless(mem, regions); }
          out.push({ pc, regs: decode(regs, 0, mem, mem.count, maskAt(pc)), stackIds: mem.stackIds, packetless: noPacket });
        }
      }
      k++;
    });
    const prep = vm.prepare(runInput(ci, false));
    mem = prep.mem;
    return { out, steps: vm.execute(prep).steps };
  };
  const n = run(null).steps;
  // The last step is not a sample (k < n): a run stopped after n steps has ended, not stopped.
  const ks: number[] = [];
  if (n <= maxSamples) for (let k = 0; k < n; k++) ks.push(k);
  else for (let i = 0; i < maxSamples; i++) ks.push(Math.floor((i * n) / maxSamples));
  const m = mem as Memory | null;
  // The run's memory is the sampling VM's, untouched until its next run: raw steps decode against
  // it as they would have then unless a region's window moved after them (packet adjust_head, ...).
  if (m !== null && n <= RAW_STEPS && (ks.length === 0 || raw[ks[0]! * RAW_WORDS + 2] === m.windowEpoch)) {
    const out: ConcreteStep[] = [];
    let last = -1, regions = -1, noPacket = false;
    for (const k of ks) {
      if (k === last) continue;
      last = k;
      const at = k * RAW_WORDS, pc = raw[at]!, count = raw[at + 1]!;
      if (count !== regions) { regions = count; noPacket = packetless(m, count); }
      out.push({ pc, regs: decode(raw, at + 3, m, count, maskAt(pc)), stackIds: m.stackIds, packetless: noPacket });
    }
    return out;
  }
  return run(new Set(ks)).out.slice(0, maxSamples);
}

type StepHook = (pc: number, regs: Int32Array) => void;

/**
 * The VM the samples are taken on, kept for the next run as the VM engine keeps its own
 * (engines.ts): a program's second run and its next input reuse its predecoded code with fresh
 * maps (Vm.rebind), another program is loaded into it (Vm.load) -- constructing a VM (memory,
 * register file, buffers) for each of up to four runs per case was a fifth of the oracle's
 * time besides the verifier. The hook is the current run's.
 */
let sampler: { vm: Vm; program: Program; hook: { current: StepHook } } | null = null;

function samplingVm(program: Program, maps: BpfMap[], onStep: StepHook): Vm {
  if (!sampler) {
    const hook = { current: onStep };
    sampler = { vm: new Vm(program, { maps, maxSteps: 1_000_000, onStep: (pc, regs) => hook.current(pc, regs) }), program, hook };
    return sampler.vm;
  }
  if (sampler.program === program) sampler.vm.rebind(maps);
  else { sampler.vm.load(program, maps); sampler.program = program; }
  sampler.hook.current = onStep;
  return sampler.vm;
}

export type MismatchKind = 'scalar' | 'not-pointer' | 'region' | 'stack-frame' | 'map' | 'offset' | 'packet-range';

/**
 * Why concrete register `c` is not in abstract register `a` (the kind of the first failed test),
 * or null when it is. In a run without a packet the context's packet pointers are NULL: the
 * kernel's are too where a context has no packet behind it (sock_ops' skb_data and skb_data_end
 * without an skb), and the VM has none for the types BPF_PROG_TEST_RUN cannot run (sk_reuseport,
 * sk_msg, cgroup_sockopt); data == data_end keeps every access behind a bounds check from running.
 * No message is built: the oracle tests each sample against many states and most tests fail.
 */
export function mismatchKind(a: AbstractReg, c: ConcreteReg, program: Program, stackIds: Int32Array, packetless = false): MismatchKind | null {
  if (a.type === T.NOT_INIT) return null;
  if (a.type === T.SCALAR) {
    if (c.region) return null; // a pointer bit pattern held as a scalar: the VM's encoding is not the kernel's
    return scalarContains(a.v, c.bits) ? null : 'scalar';
  }
  const base = a.type & BASE;
  const kind = REGION_OF[base];
  if (kind === undefined) return null; // pointer kinds the oracle does not model
  if ((a.type & MAYBE_NULL) && c.bits === 0n) return null;
  if (packetless && kind === 'packet' && !c.region) {
    // NULL is the packet's start and end: the offset from it as from a packet of length 0
    if (base === T.PTR_TO_PACKET_END) return c.bits === 0n ? null : 'offset';
    const varOff = BigInt.asIntN(64, c.bits) - BigInt(a.off);
    if (!scalarContains(a.v, varOff)) return 'offset';
    if (base === T.PTR_TO_PACKET && a.range > 0 && varOff + BigInt(a.range) > 0n) return 'packet-range';
    return null;
  }
  const reg = c.region;
  if (!reg) return 'not-pointer';
  if (reg.kind !== kind) return 'region';
  if (base === T.PTR_TO_STACK && stackIds[a.frameno] !== reg.id) return 'stack-frame';
  if ((base === T.PTR_TO_MAP_VALUE || base === T.CONST_PTR_TO_MAP) && a.map >= 0 && a.map < program.maps.length) {
    const owner = reg.owner as BpfMap | undefined;
    if (owner?.spec && owner.spec.name !== program.maps[a.map]!.name) return 'map';
  }
  if (base === T.PTR_TO_PACKET_END || base === T.CONST_PTR_TO_MAP) return null;
  if (!scalarContains(a.v, BigInt(reg.off - a.off))) return 'offset';
  if (base === T.PTR_TO_PACKET && a.range > 0 && reg.off - a.off + a.range > reg.len) return 'packet-range';
  return null;
}

/** The finding's words for a mismatch of kind `kind` (mismatchKind's result for the same arguments). */
function describeMismatch(kind: MismatchKind, a: AbstractReg, c: ConcreteReg, program: Program): string {
  const reg = c.region;
  switch (kind) {
    case 'scalar': return `0x${c.bits.toString(16)} not in scalar ${fmtScalar(a.v)}`;
    case 'not-pointer': return `0x${c.bits.toString(16)} is not a pointer, abstract ${typeName(a.type)}`;
    case 'region': return `points into ${reg!.kind}, abstract ${typeName(a.type)}`;
    case 'stack-frame': return `points into another frame's stack than frame ${a.frameno}`;
    case 'map': return `points into map ${(reg!.owner as BpfMap).spec!.name}, abstract map ${program.maps[a.map]!.name}`;
    case 'offset':
      if (!reg) {
        return (a.type & BASE) === T.PTR_TO_PACKET_END
          ? `packet end 0x${c.bits.toString(16)}, not NULL, in a run without a packet`
          : `NULL packet + ${BigInt.asIntN(64, c.bits)} - off ${a.off} not in ${fmtScalar(a.v)} (${typeName(a.type)})`;
      }
      return `offset ${reg.off} - off ${a.off} not in ${fmtScalar(a.v)} (${typeName(a.type)})`;
    case 'packet-range':
      return reg
        ? `packet range r=${a.range} from offset ${reg.off - a.off} exceeds the packet (${reg.len} bytes)`
        : `packet range r=${a.range} in a run without a packet`;
  }
}

/** Why concrete register `c` is not in abstract register `a`, with the finding's words, or null when it is (see mismatchKind). */
export function regMismatch(a: AbstractReg, c: ConcreteReg, program: Program, stackIds: Int32Array, packetless = false): { kind: MismatchKind; why: string } | null {
  const kind = mismatchKind(a, c, program, stackIds, packetless);
  return kind === null ? null : { kind, why: describeMismatch(kind, a, c, program) };
}

export interface EmbedOptions {
  verify: VerifyFn;
  /** Concrete states sampled per input (default 32, evenly spaced over the run). */
  samples?: number;
  /** Inputs of a case to check (default 2). */
  inputs?: number;
  /** Abstract register snapshots kept per program before giving up on it (default 40,000). */
  maxSnaps?: number;
  /**
   * Instructions the unpruned exploration may process before the program is skipped (default
   * 5,000). Exploring every path grows with the number of paths: over structured cases a fifteenth
   * of the accepted programs ran into the campaign's 20,000-instruction cap -- seven tenths of the
   * oracle's time, spent on programs it then skipped. At 5,000 a further thirtieth is skipped and
   * the oracle takes about a third of the time. (Since paths end at equal explored states, prune
   * 'exact', 28 of 1,757 accepted structured cases pass 5,000 instead of 169.)
   */
  maxUnpruned?: number;
}

/** Thrown out of the exploration when nothing is left to learn from it (every sample contained, or too many states). */
const STOP_EXPLORING = new Error('embed: exploration stopped');

export function embedOracle(opts: EmbedOptions): Oracle {
  const samples = opts.samples ?? 32;
  const maxInputs = opts.inputs ?? 2;
  const maxSnaps = opts.maxSnaps ?? 40_000;
  const maxUnpruned = opts.maxUnpruned ?? 5_000;
  const notes = new Set<string>();
  let hookSeen = false;
  let probed: string | null | undefined;
  return {
    name: 'embed',
    notes,
    /** Probes the verifier once: without the onInsn hook the oracle cannot see abstract states. */
    unavailable() {
      if (probed !== undefined) return probed;
      let seen = false;
      const onInsn: OnInsn = () => { seen = true; };
      const exit: Program = makeProgram({ name: 'probe', section: '', type: 'kprobe', license: 'GPL', maps: [], insns: [
        makeInsn(0xb7, 0, 0, 0, 0), makeInsn(0x95, 0, 0, 0, 0)] });
      try { opts.verify(exit, { onInsn } as VerifyOptions); } catch { /* reported when the campaign verifies */ }
      probed = seen ? null : 'the verifier has no onInsn hook (VerifyOptions.onInsn, requested from the verifier owner)';
      return probed;
    },
    check(c, cx) {
      const v0 = cx.verdict();
      if (v0.verdict !== 'accept' || !v0.cfg) return null;
      const p = c.program;
      // Registers the program can still read: the kernel's liveness keeps every register live
      // before a legacy packet load (compute_insn_live_regs' defaults), which reads only r6 and its index.
      const live = liveRegisters(p.insns, v0.cfg, undefined, { legacyReadsAll: false });
      // The concrete runs first: only the pcs they sample need abstract snapshots (most of a
      // program's states are never compared, and copying them was most of this oracle's allocation).
      const runs: { input: FuzzInput; steps: ConcreteStep[] }[] = [];
      // Per pc: the samples there no explored state has contained yet (indices into `all`).
      const all: ConcreteStep[] = [];
      const waiting: (number[] | undefined)[] = new Array(p.insns.length);
      for (const input of c.inputs.slice(0, maxInputs)) {
        checkBudget('embed-run');
        let steps: ConcreteStep[];
        try {
          steps = concreteSteps(p, materialize(p, input), samples, live);
        } catch (e) {
          if (e instanceof MemoryFault || e instanceof VmError || (e as Error).name === 'InputError') continue;
          throw e;
        }
        runs.push({ input, steps });
        for (const s of steps) (waiting[s.pc] ??= []).push(all.push(s) - 1);
      }
      if (runs.length === 0) return null;
      const contained = new Uint8Array(all.length);
      let open = all.length;
      const states = new Map<number, AbstractSnap[]>();
      let snaps = 0;
      let overflow = false;
      const onInsn: OnInsn = (pc, st, verifierLive) => {
        hookSeen = true;
        if (++snaps > maxSnaps) { overflow = true; throw STOP_EXPLORING; }
        const here = waiting[pc];
        if (here === undefined || here.length === 0) return;
        const f = st.frames[st.frames.length - 1]!;
        // Registers the verifier's own liveness holds dead (a helper reading fewer than five
        // arguments) are never read again, and its exact pruning does not compare them.
        const mask = (live[pc]! & (verifierLive ?? 0x7ff)) | (1 << 10);
        // The samples this state contains are done: containment needs some state, not a given one.
        for (let i = here.length - 1; i >= 0; i--) {
          const s = all[here[i]!]!;
          let r = 0;
          for (; r <= 10; r++) if (mask & (1 << r) && mismatchKind(f.regs[r]!, s.regs[r]!, p, s.stackIds, s.packetless) !== null) break;
          if (r <= 10) continue;
          contained[here[i]!] = 1;
          here[i] = here[here.length - 1]!;
          here.pop();
          if (--open === 0) throw STOP_EXPLORING;
        }
        if (here.length === 0) return;
        // A sample here is still outside every state: keep this one for the finding's message.
        const snap: AbstractSnap = new Array(11);
        for (let r = 0; r <= 10; r++) {
          if (!(mask & (1 << r))) continue;
          const g = f.regs[r]!;
          snap[r] = { type: g.type, off: g.off, v: g.v, range: g.range, map: g.map, frameno: g.frameno };
        }
        let l = states.get(pc);
        if (!l) states.set(pc, (l = []));
        l.push(snap);
      };
      // Without pruning: a pruned path's later states are stood for by a wider explored state only in
      // the registers that state's precision tracking kept exact, so containment is not meant to hold there.
      // Except against an equal state ('exact'): then the path's future states are the ones explored
      // from that state, the same set at every pc; of the structured cases a tenth explored past
      // 5,000 instructions without it, seven tenths of all the unpruned exploration, spent on programs then skipped.
      // The exploration stops once every sample is contained: the rest of it could only add states,
      // and a finding needs a sample outside all of them (about half the exploration was after that point).
      let v: VerifyResult;
      try {
        v = opts.verify(p, { ...FUZZ_VERIFY_OPTIONS, insnLimit: Math.min(maxUnpruned, FUZZ_VERIFY_OPTIONS.insnLimit ?? Infinity), onInsn, prune: 'exact' });
      } catch (e) {
        if (e !== STOP_EXPLORING) throw e;
        if (overflow) notes.add(`embed: programs with more than ${maxSnaps} abstract states were skipped`);
        return null;
      }
      if (!hookSeen) { notes.add('embed: skipped, the verifier has no onInsn hook (VerifyOptions.onInsn)'); return null; }
      if (v.verdict !== 'accept') {
        if (v.error && (v.error.kind === 'too_large' || v.error.kind === 'too_complex')) notes.add(`embed: programs whose every path takes more than ${maxUnpruned} instructions to explore were skipped`);
        return null;
      }
      let at = 0;
      for (const { input, steps } of runs) {
        for (const s of steps) {
          if (contained[at++]) continue;
          const here = states.get(s.pc);
          const base = { oracle: 'embed' as const, program: p, input, verdict: v.verdict, pc: s.pc };
          if (!here) return { ...base, kind: 'unvisited-pc', message: `the VM executes pc ${s.pc}, which the verifier never reached` } satisfies Finding;
          // No explored state holds all live registers at once; report the closest one's first miss.
          let best: { reg: number; kind: MismatchKind; why: string; bad: number } | null = null;
          for (const snap of here) {
            let bad = 0;
            let first: { reg: number; kind: MismatchKind; why: string } | null = null;
            for (let r = 0; r <= 10; r++) {
              const a = snap[r];
              if (!a) continue;
              const m = regMismatch(a, s.regs[r]!, p, s.stackIds, s.packetless);
              if (m) { bad++; first ??= { reg: r, ...m }; }
            }
            if (!best || bad < best.bad) best = { ...first!, bad };
          }
          const n = here.length;
          return { ...base, kind: best!.kind, message: `at pc ${s.pc} r${best!.reg}: ${best!.why} (closest of ${n} abstract state${n === 1 ? '' : 's'})` } satisfies Finding;
        }
      }
      return null;
    },
  };
}
