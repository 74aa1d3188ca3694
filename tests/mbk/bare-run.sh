#!/usr/bin/env bash
# tests/mbk/bare-run.sh ISO OUT KERNEL TIMEOUT_S MODE
#
# Boots a multiboot test kernel's GRUB ISO on bare Bochs (tools/run-bochs.sh)
# and judges the run from the kernel's COM1 output (OUT.serial):
#   - Bochs must have been ended by the kernel (its "Shutdown" to 0x8900);
#   - the last line must be "KERNEL: N passed, M failed";
#   - MODE strict: M must be 0 (portable kernels); MODE smoke: any M
#     (kernels that need the hypervisor's devices: only "runs to the end").
# Prints one line: "mbk-bare: KERNEL: N passed, M failed, T s, K ticks, <verdict>"
# (T: wall-clock time of the whole Bochs run, BIOS and GRUB included;
# K: Bochs ticks, i.e. instructions plus HLT skips).
# Bochs' own messages go to OUT.run.log (shown when the run failed).
set -u
[ $# -eq 5 ] || { echo "usage: $0 ISO OUT KERNEL TIMEOUT_S strict|smoke" >&2; exit 2; }
iso=$1 out=$2 kernel=$3 timeout_s=$4 mode=$5
here=$(cd "$(dirname "$0")/../.." && pwd)

start=$(date +%s.%N)
"$here/tools/run-bochs.sh" "$iso" "$out" "$timeout_s" >/dev/null 2>"$out.run.log"
rc=$?
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')

serial=$out.serial
last=$(tail -n 1 "$serial" 2>/dev/null)
why=""
if [ "$rc" != 0 ]; then
    why="Bochs did not end by the kernel's shutdown (run-bochs status $rc)"
elif ! printf '%s\n' "$last" | grep -q -E "^$kernel: [0-9]+ passed, [0-9]+ failed\$"; then
    why="no final result line in $serial"
elif [ "$mode" = strict ] && ! printf '%s\n' "$last" | grep -q -E ' 0 failed$'; then
    why="checks failed (see $serial)"
fi

result=${last#"$kernel: "}
ticks=$(sed -n -E 's/.* ([0-9]+) ticks .*/\1/p' "$out.run.log" | tail -n 1)
ticks=${ticks:-?}
if [ -n "$why" ]; then
    echo "mbk-bare: $kernel: FAIL after $secs s: $why" >&2
    sed 's/^/mbk-bare:   /' "$out.run.log" >&2
    grep -E '^not ok' "$serial" 2>/dev/null | head -n 20 | sed 's/^/mbk-bare:   /' >&2
    exit 1
fi
if [ "$mode" = smoke ]; then
    echo "mbk-bare: $kernel: $result, $secs s, $ticks ticks (ran to the end; failures expected on bare Bochs)"
else
    echo "mbk-bare: $kernel: $result, $secs s, $ticks ticks, PASS"
fi
