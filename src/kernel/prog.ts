/**
 * Programs in the kernel: BPF_PROG_LOAD with the verifier log, BPF_PROG_TEST_RUN, and
 * `runInKernel` (create maps, fill them, load, run, read the maps back, close everything).
 */
import { performance } from 'node:perf_hooks';
import { encodeInsns } from '../isa/decode.js';
import { InputError } from '../isa/errors.js';
import { copyInsn, type Insn } from '../isa/insn.js';
import { PROG_TYPES, type ProgType, type Program } from '../isa/program.js';
import { Attr, BPF_CORE_RELO_SIZE, BPF_FUNC_INFO_SIZE, BPF_LINE_INFO_SIZE, PROG_LOAD, PROG_TEST_RUN } from './attr.js';
import { attachBtfId, structOpsAttach, btfForInsns, btfLoad, encodeCoreRelos, encodeFuncInfo, encodeLineInfo } from './btf.js';
import { sectionType } from '../loader/section-types.js';
import { onOneCpu } from './affinity.js';
import { KernelError } from './errors.js';
import { KernelMap, mapCreate, mapUsesBtf } from './maps.js';
import { BPF_CMD, NativeBuffer, bpf, closeFd, errnoName, releaseLarge, scratchBuffer, scratchCopy } from './syscall.js';

const ENOSPC = 28;
/** BPF_LOG_STATS: the verifier's closing statistics ("processed N insns ..."). */
const BPF_LOG_STATS = 4;
/** Largest log buffer tried before giving up on a complete log (the kernel caps log_size at UINT_MAX >> 2). */
const MAX_LOG = 256 << 20;

export interface ProgLoadOptions {
  /**
   * 0: only the verifier's error message and statistics (cheapest; BPF_LOG_STATS);
   * 1: the instruction trace at branches and errors; 2: every instruction's state. Default 1.
   */
  logLevel?: 0 | 1 | 2;
  /** Initial log buffer size in bytes (grown on ENOSPC). Default 1 MiB (64 KiB for level 0). */
  logSize?: number;
  /** Program type to load as (default: program.type). */
  progType?: ProgType;
  /** expected_attach_type (default: program.expectedAttachType, else 0). */
  expectedAttachType?: number;
  /** prog_flags, e.g. BPF_F_ANY_ALIGNMENT (2), BPF_F_TEST_RND_HI32 (4). */
  progFlags?: number;
  /** Flags OR-ed into prog_flags on top of the default ones (the section's, e.g. BPF_F_SLEEPABLE), e.g. BPF_F_STRICT_ALIGNMENT (1). */
  extraProgFlags?: number;
  /** Use these kernel maps for program.maps (same order) instead of creating them. */
  maps?: readonly KernelMap[];
  /**
   * Load with the program's BTF (program.btf: BPF_BTF_LOAD, then prog_btf_fd + func_info +
   * line_info), as libbpf does. Default true; false loads the bare instructions (then the kernel
   * treats every subprogram as static and refuses bpf_loop callbacks: "missing btf func_info").
   */
  btf?: boolean;
}

export interface ProgLoadResult {
  /** The program fd when accepted (the caller must closeFd it), else null. */
  fd: number | null;
  verdict: 'accept' | 'reject';
  /** The verifier log (possibly empty). */
  log: string;
  /** errno name when rejected (EACCES for verifier rejections, EINVAL for malformed programs, ...). */
  errno: string | null;
  /** Numeric errno (0 when accepted). */
  errnoCode: number;
  /** "processed N insns" from the log. */
  processed?: number;
  /** total_states from the statistics line. */
  states?: number;
  /** The kernel's "verification time N usec". */
  verifyUs?: number;
  /** true when the log had to be cut (a larger buffer than MAX_LOG was needed). */
  logTruncated: boolean;
  /** Wall time of the successful/final BPF_PROG_LOAD call, in ms. */
  ms: number;
  /** true when the load carried BTF with func_info (program.btf). */
  withBtf?: boolean;
  /**
   * Why the program's BTF was not used (the kernel refused it at BPF_BTF_LOAD, or its records no
   * longer fit the instructions); the load went on without it.
   */
  btfError?: string;
}

/** Instructions with ld_imm64 map references (src 1/2, imm = index into program.maps) patched to fds. */
export function patchMapFds(insns: readonly Insn[], fds: readonly number[], rawFds: readonly number[] = []): Insn[] {
  const out = insns.map(copyInsn);
  for (let pc = 0; pc < out.length; pc++) {
    const ins = out[pc]!;
    if (ins.code !== 0x18) continue;
    // A raw fd (no relocation) goes to the kernel as written.
    if ((ins.src === 1 || ins.src === 2) && !rawFds.includes(pc)) {
      const fd = fds[ins.imm];
      if (fd === undefined)
        throw new InputError('map_ref', `insn ${pc}: map index ${ins.imm} out of range (program has ${fds.length} maps)`);
      ins.imm = fd;
    }
    pc++; // second slot
  }
  return out;
}

/**
 * Kernel maps for every map of the program, in order. Closes what it made if one fails. Maps
 * with BTF type ids are described by the program's BTF (loaded once here, closed after), as
 * libbpf creates them; pass `{ btf: false }` for bare maps.
 */
export function createProgramMaps(program: Program, opts: { btf?: boolean; btfFd?: number } = {}): KernelMap[] {
  const maps: KernelMap[] = [];
  // The program's own BTF object when the caller loaded it (libbpf gives maps and programs one BTF
  // object: the kernel compares BTF objects, e.g. a bpf_list_head's element type with bpf_obj_new's).
  let btfFd = opts.btf === false ? undefined : opts.btfFd;
  const owned = btfFd === undefined;
  try {
    if (owned && program.btf && !program.btf.kernelRefuses && opts.btf !== false && program.maps.some((m) => mapUsesBtf(m) || (m.inner !== undefined && mapUsesBtf(m.inner)))) {
      const b = btfLoad(program.btf.raw);
      if (b.fd !== null) btfFd = b.fd;
    }
    for (const spec of program.maps) maps.push(btfFd === undefined ? mapCreate(spec) : mapCreate(spec, { btfFd }));
  } catch (e) {
    for (const m of maps) m.close();
    throw e;
  } finally {
    if (owned && btfFd !== undefined) closeFd(btfFd);
  }
  return maps;
}

interface Attempt {
  ret: number;
  errno: number;
  log: string;
  trueSize: number;
  ms: number;
}

/** The BTF part of BPF_PROG_LOAD's attr (addresses of native copies). */
interface BtfAttrs {
  fd: number;
  funcInfo: bigint;
  funcCnt: number;
  lineInfo: bigint;
  lineCnt: number;
  coreRelos: bigint;
  coreCnt: number;
}

function loadOnce(
  program: Program,
  insnAddr: bigint,
  insnCnt: number,
  licenseAddr: bigint,
  opts: ProgLoadOptions,
  level: number,
  logSize: number,
  btf: BtfAttrs | null,
): Attempt {
  let logBuf: NativeBuffer | null = null;
  if (level > 0) {
    // Not zeroed: the kernel NUL-terminates what it writes; only the first byte must be 0 for an empty log.
    logBuf = scratchBuffer('log', logSize, false);
    logBuf.bytes[0] = 0;
  }
  const a = new Attr(PROG_LOAD.size)
    .u32(PROG_LOAD.prog_type, PROG_TYPES[opts.progType ?? program.type])
    .u32(PROG_LOAD.insn_cnt, insnCnt)
    .u64(PROG_LOAD.insns, insnAddr)
    .u64(PROG_LOAD.license, licenseAddr)
    .u32(PROG_LOAD.log_level, level)
    .u32(PROG_LOAD.log_size, logBuf ? logSize : 0)
    .u64(PROG_LOAD.log_buf, logBuf ? logBuf.addr : 0n)
    .u32(PROG_LOAD.kern_version, program.kernelVersion ?? 0)
    // libbpf's section flags (BPF_F_SLEEPABLE for `.s` sections, BPF_F_XDP_HAS_FRAGS for xdp.frags) unless told otherwise
    .u32(PROG_LOAD.prog_flags, (opts.progFlags ?? sectionType(program.section ?? '').progFlags) | (opts.extraProgFlags ?? 0))
    .name(PROG_LOAD.prog_name, program.name)
    .u32(PROG_LOAD.expected_attach_type, opts.expectedAttachType ?? program.expectedAttachType ?? structOpsAttach(program)?.member ?? 0);
  // BTF-typed programs (tp_btf, fentry, lsm, iter) name their attach target's kernel BTF id.
  const btfId = attachBtfId(program);
  if (btfId !== undefined) a.u32(PROG_LOAD.attach_btf_id, btfId);
  if (btf) {
    a.u32(PROG_LOAD.prog_btf_fd, btf.fd)
      .u32(PROG_LOAD.func_info_rec_size, BPF_FUNC_INFO_SIZE)
      .u64(PROG_LOAD.func_info, btf.funcInfo)
      .u32(PROG_LOAD.func_info_cnt, btf.funcCnt);
    if (btf.lineCnt > 0)
      a.u32(PROG_LOAD.line_info_rec_size, BPF_LINE_INFO_SIZE).u64(PROG_LOAD.line_info, btf.lineInfo).u32(PROG_LOAD.line_info_cnt, btf.lineCnt);
    if (btf.coreCnt > 0)
      a.u32(PROG_LOAD.core_relo_rec_size, BPF_CORE_RELO_SIZE).u64(PROG_LOAD.core_relos, btf.coreRelos).u32(PROG_LOAD.core_relo_cnt, btf.coreCnt);
  }
  const t0 = performance.now();
  const r = bpf(BPF_CMD.PROG_LOAD, a.bytes);
  const ms = performance.now() - t0;
  let log = '';
  if (logBuf) {
    const end = logBuf.bytes.indexOf(0);
    log = Buffer.from(logBuf.bytes.subarray(0, end < 0 ? logSize : end)).toString('utf8');
  }
  return { ret: r.ret, errno: r.errno, log, trueSize: a.getU32(PROG_LOAD.log_true_size), ms };
}

/**
 * BPF_PROG_LOAD of `program`: creates its maps (unless given), patches map references, loads
 * with the verifier log, retrying with a larger buffer while the log does not fit (ENOSPC).
 */
export function progLoad(program: Program, opts: ProgLoadOptions = {}): ProgLoadResult {
  let own: KernelMap[] | null = null;
  let btf: BtfAttrs | null = null;
  let btfError: string | undefined;
  try {
    const fit = program.btf && !program.btf.kernelRefuses && opts.btf !== false && program.btf.funcInfo.length > 0 ? btfForInsns(program.btf, program.insns) : undefined;
    if (fit && 'reason' in fit) btfError = fit.reason;
    const pbtf = fit && 'btf' in fit ? fit.btf : undefined;
    if (pbtf) {
      const b = btfLoad(pbtf.raw);
      if (b.fd === null) {
        btfError = `BPF_BTF_LOAD: ${b.errno}${b.log.trim() ? `: ${b.log.trim().split('\n').slice(-2).join(' | ')}` : ''}`;
      } else {
        btf = {
          fd: b.fd,
          funcInfo: scratchCopy('funcInfo', encodeFuncInfo(pbtf.funcInfo)),
          funcCnt: pbtf.funcInfo.length,
          lineInfo: scratchCopy('lineInfo', encodeLineInfo(pbtf.lineInfo)),
          lineCnt: pbtf.lineInfo.length,
          // CO-RE records the loader did not apply: the kernel applies them against its own BTF.
          coreRelos: scratchCopy('coreRelos', encodeCoreRelos(pbtf.coreRelos ?? [])),
          coreCnt: pbtf.coreRelos?.length ?? 0,
        };
      }
    }
    // Own maps share the program's BTF object, as libbpf's maps and programs do.
    if (!opts.maps) own = createProgramMaps(program, opts.btf === false ? { btf: false } : btf && pbtf?.raw === program.btf?.raw ? { btfFd: btf.fd } : {});
    const maps = opts.maps ?? own ?? [];
    if (maps.length < program.maps.length)
      throw new InputError('map_ref', `progLoad: ${maps.length} kernel maps given for ${program.maps.length} program maps`);
    const insns = patchMapFds(program.insns, maps.map((m) => m.fd), program.rawMapFds);
    const code = encodeInsns(insns);
    const insnAddr = scratchCopy('insns', code);
    // The program's own license, as libbpf passes it: an object without a license section loads as ""
    // (not GPL compatible), which is what the verifier judged too.
    const lic = new TextEncoder().encode(`${program.license}\0`);
    const licenseAddr = scratchCopy('license', lic);
    const logLevel = opts.logLevel ?? 1;
    const level = logLevel === 0 ? BPF_LOG_STATS : logLevel | BPF_LOG_STATS;
    let size = opts.logSize ?? (logLevel === 0 ? 64 << 10 : 1 << 20);
    let truncated = false;
    let at = loadOnce(program, insnAddr, insns.length, licenseAddr, opts, level, size, btf);
    // A full log buffer makes the load fail with ENOSPC even for a valid program: grow and retry.
    while (at.ret < 0 && at.errno === ENOSPC && at.trueSize > size) {
      if (size >= MAX_LOG) {
        // Give up on the full log: decide the verdict with statistics only, keep the cut log.
        const cut = at.log;
        at = loadOnce(program, insnAddr, insns.length, licenseAddr, opts, BPF_LOG_STATS, 1 << 20, btf);
        at.log = `${cut}\n...(log truncated at ${MAX_LOG} bytes)...\n${at.log}`;
        truncated = true;
        break;
      }
      size = Math.min(MAX_LOG, Math.max(at.trueSize + 4096, size * 4));
      at = loadOnce(program, insnAddr, insns.length, licenseAddr, opts, level, size, btf);
    }
    releaseLarge();
    const result: ProgLoadResult = {
      fd: at.ret >= 0 ? at.ret : null,
      verdict: at.ret >= 0 ? 'accept' : 'reject',
      log: at.log,
      errno: at.ret >= 0 ? null : errnoName(at.errno),
      errnoCode: at.ret >= 0 ? 0 : at.errno,
      logTruncated: truncated,
      ms: at.ms,
    };
    if (btf) result.withBtf = true;
    if (btfError !== undefined) result.btfError = btfError;
    const processed = /processed (\d+) insns/.exec(at.log);
    if (processed) result.processed = Number(processed[1]);
    const states = /total_states (\d+)/.exec(at.log);
    if (states) result.states = Number(states[1]);
    const vt = /verification time (\d+) usec/.exec(at.log);
    if (vt) result.verifyUs = Number(vt[1]);
    return result;
  } finally {
    // The loaded program holds its own references to the maps and its BTF.
    if (btf) closeFd(btf.fd);
    if (own) for (const m of own) m.close();
  }
}

export interface TestRunOptions {
  /** Packet data (data_in). */
  data?: Uint8Array;
  /** Context (ctx_in), e.g. a struct __sk_buff or xdp_md. */
  ctx?: Uint8Array;
  /** Number of runs (duration is averaged over them). Default 1. */
  repeat?: number;
  /** Bytes reserved for data_out (default: input length + 4096, 0 without data). */
  dataSizeOut?: number;
  /** Bytes reserved for ctx_out (default: ctx length). */
  ctxSizeOut?: number;
  /** BPF_PROG_TEST_RUN flags (e.g. BPF_F_TEST_RUN_ON_CPU = 1) and the cpu for it. */
  flags?: number;
  cpu?: number;
}

export interface TestRunResult {
  /** r0 of the program, truncated to 32 bits by the kernel (unsigned). */
  retval: number;
  /** data_out as the program left it (null when no data was given). */
  dataOut: Uint8Array | null;
  /** ctx_out (null when no ctx was given). */
  ctxOut: Uint8Array | null;
  /** The kernel's average duration per run in ns. */
  durationNs: number;
}

/** BPF_PROG_TEST_RUN. Throws KernelError (EINVAL for inputs the program type does not accept). */
export function progTestRun(fd: number, opts: TestRunOptions = {}): TestRunResult {
  const data = opts.data;
  const ctx = opts.ctx;
  const dataOutSize = opts.dataSizeOut ?? (data ? data.length + 4096 : 0);
  const ctxOutSize = opts.ctxSizeOut ?? (ctx ? ctx.length : 0);
  const dataOut = dataOutSize > 0 ? scratchBuffer('dataOut', dataOutSize) : null;
  const ctxOut = ctxOutSize > 0 ? scratchBuffer('ctxOut', ctxOutSize) : null;
  const a = new Attr(PROG_TEST_RUN.size)
    .u32(PROG_TEST_RUN.prog_fd, fd)
    .u32(PROG_TEST_RUN.data_size_in, data?.length ?? 0)
    .u32(PROG_TEST_RUN.data_size_out, dataOutSize)
    .u64(PROG_TEST_RUN.data_in, scratchCopy('dataIn', data))
    .u64(PROG_TEST_RUN.data_out, dataOut ? dataOut.addr : 0n)
    .u32(PROG_TEST_RUN.repeat, opts.repeat ?? 1)
    .u32(PROG_TEST_RUN.ctx_size_in, ctx?.length ?? 0)
    .u32(PROG_TEST_RUN.ctx_size_out, ctxOutSize)
    .u64(PROG_TEST_RUN.ctx_in, scratchCopy('ctxIn', ctx))
    .u64(PROG_TEST_RUN.ctx_out, ctxOut ? ctxOut.addr : 0n)
    .u32(PROG_TEST_RUN.flags, opts.flags ?? 0)
    .u32(PROG_TEST_RUN.cpu, opts.cpu ?? 0);
  const r = bpf(BPF_CMD.PROG_TEST_RUN, a.bytes);
  if (r.ret < 0) throw new KernelError('BPF_PROG_TEST_RUN', r.errno);
  const outLen = Math.min(a.getU32(PROG_TEST_RUN.data_size_out), dataOutSize);
  const ctxLen = Math.min(a.getU32(PROG_TEST_RUN.ctx_size_out), ctxOutSize);
  return {
    retval: a.getU32(PROG_TEST_RUN.retval),
    dataOut: dataOut && data ? dataOut.bytes.slice(0, outLen) : null,
    ctxOut: ctxOut && ctx ? ctxOut.bytes.slice(0, ctxLen) : null,
    durationNs: a.getU32(PROG_TEST_RUN.duration),
  };
}

/** A map entry to write before a run: map by name or index into program.maps. */
export interface MapFill {
  map: string | number;
  key: Uint8Array;
  value: Uint8Array;
  flags?: number;
}

/** A tail-call target to load and store in a prog_array of the program before the run. */
export interface TailCallFill {
  /** The prog_array, by name or index into program.maps. */
  map: string | number;
  index: number;
  /** Loaded with the caller's kernel maps when it has as many maps (one ELF object's shared map table), else its own. */
  program: Program;
}

export interface KernelRunInput extends TestRunOptions, Omit<ProgLoadOptions, 'maps'> {
  /** Entries written into the program's maps before loading (so frozen maps see them too). */
  fill?: readonly MapFill[];
  /** Tail-call targets to install in prog_array maps. */
  tailCalls?: readonly TailCallFill[];
  /** Read every map back after the run (default true). */
  dumpMaps?: boolean;
}

export interface KernelRunResult {
  load: ProgLoadResult;
  /** null when the program was rejected. */
  run: TestRunResult | null;
  /** Each map's entries after the run, in program.maps order (get-next-key order within a map). */
  maps: Array<{ name: string; entries: Array<[Uint8Array, Uint8Array]> }>;
}

/** Loads, fills maps, test-runs once (or `repeat` times), reads the maps back, closes every fd. */
export function runInKernel(program: Program, input: KernelRunInput = {}): KernelRunResult {
  const maps = createProgramMaps(program, input.btf === false ? { btf: false } : {});
  const targets: number[] = [];
  let fd: number | null = null;
  const mapOf = (ref: string | number): KernelMap => {
    const idx = typeof ref === 'number' ? ref : program.maps.findIndex((m) => m.name === ref);
    const m = maps[idx];
    if (!m) throw new InputError('map_ref', `no map ${String(ref)} in program ${program.name}`);
    return m;
  };
  // (fills and run on one CPU: an LRU map's evictions depend on which CPU each update ran on)
  try {
    return onOneCpu(() => {
      for (const f of input.fill ?? []) mapOf(f.map).update(f.key, f.value, f.flags ?? 0);
      for (const t of input.tailCalls ?? []) {
        const pa = mapOf(t.map);
        const shared = t.program.maps.length === maps.length ? { maps } : {};
        const tl = progLoad(t.program, { logLevel: 0, ...shared, ...(input.btf === undefined ? {} : { btf: input.btf }) });
        if (tl.fd === null) throw new InputError('kernel_load', `tail-call target ${t.program.name} rejected: ${tl.log.trim().split('\n').slice(-3).join(' | ')}`);
        targets.push(tl.fd);
        const v = new Uint8Array(4);
        new DataView(v.buffer).setUint32(0, tl.fd, true);
        const k = new Uint8Array(4);
        new DataView(k.buffer).setUint32(0, t.index, true);
        pa.update(k, v, 0);
      }
      const load = progLoad(program, { ...input, maps });
      fd = load.fd;
      if (fd === null) return { load, run: null, maps: [] };
      const run = progTestRun(fd, input);
      const dumped =
        input.dumpMaps === false
          ? []
          : maps.map((m) => ({ name: m.spec.name, entries: dumpable(m.spec.type) ? m.entries() : [] }));
      return { load, run, maps: dumped };
    });
  } finally {
    if (fd !== null) closeFd(fd);
    for (const t of targets) closeFd(t);
    for (const m of maps) m.close();
  }
}

/** Map types whose contents user space can iterate and read. */
export function dumpable(type: string): boolean {
  return !['prog_array', 'perf_event_array', 'ringbuf', 'queue', 'stack', 'array_of_maps', 'hash_of_maps', 'stack_trace', 'user_ringbuf', 'sk_storage'].includes(type);
}

export { KernelError };
