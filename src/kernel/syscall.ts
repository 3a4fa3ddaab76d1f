/**
 * The raw bpf(2) system call from Node, through koffi and libc's variadic `syscall()`.
 *
 * Every pointer inside `union bpf_attr` must be a real address, so all buffers the kernel reads
 * or writes live in native memory (koffi.alloc), never in JS heap objects that the GC may move.
 * Calls are synchronous, so one set of scratch buffers is reused across calls (grown on demand).
 */
import { createRequire } from 'node:module';
import { arch, platform } from 'node:process';

type Koffi = typeof import('koffi');
/** koffi's opaque pointer to native memory. */
type NativePtr = unknown;

/** bpf() commands (enum bpf_cmd). */
export const BPF_CMD = {
  MAP_CREATE: 0,
  MAP_LOOKUP_ELEM: 1,
  MAP_UPDATE_ELEM: 2,
  MAP_DELETE_ELEM: 3,
  MAP_GET_NEXT_KEY: 4,
  PROG_LOAD: 5,
  PROG_TEST_RUN: 10,
  OBJ_GET_INFO_BY_FD: 15,
  BTF_LOAD: 18,
  MAP_LOOKUP_AND_DELETE_ELEM: 21,
  MAP_FREEZE: 22,
  LINK_CREATE: 28,
} as const;

/** __NR_bpf per architecture. */
const SYS_BPF: Record<string, number> = { x64: 321, arm64: 280, ia32: 357, riscv64: 280, s390x: 351, ppc64: 361 };

interface Binding {
  koffi: Koffi;
  syscall: (...args: unknown[]) => number | bigint;
  close: (fd: number) => number;
  nr: number;
  errnoNames: Map<number, string>;
}

let binding: Binding | null | undefined;
let bindingError = '';

/** Loads koffi and libc once; null (with `bindingFailure()`) when this host cannot. */
export function getBinding(): Binding | null {
  if (binding !== undefined) return binding;
  binding = null;
  if (platform !== 'linux') {
    bindingError = `bpf() needs Linux (this is ${platform})`;
    return null;
  }
  const nr = SYS_BPF[arch];
  if (nr === undefined) {
    bindingError = `no bpf() syscall number known for architecture ${arch}`;
    return null;
  }
  let koffi: Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch (e) {
    bindingError = `koffi could not be loaded: ${(e as Error).message.split('\n')[0] ?? ''}`;
    return null;
  }
  try {
    const libc = koffi.load('libc.so.6');
    const syscall = libc.func('long syscall(long, ...)') as (...args: unknown[]) => number | bigint;
    const close = libc.func('int close(int)') as (fd: number) => number;
    const errnoNames = new Map<number, string>();
    for (const [name, num] of Object.entries(koffi.os.errno)) if (!errnoNames.has(num)) errnoNames.set(num, name);
    // Kernel-internal codes that leak to user space from bpf().
    errnoNames.set(524, 'ENOTSUPP');
    binding = { koffi, syscall, close, nr, errnoNames };
  } catch (e) {
    bindingError = `libc syscall() not reachable through koffi: ${(e as Error).message}`;
  }
  return binding;
}

export function bindingFailure(): string {
  return bindingError;
}

/** The symbolic name of an errno number (EPERM, ENOENT, ...). */
export function errnoName(n: number): string {
  return getBinding()?.errnoNames.get(n) ?? `errno ${n}`;
}

/** A block of native memory with its address and a byte view. */
export class NativeBuffer {
  readonly ptr: NativePtr;
  readonly addr: bigint;
  readonly bytes: Uint8Array;
  constructor(readonly size: number) {
    const b = mustBind();
    const n = Math.max(size, 8);
    this.ptr = b.koffi.alloc('uint8_t', n);
    this.addr = b.koffi.address(this.ptr);
    this.bytes = new Uint8Array(b.koffi.view(this.ptr, n), 0, size);
    this.bytes.fill(0);
  }
  free(): void {
    mustBind().koffi.free(this.ptr);
  }
}

function mustBind(): Binding {
  const b = getBinding();
  if (!b) throw new Error(`kernel binding unavailable: ${bindingError}`);
  return b;
}

/**
 * Scratch buffers reused across calls, by role. Buffers above `keepLimit` bytes are freed
 * right after use by `releaseLarge()` so that a 16 MiB log does not stay resident.
 */
const scratch = new Map<string, NativeBuffer>();
const keepLimit = 1 << 20;

/** A zeroed native buffer of at least `size` bytes for `role`, valid until the next request for that role. */
export function scratchBuffer(role: string, size: number, zero = true): NativeBuffer {
  let buf = scratch.get(role);
  if (!buf || buf.size < size) {
    buf?.free();
    buf = new NativeBuffer(Math.max(size, 64));
    scratch.set(role, buf);
  } else if (zero) {
    buf.bytes.fill(0, 0, Math.max(size, 0));
  }
  return buf;
}

/** A native copy of `data` in the scratch buffer for `role`; its address (0 for an empty input). */
export function scratchCopy(role: string, data: Uint8Array | null | undefined): bigint {
  if (!data || data.length === 0) return 0n;
  const buf = scratchBuffer(role, data.length);
  buf.bytes.set(data);
  return buf.addr;
}

export function releaseLarge(): void {
  for (const [role, buf] of scratch) {
    if (buf.size > keepLimit) {
      buf.free();
      scratch.delete(role);
    }
  }
}

/** The result of one bpf() call: the return value (>= 0) or the errno (ret = -1). */
export interface SysResult {
  ret: number;
  errno: number;
}

/** Issues bpf(cmd, attr, attr.length), with `attr` copied into native memory and copied back after. */
const EINTR = 4;
const EAGAIN = 11;
/** Commands that create an object or nothing, so an interrupted call can simply be made again. */
const RETRIED = new Set<number>([BPF_CMD.MAP_CREATE, BPF_CMD.PROG_LOAD, BPF_CMD.BTF_LOAD]);

export function bpf(cmd: number, attr: Uint8Array): SysResult {
  const b = mustBind();
  const native = scratchBuffer('attr', attr.length);
  // A signal (a profiler's SIGPROF, a timer) can end BPF_PROG_LOAD with EINTR after a successful
  // verification, and the kernel may answer EAGAIN under memory pressure: libbpf retries the
  // load (sys_bpf_prog_load, 5 attempts); so do we, for the commands where that is safe.
  for (let attempt = 1; ; attempt++) {
    native.bytes.set(attr);
    b.koffi.errno(0);
    const r = Number(b.syscall(b.nr, 'int', cmd, 'uint64_t', native.addr, 'uint', attr.length));
    const errno = r < 0 ? b.koffi.errno() : 0;
    if (r < 0 && (errno === EINTR || errno === EAGAIN) && RETRIED.has(cmd) && attempt < 5) continue;
    attr.set(native.bytes.subarray(0, attr.length));
    return { ret: r, errno };
  }
}

/** close(2) on a file descriptor returned by bpf(). */
export function closeFd(fd: number): void {
  if (fd >= 0) mustBind().close(fd);
}
