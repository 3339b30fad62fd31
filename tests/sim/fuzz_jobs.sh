#!/bin/sh
# xmm-sim fuzz -j N: the same campaign on 1, 2 and 3 worker threads prints
# the same bytes (the steps/s figure masked) with the same exit status, and
# writes the same reproducer: campaigns that find nothing (every profile,
# two base seeds, --shard, --steps) and campaigns whose naive policy finds
# a violation (the first one in run order must be the one reported, its
# counts and its shrunk file those of -j 1).  --time runs with workers; bad
# -j values give a usage line and exit 2.
# usage: fuzz_jobs.sh XMM_SIM OUT_DIR [SOURCE_DIR]
set -u
sim=$1 out=$2 src=${3:-}
status=0
runs=0

fail() {
    echo "FAIL: $*"
    status=1
}

# same TAG ARGS...: fuzz ARGS with -j 1, 2 and 3; output, exit status and
# written files compared with -j 1's
same() {
    tag=$1
    shift
    for j in 1 2 3; do
        d=$out/j$j
        rm -rf "$d"
        mkdir -p "$d"
        "$sim" fuzz "$@" -j $j --out "$d" >"$d.log" 2>&1
        echo "exit $?" >>"$d.log"
        sed -e "s|$d|OUT|g" -e 's|([0-9]* steps/s)|(N steps/s)|' "$d.log" >"$d.txt"
        for f in "$d"/*.yaml; do
            [ -f "$f" ] || continue
            echo "== ${f##*/}" >>"$d.txt"
            cat "$f" >>"$d.txt"
        done
    done
    for j in 2 3; do
        if ! cmp -s "$out/j1.txt" "$out/j$j.txt"; then
            fail "$tag: -j $j differs from -j 1"
            diff "$out/j1.txt" "$out/j$j.txt" | head -20
        fi
    done
    runs=$((runs + 1))
}

# nothing found: every profile, two base seeds; a shard; short traces
for p in lifecycle grants ffa iommu saferange mpu mixed; do
    for seed in 0 1000003; do
        same "$p seed $seed" --profile $p --seed $seed --runs 37
    done
done
same "mixed --shard 2/3" --profile mixed --seed 11 --shard 2/3 --runs 29
same "grants --steps 40" --profile grants --steps 40 --runs 53
grep -q '^xmm-sim fuzz: 53 runs, [0-9]* steps, [0-9]* op kinds, no violation' "$out/j1.txt" ||
    fail "grants --steps 40: no summary line: $(cat "$out/j1.txt")"

# a violation found: the naive policies of the seeds, three base seeds each
# (several runs in the first window of workers fail: the first in run order
# must win)
found=0
while read -r prof kv; do
    for seed in 0 7 1000003; do
        same "$kv seed $seed" --profile "$prof" --policy "$kv" --seed $seed --runs 300
        grep -q '^exit 1$' "$out/j1.txt" && ls "$out"/j1/*.yaml >/dev/null 2>&1 &&
            found=$((found + 1))
    done
done <<TABLE
grants xenheap_gfn=array
grants gfn_lock=grant
ffa ffa_teardown=restart
ffa ffa_refused=free
iommu iotlb=unsafe
saferange safe_range=query
mpu shared_info=xenheap
TABLE
[ "$found" -eq 21 ] || fail "only $found of 21 naive campaigns found a violation"
if [ -n "$src" ]; then
    same "ffa_vm_destroyed=global --world" --profile ffa --policy ffa_vm_destroyed=global \
        --policy ffa_teardown=restart --world "$src/tests/gen/worlds/ffa-sp-lets-go.yaml" --runs 300
    grep -q '^exit 1$' "$out/j1.txt" || fail "ffa_vm_destroyed=global --world: nothing found"
fi
# a budget that ends before the first violation: the summary, exit 0
same "shared_info=xenheap seed 7 --runs 12" --profile mpu --policy shared_info=xenheap --seed 7 \
    --runs 12
grep -q '^exit 0$' "$out/j1.txt" || fail "--runs 12 before the violation of run 13: $(cat "$out/j1.txt")"

# --time is the one budget that is not deterministic: it still ends, with a summary
o=$("$sim" fuzz --profile lifecycle --time 0.3 -j 2 2>&1)
rc=$?
[ "$rc" -eq 0 ] || fail "--time 0.3 -j 2: exit $rc: $o"
echo "$o" | grep -q '^xmm-sim fuzz: [1-9][0-9]* runs, .*no violation' || fail "--time 0.3 -j 2: $o"

# bad -j values: a usage line, exit 2
for bad in "-j -1" "-j abc" "-j" "--jobs" "--jobs=x" "-j 4097" "-j 2x"; do
    # shellcheck disable=SC2086
    o=$("$sim" fuzz --runs 1 $bad 2>&1)
    rc=$?
    [ "$rc" -eq 2 ] || fail "fuzz $bad: exit $rc (expected 2)"
    echo "$o" | grep -q '^usage: xmm-sim fuzz' || fail "fuzz $bad: no usage line: $o"
done
echo "$runs campaigns compared on -j 1, 2 and 3"
exit $status
