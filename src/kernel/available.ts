/**
 * Whether this host lets us use bpf(): Linux, koffi loadable, and permission to create a map
 * and load a trivial program (root or CAP_BPF, unprivileged BPF enabled, no seccomp filter).
 */
import { makeInsn } from '../isa/insn.js';
import { makeMapSpec, makeProgram } from '../isa/program.js';
import { bindingFailure, getBinding } from './syscall.js';
import { mapCreateFd } from './maps.js';
import { progLoad, progTestRun } from './prog.js';
import { closeFd } from './syscall.js';
import { KernelError } from './errors.js';

export interface KernelAvailability {
  ok: boolean;
  reason: string;
}

let cached: KernelAvailability | undefined;

export function kernelAvailable(): KernelAvailability {
  if (cached) return cached;
  cached = probe();
  return cached;
}

function probe(): KernelAvailability {
  if (!getBinding()) return { ok: false, reason: bindingFailure() };
  try {
    const fd = mapCreateFd(makeMapSpec({ name: 'probe', type: 'array', keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 }));
    closeFd(fd);
  } catch (e) {
    const errno = e instanceof KernelError ? e.errno : String(e);
    return { ok: false, reason: `bpf(BPF_MAP_CREATE) failed with ${errno}${errno === 'EPERM' ? ' (needs root or CAP_BPF)' : ''}` };
  }
  try {
    // r0 = 0; exit
    const load = progLoad(
      makeProgram({ name: 'probe', section: '', type: 'socket_filter', insns: [makeInsn(0xb7, 0, 0, 0, 0), makeInsn(0x95, 0, 0, 0, 0)], maps: [], license: 'GPL' }),
      { logLevel: 0 },
    );
    if (load.fd === null) return { ok: false, reason: `bpf(BPF_PROG_LOAD) failed with ${load.errno ?? '?'}: ${load.log.trim()}` };
    try {
      progTestRun(load.fd, { data: new Uint8Array(64) });
    } finally {
      closeFd(load.fd);
    }
  } catch (e) {
    return { ok: false, reason: `bpf() probe failed: ${(e as Error).message}` };
  }
  return { ok: true, reason: 'bpf() available' };
}
