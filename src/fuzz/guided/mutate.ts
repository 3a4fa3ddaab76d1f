/**
 * Mutation operators of the guided fuzzer, over programs as lists of instruction units (an
 * ld_imm64 pair is one unit) whose jumps and local calls name their target unit rather than an
 * offset: inserting, deleting or duplicating instructions keeps every jump on the instruction it
 * aimed at, so mutants stay mostly well-formed and explore the verifier's checks rather than its
 * structural rejections. Offsets are recomputed when the units are laid out again.
 *
 *   insert    a random valid-encoding instruction (raw.ts)        delete   one unit
 *   replace   a unit by a random instruction                      field    dst/src/off/imm
 *   aluop     another ALU operation, same class and source        jmpop    another comparison
 *   flip      a conditional jump's comparison negated (jeq <-> jne, jgt <-> jle, ...)
 *   width     ALU <-> ALU64, JMP <-> JMP32; load/store size       edge     imm set to an edge constant
 *   dupblock  a run of units copied after itself                  splice   head of this program,
 *   graft     an instruction of another program inserted                    tail of another
 */
import fc from 'fast-check';
import { copyInsn, type Insn, makeInsn } from '../../isa/insn.js';
import * as op from '../../isa/opcodes.js';
import { makeProgram, type Program } from '../../isa/program.js';
import { IMM32_EDGES } from '../generators/constants.js';
import { rawInsnArb } from '../generators/raw.js';

interface Unit {
  insns: Insn[];
  /** Jump / local-call target, or null. */
  target: Unit | null;
}

/** Jumps with a pc-relative `off` (conditional jumps and `ja`). */
const hasOffTarget = (i: Insn): boolean => {
  const c = op.cls(i.code);
  if (c !== op.BPF_JMP && c !== op.BPF_JMP32) return false;
  const o = op.jmpOp(i.code);
  if (o === op.BPF_CALL || o === op.BPF_EXIT) return false;
  return !(c === op.BPF_JMP32 && o === op.BPF_JA); // gotol: imm-relative, kept as it is
};
const isLocalCall = (i: Insn): boolean => i.code === (op.BPF_JMP | op.BPF_CALL) && i.src === op.BPF_PSEUDO_CALL;
const isCond = (i: Insn): boolean => hasOffTarget(i) && op.jmpOp(i.code) !== op.BPF_JA && op.jmpOp(i.code) !== op.BPF_JCOND;

function toUnits(insns: readonly Insn[]): Unit[] {
  const units: Unit[] = [];
  const unitAt: (Unit | undefined)[] = new Array(insns.length + 1);
  for (let pc = 0; pc < insns.length; pc++) {
    const wide = insns[pc]!.code === op.BPF_LD_IMM64 && pc + 1 < insns.length;
    const u: Unit = { insns: wide ? [copyInsn(insns[pc]!), copyInsn(insns[pc + 1]!)] : [copyInsn(insns[pc]!)], target: null };
    units.push(u);
    unitAt[pc] = u;
    if (wide) pc++;
  }
  let pc = 0;
  for (const u of units) {
    const i = u.insns[0]!;
    const t = hasOffTarget(i) ? pc + 1 + i.off : isLocalCall(i) ? pc + 1 + i.imm : -1;
    if (t >= 0) u.target = unitAt[t] ?? null;
    pc += u.insns.length;
  }
  return units;
}

/** Copies of the instructions of unit `k` (modulo the number of units) of `insns`, as toUnits would give them; null when there are none. */
function unitOf(insns: readonly Insn[], k: number): Insn[] | null {
  const wideAt = (pc: number): boolean => insns[pc]!.code === op.BPF_LD_IMM64 && pc + 1 < insns.length;
  let n = 0;
  for (let pc = 0; pc < insns.length; pc += wideAt(pc) ? 2 : 1) n++;
  if (n === 0) return null;
  let pc = 0;
  for (let u = k % n; u > 0; u--) pc += wideAt(pc) ? 2 : 1;
  return wideAt(pc) ? [copyInsn(insns[pc]!), copyInsn(insns[pc + 1]!)] : [copyInsn(insns[pc]!)];
}

/** Lays units out again, with jump offsets to their targets; a jump whose target is gone goes to the last unit. */
function fromUnits(units: readonly Unit[]): Insn[] {
  const at = new Map<Unit, number>();
  let pc = 0;
  for (const u of units) { at.set(u, pc); pc += u.insns.length; }
  const last = units.length > 0 ? at.get(units[units.length - 1]!)! : 0;
  const out: Insn[] = [];
  for (const u of units) {
    const here = out.length;
    const i = u.insns[0]!;
    if (hasOffTarget(i) || (isLocalCall(i) && u.target)) {
      const t = u.target ? at.get(u.target) ?? last : last;
      const rel = t - here - 1;
      if (isLocalCall(i)) i.imm = rel;
      else i.off = Math.max(-0x8000, Math.min(0x7fff, rel)) | 0;
    }
    out.push(...u.insns);
  }
  if (out.length === 0) out.push(makeInsn(op.BPF_JMP | op.BPF_EXIT, 0, 0, 0, 0));
  return out;
}

export type GuidedMutation =
  | { k: 'insert' | 'replace'; at: number; insns: Insn[] }
  | { k: 'delete'; at: number }
  | { k: 'field'; at: number; field: 'dst' | 'src' | 'off' | 'imm'; value: number }
  | { k: 'aluop' | 'jmpop'; at: number; pick: number }
  | { k: 'flip' | 'width'; at: number }
  | { k: 'edge'; at: number; pick: number }
  | { k: 'dupblock'; at: number; len: number }
  | { k: 'splice' | 'graft'; at: number; from: number };

const ALU_OPS = [op.BPF_ADD, op.BPF_SUB, op.BPF_MUL, op.BPF_DIV, op.BPF_OR, op.BPF_AND, op.BPF_LSH, op.BPF_RSH, op.BPF_MOD, op.BPF_XOR, op.BPF_MOV, op.BPF_ARSH];
const JMP_OPS = [op.BPF_JEQ, op.BPF_JGT, op.BPF_JGE, op.BPF_JSET, op.BPF_JNE, op.BPF_JSGT, op.BPF_JSGE, op.BPF_JLT, op.BPF_JLE, op.BPF_JSLT, op.BPF_JSLE];
/** The comparison that holds exactly when this one does not (jset has none: it becomes jeq). */
const NEGATED: Record<number, number> = {
  [op.BPF_JEQ]: op.BPF_JNE, [op.BPF_JNE]: op.BPF_JEQ, [op.BPF_JGT]: op.BPF_JLE, [op.BPF_JLE]: op.BPF_JGT, [op.BPF_JGE]: op.BPF_JLT,
  [op.BPF_JLT]: op.BPF_JGE, [op.BPF_JSGT]: op.BPF_JSLE, [op.BPF_JSLE]: op.BPF_JSGT, [op.BPF_JSGE]: op.BPF_JSLT, [op.BPF_JSLT]: op.BPF_JSGE,
  [op.BPF_JSET]: op.BPF_JEQ,
};
const SIZES = [op.BPF_B, op.BPF_H, op.BPF_W, op.BPF_DW];

const reg = fc.integer({ min: 0, max: 10 });
const pos = fc.nat({ max: 0xffff });

export const guidedMutationArb: fc.Arbitrary<GuidedMutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('insert' as const), at: pos, insns: rawInsnArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('replace' as const), at: pos, insns: rawInsnArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('delete' as const), at: pos }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('field' as const), at: pos, field: fc.constantFrom('dst' as const, 'src' as const, 'off' as const, 'imm' as const),
    value: fc.oneof(reg, fc.integer({ min: -16, max: 64 }), fc.integer({ min: -0x8000, max: 0x7fff })) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('aluop' as const), at: pos, pick: fc.nat(ALU_OPS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('jmpop' as const), at: pos, pick: fc.nat(JMP_OPS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('flip' as const), at: pos }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('width' as const), at: pos }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('edge' as const), at: pos, pick: fc.nat(IMM32_EDGES.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('dupblock' as const), at: pos, len: fc.integer({ min: 2, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('splice' as const), at: pos, from: pos }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('graft' as const), at: pos, from: pos }) },
);

/** Applies `muts` to a copy of `p`; `other` is the second parent of a splice. Positions are taken modulo the current length. */
export function applyMutations(p: Program, muts: readonly GuidedMutation[], other: Program, maxUnits = 256): Program {
  let units = toUnits(p.insns);
  let maps = p.maps;
  for (const m of muts) {
    const n = units.length;
    if (n === 0) break;
    const u = units[m.at % n]!;
    const i = u.insns[0]!;
    const c = op.cls(i.code);
    switch (m.k) {
      case 'insert':
      case 'replace': {
        const fresh = toUnits(m.insns);
        // A raw jump in an inserted unit keeps its raw offset target relative to where it lands.
        if (m.k === 'replace') {
          units.splice(m.at % n, 1, ...fresh);
          for (const x of units) if (x.target === u) x.target = fresh[0]!;
        } else units.splice(m.at % (n + 1), 0, ...fresh);
        const at = units.indexOf(fresh[0]!);
        for (const f of fresh) if (hasOffTarget(f.insns[0]!)) f.target = units[Math.min(units.length - 1, at + 1 + Math.max(0, f.insns[0]!.off))] ?? null;
        break;
      }
      case 'delete': {
        if (n <= 1) break;
        const k = m.at % n;
        units.splice(k, 1);
        const next = units[Math.min(k, units.length - 1)]!;
        for (const x of units) if (x.target === u) x.target = next;
        break;
      }
      case 'field': {
        if (m.field === 'off') { if (!hasOffTarget(i)) i.off = (m.value << 16) >> 16; else u.target = units[(((m.at + m.value) % n) + n) % n]!; }
        else if (m.field === 'imm') { if (!isLocalCall(i)) i.imm = m.value | 0; }
        else i[m.field] = m.value & 0xf;
        break;
      }
      case 'aluop':
        if ((c === op.BPF_ALU || c === op.BPF_ALU64) && op.aluOp(i.code) !== 0x80 && op.aluOp(i.code) !== 0xd0) i.code = (i.code & 0x0f) | ALU_OPS[m.pick]!;
        break;
      case 'jmpop':
        if (isCond(i)) i.code = (i.code & 0x0f) | JMP_OPS[m.pick]!;
        break;
      case 'flip':
        if (isCond(i)) i.code = (i.code & 0x0f) | (NEGATED[op.jmpOp(i.code)] ?? op.jmpOp(i.code));
        break;
      case 'width':
        if (c === op.BPF_ALU || c === op.BPF_ALU64) i.code ^= op.BPF_ALU ^ op.BPF_ALU64;
        else if (isCond(i)) i.code ^= op.BPF_JMP ^ op.BPF_JMP32;
        else if (c === op.BPF_LDX || c === op.BPF_STX || c === op.BPF_ST) {
          const atomic = c === op.BPF_STX && op.mode(i.code) === op.BPF_ATOMIC;
          const sizes = atomic ? [op.BPF_W, op.BPF_DW] : SIZES;
          const k = sizes.indexOf(op.size(i.code));
          i.code = (i.code & ~0x18) | sizes[(k + 1) % sizes.length]!;
        }
        break;
      case 'edge':
        if (i.code !== op.BPF_LD_IMM64 && !isLocalCall(i) && (c !== op.BPF_JMP || op.jmpOp(i.code) !== op.BPF_CALL)) i.imm = IMM32_EDGES[m.pick]! | 0;
        break;
      case 'dupblock': {
        const k = m.at % n;
        const block = units.slice(k, Math.min(n, k + m.len));
        const copies = new Map<Unit, Unit>(block.map((b) => [b, { insns: b.insns.map(copyInsn), target: null }]));
        for (const [b, cp] of copies) cp.target = b.target ? copies.get(b.target) ?? b.target : null;
        units.splice(k + block.length, 0, ...copies.values());
        break;
      }
      case 'graft': {
        // Another corpus program's instruction: its operands were meaningful somewhere, unlike a raw one's.
        const d = unitOf(other.insns, m.from);
        if (!d) break;
        const g: Unit = { insns: d, target: null };
        const k = m.at % (n + 1);
        units.splice(k, 0, g);
        if (hasOffTarget(g.insns[0]!)) g.target = units[Math.min(units.length - 1, k + 1 + Math.max(0, g.insns[0]!.off))] ?? null;
        break;
      }
      case 'splice': {
        // Head of this program up to a unit, tail of the other from one: its jumps stay within the tail.
        const tail = toUnits(other.insns);
        if (tail.length === 0 || (other.type !== p.type && other.maps.length > 0)) break;
        const from = m.from % tail.length;
        units = [...units.slice(0, (m.at % n) + 1), ...tail.slice(from)];
        const kept = new Set(units);
        for (const x of units) if (x.target && !kept.has(x.target)) x.target = null;
        if (other.maps.length > maps.length) maps = other.maps;
        break;
      }
    }
    if (units.length > maxUnits) units = units.slice(0, maxUnits);
  }
  return makeProgram({ ...p, name: `${p.name.replace(/-g$/, '')}-g`, maps, insns: fromUnits(units) });
}
