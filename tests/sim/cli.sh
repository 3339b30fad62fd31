#!/bin/sh
# Command-line behaviour of xmm-sim: exit codes, usage on stderr, output
# formats (JUnit validated with xmllint), batches with malformed files,
# --help of every command, --version, ops NAME, --out creation.
# usage: cli.sh XMM_SIM SOURCE_DIR
set -u
sim=$1 src=$2
tmp=${TMPDIR:-/tmp}/xmm-sim-cli.$$
good=$src/scenarios/foundation/populate-decrease.yaml
bad=$src/tests/bad-input/unknown-op.yaml
failing=$src/tests/sim/expect-fail/rc-mismatch.yaml
status=0

# expect CODE STDOUT_PATTERN STDERR_PATTERN -- command...
# A pattern of '-' means "must be empty"; '' means "anything".
expect() {
    code=$1 outpat=$2 errpat=$3
    shift 4
    "$@" >"$tmp.out" 2>"$tmp.err"
    rc=$?
    ok=1
    [ "$rc" -eq "$code" ] || ok=0
    case $outpat in
        -) [ -s "$tmp.out" ] && ok=0 ;;
        '') ;;
        *) grep -q -e "$outpat" "$tmp.out" || ok=0 ;;
    esac
    case $errpat in
        -) [ -s "$tmp.err" ] && ok=0 ;;
        '') ;;
        *) grep -q -e "$errpat" "$tmp.err" || ok=0 ;;
    esac
    if [ $ok -eq 0 ]; then
        echo "FAILED: $* (exit $rc, wanted $code; stdout /$outpat/, stderr /$errpat/)"
        sed 's/^/  out: /' "$tmp.out" | head -20
        sed 's/^/  err: /' "$tmp.err" | head -20
        status=1
    fi
}

expect 2 - '^usage: xmm-sim' -- "$sim"
expect 0 '^usage: xmm-sim' - -- "$sim" --help
expect 0 '^  run  *run scenario files' - -- "$sim" --help
expect 0 '^  ops  *print the scenario op reference' - -- "$sim" help
# the usage lists only commands that work: each one answers --help
"$sim" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p' >"$tmp.cmds"
[ -s "$tmp.cmds" ] || { echo "FAILED: no command in the usage"; status=1; }
while read -r c; do
    expect 0 "^usage: xmm-sim $c" - -- "$sim" "$c" --help
    expect 0 "^usage: xmm-sim $c" - -- "$sim" help "$c"
done <"$tmp.cmds"
"$sim" --help | grep -q 'not written' && { echo "FAILED: --help lists unwritten commands"; status=1; }
# run --help: every option of the synopsis is described on a line of its own
expect 0 '^options:$' - -- "$sim" run --help
for o in --format --check --out --seed -v; do
    expect 0 "^  $o" - -- "$sim" run --help
    words=$("$sim" run --help | grep -A1 -e "^  $o" | wc -w)
    [ "$words" -ge 8 ] || { echo "FAILED: run --help: $o has no description"; status=1; }
done
expect 0 '^usage: xmm-sim ops' - -- "$sim" ops --help
version=$(sed -n 's/^project(libxmm VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
expect 0 "^xmm-sim (libxmm) $version\$" - -- "$sim" --version
expect 2 - "unknown command 'frobnicate'" -- "$sim" frobnicate
expect 2 - "unknown command 'explian'" -- "$sim" explian
expect 2 - '^usage: xmm-sim explain' -- "$sim" explain
expect 2 - 'no scenario file given' -- "$sim" run
expect 2 - "unknown option '--bogus'" -- "$sim" run --bogus "$good"
expect 2 - "unknown --format 'xml'" -- "$sim" run --format xml "$good"
expect 2 - "unknown --check 'sometimes'" -- "$sim" run --check sometimes "$good"
expect 2 - "--seed 'x1' is not a number" -- "$sim" run --seed x1 "$good"
expect 2 - 'nope.yaml: cannot open: No such file or directory' -- "$sim" run nope.yaml
# ops NAME: one op's reference
expect 0 '^### `populate`$' - -- "$sim" ops populate
expect 0 '^| `pages` | pages | required |' - -- "$sim" ops populate
"$sim" ops populate | grep -q '^### `decrease`' && { echo "FAILED: ops populate prints other ops"; status=1; }
expect 0 '^#### check subjects$' - -- "$sim" ops check
expect 2 - "unknown op 'populat' (ops: advance, " -- "$sim" ops populat

# --out: a missing directory is made with its parents; a file is refused
rm -rf "$tmp.d"
expect 0 '^1 passed, 0 failed$' - -- "$sim" run --out "$tmp.d/a/b" "$good"
[ -d "$tmp.d/a/b" ] || { echo "FAILED: --out did not create $tmp.d/a/b"; status=1; }
expect 0 '^PASS cli-export-dt-out' - -- "$sim" run --out "$tmp.d/c" "$src/tests/sim/cli/export-dt.yaml"
[ -s "$tmp.d/c/guest.dtb" ] || { echo "FAILED: export_dt did not write under a new --out"; status=1; }
: >"$tmp.file"
expect 2 - "is not a directory" -- "$sim" run --out "$tmp.file" "$good"

# batch: a malformed file is reported, the others still run;
# exit 2 if any file was malformed, else 1 if any failed, else 0
expect 2 '^PASS populate-decrease (17 steps)$' 'unknown-op.yaml:4:5: unknown op' -- "$sim" run "$good" "$bad"
expect 2 '^1 passed, 0 failed, 1 malformed$' '' -- "$sim" run "$bad" "$good"
expect 2 '^1 passed, 1 failed, 1 malformed$' '' -- "$sim" run "$good" "$bad" "$failing"
expect 2 - 'unknown op' -- "$sim" run "$bad"
expect 1 '^1 passed, 1 failed$' - -- "$sim" run "$good" "$failing"
expect 0 '^2 passed, 0 failed$' - -- "$sim" run "$good" "$good"
expect 2 '^not ok 1 - .*unknown-op.yaml$' '' -- "$sim" run --format tap "$bad" "$good"
expect 2 '^# malformed: .*unknown-op.yaml:4:5: unknown op' '' -- "$sim" run --format tap "$bad" "$good"
expect 2 '^ok 2 - populate-decrease' '' -- "$sim" run --format tap "$bad" "$good"
expect 2 '^1\.\.2$' '' -- "$sim" run --format tap "$bad" "$good"
"$sim" run --format tap "$bad" "$good" 2>/dev/null | grep -q '^Bail out!' &&
    { echo "FAILED: TAP bailed out though a file could run"; status=1; }
expect 2 '^Bail out! no scenario could be loaded (2 malformed files)$' '' -- "$sim" run --format tap "$bad" "$bad"
expect 2 '^{"type":"error","file":".*unknown-op.yaml","line":4,"col":5,"message":"unknown op' '' -- "$sim" run --format json "$good" "$bad"
expect 2 '^{"type":"summary","passed":1,"failed":0,"malformed":1}$' '' -- "$sim" run --format json "$good" "$bad"

# JUnit: valid against tests/sim/junit.xsd, one testsuite per file, the report in <failure>
"$sim" run -v --format junit "$good" "$bad" "$failing" >"$tmp.xml" 2>/dev/null
rc=$?
[ $rc -eq 2 ] || { echo "FAILED: junit with a malformed file: exit $rc, wanted 2"; status=1; }
if ! xmllint --noout --schema "$src/tests/sim/junit.xsd" "$tmp.xml" 2>"$tmp.err"; then
    echo "FAILED: the JUnit report does not validate"; cat "$tmp.err"; status=1
fi
[ "$(grep -c '<testsuite ' "$tmp.xml")" -eq 3 ] || { echo "FAILED: junit: not 3 testsuites"; status=1; }
expect 0 '<testsuites name="xmm-sim" tests="3" failures="1" errors="1">' - -- cat "$tmp.xml"
expect 0 '<failure type="rc" message="rc: expected OK, got EPERM">step 2, line 5: populate' - -- cat "$tmp.xml"
expect 0 '<error type="malformed" message="unknown op' - -- cat "$tmp.xml"
expect 0 '<testcase classname=".*populate-decrease.yaml" name="populate-decrease">' - -- cat "$tmp.xml"
expect 0 '^step 3, line 10, tick 0: populate dom=1' - -- cat "$tmp.xml"
"$sim" run --format junit "$good" >"$tmp.xml"
xmllint --noout --schema "$src/tests/sim/junit.xsd" "$tmp.xml" 2>/dev/null ||
    { echo "FAILED: the JUnit report of a passing run does not validate"; status=1; }

# -v: the tick on every step line; steps not run after an expected violation
expect 0 '^  step 3, line 10, tick 0: populate dom=1 gfn=0x100 pages=16 -> OK$' - -- "$sim" run -v "$good"
"$sim" run -v "$src/scenarios/iommu/seed-story-sync.yaml" >"$tmp.out"
n=$(grep -c '^  step ' "$tmp.out") t=$(grep -c '^  step [0-9]*, line [0-9]*, tick [0-9]*: ' "$tmp.out")
[ "$n" -gt 0 ] && [ "$n" -eq "$t" ] || { echo "FAILED: -v lines without a tick ($t of $n)"; status=1; }
grep -q '^  step [0-9]*, line [0-9]*, tick [1-9][0-9]*: ' "$tmp.out" ||
    { echo "FAILED: -v: the tick never advances in seed-story-sync"; status=1; }
expect 0 '"step":3,"line":10,"tick":0,"op":"populate"' - -- "$sim" run --format json "$good"
expect 0 '^  2 later steps not run: the expected violation ends the run$' - -- "$sim" run "$src/tests/sim/cli/violation-then-more.yaml"
expect 0 '^# 2 later steps not run' - -- "$sim" run --format tap "$src/tests/sim/cli/violation-then-more.yaml"
expect 0 '"not_run":2' - -- "$sim" run --format json "$src/tests/sim/cli/violation-then-more.yaml"

expect 0 '^PASS cli-iommu-held-attribution (13 steps)$' - -- "$sim" run "$src/tests/sim/cli/iommu-held-attribution.yaml"
# names as the reports print them: d1, xen, park, free, a device id
expect 0 '^PASS cli-names-as-printed' - -- "$sim" run "$src/tests/sim/cli/names-as-printed.yaml"

expect 0 '^1 passed, 0 failed$' - -- "$sim" run "$good"
expect 0 '^2 passed, 0 failed$' - -- "$sim" run --check full --seed 0x10 --out . "$good" "$good"
expect 0 '^ok 1 - populate-decrease' - -- "$sim" run --format tap "$good"
expect 0 '^TAP version 13$' - -- "$sim" run --format=tap "$good"
expect 0 '^{"type":"summary","passed":1,"failed":0}$' - -- "$sim" run --format json "$good"
expect 0 '"op":"populate","args":{"dom":1,"gfn":256,"pages":16},"rc":"OK"' - -- "$sim" run --format json "$good"
expect 1 '^not ok 2 - rc-mismatch$' - -- "$sim" run --format tap "$good" "$failing"
expect 1 '"result":"fail"' - -- "$sim" run --format json "$failing"
expect 1 '^  rc: expected OK, got EPERM$' - -- "$sim" run "$failing"
expect 0 '^| \[`populate`\](#populate) | errno | gfn |$' - -- "$sim" ops
rm -rf "$tmp.out" "$tmp.err" "$tmp.cmds" "$tmp.d" "$tmp.file" "$tmp.xml"
exit $status
