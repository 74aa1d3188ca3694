#!/usr/bin/env bash
# tools/fuzz-guest.sh — the guest fuzzer's campaigns (tests/fuzzguest): the
# same kernel and command line booted on bare Bochs (GRUB ISO, unknown MSRs
# #GP as on hardware) and as a guest of the demo (make run GUEST=...); the
# two COM1 outputs must have the same batch hashes ("B <first> <hash>").
#
#   tools/fuzz-guest.sh run SEED START COUNT
#       one chunk; last lines
#       "fuzz-guest: programs per mode: real=N pm16=N pm32=N pm32np=N pae=N long=N compat=N"
#       "fuzz-guest: N programs, D divergences, H host faults/hangs"
#   tools/fuzz-guest.sh long SEED START COUNT CHUNK
#       COUNT programs in chunks; $BUILD/fuzzguest/long-SEED.progress gets
#       one line per finished chunk (with its programs per mode) and a
#       rerun resumes after the last one
#   tools/fuzz-guest.sh show SEED INDEX
#       reproduces program INDEX on both sides: outcome lines, their diff
#       and the program's disassembly in its mode
#
# A divergence: a program whose outcome line differs, or a guest run the
# hypervisor ended (unhandled exit, triple fault) where bare Bochs went on.
# A host fault/hang: the hypervisor run timed out or Bochs failed.
# Status 0 when D and H are 0. Environment: BUILD (default build),
# FUZZ_TIMEOUT (per boot, default 120 s + 1 s per 8 programs), FUZZ_ARGS (more kernel arguments
# on both sides, e.g. the quarantine switches "noinvd=1 nostrio=1").
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 2
build=${BUILD:-build}
fd=$build/fuzzguest
elf=$fd/fuzzguest.elf
# Per boot: BIOS + GRUB + the hypervisor take ~10 s; programs run at ~30/s
# or more on either side, so 8/s is a hang.
case ${1:-} in
    run) n_boot=${4:-0} ;;
    long) n_boot=${5:-0} ;;
    *) n_boot=64 ;;
esac
case $n_boot in ''|*[!0-9]*) n_boot=0 ;; esac
timeout_s=${FUZZ_TIMEOUT:-$((120 + n_boot / 8))}
[ -f "$elf" ] || { echo "fuzz-guest: no $elf (make fuzz-guest-kernel)" >&2; exit 2; }

# bare TAG ARGS...: boots the kernel on bare Bochs; output in $fd/TAG.bare.serial
bare() {
    local tag=$1; shift
    local dir=$fd/iso-$tag
    mkdir -p "$dir/boot/grub"
    cp "$elf" "$dir/boot/fuzzguest.elf"
    printf 'set timeout=0\nset default=0\nmenuentry "fuzzguest" {\n  multiboot /boot/fuzzguest.elf fuzzguest.elf %s\n  boot\n}\n' \
        "$*" > "$dir/boot/grub/grub.cfg"
    grub-mkrescue -o "$fd/$tag.iso" "$dir" \
        --install-modules="multiboot normal configfile echo boot test" \
        --locales= --fonts= --themes= --compress=no >"$fd/$tag.mkrescue.log" 2>&1 || {
        cat "$fd/$tag.mkrescue.log" >&2; return 1; }
    BOCHS_EXTRA="cpu: ignore_bad_msrs=0" tools/run-bochs.sh "$fd/$tag.iso" "$fd/$tag.bare" \
        "$timeout_s" >/dev/null 2>"$fd/$tag.bare.err"
}

# guest TAG ARGS...: the same as the demo's guest; output $fd/TAG.guest.serial,
# make run's exit status in $fd/TAG.guest.status
guest() {
    local tag=$1; shift
    rm -f "$build/guest.status" "$build/guest.out.serial" "$build/guest.out"
    make -s BUILD="$build" run GUEST="$elf" CMDLINE="$*" RUN_TIMEOUT="$timeout_s" \
        >"$fd/$tag.guest.log" 2>&1
    # no status: make run failed before Bochs (e.g. the demo did not build)
    cp "$build/guest.status" "$fd/$tag.guest.status" 2>/dev/null || echo nostatus >"$fd/$tag.guest.status"
    cp "$build/guest.out.serial" "$fd/$tag.guest.serial" 2>/dev/null || : >"$fd/$tag.guest.serial"
    cp "$build/guest.out" "$fd/$tag.guest.out" 2>/dev/null || : >"$fd/$tag.guest.out"
}

# both TAG ARGS...: both boots at once (two Bochs processes); elapsed time in $secs
both() {
    local t0 t1
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086 # FUZZ_ARGS: more key=value words
    bare "$@" ${FUZZ_ARGS:-} &
    local bpid=$!
    # shellcheck disable=SC2086
    guest "$@" ${FUZZ_ARGS:-}
    wait "$bpid"
    t1=$(date +%s.%N)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
}

# Disassembly of one "C <i> at=<addr> <hex> <mode>" line, in the mode's
# code size (real, pm16: 16-bit; long: 64-bit; the others 32-bit).
disasm() {
    local line=$1 at hex mode arch tmp
    at=$(printf '%s\n' "$line" | sed -E 's/^C [0-9]+ at=([0-9a-f]+) .*/\1/')
    hex=$(printf '%s\n' "$line" | awk '{ print $4 }')
    mode=$(printf '%s\n' "$line" | awk '{ print $5 }')
    case $mode in
        real|pm16) arch=i8086 ;;
        long) arch=i386:x86-64 ;;
        *) arch=i386 ;;
    esac
    echo "mode ${mode:-pm32}:"
    tmp=$(mktemp)
    printf '%s' "$hex" | xxd -r -p > "$tmp"
    objdump -D -b binary -m "$arch" --adjust-vma=0x"$at" "$tmp" | sed -n '/<.data>:/,$p' | sed 1d
    rm -f "$tmp"
}

# Programs per mode of a finished run ("real=N pm16=N ..."), from the
# bare-Bochs output; empty when the run did not get there.
modes_of() {
    sed -n 's/^fuzzguest: modes //p' "$1" | tail -n 1
}

# Adds two "name=N ..." lists.
modes_add() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        n = split(a " " b, w, " ")
        for (i = 1; i <= n; i++) if (split(w[i], kv, "=") == 2) {
            if (!(kv[1] in s)) o[++k] = kv[1]
            s[kv[1]] += kv[2]
        }
        for (i = 1; i <= k; i++) printf "%s%s=%d", (i > 1 ? " " : ""), o[i], s[o[i]]
    }'
}

# show SEED INDEX [quiet]: prints the program's outcome on both sides;
# status 1 when they differ.
show() {
    local seed=$1 idx=$2 tag=show-$1-$2
    both "$tag" seed="$seed" start="$idx" count=1 verbose=1 dump=1
    local pb pg
    pb=$(grep -E "^[PHSMW] $idx " "$fd/$tag.bare.serial")
    pg=$(grep -E "^[PHSMW] $idx " "$fd/$tag.guest.serial")
    echo "bare Bochs:"
    printf '%s\n' "$pb" | sed 's/^/  /'
    echo "guest (status $(cat "$fd/$tag.guest.status")):"
    printf '%s\n' "$pg" | sed 's/^/  /'
    grep -a -A1 'unhandled exit\|guest exit status' "$fd/$tag.guest.out" 2>/dev/null \
        | grep -v '^--' | head -n 3 | sed 's/^/  hv: /'
    echo "program (seed $seed index $idx):"
    disasm "$(grep -E "^C $idx " "$fd/$tag.bare.serial")" | sed 's/^/  /'
    [ "$pb" = "$pg" ]
}

# chunk SEED START COUNT: one comparison; sets n d h and prints details
chunk() {
    local seed=$1 start=$2 count=$3 tag=chunk-$1-$2
    both "$tag" seed="$seed" start="$start" count="$count"
    local csecs=$secs
    chunk_secs=$secs
    local bs=$fd/$tag.bare.serial gs=$fd/$tag.guest.serial st
    st=$(cat "$fd/$tag.guest.status")
    n=$count d=0 h=0
    chunk_modes=$(modes_of "$bs")
    if ! grep -q '^fuzzguest: done ' "$bs"; then
        echo "fuzz-guest: the bare-Bochs run did not finish (fuzzer defect): $fd/$tag.bare*" >&2
        sed 's/^/fuzz-guest:   /' "$fd/$tag.bare.err" >&2
        grep FATAL "$bs" >&2
        h=$((h + 1))
        return
    fi
    # Status 1 is the kernel's isa-debug-exit 0, but also "Bochs failed
    # and the hypervisor said nothing": only the done line tells them apart.
    if [ "$st" = 1 ] && grep -q '^fuzzguest: done ' "$gs"; then st=ok; fi
    case $st in
        ok) ;;
        nostatus)
           echo "fuzz-guest: make run failed before the guest ran (see $fd/$tag.guest.log):" >&2
           tail -n 5 "$fd/$tag.guest.log" | sed 's/^/fuzz-guest:   /' >&2
           exit 2 ;;
        124|1)  # Bochs timed out, or it failed with no word from the hypervisor
           echo "fuzz-guest: seed $seed: HOST FAULT/HANG: guest run status $st (log $fd/$tag.guest.log," \
                "$fd/$tag.guest.out)"
           h=$((h + 1)) ;;
        *) # 2 triple fault, 4 cli;hlt, 6 stopped by the hypervisor, odd: the kernel's own FATAL
           echo "fuzz-guest: seed $seed: the guest ended early (status $st):" \
                "$(grep -a -m1 'unhandled exit\|triple\|FATAL\|unsupported' "$fd/$tag.guest.out")" ;;
    esac
    # Batches that differ or are missing on the guest side.
    local bad
    bad=$(diff <(grep '^B ' "$bs") <(grep '^B ' "$gs") | sed -n 's/^< B \([0-9]*\) .*/\1/p')
    local shown=0 b
    for b in $bad; do
        # Programs of the batch, verbose on both sides, first 4 batches.
        if [ "$shown" -ge 4 ]; then d=$((d + 1)); continue; fi
        shown=$((shown + 1))
        local vt=batch-$seed-$b cnt=$((start + count - b))
        [ "$cnt" -gt 64 ] && cnt=64
        both "$vt" seed="$seed" start="$b" count="$cnt" verbose=1
        local progs
        progs=$(diff <(grep '^P ' "$fd/$vt.bare.serial" | awk '{ print $2, $3 }') \
                     <(grep '^P ' "$fd/$vt.guest.serial" | awk '{ print $2, $3 }') \
                | sed -n 's/^< \([0-9]*\) .*/\1/p')
        [ -n "$progs" ] || progs=$b
        local k=0 p
        for p in $progs; do
            d=$((d + 1)); k=$((k + 1))
            [ $k -le 3 ] && echo "fuzz-guest: DIVERGENCE seed $seed program $p" \
                "(reproduce: tools/fuzz-guest.sh show $seed $p)"
            # a guest run that ended early: the rest of the batch is unknown
            grep -q "^P $p " "$fd/$vt.guest.serial" || break
        done
        if [ "$shown" = 1 ]; then
            set -- $progs
            show "$seed" "$1" | sed 's/^/fuzz-guest:   /'
        fi
    done
    if [ "$st" != ok ] && [ "$h" = 0 ] && [ -z "$bad" ]; then d=$((d + 1)); fi
    local tb tg
    tb=$(sed -n -E 's/.*after ([0-9.]+) s.*/\1/p' "$fd/$tag.bare.err" | tail -n 1)
    tg=$(sed -n -E 's/.*after ([0-9.]+) s.*/\1/p' "$fd/$tag.guest.log" | tail -n 1)
    echo "fuzz-guest: seed $seed programs $start..$((start + count - 1)): bare Bochs ${tb:-?} s," \
         "as a guest ${tg:-?} s (each with its boot), both at once $csecs s"
}

case ${1:-} in
    run)
        [ $# -eq 4 ] || { sed -n '2,/^set -u/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
        [ -n "${FUZZ_ARGS:-}" ] && echo "fuzz-guest: quarantined (known divergences): ${FUZZ_ARGS}"
        chunk "$2" "$3" "$4"
        echo "fuzz-guest: programs per mode: ${chunk_modes:-?}"
        echo "fuzz-guest: $n programs, $d divergences, $h host faults/hangs"
        [ "$d" = 0 ] && [ "$h" = 0 ]
        ;;
    long)
        [ $# -eq 5 ] || { echo "usage: $0 long SEED START COUNT CHUNK" >&2; exit 2; }
        seed=$2 start=$3 count=$4 size=$5
        prog=$fd/long-$seed.progress
        [ -n "${FUZZ_ARGS:-}" ] && echo "fuzz-guest: quarantined (known divergences): ${FUZZ_ARGS}"
        touch "$prog"
        tn=0 td=0 th=0 tm=
        i=$start
        while [ "$i" -lt $((start + count)) ]; do
            c=$size
            [ $((i + c)) -gt $((start + count)) ] && c=$((start + count - i))
            if line=$(grep "^chunk $i $c " "$prog"); then
                set -- $line
                tn=$((tn + $4)) td=$((td + $5)) th=$((th + $6))
                shift 8
                tm=$(modes_add "$tm" "$*")
                i=$((i + c)); continue
            fi
            chunk "$seed" "$i" "$c"
            # chunk START COUNT N D H time secs [real=N pm16=N ...]
            echo "chunk $i $c $n $d $h $(date -u +%FT%TZ) $chunk_secs $chunk_modes" >>"$prog"
            tn=$((tn + n)) td=$((td + d)) th=$((th + h))
            tm=$(modes_add "$tm" "$chunk_modes")
            echo "fuzz-guest: progress $((i + c - start))/$count ($prog)"
            i=$((i + c))
        done
        echo "fuzz-guest: programs per mode: ${tm:-?}"
        echo "fuzz-guest: $tn programs, $td divergences, $th host faults/hangs"
        [ "$td" = 0 ] && [ "$th" = 0 ]
        ;;
    show)
        [ $# -eq 3 ] || { echo "usage: $0 show SEED INDEX" >&2; exit 2; }
        show "$2" "$3"
        ;;
    *)
        sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
