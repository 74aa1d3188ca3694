#!/bin/sh
# tools/check-result.sh OUTFILE BOCHS_STATUS
# A Bochs test run passed when Bochs ended by itself and the kernel's last
# summary line is "N passed, 0 failed" with N > 0.
out=$1
st=$2
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
if [ "$st" != 0 ]; then
    echo "bochs-test: Bochs did not end normally (status $st)" >&2
    exit 1
fi
if [ -z "$line" ]; then
    echo "bochs-test: no 'N passed, N failed' line in $out" >&2
    exit 1
fi
case $line in
    0\ passed*) echo "bochs-test: no test ran" >&2; exit 1 ;;
    *\ 0\ failed) exit 0 ;;
    *) echo "bochs-test: $line" >&2; exit 1 ;;
esac
