/** bpflab's public API: one re-export per stage. */
export * as isa from './isa/index.js';
export * as selftests from './selftests/index.js';
