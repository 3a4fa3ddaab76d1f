/** Map helpers: lookup/update/delete (+percpu lookup), push/pop/peek, for_each_map_elem. */
import { isMapOfMaps, isQueueStackMap } from '../../maps/guards.js';
import { type HelperEnv, arg, argNum, argU32, setR0, setR0Int } from '../../env.js';
import { Memory } from '../../memory.js';
import { EINVAL, type HelperFn, argMem, mapArg, mapPointer, progReadonly } from './common.js';

function flagsArg(env: HelperEnv, n: number): number {
  const v = argNum(env, n);
  return Number.isNaN(v) || v < 0 ? 0xffffffff : v;
}

function lookup(env: HelperEnv, cpu: number): void {
  const map = mapArg(env, 1);
  const key = argMem(env, 2, map.spec.keySize, false);
  if (isMapOfMaps(map)) {
    const inner = map.lookupInner(key);
    setR0(env, inner ? mapPointer(env, inner) : 0n);
    return;
  }
  const ref = map.lookupRef(key, cpu);
  if (!ref) { setR0Int(env, 0); return; }
  const id = env.mem.regionFor('map_value', ref, !progReadonly(map), map);
  env.regs[0] = 0;
  env.regs[1] = Memory.hiOf(id);
}

export const mapLookupElem: HelperFn = (env) => lookup(env, env.cpu);

/** bpf_map_lookup_percpu_elem: NULL when cpu >= nr_cpus. */
export const mapLookupPercpuElem: HelperFn = (env) => {
  const cpu = argU32(env, 3);
  if (cpu >= mapArg(env, 1).cpus) { setR0Int(env, 0); return; }
  lookup(env, cpu);
};

export const mapUpdateElem: HelperFn = (env) => {
  const map = mapArg(env, 1);
  const key = argMem(env, 2, map.spec.keySize, false);
  const value = argMem(env, 3, map.spec.valueSize, false);
  setR0Int(env, map.updateFromProgram(key, value, flagsArg(env, 4), env.cpu));
};

export const mapDeleteElem: HelperFn = (env) => {
  const map = mapArg(env, 1);
  const key = argMem(env, 2, map.spec.keySize, false);
  setR0Int(env, map.deleteFromProgram(key, env.cpu));
};

export const mapPushElem: HelperFn = (env) => {
  const map = mapArg(env, 1);
  if (!isQueueStackMap(map)) { setR0Int(env, EINVAL); return; }
  const value = env.mem.slice(arg(env, 2), map.spec.valueSize, false, env.pc);
  setR0Int(env, map.pushFromProgram(value, flagsArg(env, 3)));
};

function popPeek(pop: boolean): HelperFn {
  return (env) => {
    const map = mapArg(env, 1);
    if (!isQueueStackMap(map)) { setR0Int(env, EINVAL); return; }
    const out = env.mem.slice(arg(env, 2), map.spec.valueSize, true, env.pc);
    setR0Int(env, pop ? map.popFromProgram(out) : map.peekFromProgram(out));
  };
}
export const mapPopElem = popPeek(true);
export const mapPeekElem = popPeek(false);

/**
 * bpf_for_each_map_elem(map, callback, ctx, flags): callback(map, &key, &value, ctx) per element
 * until it returns 1; returns the number of elements visited.
 */
export const forEachMapElem: HelperFn = (env) => {
  const map = mapArg(env, 1);
  const fn = env.mem.decode(arg(env, 2));
  if (argNum(env, 4) !== 0) { setR0Int(env, EINVAL); return; }
  if (!fn || fn.kind !== 'func') { setR0Int(env, EINVAL); return; }
  const ctx = arg(env, 3);
  const mp = mapPointer(env, map);
  let key: Uint8Array | undefined = map.nextKey(null);
  let n = 0;
  while (key) {
    const k = key.slice();
    const ref = map.lookupRef(k, env.cpu);
    if (ref) {
      n++;
      const kid = env.mem.add('map_key', k, { writable: false });
      const vid = env.mem.regionFor('map_value', ref, !progReadonly(map), map);
      const r = env.callFunction(fn.off, mp, Memory.ptr(kid, 0), Memory.ptr(vid, 0), ctx, 0n);
      if (r !== 0n) break;
    }
    key = map.nextKey(k);
  }
  setR0Int(env, n);
};
