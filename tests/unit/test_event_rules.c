/* Double-fault escalation and the injection decision, checked against the
 * SDM's tables, not against the implementation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "lib/event_rules.h"

static const uint32_t contributory[] = { 0, 10, 11, 12, 13 };
static const uint32_t benign[] = { 1, 2, 3, 4, 5, 6, 7, 9, 16, 17, 18, 19, 21, 30 };

static void test_classes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof contributory / sizeof *contributory; i++)
        assert_int_equal(x86vcpu__exception_class(contributory[i]), X86VCPU_EXC_CONTRIBUTORY);
    for (size_t i = 0; i < sizeof benign / sizeof *benign; i++)
        assert_int_equal(x86vcpu__exception_class(benign[i]), X86VCPU_EXC_BENIGN);
    assert_int_equal(x86vcpu__exception_class(14), X86VCPU_EXC_PAGE_FAULT);
    assert_int_equal(x86vcpu__exception_class(20), X86VCPU_EXC_PAGE_FAULT);
    assert_int_equal(x86vcpu__exception_class(8), X86VCPU_EXC_DOUBLE_FAULT);
}

/* Table 6-5, row by row. */
static void test_merge_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof benign / sizeof *benign; i++) {
        uint32_t f = benign[i];
        /* Benign first: every second exception is handled serially. */
        assert_int_equal(x86vcpu__exception_merge(f, 13), 13);
        assert_int_equal(x86vcpu__exception_merge(f, 14), 14);
        assert_int_equal(x86vcpu__exception_merge(f, 6), 6);
    }
    for (size_t i = 0; i < sizeof contributory / sizeof *contributory; i++) {
        uint32_t f = contributory[i];
        assert_int_equal(x86vcpu__exception_merge(f, 1), 1);          /* benign: serial */
        for (size_t j = 0; j < sizeof contributory / sizeof *contributory; j++)
            assert_int_equal(x86vcpu__exception_merge(f, contributory[j]), 8);
        assert_int_equal(x86vcpu__exception_merge(f, 14), 14);        /* page fault: serial */
    }
    /* Page fault first: benign serial, contributory or page fault -> #DF. */
    assert_int_equal(x86vcpu__exception_merge(14, 3), 3);
    assert_int_equal(x86vcpu__exception_merge(14, 13), 8);
    assert_int_equal(x86vcpu__exception_merge(14, 0), 8);
    assert_int_equal(x86vcpu__exception_merge(14, 14), 8);
    /* #DF first: contributory or page fault -> shutdown; benign serial. */
    assert_int_equal(x86vcpu__exception_merge(8, 13), X86VCPU_EXC_SHUTDOWN);
    assert_int_equal(x86vcpu__exception_merge(8, 14), X86VCPU_EXC_SHUTDOWN);
    assert_int_equal(x86vcpu__exception_merge(8, 0), X86VCPU_EXC_SHUTDOWN);
    assert_int_equal(x86vcpu__exception_merge(8, 2), 2);
}

static void test_can_inject(void **state)
{
    (void)state;
    const uint64_t IF = 1u << 9;
    /* External interrupts need IF and no STI / MOV-SS blocking. */
    assert_true(x86vcpu__can_inject(0, IF | 2, 0));
    assert_false(x86vcpu__can_inject(0, 2, 0));
    assert_false(x86vcpu__can_inject(0, IF, 1));
    assert_false(x86vcpu__can_inject(0, IF, 2));
    assert_true(x86vcpu__can_inject(0, IF, 1u << 3));   /* NMI blocking does not block INTR */
    /* NMIs ignore IF but not NMI, STI or MOV-SS blocking. */
    assert_true(x86vcpu__can_inject(1, 0, 0));
    assert_false(x86vcpu__can_inject(1, IF, 1u << 3));
    assert_false(x86vcpu__can_inject(1, IF, 2));
    assert_false(x86vcpu__can_inject(1, IF, 1));
    /* Exceptions: always. */
    assert_true(x86vcpu__can_inject(2, 0, 0xf));
}

/* SDM 6.13 Table 6-1: exactly these push an error code. */
static void test_has_error_code(void **state)
{
    (void)state;
    uint32_t with = 0;
    for (uint32_t v = 0; v < 32; v++)
        if (x86vcpu__exception_has_error_code(v))
            with |= 1u << v;
    assert_int_equal(with, (1u << 8) | (1u << 10) | (1u << 11) | (1u << 12) | (1u << 13) |
                               (1u << 14) | (1u << 17) | (1u << 21));
}

/* SDM 6.5 Table 6-1: the faults (the CPU pushes RF = 1 for them); #DB,
 * NMI, traps, aborts and reserved vectors are not. */
static void test_is_fault(void **state)
{
    (void)state;
    uint32_t faults = 0;
    for (uint32_t v = 0; v < 32; v++)
        if (x86vcpu__exception_is_fault(v))
            faults |= 1u << v;
    assert_int_equal(faults, (1u << 0) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 9) |
                                 (1u << 10) | (1u << 11) | (1u << 12) | (1u << 13) |
                                 (1u << 14) | (1u << 16) | (1u << 17) | (1u << 19) |
                                 (1u << 20) | (1u << 21));
    assert_false(x86vcpu__exception_is_fault(32));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_merge_table),
        cmocka_unit_test(test_can_inject),
        cmocka_unit_test(test_has_error_code),
        cmocka_unit_test(test_is_fault),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
