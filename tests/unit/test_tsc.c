/* Unit tests: guest TSC arithmetic (src/lib/tsc.c; SDM Vol. 3 26.3 "TSC
 * offsetting and TSC scaling", 25.6.5) against the host compiler's 128-bit
 * integers, and the TSC-frequency CPUID leaves. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lib/tsc.h"

typedef unsigned __int128 u128;

static uint64_t ref_scale(uint64_t t, uint64_t m)
{
    return (uint64_t)(((u128)t * m) >> 48);
}

/* xorshift64: deterministic operands spread over all bit widths. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_scale_matches_128bit(void **st)
{
    (void)st;
    static const uint64_t edge[] = { 0, 1, 2, 0xffffffffull, 0x100000000ull, 1ull << 48,
                                     (1ull << 48) - 1, 1ull << 63, ~0ull, ~0ull - 1,
                                     0x8000000080000000ull, 0xffffffff00000000ull };
    for (unsigned i = 0; i < sizeof edge / sizeof edge[0]; i++)
        for (unsigned j = 0; j < sizeof edge / sizeof edge[0]; j++)
            assert_int_equal(x86vcpu__tsc_scale(edge[i], edge[j]), ref_scale(edge[i], edge[j]));
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 200000; i++) {
        uint64_t t = rnd(&s) >> (rnd(&s) & 63), m = rnd(&s) >> (rnd(&s) & 63);
        assert_int_equal(x86vcpu__tsc_scale(t, m), ref_scale(t, m));
    }
}

static void test_guest_and_offset(void **st)
{
    (void)st;
    /* 1.0 (and 0, "no multiplier") leave the TSC as it is. */
    assert_int_equal(x86vcpu__tsc_guest(12345, X86VCPU_TSC_MULT_ONE, 10), 12355);
    assert_int_equal(x86vcpu__tsc_guest(12345, 0, 0), 12345);
    /* The offset is added modulo 2^64 (a negative offset). */
    assert_int_equal(x86vcpu__tsc_guest(100, 0, (uint64_t)-30), 70);
    /* 0.5: half the rate. */
    assert_int_equal(x86vcpu__tsc_guest(1000, 1ull << 47, 7), 507);
    /* offset_for inverts guest at that host TSC, for any multiplier. */
    uint64_t s = 42;
    for (int i = 0; i < 10000; i++) {
        uint64_t h = rnd(&s), m = rnd(&s) >> (rnd(&s) & 63), g = rnd(&s);
        assert_int_equal(x86vcpu__tsc_guest(h, m, x86vcpu__tsc_offset_for(h, m, g)), g);
    }
}

static void test_multiplier(void **st)
{
    (void)st;
    uint64_t m = 0;
    assert_int_equal(x86vcpu__tsc_multiplier(100000, 100000, &m), 0);
    assert_int_equal(m, X86VCPU_TSC_MULT_ONE);
    assert_int_equal(x86vcpu__tsc_multiplier(100000, 50000, &m), 0);
    assert_int_equal(m, 1ull << 47);
    assert_int_equal(x86vcpu__tsc_multiplier(100000, 200000, &m), 0);
    assert_int_equal(m, 1ull << 49);
    /* floor(g * 2^48 / h) exactly, checked against 128-bit division. */
    uint64_t s = 7;
    for (int i = 0; i < 100000; i++) {
        uint32_t h = (uint32_t)rnd(&s) | 1, g = (uint32_t)rnd(&s) >> (rnd(&s) & 31);
        if (!g)
            g = 1;
        int r = x86vcpu__tsc_multiplier(h, g, &m);
        if (g / h >= 65536) {
            assert_int_equal(r, -1);
            continue;
        }
        assert_int_equal(r, 0);
        assert_int_equal(m, (uint64_t)(((u128)g << 48) / h));
    }
    /* Zero frequencies and ratios of 2^16 or more are refused, *m kept. */
    m = 99;
    assert_int_equal(x86vcpu__tsc_multiplier(0, 1, &m), -1);
    assert_int_equal(x86vcpu__tsc_multiplier(1, 0, &m), -1);
    assert_int_equal(x86vcpu__tsc_multiplier(1, 65536, &m), -1);
    assert_int_equal(m, 99);
    assert_int_equal(x86vcpu__tsc_multiplier(1, 65535, &m), 0);
    assert_int_equal(m, 65535ull << 48);
}

static uint64_t ref_host_delta(uint64_t d, uint64_t m)
{
    if (!m || m == X86VCPU_TSC_MULT_ONE)
        return d;
    u128 q = (((u128)d << 48) + m - 1) / m;
    return q >> 64 ? ~0ull : (uint64_t)q;
}

/* Host ticks for a guest interval: ceil(d * 2^48 / m), saturating; the
 * scaled TSC has moved by d after them, and not one tick earlier. */
static void test_host_delta(void **st)
{
    (void)st;
    assert_int_equal(x86vcpu__tsc_host_delta(1000, X86VCPU_TSC_MULT_ONE), 1000);
    assert_int_equal(x86vcpu__tsc_host_delta(1000, 0), 1000);
    assert_int_equal(x86vcpu__tsc_host_delta(1000, 1ull << 49), 500);  /* 2.0 */
    assert_int_equal(x86vcpu__tsc_host_delta(1001, 1ull << 49), 501);  /* rounded up */
    assert_int_equal(x86vcpu__tsc_host_delta(1000, 1ull << 47), 2000); /* 0.5 */
    assert_int_equal(x86vcpu__tsc_host_delta(~0ull, 1ull << 47), ~0ull); /* saturates */
    uint64_t s = 99;
    for (int i = 0; i < 100000; i++) {
        uint64_t d = rnd(&s) >> (rnd(&s) & 63), m = rnd(&s) >> (rnd(&s) & 63);
        uint64_t h = x86vcpu__tsc_host_delta(d, m);
        assert_int_equal(h, ref_host_delta(d, m));
        if (m && m != X86VCPU_TSC_MULT_ONE && h != ~0ull && h) {
            assert_true(x86vcpu__tsc_scale(h, m) >= d);
            assert_true(x86vcpu__tsc_scale(h - 1, m) < d);
        }
    }
}

static void test_cpuid_leaves(void **st)
{
    (void)st;
    struct x86vcpu_cpuid_regs r = { 2, 300, 0, 0 };
    /* No frequency given: untouched. */
    x86vcpu__tsc_cpuid(0x15, 0x16, 0, 0, &r);
    assert_int_equal(r.eax, 2);
    assert_int_equal(r.ebx, 300);
    /* 0x15: ECX * EBX / EAX = the TSC in Hz. */
    x86vcpu__tsc_cpuid(0x15, 0x16, 250000, 0, &r);
    assert_int_equal((uint64_t)r.ecx * r.ebx / r.eax, 250000000ull);
    /* Beyond the guest's highest basic leaf: not there, untouched. */
    r = (struct x86vcpu_cpuid_regs){ 5, 6, 7, 8 };
    x86vcpu__tsc_cpuid(0x15, 0x14, 250000, 0, &r);
    assert_int_equal(r.eax, 5);
    x86vcpu__tsc_cpuid(0x16, 0x15, 250000, 0, &r);
    assert_int_equal(r.eax, 5);
    /* 0x16: MHz in bits 15:0 of EAX and EBX, the bus (ECX) kept. */
    r = (struct x86vcpu_cpuid_regs){ 3000, 3000, 100, 0 };
    x86vcpu__tsc_cpuid(0x16, 0x16, 250000, 0, &r);
    assert_int_equal(r.eax, 250);
    assert_int_equal(r.ebx, 250);
    assert_int_equal(r.ecx, 100);
    /* 0x40000000 reaches 0x40000010, which gives the kHz. */
    r = (struct x86vcpu_cpuid_regs){ 0x40000001u, 1, 2, 3 };
    x86vcpu__tsc_cpuid(0x40000000u, 0, 250000, 0, &r);
    assert_int_equal(r.eax, 0x40000010u);
    assert_int_equal(r.ebx, 1);
    r = (struct x86vcpu_cpuid_regs){ 0, 0, 0, 0 };
    x86vcpu__tsc_cpuid(0x40000010u, 0, 250000, 1000, &r);
    assert_int_equal(r.eax, 250000);
    assert_int_equal(r.ebx, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scale_matches_128bit),
        cmocka_unit_test(test_guest_and_offset),
        cmocka_unit_test(test_multiplier),
        cmocka_unit_test(test_host_delta),
        cmocka_unit_test(test_cpuid_leaves),
    };
    return cmocka_run_group_tests_name("tsc", tests, NULL, NULL);
}
