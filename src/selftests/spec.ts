/**
 * A selftest's expectations, read from the BTF decl tags on its FUNC exactly as the kernel's
 * tools/testing/selftests/bpf/test_loader.c (parse_test_spec) does: `comment:test_expect_failure`,
 * `comment:test_expect_msg=N=...`, `comment:test_retval=...`, `comment:test_prog_flags=...`,
 * `comment:test_auxiliary`, `comment:test_log_level=...` and the rest of bpf_misc.h's tags.
 */
import type { Btf } from '../loader/btf/index.js';

/** BPF_PROG_LOAD prog_flags the tags can name (include/uapi/linux/bpf.h). */
export const PROG_FLAGS = {
  BPF_F_STRICT_ALIGNMENT: 1 << 0,
  BPF_F_ANY_ALIGNMENT: 1 << 1,
  BPF_F_TEST_RND_HI32: 1 << 2,
  BPF_F_TEST_STATE_FREQ: 1 << 3,
  BPF_F_SLEEPABLE: 1 << 4,
  BPF_F_XDP_HAS_FRAGS: 1 << 5,
  BPF_F_TEST_REG_INVARIANTS: 1 << 7,
} as const;

/** testing_prog_flags(): what test_progs ORs into every test program's flags. */
export const TESTING_PROG_FLAGS = PROG_FLAGS.BPF_F_TEST_RND_HI32 | PROG_FLAGS.BPF_F_TEST_REG_INVARIANTS;

/** bpf_misc.h's POINTER_VALUE: a __retval that accepts any return value. */
export const POINTER_VALUE = 0xcafe4a;
const TEST_DATA_LEN = 64;

/** One mode's expectations (test_subspec). */
export interface TestSubspec {
  expectFailure: boolean;
  /** __msg and __not_msg patterns in order; `{{...}}` parts are POSIX extended regexes. */
  msgs: string[];
  /** Per pattern of `msgs`: a __not_msg (must not appear in its span of the log). Absent: none is. */
  negative?: boolean[];
  /** __xlated patterns (the program after the verifier's rewrites): not checked by bpflab. */
  xlated: string[];
  /** __retval (when `execute`). */
  retval: number;
  execute: boolean;
}

export interface TestSpec {
  /** The program (function) name. */
  name: string;
  /** __description, or the name. */
  description: string;
  priv: TestSubspec;
  unpriv: TestSubspec;
  /** Bit 1: privileged run, bit 2: unprivileged run (test_loader's mode_mask). */
  modeMask: number;
  logLevel: number;
  /** BPF_PROG_LOAD flags: testing_prog_flags() with the __flag tags applied. */
  progFlags: number;
  /** Loaded with every test of its object, never a test itself. */
  auxiliary: boolean;
  /** __arch_* names; empty = any architecture. */
  arch: string[];
  /** __btf_path. */
  btfPath?: string;
  /** __load_if_JITed / __load_if_no_JITed: LOAD_JITED | LOAD_NO_JITED (both when neither tag). */
  loadMask: number;
}

/** test_loader's load_mode bits: the test runs only when the JIT's state is in its mask. */
export const LOAD_JITED = 1;
export const LOAD_NO_JITED = 2;

export const MODE_PRIV = 1;
export const MODE_UNPRIV = 2;

const PFX = {
  description: 'comment:test_description=',
  msg: 'comment:test_expect_msg=',
  notMsg: 'comment:test_expect_not_msg=',
  msgUnpriv: 'comment:test_expect_msg_unpriv=',
  notMsgUnpriv: 'comment:test_expect_not_msg_unpriv=',
  xlated: 'comment:test_expect_xlated=',
  xlatedUnpriv: 'comment:test_expect_xlated_unpriv=',
  loadMode: 'comment:load_mode=',
  retval: 'comment:test_retval=',
  retvalUnpriv: 'comment:test_retval_unpriv=',
  logLevel: 'comment:test_log_level=',
  progFlags: 'comment:test_prog_flags=',
  arch: 'comment:test_arch=',
  btfPath: 'comment:test_btf_path=',
} as const;

/** Why a spec cannot be parsed (test_loader prints it and fails the test). */
export class SpecError extends Error {}

/** `<pfx>N=value` → value (skip_dynamic_pfx: the counter keeps equal tags distinct). */
function skipDynamicPfx(s: string, pfx: string): string | undefined {
  if (!s.startsWith(pfx)) return undefined;
  const eq = s.indexOf('=', pfx.length);
  return eq < 0 ? undefined : s.slice(eq + 1);
}

/** parse_int: decimal, or hex with 0x, whole string, as a C long truncated to int. */
function parseInt32(str: string, what: string): number {
  const m = str.startsWith('0x') ? /^0x([0-9a-fA-F]+)$/.exec(str) : /^([+-]?\d+)$/.exec(str);
  if (!m) throw new SpecError(`failed to parse ${what} from '${str}'`);
  const v = BigInt(str.startsWith('0x') ? '0x' + m[1] : m[1]!);
  return Number(BigInt.asIntN(32, v));
}

function parseRetval(str: string, what: string): number {
  if (str === 'INT_MIN') return -0x80000000;
  if (str === 'POINTER_VALUE') return POINTER_VALUE;
  if (str === 'TEST_DATA_LEN') return TEST_DATA_LEN;
  return parseInt32(str, what);
}

/**
 * The decl tags of the FUNC named `progName`, in type-id order. Throws SpecError when the object
 * has no FUNC of that name (test_loader: "failed to find FUNC BTF type").
 */
export function declTags(btf: Btf, progName: string): string[] {
  const func = btf.find(progName, 'func')[0];
  if (!func) throw new SpecError(`failed to find FUNC BTF type for '${progName}'`);
  const out: string[] = [];
  for (const t of btf.types) if (t.kind === 'decl_tag' && t.type === func.id && t.componentIdx === -1) out.push(t.name);
  return out;
}

/** parse_test_spec over one program's decl tags. */
export function parseTestSpec(progName: string, tags: readonly string[]): TestSpec {
  const spec: TestSpec = {
    name: progName, description: progName,
    priv: { expectFailure: false, msgs: [], xlated: [], retval: 0, execute: false },
    unpriv: { expectFailure: false, msgs: [], xlated: [], retval: 0, execute: false },
    modeMask: 0, logLevel: 0, progFlags: TESTING_PROG_FLAGS, auxiliary: false, arch: [], loadMask: 0,
  };
  // push_msg: a __not_msg is a pattern like the others, flagged negative
  const pushMsg = (sub: TestSubspec, text: string, negative: boolean): void => {
    if (negative || sub.negative) (sub.negative ??= sub.msgs.map(() => false)).push(negative);
    sub.msgs.push(text);
  };
  let description: string | undefined;
  let hasUnprivResult = false;
  let hasUnprivRetval = false;
  for (const s of tags) {
    let v: string | undefined;
    if (s.startsWith(PFX.description)) description = s.slice(PFX.description.length);
    else if (s === 'comment:test_expect_failure') { spec.priv.expectFailure = true; spec.modeMask |= MODE_PRIV; }
    else if (s === 'comment:test_expect_success') { spec.priv.expectFailure = false; spec.modeMask |= MODE_PRIV; }
    else if (s === 'comment:test_expect_failure_unpriv') { spec.unpriv.expectFailure = true; spec.modeMask |= MODE_UNPRIV; hasUnprivResult = true; }
    else if (s === 'comment:test_expect_success_unpriv') { spec.unpriv.expectFailure = false; spec.modeMask |= MODE_UNPRIV; hasUnprivResult = true; }
    else if (s === 'comment:test_auxiliary') { spec.auxiliary = true; spec.modeMask |= MODE_PRIV; }
    else if (s === 'comment:test_auxiliary_unpriv') { spec.auxiliary = true; spec.modeMask |= MODE_UNPRIV; }
    else if ((v = skipDynamicPfx(s, PFX.msg)) !== undefined) { pushMsg(spec.priv, v, false); spec.modeMask |= MODE_PRIV; }
    else if ((v = skipDynamicPfx(s, PFX.notMsg)) !== undefined) { pushMsg(spec.priv, v, true); spec.modeMask |= MODE_PRIV; }
    else if ((v = skipDynamicPfx(s, PFX.msgUnpriv)) !== undefined) { pushMsg(spec.unpriv, v, false); spec.modeMask |= MODE_UNPRIV; }
    else if ((v = skipDynamicPfx(s, PFX.notMsgUnpriv)) !== undefined) { pushMsg(spec.unpriv, v, true); spec.modeMask |= MODE_UNPRIV; }
    else if ((v = skipDynamicPfx(s, PFX.xlated)) !== undefined) { spec.priv.xlated.push(v); spec.modeMask |= MODE_PRIV; }
    else if ((v = skipDynamicPfx(s, PFX.xlatedUnpriv)) !== undefined) { spec.unpriv.xlated.push(v); spec.modeMask |= MODE_UNPRIV; }
    else if (s.startsWith(PFX.loadMode)) {
      const m = s.slice(PFX.loadMode.length);
      if (m !== 'jited' && m !== 'no_jited') throw new SpecError(`bad load spec: '${m}'`);
      spec.loadMask = m === 'jited' ? LOAD_JITED : LOAD_NO_JITED;
    }
    else if (s.startsWith(PFX.retval)) {
      spec.priv.retval = parseRetval(s.slice(PFX.retval.length), '__retval');
      spec.priv.execute = true;
      spec.modeMask |= MODE_PRIV;
    } else if (s.startsWith(PFX.retvalUnpriv)) {
      spec.unpriv.retval = parseRetval(s.slice(PFX.retvalUnpriv.length), '__retval_unpriv');
      spec.unpriv.execute = true;
      spec.modeMask |= MODE_UNPRIV;
      hasUnprivRetval = true;
    } else if (s.startsWith(PFX.logLevel)) spec.logLevel = parseInt32(s.slice(PFX.logLevel.length), 'test log level');
    else if (s.startsWith(PFX.progFlags)) {
      let val = s.slice(PFX.progFlags.length);
      const clear = val.startsWith('!');
      if (clear) val = val.slice(1);
      const flag = Object.prototype.hasOwnProperty.call(PROG_FLAGS, val) ? PROG_FLAGS[val as keyof typeof PROG_FLAGS] : parseInt32(val, 'test prog flags');
      spec.progFlags = clear ? spec.progFlags & ~flag : spec.progFlags | flag;
    } else if (s.startsWith(PFX.arch)) {
      const a = s.slice(PFX.arch.length);
      // (6.18's bpf_misc.h spells __arch_s390x in lower case)
      if (a !== 'X86_64' && a !== 'ARM64' && a !== 'RISCV64' && a !== 's390x') throw new SpecError(`bad arch spec: '${a}'`);
      spec.arch.push(a);
    } else if (s.startsWith(PFX.btfPath)) spec.btfPath = s.slice(PFX.btfPath.length);
    // __jited patterns check the JITed code; __stderr/__stdout the program's streams at run time;
    // __caps_unpriv the unprivileged run: none of them concerns the privileged verifier run.
  }
  if (spec.loadMask === 0) spec.loadMask = LOAD_JITED | LOAD_NO_JITED;
  if (spec.modeMask === 0) spec.modeMask = MODE_PRIV;
  spec.description = description ?? progName;
  if (!hasUnprivResult) spec.unpriv.expectFailure = spec.priv.expectFailure;
  if (!hasUnprivRetval) { spec.unpriv.retval = spec.priv.retval; spec.unpriv.execute = spec.priv.execute; }
  if (spec.unpriv.msgs.length === 0) {
    spec.unpriv.msgs = [...spec.priv.msgs];
    if (spec.priv.negative) spec.unpriv.negative = [...spec.priv.negative];
  }
  if (spec.unpriv.xlated.length === 0) spec.unpriv.xlated = [...spec.priv.xlated];
  return spec;
}
