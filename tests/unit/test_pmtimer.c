/* Unit tests: the virtual ACPI PM timer (demo/dev/pmtimer.h): 3.579545 MHz
 * from the caller's time (ns, a TSC), 24- and 32-bit wrap, partial reads,
 * the time of the next top-bit change (TMR_STS). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dev/pmtimer.h"

#define NS 1000000000ull

static void test_rate_and_width(void **state)
{
    (void)state;
    struct pmtimer t;
    assert_int_equal(pmtimer_init(&t, 0, 0), -1);
    assert_int_equal(pmtimer_init(&t, NS, 0), 0);
    assert_int_equal(pmtimer_value(&t, 0), 0);
    assert_int_equal(pmtimer_value(&t, NS), 3579545);
    assert_int_equal(pmtimer_value(&t, 279), 0);            /* 0.9987 ticks */
    assert_int_equal(pmtimer_value(&t, 280), 1);
    assert_int_equal(pmtimer_value(&t, 5 * NS), 17897725 - (1u << 24));  /* 24-bit wrap */
    assert_int_equal(pmtimer_init(&t, NS, 1), 0);
    assert_int_equal(pmtimer_value(&t, 5 * NS), 17897725);
    assert_int_equal(pmtimer_value(&t, 1200 * NS), (uint32_t)(1200ull * 3579545));  /* 32-bit wrap */
}

static void test_tsc_unit_far_out(void **state)
{
    (void)state;
    struct pmtimer t;
    const uint64_t tsc = 3000000000ull;
    assert_int_equal(pmtimer_init(&t, tsc, 1), 0);
    uint64_t t0 = tsc * 86400 * 30;                         /* a month in */
    for (unsigned i = 0; i < 1000; i++) {
        uint64_t a = t0 + i * 7777777ull;
        uint32_t d = pmtimer_value(&t, a + tsc) - pmtimer_value(&t, a);
        assert_true(d == 3579545 || d == 3579546 || d == 3579544);
        assert_true(pmtimer_value(&t, a + 838) - pmtimer_value(&t, a) <= 1);  /* < 1 tick: never back */
    }
}

static void test_partial_reads(void **state)
{
    (void)state;
    struct pmtimer t;
    assert_int_equal(pmtimer_init(&t, 3579545, 1), 0);     /* one unit a tick */
    uint64_t now = 0x12345678;
    assert_int_equal(pmtimer_read(&t, 0, 4, now), 0x12345678);
    assert_int_equal(pmtimer_read(&t, 0, 1, now), 0x78);
    assert_int_equal(pmtimer_read(&t, 1, 1, now), 0x56);
    assert_int_equal(pmtimer_read(&t, 2, 2, now), 0x1234);
    assert_int_equal(pmtimer_read(&t, 3, 1, now), 0x12);
    assert_int_equal(pmtimer_read(&t, 3, 2, now), 0xffffffff);  /* past the block */
    assert_int_equal(pmtimer_read(&t, 0, 3, now), 0xffffffff);
    assert_int_equal(pmtimer_read(&t, 4, 1, now), 0xffffffff);
    assert_int_equal(pmtimer_init(&t, 3579545, 0), 0);
    assert_int_equal(pmtimer_read(&t, 0, 4, now), 0x345678);
    assert_int_equal(pmtimer_read(&t, 3, 1, now), 0);       /* above 24 bits */
}

static void test_msb_toggle(void **state)
{
    (void)state;
    struct pmtimer t;
    assert_int_equal(pmtimer_init(&t, NS, 0), 0);
    uint64_t n = pmtimer_next_msb_toggle(&t, 0);
    assert_int_equal(n, (8388608ull * NS + 3579544) / 3579545);   /* 2.34 s */
    assert_int_equal(pmtimer_value(&t, n - 1) >> 23, 0);
    assert_int_equal(pmtimer_value(&t, n) >> 23, 1);
    uint64_t n2 = pmtimer_next_msb_toggle(&t, n);
    assert_int_equal(pmtimer_value(&t, n2 - 1) >> 23, 1);
    assert_int_equal(pmtimer_value(&t, n2) >> 23, 0);       /* wrapped */
    assert_int_equal(pmtimer_init(&t, NS, 1), 0);
    n = pmtimer_next_msb_toggle(&t, 0);
    assert_int_equal(pmtimer_value(&t, n - 1), 0x7fffffff);
    assert_int_equal(pmtimer_value(&t, n), 0x80000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_and_width),
        cmocka_unit_test(test_tsc_unit_far_out),
        cmocka_unit_test(test_partial_reads),
        cmocka_unit_test(test_msb_toggle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
