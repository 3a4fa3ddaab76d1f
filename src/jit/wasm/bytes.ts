/**
 * A growable byte buffer with the WebAssembly binary encodings: LEB128 integers (unsigned and
 * signed, 32 and 64 bit), little-endian fixed-width values, names and length-prefixed vectors.
 */
const UTF8 = new TextEncoder();

export class ByteWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  get length(): number { return this.len; }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): this {
    this.ensure(1);
    this.buf[this.len++] = b & 0xff;
    return this;
  }

  bytes(bs: ArrayLike<number>): this {
    this.ensure(bs.length);
    if (bs instanceof Uint8Array) {
      this.buf.set(bs, this.len);
      this.len += bs.length;
      return this;
    }
    for (let i = 0; i < bs.length; i++) this.buf[this.len++] = bs[i]! & 0xff;
    return this;
  }

  /** Unsigned LEB128 of a non-negative integer below 2^32. */
  u32(v: number): this {
    let x = v >>> 0;
    do {
      let b = x & 0x7f;
      x >>>= 7;
      if (x !== 0) b |= 0x80;
      this.byte(b);
    } while (x !== 0);
    return this;
  }

  /** Signed LEB128 of a 32-bit integer. */
  s32(v: number): this {
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7; // arithmetic: keeps the sign
      const done = (x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  /** Signed LEB128 of a 64-bit integer (taken modulo 2^64), shifted as two int32 halves (no BigInt churn). */
  s64(v: bigint): this {
    const u = BigInt.asUintN(64, v);
    let lo = Number(u & 0xffffffffn) | 0;
    let hi = Number(u >> 32n) | 0;
    for (;;) {
      const b = lo & 0x7f;
      lo = (lo >>> 7) | (hi << 25);
      hi >>= 7;
      const done = ((hi === 0 && lo === 0) && (b & 0x40) === 0) || ((hi === -1 && lo === -1) && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  /** A UTF-8 name with its length prefix. */
  name(s: string): this {
    const enc = UTF8.encode(s);
    this.u32(enc.length);
    return this.bytes(enc);
  }

  /** Appends another writer's bytes with a u32 length prefix (sections, function bodies). */
  sized(w: ByteWriter): this {
    this.u32(w.length);
    return this.bytes(w.view());
  }

  view(): Uint8Array { return this.buf.subarray(0, this.len); }

  finish(): Uint8Array { return this.buf.slice(0, this.len); }
}
