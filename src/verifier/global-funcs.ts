/**
 * BTF-global subprograms (the kernel's subprog_is_global): a function with BTF linkage global is
 * verified once, on its own, from its BTF signature (do_check_subprogs / btf_prepare_func_args),
 * not inlined into each caller. At a call site its arguments are checked against the signature
 * (btf_check_func_arg_match) and r0 becomes an unknown scalar. Programs without func_info
 * (or whose func_info the kernel would refuse) treat every subprogram as static.
 */
import * as op from '../isa/opcodes.js';
import type { FuncInfo, FuncParam, Program } from '../isa/program.js';
import { helperProto } from '../runtime/helpers/prototypes.js';
import { findSubprog, type Cfg } from './cfg.js';
import type { Env } from './env.js';
import { Reject } from './error-kinds.js';
import { checkHelperMem } from './memory.js';
import { markPrecise } from './precision.js';
import { MAYBE_NULL, MEM_RDONLY, MEM_RINGBUF, PTR_TRUSTED, T, typeName } from './reg-types.js';
import { checkHelperBtfArg } from './btf-access.js';
import { isTrustedReg } from './trusted-reg.js';
import type { Reg } from './state.js';
import { markConstDynptr, processDynptrArg } from './dynptr.js';
import { DynptrType } from './dynptr-state.js';

/**
 * Per subprogram index, the FuncInfo of a global function (null: static). The kernel uses
 * func_info only when it names every subprogram at its first instruction (check_btf_func).
 */
export function globalSubprogs(program: Program, cfg: Cfg): (FuncInfo | null)[] {
  const fis = usableFuncInfo(program, cfg);
  return cfg.subprogs.map((_, i) => (i > 0 && fis?.[i]?.linkage === 'global' ? fis[i]! : null));
}

/** The func_info per subprogram index, when it names every subprogram at its start (else undefined). */
export function usableFuncInfo(program: Program, cfg: Pick<Cfg, 'subprogs'>): FuncInfo[] | undefined {
  const fis = program.funcInfo;
  if (!fis || fis.length !== cfg.subprogs.length) return undefined;
  const byPc = new Map(fis.map((f) => [f.pc, f]));
  if (cfg.subprogs.some((s) => !byPc.has(s.start))) return undefined;
  return cfg.subprogs.map((s) => byPc.get(s.start)!);
}

const BPF_FUNC_TAIL_CALL = 12;

/**
 * changes_pkt_data of a subprogram: it (or a subprogram it calls) calls a helper that may move
 * the packet, or makes a tail call (the program it reaches may move it, and returns to this
 * subprogram's caller), so the caller's packet pointers are invalid after the call.
 */
export function changesPktData(program: Program, cfg: Cfg, sub: number): boolean {
  const seen = new Set<number>();
  const visit = (i: number): boolean => {
    if (seen.has(i)) return false;
    seen.add(i);
    const s = cfg.subprogs[i];
    if (!s) return false;
    for (let pc = s.start; pc < s.end; pc++) {
      if (cfg.second[pc]) continue;
      const ins = program.insns[pc]!;
      if (ins.code !== (op.BPF_JMP | op.BPF_CALL)) continue;
      if (ins.src === op.BPF_PSEUDO_CALL) {
        const t = findSubprog(cfg.subprogs, pc + 1 + ins.imm);
        if (visit(t)) return true;
      } else if (ins.src === 0 && (helperProto(ins.imm)?.changesPkt || ins.imm === BPF_FUNC_TAIL_CALL)) return true;
    }
    return false;
  };
  return visit(sub);
}

/** Pointer types whose fixed and variable offsets an argument may carry (check_func_arg_reg_off). */
const OFFSET_OK = new Set<number>([T.PTR_TO_STACK, T.PTR_TO_PACKET, T.PTR_TO_PACKET_META, T.PTR_TO_MAP_KEY, T.PTR_TO_MAP_VALUE,
  T.PTR_TO_MEM, T.PTR_TO_MEM | MEM_RDONLY, T.PTR_TO_MEM | MEM_RINGBUF, T.SCALAR]);

/** check_func_arg_reg_off with ARG_DONTCARE: other pointers must point at their start. */
function checkArgOffset(env: Env, regno: number, r: Reg): void {
  if (OFFSET_OK.has(r.type) || r.type === T.NOT_INIT) return;
  const name = typeName(r.type);
  if (r.off < 0) env.reject('ctx_modified', `negative offset ${name} ptr R${regno} off=${r.off} disallowed`);
  if (!env.dom.isConst(r.v) || env.dom.constValue(r.v) !== 0n) env.reject('ctx_modified', `variable ${name} access var_off=${tnumStr(env, r)} disallowed`);
  if (r.off) env.reject('ctx_modified', `dereference of modified ${name} ptr R${regno} off=${r.off} disallowed`);
}

function tnumStr(env: Env, r: Reg): string {
  const t = env.dom.tnum(r.v);
  return `(0x${t.value.toString(16)}; 0x${t.mask.toString(16)})`;
}

/** check_mem_reg: `size` bytes at the pointer may be read and written (a nullable one assumed non-NULL). */
function checkMemArg(env: Env, regno: number, r: Reg, size: number): void {
  // NULL is accepted, and precise: a path passing another scalar must not be pruned into this one
  if (env.isNull(r)) { markPrecise(env, 1 << regno); return; }
  const saved = r.type;
  r.type &= ~MAYBE_NULL;
  try {
    checkHelperMem(env, regno, size, true, false, false);
    checkHelperMem(env, regno, size, true, true, false);
  } finally {
    r.type = saved;
  }
}

function checkParam(env: Env, i: number, p: FuncParam): void {
  const regno = i + 1;
  const r = env.reg(regno);
  env.scratched |= 1 << regno;
  switch (p.kind) {
    case 'scalar':
      if (r.type !== T.SCALAR) env.reject('subprog', `R${regno} is not a scalar`);
      return;
    case 'ctx':
      checkArgOffset(env, regno, r);
      if (r.type !== T.PTR_TO_CTX) env.reject('subprog', `arg#${i} expects pointer to ctx`);
      return;
    case 'ptr':
      checkArgOffset(env, regno, r);
      checkMemArg(env, regno, r, p.size);
      if (p.nonnull && r.type & MAYBE_NULL) env.reject('null_pointer', `arg#${i} is expected to be non-NULL`);
      return;
    case 'btf':
      if (p.nullable && env.isNull(r)) return;
      // btf_check_func_arg_match: an __arg_trusted argument takes a trusted or referenced pointer
      // (an RCU one, a walked one, NULL too: the live 6.18 kernel refuses them) before its type is
      // matched; a possibly-NULL one is judged without that flag (check_reg_type refuses it where
      // the argument is not nullable: "type=ptr_or_null_ expected=...")
      if (!isTrustedReg(r, true)) env.reject('helper_arg', `R${regno} must be referenced or trusted`);
      checkHelperBtfArg(env, regno, r, p.struct, `func#${i}`, p.nullable === true);
      return;
    case 'dynptr':
      checkArgOffset(env, regno, r);
      processDynptrArg(env, regno, { uninit: false, rdonly: true, type: DynptrType.INVALID });
      return;
    case 'arena':
      // btf_check_func_arg_match: anything else is a program bug the kernel points out
      if (r.type !== T.PTR_TO_ARENA && r.type !== T.SCALAR) env.reject('subprog', `R${regno} is not a pointer to arena or scalar.`);
  }
}

/**
 * A call to global subprogram `sub` (check_func_call): the arguments must match its BTF
 * signature; the callee is not entered but queued for verification on its own, the caller's
 * r1-r5 are clobbered and r0 becomes an unknown scalar.
 */
export function checkGlobalCall(env: Env, sub: number, fi: FuncInfo): void {
  const invalid = `Caller passes invalid args into func#${sub} ('${fi.name}')`;
  try {
    if (!fi.params) env.reject('subprog', fi.paramError ?? `arg types of ${fi.name}() cannot be determined`);
    fi.params.forEach((p, i) => checkParam(env, i, p));
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    throw new Reject(e.pc, e.kind, e.message, [...e.after, invalid]);
  }
  env.note = `Func#${sub} ('${fi.name}') is global and assumed valid.`;
  env.globalCalled[sub] = 1;
  if (env.globalChangesPkt[sub]) env.clearPacketPointers();
  const regs = env.frame.regs;
  for (let r = 0; r <= 5; r++) { env.markNotInit(regs[r]!); env.scratched |= 1 << r; }
  env.markScalar(regs[0]!, env.UNKNOWN);
}

/**
 * The registers a global subprogram starts from (do_check_common for a subprogram): r1.. from
 * its BTF arguments (ctx, nullable or non-NULL memory of the pointee's size, unknown scalar),
 * the rest uninitialised, r10 its frame pointer.
 */
export function globalEntryRegs(env: Env, regs: Reg[], fi: FuncInfo): void {
  for (const r of regs) env.markNotInit(r);
  (fi.params ?? []).forEach((p, i) => {
    const r = regs[i + 1]!;
    switch (p.kind) {
      case 'scalar': env.markScalar(r, env.UNKNOWN); break;
      case 'ctx': env.markPtr(r, T.PTR_TO_CTX); break;
      case 'ptr':
        env.markPtr(r, T.PTR_TO_MEM | (p.nonnull ? 0 : MAYBE_NULL));
        r.memSize = p.size;
        if (!p.nonnull) r.id = env.newId();
        break;
      case 'btf': {
        const st = env.kernelBtf().find(p.struct).find((x) => x.kind === 'struct' || x.kind === 'union');
        if (!st) env.reject('subprog', `arg#${i} reference type('STRUCT ${p.struct}') has no matches`);
        env.markPtr(r, T.PTR_TO_BTF_ID | PTR_TRUSTED | (p.nullable ? MAYBE_NULL : 0));
        r.memSize = st.id;
        if (p.nullable) r.id = env.newId();
        break;
      }
      case 'dynptr':
        // do_check_common: assumed a local dynptr the function cannot release
        markConstDynptr(env, r, DynptrType.LOCAL);
        break;
      case 'arena':
        // do_check_common: the caller may pass an arena pointer or a scalar
        env.markScalar(r, env.UNKNOWN);
    }
  });
  env.markPtr(regs[10]!, T.PTR_TO_STACK);
}
