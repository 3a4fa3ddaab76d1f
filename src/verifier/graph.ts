/**
 * Objects the program allocates and the graphs it links them into, as 6.18's verifier models
 * them (kernel/bpf/verifier.c):
 * - bpf_obj_new_impl gives an owning reference to a new object of one of the program's own
 *   structs: PTR_TO_BTF_ID | MEM_ALLOC typed by the program's BTF (the register's memSize is then
 *   a program BTF id), released by bpf_obj_drop_impl, a list push or a tree add;
 * - bpf_list_head / bpf_rb_root fields (in map values, globals or allocated objects) hold the
 *   struct their `contains:` tag names; every list and tree kfunc needs the bpf_spin_lock of the
 *   same allocation held (check_reg_allocation_locked);
 * - pushing or adding a node converts the owning reference into non-owning ones (NON_OWN_REF,
 *   also MEM_RCU for refcounted types), which die when the lock is released
 *   (ref_convert_owning_non_owning, invalidate_non_owning_refs); bpf_rbtree_first and
 *   bpf_list_front/back give non-owning pointers, the pops and bpf_rbtree_remove owning ones;
 * - bpf_refcount_acquire_impl takes another owning reference to a refcounted object;
 * - bpf_rbtree_add_impl runs its less() callback with the lock held, on two non-owning nodes: no
 *   lock calls and no bpf_rbtree_remove there (in_rbtree_lock_required_cb).
 */
import type { Btf, BtfParam } from '../loader/btf/index.js';
import * as op from '../isa/opcodes.js';
import type { Env } from './env.js';
import type { Reg } from './state.js';
import { pushCallbackVisit } from './callbacks.js';
import { FIELD_NAMES, mapRecord, programBtf, recordField, structRecord, type BtfRecord, type FieldType, type RecordField } from './map-record.js';
import { checkPtrOffReg } from './memory.js';
import { markKfuncCallback } from './callback-helpers.js';
import { MAYBE_NULL, MEM_ALLOC, MEM_PERCPU, MEM_RCU, NON_OWN_REF, PTR_TRUSTED, T, base } from './reg-types.js';
import { allocDropProblem, checkPercpuObjType } from './percpu-obj.js';

/** A kfunc argument the graph rules check (get_kfunc_ptr_arg_type's KF_ARG_PTR_TO_* kinds). */
export type GraphArgKind = 'alloc' | 'refcounted' | 'list_head' | 'list_node' | 'rb_root' | 'rb_node' | 'callback';

/** What the arguments of one graph kfunc call established (the kernel's bpf_kfunc_call_arg_meta parts). */
export interface GraphCall {
  /** The list head or tree root argument's field. */
  root?: RecordField;
  /** The allocated object's program BTF id (meta->arg_btf_id). */
  argBtfId?: number;
  /** bpf_refcount_acquire_impl was given an owning reference (its result cannot be NULL). */
  owningArg?: boolean;
  /** The less() callback's subprogram. */
  subprog?: number;
}

const NODE_KIND: Readonly<Record<string, GraphArgKind>> = {
  bpf_list_head: 'list_head', bpf_list_node: 'list_node', bpf_rb_root: 'rb_root', bpf_rb_node: 'rb_node',
};

const RBTREE_API = new Set(['bpf_rbtree_add_impl', 'bpf_rbtree_remove', 'bpf_rbtree_first', 'bpf_rbtree_root', 'bpf_rbtree_left', 'bpf_rbtree_right']);
const INSERT_KFUNCS = new Set(['bpf_list_push_front_impl', 'bpf_list_push_back_impl', 'bpf_rbtree_add_impl']);
/** Kfuncs whose result is a node of the root argument's list or tree, and whether it is a non-owning pointer. */
const NODE_RESULT: Readonly<Record<string, 'owning' | 'non_owning'>> = {
  bpf_list_pop_front: 'owning', bpf_list_pop_back: 'owning', bpf_rbtree_remove: 'owning',
  bpf_list_front: 'non_owning', bpf_list_back: 'non_owning',
  bpf_rbtree_first: 'non_owning', bpf_rbtree_root: 'non_owning', bpf_rbtree_left: 'non_owning', bpf_rbtree_right: 'non_owning',
};

/** The program's BTF, which types allocated objects. */
export function localBtf(env: Env): Btf {
  const b = programBtf(env.prog);
  if (!b) env.reject('helper_arg', 'bpf_obj_new/bpf_percpu_obj_new requires prog BTF');
  return b;
}

/** type_is_ptr_alloc_obj: an owning or non-owning pointer to an allocated object. */
export const isAllocObj = (type: number): boolean => base(type) === T.PTR_TO_BTF_ID && (type & MEM_ALLOC) !== 0;
/** type_is_non_owning_ref. */
export const isNonOwning = (type: number): boolean => isAllocObj(type) && (type & NON_OWN_REF) !== 0;

/** reg_btf_record: the special fields of the map value or allocated object a register points to. */
export function regRecord(env: Env, r: Reg): BtfRecord | null {
  if (r.type === T.PTR_TO_MAP_VALUE) return mapRecord(env.prog, env.map(r.map));
  if (isAllocObj(r.type)) return structRecord(localBtf(env), r.memSize);
  return null;
}

/** get_kfunc_ptr_arg_type for the kinds this file checks (by suffix, pointee struct, or a function pointer). */
export function graphArgKind(btf: Btf, p: BtfParam): GraphArgKind | undefined {
  if (p.name.endsWith('__alloc')) return 'alloc';
  if (p.name.endsWith('__refcounted_kptr')) return 'refcounted';
  const t = btf.skipMods(p.type);
  if (t?.kind !== 'ptr') return undefined;
  const pointee = btf.skipMods(t.type);
  if (pointee?.kind === 'struct' && NODE_KIND[pointee.name]) return NODE_KIND[pointee.name];
  if (pointee?.kind === 'func_proto') return 'callback';
  return undefined;
}

/**
 * in_rbtree_lock_required_cb: the path is inside the callback of an rbtree kfunc (or a subprogram
 * it calls), which runs with the tree's lock held by the caller.
 */
export function inRbtreeCallback(env: Env): boolean {
  const frames = env.cur.frames;
  for (let i = frames.length - 1; i > 0; i--) {
    const f = frames[i]!;
    if (!f.cbRet) continue;
    const ins = env.insns[f.callsite];
    if (ins && ins.src === op.BPF_PSEUDO_KFUNC_CALL && ins.off === 0 && RBTREE_API.has(env.kernelBtf().type(ins.imm)?.name ?? '')) return true;
  }
  return false;
}

/** is_trusted_reg: referenced, or only trusted modifiers (MEM_ALLOC, NON_OWN_REF, PTR_TRUSTED). */
function isTrustedReg(r: Reg): boolean {
  if (r.refObjId) return true;
  const flags = r.type & ~0xff & ~MAYBE_NULL;
  return base(r.type) === T.PTR_TO_BTF_ID && flags !== 0 && (flags & ~(MEM_ALLOC | NON_OWN_REF | PTR_TRUSTED)) === 0;
}

/**
 * check_kfunc_args for one argument of a graph kind: the NULL and trust checks, the offset rule
 * (check_func_arg_reg_off), then the kind's own rules. Returns the reference a release kfunc drops.
 */
export function checkGraphArg(env: Env, name: string, i: number, kind: GraphArgKind, trustedArgs: boolean, rcuArgs: boolean, release: boolean, call: GraphCall): number {
  const regno = i + 1;
  const r = env.readReg(regno);
  if (kind === 'callback') {
    if (r.type !== T.PTR_TO_FUNC) env.reject('helper_arg', `arg${i} expected pointer to func`);
    call.subprog = r.memSize;
    return 0;
  }
  // 6.18 refuses a maybe-NULL pointer to a graph node for every kfunc, as for trusted arguments.
  const nodeArg = kind === 'list_node' || kind === 'rb_node';
  if ((trustedArgs || rcuArgs || nodeArg) && (env.isNull(r) || r.type & MAYBE_NULL))
    env.reject('null_pointer', `Possibly NULL pointer passed to trusted arg${i}`);
  if (kind === 'alloc' && (trustedArgs || rcuArgs) && !isTrustedReg(r)) {
    if (!rcuArgs) env.reject('helper_arg', `R${regno} must be referenced or trusted`);
    if (!(base(r.type) === T.PTR_TO_BTF_ID && r.type & MEM_RCU)) env.reject('helper_arg', `R${regno} must be a rcu pointer`);
  }
  const releasing = release && r.refObjId !== 0;
  if (releasing) {
    if (r.off) env.reject('reference_invalid', `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
    checkPtrOffReg(env, regno, r);
  } else if (r.type !== T.PTR_TO_MAP_VALUE && r.type !== T.SCALAR) {
    const fixedOk = base(r.type) === T.PTR_TO_BTF_ID && (r.type & ~0xff & ~(MEM_ALLOC | NON_OWN_REF | MEM_RCU | PTR_TRUSTED)) === 0;
    checkPtrOffReg(env, regno, r, fixedOk);
  }
  const exactAlloc = r.type === (T.PTR_TO_BTF_ID | MEM_ALLOC);
  switch (kind) {
    case 'alloc':
      {
        // a per-CPU object (bpf_percpu_obj_new) goes to bpf_percpu_obj_drop_impl, any other to bpf_obj_drop_impl
        const problem = allocDropProblem(name, i, r.type);
        if (problem) env.reject('helper_arg', problem);
      }
      if (!r.refObjId) env.reject('reference_invalid', 'allocated object must be referenced');
      call.argBtfId = r.memSize;
      sameStructMeta(env, r.memSize);
      return releasing ? r.refObjId : 0;
    case 'refcounted': {
      if (!isAllocObj(r.type)) env.reject('helper_arg', `arg#${i} is neither owning or non-owning ref`);
      if (!isNonOwning(r.type)) call.owningArg = true;
      // An object of a struct with no special field at all has no btf_record: the kernel takes that for its own bug.
      const rec = regRecord(env, r);
      if (!rec) env.reject('verifier_bug', "verifier bug: Couldn't find btf_record");
      if (!recordField(rec, 'refcount')) env.reject('helper_arg', `arg#${i} doesn't point to a type with bpf_refcount field`);
      call.argBtfId = r.memSize;
      return 0;
    }
    case 'list_head':
    case 'rb_root':
      if (r.type !== T.PTR_TO_MAP_VALUE && !exactAlloc) env.reject('helper_arg', `arg#${i} expected pointer to map value or allocated object`);
      if (exactAlloc && !r.refObjId) env.reject('reference_invalid', 'allocated object must be referenced');
      call.root = graphRootArg(env, regno, r, kind);
      return 0;
    case 'list_node':
    case 'rb_node': {
      if (name === 'bpf_rbtree_remove' || name === 'bpf_rbtree_left' || name === 'bpf_rbtree_right') {
        if (!isNonOwning(r.type) && !r.refObjId) env.reject('reference_invalid', `${name} can only take non-owning or refcounted bpf_rb_node pointer`);
        if (inRbtreeCallback(env)) env.reject('lock_state', `${name} not allowed in rbtree cb`);
      } else {
        if (!exactAlloc) env.reject('helper_arg', `arg#${i} expected pointer to allocated object`);
        if (!r.refObjId) env.reject('reference_invalid', 'allocated object must be referenced');
      }
      graphNodeArg(env, regno, r, kind === 'list_node' ? 'list_node' : 'rb_node', call);
      return 0;
    }
  }
  return 0;
}

/**
 * The code bpf_obj_drop_impl is patched into frees one struct's special fields: every path through
 * one call must drop objects of the same struct meta (none, for a struct without special fields).
 */
function sameStructMeta(env: Env, id: number): void {
  // Per program: the struct whose special fields each call frees (insn_aux->kptr_struct_meta).
  const m = (env.dropMeta ??= new Map());
  const meta = structRecord(localBtf(env), id) ? localBtf(env).skipMods(id)?.id ?? id : null;
  const seen = m.get(env.pc);
  if (seen === undefined) m.set(env.pc, meta);
  else if (seen !== meta)
    env.reject('helper_arg', 'same call cannot be used with different types', ['use one call for each type: inline the static function that holds the call,', 'or mark the callee with __attribute__((nomerge))']);
}

/** __process_kf_arg_ptr_to_graph_root: the head or root field at the pointer, under its allocation's lock. */
function graphRootArg(env: Env, regno: number, r: Reg, kind: 'list_head' | 'rb_root'): RecordField {
  const what = FIELD_NAMES[kind as FieldType];
  const c = env.dom.constValue(r.v);
  if (c === undefined) env.reject('helper_arg', `R${regno} doesn't have constant offset. ${what} has to be at the constant offset`);
  const rec = regRecord(env, r);
  const off = Number(BigInt(r.off) + c);
  const f = rec?.fields.find((x) => x.type === kind && x.off === off);
  if (!f || !f.graph) env.reject('helper_arg', `${what} not found at offset=${off}`);
  const lock = env.cur.refs.find((x) => x.kind === 'lock');
  const ptr = r.type === T.PTR_TO_MAP_VALUE ? r.map : LOCAL_LOCK;
  if (!lock || lock.ptr !== ptr || lock.id !== r.id) {
    const lockOff = recordField(rec, 'spin_lock')?.off ?? -1;
    env.reject('lock_state', `bpf_spin_lock at off=${lockOff} must be held for ${what}`);
  }
  return f;
}

/** The lock owner of an allocated object (the kernel's active_lock.ptr = reg->btf: one program BTF). */
export const LOCAL_LOCK = -2;

/** __process_kf_arg_ptr_to_graph_node: the node field of the struct the root holds, at the offset the root expects. */
function graphNodeArg(env: Env, regno: number, r: Reg, kind: 'list_node' | 'rb_node', call: GraphCall): void {
  const what = FIELD_NAMES[kind];
  const c = env.dom.constValue(r.v);
  if (c === undefined) env.reject('helper_arg', `R${regno} doesn't have constant offset. ${what} has to be at the constant offset`);
  const off = Number(BigInt(r.off) + c);
  const btf = localBtf(env);
  if (!regRecord(env, r)?.fields.some((x) => x.type === kind && x.off === off)) env.reject('helper_arg', `${what} not found at offset=${off}`);
  const g = call.root?.graph;
  if (!g) env.reject('helper_arg', `bpflab found no ${kind === 'list_node' ? 'bpf_list_head' : 'bpf_rb_root'} argument before the ${what}`);
  const head = kind === 'list_node' ? 'bpf_list_head' : 'bpf_rb_root';
  if (btf.skipMods(r.memSize)?.id !== g.valueId)
    env.reject('helper_arg', `operation on ${head} expects arg#1 ${what} at offset=${g.nodeOff} in struct ${g.valueName}, but arg is at offset=${off} in struct ${btf.skipMods(r.memSize)?.name ?? ''}`);
  call.argBtfId = r.memSize;
  if (off !== g.nodeOff) env.reject('helper_arg', `arg#1 offset=${off}, but expected ${what} at offset=${g.nodeOff} in struct ${g.valueName}`);
}

/** ref_set_non_owning: the pointer no longer owns the object; one to a refcounted type is also RCU-protected. */
function setNonOwning(env: Env, r: Reg): void {
  r.type |= NON_OWN_REF;
  if (recordField(structRecord(localBtf(env), r.memSize), 'refcount')) r.type |= MEM_RCU;
}

/**
 * check_kfunc_call after the arguments, before the release: bpf_rbtree_add_impl's less() callback
 * is verified on a path of its own (push_callback_call with set_rbtree_add_callback_state).
 */
export function graphCallbacks(env: Env, name: string, call: GraphCall): void {
  if (name !== 'bpf_rbtree_add_impl') return;
  const g = call.root?.graph;
  if (call.subprog === undefined || call.subprog < 0 || !g) env.reject('helper_arg', 'callback function not found');
  // less(struct bpf_rb_node *a, const struct bpf_rb_node *b): two non-owning nodes of the tree.
  pushCallbackVisit(env, call.subprog, (regs) => {
    for (const regno of [1, 2]) {
      const r = regs[regno]!;
      env.markPtr(r, T.PTR_TO_BTF_ID | MEM_ALLOC);
      r.memSize = g.valueId;
      r.off = g.nodeOff;
      setNonOwning(env, r);
    }
  });
}

/**
 * After the release: a pushed or added node's owning reference becomes non-owning pointers
 * (ref_convert_owning_non_owning), then the reference itself goes (release_reference).
 */
export function graphInsert(env: Env, name: string, release: (refId: number) => void): void {
  if (!INSERT_KFUNCS.has(name)) return;
  const refId = env.reg(2).refObjId;
  if (!refId || !env.cur.refs.some((x) => x.id === refId && !x.kind)) env.reject('reference_invalid', `kfunc ${name} conversion of owning ref to non-owning failed`);
  env.forEachReg((r) => {
    if (r.refObjId !== refId) return;
    r.refObjId = 0;
    setNonOwning(env, r);
  });
  release(refId);
}

/** invalidate_non_owning_refs (at bpf_spin_unlock): non-owning pointers die with the lock. */
export function invalidateNonOwning(env: Env): void {
  env.forEachReg((r) => { if (isNonOwning(r.type)) env.markUnknown(r); });
}

/** Kfuncs whose r0 this file makes (check_kfunc_call's special return types). */
export const hasGraphResult = (name: string): boolean =>
  name === 'bpf_obj_new_impl' || name === 'bpf_percpu_obj_new_impl' || name === 'bpf_refcount_acquire_impl' || NODE_RESULT[name] !== undefined;

/**
 * r0 of the graph kfuncs: a new object of the program type `localTypeId` (bpf_obj_new_impl),
 * another owning pointer to the argument's object (bpf_refcount_acquire_impl), or a node of the
 * root's list or tree (at the node's offset in its struct). `acquire` gives it a new reference.
 */
export function graphResult(env: Env, name: string, call: GraphCall, localTypeId: bigint | undefined, retNull: boolean, acquire: () => number): void {
  const r0 = env.reg(0);
  let nonOwning = false;
  if (name === 'bpf_obj_new_impl' || name === 'bpf_percpu_obj_new_impl') {
    if (localTypeId === undefined || BigInt.asUintN(32, localTypeId) !== localTypeId) env.reject('helper_arg', 'local type ID argument must be in range [0, U32_MAX]');
    const btf = localBtf(env);
    const t = btf.type(Number(localTypeId));
    if (!t || t.kind !== 'struct') env.reject('helper_arg', 'bpf_obj_new/bpf_percpu_obj_new type ID argument must be of a struct');
    const percpu = name === 'bpf_percpu_obj_new_impl';
    if (percpu) checkPercpuObjType(env, btf, t);
    env.markPtr(r0, T.PTR_TO_BTF_ID | MEM_ALLOC | (percpu ? MEM_PERCPU : 0));
    r0.memSize = t.id;
  } else if (name === 'bpf_refcount_acquire_impl') {
    env.markPtr(r0, T.PTR_TO_BTF_ID | MEM_ALLOC);
    r0.memSize = call.argBtfId!;
    if (call.owningArg) retNull = false;
  } else {
    const g = call.root?.graph;
    if (!g) env.reject('helper_arg', `kernel function ${name} unhandled dynamic return type`);
    env.markPtr(r0, T.PTR_TO_BTF_ID | MEM_ALLOC);
    r0.memSize = g.valueId;
    r0.off = g.nodeOff;
    nonOwning = NODE_RESULT[name] === 'non_owning';
  }
  if (retNull) {
    r0.type |= MAYBE_NULL;
    r0.id = env.newId();
  }
  const refId = acquire();
  if (refId) {
    if (retNull) r0.id = refId;
    r0.refObjId = refId;
  } else if (nonOwning) setNonOwning(env, r0);
}

/**
 * check_cfg for kfunc calls: a call of bpf_rbtree_add_impl runs a callback (is_sync_callback_calling_kfunc),
 * so it is a prune point and a forced checkpoint, like the callback-calling helpers.
 */
export function markCallbackKfuncCalls(env: Env): void {
  if (env.callbackKfuncsMarked) return;
  env.callbackKfuncsMarked = true;
  for (let pc = 0; pc < env.insns.length; pc++) {
    const ins = env.insns[pc]!;
    if (ins.code !== (op.BPF_JMP | op.BPF_CALL) || ins.src !== op.BPF_PSEUDO_KFUNC_CALL || ins.off !== 0 || env.cfg.second[pc]) continue;
    let name: string | undefined;
    try { name = env.kernelBtf().type(ins.imm)?.name; } catch { return; } // refused at the call itself
    if (name !== 'bpf_rbtree_add_impl') continue;
    markKfuncCallback(ins);
    env.cfg.prunePoint[pc] = 1;
    env.cfg.jmpPoint[pc] = 1;
    env.cfg.forceCheckpoint[pc] = 1;
  }
}
