import { InputError } from '../isa/errors.js';
import type { Program } from '../isa/program.js';
import type { LoadOptions } from './index.js';

/** Placeholder until the conformance parser lands (src/isa/conformance). */
export function loadConformanceProgram(_text: string, path: string, _opts: LoadOptions): Program {
  throw new InputError('unsupported', `${path}: conformance files are not supported yet`);
}
