#!/bin/bash
# tests/linux/bare.sh OUTDIR KERNEL INITRD "CMDLINE" MEGS TIMEOUT_S — the
# bare-Bochs baseline of make linux-test: the same kernel, initramfs and
# command line booted on bare Bochs through GRUB's `linux` command (after
# ../shared/linux/build_iso.sh), by tools/run-bochs.sh with the same
# bochsrc.in as the demo's runs (CPU model, ips, clock).
#
# The debugger stops at the kernel's first instruction, a physical
# breakpoint where GRUB puts the protected-mode kernel and jumps to (its
# 32-bit entry): the setup header's pref_address (0x258) for a relocatable
# bzImage (relocatable_kernel, 0x234; Debian's: 16 MiB), else 1 MiB (the
# x86 boot protocol, Documentation/x86/boot.rst; GRUB's loader/i386/
# linux.c); then at bxmark's magic breakpoints. tools/run-bochs.sh leaves
# "(0) Breakpoint 1, ..." and "Next at t=N" for each stop in bare.out.raw
# (GRUB decompresses itself to 1 MiB and runs there, so only the kernel's
# load address is watched; with a relocatable kernel that is not 1 MiB).
#
# The result is cached: OUTDIR/bare-KEY/, KEY a hash of the kernel, the
# initrd, the command line, MEGS, this script and tools/bochsrc.in, so make
# check boots it once per change (~40 s; older runs are deleted). OUTDIR/bare
# links to it.
# Prints the directory holding bare.out.serial (COM1) and bare.out.raw.
set -eu
out=${1:?OUTDIR}; k=${2:?KERNEL}; i=${3:?INITRD}; cmd=${4?CMDLINE}
megs=${5:-256}; tmo=${6:-600}
here=$(cd "$(dirname "$0")" && pwd); top=$(cd "$here/../.." && pwd)
key=$( { sha256sum "$k" "$i" "$0" "$top/tools/bochsrc.in" | cut -d' ' -f1; \
         printf '%s\n%s\n' "$cmd" "$megs"; } | sha256sum | cut -c1-16)
d=$(cd "$out" && pwd)/bare-$key
rm -f "$out/bare"
if [ -f "$d/ok" ]; then
    echo "linux-bare: cached bare-Bochs run $d" >&2
else
    rm -rf "$d"; mkdir -p "$d/iso/boot/grub"
    cp "$k" "$d/iso/vmlinuz"; cp "$i" "$d/iso/initrd.img"
    cat > "$d/iso/boot/grub/grub.cfg" <<EOG
set timeout=0
set default=0
menuentry "linux" {
  linux /vmlinuz $cmd
  initrd /initrd.img
  boot
}
EOG
    grub-mkrescue -o "$d/bare.iso" "$d/iso" --locales= --fonts= --themes= \
        >"$d/grub-mkrescue.log" 2>&1 || { cat "$d/grub-mkrescue.log" >&2; exit 1; }
    rm -rf "$d/iso"
    entry=0x100000
    if [ "$(od -An -tu1 -j $((0x234)) -N1 "$k" | tr -d ' ')" != 0 ]; then
        entry=$(printf '0x%x' "$(od -An -tu8 -j $((0x258)) -N8 "$k" | tr -d ' ')")
    fi
    { echo "pb $entry"; for n in $(seq 24); do echo c; done; } > "$d/dbg.rc"
    echo "linux-bare: booting the kernel on bare Bochs (GRUB linux; $d)" >&2
    st=0
    MEGS=$megs BOCHS_EXTRA="magic_break: enabled=1" BOCHS_DBG_RC="$d/dbg.rc" \
        "$top/tools/run-bochs.sh" "$d/bare.iso" "$d/bare.out" "$tmo" >/dev/null 2>"$d/run.err" || st=$?
    echo "$st" > "$d/status"
    rm -f "$d/bare.iso"
    # Cached only when it reached /init and powered off.
    if [ "$st" = 0 ] && grep -a -q '^BOOT-OK' "$d/bare.out.serial"; then
        touch "$d/ok"
        # One cached run is kept: older keys' runs go.
        for o in "$out"/bare-*; do
            [ "$(basename "$o")" = "$(basename "$d")" ] || rm -rf "$o"
        done
    else echo "linux-bare: the bare run failed (status $st): $d/run.err" >&2; fi
fi
ln -sfn "$(basename "$d")" "$out/bare"
echo "$d"
