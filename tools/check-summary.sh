#!/bin/sh
# tools/check-summary.sh UNIT_LOG BOCHS_OUT DIFF_LOG
# One closing line for `make check`: every unit test, every Bochs integration
# check and every differential case, as "check: N passed, N failed".
set -eu
u=$(sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$1" | tail -n 1)
b=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$2" | tail -n 1)
d=$(sed -n 's/^diff: \([0-9]*\) cases, \([0-9]*\) differ$/\1 \2/p' "$3" | tail -n 1)
[ -n "$u" ] && [ -n "$b" ] && [ -n "$d" ] || { echo "check-summary: a stage left no result line" >&2; exit 1; }
set -- $u $b $d
passed=$(( $1 + $3 + $5 - $6 ))
failed=$(( $2 + $4 + $6 ))
echo "check: unit $1/$(( $1 + $2 )), bochs $3/$(( $3 + $4 )), differential $(( $5 - $6 ))/$5"
echo "check: $passed passed, $failed failed"
[ "$failed" = 0 ]
