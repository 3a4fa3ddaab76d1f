/** The WebAssembly writer: LEB128 encodings against a reference decoder, and module structure the host accepts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter, I32, I64, ModuleBuilder, Op } from '../../src/jit/wasm/index.js';

/** Reference signed/unsigned LEB128 decoder (bigint, no width limit). */
function leb(bytes: Uint8Array, signed: boolean): bigint {
  let v = 0n, shift = 0n, i = 0, b = 0;
  do { b = bytes[i++]!; v |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80);
  expect(i).toBe(bytes.length);
  if (signed && (b & 0x40)) v -= 1n << shift;
  return v;
}

describe('LEB128', () => {
  it('u32, s32 and s64 round-trip, in the fewest bytes', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
      const b = new ByteWriter().u32(v).finish();
      expect(leb(b, false)).toBe(BigInt(v));
      expect(b.length).toBe(Math.max(1, Math.ceil(v.toString(2).length / 7)));
    }));
    fc.assert(fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (v) => {
      expect(leb(new ByteWriter().s32(v).finish(), true)).toBe(BigInt(v));
      // an i64.const of a sign-extended int32 encodes like the int32
      expect(new ByteWriter().s64(BigInt(v)).finish()).toEqual(new ByteWriter().s32(v).finish());
    }));
    fc.assert(fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (v) => {
      expect(leb(new ByteWriter().s64(v).finish(), true)).toBe(v);
    }));
    for (const v of [0n, -1n, 63n, 64n, -64n, -65n, (1n << 63n) - 1n, -(1n << 63n)]) expect(leb(new ByteWriter().s64(v).finish(), true)).toBe(v);
  });
});

describe('ModuleBuilder', () => {
  it('writes imports, globals, tables, exports and code the host validates and runs', () => {
    const m = new ModuleBuilder();
    const log = m.importFunc('env', 'log', [I64], []);
    m.importMemory('env', 'memory', 1);
    const g = m.importGlobal('env', 'g', I32, true);
    const own = m.global(I64, true, -5n);
    m.table(1);
    const { index, code: c } = m.func([I64, I64], [I64, I64]);
    const t = c.local(I64);
    c.get(0).get(1).op(Op.i64_add).tee(t).call(log);
    c.i32(0).get(t).mem(Op.i64_store, 3, 8);
    c.gget(g).i32(1).op(Op.i32_add).gset(g);
    c.get(t).gget(own).op(Op.i64_mul);
    c.get(t);
    m.exportFunc('f', index);
    m.exportGlobal('own', own);
    m.elem(0, [index]);
    const bytes = m.encode();
    expect(WebAssembly.validate(bytes)).toBe(true);
    const seen: bigint[] = [];
    const memory = new WebAssembly.Memory({ initial: 1 });
    const gg = new WebAssembly.Global({ value: 'i32', mutable: true }, 41);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { log: (v: bigint) => seen.push(v), memory, g: gg } });
    const f = inst.exports['f'] as (a: bigint, b: bigint) => bigint[];
    expect(f(2n, 3n)).toEqual([-25n, 5n]);
    expect(seen).toEqual([5n]);
    expect(new BigInt64Array(memory.buffer, 8, 1)[0]).toBe(5n);
    expect(gg.value).toBe(42);
  });
});
