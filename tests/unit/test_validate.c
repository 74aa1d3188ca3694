/* Unit tests: validity of guest writes to CR0, CR3, CR4 (MOV to CR, LMSW)
 * and XCR0 (XSETBV). Expected results come from the Intel SDM (Vol. 2 "MOV—
 * Move to/from Control Registers", "LMSW", "XSETBV"; Vol. 3A 2.5, 4.1.2,
 * 4.10.1; Vol. 1 13.3), not from the implementation: every fault rule has a
 * faulting case and a valid counterpart. */
#include "lib/arch.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <x86vcpu/x86vcpu.h>
#include "lib/validate.h"


/* CR0 (SDM Vol. 3A Figure 2-7). */

/* CR4. */


#define GP X86VCPU_VEC_GP
#define UD X86VCPU_VEC_UD

/* CPUID feature flags (SDM Vol. 2 CPUID, Tables 3-10, 3-11 and leaf 07H). */
enum { R1_ECX, R1_EDX, R7_EBX, R7_ECX, R7_EDX };
struct feature { const char *name; uint64_t cr4; int reg; uint32_t bit; };
static const struct feature features[] = {
    { "VME",      CR4_VME,        R1_EDX, 1u << 1 },
    { "PVI",      CR4_PVI,        R1_EDX, 1u << 1 },  /* PVI is part of VME */
    { "TSD",      CR4_TSD,        R1_EDX, 1u << 4 },  /* TSC */
    { "DE",       CR4_DE,         R1_EDX, 1u << 2 },
    { "PSE",      CR4_PSE,        R1_EDX, 1u << 3 },
    { "PAE",      CR4_PAE,        R1_EDX, 1u << 6 },
    { "MCE",      CR4_MCE,        R1_EDX, 1u << 7 },
    { "PGE",      CR4_PGE,        R1_EDX, 1u << 13 },
    { "OSFXSR",   CR4_OSFXSR,     R1_EDX, 1u << 24 }, /* FXSR */
    { "OSXMMEXCPT", CR4_OSXMMEXCPT, R1_EDX, 1u << 25 }, /* SSE */
    { "UMIP",     CR4_UMIP,       R7_ECX, 1u << 2 },
    { "LA57",     CR4_LA57,       R7_ECX, 1u << 16 },
    { "VMXE",     CR4_VMXE,       R1_ECX, 1u << 5 },
    { "SMXE",     CR4_SMXE,       R1_ECX, 1u << 6 },
    { "FSGSBASE", CR4_FSGSBASE,   R7_EBX, 1u << 0 },
    { "PCIDE",    CR4_PCIDE,      R1_ECX, 1u << 17 },
    { "OSXSAVE",  CR4_OSXSAVE,    R1_ECX, 1u << 26 }, /* XSAVE */
    { "KL",       CR4_KL,         R7_ECX, 1u << 23 },
    { "SMEP",     CR4_SMEP,       R7_EBX, 1u << 7 },
    { "SMAP",     CR4_SMAP,       R7_EBX, 1u << 20 },
    { "PKE",      CR4_PKE,        R7_ECX, 1u << 3 },  /* PKU */
    { "CET",      CR4_CET,        R7_ECX, 1u << 7 },  /* CET_SS */
    { "PKS",      CR4_PKS,        R7_ECX, 1u << 31 },
    { "UINTR",    CR4_UINTR,      R7_EDX, 1u << 5 },
};
#define NFEATURES (sizeof(features) / sizeof(features[0]))

static uint32_t *feature_reg(struct x86vcpu_cr_ctx *c, int reg)
{
    switch (reg) {
    case R1_ECX: return &c->cpuid1_ecx;
    case R1_EDX: return &c->cpuid1_edx;
    case R7_EBX: return &c->cpuid7_ebx;
    case R7_ECX: return &c->cpuid7_ecx;
    default:     return &c->cpuid7_edx;
    }
}

/* Every feature of the table reported (VMX included). */
static void all_features(struct x86vcpu_cr_ctx *c)
{
    for (size_t i = 0; i < NFEATURES; i++)
        *feature_reg(c, features[i].reg) |= features[i].bit;
}

#define CR4_ALL_DEFINED 0x03FF7FFFull /* bits 14:0 and 25:16 */

/* Guest states. The upper bits of `val` fill the CPUID registers with
 * unrelated bits too, so that only the named ones matter. */
static struct x86vcpu_cr_ctx ctx_real(void)
{
    struct x86vcpu_cr_ctx c;
    memset(&c, 0, sizeof(c));
    c.cr0 = CR0_ET | CR0_CD | CR0_NW; /* reset value 60000010H */
    c.maxphyaddr = 39;
    all_features(&c);
    return c;
}

static struct x86vcpu_cr_ctx ctx_prot(void)
{
    struct x86vcpu_cr_ctx c = ctx_real();
    c.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP;
    return c;
}

static struct x86vcpu_cr_ctx ctx_pae_paging(void)
{
    struct x86vcpu_cr_ctx c = ctx_prot();
    c.cr0 |= CR0_PG;
    c.cr4 = CR4_PAE;
    c.cr3 = 0x1000;
    return c;
}

static struct x86vcpu_cr_ctx ctx_long64(void)
{
    struct x86vcpu_cr_ctx c = ctx_prot();
    c.cr0 |= CR0_PG;
    c.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    c.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
    c.cr3 = 0x1000;
    c.long_mode_active = 1;
    c.cs_l = 1;
    return c;
}

static struct x86vcpu_cr_ctx ctx_compat(void)
{
    struct x86vcpu_cr_ctx c = ctx_long64();
    c.cs_l = 0;
    return c;
}

#define POISON 0xDEADBEEFCAFEF00Dull

static int cr0(const struct x86vcpu_cr_ctx *c, uint64_t val, uint64_t *out)
{
    *out = POISON;
    int rc = x86vcpu__check_cr0_write(c, val, out);
    if (rc)
        assert_int_equal(*out, POISON); /* untouched on a fault */
    return rc;
}

static int cr4(const struct x86vcpu_cr_ctx *c, uint64_t val, uint64_t *out)
{
    *out = POISON;
    int rc = x86vcpu__check_cr4_write(c, val, out);
    if (rc)
        assert_int_equal(*out, POISON);
    return rc;
}

static int cr3(const struct x86vcpu_cr_ctx *c, uint64_t val, uint64_t *out)
{
    *out = POISON;
    int rc = x86vcpu__check_cr3_write(c, val, out);
    if (rc)
        assert_int_equal(*out, POISON);
    return rc;
}

/* ================================================================== CR0 */

static void test_vectors(void **state)
{
    (void)state;
    /* SDM Vol. 3A Table 6-1: #UD is vector 6, #GP vector 13. */
    assert_int_equal(X86VCPU_VEC_UD, 6);
    assert_int_equal(X86VCPU_VEC_GP, 13);
}

static void test_cr0_upper_bits(void **state)
{
    (void)state;
    uint64_t out;
    /* 64-bit mode: any of CR0[63:32] set is #GP(0). */
    struct x86vcpu_cr_ctx c = ctx_long64();
    for (int b = 32; b < 64; b++)
        assert_int_equal(cr0(&c, c.cr0 | BIT(b), &out), GP);
    assert_int_equal(cr0(&c, c.cr0, &out), 0);
    assert_int_equal(out, c.cr0);
    /* Outside 64-bit mode the operand is 32 bits: the upper half of the
     * register does not reach CR0 and cannot fault. */
    struct x86vcpu_cr_ctx k = ctx_compat();
    assert_int_equal(cr0(&k, k.cr0 | 0xFFFFFFFF00000000ull, &out), 0);
    assert_int_equal(out, k.cr0);
    struct x86vcpu_cr_ctx p = ctx_prot();
    assert_int_equal(cr0(&p, p.cr0 | BIT(63) | BIT(32), &out), 0);
    assert_int_equal(out, p.cr0);
    struct x86vcpu_cr_ctx r = ctx_real();
    assert_int_equal(cr0(&r, 0xFFFFFFFF00000000ull | CR0_ET, &out), 0);
    assert_int_equal(out, CR0_ET);
    /* LMA = 1 but CS.L = 0 is compatibility mode, not 64-bit mode; CS.L = 1
     * with LMA = 0 is not 64-bit mode either. */
    struct x86vcpu_cr_ctx q = ctx_prot();
    q.cs_l = 1;
    q.efer = 0;
    assert_int_equal(cr0(&q, q.cr0 | BIT(40), &out), 0);
}

static void test_cr0_reserved_low_bits_ignored(void **state)
{
    (void)state;
    uint64_t out;
    /* Setting reserved bits of CR0[31:0] is ignored: they stay 0. ET stays
     * 1 whatever is written (Vol. 2 MOV CR). */
    const uint64_t reserved = 0x1FFAFFC0ull; /* 28:19, 17, 15:6 */
    struct x86vcpu_cr_ctx c = ctx_long64();
    assert_int_equal(cr0(&c, c.cr0 | reserved, &out), 0);
    assert_int_equal(out, c.cr0);
    for (int b = 6; b < 29; b++) {
        if (!(reserved & BIT(b)))
            continue;
        assert_int_equal(cr0(&c, c.cr0 | BIT(b), &out), 0);
        assert_int_equal(out, c.cr0);
    }
    assert_int_equal(cr0(&c, c.cr0 & ~CR0_ET, &out), 0);
    assert_int_equal(out, c.cr0);
    struct x86vcpu_cr_ctx r = ctx_real();
    assert_int_equal(cr0(&r, 0, &out), 0);
    assert_int_equal(out, CR0_ET);
    /* Every defined bit is kept as written. */
    uint64_t all = CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM |
                   CR0_NW | CR0_CD | CR0_PG;
    assert_int_equal(all, 0xE005003Full);
    assert_int_equal(cr0(&c, all, &out), 0);
    assert_int_equal(out, all);
    assert_int_equal(cr0(&c, 0xFFFFFFFFull, &out), 0);
    assert_int_equal(out, all);
}

static void test_cr0_pg_without_pe(void **state)
{
    (void)state;
    uint64_t out;
    /* PG = 1 with PE = 0 is an invalid combination: #GP(0) from real mode,
     * protected mode, with paging already on, and with CD/NW valid. */
    struct x86vcpu_cr_ctx r = ctx_real();
    assert_int_equal(cr0(&r, CR0_ET | CR0_PG, &out), GP);
    assert_int_equal(cr0(&r, CR0_ET | CR0_PG | CR0_CD, &out), GP);
    struct x86vcpu_cr_ctx p = ctx_prot();
    assert_int_equal(cr0(&p, (p.cr0 | CR0_PG) & ~CR0_PE, &out), GP);
    struct x86vcpu_cr_ctx g = ctx_pae_paging();
    assert_int_equal(cr0(&g, g.cr0 & ~CR0_PE, &out), GP);
    /* Valid counterparts: PG with PE, and PE without PG. */
    assert_int_equal(cr0(&r, CR0_ET | CR0_PE | CR0_PG, &out), 0);
    assert_int_equal(out, CR0_ET | CR0_PE | CR0_PG);
    assert_int_equal(cr0(&r, CR0_ET | CR0_PE, &out), 0);
    assert_int_equal(cr0(&p, p.cr0 | CR0_PG, &out), 0);
    assert_int_equal(out, p.cr0 | CR0_PG);
    /* Clearing PE and PG together leaves protected mode: fine. */
    assert_int_equal(cr0(&g, g.cr0 & ~(CR0_PE | CR0_PG), &out), 0);
    assert_int_equal(out, g.cr0 & ~(CR0_PE | CR0_PG));
}

static void test_cr0_nw_without_cd(void **state)
{
    (void)state;
    uint64_t out;
    /* NW = 1 with CD = 0 is invalid (#GP(0)) in every mode. */
    struct x86vcpu_cr_ctx cs[] = { ctx_real(), ctx_prot(), ctx_long64(), ctx_compat() };
    for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
        uint64_t base = cs[i].cr0 & ~(CR0_CD | CR0_NW);
        assert_int_equal(cr0(&cs[i], base | CR0_NW, &out), GP);
        /* Valid: both set, CD alone, neither. */
        assert_int_equal(cr0(&cs[i], base | CR0_NW | CR0_CD, &out), 0);
        assert_int_equal(out, base | CR0_NW | CR0_CD);
        assert_int_equal(cr0(&cs[i], base | CR0_CD, &out), 0);
        assert_int_equal(out, base | CR0_CD);
        assert_int_equal(cr0(&cs[i], base, &out), 0);
        assert_int_equal(out, base);
    }
}

static void test_cr0_enable_ia32e(void **state)
{
    (void)state;
    uint64_t out;
    /* Protected mode, paging off, EFER.LME = 1: setting PG activates
     * IA-32e mode, which needs CR4.PAE = 1 (SDM 4.1.2). */
    struct x86vcpu_cr_ctx c = ctx_prot();
    c.efer = EFER_LME;
    assert_int_equal(cr0(&c, c.cr0 | CR0_PG, &out), GP);
    c.cr4 = CR4_PAE;
    assert_int_equal(cr0(&c, c.cr0 | CR0_PG, &out), 0);
    assert_int_equal(out, c.cr0 | CR0_PG);
    /* With LME = 0, PG without PAE is plain 32-bit paging: fine. */
    c.efer = 0;
    c.cr4 = 0;
    assert_int_equal(cr0(&c, c.cr0 | CR0_PG, &out), 0);
    /* PE and PG set together from real mode with LME = 1 and PAE = 0. */
    struct x86vcpu_cr_ctx r = ctx_real();
    r.efer = EFER_LME;
    assert_int_equal(cr0(&r, CR0_ET | CR0_PE | CR0_PG, &out), GP);
    r.cr4 = CR4_PAE;
    assert_int_equal(cr0(&r, CR0_ET | CR0_PE | CR0_PG, &out), 0);
    /* Activating IA-32e mode while CS.L = 1 or TR references a 16-bit TSS
     * is #GP(0) (MOV CR protected-mode exceptions). */
    struct x86vcpu_cr_ctx l = ctx_prot();
    l.efer = EFER_LME;
    l.cr4 = CR4_PAE;
    l.cs_l = 1;
    assert_int_equal(cr0(&l, l.cr0 | CR0_PG, &out), GP);
    l.cs_l = 0;
    l.tr_16bit = 1;
    assert_int_equal(cr0(&l, l.cr0 | CR0_PG, &out), GP);
    l.tr_16bit = 0;
    assert_int_equal(cr0(&l, l.cr0 | CR0_PG, &out), 0);
    /* Neither matters when paging is enabled without LME. */
    l.efer = 0;
    l.cs_l = 1;
    l.tr_16bit = 1;
    assert_int_equal(cr0(&l, l.cr0 | CR0_PG, &out), 0);
}

static void test_cr0_clear_pg(void **state)
{
    (void)state;
    uint64_t out;
    /* 64-bit mode: clearing PG is #GP(0), with or without PE. */
    struct x86vcpu_cr_ctx c = ctx_long64();
    assert_int_equal(cr0(&c, c.cr0 & ~CR0_PG, &out), GP);
    assert_int_equal(cr0(&c, c.cr0 & ~(CR0_PG | CR0_PE), &out), GP);
    /* Compatibility mode: clearing PG leaves IA-32e mode, allowed... */
    struct x86vcpu_cr_ctx k = ctx_compat();
    assert_int_equal(cr0(&k, k.cr0 & ~CR0_PG, &out), 0);
    assert_int_equal(out, k.cr0 & ~CR0_PG);
    /* ...unless CR4.PCIDE = 1. */
    k.cr4 |= CR4_PCIDE;
    assert_int_equal(cr0(&k, k.cr0 & ~CR0_PG, &out), GP);
    /* Writes that keep PG in 64-bit mode are fine, PCIDE or not. */
    c.cr4 |= CR4_PCIDE;
    assert_int_equal(cr0(&c, c.cr0 | CR0_TS, &out), 0);
    assert_int_equal(out, c.cr0 | CR0_TS);
    /* Outside IA-32e mode, disabling paging is always possible. */
    struct x86vcpu_cr_ctx g = ctx_pae_paging();
    assert_int_equal(cr0(&g, g.cr0 & ~CR0_PG, &out), 0);
    assert_int_equal(out, g.cr0 & ~CR0_PG);
}

static void test_cr0_wp_and_cet(void **state)
{
    (void)state;
    uint64_t out;
    /* CR0.WP cannot be cleared while CR4.CET = 1 (SDM 2.5). */
    struct x86vcpu_cr_ctx c = ctx_long64();
    c.cr4 |= CR4_CET;
    assert_int_equal(cr0(&c, c.cr0 & ~CR0_WP, &out), GP);
    assert_int_equal(cr0(&c, c.cr0 | CR0_TS, &out), 0);
    c.cr4 &= ~CR4_CET;
    assert_int_equal(cr0(&c, c.cr0 & ~CR0_WP, &out), 0);
    assert_int_equal(out, c.cr0 & ~CR0_WP);
    struct x86vcpu_cr_ctx p = ctx_prot();
    p.cr4 = CR4_CET;
    assert_int_equal(cr0(&p, p.cr0 & ~CR0_WP, &out), GP);
}

static void test_cr0_clts_like_writes(void **state)
{
    (void)state;
    uint64_t out;
    /* Ordinary flag toggles that no rule forbids. */
    struct x86vcpu_cr_ctx c = ctx_long64();
    const uint64_t flags[] = { CR0_MP, CR0_EM, CR0_TS, CR0_NE, CR0_AM, CR0_CD };
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        assert_int_equal(cr0(&c, c.cr0 ^ flags[i], &out), 0);
        assert_int_equal(out, c.cr0 ^ flags[i]);
    }
    /* Writing the current value is always valid. */
    struct x86vcpu_cr_ctx cs[] = { ctx_real(), ctx_prot(), ctx_pae_paging(), ctx_long64(),
                                   ctx_compat() };
    for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
        assert_int_equal(cr0(&cs[i], cs[i].cr0, &out), 0);
        assert_int_equal(out, cs[i].cr0);
    }
}

static void test_lmsw(void **state)
{
    (void)state;
    /* LMSW loads PE, MP, EM, TS (bits 3:0) only; it can set PE but not
     * clear it (Vol. 2 LMSW). */
    uint64_t real = CR0_ET | CR0_CD | CR0_NW;
    assert_int_equal(x86vcpu__lmsw_value(real, 0x0001), real | CR0_PE);
    assert_int_equal(x86vcpu__lmsw_value(real, 0x000F), real | 0xF);
    assert_int_equal(x86vcpu__lmsw_value(real, 0xFFF0), real);
    uint64_t prot = CR0_PG | CR0_WP | CR0_NE | CR0_ET | CR0_TS | CR0_MP | CR0_PE;
    /* PE stays set when src[0] = 0. */
    assert_int_equal(x86vcpu__lmsw_value(prot, 0x0000), prot & ~(CR0_TS | CR0_MP));
    assert_int_equal(x86vcpu__lmsw_value(prot, 0x0004), (prot & ~(CR0_TS | CR0_MP)) | CR0_EM);
    /* Bits 15:4 of the source (ET, NE, ...) do not reach CR0. */
    assert_int_equal(x86vcpu__lmsw_value(prot, 0xFFFF), prot | CR0_EM);
    assert_int_equal(x86vcpu__lmsw_value(prot, 0xFFF9), prot & ~CR0_MP); /* PE, TS */
    assert_int_equal(x86vcpu__lmsw_value(prot & ~CR0_NE, 0x0020), prot & ~(CR0_NE | CR0_TS | CR0_MP));
    /* Upper CR0 bits pass through untouched. */
    assert_int_equal(x86vcpu__lmsw_value(BIT(40) | CR0_PE, 0), BIT(40) | CR0_PE);
}

/* ================================================================== CR4 */

static void test_cr4_reserved_mask(void **state)
{
    (void)state;
    /* All features: every bit outside 14:0 and 25:16 is reserved, including
     * bit 15, LASS (27), LAM_SUP (28, CPUID.7.1 not described) and FRED (32). */
    struct x86vcpu_cr_ctx c = ctx_long64();
    uint64_t m = x86vcpu__cr4_reserved_mask(&c);
    assert_int_equal(m, ~CR4_ALL_DEFINED);
    assert_true(m & BIT(15));
    assert_true(m & CR4_LASS);
    assert_true(m & CR4_LAM_SUP);
    assert_true(m & CR4_FRED);
    /* No features at all: only PCE (not CPUID-qualified, SDM 2.5.1). */
    struct x86vcpu_cr_ctx n;
    memset(&n, 0, sizeof(n));
    assert_int_equal(x86vcpu__cr4_reserved_mask(&n), ~CR4_PCE);
    /* Unrelated CPUID bits change nothing. */
    n.cpuid1_ecx = ~((1u << 5) | (1u << 6) | (1u << 17) | (1u << 26));
    n.cpuid1_edx = ~((1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 6) | (1u << 7) |
                     (1u << 13) | (1u << 24) | (1u << 25));
    n.cpuid7_ebx = ~((1u << 0) | (1u << 7) | (1u << 20));
    n.cpuid7_ecx = ~((1u << 2) | (1u << 3) | (1u << 7) | (1u << 16) | (1u << 23) | (1u << 31));
    n.cpuid7_edx = ~((1u << 5) | (1u << 20));
    assert_int_equal(x86vcpu__cr4_reserved_mask(&n), ~CR4_PCE);
    /* Each feature alone unlocks exactly its bit(s). */
    for (size_t i = 0; i < NFEATURES; i++) {
        struct x86vcpu_cr_ctx f;
        memset(&f, 0, sizeof(f));
        *feature_reg(&f, features[i].reg) = features[i].bit;
        uint64_t expect = CR4_PCE | features[i].cr4;
        if (features[i].cr4 == CR4_VME || features[i].cr4 == CR4_PVI)
            expect |= CR4_VME | CR4_PVI;
        if (x86vcpu__cr4_reserved_mask(&f) != ~expect)
            fail_msg("%s: reserved mask %#llx, expected %#llx", features[i].name,
                     (unsigned long long)x86vcpu__cr4_reserved_mask(&f),
                     (unsigned long long)~expect);
    }
    /* CET is allowed by CET_SS (7.0:ECX[7]) or CET_IBT (7.0:EDX[20]). */
    struct x86vcpu_cr_ctx ibt;
    memset(&ibt, 0, sizeof(ibt));
    ibt.cpuid7_edx = 1u << 20;
    assert_int_equal(x86vcpu__cr4_reserved_mask(&ibt), ~(CR4_PCE | CR4_CET));
}

static void test_cr4_feature_bits(void **state)
{
    (void)state;
    uint64_t out;
    /* Setting a CR4 bit whose feature CPUID does not report is #GP(0); with
     * the feature reported the same write is valid. Protected mode, paging
     * off, CR0.WP = 1: no other rule interferes except PCIDE (IA-32e only)
     * and LA57 (cannot change in IA-32e mode), tested below. */
    for (size_t i = 0; i < NFEATURES; i++) {
        uint64_t bit = features[i].cr4;
        struct x86vcpu_cr_ctx c = bit == CR4_PCIDE ? ctx_long64() : ctx_prot();
        uint64_t val = c.cr4 | bit;
        int rc = cr4(&c, val, &out);
        if (rc != 0)
            fail_msg("%s with feature: got %d", features[i].name, rc);
        assert_int_equal(out, val);
        *feature_reg(&c, features[i].reg) &= ~features[i].bit;
        rc = cr4(&c, val, &out);
        if (rc != GP)
            fail_msg("%s without feature: got %d", features[i].name, rc);
        /* Clearing the bit is fine even without the feature. */
        assert_int_equal(cr4(&c, c.cr4 & ~bit, &out), 0);
    }
    /* The guest sees VMX hidden (CPUID.1:ECX.VMX = 0), so CR4.VMXE #GPs. */
    struct x86vcpu_cr_ctx v = ctx_long64();
    v.cpuid1_ecx &= ~(1u << 5);
    assert_int_equal(cr4(&v, v.cr4 | CR4_VMXE, &out), GP);
    /* PCE needs no feature. */
    struct x86vcpu_cr_ctx n;
    memset(&n, 0, sizeof(n));
    assert_int_equal(cr4(&n, CR4_PCE, &out), 0);
    assert_int_equal(out, CR4_PCE);
    assert_int_equal(cr4(&n, CR4_PCE | CR4_PSE, &out), GP);
}

static void test_cr4_undefined_bits(void **state)
{
    (void)state;
    uint64_t out;
    /* Undefined bits are reserved: #GP(0) in 64-bit mode for 15, 26-31 and
     * every bit of 63:32 (FRED included). */
    struct x86vcpu_cr_ctx c = ctx_long64();
    for (int b = 0; b < 64; b++) {
        if (CR4_ALL_DEFINED & BIT(b))
            continue;
        int rc = cr4(&c, c.cr4 | BIT(b), &out);
        if (rc != GP)
            fail_msg("bit %d: got %d", b, rc);
    }
    /* Outside 64-bit mode bits 63:32 are not part of the operand. */
    struct x86vcpu_cr_ctx k = ctx_compat();
    assert_int_equal(cr4(&k, k.cr4 | CR4_FRED | BIT(63), &out), 0);
    assert_int_equal(out, k.cr4);
    struct x86vcpu_cr_ctx p = ctx_prot();
    assert_int_equal(cr4(&p, BIT(40), &out), 0);
    assert_int_equal(out, 0);
    /* Bits 31:0 still count there. */
    assert_int_equal(cr4(&k, k.cr4 | BIT(15), &out), GP);
    assert_int_equal(cr4(&p, BIT(31), &out), GP);
    assert_int_equal(cr4(&p, CR4_LAM_SUP, &out), GP);
    assert_int_equal(cr4(&p, CR4_LASS, &out), GP);
}

static void test_cr4_pae_in_ia32e(void **state)
{
    (void)state;
    uint64_t out;
    /* IA-32e mode cannot be left by clearing PAE (4.1.2): 64-bit and
     * compatibility mode alike. */
    struct x86vcpu_cr_ctx c = ctx_long64();
    assert_int_equal(cr4(&c, c.cr4 & ~CR4_PAE, &out), GP);
    struct x86vcpu_cr_ctx k = ctx_compat();
    assert_int_equal(cr4(&k, k.cr4 & ~CR4_PAE, &out), GP);
    assert_int_equal(cr4(&k, k.cr4 | CR4_PGE, &out), 0);
    assert_int_equal(out, k.cr4 | CR4_PGE);
    /* Outside IA-32e mode PAE can be cleared (PAE paging -> 32-bit paging),
     * also with LME = 1 while paging is off. */
    struct x86vcpu_cr_ctx g = ctx_pae_paging();
    assert_int_equal(cr4(&g, g.cr4 & ~CR4_PAE, &out), 0);
    assert_int_equal(out, g.cr4 & ~CR4_PAE);
    struct x86vcpu_cr_ctx p = ctx_prot();
    p.efer = EFER_LME;
    p.cr4 = CR4_PAE;
    assert_int_equal(cr4(&p, 0, &out), 0);
}

static void test_cr4_la57(void **state)
{
    (void)state;
    uint64_t out;
    /* LA57 cannot be modified in IA-32e mode (2.5): neither set... */
    struct x86vcpu_cr_ctx c = ctx_long64();
    assert_int_equal(cr4(&c, c.cr4 | CR4_LA57, &out), GP);
    /* ...nor cleared. */
    c.cr4 |= CR4_LA57;
    assert_int_equal(cr4(&c, c.cr4 & ~CR4_LA57, &out), GP);
    /* Keeping it set while changing other bits is fine. */
    assert_int_equal(cr4(&c, c.cr4 | CR4_PGE, &out), 0);
    assert_int_equal(out, c.cr4 | CR4_PGE);
    struct x86vcpu_cr_ctx k = ctx_compat();
    assert_int_equal(cr4(&k, k.cr4 | CR4_LA57, &out), GP);
    /* Outside IA-32e mode it can be set and cleared. */
    struct x86vcpu_cr_ctx p = ctx_prot();
    p.efer = EFER_LME;
    p.cr4 = CR4_PAE;
    assert_int_equal(cr4(&p, CR4_PAE | CR4_LA57, &out), 0);
    assert_int_equal(out, CR4_PAE | CR4_LA57);
    p.cr4 = CR4_PAE | CR4_LA57;
    assert_int_equal(cr4(&p, CR4_PAE, &out), 0);
}

static void test_cr4_pcide(void **state)
{
    (void)state;
    uint64_t out;
    /* Setting PCIDE outside IA-32e mode is #GP (real and protected mode
     * exceptions: "write 1 to CR4.PCIDE"). */
    struct x86vcpu_cr_ctx r = ctx_real();
    assert_int_equal(cr4(&r, CR4_PCIDE, &out), GP);
    struct x86vcpu_cr_ctx p = ctx_pae_paging();
    p.cr3 = 0;
    assert_int_equal(cr4(&p, p.cr4 | CR4_PCIDE, &out), GP);
    /* In IA-32e mode 0 -> 1 needs CR3[11:0] = 0. */
    struct x86vcpu_cr_ctx c = ctx_long64();
    c.cr3 = 0x1000;
    assert_int_equal(cr4(&c, c.cr4 | CR4_PCIDE, &out), 0);
    assert_int_equal(out, c.cr4 | CR4_PCIDE);
    const uint64_t low[] = { 0x001, 0x008, 0x010, 0x018, 0x800, 0xFFF };
    for (size_t i = 0; i < sizeof(low) / sizeof(low[0]); i++) {
        c.cr3 = 0x1000 | low[i];
        assert_int_equal(cr4(&c, c.cr4 | CR4_PCIDE, &out), GP);
    }
    struct x86vcpu_cr_ctx k = ctx_compat();
    k.cr3 = 0x2018;
    assert_int_equal(cr4(&k, k.cr4 | CR4_PCIDE, &out), GP);
    k.cr3 = 0x2000;
    assert_int_equal(cr4(&k, k.cr4 | CR4_PCIDE, &out), 0);
    /* Already 1: a non-zero PCID in CR3 does not matter. */
    c.cr4 |= CR4_PCIDE;
    c.cr3 = 0x1005;
    assert_int_equal(cr4(&c, c.cr4 | CR4_PGE, &out), 0);
    assert_int_equal(out, c.cr4 | CR4_PGE);
    /* Clearing it is always allowed. */
    assert_int_equal(cr4(&c, c.cr4 & ~CR4_PCIDE, &out), 0);
    assert_int_equal(out, c.cr4 & ~CR4_PCIDE);
}

static void test_cr4_cet_needs_wp(void **state)
{
    (void)state;
    uint64_t out;
    /* CR4.CET can be set only if CR0.WP = 1 (2.5). */
    struct x86vcpu_cr_ctx c = ctx_long64();
    c.cr0 &= ~CR0_WP;
    assert_int_equal(cr4(&c, c.cr4 | CR4_CET, &out), GP);
    c.cr0 |= CR0_WP;
    assert_int_equal(cr4(&c, c.cr4 | CR4_CET, &out), 0);
    assert_int_equal(out, c.cr4 | CR4_CET);
    /* With WP = 0 other CR4 writes are unaffected. */
    c.cr0 &= ~CR0_WP;
    assert_int_equal(cr4(&c, c.cr4 | CR4_SMEP, &out), 0);
}

/* ================================================================== CR3 */

static void test_cr3_ia32e_reserved(void **state)
{
    (void)state;
    uint64_t out;
    /* 64-bit mode, MAXPHYADDR = 39: CR3[63:39] are reserved (#GP(0)). */
    struct x86vcpu_cr_ctx c = ctx_long64();
    c.maxphyaddr = 39;
    for (int b = 39; b < 64; b++) {
        int rc = cr3(&c, 0x1000 | BIT(b), &out);
        if (rc != GP)
            fail_msg("bit %d: got %d", b, rc);
    }
    assert_int_equal(cr3(&c, 0x1000 | BIT(38), &out), 0);
    assert_int_equal(out, 0x1000 | BIT(38));
    /* Low bits (PWT, PCD and the ignored ones) are not reserved. */
    assert_int_equal(cr3(&c, 0x7FFFFFF000ull | 0xFFF, &out), 0);
    assert_int_equal(out, 0x7FFFFFF000ull | 0xFFF);
    /* MAXPHYADDR = 52: bit 51 is an address bit, 52 is not. */
    c.maxphyaddr = 52;
    assert_int_equal(cr3(&c, BIT(51), &out), 0);
    assert_int_equal(cr3(&c, BIT(52), &out), GP);
    /* MAXPHYADDR = 46. */
    c.maxphyaddr = 46;
    assert_int_equal(cr3(&c, BIT(45) | 0x3000, &out), 0);
    assert_int_equal(cr3(&c, BIT(46) | 0x3000, &out), GP);
    /* Unreported (0): 36 bits (SDM 4.1.4). */
    c.maxphyaddr = 0;
    assert_int_equal(cr3(&c, BIT(35), &out), 0);
    assert_int_equal(cr3(&c, BIT(36), &out), GP);
    /* LAM_U57/LAM_U48 (bits 61, 62) are reserved: LAM is not offered. */
    c.maxphyaddr = 39;
    c.cr4 |= CR4_PCIDE;
    assert_int_equal(cr3(&c, 0x1000 | BIT(61), &out), GP);
    assert_int_equal(cr3(&c, 0x1000 | BIT(62), &out), GP);
}

static void test_cr3_noflush_bit(void **state)
{
    (void)state;
    uint64_t out;
    /* PCIDE = 1: bit 63 only says "do not flush"; CR3[63] stays 0. */
    struct x86vcpu_cr_ctx c = ctx_long64();
    c.cr4 |= CR4_PCIDE;
    assert_int_equal(cr3(&c, BIT(63) | 0x5000 | 0x123, &out), 0);
    assert_int_equal(out, 0x5000 | 0x123);
    assert_int_equal(cr3(&c, 0x5000 | 0x123, &out), 0);
    assert_int_equal(out, 0x5000 | 0x123);
    /* Bit 63 with other reserved bits still faults. */
    assert_int_equal(cr3(&c, BIT(63) | BIT(50), &out), GP);
    /* PCIDE = 0: bit 63 is an ordinary reserved bit. */
    c.cr4 &= ~CR4_PCIDE;
    assert_int_equal(cr3(&c, BIT(63) | 0x5000, &out), GP);
}

static void test_cr3_outside_64bit(void **state)
{
    (void)state;
    uint64_t out;
    /* Compatibility mode: 32-bit operand, upper register bits dropped. */
    struct x86vcpu_cr_ctx k = ctx_compat();
    assert_int_equal(cr3(&k, 0xFFFFFFFF00000000ull | 0x12345000, &out), 0);
    assert_int_equal(out, 0x12345000);
    assert_int_equal(cr3(&k, 0xFFFFFFFFull, &out), 0);
    assert_int_equal(out, 0xFFFFFFFFull);
    /* Legacy modes: any 32-bit value, never a fault here. */
    struct x86vcpu_cr_ctx p = ctx_prot();
    p.maxphyaddr = 36;
    assert_int_equal(cr3(&p, BIT(63) | BIT(40) | 0xFFFFF000, &out), 0);
    assert_int_equal(out, 0xFFFFF000);
    struct x86vcpu_cr_ctx g = ctx_pae_paging();
    assert_int_equal(cr3(&g, 0xABCDE020, &out), 0);
    assert_int_equal(out, 0xABCDE020);
    struct x86vcpu_cr_ctx r = ctx_real();
    assert_int_equal(cr3(&r, 0, &out), 0);
    assert_int_equal(out, 0);
}

/* =============================================================== XSETBV */


/* A CPU with every user state component up to AMX (Sapphire Rapids-like). */
#define SUPPORTED (0xFFull | XCR0_PKRU | XCR0_TILECFG | XCR0_TILEDATA)

static int xsetbv(uint64_t val)
{
    return x86vcpu__check_xsetbv(0, CR4_OSXSAVE, 0, val, SUPPORTED);
}

static void test_xsetbv_ud_and_privilege(void **state)
{
    (void)state;
    /* #UD when CR4.OSXSAVE = 0, ahead of every #GP condition. */
    assert_int_equal(x86vcpu__check_xsetbv(0, 0, 0, 0x7, SUPPORTED), UD);
    assert_int_equal(x86vcpu__check_xsetbv(3, 0, 5, 0, SUPPORTED), UD);
    assert_int_equal(x86vcpu__check_xsetbv(0, ~CR4_OSXSAVE, 0, 0x7, SUPPORTED), UD);
    /* #GP(0) at CPL > 0. */
    for (uint32_t cpl = 1; cpl < 4; cpl++)
        assert_int_equal(x86vcpu__check_xsetbv(cpl, CR4_OSXSAVE, 0, 0x7, SUPPORTED), GP);
    assert_int_equal(x86vcpu__check_xsetbv(0, CR4_OSXSAVE, 0, 0x7, SUPPORTED), 0);
    assert_int_equal(x86vcpu__check_xsetbv(0, CR4_OSXSAVE | CR4_PAE, 0, 0x1, SUPPORTED), 0);
}

static void test_xsetbv_ecx(void **state)
{
    (void)state;
    /* Only XCR0 (ECX = 0) can be written; XCR1 (XINUSE) is read-only. */
    const uint32_t bad[] = { 1, 2, 0x80, 0x80000000u, 0xFFFFFFFFu };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(x86vcpu__check_xsetbv(0, CR4_OSXSAVE, bad[i], 0x7, SUPPORTED), GP);
    assert_int_equal(x86vcpu__check_xsetbv(0, CR4_OSXSAVE, 0, 0x7, SUPPORTED), 0);
}

static void test_xsetbv_x87_sse_avx(void **state)
{
    (void)state;
    /* x87 (bit 0) cannot be cleared. */
    assert_int_equal(xsetbv(0), GP);
    assert_int_equal(xsetbv(XCR0_SSE), GP);
    assert_int_equal(xsetbv(XCR0_SSE | XCR0_AVX), GP);
    assert_int_equal(xsetbv(XCR0_X87), 0);
    assert_int_equal(xsetbv(XCR0_X87 | XCR0_SSE), 0);
    /* AVX needs SSE: XCR0[2:1] = 10b is #GP. */
    assert_int_equal(xsetbv(XCR0_X87 | XCR0_AVX), GP);
    assert_int_equal(xsetbv(XCR0_X87 | XCR0_SSE | XCR0_AVX), 0);
}

static void test_xsetbv_mpx(void **state)
{
    (void)state;
    /* BNDREGS and BNDCSR together or not at all. */
    assert_int_equal(xsetbv(0x3 | XCR0_BNDREGS), GP);
    assert_int_equal(xsetbv(0x3 | XCR0_BNDCSR), GP);
    assert_int_equal(xsetbv(0x3 | XCR0_BNDREGS | XCR0_BNDCSR), 0);
    assert_int_equal(xsetbv(0x1 | XCR0_BNDREGS | XCR0_BNDCSR), 0); /* no AVX needed */
}

static void test_xsetbv_avx512(void **state)
{
    (void)state;
    const uint64_t avx512 = XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM;
    /* All three or none. */
    const uint64_t partial[] = { XCR0_OPMASK, XCR0_ZMM_HI256, XCR0_HI16_ZMM,
                                 XCR0_OPMASK | XCR0_ZMM_HI256, XCR0_OPMASK | XCR0_HI16_ZMM,
                                 XCR0_ZMM_HI256 | XCR0_HI16_ZMM };
    for (size_t i = 0; i < sizeof(partial) / sizeof(partial[0]); i++)
        assert_int_equal(xsetbv(0x7 | partial[i]), GP);
    assert_int_equal(xsetbv(0x7 | avx512), 0);
    /* And only with AVX and SSE. */
    assert_int_equal(xsetbv(XCR0_X87 | XCR0_SSE | avx512), GP);
    assert_int_equal(xsetbv(XCR0_X87 | avx512), GP);
    assert_int_equal(xsetbv(XCR0_X87 | XCR0_AVX | avx512), GP);

    /* Exhaustively over bits 7:0, against the rules of SDM Vol. 1 13.3 and
     * Vol. 3A 2.6 as stated there. */
    for (uint64_t v = 0; v < 256; v++) {
        int ok = (v & XCR0_X87) != 0;
        if ((v & XCR0_AVX) && !(v & XCR0_SSE))
            ok = 0;
        if (((v >> 3) & 3) == 1 || ((v >> 3) & 3) == 2)
            ok = 0;
        if ((v & avx512) != 0 && ((v & avx512) != avx512 || (v & 6) != 6))
            ok = 0;
        int rc = xsetbv(v);
        if (rc != (ok ? 0 : GP))
            fail_msg("XCR0 %#llx: got %d, expected %d", (unsigned long long)v, rc, ok ? 0 : GP);
    }
}

static void test_xsetbv_amx(void **state)
{
    (void)state;
    /* XTILECFG (17) and XTILEDATA (18) together or not at all. */
    assert_int_equal(xsetbv(0x7 | XCR0_TILECFG), GP);
    assert_int_equal(xsetbv(0x7 | XCR0_TILEDATA), GP);
    assert_int_equal(xsetbv(0x7 | XCR0_TILECFG | XCR0_TILEDATA), 0);
    assert_int_equal(xsetbv(SUPPORTED), 0);
    assert_int_equal(xsetbv(0x7 | XCR0_PKRU), 0);
}

static void test_xsetbv_unsupported_bits(void **state)
{
    (void)state;
    /* A bit CPUID.(0DH,0):EDX:EAX does not report is reserved. */
    for (int b = 0; b < 64; b++) {
        if (SUPPORTED & BIT(b))
            continue;
        int rc = xsetbv(0x7 | BIT(b));
        if (rc != GP)
            fail_msg("bit %d: got %d", b, rc);
    }
    /* On an AVX-only CPU the AVX-512, PKRU and AMX bits are reserved. */
    const uint64_t avx_only = 0x7;
    assert_int_equal(x86vcpu__check_xsetbv(0, CR4_OSXSAVE, 0, 0xE7, avx_only), GP);
    assert_int_equal(x86vcpu__check_xsetbv(0, CR4_OSXSAVE, 0, 0x7 | XCR0_PKRU, avx_only), GP);
    assert_int_equal(x86vcpu__check_xsetbv(0, CR4_OSXSAVE, 0, 0x7, avx_only), 0);
    /* x87-only CPU. */
    assert_int_equal(x86vcpu__check_xsetbv(0, CR4_OSXSAVE, 0, 0x3, 0x1), GP);
    assert_int_equal(x86vcpu__check_xsetbv(0, CR4_OSXSAVE, 0, 0x1, 0x1), 0);
    /* Bit 63 is reserved whatever CPUID claims (Vol. 3A 2.6). */
    assert_int_equal(x86vcpu__check_xsetbv(0, CR4_OSXSAVE, 0, 0x7 | BIT(63), ~0ull), GP);
    /* Supervisor components (PT = 8) are not XCR0 bits on a real CPU. */
    assert_int_equal(xsetbv(0x7 | BIT(8)), GP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_cr0_upper_bits),
        cmocka_unit_test(test_cr0_reserved_low_bits_ignored),
        cmocka_unit_test(test_cr0_pg_without_pe),
        cmocka_unit_test(test_cr0_nw_without_cd),
        cmocka_unit_test(test_cr0_enable_ia32e),
        cmocka_unit_test(test_cr0_clear_pg),
        cmocka_unit_test(test_cr0_wp_and_cet),
        cmocka_unit_test(test_cr0_clts_like_writes),
        cmocka_unit_test(test_lmsw),
        cmocka_unit_test(test_cr4_reserved_mask),
        cmocka_unit_test(test_cr4_feature_bits),
        cmocka_unit_test(test_cr4_undefined_bits),
        cmocka_unit_test(test_cr4_pae_in_ia32e),
        cmocka_unit_test(test_cr4_la57),
        cmocka_unit_test(test_cr4_pcide),
        cmocka_unit_test(test_cr4_cet_needs_wp),
        cmocka_unit_test(test_cr3_ia32e_reserved),
        cmocka_unit_test(test_cr3_noflush_bit),
        cmocka_unit_test(test_cr3_outside_64bit),
        cmocka_unit_test(test_xsetbv_ud_and_privilege),
        cmocka_unit_test(test_xsetbv_ecx),
        cmocka_unit_test(test_xsetbv_x87_sse_avx),
        cmocka_unit_test(test_xsetbv_mpx),
        cmocka_unit_test(test_xsetbv_avx512),
        cmocka_unit_test(test_xsetbv_amx),
        cmocka_unit_test(test_xsetbv_unsupported_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
