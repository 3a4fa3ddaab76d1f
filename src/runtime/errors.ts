/** Why a run stopped abnormally (besides a MemoryFault): a program the VM cannot or must not run. */
export type VmErrorKind =
  | 'step_limit' // more instructions than the step limit
  | 'call_depth' // more than 8 nested frames (bpf-to-bpf calls, callbacks)
  | 'unknown_helper' // a helper id bpflab does not implement
  | 'unsupported' // kfunc calls, BTF ids, program types without a model
  | 'bad_insn' // an instruction the VM cannot execute (e.g. falling off the end)
  | 'bad_call' // a call target outside the program, or a helper argument of the wrong kind
  | 'reference_leak'; // the program exited holding acquired references (sockets never released)

export class VmError extends Error {
  readonly kind: VmErrorKind;
  pc: number;
  constructor(kind: VmErrorKind, pc: number, message: string) {
    super(`${message} at pc ${pc}`);
    this.name = 'VmError';
    this.kind = kind;
    this.pc = pc;
  }
  toJSON(): { kind: VmErrorKind; pc: number; message: string } {
    return { kind: this.kind, pc: this.pc, message: this.message };
  }
}
