/* tests/mbk/lapic.c — the local APIC of issue 13, in xAPIC then in x2APIC
 * mode (SDM Vol. 3A chapter 11):
 *   timer     one-shot (fires once, TMCCT reaches 0 and stays), periodic
 *             (reloads), masked LVT (counts, no interrupt), TMICT = 0
 *             stops, divide configuration (TMCCT decrements at 1/divisor
 *             of the rate at divide by 1: coarse bounds, x0.5 to x2),
 *             TSC-deadline (CPUID.1:ECX[24], 11.5.4.1: fires at or after
 *             the deadline, 0 disarms, a past deadline fires at once, a
 *             mode change disarms);
 *   priority  TPR holds back vectors of class <= TPR[7:4] (they wait in
 *             IRR until TPR drops), PPR = TPR or the in-service class
 *             (11.8.3.1) read in the handler and outside, two pending
 *             vectors are taken higher first, a higher class preempts a
 *             handler and a lower one waits for its EOI, EOI clears the
 *             highest ISR bit (11.8.5);
 *   self-IPI  ICR with the self shorthand, ICR to the own APIC ID, x2APIC
 *             SELF IPI (83FH, 11.12.11); vector < 16 is refused and noted
 *             in ESR (11.5.3);
 *   CR8       from 64-bit mode (the kernel enters long mode with
 *             interrupts off and comes back): MOV to CR8 sets TPR[7:4],
 *             MOV from CR8 reads it (10.8.6.1);
 *   MSRs      x2APIC (11.12.1.2, Table 11-6): reserved offsets #GP on
 *             RDMSR and WRMSR, writes of read-only registers and reads of
 *             write-only ones #GP, reserved bits of TPR/EOI/ESR #GP; the
 *             x2APIC MSRs #GP in xAPIC mode.
 * The main run prints the same bytes on bare Bochs 2.7. Where Bochs
 * differs from the SDM the checks are kept for strict=1, which the guest
 * runs alone use:
 *   - 82FH #GP without a CMCI LVT (Bochs reads it with Max LVT 5); SELF
 *     IPI bit 8, DCR bit 2, ICR bit 20 #GP (Bochs takes them);
 *   - ESR after a self-IPI with vector < 16 is exactly "send illegal
 *     vector" (bit 5; Bochs notes "receive illegal vector", bit 6);
 *   - IA32_TSC_DEADLINE reads 0 once the timer fired (Bochs keeps it);
 *   - a vector of the in-service class waits for the EOI (Bochs raises
 *     INTR for it and then acknowledges the spurious vector).
 * bench=1 (not in the bare run, whose output must not vary): "# BENCH"
 * notes in TSC ticks per operation: MOV to / from CR8 in 64-bit mode, EOI
 * (nothing in service, and in service from a handler), a one-shot timer
 * with a count of 1 and a TSC deadline of "now" from the write to the
 * handler, self-IPI round trips (ICR shorthand, x2APIC SELF IPI); xAPIC
 * and x2APIC. checks=0 skips the checks (bench alone). */
#include "libtest.h"

#include "apicregs.h"

#define APIC_EN         (1u << 11)
#define APIC_EXTD       (1u << 10)

#define XAPIC_PPR       0x0A0
#define XAPIC_ESR       0x280
#define XAPIC_IRR0      0x200
#define XAPIC_LVT_ERROR 0x370
#define XAPIC_SELF_IPI  0x3F0   /* x2APIC only: MSR 83FH */
#define MSR_TSC_DEADLINE 0x6E0
#define LVT_TSC_DEADLINE (2u << 17)
#define ICR_SELF        (1u << 18)
#define ICR_ASSERT      (1u << 14)
#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_RECV_ILLEGAL (1u << 6)

#define VEC_TIMER       0x40
#define VEC_DEADLINE    0x41
#define VEC_BENCH_TIMER 0x42
#define VEC_LOW         0x50
#define VEC_LOW2        0x5F    /* same class as VEC_LOW */
#define VEC_MID         0x60
#define VEC_IPI         0x70
#define VEC_BENCH_IPI   0x72
#define VEC_HIGH        0x80
#define VEC_SPURIOUS    0xFF

#define ONESHOT_COUNT   100000u
#define PERIOD          200000u
#define WAIT_MAX        50000000ull     /* ticks: "never came" */

static u32 apic_base = 0xFEE00000u;
static int x2, strict, bench, checks = 1;
static const char *mname = "xAPIC";
static u32 my_id;

/* ------------------------------------------------------------ registers */
static u32 ar(u32 off)
{
    if (x2) {
        u64 v = 0;
        rdmsr_safe(X2APIC_MSR(off), &v);
        return (u32)v;
    }
    return mmio_read32(apic_base + off);
}
static void aw(u32 off, u32 v)
{
    if (x2)
        wrmsr_safe(X2APIC_MSR(off), v);
    else
        mmio_write32(apic_base + off, v);
}
static void eoi(void) { aw(XAPIC_EOI, 0); }
static int isr_bit(u32 v) { return (ar(XAPIC_ISR0 + (v >> 5) * 0x10) >> (v & 31)) & 1; }
static int irr_bit(u32 v) { return (ar(XAPIC_IRR0 + (v >> 5) * 0x10) >> (v & 31)) & 1; }
static u32 isr_any(void)
{
    u32 any = 0;
    for (u32 i = 0; i < 8; i++)
        any |= ar(XAPIC_ISR0 + i * 0x10);
    return any;
}
static u32 irr_any(void)
{
    u32 any = 0;
    for (u32 i = 1; i < 8; i++)     /* IRR0 holds vectors 0-31 only */
        any |= ar(XAPIC_IRR0 + i * 0x10);
    return any;
}

/* Self-IPIs, fixed, edge. */
static void ipi_shorthand(u32 vec)
{
    if (x2)
        wrmsr_safe(X2APIC_MSR(XAPIC_ICR_LO), vec | ICR_ASSERT | ICR_SELF);
    else
        aw(XAPIC_ICR_LO, vec | ICR_ASSERT | ICR_SELF);
}
static void ipi_dest(u32 vec)
{
    if (x2) {
        wrmsr_safe(X2APIC_MSR(XAPIC_ICR_LO), ((u64)my_id << 32) | vec | ICR_ASSERT);
    } else {
        aw(XAPIC_ICR_HI, my_id << 24);
        aw(XAPIC_ICR_LO, vec | ICR_ASSERT);
    }
}
static void ipi_self_msr(u32 vec) { wrmsr_safe(0x83F, vec); }

static u64 tsc(void)
{
    u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

/* u64 / u32 without the compiler's helper (the kernel has no libgcc). */
static u64 div64(u64 n, u32 d)
{
    u64 q = 0, r = 0;
    for (int i = 63; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1);
        if (r >= d) {
            r -= d;
            q |= 1ull << i;
        }
    }
    return q;
}

/* --------------------------------------------------------------- handler */
/* One handler for every vector under test: counts, order of entries
 * (v) and exits (0x100 | v), PPR, TSC and ISR/IRR bits at entry; then
 * optionally sends inner[v] to itself and waits with interrupts on (for
 * its arrival, or a bounded while when it must not come), then EOI.
 * snap(): bit 0 ISR[snap_a], 1 ISR[snap_b], 2 IRR[snap_a], 3 IRR[snap_b];
 * after_inner: snap() after the inner wait, bit 4 = the inner vector came. */
static volatile u32 cnt[256];
static volatile u32 seq[32], nseq;
static volatile u32 ppr_at[256], snap_at[256], after_inner[256];
static volatile u64 tsc_at[256];
static volatile u32 inner[256], inner_wait[256];
static volatile u32 eoi_ticks, eoi_count, time_eoi;
static u32 snap_a = VEC_LOW, snap_b = VEC_HIGH;

static u32 snap(void)
{
    return (u32)isr_bit(snap_a) | (u32)isr_bit(snap_b) << 1 | (u32)irr_bit(snap_a) << 2 |
           (u32)irr_bit(snap_b) << 3;
}

static void log_seq(u32 v)
{
    if (nseq < 32)
        seq[nseq++] = v;
}

static void on_irq(struct trap_frame *f)
{
    u32 v = (u32)f->vec & 0xff;
    tsc_at[v] = tsc();
    cnt[v]++;
    log_seq(v);
    if (!time_eoi) {
        ppr_at[v] = ar(XAPIC_PPR);
        snap_at[v] = snap();
    }
    if (inner[v]) {
        u32 iv = inner[v], before = cnt[iv];
        inner[v] = 0;
        ipi_shorthand(iv);
        sti();
        u64 t0 = tsc();
        while (cnt[iv] == before && tsc() - t0 < inner_wait[v])
            cpu_pause();
        cli();
        after_inner[v] = snap() | (cnt[iv] != before) << 4;
    }
    if (time_eoi) {
        u64 t0 = tsc();
        eoi();
        eoi_ticks += (u32)(tsc() - t0);
        eoi_count++;
    } else {
        eoi();
    }
    log_seq(0x100 | v);
}

static volatile u32 n_spurious;
static void on_spurious(struct trap_frame *f) { (void)f; n_spurious++; }

static void reset_log(void)
{
    nseq = 0;
    for (u32 i = 0; i < 32; i++)
        seq[i] = 0;
}

/* With interrupts on until *c reaches target or max ticks passed. */
static int wait_cnt(volatile u32 *c, u32 target, u64 max)
{
    u64 t0 = tsc();
    sti();
    while (*c < target && tsc() - t0 < max)
        cpu_pause();
    cli();
    return *c >= target;
}
static void idle(u64 ticks)
{
    u64 t0 = tsc();
    sti();
    while (tsc() - t0 < ticks)
        cpu_pause();
    cli();
}

/* ----------------------------------------------------------------- timer */
static int timer_armed(void) { return ar(XAPIC_TMCCT) != 0; }

static void test_oneshot(void)
{
    aw(XAPIC_TDCR, 0xB);                            /* divide by 1 */
    aw(XAPIC_LVT_TIMER, VEC_TIMER);                 /* one-shot */
    check_eq(ar(XAPIC_LVT_TIMER) & 0x700FF, VEC_TIMER, "%s one-shot: LVT timer reads back", mname);
    u32 c0 = cnt[VEC_TIMER];
    aw(XAPIC_TMICT, ONESHOT_COUNT);
    u32 cur = ar(XAPIC_TMCCT);
    check(cur > 0 && cur <= ONESHOT_COUNT, "%s one-shot: 0 < TMCCT <= TMICT while counting", mname);
    check_eq(ar(XAPIC_TMICT), ONESHOT_COUNT, "%s one-shot: TMICT reads back", mname);
    check(wait_cnt(&cnt[VEC_TIMER], c0 + 1, WAIT_MAX), "%s one-shot: fires", mname);
    check_eq(ar(XAPIC_TMCCT), 0, "%s one-shot: TMCCT 0 after firing", mname);
    idle(3 * ONESHOT_COUNT);
    check_eq(cnt[VEC_TIMER] - c0, 1, "%s one-shot: fired exactly once", mname);
    check_eq(ar(XAPIC_TMCCT), 0, "%s one-shot: TMCCT stays 0", mname);
}

static void test_periodic(void)
{
    u32 hlts, spur;
    aw(XAPIC_TDCR, 0xB);
    aw(XAPIC_LVT_TIMER, VEC_TIMER | LVT_PERIODIC);
    check_eq(ar(XAPIC_LVT_TIMER) & 0x700FF, VEC_TIMER | LVT_PERIODIC, "%s periodic: LVT timer reads back",
             mname);
    u32 c0 = cnt[VEC_TIMER];
    aw(XAPIC_TMICT, PERIOD);
    int r = wait_irqs(&cnt[VEC_TIMER], c0 + 1, NULL, &hlts, &spur);
    check_eq((u32)r, 0, "%s periodic: first tick", mname);
    u32 cur = ar(XAPIC_TMCCT);
    check(cur > 0 && cur <= PERIOD, "%s periodic: TMCCT reloaded after a tick", mname);
    r = wait_irqs(&cnt[VEC_TIMER], c0 + 4, timer_armed, &hlts, &spur);
    /* Just after a tick: the next is a period away. TMICT = 0 stops. */
    aw(XAPIC_TMICT, 0);
    check_eq((u32)r, 0, "%s periodic: 4 ticks", mname);
    check_eq(hlts, 2, "%s periodic: each HLT woken by a tick", mname);
    check_eq(spur, 0, "%s periodic: no HLT wake-up without a tick", mname);
    check_eq(ar(XAPIC_TMCCT), 0, "%s TMICT = 0: TMCCT reads 0", mname);
    idle(3 * PERIOD);
    check_eq(cnt[VEC_TIMER] - c0, 4, "%s TMICT = 0: no tick after it", mname);
    check_eq(isr_any(), 0, "%s periodic: ISR clear after the EOIs", mname);
}

static void test_masked(void)
{
    aw(XAPIC_TDCR, 0xB);
    aw(XAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    u32 c0 = cnt[VEC_TIMER];
    aw(XAPIC_TMICT, ONESHOT_COUNT);
    u32 a = ar(XAPIC_TMCCT);
    u64 t0 = tsc();
    while (tsc() - t0 < ONESHOT_COUNT / 4)
        cpu_pause();
    u32 b = ar(XAPIC_TMCCT);
    check(a > 0 && b < a, "%s masked LVT: TMCCT counts down", mname);
    t0 = tsc();
    while (ar(XAPIC_TMCCT) && tsc() - t0 < WAIT_MAX)
        cpu_pause();
    check_eq(ar(XAPIC_TMCCT), 0, "%s masked LVT: TMCCT reaches 0", mname);
    idle(ONESHOT_COUNT);
    check_eq(cnt[VEC_TIMER] - c0, 0, "%s masked LVT: no interrupt", mname);
    check_eq(irr_bit(VEC_TIMER), 0, "%s masked LVT: nothing in IRR", mname);
}

/* TMCCT decrements over a window of `win` TSC ticks, scaled to the ticks
 * measured: counts * 2^16 / tick. */
static u32 rate(u32 dcr, u32 win)
{
    aw(XAPIC_TDCR, dcr);
    aw(XAPIC_TMICT, 0xFFFFFFFFu);
    u64 t0 = tsc();
    u32 c0 = ar(XAPIC_TMCCT);
    while (tsc() - t0 < win)
        cpu_pause();
    u32 c1 = ar(XAPIC_TMCCT);
    u64 dt = tsc() - t0;
    aw(XAPIC_TMICT, 0);
    return (u32)div64((u64)(c0 - c1) << 16, (u32)dt);
}

static void test_divide(void)
{
    static const struct { u32 dcr, div; } d[] = {
        { 0xB, 1 }, { 0x0, 2 }, { 0x1, 4 }, { 0x3, 16 }, { 0xA, 128 },
    };
    aw(XAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    u32 r1 = 0;
    for (u32 i = 0; i < sizeof d / sizeof d[0]; i++) {
        u32 r = rate(d[i].dcr, 1000000);
        check_eq(ar(XAPIC_TDCR), d[i].dcr, "%s DCR 0x%x reads back", mname, d[i].dcr);
        if (i == 0) {
            r1 = r;
            check(r1 > 0, "%s divide by 1: TMCCT counts", mname);
            continue;
        }
        /* r1 / r ~ div: coarse, x0.5 to x2 (no flaky timing). */
        check(2 * (u64)r * d[i].div >= r1 && (u64)r * d[i].div <= 2 * (u64)r1,
              "%s divide by %u: TMCCT at ~1/%u of the divide-by-1 rate", mname, d[i].div, d[i].div);
    }
    aw(XAPIC_TDCR, 0xB);
}

static int has_deadline;

static void test_deadline(void)
{
    if (!has_deadline)
        return;
    aw(XAPIC_TMICT, 0);
    u64 v = 1;
    aw(XAPIC_LVT_TIMER, VEC_DEADLINE);
    check_fault(rdmsr_safe(MSR_TSC_DEADLINE, &v), NOFAULT, "%s RDMSR IA32_TSC_DEADLINE", mname);
    check_eq(v, 0, "%s IA32_TSC_DEADLINE reads 0 outside TSC-deadline mode", mname);
    aw(XAPIC_LVT_TIMER, VEC_DEADLINE | LVT_TSC_DEADLINE);
    check_eq(ar(XAPIC_LVT_TIMER) & 0x700FF, VEC_DEADLINE | LVT_TSC_DEADLINE,
             "%s LVT timer: TSC-deadline mode reads back", mname);

    /* Armed far away: reads back; TMCCT reads 0 in this mode; 0 disarms. */
    u32 c0 = cnt[VEC_DEADLINE];
    u64 dl = tsc() + 10000000;
    wrmsr(MSR_TSC_DEADLINE, dl);
    v = 0;
    rdmsr_safe(MSR_TSC_DEADLINE, &v);
    check_eq(v, dl, "%s TSC-deadline: IA32_TSC_DEADLINE reads back while armed", mname);
    check_eq(ar(XAPIC_TMCCT), 0, "%s TSC-deadline: TMCCT reads 0", mname);
    wrmsr(MSR_TSC_DEADLINE, 0);
    v = 1;
    rdmsr_safe(MSR_TSC_DEADLINE, &v);
    check_eq(v, 0, "%s TSC-deadline: 0 written reads 0", mname);
    wrmsr(MSR_TSC_DEADLINE, tsc() + 200000);
    wrmsr(MSR_TSC_DEADLINE, 0);
    idle(400000);
    check_eq(cnt[VEC_DEADLINE] - c0, 0, "%s TSC-deadline: writing 0 disarms", mname);

    /* Never before the deadline. */
    u32 early = 0, fired = 0;
    for (u32 i = 0; i < 5; i++) {
        c0 = cnt[VEC_DEADLINE];
        dl = tsc() + 20000ull * (i + 1);
        wrmsr(MSR_TSC_DEADLINE, dl);
        fired += wait_cnt(&cnt[VEC_DEADLINE], c0 + 1, WAIT_MAX);
        early += tsc_at[VEC_DEADLINE] < dl;
        if (strict && i == 0) {
            v = 1;
            rdmsr_safe(MSR_TSC_DEADLINE, &v);
            check_eq(v, 0, "%s TSC-deadline: reads 0 once fired (strict)", mname);
        }
    }
    check_eq(fired, 5, "%s TSC-deadline: 5 deadlines fired", mname);
    check_eq(early, 0, "%s TSC-deadline: RDTSC in the handler >= the deadline", mname);

    /* A deadline in the past fires at once. */
    c0 = cnt[VEC_DEADLINE];
    dl = tsc() - 1000;
    wrmsr(MSR_TSC_DEADLINE, dl);
    check(wait_cnt(&cnt[VEC_DEADLINE], c0 + 1, 200000), "%s TSC-deadline: a past deadline fires at once",
          mname);
    check_eq(cnt[VEC_DEADLINE] - c0, 1, "%s TSC-deadline: a past deadline fires once", mname);

    /* A mode change disarms (11.5.4.1), and back does not re-arm. */
    c0 = cnt[VEC_DEADLINE];
    wrmsr(MSR_TSC_DEADLINE, tsc() + 200000);
    aw(XAPIC_LVT_TIMER, VEC_DEADLINE);              /* to one-shot */
    idle(400000);
    aw(XAPIC_LVT_TIMER, VEC_DEADLINE | LVT_TSC_DEADLINE);
    idle(200000);
    check_eq(cnt[VEC_DEADLINE] - c0, 0, "%s TSC-deadline: an LVT mode change disarms", mname);
    aw(XAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    check_eq(isr_any(), 0, "%s TSC-deadline: ISR clear after the EOIs", mname);
}

/* -------------------------------------------------------------- priority */
static void test_priority(void)
{
    aw(XAPIC_TPR, 0);
    check_eq(ar(XAPIC_PPR), 0, "%s PPR 0 with TPR 0 and nothing in service", mname);
    aw(XAPIC_TPR, 0x3A);
    check_eq(ar(XAPIC_TPR), 0x3A, "%s TPR reads back", mname);
    check_eq(ar(XAPIC_PPR), 0x3A, "%s PPR = TPR (all 8 bits) with nothing in service", mname);

    /* TPR class 5 holds back 0x50, lets 0x60 through. */
    aw(XAPIC_TPR, 0x50);
    u32 lo0 = cnt[VEC_LOW], mid0 = cnt[VEC_MID];
    ipi_shorthand(VEC_LOW);
    ipi_shorthand(VEC_MID);
    check(wait_cnt(&cnt[VEC_MID], mid0 + 1, WAIT_MAX), "%s TPR 0x50: vector 0x60 delivered", mname);
    check_eq(ppr_at[VEC_MID], 0x60, "%s TPR 0x50: PPR 0x60 in the 0x60 handler", mname);
    idle(50000);
    check_eq(cnt[VEC_LOW] - lo0, 0, "%s TPR 0x50: vector 0x50 (class = TPR class) held back", mname);
    check_eq(irr_bit(VEC_LOW), 1, "%s TPR 0x50: vector 0x50 waits in IRR", mname);
    check_eq(ar(XAPIC_PPR), 0x50, "%s TPR 0x50: PPR 0x50 outside the handler", mname);
    aw(XAPIC_TPR, 0x40);
    check(wait_cnt(&cnt[VEC_LOW], lo0 + 1, WAIT_MAX), "%s TPR 0x40: vector 0x50 delivered", mname);
    check_eq(irr_bit(VEC_LOW), 0, "%s TPR 0x40: IRR bit 0x50 clear", mname);
    check_eq(ppr_at[VEC_LOW], 0x50, "%s TPR 0x40: PPR 0x50 in the 0x50 handler", mname);
    aw(XAPIC_TPR, 0);

    /* Two pending: the higher first; both in IRR before. */
    reset_log();
    snap_a = VEC_LOW;
    snap_b = VEC_HIGH;
    ipi_shorthand(VEC_LOW);
    ipi_shorthand(VEC_HIGH);
    check_eq(irr_bit(VEC_LOW) && irr_bit(VEC_HIGH), 1, "%s IRR bits 0x50 and 0x80 read back set", mname);
    check_eq(isr_any(), 0, "%s ISR empty while both pend", mname);
    check_eq(ar(XAPIC_PPR), 0, "%s PPR 0 while both pend", mname);
    lo0 = cnt[VEC_LOW];
    check(wait_cnt(&cnt[VEC_LOW], lo0 + 1, WAIT_MAX), "%s both delivered", mname);
    check(nseq == 4 && seq[0] == VEC_HIGH && seq[1] == (0x100 | VEC_HIGH) && seq[2] == VEC_LOW &&
              seq[3] == (0x100 | VEC_LOW),
          "%s two pending: 0x80 taken and ended before 0x50", mname);
    /* In the 0x80 handler: ISR 0x80, IRR 0x50 (bits: ISR a, ISR b, IRR a, IRR b). */
    check_eq(snap_at[VEC_HIGH], 0x6, "%s in the 0x80 handler: ISR 0x80 set, 0x50 still in IRR", mname);
    check_eq(ppr_at[VEC_HIGH], 0x80, "%s in the 0x80 handler: PPR 0x80", mname);
    check_eq(snap_at[VEC_LOW], 0x1, "%s in the 0x50 handler: only ISR 0x50 set", mname);

    /* A higher class preempts the 0x50 handler; EOI clears the highest
     * ISR bit (0x80), 0x50 stays in service. */
    reset_log();
    inner[VEC_LOW] = VEC_HIGH;
    inner_wait[VEC_LOW] = WAIT_MAX;
    lo0 = cnt[VEC_LOW];
    ipi_shorthand(VEC_LOW);
    check(wait_cnt(&cnt[VEC_LOW], lo0 + 1, WAIT_MAX), "%s nested: 0x50 delivered", mname);
    check(nseq == 4 && seq[0] == VEC_LOW && seq[1] == VEC_HIGH && seq[2] == (0x100 | VEC_HIGH) &&
              seq[3] == (0x100 | VEC_LOW),
          "%s nested: 0x80 preempts the 0x50 handler", mname);
    check_eq(ppr_at[VEC_HIGH], 0x80, "%s nested: PPR 0x80 in the inner handler", mname);
    check_eq(snap_at[VEC_HIGH], 0x3, "%s nested: ISR 0x50 and 0x80 both set in the inner handler", mname);
    check_eq(after_inner[VEC_LOW], 0x11, "%s nested: the EOI cleared 0x80 (the highest), 0x50 in service",
             mname);

    /* A lower class waits for the EOI of the 0x80 handler. */
    reset_log();
    inner[VEC_HIGH] = VEC_LOW;
    inner_wait[VEC_HIGH] = 100000;
    lo0 = cnt[VEC_LOW];
    ipi_shorthand(VEC_HIGH);
    check(wait_cnt(&cnt[VEC_LOW], lo0 + 1, WAIT_MAX), "%s blocked: 0x50 delivered after all", mname);
    check_eq(after_inner[VEC_HIGH], 0x6, "%s blocked: 0x50 waits in IRR while 0x80 is in service", mname);
    check(nseq == 4 && seq[0] == VEC_HIGH && seq[1] == (0x100 | VEC_HIGH) && seq[2] == VEC_LOW,
          "%s blocked: 0x50 taken after the 0x80 handler's EOI", mname);

    if (strict) {
        /* SDM 11.8.3.1: same class as the one in service: not above PPR. */
        reset_log();
        snap_a = VEC_LOW;
        snap_b = VEC_LOW2;
        inner[VEC_LOW] = VEC_LOW2;
        inner_wait[VEC_LOW] = 100000;
        u32 l20 = cnt[VEC_LOW2];
        ipi_shorthand(VEC_LOW);
        check(wait_cnt(&cnt[VEC_LOW2], l20 + 1, WAIT_MAX), "%s same class: 0x5F delivered after all (strict)",
              mname);
        check_eq(after_inner[VEC_LOW], 0x9, "%s same class: 0x5F waits while 0x50 is in service (strict)",
                 mname);
        snap_a = VEC_LOW;
        snap_b = VEC_HIGH;
    }
    check_eq(isr_any(), 0, "%s priority: ISR clear at the end", mname);
    check_eq(irr_any(), 0, "%s priority: IRR clear at the end", mname);
    check_eq(ar(XAPIC_PPR), 0, "%s priority: PPR 0 at the end", mname);
}

/* ---------------------------------------------------------------- self-IPI */
static void test_ipi(void)
{
    u32 c0 = cnt[VEC_IPI];
    ipi_shorthand(VEC_IPI);
    check(wait_cnt(&cnt[VEC_IPI], c0 + 1, WAIT_MAX), "%s ICR self shorthand: delivered", mname);
    check_eq(ar(XAPIC_ICR_LO) & (1u << 12), 0, "%s ICR delivery status idle", mname);
    ipi_dest(VEC_IPI);
    check(wait_cnt(&cnt[VEC_IPI], c0 + 2, WAIT_MAX), "%s ICR to the own APIC ID: delivered", mname);
    if (x2) {
        check_fault(wrmsr_safe(0x83F, VEC_IPI), NOFAULT, "x2APIC WRMSR SELF IPI");
        check(wait_cnt(&cnt[VEC_IPI], c0 + 3, WAIT_MAX), "x2APIC SELF IPI: delivered");
    }
    idle(20000);
    check_eq(cnt[VEC_IPI] - c0, x2 ? 3 : 2, "%s self-IPIs: each delivered once", mname);

    /* Vector < 16: refused (11.5.2), noted in ESR (11.5.3). The error LVT
     * stays masked: no error interrupt. */
    aw(XAPIC_ESR, 0);
    aw(XAPIC_ESR, 0);
    check_eq(ar(XAPIC_ESR), 0, "%s ESR 0 before", mname);
    for (u32 k = 0; k < (x2 ? 2u : 1u); k++) {
        const char *how = k ? "SELF IPI" : "ICR";
        u32 n0 = 0, n1 = 0;
        for (u32 v = 0; v < 256; v++)
            n0 += cnt[v];
        if (k)
            ipi_self_msr(5);
        else
            ipi_shorthand(5);
        idle(20000);
        aw(XAPIC_ESR, 0);
        u32 esr = ar(XAPIC_ESR);
        check(esr & (ESR_SEND_ILLEGAL | ESR_RECV_ILLEGAL), "%s %s vector 5: ESR notes an illegal vector",
              mname, how);
        if (strict)
            check_eq(esr, ESR_SEND_ILLEGAL, "%s %s vector 5: ESR = send illegal vector (strict)", mname, how);
        for (u32 v = 0; v < 256; v++)
            n1 += cnt[v];
        check_eq(n1 - n0, 0, "%s %s vector 5: nothing delivered", mname, how);
        aw(XAPIC_ESR, 0);
        check_eq(ar(XAPIC_ESR), 0, "%s ESR 0 after the next write", mname);
    }
    check_eq(irr_any(), 0, "%s self-IPI: IRR clear", mname);
}

/* ---------------------------------------------------------- x2APIC MSRs */
/* SDM 11.12.1.2 (Table 11-6), 11.12.1.3. Bare Bochs 2.7 agrees but for the
 * strict=1 part: it reads and writes 82FH (CMCI) with Max LVT 5, and takes
 * SELF IPI bit 8, DCR bit 2 and ICR bit 20 without #GP. */
static void test_x2_msrs(void)
{
    /* Every offset not in the table is reserved. */
    static const u16 reserved[] = { 0x800, 0x801, 0x804, 0x805, 0x806, 0x807, 0x809, 0x80C, 0x80E,
                                    0x829, 0x82A, 0x82B, 0x82C, 0x82D, 0x82E, 0x831, 0x83A, 0x83B,
                                    0x83C, 0x83D, 0x840, 0x880, 0x8FF };
    u32 bad_rd = 0, bad_wr = 0;
    u64 v;
    for (u32 i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        int r = rdmsr_safe(reserved[i], &v) != VEC_GP, w = wrmsr_safe(reserved[i], 0) != VEC_GP;
        if (r || w)
            note("x2APIC reserved MSR 0x%x: %s%s", reserved[i], r ? "RDMSR no #GP " : "",
                 w ? "WRMSR no #GP" : "");
        bad_rd += r;
        bad_wr += w;
    }
    check_eq(bad_rd, 0, "x2APIC reserved MSRs: RDMSR #GP");
    check_eq(bad_wr, 0, "x2APIC reserved MSRs: WRMSR #GP");

    static const u16 ro[] = { 0x802, 0x803, 0x80A, 0x80D, 0x810, 0x817, 0x818, 0x81F, 0x820, 0x827, 0x839 };
    u32 bad = 0;
    for (u32 i = 0; i < sizeof ro / sizeof ro[0]; i++) {
        u64 cur = 0;
        rdmsr_safe(ro[i], &cur);
        bad += wrmsr_safe(ro[i], cur) != VEC_GP;
    }
    check_eq(bad, 0, "x2APIC read-only MSRs (ID, version, PPR, LDR, ISR, TMR, IRR, TMCCT): WRMSR #GP");
    check_fault(rdmsr_safe(0x80B, &v), VEC_GP, "x2APIC EOI is write-only: RDMSR #GP");
    check_fault(rdmsr_safe(0x83F, &v), VEC_GP, "x2APIC SELF IPI is write-only: RDMSR #GP");
    /* Reserved bits. */
    check_fault(wrmsr_safe(0x808, 0x100), VEC_GP, "x2APIC TPR bit 8: #GP");
    check_fault(wrmsr_safe(0x808, 1ull << 32), VEC_GP, "x2APIC TPR bit 32: #GP");
    check_fault(wrmsr_safe(0x80B, 1), VEC_GP, "x2APIC EOI of a non-zero value: #GP");
    check_fault(wrmsr_safe(0x828, 1), VEC_GP, "x2APIC ESR write of a non-zero value: #GP");
    check_eq(ar(XAPIC_TPR), 0, "x2APIC TPR unchanged by the faulting writes");
    if (!strict)
        return;
    if (((ar(XAPIC_VER) >> 16) & 0xFF) < 6) {      /* no CMCI LVT: 82FH is reserved */
        check_fault(rdmsr_safe(0x82F, &v), VEC_GP, "x2APIC 82FH without a CMCI LVT: RDMSR #GP (strict)");
        check_fault(wrmsr_safe(0x82F, 0), VEC_GP, "x2APIC 82FH without a CMCI LVT: WRMSR #GP (strict)");
    }
    u32 c0 = cnt[VEC_IPI];
    check_fault(wrmsr_safe(0x83F, 0x100 | VEC_IPI), VEC_GP, "x2APIC SELF IPI bit 8: #GP (strict)");
    check_fault(wrmsr_safe(0x83E, 0x4), VEC_GP, "x2APIC DCR bit 2: #GP (strict)");
    check_fault(wrmsr_safe(X2APIC_MSR(XAPIC_ICR_LO), VEC_IPI | ICR_SELF | (1ull << 20)), VEC_GP,
                "x2APIC ICR bit 20 (reserved): #GP (strict)");
    idle(20000);
    check_eq(cnt[VEC_IPI] - c0, 0, "x2APIC faulting SELF IPI / ICR writes sent nothing (strict)");
}

/* ------------------------------------------------------------ long mode */
/* lm_call(args): with interrupts off, CR4.PAE, CR3, EFER.LME, CR0.PG, far
 * jump to a 64-bit segment (SDM 10.8.5); there: CR8 read (cr8_in), CR8
 * written (cr8_set) and read back (cr8_out), then n x MOV to CR8, n x MOV
 * from CR8, n x the loop alone, each timed with RDTSC; far jump to the
 * 32-bit segment (compatibility mode), CR0.PG, EFER.LME and CR4.PAE
 * cleared: back in protected mode, interrupts as they were. The stack is
 * not used in 64-bit mode. */
struct lm_args {
    u32 cr8_in, cr8_set, cr8_out, n;
    u64 t_write, t_read, t_loop;
};
u32 lm_cr3;
int lm_call(struct lm_args *a);

#define S_(x) #x
#define S(x) S_(x)
#define RDTSC64 "rdtsc\n\tshl $32, %rdx\n\tor %rdx, %rax\n\t"
__asm__(
    "        .text\n"
    "        .code32\n"
    "        .globl lm_call\n"
    "lm_call:\n"
    "        push %ebp\n push %ebx\n push %esi\n push %edi\n"
    "        mov 20(%esp), %esi\n"
    "        pushf\n cli\n"
    "        mov %cr4, %eax\n or $0x20, %eax\n mov %eax, %cr4\n"
    "        mov lm_cr3, %eax\n mov %eax, %cr3\n"
    "        mov $0xC0000080, %ecx\n rdmsr\n or $0x100, %eax\n wrmsr\n"
    "        mov %cr0, %eax\n or $0x80000000, %eax\n mov %eax, %cr0\n"
    "        ljmp $" S(GDT_CODE64) ", $lm_64\n"
    "        .code64\n"
    "lm_64:\n"
    "        mov %esi, %esi\n"
    "        mov %cr8, %rax\n mov %eax, 0(%rsi)\n"
    "        mov 4(%rsi), %ebx\n mov %rbx, %cr8\n"
    "        mov %cr8, %rax\n mov %eax, 8(%rsi)\n"
    "        mov 12(%rsi), %edi\n test %edi, %edi\n jz 9f\n"
    "        " RDTSC64 "mov %rax, %r8\n mov %edi, %ecx\n"
    "1:      mov %rbx, %cr8\n dec %ecx\n jnz 1b\n"
    "        " RDTSC64 "sub %r8, %rax\n mov %rax, 16(%rsi)\n"
    "        " RDTSC64 "mov %rax, %r8\n mov %edi, %ecx\n"
    "2:      mov %cr8, %rax\n dec %ecx\n jnz 2b\n"
    "        " RDTSC64 "sub %r8, %rax\n mov %rax, 24(%rsi)\n"
    "        " RDTSC64 "mov %rax, %r8\n mov %edi, %ecx\n"
    "3:      dec %ecx\n jnz 3b\n"
    "        " RDTSC64 "sub %r8, %rax\n mov %rax, 32(%rsi)\n"
    "9:      ljmpl *lm_back(%rip)\n"
    "        .code32\n"
    "lm_compat:\n"
    "        mov %cr0, %eax\n and $0x7fffffff, %eax\n mov %eax, %cr0\n"
    "        mov $0xC0000080, %ecx\n rdmsr\n and $0xfffffeff, %eax\n wrmsr\n"
    "        mov %cr4, %eax\n and $0xffffffdf, %eax\n mov %eax, %cr4\n"
    "        popf\n"
    "        pop %edi\n pop %esi\n pop %ebx\n pop %ebp\n"
    "        xor %eax, %eax\n"
    "        ret\n"
    "        .data\n"
    "        .balign 4\n"
    "lm_back: .long lm_compat\n .word " S(GDT_CODE32) "\n"
    "        .text\n");

/* Identity map of the first GiB in 2 MiB pages (the kernel, its stack). */
/* Three 4 KiB tables, aligned by hand: the BSS must start right after the
 * loaded part (multiboot.ld), so no 4 KiB-aligned BSS object. */
static u64 pt_space[4 * 512];

static void lm_setup(void)
{
    u64 *pml4 = (u64 *)(((uptr)pt_space + 4095) & ~(uptr)4095);
    u64 *pdpt = pml4 + 512, *pd = pml4 + 1024;
    for (u32 i = 0; i < 512; i++)
        pd[i] = ((u64)i << 21) | 0x83;      /* present, writable, PS */
    pdpt[0] = (u32)(uptr)pd | 0x3;
    pml4[0] = (u32)(uptr)pdpt | 0x3;
    lm_cr3 = (u32)(uptr)pml4;
}

static void test_cr8(void)
{
    struct lm_args a = { 0 };
    aw(XAPIC_TPR, 0x30);
    a.cr8_set = 7;
    lm_call(&a);
    check_eq(a.cr8_in, 3, "%s MOV from CR8 (64-bit) = TPR[7:4]", mname);
    check_eq(a.cr8_out, 7, "%s MOV to CR8 (64-bit) reads back", mname);
    check_eq(ar(XAPIC_TPR), 0x70, "%s MOV to CR8 sets TPR to CR8 << 4", mname);
    check_eq(ar(XAPIC_PPR), 0x70, "%s PPR follows the TPR set through CR8", mname);
    /* TPR class 7 holds back 0x70; CR8 = 0 lets it in. */
    u32 c0 = cnt[VEC_IPI];
    ipi_shorthand(VEC_IPI);
    idle(20000);
    check_eq(cnt[VEC_IPI] - c0, 0, "%s CR8 7: vector 0x70 held back", mname);
    a.cr8_set = 0;
    lm_call(&a);
    check(wait_cnt(&cnt[VEC_IPI], c0 + 1, WAIT_MAX), "%s CR8 0: vector 0x70 delivered", mname);
    check_eq(ar(XAPIC_TPR), 0, "%s CR8 0: TPR 0", mname);
}

/* ----------------------------------------------------------------- bench */
#define BENCH_N 200u

static void bench_note(const char *what, u64 ticks, u32 n)
{
    note("BENCH %s %s: %u ticks/op", mname, what, (u32)div64(ticks, n));
}

static void run_bench(void)
{
    struct lm_args a = { 0 };
    a.cr8_set = 0;
    a.n = BENCH_N;
    lm_call(&a);
    bench_note("MOV to CR8 (64-bit)", a.t_write, BENCH_N);
    bench_note("MOV from CR8 (64-bit)", a.t_read, BENCH_N);
    bench_note("CR8 loop alone (dec; jnz)", a.t_loop, BENCH_N);

    /* EOI with nothing in service: the write alone. */
    u64 t0 = tsc();
    for (u32 i = 0; i < BENCH_N; i++)
        eoi();
    bench_note("EOI write, nothing in service", tsc() - t0, BENCH_N);

    /* Self-IPI round trips, with the EOI of each timed in the handler. */
    u32 c0 = cnt[VEC_BENCH_IPI];
    eoi_ticks = eoi_count = 0;
    time_eoi = 1;
    t0 = tsc();
    for (u32 i = 0; i < BENCH_N; i++) {
        u32 before = cnt[VEC_BENCH_IPI];
        ipi_shorthand(VEC_BENCH_IPI);
        sti();
        for (u32 k = 0; k < 1000000 && cnt[VEC_BENCH_IPI] == before; k++)
            cpu_pause();
        cli();
    }
    bench_note("self-IPI round trip (ICR, self shorthand)", tsc() - t0, BENCH_N);
    if (x2) {
        t0 = tsc();
        for (u32 i = 0; i < BENCH_N; i++) {
            u32 before = cnt[VEC_BENCH_IPI];
            ipi_self_msr(VEC_BENCH_IPI);
            sti();
            for (u32 k = 0; k < 1000000 && cnt[VEC_BENCH_IPI] == before; k++)
                cpu_pause();
            cli();
        }
        bench_note("self-IPI round trip (SELF IPI MSR)", tsc() - t0, BENCH_N);
    }
    time_eoi = 0;
    if (eoi_count)
        bench_note("EOI write, one in service (in the handler)", eoi_ticks, eoi_count);
    check_eq(cnt[VEC_BENCH_IPI] - c0, x2 ? 2 * BENCH_N : BENCH_N, "%s bench: every self-IPI arrived", mname);

    /* Timer end to end: one-shot, count 1 at divide by 1 (one bus clock),
     * from the TMICT write to the handler's RDTSC. */
    aw(XAPIC_TDCR, 0xB);
    aw(XAPIC_LVT_TIMER, VEC_BENCH_TIMER);
    u64 sum = 0;
    u32 n = 0;
    for (u32 i = 0; i < BENCH_N / 4; i++) {
        u32 before = cnt[VEC_BENCH_TIMER];
        sti();
        t0 = tsc();
        aw(XAPIC_TMICT, 1);
        for (u32 k = 0; k < 1000000 && cnt[VEC_BENCH_TIMER] == before; k++)
            cpu_pause();
        cli();
        if (cnt[VEC_BENCH_TIMER] != before) {
            sum += tsc_at[VEC_BENCH_TIMER] - t0;
            n++;
        }
    }
    if (n)
        bench_note("timer interrupt end to end (one-shot, TMICT = 1)", sum, n);
    check_eq(n, BENCH_N / 4, "%s bench: every one-shot fired", mname);
    if (has_deadline) {
        aw(XAPIC_LVT_TIMER, VEC_BENCH_TIMER | LVT_TSC_DEADLINE);
        sum = 0;
        n = 0;
        for (u32 i = 0; i < BENCH_N / 4; i++) {
            u32 before = cnt[VEC_BENCH_TIMER];
            sti();
            t0 = tsc();
            wrmsr(MSR_TSC_DEADLINE, t0);
            for (u32 k = 0; k < 1000000 && cnt[VEC_BENCH_TIMER] == before; k++)
                cpu_pause();
            cli();
            if (cnt[VEC_BENCH_TIMER] != before) {
                sum += tsc_at[VEC_BENCH_TIMER] - t0;
                n++;
            }
        }
        if (n)
            bench_note("timer interrupt end to end (TSC deadline = now)", sum, n);
        check_eq(n, BENCH_N / 4, "%s bench: every TSC deadline fired", mname);
    }
    aw(XAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
}

/* ------------------------------------------------------------------ runs */
static void run_mode(void)
{
    if (checks) {
        test_oneshot();
        test_periodic();
        test_masked();
        test_divide();
        test_deadline();
        test_priority();
        test_ipi();
        test_cr8();
        if (x2)
            test_x2_msrs();
    }
    if (bench)
        run_bench();
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    note("%s: multiboot test kernel", kernel_name());
    strict = arg_u32("strict", 0) != 0;
    bench = arg_u32("bench", 0) != 0;
    checks = arg_u32("checks", 1) != 0;
    pic_remap_mask();
    for (u32 v = 0x40; v < 0xFF; v++)
        trap_set_handler(v, on_irq);
    trap_set_handler(VEC_SPURIOUS, on_spurious);
    lm_setup();

    u32 a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    check(d & (1u << 9), "CPUID.1:EDX.APIC");
    has_deadline = (c >> 24) & 1;
    int has_x2 = (c >> 21) & 1;
    note("TSC-deadline timer %s, x2APIC %s", has_deadline ? "shown" : "not shown", has_x2 ? "shown" : "not shown");

    u64 base = 0;
    rdmsr_safe(MSR_APIC_BASE, &base);
    check((base & APIC_EN) && !(base & APIC_EXTD), "IA32_APIC_BASE: enabled, xAPIC mode");
    apic_base = (u32)base & 0xFFFFF000u;
    my_id = ar(XAPIC_ID) >> 24;
    aw(XAPIC_SVR, 0x100 | VEC_SPURIOUS);
    aw(XAPIC_LVT_ERROR, LVT_MASKED | 0xFE);
    if (checks) {
        /* SDM 11.12.1.2: the x2APIC MSRs #GP outside x2APIC mode. */
        u64 v;
        check_fault(rdmsr_safe(0x802, &v), VEC_GP, "x2APIC MSR 0x802 in xAPIC mode: RDMSR #GP");
        check_fault(wrmsr_safe(0x808, 0), VEC_GP, "x2APIC MSR 0x808 in xAPIC mode: WRMSR #GP");
    }
    run_mode();

    if (has_x2) {
        check_fault(wrmsr_safe(MSR_APIC_BASE, base | APIC_EXTD), NOFAULT, "IA32_APIC_BASE |= EXTD (x2APIC)");
        x2 = 1;
        mname = "x2APIC";
        u64 id = ~0ull;
        rdmsr_safe(0x802, &id);
        my_id = (u32)id;
        check_eq(ar(XAPIC_SVR) & 0x1FF, 0x100 | VEC_SPURIOUS, "x2APIC: SVR kept across the switch");
        run_mode();
    }
    check_eq(stray_irqs, 0, "no stray interrupts");
    check_eq(n_spurious, 0, "no spurious APIC interrupts");
    return report_summary();
}
