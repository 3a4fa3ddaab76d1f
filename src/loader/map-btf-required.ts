/**
 * Map types whose BPF_MAP_CREATE demands btf_key_type_id and btf_value_type_id
 * (bpf_local_storage_map_alloc_check): without BTF the kernel refuses them with EINVAL.
 */
export const BTF_REQUIRED_MAP_TYPES: ReadonlySet<string> = new Set(['sk_storage', 'inode_storage', 'task_storage', 'cgrp_storage']);
