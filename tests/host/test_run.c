/* The run loop and instruction completion on the mock CPU. */
#include "host.h"

static int setup(void **state)
{
    (void)state;
    mock_reset();
    return 0;
}

/* CPUID is handled inside run: registers from the policy, RIP advanced by
 * the reported length, the loop enters again. */
static void test_cpuid_completes(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    h.v->regs.gpr[X86VCPU_RAX] = 0;
    mock_set_vmcs(F(GUEST_RIP), 0x100000);
    int err = RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CPUID, 0, 2, 0 });
    assert_int_equal(err, X86VCPU_OK);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_TIME_SLICE);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x100002);
    assert_int_equal(h.v->regs.gpr[X86VCPU_RBX], 0x756e6547);
    assert_int_equal(mock.entries, 2);
    host_stop(&h);
}

/* OUT goes to the embedder and completes on the next run. */
static void test_out_completes_next_run(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_PROT32);
    mock_set_vmcs(F(GUEST_RIP), 0x1000);
    h.v->regs.gpr[X86VCPU_RAX] = 0x1234;
    /* out %al, $0x80: port 0x80 (bits 31:16), size 1 (0), OUT. */
    int err = RUN_STEPS(&h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION, 0x80ull << 16, 2, 0 });
    assert_int_equal(err, X86VCPU_OK);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_IO);
    assert_int_equal(h.e.u.io.port, 0x80);
    assert_int_equal(h.e.u.io.value, 0x34);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
    err = RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 });
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1002);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_HLT);
    host_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_cpuid_completes, setup),
        cmocka_unit_test_setup(test_out_completes_next_run, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
