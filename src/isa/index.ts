/** The eBPF instruction set: model, decode/encode, validation. */
export * from './opcodes.js';
export * from './insn.js';
export * from './program.js';
export * from './errors.js';
export { decodeInsns, encodeInsns, validateInsns, LOADER_VALIDATION, type DecodeOptions, type ValidateOptions } from './decode.js';
export { plainAccess, plainAccesses, isLoadAcquire } from './ordered-access.js';
export { checkInsn, invalidRegister, jumpTarget, type InvalidRegister } from './validate.js';
export { disasmInsn, disasmLine, disasmProgram, mapDirective, type DisasmOptions, type DisasmProgramOptions, type DisasmStyle } from './disasm.js';
export { assemble, AsmError, type AsmOptions, type AsmResult } from './asm/index.js';
export { parseConformance, type ConformanceTest, type ConformanceSection, type ConformanceParseOptions } from './conformance.js';
export { HELPER_NAMES, BPF_FUNC_MAX_ID, helperName, helperId } from './helper-ids.js';
