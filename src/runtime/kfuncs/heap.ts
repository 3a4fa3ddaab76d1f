/**
 * The kernel memory kfuncs allocate with bpf_mem_alloc (the bits iterator's copy of a large
 * bitmap): blocks at kernel-looking addresses that the program only ever holds inside an
 * iterator's opaque state, freed by the matching destroy. One heap per run; its size is bounded
 * (an allocation beyond it fails as bpf_mem_alloc does, with NULL) so that a program allocating
 * in a loop cannot exhaust the host.
 */

/** BPF_MEM_ALLOC_SIZE_MAX minus the free-list node a non-per-CPU block carries (bpf_mem_alloc_check_size). */
export const BPF_MEM_ALLOC_MAX_SIZE = 4096 - 8;
/** Live blocks a run may hold at once. */
export const MAX_LIVE_BLOCKS = 1024;
/** First block address: the x86-64 direct map (page_offset_base without KASLR). */
const HEAP_BASE = 0xffff_8880_0000_0000n;

export class KernelHeap {
  private readonly blocks = new Map<bigint, Uint8Array>();
  private next = HEAP_BASE;

  /** A zeroed block of `size` bytes, or 0n when the heap is full (the caller returns -ENOMEM). */
  alloc(size: number): bigint {
    if (this.blocks.size >= MAX_LIVE_BLOCKS) return 0n;
    const addr = this.next;
    this.next += 4096n;
    this.blocks.set(addr, new Uint8Array(size));
    return addr;
  }

  get(addr: bigint): Uint8Array | undefined {
    return this.blocks.get(addr);
  }

  free(addr: bigint): void {
    this.blocks.delete(addr);
  }
}
