/* Unit tests: per-vCPU CPUID policy and XSAVE-area sizes. Expected values
 * come from the SDM (Vol. 2 CPUID leaf 0DH, Vol. 1 13.4) and from what real
 * CPUs report (Skylake-SP and Sapphire Rapids leaf 0DH layouts, whose sizes
 * Linux prints at boot), not from the implementation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <x86vcpu/x86vcpu.h>
#include "lib/cpuid_policy.h"

#define BIT(n) (1ull << (n))
#define CR4_OSXSAVE BIT(18)
#define CR4_PKE     BIT(22)
#define ECX1_VMX     (1u << 5)
#define ECX1_OSXSAVE (1u << 27)
#define ECX1_HV      (1u << 31)
#define ECX7_WAITPKG (1u << 5)
#define ECX7_OSPKE   (1u << 4)
#define ECX7_LA57    (1u << 16)
#define EAX71_LASS   (1u << 6)
#define EAX71_FRED   (1u << 17)
#define EAX71_LAM    (1u << 26)

typedef struct x86vcpu_cpuid_regs regs_t;

static void assert_regs(regs_t r, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    if (r.eax != a || r.ebx != b || r.ecx != c || r.edx != d)
        fail_msg("got %08x %08x %08x %08x, expected %08x %08x %08x %08x", r.eax, r.ebx, r.ecx,
                 r.edx, a, b, c, d);
}

/* ------------------------------------------------------------ layouts */

/* CPUID.(0DH,i) of a Skylake-SP: i, EAX size, EBX offset, ECX[1] align. */
static const uint32_t skx[][4] = {
    { 2, 256, 576, 0 }, { 3, 64, 960, 0 }, { 4, 64, 1024, 0 }, { 5, 64, 1088, 0 },
    { 6, 512, 1152, 0 }, { 7, 1024, 1664, 0 }, { 9, 8, 2688, 0 },
};
/* Sapphire Rapids: no MPX; PT (8) and CET (11, 12) are supervisor state
 * (offset 0); the AMX components are 64-byte aligned when compacted. */
static const uint32_t spr[][4] = {
    { 2, 256, 576, 0 }, { 5, 64, 1088, 0 }, { 6, 512, 1152, 0 }, { 7, 1024, 1664, 0 },
    { 8, 128, 0, 0 }, { 9, 8, 2688, 0 }, { 11, 16, 0, 0 }, { 12, 24, 0, 0 },
    { 17, 64, 2752, 1 }, { 18, 8192, 2816, 1 },
};

static void load(struct x86vcpu_xstate_layout *l, const uint32_t (*t)[4], size_t n)
{
    memset(l, 0xA5, sizeof(*l));
    x86vcpu__xstate_layout_init(l);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(x86vcpu__xstate_layout_add(l, t[i][0], t[i][2], t[i][1], (int)t[i][3]),
                         X86VCPU_OK);
}
#define LOAD(l, t) load((l), (t), sizeof(t) / sizeof((t)[0]))

static void test_layout_add(void **state)
{
    (void)state;
    struct x86vcpu_xstate_layout l;
    memset(&l, 0xFF, sizeof(l));
    x86vcpu__xstate_layout_init(&l);
    assert_int_equal(l.valid, 0);
    assert_int_equal(l.align64, 0);
    for (int i = 0; i < 64; i++) {
        assert_int_equal(l.offset[i], 0);
        assert_int_equal(l.size[i], 0);
    }
    /* Components 0 and 1 are in the legacy region, 63 is no component. */
    assert_int_equal(x86vcpu__xstate_layout_add(&l, 0, 0, 160, 0), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu__xstate_layout_add(&l, 1, 160, 256, 0), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu__xstate_layout_add(&l, 63, 4096, 8, 0), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu__xstate_layout_add(&l, 64, 4096, 8, 0), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu__xstate_layout_add(&l, 0xFFFFFFFFu, 4096, 8, 0), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu__xstate_layout_add(NULL, 2, 576, 256, 0), X86VCPU_EINVAL);
    assert_int_equal(l.valid, 0);
    assert_int_equal(x86vcpu__xstate_layout_add(&l, 2, 576, 256, 0), X86VCPU_OK);
    assert_int_equal(x86vcpu__xstate_layout_add(&l, 62, 9000, 64, 1), X86VCPU_OK);
    assert_int_equal(l.valid, BIT(2) | BIT(62));
    assert_int_equal(l.align64, BIT(62));
    assert_int_equal(l.offset[2], 576);
    assert_int_equal(l.size[2], 256);
    assert_int_equal(l.offset[62], 9000);
    assert_int_equal(l.size[62], 64);
    /* Adding again replaces, including the alignment bit. */
    assert_int_equal(x86vcpu__xstate_layout_add(&l, 62, 9100, 32, 0), X86VCPU_OK);
    assert_int_equal(l.align64, 0);
    assert_int_equal(l.offset[62], 9100);
    assert_int_equal(l.size[62], 32);
    /* A zeroed structure is the empty layout as well. */
    struct x86vcpu_xstate_layout z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(x86vcpu__xsave_area_size(&z, ~0ull), 576);
    assert_int_equal(x86vcpu__xsave_area_size_compacted(&z, ~0ull), 576);
}

static void test_xsave_size_standard(void **state)
{
    (void)state;
    struct x86vcpu_xstate_layout l;
    LOAD(&l, skx);
    /* 512-byte legacy region + 64-byte header when only x87/SSE. */
    assert_int_equal(x86vcpu__xsave_area_size(&l, 0x1), 576);
    assert_int_equal(x86vcpu__xsave_area_size(&l, 0x3), 576);
    /* + AVX at 576 (256 bytes). */
    assert_int_equal(x86vcpu__xsave_area_size(&l, 0x7), 832);
    /* MPX ends at 1088. */
    assert_int_equal(x86vcpu__xsave_area_size(&l, 0x1F), 1088);
    assert_int_equal(x86vcpu__xsave_area_size(&l, 0x1B), 1088);
    /* AVX-512: Hi16_ZMM ends at 2688; PKRU at 2696 (SKX 0xD.0 EBX = 0xA88). */
    assert_int_equal(x86vcpu__xsave_area_size(&l, 0xE7), 2688);
    assert_int_equal(x86vcpu__xsave_area_size(&l, 0x2FF), 2696);
    /* Standard format keeps holes: PKRU alone still sits at 2688. */
    assert_int_equal(x86vcpu__xsave_area_size(&l, 0x203), 2696);
    /* Bits without a layout entry count for nothing. */
    assert_int_equal(x86vcpu__xsave_area_size(&l, 0x7 | BIT(17) | BIT(18) | BIT(63)), 832);

    LOAD(&l, spr);
    /* SPR with AMX: XTILEDATA ends at 2816 + 8192 = 11008. */
    assert_int_equal(x86vcpu__xsave_area_size(&l, 0x602E7), 11008);
    assert_int_equal(x86vcpu__xsave_area_size(&l, 0x2E7), 2696);
    /* Supervisor components have offset 0 and never raise the size. */
    assert_int_equal(x86vcpu__xsave_area_size(&l, 0x7 | BIT(8) | BIT(11) | BIT(12)), 832);
}

static void test_xsave_size_compacted(void **state)
{
    (void)state;
    struct x86vcpu_xstate_layout l;
    LOAD(&l, skx);
    assert_int_equal(x86vcpu__xsave_area_size_compacted(&l, 0x3), 576);
    assert_int_equal(x86vcpu__xsave_area_size_compacted(&l, 0x7), 832);
    /* Linux on Skylake-SP: "xstate features 0x2ff, context size is 2568
     * bytes, using 'compacted' format". */
    assert_int_equal(x86vcpu__xsave_area_size_compacted(&l, 0x2FF), 2568);
    /* No holes: PKRU right after the header. */
    assert_int_equal(x86vcpu__xsave_area_size_compacted(&l, 0x203), 584);

    LOAD(&l, spr);
    /* Linux on Sapphire Rapids: 0x602e7 compacted is 10752 bytes (TILECFG
     * moved from 2440 to 2496, TILEDATA at 2560). */
    assert_int_equal(x86vcpu__xsave_area_size_compacted(&l, 0x602E7), 10752);
    /* Supervisor state (XCR0 | IA32_XSS): PT 128 + CET_U 16 + CET_S 24. */
    assert_int_equal(x86vcpu__xsave_area_size_compacted(&l, 0x2E7 | BIT(11) | BIT(12)),
                     576 + 256 + 64 + 512 + 1024 + 8 + 16 + 24);
    assert_int_equal(x86vcpu__xsave_area_size_compacted(&l, 0x7 | BIT(8)), 576 + 256 + 128);
    /* Alignment: 576 + 8 (PKRU) = 584, TILECFG rounded up to 640. */
    assert_int_equal(x86vcpu__xsave_area_size_compacted(&l, 0x3 | BIT(9) | BIT(17)), 704);
    /* Already aligned: no padding. */
    assert_int_equal(x86vcpu__xsave_area_size_compacted(&l, 0x3 | BIT(17)), 640);
    assert_int_equal(x86vcpu__xsave_area_size_compacted(&l, 0x3 | BIT(17) | BIT(18)),
                     576 + 64 + 8192);
}

/* ------------------------------------------------------------- policy */

static void test_policy_defaults(void **state)
{
    (void)state;
    struct x86vcpu_cpuid_policy p;
    memset(&p, 0xA5, sizeof(p));
    x86vcpu__cpuid_policy_init(&p);
    assert_memory_equal(p.vendor, "x86vcpuVMXhv", 12);
    int used = 0;
    for (int i = 0; i < X86VCPU_CPUID_OVERRIDES; i++)
        used += p.ov[i].used != 0;
    assert_int_equal(used, 0); /* the allow-list hides; no default override */
    /* Leaf 7.0: WAITPKG and LA57 hidden (test_cpuid_features has every bit). */
    regs_t r = { 0x2, 0xF3BFB7EFu, 0xFFFFFFFFu, 0xBC040412u };
    x86vcpu__cpuid_policy_apply(&p, 7, 0, 0, 1, 0, NULL, &r);
    assert_int_equal(r.ecx & (ECX7_WAITPKG | ECX7_LA57 | ECX7_OSPKE), 0);
    /* Leaf 7.1: LASS, FRED and LAM hidden (their CR4 bits are reserved). */
    r = (regs_t){ 0xFFFFFFFFu, 0x1, 0x2, 0x3 };
    x86vcpu__cpuid_policy_apply(&p, 7, 1, 0, 1, 0, NULL, &r);
    assert_int_equal(r.eax & (EAX71_LASS | EAX71_FRED | EAX71_LAM), 0);
    /* Subleaves of leaf 7 past 1 (speculation controls) read 0. */
    r = (regs_t){ 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu };
    x86vcpu__cpuid_policy_apply(&p, 7, 2, 0, 1, 0, NULL, &r);
    assert_regs(r, 0, 0, 0, 0);
    /* Leaves without feature flags pass through. */
    const uint32_t leaves[] = { 0, 2, 4, 0xB, 0x15, 0x80000000u, 0x80000002u };
    for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
        r = (regs_t){ 0x11111111u, 0x22222222u, 0x33333333u, 0x44444444u };
        x86vcpu__cpuid_policy_apply(&p, leaves[i], 0, ~0ull, ~0ull, ~0ull, NULL, &r);
        assert_regs(r, 0x11111111u, 0x22222222u, 0x33333333u, 0x44444444u);
    }
}

static void test_apply_leaf1(void **state)
{
    (void)state;
    struct x86vcpu_cpuid_policy p;
    x86vcpu__cpuid_policy_init(&p);
    /* VMX hidden, hypervisor-present bit set, OSXSAVE = guest CR4.OSXSAVE. */
    /* (and the allow-list: 0x7FFA3203 / 0x1F8BFBFF of the default set.) */
    regs_t r = { 0x000906EAu, 0x04100800u, 0x7FFAFBFFu, 0xBFEBFBFFu };
    x86vcpu__cpuid_policy_apply(&p, 1, 0, 0, 1, 0, NULL, &r);
    assert_regs(r, 0x000906EAu, 0x04100800u,
                (0x7FFA3203u & ~(ECX1_VMX | ECX1_OSXSAVE)) | ECX1_HV, 0x1F8BFBFFu);
    r = (regs_t){ 0x000906EAu, 0x04100800u, 0x7FFAFBFFu & ~ECX1_OSXSAVE, 0xBFEBFBFFu };
    x86vcpu__cpuid_policy_apply(&p, 1, 0, CR4_OSXSAVE, 1, 0, NULL, &r);
    assert_regs(r, 0x000906EAu, 0x04100800u, (0x7FFA3203u & ~ECX1_VMX) | ECX1_OSXSAVE | ECX1_HV,
                0x1F8BFBFFu);
    /* Leaf 1 ignores ECX: any subleaf gives the same answer. */
    r = (regs_t){ 0, 0, ECX1_VMX, 0 };
    x86vcpu__cpuid_policy_apply(&p, 1, 0x1234, 0, 1, 0, NULL, &r);
    assert_regs(r, 0, 0, ECX1_HV, 0);
}

static void test_apply_ospke(void **state)
{
    (void)state;
    struct x86vcpu_cpuid_policy p;
    x86vcpu__cpuid_policy_init(&p);
    /* CPUID.(07H,0):ECX.OSPKE[4] reads the guest's CR4.PKE, not the host's. */
    regs_t r = { 0, 0, ECX7_OSPKE | 0x8, 0 };
    x86vcpu__cpuid_policy_apply(&p, 7, 0, 0, 1, 0, NULL, &r);
    assert_regs(r, 0, 0, 0x8, 0);
    r = (regs_t){ 0, 0, 0x8, 0 };
    x86vcpu__cpuid_policy_apply(&p, 7, 0, CR4_PKE, 1, 0, NULL, &r);
    assert_regs(r, 0, 0, 0x8 | ECX7_OSPKE, 0);
    /* Subleaf 1 has no OSPKE bit. */
    r = (regs_t){ 0, 0, 0, 0 };
    x86vcpu__cpuid_policy_apply(&p, 7, 1, CR4_PKE, 1, 0, NULL, &r);
    assert_regs(r, 0, 0, 0, 0);
}

static void test_apply_hv_leaves(void **state)
{
    (void)state;
    struct x86vcpu_cpuid_policy p;
    x86vcpu__cpuid_policy_init(&p);
    /* Leaf 0x40000000: max leaf, then the signature in EBX, ECX, EDX with
     * the first character in the low byte; host registers are ignored. */
    regs_t r = { 0xCCCCCCCCu, 0xCCCCCCCCu, 0xCCCCCCCCu, 0xCCCCCCCCu };
    x86vcpu__cpuid_policy_apply(&p, 0x40000000u, 0, 0, 1, 0, NULL, &r);
    assert_regs(r, 0x40000001u, 0x76363878u /* "x86v" */, 0x56757063u /* "cpuV" */,
                0x7668584Du /* "MXhv" */);
    r = (regs_t){ 0xCCCCCCCCu, 0xCCCCCCCCu, 0xCCCCCCCCu, 0xCCCCCCCCu };
    x86vcpu__cpuid_policy_apply(&p, 0x40000001u, 0, 0, 1, 0, NULL, &r);
    assert_regs(r, 0, 0, 0, 0);
    r = (regs_t){ 0xCCCCCCCCu, 0xCCCCCCCCu, 0xCCCCCCCCu, 0xCCCCCCCCu };
    x86vcpu__cpuid_policy_apply(&p, 0x4FFFFFFFu, 7, 0, 1, 0, NULL, &r);
    assert_regs(r, 0, 0, 0, 0);
    /* The embedder's vendor. */
    memcpy(p.vendor, "KVMKVMKVM\0\0\0", 12);
    x86vcpu__cpuid_policy_apply(&p, 0x40000000u, 0, 0, 1, 0, NULL, &r);
    assert_regs(r, 0x40000001u, 0x4B4D564Bu, 0x564B4D56u, 0x0000004Du);
}

static void test_apply_leaf_d(void **state)
{
    (void)state;
    struct x86vcpu_cpuid_policy p;
    x86vcpu__cpuid_policy_init(&p);
    struct x86vcpu_xstate_layout l;
    LOAD(&l, spr);
    /* Subleaf 0: EBX is the size for the guest's XCR0, whatever the host's
     * XCR0 made it; EAX/ECX/EDX stay the host's. */
    const regs_t host0 = { 0x000602E7u, 11008, 11008, 0 };
    const struct { uint64_t xcr0; uint32_t ebx; } cases[] = {
        { 0x1, 576 }, { 0x3, 576 }, { 0x7, 832 }, { 0xE7, 2688 }, { 0x2E7, 2696 },
        { 0x602E7, 11008 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        regs_t r = host0;
        x86vcpu__cpuid_policy_apply(&p, 0xD, 0, CR4_OSXSAVE, cases[i].xcr0, 0, &l, &r);
        assert_regs(r, host0.eax, cases[i].ebx, host0.ecx, host0.edx);
    }
    /* Subleaf 1 with XSAVES (EAX[3]): compacted size of XCR0 | IA32_XSS. */
    const regs_t host1 = { 0x1F, 99999, 0x1900, 0 };
    regs_t r = host1;
    x86vcpu__cpuid_policy_apply(&p, 0xD, 1, CR4_OSXSAVE, 0x602E7, 0, &l, &r);
    /* (XFD, EAX[4], is hidden.) */
    assert_regs(r, 0xF, 10752, host1.ecx, host1.edx);
    r = host1;
    x86vcpu__cpuid_policy_apply(&p, 0xD, 1, CR4_OSXSAVE, 0x7, BIT(11) | BIT(12), &l, &r);
    assert_regs(r, 0xF, 576 + 256 + 16 + 24, host1.ecx, host1.edx);
    /* XSAVEC alone (EAX[1]) also gives the compacted size, of XCR0. */
    r = (regs_t){ 0x7, 1234, 0, 0 };
    x86vcpu__cpuid_policy_apply(&p, 0xD, 1, CR4_OSXSAVE, 0x7, 0, &l, &r);
    assert_regs(r, 0x7, 576 + 256, 0, 0);
    /* Without XSAVEC and XSAVES the host's EBX stays. */
    const regs_t host1n = { 0x1, 1234, 0, 0 };
    r = host1n;
    x86vcpu__cpuid_policy_apply(&p, 0xD, 1, CR4_OSXSAVE, 0x7, 0, &l, &r);
    assert_regs(r, 0x1, 1234, 0, 0);
    /* Component subleaves are the host's. */
    const regs_t host2 = { 256, 576, 0, 0 };
    r = host2;
    x86vcpu__cpuid_policy_apply(&p, 0xD, 2, CR4_OSXSAVE, 0x3, 0, &l, &r);
    assert_regs(r, 256, 576, 0, 0);
    /* No XSAVE on the host (leaf 0DH all zeros), or no layout: untouched. */
    r = (regs_t){ 0, 0, 0, 0 };
    x86vcpu__cpuid_policy_apply(&p, 0xD, 0, 0, 0x7, 0, &l, &r);
    assert_regs(r, 0, 0, 0, 0);
    r = host0;
    x86vcpu__cpuid_policy_apply(&p, 0xD, 0, CR4_OSXSAVE, 0x7, 0, NULL, &r);
    assert_regs(r, host0.eax, host0.ebx, host0.ecx, host0.edx);
}

static int count_used(const struct x86vcpu_cpuid_policy *p)
{
    int n = 0;
    for (int i = 0; i < X86VCPU_CPUID_OVERRIDES; i++)
        n += p->ov[i].used != 0;
    return n;
}

static void test_set_replace_remove(void **state)
{
    (void)state;
    struct x86vcpu_cpuid_policy p;
    x86vcpu__cpuid_policy_init(&p);
    const uint32_t set1[4] = { 0, 0, 1u << 0, 0 };
    const uint32_t set2[4] = { 0, 0, 1u << 1, 0 };
    const uint32_t none[4] = { 0, 0, 0, 0 };
    assert_int_equal(x86vcpu__cpuid_policy_set(&p, 0x80000001u, X86VCPU_CPUID_ANY_SUBLEAF, set1,
                                               NULL), X86VCPU_OK);
    assert_int_equal(count_used(&p), 1);
    /* Same leaf and subleaf: replaced, not added. */
    assert_int_equal(x86vcpu__cpuid_policy_set(&p, 0x80000001u, X86VCPU_CPUID_ANY_SUBLEAF, set2,
                                               NULL), X86VCPU_OK);
    assert_int_equal(count_used(&p), 1);
    regs_t r = { 0, 0, 0, 0 };
    x86vcpu__cpuid_policy_apply(&p, 0x80000001u, 0, 0, 1, 0, NULL, &r);
    assert_regs(r, 0, 0, 1u << 1, 0);
    /* Fill every slot. */
    for (uint32_t leaf = 0x100; count_used(&p) < X86VCPU_CPUID_OVERRIDES; leaf++)
        assert_int_equal(x86vcpu__cpuid_policy_set(&p, leaf, 0, set1, NULL), X86VCPU_OK);
    assert_int_equal(x86vcpu__cpuid_policy_set(&p, 0x200, 0, set1, NULL), X86VCPU_ENOMEM);
    /* Replacing still works when full. */
    assert_int_equal(x86vcpu__cpuid_policy_set(&p, 0x100, 0, set2, NULL), X86VCPU_OK);
    /* All-zero set and clear removes, freeing a slot. */
    assert_int_equal(x86vcpu__cpuid_policy_set(&p, 0x100, 0, none, none), X86VCPU_OK);
    assert_int_equal(count_used(&p), X86VCPU_CPUID_OVERRIDES - 1);
    assert_int_equal(x86vcpu__cpuid_policy_set(&p, 0x200, 0, set1, NULL), X86VCPU_OK);
    assert_int_equal(count_used(&p), X86VCPU_CPUID_OVERRIDES);
    /* Removing an entry that does not exist is fine. */
    assert_int_equal(x86vcpu__cpuid_policy_set(&p, 0x300, 0, NULL, NULL), X86VCPU_OK);
    assert_int_equal(x86vcpu__cpuid_policy_set(NULL, 1, 0, set1, NULL), X86VCPU_EINVAL);

    /* An override shows what the allow-list hides (LA57, WAITPKG). */
    x86vcpu__cpuid_policy_init(&p);
    assert_int_equal(count_used(&p), 0);
    const uint32_t show[4] = { 0, 0, ECX7_LA57 | ECX7_WAITPKG, 0 };
    assert_int_equal(x86vcpu__cpuid_policy_set(&p, 7, 0, show, NULL), X86VCPU_OK);
    r = (regs_t){ 0, 0, ECX7_LA57 | ECX7_WAITPKG, 0 };
    x86vcpu__cpuid_policy_apply(&p, 7, 0, 0, 1, 0, NULL, &r);
    assert_regs(r, 0, 0, ECX7_LA57 | ECX7_WAITPKG, 0);
    /* Replacing it changes what is shown. */
    const uint32_t show_la57[4] = { 0, 0, ECX7_LA57, 0 };
    assert_int_equal(x86vcpu__cpuid_policy_set(&p, 7, 0, show_la57, NULL), X86VCPU_OK);
    r = (regs_t){ 0, 0, ECX7_LA57 | ECX7_WAITPKG, 0 };
    x86vcpu__cpuid_policy_apply(&p, 7, 0, 0, 1, 0, NULL, &r);
    assert_regs(r, 0, 0, ECX7_LA57, 0);
}

static void test_override_semantics(void **state)
{
    (void)state;
    struct x86vcpu_cpuid_policy p;
    x86vcpu__cpuid_policy_init(&p);
    /* r = (r & ~clear) | set, per register; set wins where both name a bit. */
    const uint32_t set[4] = { 0x1, 0x10, 0x100, 0x1000 };
    const uint32_t clear[4] = { 0xF0, 0xF00, 0xF000, 0x1000 };
    assert_int_equal(x86vcpu__cpuid_policy_set(&p, 0x80000007u, X86VCPU_CPUID_ANY_SUBLEAF, set,
                                               clear), X86VCPU_OK);
    regs_t r = { 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu };
    x86vcpu__cpuid_policy_apply(&p, 0x80000007u, 5, 0, 1, 0, NULL, &r);
    /* (after the allow-list: only EDX[8], invariant TSC, is shown) */
    assert_regs(r, 0x1, 0x10, 0x100, 0x1100);
    r = (regs_t){ 0, 0, 0, 0 };
    x86vcpu__cpuid_policy_apply(&p, 0x80000007u, 0, 0, 1, 0, NULL, &r);
    assert_regs(r, 0x1, 0x10, 0x100, 0x1000);
    /* Other leaves are not touched. */
    r = (regs_t){ 0, 0, 0, 0 };
    x86vcpu__cpuid_policy_apply(&p, 0x80000008u, 0, 0, 1, 0, NULL, &r);
    assert_regs(r, 0, 0, 0, 0);

    /* Exact subleaf beats any-subleaf; other subleaves get the any entry. */
    const uint32_t any_set[4] = { 0xAAAA, 0, 0, 0 };
    const uint32_t one_clear[4] = { 0xA000, 0, 0, 0 };
    const uint32_t one_set[4] = { 0x0005, 0, 0, 0 };
    assert_int_equal(x86vcpu__cpuid_policy_set(&p, 0x14, 1, one_set, one_clear), X86VCPU_OK);
    assert_int_equal(x86vcpu__cpuid_policy_set(&p, 0x14, X86VCPU_CPUID_ANY_SUBLEAF, any_set, NULL),
                     X86VCPU_OK);
    r = (regs_t){ 0, 0, 0, 0 };
    x86vcpu__cpuid_policy_apply(&p, 0x14, 1, 0, 1, 0, NULL, &r);
    assert_regs(r, 0x0AAF, 0, 0, 0);
    r = (regs_t){ 0, 0, 0, 0 };
    x86vcpu__cpuid_policy_apply(&p, 0x14, 0, 0, 1, 0, NULL, &r);
    assert_regs(r, 0xAAAA, 0, 0, 0);

    /* Overrides win over the built-in leaf-1 filter... */
    const uint32_t vmx_on[4] = { 0, 0, ECX1_VMX, 0 };
    const uint32_t hv_off[4] = { 0, 0, ECX1_HV | ECX1_OSXSAVE, 0 };
    assert_int_equal(x86vcpu__cpuid_policy_set(&p, 1, X86VCPU_CPUID_ANY_SUBLEAF, vmx_on, hv_off),
                     X86VCPU_OK);
    r = (regs_t){ 0, 0, ECX1_VMX, 0 };
    x86vcpu__cpuid_policy_apply(&p, 1, 0, CR4_OSXSAVE, 1, 0, NULL, &r);
    assert_regs(r, 0, 0, ECX1_VMX, 0);
    /* ...over the leaf-0DH size... */
    struct x86vcpu_xstate_layout l;
    LOAD(&l, skx);
    const uint32_t ebx_set[4] = { 0, 4096, 0, 0 };
    const uint32_t ebx_clear[4] = { 0, 0xFFFFFFFFu, 0, 0 };
    assert_int_equal(x86vcpu__cpuid_policy_set(&p, 0xD, 0, ebx_set, ebx_clear), X86VCPU_OK);
    r = (regs_t){ 0x2FF, 2696, 2696, 0 };
    x86vcpu__cpuid_policy_apply(&p, 0xD, 0, CR4_OSXSAVE, 0x7, 0, &l, &r);
    assert_regs(r, 0x2FF, 4096, 2696, 0);
    /* ...and over the hypervisor leaves. */
    const uint32_t feat[4] = { 0x3, 0, 0, 0 };
    const uint32_t maxleaf_clear[4] = { 0xFFFFFFFFu, 0, 0, 0 };
    const uint32_t maxleaf_set[4] = { 0x40000010u, 0, 0, 0 };
    assert_int_equal(x86vcpu__cpuid_policy_set(&p, 0x40000001u, X86VCPU_CPUID_ANY_SUBLEAF, feat,
                                               NULL), X86VCPU_OK);
    assert_int_equal(x86vcpu__cpuid_policy_set(&p, 0x40000000u, X86VCPU_CPUID_ANY_SUBLEAF,
                                               maxleaf_set, maxleaf_clear), X86VCPU_OK);
    r = (regs_t){ 0xCC, 0xCC, 0xCC, 0xCC };
    x86vcpu__cpuid_policy_apply(&p, 0x40000001u, 0, 0, 1, 0, NULL, &r);
    assert_regs(r, 0x3, 0, 0, 0);
    x86vcpu__cpuid_policy_apply(&p, 0x40000000u, 0, 0, 1, 0, NULL, &r);
    assert_regs(r, 0x40000010u, 0x76363878u, 0x56757063u, 0x7668584Du);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_add),
        cmocka_unit_test(test_xsave_size_standard),
        cmocka_unit_test(test_xsave_size_compacted),
        cmocka_unit_test(test_policy_defaults),
        cmocka_unit_test(test_apply_leaf1),
        cmocka_unit_test(test_apply_ospke),
        cmocka_unit_test(test_apply_hv_leaves),
        cmocka_unit_test(test_apply_leaf_d),
        cmocka_unit_test(test_set_replace_remove),
        cmocka_unit_test(test_override_semantics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
