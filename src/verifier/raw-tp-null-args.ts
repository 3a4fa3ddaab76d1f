/**
 * btf_ctx_access's raw_tp_null_args (kernel/bpf/btf.c): tracepoints whose pointer arguments the
 * kernel types as possibly NULL (PTR_MAYBE_NULL) or possibly an error pointer (read as a scalar)
 * for tp_btf programs. Each argument has a nibble of the mask, argument i at bits 4i..4i+3:
 * 0x1 = may be NULL, 0x2 = may be IS_ERR.
 *
 * The list is the one of the kernel's btf.c of this generation, with the three entries the running
 * 6.18.44 kernel also has (sched_process_wait's pid, signal_generate's and signal_deliver's siginfo,
 * which may be SEND_SIG_NOINFO/SEND_SIG_PRIV): every tracepoint of the running kernel's BTF was
 * checked against it (test/verifier/raw-tp-null-args.test.ts probes a sample).
 */

/** One mask for several tracepoints, to keep the table short. */
const group = (mask: number, names: readonly string[]): [string, number][] => names.map((n) => [n, mask]);

const RAW_TP_NULL_ARGS: ReadonlyMap<string, number> = new Map<string, number>([
  // sched
  ['sched_pi_setprio', 0x10], ['sched_stick_numa', 0x100], ['sched_swap_numa', 0x100], ['sched_process_wait', 0x1],
  // signal: the siginfo may be SEND_SIG_NOINFO / SEND_SIG_PRIV (small constants, not pointers)
  ['signal_generate', 0x20], ['signal_deliver', 0x20],
  // afs
  ...group(0x10, ['afs_make_fs_call', 'afs_make_fs_calli', 'afs_make_fs_call1', 'afs_make_fs_call2', 'afs_flock_ev']),
  ['afs_protocol_error', 0x1],
  // cachefiles
  ['cachefiles_lookup', 0x1 | 0x200],
  ...group(0x1, ['cachefiles_unlink', 'cachefiles_rename', 'cachefiles_prep_read', 'cachefiles_mark_active',
    'cachefiles_mark_failed', 'cachefiles_mark_inactive', 'cachefiles_vfs_error', 'cachefiles_io_error',
    'cachefiles_ondemand_open', 'cachefiles_ondemand_copen', 'cachefiles_ondemand_close', 'cachefiles_ondemand_read',
    'cachefiles_ondemand_cread', 'cachefiles_ondemand_fd_write', 'cachefiles_ondemand_fd_release']),
  // ext4 (ext4__mballoc), fib
  ...group(0x10, ['ext4_mballoc_discard', 'ext4_mballoc_free']),
  ['fib_table_lookup', 0x100],
  // filelock (filelock_lock, filelock_lease)
  ...group(0x10, ['posix_lock_inode', 'fcntl_setlk', 'locks_remove_posix', 'flock_lock_inode', 'break_lease_noblock',
    'break_lease_block', 'break_lease_unblock', 'generic_delete_lease', 'time_out_leases']),
  // host1x, huge_memory, kmem
  ['host1x_cdma_push_gather', 0x10000],
  ...group(0x10, ['mm_khugepaged_scan_pmd', 'mm_khugepaged_scan_file', 'mm_khugepaged_collapse_file']),
  ...group(0x1, ['mm_collapse_huge_page_isolate', 'mm_page_alloc', 'mm_page_pcpu_drain', 'mm_page_alloc_zone_locked']),
  // netfs, power, qdisc
  ['netfs_failure', 0x10], ['device_pm_callback_start', 0x10], ['qdisc_dequeue', 0x1000],
  // rxrpc
  ['rxrpc_recvdata', 0x1], ['rxrpc_resend', 0x10], ['rxrpc_tq', 0x10], ['rxrpc_client', 0x1],
  // skb, sunrpc (xprt_cong_event)
  ['kfree_skb', 0x1000], ['xs_stream_read_data', 0x1],
  ...group(0x10, ['xprt_reserve_cong', 'xprt_release_cong', 'xprt_get_cong', 'xprt_put_cong']),
  // tcp, tegra_apb_dma, timer_migration
  ['tcp_send_reset', 0x11], ['tcp_sendmsg_locked', 0x100], ['tegra_dma_tx_status', 0x100], ['tmigr_update_events', 0x1],
  // writeback (writeback_folio_template), rdma, bpf_testmod, amdgpu, netfs
  ...group(0x10, ['writeback_dirty_folio', 'folio_wait_writeback']),
  ['mr_integ_alloc', 0x2000], ['bpf_testmod_test_read', 0x0],
  ...group(0x1, ['amdgpu_vm_bo_map', 'amdgpu_vm_bo_unmap', 'netfs_folioq']),
  // xfs (xfs_defer_pending_class, xfs_defer_pending_item_class, xfs_fs_class)
  ...group(0x1, ['xfs_defer_create_intent', 'xfs_defer_cancel_list', 'xfs_defer_pending_finish', 'xfs_defer_pending_abort',
    'xfs_defer_relog_intent', 'xfs_defer_isolate_paused', 'xfs_defer_item_pause', 'xfs_defer_item_unpause',
    'xfs_defer_add_item', 'xfs_defer_cancel_item', 'xfs_defer_finish_item',
    'xfs_inodegc_flush', 'xfs_inodegc_push', 'xfs_inodegc_start', 'xfs_inodegc_stop', 'xfs_inodegc_queue',
    'xfs_inodegc_throttle', 'xfs_fs_sync_fs', 'xfs_blockgc_start', 'xfs_blockgc_stop', 'xfs_blockgc_worker',
    'xfs_blockgc_flush_all']),
  // xfs (xfs_icwalk_class, xfs_btree_cur_class, xfs_imap_class)
  ...group(0x10, ['xfs_ioc_free_eofblocks', 'xfs_blockgc_free_space']),
  ...group(0x100, ['xfs_btree_updkeys', 'xfs_btree_overlapped_query_range']),
  ...group(0x10000, ['xfs_map_blocks_found', 'xfs_map_blocks_alloc']),
  ...group(0x1000, ['xfs_iomap_alloc', 'xfs_iomap_found']),
  // xfs_scrub
  ['xchk_nlinks_live_update', 0x10], ['xchk_metapath_lookup', 0x100],
  // nfsd, nfs4, pnfs_layout_event
  ['nfsd_dirent', 0x1], ['nfsd_file_acquire', 0x1001], ['nfsd_file_insert_err', 0x1], ['nfsd_file_cons_err', 0x1],
  ['nfs4_setup_sequence', 0x1], ['pnfs_update_layout', 0x10000],
  ...group(0x200, ['nfs4_inode_callback_event', 'nfs4_inode_stateid_callback_event']),
  ...group(0x10000, ['pnfs_mds_fallback_pg_init_read', 'pnfs_mds_fallback_pg_init_write',
    'pnfs_mds_fallback_pg_get_mirror_count', 'pnfs_mds_fallback_read_done', 'pnfs_mds_fallback_write_done',
    'pnfs_mds_fallback_read_pagelist', 'pnfs_mds_fallback_write_pagelist']),
  // coda, cfg80211 (and wiphy_work_event)
  ...group(0x10, ['coda_dec_pic_run', 'coda_dec_pic_done']),
  ['cfg80211_scan_done', 0x11], ['rdev_set_coalesce', 0x10], ['cfg80211_report_wowlan_wakeup', 0x100],
  ['cfg80211_inform_bss_frame', 0x100], ['cfg80211_michael_mic_failure', 0x10000],
  ...group(0x10, ['wiphy_work_queue', 'wiphy_work_run', 'wiphy_work_cancel', 'wiphy_work_flush']),
  // hugetlbfs, spufs, kvm_hv, dpu, binder, bcachefs, hfi1_tx, iptfs, neigh, snd_firewire_lib
  ['hugetlbfs_alloc_inode', 0x10], ['spufs_context', 0x10], ['kvm_page_fault_enter', 0x100],
  ['dpu_crtc_setup_mixer', 0x100], ['binder_transaction', 0x100], ['btree_path_free', 0x100],
  ['hfi1_sdma_progress', 0x1000], ['iptfs_ingress_postq_event', 0x1000], ['neigh_update', 0x10], ['amdtp_packet', 0x100],
]);

/** What raw_tp_null_args says of argument `arg` of tracepoint `tp`: may it be NULL, may it be an error pointer. */
export function rawTpArgNullness(tp: string, arg: number): { maybeNull: boolean; maybeErr: boolean } {
  const mask = RAW_TP_NULL_ARGS.get(tp);
  if (mask === undefined) return { maybeNull: false, maybeErr: false };
  const nibble = Math.floor(mask / 2 ** (arg * 4)) % 16;
  return { maybeNull: (nibble & 1) !== 0, maybeErr: (nibble & 2) !== 0 };
}
