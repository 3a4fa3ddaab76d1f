/**
 * The verifier log in the Linux kernel's format (log_level 2): the instruction as
 * `pc: (code) text`, then `; R0=... R10=fp0` for the registers and stack slots it touched,
 * `from A to B: <state>` when a pending branch is resumed, `N: safe` on pruning, and the
 * closing `processed N insns (limit 1000000) max_states_per_insn ...` line.
 */
import { disasmLine } from '../isa/disasm.js';
import type { Insn } from '../isa/insn.js';
import type { LineInfo, MapSpec, Program } from '../isa/program.js';
import type { ScalarDomain } from './domains/index.js';
import { T, base, typeName } from './reg-types.js';
import { MAX_BPF_STACK, REG_SIZE, S, type Frame, type Reg, type VState } from './state.js';
import { DYNPTR_TYPE_NAMES, dynptrSlotString } from './dynptr-state.js';
import { idString } from './linked-scalars.js';

const SLOT_CHAR = ['?', 'r', 'm', '0', 'd', 'i', 'f'];

/** The kernel's verbose_unum: "%llu" up to U16_MAX, "%#llx" above (of the 64-bit pattern). */
function unum(v: bigint): string {
  const u = BigInt.asUintN(64, v);
  return u <= 65535n ? u.toString() : '0x' + u.toString(16);
}

/** C's "%lld" for small numbers, "%#llx" otherwise (the kernel's verbose_snum). */
function snum(v: bigint): string {
  // verbose_snum: decimal within s16, else "%#llx" of the 64-bit pattern
  const s = BigInt.asIntN(64, v);
  if (s >= -32768n && s <= 32767n) return s.toString();
  return '0x' + BigInt.asUintN(64, s).toString(16);
}

/**
 * The line_info the kernel gets with the program: none when the object's BTF is refused or its
 * records do not fit the instructions (the loader then passes none); the first record per pc.
 */
function kernelLineInfo(prog: Program): LineInfo[] {
  if (!prog.btf || prog.btf.kernelRefuses !== undefined || prog.btf.lineInfo.length === 0 || !prog.lineInfo) return [];
  const out: LineInfo[] = [];
  for (const li of prog.lineInfo) if (out.length === 0 || out[out.length - 1]!.pc !== li.pc) out.push(li);
  return out;
}

export class Log {
  private readonly lines: string[] = [];
  private readonly prog: Program;
  private readonly dom: ScalarDomain;
  private readonly disasm: (insns: readonly Insn[], pc: number) => string;
  /** The last line is an instruction awaiting its `; state` annotation. */
  private pendingInsn = false;
  /** The last line was printed without its newline: the next output continues it. */
  private openLine = false;
  /** A kfunc's name for call lines (disasm_kfunc_name), when its BTF is at hand. */
  kfuncName: (btfId: number, module: number) => string | undefined = () => undefined;
  /** btf_type_name of a PTR_TO_BTF_ID register's type ("" when unknown): the struct name printed after "ptr_". */
  btfTypeName: (r: Reg) => string = () => '';
  /** The inner-map template standing at map index `idx` (after the program's maps), if any. */
  innerMap: (idx: number) => MapSpec | undefined = () => undefined;

  constructor(prog: Program, dom: ScalarDomain, disasm?: (insns: readonly Insn[], pc: number) => string) {
    this.prog = prog;
    this.dom = dom;
    const opts = { maps: prog.maps, kfuncName: (id: number, module: number) => this.kfuncName(id, module), verifierLog: true };
    this.disasm = disasm ?? ((insns, pc) => disasmLine(insns, pc, opts));
  }

  /** A line of its own; `open` when the kernel prints it without a newline (the next output continues it). */
  line(text: string, open = false): void {
    this.pendingInsn = false;
    this.push(text);
    this.openLine = open;
  }

  private push(text: string): void {
    if (this.openLine && this.lines.length) {
      this.lines[this.lines.length - 1] += text;
      this.openLine = false;
    } else this.lines.push(text);
  }

  /** Instruction `pc` as the log prints it ("12: (bf) r1 = r6"). */
  insnText(pc: number): string {
    return this.disasm(this.prog.insns, pc);
  }

  insn(pc: number): void {
    if (this.sourceLines) this.linfo(pc);
    this.push(this.disasm(this.prog.insns, pc));
    this.pendingInsn = true;
  }

  /** Print the source line before each instruction, as the kernel does with the program's line_info. */
  sourceLines = false;
  /** The program's line_info as the kernel gets it (one record per instruction start), by pc. */
  private linfos: LineInfo[] | null = null;
  /** env->prev_linfo: the record printed last in this pass. */
  private prevLinfo: LineInfo | undefined;

  /** do_check_common starts a pass (a subprogram's): env->prev_linfo = NULL. */
  newPass(): void {
    this.prevLinfo = undefined;
  }

  /**
   * verbose_linfo(env, pc, "; "): the line_info record covering `pc` (the last one at or before
   * it), unless it is the one printed last or names the same file and line; "; <text> @ <file>:<line>"
   * with the text left-trimmed and the file's base name.
   */
  private linfo(pc: number): void {
    const all = this.linfos ??= kernelLineInfo(this.prog);
    if (all.length === 0) return;
    let l = 0;
    let r = all.length - 1;
    while (l < r) {
      const m = l + ((r - l + 1) >> 1);
      if (all[m]!.pc <= pc) l = m; else r = m - 1;
    }
    const li = all[l]!;
    const prev = this.prevLinfo;
    if (li === prev || (prev && li.file === prev.file && li.line === prev.line)) return;
    this.push(`; ${li.text.trimStart()} @ ${li.file.slice(li.file.lastIndexOf('/') + 1)}:${li.line}`);
    this.prevLinfo = li;
  }

  /** Appends `; <state>` to the instruction line just printed, aligned as the kernel does. */
  annotate(text: string): void {
    if (!this.pendingInsn || text === '') { this.pendingInsn = false; return; }
    const last = this.lines.length - 1;
    const l = this.lines[last]!;
    this.lines[last] = this.aligned(l) + ';' + text;
    this.pendingInsn = false;
  }

  /** vlog_alignment: past the instruction and its newline (pos), at least 4 more, a multiple of 8, at least 40. */
  private aligned(l: string): string {
    const pos = l.length + 1;
    return l + ' '.repeat(Math.ceil(Math.max(pos + 4, 40) / 8) * 8 - pos - 1);
  }

  /**
   * print_insn_state: the scratched part of the state, on the instruction line just printed when
   * nothing came after it ("; ..."), else on a line of its own for instruction `pc`.
   */
  insnState(pc: number, text: string, scratched = text !== ''): void {
    if (!scratched) return;
    if (this.pendingInsn) {
      // something was scratched, if nothing of it prints: a bare ";"
      if (text) this.annotate(text);
      else { const last = this.lines.length - 1; this.lines[last] = this.aligned(this.lines[last]!) + ';'; this.pendingInsn = false; }
      return;
    }
    this.line(`${pc}:${text}`);
  }

  text(): string {
    return this.lines.join('\n') + (this.lines.length ? '\n' : '');
  }

  /** print_reg_state. */
  reg(r: Reg, frameno: number): string {
    const t = r.type;
    const d = this.dom;
    // print_reg_state: "P" marks a scalar whose exact value some decision depended on
    const p = t === T.SCALAR && r.precise ? 'P' : '';
    // a constant prints its value: a linked scalar's off is its delta to the link, not part of it
    if (t === T.SCALAR && d.isConst(r.v)) return p + snum(d.constValue(r.v)!);
    let s = p + typeName(t);
    if (t === T.PTR_TO_STACK) {
      if (r.frameno !== frameno) s += `[${r.frameno}]`;
      if (d.isConst(r.v)) return s + snum(d.constValue(r.v)! + BigInt(r.off));
    }
    const b = base(t);
    if (b === T.PTR_TO_BTF_ID) s += this.btfTypeName(r);
    const parts: string[] = [];
    if (r.id) parts.push(t === T.SCALAR ? idString(r) : `id=${r.id}`);
    if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
    if (b === T.CONST_PTR_TO_MAP || b === T.PTR_TO_MAP_VALUE || b === T.PTR_TO_MAP_KEY) {
      // map->name: the loader's name cut to BPF_OBJ_NAME_LEN - 1 characters; an inner map's
      // template (inner_map_meta) has no name
      const m = this.prog.maps[r.map];
      const inner = m ? undefined : this.innerMap(r.map);
      if (m) { if (m.name) parts.push(`map=${m.name.slice(0, 15)}`); parts.push(`ks=${m.keySize},vs=${m.valueSize}`); }
      else if (inner) parts.push(`ks=${inner.keySize},vs=${inner.valueSize}`);
    }
    // print_reg_state: off with verbose_snum, the packet range and memory size with verbose_unum
    // (snum: decimal within s16, so ctx(off=0xfffe); unum: decimal up to U16_MAX, so sz=0x11170)
    if (t !== T.SCALAR && r.off) parts.push(`off=${snum(BigInt(r.off))}`);
    // (AT/BEYOND_PKT_END ranges are negative: printed as u64)
    if (t === T.PTR_TO_PACKET || t === T.PTR_TO_PACKET_META) parts.push(`r=${unum(BigInt(r.range))}`);
    if (b === T.PTR_TO_MEM) parts.push(`sz=${unum(BigInt(r.memSize))}`);
    if (b === T.CONST_PTR_TO_DYNPTR) parts.push(`type=${DYNPTR_TYPE_NAMES[r.memSize] ?? '?'}`);
    if (d.isConst(r.v)) {
      const v = d.constValue(r.v)!;
      if (v) parts.push(`imm=${v.toString(16)}`);
    } else {
      const f = d.format(r.v);
      const open = f.indexOf('(');
      const inner = open >= 0 ? f.slice(open + 1, f.lastIndexOf(')')) : '';
      if (inner) parts.push(inner);
    }
    return `${s}(${parts.join(',')})`;
  }

  /** print_verifier_state: registers (all, or those in `regMask`) and stack slots. */
  frameState(f: Frame, frameno: number, regMask: number, slotSet: readonly number[] | null, refs: VState['refs']): string {
    let out = '';
    for (let i = 0; i <= 10; i++) {
      const r = f.regs[i]!;
      if (r.type === T.NOT_INIT) continue;
      if (!(regMask & (1 << i))) continue;
      out += ` R${i}=${this.reg(r, frameno)}`;
    }
    const nslots = MAX_BPF_STACK / REG_SIZE;
    for (let i = 0; i < nslots; i++) {
      const k = nslots - 1 - i; // kernel slot i is fp-(i+1)*8
      if (slotSet && !slotSet.includes(k)) continue;
      let buf = '';
      let valid = false;
      for (let j = 0; j < REG_SIZE; j++) {
        const st = f.slots[k * 8 + 7 - j]!;
        if (st !== S.INVALID) valid = true;
        buf += SLOT_CHAR[st];
      }
      if (!valid) continue;
      const off = -(i + 1) * REG_SIZE;
      if (f.slots[k * 8] === S.SPILL && f.spills[k]) {
        // a narrow spill: the slot's other bytes, then the register, after one '=' (fp-16=????scalar())
        const rest = buf.replace(/r/g, '');
        out += ` fp${off}=${rest}${this.reg(f.spills[k]!, frameno)}`;
      } else if (f.slots[k * 8] === S.DYNPTR && f.spills[k]?.slot?.dynptrType !== undefined) {
        // A dynptr is printed once, at its first (lower) slot.
        const d = f.spills[k]!;
        if (d.slot?.dynptrFirst) out += ` fp${off}=${dynptrSlotString(d)}`;
      } else if (f.slots[k * 8] === S.ITER && f.spills[k]?.slot?.iterType !== undefined) {
        // Only an iterator's first slot (the one holding its reference) is printed.
        const it = f.spills[k]!;
        if (it.refObjId) out += ` fp${off}=iter_${it.slot?.iterType}(ref_id=${it.refObjId},state=${it.slot?.iterState === 1 ? 'active' : 'drained'},depth=${it.slot?.iterDepth ?? 0})`;
      } else out += ` fp${off}=${buf}`;
    }
    // As print_verifier_state: only when the first reference has an id (a lock of global data has none), then the others that have one.
    if (refs.length && refs[0]!.id) out += ` refs=${refs.filter((r) => r.id).map((r) => r.id).join(',')}`;
    // in_callback_fn / in_async_callback_fn (an async callback runs alone, in the only frame)
    if (f.cbRet) out += f.callsite === -1 ? ' async_cb' : ' cb';
    return out;
  }

  /** print_verifier_state(frameno, print_all) of an outer frame (" frame1: ..." when it is not the first). */
  frameLine(st: VState, fi: number): string {
    return (fi > 0 ? ` frame${fi}:` : '') + this.frameState(st.frames[fi]!, fi, 0x7ff, null, st.refs);
  }

  /** print_verifier_state(env, st, frameno, true): one frame of a state, whole. */
  frameOf(st: VState, frameno: number): string {
    const body = this.frameState(st.frames[frameno]!, frameno, 0x7ff, null, st.refs);
    return frameno > 0 ? ` frame${frameno}:${body}` : body;
  }

  state(st: VState, all = true, regMask = 0x7ff, slots: readonly number[] | null = null): string {
    // verifier_state_scratched: nothing is printed when nothing was touched
    if (!all && regMask === 0 && (!slots || slots.length === 0)) return '';
    const fi = st.frames.length - 1;
    let out = '';
    // print_verifier_state prints the frame in both modes (a callee's "; frame1: R0=0" too)
    const body = this.frameState(st.frames[fi]!, fi, regMask, all ? null : slots, st.refs);
    if (fi > 0 && (all || body)) out += ` frame${fi}:`;
    return out + body;
  }
}
