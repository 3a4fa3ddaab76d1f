import { InputError } from '../isa/errors.js';
import type { Program } from '../isa/program.js';
import type { LoadOptions } from './index.js';

/** Placeholder until the assembler lands (src/isa/asm). */
export function loadAsmProgram(_text: string, path: string, _opts: LoadOptions): Program {
  throw new InputError('unsupported', `${path}: assembly is not supported yet`);
}
