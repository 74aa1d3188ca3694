#!/usr/bin/env bash
# tools/guest-test.sh SPEC_FILE OUT_DIR
#
# Runs kernels as guests of the demo hypervisor exactly as a user does
# (make run GUEST=... CMDLINE=... INITRD=...) and checks each run. SPEC_FILE
# has one run per line, fields separated by '|':
#   kernel | initrd (or empty) | expected exit status | bare-Bochs serial
#   output to compare with (or empty) | text the output must contain (or
#   empty) | MEM in MiB (or empty: 128) | timeout in s (or empty: 120) |
#   command line
# Per run it counts: the exit status; the kernel's own checks (its COM1
# line "<name>: N passed, M failed", when it prints one); the byte-for-byte
# comparison of its COM1 output with the same kernel booted by GRUB on bare
# Bochs (differential); the expected text. Last line:
# "guests: N passed, M failed".
set -u
spec=$1
outdir=$2
mkdir -p "$outdir"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "guest-test: FAIL $*"; }

while IFS='|' read -r kernel initrd want bare expect mem tmo args; do
    [ -n "$kernel" ] || continue
    name=$(basename "$kernel")
    [ -z "$mem" ] || name=$name-mem$mem
    [ -z "$tmo" ] || name=$name-timeout$tmo
    case $args in *end=*) name=$name-end-${args##*end=} ;; esac
    case $want in 6) name=$name-refused ;; esac
    log=$outdir/$name.log
    start=$(date +%s.%N)
    # make's own status is 2 for any failing recipe: the guest's exact
    # status is tools/run-guest.sh's, recorded by make run in guest.status.
    rm -f build/guest.status
    make --no-print-directory run GUEST="$kernel" INITRD="$initrd" CMDLINE="$args" \
        MEM="${mem:-128}" RUN_TIMEOUT="${tmo:-120}" >"$log" 2>&1 </dev/null
    rc=$(cat build/guest.status 2>/dev/null || echo "none")
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    cp build/guest.out "$outdir/$name.out" 2>/dev/null
    cp build/guest.out.serial "$outdir/$name.serial" 2>/dev/null || : >"$outdir/$name.serial"
    ticks=$(sed -n 's/^x86vcpu demo: guest ran \([0-9]*\) ticks.*/\1/p' "$log" | tail -n 1)
    echo "guest-test: $name${args:+ ($args)}: exit status $rc, ${ticks:-?} guest ticks, ${secs} s in all"
    if [ "$rc" = "$want" ]; then ok; else bad "$name: exit status $rc, expected $want"; tail -n 15 "$log"; fi

    line=$(grep -a -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed' "$outdir/$name.serial" | tail -n 1)
    if [ -n "$line" ]; then
        p=$(printf '%s\n' "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\1/')
        f=$(printf '%s\n' "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
        pass=$((pass + p))
        fail=$((fail + f))
        [ "$f" = 0 ] || { bad "$name: $line"; grep -a '^not ok' "$outdir/$name.serial"; }
    elif [ -z "$expect" ]; then
        bad "$name: no 'N passed, M failed' line on its console"
    fi

    if [ -n "$bare" ]; then
        if cmp -s "$bare" "$outdir/$name.serial"; then
            ok
            echo "guest-test: $name: COM1 output identical to bare Bochs ($(wc -l <"$bare") lines)"
        else
            bad "$name: COM1 output differs from bare Bochs"
            diff -u "$bare" "$outdir/$name.serial" | head -n 30
        fi
    fi

    if [ -n "$expect" ]; then
        if grep -a -q -F -- "$expect" "$log"; then ok; else bad "$name: output lacks \"$expect\""; fi
    fi
done <"$spec"
echo "guests: $pass passed, $fail failed"
[ "$fail" = 0 ]
