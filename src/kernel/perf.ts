/**
 * Attaching programs to kernel events the way libbpf does for tracepoints: perf_event_open(2)
 * on the tracepoint's id (from tracefs), then BPF_LINK_CREATE with BPF_PERF_EVENT. Also the
 * libc calls the ring-buffer reader needs (mmap/munmap), through the same koffi binding.
 */
import { arch } from 'node:process';
import { LINK_CREATE, Attr } from './attr.js';
import { KernelError } from './errors.js';
import { BPF_CMD, bpf, getBinding, bindingFailure, scratchBuffer } from './syscall.js';

/** __NR_perf_event_open per architecture. */
const SYS_PERF_EVENT_OPEN: Record<string, number> = { x64: 298, arm64: 241, ia32: 336, riscv64: 241, s390x: 331, ppc64: 319 };

const PERF_TYPE_TRACEPOINT = 2;
const PERF_ATTR_SIZE = 128;
const PERF_FLAG_FD_CLOEXEC = 8;
/** enum bpf_attach_type: BPF_PERF_EVENT. */
const BPF_PERF_EVENT = 41;

interface Libc {
  syscall: (...args: unknown[]) => number | bigint;
  mmap: (addr: null, len: number, prot: number, flags: number, fd: number, off: number) => unknown;
  munmap: (p: unknown, len: number) => number;
}
let libc: Libc | null = null;

function libcCalls(): Libc {
  if (libc) return libc;
  const b = getBinding();
  if (!b) throw new Error(`kernel binding unavailable: ${bindingFailure()}`);
  const lib = b.koffi.load('libc.so.6');
  libc = {
    syscall: b.syscall,
    mmap: lib.func('void *mmap(void *, size_t, int, int, int, long)') as Libc['mmap'],
    munmap: lib.func('int munmap(void *, size_t)') as Libc['munmap'],
  };
  return libc;
}

/** perf_event_open for tracepoint `id` on `cpu` (all tasks). Returns the fd; throws KernelError. */
export function perfEventOpenTracepoint(id: number, cpu = 0): number {
  const b = getBinding();
  if (!b) throw new Error(`kernel binding unavailable: ${bindingFailure()}`);
  const nr = SYS_PERF_EVENT_OPEN[arch];
  if (nr === undefined) throw new Error(`no perf_event_open syscall number known for ${arch}`);
  const attr = new DataView(new ArrayBuffer(PERF_ATTR_SIZE));
  attr.setUint32(0, PERF_TYPE_TRACEPOINT, true);
  attr.setUint32(4, PERF_ATTR_SIZE, true);
  attr.setBigUint64(8, BigInt(id), true);
  attr.setBigUint64(16, 1n, true); // sample_period
  attr.setUint32(48, 1, true); // wakeup_events
  const native = scratchBuffer('perfAttr', PERF_ATTR_SIZE);
  native.bytes.set(new Uint8Array(attr.buffer));
  b.koffi.errno(0);
  const fd = Number(libcCalls().syscall(nr, 'uint64_t', native.addr, 'int', -1, 'int', cpu, 'int', -1, 'ulong', PERF_FLAG_FD_CLOEXEC));
  if (fd < 0) throw new KernelError('perf_event_open', b.koffi.errno());
  return fd;
}

/** BPF_LINK_CREATE attaching `progFd` to the perf event `perfFd`. Returns the link fd. */
export function linkCreatePerfEvent(progFd: number, perfFd: number, cookie = 0n): number {
  const a = new Attr(LINK_CREATE.size)
    .u32(LINK_CREATE.prog_fd, progFd)
    .u32(LINK_CREATE.target_fd, perfFd)
    .u32(LINK_CREATE.attach_type, BPF_PERF_EVENT)
    .u64(LINK_CREATE.perf_event_bpf_cookie, cookie);
  const r = bpf(BPF_CMD.LINK_CREATE, a.bytes);
  if (r.ret < 0) throw new KernelError('BPF_LINK_CREATE', r.errno);
  return r.ret;
}

export const PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;

/** mmap(2) of `fd`; returns the mapping and a byte view of it (valid until `unmap`). */
export function mmapFd(fd: number, len: number, prot: number, offset: number): { ptr: unknown; bytes: Uint8Array; len: number } {
  const b = getBinding();
  if (!b) throw new Error(`kernel binding unavailable: ${bindingFailure()}`);
  b.koffi.errno(0);
  const ptr = libcCalls().mmap(null, len, prot, MAP_SHARED, fd, offset);
  const addr = ptr === null ? -1n : b.koffi.address(ptr);
  if (addr === -1n || addr === 0n || addr === 0xffffffffffffffffn) throw new KernelError('mmap', b.koffi.errno());
  return { ptr, bytes: new Uint8Array(b.koffi.view(ptr, len)), len };
}

export function unmap(m: { ptr: unknown; len: number }): void {
  libcCalls().munmap(m.ptr, m.len);
}
