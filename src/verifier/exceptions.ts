/**
 * BPF exceptions as 6.18 verifies them: `bpf_throw(cookie)` ends the path at once (an exception
 * exit: no reference, lock or RCU/preempt section may be open, in any frame) and the program
 * returns through its exception callback, the global function named by the main function's
 * `exception_callback:<name>` BTF decl tag (or, without one, the cookie itself becomes the
 * return value and must satisfy the program's return range). The callback is verified as a
 * global function that is always called, with one scalar argument and the program's return
 * range; it may not be called directly, and no callback (sync, async or the exception callback
 * itself) may throw (check_max_stack_depth_subprog).
 */
import type { Program } from '../isa/program.js';
import type { Env } from './env.js';
import { Reject } from './error-kinds.js';
import { programBtf } from './map-record.js';
import { checkReturnCode } from './calls.js';

const TAG = 'exception_callback:';

/**
 * bpf_find_exception_callback_insn_off (add_subprog_and_kfunc): the first instruction of the
 * exception callback the main function's decl tag names, or 0 when there is none. Only with
 * func_info (the kernel ignores the tag without it). Throws Reject with the kernel's messages.
 */
export function findExceptionCallback(program: Program): number {
  const fis = program.funcInfo;
  const btf = programBtf(program);
  if (!fis?.length || !btf || fis[0]!.typeId === undefined) return 0;
  const mainId = fis[0]!.typeId;
  if (!btf.type(mainId)) throw new Reject(0, 'subprog', 'invalid btf id for main subprog in func_info');
  let name: string | undefined;
  for (const t of btf.types) {
    if (t.kind !== 'decl_tag' || t.type !== mainId || t.componentIdx !== -1 || !t.name.startsWith(TAG)) continue;
    if (name !== undefined) throw new Reject(0, 'subprog', 'multiple exception callback tags for main subprog');
    name = t.name.slice(TAG.length);
  }
  if (name === undefined) return 0;
  const fn = btf.find(name, 'func')[0];
  if (!fn || fn.kind !== 'func') throw new Reject(0, 'subprog', `exception callback '${name}' could not be found in BTF`);
  if (fn.linkage !== 1) throw new Reject(0, 'subprog', `exception callback '${name}' must have global linkage`);
  let off = 0;
  for (const fi of fis) {
    if (fi.typeId !== fn.id) continue;
    if (fi.pc === 0) throw new Reject(0, 'subprog', 'invalid exception callback insn_off in func_info: 0');
    off = fi.pc;
  }
  if (!off) throw new Reject(0, 'subprog', 'exception callback type id not found in func_info');
  return off;
}

/**
 * check_kfunc_call for bpf_throw, then do_check's exception exit (check_resource_leak with
 * exception_exit): without an exception callback the cookie in R1 is the program's return
 * value; every reference of every frame is a leak; no lock or section may be open.
 */
export function processThrow(env: Env): void {
  if (!env.exceptionCb) checkReturnCode(env, 1);
  env.rejectLeaks('bpf_throw');
}

/**
 * do_check_common for the exception callback: one integer argument (btf_prepare_func_args has
 * already judged the signature global-function-like).
 */
export function checkExceptionCbArgs(env: Env, sub: number): void {
  const g = env.globals[sub];
  if (!g?.params || g.params.length !== 1 || g.params[0]!.kind !== 'scalar')
    throw new Reject(env.cfg.subprogs[sub]!.start, 'subprog', 'exception cb only supports single integer argument');
}
