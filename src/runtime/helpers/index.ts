/** Helpers: the prototype table (ids, names, argument/return types, program types) and the implementations by id. */
export * from './prototypes.js';
export { funcProto, type FuncProtoProg } from './func-proto.js';
export { HELPERS, IMPLEMENTED_HELPERS, formatPrintf, MAX_TAIL_CALLS, BPF_MAX_LOOPS, type HelperFn } from './impl/index.js';
