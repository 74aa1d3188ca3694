#!/usr/bin/env bash
# tools/exit-profile.sh ELF ISO OUTDIR — the root-mode instructions of one
# VM exit of each kind, by function (make exit-profile; docs/PERF.md).
#
# ISO boots ELF (the test image, build/test.elf) with "test". Its basic
# 64-bit guest runs one benchmark loop per exit kind (tests/lib/proto.h
# BENCH_*), each between two host hypercalls; the harness calls
# bench_trace_on at the first and bench_trace_off at the second
# (tests/harness/hypercall.c). Bochs' debugger stops at both (physical
# breakpoints: the guest's code, at other host-physical addresses, never
# hits them), shortens every loop to PROFILE_ITERS exits (bench_profile_iters),
# and traces the executed instructions between the two stops; after the
# last kind it quits Bochs (about a minute in all).
#
# Bochs' trace has no root/non-root mark. A root-mode stretch starts at
# the VM-exit entry point (x86vcpu__vmx_exit, the VMCS host RIP) and ends
# with the VMRESUME/VMLAUNCH that enters the guest again (SDM 27.5,
# 26.1): from the exit to the next entry, everything the host executed
# (library and embedder). Of the PROFILE_ITERS complete stretches of a
# kind the median one is reported; RIPs are symbolized with `nm -n ELF`
# and `addr2line -i` (inlined helpers). The mean of each kind's traced
# exits is checked against the same run's BENCH line (ticks the loop's
# exits added over bare Bochs, over those same exits): a disagreement of
# more than 1% fails the tool.
#
# Output: OUTDIR/profile.txt (also printed), OUTDIR/trace.raw (Bochs'
# stdout with the trace), OUTDIR/run.* (tools/run-bochs.sh's files).
# Environment: PROFILE_ITERS (default 4, even), PROFILE_TIMEOUT (s, 300),
# PROFILE_REUSE=1 (analyse OUTDIR/trace.raw again, no Bochs run).
set -u

[ $# -eq 3 ] || { echo "usage: $0 ELF ISO OUTDIR" >&2; exit 2; }
elf=$1 iso=$2 outdir=$3
here=$(cd "$(dirname "$0")" && pwd)
iters=${PROFILE_ITERS:-4}
timeout_s=${PROFILE_TIMEOUT:-300}
# The order in which tests/guests/basic.c's bench() runs the kinds.
kinds="CPUID|OUT|OUT (port handler)|OUT (port handler, run loop)|IN|IN (port handler)|RDMSR (embedder)|WRMSR (embedder)|RDMSR (library)|WRMSR (library)|HLT|HLT wake-up (with the guest's handler)|MMIO read|VMCALL|MOV to CR4|XSETBV"
nkinds=16

mkdir -p "$outdir"
sym() { nm "$elf" | awk -v s="$1" '$3 == s { print $1; exit }'; }
on=$(sym bench_trace_on) off=$(sym bench_trace_off)
iters_var=$(sym bench_profile_iters) vmexit=$(sym x86vcpu__vmx_exit)
for v in on off iters_var vmexit; do
    [ -n "${!v}" ] || { echo "exit-profile: symbol for $v not in $elf" >&2; exit 1; }
done

# Debugger script: two physical breakpoints; at each kind's first stop set
# the loop count and trace, at its second stop stop tracing.
rc=$outdir/profile.dbgrc
{
    echo "pb 0x$on"
    echo "pb 0x$off"
    echo "c"
    echo "setpmem 0x$iters_var 4 $iters"
    for _ in $(seq "$nkinds"); do
        echo "trace on"
        echo "c"
        echo "trace off"
        echo "c"
    done
    echo "quit"
} > "$rc"

if [ -n "${PROFILE_REUSE:-}" ] && [ -s "$outdir/trace.raw" ]; then
    echo "exit-profile: reusing $outdir/trace.raw" >&2
else
    echo "exit-profile: booting $iso (trace of $iters exits per kind)" >&2
    BOCHS_DBG_RC=$rc BOCHS_LOG=$outdir/run.bochs.log \
        "$here/run-bochs.sh" "$iso" "$outdir/run.out" "$timeout_s" >/dev/null 2>"$outdir/run.status"
    cp "$outdir/run.out.raw" "$outdir/trace.raw"
    cp "$elf" "$outdir/traced.elf"  # what the trace's RIPs belong to
fi
elf=$outdir/traced.elf

# Text symbols, ascending, for the RIP -> function lookup; and for every
# RIP traced, the innermost function (addr2line -i: the library is built
# -O2, static helpers are inlined): "RIP inner" lines.
nm -n "$elf" | awk '$2 ~ /^[tTwW]$/ { print $1, $3 }' > "$outdir/symbols.txt"
sed -n -E 's/^\([0-9]+\)(\.\[[0-9]+\])? \[0x[0-9a-f]+\] [0-9a-f]+:([0-9a-f]+) .*/\2/p' \
    "$outdir/trace.raw" | sort -u | sed 's/^/0x/' |
    addr2line -f -i -a -e "$elf" |
    awk '/^0x/ { a = $1; sub(/^0x0*/, "", a); k = 0; next }
         k == 0 { fnm = $1; k = 1; next }
         k == 1 { if ($1 !~ /\.S:/) print a, fnm; k = 2 }' > "$outdir/inline.txt"
# (Assembly, entry.S, has line information but no functions: left to nm.)

awk -v vmexit="$vmexit" -v kinds="$kinds" -v nkinds="$nkinds" -v iters="$iters" '
function hex(s,   i, c, v) {
    v = 0; s = tolower(s)
    for (i = 1; i <= length(s); i++) {
        c = index("0123456789abcdef", substr(s, i, 1)) - 1
        v = v * 16 + c
    }
    return v
}
function fn(a,   lo, hi, mid) {      # largest symbol <= a
    if (a in cache) return cache[a]
    lo = 1; hi = nsym
    if (nsym == 0 || a < saddr[1]) return (cache[a] = "?")
    while (lo < hi) {
        mid = int((lo + hi + 1) / 2)
        if (saddr[mid] <= a) lo = mid; else hi = mid - 1
    }
    return (cache[a] = sname[lo])
}
FILENAME == ARGV[1] { nsym++; saddr[nsym] = hex($1); sname[nsym] = $2; next }
FILENAME == ARGV[2] { inner[hex($1)] = $2; next }
FILENAME == ARGV[3] {                    # the same run'"'"'s BENCH lines
    if (match($0, /^BENCH .* exit round trip: /)) {
        nm = $0; sub(/^BENCH /, "", nm); sub(/ exit round trip: .*/, "", nm)
        ad = $0; sub(/.*added by the exit /, "", ad); sub(/ ticks.*/, "", ad)
        added[nm] = ad + 0
    }
    next
}
/Breakpoint [0-9]+, / {
    if (!inblock) { kind++; inblock = 1; inroot = 1; seg = 0; cur = 0 }
    else { inblock = 0; close_kind() }
    skipnext = 1
    next
}
/^Next at t=/ { skipnext = 1; next }
/^\([0-9]+\)(\.\[[0-9]+\])? \[0x[0-9a-f]+\] [0-9a-f]+:[0-9a-f]+ \(/ {
    if (skipnext) { skipnext = 0; next }   # the next instruction, shown at a stop
    if (!inblock) next
    split($3, cs, ":"); rip = hex(cs[2])
    insn = $0; sub(/^[^)]*\)[^)]*\): /, "", insn); sub(/ ;.*/, "", insn)
    if (!inroot && rip == vmexit_a) { inroot = 1; seg++; cur = seg; n[cur] = 0 }
    if (inroot && cur) {
        # The function the RIP is in; "inner < outer" when inlined there.
        n[cur]++; f = fn(rip)
        if ((rip in inner) && inner[rip] != f && inner[rip] != "??") f = inner[rip] " < " f
        cnt[cur, f]++
        if (!((cur, f) in seen)) { seen[cur, f] = 1; fl[cur] = fl[cur] SUBSEP f }
    }
    if (inroot && insn ~ /^(vmresume|vmlaunch)/) {
        if (cur) done[cur] = 1
        inroot = 0; cur = 0
    }
    next
}
function close_kind(   i, j, m, c, t, name, list, nf, order, tmp, mean, d) {
    m = 0
    for (i = 1; i <= seg; i++) if (done[i]) { m++; c[m] = n[i]; idx[m] = i }
    split(kinds, names, "|"); name = (kind in names) ? names[kind] : "kind " kind
    if (m == 0) { printf "== %s: no complete exit traced\n\n", name; reset(); return }
    # median by length
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
        if (c[j] < c[i]) { t = c[i]; c[i] = c[j]; c[j] = t; t = idx[i]; idx[i] = idx[j]; idx[j] = t }
    pick = idx[int((m + 1) / 2)]
    printf "== %s exit: %d root-mode instructions from VM exit to VM entry", name, n[pick]
    printf " (median of %d exits:", m
    for (i = 1; i <= m; i++) printf " %d", c[i]
    printf ")\n"
    # Cross-check: the BENCH line of the same loop (guest ticks - bare
    # ticks, averaged over the exits) must agree with the trace.
    if (!(name in added)) { printf "   MISMATCH: no BENCH line for %s\n", name; bad++ }
    else if (name ~ /guest.s handler/)    # guest instructions are in its ticks too
        printf "   (the BENCH line of this run: %s, with the interrupt delivery and the guest handler)\n", added[name]
    else {
        # The BENCH line is the mean over the same traced exits (a first
        # exit may differ: a kept answer filled, guest_cpuid.c msr_hidden).
        mean = 0; for (i = 1; i <= m; i++) mean += c[i]; mean /= m
        d = added[name] - mean; if (d < 0) d = -d
        if (d > 3 && d * 100 > mean) {
            printf "   MISMATCH: the BENCH line says %s added by the exit (mean of the traced exits %.1f)\n", added[name], mean; bad++
        } else printf "   (the BENCH line of this run: %s added by the exit, the mean of the traced exits)\n", added[name]
    }
    nf = split(substr(fl[pick], 2), list, SUBSEP)
    for (i = 1; i <= nf; i++) order[i] = list[i]
    for (i = 1; i <= nf; i++) for (j = i + 1; j <= nf; j++)
        if (cnt[pick, order[j]] > cnt[pick, order[i]]) { tmp = order[i]; order[i] = order[j]; order[j] = tmp }
    printf "   %6s  %s\n", "insns", "function (inner < outer: inlined)"
    for (i = 1; i <= nf; i++) printf "   %6d  %s\n", cnt[pick, order[i]], order[i]
    printf "\n"
    reportd++
    reset()
}
function reset(   k) {
    for (k in n) delete n[k]; for (k in done) delete done[k]
    for (k in cnt) delete cnt[k]; for (k in seen) delete seen[k]; for (k in fl) delete fl[k]
    seg = 0; cur = 0
}
BEGIN { vmexit_a = hex(vmexit) }
END {
    if (reportd < nkinds) printf "exit-profile: %d of %d kinds profiled\n", reportd, nkinds > "/dev/stderr"
    exit reportd == 0 || bad > 0
}
' "$outdir/symbols.txt" "$outdir/inline.txt" "$outdir/run.out" "$outdir/trace.raw" | tee "$outdir/profile.txt"
st=${PIPESTATUS[0]}
[ "$st" = 0 ] || { echo "exit-profile: FAILED (see $outdir/run.status, $outdir/trace.raw)" >&2; exit 1; }
echo "exit-profile: $outdir/profile.txt" >&2
