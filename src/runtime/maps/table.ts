/**
 * An ordered key table: O(1) find/insert/delete and O(1) "next key after this one", in insertion
 * order. Hash-type maps use it for storage and BPF_MAP_GET_NEXT_KEY (the kernel walks buckets;
 * bpflab's order is insertion order, which is deterministic).
 */
import { keyRepr } from './base.js';

export interface TableEntry<T> {
  key: Uint8Array;
  data: T;
  prev: TableEntry<T> | null;
  next: TableEntry<T> | null;
}

export class OrderedTable<T> {
  private readonly index = new Map<number | string, TableEntry<T>>();
  private head: TableEntry<T> | null = null;
  private tail: TableEntry<T> | null = null;

  constructor(private readonly keySize: number) {}

  get size(): number {
    return this.index.size;
  }

  get(key: Uint8Array): TableEntry<T> | undefined {
    return this.index.get(keyRepr(key, this.keySize));
  }

  /** Inserts a new entry at the end (the caller checked it is absent). The key is copied. */
  insert(key: Uint8Array, data: T): TableEntry<T> {
    const e: TableEntry<T> = { key: key.slice(0, this.keySize), data, prev: this.tail, next: null };
    if (this.tail) this.tail.next = e;
    else this.head = e;
    this.tail = e;
    this.index.set(keyRepr(key, this.keySize), e);
    return e;
  }

  remove(e: TableEntry<T>): void {
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = null;
    this.index.delete(keyRepr(e.key, this.keySize));
  }

  first(): TableEntry<T> | null {
    return this.head;
  }

  /** The entry after `key`; the first entry when `key` is null or absent (htab_map_get_next_key). */
  after(key: Uint8Array | null): TableEntry<T> | null {
    if (!key) return this.head;
    const e = this.get(key);
    return e ? e.next : this.head;
  }

  *[Symbol.iterator](): IterableIterator<TableEntry<T>> {
    for (let e = this.head; e; e = e.next) yield e;
  }
}
