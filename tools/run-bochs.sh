#!/usr/bin/env bash
# tools/run-bochs.sh ISO OUTFILE [TIMEOUT_S]
#
# Boots ISO (a CD image, e.g. GRUB + multiboot kernel) in Bochs, headless and
# without stdin or a terminal. What the guest writes to port 0xE9 is streamed
# live to stdout and saved to OUTFILE; Bochs' own chatter goes to files:
#   BOCHS_LOG (default: OUTFILE with .bochs.log)  Bochs' log
#   OUTFILE.stderr   Bochs' stderr (messages before the log opens, exit reason)
#   OUTFILE.raw      Bochs' unfiltered stdout (e9 bytes + debugger lines)
#   OUTFILE.serial   what the guest sent to COM1
#   OUTFILE.bochsrc, OUTFILE.dbgrc   the generated configuration
# Exit status: 0 when the guest ended Bochs itself (the "Shutdown" port 0x8900
# or an ACPI power-off), 124 on timeout, 1 for anything else (Bochs panic,
# triple fault, configuration error, ...).
#
# Environment: MEGS (default 512), CPUS (default 1), BOCHS_LOG,
# BOCHS_EXTRA (lines appended to the bochsrc), BOCHS_DBG_RC (debugger command
# file; default: one "c"), BOCHS (binary, default bochs-bin or bochs).
set -u

usage() { echo "usage: $0 ISO OUTFILE [TIMEOUT_S]" >&2; exit 2; }
[ $# -ge 2 ] && [ $# -le 3 ] || usage
iso=$1
out=$2
timeout_s=${3:-120}
here=$(cd "$(dirname "$0")" && pwd)

[ -f "$iso" ] || { echo "run-bochs: no such ISO: $iso" >&2; exit 2; }
case $timeout_s in ''|*[!0-9]*) usage ;; esac

if [ -z "${BOCHS:-}" ]; then
    # bochs is a wrapper script that execs bochs-bin -q; call it directly.
    if command -v bochs-bin >/dev/null 2>&1; then BOCHS=bochs-bin
    elif command -v bochs >/dev/null 2>&1; then BOCHS=bochs
    else echo "run-bochs: bochs not installed (make deps)" >&2; exit 2
    fi
fi

mkdir -p "$(dirname "$out")"
abs() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$(pwd)" "$1" ;; esac; }
out=$(abs "$out")
iso=$(abs "$iso")
log=$(abs "${BOCHS_LOG:-${out%.*}.bochs.log}")
rc_file=$out.bochsrc
dbg_file=$out.dbgrc
serial=$out.serial
raw=$out.raw
errf=$out.stderr
rm -f "$out" "$log" "$serial" "$raw" "$errf"
mkdir -p "$(dirname "$log")"

# Configuration from the template (| as sed delimiter: paths hold /).
sed -e "s|@ISO@|$iso|g" -e "s|@MEGS@|${MEGS:-512}|g" -e "s|@CPUS@|${CPUS:-1}|g" \
    -e "s|@SERIAL@|$serial|g" -e "s|@LOG@|$log|g" "$here/bochsrc.in" > "$rc_file"
if [ -n "${BOCHS_EXTRA:-}" ]; then
    printf '%s\n' "$BOCHS_EXTRA" >> "$rc_file"
fi
# The Debian build has the internal debugger: it stops before the first
# instruction until told to continue.
if [ -n "${BOCHS_DBG_RC:-}" ]; then
    cp "$BOCHS_DBG_RC" "$dbg_file"
else
    echo c > "$dbg_file"
fi

# Bochs' stdout carries the e9 bytes and, around them, the debugger's lines:
# the banner and "Next at t=0" + the first instruction before the guest
# starts, and "(0).[ticks] [0x...] sel:rip (ctx): insn ; bytes" when it ends
# (possibly glued to the guest's last, unterminated line). Drop exactly those.
dbg_line='\([0-9]+\)(\.\[[0-9]+\])? \[0x[0-9a-f]+\] [0-9a-f]{4}:[0-9a-f]+ \([^)]*\): .*; [0-9a-f]+'
filter="
1,/^Next at t=[0-9]+\$/{
  /^(=+| +Bochs x86 Emulator .*| +Built from .*| +Timestamp: .*)\$/d
}
/^Next at t=[0-9]+\$/d
/^$dbg_line\$/d
s/$dbg_line\$//
s/^<bochs:[0-9]+> //
"

cd "$(dirname "$rc_file")" || exit 2
start=$(date +%s.%N)
timeout -k 5 "$timeout_s" "$BOCHS" -q -f "$rc_file" -rc "$dbg_file" \
        </dev/null 2>"$errf" \
    | tee "$raw" | sed -u -E "$filter" | tee "$out"
rc=${PIPESTATUS[0]}
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
ticks=$(sed -n -E 's/^0*([0-9]+)i\[SIM *\] quit_sim called.*/\1/p' "$log" 2>/dev/null | tail -n 1)
ticks=${ticks:-?}

if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "run-bochs: TIMEOUT: Bochs killed after ${timeout_s} s (log: $log)" >&2
    exit 124
fi
if grep -q -E 'Shutdown port: shutdown requested|ACPI control: soft power off' \
        "$log" "$errf" 2>/dev/null; then
    echo "run-bochs: guest ended Bochs after ${secs} s, ${ticks} ticks (log: $log)" >&2
    exit 0
fi
echo "run-bochs: FAILED: Bochs exited with status $rc after ${secs} s (log: $log)" >&2
# The exit reason (Bochs prints it to stderr), or the log's last lines.
if grep -q 'Bochs is exiting' "$errf" 2>/dev/null; then
    sed -n '/Bochs is exiting/,$p' "$errf" | grep -v '^=*$' | sed 's/^/run-bochs:   /' >&2
else
    tail -n 15 "$errf" "$log" 2>/dev/null | sed 's/^/run-bochs:   /' >&2
fi
exit 1
