#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
/* sk_reuseport (and tracing) get bpf_get_socket_ptr_cookie_proto, whose socket argument is
 * ARG_PTR_TO_BTF_ID_SOCK_COMMON | PTR_MAYBE_NULL: migrating_sk (sock_common_or_null) goes in
 * unchecked, and so would NULL. */
SEC("sk_reuseport") int socket_cookie_maybe_null(struct sk_reuseport_md *ctx)
{
	return bpf_get_socket_cookie(ctx->migrating_sk) == bpf_get_socket_cookie(ctx->sk) ? SK_DROP : SK_PASS;
}
