#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
// In a sleepable program a held bpf_spin_lock is an RCU section: task->real_parent read under it is
// MEM_RCU, and releasing the last lock makes it untrusted (180c7000712d, in the running 6.18.44).
struct task_struct { struct task_struct *real_parent; } __attribute__((preserve_access_index));
struct val { struct bpf_spin_lock lock; int n; };
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, int); __type(value, struct val); } m SEC(".maps");
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

SEC("syscall")
int rcu_ptr_after_spin_unlock(void *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf(), *parent, *got;
	int k = 0;
	struct val *v = bpf_map_lookup_elem(&m, &k);

	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	parent = t->real_parent;
	bpf_spin_unlock(&v->lock);
	if (!parent)
		return 0;
	got = bpf_task_acquire(parent);
	if (got)
		bpf_task_release(got);
	return 0;
}
