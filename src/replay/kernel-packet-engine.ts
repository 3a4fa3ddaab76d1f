/**
 * The running kernel as a packet engine: the program loaded once with one set of kernel maps,
 * then BPF_PROG_TEST_RUN per packet, so map state carries over from packet to packet as it
 * would on a live interface.
 */
import { InputError } from '../isa/errors.js';
import type { Program } from '../isa/program.js';
import { KernelError, closeFd, createProgramMaps, dumpable, kernelAvailable, progLoad, progTestRun, type KernelMap } from '../kernel/index.js';
import { engineInput, type PacketEngine, type PacketRun } from './packet-engine.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export class KernelPacketEngine implements PacketEngine {
  readonly name = 'kernel' as const;
  /** The kernel's own time per run (ns), summed over the packets run. */
  kernelNs = 0;
  private constructor(private readonly program: Program, private readonly fd: number, private readonly maps: KernelMap[]) {}

  static open(program: Program): KernelPacketEngine {
    const avail = kernelAvailable();
    if (!avail.ok) throw new InputError('kernel', `the kernel engine is unavailable here: ${avail.reason}`);
    const maps = createProgramMaps(program);
    try {
      const load = progLoad(program, { maps, logLevel: 1 });
      if (load.fd === null) {
        const last = load.log.trim().split('\n').filter((l) => l && !/^(processed|stack depth|verification time|\d+: )/.test(l)).at(-1);
        throw new InputError('kernel_reject', `the kernel rejects ${program.name}: ${last ?? `errno ${load.errno}`}`);
      }
      return new KernelPacketEngine(program, load.fd, maps);
    } catch (e) {
      for (const m of maps) m.close();
      throw e;
    }
  }

  run(frame: Uint8Array): PacketRun {
    try {
      const r = progTestRun(this.fd, { data: engineInput(this.program, frame) });
      this.kernelNs += r.durationNs;
      const run: PacketRun = { r0: r.retval };
      if (r.dataOut) run.out = this.program.type === 'socket_filter' ? r.dataOut.subarray(Math.min(14, r.dataOut.length)) : r.dataOut;
      return run;
    } catch (e) {
      if (e instanceof KernelError) return { r0: 0, error: `BPF_PROG_TEST_RUN: ${e.message}` };
      throw e;
    }
  }

  dumpMaps(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const m of this.maps) out[m.spec.name] = !dumpable(m.spec.type) ? {} : Object.fromEntries(m.entries().map(([k, v]) => [hex(k), hex(v)]));
    return out;
  }

  close(): void {
    closeFd(this.fd);
    for (const m of this.maps) m.close();
  }
}
