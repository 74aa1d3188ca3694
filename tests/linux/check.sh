#!/bin/bash
# tests/linux/check.sh BUILD [cloud|amd64] — judges the Linux guest run of make linux-test
# from what the demo and Bochs left in BUILD (guest.status, guest.out,
# guest.out.raw) and prints its figures:
#   - the guest's exit status: 0 (it powered off) passes;
#   - every check of the initramfs' /init (init.sh): "LINUX-TEST: NAME: PASS";
#   - BENCH lines: Bochs ticks from the demo's hand-off to the kernel to
#     /init (the magic breakpoint of bxmark: "Next at t=N"), the kernel's
#     uptime at /init and at power-off, beside the bare-Bochs baseline of
#     ../shared/linux/README.md; exits by reason (the demo's exit
#     statistics) and exits per guest second.
# Last line: "linux: N passed, M failed". Exit status 0 when nothing failed.
set -u
b=${1:?BUILD}
flavor=${2:-cloud}
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
for c in mounts uname cpuinfo-hypervisor cpuinfo-no-vmx timer-irqs serial-irqs tmpfs; do
    line=$(grep -a -m1 "^LINUX-TEST: $c: " "$out" 2>/dev/null)
    case $line in
        *": PASS"*) ok "$c: ${line#*PASS }" ;;
        *": FAIL"*) ko "$c: ${line#*FAIL }" ;;
        *)          ko "$c: no result" ;;
    esac
done

# Figures.
handoff=$(sed -n -E 's/.*Linux hand-off at host TSC ([0-9]+).*/\1/p' "$out" 2>/dev/null | head -n 1)
t_init=$(awk '/E9: BOOT-OK/ { seen = 1 } seen && /^Next at t=/ { sub(/^Next at t=/, ""); print; exit }' \
         "$raw" 2>/dev/null)
up_init=$(sed -n -E 's/^LINUX-TEST: uptime-at-init: ([0-9.]+).*/\1/p' "$out" 2>/dev/null | head -n 1)
up_off=$(sed -n -E 's/^LINUX-TEST: uptime-at-poweroff: ([0-9.]+).*/\1/p' "$out" 2>/dev/null | head -n 1)
ran=$(sed -n -E 's/.*guest ran ([0-9]+) ticks.*/\1/p' "$out" 2>/dev/null | tail -n 1)
total=$(sed -n -E 's/^ +total +([0-9]+) .*/\1/p' "$out" 2>/dev/null | tail -n 1)
if [ -n "$handoff" ] && [ -n "$t_init" ]; then
    if [ "$flavor" = cloud ]; then bare="1.19e9 from reset, of which ~0.4e9 BIOS + GRUB"
    else bare="6.9e9 from reset with console=ttyS0 earlyprintk"; fi
    echo "BENCH linux: ticks from the hand-off to the kernel to /init: $((t_init - handoff))" \
         "(bare Bochs: $bare)"
else
    echo "BENCH linux: ticks to /init: not measured (no hand-off line or magic breakpoint)"
fi
if [ -n "$up_init" ] && [ "$flavor" = cloud ]; then
    echo "BENCH linux: kernel uptime at /init: $up_init s (bare Bochs: 5.21 s; ratio" \
         "$(awk -v a="$up_init" 'BEGIN { printf "%.3f", a / 5.21 }'), goal <= 1.05)"
fi
[ -n "$up_init" ] && [ "$flavor" != cloud ] && echo "BENCH linux: kernel uptime at /init: $up_init s"
[ -n "$up_off" ] && echo "BENCH linux: kernel uptime at power-off: $up_off s"
[ -n "$ran" ] && echo "BENCH linux: guest ran $ran ticks from entry to exit"
if [ -n "$total" ]; then
    echo "BENCH linux: exits by reason, whole run:"
    sed -n '/x86vcpu demo: exit statistics:/,/state switches/p' "$out" | sed '1d;$d' | sed 's/^ */BENCH linux:   /'
    [ -n "$up_off" ] && echo "BENCH linux: exits per guest second: $(awk -v n="$total" -v s="$up_off" \
        'BEGIN { if (s > 0) printf "%.0f", n / s; else print "?" }') ($total exits in $up_off s of uptime)"
fi
[ "$fail" = 0 ] || echo "linux: the guest's console: $out; make run's output: $b/linux/run.log"
echo "linux: $pass passed, $fail failed"
[ "$fail" = 0 ]
