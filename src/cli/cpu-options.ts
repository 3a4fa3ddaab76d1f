/** `run`'s --cpus and --cpu: the CPUs the VM models and the one a run is on. */
import { UsageError, type ParsedArgs } from './args.js';

/** NR_CPUS's largest setting on x86_64 (CONFIG_NR_CPUS range 2..8192). */
export const MAX_CPUS = 8192;

/** --cpus and --cpu: how many CPUs the VM models and which one the run is on (vm and jit only). */
export function cpuOptions(args: ParsedArgs, engine: string): { cpus?: number; cpu?: number } {
  const cpusArg = args.strings.get('cpus'), cpuArg = args.strings.get('cpu');
  if (cpusArg === undefined && cpuArg === undefined) return {};
  if (engine === 'kernel') throw new UsageError("run: --cpus and --cpu model the VM's CPUs; the kernel engine runs on this host's");
  const out: { cpus?: number; cpu?: number } = {};
  if (cpusArg !== undefined) {
    const cpus = Number(cpusArg);
    if (cpus < 1 || cpus > MAX_CPUS) throw new UsageError(`run: --cpus must be 1..${MAX_CPUS} (got ${cpusArg})`);
    out.cpus = cpus;
  }
  if (cpuArg !== undefined) {
    const cpu = Number(cpuArg);
    if (cpu >= (out.cpus ?? 1)) throw new UsageError(`run: --cpu ${cpu} is outside the CPUs modelled (0..${(out.cpus ?? 1) - 1}; give --cpus)`);
    out.cpu = cpu;
  }
  return out;
}
