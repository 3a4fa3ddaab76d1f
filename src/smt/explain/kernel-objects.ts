/**
 * The path machine's view of BTF-typed contexts (fentry/fexit/fmod_ret, tp_btf, lsm, iter):
 * the ctx is the attach target's u64 argument slots; a pointer-to-struct argument points to a
 * kernel object whose bytes are symbolic, and a pointer field read from an object points to
 * another such object (made on first read, one per field), so a path that reads
 * `task->real_parent->tgid` has three symbolic objects. The witness turns the bytes the path
 * read into a kernel-objects description (runtime/kernel-objects) that names each field, which
 * the replay runs the program over.
 */
import type { Program } from '../../isa/program.js';
import type { Btf } from '../../loader/btf/index.js';
import { type FieldValue, type WorldDescription, hasBtfContext, worldBtf } from '../../runtime/kernel-objects/index.js';
import { composite, pointee } from '../../runtime/kernel-objects/layout.js';
import { type TracingTarget, tracingTarget } from '../../verifier/tracing-ctx.js';
import type { Terms } from './terms.js';
import { FlatStore, type ByteArr, type PtrVal, type Region, type Val } from './values.js';

/** One symbolic kernel object. */
interface KObject {
  /** Name in the witness description (an identifier) and the C-like path shown (`task->real_parent`). */
  name: string;
  label: string;
  typeId: number;
  region: Region;
  initial: ByteArr;
  /** Bytes the path read: offset -> size. */
  reads: Map<number, number>;
  /** Pointer fields read, by offset: the object they point to. */
  children: Map<number, KObject>;
}

/** A leaf member covering [off, off + size): its dotted path, type and offset, plus the array index when inside an array. */
interface Leaf { path: string; type: number; off: number; index?: number; elemSize?: number }

/** The member of struct `id` holding [off, off + size), descending into nested structs and arrays. */
export function leafAt(btf: Btf, id: number, off: number, size: number): Leaf | undefined {
  let type = id;
  let base = 0;
  const parts: string[] = [];
  for (let depth = 0; depth < 16; depth++) {
    const st = composite(btf, type);
    if (!st) break;
    let hit: { name: string; type: number; off: number } | undefined;
    for (const m of st.members) {
      if (m.bitfieldSize) continue;
      const mo = base + m.bitOffset / 8;
      const ms = btf.resolveSize(m.type) ?? 0;
      if (off >= mo && off + size <= mo + ms) { hit = { name: m.name, type: m.type, off: mo }; break; }
    }
    if (!hit) return undefined;
    if (hit.name) parts.push(hit.name);
    type = hit.type;
    base = hit.off;
  }
  const t = btf.skipMods(type);
  if (!parts.length || !t) return undefined;
  if (t.kind === 'array') {
    const es = btf.resolveSize(t.type) ?? 0;
    const et = btf.skipMods(t.type);
    if (!es || (et?.kind !== 'int' && et?.kind !== 'enum') || (off - base) % es !== 0 || size !== es) return undefined;
    return { path: parts.join('.'), type: t.type, off: base, index: (off - base) / es, elemSize: es };
  }
  if ((t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64' || t.kind === 'ptr') && base === off && (btf.resolveSize(type) ?? 0) === size) return { path: parts.join('.'), type, off: base };
  return undefined;
}

export class KernelCtxModel {
  readonly objects: KObject[] = [];
  private readonly byArg = new Map<number, KObject>();

  private constructor(
    private readonly T: Terms,
    readonly btf: Btf,
    readonly target: TracingTarget,
    private readonly newRegion: (label: string, size: number, store: FlatStore) => Region,
  ) {}

  /** The model for a BTF-typed program, or null (not one, or no kernel BTF to type it). */
  static forProgram(T: Terms, program: Program, newRegion: (label: string, size: number, store: FlatStore) => Region): KernelCtxModel | null {
    if (!hasBtfContext(program)) return null;
    const btf = worldBtf(program.targetBtf);
    if (typeof btf === 'string') return null;
    const t = tracingTarget(btf, program.type, program.expectedAttachType ?? 0, program.attachTo);
    return typeof t === 'string' ? null : new KernelCtxModel(T, btf, t, newRegion);
  }

  /** Bytes of the ctx: one u64 per argument, then the return value slot. */
  get ctxSize(): number {
    return Math.max(8, (this.target.params.length + (this.target.retSlot ? 1 : 0)) * 8);
  }

  /** A ctx load: a pointer to the argument's object for pointers to structs, else undefined (read the slot's bytes). */
  ctxLoad(off: number, size: number): Val | undefined {
    const i = off / 8;
    if (off % 8 !== 0 || size !== 8 || i >= this.target.params.length) return undefined;
    const p = this.target.params[i]!;
    const st = pointee(this.btf, p.type);
    if (!st || (st.kind !== 'struct' && st.kind !== 'union')) return undefined;
    let o = this.byArg.get(i);
    if (!o) { o = this.object(ident(p.name || `arg${i}`), p.name || `arg${i}`, st.id); this.byArg.set(i, o); }
    return { k: 'ptr', region: o.region, off: this.T.k(0), nul: null };
  }

  private object(name: string, label: string, typeId: number): KObject {
    const Z = this.T.Z;
    const arr = Z.Array.const(`kobj_${name}`, Z.BitVec.sort(64), Z.BitVec.sort(8)) as unknown as ByteArr;
    const size = composite(this.btf, typeId)?.size ?? 0;
    const region = this.newRegion(`${label} (struct ${this.btf.type(typeId)?.name ?? '?'})`, size, new FlatStore(this.T, arr));
    const o: KObject = { name, label, typeId, region, initial: arr, reads: new Map(), children: new Map() };
    this.objects.push(o);
    return o;
  }

  owns(r: Region): KObject | undefined {
    return this.objects.find((o) => o.region === r);
  }

  /** A load from an object at a concrete offset: a pointer field gives the child object, anything else symbolic bytes. */
  load(o: KObject, off: number, size: number, signed: boolean): Val {
    const leaf = leafAt(this.btf, o.typeId, off, size);
    const st = leaf && leaf.index === undefined ? pointee(this.btf, leaf.type) : undefined;
    if (leaf && st && (st.kind === 'struct' || st.kind === 'union') && size === 8) {
      let c = o.children.get(off);
      if (!c) { c = this.object(ident(`${o.name}_${leaf.path}`), `${o.label}->${leaf.path}`, st.id); o.children.set(off, c); }
      return { k: 'ptr', region: c.region, off: this.T.k(0), nul: null };
    }
    o.reads.set(off, Math.max(size, o.reads.get(off) ?? 0));
    const bytes = o.region.store.read(this.T.k(off), size);
    return { k: 'scalar', t: signed ? this.T.sext(bytes, 8 * size) : this.T.zext(bytes, 8 * size) };
  }

  /**
   * The description the model stands for: every object the path reached, the fields it read with
   * their values, pointers between them; scalar arguments from the ctx bytes. `fields` lists
   * what was read as C (`task->pid = 7`) for the counterexample.
   */
  witness(byteAt: (arr: ByteArr, i: number) => number, ctxBytes: Uint8Array): { desc: WorldDescription; fields: string[] } {
    const objects: NonNullable<WorldDescription['objects']> = {};
    const fields: string[] = [];
    for (const o of this.objects) {
      const f: Record<string, FieldValue> = {};
      const arrays = new Map<string, number[]>();
      for (const [off, size] of [...o.reads].sort((a, b) => a[0] - b[0])) {
        let v = 0n;
        for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(byteAt(o.initial, off + i));
        const leaf = leafAt(this.btf, o.typeId, off, size);
        if (!leaf) { fields.push(`${o.label}: ${size} bytes at offset ${off} = 0x${v.toString(16)} (not one field)`); continue; }
        if (leaf.index !== undefined) {
          const a = arrays.get(leaf.path) ?? [];
          while (a.length <= leaf.index) a.push(0);
          a[leaf.index] = Number(v);
          arrays.set(leaf.path, a);
          fields.push(`${o.label}->${leaf.path}[${leaf.index}] = ${v}`);
        } else {
          f[leaf.path] = v.toString();
          fields.push(`${o.label}->${leaf.path} = ${signedText(this.btf, leaf.type, v)}`);
        }
      }
      for (const [path, a] of arrays) f[path] = a;
      for (const [off, c] of o.children) { const leaf = leafAt(this.btf, o.typeId, off, 8); if (leaf) f[leaf.path] = `@${c.name}`; }
      objects[o.name] = { type: this.btf.type(o.typeId)?.name ?? '', fields: f };
    }
    const args: FieldValue[] = this.target.params.map((_, i) => {
      const o = this.byArg.get(i);
      if (o) return `@${o.name}`;
      let v = 0n;
      for (let b = 7; b >= 0; b--) v = (v << 8n) | BigInt(ctxBytes[i * 8 + b] ?? 0);
      return v.toString();
    });
    const desc: WorldDescription = { objects, args };
    if (this.target.retSlot) {
      let v = 0n;
      for (let b = 7; b >= 0; b--) v = (v << 8n) | BigInt(ctxBytes[this.target.params.length * 8 + b] ?? 0);
      desc.ret = v.toString();
    }
    return { desc, fields };
  }
}

/** An identifier for the description (object names are identifiers). */
function ident(s: string): string {
  const t = s.replace(/[^A-Za-z0-9_]/g, '_');
  return `w_${t}`;
}

/** A field value as C would print it: signed types signed. */
function signedText(btf: Btf, type: number, v: bigint): string {
  const t = btf.skipMods(type);
  if (t?.kind === 'int' && (t.encoding & 1) !== 0) return String(BigInt.asIntN(t.size * 8, v));
  if (t?.kind === 'ptr') return `0x${v.toString(16)}`;
  return String(v);
}
