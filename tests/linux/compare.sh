#!/bin/bash
# tests/linux/compare.sh GUEST_CONSOLE BARE_CONSOLE — the Linux guest of
# make linux-test against the same kernel, initramfs and command line on
# bare Bochs (tests/linux/bare.sh), from what init.sh printed in each run:
#
#   cpuinfo-flags  the "flags" line of /proc/cpuinfo differs only in the
#                  intended bits: "hypervisor" added (CPUID.1:ECX[31], SDM
#                  Vol. 2A: the library sets it), "vmx" gone (the library
#                  hides VMX from its guests), and the whitelist below, each
#                  with its reason. Anything else fails.
#   dmesg          no line at loglevel 0-4 (emerg..warn) in the guest that
#                  the bare run lacks, after normalising timestamps,
#                  addresses and other numbers (a WARN's registers and code
#                  bytes differ from run to run).
# Prints "linux: PASS|FAIL ..." lines (tests/linux/check.sh counts them).
set -u
g=${1:?GUEST_CONSOLE}; b=${2:?BARE_CONSOLE}

# Flags the guest may lack or add besides the intended two, with why.
# The features the library hides (src/lib/cpuid_features.c: not
# virtualized, so absent; tools/census-compare.sh checks each as a guest):
hidden="ACPI thermal, TM/TM2/PBE, DS/DTES64/DS-CPL/BTS/PEBS, EST, xTPR, PDCM, \
PMU (leaf 0AH), DTS/PLN/PTS (leaf 6), APERF/MPERF, EPB, MONITOR/MWAIT"
declare -A WHY_MISSING=(
  [vmx]="intended: the library hides VMX (no nested VMX)"
  # Linux's names for VMX capabilities, read from the IA32_VMX_* MSRs only
  # when CPUID shows VMX (arch/x86/kernel/cpu/feat_ctl.c).
  [ept]="VMX capability" [ept_ad]="VMX capability" [flexpriority]="VMX capability"
  [tpr_shadow]="VMX capability" [vnmi]="VMX capability" [vpid]="VMX capability"
  [acpi]="$hidden" [tm]="$hidden" [tm2]="$hidden" [pbe]="$hidden"
  [dtes64]="$hidden" [ds_cpl]="$hidden" [bts]="$hidden" [pebs]="$hidden"
  [est]="$hidden" [xtpr]="$hidden" [pdcm]="$hidden" [arch_perfmon]="$hidden"
  [dtherm]="$hidden" [dts]="$hidden" [pln]="$hidden" [pts]="$hidden"
  [aperfmperf]="$hidden" [epb]="$hidden" [monitor]="$hidden"
  # Linux does not use the Always Running Timer under a hypervisor
  # (arch/x86/kernel/tsc.c, detect_art).
  [art]="not used in a VM"
)
declare -A WHY_ADDED=(
  [hypervisor]="intended: CPUID.1:ECX[31], a hypervisor is present"
  # Bare Bochs reports microcode revision 0, and Linux disables the TSC
  # deadline timer for that Skylake-X erratum ("[Firmware Bug]:
  # TSC_DEADLINE disabled due to Errata"); it skips the check under a
  # hypervisor (arch/x86/kernel/apic/apic.c, apic_validate_deadline_timer).
  [tsc_deadline_timer]="erratum check skipped in a VM"
  # The library gives the TSC frequency (CPUID 15H/16H and 40000010H).
  [tsc_known_freq]="TSC frequency leaves"
  # IA32_MISC_ENABLE[0], fast strings: on in the guest (the library's
  # reset value, as firmware leaves it on real machines); Bochs' BIOS
  # leaves it 0 and Linux then clears both (arch/x86/kernel/cpu/intel.c).
  [erms]="MISC_ENABLE fast strings on" [rep_good]="MISC_ENABLE fast strings on"
)

flags() { tr -d '\r' < "$1" | grep -a -m1 $'^flags\t*:' | cut -d: -f2- | tr ' ' '\n' | sed '/^$/d' | LC_ALL=C sort -u; }
gf=$(flags "$g"); bf=$(flags "$b")
if [ -z "$gf" ] || [ -z "$bf" ]; then
  echo "linux: FAIL cpuinfo-flags: no flags line (guest: $(echo $gf | wc -w) flags, bare: $(echo $bf | wc -w))"
else
  bad=""; notes=""
  for f in $(LC_ALL=C comm -13 <(echo "$gf") <(echo "$bf")); do   # bare only
    if [ -n "${WHY_MISSING[$f]:-}" ]; then notes="$notes -$f"; else bad="$bad -$f"; fi
  done
  for f in $(LC_ALL=C comm -23 <(echo "$gf") <(echo "$bf")); do   # guest only
    if [ -n "${WHY_ADDED[$f]:-}" ]; then notes="$notes +$f"; else bad="$bad +$f"; fi
  done
  case " $notes " in *" +hypervisor "*) ;; *) bad="$bad (no +hypervisor)";; esac
  if [ -z "$bad" ]; then
    echo "linux: PASS cpuinfo-flags: guest vs bare:$notes ($(echo "$gf" | wc -l) flags)"
  else
    echo "linux: FAIL cpuinfo-flags: unexpected differences from bare Bochs:$bad (allowed:$notes)"
  fi
fi

# dmesg lines at loglevel 0-4, as init.sh prints them ("<N>[ t] text").
dmesg_warn() {
  tr -d '\r' < "$1" | sed -n '/^---- dmesg (loglevel 0-4/,/^LINUX-TEST: uptime-at-poweroff/p' |
    grep -a '^<[0-4]>' | sed -E -e 's/^<([0-4])>\[ *[0-9]+\.[0-9]+\] ?/<\1> /' \
      -e 's/^(<[0-4]> )Code: .*/\1Code: (bytes)/' \
      -e 's/0x[0-9a-fA-F]+/N/g' -e 's/\b[0-9a-fA-F]*[0-9][0-9a-fA-F]*\b/N/g' -e 's/[0-9]+/N/g' |
    LC_ALL=C sort -u
}
if ! grep -a -q '^---- dmesg (loglevel 0-4' "$g" || ! grep -a -q '^---- dmesg (loglevel 0-4' "$b"; then
  echo "linux: FAIL dmesg: no dmesg section in the guest's or the bare run's console"
else
  extra=$(LC_ALL=C comm -23 <(dmesg_warn "$g") <(dmesg_warn "$b"))
  nb=$(dmesg_warn "$b" | wc -l); ng=$(dmesg_warn "$g" | wc -l)
  if [ -z "$extra" ]; then
    echo "linux: PASS dmesg: no warning or error the bare run lacks ($ng distinct lines at loglevel 0-4; bare $nb)"
  else
    echo "linux: FAIL dmesg: $(echo "$extra" | wc -l) warning/error lines only in the guest (normalised):"
    echo "$extra" | sed 's/^/linux:   | /'
  fi
fi
