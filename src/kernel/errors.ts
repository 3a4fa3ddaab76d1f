/** A failed bpf() command, with the errno's name (same shape as MapError so results compare directly). */
import { MapError } from '../runtime/maps/types.js';
import { errnoName } from './syscall.js';

export class KernelError extends MapError {
  /** The numeric errno. */
  readonly code: number;
  /** The bpf() command that failed, e.g. "BPF_MAP_UPDATE_ELEM". */
  readonly command: string;
  constructor(command: string, code: number, detail = '') {
    const name = errnoName(code);
    super(name, `${command}: ${name}${detail ? ` (${detail})` : ''}`);
    this.name = 'KernelError';
    this.code = code;
    this.command = command;
  }
}
