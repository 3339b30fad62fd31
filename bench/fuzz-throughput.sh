#!/usr/bin/env bash
# Fuzzing throughput:
#  - `xmm-sim fuzz` steps/s per profile (incremental invariant check after
#    every step, full sweep at the end of every run), default policies, on
#    one worker (-j 1: the per-core figure), and lifecycle again on two
#    workers (-j 2): wall clock (what `xmm-sim fuzz` prints) and per CPU
#    second of the process (user + system, all threads; other load on a
#    shared machine matters less);
#  - executions/s of the libFuzzer trace target (tests/fuzz/fuzz_trace.c)
#    over its corpus, CPU time, in a plain build and in an ASan+UBSan build.
# Each figure is the median of XMM_BENCH_REPEAT runs (default 1).
# usage: bench/fuzz-throughput.sh [BUILD_DIR [SANITIZED_BUILD_DIR]]
#        (defaults: build and build-asan, as ./build.sh test leaves them)
set -u
b=${1:-build}
asan=${2:-build-asan}
src=$(cd "$(dirname "$0")/.." && pwd)
runs=${XMM_BENCH_RUNS:-3000}
repeat=${XMM_BENCH_REPEAT:-1}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# median of the numbers on stdin ("?" if none)
median() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "?" }'
}

echo "| profile | runs x steps | steps/s | steps/s per CPU second |"
echo "|---|---|---|---|"
for row in lifecycle grants ffa iommu saferange mpu mixed "lifecycle -j 2"; do
    p=${row%% *}
    jobs=1
    [ "$row" = "$p" ] || jobs=${row##* }
    wall=""
    cpu=""
    for ((i = 0; i < repeat; i++)); do
        t=$( { TIMEFORMAT='%3U %3S'; time "$b/xmm-sim" fuzz --profile "$p" --runs "$runs" \
                 --steps 200 -j "$jobs" >"$out" 2>/dev/null; } 2>&1 )
        sps=$(tail -1 "$out" | sed -n 's/.*(\([0-9]*\) steps\/s).*/\1/p')
        [ -n "$sps" ] || continue
        wall="$wall $sps"
        cpu="$cpu $(echo "$t" | awk -v n=$((runs * 200)) '{ s = $1 + $2; if (s > 0) printf "%.0f", n / s }')"
    done
    echo "| $row | $runs x 200 | $(tr ' ' '\n' <<<"$wall" | grep . | median) |" \
         "$(tr ' ' '\n' <<<"$cpu" | grep . | median) |"
done
echo
for d in "$b" "$asan"; do
    if [ -x "$d/tests/fuzz/xmm-fuzz-bench-trace" ]; then
        eps=""
        for ((i = 0; i < repeat; i++)); do
            line=$("$d/tests/fuzz/xmm-fuzz-bench-trace" "$src/tests/fuzz/corpus/trace" 3)
            eps="$eps $(echo "$line" | sed -n 's/.*: \([0-9]*\) exec\/s$/\1/p')"
        done
        echo "$d: trace target, $repeat run(s) of 3 s CPU: median" \
             "$(tr ' ' '\n' <<<"$eps" | grep . | median) exec/s (runs:$eps)"
    else
        echo "$d: no tests/fuzz/xmm-fuzz-bench-trace (build it first)"
    fi
done
