/* Issue 15: x86vcpu__msr_hidden by binary search over sorted ranges, the
 * same answers as the linear scan it replaced. The reference below is that
 * scan and its table as they were (cpuid_features.c before issue 15),
 * compared over every MSR of the ranges the table uses (0-0x1fff,
 * 0xc0000000-0xc0001fff) under many feature sets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/arch.h"
#include "lib/cpuid_policy.h"

#define ALWAYS 0xffu
#define F(x) (1u << X86VCPU_FEAT_##x)
#define ALLF ((1u << X86VCPU_FEAT_COUNT) - 1)

struct ref_range {
    uint32_t lo, hi;
    uint8_t feat;
};

static const struct ref_range ref_msrs[] = {
    { 0xc1, 0xc8, X86VCPU_FEAT_PMU },    { 0x186, 0x18d, X86VCPU_FEAT_PMU },
    { 0x309, 0x30c, X86VCPU_FEAT_PMU },  { 0x345, 0x345, X86VCPU_FEAT_PMU },
    { 0x38d, 0x392, X86VCPU_FEAT_PMU },  { 0x3f1, 0x3f1, X86VCPU_FEAT_PMU },
    { 0x3f6, 0x3f7, X86VCPU_FEAT_PMU },  { 0x4c1, 0x4c8, X86VCPU_FEAT_PMU },
    { 0x600, 0x600, X86VCPU_FEAT_DS },   { 0x3f1, 0x3f1, X86VCPU_FEAT_DS },
    { 0x560, 0x561, X86VCPU_FEAT_PT },   { 0x570, 0x572, X86VCPU_FEAT_PT },
    { 0x580, 0x587, X86VCPU_FEAT_PT },   { 0xe7, 0xe8, X86VCPU_FEAT_THERMAL },
    { 0x198, 0x19c, X86VCPU_FEAT_THERMAL }, { 0x1b0, 0x1b2, X86VCPU_FEAT_THERMAL },
    { 0x770, 0x777, X86VCPU_FEAT_THERMAL }, { 0x6, 0x6, X86VCPU_FEAT_MONITOR },
    { 0xc0000103u, 0xc0000103u, X86VCPU_FEAT_RDTSCP }, { 0xda0, 0xda0, X86VCPU_FEAT_XSAVES },
    { 0x1b, 0x1b, X86VCPU_FEAT_APIC },   { 0x800, 0x8ff, X86VCPU_FEAT_X2APIC },
    { 0x6e0, 0x6e0, X86VCPU_FEAT_TSC_DEADLINE },
    { 0x480, 0x493, ALWAYS },            { 0x17b, 0x17b, ALWAYS },
    { 0x280, 0x29f, ALWAYS },            { 0x400, 0x47f, ALWAYS },
};

static int ref_hidden(uint32_t features, uint32_t msr)
{
    for (unsigned i = 0; i < sizeof ref_msrs / sizeof ref_msrs[0]; i++) {
        const struct ref_range *m = &ref_msrs[i];
        if (msr < m->lo || msr > m->hi)
            continue;
        if (m->feat == ALWAYS || !x86vcpu__feat_on(features, m->feat))
            return 1;
    }
    return 0;
}

static void test_msr_hidden_matches_reference(void **state)
{
    (void)state;
    struct x86vcpu_cpuid_policy p;
    x86vcpu__cpuid_policy_init(&p);
    uint32_t sets[4 + 2 * X86VCPU_FEAT_COUNT + 3];
    unsigned n = 0;
    sets[n++] = 0;
    sets[n++] = ALLF;
    sets[n++] = X86VCPU_CPUID_DEFAULT_FEATURES;
    sets[n++] = X86VCPU_CPUID_DEFAULT_FEATURES | F(PMU);
    for (unsigned f = 0; f < X86VCPU_FEAT_COUNT; f++) {
        sets[n++] = 1u << f;
        sets[n++] = ALLF & ~(1u << f);
    }
    sets[n++] = F(PMU) | F(DS);
    sets[n++] = F(DS);
    sets[n++] = F(PMU) | F(THERMAL) | F(PT);
    unsigned hidden = 0;
    for (unsigned s = 0; s < n; s++) {
        p.features = sets[s];
        for (unsigned r = 0; r < 2; r++) {
            uint32_t base = r ? 0xc0000000u : 0;
            for (uint32_t msr = base; msr < base + 0x2000; msr++) {
                int want = ref_hidden(sets[s], msr), got = x86vcpu__msr_hidden(&p, msr);
                if (want != got)
                    fail_msg("features %#x MSR %#x: %d, reference %d", sets[s], msr, got, want);
                hidden += (unsigned)got;
            }
        }
    }
    assert_true(hidden > 0); /* the comparison saw both answers */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msr_hidden_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
