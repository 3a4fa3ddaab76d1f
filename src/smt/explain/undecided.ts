/** Thrown by the path machine when a construct is outside what it encodes; explain answers `feasible: null` with the reason. */
export class Undecided extends Error {
  readonly pc: number;
  constructor(pc: number, reason: string) {
    super(reason);
    this.name = 'Undecided';
    this.pc = pc;
  }
}
