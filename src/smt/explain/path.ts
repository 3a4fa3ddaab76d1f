/**
 * The failing path and the verifier's abstract registers along it, recovered from the verifier's
 * kernel-format log. The log lists the instructions of each explored path in order; a line
 * `from A to B: <state>` starts the pending branch pushed at the jump A (depth-first, so the most
 * recent pending jump at A), and each instruction line ends with `; <registers it touched>`.
 * Replaying that history gives, for the last path (the one that failed), every pc from entry to
 * the failing instruction and the register state before each of them.
 */

/** One register as the log prints it, e.g. "scalar(smin=0,umax=15,var_off=(0x0; 0xf))", "pkt(off=14,r=14)", "5". */
export type RegText = string | undefined;

export interface LogPath {
  /** pcs from entry to the failing instruction (last). */
  path: number[];
  /** Registers r0..r10 (as text) before each instruction of the path (same length as path). */
  before: RegText[][];
}

const INSN = /^(\d+): \(([0-9a-f]{2})\) (.*?)(?:\s+; (.*))?$/;
const FROM = /^from (\d+) to (\d+): (.*)$/;
const STATE = /^(\d+): (R\d.*)$/;

/** Splits a state text into tokens at top-level spaces (parenthesised parts keep their spaces). */
export function splitState(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ' ' && depth === 0) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** Applies "R1=ctx() R2_w=5 fp-8=..." to regs (only register tokens). */
function apply(regs: RegText[], text: string): void {
  for (const tok of splitState(text)) {
    const m = /^R(\d+)(?:_[rwD]+)?=(.*)$/.exec(tok);
    if (m) regs[Number(m[1])] = m[2]!;
  }
}

/** The registers r0..r10 of a whole state in the log's format (a `VerifyResult.pathStates` entry). */
export function regsOfState(text: string): RegText[] {
  const regs = new Array<RegText>(11).fill(undefined);
  apply(regs, text);
  return regs;
}

/** Reconstructs the failing path from a verifier log; null when the log shows no instruction. */
export function pathFromLog(log: string, failingPc: number): LogPath | null {
  let path: number[] = [];
  let before: RegText[][] = [];
  let regs: RegText[] = new Array<RegText>(11).fill(undefined);
  // jumps executed on the current path, with the path and state up to them (LIFO as the verifier's stack)
  const pending: { pc: number; path: number[]; before: RegText[][] }[] = [];
  let sawInsn = false;
  for (const line of log.split('\n')) {
    const from = FROM.exec(line);
    if (from) {
      const a = Number(from[1]);
      while (pending.length && pending[pending.length - 1]!.pc !== a) pending.pop();
      const p = pending.pop();
      path = p ? p.path.slice() : [];
      before = p ? p.before.slice() : [];
      regs = new Array<RegText>(11).fill(undefined);
      if (!/: safe$/.test(line)) apply(regs, from[3]!);
      continue;
    }
    const st = STATE.exec(line);
    if (st && !INSN.test(line)) {
      regs = new Array<RegText>(11).fill(undefined);
      apply(regs, st[2]!);
      continue;
    }
    const m = INSN.exec(line);
    if (!m) continue;
    sawInsn = true;
    const pc = Number(m[1]);
    const code = parseInt(m[2]!, 16);
    path.push(pc);
    before.push(regs.slice());
    const cls = code & 7;
    const isCall = (cls === 5 || cls === 6) && (code & 0xf0) === 0x80;
    if (isCall) for (let r = 0; r <= 5; r++) regs[r] = undefined;
    if (m[4]) apply(regs, m[4]);
    const isCond = (cls === 5 || cls === 6) && ![0x00, 0x80, 0x90].includes(code & 0xf0);
    if (isCond) pending.push({ pc, path: path.slice(), before: before.slice() });
  }
  if (!sawInsn) return null;
  // the failing instruction is the last one logged; trim anything after it
  const last = path.lastIndexOf(failingPc);
  if (last < 0) return null;
  return { path: path.slice(0, last + 1), before: before.slice(0, last + 1) };
}
