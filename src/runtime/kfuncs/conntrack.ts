/**
 * The conntrack kfuncs' argument checks (net/netfilter/nf_conntrack_bpf.c): a lookup or an
 * allocation with bad options or tuple fails with NULL and the errno in opts->error. The VM
 * models no conntrack table and only the caller's network namespace, so a well-formed lookup
 * finds nothing (-ENOENT) and another namespace id is unknown (-ENONET); allocating an entry
 * (a struct nf_conn the VM has no memory for) is unsupported.
 */
import { type HelperEnv, argNum } from '../env.js';
import { VmError } from '../errors.js';
import type { HelperFn } from '../helpers/impl/common.js';
import { setR0Null } from './args.js';

/** sizeof(struct bpf_ct_opts) since the zone members, and the size before them (both accepted). */
const NF_BPF_CT_OPTS_SZ = 16, NF_BPF_CT_OPTS_OLD_SZ = 12;
const EINVAL = -22, EPROTO = -71, ENONET = -64, ENOENT = -2, EAFNOSUPPORT = -97;
const IPPROTO_TCP = 6, IPPROTO_UDP = 17;
const TUPLE_V4 = 12, TUPLE_V6 = 36;

/** The errno the kernel's checks give for (tuple r2, size r3, opts r4 of r5 bytes), or 0 when they pass. */
function check(env: HelperEnv, lookup: boolean, opts: Uint8Array): number {
  const tuple = env.regs[4] !== 0 || env.regs[5] !== 0;
  if (!tuple) return EINVAL;
  const view = new DataView(opts.buffer, opts.byteOffset, opts.length);
  const proto = opts[8]!;
  const netns = view.getInt32(0, true);
  if (lookup && proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) return EPROTO;
  if (netns < -1) return EINVAL;
  if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) return EPROTO; // bpf_nf_ct_tuple_parse
  const len = argNum(env, 3);
  if (len !== TUPLE_V4 && len !== TUPLE_V6) return EAFNOSUPPORT;
  if (netns >= 0) return ENONET;
  // the old-size options have no zone: a ct_zone_id there is refused rather than ignored
  if (opts.length === NF_BPF_CT_OPTS_OLD_SZ && (opts[10] !== 0 || opts[11] !== 0)) return EINVAL;
  return 0;
}

const ctKfunc = (lookup: boolean, name: string): HelperFn => (env) => {
  const size = argNum(env, 5);
  const hasOpts = env.regs[8] !== 0 || env.regs[9] !== 0;
  const sized = size === NF_BPF_CT_OPTS_SZ || size === NF_BPF_CT_OPTS_OLD_SZ;
  const opts = hasOpts ? env.mem.sliceHL(env.regs[9]!, env.regs[8]!, sized ? size : Math.min(size, 8), true, env.pc) : null;
  let err = !opts || !sized ? EINVAL : check(env, lookup, opts);
  if (err === 0 && !lookup) throw new VmError('unsupported', env.pc, `${name}: the VM has no conntrack entries to allocate`);
  if (err === 0) err = ENOENT;
  if (opts && opts.length >= 8) new DataView(opts.buffer, opts.byteOffset + 4, 4).setInt32(0, err, true);
  setR0Null(env);
};

export const CONNTRACK_KFUNCS: Record<string, HelperFn> = {
  bpf_xdp_ct_lookup: ctKfunc(true, 'bpf_xdp_ct_lookup'),
  bpf_skb_ct_lookup: ctKfunc(true, 'bpf_skb_ct_lookup'),
  bpf_xdp_ct_alloc: ctKfunc(false, 'bpf_xdp_ct_alloc'),
  bpf_skb_ct_alloc: ctKfunc(false, 'bpf_skb_ct_alloc'),
};
