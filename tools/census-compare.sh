#!/usr/bin/env bash
# tools/census-compare.sh BARE_SERIAL GUEST_SERIAL
#
# The CPUID census (tests/mbk/census.c, docs/CPUID.md) on bare Bochs lists
# the features Bochs shows in CPUID but lacks ("# NAME: shown, faults");
# as a guest every one of them must be checked and pass: hidden, with its
# MSRs and instructions absent, or shown because the library now backs it
# ("ok - NAME: hidden, ..." / "ok - NAME: shown, works"). Prints one line;
# exits 1 when a feature Bochs lacks is missing from the guest's census or
# not ok there. Skips (exit 0) when the guest run was not part of this
# guest-test (a -g/NAME selection).
set -u
[ $# -eq 2 ] || { echo "usage: $0 BARE_SERIAL GUEST_SERIAL" >&2; exit 2; }
bare=$1 guest=$2
[ -f "$guest" ] || { echo "census-compare: no guest census run here, skipped"; exit 0; }
[ -f "$bare" ] || { echo "census-compare: no bare census output ($bare)" >&2; exit 1; }
n=0 bad=0
while IFS= read -r name; do
    n=$((n + 1))
    if ! grep -q -F -x -e "ok - $name: hidden, #GP as absent" -e "ok - $name: hidden, #UD as absent" \
            -e "ok - $name: shown, works" "$guest"; then
        echo "census-compare: bare Bochs lacks '$name', and the guest's census does not pass it" >&2
        grep -F -e "$name:" "$guest" | sed 's/^/census-compare:   guest: /' >&2
        bad=$((bad + 1))
    fi
done < <(sed -n -E 's/^# (.*): shown, faults.*$/\1/p' "$bare")
[ "$n" -gt 0 ] || { echo "census-compare: the bare census lists no feature Bochs lacks: not a census output?" >&2; exit 1; }
echo "census-compare: $n features bare Bochs shows but lacks, each hidden or backed as a guest: $((n - bad)) ok, $bad not"
[ "$bad" -eq 0 ]
