/**
 * Generators for the newer constructs: dynptrs (bpf_dynptr_from_mem, bpf_ringbuf_reserve_dynptr,
 * bpf_dynptr_read/write/data, submit/discard, the dynptr kfuncs and the packet dynptrs of xdp and
 * tc), kfunc calls (BPF_PSEUDO_KFUNC_CALL with the BTF id of the running kernel's vmlinux BTF, as
 * libbpf resolves a `__ksym` declaration), and BTF-typed pointers (bpf_get_current_task_btf and
 * field loads and pointer walks at the offsets of the kernel's struct task_struct;
 * bpf_cast_to_kern_ctx; bpf_task_from_pid with its release).
 *
 * Like shape.ts, a ModernShape is what fast-check generates and shrinks; `lowerModern` turns it
 * into a Program. Programs are mostly valid, with near misses (a size one past a buffer, an access
 * past a dynptr slice, a missing null check, a reference not released) that a correct verifier
 * rejects. Without the kernel's BTF (no /sys/kernel/btf/vmlinux) the kfunc and BTF fragments are
 * left out: the rest still lowers.
 *
 * Memory (all initialised before use): DP0 fp-16 (local dynptr over BUF), DP1 fp-32 (packet
 * dynptr, or a second local one), DP2 fp-48 (ringbuf dynptr), scratch fp-112..fp-49 (64 bytes).
 * BUF is the 64-byte value of a one-entry array map (bpf_dynptr_from_mem takes map values only:
 * "Unsupported reg type fp for bpf_dynptr_from_mem data"), addressed with BPF_PSEUDO_MAP_VALUE.
 */
import fc from 'fast-check';
import * as op from '../../isa/opcodes.js';
import { makeMapSpec, makeProgram, type MapSpec, type Program } from '../../isa/program.js';
import { loadKernelBtf } from '../../loader/core.js';
import type { Btf } from '../../loader/btf/index.js';
import { Builder } from './builder.js';
import { type Operand, type Var, varReg } from './shape.js';

export const MODERN_PROG_TYPES = ['xdp', 'sched_cls', 'kprobe', 'socket_filter'] as const;
export type ModernProgType = (typeof MODERN_PROG_TYPES)[number];

const DP = [-16, -32, -48] as const;
const BUF_SIZE = 64;
const SCRATCH = -112;
/** Map indexes: BUF's array map first, the ringbuf (when used) second. */
const BUF_MAP = 0;
const RINGBUF_MAP = 1;

/** Helper ids (include/uapi/linux/bpf.h). */
const H = { get_current_task_btf: 158, dynptr_from_mem: 197, ringbuf_reserve_dynptr: 198, ringbuf_submit_dynptr: 199, ringbuf_discard_dynptr: 200, dynptr_read: 201, dynptr_write: 202, dynptr_data: 203 } as const;

export type DynKfunc = 'bpf_dynptr_size' | 'bpf_dynptr_is_null' | 'bpf_dynptr_is_rdonly' | 'bpf_dynptr_adjust' | 'bpf_dynptr_slice';

export type ModernFrag =
  /** (Re)initialise DP0 over BUF (size `size`, or var & mask when `sizeVar`). */
  | { k: 'fromMem'; size: number; sizeVar: Var | null; mask: number }
  /** bpf_dynptr_read(scratch, len, DPn, off, 0), then dst = the first scratch byte. */
  | { k: 'read'; dp: 0 | 1; len: number; off: Operand; dst: Var }
  /** Store src into scratch, bpf_dynptr_write(DPn, off, scratch, len, 0). */
  | { k: 'write'; dp: 0 | 1; off: Operand; len: number; src: Var; dst: Var }
  /** p = bpf_dynptr_data(DPn, off, len); if p: load (or store) `size` bytes at p + at. */
  | { k: 'data'; dp: 0 | 1; off: number; len: number; at: number; size: 1 | 2 | 4 | 8; write: boolean; nullCheck: boolean; dst: Var }
  /** A dynptr kfunc on DPn: size / is_null / is_rdonly / adjust(a, b) / slice(a, NULL or scratch, b) with a load at 0. */
  | { k: 'dynKfunc'; fn: DynKfunc; dp: 0 | 1; a: number; b: number; buffer: boolean; nullCheck: boolean; dst: Var }
  /** bpf_ringbuf_reserve_dynptr(ringbuf, size, 0, DP2); a write and/or data access; submit or discard (or, a near miss, neither). */
  | { k: 'ringbuf'; size: number; write: boolean; data: boolean; end: 'submit' | 'discard' | 'leak'; dst: Var }
  /** task = bpf_get_current_task_btf(); dst = task->field; with `walk`, a load through task->real_parent (kprobe). */
  | { k: 'task'; field: number; walk: boolean; dst: Var }
  /** t = bpf_task_from_pid(var); if t: dst = t->pid; bpf_task_release(t) (unless a near miss leaks it). */
  | { k: 'taskFromPid'; pid: Var; nullCheck: boolean; release: boolean; dst: Var }
  /** k = bpf_cast_to_kern_ctx(ctx); dst = a u32 field of the kernel's context (sk_buff len / xdp_buff frame_sz). */
  | { k: 'kernCtx'; dst: Var }
  /** bpf_rcu_read_lock(); body; bpf_rcu_read_unlock() (or, a near miss, no unlock). */
  | { k: 'rcu'; body: ModernFrag[]; unlock: boolean };

export interface ModernShape {
  type: ModernProgType;
  /** Initial values of r7..r9 (masked constants, so offsets and sizes stay in small ranges mostly). */
  init: [number, number, number];
  /** Size of the initial DP0 (over BUF); DP1 is a packet dynptr (xdp, tc) or a local one over scratch. */
  dp0Size: number;
  body: ModernFrag[];
  ret: Var;
}

/** The kernel BTF facts the generator needs: kfunc ids and task_struct offsets. */
export interface ModernBtf {
  kfunc(name: string): number | undefined;
  /** task_struct scalar fields (offset, size) and the offset of real_parent. */
  taskFields: readonly { off: number; size: 4 | 8 }[];
  realParent: number;
  /** offset of sk_buff.len and xdp_buff.frame_sz */
  skbLen: number;
  xdpFrameSz: number;
}

/** Byte offset of member `name` of a struct/union type, looking into anonymous members (xdp_buff.frame_sz is in one). */
function offsetIn(btf: Btf, id: number, name: string): number | undefined {
  const t = btf.skipMods(id);
  if (!t || (t.kind !== 'struct' && t.kind !== 'union')) return undefined;
  for (const m of t.members) {
    if (m.name === name) return m.bitfieldSize === 0 && m.bitOffset % 8 === 0 ? m.bitOffset / 8 : undefined;
    if (m.name === '') {
      const inner = offsetIn(btf, m.type, name);
      if (inner !== undefined) return m.bitOffset / 8 + inner;
    }
  }
  return undefined;
}

function memberOff(btf: Btf, struct: string, name: string): number | undefined {
  for (const t of btf.find(struct, 'struct')) {
    const off = offsetIn(btf, t.id, name);
    if (off !== undefined) return off;
  }
  return undefined;
}

let cached: ModernBtf | null | undefined;

/** The running kernel's BTF facts, or null when it has no BTF (read once). */
export function modernBtf(): ModernBtf | null {
  if (cached !== undefined) return cached;
  let btf: Btf;
  try { btf = loadKernelBtf(); } catch { return (cached = null); }
  const ids = new Map<string, number | undefined>();
  const fields = (['pid', 'tgid', 'prio', 'flags'] as const).flatMap((n) => {
    const off = memberOff(btf, 'task_struct', n);
    return off === undefined ? [] : [{ off, size: 4 as const }];
  });
  const realParent = memberOff(btf, 'task_struct', 'real_parent');
  const skbLen = memberOff(btf, 'sk_buff', 'len');
  const xdpFrameSz = memberOff(btf, 'xdp_buff', 'frame_sz');
  if (fields.length === 0 || realParent === undefined || skbLen === undefined || xdpFrameSz === undefined) return (cached = null);
  cached = {
    kfunc: (name) => {
      if (!ids.has(name)) ids.set(name, btf.find(name, 'func')[0]?.id);
      return ids.get(name);
    },
    taskFields: fields, realParent, skbLen, xdpFrameSz,
  };
  return cached;
}

const varArb = fc.constantFrom<Var>(0, 1, 2);
const operandArb: fc.Arbitrary<Operand> = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 72 }).map((imm) => ({ imm })) }, { weight: 1, arbitrary: varArb.map((reg) => ({ reg })) });
/** Sizes around the 64-byte buffer: mostly inside, sometimes one past (a near miss). */
const sizeArb = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 1, 4, 8, 16, 32, 64) }, { weight: 1, arbitrary: fc.constant(65) });
const lenArb = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(1, 2, 4, 8, 16) }, { weight: 1, arbitrary: fc.constantFrom(0, 65) });

function leafArb(type: ModernProgType, withBtf: boolean): fc.Arbitrary<ModernFrag> {
  const dpArb = fc.constantFrom<0 | 1>(0, 0, 1);
  const frags: fc.Arbitrary<ModernFrag>[] = [
    fc.record({ k: fc.constant('fromMem' as const), size: sizeArb, sizeVar: fc.option(varArb, { freq: 3, nil: null }), mask: fc.constantFrom(15, 63, 63, 127) }),
    fc.record({ k: fc.constant('read' as const), dp: dpArb, len: lenArb, off: operandArb, dst: varArb }),
    fc.record({ k: fc.constant('write' as const), dp: dpArb, off: operandArb, len: lenArb, src: varArb, dst: varArb }),
    fc.record({
      k: fc.constant('data' as const), dp: dpArb, off: fc.integer({ min: 0, max: 70 }), len: fc.constantFrom(1, 4, 8, 16),
      at: fc.integer({ min: 0, max: 16 }), size: fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 8), write: fc.boolean(), nullCheck: fc.boolean(), dst: varArb,
    }),
    fc.record({
      k: fc.constant('ringbuf' as const), size: fc.constantFrom(8, 16, 64, 8192), write: fc.boolean(), data: fc.boolean(),
      end: fc.constantFrom<'submit' | 'discard' | 'leak'>('submit', 'discard', 'submit', 'discard', 'leak'), dst: varArb,
    }),
  ];
  if (withBtf) {
    frags.push(fc.record({
      k: fc.constant('dynKfunc' as const), fn: fc.constantFrom<DynKfunc>('bpf_dynptr_size', 'bpf_dynptr_is_null', 'bpf_dynptr_is_rdonly', 'bpf_dynptr_adjust', 'bpf_dynptr_slice'),
      dp: dpArb, a: fc.integer({ min: 0, max: 40 }), b: fc.constantFrom(1, 4, 8, 16, 40, 64), buffer: fc.boolean(), nullCheck: fc.boolean(), dst: varArb,
    }));
    if (type === 'kprobe') frags.push(fc.record({ k: fc.constant('task' as const), field: fc.nat(3), walk: fc.boolean(), dst: varArb }));
    if (type === 'xdp' || type === 'sched_cls') {
      frags.push(fc.record({ k: fc.constant('kernCtx' as const), dst: varArb }));
      frags.push(fc.record({ k: fc.constant('taskFromPid' as const), pid: varArb, nullCheck: fc.boolean(), release: fc.boolean(), dst: varArb }));
    }
  }
  return fc.oneof(...frags);
}

/** Near misses are rare: most of each kind of fragment is valid. */
function saneLeafArb(type: ModernProgType, withBtf: boolean): fc.Arbitrary<ModernFrag> {
  return fc.tuple(leafArb(type, withBtf), fc.nat(9)).map(([f, r]) => {
    if (r < 8) {
      // an access inside the slice (a size no larger than it, at an offset that fits)
      if (f.k === 'data') {
        const size = (f.size <= f.len ? f.size : f.len === 1 ? 1 : f.len === 4 ? 4 : 8) as 1 | 2 | 4 | 8;
        return { ...f, size, at: Math.min(f.at, f.len - size), nullCheck: true };
      }
      if (f.k === 'dynKfunc' || f.k === 'taskFromPid') return { ...f, nullCheck: true, ...(f.k === 'taskFromPid' && { release: true }) };
      if (f.k === 'ringbuf' && f.end === 'leak') return { ...f, end: 'discard' as const };
    }
    return f;
  });
}

export function modernShapeArb(opts: { types?: readonly ModernProgType[]; maxFragments?: number } = {}): fc.Arbitrary<ModernShape> {
  const withBtf = modernBtf() !== null;
  const max = opts.maxFragments ?? 6;
  // The shape arbitrary of each type is built once: chain() calls this for every program, and
  // building the records and tuples again each time was a quarter of this generator's cost.
  const byType = new Map<ModernProgType, fc.Arbitrary<ModernShape>>();
  return fc.constantFrom(...(opts.types ?? MODERN_PROG_TYPES)).chain((type) => {
    const have = byType.get(type);
    if (have) return have;
    const leaf = saneLeafArb(type, withBtf);
    const frag: fc.Arbitrary<ModernFrag> = withBtf
      ? fc.oneof({ weight: 6, arbitrary: leaf }, { weight: 1, arbitrary: fc.record({ k: fc.constant('rcu' as const), body: fc.array(leaf, { minLength: 1, maxLength: 3 }), unlock: fc.nat(9).map((r) => r < 9) }) })
      : leaf;
    const shape: fc.Arbitrary<ModernShape> = fc.record({
      type: fc.constant(type),
      init: fc.tuple(fc.nat(80), fc.nat(80), fc.nat(0xffff)),
      dp0Size: fc.constantFrom(8, 16, 32, 64),
      body: fc.array(frag, { minLength: 1, maxLength: max }),
      ret: varArb,
    });
    byType.set(type, shape);
    return shape;
  });
}

const MOV64K = op.BPF_ALU64 | op.BPF_MOV | op.BPF_K;
const MOV64X = op.BPF_ALU64 | op.BPF_MOV | op.BPF_X;
const ADD64K = op.BPF_ALU64 | op.BPF_ADD | op.BPF_K;
const AND64K = op.BPF_ALU64 | op.BPF_AND | op.BPF_K;
const LDX = (size: number): number => op.BPF_LDX | op.BPF_MEM | sizeCode(size);
const STX = (size: number): number => op.BPF_STX | op.BPF_MEM | sizeCode(size);
const ST = (size: number): number => op.BPF_ST | op.BPF_MEM | sizeCode(size);
function sizeCode(size: number): number {
  return size === 1 ? op.BPF_B : size === 2 ? op.BPF_H : size === 4 ? op.BPF_W : op.BPF_DW;
}
const JEQK = op.BPF_JMP | op.BPF_JEQ | op.BPF_K;

/** Lowering state: the builder, the program type, the kernel facts. */
interface Low {
  b: Builder;
  type: ModernProgType;
  btf: ModernBtf | null;
  ringbuf: boolean;
}

/** r{reg} = fp + off */
function fpAt(b: Builder, reg: number, off: number): void {
  b.emit(MOV64X, reg, 10);
  b.emit(ADD64K, reg, 0, 0, off);
}

function operand(b: Builder, reg: number, o: Operand): void {
  if ('imm' in o) b.emit(MOV64K, reg, 0, 0, o.imm);
  else b.emit(MOV64X, reg, varReg(o.reg));
}

function kfuncCall(l: Low, name: string): boolean {
  const id = l.btf?.kfunc(name);
  if (id === undefined) return false;
  l.b.emit(op.BPF_JMP | op.BPF_CALL, 0, op.BPF_PSEUDO_KFUNC_CALL, 0, id);
  return true;
}

/** `if r0 == 0 goto skip` when asked; returns the label to bind after the guarded code. */
function nullGuard(b: Builder, check: boolean): number | null {
  if (!check) return null;
  const skip = b.label();
  b.jmp(JEQK, 0, 0, 0, skip);
  return skip;
}

function lowerFrag(l: Low, f: ModernFrag): void {
  const { b } = l;
  switch (f.k) {
    case 'fromMem': {
      b.ldMap(1, BUF_MAP, true, 0);
      if (f.sizeVar !== null) { b.emit(MOV64X, 2, varReg(f.sizeVar)); b.emit(AND64K, 2, 0, 0, f.mask); } else b.emit(MOV64K, 2, 0, 0, f.size);
      b.emit(MOV64K, 3, 0, 0, 0);
      fpAt(b, 4, DP[0]);
      b.callHelper(H.dynptr_from_mem);
      return;
    }
    case 'read': {
      fpAt(b, 1, SCRATCH);
      b.emit(MOV64K, 2, 0, 0, f.len);
      fpAt(b, 3, DP[f.dp]);
      operand(b, 4, f.off);
      b.emit(MOV64K, 5, 0, 0, 0);
      b.callHelper(H.dynptr_read);
      b.emit(LDX(1), varReg(f.dst), 10, SCRATCH);
      return;
    }
    case 'write': {
      b.emit(STX(8), 10, varReg(f.src), SCRATCH);
      fpAt(b, 1, DP[f.dp]);
      operand(b, 2, f.off);
      fpAt(b, 3, SCRATCH);
      b.emit(MOV64K, 4, 0, 0, f.len);
      b.emit(MOV64K, 5, 0, 0, 0);
      b.callHelper(H.dynptr_write);
      b.emit(MOV64X, varReg(f.dst), 0);
      return;
    }
    case 'data': {
      fpAt(b, 1, DP[f.dp]);
      b.emit(MOV64K, 2, 0, 0, f.off);
      b.emit(MOV64K, 3, 0, 0, f.len);
      b.callHelper(H.dynptr_data);
      const skip = nullGuard(b, f.nullCheck);
      if (f.write) b.emit(STX(f.size), 0, varReg(f.dst), f.at);
      else b.emit(LDX(f.size), varReg(f.dst), 0, f.at);
      if (skip !== null) b.bind(skip);
      return;
    }
    case 'dynKfunc': {
      fpAt(b, 1, DP[f.dp]);
      if (f.fn === 'bpf_dynptr_adjust') { b.emit(MOV64K, 2, 0, 0, f.a); b.emit(MOV64K, 3, 0, 0, f.a + f.b); }
      if (f.fn === 'bpf_dynptr_slice') {
        b.emit(MOV64K, 2, 0, 0, f.a);
        if (f.buffer) fpAt(b, 3, SCRATCH); else b.emit(MOV64K, 3, 0, 0, 0);
        b.emit(MOV64K, 4, 0, 0, f.b);
      }
      if (!kfuncCall(l, f.fn)) return;
      if (f.fn === 'bpf_dynptr_slice') {
        const skip = nullGuard(b, f.nullCheck);
        b.emit(LDX(1), varReg(f.dst), 0, 0);
        if (skip !== null) b.bind(skip);
      } else b.emit(MOV64X, varReg(f.dst), 0);
      return;
    }
    case 'ringbuf': {
      if (!l.ringbuf) return;
      b.ldMap(1, RINGBUF_MAP);
      b.emit(MOV64K, 2, 0, 0, f.size);
      b.emit(MOV64K, 3, 0, 0, 0);
      fpAt(b, 4, DP[2]);
      b.callHelper(H.ringbuf_reserve_dynptr);
      if (f.write) {
        b.emit(STX(8), 10, varReg(f.dst), SCRATCH);
        fpAt(b, 1, DP[2]); b.emit(MOV64K, 2, 0, 0, 0); fpAt(b, 3, SCRATCH); b.emit(MOV64K, 4, 0, 0, 8); b.emit(MOV64K, 5, 0, 0, 0);
        b.callHelper(H.dynptr_write);
      }
      if (f.data) {
        fpAt(b, 1, DP[2]); b.emit(MOV64K, 2, 0, 0, 0); b.emit(MOV64K, 3, 0, 0, 8);
        b.callHelper(H.dynptr_data);
        const skip = nullGuard(b, true)!;
        b.emit(LDX(8), varReg(f.dst), 0, 0);
        b.bind(skip);
      }
      if (f.end !== 'leak') {
        fpAt(b, 1, DP[2]);
        b.emit(MOV64K, 2, 0, 0, 0);
        b.callHelper(f.end === 'submit' ? H.ringbuf_submit_dynptr : H.ringbuf_discard_dynptr);
      }
      return;
    }
    case 'task': {
      if (!l.btf) return;
      const fld = l.btf.taskFields[f.field % l.btf.taskFields.length]!;
      b.callHelper(H.get_current_task_btf);
      if (f.walk) {
        b.emit(LDX(8), 1, 0, l.btf.realParent);
        b.emit(LDX(fld.size), varReg(f.dst), 1, fld.off);
      } else b.emit(LDX(fld.size), varReg(f.dst), 0, fld.off);
      return;
    }
    case 'taskFromPid': {
      if (!l.btf) return;
      b.emit(MOV64X, 1, varReg(f.pid));
      if (!kfuncCall(l, 'bpf_task_from_pid')) return;
      const skip = nullGuard(b, f.nullCheck);
      b.emit(MOV64X, 1, 0);
      b.emit(LDX(4), varReg(f.dst), 0, l.btf.taskFields[0]!.off);
      if (f.release) kfuncCall(l, 'bpf_task_release');
      if (skip !== null) b.bind(skip);
      return;
    }
    case 'kernCtx': {
      if (!l.btf) return;
      b.emit(MOV64X, 1, 6);
      if (!kfuncCall(l, 'bpf_cast_to_kern_ctx')) return;
      b.emit(LDX(4), varReg(f.dst), 0, l.type === 'xdp' ? l.btf.xdpFrameSz : l.btf.skbLen);
      return;
    }
    case 'rcu': {
      if (!kfuncCall(l, 'bpf_rcu_read_lock')) return;
      for (const g of f.body) lowerFrag(l, g);
      if (f.unlock) kfuncCall(l, 'bpf_rcu_read_unlock');
      return;
    }
  }
}

const usesRingbuf = (fs: readonly ModernFrag[]): boolean => fs.some((f) => f.k === 'ringbuf' || (f.k === 'rcu' && usesRingbuf(f.body)));

export function lowerModern(s: ModernShape, btf: ModernBtf | null = modernBtf()): Program {
  const b = new Builder();
  const maps: MapSpec[] = [makeMapSpec({ name: 'buf', type: 'array', keySize: 4, valueSize: BUF_SIZE, maxEntries: 1, flags: 0 })];
  const ringbuf = usesRingbuf(s.body);
  if (ringbuf) maps.push(makeMapSpec({ name: 'rb', type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 }));
  const l: Low = { b, type: s.type, btf, ringbuf };
  b.emit(MOV64X, 6, 1);
  s.init.forEach((v, i) => b.emit(MOV64K, 7 + i, 0, 0, v));
  // Scratch starts zeroed: the campaign verifies with reads of never-written stack refused.
  for (let off = SCRATCH; off < DP[2]; off += 8) b.emit(ST(8), 10, 0, off, 0);
  lowerFrag(l, { k: 'fromMem', size: s.dp0Size, sizeVar: null, mask: 0 });
  if ((s.type === 'xdp' || s.type === 'sched_cls') && btf) {
    b.emit(MOV64X, 1, 6);
    b.emit(MOV64K, 2, 0, 0, 0);
    fpAt(b, 3, DP[1]);
    kfuncCall(l, s.type === 'xdp' ? 'bpf_dynptr_from_xdp' : 'bpf_dynptr_from_skb');
  } else {
    b.ldMap(1, BUF_MAP, true, 32); b.emit(MOV64K, 2, 0, 0, 32); b.emit(MOV64K, 3, 0, 0, 0); fpAt(b, 4, DP[1]);
    b.callHelper(H.dynptr_from_mem);
  }
  for (const f of s.body) lowerFrag(l, f);
  b.emit(MOV64X, 0, varReg(s.ret));
  b.exit();
  return makeProgram({ name: `modern_${s.type}`, section: '', type: s.type, insns: b.finish(), maps, license: 'GPL' });
}

/** Programs with dynptrs, kfunc calls and BTF-typed pointers (see the file comment). */
export function modernProgramArb(opts: { types?: readonly ModernProgType[]; maxFragments?: number } = {}): fc.Arbitrary<Program> {
  return modernShapeArb(opts).map((s) => lowerModern(s));
}
