/* Unit tests: the virtual MC146818 RTC / CMOS (demo/dev/rtc.h): the time
 * bytes from an epoch plus elapsed time in BCD / binary and 12 / 24 hours,
 * SET, UIP, the divider, register C's read-to-clear flags and IRQ8 for
 * periodic, alarm and update-ended interrupts, the next-event time, the
 * NVRAM and the NMI mask bit. Time unit: ns. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dev/rtc.h"

#define NS  1000000000ull
#define EPOCH_LEAP 1709251198ull    /* 2024-02-29 23:59:58 UTC, a Thursday */

static struct rtc rtc;

static void fresh(uint64_t epoch)
{
    assert_int_equal(rtc_init(&rtc, NS, epoch, 0), 0);
}

static uint8_t rd(uint8_t reg, uint64_t t)
{
    uint8_t v = 0;
    assert_int_equal(rtc_port_write(&rtc, 0x70, t, reg), 0);
    assert_int_equal(rtc_port_read(&rtc, 0x71, t, &v), 0);
    return v;
}

static void wr(uint8_t reg, uint8_t val, uint64_t t)
{
    assert_int_equal(rtc_port_write(&rtc, 0x70, t, reg), 0);
    assert_int_equal(rtc_port_write(&rtc, 0x71, t, val), 0);
}

/* sec min hour dow day month year century */
static void expect_time(uint64_t t, const uint8_t want[8])
{
    static const uint8_t regs[8] = { 0, 2, 4, 6, 7, 8, 9, 0x32 };
    for (int i = 0; i < 8; i++)
        if (rd(regs[i], t) != want[i])
            fail_msg("reg %#x at %llu: %#x, want %#x", regs[i], (unsigned long long)t,
                     rd(regs[i], t), want[i]);
}

static void test_time_bcd_24h(void **state)
{
    (void)state;
    fresh(EPOCH_LEAP);
    assert_int_equal(rd(0x0a, 0), 0x26);
    assert_int_equal(rd(0x0b, 0), 0x02);
    assert_int_equal(rd(0x0d, 0), 0x80);
    expect_time(0, (const uint8_t[8]){ 0x58, 0x59, 0x23, 5, 0x29, 0x02, 0x24, 0x20 });
    expect_time(NS + NS / 2, (const uint8_t[8]){ 0x59, 0x59, 0x23, 5, 0x29, 0x02, 0x24, 0x20 });
    /* into a leap day's tomorrow: Friday, March 1st */
    expect_time(2 * NS, (const uint8_t[8]){ 0x00, 0x00, 0x00, 6, 0x01, 0x03, 0x24, 0x20 });
    /* a year later */
    expect_time((2 + 365ull * 86400) * NS, (const uint8_t[8]){ 0, 0, 0, 7, 0x01, 0x03, 0x25, 0x20 });
}

static void test_binary_and_12h(void **state)
{
    (void)state;
    fresh(946645500);                           /* 1999-12-31 13:05:00, Friday */
    wr(0x0b, 0x06, 0);                          /* binary, 24 h */
    expect_time(0, (const uint8_t[8]){ 0, 5, 13, 6, 31, 12, 99, 19 });
    wr(0x0b, 0x04, 0);                          /* binary, 12 h */
    assert_int_equal(rd(0x04, 0), 0x81);        /* 1 PM */
    wr(0x0b, 0x00, 0);                          /* BCD, 12 h */
    assert_int_equal(rd(0x04, 0), 0x81);
    assert_int_equal(rd(0x04, (10 * 3600 + 55 * 60) * NS), 0x12);  /* midnight: 12 AM */
    assert_int_equal(rd(0x32, (10 * 3600 + 55 * 60) * NS), 0x20);  /* 2000 */
    assert_int_equal(rd(0x04, (22 * 3600 + 55 * 60) * NS), 0x92);  /* noon: 12 PM */
    assert_int_equal(rd(0x04, (21 * 3600 + 55 * 60) * NS), 0x11);  /* 11 AM */
}

static void test_set_and_write_time(void **state)
{
    (void)state;
    fresh(EPOCH_LEAP);
    wr(0x0b, 0x02 | 0x80 | 0x10, NS / 4);       /* SET (UIE is cleared) */
    assert_int_equal(rd(0x0b, NS / 4), 0x82);
    assert_int_equal(rd(0x00, 5 * NS), 0x58);   /* held while SET */
    /* Linux's mc146818_set_time: 2030-06-15 12:34:56 */
    wr(0x00, 0x56, 5 * NS);
    wr(0x02, 0x34, 5 * NS);
    wr(0x04, 0x12, 5 * NS);
    wr(0x07, 0x15, 5 * NS);
    wr(0x08, 0x06, 5 * NS);
    wr(0x09, 0x30, 5 * NS);
    assert_int_equal(rd(0x00, 6 * NS), 0x56);
    wr(0x0b, 0x02, 6 * NS + NS / 4);            /* SET off: runs from there */
    expect_time(6 * NS + NS / 4, (const uint8_t[8]){ 0x56, 0x34, 0x12, 7, 0x15, 0x06, 0x30, 0x20 });
    /* the divider kept its phase: the next update at 7 s */
    assert_int_equal(rd(0x00, 7 * NS - 1), 0x56);
    assert_int_equal(rd(0x00, 7 * NS), 0x57);
    /* a write without SET changes that byte, the clock runs on */
    wr(0x02, 0x40, 8 * NS);
    expect_time(9 * NS, (const uint8_t[8]){ 0x59, 0x40, 0x12, 7, 0x15, 0x06, 0x30, 0x20 });
    /* years before 1970 read as 1970 */
    wr(0x0b, 0x82, 10 * NS);
    wr(0x32, 0x19, 10 * NS);
    wr(0x09, 0x50, 10 * NS);
    wr(0x0b, 0x02, 10 * NS);
    assert_int_equal(rd(0x09, 10 * NS), 0x70);
    assert_int_equal(rd(0x32, 10 * NS), 0x19);
}

static void test_uip_and_divider(void **state)
{
    (void)state;
    fresh(EPOCH_LEAP);
    assert_int_equal(rd(0x0a, NS / 2) & 0x80, 0);
    assert_int_equal(rd(0x0a, NS - 245000) & 0x80, 0);
    assert_int_equal(rd(0x0a, NS - 244000) & 0x80, 0x80);  /* 244 us before */
    assert_int_equal(rd(0x0a, NS - 1) & 0x80, 0x80);
    assert_int_equal(rd(0x0a, NS) & 0x80, 0);
    wr(0x0a, 0xa6, NS);                         /* UIP is read-only */
    assert_int_equal(rd(0x0a, NS / 2 + NS), 0x26);
    wr(0x0b, 0x82, NS);
    assert_int_equal(rd(0x0a, 2 * NS - 1) & 0x80, 0);      /* not while SET */
    wr(0x0b, 0x02, 2 * NS);
    /* SET held the clock for 1 s: 23:59:59 again at 2 s */
    assert_int_equal(rd(0x00, 2 * NS), 0x59);
    /* the divider held in reset: the clock stops */
    wr(0x0a, 0x76, 2 * NS + NS / 2);
    assert_int_equal(rd(0x00, 20 * NS), 0x59);
    assert_int_equal(rd(0x0a, 20 * NS + NS - 1) & 0x80, 0);
    /* restarted: the first update 500 ms later */
    wr(0x0a, 0x26, 30 * NS);
    assert_int_equal(rd(0x00, 30 * NS + NS / 2 - 1), 0x59);
    assert_int_equal(rd(0x00, 30 * NS + NS / 2), 0x00);
}

static void test_update_flag_and_irq(void **state)
{
    (void)state;
    fresh(EPOCH_LEAP);
    assert_int_equal(rd(0x0c, NS / 2), 0x40);   /* PF at 1024 Hz, not enabled */
    wr(0x0a, 0x20, NS / 2);                     /* no periodic rate */
    assert_int_equal(rd(0x0c, NS - 1), 0);
    assert_int_equal(rd(0x0c, NS), 0x10);       /* UF, no IRQF: not enabled */
    assert_int_equal(rd(0x0c, NS), 0);          /* read clears */
    assert_false(rtc_irq(&rtc, 2 * NS));
    assert_int_equal(rtc_next_event(&rtc, 2 * NS), UINT64_MAX);
    wr(0x0b, 0x12, 2 * NS);                     /* UIE (UF is already set) */
    assert_true(rtc_irq(&rtc, 2 * NS));
    assert_int_equal(rtc_next_event(&rtc, 2 * NS), UINT64_MAX);  /* already up */
    /* the alarm bytes are 0 from init: 00:00:00 at 2 s matches too */
    assert_int_equal(rd(0x0c, 2 * NS), 0xb0);
    assert_false(rtc_irq(&rtc, 2 * NS));
    assert_int_equal(rtc_next_event(&rtc, 2 * NS + 5), 3 * NS);
    assert_false(rtc_irq(&rtc, 3 * NS - 1));
    assert_true(rtc_irq(&rtc, 3 * NS));
    assert_true(rtc_irq(&rtc, 9 * NS));         /* stays up until C is read */
    assert_int_equal(rd(0x0c, 9 * NS), 0x90);
    /* SET stops the updates */
    wr(0x0b, 0x82, 9 * NS);
    assert_int_equal(rd(0x0c, 12 * NS), 0);
}

static void test_periodic(void **state)
{
    (void)state;
    fresh(EPOCH_LEAP);
    wr(0x0b, 0x42, 0);                          /* PIE, 1024 Hz (A = 0x26) */
    assert_int_equal(rtc_next_event(&rtc, 0), 976563);   /* 976562.5 ns */
    assert_false(rtc_irq(&rtc, 976562));
    assert_true(rtc_irq(&rtc, 976563));
    assert_int_equal(rd(0x0c, 976563), 0xc0);
    assert_int_equal(rtc_next_event(&rtc, 976563), 1953125);
    wr(0x0a, 0x2f, 2000000);                    /* 2 Hz */
    assert_true(rtc_irq(&rtc, 2000000));        /* 1953125 passed */
    assert_int_equal(rtc_next_event(&rtc, 2000000), UINT64_MAX);
    assert_int_equal(rd(0x0c, 2000000), 0xc0);
    assert_int_equal(rtc_next_event(&rtc, 2000000), NS / 2);
    wr(0x0a, 0x21, NS / 2);                     /* RS 1: 256 Hz */
    rd(0x0c, NS / 2);
    assert_int_equal(rtc_next_event(&rtc, NS / 2), NS / 2 + 3906250);
    wr(0x0a, 0x23, NS / 2);                     /* RS 3: 8192 Hz */
    assert_int_equal(rtc_next_event(&rtc, NS / 2), NS / 2 + 122071);  /* 122070.3 */
    wr(0x0a, 0x20, NS / 2);                     /* RS 0: none */
    assert_int_equal(rtc_next_event(&rtc, NS / 2), UINT64_MAX);
    assert_int_equal(rd(0x0c, 10 * NS), 0x30);  /* UF, AF (00:00:00): no PF */
}

static void test_alarm(void **state)
{
    (void)state;
    fresh(EPOCH_LEAP);                          /* 23:59:58 */
    wr(0x0a, 0x20, 0);                          /* no periodic flag */
    wr(0x01, 0x01, 0);                          /* alarm 00:00:01 */
    wr(0x03, 0x00, 0);
    wr(0x05, 0x00, 0);
    wr(0x0b, 0x22, 0);                          /* AIE */
    assert_int_equal(rtc_next_event(&rtc, 0), NS);
    assert_false(rtc_irq(&rtc, 2 * NS));
    assert_int_equal(rd(0x0c, 2 * NS), 0x10);   /* UF, no AF yet */
    assert_true(rtc_irq(&rtc, 3 * NS));
    assert_int_equal(rd(0x0c, 3 * NS), 0xb0);
    assert_false(rtc_irq(&rtc, 4 * NS));
    /* don't-care bytes (11xxxxxx): every second */
    wr(0x01, 0xff, 4 * NS);
    wr(0x03, 0xc0, 4 * NS);
    wr(0x05, 0xc0, 4 * NS);
    assert_true(rtc_irq(&rtc, 5 * NS));
    assert_int_equal(rd(0x0c, 5 * NS), 0xb0);
    /* a caller two days late still sees the alarm of 00:00:01 */
    wr(0x01, 0x01, 5 * NS);
    wr(0x03, 0x00, 5 * NS);
    wr(0x05, 0x00, 5 * NS);
    assert_int_equal(rd(0x0c, 5 * NS + 1), 0);
    assert_int_equal(rd(0x0c, 2 * 86400 * NS), 0xb0);
    /* 12-hour alarm bytes compare in the 12-hour format */
    fresh(EPOCH_LEAP);
    wr(0x0a, 0x20, 0);
    wr(0x0b, 0x20, 0);                          /* AIE, BCD, 12 h */
    wr(0x01, 0x00, 0);
    wr(0x03, 0x00, 0);
    wr(0x05, 0x12, 0);                          /* 12 AM = 00 h */
    assert_true(rtc_irq(&rtc, 2 * NS));
}

static void test_nvram_and_ports(void **state)
{
    (void)state;
    fresh(EPOCH_LEAP);
    uint8_t v = 0;
    assert_int_equal(rtc_port_read(&rtc, 0x70, 0, &v), 0);
    assert_int_equal(v, 0xff);
    assert_int_equal(rtc_port_read(&rtc, 0x72, 0, &v), -1);
    assert_int_equal(rtc_port_write(&rtc, 0x74, 0, 1), -1);
    wr(0x40, 0x5a, 0);
    assert_int_equal(rd(0x40, 0), 0x5a);
    assert_int_equal(rd(0x7f, 0), 0);
    wr(0x0d, 0x00, 0);                          /* C, D: read-only */
    wr(0x0c, 0xff, 0);
    assert_int_equal(rd(0x0d, 0), 0x80);
    assert_int_equal(rd(0x0c, 0), 0x00);
    /* bit 7 of the index masks NMIs and is not part of the index */
    assert_int_equal(rtc_port_write(&rtc, 0x70, 0, 0xc0), 0);
    assert_int_equal(rtc_nmi_masked(&rtc), 1);
    assert_int_equal(rtc_port_read(&rtc, 0x71, 0, &v), 0);
    assert_int_equal(v, 0x5a);
    assert_int_equal(rtc_port_write(&rtc, 0x70, 0, 0x40), 0);
    assert_int_equal(rtc_nmi_masked(&rtc), 0);
    /* the embedder's setup touches plain bytes only */
    rtc_nvram_set(&rtc, 0x34, 0x12);
    rtc_nvram_set(&rtc, 0x32, 0x99);
    rtc_nvram_set(&rtc, 0x0b, 0x99);
    assert_int_equal(rd(0x34, 0), 0x12);
    assert_int_equal(rd(0x32, 0), 0x20);
    assert_int_equal(rd(0x0b, 0), 0x02);
    assert_int_equal(rtc_init(&rtc, 0, 0, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_bcd_24h),
        cmocka_unit_test(test_binary_and_12h),
        cmocka_unit_test(test_set_and_write_time),
        cmocka_unit_test(test_uip_and_divider),
        cmocka_unit_test(test_update_flag_and_irq),
        cmocka_unit_test(test_periodic),
        cmocka_unit_test(test_alarm),
        cmocka_unit_test(test_nvram_and_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
