#!/bin/sh
# libxmm-test fails a cmocka test at the call that broke an invariant (or
# returned the wrong code), with the violation, the frame's history and
# the caller's file:line.
# usage: step_fails.sh STEP_FAILS_BINARY SOURCE_FILE
set -u
bin=$1 src=$2
status=0
out=$("$bin" 2>&1)
rc=$?
fail() { echo "FAILED: $*"; status=1; }
[ $rc -ne 0 ] || fail "the program passed (exit 0)"
here=$(grep -n 'XMM_TEST_FAILS_HERE' "$src" | cut -d: -f1)
rchere=$(grep -n 'XMM_TEST_RC_HERE' "$src" | cut -d: -f1)
check() { printf '%s\n' "$out" | grep -q -e "$1" || fail "no line matching /$1/"; }
check "step_fails.c:$here: step 5: xmm_physmap_decrease(w, 1, xmm_gfn(0x40000), 1) broke an invariant"
check '^violation: isolation at frame mfn 0x40000: '
check '^mfn 0x40000, oldest first:$'
check '^  step 2, tick 0: allocated to d1$'
check '^  step 4, tick 0: DMA write by device nic0$'
check '^  step 5, tick 0: freed to the heap$'
check "step_fails.c:$rchere: step 2: xmm_physmap_populate(w, 1, xmm_gfn(0x40000), 2) returned -1 (EPERM), expected 0 (OK): 2 more pages would take d1 over max_pages 1 (it has 0)"
check '\[  FAILED  \] isolation'
check '\[  FAILED  \] wrong_rc'
[ $status -eq 0 ] || printf '%s\n' "$out" | sed 's/^/  out: /'
exit $status
