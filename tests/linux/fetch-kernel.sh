#!/bin/bash
# tests/linux/fetch-kernel.sh [cloud|amd64] OUTDIR — a stock Debian kernel,
# fetched with apt-get download and unpacked with dpkg-deb -x (never
# installed); prints the path of its vmlinuz. Pinned to the ABI of the
# bare-Bochs baseline (6.1.0-56, ../shared/linux/README.md); falls back to
# the newest 6.x image of that flavour.
set -e
flavor=${1:-cloud}; out=${2:?OUTDIR}
case $flavor in cloud) sfx=cloud-amd64;; amd64) sfx=amd64;; *) echo "flavor: cloud|amd64" >&2; exit 2;; esac
mkdir -p "$out"; cd "$out"
pkg=linux-image-6.1.0-56-$sfx
if ! ls ${pkg}_*.deb >/dev/null 2>&1; then
  apt-get download "$pkg" >download.log 2>&1 || {
    apt-get update >>download.log 2>&1 || true
    apt-get download "$pkg" >>download.log 2>&1 || {
      pkg=$(apt-cache search --names-only "^linux-image-6\.[0-9.]*-[0-9]+-$sfx\$" | awk '{print $1}' | sort -V | tail -1)
      [ -n "$pkg" ] && apt-get download "$pkg" >>download.log 2>&1; } || {
        cat download.log >&2; echo "fetch-kernel: cannot fetch a linux-image-*-$sfx package" >&2; exit 1; }; }
fi
deb=$(ls ${pkg}_*.deb | tail -1)
[ -d "${deb%.deb}" ] || dpkg-deb -x "$deb" "${deb%.deb}"
ls "$(pwd)/${deb%.deb}"/boot/vmlinuz-*
