// The verifier reads a helper's prototype on every helper call (calls.ts checkHelperCall, checkArg,
// func-proto.ts): prototypes whose `note` was added after construction were a second hidden
// class, and the first helper of the other kind deoptimised those functions ("wrong map").
// Compared with V8's own %HaveSameMap.
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { HELPER_PROTOS, helperProto, helperProtoFor } from '../../src/runtime/helpers/prototypes.js';

setFlagsFromString('--allow-natives-syntax');
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b);') as (a: unknown, b: unknown) => boolean;
setFlagsFromString('--no-allow-natives-syntax');

describe('helper prototype hidden class (prototypes.ts)', () => {
  it('is one for helpers with and without a note, and for a program type variant', () => {
    const withNote = helperProto(6)!; // bpf_trace_printk has a note
    const without = helperProto(1)!; // bpf_map_lookup_elem has none
    expect(withNote.note).toBeTypeOf('string');
    expect(without.note).toBeUndefined();
    for (const p of HELPER_PROTOS.values()) expect(sameMap(p, without)).toBe(true);
    const variant = helperProtoFor(17, 'sched_cls')!; // bpf_get_cgroup_classid reads the skb in tc
    expect(variant).not.toBe(helperProto(17));
    expect(sameMap(variant, without)).toBe(true);
  });
});
