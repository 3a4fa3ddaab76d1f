/**
 * The JIT: eBPF compiled to WebAssembly at run time (V8 then compiles it to native code).
 * Same inputs and results as the VM (src/vm), two explicit modes (checked / trusted).
 */
export { Jit, compileProgram, createJitRunner, runJit, runJitOnVm, type JitOptions, type JitRunResult, type JitStats } from './jit.js';
export { JitRuntime, type RuntimeOptions } from './runtime.js';
export { jitEngine } from './conformance.js';
export { generateModule, type GeneratedModule, type GeneratedProgram, type CodegenOptions } from './codegen.js';
export type { JitMode } from './memory.js';
