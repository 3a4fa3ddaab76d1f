/**
 * BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c): a power-of-two byte ring shared by all CPUs.
 *
 * Positions are counted as the kernel counts them: each record takes an 8-byte header plus its
 * size rounded up to 8. A reservation fails (NULL) when the producer would get more than
 * ring-size - 1 bytes ahead of the consumer or of the oldest still-pending record. The consumer
 * sees records in reservation order and stops at the first one still reserved (busy).
 * Records are kept as separate buffers (the kernel maps the data area twice to make wrapped
 * records contiguous; here every record is contiguous anyway).
 */
import type { MapSpec } from '../../isa/program.js';
import { MapBase, fail } from './base.js';
import { ERRNO } from './errno.js';
import {
  BPF_RB_AVAIL_DATA,
  BPF_RB_CONS_POS,
  BPF_RB_FORCE_WAKEUP,
  BPF_RB_NO_WAKEUP,
  BPF_RB_PROD_POS,
  BPF_RB_RING_SIZE,
} from './flags.js';
import type { RingBufMap, RingBufRecord } from './types.js';

const HDR = 8;
/** RINGBUF_MAX_RECORD_SZ = UINT_MAX / 4 */
const MAX_RECORD = Math.floor(0xffffffff / 4);

interface Rec {
  handle: number;
  pos: number;
  len: number;
  data: Uint8Array;
  state: 'busy' | 'committed' | 'discarded';
}

export class RingBuf extends MapBase implements RingBufMap {
  private consPos = 0;
  private prodPos = 0;
  private readonly records: Rec[] = [];
  private readonly byHandle = new Map<number, Rec>();
  private nextHandle = 1;
  /** Number of wakeups the kernel would have sent (for tests of BPF_RB_NO_WAKEUP / FORCE_WAKEUP). */
  wakeups = 0;

  constructor(spec: MapSpec) {
    super(spec, 1);
  }

  private get mask(): number {
    return this.spec.maxEntries - 1;
  }

  reserve(size: number, flags: number): RingBufRecord | null {
    if (flags !== 0) return null; // bpf_ringbuf_reserve: any flag -> NULL
    if (size < 0 || size > MAX_RECORD) return null;
    const len = (size + HDR + 7) & ~7;
    if (len > this.spec.maxEntries) return null;
    const pendPos = this.records.find((r) => r.state === 'busy')?.pos ?? this.prodPos;
    const newProd = this.prodPos + len;
    if (newProd - this.consPos > this.mask || newProd - pendPos > this.mask) return null;
    const rec: Rec = { handle: this.nextHandle++, pos: this.prodPos, len, data: new Uint8Array(size), state: 'busy' };
    this.prodPos = newProd;
    this.records.push(rec);
    this.byHandle.set(rec.handle, rec);
    return { handle: rec.handle, data: rec.data };
  }

  private commit(handle: number, flags: number, state: 'committed' | 'discarded'): void {
    const rec = this.byHandle.get(handle);
    if (!rec || rec.state !== 'busy') throw new RangeError(`${this.label()}: record ${handle} is not reserved`);
    rec.state = state;
    this.byHandle.delete(handle);
    // The kernel wakes the consumer if it is waiting at this record, unless told otherwise.
    if (flags & BPF_RB_FORCE_WAKEUP || (!(flags & BPF_RB_NO_WAKEUP) && rec.pos === this.consPos)) this.wakeups++;
  }

  submit(handle: number, flags: number): void {
    this.commit(handle, flags, 'committed');
  }

  discard(handle: number, flags: number): void {
    this.commit(handle, flags, 'discarded');
  }

  output(data: Uint8Array, flags: number): number {
    if (flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) return -ERRNO.EINVAL;
    const r = this.reserve(data.length, 0);
    if (!r) return -ERRNO.EAGAIN;
    r.data.set(data);
    this.submit(r.handle, flags);
    return 0;
  }

  query(flag: number): bigint {
    switch (flag) {
      case BPF_RB_AVAIL_DATA:
        return BigInt(this.prodPos - this.consPos);
      case BPF_RB_RING_SIZE:
        return BigInt(this.spec.maxEntries);
      case BPF_RB_CONS_POS:
        return BigInt(this.consPos);
      case BPF_RB_PROD_POS:
        return BigInt(this.prodPos);
      default:
        return 0n;
    }
  }

  consume(): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.records.length > 0) {
      const rec = this.records[0]!;
      if (rec.state === 'busy') break;
      this.records.shift();
      this.consPos = rec.pos + rec.len;
      if (rec.state === 'committed') out.push(rec.data);
    }
    return out;
  }

  // User space cannot use the element commands on a ring buffer (the kernel answers ENOTSUPP).
  lookup(_key: Uint8Array): Uint8Array {
    fail('ENOTSUPP', `${this.label()}: lookup is not supported`);
  }
  update(_key: Uint8Array, _value: Uint8Array, _flags = 0): void {
    fail('ENOTSUPP', `${this.label()}: update is not supported`);
  }
  delete(_key: Uint8Array): void {
    fail('ENOTSUPP', `${this.label()}: delete is not supported`);
  }
  nextKey(_key: Uint8Array | null): Uint8Array | undefined {
    fail('ENOTSUPP', `${this.label()}: get_next_key is not supported`);
  }
  count(): number {
    return this.records.length;
  }
}
