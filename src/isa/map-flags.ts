/**
 * map->map_flags as the kernel keeps them after BPF_MAP_CREATE: the flags user space passed, plus
 * those a map type's allocator adds on its own. The verifier (check_map_access_type), the helpers
 * and map-in-map templates (bpf_map_meta_alloc copies map_flags) all see the stored value.
 */
import type { MapSpec } from './program.js';

/** BPF_F_RDONLY_PROG (include/uapi/linux/bpf.h): programs may only read the map's values. */
const BPF_F_RDONLY_PROG = 1 << 7;

/**
 * dev_map_init_map (kernel/bpf/devmap.c) ORs BPF_F_RDONLY_PROG into devmap and devmap_hash maps:
 * a lookup returns a pointer straight to the device's ifindex, which programs must not write.
 */
export function storedMapFlags(spec: Pick<MapSpec, 'type' | 'flags'>): number {
  return spec.type === 'devmap' || spec.type === 'devmap_hash' ? spec.flags | BPF_F_RDONLY_PROG : spec.flags;
}
