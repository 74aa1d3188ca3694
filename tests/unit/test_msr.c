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
    msrs.tsc_adjust = 77;
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
    uint64_t v;
    assert_int_equal(rdm(0x3a, &v), BUS_OK);
    assert_int_equal(v, 1);                 /* FEATURE_CONTROL: locked, VMX off */
    assert_int_equal(rdm(0x3b, &v), BUS_OK);
    assert_int_equal(v, 0);                 /* TSC_ADJUST: 0 after attach */
    assert_int_equal(rdm(0xe2, &v), BUS_OK);
    assert_int_equal(v, 0);                 /* no package C-states */
    assert_int_equal(rdm(0xfe, &v), BUS_OK);
    assert_int_equal(v, 0);                 /* MTRRcap: no ranges */
    assert_int_equal(rdm(0x2ff, &v), BUS_OK);
    assert_int_equal(v, 0x806);             /* MTRRdefType: E, WB */
}

static void test_writes(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(wrm(0x3a, 5), BUS_FAULT);      /* locked */
    assert_int_equal(wrm(0xfe, 0), BUS_FAULT);      /* read-only */
    assert_int_equal(wrm(0x3b, 0x1234), BUS_OK);
    assert_int_equal(rdm(0x3b, &v), BUS_OK);
    assert_int_equal(v, 0x1234);
    assert_int_equal(wrm(0xe2, 0x8000), BUS_OK);    /* dropped */
    assert_int_equal(rdm(0xe2, &v), BUS_OK);
    assert_int_equal(v, 0);
    assert_int_equal(wrm(0x2ff, 0), BUS_OK);        /* dropped */
    assert_int_equal(rdm(0x2ff, &v), BUS_OK);
    assert_int_equal(v, 0x806);
}

static void test_hardware_read_only(void **state)
{
    (void)state;
    static const uint32_t ro[] = { 0x10, 0x17, 0x8b, 0x179, 0x17a, 0x1a0 };
    uint64_t v;
    for (unsigned i = 0; i < 6; i++) {
        /* Reads pass through (they never exit); writes exit and are dropped. */
        assert_int_equal(wrm(ro[i], 0), BUS_OK);
        assert_int_equal(rdm(ro[i], &v), BUS_FAULT);
        int found = 0;
        for (uint32_t p = 0; p < vm.bus.npass; p++)
            if (vm.bus.pass[p].space == BUS_MSR && vm.bus.pass[p].base == ro[i] &&
                vm.bus.pass[p].len == 1 && vm.bus.pass[p].flags == BUS_PASS_READ)
                found = 1;
        if (!found)
            fail_msg("MSR %#x: no read pass-through", ro[i]);
    }
    /* TSC_DEADLINE: the hardware's, both ways. */
    assert_int_equal(vm.bus.pass[vm.bus.npass - 1].base, 0x6e0);
    assert_int_equal(vm.bus.pass[vm.bus.npass - 1].flags, BUS_PASS_READ | BUS_PASS_WRITE);
}

static void test_others_unclaimed(void **state)
{
    (void)state;
    uint64_t v = 5;
    /* Nobody's: the run loop answers #GP(0). */
    assert_int_equal(rdm(0x1b, &v), BUS_UNCLAIMED);
    assert_int_equal(v, 0);
    assert_int_equal(wrm(0xc0000080u, 0), BUS_UNCLAIMED);
    assert_int_equal(rdm(0x6e0, &v), BUS_UNCLAIMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reads, setup),
        cmocka_unit_test_setup(test_writes, setup),
        cmocka_unit_test_setup(test_hardware_read_only, setup),
        cmocka_unit_test_setup(test_others_unclaimed, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
