/* Unit tests: the demo's audit of the machine's interrupt hardware, HPET
 * and CMOS (demo/pc/hostaudit.c): each register it keeps, changed, is
 * reported under its own bit; the ticking RTC registers are not. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "pc/hostaudit.h"

static struct hostaudit a, b;

static void same(void)
{
    memset(&a, 0, sizeof a);
    for (unsigned i = 0; i < HOSTAUDIT_RTE; i++)
        a.rte[i] = 0x10000ull | (0x30 + i);     /* masked, as firmware leaves them */
    for (unsigned i = 0; i < 128; i++)
        a.nvram[i] = (uint8_t)(i * 7);
    a.pic[0] = a.pic[1] = 0xff;
    a.hpet_n = 3;
    a.hpet_cfg = 0;
    b = a;
}

static void test_unchanged(void **state)
{
    (void)state;
    same();
    assert_int_equal(hostaudit_diff(&a, &b), 0);
}

static void test_each_part(void **state)
{
    (void)state;
    same();
    b.pic[1] = 0xfb;
    assert_int_equal(hostaudit_diff(&a, &b), HOSTAUDIT_PIC);
    same();
    b.rte[23] &= ~0x10000ull;                   /* the guest unmasked the last pin */
    assert_int_equal(hostaudit_diff(&a, &b), HOSTAUDIT_IOAPIC);
    same();
    b.ioapic_id = 5u << 24;
    assert_int_equal(hostaudit_diff(&a, &b), HOSTAUDIT_IOAPIC);
    same();
    b.lapic[5] = 0x400;                         /* an LVT to NMI */
    assert_int_equal(hostaudit_diff(&a, &b), HOSTAUDIT_LAPIC_BIT);
    same();
    b.hpet_tn[2][0] = 1u << 14;                 /* FSB delivery on the last comparator */
    assert_int_equal(hostaudit_diff(&a, &b), HOSTAUDIT_HPET_BIT);
    same();
    b.hpet_cfg = 1;
    assert_int_equal(hostaudit_diff(&a, &b), HOSTAUDIT_HPET_BIT);
    same();
    b.nvram[0x10] ^= 1;                         /* the floppy types byte */
    assert_int_equal(hostaudit_diff(&a, &b), HOSTAUDIT_CMOS);
    same();
    b.pic[0] = 0;
    b.nvram[0x7f] ^= 0x80;
    assert_int_equal(hostaudit_diff(&a, &b), HOSTAUDIT_PIC | HOSTAUDIT_CMOS);
}

static void test_clock_ticks_not_reported(void **state)
{
    (void)state;
    same();
    b.nvram[0x00]++;                            /* seconds */
    b.nvram[0x0a] ^= 0x80;                      /* update in progress */
    b.nvram[0x0c] ^= 0x40;                      /* flags, cleared by reading */
    b.nvram[0x32]++;                            /* century */
    assert_int_equal(hostaudit_diff(&a, &b), 0);
    b.nvram[0x0e] ^= 1;                         /* diagnostic status: NVRAM */
    assert_int_equal(hostaudit_diff(&a, &b), HOSTAUDIT_CMOS);
}

static void test_hpet_comparators_beyond_count_ignored(void **state)
{
    (void)state;
    same();
    b.hpet_tn[3][0] = 0xdead;                   /* the machine has 3 */
    assert_int_equal(hostaudit_diff(&a, &b), 0);
    b.hpet_n = 0;                               /* the HPET went away */
    assert_int_equal(hostaudit_diff(&a, &b), HOSTAUDIT_HPET_BIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unchanged),
        cmocka_unit_test(test_each_part),
        cmocka_unit_test(test_clock_ticks_not_reported),
        cmocka_unit_test(test_hpet_comparators_beyond_count_ignored),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
