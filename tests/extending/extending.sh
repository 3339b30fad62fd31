#!/bin/sh
# docs/extending.md, built and run: copy the sources, apply the guide's
# ```diff blocks in order, build xmm-sim and libxmm-test, run every ```yaml
# block whose first line is `# file: NAME` (each must pass), check that the
# unpatched xmm-sim rejects them (the patches matter), and build and run
# every ```c block whose first line starts `/* file: NAME`.
# usage: extending.sh SOURCE_DIR XMM_SIM
set -u
src=$1 sim=$2
doc=$src/docs/extending.md
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xmm-extending.XXXXXX")
status=0
fail() { echo "FAILED: $*"; status=1; }
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/src" "$tmp/ex"
for d in CMakeLists.txt cmake include src sim testlib examples; do
    cp -R "$src/$d" "$tmp/src/" || exit 1
done

# Split the guide: patch-N.diff in order, examples by their file: line.
awk -v dir="$tmp/ex" '
    /^```diff$/ { n++; out = sprintf("%s/patch-%02d.diff", dir, n); inblk = 1; next }
    /^```(yaml|c)$/ { inblk = 2; first = 1; next }
    /^```/ { if (out) close(out); inblk = 0; out = ""; next }
    inblk == 1 { print > out; next }
    inblk == 2 && first {
        first = 0
        if (match($0, /^(# |\/\* )file: [A-Za-z0-9_.-]+/)) {
            name = substr($0, RSTART, RLENGTH); sub(/^(# |\/\* )file: /, "", name)
            out = dir "/" name
        } else { inblk = 0; next }
    }
    inblk == 2 { print > out }
' "$doc"
np=$(ls "$tmp/ex"/patch-*.diff 2>/dev/null | wc -l)
ny=$(ls "$tmp/ex"/*.yaml 2>/dev/null | wc -l)
nc=$(ls "$tmp/ex"/*.c 2>/dev/null | wc -l)
[ "$np" -eq 3 ] || fail "expected 3 patches in $doc, found $np"
[ "$ny" -eq 3 ] || fail "expected 3 scenarios in $doc, found $ny"
[ "$nc" -eq 2 ] || fail "expected 2 C programs in $doc, found $nc"

for p in "$tmp/ex"/patch-*.diff; do
    patch -d "$tmp/src" -p1 -s --no-backup-if-mismatch <"$p" || fail "$(basename "$p") does not apply"
done
[ $status -eq 0 ] || exit 1

cmake -S "$tmp/src" -B "$tmp/build" -DXMM_WERROR=ON -DXMM_BUILD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=None -DCMAKE_C_FLAGS=-O0 >"$tmp/cmake.log" 2>&1 ||
    { cat "$tmp/cmake.log"; fail "configure"; exit 1; }
cmake --build "$tmp/build" -j 2 --target xmm-sim xmm_test_static >"$tmp/build.log" 2>&1 ||
    { tail -40 "$tmp/build.log"; fail "the patched sources do not build"; exit 1; }

for y in "$tmp/ex"/*.yaml; do
    "$tmp/build/xmm-sim" run "$y" >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "$(basename "$y") with the patches"; }
    "$sim" run "$y" >"$tmp/out" 2>&1
    rc=$?
    [ $rc -ne 0 ] || fail "$(basename "$y") passes without the patches: it shows nothing new"
done
"$tmp/build/xmm-sim" ops remove_range | grep -q '^### `remove_range`$' || fail "ops remove_range"
"$tmp/build/xmm-sim" run "$tmp/ex/mmio-any.yaml" | grep -q 'violation mmio_region as expected' ||
    fail "mmio-any.yaml does not show the mmio_region violation"

for c in "$tmp/ex"/*.c; do
    b=${c%.c}
    cc -std=c11 -Wall -Wextra -Werror -I"$tmp/src/include" -I"$tmp/src/testlib/include" \
        -o "$b" "$c" "$tmp/build/libxmm-test.a" "$tmp/build/libxmm.a" -lfdt -lcmocka ||
        { fail "$(basename "$c") does not build"; continue; }
    "$b" >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "$(basename "$c") failed"; }
done
exit $status
