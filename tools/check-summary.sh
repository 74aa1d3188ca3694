#!/bin/sh
# tools/check-summary.sh UNIT_LOG HOST_LOG BOCHS_OUT DIFF_LOG GUEST_LOG FUZZ_LOG LINUX_LOG
# One closing line for `make check`: every unit test, every host-side VMX
# harness test, every Bochs integration check, every differential case,
# every guest-kernel check and every Linux-guest check (make linux-test),
# as "check: N passed, N failed". The fuzzer's
# programs are not tests and are not added to N; its divergences and host
# faults/hangs are counted as failures.
set -eu
BOCHS_OUT_FILE=$3
u=$(sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$1" | tail -n 1)
h=$(sed -n 's/^host: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$2" | tail -n 1)
b=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$3" | tail -n 1)
d=$(sed -n 's/^diff: \([0-9]*\) cases, \([0-9]*\) differ.*/\1 \2/p' "$4" | tail -n 1)
g=$(sed -n 's/^guests: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$5" | tail -n 1)
f=$(sed -n 's/^fuzz-guest: \([0-9]*\) programs, \([0-9]*\) divergences, \([0-9]*\) host faults\/hangs$/\1 \2 \3/p' "$6" | tail -n 1)
l=$(sed -n 's/^linux: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$7" | tail -n 1)
[ -n "$u" ] && [ -n "$h" ] && [ -n "$b" ] && [ -n "$d" ] && [ -n "$g" ] && [ -n "$f" ] && [ -n "$l" ] ||
    { echo "check-summary: a stage left no result line" >&2; exit 1; }
set -- $u $h $b $d $g $f $l
passed=$(( $1 + $3 + $5 + $7 - $8 + $9 + ${14} ))
failed=$(( $2 + $4 + $6 + $8 + ${10} + ${12} + ${13} + ${15} ))
echo "check: unit $1/$(( $1 + $2 )), host $3/$(( $3 + $4 )), bochs $5/$(( $5 + $6 )), differential $(( $7 - $8 ))/$7, guests $9/$(( $9 + ${10} )), linux ${14}/$(( ${14} + ${15} ))"
echo "check: fuzzer ${11} programs, ${12} divergences, ${13} host faults/hangs"
# Issue 15's figures from the BENCH lines (printed, not asserted: Bochs
# ticks of this run).
added() { sed -n "s/^BENCH $1 exit round trip: .*added by the exit \([0-9.]*\) ticks.*/\1/p" "$bochs_out" | tail -n 1; }
bochs_out=$BOCHS_OUT_FILE
mem=$(sed -n 's/^BENCH vCPU memory: [0-9]* frames per vCPU (\([0-9]*\) KiB.*/\1/p' "$bochs_out" | tail -n 1)
echo "check: exit path (Bochs ticks added): CPUID $(added CPUID) (goal <= 100)," \
     "OUT to the port handler $(added 'OUT (port handler)') (goal <= 200; $(added OUT) through run()'s return)," \
     "memory per vCPU ${mem:-?} KiB (goal <= 12)"
echo "check: $passed passed, $failed failed"
[ "$failed" = 0 ]
