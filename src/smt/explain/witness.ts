/**
 * From a Z3 model of the path condition to a concrete input (ctx bytes, packet bytes, map
 * contents, helper results), and the replay of that input on the checked VM.
 */
import type { BitVec, Model } from 'z3-solver';
import type { Program } from '../../isa/program.js';
import { ctxLayout } from '../../runtime/context/index.js';
import { HELPERS, type HelperFn } from '../../runtime/helpers/impl/index.js';
import { createMap } from '../../runtime/maps/create.js';
import { isRingBufMap } from '../../runtime/maps/guards.js';
import type { BpfMap } from '../../runtime/maps/types.js';
import { runProgram, type RunInput, type VmOptions } from '../../vm/index.js';
import type { ZT } from '../z3-algebra.js';
import type { WorldDescription } from '../../runtime/kernel-objects/index.js';
import type { PathMachine } from './machine.js';

export interface Witness {
  /** Context bytes (the program type's uapi struct), hex. */
  ctx?: string;
  /** Packet bytes from the Ethernet header on, hex. */
  packet?: string;
  /** Map contents before the run: { mapName: { keyHex: valueHex } } (bytes in memory order). */
  maps: Record<string, Record<string, string>>;
  /** The results the path needs from helpers whose value the input does not fix. */
  helpers: { pc: number; helper: string; r0: string; writes?: { arg: number; hex: string }[] }[];
  /** Ring buffer maps that start full of unconsumed records (so bpf_ringbuf_reserve returns NULL). */
  fullRingbufs?: string[];
  /** BTF-typed programs: the kernel objects and arguments of the run (runtime/kernel-objects' description). */
  kernelObjects?: WorldDescription;
  /** The kernel object fields the path read, as C: `task->real_parent->tgid = 7`. */
  kernelFields?: string[];
}

export interface ReplayFault {
  pc: number;
  kind: string;
  region: string;
  offset: number;
  size: number;
}

export interface Replay {
  engine: 'vm';
  fault: ReplayFault | null;
  /** A run stopped for another reason (step limit, call depth, unknown helper). */
  error?: { kind: string; pc: number; message: string };
  /** r0 at exit (unsigned decimal) when the run ended normally. */
  r0?: string;
  /**
   * Whether the run shows the rejected fault: memory errors trap at the rejected instruction; a
   * return value leaves the allowed range; a leaked reference is acquired and the run exits at the
   * leaking exit without releasing it; any other rule: the run reaches the rejected instruction.
   */
  reproduced: boolean;
  /** What the run did that matters (the leaking path's acquire and exit, the rule's instruction reached). */
  shows?: string;
  note?: string;
}

/** What reproduces a rejection on the VM. */
export interface ReplayExpect {
  pc: number;
  memory: boolean;
  returnRange?: { min: number; max: number };
  /** A leak: the acquiring call's pc and the helpers that would release what it returns. */
  leak?: { acquirePc: number; release: number[] };
  /** A rule about the path: reaching `pc` is the fault. */
  reach?: boolean;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function fromHex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

function leBytes(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

function evalBv(model: Model<'main'>, e: ZT | BitVec<number, 'main'>): bigint {
  const v = model.eval(e, true);
  const Z = e.ctx;
  return Z.isBitVecVal(v) ? v.value() : 0n;
}

/** Evaluates one byte-array cell. */
function byteAt(model: Model<'main'>, arr: { select(i: BitVec<number, 'main'>): unknown }, idx: BitVec<number, 'main'>): number {
  return Number(evalBv(model, arr.select(idx) as BitVec<number, 'main'>));
}

/** The concrete input the model describes. */
export function buildWitness(M: PathMachine, model: Model<'main'>): Witness {
  const Z = M.T.Z;
  const w: Witness = { maps: {}, helpers: [] };
  if (M.kobj && M.ctx) {
    const ctxBytes = new Uint8Array(M.kobj.ctxSize);
    for (let i = 0; i < ctxBytes.length; i++) ctxBytes[i] = byteAt(model, M.ctx.initial, Z.BitVec.val(i, 64));
    const k = M.kobj.witness((arr, i) => byteAt(model, arr, Z.BitVec.val(i, 64)), ctxBytes);
    w.kernelObjects = k.desc;
    w.kernelFields = k.fields;
  } else if (M.ctx) {
    const size = ctxLayout(M.program.type)?.size ?? 0;
    const b = new Uint8Array(size);
    for (let i = 0; i < size; i++) b[i] = byteAt(model, M.ctx.initial, Z.BitVec.val(i, 64));
    w.ctx = hex(b);
  }
  if (M.packet) {
    const { store, len, header } = M.packet.initial;
    const n = Number(evalBv(model, len.z)) + header;
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = byteAt(model, store, Z.BitVec.val(BigInt.asUintN(64, BigInt(i - header)), 64));
    w.packet = hex(b);
  }
  for (const m of M.maps) {
    if (!m || m.keys.length === 0) continue;
    const entries: Record<string, string> = {};
    for (const { key } of m.keys) {
      const kv = evalBv(model, key);
      const keyHex = hex(leBytes(kv, m.spec.keySize));
      if (keyHex in entries) continue;
      const isArray = m.spec.type === 'array' || m.spec.type === 'percpu_array';
      const present = isArray
        ? (kv & 0xffffffffn) < BigInt(m.spec.maxEntries)
        : m.present0 !== null && Z.isTrue(model.eval(m.present0.select(Z.BitVec.val(kv, m.keyBits)), true));
      if (!present) continue;
      const val = new Uint8Array(m.spec.valueSize);
      for (let o = 0; o < m.spec.valueSize; o++) val[o] = byteAt(model, m.vals0, Z.Concat(Z.BitVec.val(kv, m.keyBits), Z.BitVec.val(o, 32)));
      entries[keyHex] = hex(val);
    }
    if (Object.keys(entries).length) w.maps[m.spec.name] = entries;
  }
  for (const [mi, flag] of M.ringFull) {
    if (Z.isTrue(model.eval(flag, true))) (w.fullRingbufs ??= []).push(M.program.maps[mi]!.name);
  }
  for (const h of M.helperCalls) {
    const writes = h.writes.map(({ arg, size, bytes }) => ({ arg, hex: hex(leBytes(evalBv(model, bytes), size)) }));
    w.helpers.push({ pc: h.pc, helper: h.name, r0: String(evalBv(model, h.r0.z)), ...(writes.length && { writes }) });
  }
  return w;
}

/** The VM input a witness stands for. */
export function witnessInput(program: Program, w: Witness): RunInput {
  const input: RunInput = {};
  if (w.kernelObjects) input.kernelObjects = w.kernelObjects;
  if (!ctxLayout(program.type)) return input;
  input.entry = 'ctx';
  if (w.ctx !== undefined) input.ctx = fromHex(w.ctx);
  if (w.packet !== undefined) input.packet = fromHex(w.packet);
  return input;
}

/**
 * Helper table that runs the real helpers and then forces r0, and the bytes written through
 * pointer arguments, where the witness chose them (per call, in order per pc).
 */
function scriptedHelpers(w: Witness): readonly (HelperFn | undefined)[] {
  const byPc = new Map<number, Witness['helpers']>();
  for (const h of w.helpers) {
    const q = byPc.get(h.pc) ?? [];
    q.push(h);
    byPc.set(h.pc, q);
  }
  const wrap = (fn: HelperFn | undefined): HelperFn | undefined => {
    if (!fn) return fn;
    return (env) => {
      const h = byPc.get(env.pc)?.shift();
      // the argument pointers as the call received them (the helper may clobber r1..r5)
      const ptrs = h?.writes?.map(({ arg }) => [env.regs[2 * arg + 1]!, env.regs[2 * arg]!] as const);
      fn(env);
      if (!h) return;
      h.writes?.forEach(({ hex: bytes }, i) => {
        const [hi, lo] = ptrs![i]!;
        const b = fromHex(bytes);
        env.mem.sliceHL(hi, lo, b.length, true, env.pc).set(b);
      });
      const u = BigInt.asUintN(64, BigInt(h.r0));
      env.regs[0] = Number(u & 0xffffffffn) | 0;
      env.regs[1] = Number(u >> 32n) | 0;
    };
  };
  return HELPERS.map(wrap);
}

/** Runs the witness on the checked VM. `expect` says what reproduces the rejection. */
export function replayWitness(
  program: Program,
  w: Witness,
  expect: ReplayExpect,
): Replay {
  const maps: BpfMap[] = program.maps.map((spec) => {
    const m = createMap(spec, { cpus: 1 });
    if (spec.initial) m.update(new Uint8Array(m.spec.keySize), spec.initial.subarray(0, spec.valueSize));
    return m;
  });
  const notes: string[] = [];
  for (const name of w.fullRingbufs ?? []) {
    const m = maps.find((x) => x.spec.name === name);
    // one committed record the consumer has not read leaves less than a record header free
    if (m && isRingBufMap(m)) m.output(new Uint8Array(m.spec.maxEntries - 16), 0);
  }
  for (const [name, entries] of Object.entries(w.maps)) {
    const m = maps.find((x) => x.spec.name === name);
    if (!m) continue;
    for (const [k, v] of Object.entries(entries)) {
      const rc = m.updateFromProgram(fromHex(k), fromHex(v), 0, 0);
      if (rc !== 0) notes.push(`map ${name} key ${k}: update failed (${rc})`);
    }
  }
  const opts: VmOptions = { maps, cpus: 1, maxSteps: 1_000_000 };
  // the steps that matter: reaching the rejected pc, the acquire, releases after it, the last pc
  let reached = false;
  let acquired = false;
  let released = false;
  let lastPc = -1;
  const releaseAt = new Set<number>();
  if (expect.leak) program.insns.forEach((ins, pc) => { if (ins.code === 0x85 && ins.src === 0 && expect.leak!.release.includes(ins.imm)) releaseAt.add(pc); });
  if (expect.reach || expect.leak || expect.memory) {
    opts.onStep = (pc) => {
      lastPc = pc;
      if (pc === expect.pc) reached = true;
      if (expect.leak) {
        if (pc === expect.leak.acquirePc) { acquired = true; released = false; } else if (acquired && releaseAt.has(pc)) released = true;
      }
    };
  }
  if (w.helpers.length > 0) opts.helpers = scriptedHelpers(w);
  const res = runProgram(program, witnessInput(program, w), opts);
  const out: Replay = { engine: 'vm', fault: null, reproduced: false };
  if (res.fault) out.fault = res.fault.toJSON();
  else if (res.error) out.error = { kind: res.error.kind, pc: res.error.pc, message: res.error.message };
  else out.r0 = String(res.r0);
  // helpers trap bad arguments (NULL, a non-pointer) as bad_call errors at the call
  if (expect.memory) {
    out.reproduced = out.fault?.pc === expect.pc || (out.error?.kind === 'bad_call' && out.error.pc === expect.pc);
    if (!out.reproduced) {
      const ins = program.insns[expect.pc];
      const call = ins !== undefined && ins.code === 0x85 && ins.src === 0;
      out.shows = !reached ? `the run does not reach pc ${expect.pc}`
        : call ? `the run makes the call at pc ${expect.pc} with the arguments the verifier rejects; the VM's helper checks them itself and does not fault there`
          : `the run reaches pc ${expect.pc}, but its access does not fault on the VM`;
    }
  } else if (expect.leak) {
    out.reproduced = acquired && !released && lastPc === expect.pc && !out.fault && !out.error;
    out.shows = out.reproduced
      ? `the run acquires the reference at pc ${expect.leak.acquirePc} and exits at pc ${expect.pc} without releasing it`
      : `the run ${acquired ? `acquires at pc ${expect.leak.acquirePc} but ${released ? 'releases it' : `ends at pc ${lastPc}`}` : `never reaches the acquire at pc ${expect.leak.acquirePc}`}`;
  } else if (expect.reach) {
    out.reproduced = reached;
    out.shows = reached ? `the run reaches pc ${expect.pc}, where the rule is broken` : `the run does not reach pc ${expect.pc}`;
  }
  else if (expect.returnRange && out.r0 !== undefined) {
    const r0 = BigInt.asIntN(64, BigInt(out.r0));
    out.reproduced = r0 < BigInt(expect.returnRange.min) || r0 > BigInt(expect.returnRange.max);
  }
  if (notes.length) out.note = notes.join('; ');
  return out;
}
