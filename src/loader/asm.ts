import { basename, extname } from 'node:path';
import { assemble, AsmError } from '../isa/asm/index.js';
import { LOADER_VALIDATION, validateInsns } from '../isa/decode.js';
import { DecodeError, InputError } from '../isa/errors.js';
import { makeProgram, type Program } from '../isa/program.js';
import type { LoadOptions } from './index.js';
import { requiredAttachType } from './section-types.js';

/**
 * Validates assembled slots, naming the source line of a bad instruction:
 * `prog.s:7: insn 5: invalid dst register r11`.
 */
export function validateAssembled(insns: Program['insns'], lines: readonly number[], where: string): void {
  try {
    validateInsns(insns, LOADER_VALIDATION);
  } catch (e) {
    if (e instanceof DecodeError) throw new InputError(e.kind, `${where}:${lines[e.pc] ?? '?'}: ${e.message}`);
    if (e instanceof InputError) throw new InputError(e.kind, `${where}: ${e.message}`);
    throw e;
  }
}

/** Assembly text (SPEC section 3): one program; `.type` or --type sets its type (default socket_filter). */
export function loadAsmProgram(text: string, path: string, opts: LoadOptions): Program {
  let r;
  try {
    r = assemble(text);
  } catch (e) {
    if (e instanceof AsmError) throw new InputError(e.kind, `${path}:${e.line}:${e.col}: ${e.reason}`);
    throw e;
  }
  validateAssembled(r.insns, r.lines, path);
  const type = opts.type ?? r.type ?? 'socket_filter';
  const attach = requiredAttachType(type);
  return makeProgram({
    name: basename(path, extname(path)) || 'prog',
    section: '',
    type,
    insns: r.insns,
    maps: r.maps,
    license: r.license ?? 'GPL',
    file: path,
    expectedAttachType: attach,
  });
}
