/**
 * bpf_sk_storage_get / bpf_sk_storage_delete (net/core/bpf_sk_storage.c) on an sk_storage map:
 * a value per socket, found through the socket argument (any reference the socket helpers
 * returned). NULL sockets, sockets that are no full socket and unknown flags give NULL / -EINVAL
 * as in the kernel.
 */
import { arg, setR0, setR0Int } from '../../env.js';
import { MemoryBudgetError } from '../../maps/budget.js';
import { isSkStorageMap } from '../../maps/guards.js';
import { BPF_SK_STORAGE_GET_F_CREATE } from '../../maps/sk-storage.js';
import { Memory } from '../../memory.js';
import { EINVAL, type HelperFn, argMem, mapArg, progReadonly } from './common.js';
import { refArg } from './sockets.js';

/** bpf_sk_storage_get(map, sk, value, flags): the socket's value, created (from *value or zeroed) with F_CREATE. */
export const skStorageGet: HelperFn = (env) => {
  const map = mapArg(env, 1);
  if (!isSkStorageMap(map)) { setR0(env, 0n); return; }
  const sk = refArg(env, 2, true)?.ref.socket;
  const flags = arg(env, 4);
  if (!sk || !sk.full || flags > BigInt(BPF_SK_STORAGE_GET_F_CREATE)) { setR0(env, 0n); return; }
  const init = arg(env, 3) === 0n ? null : argMem(env, 3, map.spec.valueSize, false);
  let v: Uint8Array | null;
  try {
    v = map.storage(sk.spec, init, flags === BigInt(BPF_SK_STORAGE_GET_F_CREATE));
  } catch (e) {
    if (!(e instanceof MemoryBudgetError)) throw e;
    v = null; // bpf_local_storage_update failing with -ENOMEM: NULL
  }
  setR0(env, v ? Memory.ptr(env.mem.regionFor('map_value', v, !progReadonly(map), map), 0) : 0n);
};

/** bpf_sk_storage_delete(map, sk): 0, -ENOENT without a value, -EINVAL for a NULL socket. */
export const skStorageDelete: HelperFn = (env) => {
  const map = mapArg(env, 1);
  const sk = refArg(env, 2, true)?.ref.socket;
  if (!sk || !isSkStorageMap(map)) { setR0Int(env, EINVAL); return; }
  setR0Int(env, map.remove(sk.spec));
};
