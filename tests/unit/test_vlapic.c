/* Unit tests: the virtual local APIC (src/lib/vlapic.c) after SDM Vol. 3A
 * chapter 11: register access rules in the xAPIC MMIO and x2APIC MSR views,
 * priorities (11.8.3.1, 11.6.2.4), IRR/ISR/TMR and EOI, ESR, LVTs, the
 * timer in its three modes, ICR and destination matching, IA32_APIC_BASE
 * transitions (11.12.5), reset and INIT. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "lib/vlapic.h"

typedef unsigned __int128 u128;

static uint32_t page_a[1024] __attribute__((aligned(4096)));
static uint32_t page_b[1024] __attribute__((aligned(4096)));

#define ALL_F (VLAPIC_F_X2APIC | VLAPIC_F_TSC_DEADLINE | VLAPIC_F_EOI_SUPPRESS | \
               VLAPIC_F_LVT_PERF | VLAPIC_F_LVT_THERMAL | VLAPIC_F_LVT_CMCI)
/* 3 GHz TSC, 100 MHz bus: 30 TSC ticks a bus tick. */
#define TSC_KHZ 3000000u
#define BUS_KHZ 100000u

static void mk(struct x86vcpu_vlapic *l, uint32_t *page, uint32_t id, uint32_t features)
{
    struct x86vcpu_vlapic_config c = { .apic_id = id, .tsc_khz = TSC_KHZ, .bus_khz = BUS_KHZ,
                                       .features = features, .maxphyaddr = 39, .bsp = 1 };
    memset(page, 0xa5, 4096);
    assert_int_equal(x86vcpu__vlapic_init(l, page, &c), 0);
}

static uint32_t mr(struct x86vcpu_vlapic *l, uint32_t off)
{
    uint32_t v = 0xdeadbeef;
    assert_int_equal(x86vcpu__vlapic_mmio_read(l, 0, off, 4, &v), VLAPIC_OK);
    return v;
}

static struct x86vcpu_vlapic_fx mw(struct x86vcpu_vlapic *l, uint32_t off, uint32_t v)
{
    struct x86vcpu_vlapic_fx fx = { 0 };
    assert_int_equal(x86vcpu__vlapic_mmio_write(l, 0, off, 4, v, &fx), VLAPIC_OK);
    return fx;
}

static void to_x2apic(struct x86vcpu_vlapic *l)
{
    struct x86vcpu_vlapic_fx fx = { 0 };
    assert_int_equal(x86vcpu__vlapic_msr_write(l, 0, VLAPIC_MSR_APIC_BASE,
                                               VLAPIC_BASE_DEFAULT | VLAPIC_BASE_EN | VLAPIC_BASE_EXTD, &fx),
                     VLAPIC_OK);
    assert_true(x86vcpu__vlapic_x2apic(l));
}

static void sw_enable(struct x86vcpu_vlapic *l)
{
    if (x86vcpu__vlapic_x2apic(l)) {
        struct x86vcpu_vlapic_fx fx = { 0 };
        assert_int_equal(x86vcpu__vlapic_msr_write(l, 0, 0x80f, 0x1ff, &fx), VLAPIC_OK);
    } else {
        mw(l, VLAPIC_SVR, 0x1ff);
    }
}

/* ESR as software reads it: write, then read (SDM 11.5.3). */
static uint32_t esr_read(struct x86vcpu_vlapic *l)
{
    if (x86vcpu__vlapic_x2apic(l)) {
        struct x86vcpu_vlapic_fx fx = { 0 };
        uint64_t v;
        assert_int_equal(x86vcpu__vlapic_msr_write(l, 0, 0x828, 0, &fx), VLAPIC_OK);
        assert_int_equal(x86vcpu__vlapic_msr_read(l, 0, 0x828, &v), VLAPIC_OK);
        return (uint32_t)v;
    }
    mw(l, VLAPIC_ESR, 0);
    return mr(l, VLAPIC_ESR);
}

/* ----------------------------------------------------------------- reset */
static void test_reset_state(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    mk(&l, page_a, 3, ALL_F);
    uint64_t base;
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, VLAPIC_MSR_APIC_BASE, &base), VLAPIC_OK);
    assert_int_equal(base, 0xfee00000ull | VLAPIC_BASE_EN | VLAPIC_BASE_BSP);
    assert_int_equal(mr(&l, VLAPIC_ID), 3u << 24);
    /* Version 14H, Max LVT Entry 6 (seven entries), directed EOI. */
    assert_int_equal(mr(&l, VLAPIC_VER), 0x01060014u);
    assert_int_equal(mr(&l, VLAPIC_DFR), 0xffffffffu);
    assert_int_equal(mr(&l, VLAPIC_SVR), 0xffu);
    assert_int_equal(mr(&l, VLAPIC_TPR), 0);
    assert_int_equal(mr(&l, VLAPIC_PPR), 0);
    assert_int_equal(mr(&l, VLAPIC_LDR), 0);
    assert_int_equal(mr(&l, VLAPIC_TMICT), 0);
    assert_int_equal(mr(&l, VLAPIC_DCR), 0);
    static const uint32_t lvts[] = { VLAPIC_LVT_CMCI, VLAPIC_LVT_TIMER, VLAPIC_LVT_THERMAL,
                                     VLAPIC_LVT_PERF, VLAPIC_LVT_LINT0, VLAPIC_LVT_LINT1,
                                     VLAPIC_LVT_ERROR };
    for (unsigned i = 0; i < 7; i++)
        assert_int_equal(mr(&l, lvts[i]), VLAPIC_LVT_MASKED);
    for (uint32_t o = 0x100; o < 0x280; o += 0x10)
        assert_int_equal(mr(&l, o), 0);
    /* The page holds the registers at their offsets; holes are zero. */
    assert_int_equal(page_a[VLAPIC_SVR / 4], 0xffu);
    assert_int_equal(page_a[VLAPIC_SVR / 4 + 1], 0);
    assert_int_equal(page_a[0x400 / 4 + 7], 0);
    /* Fewer LVTs: Max LVT Entry 3 (timer, LINT0, LINT1, error), no
     * directed EOI. */
    mk(&l, page_a, 0, 0);
    assert_int_equal(mr(&l, VLAPIC_VER), 0x00030014u);
    mk(&l, page_a, 0, VLAPIC_F_LVT_PERF | VLAPIC_F_LVT_THERMAL);
    assert_int_equal(mr(&l, VLAPIC_VER), 0x00050014u);
    /* A bad configuration. */
    struct x86vcpu_vlapic_config c = { .tsc_khz = 0, .bus_khz = 1 };
    assert_int_equal(x86vcpu__vlapic_init(&l, page_a, &c), -1);
    c.tsc_khz = 1;
    assert_int_equal(x86vcpu__vlapic_init(&l, NULL, &c), -1);
}

/* ----------------------------------------------------------- xAPIC view */
/* Per slot: -1 reserved; else the bits a write of all ones leaves (read
 * back), with 'ro' for read-only registers (write ignored). */
struct xreg { uint32_t off; int kind; uint32_t ones; };
enum { RSV, RO, RW, WO };

static void test_xapic_register_table(void **st)
{
    (void)st;
    static const struct xreg regs[] = {
        { VLAPIC_ID, RW, 0xff000000u },   { VLAPIC_VER, RO, 0 },
        { VLAPIC_TPR, RW, 0xff },         { VLAPIC_APR, RO, 0 },
        { VLAPIC_PPR, RO, 0 },            { VLAPIC_EOI, WO, 0 },
        { VLAPIC_RRD, RO, 0 },            { VLAPIC_LDR, RW, 0xff000000u },
        { VLAPIC_DFR, RW, 0xffffffffu },  { VLAPIC_SVR, RW, 0x13ff },
        { VLAPIC_ESR, RW, 0 },            { VLAPIC_LVT_CMCI, RW, 0x107ff },
        { VLAPIC_ICR_LO, RW, 0xccfff },   { VLAPIC_ICR_HI, RW, 0xff000000u },
        { VLAPIC_LVT_TIMER, RW, 0x700ff },{ VLAPIC_LVT_THERMAL, RW, 0x107ff },
        { VLAPIC_LVT_PERF, RW, 0x107ff }, { VLAPIC_LVT_LINT0, RW, 0x1a7ff },
        { VLAPIC_LVT_LINT1, RW, 0x1a7ff },{ VLAPIC_LVT_ERROR, RW, 0x100ff },
        { VLAPIC_TMICT, RW, 0xffffffffu },{ VLAPIC_TMCCT, RO, 0 },
        { VLAPIC_DCR, RW, 0xb },
    };
    for (uint32_t off = 0; off < 0x1000; off += 0x10) {
        struct x86vcpu_vlapic l;
        mk(&l, page_a, 1, ALL_F);
        sw_enable(&l);
        int kind = RSV;
        uint32_t ones = 0;
        if (off >= 0x100 && off < 0x280)
            kind = RO;
        for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; i++)
            if (regs[i].off == off) {
                kind = regs[i].kind;
                ones = regs[i].ones;
            }
        /* The ICR sends: keep it harmless (no IPI checked here). */
        uint32_t before = mr(&l, off);
        struct x86vcpu_vlapic_fx fx = mw(&l, off, 0xffffffffu);
        uint32_t after = mr(&l, off);
        uint32_t esr = esr_read(&l);
        switch (kind) {
        case RSV:
            if (after != 0 || before != 0 || esr != VLAPIC_ESR_ILLEGAL_REGISTER)
                fail_msg("reserved %#x: read %#x/%#x esr %#x", off, before, after, esr);
            break;
        case RO:
            if (after != before || esr != 0)
                fail_msg("read-only %#x: %#x -> %#x esr %#x", off, before, after, esr);
            break;
        case WO:
            if (after != 0 || esr != 0)
                fail_msg("write-only %#x: reads %#x", off, after);
            break;
        default:
            if (off == VLAPIC_ESR || off == VLAPIC_ICR_LO)
                break; /* ESR latches errors, ICR sends: checked below */
            if (after != ones)
                fail_msg("%#x: all ones read back %#x, expected %#x", off, after, ones);
            break;
        }
        (void)fx;
    }
}

static void test_xapic_access_sizes(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    uint32_t v;
    mk(&l, page_a, 0x12, ALL_F);
    /* Byte and word reads inside the first dword of a slot. */
    assert_int_equal(x86vcpu__vlapic_mmio_read(&l, 0, VLAPIC_ID + 3, 1, &v), VLAPIC_OK);
    assert_int_equal(v, 0x12);
    assert_int_equal(x86vcpu__vlapic_mmio_read(&l, 0, VLAPIC_VER, 2, &v), VLAPIC_OK);
    assert_int_equal(v, 0x0014);
    assert_int_equal(x86vcpu__vlapic_mmio_read(&l, 0, VLAPIC_VER + 2, 2, &v), VLAPIC_OK);
    assert_int_equal(v, 0x0106);
    /* Bytes 4-15 of a slot read 0; an 8-byte or 3-byte access reads 0. */
    assert_int_equal(x86vcpu__vlapic_mmio_read(&l, 0, VLAPIC_DFR + 4, 4, &v), VLAPIC_OK);
    assert_int_equal(v, 0);
    assert_int_equal(x86vcpu__vlapic_mmio_read(&l, 0, VLAPIC_DFR, 8, &v), VLAPIC_OK);
    assert_int_equal(v, 0);
    assert_int_equal(x86vcpu__vlapic_mmio_read(&l, 0, VLAPIC_DFR, 3, &v), VLAPIC_OK);
    assert_int_equal(v, 0);
    /* A read straddling the end of the dword: the register's bytes, zeros
     * past it. */
    assert_int_equal(x86vcpu__vlapic_mmio_read(&l, 0, VLAPIC_DFR + 2, 4, &v), VLAPIC_OK);
    assert_int_equal(v, 0xffff);
    /* Only aligned 4-byte writes count. */
    struct x86vcpu_vlapic_fx fx = { 0 };
    assert_int_equal(x86vcpu__vlapic_mmio_write(&l, 0, VLAPIC_TPR, 1, 0x50, &fx), VLAPIC_OK);
    assert_int_equal(x86vcpu__vlapic_mmio_write(&l, 0, VLAPIC_TPR + 4, 4, 0x50, &fx), VLAPIC_OK);
    assert_int_equal(x86vcpu__vlapic_mmio_write(&l, 0, VLAPIC_TPR, 2, 0x50, &fx), VLAPIC_OK);
    assert_int_equal(mr(&l, VLAPIC_TPR), 0);
    mw(&l, VLAPIC_TPR, 0x50);
    assert_int_equal(mr(&l, VLAPIC_TPR), 0x50);
    /* The window wraps at 4 KiB (offset only). */
    assert_int_equal(x86vcpu__vlapic_mmio_read(&l, 0, 0x1000 + VLAPIC_TPR, 4, &v), VLAPIC_OK);
    assert_int_equal(v, 0x50);
    /* Not the APIC's in x2APIC mode or globally disabled. */
    to_x2apic(&l);
    assert_int_equal(x86vcpu__vlapic_mmio_read(&l, 0, VLAPIC_TPR, 4, &v), VLAPIC_NOT_APIC);
    assert_int_equal(x86vcpu__vlapic_mmio_write(&l, 0, VLAPIC_TPR, 4, 0, &fx), VLAPIC_NOT_APIC);
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, VLAPIC_MSR_APIC_BASE, VLAPIC_BASE_DEFAULT, &fx),
                     VLAPIC_OK);
    assert_int_equal(x86vcpu__vlapic_mmio_read(&l, 0, VLAPIC_TPR, 4, &v), VLAPIC_NOT_APIC);
}

/* ----------------------------------------------------------- x2APIC view */
/* MSR, readable, writable (bits a WRMSR may set; -1: none allowed but 0
 * for EOI/ESR), per Table 11-6. */
struct x2reg { uint32_t msr; int rd; int wr; uint64_t ok_bits; };

static void test_x2apic_msr_table(void **st)
{
    (void)st;
    static const struct x2reg regs[] = {
        { 0x802, 1, 0, 0 },           { 0x803, 1, 0, 0 },
        { 0x808, 1, 1, 0xff },        { 0x80a, 1, 0, 0 },
        { 0x80b, 0, 1, 0 },           { 0x80d, 1, 0, 0 },
        { 0x80f, 1, 1, 0x13ff },      { 0x828, 1, 1, 0 },
        { 0x82f, 1, 1, 0x107ff },     { 0x830, 1, 1, 0xffffffff000ccfffull },
        { 0x832, 1, 1, 0x700ff },     { 0x833, 1, 1, 0x107ff },
        { 0x834, 1, 1, 0x107ff },     { 0x835, 1, 1, 0x1a7ff },
        { 0x836, 1, 1, 0x1a7ff },     { 0x837, 1, 1, 0x100ff },
        { 0x838, 1, 1, 0xffffffffu }, { 0x839, 1, 0, 0 },
        { 0x83e, 1, 1, 0xb },         { 0x83f, 0, 1, 0xff },
    };
    unsigned n_ok = 0;
    for (uint32_t msr = 0x800; msr <= 0x8ff; msr++) {
        struct x86vcpu_vlapic l;
        mk(&l, page_a, 0x21, ALL_F);
        to_x2apic(&l);
        sw_enable(&l);
        int can_rd = 0, can_wr = 0;
        uint64_t ok_bits = 0;
        if (msr >= 0x810 && msr <= 0x827)
            can_rd = 1;
        for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; i++)
            if (regs[i].msr == msr) {
                can_rd = regs[i].rd;
                can_wr = regs[i].wr;
                ok_bits = regs[i].ok_bits;
            }
        uint64_t v = 0x1234;
        int r = x86vcpu__vlapic_msr_read(&l, 0, msr, &v);
        if (r != (can_rd ? VLAPIC_OK : VLAPIC_GP))
            fail_msg("rdmsr %#x: %d", msr, r);
        if (!can_rd)
            assert_int_equal(v, 0x1234);
        /* A write of 0 is allowed exactly when the register is writable
         * (the TPR etc. take any of their bits; EOI and ESR only 0). */
        struct x86vcpu_vlapic_fx fx = { 0 };
        if (msr != 0x83f) {
            r = x86vcpu__vlapic_msr_write(&l, 0, msr, 0, &fx);
            if (r != (can_wr ? VLAPIC_OK : VLAPIC_GP))
                fail_msg("wrmsr %#x, 0: %d", msr, r);
        }
        if (!can_wr)
            continue;
        n_ok++;
        /* Each bit alone: allowed bits pass, every other bit #GPs
         * (reserved bits, SDM 11.12.1.3; bits 63:32 but in the ICR). */
        for (unsigned b = 0; b < 64; b++) {
            uint64_t bit = 1ull << b;
            /* Read-only status bits written back as read pass: skip. */
            if ((msr >= 0x82f && msr <= 0x837 && msr != 0x830 && msr != 0x831 && b == 12) ||
                ((msr == 0x835 || msr == 0x836) && b == 14))
                continue;
            /* The vector of SELF IPI/ICR/LVT below 16 is allowed (it is an
             * ESR matter, not #GP). */
            mk(&l, page_a, 0x21, ALL_F);
            to_x2apic(&l);
            sw_enable(&l);
            fx = (struct x86vcpu_vlapic_fx){ 0 };
            r = x86vcpu__vlapic_msr_write(&l, 0, msr, bit, &fx);
            int want = (ok_bits & bit) ? VLAPIC_OK : VLAPIC_GP;
            if (r != want)
                fail_msg("wrmsr %#x bit %u: %d, expected %d", msr, b, r, want);
        }
    }
    assert_int_equal(n_ok, 15);
}

static void test_x2apic_registers(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    struct x86vcpu_vlapic_fx fx = { 0 };
    uint64_t v;
    mk(&l, page_a, 0x1234, ALL_F);
    /* x2APIC MSRs #GP outside x2APIC mode (SDM 11.12.1.2). */
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, 0x802, &v), VLAPIC_GP);
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x808, 0, &fx), VLAPIC_GP);
    /* xAPIC ID is the low byte. */
    assert_int_equal(mr(&l, VLAPIC_ID), 0x34u << 24);
    mw(&l, VLAPIC_DFR, 0x0fffffffu); /* cluster: gone in x2APIC */
    to_x2apic(&l);
    /* ID: 32 bits, read-only; LDR derived (cluster 0x123, bit 4). */
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, 0x802, &v), VLAPIC_OK);
    assert_int_equal(v, 0x1234);
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, 0x80d, &v), VLAPIC_OK);
    assert_int_equal(v, (0x123u << 16) | (1u << 4));
    assert_int_equal(x86vcpu__vlapic_id(&l), 0x1234);
    assert_int_equal(page_a[VLAPIC_ID / 4], 0x1234);
    /* ICR: one 64-bit MSR, bits 63:32 the destination, stored at 300H and
     * 310H of the page; bit 12 (delivery status) reserved. */
    sw_enable(&l);
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x830, 0xabcdef0100004030ull, &fx), VLAPIC_OK);
    assert_true(fx.flags & VLAPIC_FX_IPI);
    assert_int_equal(fx.ipi.dest, 0xabcdef01u);
    assert_int_equal(fx.ipi.vector, 0x30);
    assert_int_equal(fx.ipi.x2apic, 1);
    assert_int_equal(page_a[VLAPIC_ICR_LO / 4], 0x4030);
    assert_int_equal(page_a[VLAPIC_ICR_HI / 4], 0xabcdef01u);
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, 0x830, &v), VLAPIC_OK);
    assert_int_equal(v, 0xabcdef0100004030ull);
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x830, 0x1030, &fx), VLAPIC_GP);
    /* TPR and PPR through MSRs. */
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x808, 0x45, &fx), VLAPIC_OK);
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, 0x80a, &v), VLAPIC_OK);
    assert_int_equal(v, 0x45);
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x808, 0x100, &fx), VLAPIC_GP);
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x808, 1ull << 32, &fx), VLAPIC_GP);
    /* LVT LINT0 written back with remote IRR / delivery status as read. */
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x835, 0x5000 | 0x700, &fx), VLAPIC_OK);
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, 0x835, &v), VLAPIC_OK);
    assert_int_equal(v, 0x700);
    /* A #GP changes nothing. */
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x835, 0x20700, &fx), VLAPIC_GP);
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, 0x835, &v), VLAPIC_OK);
    assert_int_equal(v, 0x700);
    /* Without TSC-deadline, timer mode bit 18 is reserved; without the
     * CMCI LVT, MSR 82FH is reserved. */
    mk(&l, page_a, 0x1234, VLAPIC_F_X2APIC);
    to_x2apic(&l);
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x832, 1ull << 18, &fx), VLAPIC_GP);
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x832, 1ull << 17, &fx), VLAPIC_OK);
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, 0x82f, &v), VLAPIC_GP);
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, 0x833, &v), VLAPIC_GP);
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, 0x834, &v), VLAPIC_GP);
    /* No SVR bit 12 without directed EOI. */
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x80f, 0x11ff, &fx), VLAPIC_GP);
    /* TSC deadline MSR #GPs without the feature; other MSRs are not ours. */
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, VLAPIC_MSR_TSC_DEADLINE, &v), VLAPIC_GP);
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, 0x10, &v), VLAPIC_GP);
    assert_true(x86vcpu__vlapic_is_msr(0x1b) && x86vcpu__vlapic_is_msr(0x6e0) &&
                x86vcpu__vlapic_is_msr(0x800) && x86vcpu__vlapic_is_msr(0x8ff));
    assert_false(x86vcpu__vlapic_is_msr(0x7ff) || x86vcpu__vlapic_is_msr(0x900));
}

/* ------------------------------------------------------------- priority */
static void set_vec(uint32_t *page, uint32_t base, unsigned v)
{
    page[(base + ((v >> 5) << 4)) / 4] |= 1u << (v & 31);
}

static void test_ppr_apr(void **st)
{
    (void)st;
    /* TPR, ISR vector (0 none), IRR vector (0 none) -> PPR, APR. */
    static const struct { uint32_t tpr; unsigned isr, irr; uint32_t ppr, apr; } t[] = {
        { 0x00, 0, 0, 0x00, 0x00 },
        { 0x35, 0, 0, 0x35, 0x35 },
        { 0x35, 0x20, 0, 0x35, 0x35 },
        { 0x35, 0x3f, 0, 0x35, 0x30 },   /* equal classes: PPR = TPR; APR class */
        { 0x35, 0x41, 0, 0x40, 0x40 },   /* ISR class above: PPR = ISRV[7:4]:0 */
        { 0x00, 0xff, 0, 0xf0, 0xf0 },
        { 0x50, 0, 0x61, 0x50, 0x60 },   /* IRR class above TPR */
        { 0x50, 0, 0x51, 0x50, 0x50 },   /* same class: APR = TPR class */
        { 0x57, 0, 0x41, 0x57, 0x57 },
        { 0x20, 0x80, 0x90, 0x80, 0x90 },
        { 0x20, 0x90, 0x80, 0x90, 0x90 },
        { 0xff, 0xfe, 0xfd, 0xff, 0xf0 },
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct x86vcpu_vlapic l;
        mk(&l, page_a, 0, ALL_F);
        if (t[i].isr)
            set_vec(page_a, VLAPIC_ISR, t[i].isr);
        if (t[i].irr)
            set_vec(page_a, VLAPIC_IRR, t[i].irr);
        mw(&l, VLAPIC_TPR, t[i].tpr);
        if (mr(&l, VLAPIC_PPR) != t[i].ppr || mr(&l, VLAPIC_APR) != t[i].apr)
            fail_msg("row %u: PPR %#x APR %#x, expected %#x %#x", i, mr(&l, VLAPIC_PPR),
                     mr(&l, VLAPIC_APR), t[i].ppr, t[i].apr);
        assert_int_equal(x86vcpu__vlapic_ppr(&l), t[i].ppr);
        /* The page holds PPR (for the CPU's virtual-interrupt delivery). */
        assert_int_equal(page_a[VLAPIC_PPR / 4], t[i].ppr);
    }
}

static void test_pending_ack_eoi(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    mk(&l, page_a, 0, ALL_F);
    /* Software-disabled: fixed interrupts are refused. */
    assert_int_equal(x86vcpu__vlapic_accept(&l, VLAPIC_DM_FIXED, 0x40, 0), VLAPIC_ACT_NONE);
    assert_int_equal(x86vcpu__vlapic_highest_irr(&l), -1);
    sw_enable(&l);
    assert_int_equal(x86vcpu__vlapic_accept(&l, VLAPIC_DM_FIXED, 0x40, 0), VLAPIC_ACT_IRQ);
    assert_int_equal(x86vcpu__vlapic_accept(&l, VLAPIC_DM_FIXED, 0x41, 1), VLAPIC_ACT_IRQ);
    assert_int_equal(x86vcpu__vlapic_accept(&l, VLAPIC_DM_LOWEST, 0x90, 0), VLAPIC_ACT_IRQ);
    assert_int_equal(x86vcpu__vlapic_accept(&l, VLAPIC_DM_FIXED, 0x25, 1), VLAPIC_ACT_IRQ);
    /* IRR and TMR in the page. */
    assert_int_equal(mr(&l, VLAPIC_IRR + 0x20), (1u << 0) | (1u << 1)); /* 0x40, 0x41 */
    assert_int_equal(mr(&l, VLAPIC_TMR + 0x20), 1u << 1);
    assert_int_equal(mr(&l, VLAPIC_TMR + 0x10), 1u << 5);               /* 0x25 */
    assert_int_equal(mr(&l, VLAPIC_IRR + 0x40), 1u << 16);              /* 0x90 */
    /* TPR 0x90 holds 0x90 back (class not above PPR) but TPR 0x8f not. */
    mw(&l, VLAPIC_TPR, 0x90);
    assert_int_equal(x86vcpu__vlapic_pending(&l), -1);
    assert_int_equal(x86vcpu__vlapic_tpr_threshold(&l), 9);
    assert_int_equal(x86vcpu__vlapic_ack(&l), -1);
    mw(&l, VLAPIC_TPR, 0x8f);
    assert_int_equal(x86vcpu__vlapic_pending(&l), 0x90);
    assert_int_equal(x86vcpu__vlapic_tpr_threshold(&l), 0);
    mw(&l, VLAPIC_TPR, 0);
    /* Acknowledge in priority order; an in-service class masks its own
     * class and below. */
    assert_int_equal(x86vcpu__vlapic_ack(&l), 0x90);
    assert_int_equal(mr(&l, VLAPIC_PPR), 0x90);
    assert_int_equal(x86vcpu__vlapic_pending(&l), -1);
    /* Accept 0x9f (same class) and 0xa0 while 0x90 is in service. */
    x86vcpu__vlapic_accept(&l, VLAPIC_DM_FIXED, 0x9f, 0);
    assert_int_equal(x86vcpu__vlapic_pending(&l), -1);
    x86vcpu__vlapic_accept(&l, VLAPIC_DM_FIXED, 0xa0, 0);
    assert_int_equal(x86vcpu__vlapic_ack(&l), 0xa0);
    assert_int_equal(x86vcpu__vlapic_highest_isr(&l), 0xa0);
    /* EOI clears the highest ISR bit: 0xa0, then 0x90. */
    struct x86vcpu_vlapic_fx fx = mw(&l, VLAPIC_EOI, 0);
    assert_int_equal(fx.flags & (VLAPIC_FX_EOI | VLAPIC_FX_EOI_BCAST), VLAPIC_FX_EOI);
    assert_int_equal(fx.eoi_vector, 0xa0);
    assert_int_equal(mr(&l, VLAPIC_PPR), 0x90);
    fx = mw(&l, VLAPIC_EOI, 0);
    assert_int_equal(fx.eoi_vector, 0x90);
    assert_int_equal(mr(&l, VLAPIC_PPR), 0);
    assert_int_equal(x86vcpu__vlapic_ack(&l), 0x9f);
    mw(&l, VLAPIC_EOI, 0);
    assert_int_equal(x86vcpu__vlapic_ack(&l), 0x41);
    assert_int_equal(x86vcpu__vlapic_ack(&l), -1); /* 0x40: same class */
    /* Level-triggered EOI: broadcast to the I/O APICs. */
    fx = mw(&l, VLAPIC_EOI, 0);
    assert_int_equal(fx.eoi_vector, 0x41);
    assert_true(fx.flags & VLAPIC_FX_EOI_BCAST);
    assert_int_equal(x86vcpu__vlapic_ack(&l), 0x40);
    fx = mw(&l, VLAPIC_EOI, 0);
    assert_false(fx.flags & VLAPIC_FX_EOI_BCAST);
    /* ... unless SVR[12] suppresses it (directed EOI). */
    mw(&l, VLAPIC_SVR, 0x11ff);
    assert_int_equal(x86vcpu__vlapic_ack(&l), 0x25);
    fx = mw(&l, VLAPIC_EOI, 0);
    assert_int_equal(fx.flags & (VLAPIC_FX_EOI | VLAPIC_FX_EOI_BCAST), VLAPIC_FX_EOI);
    assert_int_equal(fx.eoi_vector, 0x25);
    /* An EOI with nothing in service does nothing. */
    fx = mw(&l, VLAPIC_EOI, 0);
    assert_int_equal(fx.flags, 0);
    /* Edge after level on the same vector clears TMR. */
    x86vcpu__vlapic_accept(&l, VLAPIC_DM_FIXED, 0x41, 1);
    x86vcpu__vlapic_accept(&l, VLAPIC_DM_FIXED, 0x41, 0);
    assert_int_equal(mr(&l, VLAPIC_TMR + 0x20), 0);
    /* Held interrupts still come once software-disabled (SDM 11.4.7.2). */
    mw(&l, VLAPIC_SVR, 0xff);
    assert_int_equal(x86vcpu__vlapic_pending(&l), 0x41);
    /* Other delivery modes are actions, even software-disabled. */
    assert_int_equal(x86vcpu__vlapic_accept(&l, VLAPIC_DM_NMI, 0, 0), VLAPIC_ACT_NMI);
    assert_int_equal(x86vcpu__vlapic_accept(&l, VLAPIC_DM_SMI, 0, 0), VLAPIC_ACT_SMI);
    assert_int_equal(x86vcpu__vlapic_accept(&l, VLAPIC_DM_INIT, 0, 0), VLAPIC_ACT_INIT);
    assert_int_equal(x86vcpu__vlapic_accept(&l, VLAPIC_DM_SIPI, 9, 0), VLAPIC_ACT_SIPI);
    assert_int_equal(x86vcpu__vlapic_accept(&l, VLAPIC_DM_EXTINT, 0, 0), VLAPIC_ACT_EXTINT);
    assert_int_equal(x86vcpu__vlapic_accept(&l, 3, 0x40, 0), VLAPIC_ACT_NONE);
}

/* ----------------------------------------------------------- ESR, LVTs */
static void test_esr(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    mk(&l, page_a, 0, ALL_F);
    sw_enable(&l);
    /* Receive illegal vector: refused, noted; not readable before the
     * next ESR write. */
    assert_int_equal(x86vcpu__vlapic_accept(&l, VLAPIC_DM_FIXED, 15, 0), VLAPIC_ACT_NONE);
    assert_int_equal(x86vcpu__vlapic_highest_irr(&l), -1);
    assert_int_equal(mr(&l, VLAPIC_ESR), 0);
    assert_int_equal(esr_read(&l), VLAPIC_ESR_RECV_ILLEGAL_VECTOR);
    /* The write started over: nothing since. */
    assert_int_equal(esr_read(&l), 0);
    /* Send illegal vector (fixed and lowest priority): nothing sent. */
    struct x86vcpu_vlapic_fx fx = mw(&l, VLAPIC_ICR_LO, 0x4000 | 0x0f);
    assert_false(fx.flags & VLAPIC_FX_IPI);
    fx = mw(&l, VLAPIC_ICR_LO, 0x4100 | 0x03);
    assert_false(fx.flags & VLAPIC_FX_IPI);
    /* NMI with vector 0 is fine. */
    fx = mw(&l, VLAPIC_ICR_LO, 0x4400);
    assert_true(fx.flags & VLAPIC_FX_IPI);
    assert_int_equal(esr_read(&l), VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
    /* Illegal register: reserved slot, read or write. */
    uint32_t v;
    x86vcpu__vlapic_mmio_read(&l, 0, 0x400, 4, &v);
    assert_int_equal(esr_read(&l), VLAPIC_ESR_ILLEGAL_REGISTER);
    /* The error LVT raises its vector when unmasked. */
    mw(&l, VLAPIC_LVT_ERROR, 0xee);
    x86vcpu__vlapic_accept(&l, VLAPIC_DM_FIXED, 3, 0);
    assert_int_equal(x86vcpu__vlapic_pending(&l), 0xee);
    assert_int_equal(esr_read(&l), VLAPIC_ESR_RECV_ILLEGAL_VECTOR);
    /* x2APIC self IPI with an illegal vector. */
    to_x2apic(&l);
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x83f, 5, &fx), VLAPIC_OK);
    assert_int_equal(esr_read(&l), VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x828, 1, &fx), VLAPIC_GP);
}

static void test_lvt_rules(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    mk(&l, page_a, 0, ALL_F);
    /* Software-disabled: the mask bits stay set (SDM 11.4.7.2). */
    mw(&l, VLAPIC_LVT_LINT0, 0x700);
    assert_int_equal(mr(&l, VLAPIC_LVT_LINT0), 0x10700);
    assert_int_equal(x86vcpu__vlapic_lvt_fire(&l, VLAPIC_LVT_LINT0), VLAPIC_ACT_NONE);
    assert_false(x86vcpu__vlapic_accepts_extint(&l));
    sw_enable(&l);
    /* LINT0 ExtINT, LINT1 NMI: virtual-wire mode. */
    mw(&l, VLAPIC_LVT_LINT0, 0x700);
    mw(&l, VLAPIC_LVT_LINT1, 0x400);
    assert_int_equal(mr(&l, VLAPIC_LVT_LINT0), 0x700);
    assert_true(x86vcpu__vlapic_accepts_extint(&l));
    assert_int_equal(x86vcpu__vlapic_lvt_fire(&l, VLAPIC_LVT_LINT0), VLAPIC_ACT_EXTINT);
    assert_int_equal(x86vcpu__vlapic_lvt_fire(&l, VLAPIC_LVT_LINT1), VLAPIC_ACT_NMI);
    /* Clearing SVR[8] masks them all again. */
    mw(&l, VLAPIC_SVR, 0xff);
    assert_int_equal(mr(&l, VLAPIC_LVT_LINT0), 0x10700);
    assert_int_equal(mr(&l, VLAPIC_LVT_LINT1), 0x10400);
    assert_int_equal(mr(&l, VLAPIC_LVT_TIMER), 0x10000);
    sw_enable(&l);
    /* Level-triggered fixed LINT0: remote IRR until the EOI. */
    mw(&l, VLAPIC_LVT_LINT0, 0x8000 | 0x61);
    assert_int_equal(x86vcpu__vlapic_lvt_fire(&l, VLAPIC_LVT_LINT0), VLAPIC_ACT_IRQ);
    assert_int_equal(mr(&l, VLAPIC_LVT_LINT0), 0xc061);
    assert_int_equal(mr(&l, VLAPIC_TMR + 0x30), 1u << 1);
    /* Remote IRR is read-only: a write does not clear it. */
    mw(&l, VLAPIC_LVT_LINT0, 0x8000 | 0x61);
    assert_int_equal(mr(&l, VLAPIC_LVT_LINT0), 0xc061);
    assert_int_equal(x86vcpu__vlapic_ack(&l), 0x61);
    assert_int_equal(x86vcpu__vlapic_lvt_fire(&l, VLAPIC_LVT_LINT0), VLAPIC_ACT_NONE);
    struct x86vcpu_vlapic_fx fx = mw(&l, VLAPIC_EOI, 0);
    assert_true(fx.flags & VLAPIC_FX_EOI_BCAST);
    assert_int_equal(mr(&l, VLAPIC_LVT_LINT0), 0x8061);
    assert_int_equal(x86vcpu__vlapic_lvt_fire(&l, VLAPIC_LVT_LINT0), VLAPIC_ACT_IRQ);
    /* Thermal/perf/CMCI with delivery modes. */
    mw(&l, VLAPIC_LVT_PERF, 0x400);
    assert_int_equal(x86vcpu__vlapic_lvt_fire(&l, VLAPIC_LVT_PERF), VLAPIC_ACT_NMI);
    mw(&l, VLAPIC_LVT_THERMAL, 0x200);
    assert_int_equal(x86vcpu__vlapic_lvt_fire(&l, VLAPIC_LVT_THERMAL), VLAPIC_ACT_SMI);
    mw(&l, VLAPIC_LVT_CMCI, 0x10050);
    assert_int_equal(x86vcpu__vlapic_lvt_fire(&l, VLAPIC_LVT_CMCI), VLAPIC_ACT_NONE);
    mw(&l, VLAPIC_LVT_CMCI, 0x50);
    assert_int_equal(x86vcpu__vlapic_lvt_fire(&l, VLAPIC_LVT_CMCI), VLAPIC_ACT_IRQ);
    /* Globally disabled: LINT0 is INTR, LINT1 NMI. */
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, VLAPIC_MSR_APIC_BASE, VLAPIC_BASE_DEFAULT, &fx),
                     VLAPIC_OK);
    assert_int_equal(x86vcpu__vlapic_lvt_fire(&l, VLAPIC_LVT_LINT0), VLAPIC_ACT_EXTINT);
    assert_int_equal(x86vcpu__vlapic_lvt_fire(&l, VLAPIC_LVT_LINT1), VLAPIC_ACT_NMI);
    assert_int_equal(x86vcpu__vlapic_lvt_fire(&l, VLAPIC_LVT_PERF), VLAPIC_ACT_NONE);
    assert_true(x86vcpu__vlapic_accepts_extint(&l));
    /* Absent LVTs fire nothing. */
    mk(&l, page_a, 0, 0);
    sw_enable(&l);
    assert_int_equal(x86vcpu__vlapic_lvt_fire(&l, VLAPIC_LVT_PERF), VLAPIC_ACT_NONE);
}

/* ---------------------------------------------------------------- timer */
static uint64_t ref_muldiv(uint64_t a, uint32_t b, uint32_t c)
{
    u128 q = (u128)a * b / c;
    return q >> 64 ? ~0ull : (uint64_t)q;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_muldiv(void **st)
{
    (void)st;
    static const uint64_t a_edge[] = { 0, 1, 0xffffffffull, 1ull << 32, ~0ull, 1ull << 63, 0x123456789abull };
    static const uint32_t bc_edge[] = { 1, 2, 3, 0x7fffffffu, 0xffffffffu, 100000, 3000000 };
    for (unsigned i = 0; i < 7; i++)
        for (unsigned j = 0; j < 7; j++)
            for (unsigned k = 0; k < 7; k++) {
                int inexact;
                uint64_t q = x86vcpu__vlapic_muldiv(a_edge[i], bc_edge[j], bc_edge[k], &inexact);
                assert_int_equal(q, ref_muldiv(a_edge[i], bc_edge[j], bc_edge[k]));
                assert_int_equal(inexact, ((u128)a_edge[i] * bc_edge[j]) % bc_edge[k] != 0);
            }
    uint64_t s = 99;
    for (int i = 0; i < 200000; i++) {
        uint64_t a = rnd(&s) >> (rnd(&s) & 63);
        uint32_t b = (uint32_t)(rnd(&s) >> (rnd(&s) & 31)), c = (uint32_t)(rnd(&s) >> (rnd(&s) & 31)) | 1;
        assert_int_equal(x86vcpu__vlapic_muldiv(a, b, c, NULL), ref_muldiv(a, b, c));
    }
}

static uint32_t ccr(struct x86vcpu_vlapic *l, uint64_t now)
{
    uint32_t v;
    assert_int_equal(x86vcpu__vlapic_mmio_read(l, now, VLAPIC_TMCCT, 4, &v), VLAPIC_OK);
    return v;
}

static struct x86vcpu_vlapic_fx mwt(struct x86vcpu_vlapic *l, uint64_t now, uint32_t off, uint32_t v)
{
    struct x86vcpu_vlapic_fx fx = { 0 };
    assert_int_equal(x86vcpu__vlapic_mmio_write(l, now, off, 4, v, &fx), VLAPIC_OK);
    return fx;
}

static int fire(struct x86vcpu_vlapic *l, uint64_t now)
{
    struct x86vcpu_vlapic_fx fx = { 0 };
    return x86vcpu__vlapic_timer_update(l, now, &fx);
}

static void test_timer_oneshot(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    uint64_t t;
    mk(&l, page_a, 0, ALL_F);
    sw_enable(&l);
    mwt(&l, 0, VLAPIC_LVT_TIMER, 0x30);
    /* Divide by 2 (reset DCR 0): 100 counts = 200 bus ticks = 6000 TSC. */
    struct x86vcpu_vlapic_fx fx = mwt(&l, 1000, VLAPIC_TMICT, 100);
    assert_true(fx.flags & VLAPIC_FX_TIMER);
    assert_int_equal(ccr(&l, 1000), 100);
    assert_int_equal(ccr(&l, 1059), 100);
    assert_int_equal(ccr(&l, 1060), 99);
    assert_int_equal(ccr(&l, 6999), 1);
    assert_int_equal(ccr(&l, 7000), 0);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 1000, &t), 1);
    assert_int_equal(t, 6000);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 6999, &t), 1);
    assert_int_equal(t, 1);
    assert_int_equal(fire(&l, 6999), 0);
    assert_int_equal(x86vcpu__vlapic_pending(&l), -1);
    assert_int_equal(fire(&l, 7000), 1);
    assert_int_equal(x86vcpu__vlapic_pending(&l), 0x30);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 7000, &t), 0);
    assert_int_equal(fire(&l, 100000), 0);
    assert_int_equal(ccr(&l, 100000), 0);
    /* The initial count stays readable. */
    assert_int_equal(mr(&l, VLAPIC_TMICT), 100);
    /* Divide by 1 (DCR 1011b): 100 counts = 3000 TSC. */
    mwt(&l, 0, VLAPIC_DCR, 0xb);
    mwt(&l, 0, VLAPIC_TMICT, 100);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 0, &t), 1);
    assert_int_equal(t, 3000);
    /* Divide by 128 (DCR 1010b) */
    mwt(&l, 0, VLAPIC_DCR, 0xa);
    mwt(&l, 0, VLAPIC_TMICT, 1);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 0, &t), 1);
    assert_int_equal(t, 128 * 30);
    /* Every divide value. */
    static const unsigned div[8] = { 2, 4, 8, 16, 32, 64, 128, 1 };
    for (unsigned n = 0; n < 8; n++) {
        mwt(&l, 0, VLAPIC_DCR, ((n & 4) << 1) | (n & 3));
        mwt(&l, 0, VLAPIC_TMICT, 7);
        assert_int_equal(x86vcpu__vlapic_timer_next(&l, 0, &t), 1);
        assert_int_equal(t, 7ull * div[n] * 30);
    }
    /* Count 0 stops the timer. */
    mwt(&l, 0, VLAPIC_TMICT, 0);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 0, &t), 0);
    assert_int_equal(ccr(&l, 0), 0);
    /* Masked: counts, expires, raises nothing. */
    mk(&l, page_a, 0, ALL_F);
    sw_enable(&l);
    mwt(&l, 0, VLAPIC_LVT_TIMER, 0x10030);
    mwt(&l, 0, VLAPIC_TMICT, 10);
    assert_int_equal(ccr(&l, 60), 9);
    assert_int_equal(fire(&l, 600), 1);
    assert_int_equal(x86vcpu__vlapic_highest_irr(&l), -1);
    /* The largest count with divide 128: no overflow (2^39 bus ticks). */
    mwt(&l, 0, VLAPIC_DCR, 0xa);
    mwt(&l, 5, VLAPIC_TMICT, 0xffffffffu);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 5, &t), 1);
    assert_int_equal(t, 0xffffffffull * 128 * 30);
    assert_int_equal(ccr(&l, 5 + 128 * 30 - 1), 0xffffffffu);
    assert_int_equal(ccr(&l, 5 + 128 * 30), 0xfffffffeu);
}

static void test_timer_periodic(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    uint64_t t;
    mk(&l, page_a, 0, ALL_F);
    sw_enable(&l);
    mwt(&l, 0, VLAPIC_DCR, 0xb);
    mwt(&l, 0, VLAPIC_LVT_TIMER, 0x20031);
    /* 10 counts = 300 TSC per period, from 50. */
    mwt(&l, 50, VLAPIC_TMICT, 10);
    assert_int_equal(ccr(&l, 349), 1);
    assert_int_equal(ccr(&l, 350), 10);  /* reloaded */
    assert_int_equal(ccr(&l, 380), 9);
    assert_int_equal(fire(&l, 350), 1);
    assert_int_equal(x86vcpu__vlapic_ack(&l), 0x31);
    /* Re-armed from the deadline: the next one at 650 even when looked at
     * late (no drift). */
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 400, &t), 1);
    assert_int_equal(t, 250);
    assert_int_equal(fire(&l, 649), 0);
    assert_int_equal(fire(&l, 700), 1);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 700, &t), 1);
    assert_int_equal(t, 250);
    /* Missed periods coalesce: one interrupt, the phase kept. */
    mw(&l, VLAPIC_EOI, 0);
    assert_int_equal(x86vcpu__vlapic_ack(&l), 0x31);
    mw(&l, VLAPIC_EOI, 0);
    assert_int_equal(fire(&l, 950 + 300 * 1000 + 7), 1);
    assert_int_equal(x86vcpu__vlapic_ack(&l), 0x31);
    assert_int_equal(x86vcpu__vlapic_pending(&l), -1);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 950 + 300 * 1000 + 7, &t), 1);
    assert_int_equal(t, 293);
    assert_int_equal(ccr(&l, 950 + 300 * 1000 + 7), 10);
    /* Switch periodic -> one-shot while running: a mode change disarms
     * (SDM 11.5.4.1); the initial count stays. Rewriting the same mode
     * does not. */
    mwt(&l, 950 + 300 * 1000 + 100, VLAPIC_LVT_TIMER, 0x20031);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 950 + 300 * 1000 + 100, &t), 1);
    mwt(&l, 950 + 300 * 1000 + 100, VLAPIC_LVT_TIMER, 0x31);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 950 + 300 * 1000 + 100, &t), 0);
    assert_int_equal(ccr(&l, 950 + 300 * 1000 + 100), 0);
    assert_int_equal(mr(&l, VLAPIC_TMICT), 10);
    assert_int_equal(fire(&l, 950 + 300 * 1001), 0);
    /* A new divider mid-count keeps the count reached: 10 counts at /1
     * from 0; at 150 (5 left) switch to /2: 5 counts = 300 TSC more. */
    mwt(&l, 0, VLAPIC_TMICT, 10);
    assert_int_equal(ccr(&l, 150), 5);
    mwt(&l, 150, VLAPIC_DCR, 0);
    assert_int_equal(ccr(&l, 150), 5);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 150, &t), 1);
    assert_int_equal(t, 300);
    assert_int_equal(ccr(&l, 210), 4);
}

static void test_timer_ratio_and_wrap(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    struct x86vcpu_vlapic_config c = { .apic_id = 0, .tsc_khz = 2133333, .bus_khz = 133333,
                                       .features = ALL_F, .maxphyaddr = 39 };
    uint64_t t;
    assert_int_equal(x86vcpu__vlapic_init(&l, page_a, &c), 0);
    sw_enable(&l);
    mwt(&l, 0, VLAPIC_LVT_TIMER, 0x40);
    /* With a fractional ratio: the count reads 0 exactly from the deadline
     * on and at least 1 just before (ceil), for many counts and dividers;
     * and near the top of the TSC, across the 2^64 wrap. */
    uint64_t s = 5;
    for (int i = 0; i < 3000; i++) {
        uint32_t count = (uint32_t)(rnd(&s) >> (rnd(&s) & 63)) | 1;
        uint32_t dcr = (uint32_t)rnd(&s) & 0xb;
        uint64_t t0 = (i & 1) ? ~0ull - (rnd(&s) & 0xffffff) : rnd(&s) >> 1;
        mwt(&l, t0, VLAPIC_DCR, dcr);
        mwt(&l, t0, VLAPIC_TMICT, count);
        assert_int_equal(x86vcpu__vlapic_timer_next(&l, t0, &t), 1);
        assert_true(t > 0);
        assert_int_equal(ccr(&l, t0 + t), 0);
        assert_int_equal(ccr(&l, t0 + t - 1), 1);
        assert_int_equal(ccr(&l, t0), count);
        assert_int_equal(fire(&l, t0 + t - 1), 0);
        assert_int_equal(fire(&l, t0 + t), 1);
    }
    /* A "now" before the start (TSC set back) counts as no time elapsed. */
    mwt(&l, 1000000, VLAPIC_TMICT, 50);
    assert_int_equal(ccr(&l, 10), 50);
    assert_int_equal(fire(&l, 10), 0);
    /* Bus faster than the TSC: several counts a TSC tick. */
    c.tsc_khz = 1000;
    c.bus_khz = 4000000;
    assert_int_equal(x86vcpu__vlapic_init(&l, page_a, &c), 0);
    sw_enable(&l);
    mwt(&l, 0, VLAPIC_DCR, 0xb);
    mwt(&l, 0, VLAPIC_TMICT, 10001);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 0, &t), 1);
    assert_int_equal(t, 3); /* ceil(10001 / 4000) */
    assert_int_equal(ccr(&l, 1), 6001);
    assert_int_equal(ccr(&l, 2), 2001);
}

static void test_timer_deadline(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    struct x86vcpu_vlapic_fx fx = { 0 };
    uint64_t t, v;
    mk(&l, page_a, 0, ALL_F);
    sw_enable(&l);
    /* Not in TSC-deadline mode: the MSR reads 0, writes are ignored. */
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, VLAPIC_MSR_TSC_DEADLINE, 500, &fx), VLAPIC_OK);
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, VLAPIC_MSR_TSC_DEADLINE, &v), VLAPIC_OK);
    assert_int_equal(v, 0);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 0, &t), 0);
    /* One-shot running, then switch to TSC-deadline: disarmed, TMICT 0. */
    mwt(&l, 0, VLAPIC_LVT_TIMER, 0x50);
    mwt(&l, 0, VLAPIC_TMICT, 1000);
    mwt(&l, 10, VLAPIC_LVT_TIMER, 0x40050);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 10, &t), 0);
    assert_int_equal(mr(&l, VLAPIC_TMICT), 0);
    /* TMICT is ignored, TMCCT reads 0. */
    mwt(&l, 10, VLAPIC_TMICT, 1000);
    assert_int_equal(mr(&l, VLAPIC_TMICT), 0);
    assert_int_equal(ccr(&l, 20), 0);
    /* Arm at 5000: fires at TSC >= 5000, then reads 0. */
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 100, VLAPIC_MSR_TSC_DEADLINE, 5000, &fx), VLAPIC_OK);
    assert_true(fx.flags & VLAPIC_FX_TIMER);
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, VLAPIC_MSR_TSC_DEADLINE, &v), VLAPIC_OK);
    assert_int_equal(v, 5000);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 100, &t), 1);
    assert_int_equal(t, 4900);
    assert_int_equal(fire(&l, 4999), 0);
    assert_int_equal(fire(&l, 5000), 1);
    assert_int_equal(x86vcpu__vlapic_pending(&l), 0x50);
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, VLAPIC_MSR_TSC_DEADLINE, &v), VLAPIC_OK);
    assert_int_equal(v, 0);
    assert_int_equal(fire(&l, 6000), 0);
    x86vcpu__vlapic_ack(&l);
    mw(&l, VLAPIC_EOI, 0);
    /* A deadline in the past fires at once (on the write itself). */
    fx = (struct x86vcpu_vlapic_fx){ 0 };
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 9000, VLAPIC_MSR_TSC_DEADLINE, 8000, &fx), VLAPIC_OK);
    assert_true(fx.flags & VLAPIC_FX_IRQ);
    assert_int_equal(x86vcpu__vlapic_pending(&l), 0x50);
    x86vcpu__vlapic_ack(&l);
    mw(&l, VLAPIC_EOI, 0);
    /* 0 disarms. */
    x86vcpu__vlapic_msr_write(&l, 0, VLAPIC_MSR_TSC_DEADLINE, 100000, &fx);
    x86vcpu__vlapic_msr_write(&l, 0, VLAPIC_MSR_TSC_DEADLINE, 0, &fx);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 0, &t), 0);
    assert_int_equal(fire(&l, ~0ull), 0);
    /* Leaving TSC-deadline mode disarms too. */
    x86vcpu__vlapic_msr_write(&l, 0, VLAPIC_MSR_TSC_DEADLINE, 100000, &fx);
    mwt(&l, 0, VLAPIC_LVT_TIMER, 0x50);
    /* ...and the one-shot count stopped on the way in stays stopped. */
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 0, &t), 0);
    assert_int_equal(ccr(&l, 0), 0);
    mwt(&l, 0, VLAPIC_LVT_TIMER, 0x40050);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 0, &t), 0);
    /* Without the feature, mode 10b cannot be set. */
    mk(&l, page_a, 0, 0);
    sw_enable(&l);
    mwt(&l, 0, VLAPIC_LVT_TIMER, 0x40050);
    assert_int_equal(mr(&l, VLAPIC_LVT_TIMER), 0x50);
}

/* ------------------------------------------------------------------ ICR */
static void test_icr_decode(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    mk(&l, page_a, 0, ALL_F);
    sw_enable(&l);
    mw(&l, VLAPIC_ICR_HI, 0x5a123456u);
    assert_int_equal(mr(&l, VLAPIC_ICR_HI), 0x5a000000u);
    /* Fixed, logical, level assert, level trigger, no shorthand. */
    struct x86vcpu_vlapic_fx fx = mw(&l, VLAPIC_ICR_LO, 0xc8ec);
    assert_true(fx.flags & VLAPIC_FX_IPI);
    assert_int_equal(fx.ipi.vector, 0xec);
    assert_int_equal(fx.ipi.mode, VLAPIC_DM_FIXED);
    assert_int_equal(fx.ipi.logical, 1);
    assert_int_equal(fx.ipi.level, 1);
    assert_int_equal(fx.ipi.trigger, 1);
    assert_int_equal(fx.ipi.shorthand, VLAPIC_SH_NONE);
    assert_int_equal(fx.ipi.dest, 0x5a);
    assert_int_equal(fx.ipi.x2apic, 0);
    /* Delivery status always reads idle. */
    assert_int_equal(mr(&l, VLAPIC_ICR_LO), 0xc8ec);
    /* Each mode and shorthand. */
    static const struct { uint32_t lo; int sent; uint8_t mode, sh; } t[] = {
        { 0x00040030, 1, VLAPIC_DM_FIXED, VLAPIC_SH_SELF },
        { 0x00080130, 1, VLAPIC_DM_LOWEST, VLAPIC_SH_ALL_INCL },
        { 0x000c4200, 1, VLAPIC_DM_SMI, VLAPIC_SH_ALL_EXCL },
        { 0x00004400, 1, VLAPIC_DM_NMI, VLAPIC_SH_NONE },
        { 0x000c4500, 1, VLAPIC_DM_INIT, VLAPIC_SH_ALL_EXCL },
        { 0x00088500, 0, 0, 0 },  /* INIT level de-assert: ignored */
        { 0x000c4699, 1, VLAPIC_DM_SIPI, VLAPIC_SH_ALL_EXCL },
        { 0x00004340, 0, 0, 0 },  /* reserved mode 011b */
        { 0x00004740, 0, 0, 0 },  /* 111b */
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        fx = mw(&l, VLAPIC_ICR_LO, t[i].lo);
        if (!!(fx.flags & VLAPIC_FX_IPI) != t[i].sent)
            fail_msg("ICR %#x: sent %d", t[i].lo, !!(fx.flags & VLAPIC_FX_IPI));
        if (t[i].sent) {
            assert_int_equal(fx.ipi.mode, t[i].mode);
            assert_int_equal(fx.ipi.shorthand, t[i].sh);
            assert_int_equal(fx.ipi.vector, t[i].lo & 0xff);
        }
    }
    /* Writing ICR high sends nothing. */
    fx = mw(&l, VLAPIC_ICR_HI, 0);
    assert_int_equal(fx.flags, 0);
    /* x2APIC self IPI: straight into IRR, edge. */
    to_x2apic(&l);
    fx = (struct x86vcpu_vlapic_fx){ 0 };
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x83f, 0x77, &fx), VLAPIC_OK);
    assert_false(fx.flags & VLAPIC_FX_IPI);
    assert_true(fx.flags & VLAPIC_FX_IRQ);
    assert_int_equal(x86vcpu__vlapic_pending(&l), 0x77);
    uint64_t v;
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, 0x83f, &v), VLAPIC_GP);
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x83f, 0x177, &fx), VLAPIC_GP);
}

/* --------------------------------------------------- destination match */
static void test_dest_xapic(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    /* Physical: the ID, or FFH. */
    mk(&l, page_a, 5, ALL_F);
    struct x86vcpu_vlapic_ipi ipi = { 0 };
    static const struct { uint32_t dest; int hit; } phys[] = {
        { 5, 1 }, { 4, 0 }, { 0xff, 1 }, { 0x105, 0 }, { 0, 0 },
    };
    for (unsigned i = 0; i < 5; i++) {
        ipi.dest = phys[i].dest;
        assert_int_equal(x86vcpu__vlapic_ipi_match(&l, &ipi, 0), phys[i].hit);
    }
    /* A written ID counts. */
    mw(&l, VLAPIC_ID, 9u << 24);
    ipi.dest = 9;
    assert_true(x86vcpu__vlapic_ipi_match(&l, &ipi, 0));
    /* Logical flat: any common bit. */
    ipi.logical = 1;
    mw(&l, VLAPIC_LDR, 0x24u << 24);
    static const struct { uint32_t dest; int hit; } flat[] = {
        { 0x04, 1 }, { 0x20, 1 }, { 0x24, 1 }, { 0x41, 0 }, { 0x00, 0 }, { 0xff, 1 }, { 0xdb, 0 },
    };
    for (unsigned i = 0; i < 7; i++) {
        ipi.dest = flat[i].dest;
        if (x86vcpu__vlapic_ipi_match(&l, &ipi, 0) != flat[i].hit)
            fail_msg("flat dest %#x", flat[i].dest);
    }
    /* Logical cluster (DFR 0000b): cluster 3, member bits 0101b. */
    mw(&l, VLAPIC_DFR, 0x0fffffffu);
    assert_int_equal(mr(&l, VLAPIC_DFR), 0x0fffffffu);
    mw(&l, VLAPIC_LDR, 0x35u << 24);
    static const struct { uint32_t dest; int hit; } cl[] = {
        { 0x31, 1 }, { 0x34, 1 }, { 0x3f, 1 }, { 0x32, 0 }, { 0x21, 0 }, { 0x41, 0 }, { 0xff, 1 },
        { 0x30, 0 },
    };
    for (unsigned i = 0; i < 8; i++) {
        ipi.dest = cl[i].dest;
        if (x86vcpu__vlapic_ipi_match(&l, &ipi, 0) != cl[i].hit)
            fail_msg("cluster dest %#x", cl[i].dest);
    }
    /* Shorthands ignore the destination. */
    ipi.dest = 0x00;
    ipi.shorthand = VLAPIC_SH_SELF;
    assert_true(x86vcpu__vlapic_ipi_match(&l, &ipi, 1));
    assert_false(x86vcpu__vlapic_ipi_match(&l, &ipi, 0));
    ipi.shorthand = VLAPIC_SH_ALL_INCL;
    assert_true(x86vcpu__vlapic_ipi_match(&l, &ipi, 1));
    assert_true(x86vcpu__vlapic_ipi_match(&l, &ipi, 0));
    ipi.shorthand = VLAPIC_SH_ALL_EXCL;
    assert_false(x86vcpu__vlapic_ipi_match(&l, &ipi, 1));
    assert_true(x86vcpu__vlapic_ipi_match(&l, &ipi, 0));
    /* A globally disabled APIC is nobody's target. */
    struct x86vcpu_vlapic_fx fx = { 0 };
    x86vcpu__vlapic_msr_write(&l, 0, VLAPIC_MSR_APIC_BASE, VLAPIC_BASE_DEFAULT, &fx);
    ipi.shorthand = VLAPIC_SH_ALL_INCL;
    assert_false(x86vcpu__vlapic_ipi_match(&l, &ipi, 1));
}

static void test_dest_x2apic(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    struct x86vcpu_vlapic_ipi ipi = { .x2apic = 1 };
    /* Logical ID derivation for several IDs (SDM 11.12.10.2). */
    static const struct { uint32_t id, ldr; } d[] = {
        { 0, 0x00000001 }, { 1, 0x00000002 }, { 15, 0x00008000 }, { 16, 0x00010001 },
        { 0x35, 0x00030020 }, { 0xfffff, 0xffff8000 }, { 0x12345, 0x12340020 },
    };
    for (unsigned i = 0; i < sizeof d / sizeof d[0]; i++) {
        mk(&l, page_a, d[i].id, ALL_F);
        to_x2apic(&l);
        if (x86vcpu__vlapic_ldr(&l) != d[i].ldr)
            fail_msg("id %#x: ldr %#x, expected %#x", d[i].id, x86vcpu__vlapic_ldr(&l), d[i].ldr);
    }
    mk(&l, page_a, 0x35, ALL_F);
    to_x2apic(&l);
    static const struct { uint32_t dest; uint8_t logical, x2; int hit; } t[] = {
        { 0x35, 0, 1, 1 }, { 0x34, 0, 1, 0 }, { 0x135, 0, 1, 0 }, { 0xffffffffu, 0, 1, 1 },
        { 0xff, 0, 1, 0 },           /* FFH is an ID, not broadcast, in x2APIC */
        { 0xff, 0, 0, 1 },           /* ...but broadcast from an xAPIC sender */
        { 0x00030020, 1, 1, 1 }, { 0x00030021, 1, 1, 1 }, { 0x00030010, 1, 1, 0 },
        { 0x00020020, 1, 1, 0 }, { 0x0003ffff, 1, 1, 1 }, { 0xffffffffu, 1, 1, 1 },
        { 0x00000020, 1, 1, 0 },
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        ipi.dest = t[i].dest;
        ipi.logical = t[i].logical;
        ipi.x2apic = t[i].x2;
        if (x86vcpu__vlapic_ipi_match(&l, &ipi, 0) != t[i].hit)
            fail_msg("x2APIC dest %#x logical %u: expected %d", t[i].dest, t[i].logical, t[i].hit);
    }
}

static void test_ipi_route(void **st)
{
    (void)st;
    /* Two vCPUs: 0 sends a fixed IPI to 1 by physical ID, and an NMI to
     * all excluding self. */
    struct x86vcpu_vlapic a, b;
    mk(&a, page_a, 0, ALL_F);
    mk(&b, page_b, 1, ALL_F);
    sw_enable(&a);
    sw_enable(&b);
    mw(&a, VLAPIC_ICR_HI, 1u << 24);
    struct x86vcpu_vlapic_fx fx = mw(&a, VLAPIC_ICR_LO, 0x4055);
    assert_true(fx.flags & VLAPIC_FX_IPI);
    assert_false(x86vcpu__vlapic_ipi_match(&a, &fx.ipi, 1));
    assert_true(x86vcpu__vlapic_ipi_match(&b, &fx.ipi, 0));
    assert_int_equal(x86vcpu__vlapic_ipi_deliver(&b, &fx.ipi), VLAPIC_ACT_IRQ);
    assert_int_equal(x86vcpu__vlapic_pending(&b), 0x55);
    assert_int_equal(x86vcpu__vlapic_pending(&a), -1);
    fx = mw(&a, VLAPIC_ICR_LO, 0xc4400);
    assert_false(x86vcpu__vlapic_ipi_match(&a, &fx.ipi, 1));
    assert_true(x86vcpu__vlapic_ipi_match(&b, &fx.ipi, 0));
    assert_int_equal(x86vcpu__vlapic_ipi_deliver(&b, &fx.ipi), VLAPIC_ACT_NMI);
    /* Lowest priority: the embedder compares APRs, which count pending
     * interrupts too (b has 0x55 pending: class 5 beats a's TPR 0x20). */
    mw(&a, VLAPIC_TPR, 0x20);
    mw(&b, VLAPIC_TPR, 0x10);
    assert_int_equal(x86vcpu__vlapic_apr(&a), 0x20);
    assert_int_equal(x86vcpu__vlapic_apr(&b), 0x50);
}

/* INIT and SIPI through the ICR (SDM 11.6.1): decoded and routed like any
 * IPI, and given back as actions (the vCPU does the rest, src/vmx/lapic.c);
 * an INIT level de-assert is ignored at both ends. */
static void test_ipi_init_sipi(void **st)
{
    (void)st;
    struct x86vcpu_vlapic a, b;
    mk(&a, page_a, 0, ALL_F);
    mk(&b, page_b, 1, ALL_F);
    sw_enable(&a);
    mw(&a, VLAPIC_ICR_HI, 1u << 24);
    /* INIT, level assert, edge: routed to 1 (b's APIC software-disabled
     * after reset: INIT still reaches it, SDM 11.4.7.2). */
    struct x86vcpu_vlapic_fx fx = mw(&a, VLAPIC_ICR_LO, 0x4500);
    assert_true(fx.flags & VLAPIC_FX_IPI);
    assert_int_equal(fx.ipi.mode, VLAPIC_DM_INIT);
    assert_true(x86vcpu__vlapic_ipi_match(&b, &fx.ipi, 0));
    assert_int_equal(x86vcpu__vlapic_ipi_deliver(&b, &fx.ipi), VLAPIC_ACT_INIT);
    /* SIPI with vector 9FH. */
    fx = mw(&a, VLAPIC_ICR_LO, 0x469f);
    assert_true(fx.flags & VLAPIC_FX_IPI);
    assert_int_equal(fx.ipi.mode, VLAPIC_DM_SIPI);
    assert_int_equal(fx.ipi.vector, 0x9f);
    assert_int_equal(x86vcpu__vlapic_ipi_deliver(&b, &fx.ipi), VLAPIC_ACT_SIPI);
    /* INIT level de-assert (level 0, trigger level): nothing sent... */
    fx = mw(&a, VLAPIC_ICR_LO, 0x8500);
    assert_false(fx.flags & VLAPIC_FX_IPI);
    /* ...and an embedder-built one does nothing at the target. */
    struct x86vcpu_vlapic_ipi de = { 1, 0, VLAPIC_DM_INIT, 0, 0, 0, 1, 0 };
    assert_int_equal(x86vcpu__vlapic_ipi_deliver(&b, &de), VLAPIC_ACT_NONE);
    de.level = 1;
    assert_int_equal(x86vcpu__vlapic_ipi_deliver(&b, &de), VLAPIC_ACT_INIT);
    /* A globally disabled APIC takes neither (SDM 11.4.3). */
    struct x86vcpu_vlapic_fx f2 = { 0 };
    x86vcpu__vlapic_msr_write(&b, 0, 0x1b, VLAPIC_BASE_DEFAULT, &f2);
    assert_int_equal(x86vcpu__vlapic_ipi_deliver(&b, &fx.ipi), VLAPIC_ACT_NONE);
}

/* ------------------------------------------------------ APIC base, INIT */
enum { S_DIS, S_X, S_X2, S_INV };
static const uint64_t st_bits[] = { 0, VLAPIC_BASE_EN, VLAPIC_BASE_EN | VLAPIC_BASE_EXTD,
                                    VLAPIC_BASE_EXTD };

static void put_state(struct x86vcpu_vlapic *l, int s)
{
    struct x86vcpu_vlapic_fx fx = { 0 };
    mk(l, page_a, 0x42, ALL_F);
    if (s == S_DIS)
        assert_int_equal(x86vcpu__vlapic_msr_write(l, 0, 0x1b, VLAPIC_BASE_DEFAULT, &fx), VLAPIC_OK);
    if (s == S_X2)
        to_x2apic(l);
}

static void test_apic_base_matrix(void **st)
{
    (void)st;
    /* SDM 11.12.5 Figure 11-31; -1 = #GP. */
    static const int ok[3][4] = {
        /*         DIS X  X2 INV */
        [S_DIS] = { 1, 1, 0, 0 },
        [S_X]   = { 1, 1, 1, 0 },
        [S_X2]  = { 1, 0, 1, 0 },
    };
    for (int from = S_DIS; from <= S_X2; from++)
        for (int to = S_DIS; to <= S_INV; to++) {
            struct x86vcpu_vlapic l;
            struct x86vcpu_vlapic_fx fx = { 0 };
            put_state(&l, from);
            uint64_t before = l.apic_base, v;
            int r = x86vcpu__vlapic_msr_write(&l, 0, 0x1b, VLAPIC_BASE_DEFAULT | st_bits[to], &fx);
            if (r != (ok[from][to] ? VLAPIC_OK : VLAPIC_GP))
                fail_msg("%d -> %d: %d", from, to, r);
            x86vcpu__vlapic_msr_read(&l, 0, 0x1b, &v);
            uint64_t want = ok[from][to] ? VLAPIC_BASE_DEFAULT | st_bits[to] | VLAPIC_BASE_BSP : before;
            if (v != want)
                fail_msg("%d -> %d: base %#llx", from, to, (unsigned long long)v);
            if (ok[from][to] && (from != to) != !!(fx.flags & VLAPIC_FX_MODE))
                fail_msg("%d -> %d: mode flag", from, to);
        }
    /* Reserved bits: 7:0, 9, above MAXPHYADDR (39); BSP read-only. */
    struct x86vcpu_vlapic l;
    struct x86vcpu_vlapic_fx fx = { 0 };
    uint64_t v;
    for (unsigned b = 0; b < 64; b++) {
        put_state(&l, S_X);
        uint64_t val = VLAPIC_BASE_DEFAULT | VLAPIC_BASE_EN | (1ull << b);
        int rsvd = b < 8 || b == 9 || b >= 39;
        int r = x86vcpu__vlapic_msr_write(&l, 0, 0x1b, val, &fx);
        if (r != (rsvd ? VLAPIC_GP : VLAPIC_OK))
            fail_msg("APIC_BASE bit %u: %d", b, r);
    }
    put_state(&l, S_X);
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x1b, 0xfed00000ull | VLAPIC_BASE_EN, &fx), VLAPIC_OK);
    x86vcpu__vlapic_msr_read(&l, 0, 0x1b, &v);
    assert_int_equal(v, 0xfed00000ull | VLAPIC_BASE_EN | VLAPIC_BASE_BSP);
    /* Without x2APIC support EXTD is reserved. */
    mk(&l, page_a, 0, 0);
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x1b, VLAPIC_BASE_DEFAULT | st_bits[S_X2], &fx),
                     VLAPIC_GP);
}

static void test_disable_resets(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    struct x86vcpu_vlapic_fx fx = { 0 };
    uint64_t v, t;
    mk(&l, page_a, 0x142, ALL_F);
    sw_enable(&l);
    mw(&l, VLAPIC_TPR, 0x30);
    mw(&l, VLAPIC_LDR, 0x8u << 24);
    mw(&l, VLAPIC_LVT_TIMER, 0x20040);
    mwt(&l, 0, VLAPIC_TMICT, 500);
    x86vcpu__vlapic_accept(&l, VLAPIC_DM_FIXED, 0x60, 0);
    /* xAPIC -> x2APIC keeps TPR, IRR, timer; ID becomes the x2APIC ID. */
    to_x2apic(&l);
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, 0x808, &v), VLAPIC_OK);
    assert_int_equal(v, 0x30);
    assert_int_equal(x86vcpu__vlapic_pending(&l), 0x60);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 0, &t), 1);
    assert_int_equal(x86vcpu__vlapic_id(&l), 0x142);
    /* x2APIC -> disabled: everything reset. */
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x1b, VLAPIC_BASE_DEFAULT, &fx), VLAPIC_OK);
    assert_true(fx.flags & VLAPIC_FX_MODE);
    assert_int_equal(x86vcpu__vlapic_pending(&l), -1);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 0, &t), 0);
    assert_int_equal(x86vcpu__vlapic_msr_write(&l, 0, 0x1b, VLAPIC_BASE_DEFAULT | VLAPIC_BASE_EN, &fx),
                     VLAPIC_OK);
    assert_int_equal(mr(&l, VLAPIC_ID), 0x42u << 24);
    assert_int_equal(mr(&l, VLAPIC_TPR), 0);
    assert_int_equal(mr(&l, VLAPIC_SVR), 0xff);
    assert_int_equal(mr(&l, VLAPIC_LDR), 0);
    assert_int_equal(mr(&l, VLAPIC_IRR + 0x30), 0);
    assert_int_equal(mr(&l, VLAPIC_LVT_TIMER), 0x10000);
    assert_int_equal(mr(&l, VLAPIC_TMICT), 0);
    /* xAPIC -> disabled resets as well. */
    sw_enable(&l);
    mw(&l, VLAPIC_TPR, 0x30);
    x86vcpu__vlapic_msr_write(&l, 0, 0x1b, VLAPIC_BASE_DEFAULT, &fx);
    x86vcpu__vlapic_msr_write(&l, 0, 0x1b, VLAPIC_BASE_DEFAULT | VLAPIC_BASE_EN, &fx);
    assert_int_equal(mr(&l, VLAPIC_TPR), 0);
}

static void test_init_signal(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    uint64_t v, t;
    mk(&l, page_a, 7, ALL_F);
    sw_enable(&l);
    mw(&l, VLAPIC_ID, 0x11u << 24);
    mw(&l, VLAPIC_TPR, 0x30);
    mw(&l, VLAPIC_LDR, 0x8u << 24);
    mwt(&l, 0, VLAPIC_TMICT, 500);
    x86vcpu__vlapic_accept(&l, VLAPIC_DM_FIXED, 0x60, 0);
    x86vcpu__vlapic_init_signal(&l);
    /* SDM 11.4.7.3: ID and IA32_APIC_BASE kept, the rest power-up. */
    assert_int_equal(mr(&l, VLAPIC_ID), 0x11u << 24);
    assert_int_equal(mr(&l, VLAPIC_TPR), 0);
    assert_int_equal(mr(&l, VLAPIC_LDR), 0);
    assert_int_equal(mr(&l, VLAPIC_SVR), 0xff);
    assert_int_equal(x86vcpu__vlapic_highest_irr(&l), -1);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 0, &t), 0);
    /* In x2APIC mode INIT keeps the mode, ID and LDR. */
    to_x2apic(&l);
    sw_enable(&l);
    x86vcpu__vlapic_init_signal(&l);
    assert_true(x86vcpu__vlapic_x2apic(&l));
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, 0x80d, &v), VLAPIC_OK);
    assert_int_equal(v, 1u << 7);
    assert_int_equal(x86vcpu__vlapic_msr_read(&l, 0, 0x80f, &v), VLAPIC_OK);
    assert_int_equal(v, 0xff);
    /* RESET: back to xAPIC at FEE00000H. */
    x86vcpu__vlapic_reset(&l);
    assert_int_equal(l.apic_base, VLAPIC_BASE_DEFAULT | VLAPIC_BASE_EN | VLAPIC_BASE_BSP);
    assert_int_equal(mr(&l, VLAPIC_ID), 7u << 24);
}

/* ------------------------------------------------ APIC-write VM exits */
static void test_apic_write_exit(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    struct x86vcpu_vlapic_fx fx = { 0 };
    mk(&l, page_a, 0, ALL_F);
    sw_enable(&l);
    /* The CPU stored the guest's value in the page; the exit completes
     * it. LINT0 with the read-only remote IRR and delivery status set by
     * the guest: both dropped. */
    page_a[VLAPIC_LVT_LINT0 / 4] = 0xffffffffu;
    assert_int_equal(x86vcpu__vlapic_apic_write(&l, 0, VLAPIC_LVT_LINT0, &fx), VLAPIC_OK);
    assert_int_equal(mr(&l, VLAPIC_LVT_LINT0), 0x1a7ff);
    /* ESR: whatever the guest wrote, the page now holds the latched
     * errors. */
    x86vcpu__vlapic_accept(&l, VLAPIC_DM_FIXED, 2, 0);
    page_a[VLAPIC_ESR / 4] = 0x1234;
    x86vcpu__vlapic_apic_write(&l, 0, VLAPIC_ESR, &fx);
    assert_int_equal(page_a[VLAPIC_ESR / 4], VLAPIC_ESR_RECV_ILLEGAL_VECTOR);
    /* ICR low sends, with ICR high from the page. */
    page_a[VLAPIC_ICR_HI / 4] = 3u << 24;
    page_a[VLAPIC_ICR_LO / 4] = 0x4061;
    fx = (struct x86vcpu_vlapic_fx){ 0 };
    x86vcpu__vlapic_apic_write(&l, 0, VLAPIC_ICR_LO, &fx);
    assert_true(fx.flags & VLAPIC_FX_IPI);
    assert_int_equal(fx.ipi.dest, 3);
    assert_int_equal(fx.ipi.vector, 0x61);
    /* Timer start from the page's initial count. */
    page_a[VLAPIC_TMICT / 4] = 10;
    fx = (struct x86vcpu_vlapic_fx){ 0 };
    x86vcpu__vlapic_apic_write(&l, 100, VLAPIC_TMICT, &fx);
    assert_true(fx.flags & VLAPIC_FX_TIMER);
    uint64_t t;
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 100, &t), 1);
    assert_int_equal(t, 10 * 2 * 30);
    /* Not in xAPIC mode: not ours. */
    to_x2apic(&l);
    assert_int_equal(x86vcpu__vlapic_apic_write(&l, 0, VLAPIC_TPR, &fx), VLAPIC_NOT_APIC);
}

/* After an APIC-write exit the page already holds the new LVT timer / DCR:
 * the change is still relative to the old value (lapic.elf found the mode
 * change lost with the assists on). */
static void test_apic_write_timer_changes(void **st)
{
    (void)st;
    struct x86vcpu_vlapic l;
    struct x86vcpu_vlapic_fx fx = { 0 };
    uint64_t t;
    mk(&l, page_a, 0, ALL_F);
    sw_enable(&l);
    mwt(&l, 0, VLAPIC_LVT_TIMER, 0x40);             /* one-shot */
    mwt(&l, 0, VLAPIC_TMICT, 1000);                 /* DCR 0: divide by 2 */
    /* Half way (500 counts left at 2 x 30 ticks), divide by 1 from now. */
    page_a[VLAPIC_DCR / 4] = 0xb;
    x86vcpu__vlapic_apic_write(&l, 30000, VLAPIC_DCR, &fx);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 30000, &t), 1);
    assert_int_equal(t, 500 * 30);
    /* One-shot -> periodic: disarmed (SDM 11.5.4.1). */
    page_a[VLAPIC_LVT_TIMER / 4] = 0x40 | (1u << 17);
    x86vcpu__vlapic_apic_write(&l, 30000, VLAPIC_LVT_TIMER, &fx);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 30000, &t), 0);
    /* Periodic running -> TSC-deadline: disarmed, TMICT cleared. */
    mwt(&l, 30000, VLAPIC_TMICT, 1000);
    page_a[VLAPIC_LVT_TIMER / 4] = 0x40 | (2u << 17);
    x86vcpu__vlapic_apic_write(&l, 31000, VLAPIC_LVT_TIMER, &fx);
    assert_int_equal(x86vcpu__vlapic_timer_next(&l, 31000, &t), 0);
    assert_int_equal(mr(&l, VLAPIC_TMICT), 0);
    assert_int_equal(fire(&l, 1u << 30), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_state),
        cmocka_unit_test(test_xapic_register_table),
        cmocka_unit_test(test_xapic_access_sizes),
        cmocka_unit_test(test_x2apic_msr_table),
        cmocka_unit_test(test_x2apic_registers),
        cmocka_unit_test(test_ppr_apr),
        cmocka_unit_test(test_pending_ack_eoi),
        cmocka_unit_test(test_esr),
        cmocka_unit_test(test_lvt_rules),
        cmocka_unit_test(test_muldiv),
        cmocka_unit_test(test_timer_oneshot),
        cmocka_unit_test(test_timer_periodic),
        cmocka_unit_test(test_timer_ratio_and_wrap),
        cmocka_unit_test(test_timer_deadline),
        cmocka_unit_test(test_icr_decode),
        cmocka_unit_test(test_dest_xapic),
        cmocka_unit_test(test_dest_x2apic),
        cmocka_unit_test(test_ipi_route),
        cmocka_unit_test(test_apic_base_matrix),
        cmocka_unit_test(test_disable_resets),
        cmocka_unit_test(test_init_signal),
        cmocka_unit_test(test_ipi_init_sipi),
        cmocka_unit_test(test_apic_write_exit),
        cmocka_unit_test(test_apic_write_timer_changes),
    };
    return cmocka_run_group_tests_name("vlapic", tests, NULL, NULL);
}
