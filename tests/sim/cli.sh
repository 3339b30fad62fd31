#!/bin/sh
# Command-line behaviour of xmm-sim: exit codes, usage on stderr, output
# formats, the summary line CI parses.
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
expect 0 '^usage: xmm-sim' - -- "$sim" run --help
expect 2 - "unknown command 'frobnicate'" -- "$sim" frobnicate
expect 2 - "'explain' is not written yet" -- "$sim" explain
expect 2 - 'no scenario file given' -- "$sim" run
expect 2 - "unknown option '--bogus'" -- "$sim" run --bogus "$good"
expect 2 - "unknown --format 'xml'" -- "$sim" run --format xml "$good"
expect 2 - "unknown --check 'sometimes'" -- "$sim" run --check sometimes "$good"
expect 2 - "--seed 'x1' is not a number" -- "$sim" run --seed x1 "$good"
expect 2 - 'is not a directory' -- "$sim" run --out /nonexistent/dir "$good"
expect 2 - 'nope.yaml: cannot open: No such file or directory' -- "$sim" run nope.yaml
# one bad file: nothing runs, exit 2
expect 2 - 'unknown op' -- "$sim" run "$good" "$bad"
expect 0 '^PASS populate-decrease (17 steps)$' - -- "$sim" run "$good"
expect 0 '^1 passed, 0 failed$' - -- "$sim" run "$good"
expect 0 '^  step 3, line 10: populate dom=1 gfn=0x100 pages=16 -> OK$' - -- "$sim" run -v "$good"
expect 0 '^2 passed, 0 failed$' - -- "$sim" run --check full --seed 0x10 --out . "$good" "$good"
expect 0 '^ok 1 - populate-decrease' - -- "$sim" run --format tap "$good"
expect 0 '^TAP version 13$' - -- "$sim" run --format=tap "$good"
expect 0 '^{"type":"summary","passed":1,"failed":0}$' - -- "$sim" run --format json "$good"
expect 0 '"op":"populate","args":{"dom":1,"gfn":256,"pages":16},"rc":"OK"' - -- "$sim" run --format json "$good"
expect 1 '^1 passed, 1 failed$' - -- "$sim" run "$good" "$failing"
expect 1 '^not ok 2 - rc-mismatch$' - -- "$sim" run --format tap "$good" "$failing"
expect 1 '"result":"fail"' - -- "$sim" run --format json "$failing"
expect 1 '^  rc: expected OK, got EPERM$' - -- "$sim" run "$failing"
expect 0 '^| \[`populate`\](#populate) | errno | gfn | supported |$' - -- "$sim" ops
rm -f "$tmp.out" "$tmp.err"
exit $status
