#!/bin/sh
# A scenario written to fail: `xmm-sim run FILE` must exit 1, print a FAIL
# line with a rerun hint on stdout, and nothing on stderr (an ASan report
# would land there).
# usage: expect_fail.sh XMM_SIM FILE
set -u
sim=$1 file=$2
tmp=${TMPDIR:-/tmp}/xmm-sim-expect-fail.$$
"$sim" run "$file" >"$tmp.out" 2>"$tmp.err"
rc=$?
status=0
[ "$rc" -eq 1 ] || { echo "exit code: expected 1, got $rc"; status=1; }
grep -q '^FAIL ' "$tmp.out" || { echo "no FAIL line"; status=1; }
grep -q '^  rerun: xmm-sim run ' "$tmp.out" || { echo "no rerun hint"; status=1; }
grep -q '^0 passed, 1 failed$' "$tmp.out" || { echo "no summary line"; status=1; }
[ -s "$tmp.err" ] && { echo "stderr not empty:"; cat "$tmp.err"; status=1; }
cat "$tmp.out"
rm -f "$tmp.out" "$tmp.err"
exit $status
