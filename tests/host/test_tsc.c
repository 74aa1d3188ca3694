/* Host harness: the guest's TSC (src/vmx/tsc.c; SDM Vol. 3 17.17, 26.3
 * "TSC offsetting and TSC scaling", 25.6.5). The mock's TSC is its MSR
 * 0x10 (hw_rdtsc). */
#include "host.h"
#include "lib/bitmap.h"
#include "lib/tsc.h"

#define MSR_TSC        0x10u
#define MSR_TSC_ADJUST 0x3bu
#define P2_SCALING     (1u << 25)
#define GP_INFO        (INTR_INFO_VALID | (3u << 8) | (1u << 11) | 13)

static int setup(void **state)
{
    (void)state;
    mock_reset();
    return 0;
}

/* The CPU shows TSC_ADJUST (CPUID.(7,0):EBX[1]) or not; scaling or not. */
static void machine(int tsc_adjust, int scaling)
{
    mock_set_cpuid(7, 0, 1, 0, tsc_adjust ? 1u << 1 : 0, 0, 0);
    if (scaling)
        mock_set_msr(0x48b, mock_msr(0x48b) | ((uint64_t)P2_SCALING << 32));
}

static void wrmsr(struct host *h, uint32_t msr, uint64_t val)
{
    h->v->regs.gpr[X86VCPU_RCX] = msr;
    h->v->regs.gpr[X86VCPU_RAX] = (uint32_t)val;
    h->v->regs.gpr[X86VCPU_RDX] = val >> 32;
    mock_set_vmcs(F(GUEST_RIP), 0x1000);
    RUN_STEPS(h, { X86VCPU_EXIT_REASON_WRMSR, 0, 2, 0 });
}

static uint64_t rdmsr(struct host *h, uint32_t msr)
{
    h->v->regs.gpr[X86VCPU_RCX] = msr;
    h->v->regs.gpr[X86VCPU_RAX] = h->v->regs.gpr[X86VCPU_RDX] = 0xdead;
    mock_set_vmcs(F(GUEST_RIP), 0x1000);
    RUN_STEPS(h, { X86VCPU_EXIT_REASON_RDMSR, 0, 2, 0 });
    return (h->v->regs.gpr[X86VCPU_RDX] << 32) | (uint32_t)h->v->regs.gpr[X86VCPU_RAX];
}

/* Completed in the library: one more entry, no fault, RIP past the insn. */
static void assert_completed(void)
{
    assert_int_equal(mock.entries, 2);
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1002);
}

static const uint8_t *bitmap(struct host *h)
{
    return h->v->hal->phys_to_virt(h->v->hal->ctx, h->v->msr_bitmap_pa);
}

/* Offsetting on, RDTSC not exiting, no scaling at 1.0; the offset the
 * setters compute reaches the VMCS; reads of IA32_TSC pass (the CPU
 * offsets them), its writes and TSC_ADJUST exit. */
static void test_offset_in_vmcs(void **st)
{
    (void)st;
    machine(1, 1);
    struct host h;
    host_init(&h, X86VCPU_MODE_LONG64);
    mock_set_msr(0x10, 5000);
    /* Before setup: the record, written by setup. */
    assert_int_equal(x86vcpu_set_guest_tsc(h.v, 1000), X86VCPU_OK);
    host_bind(&h);
    assert_int_equal(mock_vmcs(F(TSC_OFFSET)), (uint64_t)-4000);
    assert_true(mock_vmcs(F(PROC_BASED_CTLS)) & PROC_TSC_OFFSET);
    assert_false(mock_vmcs(F(PROC_BASED_CTLS)) & PROC_RDTSC_EXITING);
    assert_false(mock_vmcs(F(PROC_BASED_CTLS2)) & P2_SCALING);
    assert_false(x86vcpu__msr_bitmap_test(bitmap(&h), MSR_TSC, 0));
    assert_true(x86vcpu__msr_bitmap_test(bitmap(&h), MSR_TSC, 1));
    assert_true(x86vcpu__msr_bitmap_test(bitmap(&h), MSR_TSC_ADJUST, 0));
    assert_true(x86vcpu__msr_bitmap_test(bitmap(&h), MSR_TSC_ADJUST, 1));
    /* Bound: straight into the VMCS. */
    assert_int_equal(x86vcpu_set_tsc_offset(h.v, 77), X86VCPU_OK);
    assert_int_equal(mock_vmcs(F(TSC_OFFSET)), 77);
    mock_set_msr(0x10, 1000);
    uint64_t g = 0;
    assert_int_equal(x86vcpu_get_guest_tsc(h.v, &g), X86VCPU_OK);
    assert_int_equal(g, 1077);
    assert_int_equal(x86vcpu_set_guest_tsc(h.v, 10), X86VCPU_OK);
    assert_int_equal(mock_vmcs(F(TSC_OFFSET)), (uint64_t)-990);
    /* The embedder cannot open writes of the TSC or TSC_ADJUST at all. */
    assert_int_equal(x86vcpu_msr_intercept(h.v, MSR_TSC, 0, 0), X86VCPU_OK);
    assert_int_equal(x86vcpu_msr_intercept(h.v, MSR_TSC_ADJUST, 0, 0), X86VCPU_OK);
    assert_true(x86vcpu__msr_bitmap_test(bitmap(&h), MSR_TSC, 1));
    assert_true(x86vcpu__msr_bitmap_test(bitmap(&h), MSR_TSC_ADJUST, 0));
    assert_true(x86vcpu__msr_bitmap_test(bitmap(&h), MSR_TSC_ADJUST, 1));
    /* Unbound after setup: refused, nothing changed. */
    assert_int_equal(x86vcpu_vcpu_unbind(h.v), X86VCPU_OK);
    assert_int_equal(x86vcpu_set_tsc_offset(h.v, 5), X86VCPU_ESTATE);
    assert_int_equal(x86vcpu_vcpu_bind(h.v, &h.cpu), X86VCPU_OK);
    assert_int_equal(mock_vmcs(F(TSC_OFFSET)), (uint64_t)-990);
    host_stop(&h);
}

/* SDM 17.17.3: WRMSR of IA32_TSC moves TSC_ADJUST by the same delta, and
 * WRMSR of TSC_ADJUST moves the TSC; the host's MSRs are never written. */
static void test_wrmsr_tsc_and_adjust(void **st)
{
    (void)st;
    machine(1, 0);
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    mock_set_msr(0x10, 1000);
    mock_clear_ops();
    wrmsr(&h, MSR_TSC, 5000);
    assert_completed();
    assert_int_equal(mock_vmcs(F(TSC_OFFSET)), 4000);
    assert_int_equal(rdmsr(&h, MSR_TSC_ADJUST), 4000);
    assert_completed();
    /* Time passes on the host: the guest's TSC with it. */
    mock_set_msr(0x10, 1500);
    assert_int_equal(rdmsr(&h, MSR_TSC), 5500);
    wrmsr(&h, MSR_TSC, 500); /* back by 5000 */
    assert_completed();
    assert_int_equal(rdmsr(&h, MSR_TSC_ADJUST), (uint64_t)-1000);
    assert_int_equal(mock_vmcs(F(TSC_OFFSET)), (uint64_t)-1000);
    /* TSC_ADJUST = 3000: +4000 on both. */
    wrmsr(&h, MSR_TSC_ADJUST, 3000);
    assert_completed();
    assert_int_equal(mock_vmcs(F(TSC_OFFSET)), 3000);
    assert_int_equal(rdmsr(&h, MSR_TSC), 4500);
    assert_int_equal(rdmsr(&h, MSR_TSC_ADJUST), 3000);
    assert_int_equal(mock_count_a(OP_WRMSR, MSR_TSC), 0);
    assert_int_equal(mock_count_a(OP_WRMSR, MSR_TSC_ADJUST), 0);
    assert_int_equal(mock_msr(0x10), 1500);
    /* The embedder's setters leave the guest's TSC_ADJUST. */
    assert_int_equal(x86vcpu_set_guest_tsc(h.v, 0), X86VCPU_OK);
    assert_int_equal(rdmsr(&h, MSR_TSC_ADJUST), 3000);
    host_stop(&h);
}

/* TSC_ADJUST exists only where the guest's CPUID shows it: #GP(0). */
static void test_tsc_adjust_gp_when_hidden(void **st)
{
    (void)st;
    machine(0, 0);
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    mock_set_msr(0x10, 1000);
    wrmsr(&h, MSR_TSC_ADJUST, 5);
    assert_int_equal(mock.entry_intr_info, GP_INFO);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
    assert_int_equal(mock_vmcs(F(TSC_OFFSET)), 0);
    rdmsr(&h, MSR_TSC_ADJUST);
    assert_int_equal(mock.entry_intr_info, GP_INFO);
    assert_int_equal(h.v->regs.gpr[X86VCPU_RAX], 0xdead);
    /* The TSC itself is still writable. */
    wrmsr(&h, MSR_TSC, 3000);
    assert_completed();
    assert_int_equal(mock_vmcs(F(TSC_OFFSET)), 2000);
    host_stop(&h);
}

/* "Use TSC scaling" only for a multiplier other than 1.0, and only where
 * the CPU has it; the guest's TSC goes on from where it was. */
static void test_scaling_only_when_needed(void **st)
{
    (void)st;
    machine(1, 1);
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    mock_set_msr(0x10, 1000000);
    assert_int_equal(x86vcpu_set_tsc_khz(h.v, 100000, 100000), X86VCPU_OK);
    assert_false(mock_vmcs(F(PROC_BASED_CTLS2)) & P2_SCALING);
    assert_int_equal(x86vcpu_set_tsc_khz(h.v, 100000, 50000), X86VCPU_OK);
    assert_true(mock_vmcs(F(PROC_BASED_CTLS2)) & P2_SCALING);
    assert_int_equal(mock_vmcs(F(TSC_MULTIPLIER)), 1ull << 47);
    /* Continuous at the switch: scaled host TSC + offset = 1000000. */
    assert_int_equal(x86vcpu__tsc_guest(1000000, 1ull << 47, mock_vmcs(F(TSC_OFFSET))), 1000000);
    /* Half the rate from there on, through RDMSR too. */
    mock_set_msr(0x10, 1002000);
    assert_int_equal(rdmsr(&h, MSR_TSC), 1001000);
    uint32_t hk = 0, gk = 0;
    uint64_t m = 0;
    assert_int_equal(x86vcpu_get_tsc_khz(h.v, &hk, &gk), X86VCPU_OK);
    assert_int_equal(hk, 100000);
    assert_int_equal(gk, 50000);
    assert_int_equal(x86vcpu_get_tsc_multiplier(h.v, &m), X86VCPU_OK);
    assert_int_equal(m, 1ull << 47);
    /* Back to 1.0: the control goes off again. */
    assert_int_equal(x86vcpu_set_tsc_khz(h.v, 100000, 0), X86VCPU_OK);
    assert_false(mock_vmcs(F(PROC_BASED_CTLS2)) & P2_SCALING);
    assert_int_equal(rdmsr(&h, MSR_TSC), 1001000);
    host_stop(&h);

    /* A CPU without TSC scaling: only the host's own frequency. */
    mock_reset();
    machine(1, 0);
    host_start(&h, X86VCPU_MODE_LONG64);
    assert_int_equal(x86vcpu_set_tsc_khz(h.v, 100000, 50000), X86VCPU_ENOTSUP);
    assert_int_equal(x86vcpu_set_tsc_khz(h.v, 100000, 100000), X86VCPU_OK);
    assert_int_equal(x86vcpu_set_tsc_khz(h.v, 0, 100000), X86VCPU_EINVAL);
    assert_false(mock_vmcs(F(PROC_BASED_CTLS2)) & P2_SCALING);
    host_stop(&h);
}

/* Set before setup: setup negotiates the control and loads the field. */
static void test_scaling_at_setup(void **st)
{
    (void)st;
    machine(1, 1);
    struct host h;
    host_init(&h, X86VCPU_MODE_PROT32);
    assert_int_equal(x86vcpu_set_tsc_khz(h.v, 100000, 300000), X86VCPU_OK);
    host_bind(&h);
    assert_true(mock_vmcs(F(PROC_BASED_CTLS2)) & P2_SCALING);
    assert_int_equal(mock_vmcs(F(TSC_MULTIPLIER)), 3ull << 48);
    host_stop(&h);
}

/* The guest learns its frequency: 0x40000000 reaches 0x40000010 (kHz),
 * 0x15 gives Hz = ECX * EBX / EAX where its CPUID goes that far. */
static void test_cpuid_frequency(void **st)
{
    (void)st;
    machine(1, 1);
    mock_set_cpuid(0, 0, 1, 0x16, 0x756e6547, 0x6c65746e, 0x49656e69);
    mock_set_cpuid(0x15, 0, 1, 2, 0xf0, 0, 0);
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    h.v->regs.gpr[X86VCPU_RAX] = 0x40000000u;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CPUID, 0, 2, 0 });
    assert_int_equal(h.v->regs.gpr[X86VCPU_RAX], X86VCPU_CPUID_HV_LAST); /* none given yet */
    assert_int_equal(x86vcpu_set_tsc_khz(h.v, 100000, 250000), X86VCPU_OK);
    h.v->regs.gpr[X86VCPU_RAX] = 0x40000000u;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CPUID, 0, 2, 0 });
    assert_int_equal(h.v->regs.gpr[X86VCPU_RAX], 0x40000010u);
    h.v->regs.gpr[X86VCPU_RAX] = 0x40000010u;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CPUID, 0, 2, 0 });
    assert_int_equal(h.v->regs.gpr[X86VCPU_RAX], 250000);
    h.v->regs.gpr[X86VCPU_RAX] = 0x15;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CPUID, 0, 2, 0 });
    uint64_t *g = h.v->regs.gpr;
    assert_int_equal(g[X86VCPU_RCX] * g[X86VCPU_RBX] / g[X86VCPU_RAX], 250000000ull);
    host_stop(&h);
}

/* A guest TSC-deadline in host TSC terms: never early, at once when due. */
static void test_guest_tsc_to_host(void **st)
{
    (void)st;
    machine(1, 1);
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    mock_set_msr(0x10, 1000000);
    assert_int_equal(x86vcpu_set_tsc_khz(h.v, 100000, 300000), X86VCPU_OK); /* 3.0 */
    assert_int_equal(x86vcpu_set_guest_tsc(h.v, 5000000), X86VCPU_OK);
    uint64_t host = 0;
    /* 3000 guest ticks ahead: 1000 host ticks. */
    assert_int_equal(x86vcpu_guest_tsc_to_host(h.v, 5003000, &host), X86VCPU_OK);
    assert_int_equal(host, 1001000);
    /* 3001 ahead: rounded up, never early. */
    assert_int_equal(x86vcpu_guest_tsc_to_host(h.v, 5003001, &host), X86VCPU_OK);
    assert_int_equal(host, 1001001);
    /* In the guest's past (or now): the host's TSC now. */
    assert_int_equal(x86vcpu_guest_tsc_to_host(h.v, 4000000, &host), X86VCPU_OK);
    assert_int_equal(host, 1000000);
    assert_int_equal(x86vcpu_guest_tsc_to_host(h.v, 5000000, &host), X86VCPU_OK);
    assert_int_equal(host, 1000000);
    assert_int_equal(x86vcpu_guest_tsc_to_host(h.v, 1, 0), X86VCPU_EINVAL);
    host_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_offset_in_vmcs, setup),
        cmocka_unit_test_setup(test_wrmsr_tsc_and_adjust, setup),
        cmocka_unit_test_setup(test_tsc_adjust_gp_when_hidden, setup),
        cmocka_unit_test_setup(test_scaling_only_when_needed, setup),
        cmocka_unit_test_setup(test_scaling_at_setup, setup),
        cmocka_unit_test_setup(test_cpuid_frequency, setup),
        cmocka_unit_test_setup(test_guest_tsc_to_host, setup),
    };
    return cmocka_run_group_tests_name("tsc", tests, NULL, NULL);
}
