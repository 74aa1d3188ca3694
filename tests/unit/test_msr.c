/* Unit tests: the PC's miscellaneous MSRs on a machine's bus
 * (demo/pc/msr.c): values a guest reads, writes kept, dropped or faulting,
 * which MSRs pass through (SDM Vol. 4 for the registers). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "bus.h"
#include "vm.h"
#include "pc/msr.h"

static struct vm vm;
static struct pc_msrs msrs;

static int setup(void **state)
{
    (void)state;
    memset(&vm, 0, sizeof vm);
    assert_int_equal(pc_msrs_attach(&msrs, &vm), 0);
    return 0;
}

static int rdm(uint32_t msr, uint64_t *val)
{
    return bus_read(&vm.bus, BUS_MSR, msr, 8, val);
}

static int wrm(uint32_t msr, uint64_t val)
{
    return bus_write(&vm.bus, BUS_MSR, msr, 8, val);
}

static void test_reads(void **state)
{
    (void)state;
    uint64_t v = 5;
    assert_int_equal(rdm(0x3a, &v), BUS_OK);
    assert_int_equal(v, 1);                 /* FEATURE_CONTROL: locked, VMX off */
    const uint32_t zero[] = { 0x17, 0x8b, 0xe2 };   /* PLATFORM_ID, BIOS_SIGN_ID, PKG_CST */
    for (unsigned i = 0; i < 3; i++) {
        v = 5;
        assert_int_equal(rdm(zero[i], &v), BUS_OK);
        assert_int_equal(v, 0);
    }
}

static void test_writes(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(wrm(0x3a, 5), BUS_FAULT);      /* locked */
    assert_int_equal(wrm(0x17, 0), BUS_FAULT);      /* read-only */
    assert_int_equal(wrm(0x8b, 0), BUS_OK);         /* dropped */
    assert_int_equal(rdm(0x8b, &v), BUS_OK);
    assert_int_equal(v, 0);
    assert_int_equal(wrm(0xe2, 0x8000), BUS_OK);    /* dropped */
    assert_int_equal(rdm(0xe2, &v), BUS_OK);
    assert_int_equal(v, 0);
}

/* No host MSR is passed through to the guest: the identification and
 * machine-check MSRs once passed through are emulated here or by the
 * library (MISC_ENABLE, MCG_*, the TSC); TSC_DEADLINE is converted to the
 * host's TSC by pc/tsc.c, not passed. */
static void test_pass_through(void **state)
{
    (void)state;
    uint32_t n = 0;
    for (uint32_t p = 0; p < vm.bus.npass; p++)
        if (vm.bus.pass[p].space == BUS_MSR)
            n++;
    assert_int_equal(n, 0);
}

static void test_others_unclaimed(void **state)
{
    (void)state;
    uint64_t v = 5;
    /* Nobody's: the run loop answers #GP(0). */
    const uint32_t none[] = { 0x10, 0x3b, 0x179, 0x17a, 0x1a0, 0xfe, 0x2ff, 0x1b, 0x6e0,
                              0xc0000080u };
    for (unsigned i = 0; i < sizeof none / sizeof none[0]; i++) {
        assert_int_equal(rdm(none[i], &v), BUS_UNCLAIMED);
        assert_int_equal(wrm(none[i], 0), BUS_UNCLAIMED);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reads, setup),
        cmocka_unit_test_setup(test_writes, setup),
        cmocka_unit_test_setup(test_pass_through, setup),
        cmocka_unit_test_setup(test_others_unclaimed, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
