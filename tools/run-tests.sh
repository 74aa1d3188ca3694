#!/usr/bin/env bash
# tools/run-tests.sh — runs the kernels of tests/unittests.cfg as guests of
# the demo hypervisor, exactly as a user does (make run GUEST=... CMDLINE=...
# INITRD=... MEM=... RUN_TIMEOUT=...), and checks each run.
#
#   tools/run-tests.sh [-b BUILD] [-c CFG] [-o OUTDIR] [-g GROUP]... [-l] [NAME...]
#       runs every run of CFG, or those named / in a GROUP; -l lists them
#       instead. Last line: "guests: N passed, M failed"; status 0 when
#       nothing failed.
#   tools/run-tests.sh [-b BUILD] [-c CFG] --get NAME KEY
#       prints one field of run NAME (${BUILD} expanded; empty if absent)
#   tools/run-tests.sh [-c CFG] --bare-list
#       prints the runs with bare = yes (kernels also booted on bare Bochs)
#
# Relative paths (BUILD, CFG's files, OUTDIR) are from the top of the tree.
# BUILD is the build directory (default $BUILD, else build): make run is
# given BUILD=... and leaves $BUILD/guest.status, guest.out and
# guest.out.serial, which are kept as OUTDIR/<name>.{out,serial} (OUTDIR
# default $BUILD/guest-test; make's own output in OUTDIR/<name>.log).
# Per run it counts: the exit status; the kernel's own checks (its console
# line "<kernel>: N passed, M failed", required unless the run has an
# expect text); the byte-for-byte comparison of its COM1 output with the
# bare-Bochs boot (bare = yes: $BUILD/mbk/bare/<file>.out.serial, made by
# make mbk-bare); the expected text in make run's output.
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
cfg=$here/tests/unittests.cfg
outdir=
list=0
mode=run
groups=()
names=()

usage() {
    sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//' >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
        -b) build=$2; shift 2 ;;
        -c) cfg=$2; shift 2 ;;
        -o) outdir=$2; shift 2 ;;
        -g) groups+=("$2"); shift 2 ;;
        -l) list=1; shift ;;
        --get) [ $# -ge 3 ] || usage; mode=get; get_name=$2; get_key=$3; shift 3 ;;
        --bare-list) mode=bare; shift ;;
        -h|--help) usage ;;
        -*) usage ;;
        *) names+=("$1"); shift ;;
    esac
done
[ -r "$cfg" ] || { echo "run-tests: cannot read $cfg" >&2; exit 2; }
cfg=$(cd "$(dirname "$cfg")" && pwd)/$(basename "$cfg")
outdir=${outdir:-$build/guest-test}
cd "$here" || exit 2

# ------------------------------------------------------------------ config
# field[name.key] = value; order: the sections as they come.
declare -A field=()
order=()
parse() {
    local line sec="" lineno=0 key val
    while IFS= read -r line || [ -n "$line" ]; do
        lineno=$((lineno + 1))
        line=${line%$'\r'}
        case $line in
            ''|'#'*) continue ;;
            '['*']')
                sec=${line#[}
                sec=${sec%]}
                [ -z "${field[$sec.file]+x}" ] || { echo "run-tests: $cfg:$lineno: [$sec] twice" >&2; exit 2; }
                order+=("$sec")
                field[$sec.file]=""
                ;;
            *=*)
                [ -n "$sec" ] || { echo "run-tests: $cfg:$lineno: field outside a section" >&2; exit 2; }
                key=${line%%=*}
                key=${key//[[:space:]]/}
                val=${line#*=}
                val=${val#"${val%%[![:space:]]*}"}
                val=${val%"${val##*[![:space:]]}"}
                case $key in
                    file|cmdline|initrd|mem|timeout|status|expect|bare|groups|tsc_khz|lapic|pic) ;;
                    *) echo "run-tests: $cfg:$lineno: unknown field '$key'" >&2; exit 2 ;;
                esac
                field[$sec.$key]=${val//'${BUILD}'/$build}
                ;;
            *) echo "run-tests: $cfg:$lineno: not a section or a field: $line" >&2; exit 2 ;;
        esac
    done <"$cfg"
    for sec in "${order[@]}"; do
        [ -n "${field[$sec.file]}" ] || { echo "run-tests: [$sec] has no file" >&2; exit 2; }
        [ -n "${field[$sec.status]:-}" ] || { echo "run-tests: [$sec] has no status" >&2; exit 2; }
    done
}
get() { printf '%s' "${field[$1.$2]:-}"; }
parse

case $mode in
    get)
        [ -n "${field[$get_name.file]+x}" ] || { echo "run-tests: no run [$get_name]" >&2; exit 2; }
        get "$get_name" "$get_key"
        echo
        exit 0
        ;;
    bare)
        for sec in "${order[@]}"; do
            [ "$(get "$sec" bare)" = yes ] && echo "$sec"
        done
        exit 0
        ;;
esac

# --------------------------------------------------------------- selection
selected=()
for sec in "${order[@]}"; do
    pick=1
    if [ ${#names[@]} -gt 0 ] || [ ${#groups[@]} -gt 0 ]; then
        pick=0
        for n in "${names[@]}"; do [ "$n" = "$sec" ] && pick=1; done
        for g in "${groups[@]}"; do
            for sg in $(get "$sec" groups); do [ "$g" = "$sg" ] && pick=1; done
        done
    fi
    [ "$pick" = 1 ] && selected+=("$sec")
done
for n in "${names[@]}"; do
    [ -n "${field[$n.file]+x}" ] || { echo "run-tests: no run [$n] in $cfg" >&2; exit 2; }
done
if [ "$list" = 1 ]; then
    printf '%s\n' "${selected[@]}"
    exit 0
fi

# ---------------------------------------------------------------------- run
mkdir -p "$outdir"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "guest-test: FAIL $*"; }

for name in "${selected[@]}"; do
    kernel=$(get "$name" file)
    args=$(get "$name" cmdline)
    want=$(get "$name" status)
    expect=$(get "$name" expect)
    log=$outdir/$name.log
    start=$(date +%s.%N)
    # make's own status is 2 for any failing recipe: the guest's exact
    # status is tools/run-guest.sh's, recorded by make run in guest.status.
    rm -f "$build/guest.status" "$build/guest.out" "$build/guest.out.serial"
    mem=$(get "$name" mem)
    tmo=$(get "$name" timeout)
    make --no-print-directory run BUILD="$build" GUEST="$kernel" INITRD="$(get "$name" initrd)" \
        CMDLINE="$args" MEM="${mem:-128}" RUN_TIMEOUT="${tmo:-120}" \
        TSC_KHZ="$(get "$name" tsc_khz)" LAPIC="$(get "$name" lapic)" >"$log" 2>&1 </dev/null
    rc=$(cat "$build/guest.status" 2>/dev/null || echo "none")
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    cp "$build/guest.out" "$outdir/$name.out" 2>/dev/null
    cp "$build/guest.out.serial" "$outdir/$name.serial" 2>/dev/null || : >"$outdir/$name.serial"
    ticks=$(sed -n 's/^x86vcpu demo: guest ran \([0-9]*\) ticks.*/\1/p' "$log" | tail -n 1)
    echo "guest-test: $name${args:+ ($args)}: exit status $rc, ${ticks:-?} guest ticks, ${secs} s in all"
    sed -n "s/^# BENCH /BENCH $name: /p" "$outdir/$name.out" 2>/dev/null || :
    if [ "$rc" = "$want" ]; then ok; else bad "$name: exit status $rc, expected $want"; tail -n 15 "$log"; fi

    line=$(grep -a -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed' "$outdir/$name.serial" | tail -n 1)
    if [ -n "$line" ]; then
        p=$(printf '%s\n' "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\1/')
        f=$(printf '%s\n' "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
        pass=$((pass + p))
        fail=$((fail + f))
        [ "$f" = 0 ] || { bad "$name: $line"; grep -a '^not ok' "$outdir/$name.serial"; }
    elif [ -z "$expect" ]; then
        bad "$name: no 'N passed, M failed' line on its console"
    fi

    if [ "$(get "$name" bare)" = yes ]; then
        bare=$build/mbk/bare/$(basename "$kernel").out.serial
        if [ ! -r "$bare" ]; then
            bad "$name: no bare-Bochs output $bare (make mbk-bare)"
        elif cmp -s "$bare" "$outdir/$name.serial"; then
            ok
            echo "guest-test: $name: COM1 output identical to bare Bochs ($(wc -l <"$bare") lines)"
        else
            bad "$name: COM1 output differs from bare Bochs"
            diff -u "$bare" "$outdir/$name.serial" | head -n 30
        fi
    fi

    if [ -n "$expect" ]; then
        if grep -a -q -F -- "$expect" "$log"; then ok; else bad "$name: output lacks \"$expect\""; fi
    fi
done
echo "guests: $pass passed, $fail failed"
[ "$fail" = 0 ]
