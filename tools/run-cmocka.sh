#!/bin/sh
# tools/run-cmocka.sh LABEL [--stop] BINARY...
# Runs cmocka test binaries and sums their results: cmocka's
# "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)" lines; a binary that
# dies before its summary (crash, sanitizer abort) counts its "[       OK ]"
# tests as passed and one failure. --stop: stop at the first failing binary.
# Prints every binary's output, then "LABEL: N passed, N failed" unless
# RUN_CMOCKA_NO_TOTAL is set (a caller that adds more), and writes
# "PASS FAIL" to $RUN_CMOCKA_COUNTS when that is set. Exit status 1 when
# anything failed.
label=$1; shift
stop=0
[ "${1:-}" = --stop ] && { stop=1; shift; }
pass=0; fail=0; status=0
for t in "$@"; do
    echo "== $t"
    out=$(CMOCKA_MESSAGE_OUTPUT=STDOUT "./$t" 2>&1); rc=$?
    printf '%s\n' "$out"
    if printf '%s\n' "$out" | grep -q '^\[  PASSED  \] [0-9]* test(s)\.$'; then
        p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\.$/\1/p' | awk '{s+=$1} END {print s+0}')
    else
        p=$(printf '%s\n' "$out" | grep -c '^\[       OK \] ')
    fi
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' | awk '{s+=$1} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    pass=$((pass + p)); fail=$((fail + f))
    if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
        status=1
        if [ $stop = 1 ]; then echo "$label: $t FAILED (exit status $rc)"; break; fi
    fi
done
[ -n "${RUN_CMOCKA_COUNTS:-}" ] && echo "$pass $fail" > "$RUN_CMOCKA_COUNTS"
[ -n "${RUN_CMOCKA_NO_TOTAL:-}" ] || echo "$label: $pass passed, $fail failed"
exit $status
