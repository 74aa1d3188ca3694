#!/bin/sh
# tests/linux/init.sh — /init of make linux-test's initramfs. Marks its
# arrival (port 0xE9 + the Bochs magic breakpoint: the tick count), then
# checks what a Linux guest must see (mounts, uname, cpuinfo flags, the PCI
# host bridge, timer and serial interrupts, tmpfs) and prints one line per check,
# "LINUX-TEST: <name>: PASS|FAIL <detail>", read by tests/linux/check.sh;
# then powers off.
/bin/bxmark "E9: BOOT-OK (userspace /init started)"
echo "BOOT-OK: reached userspace /init"
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
echo "LINUX-TEST: uptime-at-init: $(cut -d' ' -f1 /proc/uptime)"
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# The console at 115200 baud (the kernel keeps console=ttyS0's 9600): bare
# Bochs paces its UART by the divisor, and the report below is ~10 KiB.
stty -F /dev/ttyS0 115200 2>/dev/null

res() { # name ok detail
  if [ "$2" = 1 ]; then echo "LINUX-TEST: $1: PASS $3"; else echo "LINUX-TEST: $1: FAIL $3"; fi
}

ok=0; [ -r /proc/version ] && [ -d /sys/kernel ] && ok=1
res mounts $ok "proc and sysfs mounted"
u=$(uname -a); ok=0; [ "$(uname -s)" = Linux ] && ok=1
res uname $ok "$u"

echo "---- /proc/cpuinfo ----"
cat /proc/cpuinfo
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
ok=0; case $flags in *" hypervisor "*) ok=1;; esac
res cpuinfo-hypervisor $ok "CPUID.1:ECX[31] shown"
ok=1; case $flags in *" vmx "*) ok=0;; esac
res cpuinfo-no-vmx $ok "VMX hidden from the guest"

# PCI: the demo's bus holds one host bridge at 00:00.0, an 82441FX
# (demo/pc/pci.h). pcicfg reads it through configuration mechanism #1;
# the kernel lists what it enumerated (bare Bochs: the PIIX3 too; the
# demo's DSDT names no PCI root bridge, so Linux, which then scans none,
# lists nothing there).
echo "---- PCI (configuration mechanism #1) ----"
pci=$(/bin/pcicfg); echo "$pci"
echo "---- PCI devices the kernel enumerated ----"
for d in /sys/bus/pci/devices/*; do
  [ -e "$d/vendor" ] && echo "${d##*/} $(cat $d/vendor):$(cat $d/device) class $(cat $d/class)"
done
ok=0; case $pci in "00:00.0 8086:1237 class 060000 rev 00 header 00"*) ok=1;; esac
res pci-host-bridge $ok "00:00.0 8086:1237 class 060000 through ports 0xCF8/0xCFC"

echo "---- clocksource ----"
echo "current: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "available: $(cat /sys/devices/system/clocksource/clocksource0/available_clocksource)"
echo "clockevent: $(cat /sys/devices/system/clockevents/clockevent0/current_device 2>/dev/null)"

# Timer: IRQ 0 and the local APIC timer (LOC); serial: the ttyS0 line. Both
# must count up between two reads, with console output and a guest second
# between them.
timer() { awk '$1 == "0:" || $1 == "LOC:" { n += $2 } END { print n + 0 }' /proc/interrupts; }
serial() { awk '/ttyS0/ { n += $2 } END { print n + 0 }' /proc/interrupts; }
echo "---- /proc/interrupts (1) ----"
cat /proc/interrupts
t1=$(timer); s1=$(serial)
i=0; while [ $i -lt 20 ]; do echo "serial output line $i of 20"; i=$((i + 1)); done
sleep 1
echo "---- /proc/interrupts (2) ----"
cat /proc/interrupts
t2=$(timer); s2=$(serial)
ok=0; [ "$t2" -gt "$t1" ] && ok=1
res timer-irqs $ok "$t1 -> $t2"
ok=0; [ "$s2" -gt "$s1" ] && ok=1
res serial-irqs $ok "$s1 -> $s2"

mount -t tmpfs tmpfs /tmp
want="x86vcpu tmpfs $(cat /proc/uptime)"
echo "$want" > /tmp/check && got=$(cat /tmp/check)
ok=0; [ "$got" = "$want" ] && [ "$(stat -f -c %T /tmp 2>/dev/null)" = tmpfs ] && ok=1
res tmpfs $ok "wrote and read back /tmp/check"

echo "---- dmesg (loglevel 0-4: emerg..warn) ----"
dmesg -r | grep '^<[0-4]>'
echo "LINUX-TEST: uptime-at-poweroff: $(cut -d' ' -f1 /proc/uptime)"
# Let the UART drain its transmit buffer (4 KiB, ~0.4 s at 115200) before
# the power goes: poweroff -f does not wait for it.
sleep 1
/bin/bxmark "E9: POWEROFF"
poweroff -f
halt -f
while true; do sleep 1000; done
