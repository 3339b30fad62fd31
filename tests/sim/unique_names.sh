#!/bin/sh
# Scenario names are unique across scenarios/ (reports, TAP and JUnit name
# scenarios by them), and each file has exactly one top-level name.
# usage: unique_names.sh SCENARIOS_DIR
set -u
dir=$1
status=0
list=${TMPDIR:-/tmp}/xmm-names.$$
: >"$list"
for f in $(find "$dir" -name '*.yaml' | LC_ALL=C sort); do
    n=$(sed -n 's/^name: *//p' "$f")
    if [ -z "$n" ] || [ "$(printf '%s\n' "$n" | wc -l)" -ne 1 ]; then
        echo "$f: no single top-level name"
        status=1
    fi
    printf '%s %s\n' "$n" "$f" >>"$list"
done
dups=$(cut -d' ' -f1 "$list" | LC_ALL=C sort | uniq -d)
for d in $dups; do
    echo "scenario name '$d' is used by:"
    grep "^$d " "$list" | cut -d' ' -f2- | sed 's/^/  /'
    status=1
done
[ "$(wc -l <"$list")" -gt 0 ] || { echo "no scenario found under $dir"; status=1; }
rm -f "$list"
exit $status
