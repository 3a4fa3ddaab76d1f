/**
 * BPF_MAP_TYPE_STACK_TRACE (kernel/bpf/stackmap.c): bpf_get_stackid hashes a stack of
 * instruction pointers into one of roundup_pow_of_two(max_entries) buckets; the bucket number is
 * the stack id. The value is value_size / 8 u64 ips, zero-padded. bpflab's hash is FNV-1a over
 * the ips (the kernel uses jhash2), so ids differ from the kernel's but collide the same way.
 */
import type { MapSpec } from '../../isa/program.js';
import { MapBase, checkKey, fail, u32At, u32Bytes } from './base.js';
import { ERRNO } from './errno.js';
import { BPF_F_FAST_STACK_CMP, BPF_F_REUSE_STACKID, BPF_F_SKIP_FIELD_MASK, BPF_F_USER_STACK } from './flags.js';
import type { StackTraceMap } from './types.js';

function pow2ceil(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function hashIps(ips: readonly bigint[]): number {
  let h = 0x811c9dc5;
  for (const ip of ips) {
    let v = BigInt.asUintN(64, ip);
    for (let i = 0; i < 8; i++) {
      h ^= Number(v & 0xffn);
      h = Math.imul(h, 0x01000193) >>> 0;
      v >>= 8n;
    }
  }
  return h >>> 0;
}

interface Bucket {
  hash: number;
  ips: bigint[];
}

export class StackTrace extends MapBase implements StackTraceMap {
  private readonly buckets: Array<Bucket | null>;
  private readonly depth: number;

  constructor(spec: MapSpec) {
    super(spec, 1);
    this.buckets = new Array<Bucket | null>(pow2ceil(spec.maxEntries)).fill(null);
    this.depth = spec.valueSize / 8;
  }

  getStackId(ips: readonly bigint[], flags: number): number {
    if (flags & ~(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID)) return -ERRNO.EINVAL;
    const skip = flags & BPF_F_SKIP_FIELD_MASK;
    const trace = ips.slice(skip, skip + this.depth).map((x) => BigInt.asUintN(64, x));
    if (trace.length === 0) return -ERRNO.EFAULT;
    const hash = hashIps(trace);
    const id = hash & (this.buckets.length - 1);
    const b = this.buckets[id];
    const same = b !== null && b !== undefined && b.hash === hash && (flags & BPF_F_FAST_STACK_CMP || sameIps(b.ips, trace));
    if (same) return id;
    if (b && !(flags & BPF_F_REUSE_STACKID)) return -ERRNO.EEXIST;
    this.buckets[id] = { hash, ips: trace };
    return id;
  }

  lookup(key: Uint8Array): Uint8Array {
    checkKey(this.spec, key);
    const b = this.buckets[u32At(key)];
    if (!b) fail('ENOENT', `${this.label()}: no stack with id ${u32At(key)}`);
    const out = new Uint8Array(this.spec.valueSize);
    const dv = new DataView(out.buffer);
    b.ips.forEach((ip, i) => dv.setBigUint64(i * 8, ip, true));
    return out;
  }

  update(key: Uint8Array, _value: Uint8Array, _flags = 0): void {
    checkKey(this.spec, key);
    fail('EINVAL', `${this.label()}: stacks are written only by bpf_get_stackid`);
  }

  delete(key: Uint8Array): void {
    checkKey(this.spec, key);
    const id = u32At(key);
    if (id >= this.buckets.length) fail('E2BIG', `${this.label()}: id ${id} >= ${this.buckets.length} buckets`);
    if (!this.buckets[id]) fail('ENOENT', `${this.label()}: no stack with id ${id}`);
    this.buckets[id] = null;
  }

  nextKey(key: Uint8Array | null): Uint8Array | undefined {
    let id = 0;
    if (key) {
      checkKey(this.spec, key);
      const k = u32At(key);
      id = k >= this.buckets.length || !this.buckets[k] ? 0 : k + 1;
    }
    while (id < this.buckets.length && !this.buckets[id]) id++;
    return id < this.buckets.length ? u32Bytes(id) : undefined;
  }

  count(): number {
    return this.buckets.filter((b) => b !== null).length;
  }
}

function sameIps(a: readonly bigint[], b: readonly bigint[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
