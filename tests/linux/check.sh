#!/bin/bash
# tests/linux/check.sh BUILD [cloud|amd64] [BARE_DIR] — judges the Linux guest
# run of make linux-test from what the demo and Bochs left in BUILD
# (guest.status, guest.out, guest.out.raw) and, given BARE_DIR, the same
# kernel on bare Bochs (tests/linux/bare.sh: bare.out.serial, bare.out.raw):
#   - the guest's exit status: 0 (it powered off) passes;
#   - every check of the initramfs' /init (init.sh): "LINUX-TEST: NAME: PASS";
#   - with BARE_DIR: the bare run reached /init, and tests/linux/compare.sh:
#     cpuinfo flags differ only in the intended bits, no dmesg warning or
#     error the bare run lacks;
#   - BENCH lines (printed, never judged: no timed tests): Bochs ticks from
#     the kernel's first instruction to /init (guest: from the demo's
#     hand-off, "Linux hand-off at host TSC N"; bare: from the debugger's
#     breakpoint at the kernel's entry; both to the magic breakpoint of
#     bxmark, "Next at t=N"), the kernel's uptime at /init guest vs bare
#     and their ratio (goal <= 1.05), exits by reason (the demo's exit
#     statistics: the whole run, boot to power-off) and exits per guest
#     second.
# Last line: "linux: N passed, M failed". Exit status 0 when nothing failed.
set -u
b=${1:?BUILD}
flavor=${2:-cloud}
bare=${3:-}
out=$b/guest.out; raw=$b/guest.out.raw; statf=$b/guest.status
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "linux: PASS $*"; }
ko() { fail=$((fail + 1)); echo "linux: FAIL $*"; }

st=$(cat "$statf" 2>/dev/null || echo none)
why=$(grep -a -o 'guest exit status [0-9]* (.*)' "$out" 2>/dev/null | tail -n 1)
if [ "$st" = 0 ]; then ok "exit status 0 ($why)"; else ko "exit status $st (${why:-no status line})"; fi
if grep -a -q '^BOOT-OK: reached userspace /init' "$out" 2>/dev/null; then ok "/init started"
else
    ko "/init never started; the console's last lines:"
    grep -a -v '^$' "$out" 2>/dev/null | tail -n 25 | sed 's/^/linux:   | /'
fi
for c in mounts uname cpuinfo-hypervisor cpuinfo-no-vmx pci-host-bridge timer-irqs serial-irqs tmpfs; do
    line=$(grep -a -m1 "^LINUX-TEST: $c: " "$out" 2>/dev/null)
    case $line in
        *": PASS"*) ok "$c: ${line#*PASS }" ;;
        *": FAIL"*) ko "$c: ${line#*FAIL }" ;;
        *)          ko "$c: no result" ;;
    esac
done

# The bare-Bochs run and the comparison.
if [ -n "$bare" ]; then
    bser=$bare/bare.out.serial; braw=$bare/bare.out.raw
    if grep -a -q '^BOOT-OK: reached userspace /init' "$bser" 2>/dev/null; then
        ok "bare Bochs: the same kernel reached /init ($bare)"
        while IFS= read -r l; do
            case $l in
                "linux: PASS "*) ok "${l#linux: PASS }" ;;
                "linux: FAIL "*) ko "${l#linux: FAIL }" ;;
                *) echo "$l" ;;
            esac
        done < <("$(dirname "$0")/compare.sh" "$out" "$bser")
    else
        ko "bare Bochs: the same kernel did not reach /init (status $(cat "$bare/status" 2>/dev/null)); see $bare"
    fi
fi

# Figures.
nextt() { # FILE AWK-PATTERN: the "Next at t=N" of the first debugger stop after the pattern
    awk -v pat="$2" '$0 ~ pat { seen = 1 } seen && /^Next at t=/ { sub(/^Next at t=/, ""); print; exit }' \
        "$1" 2>/dev/null
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "?" }'; }
handoff=$(sed -n -E 's/.*Linux hand-off at host TSC ([0-9]+).*/\1/p' "$out" 2>/dev/null | head -n 1)
t_init=$(nextt "$raw" 'E9: BOOT-OK')
up_init=$(sed -n -E 's/^LINUX-TEST: uptime-at-init: ([0-9.]+).*/\1/p' "$out" 2>/dev/null | head -n 1)
up_off=$(sed -n -E 's/^LINUX-TEST: uptime-at-poweroff: ([0-9.]+).*/\1/p' "$out" 2>/dev/null | head -n 1)
ran=$(sed -n -E 's/.*guest ran ([0-9]+) ticks.*/\1/p' "$out" 2>/dev/null | tail -n 1)
total=$(sed -n -E 's/^ +total +([0-9]+) .*/\1/p' "$out" 2>/dev/null | tail -n 1)
b_ticks=""; b_up=""
if [ -n "$bare" ] && [ -f "$bare/bare.out.raw" ]; then
    b_entry=$(nextt "$bare/bare.out.raw" ' Breakpoint 1, ')
    b_init=$(nextt "$bare/bare.out.raw" 'E9: BOOT-OK')
    [ -n "$b_entry" ] && [ -n "$b_init" ] && b_ticks=$((b_init - b_entry))
    b_up=$(tr -d '\r' < "$bare/bare.out.serial" | sed -n -E 's/^LINUX-TEST: uptime-at-init: ([0-9.]+).*/\1/p' | head -n 1)
fi
if [ -n "$handoff" ] && [ -n "$t_init" ]; then
    g_ticks=$((t_init - handoff))
    if [ -n "$b_ticks" ]; then
        echo "BENCH linux: ticks from the kernel's first instruction to /init: guest $g_ticks," \
             "bare Bochs $b_ticks (ratio $(ratio "$g_ticks" "$b_ticks"))"
    else
        echo "BENCH linux: ticks from the kernel's first instruction to /init: guest $g_ticks (no bare run)"
    fi
else
    echo "BENCH linux: ticks to /init: not measured (no hand-off line or magic breakpoint)"
fi
if [ -n "$up_init" ]; then
    if [ -n "$b_up" ]; then
        echo "BENCH linux: kernel uptime at /init: guest $up_init s, bare Bochs $b_up s" \
             "(ratio $(ratio "$up_init" "$b_up"), goal <= 1.05)"
    else
        echo "BENCH linux: kernel uptime at /init: guest $up_init s (no bare run)"
    fi
fi
[ -n "$up_off" ] && echo "BENCH linux: kernel uptime at power-off: $up_off s"
[ -n "$ran" ] && echo "BENCH linux: guest ran $ran ticks from entry to exit"
if [ -n "$total" ]; then
    echo "BENCH linux: exits by reason, whole run (boot, /init's checks, power-off):"
    sed -n '/x86vcpu demo: exit statistics:/,/state switches/p' "$out" | sed '1d;$d' | sed 's/^ */BENCH linux:   /'
    [ -n "$up_off" ] && echo "BENCH linux: exits per guest second: $(awk -v n="$total" -v s="$up_off" \
        'BEGIN { if (s > 0) printf "%.0f", n / s; else print "?" }') ($total exits in $up_off s of uptime)"
    # How many of them came back to the demo's loop (the rest: ports served
    # inside run by its port handler, and the library's own exits).
    grep -a 'calls of run()' "$out" | tail -n 1 | sed 's/^ */BENCH linux: /'
fi
[ "$fail" = 0 ] || echo "linux: the guest's console: $out; make run's output: $b/linux/run.log"
echo "linux: $pass passed, $fail failed"
[ "$fail" = 0 ]
