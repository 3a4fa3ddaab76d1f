/**
 * The runtime every engine shares: the region memory model, program contexts, helpers (prototypes
 * and implementations), the machine model a run sees, and the slow paths of memory access.
 * Maps live in ./maps (their own public face).
 */
export * from './memory.js';
export * from './errors.js';
export * from './env.js';
export * from './access.js';
export { buildContext, CtxRegion, ContextBuffers, isSkbType, testRunDataOut, skbCtxInProblem, type BuiltContext, type ContextInput, XDP_HEADROOM, XDP_FRAME, SKB_HEADROOM, SKB_TAILROOM, ETH_HLEN } from './ctx-region.js';
export * from './context/index.js';
export * from './helpers/index.js';
export { KFUNCS, linkKfunc, type LinkedKfunc, KernelHeap, BITS_ITER_NR_WORDS_MAX } from './kfuncs/index.js';
export { BPF_MAX_TIMED_LOOPS, TIMED_MAY_GOTO_NS, timedMayGotoCheck } from './may-goto.js';
