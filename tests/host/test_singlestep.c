/* Host harness: single-step after instructions the library completes
 * (issue 12 item 2; SDM 18.3.1.4). A VM exit drops the CPU's pending
 * single-step trap, so x86vcpu__skip_insn must mark it pending (DR6.BS)
 * for VM entry to deliver, as KVM does; Bochs 2.7 happens to keep it, so
 * the differential kernel's db-single-step-* records cannot catch this. */
#include "host.h"

#define TF   (1ull << 8)
#define BS   (1ull << 14)
#define BTF  (1ull << 1)
#define GP_INFO (INTR_INFO_VALID | (3u << 8) | (1u << 11) | 13)

static int setup(void **state)
{
    (void)state;
    mock_reset();
    return 0;
}

static void start(struct host *h, uint64_t rflags)
{
    host_start(h, X86VCPU_MODE_PROT32);
    mock_set_vmcs(F(GUEST_RIP), 0x1000);
    mock_set_vmcs(F(GUEST_RFLAGS), 0x2 | rflags);
    mock_set_vmcs(F(GUEST_PENDING_DBG_EXCEPTIONS), 0);
}

/* CPUID, completed inside run: BS pending exactly when TF is set. */
static void test_cpuid_under_tf(void **st)
{
    (void)st;
    struct host h;
    start(&h, TF);
    h.v->regs.gpr[X86VCPU_RAX] = 0;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CPUID, 0, 2, 0 });
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1002);
    assert_int_equal(mock_vmcs(F(GUEST_PENDING_DBG_EXCEPTIONS)), BS);
    host_stop(&h);

    mock_reset();
    start(&h, 0);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CPUID, 0, 2, 0 });
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1002);
    assert_int_equal(mock_vmcs(F(GUEST_PENDING_DBG_EXCEPTIONS)), 0);
    host_stop(&h);
}

/* IA32_DEBUGCTL.BTF turns TF into branch stepping: no trap after CPUID. */
static void test_btf_no_trap(void **st)
{
    (void)st;
    struct host h;
    start(&h, TF);
    mock_set_vmcs(F(GUEST_IA32_DEBUGCTL), BTF);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CPUID, 0, 2, 0 });
    assert_int_equal(mock_vmcs(F(GUEST_PENDING_DBG_EXCEPTIONS)), 0);
    host_stop(&h);
}

/* An exit the embedder completes (an MSR read) steps on the next run. */
static void test_embedder_completed_under_tf(void **st)
{
    (void)st;
    struct host h;
    start(&h, TF);
    h.v->regs.gpr[X86VCPU_RCX] = 0x12345678u;
    int err = RUN_STEPS(&h, { X86VCPU_EXIT_REASON_RDMSR, 0, 2, 0 });
    assert_int_equal(err, X86VCPU_OK);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_MSR_READ);
    assert_int_equal(mock_vmcs(F(GUEST_PENDING_DBG_EXCEPTIONS)), 0);
    assert_int_equal(x86vcpu_complete_msr_read(h.v, 5), X86VCPU_OK);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 });
    assert_int_equal(mock_vmcs(F(GUEST_PENDING_DBG_EXCEPTIONS)), BS);
    host_stop(&h);
}

/* A faulting instruction did not complete: the fault, no single-step. */
static void test_fault_no_trap(void **st)
{
    (void)st;
    struct host h;
    start(&h, TF);
    h.v->regs.gpr[X86VCPU_RCX] = 0xc0000080u; /* EFER */
    h.v->regs.gpr[X86VCPU_RAX] = 2;           /* reserved bit 1 */
    h.v->regs.gpr[X86VCPU_RDX] = 0;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_WRMSR, 0, 2, 0 });
    assert_int_equal(mock.entry_intr_info, GP_INFO);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
    assert_int_equal(mock_vmcs(F(GUEST_PENDING_DBG_EXCEPTIONS)), 0);
    host_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_cpuid_under_tf, setup),
        cmocka_unit_test_setup(test_btf_no_trap, setup),
        cmocka_unit_test_setup(test_embedder_completed_under_tf, setup),
        cmocka_unit_test_setup(test_fault_no_trap, setup),
    };
    return cmocka_run_group_tests_name("singlestep", tests, NULL, NULL);
}
