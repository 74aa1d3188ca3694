/* Issue 15: the host's syscall MSRs are taken at bind, not read at every
 * run() entry (msr.c, x86vcpu__smsr_host_capture); KERNEL_GS_BASE, which
 * the host's SWAPGS changes, is still read per run. */
#include "host.h"

#define STAR   0xc0000081u
#define LSTAR  0xc0000082u
#define CSTAR  0xc0000083u
#define FMASK  0xc0000084u
#define KGS    0xc0000102u
#define TSCAUX 0xc0000103u

static int setup(void **state)
{
    (void)state;
    mock_reset();
    return 0;
}

/* A host value changed behind the library's back after bind is not seen:
 * run() restores the value of bind time, so it did not read it again. */
static void test_host_smsr_taken_at_bind(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    const uint32_t msrs[] = { STAR, LSTAR, CSTAR, FMASK };
    uint64_t at_bind[4];
    for (unsigned i = 0; i < 4; i++) {
        at_bind[i] = mock_msr(msrs[i]);
        mock_set_msr(msrs[i], 0xffffffff82000000ull + i);
    }
    mock_clear_ops();
    assert_int_equal(RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 }), X86VCPU_OK);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_HLT);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(mock_msr(msrs[i]), at_bind[i]);
        /* Guest 0 in, the bind-time value out. */
        assert_int_equal(mock_count_a(OP_WRMSR, msrs[i]), 2);
    }
    /* Lazy: TSC_AUX is 0 for host and guest, never written. */
    assert_int_equal(mock_count_a(OP_WRMSR, TSCAUX), 0);
    host_stop(&h);
}

/* KERNEL_GS_BASE is read at every run(): a host SWAPGS between two runs
 * (an embedder in a syscall path) leaves another value, which must be the
 * one restored. */
static void test_host_kgs_read_per_run(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    for (uint64_t k = 1; k <= 3; k++) {
        mock_set_msr(KGS, 0x00007f0000001000ull * k);
        mock_clear_ops();
        assert_int_equal(RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 }), X86VCPU_OK);
        assert_int_equal(mock_msr(KGS), 0x00007f0000001000ull * k);
        assert_int_equal(mock_count_a(OP_WRMSR, KGS), 2);
    }
    /* Equal to the guest's (0): no switch at all. */
    mock_set_msr(KGS, 0);
    mock_clear_ops();
    assert_int_equal(RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 }), X86VCPU_OK);
    assert_int_equal(mock_count_a(OP_WRMSR, KGS), 0);
    host_stop(&h);
}

/* x86vcpu_vcpu_host_msrs_changed and a new bind take the values again. */
static void test_host_msrs_changed_and_rebind(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    assert_int_equal(x86vcpu_vcpu_host_msrs_changed(0), X86VCPU_EINVAL);
    mock_set_msr(LSTAR, 0xffffffff83000000ull);
    assert_int_equal(x86vcpu_vcpu_host_msrs_changed(h.v), X86VCPU_OK);
    assert_int_equal(RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 }), X86VCPU_OK);
    assert_int_equal(mock_msr(LSTAR), 0xffffffff83000000ull);

    assert_int_equal(x86vcpu_vcpu_unbind(h.v), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_host_msrs_changed(h.v), X86VCPU_ESTATE);
    mock_set_msr(STAR, 0x0033002000000000ull);
    assert_int_equal(x86vcpu_vcpu_bind(h.v, &h.cpu), X86VCPU_OK);
    assert_int_equal(RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 }), X86VCPU_OK);
    assert_int_equal(mock_msr(STAR), 0x0033002000000000ull);
    assert_int_equal(mock_msr(LSTAR), 0xffffffff83000000ull);
    host_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_host_smsr_taken_at_bind, setup),
        cmocka_unit_test_setup(test_host_kgs_read_per_run, setup),
        cmocka_unit_test_setup(test_host_msrs_changed_and_rebind, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
