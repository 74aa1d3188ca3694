/* Unit tests: IA32_APIC_BASE write rules (demo/pc/apicbase.c), after SDM
 * Vol. 3A 11.4.4 / 11.12 (base, EN, EXTD, BSP; x2APIC state transitions). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "pc/apicbase.h"

/* --------------------------------------------------------- IA32_APIC_BASE */
#define BASE0   0xfee00000ull
#define BASE1   0xfed00000ull
#define EN      APICBASE_EN
#define EXTD    APICBASE_EXTD
#define BSP     APICBASE_BSP
#define SENT_V  0x5a5a5a5a5a5a5a5aull
#define SENT_A  0xa5a5u

enum st { DIS, XAPIC, X2APIC, INVALID };
static const uint64_t st_bits[] = { 0, EN, EN | EXTD, EXTD };
static const char *const st_name[] = { "disabled", "xAPIC", "x2APIC", "invalid" };

/* A write that must #GP and leave both outputs alone. */
static void expect_gp(uint64_t cur, uint64_t val, unsigned maxphy, int x2)
{
    uint64_t next = SENT_V;
    unsigned act = SENT_A;
    int rc = apicbase_write(cur, val, maxphy, x2, &next, &act);
    if (rc != -1)
        fail_msg("cur %#llx val %#llx maxphy %u x2 %d: rc %d, expected #GP",
                 (unsigned long long)cur, (unsigned long long)val, maxphy, x2, rc);
    assert_true(next == SENT_V);
    assert_int_equal(act, SENT_A);
}

static void expect_ok(uint64_t cur, uint64_t val, unsigned maxphy, int x2,
                      uint64_t want_next, unsigned want_act)
{
    uint64_t next = SENT_V;
    unsigned act = SENT_A;
    int rc = apicbase_write(cur, val, maxphy, x2, &next, &act);
    if (rc != 0)
        fail_msg("cur %#llx val %#llx maxphy %u x2 %d: #GP, expected success",
                 (unsigned long long)cur, (unsigned long long)val, maxphy, x2);
    if (next != want_next)
        fail_msg("cur %#llx val %#llx: next %#llx, expected %#llx",
                 (unsigned long long)cur, (unsigned long long)val,
                 (unsigned long long)next, (unsigned long long)want_next);
    if (act != want_act)
        fail_msg("cur %#llx val %#llx: actions %#x, expected %#x",
                 (unsigned long long)cur, (unsigned long long)val, act, want_act);
}

/* SDM 11.12.5 with x2APIC supported, base unchanged: each valid current
 * state against each written state. -1 is #GP. */
static void test_apicbase_transition_table(void **state)
{
    (void)state;
    static const int want[3][4] = {
        /*             to DIS               XAPIC                X2APIC            INVALID */
        [DIS]    = { 0,                  APICB_ACT_ENABLE,   -1,                  -1 },
        [XAPIC]  = { APICB_ACT_DISABLE,  0,                  APICB_ACT_X2APIC,    -1 },
        [X2APIC] = { APICB_ACT_DISABLE,  -1,                 0,                   -1 },
    };
    for (int bsp = 0; bsp < 2; bsp++)
        for (int from = DIS; from <= X2APIC; from++)
            for (int to = DIS; to <= INVALID; to++) {
                uint64_t b = bsp ? BSP : 0;
                uint64_t cur = BASE0 | st_bits[from] | b;
                uint64_t val = BASE0 | st_bits[to] | b;
                uint64_t next = SENT_V;
                unsigned act = SENT_A;
                int rc = apicbase_write(cur, val, 36, 1, &next, &act);
                if (want[from][to] < 0) {
                    if (rc != -1 || next != SENT_V || act != SENT_A)
                        fail_msg("%s -> %s: expected #GP", st_name[from], st_name[to]);
                } else {
                    if (rc != 0)
                        fail_msg("%s -> %s: unexpected #GP", st_name[from], st_name[to]);
                    if (next != val)
                        fail_msg("%s -> %s: next %#llx", st_name[from], st_name[to],
                                 (unsigned long long)next);
                    if (act != (unsigned)want[from][to])
                        fail_msg("%s -> %s: actions %#x, expected %#x", st_name[from],
                                 st_name[to], act, want[from][to]);
                }
            }
}

/* The same table when the write also moves the base: MOVE joins exactly
 * the writes that leave the APIC in xAPIC mode. */
static void test_apicbase_transition_table_moving(void **state)
{
    (void)state;
    enum { D = APICB_ACT_DISABLE, E = APICB_ACT_ENABLE, X = APICB_ACT_X2APIC,
           M = APICB_ACT_MOVE };
    static const int want[3][4] = {
        [DIS]    = { 0, E | M, -1, -1 },
        [XAPIC]  = { D, M,     X,  -1 },
        [X2APIC] = { D, -1,    0,  -1 },
    };
    for (int from = DIS; from <= X2APIC; from++)
        for (int to = DIS; to <= INVALID; to++) {
            uint64_t cur = BASE0 | st_bits[from];
            uint64_t val = BASE1 | st_bits[to];
            if (want[from][to] < 0)
                expect_gp(cur, val, 36, 1);
            else
                expect_ok(cur, val, 36, 1, val, (unsigned)want[from][to]);
        }
}

static void test_apicbase_no_x2apic_support(void **state)
{
    (void)state;
    /* EXTD is reserved without x2APIC: every write with it faults, even
     * from a state where it would be legal. */
    for (int from = DIS; from <= XAPIC; from++) {
        expect_gp(BASE0 | st_bits[from], BASE0 | EN | EXTD, 52, 0);
        expect_gp(BASE0 | st_bits[from], BASE0 | EXTD, 52, 0);
    }
    /* The xAPIC-only transitions still work. */
    expect_ok(BASE0 | EN, BASE0, 52, 0, BASE0, APICB_ACT_DISABLE);
    expect_ok(BASE0, BASE0 | EN, 52, 0, BASE0 | EN, APICB_ACT_ENABLE);
    expect_ok(BASE0 | EN, BASE0 | EN, 52, 0, BASE0 | EN, 0);
    expect_ok(BASE0 | EN, BASE1 | EN, 52, 0, BASE1 | EN, APICB_ACT_MOVE);
}

static void test_apicbase_reserved_low_bits(void **state)
{
    (void)state;
    static const uint64_t curs[] = { BASE0 | EN, BASE0, BASE0 | EN | EXTD };
    for (size_t c = 0; c < 3; c++)
        for (int bit = 0; bit <= 9; bit++) {
            if (bit == 8)
                continue;
            expect_gp(curs[c], curs[c] | (1ull << bit), 36, 1);
            expect_gp(curs[c], curs[c] | (1ull << bit), 52, 1);
        }
    /* All reserved low bits together, and bit 9 alone on the reset value. */
    expect_gp(APICBASE_RESET(1), APICBASE_RESET(1) | 0x2ff, 36, 1);
    expect_gp(APICBASE_RESET(0), APICBASE_RESET(0) | 0x200, 36, 1);
    /* Bit 8 is not reserved: written 1 on an AP it is ignored, no fault. */
    expect_ok(APICBASE_RESET(0), APICBASE_RESET(0) | BSP, 36, 1, APICBASE_RESET(0), 0);
}

static void test_apicbase_reserved_high_bits_36(void **state)
{
    (void)state;
    uint64_t cur = APICBASE_RESET(1);
    for (int bit = 12; bit < 64; bit++) {
        uint64_t val = (cur & ~0xfffff000ull) | (1ull << bit);
        if (bit >= 36)
            expect_gp(cur, val, 36, 1);
        else
            expect_ok(cur, val, 36, 1, val, APICB_ACT_MOVE);
    }
    expect_ok(cur, (cur & 0xfffull) | 0xffffff000ull, 36, 1,
              (cur & 0xfffull) | 0xffffff000ull, APICB_ACT_MOVE);
}

static void test_apicbase_reserved_high_bits_52(void **state)
{
    (void)state;
    uint64_t cur = APICBASE_RESET(0);
    for (int bit = 12; bit < 64; bit++) {
        uint64_t val = (cur & 0xfffull) | (1ull << bit);
        if (bit >= 52)
            expect_gp(cur, val, 52, 1);
        else
            expect_ok(cur, val, 52, 1, val, APICB_ACT_MOVE);
    }
    /* Bit 51 is an address bit at MAXPHYADDR 52 but reserved at 36. */
    expect_ok(cur, cur | (1ull << 51), 52, 1, cur | (1ull << 51), APICB_ACT_MOVE);
    expect_gp(cur, cur | (1ull << 51), 36, 1);
    /* Bit 36 is reserved at 36, an address bit at 37. */
    expect_gp(cur, cur | (1ull << 36), 36, 1);
    expect_ok(cur, cur | (1ull << 36), 37, 1, cur | (1ull << 36), APICB_ACT_MOVE);
}

static void test_apicbase_maxphyaddr_boundary(void **state)
{
    (void)state;
    uint64_t cur = APICBASE_RESET(1);
    for (unsigned m = 36; m <= 52; m++) {
        expect_ok(cur, cur | (1ull << (m - 1)), m, 1, cur | (1ull << (m - 1)),
                  APICB_ACT_MOVE);
        expect_gp(cur, cur | (1ull << m), m, 1);
        expect_gp(cur, cur | (1ull << 63), m, 1);
    }
    /* Out-of-range MAXPHYADDR values are clamped to 32..52. */
    expect_gp(cur, cur | (1ull << 52), 64, 1);
    expect_gp(cur, cur | (1ull << 52), 200, 1);
    expect_ok(cur, cur | (1ull << 51), 64, 1, cur | (1ull << 51), APICB_ACT_MOVE);
    expect_gp(cur, cur | (1ull << 32), 0, 1);
    expect_ok(0xfee00000ull | EN, 0xfec00000ull | EN, 0, 1, 0xfec00000ull | EN,
              APICB_ACT_MOVE);
}

static void test_apicbase_bsp_read_only(void **state)
{
    (void)state;
    /* BSP set stays set when written 0, in every valid transition. */
    expect_ok(BASE0 | EN | BSP, BASE0 | EN, 36, 1, BASE0 | EN | BSP, 0);
    expect_ok(BASE0 | EN | BSP, BASE0, 36, 1, BASE0 | BSP, APICB_ACT_DISABLE);
    expect_ok(BASE0 | EN | BSP, BASE0 | EN | EXTD, 36, 1, BASE0 | EN | EXTD | BSP,
              APICB_ACT_X2APIC);
    expect_ok(BASE0 | BSP, BASE1 | EN, 36, 1, BASE1 | EN | BSP,
              APICB_ACT_ENABLE | APICB_ACT_MOVE);
    /* BSP clear stays clear when written 1. */
    expect_ok(BASE0 | EN, BASE0 | EN | BSP, 36, 1, BASE0 | EN, 0);
    expect_ok(BASE0 | EN, BASE0 | BSP, 36, 1, BASE0, APICB_ACT_DISABLE);
    expect_ok(BASE0 | EN | EXTD, BASE0 | EN | EXTD | BSP, 36, 1, BASE0 | EN | EXTD, 0);
    expect_ok(BASE0, BASE0 | EN | BSP, 36, 1, BASE0 | EN, APICB_ACT_ENABLE);
    /* A failing write does not touch BSP either (outputs untouched). */
    expect_gp(BASE0 | EN | EXTD | BSP, BASE0 | EN, 36, 1);
}

static void test_apicbase_move(void **state)
{
    (void)state;
    /* Moving the visible xAPIC. */
    expect_ok(BASE0 | EN, BASE1 | EN, 36, 1, BASE1 | EN, APICB_ACT_MOVE);
    expect_ok(BASE1 | EN, BASE0 | EN, 36, 1, BASE0 | EN, APICB_ACT_MOVE);
    /* A different low base bit (bit 12) is a move too. */
    expect_ok(BASE0 | EN, BASE0 | EN | 0x1000, 36, 1, BASE0 | EN | 0x1000,
              APICB_ACT_MOVE);
    /* A base written while disabled is stored but moves nothing yet... */
    expect_ok(BASE0, BASE1, 36, 1, BASE1, 0);
    /* ...and enabling at the base already stored moves nothing either. */
    expect_ok(BASE1, BASE1 | EN, 36, 1, BASE1 | EN, APICB_ACT_ENABLE);
    /* In x2APIC mode the base is not used. */
    expect_ok(BASE0 | EN | EXTD, BASE1 | EN | EXTD, 36, 1, BASE1 | EN | EXTD, 0);
    /* Disabling at another base: only DISABLE. */
    expect_ok(BASE0 | EN, BASE1, 36, 1, BASE1, APICB_ACT_DISABLE);
    /* Entering x2APIC mode at another base: no MOVE. */
    expect_ok(BASE0 | EN, BASE1 | EN | EXTD, 36, 1, BASE1 | EN | EXTD, APICB_ACT_X2APIC);
}

static void test_apicbase_unchanged_no_actions(void **state)
{
    (void)state;
    for (int bsp = 0; bsp < 2; bsp++) {
        uint64_t r = APICBASE_RESET(bsp);
        expect_ok(r, r, 36, 1, r, 0);
        expect_ok(r, r, 52, 0, r, 0);
        expect_ok(r & ~EN, r & ~EN, 36, 1, r & ~EN, 0);
        expect_ok(r | EXTD, r | EXTD, 36, 1, r | EXTD, 0);
    }
    /* The reset value itself: 0xFEE00000 with EN, and BSP on the BSP. */
    assert_true(APICBASE_RESET(1) == 0xfee00900ull);
    assert_true(APICBASE_RESET(0) == 0xfee00800ull);
}

static void test_apicbase_x2apic_exit_path(void **state)
{
    (void)state;
    /* SDM 11.12.5: the way back from x2APIC to xAPIC is through disabled. */
    uint64_t cur = APICBASE_RESET(1);
    uint64_t next;
    unsigned act;
    assert_int_equal(apicbase_write(cur, BASE0 | EN | EXTD, 39, 1, &next, &act), 0);
    assert_int_equal(act, APICB_ACT_X2APIC);
    cur = next;
    expect_gp(cur, BASE0 | EN, 39, 1);
    assert_int_equal(apicbase_write(cur, BASE0, 39, 1, &next, &act), 0);
    assert_int_equal(act, APICB_ACT_DISABLE);
    cur = next;
    expect_gp(cur, BASE0 | EN | EXTD, 39, 1);
    assert_int_equal(apicbase_write(cur, BASE0 | EN, 39, 1, &next, &act), 0);
    assert_int_equal(act, APICB_ACT_ENABLE);
    assert_true(next == APICBASE_RESET(1));
    assert_int_equal(apicbase_write(next, BASE0 | EN | EXTD, 39, 1, &next, &act), 0);
    assert_int_equal(act, APICB_ACT_X2APIC);
}

/* ICR checks (issue 11, defect 11): only fixed IPIs to this CPU reach the
 * hardware; NMI to itself is the guest's; everything else is dropped. */
#define ICR_X2(mode, logical, sh, dest) \
    (((uint64_t)(dest) << 32) | ((uint64_t)(sh) << 18) | ((uint64_t)(logical) << 11) | \
     ((uint64_t)(mode) << 8) | 0x40)
#define ICR_X1(mode, logical, sh, dest) \
    (((uint64_t)(dest) << 56) | ((uint64_t)(sh) << 18) | ((uint64_t)(logical) << 11) | \
     ((uint64_t)(mode) << 8) | 0x40)
/* x2APIC logical ID from the APIC ID (SDM 11.12.10.2). */
#define X2LDR(id) ((((id) >> 4) << 16) | (1u << ((id) & 0xf)))
static void test_icr_check(void **state)
{
    (void)state;
    /* x2APIC, own ID 3 */
    assert_int_equal(apic_icr_check(ICR_X2(0, 0, 0, 3), 3, X2LDR(3), 1), APIC_ICR_SEND);
    assert_int_equal(apic_icr_check(ICR_X2(0, 0, 1, 7), 3, X2LDR(3), 1), APIC_ICR_SEND);   /* self */
    assert_int_equal(apic_icr_check(ICR_X2(0, 0, 0, 4), 3, X2LDR(3), 1), APIC_ICR_DROP);   /* other CPU */
    assert_int_equal(apic_icr_check(ICR_X2(0, 0, 0, 0xffffffffu), 3, X2LDR(3), 1), APIC_ICR_SEND); /* broadcast */
    assert_int_equal(apic_icr_check(ICR_X2(0, 1, 0, 8), 3, X2LDR(3), 1), APIC_ICR_SEND);   /* logical */
    assert_int_equal(apic_icr_check(ICR_X2(0, 1, 0, 4), 3, X2LDR(3), 1), APIC_ICR_DROP);
    assert_int_equal(apic_icr_check(ICR_X2(0, 0, 2, 9), 3, X2LDR(3), 1), APIC_ICR_SEND);   /* all incl. self */
    assert_int_equal(apic_icr_check(ICR_X2(0, 0, 3, 3), 3, X2LDR(3), 1), APIC_ICR_DROP);   /* all excl. self */
    assert_int_equal(apic_icr_check(ICR_X2(4, 0, 0, 3), 3, X2LDR(3), 1), APIC_ICR_SELF_NMI);
    assert_int_equal(apic_icr_check(ICR_X2(4, 0, 1, 3), 3, X2LDR(3), 1), APIC_ICR_DROP);   /* NMI + self shorthand */
    assert_int_equal(apic_icr_check(ICR_X2(4, 0, 2, 3), 3, X2LDR(3), 1), APIC_ICR_SELF_NMI); /* NMI to all */
    assert_int_equal(apic_icr_check(ICR_X2(4, 0, 3, 3), 3, X2LDR(3), 1), APIC_ICR_DROP);   /* NMI to others */
    assert_int_equal(apic_icr_check(ICR_X2(4, 0, 0, 4), 3, X2LDR(3), 1), APIC_ICR_DROP);   /* NMI to another */
    for (unsigned mode = 1; mode < 8; mode++) {
        if (mode == 4)
            continue;
        /* lowest priority, SMI, reserved, INIT, SIPI, reserved: never */
        assert_int_equal(apic_icr_check(ICR_X2(mode, 0, 0, 3), 3, X2LDR(3), 1), APIC_ICR_DROP);
        assert_int_equal(apic_icr_check(ICR_X2(mode, 0, 1, 3), 3, X2LDR(3), 1), APIC_ICR_DROP);
        assert_int_equal(apic_icr_check(ICR_X2(mode, 0, 3, 3), 3, X2LDR(3), 1), APIC_ICR_DROP);
        assert_int_equal(apic_icr_check(ICR_X2(mode, 0, 2, 3), 3, X2LDR(3), 1), APIC_ICR_DROP);
        assert_int_equal(apic_icr_check(ICR_X2(mode, 0, 0, 0xffffffffu), 3, X2LDR(3), 1), APIC_ICR_DROP);
        assert_int_equal(apic_icr_check(ICR_X1(mode, 0, 0, 0), 0, 0x01000000u, 0), APIC_ICR_DROP);
    }
    /* xAPIC: 8-bit destination in 63:56, 0xFF broadcast */
    assert_int_equal(apic_icr_check(ICR_X1(0, 0, 0, 0), 0, 0x01000000u, 0), APIC_ICR_SEND);
    assert_int_equal(apic_icr_check(ICR_X1(0, 0, 0, 1), 0, 0x01000000u, 0), APIC_ICR_DROP);
    assert_int_equal(apic_icr_check(ICR_X1(0, 0, 0, 0xff), 0, 0x01000000u, 0), APIC_ICR_SEND);
    assert_int_equal(apic_icr_check(ICR_X1(0, 1, 0, 0x01), 0, 0x01000000u, 0), APIC_ICR_SEND); /* logical: itself */
    assert_int_equal(apic_icr_check(ICR_X1(0, 1, 0, 0x00), 0, 0x01000000u, 0), APIC_ICR_DROP); /* logical: nobody */
    assert_int_equal(apic_icr_check(ICR_X2(0, 1, 0, 0x10008), 3, X2LDR(3), 1), APIC_ICR_DROP); /* cluster 1 */
    assert_int_equal(apic_icr_check(ICR_X1(0, 1, 0, 0x02), 0, 0x01000000u, 0), APIC_ICR_DROP); /* not its bit */
    assert_int_equal(apic_icr_check(ICR_X1(0, 1, 0, 0x01), 0, 0, 0), APIC_ICR_DROP); /* LDR 0 */
    assert_int_equal(apic_icr_check(ICR_X1(4, 0, 0, 0), 0, 0x01000000u, 0), APIC_ICR_SELF_NMI);
    /* an x2APIC destination's upper bits are not ignored in xAPIC form */
    assert_int_equal(apic_icr_check(ICR_X2(0, 0, 0, 0x100), 0, X2LDR(0), 1), APIC_ICR_DROP);
}

static void test_ioapic_rte(void **state)
{
    (void)state;
#define RTE(mode, logical, dest) (((uint64_t)(dest) << 56) | ((uint64_t)(logical) << 11) | \
                                  ((uint64_t)(mode) << 8) | 0x30)
#define MASKED(rte) ((((rte) & ~0xf00ull & ~(0xffull << 56)) | IOAPIC_RTE_MASK | (2ull << 56)))
    assert_true(ioapic_rte_filter(RTE(0, 0, 2), 2, 0x01000000u) == RTE(0, 0, 2));
    assert_true(ioapic_rte_filter(RTE(1, 0, 2), 2, 0x01000000u) == RTE(1, 0, 2));
    assert_true(ioapic_rte_filter(RTE(7, 0, 2), 2, 0x01000000u) == RTE(7, 0, 2));    /* ExtINT to itself */
    assert_true(ioapic_rte_filter(RTE(0, 0, 0xff), 2, 0x01000000u) == RTE(0, 0, 2)); /* broadcast: itself */
    assert_true(ioapic_rte_filter(RTE(0, 1, 0x01), 2, 0x01000000u) == RTE(0, 0, 2)); /* logical: itself */
    assert_true(ioapic_rte_filter(RTE(0, 0, 3), 2, 0x01000000u) == MASKED(RTE(0, 0, 3)));  /* another CPU */
    assert_true(ioapic_rte_filter(RTE(0, 1, 0), 2, 0x01000000u) == MASKED(RTE(0, 1, 0)));  /* nobody */
    assert_true(ioapic_rte_filter(RTE(0, 1, 2), 2, 0x01000000u) == MASKED(RTE(0, 1, 2)));  /* not its bit */
    for (unsigned mode = 2; mode < 7; mode++)                          /* SMI, NMI, INIT, ... */
        assert_true(ioapic_rte_filter(RTE(mode, 0, 2), 2, 0x01000000u) == MASKED(RTE(mode, 0, 2)));
    /* masked by the guest: stays masked, aimed at this CPU */
    uint64_t m = RTE(4, 1, 9) | IOAPIC_RTE_MASK;
    assert_true(ioapic_rte_filter(m, 2, 0x01000000u) == ((m & ~(0xffull << 56) & ~(1ull << 11)) | (2ull << 56)));
    assert_true(ioapic_rte_filter(m, 2, 0x01000000u) & IOAPIC_RTE_MASK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apicbase_transition_table),
        cmocka_unit_test(test_icr_check),
        cmocka_unit_test(test_ioapic_rte),
        cmocka_unit_test(test_apicbase_transition_table_moving),
        cmocka_unit_test(test_apicbase_no_x2apic_support),
        cmocka_unit_test(test_apicbase_reserved_low_bits),
        cmocka_unit_test(test_apicbase_reserved_high_bits_36),
        cmocka_unit_test(test_apicbase_reserved_high_bits_52),
        cmocka_unit_test(test_apicbase_maxphyaddr_boundary),
        cmocka_unit_test(test_apicbase_bsp_read_only),
        cmocka_unit_test(test_apicbase_move),
        cmocka_unit_test(test_apicbase_unchanged_no_actions),
        cmocka_unit_test(test_apicbase_x2apic_exit_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
