#!/usr/bin/env bash
# Rebuilds the committed object from its C source (needs clang-19 and libbpf-dev from Debian).
set -euo pipefail
cd "$(dirname "$0")"
ARCH_INC=/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
for c in *.c; do "${CLANG:-clang-19}" -O2 -g --target=bpf -D__TARGET_ARCH_x86 -I"$ARCH_INC" -c "$c" -o "${c%.c}.o"; echo "built ${c%.c}.o"; done
