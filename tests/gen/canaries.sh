#!/bin/sh
# Planted bugs: for each canary, `xmm-sim fuzz` under the default policies
# finds an invariant violation within 300 runs and shrinks it to at most
# 12 steps; the reproducer passes `xmm-sim run` with the bug on and fails
# without it (so it is about that bug); with no canary on, nothing is found.
# usage: canaries.sh XMM_SIM_CANARY [--table]
set -u
sim=$1
mode=${2:-check}
tmp=${TMPDIR:-/tmp}/xmm-canaries.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
status=0

# number | name | profile | found
rows="1|xenheap_gfn reset skipped (p2m)|grants|found
2|frame freed with a device-TLB flush pending (iommu)|iommu|found
3|FF-A pin dropped at share time (ffa)|ffa|found
4|foreign map takes no reference (physmap)|lifecycle|found
5|grant map forgets its pin (gnttab)|grants|found
6|safe-range overlap check skipped (saferange)|saferange|found"

steps_of() { awk '/^steps:/{s=1;next} s && /^  - /{c++} END{print c+0}' "$1"; }

[ "$mode" = --table ] && printf '| canary | profile | runs to finding | invariant | shrunk steps |\n|---|---|---|---|---|\n'
echo "$rows" | while IFS='|' read -r n name prof want; do
    out=$tmp/$n
    mkdir -p "$out"
    XMM_CANARY=$n "$sim" fuzz --runs 300 --profile "$prof" --out "$out" >"$out.log" 2>&1
    rc=$?
    f=$(ls "$out"/*.yaml 2>/dev/null | head -1)
    if [ $rc -ne 1 ] || [ -z "$f" ]; then
        echo "FAIL: canary $n ($name): not found in 300 runs (exit $rc)"; cat "$out.log"
        echo 1 >"$tmp/failed"; continue
    fi
    s=$(steps_of "$f")
    inv=$(sed -n 's/^expect: {violation: \(.*\)}/\1/p' "$f")
    seed=$(sed -n 's/^xmm-sim fuzz: seed \([0-9]*\):.*/\1/p' "$out.log")
    [ "$s" -le 12 ] || { echo "FAIL: canary $n: shrunk to $s steps (> 12)"; echo 1 >"$tmp/failed"; }
    XMM_CANARY=$n "$sim" run "$f" >"$out.run" 2>&1 ||
        { echo "FAIL: canary $n: reproducer does not pass with the bug on"; cat "$out.run"; echo 1 >"$tmp/failed"; }
    XMM_CANARY=0 "$sim" run "$f" >"$out.run0" 2>&1 &&
        { echo "FAIL: canary $n: reproducer passes without the bug"; echo 1 >"$tmp/failed"; }
    if [ "$mode" = --table ]; then
        printf '| %s. %s | %s | %s | %s | %s |\n' "$n" "$name" "$prof" "$((seed + 1))" "$inv" "$s"
    else
        echo "ok: canary $n ($name): $inv at seed $seed, shrunk to $s steps"
    fi
done
# no canary: the same campaigns find nothing
for prof in grants iommu ffa lifecycle saferange; do
    XMM_CANARY=0 "$sim" fuzz --runs 300 --profile "$prof" --out "$tmp" >"$tmp/none.log" 2>&1 ||
        { echo "FAIL: no canary, profile $prof: a finding"; cat "$tmp/none.log"; echo 1 >"$tmp/failed"; }
done
[ -f "$tmp/failed" ] && exit 1
exit 0
