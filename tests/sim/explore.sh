#!/bin/sh
# xmm-sim explore: every scenarios/explore/*.yaml exhausts its depth clean
# under its own (fixed) policies; under the naive policy of its seed it finds
# the violation, with a trace no longer than the hand-written scenario, and
# the counterexample it writes reproduces with `xmm-sim run`; bad input
# exits 2 with FILE:LINE:COL or a usage line; -j 2 and -j 3 give the output
# of -j 1.
# usage: explore.sh XMM_SIM SCENARIO_DIR BAD_DIR OUT_DIR
set -u
sim=$1 dir=$2 bad=$3 out=$4
status=0

fail() {
    echo "FAIL: $*"
    status=1
}

# clean: every file, its own policies
for f in "$dir"/*.yaml; do
    o=$("$sim" explore "$f" --out "$out" 2>&1)
    rc=$?
    [ "$rc" -eq 0 ] || fail "$f: exit $rc (expected 0)"
    echo "$o" | grep -q '^result: exhausted clean' || fail "$f: not exhausted clean: $o"
    echo "$o" | grep -q '^distinct states: [1-9]' || fail "$f: no state count"
done

# naive: FILE POLICY MAX_OPS (the hand-written scenario's length) INVARIANT
while read -r name policy max inv; do
    f=$dir/$name.yaml
    rm -f "$out/explore-$name-counterexample.yaml"
    o=$("$sim" explore "$f" --policy "$policy" --out "$out" 2>&1)
    rc=$?
    [ "$rc" -eq 1 ] || fail "$name --policy $policy: exit $rc (expected 1): $o"
    echo "$o" | grep -q "$inv" || fail "$name: expected $inv: $o"
    echo "$o" | grep -q '(reproduces with xmm-sim run)' || fail "$name: no reproducing file: $o"
    n=$(echo "$o" | grep -c '^  [0-9]*\. ')
    [ "$n" -le "$max" ] || fail "$name: trace of $n ops, the hand-written one has $max"
    "$sim" run "$out/explore-$name-counterexample.yaml" >/dev/null 2>&1 ||
        fail "$name: the written counterexample does not pass xmm-sim run"
done <<TABLE
ffa-vm-destroyed ffa_vm_destroyed=global 6 destroy_progress
gnttab-xenheap-gfn xenheap_gfn=array 4 xenheap_gfn
iommu-devtlb iotlb=unsafe 6 isolation
physmap-overwrite physmap_overwrite=replace 5 refcount
saferange-query safe_range=query 10 safe_range
mpu-shared-info shared_info=xenheap 18 mpu_regions
TABLE

# --max-states stops the search there and says so; --ops keeps a part of the alphabet
o=$("$sim" explore "$dir/lifecycle.yaml" --max-states 50 2>&1)
[ $? -eq 0 ] || fail "--max-states: exit status"
echo "$o" | grep -q '^distinct states: 50$' || fail "--max-states 50: $o"
echo "$o" | grep -q '^result: clean so far: stopped at 50 states' || fail "--max-states result: $o"
o=$("$sim" explore "$dir/lifecycle.yaml" --ops domain_create,populate --depth 3 2>&1)
echo "$o" | grep -q ': 6 ops in the alphabet' || fail "--ops: $o"

# -j N: workers expand each depth; the output (states, transitions, result,
# the trace and the counterexample written) is the one of -j 1
same_j() { # TAG ARGS...: -j 1 against -j 2 and -j 3
    tag=$1
    shift
    for j in 1 2 3; do
        mkdir -p "$out/j$j"
        "$sim" explore "$@" -j $j --out "$out/j$j" 2>&1 |
            grep -v '^seconds: \|^states/s: \|^workers: ' | sed "s|$out/j$j|OUT|" >"$out/j$j/out.txt"
        cat "$out"/j$j/*.yaml >>"$out/j$j/out.txt" 2>/dev/null
        rm -f "$out"/j$j/*.yaml
    done
    cmp -s "$out/j1/out.txt" "$out/j2/out.txt" || fail "$tag: -j 2 differs from -j 1"
    cmp -s "$out/j1/out.txt" "$out/j3/out.txt" || fail "$tag: -j 3 differs from -j 1"
}
for f in "$dir"/*.yaml; do
    same_j "$f" "$f"
done
while read -r name policy; do
    same_j "$name $policy" "$dir/$name.yaml" --policy "$policy"
done <<TABLE
ffa-vm-destroyed ffa_vm_destroyed=global
gnttab-xenheap-gfn xenheap_gfn=array
iommu-devtlb iotlb=unsafe
physmap-overwrite physmap_overwrite=replace
TABLE
same_j "lifecycle --max-states 777" "$dir/lifecycle.yaml" --max-states 777
same_j "lifecycle --no-symmetry" "$dir/lifecycle.yaml" --no-symmetry --depth 7
same_j "lifecycle --replay" "$dir/lifecycle.yaml" --replay --depth 6
o=$("$sim" explore "$dir/lifecycle.yaml" -j 2 2>&1)
echo "$o" | grep -q '^workers: 2 (-j)' || fail "-j 2 does not say so: $o"

# bad input: exit 2, FILE:LINE:COL (or a usage line)
expect2() {
    want=$1
    shift
    o=$("$sim" explore "$@" 2>&1)
    rc=$?
    [ "$rc" -eq 2 ] || fail "explore $*: exit $rc (expected 2)"
    echo "$o" | grep -q -- "$want" || fail "explore $*: expected '$want' in: $o"
}
cd "$bad" || exit 1
expect2 '^no-alphabet.yaml:1:1: explore: the scenario has no `explore` key' no-alphabet.yaml
expect2 '^unknown-op.yaml:7:7: unknown op .populat.' unknown-op.yaml
expect2 '^depth-zero.yaml:4:10: explore.depth' depth-zero.yaml
expect2 '^empty-values.yaml:6:28: explore.ops: domain_create: an empty list' empty-values.yaml
expect2 '^no-depth.yaml:4:3: explore: no depth' no-depth.yaml
expect2 '^usage: xmm-sim explore' "$dir/lifecycle.yaml" --depth 0
expect2 "^xmm-sim: --ops: 'populat' is not an op" "$dir/lifecycle.yaml" --ops populat
expect2 '^usage: xmm-sim explore' "$dir/lifecycle.yaml" --policy nonsense=1
expect2 '^usage: xmm-sim explore' --depth 2
expect2 '^usage: xmm-sim explore' "$dir/lifecycle.yaml" -j many
exit $status
