/**
 * The VM interpreter's type feedback, collected before a campaign rather than during it. The
 * interpreter's loop (vm/interpreter.ts `exec`) is one large function: V8 optimises it within
 * the first programs of a campaign, when fuzz programs have reached only some of its cases, and
 * every case or branch reached later for the first time (a shift by 32 or more, `le32`, a signed
 * division, ...) has no type feedback, deoptimises it and makes TurboFan compile all of it again
 * -- with what it inlines, the most expensive compile of a campaign (measured on a cold worker,
 * 10,000 guided sanitize programs: 6 compiles of `exec`, 22% of all TurboFan compile time). Those
 * compiles run on V8's helper threads, which with one worker per core take CPU from the other
 * worker.
 *
 * One program that takes every case of the interpreter's switch and both sides of the branches
 * inside them, run a few times in each isolate before its first campaign program, gives the
 * first optimised `exec` feedback for all of them. It runs unverified, in a few milliseconds.
 */
import { type Insn, makeInsn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { makeProgram, type Program } from '../isa/program.js';
import { ATOMIC_KINDS } from '../runtime/access.js';
import { Vm } from '../vm/vm.js';
import { modernBtf } from './generators/modern.js';

const X = op.BPF_X, K = op.BPF_K;
/** ALU operations (with BPF_NEG, BPF_END and movsx/sdiv variants handled below). */
const ALU = [op.BPF_ADD, op.BPF_SUB, op.BPF_MUL, op.BPF_DIV, op.BPF_OR, op.BPF_AND, op.BPF_LSH, op.BPF_RSH, op.BPF_MOD, op.BPF_XOR, op.BPF_MOV, op.BPF_ARSH];
const JMP = [op.BPF_JEQ, op.BPF_JGT, op.BPF_JGE, op.BPF_JSET, op.BPF_JNE, op.BPF_JSGT, op.BPF_JSGE, op.BPF_JLT, op.BPF_JLE, op.BPF_JSLT, op.BPF_JSLE];
/** Registers holding the operand values below (r6 keeps the context for the packet loads). */
const VALUES: readonly (readonly [number, number])[] = [[1, 0], [2, 5], [3, 40], [4, -7], [5, 0x7fffffff], [9, 0x12345678]];
/** r5 then gets 0x80000001 (a low half past 2^31 with a zero high half: the divisions' and remainders' number paths). */
const LOW_PAST_2_31 = -0x7fffffff;
/** Operand pairs for the comparisons: greater, smaller, equal, negative, and equal high halves with different low ones. */
const PAIRS: readonly (readonly [number, number])[] = [[2, 3], [3, 2], [2, 2], [4, 2], [2, 4], [9, 5], [4, 4]];

/** The warm-up program: straight-line code (every jump goes to the next instruction whichever way it goes). */
export function warmUpProgram(): Program {
  const insns: Insn[] = [];
  const emit = (code: number, dst: number, src: number, off: number, imm: number): void => { insns.push(makeInsn(code, dst, src, off, imm)); };
  const values = (): void => { for (const [r, v] of VALUES) emit(op.BPF_ALU64 | op.BPF_MOV | K, r, 0, 0, v); emit(op.BPF_ALU64 | op.BPF_LSH | K, 9, 0, 0, 32); emit(op.BPF_ALU64 | op.BPF_OR | K, 9, 0, 0, 3); emit(op.BPF_ALU | op.BPF_MOV | K, 5, 0, 0, LOW_PAST_2_31); };
  emit(op.BPF_ALU64 | op.BPF_MOV | X, 6, 1, 0, 0);
  values();
  for (const cls of [op.BPF_ALU64, op.BPF_ALU]) {
    for (const a of ALU) {
      for (const [s] of VALUES) {
        emit(op.BPF_ALU64 | op.BPF_MOV | X, 7, 9, 0, 0);
        emit(cls | a | X, 7, s, 0, 0);
        emit(op.BPF_ALU64 | op.BPF_MOV | X, 8, 4, 0, 0);
        emit(cls | a | X, 8, s, 0, 0);
        emit(op.BPF_ALU64 | op.BPF_MOV | X, 7, 5, 0, 0);
        emit(cls | a | X, 7, s, 0, 0);
      }
      emit(cls | a | K, 7, 0, 0, 3);
    }
    for (const s of [2, 4, 5]) {
      emit(cls | op.BPF_DIV | X, 7, s, 1, 0);
      emit(cls | op.BPF_MOD | X, 8, s, 1, 0);
      emit(cls | op.BPF_DIV | X, 7, 1, 1, 0);
      emit(cls | op.BPF_MOD | X, 8, 1, 1, 0);
    }
    for (const w of cls === op.BPF_ALU64 ? [8, 16, 32] : [8, 16]) emit(cls | op.BPF_MOV | X, 7, 4, w, 0);
    emit(cls | op.BPF_NEG, 7, 0, 0, 0);
    emit(cls | op.BPF_NEG, 1, 0, 0, 0);
    for (const w of [16, 32, 64]) {
      emit(cls | op.BPF_END | (cls === op.BPF_ALU ? op.BPF_TO_LE : 0), 7, 0, 0, w);
      emit(cls | op.BPF_END | (cls === op.BPF_ALU ? op.BPF_TO_BE : 0), 8, 0, 0, w);
    }
    values();
  }
  for (const cls of [op.BPF_JMP, op.BPF_JMP32]) {
    for (const j of JMP) for (const [a, b] of PAIRS) emit(cls | j | X, a, b, 0, 0);
    emit(cls | op.BPF_JEQ | K, 2, 0, 0, 5);
  }
  emit(op.BPF_JMP | op.BPF_JA, 0, 0, 0, 0);
  emit(op.BPF_LD_IMM64, 7, 0, 0, 0x11223344);
  emit(0, 0, 0, 0, 0x55667788);
  // Stack stores and loads of every size, signed loads, and a context field (the slow path).
  for (const [sz, at] of [[op.BPF_DW, -8], [op.BPF_W, -12], [op.BPF_H, -14], [op.BPF_B, -15]] as const) {
    emit(op.BPF_STX | op.BPF_MEM | sz, 10, 4, at, 0);
    emit(op.BPF_ST | op.BPF_MEM | sz, 10, 0, at - 16, -3);
    emit(op.BPF_LDX | op.BPF_MEM | sz, 7, 10, at, 0);
    if (sz !== op.BPF_DW) emit(op.BPF_LDX | op.BPF_MEMSX | sz, 8, 10, at, 0);
  }
  emit(op.BPF_LDX | op.BPF_MEM | op.BPF_W, 7, 6, 0, 0);
  for (const sz of [op.BPF_W, op.BPF_DW]) {
    for (const k of ATOMIC_KINDS) {
      emit(op.BPF_ALU64 | op.BPF_MOV | X, 0, 2, 0, 0);
      emit(op.BPF_ALU64 | op.BPF_MOV | X, 7, 3, 0, 0);
      emit(op.BPF_STX | op.BPF_ATOMIC | sz, 10, 7, -8, k);
    }
  }
  // Legacy packet loads (r6: the context), absolute and indirect.
  emit(op.BPF_ALU64 | op.BPF_MOV | K, 7, 0, 0, 2);
  for (const sz of [op.BPF_W, op.BPF_H, op.BPF_B]) {
    emit(op.BPF_LD | op.BPF_ABS | sz, 0, 0, 0, 4);
    emit(op.BPF_LD | op.BPF_IND | sz, 0, 7, 0, 4);
  }
  // Two helpers: the interpreter's helper call site must not be optimised for one callee.
  emit(op.BPF_JMP | op.BPF_CALL, 0, 0, 0, 5); // bpf_ktime_get_ns
  emit(op.BPF_JMP | op.BPF_CALL, 0, 0, 0, 7); // bpf_get_prandom_u32
  emit(op.BPF_JMP | op.BPF_JCOND, 0, op.BPF_MAY_GOTO, 1, 0);
  emit(op.BPF_ALU64 | op.BPF_MOV | X, 0, 0, 0, 0);
  emit(op.BPF_JMP | op.BPF_CALL, 0, op.BPF_PSEUDO_CALL, 0, 2); // the subprogram after exit
  emit(op.BPF_ALU64 | op.BPF_MOV | K, 0, 0, 0, 0);
  emit(op.BPF_JMP | op.BPF_EXIT, 0, 0, 0, 0);
  emit(op.BPF_ALU64 | op.BPF_MOV | K, 0, 0, 0, 1);
  emit(op.BPF_JMP | op.BPF_EXIT, 0, 0, 0, 0);
  return makeProgram({ name: 'vm-warm-up', section: 'socket', type: 'socket_filter', insns, maps: [], license: 'GPL' });
}

/**
 * One access each through a pointer whose low half is past 2^31 (the stack pointer moved far
 * down): the fast path's address arithmetic sees such a value, then the access faults.
 */
export function wildAccessPrograms(): Program[] {
  const accesses: [number, number][] = [];
  for (const sz of [op.BPF_DW, op.BPF_W, op.BPF_H, op.BPF_B]) {
    accesses.push([op.BPF_LDX | op.BPF_MEM | sz, 0], [op.BPF_STX | op.BPF_MEM | sz, 0]);
    if (sz !== op.BPF_DW) accesses.push([op.BPF_LDX | op.BPF_MEMSX | sz, 0]);
  }
  for (const sz of [op.BPF_W, op.BPF_DW]) accesses.push([op.BPF_STX | op.BPF_ATOMIC | sz, 0]);
  return accesses.map(([code, imm]) => {
    const load = op.cls(code) === op.BPF_LDX;
    const insns = [
      makeInsn(op.BPF_ALU64 | op.BPF_MOV | X, 7, 10, 0, 0),
      makeInsn(op.BPF_ALU64 | op.BPF_ADD | K, 7, 0, 0, -0x7ffffff0),
      makeInsn(op.BPF_ALU64 | op.BPF_MOV | K, 2, 0, 0, 1),
      load ? makeInsn(code, 0, 7, 0, 0) : makeInsn(code, 7, 2, 0, imm),
      makeInsn(op.BPF_ALU64 | op.BPF_MOV | K, 0, 0, 0, 0),
      makeInsn(op.BPF_JMP | op.BPF_EXIT, 0, 0, 0, 0),
    ];
    return makeProgram({ name: 'vm-warm-up-wild', section: 'socket', type: 'socket_filter', insns, maps: [], license: 'GPL' });
  });
}

/** A legacy packet load whose offset register plus immediate overflows 32 bits (the program exits there, as the kernel's does). */
export function overflowingLoadProgram(): Program {
  const insns = [
    makeInsn(op.BPF_ALU64 | op.BPF_MOV | X, 6, 1, 0, 0),
    makeInsn(op.BPF_ALU64 | op.BPF_MOV | K, 7, 0, 0, 0x7fffffff),
    makeInsn(op.BPF_LD | op.BPF_IND | op.BPF_B, 0, 7, 0, 0x7fffffff),
    makeInsn(op.BPF_ALU64 | op.BPF_MOV | K, 0, 0, 0, 0),
    makeInsn(op.BPF_JMP | op.BPF_EXIT, 0, 0, 0, 0),
  ];
  return makeProgram({ name: 'vm-warm-up-ld-ind', section: 'socket', type: 'socket_filter', insns, maps: [], license: 'GPL' });
}

/**
 * Kfunc calls, as the modern generator makes them (generators/modern.ts: ids of the running
 * kernel's BTF): one that runs two (bpf_cast_to_kern_ctx, an RCU section marker) and one that
 * is not linked (the run stops there). None without the kernel's BTF -- then campaigns make no
 * kfunc calls either.
 */
export function kfuncPrograms(): Program[] {
  const btf = modernBtf();
  const id = btf?.kfunc('bpf_rcu_read_lock'), castId = btf?.kfunc('bpf_cast_to_kern_ctx');
  if (id === undefined || castId === undefined) return [];
  const call = (imm: number): Insn => makeInsn(op.BPF_JMP | op.BPF_CALL, 0, op.BPF_PSEUDO_KFUNC_CALL, 0, imm);
  const exit = [makeInsn(op.BPF_ALU64 | op.BPF_MOV | K, 0, 0, 0, 0), makeInsn(op.BPF_JMP | op.BPF_EXIT, 0, 0, 0, 0)];
  const prog = (insns: Insn[]): Program => makeProgram({ name: 'vm-warm-up-kfunc', section: 'socket', type: 'socket_filter', insns, maps: [], license: 'GPL' });
  // Two implementations (r1 is the context at entry): the call site must not be optimised for one.
  return [prog([call(castId), call(id), ...exit]), prog([call(0x7fffffff), ...exit])];
}

/** Runs before V8 gives `exec` its feedback vector, and after: enough that the later runs record feedback. */
const RUNS = 8;
let warm = false;

/**
 * Runs the warm-up program in this isolate (once; later calls return at once). Returns its
 * result as the VM reports it, for tests; campaigns ignore it.
 */
export function warmUpVm(): ReturnType<Vm['run']> | null {
  if (warm) return null;
  warm = true;
  const vm = new Vm(warmUpProgram(), { maxSteps: 100_000 });
  const wild = [...wildAccessPrograms(), overflowingLoadProgram(), ...kfuncPrograms()].map((p) => new Vm(p, { maxSteps: 100 }));
  const packet = new Uint8Array(64);
  let last: ReturnType<Vm['run']> | null = null;
  for (let i = 0; i < RUNS; i++) {
    last = vm.run({ packet });
    for (const w of wild) w.run({ packet });
  }
  return last;
}
