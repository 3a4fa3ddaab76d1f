/**
 * Byte layouts of `union bpf_attr` (include/uapi/linux/bpf.h, Linux 6.18) for the commands used
 * here. Each builder returns exactly the prefix of the union the command reads; the kernel
 * accepts a shorter attr and zero-fills the rest.
 */

/** BPF_MAP_CREATE: offsets of the anonymous map-create struct. */
export const MAP_CREATE = {
  size: 80,
  map_type: 0,
  key_size: 4,
  value_size: 8,
  max_entries: 12,
  map_flags: 16,
  inner_map_fd: 20,
  numa_node: 24,
  map_name: 28, // char[16]
  map_ifindex: 44,
  btf_fd: 48,
  btf_key_type_id: 52,
  btf_value_type_id: 56,
  btf_vmlinux_value_type_id: 60,
  map_extra: 64, // u64
  value_type_btf_obj_fd: 72,
  map_token_fd: 76,
} as const;

/** BPF_MAP_*_ELEM and BPF_MAP_GET_NEXT_KEY. */
export const MAP_ELEM = {
  size: 32,
  map_fd: 0,
  key: 8, // u64 pointer
  value: 16, // u64 pointer (next_key for GET_NEXT_KEY)
  flags: 24, // u64
} as const;

/** BPF_PROG_LOAD (up to and including log_true_size). */
export const PROG_LOAD = {
  size: 144,
  prog_type: 0,
  insn_cnt: 4,
  insns: 8,
  license: 16,
  log_level: 24,
  log_size: 28,
  log_buf: 32,
  kern_version: 40,
  prog_flags: 44,
  prog_name: 48, // char[16]
  prog_ifindex: 64,
  expected_attach_type: 68,
  prog_btf_fd: 72,
  func_info_rec_size: 76,
  func_info: 80,
  func_info_cnt: 88,
  line_info_rec_size: 92,
  line_info: 96,
  line_info_cnt: 104,
  attach_btf_id: 108,
  attach_prog_fd: 112,
  core_relo_cnt: 116,
  fd_array: 120,
  core_relos: 128,
  core_relo_rec_size: 136,
  log_true_size: 140,
} as const;

/** BPF_BTF_LOAD. */
export const BTF_LOAD = {
  size: 32,
  btf: 0, // u64 pointer
  btf_log_buf: 8, // u64 pointer
  btf_size: 16,
  btf_log_size: 20,
  btf_log_level: 24,
  btf_log_true_size: 28,
} as const;

/** Record sizes of the func_info / line_info arrays BPF_PROG_LOAD reads. */
export const BPF_FUNC_INFO_SIZE = 8;
export const BPF_LINE_INFO_SIZE = 16;
/** struct bpf_core_relo { insn_off (bytes), type_id, access_str_off, kind }. */
export const BPF_CORE_RELO_SIZE = 16;

/** BPF_PROG_TEST_RUN (`test` struct). */
export const PROG_TEST_RUN = {
  size: 80,
  prog_fd: 0,
  retval: 4,
  data_size_in: 8,
  data_size_out: 12,
  data_in: 16,
  data_out: 24,
  repeat: 32,
  duration: 36,
  ctx_size_in: 40,
  ctx_size_out: 44,
  ctx_in: 48,
  ctx_out: 56,
  flags: 64,
  cpu: 68,
  batch_size: 72,
} as const;

/** BPF_LINK_CREATE (the common part, then perf_event.bpf_cookie). */
export const LINK_CREATE = {
  size: 64,
  prog_fd: 0,
  target_fd: 4,
  attach_type: 8,
  flags: 12,
  perf_event_bpf_cookie: 16,
} as const;

/** A little-endian writer/reader over an attr buffer. */
export class Attr {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u32(off: number, v: number): this {
    this.view.setUint32(off, v >>> 0, true);
    return this;
  }
  u64(off: number, v: bigint): this {
    this.view.setBigUint64(off, BigInt.asUintN(64, v), true);
    return this;
  }
  /** A NUL-terminated name in a char[16] field, reduced to the characters the kernel accepts. */
  name(off: number, s: string): this {
    const clean = s.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
    for (let i = 0; i < clean.length; i++) this.bytes[off + i] = clean.charCodeAt(i);
    return this;
  }
  getU32(off: number): number {
    return this.view.getUint32(off, true);
  }
}
