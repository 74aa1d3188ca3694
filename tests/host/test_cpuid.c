/* Hidden means absent (docs/CPUID.md): the CPUID exit through the default
 * policy, the MSRs of hidden features #GP without reaching the embedder,
 * IA32_MISC_ENABLE / MTRRs / MCG kept by the library, the VMX controls
 * chosen from the feature set, and the instructions of hidden features. */
#include "host.h"
#include "lib/bitmap.h"

#define INFO_VALID 0x80000000u
#define GP_INFO (INFO_VALID | (3u << 8) | (1u << 11) | X86VCPU_VEC_GP)
#define UD_INFO (INFO_VALID | (3u << 8) | X86VCPU_VEC_UD)

static int setup(void **state)
{
    (void)state;
    mock_reset();
    /* A host like Bochs corei7_skylake_x (tests/diff records): a PMU in
     * leaf 0xA, PDCM, MONITOR, DS, thermal bits; max basic leaf 0x16. */
    mock_set_cpuid(0, 0, 1, 0x16, 0x756e6547, 0x6c65746e, 0x49656e69);
    mock_set_cpuid(1, 0, 1, 0x00050654, 0x00010800, 0x77faf3bf, 0xbfebfbff);
    mock_set_cpuid(0xa, 0, 1, 0x07300404, 0, 0, 0x603);
    mock_set_cpuid(0x16, 0, 1, 0x1111, 0x2222, 0x3333, 0);
    /* Secondary controls: the mock's plus RDRAND/RDSEED exiting. */
    mock_set_msr(0x48b, (uint64_t)(2 | 8 | 32 | 128 | (1u << 11) | (1u << 12) | (1u << 16) |
                                   (1u << 20)) << 32);
    return 0;
}

static void msr_access(struct host *h, uint32_t reason, uint32_t msr, uint64_t val)
{
    h->v->regs.gpr[X86VCPU_RCX] = msr;
    h->v->regs.gpr[X86VCPU_RAX] = (uint32_t)val;
    h->v->regs.gpr[X86VCPU_RDX] = val >> 32;
    mock_set_vmcs(F(GUEST_RIP), 0x1000);
    mock.entry_intr_info = 0;
    RUN_STEPS(h, { reason, 0, 2, 0 });
}

static uint64_t rdmsr_ok(struct host *h, uint32_t msr)
{
    msr_access(h, X86VCPU_EXIT_REASON_RDMSR, msr, 0);
    if (mock.entry_intr_info)
        fail_msg("RDMSR %#x: entry info %#x", msr, mock.entry_intr_info);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1002);
    assert_int_equal(h->e.kind, X86VCPU_EXIT_TIME_SLICE);
    return (h->v->regs.gpr[X86VCPU_RDX] << 32) | (uint32_t)h->v->regs.gpr[X86VCPU_RAX];
}

static void wrmsr_ok(struct host *h, uint32_t msr, uint64_t val)
{
    msr_access(h, X86VCPU_EXIT_REASON_WRMSR, msr, val);
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1002);
    assert_int_equal(h->e.kind, X86VCPU_EXIT_TIME_SLICE);
}

static void msr_gp(struct host *h, uint32_t reason, uint32_t msr, uint64_t val)
{
    msr_access(h, reason, msr, val);
    /* #GP(0) injected at the next entry, RIP on the instruction, no exit
     * to the embedder. */
    if (mock.entry_intr_info != GP_INFO)
        fail_msg("MSR %#x %s: entry info %#x, want #GP", msr,
                 reason == X86VCPU_EXIT_REASON_RDMSR ? "read" : "write", mock.entry_intr_info);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
    assert_int_equal(h->e.kind, X86VCPU_EXIT_TIME_SLICE);
}

static void cpuid(struct host *h, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    h->v->regs.gpr[X86VCPU_RAX] = leaf;
    h->v->regs.gpr[X86VCPU_RCX] = sub;
    RUN_STEPS(h, { X86VCPU_EXIT_REASON_CPUID, 0, 2, 0 });
    for (int i = 0; i < 4; i++)
        r[i] = (uint32_t)h->v->regs.gpr[(int[]){ X86VCPU_RAX, X86VCPU_RBX, X86VCPU_RCX,
                                                 X86VCPU_RDX }[i]];
}

static void test_cpuid_view(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_PROT32);
    uint32_t r[4];
    cpuid(&h, 1, 0, r);
    assert_int_equal(r[2], 0x77fa3203u | (1u << 31));
    assert_int_equal(r[3], 0x1f8bfbffu);
    cpuid(&h, 0xa, 0, r);           /* no PMU */
    assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
    /* Past the highest basic leaf: leaf 0x16's data (the mock answers
     * an unknown leaf with zeros, the CPU with the highest leaf's). */
    cpuid(&h, 0x17, 0, r);
    assert_int_equal(r[0], 0x1111);
    assert_int_equal(r[1], 0x2222);
    cpuid(&h, 0x80000009u, 0, r);
    assert_int_equal(r[0], 0x1111);
    host_stop(&h);
}

static void test_hidden_msrs_gp(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    const uint32_t msrs[] = { 0x186, 0xc1, 0x345, 0x38f, 0x309, 0x600, 0x570, 0x19c, 0x199,
                              0x6, 0x480, 0x401, 0x17b };
    for (size_t i = 0; i < sizeof msrs / sizeof msrs[0]; i++) {
        msr_gp(&h, X86VCPU_EXIT_REASON_RDMSR, msrs[i], 0);
        msr_gp(&h, X86VCPU_EXIT_REASON_WRMSR, msrs[i], 0);
    }
    /* An MSR no feature names still goes to the embedder. */
    msr_access(&h, X86VCPU_EXIT_REASON_RDMSR, 0x12345678, 0);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_MSR_READ);
    assert_int_equal(x86vcpu_complete_msr_read(h.v, 7), X86VCPU_OK);
    host_stop(&h);
}

static void test_enable_feature(void **state)
{
    (void)state;
    struct host h;
    host_init(&h, X86VCPU_MODE_LONG64);
    assert_int_equal(x86vcpu_cpuid_enable_feature(h.v, X86VCPU_FEAT_PMU), X86VCPU_OK);
    assert_int_equal(x86vcpu_cpuid_enable_feature(h.v, X86VCPU_FEAT_COUNT), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu_cpuid_enable_feature(NULL, X86VCPU_FEAT_PMU), X86VCPU_EINVAL);
    host_bind(&h);
    /* Fixed at setup. */
    assert_int_equal(x86vcpu_cpuid_disable_feature(h.v, X86VCPU_FEAT_PMU), X86VCPU_ESTATE);
    uint32_t r[4];
    cpuid(&h, 0xa, 0, r);
    assert_int_equal(r[0], 0x07300404);
    cpuid(&h, 1, 0, r);
    assert_true(r[2] & (1u << 15));                   /* PDCM */
    /* The perf MSRs are the embedder's now. */
    msr_access(&h, X86VCPU_EXIT_REASON_RDMSR, 0x186, 0);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_MSR_READ);
    assert_int_equal(h.e.u.msr.index, 0x186);
    assert_int_equal(x86vcpu_complete_msr_read(h.v, 0), X86VCPU_OK);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1002);
    assert_int_equal(mock.entry_intr_info, 0);
    /* MISC_ENABLE says performance monitoring is available. */
    assert_int_equal(rdmsr_ok(&h, 0x1a0), 0x1881);
    /* RDPMC runs natively. */
    assert_int_equal(mock_vmcs(F(PROC_BASED_CTLS)) & (1u << 11), 0);
    host_stop(&h);
}

static void test_controls_follow_features(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    /* Default: MWAIT, MONITOR, RDPMC exit; RDTSCP, INVPCID, XSAVES on;
     * RDRAND/RDSEED run natively. */
    uint64_t p = mock_vmcs(F(PROC_BASED_CTLS)), p2 = mock_vmcs(F(PROC_BASED_CTLS2));
    assert_int_equal(p & ((1u << 10) | (1u << 11) | (1u << 29)), (1u << 10) | (1u << 11) | (1u << 29));
    assert_int_equal(p2 & ((1u << 3) | (1u << 12) | (1u << 20)), (1u << 3) | (1u << 12) | (1u << 20));
    assert_int_equal(p2 & ((1u << 11) | (1u << 16)), 0);
    host_stop(&h);

    mock_reset();
    setup(NULL);
    host_init(&h, X86VCPU_MODE_LONG64);
    const enum x86vcpu_feature off[] = { X86VCPU_FEAT_RDTSCP, X86VCPU_FEAT_INVPCID,
                                         X86VCPU_FEAT_XSAVES, X86VCPU_FEAT_RDRAND,
                                         X86VCPU_FEAT_RDSEED };
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++)
        assert_int_equal(x86vcpu_cpuid_disable_feature(h.v, off[i]), X86VCPU_OK);
    assert_int_equal(x86vcpu_cpuid_enable_feature(h.v, X86VCPU_FEAT_MONITOR), X86VCPU_OK);
    host_bind(&h);
    p = mock_vmcs(F(PROC_BASED_CTLS));
    p2 = mock_vmcs(F(PROC_BASED_CTLS2));
    assert_int_equal(p & ((1u << 10) | (1u << 29)), 0);
    assert_int_equal(p2 & ((1u << 3) | (1u << 12) | (1u << 20)), 0);
    assert_int_equal(p2 & ((1u << 11) | (1u << 16)), (1u << 11) | (1u << 16));
    /* TSC_AUX and IA32_XSS reads exit again (msr.c passes them), and #GP. */
    const uint8_t *bm = mock_hal.phys_to_virt(mock_hal.ctx, h.v->msr_bitmap_pa);
    assert_true(x86vcpu__msr_bitmap_test(bm, 0xc0000103u, 0));
    assert_true(x86vcpu__msr_bitmap_test(bm, 0xda0, 0));
    msr_gp(&h, X86VCPU_EXIT_REASON_RDMSR, 0xc0000103u, 0);
    msr_gp(&h, X86VCPU_EXIT_REASON_WRMSR, 0xda0, 0);
    uint32_t r[4];
    cpuid(&h, 0x80000001u, 0, r);
    assert_int_equal(r[3] & (1u << 27), 0);         /* RDTSCP */
    cpuid(&h, 1, 0, r);
    assert_int_equal(r[2] & ((1u << 30) | (1u << 3)), 1u << 3); /* no RDRAND, MONITOR */
    host_stop(&h);
}

static void test_hidden_instructions(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    const uint32_t ud[] = { X86VCPU_EXIT_REASON_RDRAND, X86VCPU_EXIT_REASON_RDSEED,
                            X86VCPU_EXIT_REASON_MONITOR, X86VCPU_EXIT_REASON_MWAIT };
    for (size_t i = 0; i < sizeof ud / sizeof ud[0]; i++) {
        mock_set_vmcs(F(GUEST_RIP), 0x1000);
        RUN_STEPS(&h, { ud[i], 0, 3, 0 });
        assert_int_equal(mock.entry_intr_info, UD_INFO);
        assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
        assert_int_equal(h.e.kind, X86VCPU_EXIT_TIME_SLICE);
    }
    mock_set_vmcs(F(GUEST_RIP), 0x1000);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_RDPMC, 0, 2, 0 });
    assert_int_equal(mock.entry_intr_info, GP_INFO);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
    host_stop(&h);
}

static void test_misc_enable(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_PROT32);
    /* Fast strings, BTS and PEBS unavailable; no PMU, no MONITOR. */
    assert_int_equal(rdmsr_ok(&h, 0x1a0), 0x1801);
    /* Limit CPUID maxval. */
    wrmsr_ok(&h, 0x1a0, 0x1801 | (1u << 22));
    uint32_t r[4];
    cpuid(&h, 0, 0, r);
    assert_int_equal(r[0], 2);
    wrmsr_ok(&h, 0x1a0, 0x1801);
    cpuid(&h, 0, 0, r);
    assert_int_equal(r[0], 0x16);
    /* XD disable and EIST #GP; the value stays. */
    msr_gp(&h, X86VCPU_EXIT_REASON_WRMSR, 0x1a0, 0x1801 | (1ull << 34));
    msr_gp(&h, X86VCPU_EXIT_REASON_WRMSR, 0x1a0, 0x1801 | (1u << 16));
    assert_int_equal(rdmsr_ok(&h, 0x1a0), 0x1801);
    /* The host's MISC_ENABLE is never read or written. */
    assert_int_equal(mock_count_a(OP_WRMSR, 0x1a0), 0);
    host_stop(&h);
}

static void test_mtrrs(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_PROT32);
    assert_int_equal(rdmsr_ok(&h, 0xfe), 0x508);
    assert_int_equal(rdmsr_ok(&h, 0x2ff), 0x806);   /* past firmware: on, WB */
    msr_gp(&h, X86VCPU_EXIT_REASON_WRMSR, 0xfe, 0x508);
    /* MAXPHYADDR 40 (the mock's 80000008H): bit 40 of a base #GPs. */
    wrmsr_ok(&h, 0x200, 0xff00000006ull);
    wrmsr_ok(&h, 0x201, 0xfff0000800ull);
    assert_int_equal(rdmsr_ok(&h, 0x200), 0xff00000006ull);
    assert_int_equal(rdmsr_ok(&h, 0x201), 0xfff0000800ull);
    msr_gp(&h, X86VCPU_EXIT_REASON_WRMSR, 0x200, 0x10000000006ull);
    msr_gp(&h, X86VCPU_EXIT_REASON_WRMSR, 0x2ff, 0x802);
    /* Every variable range, the last one too. */
    for (uint32_t n = 0; n < 8; n++) {
        wrmsr_ok(&h, 0x200 + 2 * n, 0x8000000006ull | ((uint64_t)n << 12));
        assert_int_equal(rdmsr_ok(&h, 0x200 + 2 * n), 0x8000000006ull | ((uint64_t)n << 12));
    }
    wrmsr_ok(&h, 0x268, 0x0606060606060606ull);
    assert_int_equal(rdmsr_ok(&h, 0x268), 0x0606060606060606ull);
    assert_int_equal(rdmsr_ok(&h, 0x179), 0);       /* MCG_CAP: no banks */
    host_stop(&h);
    /* A real-mode start is power-on: MTRRs disabled. */
    mock_reset();
    setup(NULL);
    host_start(&h, X86VCPU_MODE_REAL);
    mock_set_vmcs(F(GUEST_CS_AR), 0x9b);
    assert_int_equal(rdmsr_ok(&h, 0x2ff), 0);
    host_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_cpuid_view, setup),
        cmocka_unit_test_setup(test_hidden_msrs_gp, setup),
        cmocka_unit_test_setup(test_enable_feature, setup),
        cmocka_unit_test_setup(test_controls_follow_features, setup),
        cmocka_unit_test_setup(test_hidden_instructions, setup),
        cmocka_unit_test_setup(test_misc_enable, setup),
        cmocka_unit_test_setup(test_mtrrs, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
