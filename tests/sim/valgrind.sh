#!/bin/sh
# Valgrind memcheck over xmm-sim (ctest label `valgrind`): every scenario
# in one process (exit 0), the scenarios written to fail (exit 1) and the
# bad-input corpus (exit 2), each set in one process to keep the time small.
# Any memcheck error, or a block definitely lost, fails the test: valgrind
# exits 99 then, whatever xmm-sim returned.
# usage: valgrind.sh XMM_SIM OUT_DIR SOURCE_DIR
set -u
sim=$1 out=$2 src=$3
vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite"
status=0

# run WANT LABEL ARG...: xmm-sim run ARG... under memcheck must exit WANT
run() {
    want=$1 label=$2
    shift 2
    log=$out/valgrind-$label.log
    # shellcheck disable=SC2086
    $vg "$sim" run -j 1 --out "$out" "$@" >"$log" 2>&1
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "$label: exit $rc, expected $want (99: memcheck found errors or leaks)"
        grep '^==' "$log" | head -40
        status=1
    else
        echo "$label: $(echo "$@" | wc -w) arguments, exit $rc, memcheck clean"
    fi
}

# shellcheck disable=SC2046
run 0 scenarios $(find "$src/scenarios" -name '*.yaml' | LC_ALL=C sort)
# shellcheck disable=SC2046
run 1 expect-fail $(find "$src/tests/sim/expect-fail" -name '*.yaml' | LC_ALL=C sort)
# shellcheck disable=SC2046
run 2 bad-input $(find "$src/tests/bad-input" -name '*.yaml' | LC_ALL=C sort)
# The runner's own failure paths (a step failing, unbound variables, teardown
# retried), through the allocation-failure sweep of one scenario per family.
run 0 fail-alloc-sweep --fail-alloc-sweep "$src/scenarios/foundation/populate-decrease.yaml" \
    "$src/scenarios/gnttab/stale-handle.yaml" "$src/scenarios/regress/park-while-mapped.yaml"
exit $status
