#!/bin/sh
# xmm-sim gen / fuzz / shrink: generated traces load, run and repeat byte
# for byte; shrink keeps the invariant; bad arguments exit 2 with a message.
# usage: cli.sh XMM_SIM SOURCE_DIR
set -u
sim=$1 src=$2
tmp=${TMPDIR:-/tmp}/xmm-gen-cli.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
status=0

fail() { echo "FAIL: $*"; status=1; }

# expect CODE STDERR_PATTERN -- command...
expect() {
    code=$1 errpat=$2
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne "$code" ] || { [ -n "$errpat" ] && ! grep -q -e "$errpat" "$tmp/err"; }; then
        fail "$* -> exit $rc (want $code), stderr:"; cat "$tmp/err"
    fi
}

# generated traces: valid, they pass as recorded, same arguments same bytes
for p in lifecycle grants ffa iommu saferange mpu mixed; do
    for seed in 1 2 3; do
        f=$tmp/$p-$seed.yaml
        "$sim" gen --seed $seed --steps 150 --profile $p -o "$f" || fail "gen $p $seed"
        "$sim" gen --seed $seed --steps 150 --profile $p >"$f.2" || fail "gen $p $seed (stdout)"
        cmp -s "$f" "$f.2" || fail "gen $p $seed: two runs differ"
        "$sim" run "$f" >"$tmp/run" 2>&1 || { fail "gen $p $seed: xmm-sim run fails"; cat "$tmp/run"; }
    done
    "$sim" gen --seed 1 --steps 150 --profile $p >"$tmp/other" || fail "gen $p"
    "$sim" gen --seed 2 --steps 150 --profile $p >"$tmp/other2" || fail "gen $p"
    cmp -s "$tmp/other" "$tmp/other2" && fail "gen $p: seeds 1 and 2 gave the same trace"
done
# a hazard policy: the trace ends at the violation and expects it
"$sim" gen --seed 1 --steps 200 --profile grants --policy xenheap_gfn=array -o "$tmp/h.yaml" ||
    fail "gen with a policy"
grep -q 'expect: {violation: xenheap_gfn}' "$tmp/h.yaml" || fail "gen: hazard trace without expect"
"$sim" run "$tmp/h.yaml" >/dev/null || fail "gen: hazard trace does not pass run"
# --world: the world of a scenario file is used as it is
"$sim" gen --seed 5 --steps 50 --profile ffa --world "$src/scenarios/ffa/unsafe-free-reuse.yaml" \
    -o "$tmp/w.yaml" || fail "gen --world"
grep -q 'ffa_retry_limit: 2' "$tmp/w.yaml" || fail "gen --world: world not taken"

# shrink: a hand-written hazard shrinks and keeps its invariant
"$sim" shrink "$src/scenarios/iommu/seed-story-unsafe-end.yaml" -o "$tmp/s.yaml" 2>"$tmp/err" ||
    { fail "shrink"; cat "$tmp/err"; }
grep -q 'steps -> ' "$tmp/err" || fail "shrink: no before/after step counts"
grep -q 'expect: {violation: isolation}' "$tmp/s.yaml" || fail "shrink: invariant lost"
"$sim" run "$tmp/s.yaml" >/dev/null || fail "shrink: result does not pass run"
a=$(awk '/^steps:/{s=1;next} s && /^  - /{c++} END{print c+0}' "$tmp/s.yaml")
[ "$a" -lt 14 ] || fail "shrink: 14 steps not reduced ($a)"

# fuzz: shards cover disjoint seeds; a finding is written and reproduces
"$sim" fuzz --runs 5 --shard 1/4 --profile lifecycle >"$tmp/out" || fail "fuzz --shard"
expect 1 '' -- "$sim" fuzz --profile iommu --policy iotlb=unsafe --runs 200 --out "$tmp"
grep -q 'reproduce:  xmm-sim run' "$tmp/out" || fail "fuzz: no reproduce command"
"$sim" run "$tmp"/isolation-*.yaml >/dev/null || fail "fuzz: reproducer does not pass run"

# bad arguments: a clear message, exit 2
expect 2 'unknown profile' -- "$sim" gen --seed 1 --steps 5 --profile nosuch
expect 2 'unknown policy knob' -- "$sim" fuzz --policy nosuch=1
expect 2 'unknown value' -- "$sim" fuzz --policy iotlb=sometimes
expect 2 'needs a value' -- "$sim" fuzz --policy iotlb
expect 2 'malformed --shard' -- "$sim" fuzz --shard 4/4
expect 2 'malformed --shard' -- "$sim" fuzz --shard x
expect 2 'malformed --shard' -- "$sim" fuzz --shard 1/0
expect 2 'required' -- "$sim" gen --seed 1
expect 2 'exclude' -- "$sim" fuzz --runs 1 --time 1
expect 2 'does not end in an invariant violation' -- \
    "$sim" shrink "$src/scenarios/foundation/populate-decrease.yaml"
expect 2 'no scenario file' -- "$sim" shrink
exit $status
