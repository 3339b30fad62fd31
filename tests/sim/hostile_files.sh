#!/bin/sh
# Hostile files, generated here (too big to commit): each must give exit 2
# and one clear FILE:LINE:COL: message, within 60 s and (when MEM_KB is not
# 0) a virtual-memory limit of MEM_KB.  The small hostile cases live in
# tests/bad-input (alias-bomb, ends-mid-step, ends-mid-value,
# binary-garbage, nul-bytes).
# usage: hostile_files.sh XMM_SIM WORK_DIR MEM_KB
set -u
sim=$1 dir=$2 mem=$3
mkdir -p "$dir" && cd "$dir" || exit 1
status=0 count=0

# check FILE REGEX: exit 2, and the first line of the output matches REGEX
check() {
    f=$1 want=$2
    count=$((count + 1))
    (if [ "$mem" -ne 0 ]; then ulimit -v "$mem"; fi
     exec timeout 60 "$sim" run "$f") >"$f.out" 2>&1
    rc=$?
    out=$(head -c 400 "$f.out" | head -n 1)
    if [ "$rc" -ne 2 ]; then
        echo "$f: exit $rc, expected 2 (124: over 60 s; memory limit $mem KB)"
        status=1
    elif ! printf '%s\n' "$out" | grep -Eq "^$f:[0-9]+:[0-9]+: $want"; then
        echo "$f: unexpected message: $out"
        echo "    wanted: $f:LINE:COL: $want"
        status=1
    else
        echo "$f: ok ($out)"
    fi
}

# Billion laughs: 12 levels of ten aliases each (10^12 nodes if expanded).
awk 'BEGIN{print "name: bomb"; print "steps:"; print "  - &a0 {advance: 1}";
     for(i=1;i<=12;i++){printf "  - &a%d [", i; for(j=0;j<10;j++) printf "%s*a%d", (j?", ":""), i-1; print "]"}}' > alias-bomb-12.yaml
check alias-bomb-12.yaml "step: expected a mapping with one op, got a sequence"
# A step of two million aliases: shared, never copied; counted per step.
awk 'BEGIN{printf "name: aliaswide\nsteps:\n  - check: &c {violations: 0}\n  - check: {violations: 0, x: ["; for(i=0;i<2000000;i++) printf "%s*c", (i?", ":""); print "]}"}' > alias-wide.yaml
check alias-wide.yaml "step too large \(more than [0-9]+ nodes\)"
# Deep nesting: 200000 flow sequences, then 100000 flow mappings.
awk 'BEGIN{printf "name: deep\nsteps:\n  - advance: "; for(i=0;i<200000;i++) printf "["; print ""}' > deep-seq.yaml
check deep-seq.yaml "nesting deeper than 64 levels"
awk 'BEGIN{printf "name: deepmap\nsteps:\n  - populate: "; for(i=0;i<100000;i++) printf "{a: "; print ""}' > deep-map.yaml
check deep-map.yaml "nesting deeper than 64 levels"
# Huge scalars: a 16 MiB number, a 32 MiB quoted name.
awk 'BEGIN{printf "name: huge\nseed: "; for(i=0;i<1048576;i++) printf "9999999999999999"; print ""; print "steps:\n  - advance: 1"}' > huge-number.yaml
check huge-number.yaml "scalar too long \(16777216 bytes, at most 1048576\)"
awk 'BEGIN{printf "name: \""; for(i=0;i<4194304;i++) printf "abcdefgh"; print "\""; print "steps:\n  - advance: 1"}' > huge-name.yaml
check huge-name.yaml "scalar too long \(33554432 bytes, at most 1048576\)"
# A number just too long to say in full: the message clips it.
awk 'BEGIN{printf "name: longnum\nseed: "; for(i=0;i<100;i++) printf "9"; print ""; print "steps:\n  - advance: 1"}' > long-number.yaml
check long-number.yaml "seed: number '9{40}\.\.\. \(100 bytes\)' does not fit 64 bits"
# Very long: 300000 good steps, then a bad one.
awk 'BEGIN{print "name: long\nsteps:"; for(i=0;i<300000;i++) print "  - advance: 1"; print "  - advance: -1"}' > long-file.yaml
check long-file.yaml "advance: negative number -1 \(must be >= 0\)"
# Very wide: one step with 200000 keys; one line of 300000 flow steps ending badly.
awk 'BEGIN{printf "name: wide\nsteps:\n  - populate: {dom: 1, gfn: 0x10, pages: 1"; for(i=0;i<200000;i++) printf ", k%d: %d", i, i; print "}"}' > wide-step.yaml
check wide-step.yaml "step too large \(more than [0-9]+ nodes\)"
awk 'BEGIN{printf "name: wideseq\nsteps: ["; for(i=0;i<300000;i++) printf "{advance: 1}, "; print "{advance: x}]"}' > wide-flow.yaml
check wide-flow.yaml "advance: 'x' is not an integer \(decimal or 0x hex\)"
# Binary garbage: 200000 pseudo-random bytes (fixed seed).
awk 'BEGIN{srand(18); for(i=0;i<200000;i++) printf "%c", int(rand()*256)}' > garbage.yaml
check garbage.yaml "YAML syntax error: "
# Ends mid-step after 100000 good steps.
awk 'BEGIN{print "name: cut\nsteps:"; for(i=0;i<100000;i++) print "  - advance: 1"; printf "  - populate: {dom: 1, gfn: 0x10, pa"}' > long-cut.yaml
check long-cut.yaml "YAML syntax error: "
echo "$count hostile files, each exit 2 with a clear message"
# Keep them only when something failed (about 40 MB).
[ "$status" -ne 0 ] || rm -f ./*.yaml ./*.yaml.out
exit $status
