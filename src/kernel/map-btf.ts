/**
 * A minimal BTF describing a map's key and value by their sizes, for map types the kernel
 * creates only with BTF types (local storage: "Enforce BTF for userspace sk dumping") when the
 * program carries none (assembly programs): the key is `int` (4 bytes) or an array of bytes, the
 * value an array of value_size bytes.
 */
const BTF_MAGIC = 0xeb9f;
const KIND_INT = 1;
const KIND_ARRAY = 3;
const BTF_INT_SIGNED = 1;

export { BTF_REQUIRED_MAP_TYPES } from '../loader/map-btf-required.js';

/** Raw BTF with types 1 = int, 2 = unsigned char, 3 = unsigned char[keySize], 4 = unsigned char[valueSize]; the key is type 1 when 4 bytes. */
export function sizedMapBtf(keySize: number, valueSize: number): { raw: Uint8Array; keyTypeId: number; valueTypeId: number } {
  const strings = Buffer.from('\0int\0unsigned char\0', 'latin1');
  const types: number[] = [
    1, KIND_INT << 24, 4, (BTF_INT_SIGNED << 24) | 32, // int
    5, KIND_INT << 24, 1, 8, // unsigned char
    0, KIND_ARRAY << 24, 0, 2, 1, keySize, // unsigned char[keySize]
    0, KIND_ARRAY << 24, 0, 2, 1, valueSize, // unsigned char[valueSize]
  ];
  const typeLen = types.length * 4;
  const raw = new Uint8Array(24 + typeLen + strings.length);
  const v = new DataView(raw.buffer);
  v.setUint16(0, BTF_MAGIC, true);
  v.setUint8(2, 1); // version
  v.setUint32(4, 24, true); // hdr_len
  v.setUint32(8, 0, true); // type_off
  v.setUint32(12, typeLen, true);
  v.setUint32(16, typeLen, true); // str_off
  v.setUint32(20, strings.length, true);
  types.forEach((x, i) => v.setUint32(24 + 4 * i, x >>> 0, true));
  raw.set(strings, 24 + typeLen);
  return { raw, keyTypeId: keySize === 4 ? 1 : 3, valueTypeId: 4 };
}
