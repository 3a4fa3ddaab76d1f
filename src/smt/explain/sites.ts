/**
 * The instructions that matter for a rejection, read from the verifier's states along the
 * failing path: for a leaked reference, the call that acquired it and the exit that leaks it;
 * for a return value out of range, the last write of r0 and the exit; otherwise the failing
 * instruction. Placed at the C level through line info.
 */
import { helperName } from '../../isa/helper-ids.js';
import * as op from '../../isa/opcodes.js';
import type { Program } from '../../isa/program.js';
import type { VerifyResult } from '../../verifier/index.js';

export interface Site {
  pc: number;
  role: 'acquire' | 'leak' | 'return_value' | 'exit' | 'fault';
  /** One line: what happens there. */
  what: string;
  /** file:line of the source line in effect there, with its text, when the program has line info. */
  line?: string;
}

export interface RegText { [name: string]: string }

/** The verifier's state before path index i, by name (R0..R10, fp-8, ...). */
export function stateAt(r: VerifyResult, i: number): { regs: RegText; refs: number[] } | null {
  const ps = r.pathStates?.[i];
  if (!ps) return null;
  const regs: RegText = {};
  let refs: number[] = [];
  let depth = 0;
  let tok = '';
  const flush = (): void => {
    const t = tok.trim();
    tok = '';
    if (!t) return;
    const eq = t.indexOf('=');
    if (eq <= 0) return;
    const k = t.slice(0, eq).replace(/_[wrD]+$/, '');
    const v = t.slice(eq + 1);
    if (k === 'refs') refs = v.split(',').map(Number).filter((x) => x > 0);
    else regs[k] = v.includes('=') && /^[mr0?]+=/.test(v) ? v.slice(v.indexOf('=') + 1) : v;
  };
  for (const ch of ps.regs) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ' ' && depth === 0) flush(); else tok += ch;
  }
  flush();
  return { regs, refs };
}

export const field = (text: string | undefined, name: string): number | undefined => {
  const m = text ? new RegExp(`[(,]${name}=(-?\\d+)`).exec(text) : null;
  return m ? Number(m[1]) : undefined;
};
export const typeOf = (text: string | undefined): string => (text ? /^([a-z_]+)\(/.exec(text)?.[1] ?? (/^fp/.test(text) ? 'fp' : /^-?\d|^0x/.test(text) ? 'scalar' : text) : 'none');


/** Helpers that release what an acquiring helper returns. */
export const RELEASE: Record<string, string> = {
  bpf_ringbuf_reserve: 'bpf_ringbuf_discard',
  bpf_sk_lookup_tcp: 'bpf_sk_release',
  bpf_sk_lookup_udp: 'bpf_sk_release',
  bpf_skc_lookup_tcp: 'bpf_sk_release',
};
/** Every helper that releases a reference of that kind (for the replay: submit releases a record too). */
export const RELEASERS: Record<string, string[]> = {
  bpf_ringbuf_reserve: ['bpf_ringbuf_discard', 'bpf_ringbuf_submit'],
  bpf_sk_lookup_tcp: ['bpf_sk_release'],
  bpf_sk_lookup_udp: ['bpf_sk_release'],
  bpf_skc_lookup_tcp: ['bpf_sk_release'],
};

/** The path pc of the helper call after which R0 carries reference `id`. */
export function acquireOf(p: Program, r: VerifyResult, path: readonly number[], id: number): number | null {
  for (let i = 0; i + 1 < path.length; i++) {
    const x = p.insns[path[i]!]!;
    if (op.cls(x.code) === op.BPF_JMP && op.jmpOp(x.code) === op.BPF_CALL && field(stateAt(r, i + 1)?.regs.R0, 'ref_obj_id') === id) return path[i]!;
  }
  return null;
}

function lineOf(p: Program, pc: number): string | undefined {
  let best: { line: number; file: string; text: string; pc: number } | undefined;
  for (const li of p.lineInfo ?? []) if (li.pc <= pc && (!best || li.pc >= best.pc)) best = li;
  return best ? `${best.file.replace(/^.*[\\/]/, '')}:${best.line}: ${best.text.trim()}` : undefined;
}

/** The sites of the rejection at the end of `path`. */
export function faultSites(p: Program, r: VerifyResult, path: readonly number[]): Site[] {
  const err = r.error;
  if (!err || !path.length) return [];
  const out: Site[] = [];
  const add = (pc: number, role: Site['role'], what: string): void => {
    const line = lineOf(p, pc);
    out.push({ pc, role, what, ...(line !== undefined && { line }) });
  };
  if (err.kind === 'reference_leak') {
    const st = stateAt(r, path.length - 1);
    const m = /id=(\d+)/.exec(err.message);
    const id = m ? Number(m[1]) : st?.refs[0];
    const acq = id !== undefined ? acquireOf(p, r, path, id) : null;
    if (acq !== null) add(acq, 'acquire', `${helperName(p.insns[acq]!.imm) ?? 'a helper'} acquires reference ${id}`);
    add(err.pc, 'leak', `exit with reference ${id ?? '?'} still held`);
    return out;
  }
  if (err.kind === 'return_range') {
    for (let i = path.length - 2; i >= 0; i--) {
      const x = p.insns[path[i]!]!;
      const c = op.cls(x.code);
      const writesR0 = ((c === op.BPF_ALU || c === op.BPF_ALU64 || c === op.BPF_LDX) && x.dst === 0) || x.code === op.BPF_LD_IMM64 && x.dst === 0
        || ((c === op.BPF_JMP || c === op.BPF_JMP32) && op.jmpOp(x.code) === op.BPF_CALL);
      if (writesR0) { add(path[i]!, 'return_value', 'sets r0 for the exit'); break; }
    }
    add(err.pc, 'exit', 'returns r0 outside the allowed range');
    return out;
  }
  add(err.pc, 'fault', err.message);
  return out;
}
