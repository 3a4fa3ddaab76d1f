/**
 * The running kernel's verdict on one program, with the statistics its verifier prints at
 * BPF_LOG_STATS (veristat's columns): what `verify --kernel`, the corpus and batch runs compare.
 * bpf() is bound lazily, so callers that never ask the kernel do not load koffi.
 */
import type { Program } from '../isa/program.js';
import { firstKernelError, kernelProcessed } from '../verifier/kernel-log.js';

export interface KernelVerdict {
  verdict: 'accept' | 'reject' | 'unavailable';
  /** The kernel's first error line (empty when accepted), or why the kernel could not be asked. */
  message: string;
  /** insn_processed. */
  processed?: number;
  /** Wall time of BPF_PROG_LOAD in ms. */
  ms?: number;
  /** The statistics line of the kernel's log (veristat's columns). */
  totalStates?: number;
  peakStates?: number;
  maxStatesPerInsn?: number;
  markRead?: number;
  /** "verification time N usec". */
  verificationUs?: number;
}

/** The numbers of the kernel's closing statistics lines. */
export function kernelStats(log: string): Pick<KernelVerdict, 'processed' | 'totalStates' | 'peakStates' | 'maxStatesPerInsn' | 'markRead' | 'verificationUs'> {
  const out: ReturnType<typeof kernelStats> = {};
  const processed = kernelProcessed(log);
  if (processed !== undefined) out.processed = processed;
  const num = (re: RegExp): number | undefined => { const m = re.exec(log); return m ? Number(m[1]) : undefined; };
  const fields = [
    ['maxStatesPerInsn', /max_states_per_insn (\d+)/], ['totalStates', /total_states (\d+)/], ['peakStates', /peak_states (\d+)/],
    ['markRead', /mark_read (\d+)/], ['verificationUs', /verification time (\d+) usec/],
  ] as const;
  for (const [k, re] of fields) { const v = num(re); if (v !== undefined) out[k] = v; }
  return out;
}

/** prog_flags bit: every access must be naturally aligned (the kernel's env->strict_alignment). */
export const BPF_F_STRICT_ALIGNMENT = 1;

/** Loads `program` into the running kernel (and closes it); `unavailable` with the reason when bpf() cannot be used. */
export async function kernelVerdict(program: Program, opts: { strictAlignment?: boolean } = {}): Promise<KernelVerdict> {
  const k = await import('./index.js');
  const avail = k.kernelAvailable();
  if (!avail.ok) return { verdict: 'unavailable', message: avail.reason };
  // A program libbpf cannot link or relocate (e.g. a CO-RE record it cannot apply) never reaches
  // BPF_PROG_LOAD: what the kernel would say of the unrelocated bytes is no verdict of this load.
  if (program.loadError) return { verdict: 'reject', message: `not loaded: libbpf fails the load: ${program.loadError.message}` };
  try {
    const r = k.progLoad(program, { logLevel: 0, ...(opts.strictAlignment && { extraProgFlags: BPF_F_STRICT_ALIGNMENT }) });
    if (r.fd !== null) k.closeFd(r.fd);
    const out: KernelVerdict = { verdict: r.verdict, message: r.verdict === 'accept' ? '' : firstKernelError(r.log) || `errno ${r.errno}`, ms: r.ms, ...kernelStats(r.log) };
    if (r.processed !== undefined) out.processed = r.processed;
    return out;
  } catch (e) {
    return { verdict: 'unavailable', message: e instanceof Error ? e.message : String(e) };
  }
}
