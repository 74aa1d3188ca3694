#!/bin/sh
# Checks the freestanding library archive (the build runs it after every
# archive it makes):
#  - it exports exactly the public API: its global defined symbols are the
#    functions declared in include/x86vcpu/*.h, every one of them, and
#    nothing else (internal functions are hidden and made local by the
#    build; a new public function needs X86VCPU_API);
#  - nothing is left undefined that the archive does not define itself (no
#    libc, no compiler helper like memset).
# Usage: tools/check-lib.sh LIB [INCLUDE_DIR]   (default: the tree's include/)
# The headers go through $CC -E (default cc), so comments and macros do not
# count as declarations.
set -eu
lib=$1
inc=${2:-$(dirname "$0")/../include}
cc=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-lib.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

for h in "$inc"/x86vcpu/*.h; do
    printf '#include <x86vcpu/%s>\n' "${h##*/}"
done | $cc -E -P -I"$inc" -x c - > "$tmp/api.i"
grep -o '\bx86vcpu_[A-Za-z0-9_]*[[:space:]]*(' "$tmp/api.i" | sed 's/[[:space:]]*($//' |
    sort -u > "$tmp/public"
if [ ! -s "$tmp/public" ]; then
    echo "check-lib: no function declarations found in $inc/x86vcpu/*.h" >&2
    exit 1
fi
nm -g --defined-only "$lib" | awk 'NF==3 {print $3}' | sort -u > "$tmp/exported"

extra=$(comm -23 "$tmp/exported" "$tmp/public")
if [ -n "$extra" ]; then
    echo "check-lib: $lib exports symbols that are not the public API (make them static, or" \
         "internal: hidden, x86vcpu__ prefix):" $extra >&2
    exit 1
fi
absent=$(comm -13 "$tmp/exported" "$tmp/public")
if [ -n "$absent" ]; then
    echo "check-lib: public functions not exported by $lib (X86VCPU_API missing, or not" \
         "defined):" $absent >&2
    exit 1
fi
undef=$(nm -u "$lib" | awk 'NF>=2 {print $2}' | sort -u)
missing=$(printf '%s\n' "$undef" | grep -vxF -f "$tmp/exported" | grep -v '^$' || true)
if [ -n "$missing" ]; then
    echo "check-lib: undefined symbols (the library must be freestanding):" $missing >&2
    exit 1
fi
