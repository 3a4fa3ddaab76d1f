/**
 * Reading the running kernel's verifier log: the first error line (what `verify --kernel`,
 * the corpus and the differential tests compare with bpflab's message) and the statistics.
 */

// (btf_ctx_access's "func 'f' argN has btf_id ..." reports how a context argument is typed, and
// "Validating f() func#N..." that a global function's own check begins: not errors)
const NOISE = /^(processed \d+ insns|verification time|stack depth|func#\d+ @|Live regs before insn|\s+\d+: [.0-9]{10} |func '[^']*' arg\d+ has btf_id \d+ type |Validating \S+\(\) func#\d+\.\.\.$)/;
// btf_prepare_func_args on an argument whose size BTF cannot give: only a note for the main program
// (its arguments are not checked; a `void *ctx` prints it first in every log), the error when the
// kernel then refuses a call of a global function for it ("Caller passes invalid args" follows)
const ARG_SIZE_NOTE = /^arg#\d+ reference type\('[^']*'\) size cannot be determined: -\d+$/;
const CALLER_REFUSED = /^Caller passes invalid args into func#/;
const INSN = /^\d+: (\(|R\d|frame|safe)|^from \d+ to \d+:|^\d+: safe/;

/**
 * Notes the kernel prints whatever the log level, before the check finds an error: from
 * btf_prepare_func_args on the main program (ARG_SIZE_NOTE, `Global function f() doesn't return
 * scalar. ...`) and for each global function call (`Func#1 ('f') is global and assumed valid.`;
 * its `Validating f() func#2...` is NOISE).
 */
const NOTE = new RegExp(`${ARG_SIZE_NOTE.source}|^Global function .*\\(\\) doesn't return scalar\\. Only those are supported\\.$|^Func#\\d+ \\('.*'\\) is global and assumed valid\\.$`);

/**
 * The kernel's first error line: the first line after the last instruction trace line. A log
 * without a trace (BPF_LOG_STATS alone) holds only the notes, the error's lines, and for some
 * errors the `; source @ file:line` of the failing instruction: the first line that is neither.
 */
export function firstKernelError(log: string): string {
  const lines = log.split('\n').filter((l) => l.trim() !== '' && !NOISE.test(l));
  let line: string;
  if (lines.some((l) => INSN.test(l))) {
    let last = -1;
    for (let i = 0; i < lines.length; i++) if (INSN.test(lines[i]!) || lines[i]!.startsWith('; ')) last = i;
    line = lines[last + 1] ?? lines[lines.length - 1] ?? '';
  } else {
    const own = lines.filter((l) => !l.startsWith('; '));
    line = own.find((l, i) => !NOTE.test(l) || (ARG_SIZE_NOTE.test(l) && CALLER_REFUSED.test(own[i + 1] ?? ''))) ?? own[own.length - 1] ?? lines[0] ?? '';
  }
  return clean(line);
}

/**
 * Some kernel messages lack their newline: one runs into the statistics, and btf_ctx_access's
 * note on an argument that may be an error pointer runs into whatever follows it.
 */
function clean(line: string): string {
  return line.replace(/^marking pointer arg\d+ as scalar as it may encode error/, '').replace(/verification time \d+ usec.*$/, '').trim();
}

/** `processed N insns` from the statistics line. */
export function kernelProcessed(log: string): number | undefined {
  const m = /processed (\d+) insns/.exec(log);
  return m ? Number(m[1]) : undefined;
}
