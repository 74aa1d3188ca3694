#!/usr/bin/env bash
# tools/diff-compare.sh [--skip-msr] [--rules FILE] BARE_OUT HV_OUT
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
#   - cases whose name contains [hv-differs] are checked against their rule
#     in tests/diff/hv-differs.rules (or --rules FILE): the result each side
#     must show, justified there by the SDM. Such a case without a rule, a
#     rule whose case is missing on either side, or a result its rule does
#     not allow counts as a differing case;
#   - CPUID leaf 1 (cases named "cpuid.1", any mode): under the hypervisor
#     ECX bit 5 (VMX) reads 0 and bit 31 (hypervisor present) reads 1, and
#     the bits the default CPUID policy hides read 0 (ECX & 0x7ffa3203,
#     EDX & 0x1f8bfbff: docs/CPUID.md); the bare value is adjusted that way
#     before comparing. (ECX bit 27 OSXSAVE follows CR4 on both sides: no
#     rule.)
# --skip-msr also drops cases tagged [msr] (MSRs not passed through yet),
# and the rules of such cases.
#
# Cases are matched by "<mode> <name>" (a repeated key gets #2, #3, ...).
# Prints
#     diff: N cases, M differ; K intended differences checked
# (N: keys on either side or in a rule; M: keys that differ without a rule
# allowing it, or break their rule; K: [hv-differs] cases that satisfied
# their rule) and each differing pair. Exit status: 0 when M = 0, N > 0 and
# both sides have DONE; 1 otherwise; 2 on usage errors or a malformed rule
# file.
set -u

usage() {
    echo "usage: $0 [--skip-msr] [--rules FILE] BARE_OUT HV_OUT | --selftest" >&2
    exit 2
}

rules_file=$(dirname "$0")/../tests/diff/hv-differs.rules

trim() {
    local s=$1
    s=${s#"${s%%[![:space:]]*}"}
    s=${s%"${s##*[![:space:]]}"}
    printf '%s' "$s"
}

# Reads $rules_file into rule_bare[key] / rule_hv[key] (rule_order: file
# order). Exits 2 on a malformed line.
load_rules() {
    local line key b h rest nr=0
    rule_bare=() rule_hv=() rule_order=()
    [ -r "$rules_file" ] || { echo "diff-compare: cannot read rules $rules_file" >&2; exit 2; }
    while IFS= read -r line || [ -n "$line" ]; do
        nr=$((nr + 1))
        line=$(trim "$line")
        case $line in ''|'#'*) continue ;; esac
        IFS='|' read -r key b h rest <<<"$line"
        key=$(trim "$key"); b=$(trim "${b-}"); h=$(trim "${h-}")
        if [ -n "${rest-}" ] || [ -z "$b" ] || [ -z "$h" ] ||
           ! [[ $key =~ ^[^\ ]+\ [^\ :]+$ ]] || [[ $key != *'[hv-differs]'* ]]; then
            echo "diff-compare: $rules_file:$nr: malformed rule: $line" >&2; exit 2
        fi
        if [ -n "${rule_bare[$key]+x}" ]; then
            echo "diff-compare: $rules_file:$nr: second rule for '$key'" >&2; exit 2
        fi
        if [ "$skip_msr" = 1 ] && [[ $key == *'[msr]'* ]]; then continue; fi
        rule_bare[$key]=$b
        rule_hv[$key]=$h
        rule_order+=("$key")
    done < "$rules_file"
}

# Records of one output file, one per line: "<mode> <name>: <result>".
extract() {
    tr -d '\r' < "$1" |
        grep -oE 'CASE [^ ]+ [^ :]+: .*' |
        sed -E -e 's/^CASE //' -e 's/[[:space:]]+$//' |
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
                c=$(printf '%08x' $(( (0x$c & 0x7ffa3203 & ~0x20) | 0x80000000 )))
                d=$(printf '%08x' $(( 0x$d & 0x1f8bfbff )))
                line="$key: ok $a $b $c $d"
            fi
            ;;
    esac
    printf '%s\n' "$line"
}

# rule_allows PATTERN RESULT: a rule's side accepts the result ("-": any,
# but the case must be there).
rule_allows() {
    [ "$2" != '<missing>' ] || return 1
    [ "$1" = - ] && return 0
    # shellcheck disable=SC2053  # the rule is a pattern
    [[ $2 == $1 ]]
}

compare() {
    local bare=$1 hv=$2
    local -A bres=() hres=() seen=() rule_bare=() rule_hv=()
    local -a order=() rule_order=()
    local line key res n k
    for f in "$bare" "$hv"; do
        [ -r "$f" ] || { echo "diff-compare: cannot read $f" >&2; exit 2; }
    done
    load_rules

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

    # A rule whose case appears on neither side is a key of its own.
    for k in "${rule_order[@]}"; do
        if [ -z "${seen[$k]+x}" ]; then seen[$k]=1; order+=("$k"); fi
    done

    local total=${#order[@]} differ=0 intended=0 out=""
    for k in "${order[@]}"; do
        local b=${bres[$k]-<missing>} h=${hres[$k]-<missing>}
        if [[ $k == *'[hv-differs]'* ]]; then
            if [ -z "${rule_hv[$k]+x}" ]; then
                differ=$((differ + 1))
                out+="  $k"$'\n'"    bare: $b"$'\n'"    hv:   $h"$'\n'"    rule: none (every [hv-differs] case needs one in $rules_file)"$'\n'
            elif rule_allows "${rule_bare[$k]}" "$b" && rule_allows "${rule_hv[$k]}" "$h"; then
                intended=$((intended + 1))
            else
                differ=$((differ + 1))
                out+="  $k"$'\n'"    bare: $b"$'\n'"    hv:   $h"$'\n'"    rule: bare '${rule_bare[$k]}', hv '${rule_hv[$k]}'"$'\n'
            fi
        elif [ "$b" != "$h" ]; then
            differ=$((differ + 1))
            out+="  $k"$'\n'"    bare: $b"$'\n'"    hv:   $h"$'\n'
        fi
    done

    echo "diff: $total cases, $differ differ; $intended intended differences checked"
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
    local fail=0 got real_rules=$rules_file
    selftest_dir=$(mktemp -d) || exit 2
    trap 'rm -rf "$selftest_dir"' EXIT
    local dir=$selftest_dir
    cat > "$dir/rules" <<'EOF2'
# made-up rules of the made-up outputs below
pm cr4-set-bit13-vmxe[hv-differs]   | ok 00002000 | #GP(0)
pm cr4-clear-bit13-vmxe[hv-differs] | ok 00000000 | ok 0000000*
EOF2
    cat > "$dir/bare" <<'EOF2'
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
EOF2
    # The same run as a guest: console prefix, CRLF, VMX hidden, hypervisor bit.
    {
        echo "hv: starting guest"
        printf '  guest| diffkernel: start\r\n'
        echo "  guest| CASE pm boot-magic: ok 2badb002"
        echo "  guest| CASE pm cpuid.1: ok 00050654 00010800 f7fa3203 1f8bfbff"
        echo "  guest| CASE pm cr4-set-bit13-vmxe[hv-differs]: #GP(0)"
        printf '  guest| CASE pm cr4-clear-bit13-vmxe[hv-differs]: ok 00000000\r\n'
        echo "  guest| CASE pm rdmsr-pat[msr]: ok 0007040600070406"
        echo "  guest| CASE rm cpuid.1: ok 00050654 00010800 fffa3203 1f8bfbff"
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
        if [ "$st" != "$want_st" ] || ! grep -qxF -- "$want" <<<"$got"; then
            echo "selftest FAIL: $name (status $st, want $want_st; want line '$want')"
            sed 's/^/    /' <<<"$got"
            fail=1
        else
            echo "selftest ok: $name"
        fi
    }
    # compare_cmd [--skip-msr] [--rules FILE] BARE HV (made-up rules by default)
    compare_cmd() {
        ( skip_msr=0; rules_file=$dir/rules
          [ "$1" = --skip-msr ] && { skip_msr=1; shift; }
          [ "$1" = --rules ] && { rules_file=$2; shift 2; }
          compare "$@" ) 2>&1
    }
    reported() {   # reported KEY...: each key is listed as differing in $got
        local k
        for k in "$@"; do
            grep -qxF "  $k" <<<"$got" || { echo "selftest FAIL: '$k' not reported"; fail=1; }
        done
    }

    check "identical modulo intended differences" 0 \
        "diff: 9 cases, 0 differ; 2 intended differences checked" "$dir/bare" "$dir/hv-same"

    # Hand-made differences: a changed result, a missing case, an extra case,
    # CPUID.1 without the hypervisor bit.
    sed -e 's/mov-cr8-5: ok 0000000000000005/mov-cr8-5: #GP(0)/' \
        -e '/xsetbv-ecx1/d' \
        -e 's/f7fa3203/77fa3203/' \
        -e 's/^\(  guest| \)DONE/\1CASE lm extra: ok 1\n\1DONE/' \
        "$dir/hv-same" > "$dir/hv-differ"
    check "differing results" 1 "diff: 10 cases, 4 differ; 2 intended differences checked" \
        "$dir/bare" "$dir/hv-differ"
    reported "lm mov-cr8-5" "lm xsetbv-ecx1" "lm extra" "pm cpuid.1"
    grep -qxF "    hv:   <missing>" <<<"$got" || { echo "selftest FAIL: missing case not shown"; fail=1; }

    grep -v DONE "$dir/hv-same" > "$dir/hv-nodone"
    check "hv output without DONE" 1 "diff: no DONE in $dir/hv-nodone (hv)" \
        "$dir/bare" "$dir/hv-nodone"

    : > "$dir/empty"
    check "no cases at all" 1 "diff: no cases" --rules "$dir/empty" "$dir/empty" "$dir/empty"

    sed 's/rdmsr-pat\[msr\]: ok .*/rdmsr-pat[msr]: #GP(0)/' "$dir/hv-same" > "$dir/hv-msr"
    check "MSR case differs" 1 "diff: 9 cases, 1 differ; 2 intended differences checked" \
        "$dir/bare" "$dir/hv-msr"
    check "MSR case skipped with --skip-msr" 0 \
        "diff: 8 cases, 0 differ; 2 intended differences checked" \
        --skip-msr "$dir/bare" "$dir/hv-msr"

    # Intended differences: each must give the result its rule requires.
    sed 's/vmxe\[hv-differs\]: #GP(0)/vmxe[hv-differs]: ok 00002000/' "$dir/hv-same" > "$dir/hv-vmxe"
    check "hypervisor lets the guest set CR4.VMXE" 1 \
        "diff: 9 cases, 1 differ; 1 intended differences checked" "$dir/bare" "$dir/hv-vmxe"
    reported "pm cr4-set-bit13-vmxe[hv-differs]"
    grep -qxF "    rule: bare 'ok 00002000', hv '#GP(0)'" <<<"$got" ||
        { echo "selftest FAIL: broken rule not shown"; fail=1; }

    sed 's/vmxe\[hv-differs\]: #GP(0)/vmxe[hv-differs]: #UD/' "$dir/hv-same" > "$dir/hv-vmxe-ud"
    check "hypervisor answers CR4.VMXE with another fault" 1 \
        "diff: 9 cases, 1 differ; 1 intended differences checked" "$dir/bare" "$dir/hv-vmxe-ud"

    sed 's/clear-bit13-vmxe\[hv-differs\]: ok 00000000/clear-bit13-vmxe[hv-differs]: ok 00002000/' \
        "$dir/hv-same" > "$dir/hv-vmxe-leak"
    check "VMXE leaks into the guest's CR4 (pattern rule)" 1 \
        "diff: 9 cases, 1 differ; 1 intended differences checked" "$dir/bare" "$dir/hv-vmxe-leak"
    reported "pm cr4-clear-bit13-vmxe[hv-differs]"

    sed 's/set-bit13-vmxe\[hv-differs\]: ok 00002000/set-bit13-vmxe[hv-differs]: #GP(0)/' \
        "$dir/bare" > "$dir/bare-novmx"
    check "bare side breaks its rule" 1 \
        "diff: 9 cases, 1 differ; 1 intended differences checked" "$dir/bare-novmx" "$dir/hv-same"

    grep -v 'clear-bit13-vmxe' "$dir/hv-same" > "$dir/hv-noclear"
    check "intended case missing on one side" 1 \
        "diff: 9 cases, 1 differ; 1 intended differences checked" "$dir/bare" "$dir/hv-noclear"
    grep -qxF "    hv:   <missing>" <<<"$got" || { echo "selftest FAIL: missing case not shown"; fail=1; }

    grep -v 'clear-bit13-vmxe' "$dir/bare" > "$dir/bare-noclear"
    check "rule whose case never appears" 1 \
        "diff: 9 cases, 1 differ; 1 intended differences checked" "$dir/bare-noclear" "$dir/hv-noclear"
    reported "pm cr4-clear-bit13-vmxe[hv-differs]"

    sed 's/^DONE/CASE lm new[hv-differs]: ok 1\nDONE/' "$dir/bare" > "$dir/bare-norule"
    sed 's/^\(  guest| \)DONE/\1CASE lm new[hv-differs]: #GP(0)\n\1DONE/' "$dir/hv-same" > "$dir/hv-norule"
    check "[hv-differs] case without a rule" 1 \
        "diff: 10 cases, 1 differ; 2 intended differences checked" "$dir/bare-norule" "$dir/hv-norule"
    reported "lm new[hv-differs]"
    grep -qF "    rule: none" <<<"$got" || { echo "selftest FAIL: missing rule not shown"; fail=1; }

    printf 'pm cr4-set-bit13-vmxe[hv-differs] | ok 00002000\n' > "$dir/rules-bad1"
    check "malformed rule (two fields)" 2 \
        "diff-compare: $dir/rules-bad1:1: malformed rule: pm cr4-set-bit13-vmxe[hv-differs] | ok 00002000" \
        --rules "$dir/rules-bad1" "$dir/bare" "$dir/hv-same"
    printf 'pm boot-magic | ok 2badb002 | ok 2badb002\n' > "$dir/rules-bad2"
    check "rule for an untagged case" 2 \
        "diff-compare: $dir/rules-bad2:1: malformed rule: pm boot-magic | ok 2badb002 | ok 2badb002" \
        --rules "$dir/rules-bad2" "$dir/bare" "$dir/hv-same"
    cat "$dir/rules" "$dir/rules" > "$dir/rules-bad3"
    check "two rules for one case" 2 \
        "diff-compare: $dir/rules-bad3:5: second rule for 'pm cr4-set-bit13-vmxe[hv-differs]'" \
        --rules "$dir/rules-bad3" "$dir/bare" "$dir/hv-same"

    # The real rules (tests/diff/hv-differs.rules): outputs made from them
    # pass; for each rule, a hypervisor answering like bare Bochs (or, where
    # both sides agree, the opposite outcome) is caught.
    local -A rb=() rh=()
    local -a ro=()
    local k nrules=0 wrong
    ( rules_file=$real_rules; skip_msr=0
      declare -A rule_bare=() rule_hv=(); declare -a rule_order=()
      load_rules || exit 2
      for k in "${rule_order[@]}"; do
          printf '%s\t%s\t%s\n' "$k" "${rule_bare[$k]}" "${rule_hv[$k]}"
      done ) > "$dir/real-rules" 2>&1
    if [ $? != 0 ]; then
        echo "selftest FAIL: $real_rules does not load"; sed 's/^/    /' "$dir/real-rules"; fail=1
    else
        while IFS=$'\t' read -r k b h; do
            rb[$k]=$b; rh[$k]=$h; ro+=("$k")
        done < "$dir/real-rules"
        nrules=${#ro[@]}
        {   for k in "${ro[@]}"; do echo "CASE $k: ${rb[$k]}"; done; echo DONE; } > "$dir/real-bare"
        {   for k in "${ro[@]}"; do echo "CASE $k: ${rh[$k]}"; done; echo DONE; } > "$dir/real-hv"
        if grep -q '[][*?]' < <(cut -d: -f2- "$dir/real-bare" "$dir/real-hv"); then
            echo "selftest FAIL: $real_rules uses patterns: give the selftest concrete values"; fail=1
        fi
        check "real rules: outputs as the rules require" 0 \
            "diff: $nrules cases, 0 differ; $nrules intended differences checked" \
            --rules "$real_rules" "$dir/real-bare" "$dir/real-hv"
        local i=0
        for k in "${ro[@]}"; do
            i=$((i + 1))
            if [ "${rb[$k]}" != "${rh[$k]}" ] && [ "${rb[$k]}" != - ]; then
                wrong=${rb[$k]}
            elif [[ ${rh[$k]} == ok* ]]; then
                wrong='#GP(0)'
            else
                wrong='ok 0000000000000000'
            fi
            awk -v n="$i" -v w="$wrong" 'NR == n { sub(/: .*/, ": " w) } { print }' \
                "$dir/real-hv" > "$dir/real-hv-$i"
            check "real rule '$k': hv answering '$wrong'" 1 \
                "diff: $nrules cases, 1 differ; $((nrules - 1)) intended differences checked" \
                --rules "$real_rules" "$dir/real-bare" "$dir/real-hv-$i"
            reported "$k"
        done
        [ "$nrules" -gt 0 ] || { echo "selftest FAIL: no rules in $real_rules"; fail=1; }
    fi

    # The real bare output (if built) against itself: VMX/hypervisor bits
    # then differ in every cpuid.1 record; the only other keys reported are
    # [hv-differs] cases, those whose rule wants another hypervisor result.
    local real=${BUILD:-build}/diff/bare.out
    if [ -f "$real" ]; then
        local ncpuid nhv=0
        ncpuid=$(grep -cE '^CASE [^ ]+ cpuid\.1: ' "$real")
        for k in "${ro[@]}"; do
            [ "${rb[$k]}" != "${rh[$k]}" ] && nhv=$((nhv + 1))
        done
        got=$(compare_cmd --rules "$real_rules" "$real" "$real")
        local others
        others=$(grep -E '^  [^ ]' <<<"$got" | grep -vE '^  [^ ]+ cpuid\.1$|\[hv-differs\]')
        if grep -qE "^diff: [0-9]+ cases, $((ncpuid + nhv)) differ; " <<<"$got" && [ -z "$others" ]; then
            echo "selftest ok: $real against itself ($ncpuid cpuid.1 records, $nhv [hv-differs] cases differ)"
        else
            echo "selftest FAIL: $real against itself (want $ncpuid cpuid.1 + $nhv [hv-differs])"
            sed 's/^/    /' <<<"$got"; fail=1
        fi
    fi

    [ "$fail" = 0 ] && echo "selftest: all passed"
    return $fail
}

skip_msr=0
case ${1:-} in
    --selftest) [ $# = 1 ] || usage; selftest; exit $? ;;
esac
while [ $# -gt 0 ]; do
    case $1 in
        --skip-msr) skip_msr=1; shift ;;
        --rules) [ $# -ge 2 ] || usage; rules_file=$2; shift 2 ;;
        -*) usage ;;
        *) break ;;
    esac
done
[ $# = 2 ] || usage
compare "$1" "$2"
exit $?
