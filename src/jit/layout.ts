/**
 * The JIT's linear memory: one WebAssembly.Memory shared by every module of a runtime (a
 * program and its tail-call targets).
 *
 *   REGS     the register file r0..r10 as the helpers see it (HelperEnv.regs is an Int32Array
 *            view here: lo/hi int32 pairs = little-endian i64 slots)
 *   SCRATCH  results of slow-path imports (a load's value, an atomic's old value and r0)
 *   HANDOFF  may_goto's count and timestamp handed to the next subprogram's function when
 *            execution runs off a subprogram's end (the frame continues): flag, count, stamp
 *   TABLE    per memory region: linear base (-1 when the region lives outside wasm memory),
 *            window [start, end), end for writes (0 when read-only) and the alignment mask;
 *            regions outside the table or not in linear memory always take the slow path
 *   STACKS   the eight 512-byte call-frame stacks (the Memory's stack regions are views here)
 *   PACKET   the run's packet buffer (its region is rebound to a view here)
 */
export const REGS = 64;
export const SCRATCH = 160;
export const HANDOFF = SCRATCH + 16;
export const TABLE = 256;
/** Regions with an id below this have a table entry. */
export const TABLE_CAP = 4096;
export const ENTRY_SIZE = 32;
export const E_BASE = 0;
export const E_START = 4;
export const E_END = 8;
export const E_WEND = 12;
export const E_ALIGN = 16;
export const STACKS = TABLE + TABLE_CAP * ENTRY_SIZE;
export const PACKET = STACKS + 8 * 512;
/** Initial size: room for a 64 KiB packet buffer. */
export const INITIAL_PAGES = Math.ceil((PACKET + 65536) / 65536);

/** Slow-path trap codes passed to the `trap` import. */
export const TRAP = {
  STEP_LIMIT: 1,
  CALL_DEPTH: 2,
  OFF_END: 3,
  TAIL_R10: 5,
  BAD_INSN: 6,
} as const;
