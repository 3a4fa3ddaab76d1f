/**
 * `run` for iterator programs (iter/task, ...): one read of the iterator's file, as
 * bpf_seq_read does it: the program runs once per object of the world (tasks by pid), then once
 * more with a NULL object (the stop call); the seq_file text of every run is concatenated. Also
 * the ring-buffer records a run leaves for user space.
 */
import type { Program } from '../../isa/program.js';
import { ATTACH_TYPES } from '../../loader/section-types.js';
import { Memory } from '../../runtime/memory.js';
import { DEFAULT_TASK } from '../../runtime/env.js';
import { iterLength } from '../../runtime/kernel-objects/index.js';
import type { RunInput, RunResult } from '../../vm/index.js';
import { isRingBufMap } from '../../runtime/maps/guards.js';
import type { BpfMap } from '../../runtime/maps/types.js';

/** Ring-buffer records a run produced (what user space would poll), hex per map; undefined when none. */
export function drainRecords(maps: readonly BpfMap[]): Record<string, string[]> | undefined {
  let out: Record<string, string[]> | undefined;
  for (const m of maps) if (isRingBufMap(m)) { const r = m.consume(); if (r.length) (out ??= {})[m.spec.name] = r.map((b) => Buffer.from(b).toString('hex')); }
  return out;
}

/** A runner doing the whole iteration for iterator programs; undefined for other programs. */
export function iterationRunner(program: Program, input: RunInput, runOnce: () => RunResult): (() => RunResult) | undefined {
  if (program.type !== 'tracing' || program.expectedAttachType !== ATTACH_TYPES.trace_iter || input.ctx) return undefined;
  return () => {
    const n = iterLength(program, input.kernelObjects, { ...DEFAULT_TASK, ...input.task }, new Memory());
    let seq = '';
    let steps = 0;
    let res: RunResult | undefined;
    for (let i = 0; i <= n; i++) {
      input.iterStep = i;
      res = runOnce();
      seq += res.seq ?? '';
      steps += res.steps;
      // a fault ends the read (the return value, 0 or 1, is not interpreted)
      if (res.fault || res.error) break;
    }
    delete input.iterStep;
    return { ...res!, seq, steps };
  };
}
