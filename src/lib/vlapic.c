/* Virtual local APIC (see vlapic.h). SDM references are to Vol. 3A chapter
 * 11 unless said otherwise. */
#include "lib/vlapic.h"

#define U64_MAX (~0ull)

/* ------------------------------------------------------------ page access */
static inline uint32_t rd(const struct x86vcpu_vlapic *l, uint32_t off)
{
    return l->regs[off >> 2];
}

static inline void wr(struct x86vcpu_vlapic *l, uint32_t off, uint32_t v)
{
    l->regs[off >> 2] = v;
}

/* Vector bit in a 256-bit register (IRR/ISR/TMR): 8 words, 16 bytes apart. */
static inline int vec_test(const struct x86vcpu_vlapic *l, uint32_t base, unsigned v)
{
    return (rd(l, base + ((v >> 5) << 4)) >> (v & 31)) & 1;
}

static inline void vec_set(struct x86vcpu_vlapic *l, uint32_t base, unsigned v)
{
    uint32_t off = base + ((v >> 5) << 4);
    wr(l, off, rd(l, off) | (1u << (v & 31)));
}

static inline void vec_clear(struct x86vcpu_vlapic *l, uint32_t base, unsigned v)
{
    uint32_t off = base + ((v >> 5) << 4);
    wr(l, off, rd(l, off) & ~(1u << (v & 31)));
}

static int vec_highest(const struct x86vcpu_vlapic *l, uint32_t base)
{
    for (int w = 7; w >= 0; w--) {
        uint32_t x = rd(l, base + ((uint32_t)w << 4));
        if (x)
            return w * 32 + 31 - __builtin_clz(x);
    }
    return -1;
}

/* ------------------------------------------------------------- arithmetic */
uint64_t x86vcpu__vlapic_muldiv(uint64_t a, uint32_t b, uint32_t c, int *inexact)
{
    /* a * b as three 32-bit digits d2:d1:d0 (at most 96 bits), then long
     * division by c, one 64-by-32 step per digit (the remainder < c keeps
     * each step in 64 bits): no 128-bit helpers in a freestanding build. */
    uint64_t lo = (a & 0xffffffffu) * b, hi = (a >> 32) * b;
    uint64_t mid = (lo >> 32) + (hi & 0xffffffffu);
    uint64_t d0 = lo & 0xffffffffu, d1 = mid & 0xffffffffu, d2 = (hi >> 32) + (mid >> 32);
    uint64_t q2 = d2 / c, r = d2 % c;
    uint64_t x = (r << 32) | d1;
    uint64_t q1 = x / c;
    r = x % c;
    x = (r << 32) | d0;
    uint64_t q0 = x / c;
    r = x % c;
    if (inexact)
        *inexact = r != 0;
    if (q2)
        return U64_MAX;
    return (q1 << 32) | q0;
}

/* Divide configuration (SDM Figure 11-10): bits 3, 1:0 = 000b..110b divide
 * by 2^(n+1), 111b by 1. */
static unsigned timer_div(const struct x86vcpu_vlapic *l)
{
    uint32_t d = rd(l, VLAPIC_DCR);
    unsigned n = ((d >> 1) & 4) | (d & 3);
    return n == 7 ? 1u : 2u << n;
}

/* TSC ticks for `counts` timer counts: the first TSC tick at which that
 * many counts have elapsed, ceil(counts * div * tsc / bus), so that the
 * current count reads 0 exactly from the deadline on. */
static uint64_t counts_to_tsc(const struct x86vcpu_vlapic *l, uint64_t counts)
{
    int inexact;
    uint64_t t = x86vcpu__vlapic_muldiv(counts * timer_div(l), l->tsc_khz, l->bus_khz, &inexact);
    return (inexact && t != U64_MAX) ? t + 1 : t;
}

/* Whole timer counts in `ticks` TSC ticks: floor(floor(ticks * bus / tsc)
 * / div), which is floor(ticks * bus / (tsc * div)). */
static uint64_t tsc_to_counts(const struct x86vcpu_vlapic *l, uint64_t ticks)
{
    return x86vcpu__vlapic_muldiv(ticks, l->bus_khz, l->tsc_khz, 0) / timer_div(l);
}

/* TSC ticks since t0, wrapping modulo 2^64; a "now" before t0 (more than
 * 2^63 ahead) counts as 0 elapsed. */
static uint64_t elapsed_since(uint64_t now, uint64_t t0)
{
    uint64_t e = now - t0;
    return (int64_t)e < 0 ? 0 : e;
}

/* ------------------------------------------------------------ small state */
int x86vcpu__vlapic_hw_enabled(const struct x86vcpu_vlapic *l)
{
    return (l->apic_base & VLAPIC_BASE_EN) != 0;
}

int x86vcpu__vlapic_x2apic(const struct x86vcpu_vlapic *l)
{
    return (l->apic_base & (VLAPIC_BASE_EN | VLAPIC_BASE_EXTD)) == (VLAPIC_BASE_EN | VLAPIC_BASE_EXTD);
}

int x86vcpu__vlapic_sw_enabled(const struct x86vcpu_vlapic *l)
{
    return x86vcpu__vlapic_hw_enabled(l) && (rd(l, VLAPIC_SVR) & VLAPIC_SVR_ENABLE);
}

uint32_t x86vcpu__vlapic_id(const struct x86vcpu_vlapic *l)
{
    uint32_t id = rd(l, VLAPIC_ID);
    return x86vcpu__vlapic_x2apic(l) ? id : id >> 24;
}

uint32_t x86vcpu__vlapic_ldr(const struct x86vcpu_vlapic *l)
{
    return rd(l, VLAPIC_LDR);
}

/* x2APIC logical ID (SDM 11.12.10.2): cluster ID = x2APIC ID[19:4] in bits
 * 31:16, bit x2APIC ID[3:0] set in bits 15:0. */
static uint32_t x2apic_ldr(uint32_t id)
{
    return ((id >> 4) << 16) | (1u << (id & 15));
}

/* The LVT entries this APIC has: the four of every APIC, and those the
 * configuration shows (the version register's Max LVT Entry counts them). */
static int lvt_present(const struct x86vcpu_vlapic *l, uint32_t off)
{
    switch (off) {
    case VLAPIC_LVT_TIMER: case VLAPIC_LVT_LINT0: case VLAPIC_LVT_LINT1: case VLAPIC_LVT_ERROR:
        return 1;
    case VLAPIC_LVT_PERF: return (l->features & VLAPIC_F_LVT_PERF) != 0;
    case VLAPIC_LVT_THERMAL: return (l->features & VLAPIC_F_LVT_THERMAL) != 0;
    case VLAPIC_LVT_CMCI: return (l->features & VLAPIC_F_LVT_CMCI) != 0;
    default: return 0;
    }
}

static uint32_t version_value(const struct x86vcpu_vlapic *l)
{
    uint32_t n = 4 + !!(l->features & VLAPIC_F_LVT_PERF) + !!(l->features & VLAPIC_F_LVT_THERMAL) +
                 !!(l->features & VLAPIC_F_LVT_CMCI);
    /* Bits 23:16 Max LVT Entry = entries - 1; bit 24 directed EOI
     * (Figure 11-7, 11.8.5). */
    return VLAPIC_VERSION | ((n - 1) << 16) |
           ((l->features & VLAPIC_F_EOI_SUPPRESS) ? (1u << 24) : 0);
}

/* Writable bits of an LVT entry (Figure 11-8): vector and mask always,
 * delivery mode but for timer and error, polarity and trigger on LINT0/1,
 * timer mode bit 17 (and 18 with TSC-deadline, 11.5.4.1). Delivery status
 * and remote IRR are read-only. */
static uint32_t lvt_writable(const struct x86vcpu_vlapic *l, uint32_t off)
{
    switch (off) {
    case VLAPIC_LVT_TIMER:
        return 0xffu | VLAPIC_LVT_MASKED | (1u << 17) |
               ((l->features & VLAPIC_F_TSC_DEADLINE) ? (1u << 18) : 0);
    case VLAPIC_LVT_LINT0: case VLAPIC_LVT_LINT1:
        return 0x7ffu | VLAPIC_LVT_POLARITY | VLAPIC_LVT_LEVEL | VLAPIC_LVT_MASKED;
    case VLAPIC_LVT_ERROR:
        return 0xffu | VLAPIC_LVT_MASKED;
    default: /* thermal, perf, CMCI */
        return 0x7ffu | VLAPIC_LVT_MASKED;
    }
}

static uint32_t svr_writable(const struct x86vcpu_vlapic *l)
{
    return 0xffu | VLAPIC_SVR_ENABLE | VLAPIC_SVR_FOCUS_OFF |
           ((l->features & VLAPIC_F_EOI_SUPPRESS) ? VLAPIC_SVR_EOI_SUPPRESS : 0);
}

static const uint32_t lvt_offsets[] = { VLAPIC_LVT_CMCI, VLAPIC_LVT_TIMER, VLAPIC_LVT_THERMAL,
                                        VLAPIC_LVT_PERF, VLAPIC_LVT_LINT0, VLAPIC_LVT_LINT1,
                                        VLAPIC_LVT_ERROR };
#define N_LVT (sizeof lvt_offsets / sizeof lvt_offsets[0])

/* ------------------------------------------------------------- priorities */
uint32_t x86vcpu__vlapic_ppr(const struct x86vcpu_vlapic *l)
{
    /* SDM 11.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4]:0. */
    uint32_t tpr = rd(l, VLAPIC_TPR) & 0xff;
    int isrv = vec_highest(l, VLAPIC_ISR);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    return (tpr & 0xf0) >= isr_class ? tpr : isr_class;
}

uint32_t x86vcpu__vlapic_apr(const struct x86vcpu_vlapic *l)
{
    /* SDM 11.6.2.4 (Figure 11-15): APR = TPR if TPR[7:4] >= IRRV[7:4] and
     * TPR[7:4] > ISRV[7:4]; else the highest of the three classes. */
    uint32_t tpr = rd(l, VLAPIC_TPR) & 0xff;
    int irrv = vec_highest(l, VLAPIC_IRR), isrv = vec_highest(l, VLAPIC_ISR);
    uint32_t irr_c = irrv < 0 ? 0 : (uint32_t)irrv & 0xf0;
    uint32_t isr_c = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    uint32_t tpr_c = tpr & 0xf0;
    if (tpr_c >= irr_c && tpr_c > isr_c)
        return tpr;
    uint32_t m = tpr_c > irr_c ? tpr_c : irr_c;
    return m > isr_c ? m : isr_c;
}

static void update_ppr(struct x86vcpu_vlapic *l)
{
    wr(l, VLAPIC_PPR, x86vcpu__vlapic_ppr(l));
}

int x86vcpu__vlapic_highest_irr(const struct x86vcpu_vlapic *l)
{
    return vec_highest(l, VLAPIC_IRR);
}

int x86vcpu__vlapic_highest_isr(const struct x86vcpu_vlapic *l)
{
    return vec_highest(l, VLAPIC_ISR);
}

void x86vcpu__vlapic_set_tpr(struct x86vcpu_vlapic *l, uint32_t tpr)
{
    wr(l, VLAPIC_TPR, tpr & 0xff);
    update_ppr(l);
}

uint32_t x86vcpu__vlapic_tpr_threshold(const struct x86vcpu_vlapic *l)
{
    /* A TPR-below-threshold exit is wanted only when lowering TPR could
     * unmask something (SDM 30.1.2, 27.7.1): the highest IRR class if TPR
     * holds it back. */
    int irr = vec_highest(l, VLAPIC_IRR);
    uint32_t tpr = rd(l, VLAPIC_TPR) & 0xff;
    if (irr < 0 || ((uint32_t)irr >> 4) > (tpr >> 4))
        return 0;
    return (uint32_t)irr >> 4;
}

int x86vcpu__vlapic_pending(const struct x86vcpu_vlapic *l)
{
    if (!x86vcpu__vlapic_hw_enabled(l))
        return -1;
    int v = vec_highest(l, VLAPIC_IRR);
    /* SDM 11.8.3.1: delivered only if its class is above PPR[7:4]. */
    if (v < 0 || ((uint32_t)v & 0xf0) <= (x86vcpu__vlapic_ppr(l) & 0xf0))
        return -1;
    return v;
}

int x86vcpu__vlapic_ack(struct x86vcpu_vlapic *l)
{
    int v = x86vcpu__vlapic_pending(l);
    if (v < 0)
        return -1;
    vec_clear(l, VLAPIC_IRR, (unsigned)v);
    vec_set(l, VLAPIC_ISR, (unsigned)v);
    update_ppr(l);
    return v;
}

/* ------------------------------------------------------------------ errors */
/* An error is noted in the pending ESR bits and, unless the error LVT is
 * masked, raises its vector (SDM 11.5.3). The error entry has no delivery
 * mode: always fixed, edge. */
static void set_error(struct x86vcpu_vlapic *l, uint32_t bit)
{
    l->esr_pending |= bit;
    uint32_t lvt = rd(l, VLAPIC_LVT_ERROR);
    if ((lvt & VLAPIC_LVT_MASKED) || !x86vcpu__vlapic_sw_enabled(l))
        return;
    uint8_t v = (uint8_t)(lvt & 0xff);
    if (v < 16) {
        /* Do not recurse: an illegal error vector is noted, not raised. */
        l->esr_pending |= VLAPIC_ESR_RECV_ILLEGAL_VECTOR;
        return;
    }
    vec_set(l, VLAPIC_IRR, v);
    vec_clear(l, VLAPIC_TMR, v);
}

/* --------------------------------------------------------------- interrupts */
int x86vcpu__vlapic_accept(struct x86vcpu_vlapic *l, unsigned mode, uint8_t vector, int level)
{
    if (!x86vcpu__vlapic_hw_enabled(l))
        return VLAPIC_ACT_NONE;
    switch (mode) {
    case VLAPIC_DM_FIXED:
    case VLAPIC_DM_LOWEST:
        /* SDM 11.4.7.2: a software-disabled APIC takes no new fixed
         * interrupts (those already in IRR/ISR are held). */
        if (!x86vcpu__vlapic_sw_enabled(l))
            return VLAPIC_ACT_NONE;
        /* Vectors 0-15 are illegal (SDM 11.5.2). */
        if (vector < 16) {
            set_error(l, VLAPIC_ESR_RECV_ILLEGAL_VECTOR);
            return VLAPIC_ACT_NONE;
        }
        vec_set(l, VLAPIC_IRR, vector);
        /* TMR records the trigger mode on acceptance (SDM 11.8.4). */
        if (level)
            vec_set(l, VLAPIC_TMR, vector);
        else
            vec_clear(l, VLAPIC_TMR, vector);
        return VLAPIC_ACT_IRQ;
    case VLAPIC_DM_SMI: return VLAPIC_ACT_SMI;
    case VLAPIC_DM_NMI: return VLAPIC_ACT_NMI;
    case VLAPIC_DM_INIT: return VLAPIC_ACT_INIT;
    case VLAPIC_DM_SIPI: return VLAPIC_ACT_SIPI;
    case VLAPIC_DM_EXTINT: return VLAPIC_ACT_EXTINT;
    default: return VLAPIC_ACT_NONE;
    }
}

void x86vcpu__vlapic_eoi(struct x86vcpu_vlapic *l, struct x86vcpu_vlapic_fx *fx)
{
    int v = vec_highest(l, VLAPIC_ISR);
    if (v < 0)
        return;
    vec_clear(l, VLAPIC_ISR, (unsigned)v);
    update_ppr(l);
    fx->flags |= VLAPIC_FX_EOI | VLAPIC_FX_IRQ;
    fx->eoi_vector = (uint8_t)v;
    if (vec_test(l, VLAPIC_TMR, (unsigned)v)) {
        /* A level-triggered fixed LINT waits for this EOI (remote IRR,
         * Figure 11-8). */
        for (unsigned i = 0; i < 2; i++) {
            uint32_t off = i ? VLAPIC_LVT_LINT1 : VLAPIC_LVT_LINT0, e = rd(l, off);
            if ((l->lint_rirr & (1u << i)) && (e & 0xff) == (uint32_t)v) {
                l->lint_rirr &= ~(1u << i);
                wr(l, off, e & ~VLAPIC_LVT_REMOTE_IRR);
            }
        }
        /* SDM 11.8.5: EOI broadcast to the I/O APICs for level-triggered
         * vectors unless SVR[12] suppresses it (directed EOI). */
        if (!(rd(l, VLAPIC_SVR) & VLAPIC_SVR_EOI_SUPPRESS))
            fx->flags |= VLAPIC_FX_EOI_BCAST;
    }
}

static int lvt_deliver(struct x86vcpu_vlapic *l, uint32_t off, uint32_t e)
{
    unsigned dm = off == VLAPIC_LVT_TIMER || off == VLAPIC_LVT_ERROR ? VLAPIC_DM_FIXED
                                                                     : VLAPIC_LVT_DM(e);
    int level = (off == VLAPIC_LVT_LINT0 || off == VLAPIC_LVT_LINT1) && (e & VLAPIC_LVT_LEVEL);
    if (dm == VLAPIC_DM_FIXED && level) {
        unsigned pin = off == VLAPIC_LVT_LINT1;
        if (l->lint_rirr & (1u << pin))
            return VLAPIC_ACT_NONE;
        int act = x86vcpu__vlapic_accept(l, dm, (uint8_t)(e & 0xff), 1);
        if (act == VLAPIC_ACT_IRQ) {
            l->lint_rirr |= 1u << pin;
            wr(l, off, e | VLAPIC_LVT_REMOTE_IRR);
        }
        return act;
    }
    return x86vcpu__vlapic_accept(l, dm, (uint8_t)(e & 0xff), 0);
}

int x86vcpu__vlapic_lvt_fire(struct x86vcpu_vlapic *l, uint32_t off)
{
    if (!x86vcpu__vlapic_hw_enabled(l)) {
        /* SDM 11.4.3: globally disabled, LINT0/LINT1 are the INTR and NMI
         * pins. */
        if (off == VLAPIC_LVT_LINT0)
            return VLAPIC_ACT_EXTINT;
        if (off == VLAPIC_LVT_LINT1)
            return VLAPIC_ACT_NMI;
        return VLAPIC_ACT_NONE;
    }
    if (!lvt_present(l, off))
        return VLAPIC_ACT_NONE;
    uint32_t e = rd(l, off);
    if (e & VLAPIC_LVT_MASKED)
        return VLAPIC_ACT_NONE;
    return lvt_deliver(l, off, e);
}

int x86vcpu__vlapic_accepts_extint(const struct x86vcpu_vlapic *l)
{
    if (!x86vcpu__vlapic_hw_enabled(l))
        return 1;
    uint32_t e = rd(l, VLAPIC_LVT_LINT0);
    return !(e & VLAPIC_LVT_MASKED) && VLAPIC_LVT_DM(e) == VLAPIC_DM_EXTINT;
}

/* ------------------------------------------------------------------- IPIs */
int x86vcpu__vlapic_ipi_match(const struct x86vcpu_vlapic *t, const struct x86vcpu_vlapic_ipi *ipi,
                              int target_is_sender)
{
    if (!x86vcpu__vlapic_hw_enabled(t))
        return 0;
    switch (ipi->shorthand) {
    case VLAPIC_SH_SELF: return target_is_sender;
    case VLAPIC_SH_ALL_INCL: return 1;
    case VLAPIC_SH_ALL_EXCL: return !target_is_sender;
    default: break;
    }
    uint32_t bcast = ipi->x2apic ? 0xffffffffu : 0xffu;
    if (ipi->dest == bcast)
        return 1;
    uint32_t ldr = rd(t, VLAPIC_LDR);
    if (x86vcpu__vlapic_x2apic(t)) {
        if (!ipi->logical)
            return ipi->dest == rd(t, VLAPIC_ID);
        /* SDM 11.12.10.2: cluster in bits 31:16 equal, and a common bit
         * in the 16-bit member mask. */
        return (ipi->dest >> 16) == (ldr >> 16) && (ipi->dest & ldr & 0xffffu) != 0;
    }
    uint32_t d = ipi->dest, lid = ldr >> 24;
    if (!ipi->logical)
        return d == rd(t, VLAPIC_ID) >> 24;
    /* SDM 11.6.2.2: flat model (DFR 1111b), a common bit of the 8-bit
     * logical ID; cluster model (0000b), the same cluster in bits 7:4 and
     * a common bit in bits 3:0. */
    if ((rd(t, VLAPIC_DFR) >> 28) == 0xf)
        return (d & lid) != 0;
    return (d >> 4) == (lid >> 4) && (d & lid & 0xf) != 0;
}

int x86vcpu__vlapic_ipi_deliver(struct x86vcpu_vlapic *t, const struct x86vcpu_vlapic_ipi *ipi)
{
    /* INIT level de-assert (level 0, trigger level): no effect since the
     * Pentium 4 (SDM 11.6.1), whoever built the message. */
    if (ipi->mode == VLAPIC_DM_INIT && !ipi->level && ipi->trigger)
        return VLAPIC_ACT_NONE;
    return x86vcpu__vlapic_accept(t, ipi->mode, ipi->vector, ipi->trigger);
}

/* An ICR write (SDM 11.6.1, Figure 11-12; x2APIC Figure 11-28): the IPI to
 * route, or an error. */
static void send_ipi(struct x86vcpu_vlapic *l, uint32_t lo, uint32_t hi, struct x86vcpu_vlapic_fx *fx)
{
    struct x86vcpu_vlapic_ipi ipi;
    int x2 = x86vcpu__vlapic_x2apic(l);
    ipi.vector = (uint8_t)(lo & 0xff);
    ipi.mode = (uint8_t)((lo >> 8) & 7);
    ipi.logical = (uint8_t)((lo >> 11) & 1);
    ipi.level = (uint8_t)((lo >> 14) & 1);
    ipi.trigger = (uint8_t)((lo >> 15) & 1);
    ipi.shorthand = (uint8_t)((lo >> 18) & 3);
    ipi.x2apic = (uint8_t)x2;
    ipi.dest = x2 ? hi : hi >> 24;
    switch (ipi.mode) {
    case VLAPIC_DM_FIXED:
    case VLAPIC_DM_LOWEST:
        /* SDM 11.5.3: a vector below 16 is a send error; nothing is sent. */
        if (ipi.vector < 16) {
            set_error(l, VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
            fx->flags |= VLAPIC_FX_IRQ;
            return;
        }
        break;
    case VLAPIC_DM_INIT:
        /* INIT level de-assert (level 0, trigger level) is not supported
         * since the Pentium 4 (SDM 11.6.1): ignored. */
        if (!ipi.level && ipi.trigger)
            return;
        break;
    case VLAPIC_DM_SMI: case VLAPIC_DM_NMI: case VLAPIC_DM_SIPI:
        break;
    default: /* 011b, 111b reserved */
        return;
    }
    fx->ipi = ipi;
    fx->flags |= VLAPIC_FX_IPI;
}

/* ------------------------------------------------------------------ timer */
static uint32_t timer_mode(const struct x86vcpu_vlapic *l)
{
    uint32_t m = VLAPIC_LVT_TIMER_MODE(rd(l, VLAPIC_LVT_TIMER));
    /* 11b is reserved: counted as one-shot. */
    return m == 3 ? VLAPIC_TIMER_ONESHOT : m;
}

static void timer_expire(struct x86vcpu_vlapic *l, struct x86vcpu_vlapic_fx *fx)
{
    uint32_t e = rd(l, VLAPIC_LVT_TIMER);
    /* A masked timer counts but raises nothing (SDM 11.5.4). */
    if (!(e & VLAPIC_LVT_MASKED) && x86vcpu__vlapic_accept(l, VLAPIC_DM_FIXED, (uint8_t)(e & 0xff), 0) ==
                                        VLAPIC_ACT_IRQ)
        fx->flags |= VLAPIC_FX_IRQ;
    fx->flags |= VLAPIC_FX_TIMER;
}

int x86vcpu__vlapic_timer_update(struct x86vcpu_vlapic *l, uint64_t now, struct x86vcpu_vlapic_fx *fx)
{
    if (timer_mode(l) == VLAPIC_TIMER_DEADLINE) {
        /* SDM 11.5.4.1: fires once TSC >= deadline, then disarms (reads 0). */
        if (!l->tsc_deadline || now < l->tsc_deadline)
            return 0;
        l->tsc_deadline = 0;
        timer_expire(l, fx);
        return 1;
    }
    if (!l->timer_c0)
        return 0;
    uint64_t e = elapsed_since(now, l->timer_t0), d = counts_to_tsc(l, l->timer_c0);
    if (e < d)
        return 0;
    uint32_t init = rd(l, VLAPIC_TMICT);
    if (timer_mode(l) == VLAPIC_TIMER_PERIODIC && init) {
        /* Re-armed from the deadline, not from now (no drift); periods
         * missed while nobody looked coalesce into this one interrupt (IRR
         * holds one bit per vector). */
        uint64_t p = counts_to_tsc(l, init), rest = e - d;
        l->timer_t0 += d + (p ? rest / p * p : 0);
        l->timer_c0 = init;
    } else {
        l->timer_c0 = 0;
    }
    timer_expire(l, fx);
    return 1;
}

/* The current count (SDM 11.5.4): counts down from timer_c0 at t0; a
 * periodic timer reloads the initial count at 0. */
static uint32_t timer_current(const struct x86vcpu_vlapic *l, uint64_t now)
{
    if (timer_mode(l) == VLAPIC_TIMER_DEADLINE || !l->timer_c0)
        return 0;
    uint64_t e = elapsed_since(now, l->timer_t0), d = counts_to_tsc(l, l->timer_c0);
    if (e < d)
        return l->timer_c0 - (uint32_t)tsc_to_counts(l, e);
    uint32_t init = rd(l, VLAPIC_TMICT);
    if (timer_mode(l) != VLAPIC_TIMER_PERIODIC || !init)
        return 0;
    uint64_t p = counts_to_tsc(l, init);
    uint64_t in = p ? (e - d) % p : 0;
    return init - (uint32_t)tsc_to_counts(l, in);
}

int x86vcpu__vlapic_timer_next(const struct x86vcpu_vlapic *l, uint64_t now, uint64_t *ticks)
{
    if (timer_mode(l) == VLAPIC_TIMER_DEADLINE) {
        if (!l->tsc_deadline)
            return 0;
        *ticks = now >= l->tsc_deadline ? 0 : l->tsc_deadline - now;
        return 1;
    }
    if (!l->timer_c0)
        return 0;
    uint64_t e = elapsed_since(now, l->timer_t0), d = counts_to_tsc(l, l->timer_c0);
    *ticks = e >= d ? 0 : d - e;
    return 1;
}

/* Start counting from `count` at now (0 stops the timer, SDM 11.5.4). */
static void timer_start(struct x86vcpu_vlapic *l, uint64_t now, uint32_t count, struct x86vcpu_vlapic_fx *fx)
{
    l->timer_t0 = now;
    l->timer_c0 = count;
    fx->flags |= VLAPIC_FX_TIMER;
}

/* ------------------------------------------------------------ reset, INIT */
static void reset_regs(struct x86vcpu_vlapic *l, int keep_id)
{
    uint32_t id = rd(l, VLAPIC_ID), ldr = rd(l, VLAPIC_LDR);
    /* Every word of the page, the holes between registers too. Through a
     * volatile pointer: the compiler must not turn the loop into a memset
     * call, which a freestanding library does not have. */
    volatile uint32_t *p = l->regs;
    for (uint32_t i = 0; i < 1024; i++)
        p[i] = 0;
    /* SDM 11.4.7.1: IRR, ISR, TMR, ICR, LDR, TPR, timer counts, DCR 0;
     * DFR all ones; LVTs masked; SVR FFH; version unaffected. */
    wr(l, VLAPIC_VER, version_value(l));
    wr(l, VLAPIC_DFR, 0xffffffffu);
    for (unsigned i = 0; i < N_LVT; i++)
        if (lvt_present(l, lvt_offsets[i]))
            wr(l, lvt_offsets[i], VLAPIC_LVT_MASKED);
    wr(l, VLAPIC_SVR, 0xff);
    if (keep_id) {
        wr(l, VLAPIC_ID, id);
        if (x86vcpu__vlapic_x2apic(l))
            wr(l, VLAPIC_LDR, ldr);
    } else {
        wr(l, VLAPIC_ID, l->apic_id << 24);
    }
    l->timer_c0 = 0;
    l->timer_t0 = 0;
    l->tsc_deadline = 0;
    l->esr_pending = 0;
    l->lint_rirr = 0;
    l->timer_lvt = rd(l, VLAPIC_LVT_TIMER);
    l->timer_dcr = 0;
}

void x86vcpu__vlapic_reset(struct x86vcpu_vlapic *l)
{
    l->apic_base = VLAPIC_BASE_DEFAULT | VLAPIC_BASE_EN | (l->apic_base & VLAPIC_BASE_BSP);
    reset_regs(l, 0);
}

void x86vcpu__vlapic_init_signal(struct x86vcpu_vlapic *l)
{
    reset_regs(l, 1);
}

int x86vcpu__vlapic_init(struct x86vcpu_vlapic *l, uint32_t *page, const struct x86vcpu_vlapic_config *c)
{
    if (!page || !c->tsc_khz || !c->bus_khz)
        return -1;
    l->regs = page;
    l->apic_id = c->apic_id;
    l->tsc_khz = c->tsc_khz;
    l->bus_khz = c->bus_khz;
    l->features = c->features;
    /* MAXPHYADDR is 36 without CPUID 80000008H and at most 52 (SDM 4.1.4). */
    l->maxphyaddr = c->maxphyaddr < 32 ? 36 : c->maxphyaddr > 52 ? 52 : c->maxphyaddr;
    l->apic_base = c->bsp ? VLAPIC_BASE_BSP : 0;
    x86vcpu__vlapic_reset(l);
    return 0;
}

/* IA32_APIC_BASE writes (SDM 11.4.4, 11.12.5 Figure 11-31). */
static int apic_base_write(struct x86vcpu_vlapic *l, uint64_t val, struct x86vcpu_vlapic_fx *fx)
{
    uint64_t rsvd = 0xffull | (1ull << 9) | ~((1ull << l->maxphyaddr) - 1);
    if (!(l->features & VLAPIC_F_X2APIC))
        rsvd |= VLAPIC_BASE_EXTD;
    if (val & rsvd)
        return VLAPIC_GP;
    uint64_t cur = l->apic_base;
    int cur_en = !!(cur & VLAPIC_BASE_EN), cur_x2 = !!(cur & VLAPIC_BASE_EXTD);
    int new_en = !!(val & VLAPIC_BASE_EN), new_x2 = !!(val & VLAPIC_BASE_EXTD);
    /* EN=0 EXTD=1 is invalid; x2APIC is entered from xAPIC only and left
     * to disabled only. */
    if ((new_x2 && !new_en) || (new_x2 && !cur_x2 && !cur_en) || (cur_x2 && new_en && !new_x2))
        return VLAPIC_GP;
    /* BSP is set at reset; WRMSR leaves it. */
    l->apic_base = (val & ~VLAPIC_BASE_BSP) | (cur & VLAPIC_BASE_BSP);
    if (cur == l->apic_base)
        return VLAPIC_OK;
    fx->flags |= VLAPIC_FX_MODE;
    if (cur_en && !new_en) {
        /* Any -> disabled: the APIC loses its state (SDM 11.4.3, 11.12.5.1). */
        reset_regs(l, 0);
        fx->flags |= VLAPIC_FX_TIMER | VLAPIC_FX_IRQ;
    } else if (!cur_x2 && new_x2) {
        /* xAPIC -> x2APIC (SDM 11.12.5.1): the ID becomes the x2APIC ID,
         * read-only, and LDR is derived from it; DFR is gone; the rest is
         * kept. */
        wr(l, VLAPIC_ID, l->apic_id);
        wr(l, VLAPIC_LDR, x2apic_ldr(l->apic_id));
        wr(l, VLAPIC_DFR, 0xffffffffu);
    }
    return VLAPIC_OK;
}

/* ------------------------------------------------------- register access */
/* What a read of register `off` returns (both views; the caller checked
 * that it exists in the view). */
static uint32_t reg_read(struct x86vcpu_vlapic *l, uint64_t now, uint32_t off)
{
    switch (off) {
    case VLAPIC_PPR:
        update_ppr(l);
        return rd(l, VLAPIC_PPR);
    case VLAPIC_APR:
        wr(l, VLAPIC_APR, x86vcpu__vlapic_apr(l));
        return rd(l, VLAPIC_APR);
    case VLAPIC_TMCCT:
        return timer_current(l, now);
    case VLAPIC_EOI: case VLAPIC_RRD: case VLAPIC_SELF_IPI:
        return 0;
    default:
        return rd(l, off);
    }
}

/* Write register `off` with val, reserved bits already dealt with by the
 * view (the xAPIC view ignores them, the x2APIC one #GPs). */
static void reg_write(struct x86vcpu_vlapic *l, uint64_t now, uint32_t off, uint32_t val,
                      uint32_t icr_hi, struct x86vcpu_vlapic_fx *fx)
{
    switch (off) {
    case VLAPIC_ID:
        wr(l, off, val & 0xff000000u);
        return;
    case VLAPIC_TPR:
        x86vcpu__vlapic_set_tpr(l, val & 0xff);
        fx->flags |= VLAPIC_FX_IRQ;
        return;
    case VLAPIC_EOI:
        x86vcpu__vlapic_eoi(l, fx);
        return;
    case VLAPIC_LDR:
        wr(l, off, val & 0xff000000u);
        return;
    case VLAPIC_DFR:
        wr(l, off, val | 0x0fffffffu);
        return;
    case VLAPIC_SVR:
        wr(l, off, val & svr_writable(l));
        if (!(val & VLAPIC_SVR_ENABLE)) {
            /* SDM 11.4.7.2: software disable masks every LVT entry. */
            for (unsigned i = 0; i < N_LVT; i++)
                if (lvt_present(l, lvt_offsets[i]))
                    wr(l, lvt_offsets[i], rd(l, lvt_offsets[i]) | VLAPIC_LVT_MASKED);
            l->timer_lvt = rd(l, VLAPIC_LVT_TIMER);
        }
        fx->flags |= VLAPIC_FX_IRQ;
        return;
    case VLAPIC_ESR:
        /* SDM 11.5.3: a write latches the errors seen since the previous
         * write into the readable register and starts over. */
        wr(l, off, l->esr_pending);
        l->esr_pending = 0;
        return;
    case VLAPIC_ICR_LO:
        wr(l, VLAPIC_ICR_LO, val & 0x000ccfffu);
        wr(l, VLAPIC_ICR_HI, icr_hi);
        send_ipi(l, val, icr_hi, fx);
        return;
    case VLAPIC_ICR_HI:
        wr(l, off, val & 0xff000000u);
        return;
    case VLAPIC_LVT_TIMER: {
        /* The old value back first (an APIC-write exit left the new one in
         * the page): what is due fires in the old mode, and the mode
         * change below is seen. */
        wr(l, off, l->timer_lvt);
        x86vcpu__vlapic_timer_update(l, now, fx);
        uint32_t old = timer_mode(l);
        uint32_t v = val & lvt_writable(l, off);
        if (!(rd(l, VLAPIC_SVR) & VLAPIC_SVR_ENABLE))
            v |= VLAPIC_LVT_MASKED;
        wr(l, off, v);
        l->timer_lvt = v;
        uint32_t mode = timer_mode(l);
        /* SDM 11.5.4.1: "A write to the LVT Timer Register that changes
         * the timer mode disarms the local APIC timer." Into or out of
         * TSC-deadline mode the initial count is cleared too (as KVM
         * does): it means nothing there. */
        if (old != mode) {
            l->tsc_deadline = 0;
            l->timer_c0 = 0;
            if ((old == VLAPIC_TIMER_DEADLINE) != (mode == VLAPIC_TIMER_DEADLINE))
                wr(l, VLAPIC_TMICT, 0);
        }
        fx->flags |= VLAPIC_FX_TIMER;
        return;
    }
    case VLAPIC_LVT_CMCI: case VLAPIC_LVT_THERMAL: case VLAPIC_LVT_PERF:
    case VLAPIC_LVT_LINT0: case VLAPIC_LVT_LINT1: case VLAPIC_LVT_ERROR: {
        /* Remote IRR from the model's own copy: after an APIC-write exit
         * the page holds whatever the guest wrote there. */
        uint32_t pin = off == VLAPIC_LVT_LINT0 ? 1u : off == VLAPIC_LVT_LINT1 ? 2u : 0u;
        uint32_t v = (val & lvt_writable(l, off)) | ((l->lint_rirr & pin) ? VLAPIC_LVT_REMOTE_IRR : 0);
        if (!(rd(l, VLAPIC_SVR) & VLAPIC_SVR_ENABLE))
            v |= VLAPIC_LVT_MASKED;
        wr(l, off, v);
        return;
    }
    case VLAPIC_TMICT:
        /* Ignored in TSC-deadline mode (SDM 11.5.4.1). */
        if (timer_mode(l) == VLAPIC_TIMER_DEADLINE)
            return;
        wr(l, off, val);
        timer_start(l, now, val, fx);
        return;
    case VLAPIC_DCR: {
        /* A new divider applies from now on: the count reached so far (at
         * the old divider, put back if an APIC-write exit left the new one
         * in the page) is kept and counts down at the new rate. */
        wr(l, off, l->timer_dcr);
        x86vcpu__vlapic_timer_update(l, now, fx);
        uint32_t cur = timer_current(l, now);
        wr(l, off, val & 0xbu);
        l->timer_dcr = val & 0xbu;
        if (l->timer_c0)
            timer_start(l, now, cur, fx);
        return;
    }
    case VLAPIC_SELF_IPI: {
        /* x2APIC SELF IPI (SDM 11.12.11): fixed, edge, to this APIC only. */
        uint8_t v = (uint8_t)(val & 0xff);
        if (v < 16) {
            set_error(l, VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
        } else {
            x86vcpu__vlapic_accept(l, VLAPIC_DM_FIXED, v, 0);
        }
        fx->flags |= VLAPIC_FX_IRQ;
        return;
    }
    default:
        return;
    }
}

/* ------------------------------------------------------------- xAPIC view */
enum { R_NONE = 0, R_RO = 1, R_WO = 2, R_RW = 3 };

/* Access of an xAPIC register (Table 11-1), 0 if reserved. */
static int xapic_access(const struct x86vcpu_vlapic *l, uint32_t off)
{
    if (off >= VLAPIC_ISR && off < VLAPIC_ESR)
        return R_RO; /* ISR, TMR, IRR */
    switch (off) {
    case VLAPIC_ID: case VLAPIC_TPR: case VLAPIC_LDR: case VLAPIC_DFR: case VLAPIC_SVR:
    case VLAPIC_ESR: case VLAPIC_ICR_LO: case VLAPIC_ICR_HI: case VLAPIC_TMICT: case VLAPIC_DCR:
        return R_RW;
    case VLAPIC_VER: case VLAPIC_APR: case VLAPIC_PPR: case VLAPIC_RRD: case VLAPIC_TMCCT:
        return R_RO;
    case VLAPIC_EOI:
        return R_WO;
    default:
        return lvt_present(l, off) ? R_RW : R_NONE;
    }
}

int x86vcpu__vlapic_mmio_read(struct x86vcpu_vlapic *l, uint64_t now, uint32_t offset, unsigned size,
                              uint32_t *val)
{
    if (!x86vcpu__vlapic_hw_enabled(l) || x86vcpu__vlapic_x2apic(l))
        return VLAPIC_NOT_APIC;
    offset &= 0xfff;
    uint32_t slot = offset & ~0xfu, in = offset & 0xf;
    if ((size != 1 && size != 2 && size != 4) || in + size > 16) {
        *val = 0;
        return VLAPIC_OK;
    }
    int acc = xapic_access(l, slot);
    if (acc == R_NONE) {
        set_error(l, VLAPIC_ESR_ILLEGAL_REGISTER);
        *val = 0;
        return VLAPIC_OK;
    }
    /* Only the first dword of a 16-byte slot is the register; a
     * write-only register (EOI) reads 0. */
    uint32_t v = (in < 4 && (acc & R_RO)) ? reg_read(l, now, slot) >> (8 * in) : 0;
    *val = size == 4 ? v : v & ((1u << (8 * size)) - 1);
    return VLAPIC_OK;
}

int x86vcpu__vlapic_mmio_write(struct x86vcpu_vlapic *l, uint64_t now, uint32_t offset, unsigned size,
                               uint32_t val, struct x86vcpu_vlapic_fx *fx)
{
    if (!x86vcpu__vlapic_hw_enabled(l) || x86vcpu__vlapic_x2apic(l))
        return VLAPIC_NOT_APIC;
    offset &= 0xfff;
    uint32_t slot = offset & ~0xfu;
    int acc = xapic_access(l, slot);
    if (acc == R_NONE) {
        set_error(l, VLAPIC_ESR_ILLEGAL_REGISTER);
        return VLAPIC_OK;
    }
    /* SDM 11.4.1: 32-bit stores at 16-byte aligned offsets; anything else
     * is model-specific and ignored here. Writes to read-only registers
     * are ignored. */
    if (size != 4 || (offset & 0xf) || !(acc & R_WO))
        return VLAPIC_OK;
    reg_write(l, now, slot, val, rd(l, VLAPIC_ICR_HI), fx);
    return VLAPIC_OK;
}

int x86vcpu__vlapic_apic_write(struct x86vcpu_vlapic *l, uint64_t now, uint32_t offset,
                               struct x86vcpu_vlapic_fx *fx)
{
    if (!x86vcpu__vlapic_hw_enabled(l) || x86vcpu__vlapic_x2apic(l))
        return VLAPIC_NOT_APIC;
    /* SDM 30.4.3.3: trap-like, the data already at its offset in the
     * virtual-APIC page; the qualification gives the offset. */
    uint32_t slot = offset & 0xff0u;
    int acc = xapic_access(l, slot);
    if (!(acc & R_WO)) {
        if (acc == R_NONE)
            set_error(l, VLAPIC_ESR_ILLEGAL_REGISTER);
        return VLAPIC_OK;
    }
    reg_write(l, now, slot, rd(l, slot), rd(l, VLAPIC_ICR_HI), fx);
    return VLAPIC_OK;
}

/* ------------------------------------------------------------ x2APIC view */
/* The x2APIC registers (SDM Table 11-6): access, and the bits a WRMSR may
 * set (others #GP, 11.12.1.3); ro_ok: read-only bits that may be written
 * back as read (delivery status, remote IRR) and are ignored. */
static int x2apic_reg(const struct x86vcpu_vlapic *l, uint32_t off, uint32_t *writable, uint32_t *ro_ok)
{
    *writable = 0xffffffffu;
    *ro_ok = 0;
    if (off >= VLAPIC_ISR && off < VLAPIC_ESR)
        return R_RO;
    switch (off) {
    case VLAPIC_ID: case VLAPIC_VER: case VLAPIC_PPR: case VLAPIC_LDR: case VLAPIC_TMCCT:
        return R_RO;
    case VLAPIC_TPR: *writable = 0xff; return R_RW;
    case VLAPIC_EOI: *writable = 0; return R_WO;
    case VLAPIC_SVR: *writable = svr_writable(l); return R_RW;
    case VLAPIC_ESR: *writable = 0; return R_RW;
    case VLAPIC_ICR_LO: *writable = 0x000ccfffu; return R_RW;
    case VLAPIC_TMICT: return R_RW;
    case VLAPIC_DCR: *writable = 0xb; return R_RW;
    case VLAPIC_SELF_IPI: *writable = 0xff; return R_WO;
    default:
        if (!lvt_present(l, off))
            return R_NONE; /* APR, RRD, DFR, ICR high, holes: reserved */
        *writable = lvt_writable(l, off);
        *ro_ok = VLAPIC_LVT_PENDING |
                 (off == VLAPIC_LVT_LINT0 || off == VLAPIC_LVT_LINT1 ? VLAPIC_LVT_REMOTE_IRR : 0);
        return R_RW;
    }
}

int x86vcpu__vlapic_is_msr(uint32_t msr)
{
    return msr == VLAPIC_MSR_APIC_BASE || msr == VLAPIC_MSR_TSC_DEADLINE ||
           (msr >= VLAPIC_MSR_X2APIC_FIRST && msr <= VLAPIC_MSR_X2APIC_LAST);
}

int x86vcpu__vlapic_msr_read(struct x86vcpu_vlapic *l, uint64_t now, uint32_t msr, uint64_t *val)
{
    if (msr == VLAPIC_MSR_APIC_BASE) {
        *val = l->apic_base;
        return VLAPIC_OK;
    }
    if (msr == VLAPIC_MSR_TSC_DEADLINE) {
        if (!(l->features & VLAPIC_F_TSC_DEADLINE))
            return VLAPIC_GP;
        /* Reads 0 outside TSC-deadline mode (SDM 11.5.4.1). */
        *val = timer_mode(l) == VLAPIC_TIMER_DEADLINE ? l->tsc_deadline : 0;
        return VLAPIC_OK;
    }
    /* x2APIC MSRs #GP outside x2APIC mode (SDM 11.12.1.2). */
    if (msr < VLAPIC_MSR_X2APIC_FIRST || msr > VLAPIC_MSR_X2APIC_LAST || !x86vcpu__vlapic_x2apic(l))
        return VLAPIC_GP;
    uint32_t off = (msr - VLAPIC_MSR_X2APIC_FIRST) << 4, w, ro;
    int acc = x2apic_reg(l, off, &w, &ro);
    if (!(acc & R_RO))
        return VLAPIC_GP; /* reserved or write-only (EOI, SELF IPI) */
    if (off == VLAPIC_ICR_LO)
        *val = ((uint64_t)rd(l, VLAPIC_ICR_HI) << 32) | rd(l, VLAPIC_ICR_LO);
    else
        *val = reg_read(l, now, off);
    return VLAPIC_OK;
}

int x86vcpu__vlapic_msr_write(struct x86vcpu_vlapic *l, uint64_t now, uint32_t msr, uint64_t val,
                              struct x86vcpu_vlapic_fx *fx)
{
    if (msr == VLAPIC_MSR_APIC_BASE)
        return apic_base_write(l, val, fx);
    if (msr == VLAPIC_MSR_TSC_DEADLINE) {
        if (!(l->features & VLAPIC_F_TSC_DEADLINE))
            return VLAPIC_GP;
        /* Ignored unless in TSC-deadline mode; 0 disarms (SDM 11.5.4.1). */
        if (!x86vcpu__vlapic_hw_enabled(l) || timer_mode(l) != VLAPIC_TIMER_DEADLINE)
            return VLAPIC_OK;
        l->tsc_deadline = val;
        fx->flags |= VLAPIC_FX_TIMER;
        x86vcpu__vlapic_timer_update(l, now, fx);
        return VLAPIC_OK;
    }
    if (msr < VLAPIC_MSR_X2APIC_FIRST || msr > VLAPIC_MSR_X2APIC_LAST || !x86vcpu__vlapic_x2apic(l))
        return VLAPIC_GP;
    uint32_t off = (msr - VLAPIC_MSR_X2APIC_FIRST) << 4, w, ro;
    int acc = x2apic_reg(l, off, &w, &ro);
    if (!(acc & R_WO))
        return VLAPIC_GP; /* reserved or read-only */
    /* Bits 63:32 are reserved except in the ICR (SDM 11.12.1.2); set
     * reserved bits #GP (11.12.1.3). */
    uint32_t lo = (uint32_t)val, hi = (uint32_t)(val >> 32);
    if ((off != VLAPIC_ICR_LO && hi) || (lo & ~(w | ro)))
        return VLAPIC_GP;
    reg_write(l, now, off, lo & ~ro, hi, fx);
    return VLAPIC_OK;
}
