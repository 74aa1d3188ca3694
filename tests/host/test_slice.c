/* Host tests: x86vcpu_set_time_slice, the time slice changed between runs
 * (an embedder whose emulated devices need exits only while a timed event
 * is coming). The new slice is in the VMCS at once (SDM 26.7.4: each
 * entry loads the timer from it), and the refusals. */
#include "host.h"

static void test_refusals(void **state)
{
    (void)state;
    struct host h;
    mock_reset();
    host_init(&h, X86VCPU_MODE_PROT32);
    /* Not bound yet. */
    assert_int_equal(x86vcpu_set_time_slice(h.v, 100), X86VCPU_ESTATE);
    assert_int_equal(x86vcpu_set_time_slice(NULL, 100), X86VCPU_ESTATE);
    host_bind(&h);
    /* Bound, but no preemption timer since setup (no slice, no LAPIC). */
    assert_int_equal(x86vcpu_set_time_slice(h.v, 100), X86VCPU_ESTATE);
    host_stop(&h);
}

static void test_change_and_zero(void **state)
{
    (void)state;
    struct host h;
    mock_reset();
    host_init(&h, X86VCPU_MODE_PROT32);
    h.setup.time_slice = 500;
    host_bind(&h);
    assert_int_equal(mock_vmcs(F(PREEMPTION_TIMER_VALUE)), 500);
    mock_set_vmcs(F(PREEMPTION_TIMER_VALUE), 123);  /* a slice partly used */
    assert_int_equal(x86vcpu_set_time_slice(h.v, 2000), X86VCPU_OK);
    assert_int_equal(mock_vmcs(F(PREEMPTION_TIMER_VALUE)), 2000);
    assert_int_equal(h.v->time_slice, 2000);
    /* Without the virtual LAPIC, 0 would re-arm at 0 after each expiry. */
    assert_int_equal(x86vcpu_set_time_slice(h.v, 0), X86VCPU_EINVAL);
    assert_int_equal(h.v->time_slice, 2000);
    host_stop(&h);
}

static void test_zero_with_lapic(void **state)
{
    (void)state;
    struct host h;
    mock_reset();
    host_init(&h, X86VCPU_MODE_PROT32);
    struct x86vcpu_lapic_config c = { .apic_id = 0, .tsc_khz = 1000, .bus_khz = 1000,
                                      .flags = X86VCPU_LAPIC_BSP | X86VCPU_LAPIC_SOFT };
    struct x86vcpu_ept *ept;
    assert_int_equal(x86vcpu_ept_create(&h.cpu, 0, &ept), X86VCPU_OK);
    assert_int_equal(x86vcpu_lapic_enable(h.v, &c), X86VCPU_OK);
    h.setup.ept = ept;
    h.setup.ept_root = 0;
    h.setup.time_slice = 700;
    host_bind(&h);
    h.v->lapic.tmr_owned = 1;                       /* as if the APIC held the timer */
    h.v->lapic.slice_rest = 50;
    assert_int_equal(x86vcpu_set_time_slice(h.v, 0), X86VCPU_OK);
    assert_int_equal(h.v->time_slice, 0);
    assert_int_equal(mock_vmcs(F(PREEMPTION_TIMER_VALUE)), 0xffffffffu);
    assert_int_equal(h.v->lapic.tmr_owned, 0);
    assert_int_equal(h.v->lapic.slice_rest, 0);
    assert_int_equal(x86vcpu_set_time_slice(h.v, 300), X86VCPU_OK);
    assert_int_equal(mock_vmcs(F(PREEMPTION_TIMER_VALUE)), 300);
    host_stop_ept(&h, ept, NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_change_and_zero),
        cmocka_unit_test(test_zero_with_lapic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
