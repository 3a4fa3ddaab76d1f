/**
 * Parsing of the .BTF section and the type graph over it: lookups, size resolution
 * (libbpf's btf__resolve_size), modifier skipping and C-like type names
 * (`struct xdp_md *`, `const char *`, `int (*)(void *)`).
 */
import { InputError } from '../../isa/errors.js';
import { kernelBtfProblem } from './check.js';
import { BTF_KIND, isModifier, type BtfEnumValue, type BtfMember, type BtfParam, type BtfType, type BtfVarSecinfo } from './types.js';

const BTF_MAGIC = 0xeb9f;
/** Like the kernel's MAX_RESOLVE_DEPTH: chains of modifiers longer than this are refused. */
const MAX_DEPTH = 32;
/** Types visited to print one type name: enough for any real C declarator, bounded for crafted ones. */
const FORMAT_BUDGET = 256;
const KIND_BY_NUMBER: Record<number, string> = Object.fromEntries(Object.entries(BTF_KIND).map(([k, v]) => [v, k]));

export class Btf {
  /** types[id]; types[0] is void. */
  readonly types: BtfType[];
  private readonly byName = new Map<string, number[]>();

  /**
   * @param recordOffsets byte offset of each type's record inside the parsed .BTF bytes
   *   (index = type id; 0 for void), so fix-ups can patch a copy of the raw section.
   */
  constructor(types: BtfType[], private readonly strings: Uint8Array, readonly recordOffsets: readonly number[] = []) {
    this.types = types;
    for (const t of types) {
      if (!t.name) continue;
      const list = this.byName.get(t.name);
      if (list) list.push(t.id);
      else this.byName.set(t.name, [t.id]);
    }
  }

  get count(): number {
    return this.types.length;
  }

  type(id: number): BtfType | undefined {
    return this.types[id];
  }

  /** A string from the BTF string section (used for line info text and file names). */
  string(off: number): string | undefined {
    return readString(this.strings, off);
  }

  /** Ids of types with this name, optionally of one kind. */
  find(name: string, kind?: BtfType['kind']): BtfType[] {
    const ids = this.byName.get(name) ?? [];
    return ids.map((i) => this.types[i]!).filter((t) => kind === undefined || t.kind === kind);
  }

  /** Follows typedef/const/volatile/restrict/type_tag to the underlying type. */
  skipMods(id: number): BtfType | undefined {
    let t = this.types[id];
    for (let d = 0; t && isModifier(t) && d < MAX_DEPTH; d++) t = this.types[t.type];
    return t && isModifier(t) ? undefined : t;
  }

  /** Size in bytes of a type (libbpf's btf__resolve_size); undefined when it has none. */
  resolveSize(id: number): number | undefined {
    let nelems = 1;
    let t = this.types[id];
    for (let d = 0; t && d < MAX_DEPTH; d++) {
      switch (t.kind) {
        case 'int': case 'struct': case 'union': case 'enum': case 'enum64': case 'datasec': case 'float':
          return t.size * nelems;
        case 'ptr':
          return 8 * nelems;
        case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag': case 'var':
          t = this.types[t.type];
          break;
        case 'array':
          if (t.nelems && nelems > Number.MAX_SAFE_INTEGER / t.nelems) return undefined;
          nelems *= t.nelems;
          t = this.types[t.type];
          break;
        default:
          return undefined;
      }
    }
    return undefined;
  }

  /** A C-like name for a type: `struct xdp_md *`, `unsigned int [4]`, `int (*)(void *)`. */
  format(id: number): string {
    return this.declarator(id, '', 0, { left: FORMAT_BUDGET }, new Set()).trim();
  }

  /** A C-like declaration: `struct xdp_md *ctx`, `int xdp_prog(struct xdp_md *ctx)`. */
  declare(id: number, name: string): string {
    return this.declarator(id, name, 0, { left: FORMAT_BUDGET }, new Set()).trim();
  }

  /** The prototype of a FUNC as C: `int prog(struct xdp_md *ctx)`. */
  funcSignature(id: number): string {
    const f = this.types[id];
    if (!f || f.kind !== 'func') return this.format(id);
    return this.declare(f.type, f.name);
  }

  /**
   * Builds a declarator inside-out, as C does: `inner` is what the type applies to. Bounded for
   * hostile BTF: at most FORMAT_BUDGET types visited per name (function prototypes whose
   * parameters point back at them would otherwise expand exponentially), and a prototype met
   * again inside itself prints as a back-reference.
   */
  private declarator(id: number, inner: string, depth: number, budget: { left: number }, protos: Set<number>): string {
    if (depth > MAX_DEPTH || --budget.left < 0) return `... ${inner}`;
    const t = this.types[id];
    if (!t) return `<bad type ${id}> ${inner}`;
    const sp = (s: string) => (inner ? `${s} ${inner}` : s);
    switch (t.kind) {
      case 'void': return sp('void');
      case 'int': case 'float': case 'typedef': return sp(t.name || `<anon ${t.kind}>`);
      case 'struct': case 'union': return sp(`${t.kind} ${t.name || '{...}'}`);
      case 'enum': case 'enum64': return sp(`enum ${t.name || '{...}'}`);
      case 'fwd': return sp(`${t.union ? 'union' : 'struct'} ${t.name}`);
      case 'const': case 'volatile': case 'restrict': {
        const target = this.types[t.type];
        // `const char *` puts the qualifier first; a qualified pointer puts it after the star.
        if (target && (target.kind === 'ptr' || target.kind === 'array' || target.kind === 'func_proto'))
          return this.declarator(t.type, inner ? `${t.kind} ${inner}` : t.kind, depth + 1, budget, protos);
        return `${t.kind} ${this.declarator(t.type, inner, depth + 1, budget, protos)}`;
      }
      case 'type_tag': return this.declarator(t.type, inner ? `__attribute__((btf_type_tag("${t.name}"))) ${inner}` : `__attribute__((btf_type_tag("${t.name}")))`, depth + 1, budget, protos);
      case 'ptr': {
        const target = this.types[t.type];
        const star = `*${inner}`;
        if (target && (target.kind === 'array' || target.kind === 'func_proto')) return this.declarator(t.type, `(${star})`, depth + 1, budget, protos);
        return this.declarator(t.type, star, depth + 1, budget, protos);
      }
      case 'array': return this.declarator(t.type, `${inner}[${t.nelems}]`, depth + 1, budget, protos);
      case 'func_proto': {
        if (protos.has(id)) return sp(`<type [${id}]>`);
        protos.add(id);
        const params = t.params.map((p) => (p.type === 0 && !p.name ? '...' : this.declarator(p.type, p.name, depth + 1, budget, protos).trim()));
        protos.delete(id);
        return this.declarator(t.type, `${inner}(${params.length ? params.join(', ') : 'void'})`, depth + 1, budget, protos);
      }
      case 'func': return this.declarator(t.type, t.name, depth + 1, budget, protos);
      case 'var': return this.declarator(t.type, inner || t.name, depth + 1, budget, protos);
      case 'datasec': return sp(`SEC("${t.name}")`);
      case 'decl_tag': return sp(`__attribute__((btf_decl_tag("${t.name}")))`);
    }
  }
}

/** Parses a .BTF section. `where` names it in errors; `base` is the file offset of the section. */
export function parseBtf(data: Uint8Array, where: string, base = 0): Btf {
  const fail = (off: number, msg: string) => new InputError('btf_malformed', `${where}: .BTF at offset 0x${(base + off).toString(16)}: ${msg}`);
  if (data.length < 24) throw fail(0, `section is ${data.length} bytes, shorter than the BTF header (24)`);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magic = dv.getUint16(0, true);
  if (magic !== BTF_MAGIC) throw fail(0, magic === 0x9feb ? 'big-endian BTF is not supported' : `bad magic 0x${magic.toString(16)}`);
  const version = dv.getUint8(2);
  if (version !== 1) throw fail(2, `unsupported BTF version ${version}`);
  const hdrLen = dv.getUint32(4, true);
  if (hdrLen < 24 || hdrLen > data.length) throw fail(4, `header length ${hdrLen} out of range`);
  const typeOff = dv.getUint32(8, true);
  const typeLen = dv.getUint32(12, true);
  const strOff = dv.getUint32(16, true);
  const strLen = dv.getUint32(20, true);
  if (hdrLen + typeOff + typeLen > data.length || typeOff % 4 !== 0) throw fail(8, `type section [${typeOff}, +${typeLen}) out of bounds`);
  if (hdrLen + strOff + strLen > data.length) throw fail(16, `string section [${strOff}, +${strLen}) out of bounds`);
  if (strLen === 0 || data[hdrLen + strOff] !== 0) throw fail(hdrLen + strOff, 'string section must start with an empty string');
  if (data[hdrLen + strOff + strLen - 1] !== 0) throw fail(hdrLen + strOff + strLen - 1, 'string section is not NUL-terminated');
  if (typeOff < strOff ? typeOff + typeLen > strOff : strOff + strLen > typeOff) throw fail(8, 'type and string sections overlap');
  const strings = data.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
  const name = (off: number, at: number): string => {
    const s = readString(strings, off);
    if (s === undefined) throw fail(at, `name offset ${off} is past the string section (${strLen} bytes)`);
    return s;
  };

  const types: BtfType[] = [{ kind: 'void', id: 0, name: '' }];
  const offsets: number[] = [0];
  let o = hdrLen + typeOff;
  const end = o + typeLen;
  const need = (n: number, what: string) => {
    if (o + n > end) throw fail(o, `type [${types.length}] ${what} runs past the end of the type section`);
  };
  while (o < end) {
    need(12, 'header');
    const at = o;
    const id = types.length;
    const nm = name(dv.getUint32(o, true), o);
    const info = dv.getUint32(o + 4, true);
    const sizeOrType = dv.getUint32(o + 8, true);
    const vlen = info & 0xffff;
    const kindNo = (info >>> 24) & 0x1f;
    const kflag = (info >>> 31) & 1;
    o += 12;
    const kind = KIND_BY_NUMBER[kindNo];
    let t: BtfType;
    switch (kind) {
      case 'int': {
        need(4, 'INT data');
        const v = dv.getUint32(o, true);
        o += 4;
        const bits = v & 0xff;
        const bitOffset = (v >>> 16) & 0xff;
        if (bits > 128 || bits + bitOffset > sizeOrType * 8) throw fail(at, `type [${id}] INT '${nm}': ${bits} bits at offset ${bitOffset} do not fit in ${sizeOrType} bytes`);
        t = { kind: 'int', id, name: nm, size: sizeOrType, encoding: (v >>> 24) & 0xf, bitOffset, bits };
        break;
      }
      case 'ptr': t = { kind: 'ptr', id, name: nm, type: sizeOrType }; break;
      case 'array': {
        need(12, 'ARRAY data');
        t = { kind: 'array', id, name: nm, type: dv.getUint32(o, true), indexType: dv.getUint32(o + 4, true), nelems: dv.getUint32(o + 8, true) };
        o += 12;
        break;
      }
      case 'struct': case 'union': {
        need(12 * vlen, `${kind.toUpperCase()} members`);
        const members: BtfMember[] = [];
        for (let i = 0; i < vlen; i++, o += 12) {
          const off = dv.getUint32(o + 8, true);
          members.push({
            name: name(dv.getUint32(o, true), o),
            type: dv.getUint32(o + 4, true),
            bitOffset: kflag ? off & 0xffffff : off,
            bitfieldSize: kflag ? off >>> 24 : 0,
          });
        }
        t = { kind, id, name: nm, size: sizeOrType, members };
        break;
      }
      case 'enum': {
        need(8 * vlen, 'ENUM values');
        const values: BtfEnumValue[] = [];
        for (let i = 0; i < vlen; i++, o += 8)
          values.push({ name: name(dv.getUint32(o, true), o), value: BigInt(kflag ? dv.getInt32(o + 4, true) : dv.getUint32(o + 4, true)) });
        t = { kind: 'enum', id, name: nm, size: sizeOrType, signed: kflag === 1, values };
        break;
      }
      case 'enum64': {
        need(12 * vlen, 'ENUM64 values');
        const values: BtfEnumValue[] = [];
        for (let i = 0; i < vlen; i++, o += 12) {
          const v = (BigInt(dv.getUint32(o + 8, true)) << 32n) | BigInt(dv.getUint32(o + 4, true));
          values.push({ name: name(dv.getUint32(o, true), o), value: kflag ? BigInt.asIntN(64, v) : v });
        }
        t = { kind: 'enum64', id, name: nm, size: sizeOrType, signed: kflag === 1, values };
        break;
      }
      case 'fwd': t = { kind: 'fwd', id, name: nm, union: kflag === 1 }; break;
      case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
        t = { kind, id, name: nm, type: sizeOrType };
        break;
      case 'func': t = { kind: 'func', id, name: nm, type: sizeOrType, linkage: vlen }; break;
      case 'func_proto': {
        need(8 * vlen, 'FUNC_PROTO parameters');
        const params: BtfParam[] = [];
        for (let i = 0; i < vlen; i++, o += 8) params.push({ name: name(dv.getUint32(o, true), o), type: dv.getUint32(o + 4, true) });
        t = { kind: 'func_proto', id, name: nm, type: sizeOrType, params };
        break;
      }
      case 'var': {
        need(4, 'VAR data');
        t = { kind: 'var', id, name: nm, type: sizeOrType, linkage: dv.getUint32(o, true) };
        o += 4;
        break;
      }
      case 'datasec': {
        need(12 * vlen, 'DATASEC entries');
        const vars: BtfVarSecinfo[] = [];
        for (let i = 0; i < vlen; i++, o += 12) vars.push({ type: dv.getUint32(o, true), offset: dv.getUint32(o + 4, true), size: dv.getUint32(o + 8, true) });
        t = { kind: 'datasec', id, name: nm, size: sizeOrType, vars };
        break;
      }
      case 'float': t = { kind: 'float', id, name: nm, size: sizeOrType }; break;
      case 'decl_tag': {
        need(4, 'DECL_TAG data');
        t = { kind: 'decl_tag', id, name: nm, type: sizeOrType, componentIdx: dv.getInt32(o, true) };
        o += 4;
        break;
      }
      default:
        throw fail(at, `type [${id}]: unknown kind ${kindNo}`);
    }
    types.push(t);
    offsets.push(at);
  }
  // Every reference must name an existing type.
  const check = (ref: number, from: BtfType, what: string) => {
    if (ref >= types.length) throw fail(hdrLen + typeOff, `type [${from.id}] ${from.kind} '${from.name}': ${what} refers to type [${ref}], past the last type [${types.length - 1}]`);
  };
  for (const t of types) {
    switch (t.kind) {
      case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag': case 'func': case 'func_proto': case 'var': case 'decl_tag':
        check(t.type, t, 'its type');
        break;
      case 'array': check(t.type, t, 'element type'); check(t.indexType, t, 'index type'); break;
      default: break;
    }
    if (t.kind === 'struct' || t.kind === 'union') for (const m of t.members) check(m.type, t, `member '${m.name}'`);
    if (t.kind === 'func_proto') for (const p of t.params) check(p.type, t, `parameter '${p.name}'`);
    if (t.kind === 'datasec') for (const v of t.vars) check(v.type, t, 'variable');
  }
  // What BPF_BTF_LOAD refuses (loops, bad FUNC types, members past their struct, huge arrays).
  const problem = kernelBtfProblem(types);
  if (problem) throw fail(offsets[problem.id] ?? hdrLen + typeOff, `type [${problem.id}] ${problem.message}`);
  return new Btf(types, strings, offsets);
}

const utf8 = new TextDecoder('utf-8');

/** NUL-terminated string at `off`, undefined when out of range or unterminated. */
export function readString(strings: Uint8Array, off: number): string | undefined {
  if (off >= strings.length) return undefined;
  const end = strings.indexOf(0, off);
  if (end < 0) return undefined;
  return utf8.decode(strings.subarray(off, end));
}
