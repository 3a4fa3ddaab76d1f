/**
 * A user-space consumer of a kernel BPF_MAP_TYPE_RINGBUF, as libbpf's ring_buffer__consume reads
 * it: the consumer position page mapped read-write, the producer page and the data area (mapped
 * twice in a row by the kernel, so a record that wraps is contiguous) mapped read-only; records
 * are 8-byte headers (length with BUSY/DISCARD bits) followed by the data, 8-byte aligned.
 */
import { mmapFd, PROT_READ, PROT_WRITE, unmap } from './perf.js';

const PAGE = 4096;
const BUSY = 0x80000000, DISCARD = 0x40000000;
const HDR = 8;

export class RingBufReader {
  private readonly cons: ReturnType<typeof mmapFd>;
  private readonly prod: ReturnType<typeof mmapFd>;
  private readonly consView: DataView;
  private readonly prodView: DataView;
  private readonly mask: bigint;

  /** `size` is the map's max_entries (a power of two, a multiple of the page size). */
  constructor(fd: number, private readonly size: number) {
    this.cons = mmapFd(fd, PAGE, PROT_READ | PROT_WRITE, 0);
    try {
      this.prod = mmapFd(fd, PAGE + 2 * size, PROT_READ, PAGE);
    } catch (e) {
      unmap(this.cons);
      throw e;
    }
    this.consView = new DataView(this.cons.bytes.buffer, this.cons.bytes.byteOffset, PAGE);
    this.prodView = new DataView(this.prod.bytes.buffer, this.prod.bytes.byteOffset, this.prod.len);
    this.mask = BigInt(size - 1);
  }

  /** Every committed record since the last call, in order (discarded ones skipped). */
  consume(): Uint8Array[] {
    const out: Uint8Array[] = [];
    let cons = this.consView.getBigUint64(0, true);
    const prod = this.prodView.getBigUint64(0, true);
    while (cons < prod) {
      const at = PAGE + Number(cons & this.mask);
      const hdr = this.prodView.getUint32(at, true);
      if (hdr & BUSY) break; // reserved, not committed yet
      const len = hdr & ~(BUSY | DISCARD);
      if (!(hdr & DISCARD)) out.push(this.prod.bytes.slice(at + HDR, at + HDR + len));
      cons += BigInt((len + HDR + 7) & ~7);
      this.consView.setBigUint64(0, cons, true);
    }
    return out;
  }

  close(): void {
    unmap(this.prod);
    unmap(this.cons);
  }
}
