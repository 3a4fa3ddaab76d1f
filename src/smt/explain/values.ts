/**
 * What the path machine keeps in registers and memory: values with their provenance tracked
 * concretely (which region a pointer points into, as the verifier's register types do) and
 * their numbers symbolic (Z3 terms). Memory is byte-addressed Z3 arrays, one per region, except
 * map values, which live in their map's state indexed by (key, offset) so that two lookups of
 * the same key alias exactly as in the kernel.
 */
import type { BitVec, BitVecSort, BoolSort, SMTArray } from 'z3-solver';
import type { MapSpec } from '../../isa/program.js';
import type { ZB, ZT } from '../z3-algebra.js';
import type { Term, Terms } from './terms.js';

export type ByteArr = SMTArray<'main', [BitVecSort<number, 'main'>], BitVecSort<8, 'main'>>;
export type BoolArr = SMTArray<'main', [BitVecSort<number, 'main'>], BoolSort<'main'>>;

/** Region kinds, named as the VM's MemoryFault reports them. */
export type RegionKind = 'ctx' | 'stack' | 'packet' | 'map_value' | 'mem' | 'sock' | 'kernel';

/** Reads and writes the bytes of one region; `off` is a 64-bit offset from the region's origin. */
export interface ByteStore {
  read(off: Term, n: number): ZT;
  write(off: Term, n: number, v: ZT): void;
}

export interface Region {
  readonly id: number;
  readonly kind: RegionKind;
  /** For messages: "packet", "stack of frame 0", "map_value of counters (lookup at pc 5)". */
  readonly label: string;
  /** Accessible offsets are [lo, hi). */
  readonly lo: Term;
  hi: Term;
  readonly writable: boolean;
  /** Stack accesses must be aligned to their size (the VM and the kernel insist). */
  readonly strictAlign: boolean;
  readonly store: ByteStore;
  /** Map values: the map's index in program.maps. */
  readonly map?: number;
}

export type Val =
  | { readonly k: 'uninit' }
  | { readonly k: 'scalar'; readonly t: Term }
  | PtrVal
  | { readonly k: 'mapptr'; readonly map: number }
  | { readonly k: 'func'; readonly pc: number }
  /** A pointer whose object went away (packet data changed, ring buffer record released). */
  | { readonly k: 'stale'; readonly was: PtrVal; readonly why: string };

export interface PtrVal {
  readonly k: 'ptr';
  readonly region: Region;
  readonly off: Term;
  /** The condition under which this pointer is NULL (map lookups, ring buffer reserves); null when it never is. */
  readonly nul: ZB | null;
  /** Which ctx field produced it (for data_end: "pkt_end"). */
  readonly tag?: 'pkt_end';
}

export const UNINIT: Val = { k: 'uninit' };

/** A region whose bytes are its own Z3 array indexed by the 64-bit offset. */
export class FlatStore implements ByteStore {
  constructor(private readonly T: Terms, public arr: ByteArr) {}

  read(off: Term, n: number): ZT {
    const parts: BitVec<number, 'main'>[] = [];
    for (let i = n - 1; i >= 0; i--) parts.push(this.arr.select(this.T.addk(off, i).z) as BitVec<number, 'main'>);
    return (parts.length === 1 ? parts[0]! : this.T.Z.Concat(...parts)) as ZT;
  }

  write(off: Term, n: number, v: ZT): void {
    let a = this.arr;
    for (let i = 0; i < n; i++) a = a.store(this.T.addk(off, i).z, v.extract(8 * i + 7, 8 * i) as BitVec<8, 'main'>) as ByteArr;
    this.arr = a;
  }
}

/** The symbolic state of one map: its value bytes by (key, offset) and, for hash maps, which keys exist. */
export interface MapModel {
  readonly index: number;
  readonly spec: MapSpec;
  readonly keyBits: number;
  /** Value bytes indexed by concat(key, offset as 32 bits). */
  vals: ByteArr;
  readonly vals0: ByteArr;
  /** Hash-like maps: key -> present. null for arrays (presence = key < max_entries). */
  present: BoolArr | null;
  readonly present0: BoolArr | null;
  /** Keys the path looked up / updated / deleted, in order (for the witness). */
  readonly keys: { pc: number; key: ZT }[];
}

export class MapValueStore implements ByteStore {
  constructor(private readonly T: Terms, private readonly m: MapModel, private readonly key: ZT) {}

  private idx(off: Term, i: number): BitVec<number, 'main'> {
    const o = this.T.addk(off, i).z.extract(31, 0);
    return this.T.Z.Concat(this.key as BitVec<number, 'main'>, o);
  }

  read(off: Term, n: number): ZT {
    const parts: BitVec<number, 'main'>[] = [];
    for (let i = n - 1; i >= 0; i--) parts.push(this.m.vals.select(this.idx(off, i)) as BitVec<number, 'main'>);
    return (parts.length === 1 ? parts[0]! : this.T.Z.Concat(...parts)) as ZT;
  }

  write(off: Term, n: number, v: ZT): void {
    let a = this.m.vals;
    for (let i = 0; i < n; i++) a = a.store(this.idx(off, i), v.extract(8 * i + 7, 8 * i) as BitVec<8, 'main'>) as ByteArr;
    this.m.vals = a;
  }
}
