#!/bin/sh
# Fuzzing throughput, one run each:
#  - `xmm-sim fuzz` steps/s per profile (incremental invariant check after
#    every step, full sweep at the end of every run), default policies;
#  - executions/s of the libFuzzer trace target (tests/fuzz/fuzz_trace.c)
#    over its corpus, CPU time, in a plain build and in an ASan+UBSan build.
# usage: bench/fuzz-throughput.sh [BUILD_DIR [SANITIZED_BUILD_DIR]]
#        (defaults: build and build-asan, as ./build.sh test leaves them)
set -u
b=${1:-build}
asan=${2:-build-asan}
src=$(cd "$(dirname "$0")/.." && pwd)
runs=${XMM_BENCH_RUNS:-3000}

echo "| profile | runs x steps | steps/s |"
echo "|---|---|---|"
for p in lifecycle grants ffa iommu saferange mpu mixed; do
    line=$("$b/xmm-sim" fuzz --profile "$p" --runs "$runs" --steps 200 2>/dev/null | tail -1)
    sps=$(echo "$line" | sed -n 's/.*(\([0-9]*\) steps\/s).*/\1/p')
    echo "| $p | $runs x 200 | ${sps:-?} |"
done
echo
for d in "$b" "$asan"; do
    if [ -x "$d/tests/fuzz/xmm-fuzz-bench-trace" ]; then
        printf '%s: ' "$d"
        "$d/tests/fuzz/xmm-fuzz-bench-trace" "$src/tests/fuzz/corpus/trace" 3
    else
        echo "$d: no tests/fuzz/xmm-fuzz-bench-trace (build it first)"
    fi
done
