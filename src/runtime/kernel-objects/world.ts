/**
 * A world of kernel objects in the VM's memory: each object of the description becomes a
 * read-only 'kernel' region laid out by the kernel BTF (sizeof the struct, fields at their
 * offsets, everything unspecified zero), pointers between objects are real pointers into those
 * regions, and strings behind `char *` fields get regions of their own. Programs walk the world
 * through BTF-typed pointers, bpf_probe_read_kernel and the kfuncs that hand out objects.
 */
import type { Btf } from '../../loader/btf/index.js';
import { Memory } from '../memory.js';
import { type FieldValue, type ObjectDescription, type WorldDescription, stripStruct } from './description.js';
import { composite, isCharPointer, memberPath, readInt, singleScalar, writeBits, writeInt } from './layout.js';

/** One object of the world. */
export interface KernelObject {
  name: string;
  /** BTF id of its struct in the kernel BTF. */
  typeId: number;
  /** "task_struct", "file", ... */
  typeName: string;
  region: number;
  bytes: Uint8Array;
}

/** Bad descriptions are reported with the object and field they name. */
export class WorldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorldError';
  }
}

export class KernelWorld {
  readonly objects = new Map<string, KernelObject>();
  private readonly byRegion = new Map<number, KernelObject>();
  /** The task bpf_get_current_task answers (undefined when the world has no task). */
  current: KernelObject | undefined;

  constructor(readonly btf: Btf, readonly mem: Memory) {}

  /**
   * A replayed world's regions [sharedBase, sharedBase + sharedCount) hold its image's bytes, shared
   * by every replay of it until written (see ownBytes); `copied` marks those copied since.
   */
  private sharedBase = 0;
  private sharedCount = 0;
  private copied: Uint8Array | undefined;

  /** Marks the regions from `base` on as the image's bytes, shared (replayWorld). */
  shareFrom(base: number, count: number): void {
    this.sharedBase = base;
    this.sharedCount = count;
  }

  /**
   * The bytes of `obj` to write to: its own. The read-only regions of a replayed world are the
   * image's bytes (the program cannot write them; a replay copies nothing), so the runtime's own
   * writes (a kfunc taking a task reference writes its refcount) copy an object's region first,
   * and the run sees the copy from then on. Every runtime write to a world object goes through here.
   */
  ownBytes(obj: KernelObject): Uint8Array {
    const i = obj.region - this.sharedBase;
    if (i < 0 || i >= this.sharedCount || this.copied?.[i] === 1) return obj.bytes;
    (this.copied ??= new Uint8Array(this.sharedCount))[i] = 1;
    const own = obj.bytes.slice();
    const mem = this.mem;
    // the interpreter re-reads the region tables after every helper and kfunc call
    mem.bytes[obj.region] = own;
    mem.views[obj.region] = new DataView(own.buffer, own.byteOffset, own.byteLength);
    obj.bytes = own;
    return own;
  }

  /** The object a region holds, if it is one of the world's. */
  objectAt(region: number): KernelObject | undefined {
    return this.byRegion.get(region);
  }

  /** A pointer to `obj` (plus `off`). */
  pointer(obj: KernelObject, off = 0): bigint {
    return Memory.ptr(obj.region, off);
  }

  /** The object a pointer points into and the offset inside it, or undefined. */
  resolve(p: bigint): { obj: KernelObject; off: number } | undefined {
    const d = this.mem.decode(p);
    const obj = d ? this.byRegion.get(d.id) : undefined;
    return obj && d ? { obj, off: d.off } : undefined;
  }

  /** Objects of one struct type, in description order. */
  ofType(typeName: string): KernelObject[] {
    return [...this.objects.values()].filter((o) => o.typeName === typeName);
  }

  /** Reads the integer (or pointer) field `path` of `obj`; undefined when the struct has no such field. */
  field(obj: KernelObject, path: string): bigint | undefined {
    const loc = memberPath(this.btf, obj.typeId, path);
    if (typeof loc === 'string') return undefined;
    const size = this.btf.resolveSize(loc.type) ?? 0;
    if (size > 8 || size === 0) return undefined;
    const v = readInt(obj.bytes, loc.off, size);
    if (!loc.bits) return v;
    return (v >> BigInt(loc.bitShift)) & ((1n << BigInt(loc.bits)) - 1n);
  }

  /** A char-array field as a string (up to its NUL). */
  text(obj: KernelObject, path: string): string | undefined {
    const loc = memberPath(this.btf, obj.typeId, path);
    if (typeof loc === 'string') return undefined;
    const size = this.btf.resolveSize(loc.type) ?? 0;
    const b = obj.bytes.subarray(loc.off, loc.off + size);
    const end = b.indexOf(0);
    return String.fromCharCode(...b.subarray(0, end < 0 ? b.length : end));
  }

  /** Registers an object whose region is already in the memory (a replayed world, see replayWorld). */
  insert(obj: KernelObject): void {
    this.objects.set(obj.name, obj);
    this.byRegion.set(obj.region, obj);
  }

  /** Adds a zeroed object of struct `typeId` named `name` (kfuncs and default arguments create them). */
  add(name: string, typeId: number): KernelObject {
    const st = composite(this.btf, typeId);
    if (!st) throw new WorldError(`${name}: BTF type ${typeId} is not a struct or union`);
    // a minimum of one byte: empty structs still get an address
    const bytes = new Uint8Array(Math.max(1, st.size));
    const region = this.mem.add('kernel', bytes, { writable: false });
    const obj: KernelObject = { name, typeId: st.id, typeName: st.name, region, bytes };
    this.objects.set(name, obj);
    this.byRegion.set(region, obj);
    return obj;
  }

  /** A NUL-terminated string in kernel memory (what a `char *` field points to). */
  string(s: string): bigint {
    const bytes = new Uint8Array(s.length + 1);
    for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i) & 0xff;
    return Memory.ptr(this.mem.add('kernel', bytes, { writable: false }), 0);
  }

  /** The value `v` written at field `loc` of `obj` (what the description says); `where` names it in errors. */
  write(obj: KernelObject, off: number, type: number, v: FieldValue, where: string, bits?: { shift: number; width: number }): void {
    const btf = this.btf;
    const t = btf.skipMods(type);
    if (!t) throw new WorldError(`${where}: unknown BTF type ${type}`);
    if (bits && bits.width) { writeBits(this.ownBytes(obj), off, bits.shift, bits.width, this.scalar(v, where)); return; }
    switch (t.kind) {
      case 'int': case 'enum': case 'enum64':
        writeInt(this.ownBytes(obj), off, t.size, this.scalar(v, where));
        return;
      case 'ptr':
        writeInt(this.ownBytes(obj), off, 8, this.pointerValue(v, type, where));
        return;
      case 'array': {
        const elem = btf.skipMods(t.type);
        const esize = btf.resolveSize(t.type) ?? 0;
        if (typeof v === 'string' && elem?.kind === 'int' && elem.size === 1) {
          if (v.length > t.nelems) throw new WorldError(`${where}: "${v}" does not fit in char[${t.nelems}]`);
          const b = this.ownBytes(obj);
          for (let i = 0; i < v.length; i++) b[off + i] = v.charCodeAt(i) & 0xff;
          return;
        }
        if (!Array.isArray(v)) throw new WorldError(`${where}: expected an array for ${btf.format(type)}`);
        if (v.length > t.nelems) throw new WorldError(`${where}: ${v.length} values for ${btf.format(type)}`);
        v.forEach((e, i) => this.write(obj, off + i * esize, t.type, e, `${where}[${i}]`));
        return;
      }
      case 'struct': case 'union': {
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
          for (const [k, e] of Object.entries(v)) {
            const loc = memberPath(btf, t.id, k);
            if (typeof loc === 'string') throw new WorldError(`${where}.${k}: ${loc}`);
            this.write(obj, off + loc.off, loc.type, e, `${where}.${k}`, { shift: loc.bitShift, width: loc.bits });
          }
          return;
        }
        const one = singleScalar(btf, t.id);
        if (!one) throw new WorldError(`${where}: expected an object for ${btf.format(type)}`);
        this.write(obj, off + one.off, one.type, v, where);
        return;
      }
      default:
        throw new WorldError(`${where}: cannot set a field of type ${btf.format(type)}`);
    }
  }

  private scalar(v: FieldValue, where: string): bigint {
    if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
    if (typeof v === 'boolean') return v ? 1n : 0n;
    if (typeof v === 'string' && /^-?(0x[0-9a-fA-F]+|\d+)$/.test(v)) return v.startsWith('-') ? -BigInt(v.slice(1)) : BigInt(v);
    throw new WorldError(`${where}: expected an integer, got ${JSON.stringify(v)}`);
  }

  /** "@name[.path]", a string for `char *`, an address, or null. */
  pointerValue(v: FieldValue, type: number, where: string): bigint {
    if (v === null) return 0n;
    if (typeof v === 'string' && v.startsWith('@')) {
      const [name, ...path] = v.slice(1).split('.');
      const target = this.objects.get(name!);
      if (!target) throw new WorldError(`${where}: no object named '${name}'`);
      if (!path.length) return this.pointer(target);
      const loc = memberPath(this.btf, target.typeId, path.join('.'));
      if (typeof loc === 'string') throw new WorldError(`${where}: ${v}: ${loc}`);
      return this.pointer(target, loc.off);
    }
    if (typeof v === 'string' && isCharPointer(this.btf, type) && !/^(0x[0-9a-fA-F]+|\d+)$/.test(v)) return this.string(v);
    return this.scalar(v, where);
  }
}

/** The struct (or union) a description names, or undefined. */
export function findStructType(btf: Btf, type: string): number | undefined {
  const name = stripStruct(type);
  const t = btf.find(name, 'struct')[0] ?? btf.find(name, 'union')[0];
  return t?.id;
}

/**
 * Builds `desc` into `mem`: every object's region first (so pointers can name any object),
 * then the dentry chains of `path` keys and the fields. An object or field the kernel BTF lacks
 * is an error, unless it is one of bpflab's defaults (`defaults.names`) the user did not write.
 */
export function buildWorld(mem: Memory, btf: Btf, desc: WorldDescription, defaults?: { names: ReadonlySet<string>; user: WorldDescription | undefined }): KernelWorld {
  // what the user wrote is checked strictly; bpflab's own defaults bend to the kernel at hand
  const userObj = (name: string) => defaults?.user?.objects?.[name];
  const optionalObject = (name: string) => defaults !== undefined && defaults.names.has(name) && !userObj(name)?.type;
  const optionalField = (name: string, key: string) => defaults !== undefined && defaults.names.has(name) && userObj(name)?.fields?.[key] === undefined;
  const w = new KernelWorld(btf, mem);
  const entries = Object.entries(desc.objects ?? {});
  const built: [KernelObject, ObjectDescription][] = [];
  for (const [name, o] of entries) {
    const id = o.type ? findStructType(btf, o.type) : undefined;
    if (id === undefined) {
      if (optionalObject(name)) continue;
      throw new WorldError(`objects.${name}: ${o.type ? `no struct '${stripStruct(o.type)}' in the kernel BTF` : 'missing "type"'}`);
    }
    built.push([w.add(name, id), o]);
  }
  for (const [obj, o] of built) {
    if (o.path !== undefined) buildPath(w, obj, o.path);
    for (const [k, v] of Object.entries(o.fields ?? {})) {
      const where = `objects.${obj.name}.${k}`;
      // a field pointing to a default object the BTF lacked stays NULL
      if (typeof v === 'string' && v.startsWith('@') && optionalObject(v.slice(1).split('.')[0]!) && !w.objects.has(v.slice(1).split('.')[0]!)) continue;
      const loc = memberPath(btf, obj.typeId, k);
      if (typeof loc === 'string') {
        if (optionalField(obj.name, k)) continue; // a default field another kernel's struct lacks
        throw new WorldError(`${where}: ${loc}`);
      }
      w.write(obj, loc.off, loc.type, v, where, { shift: loc.bitShift, width: loc.bits });
    }
  }
  const cur = w.objects.get(desc.current ?? 'current');
  if (desc.current !== undefined && (!cur || cur.typeName !== 'task_struct')) throw new WorldError(`current: '${desc.current}' is not a task_struct object`);
  w.current = cur?.typeName === 'task_struct' ? cur : w.ofType('task_struct')[0];
  return w;
}

/**
 * `path` on a file or a struct path: a vfsmount whose root is "/", one dentry per component
 * (d_name, d_parent; the root is its own parent, as IS_ROOT tests), the last one's inode.
 */
function buildPath(w: KernelWorld, obj: KernelObject, path: string): void {
  const btf = w.btf;
  const dentryT = findStructType(btf, 'dentry'), mntT = findStructType(btf, 'vfsmount'), inodeT = findStructType(btf, 'inode');
  if (dentryT === undefined || mntT === undefined) throw new WorldError(`objects.${obj.name}.path: the kernel BTF has no struct dentry / vfsmount`);
  const parts = path.split('/').filter(Boolean);
  const root = w.add(`${obj.name}__root`, dentryT);
  const setName = (d: KernelObject, name: string): void => {
    const loc = memberPath(btf, dentryT, 'd_name.name');
    const len = memberPath(btf, dentryT, 'd_name.len');
    if (typeof loc !== 'string') writeInt(d.bytes, loc.off, 8, w.string(name));
    if (typeof len !== 'string') writeInt(d.bytes, len.off, 4, BigInt(name.length));
  };
  const setPtr = (o: KernelObject, field: string, p: bigint): void => {
    const loc = memberPath(btf, o.typeId, field);
    if (typeof loc !== 'string') writeInt(o.bytes, loc.off, 8, p);
  };
  setName(root, '/');
  setPtr(root, 'd_parent', w.pointer(root));
  let parent = root;
  parts.forEach((p, i) => {
    const d = w.add(`${obj.name}__dentry${i}`, dentryT);
    setName(d, p);
    setPtr(d, 'd_parent', w.pointer(parent));
    parent = d;
  });
  const mnt = w.add(`${obj.name}__mnt`, mntT);
  setPtr(mnt, 'mnt_root', w.pointer(root));
  let inode: KernelObject | undefined;
  if (inodeT !== undefined) {
    inode = w.add(`${obj.name}__inode`, inodeT);
    setPtr(parent, 'd_inode', w.pointer(inode));
    const mode = memberPath(btf, inodeT, 'i_mode');
    // S_IFREG | 0644 for a file, S_IFDIR | 0755 for the root
    if (typeof mode !== 'string') writeInt(inode.bytes, mode.off, 2, parts.length ? 0o100644n : 0o040755n);
    const ino = memberPath(btf, inodeT, 'i_ino');
    if (typeof ino !== 'string') writeInt(inode.bytes, ino.off, 8, BigInt(1000 + parts.length));
  }
  const base = obj.typeName === 'file' ? 'f_path.' : '';
  setPtr(obj, `${base}dentry`, w.pointer(parent));
  setPtr(obj, `${base}mnt`, w.pointer(mnt));
  if (obj.typeName === 'file' && inode) setPtr(obj, 'f_inode', w.pointer(inode));
}

/** The absolute path of `dentry` (walking d_parent to the root, as d_path does inside one mount). */
export function dentryPath(w: KernelWorld, dentry: bigint): string | undefined {
  const parts: string[] = [];
  let p = dentry;
  for (let depth = 0; depth < 256; depth++) {
    const at = w.resolve(p);
    if (!at || at.obj.typeName !== 'dentry' || at.off !== 0) return undefined;
    const parent = w.field(at.obj, 'd_parent');
    if (parent === undefined || parent === p || parent === 0n) return '/' + parts.reverse().join('/');
    const name = w.field(at.obj, 'd_name.name');
    const len = Number(w.field(at.obj, 'd_name.len') ?? 0n);
    const s = name !== undefined ? w.mem.decode(name) : null;
    if (!s) return undefined;
    parts.push(String.fromCharCode(...w.mem.bytes[s.id]!.subarray(s.off, s.off + len)));
    p = parent;
  }
  return undefined;
}

/**
 * A world as built into a memory: its regions (ids `base` on, every one a plain read-only kernel
 * region: objects and strings) with their bytes as built, and its objects. Building the default
 * world walks the kernel BTF for every field it sets; replaying the image is copying bytes.
 */
export interface WorldImage {
  btf: Btf;
  base: number;
  /** The regions' bytes end to end, and where each region ends in it. */
  bytes: Uint8Array;
  ends: number[];
  /** Each region's bytes (a view of `bytes`) and a DataView over them: every replay's regions, shared (read-only; see KernelWorld.ownBytes). */
  regions: Uint8Array[];
  views: DataView[];
  /** The objects as built (a run may add more to its world later: kfuncs creating objects). */
  objects: Omit<KernelObject, 'bytes'>[];
  current: string | undefined;
}

/** The world `w` just built into its memory from region `base` on, or undefined when a region is not a plain kernel one. */
export function captureWorld(w: KernelWorld, base: number): WorldImage | undefined {
  const mem = w.mem;
  const ends: number[] = [];
  let total = 0;
  for (let id = base; id < mem.count; id++) {
    const b = mem.bytes[id]!;
    if (mem.kindOf(id) !== 'kernel' || mem.flags[id] !== 0 || mem.owners[id] !== undefined || mem.start[id] !== 0 || mem.end[id] !== b.length || mem.origin[id] !== 0) return undefined;
    ends.push((total += b.length));
  }
  const bytes = new Uint8Array(total);
  for (let id = base, at = 0; id < mem.count; id++) { bytes.set(mem.bytes[id]!, at); at += mem.bytes[id]!.length; }
  const objects = [...w.objects.values()].map(({ name, typeId, typeName, region }) => ({ name, typeId, typeName, region }));
  const regions: Uint8Array[] = [], views: DataView[] = [];
  for (let i = 0, at = 0; i < ends.length; at = ends[i++]!) {
    const r = bytes.subarray(at, ends[i]!);
    regions.push(r);
    views.push(new DataView(r.buffer, r.byteOffset, r.byteLength));
  }
  return { btf: w.btf, base, bytes, ends, objects, current: w.current?.name, regions, views };
}

/**
 * The captured world in `mem`, whose next region must be `img.base`: its regions at the same ids
 * -- so every pointer the image holds points where it did -- and a world over them. The regions
 * are the image's own bytes and DataViews, shared by every replay: the program cannot write them
 * (kernel regions are read-only), and the runtime's writes copy an object first (KernelWorld.ownBytes).
 * Copying the world's 15 KB and making a DataView for each of its 25 regions was most of the cost
 * of a fuzz run that touches the world (bpf_get_current_task, bpf_cast_to_kern_ctx, ...).
 */
export function replayWorld(img: WorldImage, mem: Memory): KernelWorld {
  if (mem.count !== img.base) throw new Error(`replayWorld: the world was built from region ${img.base}, the memory is at ${mem.count}`);
  const regions = img.regions;
  for (let i = 0; i < regions.length; i++) mem.add('kernel', regions[i]!, { writable: false, view: img.views[i]! });
  const w = new KernelWorld(img.btf, mem);
  w.shareFrom(img.base, regions.length);
  // A literal of the fields, not a spread of the image's object: V8 copies a spread property by
  // property through a generic path, and this was most of a replay's cost (a world has some 20 objects).
  for (const o of img.objects) w.insert({ name: o.name, typeId: o.typeId, typeName: o.typeName, region: o.region, bytes: regions[o.region - img.base]! });
  w.current = img.current === undefined ? undefined : w.objects.get(img.current);
  return w;
}
