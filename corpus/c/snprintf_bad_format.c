#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
// bpf_snprintf's constant format is checked at load (check_bpf_snprintf_call): "%y" is no conversion.
static const char fmt[] = "%y";
SEC("socket")
int snprintf_bad_format(struct __sk_buff *ctx)
{
	char out[16];
	__u64 args[1] = {1};

	return bpf_snprintf(out, sizeof(out), fmt, args, sizeof(args));
}
