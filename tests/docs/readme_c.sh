#!/bin/sh
# Every ```c block of README.md compiles (-Wall -Wextra -Werror) against the
# built libxmm and libxmm-test and runs with exit status 0.
# usage: readme_c.sh SOURCE_DIR LIBXMM_TEST_A LIBXMM_A
set -u
src=$1 testlib=$2 lib=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xmm-readme.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0
awk -v dir="$tmp" '
    /^```c$/ { n++; out = sprintf("%s/block%d.c", dir, n); inblk = 1; next }
    /^```/ { if (inblk) close(out); inblk = 0; next }
    inblk { print > out }
' "$src/README.md"
n=$(ls "$tmp"/block*.c 2>/dev/null | wc -l)
[ "$n" -ge 2 ] || { echo "FAILED: README.md has $n C blocks, expected the cmocka and the plain example"; exit 1; }
for c in "$tmp"/block*.c; do
    if ! cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I"$src/include" \
        -I"$src/testlib/include" -o "${c%.c}" "$c" "$testlib" "$lib" -lfdt -lcmocka; then
        echo "FAILED: README.md block $(basename "$c") does not build"; status=1; continue
    fi
    "${c%.c}" >"$tmp/out" 2>&1 || { cat "$tmp/out"; echo "FAILED: README.md block $(basename "$c")"; status=1; }
done
exit $status
