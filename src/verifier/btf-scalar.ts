/**
 * btf.c's scalar predicates on BTF types, shared by the kfunc argument checks (memory a kfunc
 * reads or writes) and bpf_percpu_obj_new (the object's type).
 */
import type { Btf, BtfType } from '../loader/btf/index.js';
import type { Env } from './env.js';

const isStruct = (t: BtfType | undefined): t is Extract<BtfType, { kind: 'struct' | 'union' }> => !!t && (t.kind === 'struct' || t.kind === 'union');

/** btf_type_is_scalar: an integer or an enum. */
export const isScalarType = (t: BtfType | undefined): boolean => !!t && (t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64');

/** __btf_type_is_scalar_struct: a struct whose members are scalars, arrays of scalars or such structs (3 levels deep). */
export function isScalarStruct(env: Env, btf: Btf, t: BtfType | undefined, depth: number): boolean {
  if (!isStruct(t)) return false;
  for (const m of t.members) {
    let mt = btf.skipMods(m.type);
    if (isStruct(mt)) {
      if (depth >= 3) { env.log?.line('max struct nesting depth exceeded'); return false; }
      if (!isScalarStruct(env, btf, mt, depth + 1)) return false;
      continue;
    }
    if (mt?.kind === 'array') {
      if (!mt.nelems) return false;
      mt = btf.skipMods(mt.type);
    }
    if (!isScalarType(mt)) return false;
  }
  return true;
}
