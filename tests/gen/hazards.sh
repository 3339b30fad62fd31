#!/bin/sh
# The hazards of the five seeds, rediscovered by `xmm-sim fuzz` with no
# scenario given: for each naive policy value, fuzzing finds the seed's
# invariant, the written reproducer passes `xmm-sim run`, and it is no
# longer than the hand-written scenario that tells the story.
#
# usage: hazards.sh XMM_SIM SOURCE_DIR [--table [SEEDS]]
#   default: one fuzz campaign per row, at most 500 runs each (ctest)
#   --table: SEEDS campaigns per row (default 5), prints
#            knob | invariant | median seconds | shrunk steps | hand-written steps
set -u
sim=$1 src=$2
mode=${3:-check}
nseeds=${4:-5}
tmp=${TMPDIR:-/tmp}/xmm-hazards.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
status=0

# knob=value | profile | extra options | invariant | hand-written scenario
rows="xenheap_gfn=array|grants||xenheap_gfn|gnttab/stale-gfn-array.yaml
gfn_lock=grant|grants||lock_order|gnttab/lock-inversion-rfc-v3.yaml
ffa_teardown=restart|ffa||destroy_progress|ffa/restart-never-relinquish.yaml
ffa_vm_destroyed=global|ffa|--policy ffa_teardown=restart --world $src/tests/gen/worlds/ffa-sp-lets-go.yaml|destroy_progress|ffa/vm-destroyed-global.yaml
ffa_refused=free|ffa||isolation|ffa/unsafe-free-reuse.yaml
iotlb=unsafe|iommu||isolation|iommu/seed-story-unsafe.yaml
safe_range=query|saferange||safe_range|saferange/query-race.yaml
shared_info=xenheap|mpu||mpu_regions|mpu/xenheap-overflow.yaml"

steps_of() { awk '/^steps:/{s=1;next} s && /^  - /{c++} END{print c+0}' "$1"; }
now() { date +%s.%N; }

[ "$mode" = --table ] && printf '| knob | invariant | median s to finding (of %s seeds) | shrunk steps, median | hand-written steps |\n|---|---|---|---|---|\n' "$nseeds"
echo "$rows" | while IFS='|' read -r kv prof extra inv hand; do
    handsteps=$(steps_of "$src/scenarios/$hand")
    times="" sizes="" worst=0
    n=1
    [ "$mode" = --table ] && n=$nseeds
    i=0
    while [ $i -lt "$n" ]; do
        seed=$((i * 1000003))
        out=$tmp/$i
        rm -rf "$out"; mkdir -p "$out"
        t0=$(now)
        # shellcheck disable=SC2086
        "$sim" fuzz --seed $seed --runs 500 --profile "$prof" --policy "$kv" $extra --out "$out" \
            >"$out.log" 2>&1
        rc=$?
        t1=$(now)
        f=$(ls "$out"/"$inv"-*.yaml 2>/dev/null | head -1)
        if [ $rc -ne 1 ] || [ -z "$f" ]; then
            echo "FAIL: $kv (seed $seed): no $inv finding in 500 runs (exit $rc)"; cat "$out.log"
            echo 1 >"$tmp/failed"; i=$((i + 1)); continue
        fi
        if ! "$sim" run "$f" >"$out.run" 2>&1; then
            echo "FAIL: $kv: the reproducer $f does not pass xmm-sim run"; cat "$out.run"
            echo 1 >"$tmp/failed"
        fi
        s=$(steps_of "$f")
        sizes="$sizes $s"
        if [ "$s" -gt "$handsteps" ] && [ "$mode" != --table ]; then
            echo "FAIL: $kv: shrunk to $s steps, the hand-written scenario has $handsteps"
            echo 1 >"$tmp/failed"
        fi
        [ "$s" -gt "$worst" ] && worst=$s
        times="$times $(awk -v a="$t0" -v b="$t1" "BEGIN{printf \"%.3f\", b - a}")"
        i=$((i + 1))
    done
    if [ "$mode" = --table ]; then
        med=$(echo $times | tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END{printf "%.3f", a[int((NR+1)/2)]}')
        msz=$(echo $sizes | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
        printf '| %s%s | %s | %s | %s (max %s) | %s |\n' "$kv" "$( [ -n "$extra" ] && echo ' (+ restart, SP that lets go)')" "$inv" "$med" "$msz" "$worst" "$handsteps"
    else
        echo "ok: $kv -> $inv, shrunk to $worst steps (hand-written: $handsteps)"
    fi
done
[ -f "$tmp/failed" ] && exit 1
exit 0
