import { decodeInsns, LOADER_VALIDATION, validateInsns } from '../isa/decode.js';
import { InputError } from '../isa/errors.js';
import { makeProgram, type Program } from '../isa/program.js';
import type { LoadOptions } from './index.js';
import { requiredAttachType } from './section-types.js';

/** Raw little-endian bytecode: one program, no maps, type from --type (default socket_filter). */
export function loadRaw(bytes: Uint8Array, path: string, opts: LoadOptions): Program {
  try {
    const insns = decodeInsns(bytes, { validate: false });
    validateInsns(insns, LOADER_VALIDATION); // the verifier judges reserved fields and registers, as the kernel does
    const type = opts.type ?? 'socket_filter';
    const attach = requiredAttachType(type);
    return makeProgram({ name: 'prog', section: '', type, insns, maps: [], license: 'GPL', file: path, expectedAttachType: attach });
  } catch (e) {
    if (e instanceof InputError) throw new InputError(e.kind, `${path}: ${e.message}`);
    throw e;
  }
}
