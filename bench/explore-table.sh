#!/bin/sh
# xmm-sim explore, one run per row: every scenarios/explore alphabet under
# its own (fixed) policies and under the naive policy of its seed, as the
# table of docs/explore.md (explore's default -j: one worker per online
# CPU); then the lifecycle benchmark (distinct states per second and bytes
# per stored state; clone and replay expansion on one worker (-j 1), and
# clone on two workers (-j 2), with and without symmetry reduction).
# usage: bench/explore-table.sh [BUILD_DIR]   (default: build)
set -u
b=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
dir=$src/scenarios/explore
out=$(mktemp -d)
sim=$b/xmm-sim

field() { echo "$1" | sed -n "s|^$2: \([^ ]*\).*|\1|p"; }
cpu() { echo "$1" | sed -n 's|^states/s: .*per cpu second \([0-9]*\).*|\1|p'; }

row() { # NAME SEED POLICY-ARG...
    name=$1 seed=$2
    shift 2
    o=$("$sim" explore "$dir/$name.yaml" --out "$out" "$@" 2>&1)
    pol=$(echo "$o" | sed -n 's/^policy: //p')
    depth=$(echo "$o" | sed -n 's/^explore .*depth \([0-9]*\).*/\1/p')
    res=$(echo "$o" | sed -n 's/^result: //p')
    case $res in
    violation*|teardown*|liveness*)
        n=$(echo "$o" | grep -c '^  [0-9]*\. ')
        res="counterexample of $n ops: $(echo "$res" | sed 's/ (the shortest trace)//')";;
    esac
    echo "| $name | $seed | $pol | $depth | $(field "$o" 'distinct states') |" \
         "$(field "$o" transitions) | $(field "$o" seconds) | $(field "$o" 'states/s') ($(cpu "$o")) | $res |"
}

echo "explore's default -j: one worker per online CPU, $(getconf _NPROCESSORS_ONLN) here"
echo
echo "| scenario | seed | policy | depth | distinct states | transitions | seconds | states/s (per cpu s) | result |"
echo "|---|---|---|---|---|---|---|---|---|"
while read -r name seed naive; do
    row "$name" "$seed"
    row "$name" "$seed" --policy "$naive"
done <<TABLE
ffa-vm-destroyed 000 ffa_vm_destroyed=global
gnttab-xenheap-gfn 001 xenheap_gfn=array
saferange-query 002 safe_range=query
iommu-devtlb 003 iotlb=unsafe
mpu-shared-info 004 shared_info=xenheap
physmap-overwrite foundation physmap_overwrite=replace
TABLE
row lifecycle lifecycle

echo
echo "lifecycle alphabet, depth 12, no liveness check:"
echo "| expansion | symmetry | distinct states | transitions | seconds | states/s (per cpu s) | bytes/state |"
echo "|---|---|---|---|---|---|---|"
for mode in "-j 1" "--replay -j 1" "-j 2"; do
    for sym in "" --no-symmetry; do
        o=$("$sim" explore "$dir/lifecycle.yaml" --depth 12 --liveness 0 $mode $sym 2>&1)
        case $mode in -j*) name="clone $mode";; *) name=$mode;; esac
        echo "| $name | $(echo "$o" | sed -n 's/^symmetry reduction: \([a-z]*\).*/\1/p') |" \
             "$(field "$o" 'distinct states') | $(field "$o" transitions) |" \
             "$(field "$o" seconds) | $(field "$o" 'states/s') ($(cpu "$o")) | $(field "$o" 'bytes/state') |"
    done
done
rm -rf "$out"
