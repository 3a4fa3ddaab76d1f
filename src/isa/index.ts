/** The eBPF instruction set: model, decode/encode, validation. */
export * from './opcodes.js';
export * from './insn.js';
export * from './program.js';
export * from './errors.js';
export { decodeInsns, encodeInsns, validateInsns, type DecodeOptions } from './decode.js';
export { checkInsn, jumpTarget } from './validate.js';
