import { InputError } from '../isa/errors.js';
import type { Program } from '../isa/program.js';

/** Placeholder until the loaders issue lands. */
export function loadCbpf(_text: string, path: string): Program {
  throw new InputError('unsupported', `${path}: classic BPF is not supported yet`);
}
