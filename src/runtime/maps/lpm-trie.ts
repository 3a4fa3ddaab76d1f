/**
 * BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c): keys are { u32 prefixlen; u8 data[] } with
 * prefixlen in bits (data in network order, most significant bit first). Lookup returns the
 * longest stored prefix matching the key's first prefixlen bits; update/delete act on the exact
 * prefix. The stored key keeps the data bytes as last written (bits past prefixlen included).
 *
 * Storage: one exact-match table per prefix length, searched from the longest length down.
 * get-next-key follows the kernel's post-order walk of the trie: a more specific prefix comes
 * before the prefix containing it, and the 0 branch before the 1 branch.
 */
import type { MapSpec } from '../../isa/program.js';
import { MapBase, checkKey, checkValue, fail, throwIfError, u32At } from './base.js';
import { ERRNO } from './errno.js';
import { BPF_EXIST, BPF_NOEXIST } from './types.js';

interface Node {
  /** the full key as last written: prefixlen (LE u32) + data */
  key: Uint8Array;
  prefixlen: number;
  value: Uint8Array;
}

function bit(data: Uint8Array, off: number, i: number): number {
  return ((data[off + (i >> 3)] ?? 0) >> (7 - (i & 7))) & 1;
}

export class LpmTrie extends MapBase {
  private readonly dataSize: number;
  private readonly maxPrefix: number;
  /** prefixlen -> masked data string -> node */
  private readonly byLen = new Map<number, Map<string, Node>>();
  /** prefix lengths present, longest first */
  private lengths: number[] = [];
  private n = 0;
  private ordered: Node[] | null = null;

  constructor(spec: MapSpec) {
    super(spec, 1);
    this.dataSize = spec.keySize - 4;
    this.maxPrefix = this.dataSize * 8;
  }

  /** The first `len` bits of key data (after the 4-byte prefixlen), as a table key. */
  private masked(key: Uint8Array, len: number): string {
    let s = '';
    const full = len >> 3;
    for (let i = 0; i < full; i++) s += String.fromCharCode(key[4 + i] ?? 0);
    const rest = len & 7;
    if (rest) s += String.fromCharCode((key[4 + full] ?? 0) & (0xff << (8 - rest)) & 0xff);
    return s;
  }

  private exact(key: Uint8Array, len: number): Node | undefined {
    return this.byLen.get(len)?.get(this.masked(key, len));
  }

  private longest(key: Uint8Array): Node | undefined {
    // A lookup key longer than the trie's prefixes matches nothing (as the kernel answers).
    const limit = u32At(key);
    if (limit > this.maxPrefix) return undefined;
    for (const len of this.lengths) {
      if (len > limit) continue;
      const n = this.exact(key, len);
      if (n) return n;
    }
    return undefined;
  }

  private insert(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -ERRNO.EINVAL;
    const len = u32At(key);
    if (len > this.maxPrefix) return -ERRNO.EINVAL;
    const old = this.exact(key, len);
    if (old) {
      if (flags & BPF_NOEXIST) return -ERRNO.EEXIST;
    } else {
      if (flags & BPF_EXIST) return -ERRNO.ENOENT;
      if (this.n >= this.spec.maxEntries) return -ERRNO.ENOSPC;
    }
    const node: Node = { key: key.slice(0, this.spec.keySize), prefixlen: len, value: old?.value ?? new Uint8Array(this.spec.valueSize) };
    node.value.set(value.subarray(0, this.spec.valueSize));
    let table = this.byLen.get(len);
    if (!table) {
      table = new Map();
      this.byLen.set(len, table);
      this.lengths = [...this.byLen.keys()].sort((a, b) => b - a);
    }
    table.set(this.masked(key, len), node);
    if (!old) this.n++;
    this.ordered = null;
    return 0;
  }

  private remove(key: Uint8Array): number {
    const len = u32At(key);
    if (len > this.maxPrefix) return -ERRNO.EINVAL;
    const table = this.byLen.get(len);
    const m = this.masked(key, len);
    if (!table?.has(m)) return -ERRNO.ENOENT;
    table.delete(m);
    if (table.size === 0) {
      this.byLen.delete(len);
      this.lengths = this.lengths.filter((l) => l !== len);
    }
    this.n--;
    this.ordered = null;
    return 0;
  }

  /** Post-order of the trie: descendants before ancestors, 0 branch before 1 branch. */
  private order(): Node[] {
    if (this.ordered) return this.ordered;
    const all: Node[] = [];
    for (const t of this.byLen.values()) for (const n of t.values()) all.push(n);
    all.sort((a, b) => {
      const common = Math.min(a.prefixlen, b.prefixlen);
      for (let i = 0; i < common; i++) {
        const x = bit(a.key, 4, i);
        const y = bit(b.key, 4, i);
        if (x !== y) return x - y;
      }
      return b.prefixlen - a.prefixlen;
    });
    this.ordered = all;
    return all;
  }

  lookup(key: Uint8Array): Uint8Array {
    checkKey(this.spec, key);
    const n = this.longest(key);
    if (!n) fail('ENOENT', `${this.label()}: no matching prefix`);
    return n.value.slice();
  }

  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    checkKey(this.spec, key);
    checkValue(this.spec, value);
    throwIfError(this.insert(key, value, flags), `${this.label()}: update`);
  }

  delete(key: Uint8Array): void {
    checkKey(this.spec, key);
    throwIfError(this.remove(key), `${this.label()}: delete`);
  }

  nextKey(key: Uint8Array | null): Uint8Array | undefined {
    const all = this.order();
    if (key) checkKey(this.spec, key);
    const cur = key && u32At(key) <= this.maxPrefix ? this.exact(key, u32At(key)) : undefined;
    // A missing key restarts from the leftmost node.
    const i = cur ? all.indexOf(cur) + 1 : 0;
    return all[i]?.key.slice();
  }

  count(): number {
    return this.n;
  }

  override lookupRef(key: Uint8Array, _cpu: number): Uint8Array | null {
    return this.longest(key)?.value ?? null;
  }

  override updateFromProgram(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.insert(key, value, flags);
  }

  override deleteFromProgram(key: Uint8Array): number {
    return this.remove(key);
  }
}
