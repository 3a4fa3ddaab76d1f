import { decodeInsns } from '../isa/decode.js';
import { InputError } from '../isa/errors.js';
import type { Program } from '../isa/program.js';
import type { LoadOptions } from './index.js';

/** Raw little-endian bytecode: one program, no maps, type from --type (default socket_filter). */
export function loadRaw(bytes: Uint8Array, path: string, opts: LoadOptions): Program {
  try {
    const insns = decodeInsns(bytes);
    return { name: 'prog', section: '', type: opts.type ?? 'socket_filter', insns, maps: [], license: 'GPL', file: path };
  } catch (e) {
    if (e instanceof InputError) throw new InputError(e.kind, `${path}: ${e.message}`);
    throw e;
  }
}
