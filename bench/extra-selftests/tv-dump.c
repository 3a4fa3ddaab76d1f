// Included into the kernel's test_verifier.c by test-verifier.sh (before do_test_single): writes
// one JSON line per BPF_PROG_LOAD the suite makes, with the test, the program as it was loaded
// (maps by fd, with what BPF_OBJ_GET_INFO_BY_FD says of them), the BTF and func_info it was given
// and the kernel's verdict, for bench/extra-selftests/test-verifier.mjs to hand to bpflab.

static FILE *tv_out;
static int tv_idx;
/* The last BTF blob load_btf_spec loaded for the current test (maps' and the program's BTF). */
static unsigned char tv_last_btf[1 << 16];
static size_t tv_last_btf_len;

static void tv_remember_btf(const void *raw, size_t len)
{
	if (len > sizeof(tv_last_btf))
		return;
	memcpy(tv_last_btf, raw, len);
	tv_last_btf_len = len;
}

static void tv_str(const char *s)
{
	fputc('"', tv_out);
	for (; s && *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(tv_out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(tv_out, "\\u%04x", c);
		else
			fputc(c, tv_out);
	}
	fputc('"', tv_out);
}

static bool tv_is_map_ref(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_IMM | BPF_DW) &&
	       (insn->src_reg == BPF_PSEUDO_MAP_FD || insn->src_reg == BPF_PSEUDO_MAP_VALUE);
}

static void tv_dump(struct bpf_test *test, bool unpriv, int prog_type, struct bpf_insn *prog, int prog_len,
		    struct bpf_prog_load_opts *opts, int fd_prog, int err, int expected_ret, const char *expected_err)
{
	bool have_btf = opts->prog_btf_fd > 0;
	size_t len, start;
	int i, j, lines, first;

	if (!tv_out)
		return;
	fprintf(tv_out, "{\"idx\":%d,\"descr\":", tv_idx);
	tv_str(test->descr);
	fprintf(tv_out, ",\"unpriv\":%s,\"prog_type\":%d,\"expected_attach_type\":%d,\"prog_flags\":%u,\"expected\":%d,\"errstr\":",
		unpriv ? "true" : "false", prog_type, opts->expected_attach_type, opts->prog_flags, expected_ret);
	tv_str(expected_err);
	fprintf(tv_out, ",\"retval\":%u,\"btf\":%s,\"func_info\":%d,\"kfunc\":", test->retval,
		test->btf_types[0] ? "true" : "false", test->func_info_cnt);
	tv_str(test->kfunc);
	fprintf(tv_out, ",\"fd_array\":%s,\"verdict\":\"%s\",\"errno\":%d,\"log\":", opts->fd_array ? "true" : "false",
		fd_prog >= 0 ? "accept" : "reject", fd_prog >= 0 ? 0 : err);
	/* The log's last two lines. */
	len = strlen(bpf_vlog);
	while (len && bpf_vlog[len - 1] == '\n')
		len--;
	for (start = len, lines = 0; start > 0; start--)
		if (bpf_vlog[start - 1] == '\n' && ++lines == 2)
			break;
	{
		char save = bpf_vlog[len];

		bpf_vlog[len] = 0;
		tv_str(bpf_vlog + start);
		bpf_vlog[len] = save;
	}
	fprintf(tv_out, ",\"insns\":\"");
	for (i = 0; i < prog_len; i++)
		for (j = 0; j < 8; j++)
			fprintf(tv_out, "%02x", ((unsigned char *)&prog[i])[j]);
	fprintf(tv_out, "\",\"maps\":{");
	for (i = 0, first = 1; i < prog_len; i++) {
		struct bpf_map_info info = {};
		__u32 info_len = sizeof(info);

		if (!tv_is_map_ref(&prog[i]) || bpf_map_get_info_by_fd(prog[i].imm, &info, &info_len))
			continue;
		fprintf(tv_out, "%s\"%d\":{\"type\":%u,\"key_size\":%u,\"value_size\":%u,\"max_entries\":%u,\"map_flags\":%u,"
			"\"btf_key_type_id\":%u,\"btf_value_type_id\":%u}", first ? "" : ",", prog[i].imm, info.type,
			info.key_size, info.value_size, info.max_entries, info.map_flags, info.btf_key_type_id,
			info.btf_value_type_id);
		first = 0;
		if (info.btf_id)
			have_btf = true;
	}
	fprintf(tv_out, "}");
	if (have_btf && tv_last_btf_len) {
		fprintf(tv_out, ",\"btf_raw\":\"");
		for (len = 0; len < tv_last_btf_len; len++)
			fprintf(tv_out, "%02x", tv_last_btf[len]);
		fprintf(tv_out, "\"");
	}
	fprintf(tv_out, ",\"func_info_recs\":[");
	for (i = 0; i < (int)test->func_info_cnt; i++)
		fprintf(tv_out, "%s[%u,%u]", i ? "," : "", test->func_info[i].insn_off, test->func_info[i].type_id);
	fprintf(tv_out, "]}\n");
	fflush(tv_out);
}
