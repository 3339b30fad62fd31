#!/bin/sh
# Same files, same seed: byte-identical output.  Runs every scenario under
# SCENARIO_DIR three times in each format, and with --check full and a --seed
# override, and compares the bytes and exit codes: on one job with the
# streaming loader's line reader, on four jobs with libyaml only
# (XMM_SIM_FAST_YAML=0), and on two jobs with the whole-file tree loader
# (XMM_SIM_LOADER=tree).  The default runs must
# pass; under --check full a scenario that turns checks off on purpose
# (to go on past a violation) may fail, the same way both times.
# usage: determinism.sh XMM_SIM SCENARIO_DIR
set -u
sim=$1 dir=$2
tmp=${TMPDIR:-/tmp}/xmm-sim-determinism.$$
files=$(find "$dir" -name '*.yaml' | LC_ALL=C sort)
[ -n "$files" ] || { echo "no scenarios under $dir"; exit 1; }
status=0
for opts in "--format text -v" "--format json" "--format tap -v" "--check full --seed 7 -v"; do
    # shellcheck disable=SC2086
    "$sim" run -j 1 $opts $files >"$tmp.1" 2>&1
    rc1=$?
    # shellcheck disable=SC2086
    XMM_SIM_FAST_YAML=0 "$sim" run -j 4 $opts $files >"$tmp.2" 2>&1
    rc2=$?
    # shellcheck disable=SC2086
    XMM_SIM_LOADER=tree "$sim" run -j 2 $opts $files >"$tmp.3" 2>&1
    rc3=$?
    if [ "$rc1" -ne "$rc2" ] || ! cmp -s "$tmp.1" "$tmp.2"; then
        echo "not deterministic with: $opts (-j 4, libyaml only)"
        diff "$tmp.1" "$tmp.2" | head -20
        status=1
    fi
    if [ "$rc1" -ne "$rc3" ] || ! cmp -s "$tmp.1" "$tmp.3"; then
        echo "not deterministic with: $opts (-j 2, tree loader)"
        diff "$tmp.1" "$tmp.3" | head -20
        status=1
    fi
    if [ "$rc1" -ne 0 ] && [ "${opts#--check full}" = "$opts" ]; then
        echo "scenarios failed with: $opts (exit $rc1)"
        tail -20 "$tmp.1"
        status=1
    fi
done
# A malformed file among good ones, in every format (JUnit included): the
# same bytes and exit 2 on one job and on two.
printf 'name: broken\nsteps: [\n' >"$tmp.bad.yaml"
first=$(echo "$files" | head -n 3)
for fmt in text tap json junit; do
    # shellcheck disable=SC2086
    "$sim" run -j 1 --format $fmt $first "$tmp.bad.yaml" $first >"$tmp.1" 2>&1
    rc1=$?
    # shellcheck disable=SC2086
    "$sim" run -j 2 --format $fmt $first "$tmp.bad.yaml" $first >"$tmp.2" 2>&1
    rc2=$?
    if [ "$rc1" -ne 2 ] || [ "$rc2" -ne 2 ] || ! cmp -s "$tmp.1" "$tmp.2"; then
        echo "malformed file among good ones, --format $fmt: exit $rc1 and $rc2 (want 2), or output differs"
        diff "$tmp.1" "$tmp.2" | head -20
        status=1
    fi
done
rm -f "$tmp.1" "$tmp.2" "$tmp.3" "$tmp.bad.yaml"
exit $status
