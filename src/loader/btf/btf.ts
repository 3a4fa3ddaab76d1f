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
  /** Decoded types by id (sparse until `types` is asked for or the parse was eager); [0] is void. */
  private readonly cache: (BtfType | undefined)[];
  private all: BtfType[] | undefined;
  private readonly dv: DataView;
  /** Named types by name: hash chains over the string section (built on the first `find`), and the answers given. */
  private nameHeads: Int32Array | undefined;
  private nameNext: Int32Array | undefined;
  private readonly found = new Map<string, readonly number[]>();
  private offsetList: number[] | undefined;
  private flavours: Map<string, number[]> | undefined;

  /**
   * @param data the .BTF bytes (header, types, strings)
   * @param offsets byte offset of each type's record inside `data` (index = type id; 0 for void)
   * @param types every type decoded already (an eager parse), else they are decoded on demand
   */
  constructor(data: Uint8Array, private readonly strings: Uint8Array, private readonly offsets: Uint32Array, types?: BtfType[]) {
    this.dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (types) {
      this.cache = types;
      this.all = types;
    } else {
      this.cache = new Array<BtfType | undefined>(offsets.length);
      this.cache[0] = VOID;
    }
  }

  /** types[id]; types[0] is void. Decodes every type (a lazily parsed BTF keeps them from then on): prefer `type` and `find`. */
  get types(): BtfType[] {
    if (!this.all) {
      for (let id = 1; id < this.offsets.length; id++) this.type(id);
      this.all = this.cache as BtfType[];
    }
    return this.all;
  }

  /** Byte offset of each type's record inside the parsed .BTF bytes (index = type id; 0 for void), so fix-ups can patch a copy. */
  get recordOffsets(): readonly number[] {
    return (this.offsetList ??= Array.from(this.offsets));
  }

  get count(): number {
    return this.offsets.length;
  }

  type(id: number): BtfType | undefined {
    const t = this.cache[id];
    if (t !== undefined || !(id >= 1 && id < this.offsets.length)) return t;
    return (this.cache[id] = decodeType(this.dv, this.offsets[id]!, id, NO_BOUNDS, (off, at) => readString(this.strings, off) ?? badName(off, at), lazyFail));
  }

  /** A string from the BTF string section (used for line info text and file names). */
  string(off: number): string | undefined {
    return readString(this.strings, off);
  }

  /** Ids of types with this name, optionally of one kind. */
  find(name: string, kind?: BtfType['kind']): BtfType[] {
    let ids = this.found.get(name);
    if (!ids) this.found.set(name, (ids = this.idsNamed(name)));
    return ids.map((i) => this.type(i)!).filter((t) => kind === undefined || t.kind === kind);
  }

  /** Ids of the types named exactly `name`, in id order (only the name index is built: no type is decoded). */
  idsWithName(name: string): readonly number[] {
    let ids = this.found.get(name);
    if (!ids) this.found.set(name, (ids = this.idsNamed(name)));
    return ids;
  }

  /**
   * The types whose name carries a flavour suffix, "___" past its first character
   * ("task_struct___old"), by the name before it, each list in id order. libbpf matches CO-RE
   * candidates by that essential name; with this index and idsWithName a lookup in the running
   * kernel's BTF decodes none of its ~100K types but the candidates (decoding them all cost
   * ~0.4 s of CPU and GC per process). Built once, from the names' bytes: only flavoured names
   * become strings.
   */
  flavouredIds(): ReadonlyMap<string, readonly number[]> {
    if (this.flavours) return this.flavours;
    const out = new Map<string, number[]>();
    const s = this.strings;
    for (let id = 1; id < this.offsets.length; id++) {
      const off = this.dv.getUint32(this.offsets[id]!, true);
      if (off === 0 || off >= s.length) continue;
      // The first "___" of the name, as String.indexOf finds it: a flavour only past index 0.
      let at = -1;
      for (let i = off, run = 0; i < s.length && s[i] !== 0; i++) {
        run = s[i] === 0x5f ? run + 1 : 0;
        if (run === 3) { at = i - 2 - off; break; }
      }
      if (at <= 0) continue;
      const base = utf8.decode(s.subarray(off, off + at));
      const list = out.get(base);
      if (list) list.push(id);
      else out.set(base, [id]);
    }
    return (this.flavours = out);
  }

  /** Ids of the types named `name`, in id order, through the hash chains (no string is built per type). */
  private idsNamed(name: string): number[] {
    if (name === '') return [];
    const heads = (this.nameHeads ??= this.indexNames());
    const next = this.nameNext!;
    const want = utf8Encoder.encode(name);
    const s = this.strings;
    const out: number[] = [];
    for (let id = heads[hashBytes(want, 0, want.length) & (heads.length - 1)]!; id > 0; id = next[id]!) {
      const off = this.dv.getUint32(this.offsets[id]!, true);
      let i = 0;
      while (i < want.length && s[off + i] === want[i]) i++;
      if (i === want.length && s[off + i] === 0) out.push(id);
    }
    return out;
  }

  private indexNames(): Int32Array {
    const n = this.offsets.length;
    let size = 1024;
    while (size < n) size *= 2;
    const heads = new Int32Array(size);
    const next = new Int32Array(n);
    const s = this.strings;
    // From the last id down, so that each chain lists its ids in increasing order.
    for (let id = n - 1; id >= 1; id--) {
      const off = this.dv.getUint32(this.offsets[id]!, true);
      if (off === 0 || off >= s.length) continue;
      let end = off;
      while (end < s.length && s[end] !== 0) end++;
      const h = hashBytes(s, off, end) & (size - 1);
      next[id] = heads[h]!;
      heads[h] = id;
    }
    this.nameNext = next;
    return heads;
  }

  /** Follows typedef/const/volatile/restrict/type_tag to the underlying type. */
  skipMods(id: number): BtfType | undefined {
    let t = this.type(id);
    for (let d = 0; t && isModifier(t) && d < MAX_DEPTH; d++) t = this.type(t.type);
    return t && isModifier(t) ? undefined : t;
  }

  /** Size in bytes of a type (libbpf's btf__resolve_size); undefined when it has none. */
  resolveSize(id: number): number | undefined {
    let nelems = 1;
    let t = this.type(id);
    for (let d = 0; t && d < MAX_DEPTH; d++) {
      switch (t.kind) {
        case 'int': case 'struct': case 'union': case 'enum': case 'enum64': case 'datasec': case 'float':
          return t.size * nelems;
        case 'ptr':
          return 8 * nelems;
        case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag': case 'var':
          t = this.type(t.type);
          break;
        case 'array':
          if (t.nelems && nelems > Number.MAX_SAFE_INTEGER / t.nelems) return undefined;
          nelems *= t.nelems;
          t = this.type(t.type);
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
    const f = this.type(id);
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
    const t = this.type(id);
    if (!t) return `<bad type ${id}> ${inner}`;
    const sp = (s: string) => (inner ? `${s} ${inner}` : s);
    switch (t.kind) {
      case 'void': return sp('void');
      case 'int': case 'float': case 'typedef': return sp(t.name || `<anon ${t.kind}>`);
      case 'struct': case 'union': return sp(`${t.kind} ${t.name || '{...}'}`);
      case 'enum': case 'enum64': return sp(`enum ${t.name || '{...}'}`);
      case 'fwd': return sp(`${t.union ? 'union' : 'struct'} ${t.name}`);
      case 'const': case 'volatile': case 'restrict': {
        const target = this.type(t.type);
        // `const char *` puts the qualifier first; a qualified pointer puts it after the star.
        if (target && (target.kind === 'ptr' || target.kind === 'array' || target.kind === 'func_proto'))
          return this.declarator(t.type, inner ? `${t.kind} ${inner}` : t.kind, depth + 1, budget, protos);
        return `${t.kind} ${this.declarator(t.type, inner, depth + 1, budget, protos)}`;
      }
      case 'type_tag': return this.declarator(t.type, inner ? `__attribute__((btf_type_tag("${t.name}"))) ${inner}` : `__attribute__((btf_type_tag("${t.name}")))`, depth + 1, budget, protos);
      case 'ptr': {
        const target = this.type(t.type);
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

export interface ParseOptions {
  /**
   * Decode types on demand (the first `find` indexes the names, `types` decodes them all), for
   * BTF that needs no checking -- the running kernel's, which the kernel checked: of its 42 MB of
   * type objects, a verifier or fuzz worker needs a few hundred types. The record layout is still
   * checked (every record inside the type section, known kinds, names inside the strings), the
   * references and BPF_BTF_LOAD's rules (check.ts) are not.
   */
  lazy?: boolean;
}

/** Parses a .BTF section. `where` names it in errors; `base` is the file offset of the section. */
export function parseBtf(data: Uint8Array, where: string, base = 0, opts: ParseOptions = {}): Btf {
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

  const offsets: number[] = [0];
  let o = hdrLen + typeOff;
  const end = o + typeLen;
  const need = (n: number, what: string, at = o) => {
    if (at + n > end) throw fail(at, `type [${offsets.length}] ${what} runs past the end of the type section`);
  };
  const types: BtfType[] | undefined = opts.lazy ? undefined : [VOID];
  while (o < end) {
    need(12, 'header');
    const nameOff = dv.getUint32(o, true);
    if (nameOff >= strLen) throw fail(o, `name offset ${nameOff} is past the string section (${strLen} bytes)`);
    const info = dv.getUint32(o + 4, true);
    const kindNo = (info >>> 24) & 0x1f;
    const size = RECORD_SIZE[kindNo]?.(info & 0xffff);
    if (size === undefined) throw fail(o, `type [${offsets.length}]: unknown kind ${kindNo}`);
    if (types) types.push(decodeType(dv, o, offsets.length, need, name, fail));
    else need(size, `${KIND_BY_NUMBER[kindNo]!.toUpperCase()} data`, o + 12);
    offsets.push(o);
    o += size + 12;
  }
  const btf = new Btf(data, strings, Uint32Array.from(offsets), types);
  // The running kernel's BTF, which the kernel itself checked when it booted: decoded on demand, unchecked.
  if (!types) return btf;
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
  return btf;
}

const VOID: BtfType = { kind: 'void', id: 0, name: '' };

/** Bytes after the 12-byte header of a record of each kind number, by vlen (undefined: unknown kind). */
const RECORD_SIZE: Record<number, (vlen: number) => number> = {
  [BTF_KIND.int]: () => 4, [BTF_KIND.ptr]: () => 0, [BTF_KIND.array]: () => 12, [BTF_KIND.struct]: (n) => 12 * n, [BTF_KIND.union]: (n) => 12 * n,
  [BTF_KIND.enum]: (n) => 8 * n, [BTF_KIND.fwd]: () => 0, [BTF_KIND.typedef]: () => 0, [BTF_KIND.volatile]: () => 0, [BTF_KIND.const]: () => 0,
  [BTF_KIND.restrict]: () => 0, [BTF_KIND.func]: () => 0, [BTF_KIND.func_proto]: (n) => 8 * n, [BTF_KIND.var]: () => 4, [BTF_KIND.datasec]: (n) => 12 * n,
  [BTF_KIND.float]: () => 0, [BTF_KIND.decl_tag]: () => 4, [BTF_KIND.type_tag]: () => 0, [BTF_KIND.enum64]: (n) => 12 * n,
};

/** Checks that `n` bytes at `at` are inside the type section (throws, naming `what`). */
type Need = (n: number, what: string, at: number) => void;
/** For records whose extent was checked already (lazy parses). */
const NO_BOUNDS: Need = () => {};
type Fail = (at: number, msg: string) => InputError;
/** Errors of lazily decoded records (the layout was checked when parsed: only a bad INT can still fail). */
const lazyFail: Fail = (at, msg) => new InputError('btf_malformed', `.BTF at offset 0x${at.toString(16)}: ${msg}`);
const badName = (off: number, at: number): never => {
  throw lazyFail(at, `name offset ${off} is past the string section`);
};

/** Decodes the record at `at` (type `id`) of a known kind. */
function decodeType(dv: DataView, at: number, id: number, need: Need, name: (off: number, at: number) => string, fail: Fail): BtfType {
  const nm = name(dv.getUint32(at, true), at);
  const info = dv.getUint32(at + 4, true);
  const sizeOrType = dv.getUint32(at + 8, true);
  const vlen = info & 0xffff;
  const kflag = (info >>> 31) & 1;
  const kind = KIND_BY_NUMBER[(info >>> 24) & 0x1f];
  let o = at + 12;
  switch (kind) {
    case 'int': {
      need(4, 'INT data', o);
      const v = dv.getUint32(o, true);
      const bits = v & 0xff;
      const bitOffset = (v >>> 16) & 0xff;
      if (bits > 128 || bits + bitOffset > sizeOrType * 8) throw fail(at, `type [${id}] INT '${nm}': ${bits} bits at offset ${bitOffset} do not fit in ${sizeOrType} bytes`);
      return { kind: 'int', id, name: nm, size: sizeOrType, encoding: (v >>> 24) & 0xf, bitOffset, bits };
    }
    case 'ptr': return { kind: 'ptr', id, name: nm, type: sizeOrType };
    case 'array':
      need(12, 'ARRAY data', o);
      return { kind: 'array', id, name: nm, type: dv.getUint32(o, true), indexType: dv.getUint32(o + 4, true), nelems: dv.getUint32(o + 8, true) };
    case 'struct': case 'union': {
      need(12 * vlen, `${kind.toUpperCase()} members`, o);
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
      return { kind, id, name: nm, size: sizeOrType, members };
    }
    case 'enum': {
      need(8 * vlen, 'ENUM values', o);
      const values: BtfEnumValue[] = [];
      for (let i = 0; i < vlen; i++, o += 8)
        values.push({ name: name(dv.getUint32(o, true), o), value: BigInt(kflag ? dv.getInt32(o + 4, true) : dv.getUint32(o + 4, true)) });
      return { kind: 'enum', id, name: nm, size: sizeOrType, signed: kflag === 1, values };
    }
    case 'enum64': {
      need(12 * vlen, 'ENUM64 values', o);
      const values: BtfEnumValue[] = [];
      for (let i = 0; i < vlen; i++, o += 12) {
        const v = (BigInt(dv.getUint32(o + 8, true)) << 32n) | BigInt(dv.getUint32(o + 4, true));
        values.push({ name: name(dv.getUint32(o, true), o), value: kflag ? BigInt.asIntN(64, v) : v });
      }
      return { kind: 'enum64', id, name: nm, size: sizeOrType, signed: kflag === 1, values };
    }
    case 'fwd': return { kind: 'fwd', id, name: nm, union: kflag === 1 };
    case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag':
      return { kind, id, name: nm, type: sizeOrType };
    case 'func': return { kind: 'func', id, name: nm, type: sizeOrType, linkage: vlen };
    case 'func_proto': {
      need(8 * vlen, 'FUNC_PROTO parameters', o);
      const params: BtfParam[] = [];
      for (let i = 0; i < vlen; i++, o += 8) params.push({ name: name(dv.getUint32(o, true), o), type: dv.getUint32(o + 4, true) });
      return { kind: 'func_proto', id, name: nm, type: sizeOrType, params };
    }
    case 'var':
      need(4, 'VAR data', o);
      return { kind: 'var', id, name: nm, type: sizeOrType, linkage: dv.getUint32(o, true) };
    case 'datasec': {
      need(12 * vlen, 'DATASEC entries', o);
      const vars: BtfVarSecinfo[] = [];
      for (let i = 0; i < vlen; i++, o += 12) vars.push({ type: dv.getUint32(o, true), offset: dv.getUint32(o + 4, true), size: dv.getUint32(o + 8, true) });
      return { kind: 'datasec', id, name: nm, size: sizeOrType, vars };
    }
    case 'float': return { kind: 'float', id, name: nm, size: sizeOrType };
    case 'decl_tag':
      need(4, 'DECL_TAG data', o);
      return { kind: 'decl_tag', id, name: nm, type: sizeOrType, componentIdx: dv.getInt32(o, true) };
    default:
      throw fail(at, `type [${id}]: unknown kind ${(info >>> 24) & 0x1f}`);
  }
}

/** FNV-1a over bytes [from, to). */
function hashBytes(b: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

const utf8Encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8');

/** NUL-terminated string at `off`, undefined when out of range or unterminated. */
export function readString(strings: Uint8Array, off: number): string | undefined {
  if (off >= strings.length) return undefined;
  const end = strings.indexOf(0, off);
  if (end < 0) return undefined;
  return utf8.decode(strings.subarray(off, end));
}
