/**
 * BPF arenas (Linux 6.9): memory shared with user space, addressed by 32-bit offsets. The
 * verifier does not check accesses to it (the JIT turns them into faulting-safe PROBE_MEM32
 * accesses); it only knows which registers are arena pointers (PTR_TO_ARENA, made by
 * `addr_space_cast(r, 0, 1)`), and that a program using arena instructions has one arena map.
 */
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import type { Program } from '../isa/program.js';
import type { Env } from './env.js';
import { T } from './reg-types.js';
import type { Reg } from './state.js';

/** The program's arena map (env->prog->aux->arena): the one an ld_imm64 names, if any. */
const arenaOf = new WeakMap<Program, number>();

function programArena(prog: Program): number {
  let found = arenaOf.get(prog);
  if (found !== undefined) return found;
  found = -1;
  for (let pc = 0; pc < prog.insns.length; pc++) {
    const ins = prog.insns[pc]!;
    if (ins.code !== op.BPF_LD_IMM64) continue;
    if ((ins.src === op.BPF_PSEUDO_MAP_FD || ins.src === op.BPF_PSEUDO_MAP_VALUE) && !prog.rawMapFds?.includes(pc)
      && prog.maps[ins.imm]?.type === 'arena') { found = ins.imm; break; }
    pc++;
  }
  arenaOf.set(prog, found);
  return found;
}

/**
 * __add_used_map for an ARENA map, run over every ld_imm64 up front: a program may use one
 * arena only. Returns the kernel's message, or undefined.
 */
export function secondArena(prog: Program, mapIndex: number): string | undefined {
  // (the map's type first: most programs have no arena, and finding the program's one costs a scan)
  if (prog.maps[mapIndex]?.type !== 'arena') return undefined;
  const first = programArena(prog);
  return first >= 0 && first !== mapIndex ? 'Only one arena per program' : undefined;
}

/**
 * check_alu_op for `rD = addr_space_cast(rS, to, from)` (ALU64 MOV X, off 1): only between
 * address spaces 1 and 0, only in a program with an arena. The result is an unknown value; cast
 * to the program's own address space (imm 1) it is an arena pointer.
 */
export function addrSpaceCast(env: Env, ins: Insn): void {
  if (ins.imm !== 1 && ins.imm !== 1 << 16) env.reject('invalid_insn', 'addr_space_cast insn can only convert between address space 1 and 0');
  if (programArena(env.prog) < 0) env.reject('invalid_insn', 'addr_space_cast insn can only be used in a program that has an associated arena');
  env.readReg(ins.src);
  const dst = env.writeReg(ins.dst);
  env.markUnknown(dst);
  if (ins.imm === 1) dst.type = T.PTR_TO_ARENA;
}

/**
 * adjust_reg_min_max_vals: any arithmetic is allowed on an arena pointer, which stays one (the
 * JIT keeps its low 32 bits). True when the instruction was that.
 */
export function arenaArithmetic(dst: Reg): boolean {
  return dst.type === T.PTR_TO_ARENA;
}
