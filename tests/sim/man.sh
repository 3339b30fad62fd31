#!/bin/sh
# The manual page xmm-sim(1): the built file is what `xmm-sim man` prints
# now, `man -l` renders it without a warning, and it names every command,
# every option of `run` and every op of the op table.
# usage: man.sh XMM_SIM MAN_FILE
set -u
sim=$1 page=$2
tmp=${TMPDIR:-/tmp}/xmm-man.$$
status=0
fail() { echo "FAILED: $*"; status=1; }

"$sim" man >"$tmp.roff" || fail "xmm-sim man exited $?"
cmp -s "$tmp.roff" "$page" || fail "$page differs from 'xmm-sim man' (rebuild)"
MANWIDTH=100 LC_ALL=C.UTF-8 man -l "$page" >"$tmp.txt" 2>"$tmp.err" || fail "man -l exited $?"
[ -s "$tmp.err" ] && { fail "man -l warned:"; cat "$tmp.err"; }
grep -q '^NAME' "$tmp.txt" || fail "no NAME section"
grep -q '^SYNOPSIS' "$tmp.txt" || fail "no SYNOPSIS section"
grep -q '^EXIT STATUS' "$tmp.txt" || fail "no EXIT STATUS section"
for c in $("$sim" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p'); do
    grep -q "xmm-sim $c" "$tmp.txt" || fail "command $c missing"
done
for o in --format --check --out --seed --verbose; do
    grep -q -e "^ *$o" -e "^ *-v, $o" "$tmp.txt" || fail "run option $o missing"
done
for op in $("$sim" ops | sed -n 's/^| \[`\([a-z_0-9]*\)`\].*/\1/p'); do
    grep -q -E "^       $op( |$)" "$tmp.txt" || fail "op $op missing"
done
rm -f "$tmp.roff" "$tmp.txt" "$tmp.err"
exit $status
