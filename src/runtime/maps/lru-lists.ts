/**
 * The kernel's LRU node lists (kernel/bpf/bpf_lru_list.c), which decide which element an LRU hash
 * map evicts and when. They are not an exact LRU:
 *
 * - Common LRU (the default): one global list set (active, inactive, free) plus, per possible CPU,
 *   a local free list and a local pending list. An update takes a node from its CPU's local free
 *   list. When that is empty, the CPU first flushes its pending nodes into the global lists,
 *   rotates them, then moves up to `target_free` nodes from the global free list to its local free
 *   list, and when the global free list holds fewer, shrinks the inactive list (evicting elements)
 *   to make up the difference. `target_free` is clamp(max_entries / possible CPUs / 2, 1, 128),
 *   so a map evicts long before it is full (a 2-entry map on a 2-CPU machine evicts at its second
 *   distinct key).
 * - Per-CPU LRU (BPF_F_NO_COMMON_LRU): each possible CPU owns max_entries / CPUs nodes and its own
 *   list set; an update only ever uses (and evicts from) its CPU's nodes.
 *
 * Nodes carry a reference bit: set by a program's lookup (and by replacing an element), cleared when
 * a node moves; rotation and shrinking give referenced nodes another round in the active list.
 *
 * The lists are doubly linked through index arrays, with one sentinel per list head, so that the
 * traversal orders (head first, tail first, the inactive rotation cursor) are the kernel's. Nodes
 * are created on first use: a map of a million entries costs nothing until it is filled; a list's
 * never-used nodes sit, implicitly, at the tail of its free list (where bpf_lru_populate put them).
 */

/** Node list types (enum bpf_lru_list_type); the first two are counted. */
const ACTIVE = 0;
const INACTIVE = 1;
const FREE = 2;
const LOCAL_FREE = 3;
const LOCAL_PENDING = 4;

/** LOCAL_FREE_TARGET: the most nodes a CPU moves from the global free list at once. */
const LOCAL_FREE_TARGET = 128;
/** LOCAL_NR_SCANS / PERCPU_NR_SCANS: nodes examined per rotation or shrink. */
const LOCAL_NR_SCANS = LOCAL_FREE_TARGET;
const PERCPU_FREE_TARGET = 4;
const PERCPU_NR_SCANS = PERCPU_FREE_TARGET;

/** One struct bpf_lru_list: the heads of its active/inactive/free lists are sentinels base+0..2. */
interface LruList {
  readonly base: number;
  /** counts[ACTIVE], counts[INACTIVE]. */
  readonly counts: [number, number];
  /** Where the next inactive rotation starts (a node, or the inactive head). */
  nextInactiveRotation: number;
  /** Nodes of this list's free list never used yet (after the linked ones). */
  untouched: number;
  /** The CPU that owns the list's nodes (per-CPU LRU), else 0. */
  readonly cpu: number;
}

/** One struct bpf_lru_locallist: the heads of its free and pending lists are sentinels base+0..1. */
interface LocalList {
  readonly base: number;
  nextSteal: number;
}

/** Answers whether the element holding `node` was removed from the hash table (htab_lru_map_delete_node). */
export type EvictNode = (node: number) => boolean;

export class LruLists {
  /** The number of nodes the lists manage (per-CPU LRU: max_entries rounded up to a multiple of the CPUs). */
  readonly capacity: number;
  private readonly next: number[] = [];
  private readonly prev: number[] = [];
  private readonly type: number[] = [];
  private readonly ref: number[] = [];
  private readonly cpuOf: number[] = [];
  /** Common LRU: the global list; per-CPU LRU: one list per CPU. */
  private readonly lists: LruList[] = [];
  private readonly locals: LocalList[] = [];
  private readonly targetFree: number;
  private readonly nrScans: number;
  /** Index of the first node (sentinels come first). */
  private readonly firstNode: number;

  constructor(maxEntries: number, private readonly possibleCpus: number, readonly percpu: boolean, private readonly evict: EvictNode) {
    if (percpu) {
      // htab_map_alloc: every CPU's list gets the same number of nodes, at least one.
      let n = Math.ceil(maxEntries / possibleCpus) * possibleCpus;
      if (n > 0xffffffff) n = Math.floor(maxEntries / possibleCpus) * possibleCpus;
      this.capacity = n;
      for (let c = 0; c < possibleCpus; c++) this.lists.push(this.newList(n / possibleCpus, c));
      this.nrScans = PERCPU_NR_SCANS;
      this.targetFree = PERCPU_FREE_TARGET;
    } else {
      this.capacity = maxEntries;
      this.lists.push(this.newList(maxEntries, 0));
      for (let c = 0; c < possibleCpus; c++) {
        const base = this.newSentinels(2);
        this.locals.push({ base, nextSteal: c });
      }
      this.nrScans = LOCAL_NR_SCANS;
      // (bpf_common_lru_populate: a small map must not park all its nodes in one CPU's local list)
      this.targetFree = Math.min(Math.max(Math.floor(Math.floor(maxEntries / possibleCpus) / 2), 1), LOCAL_FREE_TARGET);
    }
    this.firstNode = this.next.length;
  }

  /** bpf_lru_pop_free on `cpu`: a node for a new element (now pending, or inactive), or -1 (ENOMEM). */
  popFree(cpu: number): number {
    return this.percpu ? this.percpuPopFree(cpu) : this.commonPopFree(cpu);
  }

  /** bpf_lru_push_free: `node`'s element is gone; the node is free again. */
  pushFree(node: number): void {
    if (this.percpu) {
      this.move(this.lists[this.cpuOf[node]!]!, node, FREE);
      return;
    }
    if (this.type[node] === LOCAL_PENDING) {
      const loc = this.locals[this.cpuOf[node]!]!;
      this.type[node] = LOCAL_FREE;
      this.ref[node] = 0;
      this.listMove(node, loc.base);
      return;
    }
    this.move(this.lists[0]!, node, FREE);
  }

  /** bpf_lru_node_set_ref: a program looked the element up (or replaced it). */
  setRef(node: number): void {
    this.ref[node] = 1;
  }

  /** Whether `node` is a node index (not a sentinel). */
  isNode(node: number): boolean {
    return node >= this.firstNode && node < this.next.length;
  }

  // ---- list primitives (include/linux/list.h) ----

  private newSentinels(k: number): number {
    const base = this.next.length;
    for (let i = 0; i < k; i++) {
      const h = base + i;
      this.next.push(h);
      this.prev.push(h);
      this.type.push(-1);
      this.ref.push(0);
      this.cpuOf.push(0);
    }
    return base;
  }

  private newList(nodes: number, cpu: number): LruList {
    const base = this.newSentinels(3);
    return { base, counts: [0, 0], nextInactiveRotation: base + INACTIVE, untouched: nodes, cpu };
  }

  private listDel(x: number): void {
    const p = this.prev[x]!, n = this.next[x]!;
    this.next[p] = n;
    this.prev[n] = p;
  }

  /** list_add: `x` right after `head`. */
  private listAdd(x: number, head: number): void {
    const n = this.next[head]!;
    this.next[x] = n;
    this.prev[x] = head;
    this.prev[n] = x;
    this.next[head] = x;
  }

  private listMove(x: number, head: number): void {
    this.listDel(x);
    this.listAdd(x, head);
  }

  /** The first node of `l`'s free list (creating a never-used one if need be), or -1. */
  private firstFree(l: LruList): number {
    const head = l.base + FREE;
    if (this.next[head] !== head) return this.next[head]!;
    if (l.untouched === 0) return -1;
    l.untouched--;
    const x = this.next.length;
    this.next.push(head);
    this.prev.push(head);
    this.type.push(FREE);
    this.ref.push(0);
    this.cpuOf.push(l.cpu);
    this.next[head] = x;
    this.prev[head] = x;
    return x;
  }

  // ---- node moves between the lists of one bpf_lru_list ----

  private countDec(l: LruList, t: number): void {
    if (t === ACTIVE || t === INACTIVE) l.counts[t]--;
  }

  private countInc(l: LruList, t: number): void {
    if (t === ACTIVE || t === INACTIVE) l.counts[t]++;
  }

  /** __bpf_lru_node_move_to_free: out of the active/inactive lists onto `freeHead`. */
  private moveToFree(l: LruList, x: number, freeHead: number, t: number): void {
    if (x === l.nextInactiveRotation) l.nextInactiveRotation = this.prev[x]!;
    this.countDec(l, this.type[x]!);
    this.type[x] = t;
    this.listMove(x, freeHead);
  }

  /** __bpf_lru_node_move_in: from a local list into the global active/inactive list. */
  private moveIn(l: LruList, x: number, t: number): void {
    this.countInc(l, t);
    this.type[x] = t;
    this.ref[x] = 0;
    this.listMove(x, l.base + t);
  }

  /** __bpf_lru_node_move: between (or within) the active, inactive and free lists. */
  private move(l: LruList, x: number, t: number): void {
    const from = this.type[x]!;
    if (from !== t) {
      this.countDec(l, from);
      this.countInc(l, t);
      this.type[x] = t;
    }
    this.ref[x] = 0;
    if (x === l.nextInactiveRotation) l.nextInactiveRotation = this.prev[x]!;
    this.listMove(x, l.base + t);
  }

  // ---- rotation and shrinking ----

  /** __bpf_lru_list_rotate_active: from the tail, referenced nodes back to the head, the rest to inactive. */
  private rotateActive(l: LruList): void {
    const head = l.base + ACTIVE;
    const first = this.next[head]!;
    let i = 0;
    for (let x = this.prev[head]!; x !== head; ) {
      const before = this.prev[x]!;
      this.move(l, x, this.ref[x] ? ACTIVE : INACTIVE);
      if (++i === this.nrScans || x === first) break;
      x = before;
    }
  }

  /** __bpf_lru_list_rotate_inactive: from the cursor toward the head, referenced nodes to active. */
  private rotateInactive(l: LruList): void {
    const head = l.base + INACTIVE;
    if (this.next[head] === head) return;
    let last = this.next[l.nextInactiveRotation]!;
    if (last === head) last = this.next[last]!;
    let cur = l.nextInactiveRotation;
    let following = cur;
    let i = 0;
    while (i < this.nrScans) {
      if (cur === head) {
        cur = this.prev[cur]!;
        continue;
      }
      following = this.prev[cur]!;
      if (this.ref[cur]) this.move(l, cur, ACTIVE);
      if (cur === last) break;
      cur = following;
      i++;
    }
    l.nextInactiveRotation = following;
  }

  /** __bpf_lru_list_shrink_inactive: evicts unreferenced inactive nodes from the tail, up to `want`. */
  private shrinkInactive(l: LruList, want: number, freeHead: number, t: number): number {
    const head = l.base + INACTIVE;
    let got = 0;
    let i = 0;
    for (let x = this.prev[head]!; x !== head; ) {
      const before = this.prev[x]!;
      if (this.ref[x]) {
        this.move(l, x, ACTIVE);
      } else if (this.evict(x)) {
        this.moveToFree(l, x, freeHead, t);
        if (++got === want) break;
      }
      if (++i === this.nrScans) break;
      x = before;
    }
    return got;
  }

  private rotate(l: LruList): void {
    if (l.counts[INACTIVE] < l.counts[ACTIVE]) this.rotateActive(l);
    this.rotateInactive(l);
  }

  /** __bpf_lru_list_shrink: as shrinkInactive, else force one eviction (inactive tail first, then active). */
  private shrink(l: LruList, want: number, freeHead: number, t: number): number {
    const got = this.shrinkInactive(l, want, freeHead, t);
    if (got) return got;
    const inactive = l.base + INACTIVE;
    const forced = this.next[inactive] !== inactive ? inactive : l.base + ACTIVE;
    for (let x = this.prev[forced]!; x !== forced; ) {
      const before = this.prev[x]!;
      if (this.evict(x)) {
        this.moveToFree(l, x, freeHead, t);
        return 1;
      }
      x = before;
    }
    return 0;
  }

  // ---- common LRU ----

  /** __local_list_flush: pending nodes (tail first) into the global active (referenced) or inactive list. */
  private flush(l: LruList, loc: LocalList): void {
    const pending = loc.base + 1;
    for (let x = this.prev[pending]!; x !== pending; ) {
      const before = this.prev[x]!;
      this.moveIn(l, x, this.ref[x] ? ACTIVE : INACTIVE);
      x = before;
    }
  }

  /** bpf_lru_list_pop_free_to_local. */
  private refillLocal(loc: LocalList): void {
    const l = this.lists[0]!;
    this.flush(l, loc);
    this.rotate(l);
    let got = 0;
    while (got < this.targetFree) {
      const x = this.firstFree(l);
      if (x < 0) break;
      this.moveToFree(l, x, loc.base, LOCAL_FREE);
      got++;
    }
    if (got < this.targetFree) this.shrink(l, this.targetFree - got, loc.base, LOCAL_FREE);
  }

  private localPopFree(loc: LocalList): number {
    const x = this.next[loc.base]!;
    if (x === loc.base) return -1;
    this.listDel(x);
    return x;
  }

  /** __local_list_pop_pending: the oldest unreferenced pending node, else the oldest pending one. */
  private localPopPending(loc: LocalList): number {
    const pending = loc.base + 1;
    for (const force of [false, true])
      for (let x = this.prev[pending]!; x !== pending; x = this.prev[x]!)
        if ((force || !this.ref[x]) && this.evict(x)) {
          this.listDel(x);
          return x;
        }
    return -1;
  }

  private addPending(loc: LocalList, cpu: number, x: number): void {
    this.cpuOf[x] = cpu;
    this.type[x] = LOCAL_PENDING;
    this.ref[x] = 0;
    this.listAdd(x, loc.base + 1);
  }

  private commonPopFree(cpu: number): number {
    const loc = this.locals[cpu]!;
    let x = this.localPopFree(loc);
    if (x < 0) {
      this.refillLocal(loc);
      x = this.localPopFree(loc);
    }
    if (x >= 0) {
      this.addPending(loc, cpu, x);
      return x;
    }
    // Nothing free here nor globally: steal a free or pending node, CPU by CPU from next_steal.
    const first = loc.nextSteal;
    let steal = first;
    do {
      const victim = this.locals[steal]!;
      x = this.localPopFree(victim);
      if (x < 0) x = this.localPopPending(victim);
      steal = (steal + 1) % this.possibleCpus;
    } while (x < 0 && steal !== first);
    loc.nextSteal = steal;
    if (x >= 0) this.addPending(loc, cpu, x);
    return x;
  }

  // ---- per-CPU LRU ----

  private percpuPopFree(cpu: number): number {
    const l = this.lists[cpu]!;
    this.rotate(l);
    const free = l.base + FREE;
    if (this.firstFree(l) < 0) this.shrink(l, PERCPU_FREE_TARGET, free, FREE);
    const x = this.firstFree(l);
    if (x < 0) return -1;
    this.ref[x] = 0;
    this.move(l, x, INACTIVE);
    return x;
  }
}
