#!/bin/sh
# One bad-input case: `xmm-sim run NAME.yaml`, run from the corpus
# directory so that the file name in the message is just NAME.yaml, must
# exit 2 and print exactly the line in NAME.err (stdout and stderr together).
# usage: bad_input.sh XMM_SIM CORPUS_DIR NAME
set -u
sim=$1 dir=$2 name=$3
cd "$dir" || exit 1
out=$("$sim" run "$name.yaml" 2>&1)
rc=$?
want=$(cat "$name.err")
status=0
if [ "$rc" -ne 2 ]; then
    echo "exit code: expected 2, got $rc"
    status=1
fi
if [ "$out" != "$want" ]; then
    echo "output differs"
    echo "expected: $want"
    echo "got:      $out"
    status=1
fi
exit $status
