/**
 * The .BTF.ext section: per ELF section, func_info (which BTF FUNC starts at which
 * instruction), line_info (file, line, column and source text of an instruction) and CO-RE
 * relocation records. Offsets here are byte offsets inside the ELF section, as clang writes
 * them; the program builder turns them into instruction indices.
 */
import { InputError } from '../../isa/errors.js';
import type { Btf } from './btf.js';

export interface ExtFuncInfo {
  insnOff: number;
  typeId: number;
}

export interface ExtLineInfo {
  insnOff: number;
  file: string;
  text: string;
  line: number;
  col: number;
  /** The raw record fields (string offsets into .BTF's string section), for BPF_PROG_LOAD. */
  fileNameOff: number;
  lineOff: number;
  lineCol: number;
}

/** enum bpf_core_relo_kind. */
export const CORE_RELO_KINDS = [
  'field_byte_offset', 'field_byte_size', 'field_exists', 'field_signed', 'field_lshift_u64', 'field_rshift_u64',
  'type_id_local', 'type_id_target', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches',
] as const;

export interface ExtCoreRelo {
  insnOff: number;
  typeId: number;
  /** Access string, e.g. "0:1:2" (type-based relocations use "0"). */
  access: string;
  /** Offset of the access string in .BTF's string section (what BPF_PROG_LOAD's core_relos carry). */
  accessOff: number;
  kind: number;
  kindName: string;
}

export interface BtfExt {
  funcInfo: Map<string, ExtFuncInfo[]>;
  lineInfo: Map<string, ExtLineInfo[]>;
  coreRelos: Map<string, ExtCoreRelo[]>;
}

/** Parses .BTF.ext against the object's BTF (for strings and type ids). */
export function parseBtfExt(data: Uint8Array, btf: Btf, where: string, base = 0): BtfExt {
  const fail = (off: number, msg: string) => new InputError('btf_malformed', `${where}: .BTF.ext at offset 0x${(base + off).toString(16)}: ${msg}`);
  if (data.length < 24) throw fail(0, `section is ${data.length} bytes, shorter than the .BTF.ext header (24)`);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magic = dv.getUint16(0, true);
  if (magic !== 0xeb9f) throw fail(0, `bad magic 0x${magic.toString(16)}`);
  if (dv.getUint8(2) !== 1) throw fail(2, `unsupported version ${dv.getUint8(2)}`);
  const hdrLen = dv.getUint32(4, true);
  if (hdrLen < 24 || hdrLen > data.length) throw fail(4, `header length ${hdrLen} out of range`);
  const str = (off: number, at: number, what: string): string => {
    const s = btf.string(off);
    if (s === undefined) throw fail(at, `${what}: string offset ${off} is past the BTF string section`);
    return s;
  };

  /** Walks one info block: rec_size, then { sec_name_off, num_info, records[] }*. */
  const block = <T>(offField: number, minRec: number, what: string, rec: (o: number) => T): Map<string, T[]> => {
    const out = new Map<string, T[]>();
    if (hdrLen < offField + 8) return out;
    const off = dv.getUint32(offField, true);
    const len = dv.getUint32(offField + 4, true);
    if (len === 0) return out;
    let o = hdrLen + off;
    const end = o + len;
    if (end > data.length || off % 4 !== 0) throw fail(offField, `${what} [${off}, +${len}) out of bounds`);
    if (len < 4) throw fail(o, `${what}: too short for its record size`);
    const recSize = dv.getUint32(o, true);
    if (recSize < minRec || recSize % 4 !== 0) throw fail(o, `${what}: record size ${recSize} is invalid (at least ${minRec})`);
    o += 4;
    while (o < end) {
      if (o + 8 > end) throw fail(o, `${what}: section header runs past the end`);
      const secName = str(dv.getUint32(o, true), o, what);
      const n = dv.getUint32(o + 4, true);
      o += 8;
      if (n === 0) throw fail(o - 4, `${what}: section '${secName}' has no records`);
      if (o + n * recSize > end) throw fail(o, `${what}: ${n} records for '${secName}' run past the end`);
      const list = out.get(secName) ?? [];
      for (let i = 0; i < n; i++, o += recSize) list.push(rec(o));
      out.set(secName, list);
    }
    return out;
  };

  const funcInfo = block(8, 8, 'func_info', (o) => {
    const typeId = dv.getUint32(o + 4, true);
    if (typeId >= btf.count) throw fail(o + 4, `func_info: type id ${typeId} is past the last BTF type`);
    return { insnOff: dv.getUint32(o, true), typeId };
  });
  const lineInfo = block(16, 16, 'line_info', (o) => {
    const lc = dv.getUint32(o + 12, true);
    return {
      insnOff: dv.getUint32(o, true),
      file: str(dv.getUint32(o + 4, true), o + 4, 'line_info file name'),
      text: str(dv.getUint32(o + 8, true), o + 8, 'line_info source line'),
      line: lc >>> 10,
      col: lc & 0x3ff,
      fileNameOff: dv.getUint32(o + 4, true),
      lineOff: dv.getUint32(o + 8, true),
      lineCol: lc,
    };
  });
  const coreRelos = block(24, 16, 'core_relo', (o) => {
    const kind = dv.getUint32(o + 12, true);
    const typeId = dv.getUint32(o + 4, true);
    if (typeId >= btf.count) throw fail(o + 4, `core_relo: type id ${typeId} is past the last BTF type`);
    return {
      insnOff: dv.getUint32(o, true),
      typeId,
      access: str(dv.getUint32(o + 8, true), o + 8, 'core_relo access string'),
      accessOff: dv.getUint32(o + 8, true),
      kind,
      kindName: CORE_RELO_KINDS[kind] ?? `kind_${kind}`,
    };
  });
  return { funcInfo, lineInfo, coreRelos };
}
