/**
 * The world a run sees when the description leaves things out: the current task (pid, tgid,
 * comm, uid/gid of the run's Task) with its cred, mm, files, fs and cgroup, its parent init
 * (pid 1), an open file /tmp/bpflab.txt with its dentries and mount, a struct filename, an exec's
 * linux_binprm and an IPv4 socket: enough for the common fields tracing tools read
 * (task->real_parent->tgid, task->cred->uid, task->cgroups->dfl_cgrp->kn->id, file->f_path, ...).
 * A user description is laid over it (see mergeWorlds): same-named objects merge field by field.
 */
import type { Task } from '../env.js';
import type { WorldDescription } from './description.js';

export const DEFAULT_FILE_PATH = '/tmp/bpflab.txt';
export const DEFAULT_EXEC_PATH = '/usr/bin/true';

/** Names of the default objects: one the kernel BTF lacks is left out rather than refused. */
export const DEFAULT_OBJECT_NAMES: ReadonlySet<string> = new Set([
  'current', 'init', 'cred', 'init_cred', 'mm', 'files', 'fs', 'css_set', 'cgroup', 'cgroup_kn', 'file', 'filename', 'bprm', 'sock',
]);

function taskFields(pid: number, tgid: number, comm: string, cred: string, parent: string, self: string, mm: string | null): Record<string, string | number | null> {
  return {
    pid, tgid, comm, real_parent: `@${parent}`, parent: `@${parent}`, group_leader: `@${self}`, cred: `@${cred}`, real_cred: `@${cred}`,
    mm, active_mm: mm, files: '@files', fs: '@fs', cgroups: '@css_set', prio: 120, static_prio: 120, normal_prio: 120, usage: 1, rcu_users: 2,
  };
}

/** The default world for a run whose current task is `task`. */
export function defaultWorld(task: Readonly<Task>): WorldDescription {
  const ids = (uid: number, gid: number) => ({ uid, gid, suid: uid, sgid: gid, euid: uid, egid: gid, fsuid: uid, fsgid: gid });
  return {
    current: 'current',
    objects: {
      current: { type: 'task_struct', fields: taskFields(task.pid, task.tgid, task.comm.slice(0, 15), 'cred', 'init', 'current', '@mm') },
      init: { type: 'task_struct', fields: taskFields(1, 1, 'systemd', 'init_cred', 'init', 'init', '@mm') },
      cred: { type: 'cred', fields: ids(task.uid, task.gid) },
      init_cred: { type: 'cred', fields: ids(0, 0) },
      mm: { type: 'mm_struct' },
      files: { type: 'files_struct' },
      fs: { type: 'fs_struct' },
      css_set: { type: 'css_set', fields: { dfl_cgrp: '@cgroup' } },
      cgroup: { type: 'cgroup', fields: { kn: '@cgroup_kn', level: (task.cgroupAncestors ?? []).filter((a) => a !== task.cgroupId).length } },
      cgroup_kn: { type: 'kernfs_node', fields: { id: task.cgroupId.toString() } },
      // O_RDONLY | O_LARGEFILE, FMODE_READ
      file: { type: 'file', path: DEFAULT_FILE_PATH, fields: { f_flags: 0o100000, f_mode: 1 } },
      filename: { type: 'filename', fields: { name: DEFAULT_FILE_PATH, uptr: '0x7ffd00001000' } },
      bprm: { type: 'linux_binprm', fields: { filename: DEFAULT_EXEC_PATH, interp: DEFAULT_EXEC_PATH, file: '@file', argc: 1 } },
      // 127.0.0.1:8080 <- 127.0.0.1:43210, AF_INET, TCP_ESTABLISHED (ports: skc_num host order, skc_dport network order)
      sock: { type: 'sock', fields: { '__sk_common.skc_family': 2, '__sk_common.skc_rcv_saddr': 0x0100007f, '__sk_common.skc_daddr': 0x0100007f,
        '__sk_common.skc_num': 8080, '__sk_common.skc_dport': 0xcaa8, '__sk_common.skc_state': 1, sk_protocol: 6, sk_type: 1 } },
    },
  };
}
