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

/* VMCALL goes to the embedder with its number, arguments and the caller's
 * CPL (SS.DPL: VMCALL exits at any CPL, and an embedder answers a ring-3
 * caller differently, as KVM does); the result lands in RAX and the call
 * completes on the next run. */
static void test_vmcall_cpl_and_result(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    mock_set_vmcs(F(GUEST_RIP), 0x1000);
    uint64_t rip = 0x1000;
    for (uint32_t dpl = 0; dpl < 4; dpl += 3) {
        mock_set_vmcs(F(GUEST_SS_AR), 0x93 | dpl << 5);
        h.v->regs.gpr[X86VCPU_RAX] = 0x1234;
        h.v->regs.gpr[X86VCPU_RDI] = 7;
        assert_int_equal(RUN_STEPS(&h, { X86VCPU_EXIT_REASON_VMCALL, 0, 3, 0 }), X86VCPU_OK);
        assert_int_equal(h.e.kind, X86VCPU_EXIT_HYPERCALL);
        assert_int_equal(h.e.u.hypercall.nr, 0x1234);
        assert_int_equal(h.e.u.hypercall.args[0], 7);
        assert_int_equal(h.e.u.hypercall.cpl, dpl);
        assert_int_equal(x86vcpu_set_hypercall_result(h.v, (uint64_t)-1000), X86VCPU_OK);
        assert_int_equal(RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 }), X86VCPU_OK);
        assert_int_equal(h.v->regs.gpr[X86VCPU_RAX], (uint64_t)-1000);
        assert_int_equal(mock_vmcs(F(GUEST_RIP)), rip + 3);  /* VMCALL done; HLT next run */
        rip += 3 + 1;
    }
    host_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_cpuid_completes, setup),
        cmocka_unit_test_setup(test_out_completes_next_run, setup),
        cmocka_unit_test_setup(test_vmcall_cpl_and_result, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
