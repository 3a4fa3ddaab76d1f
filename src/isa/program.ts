/**
 * A decoded eBPF program: pure data, deterministic from its input (cilium/ebpf's ProgramSpec).
 * Loaders produce it; the verifier, VM and JIT read it; nothing here depends on the host.
 */
import type { Insn } from './insn.js';

/** Program types with the kernel's `enum bpf_prog_type` numbers. */
export const PROG_TYPES = {
  unspec: 0,
  socket_filter: 1,
  kprobe: 2,
  sched_cls: 3,
  sched_act: 4,
  tracepoint: 5,
  xdp: 6,
  perf_event: 7,
  cgroup_skb: 8,
  cgroup_sock: 9,
  lwt_in: 10,
  lwt_out: 11,
  lwt_xmit: 12,
  sock_ops: 13,
  sk_skb: 14,
  cgroup_device: 15,
  sk_msg: 16,
  raw_tracepoint: 17,
  cgroup_sock_addr: 18,
  lwt_seg6local: 19,
  lirc_mode2: 20,
  sk_reuseport: 21,
  flow_dissector: 22,
  cgroup_sysctl: 23,
  raw_tracepoint_writable: 24,
  cgroup_sockopt: 25,
  tracing: 26,
  struct_ops: 27,
  ext: 28,
  lsm: 29,
  sk_lookup: 30,
  syscall: 31,
  netfilter: 32,
} as const;
export type ProgType = keyof typeof PROG_TYPES;

export function isProgType(s: string): s is ProgType {
  return Object.prototype.hasOwnProperty.call(PROG_TYPES, s);
}

/** Map types with the kernel's `enum bpf_map_type` numbers. */
export const MAP_TYPES = {
  unspec: 0,
  hash: 1,
  array: 2,
  prog_array: 3,
  perf_event_array: 4,
  percpu_hash: 5,
  percpu_array: 6,
  stack_trace: 7,
  cgroup_array: 8,
  lru_hash: 9,
  lru_percpu_hash: 10,
  lpm_trie: 11,
  array_of_maps: 12,
  hash_of_maps: 13,
  devmap: 14,
  sockmap: 15,
  cpumap: 16,
  xskmap: 17,
  sockhash: 18,
  cgroup_storage: 19,
  reuseport_sockarray: 20,
  percpu_cgroup_storage: 21,
  queue: 22,
  stack: 23,
  sk_storage: 24,
  devmap_hash: 25,
  struct_ops: 26,
  ringbuf: 27,
  inode_storage: 28,
  task_storage: 29,
  bloom_filter: 30,
  user_ringbuf: 31,
  cgrp_storage: 32,
  arena: 33,
} as const;
export type MapType = keyof typeof MAP_TYPES;

export function isMapType(s: string): s is MapType {
  return Object.prototype.hasOwnProperty.call(MAP_TYPES, s);
}

export function mapTypeName(n: number): MapType | undefined {
  for (const [k, v] of Object.entries(MAP_TYPES)) if (v === n) return k as MapType;
  return undefined;
}

/** A map as declared by the program (cilium/ebpf's MapSpec). */
export interface MapSpec {
  name: string;
  type: MapType;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** Inner map template for array_of_maps / hash_of_maps. */
  inner?: MapSpec | undefined;
  /** Initial contents of a global-data map (.data, .rodata, .bss): valueSize bytes for key 0. */
  initial?: Uint8Array | undefined;
  /** true for .rodata-style maps that libbpf freezes (BPF_F_RDONLY_PROG semantics). */
  readonly?: boolean | undefined;
  /** Pinning mode from BTF-defined maps (0 none, 1 by name). */
  pinning?: number | undefined;
  /**
   * BTF type ids of key and value in the object's BTF (Program.btf.raw), as libbpf passes them
   * to BPF_MAP_CREATE (0 = none, e.g. the key of a global-data map whose value is its DATASEC).
   * The kernel needs them for values holding bpf_spin_lock, timers or kptrs.
   */
  btfKeyTypeId?: number | undefined;
  btfValueTypeId?: number | undefined;
  /**
   * BPF_MAP_CREATE's map_extra (`__ulong(map_extra, V)` or `__uint`): a bloom filter's hash count,
   * an arena's user-space start address. Absent when 0.
   */
  mapExtra?: bigint | undefined;
}

/** One BTF line_info record resolved to source text. */
export interface LineInfo {
  pc: number;
  file: string;
  line: number;
  col: number;
  text: string;
}

/**
 * How the kernel treats one argument of a BTF-described function (btf_prepare_func_args):
 * a scalar (int/enum: ARG_ANYTHING), the program's context (ARG_PTR_TO_CTX), or memory of
 * `size` bytes (ARG_PTR_TO_MEM | PTR_MAYBE_NULL; without MAYBE_NULL when tagged
 * `__arg_nonnull`). `pointee` is the C name of what a pointer points to.
 */
export type FuncParam =
  | { kind: 'scalar' }
  | { kind: 'ptr'; size: number; pointee?: string; nonnull?: boolean }
  | { kind: 'ctx'; pointee?: string }
  /** `__arg_trusted`: a trusted pointer to the kernel struct of that (essential) name, NULL allowed with `__arg_nullable`. */
  | { kind: 'btf'; struct: string; nullable?: boolean }
  /** `struct bpf_dynptr *`: an initialised dynptr the function reads but may not mutate (ARG_PTR_TO_DYNPTR | MEM_RDONLY). */
  | { kind: 'dynptr' }
  /** `__arg_arena`: an arena pointer or a scalar (ARG_PTR_TO_ARENA); the function sees an unknown value. */
  | { kind: 'arena' };

/** One BTF func_info record. */
export interface FuncInfo {
  pc: number;
  name: string;
  /** The BTF FUNC type id (what BPF_PROG_LOAD's func_info carries). */
  typeId?: number;
  /** BTF linkage: global functions are verified on their own, from their BTF signature. */
  linkage?: 'static' | 'global';
  /** The BTF func_proto returns a small int or an enum (check_btf_func's scalar_return). */
  scalarReturn?: boolean;
  /** Arguments from the BTF func_proto, judged for this program's type. */
  params?: FuncParam[];
  /**
   * Why the kernel could not use the BTF signature (e.g. "arg#0 reference type('void') size
   * cannot be determined"), as it would log for a global function. `params` is then absent.
   */
  paramError?: string;
}

/**
 * What BPF_PROG_LOAD needs to load the program with BTF (func_info / line_info), which the
 * kernel requires for bpf_loop callbacks and verifies global functions from. Filled by the
 * ELF loader; the kernel binding uploads `raw` with BPF_BTF_LOAD.
 */
export interface ProgramBtf {
  /** The object's .BTF, fixed up as libbpf does (DATASEC sizes and variable offsets). */
  raw: Uint8Array;
  /** bpf_func_info records at final pcs, ascending, first at pc 0. */
  funcInfo: { pc: number; typeId: number }[];
  /** bpf_line_info records at final pcs (string offsets into raw's string section), ascending. */
  lineInfo: { pc: number; fileNameOff: number; lineOff: number; lineCol: number }[];
  /**
   * CO-RE relocations not applied yet (bpf_core_relo: local BTF type id, access string and its
   * string offset, enum bpf_core_relo_kind). The kernel binding hands them to BPF_PROG_LOAD,
   * which applies them against the running kernel; the loader removes them when it applied them.
   */
  coreRelos?: { pc: number; typeId: number; access: string; accessOff: number; kind: number }[];
  /**
   * Why the kernel cannot be given this BTF (e.g. a `.ksyms` DATASEC whose externs libbpf would
   * rewrite): `raw` is then the object's .BTF as compiled, good for bpflab (CO-RE, func info,
   * record decoding) but loaded into the kernel without BTF.
   */
  kernelRefuses?: string;
  /**
   * BPF_BTF_LOAD itself refuses `raw` and libbpf goes on without it ("BTF is optional,
   * ignoring"): the kernel verifies the program with no BTF at all (no func_info, maps without
   * key/value types).
   */
  kernelIgnores?: true;
}

/**
 * A program ready for the verifier, the VM or the JIT.
 *
 * Map references: an ld_imm64 with src 1 (BPF_PSEUDO_MAP_FD) or 2 (BPF_PSEUDO_MAP_VALUE)
 * carries in its first slot's `imm` the *index* into `maps` (not a file descriptor); for src 2
 * the second slot's `imm` is the offset into the value, as in the kernel. The kernel binding
 * replaces indices with real fds at load time.
 */
export interface Program {
  name: string;
  /** ELF section name, or "" when the program did not come from an ELF object. */
  section: string;
  type: ProgType;
  /** Attach target from the section name (e.g. "sys_enter" for tracepoint/raw_syscalls/sys_enter). */
  attachTo?: string | undefined;
  /** Expected attach type for program types that need one (e.g. cgroup_skb ingress/egress). */
  expectedAttachType?: number | undefined;
  /**
   * struct_ops programs: the struct_ops map member the program implements (libbpf loads it with
   * attach_btf_id = the kernel struct, expected_attach_type = the member's index there).
   */
  structOps?: { struct: string; member: string } | undefined;
  insns: Insn[];
  maps: MapSpec[];
  license: string;
  kernelVersion?: number | undefined;
  lineInfo?: LineInfo[] | undefined;
  funcInfo?: FuncInfo[] | undefined;
  /** BTF and its per-instruction records for the kernel (ELF objects with .BTF and .BTF.ext). */
  btf?: ProgramBtf | undefined;
  /** Where the program came from, for messages: file name. */
  file?: string | undefined;
  /**
   * The target kernel's BTF the program was loaded against (`--btf`); absent: the running
   * kernel's /sys/kernel/btf/vmlinux. BTF-typed contexts, kernel pointers and kfuncs refer to it.
   */
  targetBtf?: string | undefined;
  /**
   * Why the program cannot be loaded at all (libbpf fails it before the kernel sees it: an
   * unresolved extern, a relocation or call it cannot link), at which instruction. The other
   * programs of the object are unaffected; the verifier reports this as its error.
   */
  loadError?: { pc: number; message: string } | undefined;
  /**
   * pcs of ld_imm64 map references (src 1/2) that no relocation filled: their imm is a file
   * descriptor as written in the object (libbpf passes it through), not an index into `maps`.
   */
  rawMapFds?: number[] | undefined;
}

/**
 * `n` as a V8 small integer when it is one in value (an integral heap number from some caller's
 * arithmetic would turn the field's representation to double and deprecate the hidden class).
 */
const small = (n: number): number => ((n | 0) === n ? n | 0 : n);

/** What a MapSpec must have; the optional fields default to undefined. */
export type MapSpecInit = Pick<MapSpec, 'name' | 'type' | 'keySize' | 'valueSize' | 'maxEntries' | 'flags'> & Partial<MapSpec>;

/**
 * The one constructor of MapSpec objects (loaders, assembler, fuzz generators, engines): every
 * field present, in this order, so that all map specs share one V8 hidden class. Specs built as
 * literals with different optional fields, or copied with spreads, each get their own, and the
 * verifier's optimised code that reads `prog.maps[i]` deoptimises on every new one ("wrong map").
 */
export function makeMapSpec(m: MapSpecInit): MapSpec {
  return {
    name: m.name, type: m.type, keySize: small(m.keySize), valueSize: small(m.valueSize), maxEntries: small(m.maxEntries), flags: small(m.flags),
    inner: m.inner, initial: m.initial, readonly: m.readonly, pinning: m.pinning,
    btfKeyTypeId: m.btfKeyTypeId, btfValueTypeId: m.btfValueTypeId, mapExtra: m.mapExtra,
  };
}

/**
 * `a`, with V8's elements kind of an array of objects even when it is empty. An empty literal `[]`
 * has the kind "small integers", a different hidden class from every non-empty `maps` array, and
 * the verifier's and the VM's optimised code indexing `prog.maps` deoptimises on it ("wrong map").
 * One push and pop of a placeholder moves the array to the objects kind in place (no copy: the
 * loaders may still share it), with the same contents.
 */
export function objectElements<T extends object>(a: T[]): T[] {
  if (a.length === 0 && Object.isExtensible(a)) {
    a.push(PLACEHOLDER as T);
    a.pop();
  }
  return a;
}
const PLACEHOLDER: object = {};

/**
 * `a.map(f)` for objects, as an array of V8's objects elements kind whatever its length (`[].map(f)`
 * gives a small-integers array): the engines' per-program arrays of map instances.
 */
export function mapToObjects<T, U extends object>(a: readonly T[], f: (x: T, i: number) => U): U[] {
  const out: U[] = [PLACEHOLDER as U];
  out.pop();
  for (let i = 0; i < a.length; i++) out.push(f(a[i]!, i));
  return out;
}

/** What a Program must have; the optional fields default to undefined. */
export type ProgramInit = Pick<Program, 'name' | 'section' | 'type' | 'insns' | 'maps' | 'license'> & Partial<Program>;

/**
 * The one constructor of Program objects, for the same reason as makeMapSpec: every field present
 * in one order, one hidden class for programs from every loader, generator and mutator. Derive a
 * changed program with `makeProgram({ ...p, insns })` (the spread only feeds the constructor),
 * never with a bare `{ ...p, insns }`, whose result has a hidden class of its own.
 */
export function makeProgram(p: ProgramInit): Program {
  return {
    name: p.name, section: p.section, type: p.type, attachTo: p.attachTo, expectedAttachType: p.expectedAttachType, structOps: p.structOps,
    insns: p.insns, maps: objectElements(p.maps), license: p.license, kernelVersion: p.kernelVersion, lineInfo: p.lineInfo, funcInfo: p.funcInfo, btf: p.btf,
    file: p.file, targetBtf: p.targetBtf, loadError: p.loadError, rawMapFds: p.rawMapFds,
  };
}
