/* Unit tests: VMX I/O bitmaps (SDM Vol. 3C 25.6.4), MSR bitmap (25.6.9,
 * 26.1.3) and the INS/OUTS VM-exit instruction-information field (28.2.5).
 * Bit positions are checked in memory against the SDM layout. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <x86vcpu/x86vcpu.h>
#include "lib/bitmap.h"

#define PAGE 4096

static uint8_t io_a[PAGE], io_b[PAGE], msr[PAGE];

/* SDM: bitmap A bit n is port n (0000H-7FFFH); bitmap B bit n is port
 * 8000H + n. Bit n of a bitmap is bit n % 8 of byte n / 8. */
static int port_bit(uint32_t port)
{
    const uint8_t *bm = port < 0x8000 ? io_a : io_b;
    uint32_t n = port & 0x7fff;
    return (bm[n / 8] >> (n % 8)) & 1;
}

static int count_ports(void)
{
    int n = 0;
    for (uint32_t p = 0; p < 0x10000; p++)
        n += port_bit(p);
    return n;
}

static void check_range(uint32_t first, uint32_t last, int inside)
{
    for (uint32_t p = 0; p < 0x10000; p++) {
        int want = (p >= first && p <= last) ? inside : !inside;
        if (port_bit(p) != want)
            fail_msg("port %#x: bit %d, expected %d", p, port_bit(p), want);
        if (x86vcpu__io_bitmap_test(io_a, io_b, (uint16_t)p) != want)
            fail_msg("port %#x: test says %d, expected %d", p,
                     x86vcpu__io_bitmap_test(io_a, io_b, (uint16_t)p), want);
    }
}

static void io_reset(int v)
{
    memset(io_a, v ? 0xff : 0, PAGE);
    memset(io_b, v ? 0xff : 0, PAGE);
}

static void test_io_single_ports(void **state)
{
    (void)state;
    io_reset(0);
    /* COM1: 3F8H-3FFH = byte 7FH of A, all 8 bits. */
    x86vcpu__io_bitmap_set(io_a, io_b, 0x3f8, 8, 1);
    assert_int_equal(io_a[0x7f], 0xff);
    check_range(0x3f8, 0x3ff, 1);
    /* Port 0: bit 0 of byte 0 of A. */
    io_reset(0);
    x86vcpu__io_bitmap_set(io_a, io_b, 0, 1, 1);
    assert_int_equal(io_a[0], 0x01);
    check_range(0, 0, 1);
    /* Port 61H: byte 0CH bit 1. */
    io_reset(0);
    x86vcpu__io_bitmap_set(io_a, io_b, 0x61, 1, 1);
    assert_int_equal(io_a[0x0c], 0x02);
    assert_int_equal(count_ports(), 1);
    /* Port 8000H: bit 0 of byte 0 of B; FFFFH: bit 7 of byte FFFH of B. */
    io_reset(0);
    x86vcpu__io_bitmap_set(io_a, io_b, 0x8000, 1, 1);
    x86vcpu__io_bitmap_set(io_a, io_b, 0xffff, 1, 1);
    assert_int_equal(io_b[0], 0x01);
    assert_int_equal(io_b[0xfff], 0x80);
    assert_int_equal(count_ports(), 2);
    /* Port 7FFFH: bit 7 of byte FFFH of A. */
    io_reset(0);
    x86vcpu__io_bitmap_set(io_a, io_b, 0x7fff, 1, 1);
    assert_int_equal(io_a[0xfff], 0x80);
    assert_int_equal(count_ports(), 1);
}

static void test_io_ranges(void **state)
{
    (void)state;
    /* A range across the A/B boundary. */
    io_reset(0);
    x86vcpu__io_bitmap_set(io_a, io_b, 0x7ffe, 4, 1);
    assert_int_equal(io_a[0xfff], 0xc0);
    assert_int_equal(io_b[0], 0x03);
    check_range(0x7ffe, 0x8001, 1);
    /* Clamped at FFFFH: no wrap to port 0. */
    io_reset(0);
    x86vcpu__io_bitmap_set(io_a, io_b, 0xfffe, 10, 1);
    check_range(0xfffe, 0xffff, 1);
    io_reset(0);
    x86vcpu__io_bitmap_set(io_a, io_b, 0x10, 0xffffffffu, 1);
    check_range(0x10, 0xffff, 1);
    /* The whole space. */
    io_reset(0);
    x86vcpu__io_bitmap_set(io_a, io_b, 0, 0x10000, 1);
    check_range(0, 0xffff, 1);
    /* Count 0 does nothing. */
    io_reset(0);
    x86vcpu__io_bitmap_set(io_a, io_b, 0x80, 0, 1);
    assert_int_equal(count_ports(), 0);
    /* Clearing (pass-through) from all-exit. */
    io_reset(1);
    x86vcpu__io_bitmap_set(io_a, io_b, 0x1f0, 8, 0);
    check_range(0x1f0, 0x1f7, 0);
    io_reset(1);
    x86vcpu__io_bitmap_set(io_a, io_b, 0x7ff0, 0x20, 0);
    check_range(0x7ff0, 0x800f, 0);
    /* Any non-zero intercept means exit. */
    io_reset(0);
    x86vcpu__io_bitmap_set(io_a, io_b, 0x70, 2, -1);
    check_range(0x70, 0x71, 1);
    /* Unaligned partial bytes leave neighbours alone. */
    io_reset(0);
    x86vcpu__io_bitmap_set(io_a, io_b, 0x23, 3, 1);
    assert_int_equal(io_a[4], 0x38);
    check_range(0x23, 0x25, 1);
}

static void test_io_test_reads_memory(void **state)
{
    (void)state;
    /* The test function reads bits written by anyone (the SDM layout). */
    io_reset(0);
    io_a[0x60 / 8] = 1u << (0x64 % 8);
    io_b[0x4cf8 / 8] = 1u << (0x4cf8 % 8); /* port CCF8H */
    assert_int_equal(x86vcpu__io_bitmap_test(io_a, io_b, 0x64), 1);
    assert_int_equal(x86vcpu__io_bitmap_test(io_a, io_b, 0x60), 0);
    assert_int_equal(x86vcpu__io_bitmap_test(io_a, io_b, 0xccf8), 1);
    assert_int_equal(x86vcpu__io_bitmap_test(io_a, io_b, 0x4cf8), 0);
}

/* ---------------------------------------------------------------- MSRs */

/* SDM 25.6.9: read-low at 0, read-high at 1024, write-low at 2048,
 * write-high at 3072 (bytes); bit n of a quarter is MSR base + n. */
static int msr_bit(uint32_t index, int write)
{
    uint32_t base, n;
    if (index <= 0x1fff) {
        base = write ? 2048 : 0;
        n = index;
    } else {
        base = write ? 3072 : 1024;
        n = index - 0xc0000000u;
    }
    return (msr[base + n / 8] >> (n % 8)) & 1;
}

static void test_msr_layout(void **state)
{
    (void)state;
    memset(msr, 0, PAGE);
    /* IA32_TIME_STAMP_COUNTER (10H): read-low byte 2 bit 0 only. */
    assert_int_equal(x86vcpu__msr_bitmap_set(msr, 0x10, 1, 0), X86VCPU_OK);
    assert_int_equal(msr[2], 0x01);
    assert_int_equal(msr[2048 + 2], 0);
    /* IA32_EFER (C0000080H): read-high byte 1024 + 16, write-high 3072 + 16. */
    assert_int_equal(x86vcpu__msr_bitmap_set(msr, 0xc0000080u, 1, 1), X86VCPU_OK);
    assert_int_equal(msr[1040], 0x01);
    assert_int_equal(msr[3088], 0x01);
    /* IA32_SYSENTER_CS (174H) write only: write-low byte 2048 + 2EH bit 4. */
    assert_int_equal(x86vcpu__msr_bitmap_set(msr, 0x174, 0, 1), X86VCPU_OK);
    assert_int_equal(msr[2048 + 0x2e], 0x10);
    assert_int_equal(msr[0x2e], 0);
    /* Range ends. */
    assert_int_equal(x86vcpu__msr_bitmap_set(msr, 0x1fff, 1, 1), X86VCPU_OK);
    assert_int_equal(msr[1023], 0x80);
    assert_int_equal(msr[3071], 0x80);
    assert_int_equal(x86vcpu__msr_bitmap_set(msr, 0xc0001fffu, 1, 1), X86VCPU_OK);
    assert_int_equal(msr[2047], 0x80);
    assert_int_equal(msr[4095], 0x80);
    assert_int_equal(x86vcpu__msr_bitmap_set(msr, 0, 1, 0), X86VCPU_OK);
    assert_int_equal(msr[0], 0x01);
    assert_int_equal(x86vcpu__msr_bitmap_set(msr, 0xc0000000u, 0, 1), X86VCPU_OK);
    assert_int_equal(msr[3072], 0x01);
    /* Nothing else was written. */
    int bits = 0;
    for (int i = 0; i < PAGE; i++)
        bits += __builtin_popcount(msr[i]);
    assert_int_equal(bits, 1 + 2 + 1 + 2 + 2 + 1 + 1);
}

static void test_msr_test_and_clear(void **state)
{
    (void)state;
    const uint32_t msrs[] = { 0, 0x10, 0x1b, 0x174, 0x277, 0x1fff, 0xc0000000u, 0xc0000080u,
                              0xc0000100u, 0xc0000102u, 0xc0001fffu };
    memset(msr, 0xff, PAGE);
    for (size_t i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++) {
        for (int rd = 0; rd < 2; rd++) {
            for (int wr = 0; wr < 2; wr++) {
                assert_int_equal(x86vcpu__msr_bitmap_set(msr, msrs[i], rd, wr), X86VCPU_OK);
                assert_int_equal(msr_bit(msrs[i], 0), rd);
                assert_int_equal(msr_bit(msrs[i], 1), wr);
                assert_int_equal(x86vcpu__msr_bitmap_test(msr, msrs[i], 0), rd);
                assert_int_equal(x86vcpu__msr_bitmap_test(msr, msrs[i], 1), wr);
                /* Any non-zero write flag selects the write bitmap. */
                assert_int_equal(x86vcpu__msr_bitmap_test(msr, msrs[i], 7), wr);
            }
        }
    }
    /* Non-zero intercept flags count as 1. */
    assert_int_equal(x86vcpu__msr_bitmap_set(msr, 0x10, 5, -1), X86VCPU_OK);
    assert_int_equal(msr_bit(0x10, 0), 1);
    assert_int_equal(msr_bit(0x10, 1), 1);
    /* Neighbours stay as they were (all ones). */
    memset(msr, 0xff, PAGE);
    assert_int_equal(x86vcpu__msr_bitmap_set(msr, 0x9, 0, 0), X86VCPU_OK);
    assert_int_equal(msr[1], 0xfd);
    assert_int_equal(msr[2049], 0xfd);
    assert_int_equal(msr[0], 0xff);
    assert_int_equal(msr[2], 0xff);
}

static void test_msr_out_of_range(void **state)
{
    (void)state;
    /* MSRs outside 0-1FFFH and C0000000H-C0001FFFH always exit (26.1.3):
     * they cannot be passed through and the bitmap is not touched. */
    const uint32_t out[] = { 0x2000, 0x3fff, 0x40000000u, 0x40000001u, 0xbfffffffu,
                             0xc0002000u, 0xc0010000u, 0xc0011000u, 0xffffffffu, 0x80000000u };
    static uint8_t before[PAGE];
    memset(msr, 0, PAGE);
    memcpy(before, msr, PAGE);
    for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
        assert_int_equal(x86vcpu__msr_bitmap_set(msr, out[i], 0, 0), X86VCPU_EINVAL);
        assert_int_equal(x86vcpu__msr_bitmap_set(msr, out[i], 1, 1), X86VCPU_EINVAL);
        assert_int_equal(x86vcpu__msr_bitmap_test(msr, out[i], 0), 1);
        assert_int_equal(x86vcpu__msr_bitmap_test(msr, out[i], 1), 1);
    }
    assert_memory_equal(msr, before, PAGE);
    assert_int_equal(x86vcpu__msr_bitmap_set(NULL, 0x10, 0, 0), X86VCPU_EINVAL);
}

/* ------------------------------------------------- INS/OUTS instruction info */

static void test_strio_info(void **state)
{
    (void)state;
    /* Bits 9:7: 0 = 16-bit, 1 = 32-bit, 2 = 64-bit address size; other
     * encodings are not used. */
    const uint8_t sizes[8] = { 2, 4, 8, 0, 0, 0, 0, 0 };
    for (uint32_t as = 0; as < 8; as++) {
        for (uint32_t seg = 0; seg < 8; seg++) {
            uint32_t info = as << 7 | seg << 15;
            struct x86vcpu_strio_info s = x86vcpu__decode_strio_info(info);
            assert_int_equal(s.addr_size_bytes, sizes[as]);
            assert_int_equal(s.seg, seg);
            /* The undefined bits (6:0, 14:10, 31:18) do not leak in. */
            s = x86vcpu__decode_strio_info(info | 0xFFFC7C7Fu);
            assert_int_equal(s.addr_size_bytes, sizes[as]);
            assert_int_equal(s.seg, seg);
        }
    }
    /* rep outsb from DS with 64-bit addressing: DS = 3, size code 2. */
    struct x86vcpu_strio_info s = x86vcpu__decode_strio_info(0x00018100u);
    assert_int_equal(s.addr_size_bytes, 8);
    assert_int_equal(s.seg, 3);
    /* 32-bit addressing, FS override. */
    s = x86vcpu__decode_strio_info(0x00020080u);
    assert_int_equal(s.addr_size_bytes, 4);
    assert_int_equal(s.seg, 4);
    s = x86vcpu__decode_strio_info(0);
    assert_int_equal(s.addr_size_bytes, 2);
    assert_int_equal(s.seg, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_io_single_ports),
        cmocka_unit_test(test_io_ranges),
        cmocka_unit_test(test_io_test_reads_memory),
        cmocka_unit_test(test_msr_layout),
        cmocka_unit_test(test_msr_test_and_clear),
        cmocka_unit_test(test_msr_out_of_range),
        cmocka_unit_test(test_strio_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
