#!/bin/bash
# The kernel's annotated verifier tests beyond ../shared/kernel-selftests: Linux 6.12's
# tools/testing/selftests/bpf/progs/*.c files that carry test_loader annotations (__success,
# __failure) and are not in ../shared, compiled as the selftests Makefile does, with the running
# kernel's verdict per test (ksel.c: libbpf loads the test program and its auxiliary programs).
#   bench/extra-selftests/build.sh [WORKDIR]      (default /tmp/bpflab-extra-selftests)
#   bench/extra-selftests/build.sh --programs [WORKDIR]   the files WITHOUT annotations instead (the
#     programs prog_tests load; default /tmp/bpflab-extra-programs): judge them with
#     program-verdicts.mjs WORKDIR, then node bench/modern-samples.js --dir WORKDIR
# Needs: apt-get (linux-source-6.12), clang-19, gcc, libbpf-dev, capsh, root for the verdicts.
# Variants: BPF_CLANG (default clang-19) and BPF_EXTRA_CFLAGS (appended, so -mcpu=v4 or -O1 override
# the defaults) compile the same sources otherwise; LINUX_SOURCE reuses an unpacked linux-source-6.12.
# Then: node bench/extra-selftests/verdicts.mjs WORKDIR, and
#   bpflab selftests WORKDIR/obj --kernel-verdicts WORKDIR/kernel-verdicts.json
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PROGRAMS=0
if [ "${1:-}" = --programs ]; then PROGRAMS=1; shift; fi
if [ $PROGRAMS = 1 ]; then W=${1:-/tmp/bpflab-extra-programs}; else W=${1:-/tmp/bpflab-extra-selftests}; fi
SHARED=${SHARED:-$HERE/../../../shared/kernel-selftests}
mkdir -p "$W/obj" "$W/err"
cd "$W"
BPF_CLANG=${BPF_CLANG:-clang-19}
if [ -n "${LINUX_SOURCE:-}" ] && [ ! -e linux-source-6.12 ]; then ln -s "$LINUX_SOURCE" linux-source-6.12; fi
if [ ! -d linux-source-6.12 ]; then
  ls linux-source-6.12_*.deb >/dev/null 2>&1 || apt-get download linux-source-6.12
  dpkg-deb -x linux-source-6.12_*.deb pkg
  tar -xJf pkg/usr/src/linux-source-6.12.tar.xz linux-source-6.12/tools/testing/selftests/bpf linux-source-6.12/tools/lib linux-source-6.12/tools/include
  rm -rf pkg
fi
K=$W/linux-source-6.12
P=$K/tools/testing/selftests/bpf/progs
# bpf_helper_defs.h is generated in a kernel build; ../shared carries the one of this kernel.
cp "$SHARED/src/tools/lib/bpf/bpf_helper_defs.h" "$K/tools/lib/bpf/"
ls "$SHARED/obj" | sed 's/\.o$//' | sort > shared.txt
grep -l "__failure\|__success" "$P"/*.c | xargs -n1 basename | sed 's/\.c$//' | sort > annotated.txt
if [ $PROGRAMS = 1 ]; then
  grep -L "__failure\|__success" "$P"/*.c | xargs -n1 basename | sed 's/\.c$//' | sort > files.txt
else
  comm -23 annotated.txt shared.txt > files.txt
fi
CLANG_INC=$($BPF_CLANG -print-resource-dir)/include
n=0; bad=0
for f in $(cat files.txt); do
  if $BPF_CLANG -g -O2 --target=bpf -mcpu=v3 -D__TARGET_ARCH_x86 -mlittle-endian -Wno-compare-distinct-pointer-types -DENABLE_ATOMICS_TESTS \
      -I "$K/tools/lib" -I "$SHARED/src/gen" -I "$K/tools/testing/selftests/bpf" -I "$K/tools/include/uapi" \
      -idirafter "$CLANG_INC" -idirafter /usr/local/include -idirafter /usr/include/x86_64-linux-gnu -idirafter /usr/include \
      ${BPF_EXTRA_CFLAGS:-} -c "$P/$f.c" -o "obj/$f.o" 2> "err/$f.txt"; then n=$((n+1)); else bad=$((bad+1)); rm -f "obj/$f.o"; echo "not compiled: $f (err/$f.txt)"; fi
done
gcc -O1 -o ksel "$HERE/ksel.c" -lbpf
echo "$n objects in $W/obj ($bad not compiled)"
