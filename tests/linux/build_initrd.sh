#!/bin/bash
# tests/linux/build_initrd.sh OUT.img — the busybox initramfs of make
# linux-test: busybox-static, /init = init.sh beside this script, bxmark,
# pcicfg.
# Needs busybox-static and cpio (mk/linux.mk installs them).
set -e
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$(dirname "${1:?OUT.img}")" && pwd)/$(basename "$1")
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
for t in bxmark pcicfg; do
  gcc -O2 -static -nostdlib -fno-stack-protector -fno-pie -no-pie -o "$w/$t" "$here/$t.c"
  strip "$w/$t"
done
mkdir -p "$w/root" && cd "$w/root"
mkdir -p bin sbin usr/bin usr/sbin proc sys dev etc tmp
cp /bin/busybox bin/busybox; ln -sf busybox bin/sh
cp "$w/bxmark" "$w/pcicfg" bin/
cp "$here/init.sh" init && chmod +x init
# /dev/console for the kernel's first open, before devtmpfs (as root: mknod;
# else the cpio list below names it).
mknod -m 600 dev/console c 5 1 2>/dev/null || true
mknod -m 666 dev/null c 1 3 2>/dev/null || true
find . | LC_ALL=C sort | cpio -o -H newc 2>/dev/null | gzip -9 > "$out.tmp"
mv "$out.tmp" "$out"
