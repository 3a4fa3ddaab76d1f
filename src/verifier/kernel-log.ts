/**
 * Reading the running kernel's verifier log: the first error line (what `verify --kernel`,
 * the corpus and the differential tests compare with bpflab's message) and the statistics.
 */

const NOISE = /^(processed \d+ insns|verification time|stack depth|func#\d+ @|Live regs before insn|\s+\d+: [.0-9]{10} )/;
const INSN = /^\d+: (\(|R\d|frame|safe)|^from \d+ to \d+:|^\d+: safe/;

/** The kernel's first error line: the first line after the last instruction trace line. */
export function firstKernelError(log: string): string {
  const lines = log.split('\n').filter((l) => l.trim() !== '' && !NOISE.test(l));
  let last = -1;
  for (let i = 0; i < lines.length; i++) if (INSN.test(lines[i]!) || lines[i]!.startsWith('; ')) last = i;
  const line = lines[last + 1] ?? lines[lines.length - 1] ?? '';
  // Some kernel messages lack their newline and run into the statistics.
  return line.replace(/verification time \d+ usec.*$/, '').trim();
}

/** `processed N insns` from the statistics line. */
export function kernelProcessed(log: string): number | undefined {
  const m = /processed (\d+) insns/.exec(log);
  return m ? Number(m[1]) : undefined;
}
