/**
 * A growable byte buffer with the WebAssembly binary encodings: LEB128 integers (unsigned and
 * signed, 32 and 64 bit), little-endian fixed-width values, names and length-prefixed vectors.
 */
const UTF8 = new TextEncoder();

export class ByteWriter {
  /**
   * Starts small: V8 keeps typed arrays of up to 64 bytes on its heap, larger ones get a backing
   * store of their own (several times dearer to make and to collect) -- and a module is written
   * through a few dozen writers (a section, a function body each), most of them short.
   */
  private buf = new Uint8Array(64);
  private len = 0;

  get length(): number { return this.len; }

  /** Empties the writer, keeping its buffer (a scratch writer reused for every module). */
  reset(): this { this.len = 0; return this; }

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
    let ascii = true;
    for (let i = 0; i < s.length && ascii; i++) ascii = s.charCodeAt(i) < 0x80;
    if (!ascii) {
      const enc = UTF8.encode(s);
      this.u32(enc.length);
      return this.bytes(enc);
    }
    // ASCII (every name the JIT writes): its bytes are its char codes, no encoder and no array
    this.u32(s.length);
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
    return this;
  }

  /** Appends another writer's bytes with a u32 length prefix (sections, function bodies). */
  sized(w: ByteWriter): this {
    this.u32(w.length);
    return this.bytes(w.view());
  }

  view(): Uint8Array { return this.buf.subarray(0, this.len); }

  finish(): Uint8Array { return this.buf.slice(0, this.len); }
}
