/**
 * BPF_MAP_TYPE_LRU_HASH and LRU_PERCPU_HASH (kernel/bpf/hashtab.c over bpf_lru_list.c).
 *
 * - Every element lives in one of max_entries preallocated nodes; the LRU lists (lru-lists.ts)
 *   hand nodes out and take them back, evicting elements on the way as the kernel does, which is
 *   well before the map is full for maps smaller than 256 entries per possible CPU.
 * - lru_hash: an update always takes a fresh node (even to replace a key, even when the flags
 *   then refuse it), writes the value there, and frees the old element's node; a replaced element
 *   is marked referenced. A pointer a program got from lookup keeps pointing at the old node.
 * - lru_percpu_hash: a new key takes a node (not with BPF_EXIST); an existing key is updated in
 *   place and marked referenced.
 * - A program's lookup marks the element referenced; a user-space lookup does not.
 * - Programs run on their `cpu`; user-space operations are made on CPU 0 (the VM's default CPU):
 *   the kernel matches when the process that fills the maps and test-runs the program stays on
 *   one CPU.
 */
import type { MapSpec } from '../../isa/program.js';
import {
  MapBase,
  checkKey,
  checkPercpuValue,
  checkUpdateFlags,
  checkValue,
  fail,
  round8,
  throwIfError,
  userValue,
  valueSlots,
  writeUserValue,
} from './base.js';
import { ERRNO } from './errno.js';
import { MemoryBudget } from './budget.js';
import { BPF_F_NO_COMMON_LRU } from './flags.js';
import { LruLists } from './lru-lists.js';
import { OrderedTable, type TableEntry } from './table.js';
import { BPF_EXIST, BPF_NOEXIST } from './types.js';

/** One node's per-CPU value views (one view for lru_hash), backed by one 8-aligned buffer. */
type Slots = Uint8Array[];

/** Roughly what bpflab spends per node beyond key and value (list links, index, views). */
const NODE_OVERHEAD = 160;

/** The CPU user-space map operations are made on. */
const USER_CPU = 0;

export class LruHashMap extends MapBase {
  private readonly percpu: boolean;
  /** Key -> the node holding the element. */
  private readonly table: OrderedTable<number>;
  private readonly lru: LruLists;
  /** Per node: its value storage (made on first use) and the table entry holding it, if any. */
  private readonly slots: Slots[] = [];
  private readonly holder: Array<TableEntry<number> | null> = [];
  private readonly nodeBytes: number;

  /**
   * `cpus`: per-CPU value slots of lru_percpu_hash; `possibleCpus`: the machine's possible CPUs,
   * which size the LRU's per-CPU lists (default `cpus`).
   */
  constructor(spec: MapSpec, cpus: number, private readonly budget: MemoryBudget = new MemoryBudget(), private readonly possibleCpus = cpus) {
    const percpu = spec.type === 'lru_percpu_hash';
    super(spec, percpu ? cpus : 1);
    this.percpu = percpu;
    this.table = new OrderedTable<number>(spec.keySize);
    this.nodeBytes = round8(spec.keySize) + round8(spec.valueSize) * this.cpus + NODE_OVERHEAD;
    this.lru = new LruLists(spec.maxEntries, possibleCpus, (spec.flags & BPF_F_NO_COMMON_LRU) !== 0, (node) => this.evict(node));
  }

  /** htab_lru_map_delete_node: the LRU takes `node` back; its element leaves the table. */
  private evict(node: number): boolean {
    const e = this.holder[node];
    if (!e) return false;
    this.table.remove(e);
    this.holder[node] = null;
    return true;
  }

  private slotsOf(node: number): Slots {
    let s = this.slots[node];
    if (!s) {
      if (!this.budget.tryCharge(this.nodeBytes)) this.budget.charge(this.nodeBytes, `${this.label()}: element ${this.table.size + 1}`);
      s = valueSlots(this.spec.valueSize, this.cpus);
      this.slots[node] = s;
    }
    return s;
  }

  /** Removes the element `e` and frees its node (htab_lru_push_free). */
  private drop(e: TableEntry<number>): void {
    this.table.remove(e);
    this.holder[e.data] = null;
    this.lru.pushFree(e.data);
  }

  /**
   * htab_lru_map_update_elem / __htab_lru_percpu_map_update_elem. `write` fills a node's values:
   * `fresh` tells a new element (per-CPU: the other CPUs' values start zeroed) from an existing one.
   */
  private upsert(key: Uint8Array, flags: number, cpu: number, write: (s: Slots, fresh: boolean) => void): number {
    if (checkUpdateFlags(flags) < 0) return -ERRNO.EINVAL;
    if (!(cpu >= 0 && cpu < this.possibleCpus))
      throw new RangeError(`map ${this.spec.name}: cpu ${cpu} outside 0..${this.possibleCpus - 1} (create the map with opts.possibleCpus)`);
    // (the node is taken before the key is looked up: taking it may evict that very key)
    const takes = !(this.percpu && flags === BPF_EXIST);
    const node = takes ? this.lru.popFree(cpu) : -1;
    if (takes && node < 0) return -ERRNO.ENOMEM;
    // (lru_hash copies the value into the new node before the flags are checked)
    if (!this.percpu) write(this.slotsOf(node), true);
    const old = this.table.get(key);
    const refused = old && flags === BPF_NOEXIST ? -ERRNO.EEXIST : !old && flags === BPF_EXIST ? -ERRNO.ENOENT : 0;
    if (refused) {
      if (node >= 0) this.lru.pushFree(node);
      return refused;
    }
    if (this.percpu && old) {
      this.lru.setRef(old.data);
      write(this.slotsOf(old.data), false);
      if (node >= 0) this.lru.pushFree(node);
      return 0;
    }
    if (this.percpu) write(this.slotsOf(node), true);
    if (old) {
      const previous = old.data;
      this.lru.setRef(node);
      old.data = node;
      this.holder[node] = old;
      this.holder[previous] = null;
      this.lru.pushFree(previous);
    } else {
      this.holder[node] = this.table.insert(key, node);
    }
    return 0;
  }

  lookup(key: Uint8Array): Uint8Array {
    checkKey(this.spec, key);
    const e = this.table.get(key);
    if (!e) fail('ENOENT', `${this.label()}: no such key`);
    return userValue(this.slotsOf(e.data), this.percpu, this.spec.valueSize);
  }

  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    checkKey(this.spec, key);
    if (this.percpu) checkPercpuValue(this.spec, this.cpus, value);
    else checkValue(this.spec, value);
    // (user space writes every CPU's value, new element or not: onallcpus)
    const r = this.upsert(key, flags, USER_CPU, (s) => writeUserValue(this.spec, s, this.percpu, value));
    throwIfError(r, `${this.label()}: update`);
  }

  delete(key: Uint8Array): void {
    checkKey(this.spec, key);
    const e = this.table.get(key);
    if (!e) fail('ENOENT', `${this.label()}: no such key`);
    this.drop(e);
  }

  nextKey(key: Uint8Array | null): Uint8Array | undefined {
    if (key) checkKey(this.spec, key);
    return this.table.after(key)?.key.slice();
  }

  count(): number {
    return this.table.size;
  }

  override lookupRef(key: Uint8Array, cpu: number): Uint8Array | null {
    const e = this.table.get(key);
    if (!e) return null;
    this.lru.setRef(e.data);
    const s = this.slotsOf(e.data);
    if (!this.percpu) return s[0]!;
    this.checkCpu(cpu);
    return s[cpu]!;
  }

  override updateFromProgram(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (this.percpu) this.checkCpu(cpu);
    const v = value.subarray(0, this.spec.valueSize);
    return this.upsert(key, flags, cpu, (s, fresh) => {
      if (!this.percpu) return s[0]!.set(v);
      // (pcpu_init_value: a new element's other CPUs start zeroed; pcpu_copy_value: only this CPU's)
      if (fresh) for (const slot of s) slot.fill(0);
      s[cpu]!.set(v);
    });
  }

  override deleteFromProgram(key: Uint8Array): number {
    const e = this.table.get(key);
    if (!e) return -ERRNO.ENOENT;
    this.drop(e);
    return 0;
  }
}
