#!/bin/sh
# Golden output of `xmm-sim explain` on the seed stories, of `show:` and
# `run --dump-at`, and of a reason after a wrong return code: every
# tests/sim/golden/NAME.args (the xmm-sim command line, paths relative to
# the source tree) must print exactly NAME.out, twice the same bytes (exit
# 0, or 1 for a scenario that fails on purpose).
# Bad input (missing file, unknown selector, a frame never touched, no
# violation) exits 2 with a message on stderr.
# XMM_UPDATE_GOLDEN=1 rewrites the .out files.
# usage: explain.sh XMM_SIM SOURCE_DIR
set -u
sim=$1 src=$2
dir=$src/tests/sim/golden
tmp=${TMPDIR:-/tmp}/xmm-sim-explain.$$
status=0
cd "$src" || exit 1
for a in "$dir"/*.args; do
    name=$(basename "$a" .args)
    # shellcheck disable=SC2046
    "$sim" $(cat "$a") >"$tmp.out" 2>"$tmp.err"
    rc=$?
    [ "$rc" -le 1 ] || { echo "FAILED: $name: exit $rc"; cat "$tmp.err"; status=1; continue; }
    "$sim" $(cat "$a") >"$tmp.again" 2>/dev/null
    cmp -s "$tmp.out" "$tmp.again" || { echo "FAILED: $name: two runs differ"; status=1; }
    if [ "${XMM_UPDATE_GOLDEN:-0}" = 1 ]; then
        cp "$tmp.out" "$dir/$name.out"
    elif ! diff -u "$dir/$name.out" "$tmp.out"; then
        echo "FAILED: $name: output differs from $name.out"
        status=1
    fi
done
# expect_usage STDERR_PATTERN -- command...: exit 2, nothing on stdout
expect_usage() {
    pat=$1
    shift 2
    "$@" >"$tmp.out" 2>"$tmp.err"
    rc=$?
    if [ "$rc" -ne 2 ] || [ -s "$tmp.out" ] || ! grep -q -e "$pat" "$tmp.err"; then
        echo "FAILED: $* (exit $rc, wanted 2 and /$pat/ on stderr)"
        cat "$tmp.err"
        status=1
    fi
}
story=scenarios/ffa/unsafe-free-reuse.yaml
expect_usage 'cannot open' -- "$sim" explain scenarios/no-such-file.yaml
expect_usage 'no FILE given' -- "$sim" explain
expect_usage "unknown option '--page'" -- "$sim" explain "$story" --page 1
expect_usage '^usage: xmm-sim explain' -- "$sim" explain "$story" --page 1
expect_usage 'one selector at a time' -- "$sim" explain "$story" --frame 0x40001 --domain 1
expect_usage "is not DOM:GFN" -- "$sim" explain "$story" --gfn 0x40000
expect_usage 'never touched' -- "$sim" explain "$story" --frame 0x43000
expect_usage 'not a RAM frame' -- "$sim" explain "$story" --frame 0x10
expect_usage 'never existed' -- "$sim" explain "$story" --domain d7
expect_usage 'no violation to explain' -- "$sim" explain scenarios/ffa/clean-destroy.yaml
rm -f "$tmp.out" "$tmp.err" "$tmp.again"
exit $status
