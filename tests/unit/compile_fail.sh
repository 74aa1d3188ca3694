#!/bin/sh
# Compile-time checks of X86VCPU_VMCS_CHECK and the x86vcpu_vmcs_read*/write*
# macros: misuse must not compile, correct use must compile warning-free.
# Usage: CC=gcc sh tests/unit/compile_fail.sh   (default CC: cc)
# Last line: "compile_fail: N passed, N failed"; exit status 1 on failure.
CC=${CC:-cc}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/x86vcpu-cf.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

CFLAGS="-std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes"
pass=0
fail=0

# run NAME EXPECT(accept|reject) COMPILER FLAGS SUFFIX  (source on stdin)
run() {
    name=$1; expect=$2; cc=$3; flags=$4; suffix=$5
    src="$tmp/case$suffix"
    cat > "$src"
    if $cc $flags -I"$root/include" -I"$root/src" -c "$src" -o "$tmp/case.o" > "$tmp/log" 2>&1
    then got=accept; else got=reject; fi
    if [ "$got" = "$expect" ]; then
        pass=$((pass + 1)); echo "[  OK  ] $name ($expect)"
    else
        fail=$((fail + 1)); echo "[ FAIL ] $name: expected $expect, compiler did $got"
        sed 's/^/    /' "$tmp/log" | head -n 20
    fi
}

# c_check NAME EXPECT EXPR [PRELUDE]: `return EXPR;` in a function.
c_check() {
    run "$1" "$2" "$CC" "$CFLAGS" .c <<SRC
#include <x86vcpu/vmcs_fields.h>
$4
uint32_t get(uint32_t v);
uint32_t get(uint32_t v) { (void)v; return $3; }
SRC
}

# ---- X86VCPU_VMCS_CHECK: correct widths compile
c_check "W16 on GUEST_ES_SELECTOR"    accept "X86VCPU_VMCS_CHECK(X86VCPU_VMCS_GUEST_ES_SELECTOR, X86VCPU_VMCS_W16)"
c_check "W64 on VMCS_LINK_POINTER"    accept "X86VCPU_VMCS_CHECK(X86VCPU_VMCS_VMCS_LINK_POINTER, X86VCPU_VMCS_W64)"
c_check "W32 on EXIT_REASON"          accept "X86VCPU_VMCS_CHECK(X86VCPU_VMCS_EXIT_REASON, X86VCPU_VMCS_W32)"
c_check "WNAT on GUEST_RIP"           accept "X86VCPU_VMCS_CHECK(X86VCPU_VMCS_GUEST_RIP, X86VCPU_VMCS_WNAT)"
c_check "literal 0x681E as WNAT"      accept "X86VCPU_VMCS_CHECK(0x681E, X86VCPU_VMCS_WNAT)"
# ---- wrong widths are rejected
c_check "W32 on GUEST_RIP"            reject "X86VCPU_VMCS_CHECK(X86VCPU_VMCS_GUEST_RIP, X86VCPU_VMCS_W32)"
c_check "W64 on GUEST_RIP"            reject "X86VCPU_VMCS_CHECK(X86VCPU_VMCS_GUEST_RIP, X86VCPU_VMCS_W64)"
c_check "W64 on GUEST_ES_SELECTOR"    reject "X86VCPU_VMCS_CHECK(X86VCPU_VMCS_GUEST_ES_SELECTOR, X86VCPU_VMCS_W64)"
c_check "W16 on VMCS_LINK_POINTER"    reject "X86VCPU_VMCS_CHECK(X86VCPU_VMCS_VMCS_LINK_POINTER, X86VCPU_VMCS_W16)"
c_check "WNAT on EXIT_REASON"         reject "X86VCPU_VMCS_CHECK(X86VCPU_VMCS_EXIT_REASON, X86VCPU_VMCS_WNAT)"
# ---- non-constant fields are rejected
c_check "run-time field"              reject "X86VCPU_VMCS_CHECK(v, X86VCPU_VMCS_W32)"
c_check "const object field"          reject "X86VCPU_VMCS_CHECK(k, X86VCPU_VMCS_W32)" \
        "static const uint32_t k = X86VCPU_VMCS_EXIT_REASON;"
# ---- the result is an integer constant expression (static init, case label)
run "usable in constant expressions" accept "$CC" "$CFLAGS" .c <<'SRC'
#include <x86vcpu/vmcs_fields.h>
static const uint32_t f = X86VCPU_VMCS_CHECK(X86VCPU_VMCS_GUEST_RSP, X86VCPU_VMCS_WNAT);
_Static_assert(X86VCPU_VMCS_CHECK(X86VCPU_VMCS_VPID, X86VCPU_VMCS_W16) == 0, "VPID");
int is_rip(uint32_t e);
int is_rip(uint32_t e)
{
    switch (e) {
    case X86VCPU_VMCS_CHECK(X86VCPU_VMCS_GUEST_RIP, X86VCPU_VMCS_WNAT): return 1;
    default: return e == f;
    }
}
SRC
run "strict ISO C11 -pedantic" accept "$CC" "-std=c11 -pedantic -Wall -Wextra -Werror" .c <<'SRC'
#include <x86vcpu/vmcs_fields.h>
uint32_t get(void);
uint32_t get(void) { return X86VCPU_VMCS_CHECK(X86VCPU_VMCS_IO_BITMAP_A, X86VCPU_VMCS_W64); }
SRC

# ---- the public accessors of x86vcpu.h
api_check() {
    run "$1" "$2" "$CC" "$CFLAGS" .c <<SRC
#include <x86vcpu/x86vcpu.h>
int use(struct x86vcpu_vcpu *v);
int use(struct x86vcpu_vcpu *v) { uint64_t x = 0; (void)x; return $3; }
SRC
}
api_check "read32 EXIT_REASON"        accept "x86vcpu_vmcs_read32(v, X86VCPU_VMCS_EXIT_REASON, &x)"
api_check "writenat GUEST_RIP"        accept "x86vcpu_vmcs_writenat(v, X86VCPU_VMCS_GUEST_RIP, 0x1000)"
api_check "write16 VPID"              accept "x86vcpu_vmcs_write16(v, X86VCPU_VMCS_VPID, 1)"
api_check "read64 EPT_POINTER"        accept "x86vcpu_vmcs_read64(v, X86VCPU_VMCS_EPT_POINTER, &x)"
api_check "read16 EXIT_REASON"        reject "x86vcpu_vmcs_read16(v, X86VCPU_VMCS_EXIT_REASON, &x)"
api_check "write32 GUEST_RIP"         reject "x86vcpu_vmcs_write32(v, X86VCPU_VMCS_GUEST_RIP, 0)"
api_check "writenat VPID"             reject "x86vcpu_vmcs_writenat(v, X86VCPU_VMCS_VPID, 1)"
api_check "read64 non-constant field" reject "x86vcpu_vmcs_read64(v, (uint32_t)x, &x)"

# ---- C++ (the header must be usable from C++): only when a matching C++
# compiler exists (gcc -> g++, clang-14 -> clang++-14, ...).
ccdir=$(dirname "$CC"); ccbase=$(basename "$CC")
case $ccbase in
    *clang*) cxxbase=$(echo "$ccbase" | sed 's/clang/clang++/') ;;
    *gcc*)   cxxbase=$(echo "$ccbase" | sed 's/gcc/g++/') ;;
    *)       cxxbase= ;;
esac
if [ "$ccdir" = "." ] && [ "$CC" = "$ccbase" ]; then CXX=$cxxbase; else CXX="$ccdir/$cxxbase"; fi
if [ -n "$cxxbase" ] && command -v "$CXX" > /dev/null 2>&1; then
    run "C++: correct width" accept "$CXX" "-std=c++11 -Wall -Wextra -Werror" .cc <<'SRC'
#include <x86vcpu/vmcs_fields.h>
uint32_t get();
uint32_t get() { return X86VCPU_VMCS_CHECK(X86VCPU_VMCS_GUEST_RIP, X86VCPU_VMCS_WNAT); }
static_assert(X86VCPU_VMCS_CHECK(X86VCPU_VMCS_EXIT_REASON, X86VCPU_VMCS_W32) == 0x4402, "");
SRC
    run "C++: wrong width" reject "$CXX" "-std=c++11 -Wall -Wextra -Werror" .cc <<'SRC'
#include <x86vcpu/vmcs_fields.h>
uint32_t get();
uint32_t get() { return X86VCPU_VMCS_CHECK(X86VCPU_VMCS_GUEST_RIP, X86VCPU_VMCS_W32); }
SRC
    run "C++: run-time field" reject "$CXX" "-std=c++11 -Wall -Wextra -Werror" .cc <<'SRC'
#include <x86vcpu/vmcs_fields.h>
uint32_t get(uint32_t v);
uint32_t get(uint32_t v) { return X86VCPU_VMCS_CHECK(v, X86VCPU_VMCS_W32); }
SRC
else
    echo "[ SKIP ] C++ cases: no C++ compiler for $CC"
fi

echo "compile_fail: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
