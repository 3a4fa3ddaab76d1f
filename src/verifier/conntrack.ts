/**
 * Writes through conntrack entries (net/netfilter/nf_conntrack_bpf.c,
 * _nf_conntrack_btf_struct_access): tc and XDP programs' btf_struct_access lets them store into
 * the `mark` member of a struct nf_conn (or its allocation alias nf_conn___init, same layout) and
 * nothing else; any other kernel struct stays read-only.
 */
import type { Btf } from '../loader/btf/index.js';
import type { ProgType } from '../isa/program.js';

/** Program types whose verifier ops carry the conntrack write rule (tc_cls_act_btf_struct_access, xdp_btf_struct_access). */
const CONNTRACK_WRITERS: ReadonlySet<ProgType> = new Set(['sched_cls', 'sched_act', 'xdp']);

/** Whether stores through kernel pointers of a `type` program go through the conntrack rule. */
export const hasConntrackWrites = (type: ProgType): boolean => CONNTRACK_WRITERS.has(type);

/**
 * The kernel's message refusing a `size`-byte store at `off` into a struct `structName`, or
 * undefined when the store is allowed.
 */
export function conntrackWriteProblem(btf: Btf, structName: string, off: number, size: number): string | undefined {
  if (structName !== 'nf_conn' && structName !== 'nf_conn___init') return 'only read is supported';
  const nfConn = btf.find('nf_conn', 'struct')[0];
  const mark = nfConn?.kind === 'struct' ? nfConn.members.find((m) => m.name === 'mark') : undefined;
  const markOff = mark ? mark.bitOffset / 8 : undefined;
  if (markOff === undefined || off !== markOff) return `no write support to nf_conn at off ${off}`;
  const end = markOff + (btf.resolveSize(mark!.type) ?? 4);
  if (off + size > end) return `write access at off ${off} with size ${size} beyond the member of nf_conn ended at ${end}`;
  return undefined;
}
