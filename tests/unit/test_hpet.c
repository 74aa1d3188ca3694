/* Unit tests: the HPET write filter (demo/pc/hpet.h). No timer may deliver
 * through the FSB (IA-PC HPET 1.0a, 2.3.9.1: Tn_FSB_EN_CNF is bit 14 of
 * Tn_CONFIG; Tn_FSB_INT_ROUTE at 0x110 + 0x20 n holds the MSI address and
 * data), everything else reaches the hardware unchanged. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pc/hpet.h"

static void test_general_registers_pass(void **state)
{
    (void)state;
    uint64_t out = 0;
    /* general config (ENABLE_CNF, LEG_RT_CNF), interrupt status, counter */
    assert_int_equal(hpet_write_filter(0x010, 4, 3, &out), 1);
    assert_int_equal(out, 3);
    assert_int_equal(hpet_write_filter(0x020, 4, 0xffffffff, &out), 1);
    assert_int_equal(out, 0xffffffff);
    assert_int_equal(hpet_write_filter(0x0f0, 8, 0x123456789ull, &out), 1);
    assert_int_equal(out, 0x123456789ull);
}

static void test_fsb_enable_cleared_every_timer(void **state)
{
    (void)state;
    for (uint32_t n = 0; n < HPET_TIMERS; n++) {
        uint64_t out = 0;
        /* level-triggered, enabled, routed to I/O APIC pin 2, FSB_EN */
        uint64_t cfg = HPET_TN_FSB_EN | (2u << 9) | (1u << 2) | (1u << 1);
        assert_int_equal(hpet_write_filter(HPET_TN_CFG(n), 4, cfg, &out), 1);
        assert_int_equal(out, cfg & ~(uint64_t)HPET_TN_FSB_EN);
        assert_int_equal(hpet_write_filter(HPET_TN_CFG(n), 8, cfg | 0xffull << 32, &out), 1);
        assert_int_equal(out, (cfg | 0xffull << 32) & ~(uint64_t)HPET_TN_FSB_EN);
        /* the high dword of the config (routing capability) is read-only
         * hardware state; bit 14 of it is not FSB_EN */
        assert_int_equal(hpet_write_filter(HPET_TN_CFG(n) + 4, 4, HPET_TN_FSB_EN, &out), 1);
        assert_int_equal(out, HPET_TN_FSB_EN);
    }
}

static void test_fsb_route_dropped(void **state)
{
    (void)state;
    uint64_t out = 0x5a;
    for (uint32_t n = 0; n < HPET_TIMERS; n++) {
        /* an INIT (delivery mode 101b) to every CPU: address, data */
        assert_int_equal(hpet_write_filter(HPET_TN_FSB(n), 8, 0xfee0000000000500ull, &out), 0);
        assert_int_equal(hpet_write_filter(HPET_TN_FSB(n), 4, 0x500, &out), 0);
        assert_int_equal(hpet_write_filter(HPET_TN_FSB(n) + 4, 4, 0xfee00000u, &out), 0);
        assert_int_equal(hpet_write_filter(HPET_TN_FSB(n) + 8, 4, 1, &out), 0);
    }
    assert_int_equal(out, 0x5a);
}

static void test_comparator_passes(void **state)
{
    (void)state;
    uint64_t out = 0;
    assert_int_equal(hpet_write_filter(HPET_TN_CFG(3) + 8, 8, 0xabcdef, &out), 1);
    assert_int_equal(out, 0xabcdef);
}

static void test_odd_accesses_dropped(void **state)
{
    (void)state;
    uint64_t out = 0;
    assert_int_equal(hpet_write_filter(HPET_TN_CFG(0), 1, HPET_TN_FSB_EN, &out), 0);
    assert_int_equal(hpet_write_filter(HPET_TN_CFG(0), 2, HPET_TN_FSB_EN, &out), 0);
    assert_int_equal(hpet_write_filter(HPET_TN_CFG(0) + 1, 4, HPET_TN_FSB_EN, &out), 0);
    assert_int_equal(hpet_write_filter(HPET_TN_CFG(0) + 4, 8, 0, &out), 0);
    assert_int_equal(hpet_write_filter(0x1000, 4, 0, &out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_general_registers_pass),
        cmocka_unit_test(test_fsb_enable_cleared_every_timer),
        cmocka_unit_test(test_fsb_route_dropped),
        cmocka_unit_test(test_comparator_passes),
        cmocka_unit_test(test_odd_accesses_dropped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
