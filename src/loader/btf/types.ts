/**
 * The BTF type model (include/uapi/linux/btf.h): one record per type id, id 0 is void.
 * Records are plain data; `Btf` (btf.ts) adds lookups and printing.
 */

export const BTF_KIND = {
  unknown: 0,
  int: 1,
  ptr: 2,
  array: 3,
  struct: 4,
  union: 5,
  enum: 6,
  fwd: 7,
  typedef: 8,
  volatile: 9,
  const: 10,
  restrict: 11,
  func: 12,
  func_proto: 13,
  var: 14,
  datasec: 15,
  float: 16,
  decl_tag: 17,
  type_tag: 18,
  enum64: 19,
} as const;
export type BtfKindName = keyof typeof BTF_KIND;

export const BTF_INT_SIGNED = 1;
export const BTF_INT_CHAR = 2;
export const BTF_INT_BOOL = 4;

/** Function and variable linkage (BTF_FUNC_* / BTF_VAR_*). */
export const BTF_LINKAGE = ['static', 'global', 'extern'] as const;

export interface BtfMember {
  name: string;
  type: number;
  /** Offset from the start of the struct in bits. */
  bitOffset: number;
  /** Bitfield width in bits, 0 when the member is not a bitfield. */
  bitfieldSize: number;
}

export interface BtfParam {
  name: string;
  type: number;
}

export interface BtfEnumValue {
  name: string;
  value: bigint;
}

export interface BtfVarSecinfo {
  type: number;
  offset: number;
  size: number;
}

interface Base {
  id: number;
  name: string;
}

export type BtfType =
  | (Base & { kind: 'void' })
  | (Base & { kind: 'int'; size: number; encoding: number; bitOffset: number; bits: number })
  | (Base & { kind: 'ptr'; type: number })
  | (Base & { kind: 'array'; type: number; indexType: number; nelems: number })
  | (Base & { kind: 'struct' | 'union'; size: number; members: BtfMember[] })
  | (Base & { kind: 'enum' | 'enum64'; size: number; signed: boolean; values: BtfEnumValue[] })
  | (Base & { kind: 'fwd'; union: boolean })
  | (Base & { kind: 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag'; type: number })
  | (Base & { kind: 'func'; type: number; linkage: number })
  | (Base & { kind: 'func_proto'; type: number; params: BtfParam[] })
  | (Base & { kind: 'var'; type: number; linkage: number })
  | (Base & { kind: 'datasec'; size: number; vars: BtfVarSecinfo[] })
  | (Base & { kind: 'float'; size: number })
  | (Base & { kind: 'decl_tag'; type: number; componentIdx: number });

export type BtfKind = BtfType['kind'];

/** Kinds that only qualify another type (skipped to reach the underlying one). */
export function isModifier(t: BtfType): t is Extract<BtfType, { kind: 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag' }> {
  return t.kind === 'typedef' || t.kind === 'volatile' || t.kind === 'const' || t.kind === 'restrict' || t.kind === 'type_tag';
}
