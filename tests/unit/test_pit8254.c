/* Unit tests: the virtual 8254 PIT (demo/dev/pit8254.h): each mode's OUT
 * over time, counts read back, latch and read-back commands, access modes,
 * BCD, channel 2's gate through port 0x61, IRQ0 edges and the next-event
 * time, time scaling from ns and TSC units. Most tests run the caller's
 * clock at the PIT's own rate (hz = 1193182), so one unit is one clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dev/pit8254.h"

static struct pit8254 pit;

static void fresh(uint64_t hz)
{
    assert_int_equal(pit8254_init(&pit, hz), 0);
}

static void out(uint16_t port, uint64_t t, uint8_t v)
{
    assert_int_equal(pit8254_port_write(&pit, port, t, v), 0);
}

static uint8_t in(uint16_t port, uint64_t t)
{
    uint8_t v = 0;
    assert_int_equal(pit8254_port_read(&pit, port, t, &v), 0);
    return v;
}

static void load16(unsigned ch, uint64_t t, uint16_t n)
{
    out((uint16_t)(0x40 + ch), t, (uint8_t)n);
    out((uint16_t)(0x40 + ch), t, (uint8_t)(n >> 8));
}

static uint16_t read16(unsigned ch, uint64_t t)
{
    uint8_t lo = in((uint16_t)(0x40 + ch), t);
    return (uint16_t)(lo | in((uint16_t)(0x40 + ch), t) << 8);
}

static void test_init_rejects_bad_clock(void **state)
{
    (void)state;
    assert_int_equal(pit8254_init(&pit, 0), -1);
    assert_int_equal(pit8254_init(&pit, (1ull << 40) + 1), -1);
    fresh(PIT8254_HZ);
    uint8_t v = 0;
    assert_int_equal(pit8254_port_read(&pit, 0x44, 0, &v), -1);
    assert_int_equal(v, 0xff);
    assert_int_equal(in(0x43, 0), 0xff);        /* control word: write-only */
}

static void test_mode0_interrupt_on_terminal_count(void **state)
{
    (void)state;
    fresh(PIT8254_HZ);
    out(0x43, 1000, 0x30);                      /* ch0, LSB/MSB, mode 0 */
    assert_int_equal(pit8254_out(&pit, 0, 1000), 0);
    load16(0, 1000, 100);
    assert_int_equal(pit8254_next_irq0(&pit, 1000), 1100);
    assert_int_equal(read16(0, 1050), 50);
    assert_int_equal(pit8254_out(&pit, 0, 1099), 0);
    assert_int_equal(pit8254_irq0_edges(&pit, 1099), 0);
    assert_int_equal(pit8254_out(&pit, 0, 1100), 1);
    assert_int_equal(pit8254_irq0_edges(&pit, 5000), 1);
    assert_int_equal(pit8254_irq0_edges(&pit, 9000), 0);   /* once */
    assert_int_equal(pit8254_next_irq0(&pit, 9000), UINT64_MAX);
    assert_int_equal(read16(0, 1110), 0xfff6);  /* counts on past 0 */
    assert_int_equal(pit8254_out(&pit, 0, 1110), 1);
    /* the first byte of a new count stops counting, OUT low at once */
    out(0x40, 2000, 50);
    assert_int_equal(pit8254_out(&pit, 0, 2000), 0);
    assert_int_equal(pit8254_out(&pit, 0, 2500), 0);
    out(0x40, 2500, 0);
    assert_int_equal(pit8254_out(&pit, 0, 2549), 0);
    assert_int_equal(pit8254_out(&pit, 0, 2550), 1);
    assert_int_equal(pit8254_irq0_edges(&pit, 2550), 1);
}

static void test_mode2_rate_generator(void **state)
{
    (void)state;
    fresh(PIT8254_HZ);
    out(0x43, 0, 0x34);                         /* Linux's periodic tick */
    load16(0, 0, 1193);
    assert_int_equal(pit8254_irq0_edges(&pit, 0), 1);      /* mode 0's low OUT rose */
    assert_int_equal(pit8254_next_irq0(&pit, 0), 1193);
    assert_int_equal(read16(0, 0), 1193);
    assert_int_equal(read16(0, 1000), 193);
    assert_int_equal(pit8254_out(&pit, 0, 1191), 1);
    assert_int_equal(pit8254_out(&pit, 0, 1192), 0);      /* count 1: low */
    assert_int_equal(pit8254_irq0_edges(&pit, 1192), 0);
    assert_int_equal(pit8254_out(&pit, 0, 1193), 1);      /* reload: rises */
    assert_int_equal(read16(0, 1193), 1193);
    assert_int_equal(pit8254_irq0_edges(&pit, 1193), 1);
    assert_int_equal(pit8254_irq0_edges(&pit, 1193 * 6 + 10), 5);
    assert_int_equal(pit8254_next_irq0(&pit, 1193 * 6 + 10), 1193 * 7);
    assert_int_equal(pit8254_next_irq0(&pit, 1193 * 7), 1193 * 8);
}

static void test_mode2_new_count_at_period_end(void **state)
{
    (void)state;
    fresh(PIT8254_HZ);
    out(0x43, 0, 0x34);
    load16(0, 0, 100);
    pit8254_irq0_edges(&pit, 0);
    load16(0, 50, 200);
    out(0x43, 60, 0xe2);                        /* read-back: status of ch0 */
    assert_int_equal(in(0x40, 60), 0x80 | 0x40 | 0x34);  /* OUT, NULL COUNT */
    assert_int_equal(pit8254_next_irq0(&pit, 60), 100);
    assert_int_equal(pit8254_irq0_edges(&pit, 100), 1);
    assert_int_equal(pit8254_next_irq0(&pit, 100), 300);  /* not 250 */
    assert_int_equal(read16(0, 150), 150);
    out(0x43, 160, 0xe2);
    assert_int_equal(in(0x40, 160), 0x80 | 0x34);        /* loaded */
    assert_int_equal(pit8254_irq0_edges(&pit, 700), 3);  /* 300, 500, 700 */
}

static void test_mode3_square_wave(void **state)
{
    (void)state;
    fresh(PIT8254_HZ);
    out(0x43, 0, 0x36);                         /* BIOS: mode 3, count 0 */
    load16(0, 0, 0);
    pit8254_irq0_edges(&pit, 0);
    assert_int_equal(pit8254_out(&pit, 0, 32767), 1);
    assert_int_equal(pit8254_out(&pit, 0, 32768), 0);
    assert_int_equal(pit8254_out(&pit, 0, 65535), 0);
    assert_int_equal(pit8254_out(&pit, 0, 65536), 1);
    assert_int_equal(read16(0, 10), (uint16_t)(65536 - 20));  /* by 2 */
    assert_int_equal(pit8254_irq0_edges(&pit, 65536 * 3), 3);
    /* odd count: high (N+1)/2, low (N-1)/2 */
    out(0x43, 0, 0x36);
    load16(0, 0, 5);
    int want[] = { 1, 1, 1, 0, 0, 1 };
    for (int t = 0; t < 6; t++)
        assert_int_equal(pit8254_out(&pit, 0, (uint64_t)t), want[t]);
}

static void test_mode4_software_strobe(void **state)
{
    (void)state;
    fresh(PIT8254_HZ);
    out(0x43, 0, 0x38);
    load16(0, 0, 10);
    pit8254_irq0_edges(&pit, 0);
    assert_int_equal(pit8254_out(&pit, 0, 9), 1);
    assert_int_equal(pit8254_out(&pit, 0, 10), 0);        /* one clock low */
    assert_int_equal(pit8254_irq0_edges(&pit, 10), 0);
    assert_int_equal(pit8254_next_irq0(&pit, 10), 11);
    assert_int_equal(pit8254_out(&pit, 0, 11), 1);
    assert_int_equal(pit8254_irq0_edges(&pit, 100), 1);
    assert_int_equal(pit8254_next_irq0(&pit, 100), UINT64_MAX);
}

static void test_channel2_gate_modes_1_and_5(void **state)
{
    (void)state;
    fresh(PIT8254_HZ);
    out(0x43, 0, 0xb2);                         /* ch2, mode 1 */
    load16(2, 0, 50);
    assert_int_equal(in(0x61, 5) & 0x20, 0x20); /* OUT2 high, not triggered */
    assert_int_equal(pit8254_out(&pit, 2, 500), 1);
    out(0x61, 1000, 0x01);                      /* gate rises: trigger */
    assert_int_equal(in(0x61, 1000) & 0x21, 0x01);      /* OUT2 low, gate on */
    assert_int_equal(read16(2, 1020), 30);
    out(0x61, 1030, 0x00);                      /* a fall changes nothing */
    out(0x61, 1030, 0x01);                      /* retrigger at 1030 */
    assert_int_equal(pit8254_out(&pit, 2, 1079), 0);
    assert_int_equal(pit8254_out(&pit, 2, 1080), 1);
    out(0x43, 2000, 0xba);                      /* ch2, mode 5 */
    out(0x61, 2000, 0x00);
    load16(2, 2000, 20);
    assert_int_equal(pit8254_out(&pit, 2, 2100), 1);     /* no trigger yet */
    out(0x61, 3000, 0x01);
    assert_int_equal(pit8254_out(&pit, 2, 3019), 1);
    assert_int_equal(pit8254_out(&pit, 2, 3020), 0);
    assert_int_equal(pit8254_out(&pit, 2, 3021), 1);
}

static void test_channel2_gate_stops_counting(void **state)
{
    (void)state;
    fresh(PIT8254_HZ);
    out(0x43, 0, 0xb0);                         /* ch2, mode 0, gate low */
    load16(2, 0, 100);
    assert_int_equal(read16(2, 50), 100);       /* not counting */
    out(0x61, 100, 0x01);
    assert_int_equal(read16(2, 140), 60);
    out(0x61, 140, 0x00);
    assert_int_equal(read16(2, 900), 60);       /* held */
    out(0x61, 1000, 0x01);
    assert_int_equal(pit8254_out(&pit, 2, 1059), 0);
    assert_int_equal(pit8254_out(&pit, 2, 1060), 1);
    /* mode 3: gate low holds OUT high, a rise reloads */
    out(0x43, 2000, 0xb6);
    load16(2, 2000, 10);
    assert_int_equal(pit8254_out(&pit, 2, 2006), 0);
    out(0x61, 2006, 0x00);
    assert_int_equal(pit8254_out(&pit, 2, 2006), 1);
    assert_int_equal(pit8254_out(&pit, 2, 2500), 1);
    out(0x61, 3000, 0x01);
    assert_int_equal(pit8254_out(&pit, 2, 3004), 1);
    assert_int_equal(pit8254_out(&pit, 2, 3005), 0);
}

static void test_port61_bits(void **state)
{
    (void)state;
    fresh(PIT8254_HZ);
    out(0x61, 0, 0xff);
    uint8_t v = in(0x61, 0);
    assert_int_equal(v & 0xcf, 0x0f);           /* 3:0 as written, 7:6 zero */
    assert_int_equal(in(0x61, 0) & 0x10, 0);    /* refresh toggle */
    assert_int_equal(in(0x61, 18) & 0x10, 0x10);
    assert_int_equal(in(0x61, 36) & 0x10, 0);
}

static void test_latch_and_read_back(void **state)
{
    (void)state;
    fresh(PIT8254_HZ);
    out(0x43, 0, 0x34);
    load16(0, 0, 1000);
    out(0x43, 100, 0x00);                       /* latch ch0 */
    out(0x43, 200, 0x00);                       /* ignored: one latched */
    assert_int_equal(read16(0, 300), 900);
    assert_int_equal(read16(0, 300), 700);      /* live again */
    /* read-back of count and status; status reads first */
    out(0x43, 400, 0xc2);
    out(0x43, 500, 0xc2);                       /* both already latched */
    assert_int_equal(in(0x40, 600), 0x80 | 0x34);
    assert_int_equal(read16(0, 600), 600);
    /* status after a control word: NULL COUNT until the count comes */
    out(0x43, 700, 0xb6);
    out(0x43, 700, 0xe8);                       /* status of ch2 */
    assert_int_equal(in(0x42, 700), 0x80 | 0x40 | 0x36);
    /* a byte-wide latch: LSB-only counter reads one byte */
    out(0x43, 800, 0x50);                       /* ch1, LSB only, mode 0 */
    out(0x41, 800, 0x80);
    out(0x43, 810, 0x40);
    assert_int_equal(in(0x41, 900), 0x80 - 10);
    assert_int_equal(in(0x41, 900), 0x80 - 100);
}

static void test_access_modes_and_bcd(void **state)
{
    (void)state;
    fresh(PIT8254_HZ);
    out(0x43, 0, 0x20);                         /* ch0, MSB only, mode 0 */
    out(0x40, 0, 0x01);                         /* count 256 */
    assert_int_equal(in(0x40, 0), 0x01);
    assert_int_equal(in(0x40, 1), 0x00);        /* 255: MSB 0 */
    assert_int_equal(pit8254_out(&pit, 0, 255), 0);
    assert_int_equal(pit8254_out(&pit, 0, 256), 1);
    out(0x43, 0, 0x31);                         /* mode 0, BCD */
    load16(0, 0, 0x0100);                       /* 100 decimal */
    assert_int_equal(read16(0, 1), 0x0099);
    assert_int_equal(pit8254_out(&pit, 0, 99), 0);
    assert_int_equal(pit8254_out(&pit, 0, 100), 1);
    assert_int_equal(read16(0, 101), 0x9999);   /* wraps to 9999 */
    load16(0, 1000, 0x0000);                    /* 0 = 10000 in BCD */
    assert_int_equal(pit8254_out(&pit, 0, 1000 + 9999), 0);
    assert_int_equal(pit8254_out(&pit, 0, 1000 + 10000), 1);
    out(0x43, 20000, 0x35);                     /* mode 2, BCD */
    load16(0, 20000, 0x1234);
    assert_int_equal(read16(0, 20000 + 234), 0x1000);
}

static void test_time_units(void **state)
{
    (void)state;
    fresh(1000000000);                          /* ns */
    out(0x43, 0, 0x34);
    load16(0, 0, 1193);
    pit8254_irq0_edges(&pit, 0);
    /* 1193 clocks = 999,847.3 ns: the first ns at which it has happened */
    assert_int_equal(pit8254_next_irq0(&pit, 0), 999848);
    assert_int_equal(pit8254_irq0_edges(&pit, 999847), 0);
    assert_int_equal(pit8254_irq0_edges(&pit, 999848), 1);
    assert_int_equal(pit8254_irq0_edges(&pit, 1000000000), 999);  /* 1000 Hz */
    /* a 2.5 GHz TSC, days into the run: no overflow, no drift */
    fresh(2500000000ull);
    uint64_t t0 = 2500000000ull * 86400 * 5;
    out(0x43, t0, 0x34);
    load16(0, t0, 11932);                       /* 100 Hz */
    pit8254_irq0_edges(&pit, t0);
    uint64_t next = pit8254_next_irq0(&pit, t0);
    assert_true(next > t0 && next - t0 <= 25000000ull + 2500);
    assert_int_equal(pit8254_irq0_edges(&pit, next - 1), 0);
    assert_int_equal(pit8254_irq0_edges(&pit, next), 1);
    /* an hour: 3600 * 1193182 / 11932 periods, the first one collected */
    assert_int_equal(pit8254_irq0_edges(&pit, t0 + 2500000000ull * 3600),
                     3600ull * PIT8254_HZ / 11932 - 1);
}

/* Linux's TSC calibration on counter 2 (arch/x86/kernel/tsc.c): gate on
 * and speaker off through 0x61, mode 0, then poll OUT2 (pit_calibrate_tsc)
 * or the count's MSB (quick_pit_calibrate, LSB read and dropped). */
static void test_linux_tsc_calibration(void **state)
{
    (void)state;
    fresh(PIT8254_HZ);
    uint8_t p61 = in(0x61, 0);
    out(0x61, 0, (uint8_t)((p61 & ~0x02) | 0x01));
    out(0x43, 0, 0xb0);
    load16(2, 100, 11932);                      /* 10 ms */
    assert_int_equal(in(0x61, 100 + 11931) & 0x20, 0);
    assert_int_equal(in(0x61, 100 + 11932) & 0x20, 0x20);
    /* quick_pit_calibrate: count 0xffff, the MSB falls every 256 clocks */
    out(0x61, 20000, 0x00);
    out(0x61, 20000, 0x01);
    out(0x43, 20000, 0xb0);
    out(0x42, 20000, 0xff);
    out(0x42, 20000, 0xff);
    for (unsigned i = 1; i < 200; i++) {
        uint64_t t = 20000 + 256ull * i + 10;
        in(0x42, t);
        assert_int_equal(in(0x42, t), 0xff - i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rejects_bad_clock),
        cmocka_unit_test(test_mode0_interrupt_on_terminal_count),
        cmocka_unit_test(test_mode2_rate_generator),
        cmocka_unit_test(test_mode2_new_count_at_period_end),
        cmocka_unit_test(test_mode3_square_wave),
        cmocka_unit_test(test_mode4_software_strobe),
        cmocka_unit_test(test_channel2_gate_modes_1_and_5),
        cmocka_unit_test(test_channel2_gate_stops_counting),
        cmocka_unit_test(test_port61_bits),
        cmocka_unit_test(test_latch_and_read_back),
        cmocka_unit_test(test_access_modes_and_bcd),
        cmocka_unit_test(test_time_units),
        cmocka_unit_test(test_linux_tsc_calibration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
