/**
 * What "the failing step really happens" means for each verifier error, as a Z3 condition over
 * the path machine's state just before the failing instruction.
 *
 * - Memory errors (out-of-bounds, NULL, misaligned, read-only, non-pointer dereference): the
 *   access's fault condition in the concrete memory model, i.e. what the checked VM would trap on.
 * - return_range: r0 outside what the program type allows.
 * - Every other rule (uninitialised register, pointer arithmetic, helper argument types, leaked
 *   references, ...) is about the program text along the path, not about values: the step happens
 *   whenever the path does, so the condition is `true` and feasibility is the path's.
 */
import * as op from '../../isa/opcodes.js';
import { progTypeInfo } from '../../runtime/context/index.js';
import { helperProto } from '../../runtime/helpers/prototypes.js';
import { ERROR_KINDS, type VerifierError } from '../../verifier/index.js';
import type { ZB } from '../z3-algebra.js';
import type { PathMachine } from './machine.js';
import type { Term } from './terms.js';
import type { PtrVal, Val } from './values.js';

/** The access the failing instruction makes (for the witness: where it goes). */
export interface Access {
  region: string;
  offset: Term;
  size: Term;
  write: boolean;
}

export interface Judgement {
  /** The condition under which the failing step really goes wrong. */
  cond: ZB;
  /**
   * 'memory': a value condition on an access (the VM traps it); 'pointer': pointer arithmetic that
   * leaves its object (no trap until used); 'return': r0's range; 'rule': the path itself.
   */
  class: 'memory' | 'pointer' | 'return' | 'rule';
  /** One line: what is checked. */
  what: string;
  access?: Access;
}

const MEMORY_KINDS = new Set([
  'packet_oob', 'map_value_oob', 'stack_oob', 'mem_oob', 'null_pointer', 'unbounded_access', 'misaligned',
  'invalid_mem_access', 'readonly_write', 'ctx_access', 'helper_arg',
]);

/** The fault condition of a `size`-byte access through p (offset already includes the insn's). */
export function faultCond(M: PathMachine, p: PtrVal, size: Term, write: boolean): ZB {
  const T = M.T;
  const r = p.region;
  const nul = p.nul ?? T.ff;
  // in bounds: lo <= off <= hi and size <= hi - off (no overflow: off is bounded first)
  const inBounds = T.and(T.sle(r.lo, p.off), T.sle(p.off, r.hi), T.ule(size, T.sub(r.hi, p.off)));
  let bad = T.or(nul, T.not(inBounds));
  if (write && !r.writable) bad = T.tt;
  if (r.strictAlign && size.c !== undefined && size.c > 1n) {
    const mis = T.not(T.eq(T.alu('and', false, p.off, T.k(size.c - 1n)), T.k(0)));
    bad = T.or(bad, mis);
  }
  // a socket's fields are the verifier's rule (which ones a program type may touch); the value question is NULL
  if (r.kind === 'sock') return nul;
  if (r.kind === 'ctx') {
    const layout = M.layout;
    if (!layout || p.off.c === undefined || size.c === undefined) return T.or(nul, T.tt);
    const a = layout.access(Number(BigInt.asIntN(64, p.off.c)), Number(size.c), write ? 'write' : 'read');
    return a.ok ? nul : T.tt;
  }
  return bad;
}

function valName(v: Val): string {
  switch (v.k) {
    case 'ptr': return `a pointer to ${v.region.label}`;
    case 'stale': return `a pointer invalidated (${v.why})`;
    case 'mapptr': return 'a map pointer';
    case 'func': return 'a function pointer';
    case 'uninit': return 'an uninitialised register';
    case 'scalar': return v.t.c === 0n ? 'NULL' : 'a number';
  }
}

/** The access an LDX/ST/STX/atomic makes at the failing pc, with its fault condition. */
function memInsn(M: PathMachine, pc: number): Judgement {
  const T = M.T;
  const ins = M.insns[pc]!;
  const c = op.cls(ins.code);
  const base = c === op.BPF_LDX ? ins.src : ins.dst;
  const write = c !== op.BPF_LDX;
  const size = op.sizeBytes(op.size(ins.code));
  const v = M.reg(base);
  // a pointer the verifier no longer trusts is a rule about the program, whatever its bytes happen to be
  if (v.k === 'stale' && !v.why.startsWith('released')) return { cond: T.tt, class: 'rule', what: `R${base} is ${valName(v)}` };
  if (v.k !== 'ptr') return { cond: T.tt, class: 'memory', what: `R${base} is ${valName(v)}: dereferencing it faults` };
  const p: PtrVal = { ...v, off: T.addk(v.off, ins.off) };
  const atomic = c !== op.BPF_LDX && op.mode(ins.code) === op.BPF_ATOMIC;
  if (atomic && v.region.kind !== 'stack' && v.region.kind !== 'map_value' && v.region.kind !== 'mem')
    return { cond: T.tt, class: 'memory', what: `an atomic operation on ${v.region.label} (atomics work on stack and map memory only)` };
  return {
    cond: faultCond(M, p, T.k(size), write),
    class: 'memory',
    what: `the ${size}-byte ${write ? 'write' : 'read'} through R${base} (${v.region.label}) ${accessText(v, write)}`,
    access: { region: v.region.kind, offset: p.off, size: T.k(size), write },
  };
}

function show(t: Term): string {
  return t.c !== undefined ? String(BigInt.asIntN(64, t.c)) : 'len';
}

/** What can go wrong with an access through v, in words. */
function accessText(v: PtrVal, write: boolean): string {
  const r = v.region;
  if (write && !r.writable) return `writes ${r.kind === 'packet' ? 'a packet this program type may only read' : 'read-only memory'}`;
  if (r.kind === 'ctx') return `is not an access to a ${r.label} field the program type allows`;
  if (r.kind === 'sock') return 'can be NULL';
  const parts = [v.nul ? 'NULL' : '', `outside [${show(r.lo)}, ${show(r.hi)})`, r.strictAlign ? 'misaligned' : ''].filter(Boolean);
  return `can be ${parts.join(' or ')}`;
}

/** A helper's memory argument named by the error message (e.g. "R2 ..."), with its fault condition. */
function helperArg(M: PathMachine, pc: number, err: VerifierError): Judgement | null {
  const T = M.T;
  const ins = M.insns[pc]!;
  const proto = helperProto(ins.imm);
  const rm = /\bR(\d)\b/.exec(err.message);
  if (!proto || !rm) return null;
  let r = Number(rm[1]);
  let spec = proto.args[r - 1];
  if (!spec) return null;
  if (spec.base.startsWith('ARG_CONST_SIZE') && r > 1) { r--; spec = proto.args[r - 1]!; }
  const v = M.reg(r);
  const isMem = ['ARG_PTR_TO_MEM', 'ARG_PTR_TO_FIXED_SIZE_MEM', 'ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_VALUE', 'ARG_PTR_TO_STACK', 'ARG_PTR_TO_RINGBUF_MEM'].includes(spec.base);
  if (!isMem) return null;
  if (v.k !== 'ptr') {
    if (v.k === 'scalar' && v.t.c === 0n && spec.maybeNull) return null;
    return { cond: T.tt, class: 'memory', what: `R${r} of ${proto.name} is ${valName(v)}, not memory` };
  }
  let size: Term | undefined;
  if (spec.base === 'ARG_PTR_TO_MAP_KEY' || spec.base === 'ARG_PTR_TO_MAP_VALUE') {
    const mp = M.reg(1);
    if (mp.k === 'mapptr') {
      const m = M.program.maps[mp.map];
      if (m) size = T.k(spec.base === 'ARG_PTR_TO_MAP_KEY' ? m.keySize : m.valueSize);
    }
  } else if (spec.fixedSize !== undefined) size = T.k(spec.fixedSize);
  else if (spec.base === 'ARG_PTR_TO_RINGBUF_MEM') size = T.k(0);
  else {
    const sv = M.reg(r + 1);
    if (sv.k === 'scalar') size = sv.t;
  }
  if (!size) return null;
  if (size.c === 0n && spec.base !== 'ARG_PTR_TO_RINGBUF_MEM') return null;
  const cond = spec.base === 'ARG_PTR_TO_RINGBUF_MEM' ? (v.nul ?? T.ff) : faultCond(M, v, size, !!(spec.uninit || spec.write));
  return {
    cond,
    class: 'memory',
    what: `${proto.name}'s R${r} (${v.region.label}${size.c !== undefined ? `, ${size.c} bytes` : ', variable size'}) can be ${v.nul ? 'NULL or ' : ''}outside its region`,
    access: { region: v.region.kind, offset: v.off, size, write: !!(spec.uninit || spec.write) },
  };
}

/**
 * Pointer +/- a scalar the verifier cannot bound ("unbounded min value", "goes out of range"):
 * the real hazard is a pointer that leaves its object, so ask whether the new offset can lie
 * outside [start, end] of the region (one past the end is still a valid pointer value).
 */
function pointerMath(M: PathMachine, err: VerifierError): Judgement | null {
  if (!/unbounded|min value|out of range|out of bounds/.test(err.message)) return null;
  const T = M.T;
  const ins = M.insns[err.pc]!;
  const o = op.aluOp(ins.code);
  if (op.cls(ins.code) !== op.BPF_ALU64 || (o !== op.BPF_ADD && o !== op.BPF_SUB)) return null;
  const d = M.reg(ins.dst);
  const sv: Val = op.srcBit(ins.code) === op.BPF_X ? M.reg(ins.src) : { k: 'scalar', t: T.k(ins.imm) };
  const [p, x] = d.k === 'ptr' && sv.k === 'scalar' ? [d, sv.t] : sv.k === 'ptr' && d.k === 'scalar' && o === op.BPF_ADD ? [sv, d.t] : [null, null];
  if (!p || !x) return null;
  const off = o === op.BPF_ADD ? T.add(p.off, x) : T.sub(p.off, x);
  const r = p.region;
  return {
    cond: T.not(T.and(T.sle(r.lo, off), T.sle(off, r.hi))),
    class: 'pointer',
    what: `R${ins.dst} = ${r.label} ${o === op.BPF_ADD ? '+' : '-'} a scalar can point outside [${show(r.lo)}, ${show(r.hi)}]`,
    access: { region: r.kind, offset: off, size: T.k(0), write: false },
  };
}

function rule(M: PathMachine, err: VerifierError): Judgement {
  const doc = (ERROR_KINDS[err.kind] ?? err.kind).split(/:? \(?`/)[0]!.trim();
  return { cond: M.T.tt, class: 'rule', what: `rule ${err.kind} (${doc}): ${err.message}` };
}

/** The condition of the failing step for verifier error `err` at the end of the machine's path. */
export function judge(M: PathMachine, err: VerifierError): Judgement {
  const T = M.T;
  const ins = M.insns[err.pc]!;
  const c = op.cls(ins.code);
  if (err.kind === 'return_range' && (c === op.BPF_JMP || c === op.BPF_JMP32) && op.jmpOp(ins.code) === op.BPF_EXIT) {
    const r0 = M.reg(0);
    const range = progTypeInfo(M.program.type, M.program.expectedAttachType)?.ret.verifierRange;
    if (r0.k !== 'scalar' || !range) return { cond: T.tt, class: 'return', what: `r0 at exit is ${valName(r0)}, not a verdict` };
    const inRange = T.and(T.sle(T.k(range.min), r0.t), T.sle(r0.t, T.k(range.max)));
    return { cond: T.not(inRange), class: 'return', what: `r0 at exit can be outside [${range.min}, ${range.max}]` };
  }
  if (err.kind === 'pointer_arithmetic' && (c === op.BPF_ALU64 || c === op.BPF_ALU)) {
    const j = pointerMath(M, err);
    if (j) return j;
  }
  if (!MEMORY_KINDS.has(err.kind)) return rule(M, err);
  if (c === op.BPF_LDX || c === op.BPF_ST || c === op.BPF_STX) return memInsn(M, err.pc);
  if ((c === op.BPF_JMP || c === op.BPF_JMP32) && op.jmpOp(ins.code) === op.BPF_CALL && ins.src === 0) {
    const j = helperArg(M, err.pc, err);
    if (j) return j;
  }
  return rule(M, err);
}
