#!/bin/sh
# Checks the freestanding library archive: every defined global symbol has
# the x86vcpu_ prefix, and nothing is left undefined that the archive does
# not define itself (no libc, no compiler helper like memset).
set -eu
lib=$1
bad=$(nm -g --defined-only "$lib" | awk 'NF==3 {print $3}' | grep -v '^x86vcpu_' || true)
if [ -n "$bad" ]; then
    echo "check-lib: symbols without the x86vcpu_ prefix: $bad" >&2
    exit 1
fi
defined=$(nm -g --defined-only "$lib" | awk 'NF==3 {print $3}' | sort -u)
undef=$(nm -u "$lib" | awk 'NF>=2 {print $2}' | sort -u)
missing=$(printf '%s\n' "$undef" | grep -vxF "$defined" | grep -v '^$' || true)
if [ -n "$missing" ]; then
    echo "check-lib: undefined symbols (the library must be freestanding): $missing" >&2
    exit 1
fi
