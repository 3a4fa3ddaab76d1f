/**
 * Programs of real tracing tools as they reach BPF_PROG_LOAD (corpus/real): BCC python tools
 * (bpfcc-tools 0.26, compiled at run time by libbcc's clang; captured by /tmp/h16b/bcc/harness.py)
 * and bpftrace 0.17 programs (captured from its bpf() calls). Each is the tool's bytecode with its
 * maps as `.map` directives. bpflab must give the live 6.18 kernel's verdict, message and processed
 * count; the numbers below are the kernel's (BPF_LOG_STATS), and the running kernel is asked again
 * where it is available.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kernelAvailable } from '../../src/kernel/index.js';
import { kernelVerdict } from '../../src/kernel/verdict.js';
import { loadFile } from '../../src/loader/index.js';
import { verify } from '../../src/verifier/index.js';

const dir = fileURLToPath(new URL('../../corpus/real/', import.meta.url));
/** file, the kernel's verdict, its processed count, its message for a rejection. */
const KERNEL: [string, 'accept' | 'reject', number, string?][] = [
  ['bcc/execsnoop_x_execve.s', 'accept', 692],
  ['bcc/mountsnoop_mount.s', 'accept', 420],
  ['bcc/offcputime_oncpu.s', 'accept', 113],
  // opensnoop -F (full path) built with 6.1 headers: task->fs at 6.1's offset reads, in 6.18's BTF, a
  // field that gives rdonly_untrusted_mem; the load from it is a scalar, the next load refused
  ['bcc/opensnoop_fullpath_return.s', 'reject', 88, "R6 invalid mem access 'scalar'"],
  ['bcc/profile_perf_event.s', 'accept', 100],
  ['bcc/tcpdrop_kfree_skb.s', 'accept', 207],
  ['bcc/tcptracer_tcp_set_state.s', 'accept', 368],
  ['bcc/virtiostat_add_sgs.s', 'accept', 235124],
  ['bpftrace/capable_begin.s', 'accept', 1687],
  ['bpftrace/kstack_map_switch.s', 'accept', 43],
  ['bpftrace/override_kprobe_type.s', 'reject', 2, 'program of this type cannot use helper bpf_override_return#58'],
  ['bpftrace/ssllatency_ssl_write.s', 'accept', 573],
  ['bpftrace/strcmp_openat.s', 'accept', 281],
  ['bpftrace/tcplife_tcp_set_state.s', 'accept', 664],
  ['bpftrace/unroll_execve.s', 'accept', 340],
  ['bpftrace/while_100000_too_complex.s', 'reject', 163850, 'The sequence of 8193 jumps is too complex.'],
];

async function load(file: string) {
  const path = dir + file;
  const [p] = await loadFile(path, new Uint8Array(readFileSync(path)), {});
  return p!;
}

describe('BCC and bpftrace programs: the 6.18 kernel\'s verdicts and processed counts', () => {
  it.each(KERNEL)('%s', async (file, verdict, processed, message) => {
    const r = verify(await load(file));
    expect(r.verdict).toBe(verdict);
    expect(r.processed).toBe(processed);
    if (message !== undefined) expect(r.error?.message).toBe(message);
  }, 60_000);
});

const avail = kernelAvailable();
if (!avail.ok) console.log(`skipping the live-kernel check of corpus/real: ${avail.reason}`);

describe.skipIf(!avail.ok)('the running kernel still gives the recorded numbers', () => {
  it.each(KERNEL)('%s', async (file, verdict, processed, message) => {
    const k = await kernelVerdict(await load(file));
    expect(k.verdict).toBe(verdict);
    expect(k.processed).toBe(processed);
    if (message !== undefined) expect(k.message).toBe(message);
  }, 60_000);
});
