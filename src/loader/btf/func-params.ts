/**
 * How the kernel reads a BTF function signature (kernel/bpf/btf.c btf_prepare_func_args and
 * btf_is_prog_ctx_type, Linux 6.18): per argument a scalar, the program's context, or memory
 * of the pointee's size that may be NULL. Global functions are verified on their own from
 * exactly this, so the verifier needs it; static ones inherit their caller's registers.
 */
import type { FuncParam, ProgType } from '../../isa/program.js';
import type { Btf } from './btf.js';
import type { BtfType } from './types.js';

/** MAX_BPF_FUNC_REG_ARGS. */
const MAX_ARGS = 5;

/**
 * The user-visible context struct of each program type (include/linux/bpf_types.h). Types
 * whose context is not a named struct (tracepoint: u64, lirc_mode2: u32, tracing/lsm/ext/
 * struct_ops/syscall: void) have none: there only `__arg_ctx` makes an argument the context.
 */
const CTX_STRUCT: Partial<Record<ProgType, string>> = {
  socket_filter: '__sk_buff', sched_cls: '__sk_buff', sched_act: '__sk_buff', cgroup_skb: '__sk_buff',
  lwt_in: '__sk_buff', lwt_out: '__sk_buff', lwt_xmit: '__sk_buff', lwt_seg6local: '__sk_buff',
  sk_skb: '__sk_buff', flow_dissector: '__sk_buff',
  xdp: 'xdp_md',
  cgroup_sock: 'bpf_sock', cgroup_sock_addr: 'bpf_sock_addr', sock_ops: 'bpf_sock_ops', sk_msg: 'sk_msg_md',
  kprobe: 'pt_regs', perf_event: 'bpf_perf_event_data',
  raw_tracepoint: 'bpf_raw_tracepoint_args', raw_tracepoint_writable: 'bpf_raw_tracepoint_args',
  cgroup_device: 'bpf_cgroup_dev_ctx', cgroup_sysctl: 'bpf_sysctl', cgroup_sockopt: 'bpf_sockopt',
  sk_reuseport: 'sk_reuseport_md', sk_lookup: 'bpf_sk_lookup', netfilter: 'bpf_nf_ctx',
};

/** The kernel's own struct a context struct projects (btf_is_projection_of). */
const PROJECTION: Record<string, string> = { __sk_buff: 'sk_buff', xdp_md: 'xdp_buff' };

/** The kernel struct a context struct projects (__sk_buff: sk_buff, xdp_md: xdp_buff), if any. */
export function ctxProjection(name: string): string | undefined {
  return PROJECTION[name];
}

/** The context struct name a program type's BTF arguments must point to, if any. */
export function ctxStructName(type: ProgType): string | undefined {
  return CTX_STRUCT[type];
}

export interface FuncSignature {
  linkage: 'static' | 'global';
  params?: FuncParam[];
  paramError?: string;
}

/** Kind names as the kernel's btf_type_str prints them in messages. */
const KIND_STR: Record<BtfType['kind'], string> = {
  void: 'UNKNOWN', int: 'INT', ptr: 'PTR', array: 'ARRAY', struct: 'STRUCT', union: 'UNION', enum: 'ENUM', fwd: 'FWD',
  typedef: 'TYPEDEF', volatile: 'VOLATILE', const: 'CONST', restrict: 'RESTRICT', func: 'FUNC', func_proto: 'FUNC_PROTO',
  var: 'VAR', datasec: 'DATASEC', float: 'FLOAT', decl_tag: 'DECL_TAG', type_tag: 'TYPE_TAG', enum64: 'ENUM64',
};

/** btf_type_str: a type's kind as the kernel's messages print it (UNKNOWN for void). */
export const btfKindStr = (t: BtfType | undefined): string => (t ? KIND_STR[t.kind] : 'UNKNOWN');

/** `arg:` decl tags by FUNC id, then argument index; built once per Btf. */
const tagIndex = new WeakMap<Btf, Map<number, Map<number, string[]>>>();

/** `arg:` decl tags per argument index of a FUNC (`__arg_ctx`, `__arg_nonnull`, ...). */
function argTags(btf: Btf, funcId: number): Map<number, string[]> {
  let idx = tagIndex.get(btf);
  if (!idx) {
    idx = new Map();
    for (const t of btf.types) {
      if (t.kind !== 'decl_tag' || t.componentIdx < 0 || !t.name.startsWith('arg:')) continue;
      const byArg = idx.get(t.type) ?? new Map<number, string[]>();
      const list = byArg.get(t.componentIdx) ?? [];
      list.push(t.name.slice(4));
      byArg.set(t.componentIdx, list);
      idx.set(t.type, byArg);
    }
    tagIndex.set(btf, idx);
  }
  return idx.get(funcId) ?? new Map();
}

/**
 * Whether a pointer argument points to `type`'s context (btf_is_prog_ctx_type): by the name of
 * the struct behind modifiers and typedefs; kprobe also accepts the bpf_user_pt_regs_t typedef.
 */
function isProgCtx(btf: Btf, pointee: number, type: ProgType): boolean {
  const want = CTX_STRUCT[type];
  if (!want) return false;
  let t = btf.type(pointee);
  if (type === 'kprobe') {
    for (let d = 0; t && d < 32 && (t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag'); d++) t = btf.type(t.type);
    if (t && t.kind === 'typedef' && t.name === 'bpf_user_pt_regs_t') return true;
  }
  const s = btf.skipMods(pointee);
  if (!s || (s.kind !== 'struct' && s.kind !== 'union')) return false;
  // The kernel compares the struct's name with its canonical context type's name, which for
  // kprobe is the typedef bpf_user_pt_regs_t (then with the struct behind it, pt_regs).
  return s.name === want || PROJECTION[want] === s.name || (type === 'kprobe' && s.name === 'bpf_user_pt_regs_t');
}

/**
 * check_btf_func's scalar_return: the FUNC returns a small int (at most 8 bytes) or an enum.
 * Subprograms that may leave the program (LD_ABS, tail calls) must.
 */
export function funcReturnsScalar(btf: Btf, funcId: number): boolean {
  const fn = btf.type(funcId);
  const proto = fn && fn.kind === 'func' ? btf.type(fn.type) : undefined;
  if (!proto || proto.kind !== 'func_proto') return false;
  const ret = btf.skipMods(proto.type);
  return !!ret && ((ret.kind === 'int' && ret.size <= 8) || ret.kind === 'enum' || ret.kind === 'enum64');
}

/**
 * The signature of BTF FUNC `funcId` as the kernel judges it for a program of `type`.
 * `hidden` marks a global function with hidden visibility, which libbpf turns static.
 */
export function funcSignature(btf: Btf, funcId: number, type: ProgType, hidden = false): FuncSignature {
  const fn = btf.type(funcId);
  if (!fn || fn.kind !== 'func') return { linkage: 'static', paramError: `type [${funcId}] is not a FUNC` };
  const linkage: FuncSignature['linkage'] = fn.linkage === 1 && !hidden ? 'global' : 'static';
  const proto = btf.type(fn.type);
  if (!proto || proto.kind !== 'func_proto') return { linkage, paramError: `FUNC '${fn.name}' has no FUNC_PROTO` };
  const nargs = proto.params.length;
  if (nargs > MAX_ARGS) return { linkage, paramError: `Global function ${fn.name}() with ${nargs} > ${MAX_ARGS} args. Buggy compiler.` };
  const ret = btf.skipMods(proto.type);
  // (a global function must return a scalar: void too is refused; a static one is not judged by it)
  if ((!ret || (ret.kind === 'void' ? linkage === 'global' : ret.kind !== 'int' && ret.kind !== 'enum' && ret.kind !== 'enum64')))
    return { linkage, paramError: `Global function ${fn.name}() doesn't return scalar. Only those are supported.` };
  const tags = argTags(btf, funcId);
  const params: FuncParam[] = [];
  for (let i = 0; i < nargs; i++) {
    const p = proto.params[i]!;
    const tg = tags.get(i) ?? [];
    const known = ['ctx', 'nonnull', 'trusted', 'nullable', 'arena'];
    if (tg.some((x) => !known.includes(x))) return { linkage, paramError: `arg#${i} has unsupported set of tags` };
    const t = btf.skipMods(p.type);
    if (t && t.kind === 'ptr') {
      const pointee = btf.format(t.type);
      if (tg.includes('ctx') || isProgCtx(btf, t.type, type)) {
        if (tg.some((x) => x !== 'ctx')) return { linkage, paramError: `arg#${i} has invalid combination of tags` };
        params.push({ kind: 'ctx', pointee });
        continue;
      }
      const pt = btf.skipMods(t.type);
      if (pt && pt.kind === 'struct' && pt.name === 'bpf_dynptr') {
        // btf_is_dynptr_ptr: a dynptr argument takes no tags
        if (tg.length) return { linkage, paramError: `arg#${i} has invalid combination of tags` };
        params.push({ kind: 'dynptr' });
        continue;
      }
      if (tg.includes('trusted')) {
        // btf_prepare_func_args: a trusted kernel object, matched by (essential) name in the kernel's BTF.
        if (tg.includes('nonnull')) return { linkage, paramError: `arg#${i} has invalid combination of tags` };
        const st = btf.skipMods(t.type);
        if (!st || (st.kind !== 'struct' && st.kind !== 'union') || !st.name) return { linkage, paramError: `arg#${i} reference type('${st ? KIND_STR[st.kind] : 'UNKN'} ${st?.name ?? ''}') has no matches` };
        const cut = st.name.indexOf('___');
        const param: FuncParam = { kind: 'btf', struct: cut > 0 ? st.name.slice(0, cut) : st.name };
        if (tg.includes('nullable')) param.nullable = true;
        params.push(param);
        continue;
      }
      if (tg.includes('arena')) {
        // btf_prepare_func_args: ARG_PTR_TO_ARENA, whatever it points to
        if (tg.some((x) => x !== 'arena')) return { linkage, paramError: `arg#${i} arena cannot be combined with any other tags` };
        params.push({ kind: 'arena' });
        continue;
      }
      const size = btf.resolveSize(t.type);
      const target = btf.skipMods(t.type);
      if (size === undefined || !target || target.kind === 'void' || target.kind === 'func_proto' || target.kind === 'fwd') {
        // btf_prepare_func_args names the pointee with its modifiers skipped
        return { linkage, paramError: `arg#${i} reference type('${btfKindStr(target)} ${target?.name ?? ''}') size cannot be determined: -22` };
      }
      // memory of the pointee's size takes `__arg_nonnull` only (`__arg_nullable` is for trusted objects)
      if (tg.some((x) => x !== 'nonnull')) return { linkage, paramError: `arg#${i} has invalid combination of tags` };
      const param: FuncParam = { kind: 'ptr', size, pointee };
      if (tg.includes('nonnull')) param.nonnull = true;
      params.push(param);
      continue;
    }
    if (tg.length) return { linkage, paramError: `arg#${i} pointer tag on a non-pointer type` };
    if (t && (t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64')) {
      params.push({ kind: 'scalar' });
      continue;
    }
    return { linkage, paramError: `Arg#${i} type ${t ? KIND_STR[t.kind] : 'UNKN'} in ${fn.name}() is not supported yet.` };
  }
  return { linkage, params };
}
