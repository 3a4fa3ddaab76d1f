/**
 * Allocated objects and graph data structures (test/fixtures/btf-typed/graph.c; build.sh
 * rebuilds it when clang-19 is present): bpf_obj_new objects in an rbtree and a list under a
 * global bpf_spin_lock or the lock of an allocated object, refcounted nodes, non-owning pointers
 * that die at the unlock, a local kptr stash, and one program per rule the
 * kernel enforces. Each verdict and message is the expected one, and the running kernel's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { expectVerdict, kernelCompared, type Expected } from './expect-verdicts.js';

const file = new URL('../fixtures/btf-typed/graph.o', import.meta.url);
const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip graph programs: no /sys/kernel/btf/vmlinux (the kfuncs are typed by it)');
kernelCompared('graph programs');

const EXPECT: Record<string, Expected> = {
  tree_and_list: ['accept'],
  pop_list: ['accept'],
  stash_node: ['accept'],
  add_unlocked: ['reject', 'bpf_spin_lock at off=0 must be held for bpf_rb_root'],
  remove_after_unlock: ['reject', 'bpf_rbtree_remove can only take non-owning or refcounted bpf_rb_node pointer'],
  add_twice: ['reject', 'arg#1 expected pointer to allocated object'],
  leak: ['reject', 'Unreleased reference id=2 alloc_insn=4'],
  drop_at_offset: ['reject', 'R1 must have zero offset when passed to release func or trusted arg to kfunc'],
  remove_in_less: ['reject', 'bpf_rbtree_remove not allowed in rbtree cb'],
  unlock_in_less: ['reject', "can't spin_{lock,unlock} in rbtree cb"],
  touch_node: ['reject', 'direct access to bpf_rb_node is disallowed'],
  stash_wrong_type: ['reject', 'invalid kptr access, R2 type=ptr_other expected=ptr_elem'],
  throw_holding: ['reject', 'Unreleased reference id=2 alloc_insn=3'],
  box_list: ['accept'],
  box_wrong_lock: ['reject', 'bpf_spin_lock at off=0 must be held for bpf_list_head'],
  front_acquire: ['accept'],
  front_acquire_unchecked: ['reject', "invalid mem access 'ptr_or_null_'"],
  front_write_after_unlock: ['reject', "invalid mem access 'scalar'"],
  stash_in_object: ['accept'],
  drop_two_types: ['reject', 'same call cannot be used with different types'],
};

describe.skipIf(!haveBtf)('allocated objects, lists and rbtrees', () => {
  test('graph.o: every program as the kernel judges it', async () => {
    const programs = await loadFile('graph.o', new Uint8Array(readFileSync(file)));
    expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(EXPECT).sort());
    for (const p of programs) expectVerdict(p, EXPECT[p.name]!, { contains: true });
  });
});
