// An execsnoop-like tool, the libbpf-tools way: sys_enter_execve remembers the file name per
// thread, sys_exit_execve emits one event per exec (with its return value) to a ring buffer.
// Build: ./build.sh (clang-19, libbpf-dev).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define TASK_COMM_LEN 16
#define FILENAME_LEN 128

struct exec_start {
	char filename[FILENAME_LEN];
};

struct event {
	__u32 pid;
	__u32 ppid_unused;
	__u32 uid;
	__s32 retval;
	char comm[TASK_COMM_LEN];
	char filename[FILENAME_LEN];
};

// struct trace_event_raw_sys_enter / _sys_exit (as in /sys/kernel/tracing/events/syscalls/*/format)
struct sys_enter_ctx {
	__u64 common;
	__s64 id;
	__u64 args[6];
};
struct sys_exit_ctx {
	__u64 common;
	__s64 id;
	__s64 ret;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct exec_start);
	__uint(max_entries, 10240);
} starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

// keeps struct event in the object's BTF, so user space (and bpflab) can decode records
const struct event *unused_event __attribute__((unused));

SEC("tracepoint/syscalls/sys_enter_execve")
int handle_enter(struct sys_enter_ctx *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct exec_start start = {};

	bpf_probe_read_user_str(start.filename, sizeof(start.filename), (const void *)ctx->args[0]);
	bpf_map_update_elem(&starts, &tid, &start, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int handle_exit(struct sys_exit_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct exec_start *start = bpf_map_lookup_elem(&starts, &tid);
	struct event *e;

	if (!start)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->pid = id >> 32;
		e->ppid_unused = 0;
		e->uid = (__u32)bpf_get_current_uid_gid();
		e->retval = (__s32)ctx->ret;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		__builtin_memcpy(e->filename, start->filename, sizeof(e->filename));
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_delete_elem(&starts, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
