#!/usr/bin/env bash
# tools/diff-compare.sh [--skip-msr] BARE_OUT HV_OUT
# tools/diff-compare.sh --selftest
#
# Compares the records of the differential test kernel (tests/diff/) run on
# bare Bochs (BARE_OUT, `make diff-bare`) and as a guest of the hypervisor
# (HV_OUT). Records are the lines
#     CASE <mode> <name>: <result>
# and the final DONE; anything before "CASE" on a line (a console prefix
# such as "  guest| ") is stripped, other lines are ignored.
#
# Intended differences:
#   - cases whose name contains [hv-differs] are dropped on both sides;
#   - CPUID leaf 1 (cases named "cpuid.1", any mode): under the hypervisor
#     ECX bit 5 (VMX) reads 0 and bit 31 (hypervisor present) reads 1; the
#     bare value is adjusted that way before comparing. (ECX bit 27 OSXSAVE
#     follows CR4 on both sides: no rule.)
# --skip-msr also drops cases tagged [msr] (MSRs not passed through yet).
#
# Cases are matched by "<mode> <name>" (a repeated key gets #2, #3, ...).
# Prints "diff: N cases, M differ" (N: keys on either side) and each
# differing pair. Exit status: 0 when M = 0, N > 0 and both sides have DONE;
# 1 otherwise; 2 on usage errors.
set -u

usage() {
    echo "usage: $0 [--skip-msr] BARE_OUT HV_OUT | --selftest" >&2
    exit 2
}

# Records of one output file, one per line: "<mode> <name>: <result>".
extract() {
    tr -d '\r' < "$1" |
        grep -oE 'CASE [^ ]+ [^ :]+: .*' |
        sed -E -e 's/^CASE //' -e 's/[[:space:]]+$//' |
        grep -vF '[hv-differs]' |
        if [ "$skip_msr" = 1 ]; then grep -vF '[msr]'; else cat; fi
}

has_done() {
    tr -d '\r' < "$1" | grep -qE '(^|[^[:alnum:]_])DONE[[:space:]]*$'
}

# Bare CPUID.1 record as the hypervisor should show it.
adjust_bare() {
    local line=$1 key res a b c d rest
    key=${line%%: *}
    res=${line#*: }
    case $key in
        *' cpuid.1')
            read -r ok a b c d rest <<<"$res"
            if [ "$ok" = ok ] && [ -n "$d" ] && [ -z "$rest" ] &&
               [[ $c =~ ^[0-9a-fA-F]{1,8}$ ]]; then
                c=$(printf '%08x' $(( (0x$c & ~0x20) | 0x80000000 )))
                line="$key: ok $a $b $c $d"
            fi
            ;;
    esac
    printf '%s\n' "$line"
}

compare() {
    local bare=$1 hv=$2
    local -A bres=() hres=() seen=()
    local -a order=()
    local line key res n k
    for f in "$bare" "$hv"; do
        [ -r "$f" ] || { echo "diff-compare: cannot read $f" >&2; exit 2; }
    done

    while IFS= read -r line; do
        line=$(adjust_bare "$line")
        key=${line%%: *}
        res=${line#*: }
        k=$key; n=1
        while [ -n "${bres[$k]+x}" ]; do n=$((n + 1)); k="$key#$n"; done
        bres[$k]=$res
        seen[$k]=1
        order+=("$k")
    done < <(extract "$bare")

    while IFS= read -r line; do
        key=${line%%: *}
        res=${line#*: }
        k=$key; n=1
        while [ -n "${hres[$k]+x}" ]; do n=$((n + 1)); k="$key#$n"; done
        hres[$k]=$res
        if [ -z "${seen[$k]+x}" ]; then seen[$k]=1; order+=("$k"); fi
    done < <(extract "$hv")

    local total=${#order[@]} differ=0 out=""
    for k in "${order[@]}"; do
        local b=${bres[$k]-<missing>} h=${hres[$k]-<missing>}
        if [ "$b" != "$h" ]; then
            differ=$((differ + 1))
            out+="  $k"$'\n'"    bare: $b"$'\n'"    hv:   $h"$'\n'
        fi
    done

    echo "diff: $total cases, $differ differ"
    printf '%s' "$out"
    local st=0
    if ! has_done "$bare"; then echo "diff: no DONE in $bare (bare)"; st=1; fi
    if ! has_done "$hv"; then echo "diff: no DONE in $hv (hv)"; st=1; fi
    [ "$total" -gt 0 ] || { echo "diff: no cases"; st=1; }
    [ "$differ" -eq 0 ] || st=1
    return $st
}

# ------------------------------------------------------------- self test
selftest() {
    local fail=0 got
    selftest_dir=$(mktemp -d) || exit 2
    trap 'rm -rf "$selftest_dir"' EXIT
    local dir=$selftest_dir
    cat > "$dir/bare" <<'EOF'
diffkernel: start
CASE pm boot-magic: ok 2badb002
CASE pm cpuid.1: ok 00050654 00010800 77faf3bf bfebfbff
CASE pm cr4-set-bit13-vmxe[hv-differs]: ok 00002000
CASE pm cr4-clear-bit13-vmxe[hv-differs]: ok 00000000
CASE pm rdmsr-pat[msr]: ok 0007040600070406
CASE rm cpuid.1: ok 00050654 00010800 7ffaf3bf bfebfbff
CASE rm mov-cr0-pg-without-pe: #GP
CASE lm mov-cr8-5: ok 0000000000000005
CASE lm xsetbv-ecx1: #GP(0)
DONE
EOF
    # The same run as a guest: console prefix, CRLF, VMX hidden, hypervisor bit.
    {
        echo "hv: starting guest"
        printf '  guest| diffkernel: start\r\n'
        echo "  guest| CASE pm boot-magic: ok 2badb002"
        echo "  guest| CASE pm cpuid.1: ok 00050654 00010800 f7faf39f bfebfbff"
        echo "  guest| CASE pm cr4-set-bit13-vmxe[hv-differs]: #GP(0)"
        echo "  guest| CASE pm rdmsr-pat[msr]: ok 0007040600070406"
        echo "  guest| CASE rm cpuid.1: ok 00050654 00010800 fffaf39f bfebfbff"
        printf '  guest| CASE rm mov-cr0-pg-without-pe: #GP\r\n'
        echo "  guest| CASE lm mov-cr8-5: ok 0000000000000005"
        echo "  guest| CASE lm xsetbv-ecx1: #GP(0)"
        echo "  guest| DONE"
        echo "hv: guest exited"
    } > "$dir/hv-same"

    check() {   # check NAME EXPECTED_STATUS EXPECTED_SUMMARY ARGS...
        local name=$1 want_st=$2 want=$3 st
        shift 3
        got=$(compare_cmd "$@"); st=$?
        if [ "$st" != "$want_st" ] || ! grep -qxF "$want" <<<"$got"; then
            echo "selftest FAIL: $name (status $st, want $want_st; want line '$want')"
            sed 's/^/    /' <<<"$got"
            fail=1
        else
            echo "selftest ok: $name"
        fi
    }
    compare_cmd() { ( skip_msr=0; [ "$1" = --skip-msr ] && { skip_msr=1; shift; }; compare "$@" ); }

    check "identical modulo intended differences" 0 "diff: 7 cases, 0 differ" \
        "$dir/bare" "$dir/hv-same"

    # Hand-made differences: a changed result, a missing case, an extra case,
    # CPUID.1 without the hypervisor bit.
    sed -e 's/mov-cr8-5: ok 0000000000000005/mov-cr8-5: #GP(0)/' \
        -e '/xsetbv-ecx1/d' \
        -e 's/f7faf39f/77faf39f/' \
        -e 's/^\(  guest| \)DONE/\1CASE lm extra: ok 1\n\1DONE/' \
        "$dir/hv-same" > "$dir/hv-differ"
    check "differing results" 1 "diff: 8 cases, 4 differ" "$dir/bare" "$dir/hv-differ"
    for k in "lm mov-cr8-5" "lm xsetbv-ecx1" "lm extra" "pm cpuid.1"; do
        grep -qxF "  $k" <<<"$got" || { echo "selftest FAIL: '$k' not reported"; fail=1; }
    done
    grep -qxF "    hv:   <missing>" <<<"$got" || { echo "selftest FAIL: missing case not shown"; fail=1; }

    grep -v DONE "$dir/hv-same" > "$dir/hv-nodone"
    check "hv output without DONE" 1 "diff: no DONE in $dir/hv-nodone (hv)" \
        "$dir/bare" "$dir/hv-nodone"

    : > "$dir/empty"
    check "no cases at all" 1 "diff: no cases" "$dir/empty" "$dir/empty"

    sed 's/rdmsr-pat\[msr\]: ok .*/rdmsr-pat[msr]: #GP(0)/' "$dir/hv-same" > "$dir/hv-msr"
    check "MSR case differs" 1 "diff: 7 cases, 1 differ" "$dir/bare" "$dir/hv-msr"
    check "MSR case skipped with --skip-msr" 0 "diff: 6 cases, 0 differ" \
        --skip-msr "$dir/bare" "$dir/hv-msr"

    # The real bare output (if built) against itself: VMX/hypervisor bits
    # then differ in every cpuid.1 record, and nothing else.
    local real=build/diff/bare.out
    if [ -f "$real" ]; then
        local ncpuid
        ncpuid=$(grep -cE '^CASE [^ ]+ cpuid\.1: ' "$real")
        got=$(compare_cmd "$real" "$real")
        if grep -qE "^diff: [0-9]+ cases, $ncpuid differ$" <<<"$got"; then
            echo "selftest ok: $real against itself ($ncpuid cpuid.1 records differ)"
        else
            echo "selftest FAIL: $real against itself"; sed 's/^/    /' <<<"$got"; fail=1
        fi
    fi

    [ "$fail" = 0 ] && echo "selftest: all passed"
    return $fail
}

skip_msr=0
case ${1:-} in
    --selftest) [ $# = 1 ] || usage; selftest; exit $? ;;
    --skip-msr) skip_msr=1; shift ;;
esac
[ $# = 2 ] || usage
compare "$1" "$2"
exit $?
