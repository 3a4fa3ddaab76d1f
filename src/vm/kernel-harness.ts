/**
 * Program rewrites that let the running kernel answer the same question as the VM:
 * - `captureR0`: BPF_PROG_TEST_RUN reports r0 truncated to 32 bits, so every exit of the main
 *   program first stores the full r0 into an array map (`__r0`), read back after the run;
 * - `memInMap`: conformance tests pass raw memory in r1/r2; the kernel gets it as an array map
 *   value (`__mem`) whose address and size a prologue loads into r1 and r2, which the verifier
 *   can bound.
 * Inserting instructions relocates every pc-relative jump, call and callback reference.
 */
import { copyInsn, type Insn, ldImm64, makeInsn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { makeMapSpec, makeProgram, type MapSpec, type Program } from '../isa/program.js';

/** pc-relative references of a slot: { target, field } or null. */
function relTarget(ins: Insn, pc: number): { t: number; field: 'off' | 'imm' } | null {
  const c = op.cls(ins.code);
  if (ins.code === op.BPF_LD_IMM64 && ins.src === op.BPF_PSEUDO_FUNC) return { t: pc + 1 + ins.imm, field: 'imm' };
  if (c !== op.BPF_JMP && c !== op.BPF_JMP32) return null;
  const o = op.jmpOp(ins.code);
  if (o === op.BPF_EXIT) return null;
  if (o === op.BPF_CALL) return ins.src === op.BPF_PSEUDO_CALL ? { t: pc + 1 + ins.imm, field: 'imm' } : null;
  if (o === op.BPF_JA && c === op.BPF_JMP32) return { t: pc + 1 + ins.imm, field: 'imm' };
  return { t: pc + 1 + ins.off, field: 'off' };
}

/**
 * Rebuilds `insns` with `before[pc]` inserted before slot pc and `replace[pc]` instead of it;
 * references to pc land on its replacement (or on pc itself after the inserted slots).
 */
export function rewrite(insns: readonly Insn[], before: ReadonlyMap<number, Insn[]>, replace: ReadonlyMap<number, Insn[]>): Insn[] {
  const out: Insn[] = [];
  const pos = new Int32Array(insns.length + 1);
  const origin: number[] = []; // out index -> old pc for slots that carry an old insn, -1 otherwise
  for (let pc = 0; pc < insns.length; pc++) {
    for (const i of before.get(pc) ?? []) { out.push(copyInsn(i)); origin.push(-1); }
    pos[pc] = out.length;
    const rep = replace.get(pc);
    if (rep) for (const i of rep) { out.push(copyInsn(i)); origin.push(-1); }
    else { out.push(copyInsn(insns[pc]!)); origin.push(pc); }
  }
  pos[insns.length] = out.length;
  for (let n = 0; n < out.length; n++) {
    const pc = origin[n]!;
    if (pc < 0) continue;
    const r = relTarget(insns[pc]!, pc);
    if (!r || r.t < 0 || r.t > insns.length) continue;
    const rel = pos[r.t]! - (n + 1);
    if (r.field === 'off') out[n]!.off = rel; else out[n]!.imm = rel;
  }
  return out;
}

/** First pc of every subprogram after the main one (call and callback targets). */
function subprogStarts(insns: readonly Insn[]): number[] {
  const s = new Set<number>();
  insns.forEach((ins, pc) => {
    if ((ins.code === (op.BPF_JMP | op.BPF_CALL) && ins.src === op.BPF_PSEUDO_CALL) || (ins.code === op.BPF_LD_IMM64 && ins.src === op.BPF_PSEUDO_FUNC))
      s.add(pc + 1 + ins.imm);
  });
  return [...s].filter((x) => x > 0).sort((a, b) => a - b);
}

export const R0_MAP = '__r0';
export const MEM_MAP = '__mem';

/** Adds `__r0` (array, 1 x u64) and stores r0 there before every exit of the main program. */
export function captureR0(program: Program): Program {
  const maps: MapSpec[] = [...program.maps, makeMapSpec({ name: R0_MAP, type: 'array', keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 })];
  const idx = maps.length - 1;
  const mainEnd = subprogStarts(program.insns)[0] ?? program.insns.length;
  const replace = new Map<number, Insn[]>();
  for (let pc = 0; pc < mainEnd; pc++) {
    const ins = program.insns[pc]!;
    if (ins.code === op.BPF_LD_IMM64) { pc++; continue; }
    if (ins.code === (op.BPF_JMP | op.BPF_EXIT)) {
      const [a, b] = ldImm64(1, 0n, op.BPF_PSEUDO_MAP_VALUE);
      a.imm = idx;
      replace.set(pc, [a, b, makeInsn(op.BPF_STX | op.BPF_MEM | op.BPF_DW, 1, 0, 0, 0), makeInsn(op.BPF_JMP | op.BPF_EXIT, 0, 0, 0, 0)]);
    }
  }
  return makeProgram({ ...program, maps, insns: rewrite(program.insns, new Map(), replace) });
}

/** Adds `__mem` (array, 1 x mem.length bytes) and a prologue r1 = &value, r2 = length. */
export function memInMap(program: Program, memLength: number): Program {
  const maps: MapSpec[] = [...program.maps, makeMapSpec({ name: MEM_MAP, type: 'array', keySize: 4, valueSize: Math.max(memLength, 1), maxEntries: 1, flags: 0 })];
  const [a, b] = ldImm64(1, 0n, op.BPF_PSEUDO_MAP_VALUE);
  a.imm = maps.length - 1;
  const prologue: Insn[] = [a, b, makeInsn(op.BPF_ALU64 | op.BPF_MOV | op.BPF_K, 2, 0, 0, memLength)];
  return makeProgram({ ...program, maps, insns: rewrite(program.insns, new Map([[0, prologue]]), new Map()) });
}
