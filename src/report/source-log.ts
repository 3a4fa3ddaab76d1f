/**
 * The kernel's source annotations in a verifier log: before an instruction whose BTF line info
 * differs from the last one printed, a `; <source line> @ <file>:<line>` line (verbose_linfo in
 * kernel/bpf/verifier.c). The kernel forgets the last line when it resumes another path, so a
 * `from A to B` line resets it here too.
 */
import type { LineInfo, Program } from '../isa/program.js';

const INSN_LINE = /^(\d+): \(/;

/**
 * `log` with the source lines of `program` interleaved; unchanged when the program has no line
 * info or the log has its source lines already (bpflab's verifier log prints them itself, as the
 * kernel does: this is for logs recorded without them).
 */
export function sourceAnnotatedLog(program: Program, log: string): string {
  const infos = program.lineInfo;
  if (!infos || infos.length === 0 || log === '' || /^; .* @ [^ ]+:\d+$/m.test(log)) return log;
  const sorted = [...infos].sort((a, b) => a.pc - b.pc);
  const find = (pc: number): LineInfo | undefined => {
    let lo = 0, hi = sorted.length - 1, best: LineInfo | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]!.pc <= pc) { best = sorted[mid]; lo = mid + 1; } else hi = mid - 1;
    }
    return best;
  };
  let prev: LineInfo | undefined;
  const out: string[] = [];
  for (const line of log.split('\n')) {
    if (line.startsWith('from ')) prev = undefined;
    const m = INSN_LINE.exec(line);
    if (m) {
      const li = find(Number(m[1]));
      if (li && li !== prev) {
        if (li.text || li.file) out.push(`; ${li.text.trimStart()} @ ${li.file}:${li.line}`);
        prev = li;
      }
    }
    out.push(line);
  }
  return out.join('\n');
}
