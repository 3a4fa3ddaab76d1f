/**
 * Context accesses Linux 6.18 refuses (its verifier_ctx.c): a pointer field of a flow
 * dissector's __sk_buff loaded from inside the field (data + 1), and the padding of
 * struct bpf_sock_addr after msg_src_ip6 (which belongs to no field: bpflab used to fail on it
 * with an internal error). Compared with the running kernel when it is there.
 */
import { describe, it } from 'vitest';
import { prog } from '../runtime/util.js';
import { expectVerdict, kernelCompared } from './expect-verdicts.js';

kernelCompared('6.18 context accesses');

describe('context accesses', () => {
  it('flow dissector: a 4-byte load at data + 1 is no packet pointer', () => {
    expectVerdict({ ...prog('r1 = *(u32 *)(r1 +77)\nr0 = 0\nexit', 'flow_dissector'), name: 'fd_data_plus_1', section: 'flow_dissector' },
      ['reject', 'invalid bpf_context access off=77 size=4']);
  });
  it('cgroup/bind4: the 4 bytes of padding before sk', () => {
    expectVerdict({ ...prog('r1 = *(u32 *)(r1 +60)\nr0 = 0\nexit', 'cgroup_sock_addr'), name: 'sock_addr_padding', section: 'cgroup/bind4', expectedAttachType: 8 /* BPF_CGROUP_INET4_BIND */ },
      ['reject', 'invalid bpf_context access off=60 size=4']);
  });
});
