#!/bin/bash
# The kernel's older verifier suite, test_verifier (Linux 6.12's tools/testing/selftests/bpf/
# verifier/*.c: raw instruction tests, none of them in ../shared), run on the live kernel with a
# dump of every load (tv-dump.c), so that test-verifier.mjs can give bpflab the same programs:
#   bench/extra-selftests/test-verifier.sh [WORKDIR]     (default /tmp/bpflab-test-verifier)
#   node bench/extra-selftests/test-verifier.mjs WORKDIR/dump.jsonl [--verbose]
# Needs: apt-get (linux-source-6.12), gcc, make, libelf-dev, zlib, root.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
W=${1:-/tmp/bpflab-test-verifier}
mkdir -p "$W"
cd "$W"
if [ ! -d linux-source-6.12/tools/testing/selftests/bpf/verifier ]; then
  ls linux-source-6.12_*.deb >/dev/null 2>&1 || apt-get download linux-source-6.12
  dpkg-deb -x linux-source-6.12_*.deb pkg
  tar -xJf pkg/usr/src/linux-source-6.12.tar.xz linux-source-6.12/tools linux-source-6.12/include/uapi \
    linux-source-6.12/scripts linux-source-6.12/kernel/bpf/disasm.c linux-source-6.12/kernel/bpf/disasm.h
  rm -rf pkg
fi
L=$W/linux-source-6.12
S=$L/tools/testing/selftests/bpf
[ -f "$L/tools/lib/bpf/libbpf.a" ] || make -s -C "$L/tools/lib/bpf" -j2 >/dev/null
mkdir -p inc && ln -sfn "$L/tools/lib/bpf" inc/bpf
# verifier/tests.h, as the selftests Makefile generates it.
( cd "$S/verifier" && { echo '#ifdef FILL_ARRAY'; ls *.c | sed -e 's@\(.*\)@#include "\1"@'; echo '#endif'; } ) > "$S/verifier/tests.h"
# The hooks: tv-dump.c before do_test_single, a dump after each load, the test's index, the BTF
# blobs load_btf_spec loads, the output file from TV_DUMP; bpf_testmod is optional here.
cp "$HERE/tv-dump.c" "$S/tv-dump.c"
python3 - "$S/test_verifier.c" "$S/tv.c" <<'EOF'
import sys
s = open(sys.argv[1]).read()
def hook(old, new, count=1):
    global s
    if s.count(old) < 1: sys.exit(f'test-verifier.sh: no "{old.strip()}" in test_verifier.c')
    s = s.replace(old, new, count)
hook('static void do_test_single(struct bpf_test *test, bool unpriv,', '#include "tv-dump.c"\n\nstatic void do_test_single(struct bpf_test *test, bool unpriv,')
hook('\tfd_prog = bpf_prog_load(prog_type, NULL, "GPL", prog, prog_len, &opts);\n\tsaved_errno = errno;\n',
     '\tfd_prog = bpf_prog_load(prog_type, NULL, "GPL", prog, prog_len, &opts);\n\tsaved_errno = errno;\n'
     '\ttv_dump(test, unpriv, prog_type, prog, prog_len, &opts, fd_prog, saved_errno, expected_ret, expected_err);\n')
hook('\tdo_test_fixup(test, prog_type, prog, map_fds, &fd_array[1]);', '\ttv_last_btf_len = 0;\n\tdo_test_fixup(test, prog_type, prog, map_fds, &fd_array[1]);')
hook('\t\tstruct bpf_test *test = &tests[i];\n', '\t\tstruct bpf_test *test = &tests[i];\n\n\t\ttv_idx = i;\n')
hook('\tbtf_fd = bpf_btf_load(raw_btf, ptr - raw_btf, &opts);\n', '\tbtf_fd = bpf_btf_load(raw_btf, ptr - raw_btf, &opts);\n\ttv_remember_btf(raw_btf, ptr - raw_btf);\n')
hook('\tif (load_bpf_testmod(verbose))\n\t\treturn EXIT_FAILURE;', '\tload_bpf_testmod(verbose);')
hook('\tbpf_semi_rand_init();', '\tif (getenv("TV_DUMP"))\n\t\ttv_out = fopen(getenv("TV_DUMP"), "w");\n\tbpf_semi_rand_init();')
# tv-dump.c's helpers are defined before load_btf_spec uses them: move the include up.
s = s.replace('#include "tv-dump.c"\n\n', '', 1)
hook('static int load_btf_spec(', '#include "tv-dump.c"\n\nstatic int load_btf_spec(')
open(sys.argv[2], 'w').write(s)
EOF
gcc -O1 -w -I inc -I "$L/tools/include" -I "$L/tools/include/uapi" -I "$S" -I "$L/tools/lib" -I "$L/kernel/bpf" -o test_verifier \
  "$S/tv.c" "$S/testing_helpers.c" "$S/cap_helpers.c" "$S/unpriv_helpers.c" "$L/kernel/bpf/disasm.c" "$L/tools/lib/bpf/libbpf.a" -lelf -lz
TV_DUMP="$W/dump.jsonl" ./test_verifier > run.log 2>&1 || true
tail -1 run.log
echo "$(wc -l < "$W/dump.jsonl") loads in $W/dump.jsonl"
