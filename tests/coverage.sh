#!/usr/bin/env bash
# Line coverage of src/ (gcc --coverage, gcov): first by the fuzz corpora
# alone (tests/fuzz/corpus replayed by the standalone drivers), then by the
# corpora and every test.  Fails when the second total is under MIN percent
# (default 90).  Prints a line per file and the lines not covered by the
# whole run, by function.  Used by .ci/run; docs/reliability.md has the
# figures of the last run.
# usage: tests/coverage.sh [BUILD_DIR] [MIN]
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
b=${1:-build-cov}
min=${2:-90}
cmake -S . -B "$b" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS="--coverage -O0" \
      -DCMAKE_EXE_LINKER_FLAGS=--coverage -DCMAKE_SHARED_LINKER_FLAGS=--coverage >/dev/null
cmake --build "$b" -j "${JOBS:-2}" >/dev/null
objs=$b/CMakeFiles/xmm_static.dir/src

# report LABEL: per-file and total line coverage of src/*.c from the .gcda now
report() {
    (cd "$objs" && for f in "$src"/src/*.c; do
        gcov -n -o "$(basename "$f").gcda" "$f" 2>/dev/null
    done) | awk -v src="$src" -v label="$1" -v min="$min" '
        /^File/ { f = $2; gsub("\047", "", f) }
        /^Lines executed/ {
            if (f !~ src "/src/.*[.]c$" || (f in seen)) next
            seen[f] = 1
            split($2, a, ":"); p = a[2]; sub("%", "", p); n = $4
            printf "  %-22s %6.2f%% of %d\n", substr(f, length(src) + 2), p, n
            T += n; C += p * n / 100
        }
        END {
            t = 100 * C / T
            printf "%s: %.2f%% of %d lines of src/\n", label, t, T
            exit (t < min) ? 1 : 0
        }'
}

status=0
find "$b" -name '*.gcda' -delete
(cd "$b" && ctest -L fuzz-replay >/dev/null)
# The corpora alone: a figure (docs/reliability.md), not a gate.
report "coverage by the fuzz corpora" || true
# docs/readme-c links the examples itself (no --coverage): not a coverage run.
(cd "$b" && ctest -j "${JOBS:-2}" -E 'valgrind|sweep|docs/' >/dev/null)
report "coverage by the corpora and every test" || status=1

echo "lines not covered by the corpora and every test, by function:"
(cd "$objs" && for f in "$src"/src/*.c; do
    gcov -o "$(basename "$f").gcda" "$f" >/dev/null 2>&1
    [ -e "$(basename "$f").gcov" ] || continue # no executable line (modules.c)
    awk -F: -v file="src/$(basename "$f")" '
        { line = $0; sub(/^[^:]*:[^:]*:/, "", line) }
        line ~ /^[a-z][a-z0-9_ *]*[ *][a-z_0-9]+\(/ && line !~ /;$/ {
            fn = line; sub(/\(.*/, "", fn); sub(/.*[ *]/, "", fn)
        }
        $1 ~ /#####/ { n[fn]++ }
        END { for (k in n) printf "  %s: %s (%d)\n", file, k, n[k] }' "$(basename "$f").gcov"
done) | LC_ALL=C sort
[ "$status" -eq 0 ] || echo "coverage under $min%"
exit $status
