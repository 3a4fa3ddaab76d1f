/**
 * `explain --fix`: candidate bytecode patches for a rejection, each re-verified with the verifier
 * and, when explain found a counterexample, with that input replayed on the patched program.
 *
 * Patches, by what the verifier needed:
 * - NULL pointer used (a lookup or reserve result): `if rX != 0 goto +2; r0 = SAFE; exit` before the use.
 * - Packet read past the proven length: `rT = rB; rT += off+size; if rT <= data_end goto +2; r0 = SAFE; exit`.
 * - Map value / memory at a variable offset: before the `rB += rX` that made it, `if rX <= LIMIT goto +2; ...`
 *   (the unsigned compare also rules out negatives), or `rX &= MASK` with MASK the largest 2^k-1 <= LIMIT.
 * - Packet pointer used after a helper that changes packet data (bpf_skb_pull_data, bpf_xdp_adjust_head, ...:
 *   the verifier turns every packet pointer into a scalar at the call): right after the call (or after the
 *   fill of the stale spilled pointer), re-derive it from ctx->data and check it against ctx->data_end again.
 * - A constant offset past the end of an object the program sizes itself: reserve a ring buffer record big
 *   enough (the size operand of bpf_ringbuf_reserve), declare the map value big enough, move a stack
 *   access that lies outside the 512-byte frame to the nearest free slot inside it, or move a helper's
 *   stack buffer (a map key of 4 bytes at fp-2) down so all its bytes lie inside the frame.
 * - Reference leaked at exit: on the leaking path's last edge into the exit, release the reference
 *   (bpf_ringbuf_discard / bpf_sk_release) from the register or stack slot that still holds it.
 * Each is described at the C level through line info ("add `if (!p) return XDP_DROP;` before line 33").
 */
import { disasmInsn } from '../../isa/disasm.js';
import { helperId, helperName } from '../../isa/helper-ids.js';
import { type Insn, withInsn } from '../../isa/insn.js';
import * as op from '../../isa/opcodes.js';
import type { Program } from '../../isa/program.js';
import { returnSpec, XDP_ACTIONS, TC_ACTIONS } from '../../runtime/context/index.js';
import { helperProto } from '../../runtime/helpers/prototypes.js';
import { buildCfg, verify, type VerifierError, type VerifyOptions, type VerifyResult } from '../../verifier/index.js';
import { liveRegisters } from '../../verifier/liveness.js';
import { asmPatch as A, insertBefore, insertOnEdge, replaceInsn, withValueSize, type Patched } from './patch.js';
import { acquireOf, field, RELEASE, stateAt, typeOf, type RegText } from './sites.js';
import { replayWitness, type Witness } from './witness.js';

export interface Fix {
  /** What the patch does. */
  kind: 'null_check' | 'packet_check' | 'packet_reload' | 'index_check' | 'index_mask' | 'size_check' | 'release'
    | 'reserve_size' | 'value_size' | 'stack_slot' | 'stack_buffer';
  /** Original pc the code goes before. */
  pc: number;
  /** Only on the edge from this pc (other paths into `pc` skip the code). */
  from?: number;
  /** The inserted instructions, as assembly (with `inPlace`: the changed instruction or map). */
  insns: string[];
  /** The patch changes the instruction at `pc` (or a map's declaration) instead of inserting code. */
  inPlace?: boolean;
  /** In words. */
  description: string;
  /** The same at the C level, placed by line info ("add `...` before line 33 (file.c)"), when the program has line info. */
  c: string | null;
  /** The patched program passes the verifier. */
  verified: boolean;
  /** The verifier's verdict on the patched program (its error when rejected). */
  verdict: string;
  /** The counterexample replayed on the patched program: true when it no longer goes wrong; null without a counterexample. */
  replayed: boolean | null;
  replayNote?: string;
}

/** A return value that ends the program harmlessly, with its name. */
function safeReturn(p: Program): { value: number; name: string } {
  if (p.type === 'xdp') return { value: XDP_ACTIONS.XDP_DROP, name: 'XDP_DROP' };
  if (p.type === 'sched_cls' || p.type === 'sched_act') return { value: TC_ACTIONS.TC_ACT_SHOT, name: 'TC_ACT_SHOT' };
  const spec = returnSpec(p.type, p.expectedAttachType);
  const v = spec.verifierRange ? spec.verifierRange.min : 0;
  return { value: v, name: String(v) };
}

/** Where a fix goes at the C level. */
function atLine(p: Program, pc: number): string | null {
  let best: { line: number; file: string; text: string; pc: number } | undefined;
  for (const li of p.lineInfo ?? []) if (li.pc <= pc && (!best || li.pc >= best.pc)) best = li;
  if (!best) return null;
  return `before line ${best.line} (${best.file.replace(/^.*[\\/]/, '')}: \`${best.text.trim()}\`)`;
}

/** Registers dead before old pc (free for a patch's temporaries), high ones first. */
function freeRegs(p: Program, pc: number, avoid: number[]): number[] {
  try {
    const live = liveRegisters(p.insns, buildCfg(p.insns));
    const mask = live[pc] ?? 0xffff;
    const out: number[] = [];
    for (const r of [9, 8, 7, 6, 5, 4, 3, 2, 1]) if (!(mask & (1 << r)) && !avoid.includes(r)) out.push(r);
    return out;
  } catch {
    return [];
  }
}

/**
 * A patch: `code` inserted before `pc` (on the edge from `from`), or, for a change in place (an
 * operand, a map's value size), `patch` building the program and `shown` saying what changed.
 */
interface Candidate { kind: Fix['kind']; pc: number; from?: number; code: Insn[]; description: string; c: string; patch?: () => Patched; shown?: string[] }

/** The register the failing instruction reads memory through (LDX src, ST/STX dst), or the helper argument named by the message. */
function accessBase(ins: Insn, err: VerifierError): number | null {
  const c = op.cls(ins.code);
  if (c === op.BPF_LDX) return ins.src;
  if (c === op.BPF_ST || c === op.BPF_STX) return ins.dst;
  if ((c === op.BPF_JMP || c === op.BPF_JMP32) && op.jmpOp(ins.code) === op.BPF_CALL) {
    const m = /\bR(\d)\b/.exec(err.message);
    return m ? Number(m[1]) : null;
  }
  return null;
}

function nullCheck(p: Program, err: VerifierError, st: RegText): Candidate[] {
  const ins = p.insns[err.pc]!;
  const b = accessBase(ins, err);
  if (b === null || !typeOf(st[`R${b}`]).endsWith('_or_null')) return [];
  const ret = safeReturn(p);
  return [{
    kind: 'null_check', pc: err.pc,
    code: [A.jImm(op.BPF_JNE, b, 0, 2), A.movImm(0, ret.value), A.exit()],
    description: `check R${b} (${typeOf(st[`R${b}`])}) for NULL before insn ${err.pc} and return ${ret.name} when it is`,
    c: `if (!ptr) return ${ret.name};   /* ptr: the value in R${b} */`,
  }];
}

/** Access size and offset of a memory instruction. */
function accessOf(ins: Insn): { size: number; off: number } | null {
  const c = op.cls(ins.code);
  if (c !== op.BPF_LDX && c !== op.BPF_ST && c !== op.BPF_STX) return null;
  return { size: op.sizeBytes(op.size(ins.code)), off: ins.off };
}

/** The failing memory access: its base register, size and offset, and the state before it on the path. */
function failingAccess(p: Program, r: VerifyResult, err: VerifierError, path: readonly number[]): { b: number; acc: { size: number; off: number }; base: string | undefined } | null {
  const ins = p.insns[err.pc]!;
  const b = accessBase(ins, err);
  const acc = accessOf(ins);
  const last = stateAt(r, path.length - 1);
  return b === null || !acc || !last ? null : { b, acc, base: last.regs[`R${b}`] };
}

/**
 * A packet check before the access, or earlier on the path while the base register keeps its value
 * (data_end or the context may be gone by the access itself).
 */
function packetCheck(p: Program, r: VerifyResult, err: VerifierError, path: readonly number[]): Candidate[] {
  const fa = failingAccess(p, r, err, path);
  if (!fa || typeOf(fa.base) !== 'pkt') return [];
  const { b, acc } = fa;
  const n = path.length;
  const ret = safeReturn(p);
  const endOff = p.type === 'xdp' ? 4 : 80; // xdp_md.data_end, __sk_buff.data_end
  const reach = acc.off + acc.size;
  for (let i = n - 1; i >= 0 && n - 1 - i < 24; i--) {
    const pc = path[i]!;
    if (i < n - 1) {
      const x = p.insns[pc]!;
      const c = op.cls(x.code);
      const writesB = ((c === op.BPF_ALU || c === op.BPF_ALU64 || c === op.BPF_LDX || x.code === op.BPF_LD_IMM64) && x.dst === b)
        || ((c === op.BPF_JMP || c === op.BPF_JMP32) && op.jmpOp(x.code) === op.BPF_CALL);
      if (writesB) break;
    }
    // the code goes before path[i]: only where the path reaches it by falling through or by its own jump
    const st = stateAt(r, i);
    if (!st || typeOf(st.regs[`R${b}`]) !== 'pkt') break;
    const end = Object.keys(st.regs).find((k) => /^R\d$/.test(k) && typeOf(st.regs[k]) === 'pkt_end');
    const ctxReg = Object.keys(st.regs).find((k) => /^R\d$/.test(k) && typeOf(st.regs[k]) === 'ctx');
    if (!end && !ctxReg) continue;
    const free = freeRegs(p, pc, [b]);
    if (free.length < (end ? 1 : 2)) continue;
    const t = free[0]!;
    const code: Insn[] = [];
    let endReg: number;
    if (end) endReg = Number(end.slice(1));
    else {
      endReg = free[1]!;
      code.push(A.ldx(op.BPF_W, endReg, Number(ctxReg!.slice(1)), endOff));
    }
    code.push(A.movReg(t, b), A.addImm(t, reach), A.jReg(op.BPF_JLE, t, endReg, 2), A.movImm(0, ret.value), A.exit());
    const fixedOff = field(st.regs[`R${b}`], 'off') ?? 0;
    return [{
      kind: 'packet_check', pc, ...(i > 0 && i < n - 1 ? { from: path[i - 1]! } : {}), code,
      description: `check that R${b}${fixedOff ? ` (packet + ${fixedOff})` : ''} + ${reach} is within data_end before insn ${pc}; return ${ret.name} otherwise (the read at insn ${err.pc} needs ${fixedOff + reach} bytes from the packet start)`,
      c: `if ((void *)(ptr + ${reach}) > data_end) return ${ret.name};   /* ptr: the packet pointer in R${b} */`,
    }];
  }
  return [];
}

/** ctx offsets of data and data_end (u32 fields of xdp_md and __sk_buff). */
function packetFields(p: Program): { data: number; end: number } {
  return p.type === 'xdp' ? { data: 0, end: 4 } : { data: 76, end: 80 };
}

const isHelperCall = (x: Insn): boolean => op.cls(x.code) === op.BPF_JMP && op.jmpOp(x.code) === op.BPF_CALL && x.src === 0;

/** Whether `x` writes register `reg` (ALU, loads, a call's r0-r5). */
function writesReg(x: Insn, reg: number): boolean {
  const c = op.cls(x.code);
  if ((c === op.BPF_ALU || c === op.BPF_ALU64 || c === op.BPF_LDX || c === op.BPF_LD) && x.dst === reg) return true;
  return (c === op.BPF_JMP || c === op.BPF_JMP32) && op.jmpOp(x.code) === op.BPF_CALL && reg <= 5;
}

/**
 * A packet pointer the verifier invalidated at a helper call that changes packet data (it is a
 * scalar at the access, a packet pointer before the call): re-derive it from ctx->data after the
 * call, at the same constant offset, and check the bytes the accesses through it need against
 * ctx->data_end. A pointer spilled before the call and filled after it is re-derived after the fill.
 */
function packetReload(p: Program, r: VerifyResult, err: VerifierError, path: readonly number[]): Candidate[] {
  const fa = failingAccess(p, r, err, path);
  if (!fa || typeOf(fa.base) !== 'scalar') return [];
  const { b, acc } = fa;
  const n = path.length;
  // where the stale value lives going back along the path: R_b, then the stack slot it was filled from
  let slot: number | null = null;
  let reloadAt = n - 1; // path index the patch goes before
  for (let i = n - 2; i >= 0 && n - 1 - i < 256; i--) {
    const pc = path[i]!;
    const x = p.insns[pc]!;
    if (slot === null && op.cls(x.code) === op.BPF_LDX && x.dst === b && x.src === 10 && op.size(x.code) === op.BPF_DW) {
      slot = x.off;
      reloadAt = i + 1;
      continue;
    }
    if (!isHelperCall(x)) {
      const c = op.cls(x.code);
      if (slot === null ? writesReg(x, b) : (c === op.BPF_STX || c === op.BPF_ST) && x.dst === 10 && x.off === slot) return [];
      continue;
    }
    const before = stateAt(r, i);
    const after = stateAt(r, i + 1);
    if (!before || !after) return [];
    const key = slot === null ? `R${b}` : `fp${slot}`;
    const was = before.regs[key];
    if (typeOf(was) !== 'pkt' || typeOf(after.regs[key]) === 'pkt') {
      if (slot === null && b <= 5) return []; // a call clobbers r1-r5: no pointer survives in them
      continue; // a helper that left packet pointers alone
    }
    // only pointers at a constant offset from data can be re-derived here
    if (/umax|var_off|smax/.test(was!)) return [];
    const k = field(was, 'off') ?? 0;
    if (slot === null) reloadAt = i + 1;
    const at = path[reloadAt]!;
    const from = path[reloadAt - 1]!;
    const st = stateAt(r, reloadAt);
    if (!st) return [];
    const ctxReg = [6, 7, 8, 9, 1, 2, 3, 4, 5].find((q) => q !== b && st.regs[`R${q}`] === 'ctx()');
    const ctxSlot = ctxReg === undefined ? Object.keys(st.regs).find((q) => /^fp-\d+$/.test(q) && st.regs[q] === 'ctx()') : undefined;
    if (ctxReg === undefined && ctxSlot === undefined) return [];
    const free = freeRegs(p, at, [b, ...(ctxReg !== undefined ? [ctxReg] : [])]);
    if (free.length < (ctxReg !== undefined ? 2 : 3)) return [];
    const [end, t] = [free[0]!, free[1]!];
    // the bytes the accesses through R_b need, up to the end of the straight-line code that uses it
    let reach = acc.off + acc.size;
    for (let q = err.pc + 1; q < p.insns.length; q++) {
      const y = p.insns[q]!;
      const cy = op.cls(y.code);
      if (cy === op.BPF_JMP || cy === op.BPF_JMP32 || writesReg(y, b)) break;
      const ay = accessOf(y);
      if (ay && (cy === op.BPF_LDX ? y.src : y.dst) === b) reach = Math.max(reach, ay.off + ay.size);
    }
    const { data, end: endOff } = packetFields(p);
    const ret = safeReturn(p);
    const code: Insn[] = [];
    let cr = ctxReg;
    if (cr === undefined) { cr = free[2]!; code.push(A.ldx(op.BPF_DW, cr, 10, Number(ctxSlot!.slice(2)))); }
    code.push(A.ldx(op.BPF_W, b, cr, data));
    if (k) code.push(A.addImm(b, k));
    code.push(A.ldx(op.BPF_W, end, cr, endOff), A.movReg(t, b), A.addImm(t, reach), A.jReg(op.BPF_JLE, t, end, 2), A.movImm(0, ret.value), A.exit());
    const helper = helperName(x.imm) ?? `helper #${x.imm}`;
    const ptr = `R${b}${k ? ` (packet + ${k})` : ''}`;
    return [{
      kind: 'packet_reload', pc: at, from, code,
      description: `${helper} at insn ${pc} changes packet data, so the verifier forgets every packet pointer: re-derive ${ptr} from ctx->data ${slot === null ? 'after the call' : `after its fill from fp${slot}`} and check ${reach} bytes from it against ctx->data_end before insn ${err.pc}; return ${ret.name} otherwise`,
      c: `data = (void *)(long)ctx->data; data_end = (void *)(long)ctx->data_end; ptr = data${k ? ` + ${k}` : ''}; if ((void *)(ptr + ${reach}) > data_end) return ${ret.name};   /* after ${helper}(): ptr is the packet pointer in R${b} */`,
    }];
  }
  return [];
}

/** Whether an access of every path's value is past the end at a constant offset (no variable part). */
const constantOffset = (text: string | undefined): boolean => text !== undefined && !/umax|var_off|smax/.test(text);

/** The bytes from the object's start that the failing access needs: the pointer's fixed offset + the access's. */
function needed(ptrText: string | undefined, acc: { size: number; off: number }): number {
  return (field(ptrText, 'off') ?? 0) + acc.off + acc.size;
}

/** A ring buffer record written past its reserved size: reserve enough (the size is an immediate set before the call). */
function reserveSize(p: Program, r: VerifyResult, err: VerifierError, path: readonly number[]): Candidate[] {
  const fa = failingAccess(p, r, err, path);
  if (!fa) return [];
  const { acc, base: text } = fa;
  const id = field(text, 'ref_obj_id');
  const size = field(text, 'sz');
  if (!/^ringbuf_mem\(/.test(text ?? '') || id === undefined || size === undefined || !constantOffset(text)) return [];
  const want = needed(text, acc);
  const reserve = acquireOf(p, r, path, id);
  if (reserve === null || want <= size) return [];
  // the immediate the size register got on the path before the call
  const at = path.lastIndexOf(reserve);
  for (let i = at - 1; i >= 0; i--) {
    const pc = path[i]!;
    const x = p.insns[pc]!;
    if (x.code === (op.BPF_ALU64 | op.BPF_MOV | op.BPF_K) && x.dst === 2) {
      return [{
        kind: 'reserve_size', pc, code: [],
        patch: () => replaceInsn(p, pc, A.movImm(2, want)),
        shown: [`r2 = ${want}`],
        description: `reserve ${want} bytes instead of ${size} at insn ${pc}: the record is written up to byte ${want} at insn ${err.pc}`,
        c: `bpf_ringbuf_reserve(&rb, ${want}, 0)   /* was ${size}: the record is written up to byte ${want} */`,
      }];
    }
    if (writesReg(x, 2)) return [];
  }
  return [];
}

/** A map value read or written past its end at a constant offset: declare the value big enough. */
function valueSize(p: Program, r: VerifyResult, err: VerifierError, path: readonly number[]): Candidate[] {
  const fa = failingAccess(p, r, err, path);
  if (!fa) return [];
  const { acc, base: text } = fa;
  const name = /[(,]map=([^,)]+)/.exec(text ?? '')?.[1];
  const index = name === undefined ? -1 : p.maps.findIndex((m) => m.name === name);
  if (!/^map_value\(/.test(text ?? '') || index < 0 || !constantOffset(text)) return [];
  const m = p.maps[index]!;
  const want = needed(text, acc);
  if (want <= m.valueSize || field(text, 'off')! + acc.off < 0) return [];
  return [{
    kind: 'value_size', pc: err.pc, code: [],
    patch: () => withValueSize(p, index, want),
    shown: [`.map ${m.name}: value=${want} (was ${m.valueSize})`],
    description: `the access at insn ${err.pc} reaches byte ${want} of map ${m.name}'s ${m.valueSize}-byte value: declare the value with ${want} bytes (or access within the first ${m.valueSize})`,
    c: `the value type of map ${m.name} needs ${want} bytes (it has ${m.valueSize}), or the access must stay within them`,
  }];
}

/** A stack store or load through the frame pointer outside the 512-byte frame: the nearest free slot inside it. */
function stackSlot(p: Program, err: VerifierError): Candidate[] {
  const ins = p.insns[err.pc]!;
  const acc = accessOf(ins);
  const c = op.cls(ins.code);
  const base = c === op.BPF_LDX ? ins.src : ins.dst;
  if (!acc || base !== 10 || (ins.off < 0 && ins.off >= -512 && ins.off + acc.size <= 0)) return [];
  // bytes the program's other fp-relative accesses use
  const used = new Uint8Array(512);
  p.insns.forEach((x, pc) => {
    const a = pc === err.pc ? null : accessOf(x);
    const xb = op.cls(x.code) === op.BPF_LDX ? x.src : x.dst;
    if (!a || xb !== 10) return;
    for (let k = x.off; k < x.off + a.size; k++) if (k >= -512 && k < 0) used[512 + k] = 1;
  });
  if (p.insns.some((x) => op.cls(x.code) === op.BPF_ALU64 && x.src === 10 && op.aluOp(x.code) === op.BPF_MOV)) return []; // fp escapes into a register: its users are unknown
  let best: number | null = null;
  for (let off = -acc.size; off >= -512; off -= acc.size) {
    let free = true;
    for (let k = off; k < off + acc.size; k++) if (used[512 + k]) free = false;
    if (free && (best === null || Math.abs(off - ins.off) < Math.abs(best - ins.off))) best = off;
  }
  if (best === null) return [];
  const moved = withInsn(ins, { off: best });
  return [{
    kind: 'stack_slot', pc: err.pc, code: [],
    patch: () => replaceInsn(p, err.pc, moved),
    shown: [disasmInsn([moved], 0)],
    description: `the access at insn ${err.pc} uses fp${ins.off >= 0 ? '+' : ''}${ins.off}, outside the 512-byte frame [fp-512, fp-1]: use the free slot fp${best} instead`,
    c: `a local variable at fp${best}: the frame is 512 bytes below the frame pointer`,
  }];
}

/**
 * A helper's stack buffer (a map key, a value, a memory argument) at a constant frame offset whose
 * bytes run past the frame pointer (or below the 512-byte frame): move the buffer so all its bytes
 * lie inside the frame, keeping the bytes the program already placed there. The pointer's last
 * `rX += K` on the path gets the new offset; without one, `rX += delta` goes before the call.
 */
function helperStackBuffer(p: Program, err: VerifierError, path: readonly number[]): Candidate[] {
  const ins = p.insns[err.pc]!;
  if (op.cls(ins.code) !== op.BPF_JMP || op.jmpOp(ins.code) !== op.BPF_CALL) return [];
  const m = /invalid (?:read from|write to) stack R(\d) off=(-?\d+) size=(\d+)/.exec(err.message);
  if (!m) return [];
  const reg = Number(m[1]);
  const off = Number(m[2]);
  const size = Number(m[3]);
  if (size <= 0 || size > 512) return [];
  const to = off + size > 0 ? -size : off < -512 ? -512 : null;
  if (to === null) return [];
  const delta = to - off;
  const name = helperName(ins.imm) ?? `helper ${ins.imm}`;
  const what = `${name}'s R${reg} buffer (${size} bytes at fp${off})`;
  const c = `a ${size}-byte local variable for ${name}'s argument ${reg} (at fp${to}), not one at fp${off}: the helper uses ${size} bytes`;
  // the instruction on the path that last set the pointer
  let def = -1;
  for (let i = path.length - 2; i >= 0; i--) {
    const x = p.insns[path[i]!]!;
    const xc = op.cls(x.code);
    if (xc === op.BPF_JMP && op.jmpOp(x.code) === op.BPF_CALL) { if (reg <= 5) break; continue; }
    if ((xc === op.BPF_ALU64 || xc === op.BPF_ALU || xc === op.BPF_LDX || xc === op.BPF_LD) && x.dst === reg) { def = path[i]!; break; }
  }
  const d = def >= 0 ? p.insns[def]! : null;
  if (d && op.cls(d.code) === op.BPF_ALU64 && op.aluOp(d.code) === op.BPF_ADD && op.srcBit(d.code) === op.BPF_K) {
    const moved = { ...d, imm: d.imm + delta };
    return [{
      kind: 'stack_buffer', pc: def, code: [],
      patch: () => replaceInsn(p, def, moved),
      shown: [disasmInsn([moved], 0)],
      description: `${what} runs past the frame: make insn ${def} point R${reg} at fp${to} so all ${size} bytes lie in [fp-512, fp-1]`,
      c,
    }];
  }
  return [{
    kind: 'stack_buffer', pc: err.pc, code: [A.addImm(reg, delta)],
    description: `${what} runs past the frame: move R${reg} to fp${to} before insn ${err.pc} so all ${size} bytes lie in [fp-512, fp-1]`,
    c,
  }];
}

/** A helper's variable size argument: bound it by the room its buffer has. */
function sizeCheck(p: Program, err: VerifierError, st: RegText): Candidate[] {
  const ins = p.insns[err.pc]!;
  if (op.cls(ins.code) !== op.BPF_JMP || op.jmpOp(ins.code) !== op.BPF_CALL || ins.src !== 0) return [];
  const proto = helperProto(ins.imm);
  if (!proto) return [];
  for (let i = 1; i < proto.args.length; i++) {
    const a = proto.args[i]!;
    if (!a.base.startsWith('ARG_CONST_SIZE')) continue;
    const sizeReg = i + 1;
    const bufText = st[`R${i}`];
    const sizeText = st[`R${sizeReg}`];
    if (typeOf(sizeText) !== 'scalar') continue;
    let room: number | undefined;
    const fp = /^fp(-\d+)$/.exec(bufText ?? '');
    if (fp) room = -Number(fp[1]);
    else if (typeOf(bufText) === 'map_value') { const vs = objectSize(bufText); if (vs !== undefined) room = vs - (field(bufText, 'off') ?? 0); }
    if (room === undefined || room <= 0) continue;
    // a constant size that fits is not what the verifier objects to
    if (/^-?\d+$|^0x/.test(sizeText ?? '') && Number(sizeText) > 0 && Number(sizeText) <= room) continue;
    const ret = safeReturn(p);
    const zeroOk = a.base.endsWith('_OR_ZERO');
    const code: Insn[] = zeroOk
      ? [A.jImm(op.BPF_JLE, sizeReg, room, 2), A.movImm(0, ret.value), A.exit()]
      : [A.jImm(op.BPF_JGT, sizeReg, room, 1), A.jImm(op.BPF_JNE, sizeReg, 0, 2), A.movImm(0, ret.value), A.exit()];
    const always = /^-?\d+$|^0x/.test(sizeText ?? '') ? ` (R${sizeReg} is always ${sizeText} on this path, so the call no longer runs there: a ${sizeText}-byte buffer is the other fix)` : '';
    return [{
      kind: 'size_check', pc: err.pc, code,
      description: `bound ${proto.name}'s size R${sizeReg} to ${zeroOk ? '' : '1..'}${room} (the room at R${i}) before insn ${err.pc}; return ${ret.name} otherwise${always}`,
      c: `if (${zeroOk ? '' : 'len == 0 || '}len > ${room}) return ${ret.name};   /* len: the size in R${sizeReg} */`,
    }];
  }
  return [];
}

/** Size of the object a pointer points to, from its log text (map value vs=, memory sz=). */
function objectSize(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const vs = /vs=(\d+)/.exec(text);
  if (vs && /^map_value/.test(text)) return Number(vs[1]);
  return field(text, 'sz');
}

/** Before the `rB += rX` that gave the failing pointer its variable offset: bound rX (check or mask). */
function indexCheck(p: Program, r: VerifyResult, err: VerifierError, path: readonly number[]): Candidate[] {
  const n = path.length;
  const st = stateAt(r, n - 1);
  if (!st) return [];
  const ins = p.insns[err.pc]!;
  const acc = accessOf(ins) ?? { size: 0, off: 0 };
  let cur = accessBase(ins, err);
  // pointer arithmetic rejected at the add itself
  const c0 = op.cls(ins.code);
  if (c0 === op.BPF_ALU64 && op.aluOp(ins.code) === op.BPF_ADD) cur = ins.dst;
  if (cur === null) return [];
  const ptrText = st.regs[`R${cur}`];
  const size = objectSize(ptrText);
  if (size === undefined) return [];
  for (let i = n - 1; i >= 0 && n - 1 - i < 400; i--) {
    const pc = path[i]!;
    const x = p.insns[pc]!;
    const c = op.cls(x.code);
    if (i < n - 1 || pc === err.pc) {
      if (c === op.BPF_ALU64 && op.aluOp(x.code) === op.BPF_ADD && op.srcBit(x.code) === op.BPF_X && x.dst === cur) {
        const before = stateAt(r, i);
        if (!before || typeOf(before.regs[`R${x.src}`]) !== 'scalar') return [];
        const baseOff = field(before.regs[`R${cur}`], 'off') ?? 0;
        // after the add the pointer's fixed part can still grow by constants: take it from the access's state
        const accessOff = (field(ptrText, 'off') ?? 0) + acc.off;
        const limit = size - acc.size - accessOff;
        if (limit < 0 || baseOff > accessOff) return [];
        const ret = safeReturn(p);
        const mask = limit === 0 ? 0 : 2 ** Math.floor(Math.log2(limit + 1)) - 1;
        return [
          {
            kind: 'index_check', pc,
            code: [A.jImm(op.BPF_JLE, x.src, limit, 2), A.movImm(0, ret.value), A.exit()],
            description: `bound the offset R${x.src} added to the pointer at insn ${pc}: unsigned R${x.src} <= ${limit} (the object has ${size} bytes, the access ${acc.size} at offset ${accessOff}); return ${ret.name} otherwise`,
            c: `if (idx > ${limit}) return ${ret.name};   /* idx: the offset in R${x.src}, unsigned */`,
          },
          {
            kind: 'index_mask', pc,
            code: [A.andImm(x.src, mask)],
            description: `mask the offset R${x.src} added to the pointer at insn ${pc} with ${mask} (the largest 2^k-1 <= ${limit})`,
            c: `idx &= ${mask};   /* idx: the offset in R${x.src} */`,
          },
        ];
      }
    }
    if (i === n - 1) continue;
    // follow copies back; stop at any other write of the register
    if (c === op.BPF_ALU64 && op.aluOp(x.code) === op.BPF_MOV && op.srcBit(x.code) === op.BPF_X && x.dst === cur) { cur = x.src; continue; }
    if (c === op.BPF_ALU64 && op.srcBit(x.code) === op.BPF_K && x.dst === cur && (op.aluOp(x.code) === op.BPF_ADD || op.aluOp(x.code) === op.BPF_SUB)) continue;
    const writes = (c === op.BPF_ALU || c === op.BPF_ALU64 || c === op.BPF_LDX || x.code === op.BPF_LD_IMM64) && x.dst === cur;
    const call = (c === op.BPF_JMP || c === op.BPF_JMP32) && op.jmpOp(x.code) === op.BPF_CALL && cur <= 5;
    if (writes || call) return [];
  }
  return [];
}

/** On the leaking path's last edges into the exit: release the reference the state still holds. */
function releaseFix(p: Program, r: VerifyResult, err: VerifierError, path: readonly number[]): Candidate[] {
  const n = path.length;
  const last = stateAt(r, n - 1);
  if (!last || !last.refs.length) return [];
  const id = last.refs[0]!;
  const acq = acquireOf(p, r, path, id);
  const acquire = acq ? helperName(p.insns[acq]!.imm) : undefined;
  const rel = acquire ? RELEASE[acquire] : undefined;
  const relId = rel ? helperId(rel) : undefined;
  if (!acquire || !rel || relId === undefined) return [];
  const out: Candidate[] = [];
  // candidate spots: the last few steps of the path (an edge from a branch first)
  for (let i = n - 1; i >= 1 && out.length < 6 && n - 1 - i < 12; i--) {
    const st = stateAt(r, i);
    if (!st || !st.refs.includes(id)) break;
    const holder = Object.keys(st.regs).find((k) => field(st.regs[k], 'ref_obj_id') === id && !typeOf(st.regs[k]).endsWith('_or_null'));
    if (!holder) continue;
    const at = path[i]!;
    const from = path[i - 1]!;
    const code: Insn[] = [];
    const r0 = st.regs.R0;
    const r0const = r0 !== undefined && /^-?(\d+|0x[0-9a-f]+)$/.test(r0) ? Number(r0) : undefined;
    // keep r0 when it is live at `at` and not a constant we can restore
    const needR0 = r0 !== undefined && r0const === undefined;
    const slotOff = -(Math.max(8, ...Object.keys(st.regs).filter((k) => /^fp-\d+$/.test(k)).map((k) => Number(k.slice(3))), ...p.insns.filter((x) => x.dst === 10 || x.src === 10).map((x) => -x.off)) + 8);
    if (needR0 && slotOff < -512) continue;
    if (needR0) code.push(A.stx(op.BPF_DW, 10, 0, slotOff));
    if (/^R\d$/.test(holder)) code.push(A.movReg(1, Number(holder.slice(1))));
    else code.push(A.ldx(op.BPF_DW, 1, 10, Number(holder.slice(2))));
    if (rel === 'bpf_ringbuf_discard') code.push(A.movImm(2, 0));
    code.push(A.call(relId));
    if (needR0) code.push(A.ldx(op.BPF_DW, 0, 10, slotOff));
    else if (r0const !== undefined) code.push(A.movImm(0, r0const));
    const onEdge = from !== at - 1 || p.insns[from] === undefined;
    out.push({
      kind: 'release', pc: at, ...(onEdge || i > 0 ? { from } : {}),
      code,
      description: `release the ${acquire.replace(/^bpf_/, '')} reference (id ${id}, in ${holder}) with ${rel} on the path from insn ${from} to insn ${at}`,
      c: `${rel}(${rel === 'bpf_ringbuf_discard' ? 'rec, 0' : 'sk'});   /* on this path only: ${holder} holds it */`,
    });
  }
  return out;
}

/** Rewrites the witness's helper pcs to the patched program's. */
function movedWitness(w: Witness, pcOf: (pc: number) => number): Witness {
  return { ...w, helpers: w.helpers.map((h) => ({ ...h, pc: pcOf(h.pc) })) };
}

/** A candidate re-verified, waiting for the counterexample to replay on it. */
export interface VerifiedFix {
  fix: Fix;
  program: Program;
  pcOf: (pc: number) => number;
}

/**
 * Candidate fixes for a rejection, each applied and re-verified. Needs no counterexample, so explain
 * runs it while Z3 looks for one; {@link replayFixes} then replays the counterexample on each.
 */
export function verifyFixes(p: Program, r: VerifyResult, path: readonly number[], vopts: VerifyOptions = {}, maxTries = 8): VerifiedFix[] {
  const err = r.error;
  if (!err || !path.length) return [];
  const st = stateAt(r, path.length - 1);
  if (!st) return [];
  const cands: Candidate[] = [];
  if (err.kind === 'reference_leak') cands.push(...releaseFix(p, r, err, path));
  else {
    cands.push(...nullCheck(p, err, st.regs));
    if (err.kind === 'packet_oob') cands.push(...packetCheck(p, r, err, path));
    cands.push(...packetReload(p, r, err, path));
    if (err.kind === 'mem_oob') cands.push(...reserveSize(p, r, err, path));
    if (err.kind === 'map_value_oob') cands.push(...valueSize(p, r, err, path));
    if (err.kind === 'stack_oob') cands.push(...stackSlot(p, err), ...helperStackBuffer(p, err, path));
    cands.push(...sizeCheck(p, err, st.regs));
    cands.push(...indexCheck(p, r, err, path));
  }
  const out: VerifiedFix[] = [];
  for (const cand of cands.slice(0, maxTries)) {
    let patched: Patched;
    try {
      patched = cand.patch ? cand.patch() : cand.from !== undefined ? insertOnEdge(p, cand.from, cand.pc, cand.code) : insertBefore(p, cand.pc, cand.code);
    } catch {
      continue;
    }
    const v = verify(patched.program, { ...vopts, log: false, pathStates: false });
    const insns = cand.shown ?? cand.code.map((_, k) => disasmInsn(patched.program.insns, patched.pcOf(cand.pc) - cand.code.length + k));
    const where = atLine(p, cand.pc);
    const fix: Fix = {
      kind: cand.kind, pc: cand.pc, ...(cand.from !== undefined && { from: cand.from }), insns, ...(cand.patch && { inPlace: true }),
      description: cand.description,
      c: where ? `add \`${cand.c}\` ${where}` : null,
      verified: v.verdict === 'accept',
      verdict: v.verdict === 'accept' ? 'accepted' : `rejected at patched insn ${v.error?.pc}: ${v.error?.message}`,
      replayed: null,
    };
    out.push({ fix, program: patched.program, pcOf: patched.pcOf });
  }
  return out;
}

/** Replays the counterexample (when there is one) on every verified candidate. */
export function replayFixes(verified: readonly VerifiedFix[], failingPc: number, witness: Witness | null): Fix[] {
  return verified.map(({ fix: f, program, pcOf }) => {
    const fix = { ...f };
    if (fix.verified && witness) {
      try {
        const rep = replayWitness(program, movedWitness(witness, pcOf), { pc: pcOf(failingPc), memory: true });
        fix.replayed = !rep.fault && !rep.error;
        fix.replayNote = rep.fault ? `faults at patched pc ${rep.fault.pc}` : rep.error ? `stops: ${rep.error.message}` : `runs to exit, r0 = ${rep.r0}`;
      } catch (e) {
        fix.replayNote = `the VM cannot run the counterexample: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    return fix;
  });
}

/** Candidate fixes for a rejection, each re-verified and replayed. */
export function proposeFixes(p: Program, r: VerifyResult, path: readonly number[], witness: Witness | null, vopts: VerifyOptions = {}, maxTries = 8): Fix[] {
  return r.error ? replayFixes(verifyFixes(p, r, path, vopts, maxTries), r.error.pc, witness) : [];
}
