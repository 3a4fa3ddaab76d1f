/**
 * The JSON description of a kernel world (`bpflab run --kernel-objects FILE`): named kernel
 * objects typed by the kernel's BTF, with field values; every field left out is zero.
 *
 *     {
 *       "current": "current",                       // the task bpf_get_current_task answers
 *       "objects": {
 *         "current": { "type": "task_struct", "fields": { "pid": 7, "comm": "sh", "cred": "@cred", "real_parent": "@init" } },
 *         "cred":    { "type": "cred", "fields": { "uid": 1000, "euid": 1000 } },
 *         "f":       { "type": "file", "path": "/tmp/x", "fields": { "f_flags": 2 } }
 *       },
 *       "args": ["@f", 0],                          // the attach target's arguments (fentry, lsm, tp_btf, ...)
 *       "ret": 0                                    // fexit / fmod_ret / lsm: the return value slot
 *     }
 *
 * A field value is: a number (or a decimal / 0x string for 64-bit values) for integers, enums and
 * pointers given as addresses; "@NAME" or "@NAME.a.b" for a pointer to an object (or to a field
 * inside it); a string for a char array, or for a `char *` field (the string is placed in kernel
 * memory); an object for a nested struct (keys may be dotted paths: "f_path.dentry"); an array
 * for an array; a number for a struct with a single scalar member (kuid_t, atomic_t, ...).
 * `"path"` on a file (or a struct path) builds the dentry chain and mount bpf_d_path walks.
 */
import { InputError } from '../../isa/errors.js';

export type FieldValue = number | string | boolean | null | FieldValue[] | { [key: string]: FieldValue };

export interface ObjectDescription {
  /** A struct or union of the kernel BTF: "task_struct" or "struct task_struct". */
  type: string;
  fields?: Record<string, FieldValue>;
  /** For a `file` or `path`: the absolute path its dentries spell. */
  path?: string;
}

export interface WorldDescription {
  /** Name of the current task (default "current"). */
  current?: string;
  objects?: Record<string, ObjectDescription>;
  /** The context of a BTF-typed program: one value per argument of the attach target. */
  args?: FieldValue[];
  /** The return-value slot of fexit / fmod_ret / lsm programs. */
  ret?: FieldValue;
}

const fail = (where: string, what: string): never => { throw new InputError('kernel_objects', `${where}: ${what}`); };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks the shape of a parsed JSON description (types of each part); `where` names the file. */
export function parseWorldDescription(json: unknown, where: string): WorldDescription {
  if (!isRecord(json)) return fail(where, 'expected a JSON object with "objects" (and optionally "current", "args", "ret")');
  for (const k of Object.keys(json)) if (!['current', 'objects', 'args', 'ret'].includes(k)) fail(where, `unknown key "${k}" (expected current, objects, args, ret)`);
  const out: WorldDescription = {};
  if (json['current'] !== undefined) {
    if (typeof json['current'] !== 'string') fail(where, '"current" must be the name of a task object');
    out.current = json['current'] as string;
  }
  if (json['objects'] !== undefined) {
    const objs = json['objects'];
    if (!isRecord(objs)) return fail(where, '"objects" must map names to {"type": ..., "fields": {...}}');
    out.objects = {};
    for (const [name, o] of Object.entries(objs)) {
      const at = `${where}: objects.${name}`;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(at, 'object names are identifiers (letters, digits, _)');
      if (!isRecord(o)) return fail(at, 'expected {"type": ..., "fields": {...}}');
      for (const k of Object.keys(o)) if (!['type', 'fields', 'path'].includes(k)) fail(at, `unknown key "${k}" (expected type, fields, path)`);
      if (o['type'] !== undefined && typeof o['type'] !== 'string') fail(at, '"type" must name a kernel struct');
      if (o['fields'] !== undefined && !isRecord(o['fields'])) fail(at, '"fields" must be an object');
      if (o['path'] !== undefined && (typeof o['path'] !== 'string' || !o['path'].startsWith('/'))) fail(at, '"path" must be an absolute path');
      const d: ObjectDescription = { type: (o['type'] as string | undefined) ?? '' };
      if (o['fields'] !== undefined) d.fields = o['fields'] as Record<string, FieldValue>;
      if (o['path'] !== undefined) d.path = o['path'] as string;
      out.objects[name] = d;
    }
  }
  if (json['args'] !== undefined) {
    if (!Array.isArray(json['args'])) fail(where, '"args" must be an array (one value per argument of the attach target)');
    out.args = json['args'] as FieldValue[];
  }
  if (json['ret'] !== undefined) out.ret = json['ret'] as FieldValue;
  return out;
}

/** Parses JSON text (bad JSON is one line naming the file). */
export function parseWorldJson(text: string, where: string): WorldDescription {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(where, `not JSON: ${(e as Error).message}`);
  }
  return parseWorldDescription(json, where);
}

/**
 * `over` laid over `base`: objects of the same name merge (type and path replaced when given,
 * fields merged key by key), new objects are added; current/args/ret replaced when given.
 */
export function mergeWorlds(base: WorldDescription, over: WorldDescription): WorldDescription {
  const objects: Record<string, ObjectDescription> = { ...base.objects };
  for (const [name, o] of Object.entries(over.objects ?? {})) {
    const b = objects[name];
    if (!b || (o.type && stripStruct(o.type) !== stripStruct(b.type))) { objects[name] = o; continue; }
    const m: ObjectDescription = { type: b.type, fields: { ...b.fields, ...o.fields } };
    const path = o.path ?? b.path;
    if (path !== undefined) m.path = path;
    objects[name] = m;
  }
  const out: WorldDescription = { objects };
  const current = over.current ?? base.current;
  if (current !== undefined) out.current = current;
  const args = over.args ?? base.args;
  if (args !== undefined) out.args = args;
  const ret = over.ret ?? base.ret;
  if (ret !== undefined) out.ret = ret;
  return out;
}

export function stripStruct(type: string): string {
  return type.replace(/^(struct|union)\s+/, '').trim();
}
