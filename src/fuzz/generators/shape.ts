/**
 * The structured program description the generators produce and `lowerShape` turns into a
 * Program. Shapes, not instruction lists, are what fast-check generates and shrinks: removing a
 * fragment from a list, or a fragment's body, always leaves a well-formed program, so shrunk
 * counterexamples stay meaningful.
 *
 * Register convention of generated code: r6 = ctx (kept across calls), r7..r9 = the program's
 * scalar variables (`Var` 0..2), r0..r5 = scratch inside one fragment.
 */
import type { ProgType } from '../../isa/program.js';

/** Program types the structured generator knows how to exercise. */
export const FUZZ_PROG_TYPES = ['socket_filter', 'xdp', 'sched_cls', 'kprobe'] as const;
export type FuzzProgType = (typeof FUZZ_PROG_TYPES)[number];

/** A scalar variable: r7, r8 or r9. */
export type Var = 0 | 1 | 2;
export const varReg = (v: Var): number => 7 + v;

export type Operand = { reg: Var } | { imm: number };

export type AluName = 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'mod' | 'smod' | 'or' | 'and' | 'lsh' | 'rsh' | 'arsh' | 'xor' | 'mov';
export type CmpName = 'jeq' | 'jne' | 'jset' | 'jgt' | 'jge' | 'jlt' | 'jle' | 'jsgt' | 'jsge' | 'jslt' | 'jsle';
export type AtomicName = 'add' | 'or' | 'and' | 'xor' | 'fadd' | 'for' | 'fand' | 'fxor' | 'xchg' | 'cmpxchg';
export type Size = 1 | 2 | 4 | 8;

export type Frag =
  /** dst op= src (ALU or ALU64). */
  | { k: 'alu'; op: AluName; w32: boolean; dst: Var; src: Operand }
  | { k: 'neg'; w32: boolean; dst: Var }
  /** dst = constant, as mov32 / mov64 (sign-extended imm) / ld_imm64. */
  | { k: 'const'; dst: Var; value: bigint; how: 'mov32' | 'mov64' | 'ld64' }
  /** Sign-extending move (movsx). */
  | { k: 'movsx'; dst: Var; src: Var; bits: 8 | 16 | 32; w32: boolean }
  | { k: 'end'; dst: Var; kind: 'le' | 'be' | 'bswap'; bits: 16 | 32 | 64 }
  /** dst = ctx field (index into the type's readable fields), possibly a narrow load, possibly through a spilled ctx pointer. */
  | { k: 'ctx'; dst: Var; field: number; narrow: number; viaSpill: boolean }
  | { k: 'ctxStore'; field: number; src: Var }
  /** dst = helper() for a side-effect-free helper of the type (index into its list). */
  | { k: 'helper'; dst: Var; fn: number; mask: number }
  /** Store src to a stack slot and load it back into dst (optionally sign-extending, or via an atomic op). */
  | { k: 'spill'; src: Var; dst: Var; slot: number; size: Size; sx: boolean; atomic: AtomicName | null }
  /**
   * Direct packet access (xdp, sched_cls): bounds check `len` bytes (from data + idx & mask), then a
   * load/store at `off`. `form` picks how the comparison is written; `slack` > 0 is a near miss.
   */
  | { k: 'packet'; dst: Var; len: number; off: number; size: Size; write: boolean; idx: Var | null; mask: number; form: number; slack: number }
  /** LD_ABS / LD_IND (socket filters). */
  | { k: 'ldabs'; dst: Var; off: number; size: 1 | 2 | 4; ind: Var | null }
  /** bpf_skb_load_bytes into the stack, then a load from the copy. */
  | { k: 'skbLoad'; dst: Var; off: Operand; len: number; at: number; size: Size }
  /** A map operation on map `map % maps.length`. */
  | {
      k: 'map'; map: number; key: Operand; dst: Var; access: 'load' | 'store' | 'atomic' | 'update' | 'delete';
      off: number; size: Size; idx: Var | null; bound: 'and' | 'jgt' | 'jsgt'; slack: number; nullCheck: 0 | 1 | 2; atomic: AtomicName;
    }
  | { k: 'if'; cmp: CmpName; j32: boolean; a: Var; b: Operand; then: Frag[]; else: Frag[] }
  /** Bounded loop: `n` iterations, or (var & 7) + 1 when `bound` is set. */
  | { k: 'loop'; n: number; bound: Var | null; body: Frag[] }
  /** bpf-to-bpf call: r1 = ctx, r2/r3 = args, dst = r0. */
  | { k: 'call'; sub: number; args: [Var, Var]; dst: Var };

export interface MapShape {
  kind: 'array' | 'hash' | 'percpu_array' | 'lru_hash';
  keySize: 4 | 8;
  valueSize: number;
  entries: number;
}

export interface SubShape {
  body: Frag[];
}

export interface ProgramShape {
  type: FuzzProgType;
  maps: MapShape[];
  /** Initialise r7, r8, r9 (each lowered with its own Var as dst). */
  init: [Frag, Frag, Frag];
  body: Frag[];
  subs: SubShape[];
  /** r0 = this var at exit (as a 64- or 32-bit move). */
  ret: Var;
  ret32: boolean;
}

/** What a program type offers to the generator. */
export interface TypeSpec {
  type: FuzzProgType;
  /** Readable scalar ctx fields: offset, full size, whether narrower loads are allowed. */
  ctxLoads: readonly { off: number; size: 4 | 8; narrow: boolean }[];
  /** Writable u32 ctx fields. */
  ctxStores: readonly number[];
  /** Offsets of the u32 ctx fields data / data_end, when direct packet access is allowed. */
  packet: { data: number; end: number } | null;
  ldAbs: boolean;
  skbLoadBytes: boolean;
  /** Helper ids without side effects on the packet, callable with no arguments. */
  helpers: readonly number[];
}

const SKB_LOADS = [0, 4, 8, 12, 16, 20, 24, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68].map((off) => ({ off, size: 4 as const, narrow: true }));
const CB = [48, 52, 56, 60, 64];
/** get_prandom_u32, ktime_get_ns, get_smp_processor_id. */
const COMMON_HELPERS = [7, 5, 8];

export const TYPE_SPECS: Record<FuzzProgType, TypeSpec> = {
  socket_filter: { type: 'socket_filter', ctxLoads: SKB_LOADS, ctxStores: CB, packet: null, ldAbs: true, skbLoadBytes: true, helpers: COMMON_HELPERS },
  sched_cls: {
    type: 'sched_cls', ctxLoads: [...SKB_LOADS, { off: 72, size: 4, narrow: true }, { off: 152, size: 8, narrow: false }], ctxStores: [8, 32, 44, ...CB],
    packet: { data: 76, end: 80 }, ldAbs: true, skbLoadBytes: true, helpers: COMMON_HELPERS,
  },
  xdp: { type: 'xdp', ctxLoads: [{ off: 12, size: 4, narrow: false }, { off: 16, size: 4, narrow: false }], ctxStores: [], packet: { data: 0, end: 4 }, ldAbs: false, skbLoadBytes: false, helpers: COMMON_HELPERS },
  kprobe: {
    type: 'kprobe', ctxLoads: Array.from({ length: 21 }, (_, i) => ({ off: 8 * i, size: 8 as const, narrow: true })), ctxStores: [], packet: null,
    ldAbs: false, skbLoadBytes: false, helpers: [...COMMON_HELPERS, 14 /* get_current_pid_tgid */],
  },
};

export function isFuzzProgType(t: ProgType): t is FuzzProgType {
  return (FUZZ_PROG_TYPES as readonly string[]).includes(t);
}
