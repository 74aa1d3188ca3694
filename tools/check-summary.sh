#!/bin/sh
# tools/check-summary.sh UNIT_LOG BOCHS_OUT DIFF_LOG GUEST_LOG
# One closing line for `make check`: every unit test, every Bochs integration
# check, every differential case and every guest-kernel check, as
# "check: N passed, N failed".
set -eu
u=$(sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$1" | tail -n 1)
b=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$2" | tail -n 1)
d=$(sed -n 's/^diff: \([0-9]*\) cases, \([0-9]*\) differ$/\1 \2/p' "$3" | tail -n 1)
g=$(sed -n 's/^guests: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$4" | tail -n 1)
[ -n "$u" ] && [ -n "$b" ] && [ -n "$d" ] && [ -n "$g" ] || { echo "check-summary: a stage left no result line" >&2; exit 1; }
set -- $u $b $d $g
passed=$(( $1 + $3 + $5 - $6 + $7 ))
failed=$(( $2 + $4 + $6 + $8 ))
echo "check: unit $1/$(( $1 + $2 )), bochs $3/$(( $3 + $4 )), differential $(( $5 - $6 ))/$5, guests $7/$(( $7 + $8 ))"
echo "check: $passed passed, $failed failed"
[ "$failed" = 0 ]
