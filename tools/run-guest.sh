#!/usr/bin/env bash
# tools/run-guest.sh ISO OUTFILE [TIMEOUT_S]
#
# Boots the demo hypervisor with a guest kernel (make run GUEST=...) through
# tools/run-bochs.sh and exits with the guest's exit status, as the demo
# reported it in its line "x86vcpu demo: guest exit status N (why)":
#   odd N   the guest wrote v to QEMU's isa-debug-exit port: (v << 1) | 1
#           (truncated to 8 bits, as a QEMU process's status would be)
#   0       the guest powered off (0x8900 "Shutdown", ACPI) or asked for a reset
#   2       triple fault          4  HLT with interrupts disabled
#   6       the hypervisor stopped the guest (bad image, unhandled exit)
#   124     timeout (Bochs killed); 1: no status reported (Bochs failed)
# The status is also written to OUTFILE's directory as guest.status (make
# itself can only exit 0 or 2).
set -u
[ $# -ge 2 ] || { echo "usage: $0 ISO OUTFILE [TIMEOUT_S]" >&2; exit 2; }
out=$2
timeout_s=${3:-120}
statf=$(dirname "$out")/guest.status
rm -f "$statf"
end() { echo "$1" >"$statf"; exit "$1"; }
"$(dirname "$0")/run-bochs.sh" "$@"
rc=$?
if [ "$rc" = 124 ]; then
    echo "make run: TIMEOUT: the guest did not end within ${timeout_s} s (RUN_TIMEOUT=...)" >&2
    end 124
fi
line=$(grep -a -o 'x86vcpu demo: guest exit status [0-9]* (.*)' "$out" 2>/dev/null | tail -n 1)
if [ -z "$line" ]; then
    echo "make run: the hypervisor reported no guest exit status (Bochs status $rc; output in $out)" >&2
    end 1
fi
st=$(printf '%s\n' "$line" | sed -E 's/.*status ([0-9]+) .*/\1/')
why=$(printf '%s\n' "$line" | sed -E 's/.*status [0-9]+ \((.*)\)$/\1/')
case $st in
    2|4|6) echo "make run: the guest did not end normally: $why (status $st)" >&2 ;;
    *)     echo "make run: guest exit status $st ($why)" >&2 ;;
esac
end $((st & 255))
