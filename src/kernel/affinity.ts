/**
 * Running a sequence of bpf() calls on one CPU. Some kernel state is per CPU: an LRU hash map
 * hands out nodes from the calling CPU's local lists (kernel/bpf/bpf_lru_list.c), so which
 * elements a fill-then-test-run sequence evicts depends on whether the scheduler moved the
 * process between the calls. bpflab's model makes every call on one CPU; pinning the calling
 * thread to the CPU it is on for the sequence makes the kernel do the same (and costs two
 * system calls, not a migration).
 */
import { createRequire } from 'node:module';
import { platform } from 'node:process';

interface Affinity {
  getcpu: () => number;
  get: (pid: number, size: number, mask: Uint8Array) => number;
  set: (pid: number, size: number, mask: Uint8Array) => number;
}

/** Room for 8192 CPUs (the kernel wants at least nr_cpu_ids bits in sched_getaffinity). */
const MASK_BYTES = 1024;

let affinity: Affinity | null | undefined;

function bind(): Affinity | null {
  if (affinity !== undefined) return affinity;
  affinity = null;
  if (platform !== 'linux') return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const libc = koffi.load('libc.so.6');
    affinity = {
      getcpu: libc.func('int sched_getcpu(void)') as () => number,
      get: libc.func('int sched_getaffinity(int, size_t, _Out_ uint8_t *mask)') as Affinity['get'],
      set: libc.func('int sched_setaffinity(int, size_t, const uint8_t *mask)') as Affinity['set'],
    };
  } catch {
    affinity = null;
  }
  return affinity;
}

/**
 * Runs `fn` with the calling thread pinned to the CPU it is running on, then restores its
 * affinity. Where that cannot be done (no koffi, a seccomp filter), `fn` just runs.
 */
export function onOneCpu<T>(fn: () => T): T {
  const cpu = bind()?.getcpu() ?? -1;
  return cpu < 0 ? fn() : onCpu(cpu, fn);
}

/**
 * Runs `fn` with the calling thread pinned to CPU `cpu`, then restores its affinity; `fn` just
 * runs where pinning cannot be done (see onOneCpu) or `cpu` is not one the thread may use.
 */
export function onCpu<T>(cpu: number, fn: () => T): T {
  const a = bind();
  const saved = new Uint8Array(MASK_BYTES);
  if (!a || cpu < 0 || cpu >= MASK_BYTES * 8 || a.get(0, MASK_BYTES, saved) < 0) return fn();
  const one = new Uint8Array(MASK_BYTES);
  one[cpu >> 3] = 1 << (cpu & 7);
  const pinned = a.set(0, MASK_BYTES, one) === 0;
  try {
    return fn();
  } finally {
    if (pinned) a.set(0, MASK_BYTES, saved);
  }
}
