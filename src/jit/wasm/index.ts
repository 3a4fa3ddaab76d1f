/** The WebAssembly binary writer used by the JIT. */
export { ByteWriter } from './bytes.js';
export { Code, ModuleBuilder, type FuncType } from './module.js';
export { Op, I32, I64, FUNCREF, BLOCK_VOID, type ValType } from './opcodes.js';
