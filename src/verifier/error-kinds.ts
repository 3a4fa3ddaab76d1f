/**
 * The stable, machine-readable classes of verifier errors (the `kind` of SPEC section 4).
 * Messages follow the Linux verifier's wording; the kind groups messages that mean the same
 * thing, so scripts and reports can count and filter without parsing text.
 * The list is documented in docs/verifier-error-kinds.md (generated from this table).
 */
export const ERROR_KINDS = {
  // Structure (check_cfg and instruction checks).
  cfg_unreachable: 'an instruction no path reaches: `unreachable insn N`',
  cfg_jump_out_of_range: 'a jump or call leaves the program: `jump out of range from insn A to B`',
  cfg_last_insn: 'the program can run off its end: `last insn is not an exit or jmp`',
  cfg_back_edge: 'a loop where loops are not allowed: `back-edge from insn A to B`',
  invalid_insn: 'an encoding the verifier refuses (unknown opcode, reserved fields, bad ld_imm64)',
  // Registers.
  uninit_reg: 'a read of a register that holds no value: `R3 !read_ok`',
  frame_pointer_write: 'a write to r10: `frame pointer is read only`',
  // Memory.
  invalid_mem_access: 'a load or store through a register that is not a pointer: `R1 invalid mem access \'scalar\'`',
  null_pointer: 'a dereference of a pointer that may be NULL: `R0 invalid mem access \'map_value_or_null\'`',
  ctx_access: 'a context access outside the fields the program type may use: `invalid bpf_context access off=N size=M`',
  ctx_modified: 'a context access through a moved context pointer: `dereference of modified ctx ptr R1 off=4 disallowed`',
  stack_oob: 'a stack access outside the 512-byte frame: `invalid write to stack R1 off=-520 size=8`',
  stack_uninit: 'a read of stack bytes never written: `invalid read from stack off -8+0 size 8`',
  spill_size: 'a partial spill or fill of a pointer: `invalid size of register spill` / `fill`',
  map_value_oob: 'a map value access outside value_size: `invalid access to map value, value_size=8 off=8 size=8`',
  map_field_access: 'a load, store or helper access touching a special field of a map value: `bpf_spin_lock cannot be accessed directly by load/store`, `kptr access size must be BPF_DW`',
  packet_oob: 'a packet access beyond the range proven against data_end: `invalid access to packet, off=0 size=4, R2(id=0,off=0,r=0)`',
  mem_oob: 'an access outside a helper-returned buffer: `invalid access to memory, mem_size=8 off=8 size=1`',
  unbounded_access: 'an access with a variable offset whose bounds are not known well enough',
  misaligned: 'an access not aligned to its size where alignment is required (the stack always; atomics and MEM_ALIGNED helper arguments; everything with BPF_F_STRICT_ALIGNMENT): `misaligned stack access off 0+-4+0 size 8`, `misaligned value access off 0+0+1 size 4`, `misaligned packet access off 2+0+0+0 size 4`',
  readonly_write: 'a write to memory the program may only read (`cannot write into map_ptr`, `write into map forbidden` for BPF_F_RDONLY_PROG maps and .rodata)',
  writeonly_read: 'a read of memory the program may only write: `read from map forbidden` for BPF_F_WRONLY_PROG maps',
  // Arithmetic.
  pointer_arithmetic: 'an operation on a pointer the verifier forbids (`R1 pointer arithmetic on map_value_or_null prohibited`, unbounded min value, bitwise ops on pointers, ...)',
  div_by_zero: 'division or modulo by the constant 0: `div by zero`',
  invalid_shift: 'a shift by a constant beyond the operand width: `invalid shift 64`',
  // Calls.
  helper_unknown: 'a call to a helper id the kernel does not have: `invalid func unknown#N`',
  helper_prog_type: 'a helper the program type may not call: `program of this type cannot use helper bpf_x#N`',
  helper_gpl: 'a GPL-only helper from a non-GPL program',
  map_prog_type: 'a map whose value holds a field this program type may not use: `tracing progs cannot use bpf_spin_lock yet`, `... bpf_timer yet`',
  helper_arg: 'a helper argument of the wrong type or size: `R2 type=scalar expected=fp, pkt, ...`',
  tail_call: 'a tail call without a prog_array map: `expected prog array map for tail call`',
  call_depth: 'bpf-to-bpf calls nested deeper than 8 frames: `the call stack of 9 frames is too deep`',
  stack_size: 'frames of nested calls together larger than 512 bytes: `combined stack size of N calls is M. Too large`',
  subprog: 'a bpf-to-bpf call or callback the verifier cannot accept',
  // References and exit.
  reference_leak: 'a reference (ring buffer record, socket) not released on some path: `Unreleased reference id=N alloc_insn=M`',
  lock_state: 'a bpf_spin_lock or bpf_rcu_read_lock section used against the rules: `function calls are not allowed while holding a lock`, `bpf_spin_unlock without taking a lock`, `BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region`, `unmatched rcu read unlock`',
  reference_invalid: 'a release of something that is not an acquired reference',
  return_range: 'r0 at program exit outside what the program type allows: `At program exit the register R0 has ...`',
  pointer_leak: 'a pointer returned or stored where the program type forbids it',
  bpf_trap: 'a reachable call of __bpf_trap, what clang emits for __builtin_trap() (undefined behaviour such as an uninitialized variable): `unexpected __bpf_trap() due to uninitialized variable?`',
  // Exploration.
  too_large: 'the exploration limit reached: `BPF program is too large. Processed 1000001 insn`',
  infinite_loop: 'a loop that repeats an identical state: `infinite loop detected at insn N`',
  too_complex: 'too many pending branches: `The sequence of 8193 jumps is too complex.`',
  verifier_bug: 'the verifier\'s own consistency check failed and the load asked to be refused for it (BPF_F_TEST_REG_INVARIANTS): `verifier bug: REG INVARIANTS VIOLATION (true_reg1): range bounds violation ...`',
  // Loading.
  load_error: 'the program cannot be loaded at all: libbpf fails it before the kernel sees it (an unresolved extern, a call or relocation it cannot link); the other programs of the object are unaffected',
  // bpflab itself.
  unsupported: 'a construct bpflab does not model yet (kfuncs, BTF pointers, dynptrs, ...); rejected rather than guessed',
} as const;

export type ErrorKind = keyof typeof ERROR_KINDS;

/** A verification failure: where, the kernel-style message, and its stable kind. */
export interface VerifierError {
  pc: number;
  message: string;
  kind: ErrorKind;
}

/** Thrown inside the verifier to abandon the current program; caught by `verify`. */
export class Reject extends Error {
  readonly pc: number;
  readonly kind: ErrorKind;
  /** Log lines the kernel prints after the message (e.g. `Caller passes invalid args into func#1 ('f')`). */
  readonly after: readonly string[];
  constructor(pc: number, kind: ErrorKind, message: string, after: readonly string[] = []) {
    // A rejection is an answer, not a bug: it never shows a stack, and capturing one costs more
    // than verifying a small program (fuzzing rejects half of its programs).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'Reject';
    this.pc = pc;
    this.kind = kind;
    this.after = after;
  }
}
