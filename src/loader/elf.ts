import { InputError } from '../isa/errors.js';
import type { MapSpec, Program } from '../isa/program.js';

export interface ElfObject { programs: Program[]; maps: MapSpec[]; license: string }

/** Placeholder until the loaders issue lands: refuses ELF input with a clear error. */
export function loadElf(_bytes: Uint8Array, path: string): ElfObject {
  throw new InputError('unsupported', `${path}: ELF objects are not supported yet`);
}
