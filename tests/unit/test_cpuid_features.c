/* The default CPUID policy (src/lib/cpuid_features.c): every bit of the
 * allow-list with the default features and with each named feature, leaves
 * past the maximum, the MSRs of hidden features, IA32_MISC_ENABLE, the
 * MTRRs and MCG_*. The expected masks are written out from docs/CPUID.md,
 * not computed from the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/arch.h"
#include "lib/cpuid_policy.h"

#define B(n) (1u << (n))
#define F(x) (1u << X86VCPU_FEAT_##x)
#define DEF X86VCPU_CPUID_DEFAULT_FEATURES
#define ALLF ((1u << X86VCPU_FEAT_COUNT) - 1)

struct want {
    uint32_t leaf, sub;
    uint32_t m[4];          /* shown with the default features */
};

/* docs/CPUID.md, "shown by default". */
static const struct want defaults[] = {
    { 0, 0, { ~0u, ~0u, ~0u, ~0u } },
    { 1, 0, { ~0u, ~0u, 0x7ffa3203u, 0x1f8bfbffu } },
    { 2, 0, { ~0u, ~0u, ~0u, ~0u } },
    { 3, 0, { 0, 0, 0, 0 } },               /* PSN */
    { 4, 3, { ~0u, ~0u, ~0u, ~0u } },
    { 5, 0, { 0, 0, 0, 0 } },               /* MONITOR */
    { 6, 0, { B(2), 0, 0, 0 } },            /* ARAT only */
    { 7, 0, { ~0u, 0xfdbf2ffbu, 0x1a405f5fu, 0x1451cu } },
    { 7, 1, { B(4) | B(5) | B(10) | B(11) | B(12), 0, 0, 0 } },
    { 7, 2, { 0, 0, 0, 0 } },
    { 9, 0, { 0, 0, 0, 0 } },               /* DCA */
    { 0xa, 0, { 0, 0, 0, 0 } },             /* PMU */
    { 0xb, 1, { ~0u, ~0u, ~0u, ~0u } },
    { 0xd, 0, { ~0u, ~0u, ~0u, ~0u } },
    { 0xd, 1, { 0xf, ~0u, ~0u, ~0u } },
    { 0xd, 2, { ~0u, ~0u, ~0u, ~0u } },
    { 0xd, 63, { ~0u, ~0u, ~0u, ~0u } },
    { 0xd, 64, { 0, 0, 0, 0 } },
    { 0xf, 0, { 0, 0, 0, 0 } },             /* RDT monitoring */
    { 0x10, 0, { 0, 0, 0, 0 } },            /* RDT allocation */
    { 0x12, 0, { 0, 0, 0, 0 } },            /* SGX */
    { 0x14, 0, { 0, 0, 0, 0 } },            /* Intel PT */
    { 0x15, 0, { ~0u, ~0u, ~0u, ~0u } },
    { 0x16, 0, { ~0u, ~0u, ~0u, ~0u } },
    { 0x18, 0, { ~0u, ~0u, ~0u, ~0u } },
    { 0x19, 0, { 0, 0, 0, 0 } },            /* Key Locker */
    { 0x1a, 0, { 0, 0, 0, 0 } },            /* hybrid */
    { 0x1d, 0, { 0, 0, 0, 0 } },            /* AMX */
    { 0x1f, 0, { ~0u, ~0u, ~0u, ~0u } },
    { 0x80000000u, 0, { ~0u, ~0u, ~0u, ~0u } },
    { 0x80000001u, 0, { ~0u, 0, B(0) | B(5) | B(8), B(11) | B(20) | B(26) | B(27) | B(29) } },
    { 0x80000002u, 0, { ~0u, ~0u, ~0u, ~0u } },
    { 0x80000005u, 0, { 0, 0, 0, 0 } },
    { 0x80000006u, 0, { ~0u, ~0u, ~0u, ~0u } },
    { 0x80000007u, 0, { 0, 0, 0, B(8) } },
    { 0x80000008u, 0, { ~0u, B(9), 0, 0 } },
    { 0x80000009u, 0, { 0, 0, 0, 0 } },
};

static void test_default_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        const struct want *w = &defaults[i];
        for (unsigned r = 0; r < 4; r++) {
            uint32_t got = x86vcpu__cpuid_allowed(DEF, w->leaf, w->sub, r);
            if (got != w->m[r])
                fail_msg("leaf %#x.%u reg %u: %#x, want %#x", w->leaf, w->sub, r, got, w->m[r]);
        }
    }
}

/* Each named feature adds exactly its bits (on top of the defaults). */
struct named {
    unsigned feat;
    uint32_t leaf, sub;
    unsigned reg;
    uint32_t bits;
};
static const struct named named_bits[] = {
    { X86VCPU_FEAT_PMU, 1, 0, 2, B(15) },
    { X86VCPU_FEAT_PMU, 0xa, 0, 0, ~0u },
    { X86VCPU_FEAT_DS, 1, 0, 2, B(2) | B(4) },
    { X86VCPU_FEAT_DS, 1, 0, 3, B(21) },
    { X86VCPU_FEAT_PT, 7, 0, 1, B(25) },
    { X86VCPU_FEAT_PT, 0x14, 1, 1, ~0u },
    { X86VCPU_FEAT_THERMAL, 1, 0, 2, B(7) | B(8) },
    { X86VCPU_FEAT_THERMAL, 1, 0, 3, B(22) | B(29) | B(31) },
    { X86VCPU_FEAT_THERMAL, 6, 0, 0, ~0u & ~B(2) },
    { X86VCPU_FEAT_THERMAL, 6, 0, 2, ~0u },
    { X86VCPU_FEAT_MONITOR, 1, 0, 2, B(3) },
    { X86VCPU_FEAT_MONITOR, 5, 0, 3, ~0u },
    { X86VCPU_FEAT_RDTSCP, 0x80000001u, 0, 3, B(27) },
    { X86VCPU_FEAT_RDTSCP, 7, 0, 2, B(22) },
    { X86VCPU_FEAT_INVPCID, 7, 0, 1, B(10) },
    { X86VCPU_FEAT_XSAVES, 0xd, 1, 0, B(3) },
    { X86VCPU_FEAT_RDRAND, 1, 0, 2, B(30) },
    { X86VCPU_FEAT_RDSEED, 7, 0, 1, B(18) },
    { X86VCPU_FEAT_APIC, 1, 0, 3, B(9) },
    { X86VCPU_FEAT_X2APIC, 1, 0, 2, B(21) },
    { X86VCPU_FEAT_TSC_DEADLINE, 1, 0, 2, B(24) },
};

static void test_named_features(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof named_bits / sizeof named_bits[0]; i++) {
        const struct named *n = &named_bits[i];
        uint32_t with = x86vcpu__cpuid_allowed(ALLF, n->leaf, n->sub, n->reg);
        uint32_t without = x86vcpu__cpuid_allowed(ALLF & ~(1u << n->feat), n->leaf, n->sub, n->reg);
        if ((with & ~without) != n->bits)
            fail_msg("feature %u leaf %#x reg %u: adds %#x, want %#x", n->feat, n->leaf, n->reg,
                     with & ~without, n->bits);
    }
    /* Everything on still hides what no feature names: VMX, SMX, SDBG,
     * WAITPKG, LA57, the speculation controls, XFD. */
    assert_int_equal(x86vcpu__cpuid_allowed(ALLF, 1, 0, 2) & (B(5) | B(6) | B(11)), 0);
    assert_int_equal(x86vcpu__cpuid_allowed(ALLF, 7, 0, 2) & (B(5) | B(16)), 0);
    assert_int_equal(x86vcpu__cpuid_allowed(ALLF, 7, 0, 3) & 0xfc000000u, 0);
    assert_int_equal(x86vcpu__cpuid_allowed(ALLF, 0xd, 1, 0) & B(4), 0);
    /* And nothing shows without features but the always-shown bits. */
    assert_int_equal(x86vcpu__cpuid_allowed(0, 1, 0, 2), 0x7ffa3203u & ~(B(21) | B(24) | B(30)));
    assert_int_equal(x86vcpu__cpuid_allowed(0, 1, 0, 3), 0x1f8bfbffu & ~B(9));
}

static void test_mask_applies(void **state)
{
    (void)state;
    /* Bochs corei7_skylake_x's leaf 1 (tests/diff records): DTES64,
     * MONITOR, DS-CPL, VMX, EST, TM2, xTPR, PDCM go; DS, ACPI, TM, PBE go. */
    struct x86vcpu_cpuid_regs r = { 0x00050654u, 0x00010800u, 0x77faf3bfu, 0xbfebfbffu };
    x86vcpu__cpuid_mask(DEF, 1, 0, &r);
    assert_int_equal(r.ecx, 0x77fa3203u);
    assert_int_equal(r.edx, 0x1f8bfbffu);
    assert_int_equal(r.eax, 0x00050654u);
    /* With the PMU: PDCM comes back. */
    r = (struct x86vcpu_cpuid_regs){ 0, 0, 0x77faf3bfu, 0 };
    x86vcpu__cpuid_mask(DEF | F(PMU), 1, 0, &r);
    assert_int_equal(r.ecx, 0x77fa3203u | B(15));
}

static void test_effective_leaf(void **state)
{
    (void)state;
    /* Vol. 2A CPUID: above the highest basic or extended leaf, the data of
     * the highest basic leaf. */
    assert_int_equal(x86vcpu__cpuid_effective_leaf(0x16, 0x16, 0x80000008u), 0x16);
    assert_int_equal(x86vcpu__cpuid_effective_leaf(0x17, 0x16, 0x80000008u), 0x16);
    assert_int_equal(x86vcpu__cpuid_effective_leaf(0x3fffffffu, 0x16, 0x80000008u), 0x16);
    assert_int_equal(x86vcpu__cpuid_effective_leaf(0x80000008u, 0x16, 0x80000008u), 0x80000008u);
    assert_int_equal(x86vcpu__cpuid_effective_leaf(0x80000009u, 0x16, 0x80000008u), 0x16);
    assert_int_equal(x86vcpu__cpuid_effective_leaf(0xffffffffu, 0x16, 0x80000008u), 0x16);
    assert_int_equal(x86vcpu__cpuid_effective_leaf(0, 0x16, 0x80000008u), 0);
}

static void test_policy_features_default(void **state)
{
    (void)state;
    struct x86vcpu_cpuid_policy p;
    memset(&p, 0xA5, sizeof p);
    x86vcpu__cpuid_policy_init(&p);
    assert_int_equal(p.features, F(RDTSCP) | F(INVPCID) | F(XSAVES) | F(RDRAND) | F(RDSEED) |
                                     F(APIC) | F(X2APIC) | F(TSC_DEADLINE));
    /* apply() masks: leaf 0xA from a host with a PMU reads 0. */
    struct x86vcpu_cpuid_regs r = { 0x07300404u, 0, 0, 0x603u };
    x86vcpu__cpuid_policy_apply(&p, 0xa, 0, 0, 1, 0, NULL, &r);
    assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
    p.features |= F(PMU);
    r = (struct x86vcpu_cpuid_regs){ 0x07300404u, 0, 0, 0x603u };
    x86vcpu__cpuid_policy_apply(&p, 0xa, 0, 0, 1, 0, NULL, &r);
    assert_int_equal(r.eax, 0x07300404u);
    assert_int_equal(r.edx, 0x603u);
}

static void test_msr_hidden(void **state)
{
    (void)state;
    struct x86vcpu_cpuid_policy p;
    x86vcpu__cpuid_policy_init(&p);
    /* Hidden by default: PMU, DS, PT, thermal, MONITOR. */
    const uint32_t hidden[] = { 0xc1, 0xc8, 0x186, 0x18d, 0x309, 0x30c, 0x345, 0x38d, 0x38f,
                                0x392, 0x3f1, 0x4c1, 0x600, 0x560, 0x570, 0x571, 0x587, 0xe7,
                                0xe8, 0x198, 0x199, 0x19a, 0x19b, 0x19c, 0x1b0, 0x1b1, 0x1b2,
                                0x770, 0x774, 0x777, 0x6,
                                /* never there */
                                0x480, 0x48b, 0x493, 0x17b, 0x280, 0x29f, 0x400, 0x401,
                                0x47f };
    for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++)
        if (!x86vcpu__msr_hidden(&p, hidden[i]))
            fail_msg("MSR %#x not hidden", hidden[i]);
    /* Shown by default, or not the library's business. */
    const uint32_t shown[] = { 0xc0000103u, 0xda0, 0x1b, 0x800, 0x8ff, 0x6e0, 0x10, 0x3b,
                               0x1a0, 0xfe, 0x2ff, 0x179, 0x17a, 0x277, 0xc0000080u, 0x48,
                               0x10a, 0xc0, 0xc9, 0x185, 0x18e, 0x494, 0x3f2 };
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        if (x86vcpu__msr_hidden(&p, shown[i]))
            fail_msg("MSR %#x hidden", shown[i]);
    /* Turning features on and off moves them. */
    p.features |= F(PMU);
    assert_false(x86vcpu__msr_hidden(&p, 0x186));
    assert_false(x86vcpu__msr_hidden(&p, 0x345));
    assert_true(x86vcpu__msr_hidden(&p, 0x3f1));     /* PEBS needs DS too */
    p.features |= F(DS);
    assert_false(x86vcpu__msr_hidden(&p, 0x3f1));
    assert_false(x86vcpu__msr_hidden(&p, 0x600));
    p.features &= ~(F(RDTSCP) | F(XSAVES) | F(APIC) | F(X2APIC) | F(TSC_DEADLINE));
    assert_true(x86vcpu__msr_hidden(&p, 0xc0000103u));
    assert_true(x86vcpu__msr_hidden(&p, 0xda0));
    assert_true(x86vcpu__msr_hidden(&p, 0x1b));
    assert_true(x86vcpu__msr_hidden(&p, 0x830));
    assert_true(x86vcpu__msr_hidden(&p, 0x6e0));
    p.features = ALLF;
    assert_true(x86vcpu__msr_hidden(&p, 0x480));     /* VMX never */
    assert_true(x86vcpu__msr_hidden(&p, 0x401));     /* no MC banks */
}

static uint64_t rd(const struct x86vcpu_cpuid_policy *p, uint32_t msr)
{
    uint64_t v = 0xdeadbeef;
    assert_int_equal(x86vcpu__arch_msr_read(p, msr, &v), 1);
    return v;
}

static void test_misc_enable(void **state)
{
    (void)state;
    struct x86vcpu_cpuid_policy p;
    x86vcpu__cpuid_policy_init(&p);
    /* Fast strings; PMU hidden (bit 7 = 0); BTS and PEBS unavailable;
     * MONITOR hidden (bit 18 = 0); XD disable 0. */
    assert_int_equal(rd(&p, 0x1a0), B(0) | B(11) | B(12));
    /* Read-only bits keep their value; R/W bits are stored. */
    assert_int_equal(x86vcpu__arch_msr_write(&p, 0x1a0, B(7) | B(11), 40), 0);
    assert_int_equal(rd(&p, 0x1a0), B(11) | B(12));
    assert_int_equal(x86vcpu__arch_msr_write(&p, 0x1a0, B(0) | B(11) | B(12) | B(22), 40), 0);
    assert_int_equal(rd(&p, 0x1a0), B(0) | B(11) | B(12) | B(22));
    /* Limit CPUID maxval: leaf 0 EAX reads 2. */
    struct x86vcpu_cpuid_regs r = { 0x16, 0x756e6547, 0x6c65746e, 0x49656e69 };
    x86vcpu__cpuid_policy_apply(&p, 0, 0, 0, 1, 0, NULL, &r);
    assert_int_equal(r.eax, 2);
    assert_int_equal(x86vcpu__arch_msr_write(&p, 0x1a0, B(0) | B(11) | B(12), 40), 0);
    r = (struct x86vcpu_cpuid_regs){ 0x16, 0, 0, 0 };
    x86vcpu__cpuid_policy_apply(&p, 0, 0, 0, 1, 0, NULL, &r);
    assert_int_equal(r.eax, 0x16);
    /* Reserved bits, XD disable, EIST without THERMAL: #GP, value kept. */
    const uint64_t bad[] = { 1ull << 34, B(16), B(3), B(23), B(1), 1ull << 63 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(x86vcpu__arch_msr_write(&p, 0x1a0, B(0) | bad[i], 40), X86VCPU_VEC_GP);
    assert_int_equal(rd(&p, 0x1a0), B(0) | B(11) | B(12));
    /* Features change the read-only bits. */
    p.features |= F(PMU) | F(MONITOR);
    x86vcpu__arch_msrs_reset(&p, 1);
    assert_int_equal(rd(&p, 0x1a0), B(0) | B(7) | B(11) | B(12) | B(18));
    p.features |= F(DS) | F(THERMAL);
    x86vcpu__arch_msrs_reset(&p, 1);
    assert_int_equal(rd(&p, 0x1a0), B(0) | B(3) | B(7) | B(18));
    assert_int_equal(x86vcpu__arch_msr_write(&p, 0x1a0, B(0) | B(16), 40), 0);
    assert_int_equal(rd(&p, 0x1a0), B(0) | B(7) | B(16) | B(18));
}

static void test_mtrr(void **state)
{
    (void)state;
    struct x86vcpu_cpuid_policy p;
    x86vcpu__cpuid_policy_init(&p);
    /* MTRRCAP: 8 variable ranges, fixed ranges, WC; no SMRR. Read-only. */
    assert_int_equal(rd(&p, 0xfe), 0x508);
    assert_int_equal(x86vcpu__arch_msr_write(&p, 0xfe, 0x508, 40), X86VCPU_VEC_GP);
    /* Power-on: disabled; past firmware: enabled, WB. */
    assert_int_equal(rd(&p, 0x2ff), 0);
    x86vcpu__arch_msrs_reset(&p, 1);
    assert_int_equal(rd(&p, 0x2ff), 0x806);
    /* DEF_TYPE: type, FE, E; reserved bits and types 2, 3, 7 #GP. */
    assert_int_equal(x86vcpu__arch_msr_write(&p, 0x2ff, 0xc00, 40), 0);
    assert_int_equal(rd(&p, 0x2ff), 0xc00);
    const uint64_t bad_def[] = { 0x802, 0x803, 0x807, 0x1806, 0x100, 1ull << 32, 0x8ff };
    for (size_t i = 0; i < sizeof bad_def / sizeof bad_def[0]; i++)
        assert_int_equal(x86vcpu__arch_msr_write(&p, 0x2ff, bad_def[i], 40), X86VCPU_VEC_GP);
    assert_int_equal(rd(&p, 0x2ff), 0xc00);
    /* Variable ranges 0x200..0x20f: base type and address, mask V and
     * address, below MAXPHYADDR. */
    for (uint32_t n = 0; n < 8; n++) {
        assert_int_equal(x86vcpu__arch_msr_write(&p, 0x200 + 2 * n, 0xff00000006ull + n * 0x1000, 40),
                         0);
        assert_int_equal(rd(&p, 0x200 + 2 * n), 0xff00000006ull + n * 0x1000);
        assert_int_equal(x86vcpu__arch_msr_write(&p, 0x201 + 2 * n, 0xfff0000800ull, 40), 0);
        assert_int_equal(rd(&p, 0x201 + 2 * n), 0xfff0000800ull);
    }
    assert_int_equal(x86vcpu__arch_msr_write(&p, 0x200, 0x10000000006ull, 40), X86VCPU_VEC_GP);
    assert_int_equal(x86vcpu__arch_msr_write(&p, 0x200, 0x10000000006ull, 41), 0);
    assert_int_equal(x86vcpu__arch_msr_write(&p, 0x200, 0x100 | 6, 40), X86VCPU_VEC_GP);
    assert_int_equal(x86vcpu__arch_msr_write(&p, 0x200, 2, 40), X86VCPU_VEC_GP);
    assert_int_equal(x86vcpu__arch_msr_write(&p, 0x201, 0x400, 40), X86VCPU_VEC_GP);
    assert_int_equal(x86vcpu__arch_msr_write(&p, 0x201, 1ull << 40, 40), X86VCPU_VEC_GP);
    /* 0x210 is past VCNT: not the library's (the embedder #GPs it). */
    uint64_t v;
    assert_int_equal(x86vcpu__arch_msr_read(&p, 0x210, &v), 0);
    assert_int_equal(x86vcpu__arch_msr_write(&p, 0x210, 0, 40), -1);
    /* Fixed ranges: eleven MSRs, each byte a valid type. */
    const uint32_t fixed[] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b,
                               0x26c, 0x26d, 0x26e, 0x26f };
    for (size_t i = 0; i < 11; i++) {
        assert_int_equal(x86vcpu__arch_msr_write(&p, fixed[i], 0x0605040100060504ull + (i & 1), 40), 0);
        assert_int_equal(rd(&p, fixed[i]), 0x0605040100060504ull + (i & 1));
        assert_int_equal(x86vcpu__arch_msr_write(&p, fixed[i], 0x0200000000000000ull, 40),
                         X86VCPU_VEC_GP);
    }
    assert_int_equal(x86vcpu__arch_msr_read(&p, 0x251, &v), 0);
    assert_int_equal(x86vcpu__arch_msr_read(&p, 0x267, &v), 0);
}

static void test_mcg(void **state)
{
    (void)state;
    struct x86vcpu_cpuid_policy p;
    x86vcpu__cpuid_policy_init(&p);
    assert_int_equal(rd(&p, 0x179), 0);            /* no banks, no MCG_CTL */
    assert_int_equal(x86vcpu__arch_msr_write(&p, 0x179, 0, 40), X86VCPU_VEC_GP);
    assert_int_equal(x86vcpu__arch_msr_write(&p, 0x17a, 0x5, 40), 0);
    assert_int_equal(rd(&p, 0x17a), 0x5);
    assert_int_equal(x86vcpu__arch_msr_write(&p, 0x17a, 0x8, 40), X86VCPU_VEC_GP);
    x86vcpu__arch_msrs_reset(&p, 1);
    assert_int_equal(rd(&p, 0x17a), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_table),
        cmocka_unit_test(test_named_features),
        cmocka_unit_test(test_mask_applies),
        cmocka_unit_test(test_effective_leaf),
        cmocka_unit_test(test_policy_features_default),
        cmocka_unit_test(test_msr_hidden),
        cmocka_unit_test(test_misc_enable),
        cmocka_unit_test(test_mtrr),
        cmocka_unit_test(test_mcg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
