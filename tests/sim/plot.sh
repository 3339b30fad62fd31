#!/bin/sh
# xmm-sim plot: the SVG is well-formed XML (xmllint), the same bytes twice,
# and the FF-A zombie story (scenarios/ffa/zombie-second-destroy.yaml) shows
# its frames held by the zombie from the first domain_destroy (tick 0) to
# the second (tick 1000), in the drawing and in --format json.  Bad input
# exits 2.
# usage: plot.sh XMM_SIM SOURCE_DIR
set -u
sim=$1 src=$2
tmp=${TMPDIR:-/tmp}/xmm-sim-plot.$$
story=$src/scenarios/ffa/zombie-second-destroy.yaml
status=0
fail() { echo "FAILED: $*"; status=1; }

"$sim" plot "$story" -o "$tmp.svg" || fail "plot exit $?"
xmllint --noout "$tmp.svg" || fail "not well-formed XML"
"$sim" plot "$story" -o "$tmp.again.svg"
cmp -s "$tmp.svg" "$tmp.again.svg" || fail "two plots of one scenario differ"
# the README's plot is this one, byte for byte
cmp -s "$tmp.svg" "$src/docs/plot-ffa-zombie.svg" ||
    fail "docs/plot-ffa-zombie.svg is out of date: xmm-sim plot $story -o docs/plot-ffa-zombie.svg"
for s in $(ls "$src"/scenarios/*/seed-story-*.yaml "$src"/scenarios/gnttab/stale-gfn-array.yaml \
           "$src"/scenarios/ffa/unsafe-free-reuse.yaml); do
    "$sim" plot "$s" -o "$tmp.other.svg" || fail "plot $s: exit $?"
    xmllint --noout "$tmp.other.svg" || fail "plot $s: not well-formed XML"
done

# JSON: zombie-held frames 0 before the first destroy, 4 from it (tick 0)
# until the second destroy (tick 1000), 0 after.
"$sim" plot "$story" --format json >"$tmp.json" || fail "plot --format json exit $?"
got=$(sed -n 's/.*"step":\([0-9]*\),.*"tick":\([0-9]*\),.*"zombie":\([0-9]*\),.*"destroy":\([a-z]*\).*/\1 \2 \3 \4/p' "$tmp.json" | tr '\n' ';')
want="1 0 0 false;2 0 0 false;3 0 0 false;4 0 4 true;5 1000 4 false;6 1000 4 false;7 1000 4 false;8 1000 4 false;9 1000 0 true;10 1000 0 false;11 1000 0 false;"
[ "$got" = "$want" ] || fail "json zombie counts: got '$got', want '$want'"

# SVG: the "held by zombies" area has height only between the x of the
# first destroy marker (step 4) and that of the second (step 9).
xp() { xmllint --xpath "$1" "$tmp.svg" 2>/dev/null; }
x4=$(xp 'string(//*[local-name()="line"][@class="destroy"][@data-step="4"]/@x1)')
x9=$(xp 'string(//*[local-name()="line"][@class="destroy"][@data-step="9"]/@x1)')
pts=$(xp 'string(//*[local-name()="polygon"][@data-series="held by zombies"]/@points)')
[ -n "$x4" ] && [ -n "$x9" ] && [ -n "$pts" ] || fail "markers or zombie area missing"
span=$(echo "$pts" | awk '{
    n = NF; k = n / 4          # points: 2 per sample on top, then 2 per sample back below
    lo = ""; hi = ""
    for (i = 0; i < k; i++) {
        split($(2 * i + 1), a, ","); split($(2 * i + 2), b, ",")
        split($(n - 2 * i), c, ",")
        if (c[2] - a[2] > 0.5) { if (lo == "") lo = a[1]; hi = b[1] }
    }
    print lo, hi }')
[ "$span" = "$x4 $x9" ] || fail "zombie area spans x '$span', want '$x4 $x9' (destroy markers)"

# bad input: exit 2 and a message
expect2() {
    pat=$1
    shift
    "$@" >"$tmp.out" 2>"$tmp.err"
    rc=$?
    { [ "$rc" -eq 2 ] && grep -q -e "$pat" "$tmp.err"; } ||
        { fail "$* (exit $rc, wanted 2 and /$pat/)"; cat "$tmp.err"; }
}
expect2 'cannot open' "$sim" plot "$src/scenarios/no-such-file.yaml" -o "$tmp.x.svg"
expect2 'no output file given' "$sim" plot "$story"
expect2 '^usage: xmm-sim plot' "$sim" plot "$story"
expect2 "unknown option '--width'" "$sim" plot "$story" --width 3 -o "$tmp.x.svg"
expect2 "unknown --format 'png'" "$sim" plot "$story" --format png -o "$tmp.x.svg"
expect2 'never touched' "$sim" plot "$story" --frame 0x43000 -o "$tmp.x.svg"
rm -f "$tmp".*
exit $status
