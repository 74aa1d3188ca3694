/* Unit tests: pure logic of src/lib (capability MSRs, CR fixed bits, CPUID
 * policy, I/O exit qualifications, error names), checked against the Intel
 * SDM rather than against the implementation. Capability values are the ones
 * Bochs reports for its VMX CPU models. */
#include "lib/arch.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <x86vcpu/x86vcpu.h>
#include "lib/logic.h"
#include "lib/cpuid_policy.h"


/* Deterministic pseudo-random patterns (xorshift64). */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* ===================================================== IA32_VMX_BASIC (A.1) */

#define BOCHS_BASIC 0x00D810000000002Bull

/* Build a BASIC value field by field (SDM A.1). */
static uint64_t mk_basic(uint32_t revision, uint32_t size, uint32_t memtype, uint64_t extra)
{
    return (uint64_t)revision | (uint64_t)(size & 0x1fffu) << 32 |
           (uint64_t)(memtype & 0xfu) << 50 | extra;
}

static void test_basic_bochs_value(void **state)
{
    (void)state;
    /* Decode the Bochs value by hand: revision 0x2B, 4096-byte regions
     * (bits 44:32), WB (6) in bits 53:50, INS/OUTS info (54), TRUE controls
     * (55), no 32-bit address limit (48). */
    assert_int_equal(BOCHS_BASIC & 0x7fffffffu, 0x2B);
    assert_int_equal((BOCHS_BASIC >> 32) & 0x1fff, 0x1000);
    assert_int_equal((BOCHS_BASIC >> 50) & 0xf, 6);
    assert_true(BOCHS_BASIC & BIT(55));
    assert_true(BOCHS_BASIC & BIT(54));
    assert_false(BOCHS_BASIC & BIT(48));
    assert_int_equal(mk_basic(0x2B, 4096, 6, BIT(54) | BIT(55)), BOCHS_BASIC);

    /* The header's accessors agree with the SDM layout. */
    assert_int_equal(X86VCPU_BASIC_REVISION(BOCHS_BASIC), 0x2B);
    assert_int_equal(X86VCPU_BASIC_REGION_SIZE(BOCHS_BASIC), 4096);
    assert_int_equal(X86VCPU_BASIC_MEMTYPE(BOCHS_BASIC), 6);
    assert_true(BOCHS_BASIC & X86VCPU_BASIC_TRUE_CTLS);
    assert_false(BOCHS_BASIC & X86VCPU_BASIC_32BIT_ADDR);
    assert_int_equal(X86VCPU_BASIC_TRUE_CTLS, BIT(55));
    assert_int_equal(X86VCPU_BASIC_32BIT_ADDR, BIT(48));
    /* Revision is bits 30:0 only; size bits 44:32 only; type bits 53:50 only. */
    assert_int_equal(X86VCPU_BASIC_REVISION(0xFFFFFFFFFFFFFFFFull), 0x7fffffffu);
    assert_int_equal(X86VCPU_BASIC_REGION_SIZE(0xFFFFFFFFFFFFFFFFull), 0x1fffu);
    assert_int_equal(X86VCPU_BASIC_MEMTYPE(0xFFFFFFFFFFFFFFFFull), 0xfu);
    assert_int_equal(X86VCPU_BASIC_MEMTYPE(BIT(49) | BIT(54)), 0);
    assert_int_equal(X86VCPU_BASIC_REGION_SIZE(BIT(31) | BIT(45)), 0);

    assert_int_equal(x86vcpu__basic_check(BOCHS_BASIC), X86VCPU_OK);
    /* Without TRUE controls or INS/OUTS reporting the value is still usable. */
    assert_int_equal(x86vcpu__basic_check(BOCHS_BASIC & ~(BIT(54) | BIT(55))), X86VCPU_OK);
    /* Other revisions and smaller regions are fine. */
    assert_int_equal(x86vcpu__basic_check(mk_basic(0x4, 1024, 6, BIT(55))), X86VCPU_OK);
    assert_int_equal(x86vcpu__basic_check(mk_basic(0x7fffffffu, 1, 6, 0)), X86VCPU_OK);
    /* Dual-monitor SMM support (49) and other reported features don't matter. */
    assert_int_equal(x86vcpu__basic_check(BOCHS_BASIC | BIT(49) | BIT(56)), X86VCPU_OK);
}

static void test_basic_rejects(void **state)
{
    (void)state;
    /* Bit 31 is always 0 (A.1). */
    assert_int_equal(x86vcpu__basic_check(BOCHS_BASIC | BIT(31)), X86VCPU_EVMXBASIC);
    /* Region size is greater than 0 and at most 4096. */
    assert_int_equal(x86vcpu__basic_check(mk_basic(0x2B, 0, 6, BIT(55))), X86VCPU_EVMXBASIC);
    assert_int_equal(x86vcpu__basic_check(mk_basic(0x2B, 4097, 6, BIT(55))), X86VCPU_EVMXBASIC);
    assert_int_equal(x86vcpu__basic_check(mk_basic(0x2B, 8192, 6, BIT(55))), X86VCPU_EVMXBASIC);
    assert_int_equal(x86vcpu__basic_check(mk_basic(0x2B, 0x1fff, 6, BIT(55))), X86VCPU_EVMXBASIC);
    assert_int_equal(x86vcpu__basic_check(mk_basic(0x2B, 4096, 6, BIT(55))), X86VCPU_OK);
    /* Memory type: only WB (6) is usable for ordinary memory frames; UC (0)
     * and the other encodings are refused. */
    for (uint32_t t = 0; t < 16; t++) {
        int rc = x86vcpu__basic_check(mk_basic(0x2B, 4096, t, BIT(55)));
        if (t == 6)
            assert_int_equal(rc, X86VCPU_OK);
        else if (rc != X86VCPU_EVMXBASIC)
            fail_msg("memory type %u: got %d, expected X86VCPU_EVMXBASIC", t, rc);
    }
    assert_int_equal(x86vcpu__basic_check(BOCHS_BASIC & ~(0xfull << 50)), X86VCPU_EVMXBASIC);
    assert_int_equal(x86vcpu__basic_check(0), X86VCPU_EVMXBASIC);
    assert_int_equal(x86vcpu__basic_check(UINT64_MAX), X86VCPU_EVMXBASIC);
    /* The error names what is wrong. */
    const char *s = x86vcpu_strerror(x86vcpu__basic_check(BOCHS_BASIC | BIT(31)));
    assert_non_null(s);
    assert_int_equal(strncmp(s, "EVMXBASIC", 9), 0);
}

/* ========================================== VMX controls (A.3 - A.5, A.6) */

/* Bochs capability MSRs. */
#define BOCHS_PINBASED    0x0000007F00000016ull
#define BOCHS_PROCBASED   0xF7F9FFFE0401E172ull /* non-TRUE: CR3 exits forced */
#define BOCHS_EXIT        0x007FFFFF00036DFFull
#define BOCHS_ENTRY       0x0000FFFF000011FFull
#define BOCHS_PROCBASED2  0x02177FFF00000000ull
/* TRUE_PROCBASED-like: CR3-load (15) and CR3-store (16) exiting may be 0. */
#define TRUE_PROCBASED    ((BOCHS_PROCBASED & ~(BIT(15) | BIT(16))))

/* Primary processor-based controls (SDM Table 25-6). */
#define PROC_INTR_WINDOW   BIT(2)
#define PROC_TSC_OFFSET    BIT(3)
#define PROC_HLT           BIT(7)
#define PROC_CR3_LOAD      BIT(15)
#define PROC_CR3_STORE     BIT(16)
#define PROC_TERTIARY      BIT(17)
#define PROC_UNCOND_IO     BIT(24)
#define PROC_IO_BITMAPS    BIT(25)
#define PROC_MTF           BIT(27)
#define PROC_MSR_BITMAPS   BIT(28)
#define PROC_SECONDARY     BIT(31)
/* Secondary (Table 25-7). */
#define PROC2_EPT          BIT(1)
#define PROC2_VPID         BIT(5)
#define PROC2_UNRESTRICTED BIT(7)
#define PROC2_ENCLS        BIT(15)
#define PROC2_PT_GPA       BIT(24)
/* Pin-based (Table 25-5). */
#define PIN_EXTINT         BIT(0)
#define PIN_NMI            BIT(3)
#define PIN_VIRT_NMI       BIT(5)
#define PIN_PREEMPT        BIT(6)
#define PIN_POSTED         BIT(7)
/* Exit (Table 25-13). */
#define EXIT_HOST_64       BIT(9)
#define EXIT_ACK_INTR      BIT(15)
#define EXIT_SAVE_EFER     BIT(20)
#define EXIT_LOAD_EFER     BIT(21)
#define EXIT_CLEAR_BNDCFGS BIT(23)
/* Entry (Table 25-15). */
#define ENTRY_IA32E        BIT(9)
#define ENTRY_LOAD_EFER    BIT(15)
#define ENTRY_LOAD_BNDCFGS BIT(16)

static const uint64_t bochs_caps[] = {
    BOCHS_PINBASED, BOCHS_PROCBASED, TRUE_PROCBASED, BOCHS_EXIT, BOCHS_ENTRY, BOCHS_PROCBASED2,
};

/* Negotiate and check what holds for any outcome: every allowed-0 (must-be-1)
 * bit is set, nothing outside allowed-1 is set, .missing is exactly the
 * required bits the CPU cannot set, the return value says whether any is. */
static uint32_t negotiate(uint64_t cap, uint32_t required, uint32_t optional, uint32_t *missing)
{
    uint32_t must1 = (uint32_t)cap, may1 = (uint32_t)(cap >> 32);
    struct x86vcpu_ctls_result r;
    memset(&r, 0xA5, sizeof(r));
    int rc = x86vcpu__ctls_negotiate(cap, required, optional, &r);
    if ((r.value & must1) != must1)
        fail_msg("cap %#llx req %#x opt %#x: must-be-1 bits %#x not set (value %#x)",
                 (unsigned long long)cap, required, optional, must1 & ~r.value, r.value);
    if (r.value & ~may1)
        fail_msg("cap %#llx req %#x opt %#x: bits %#x set outside allowed-1 (value %#x)",
                 (unsigned long long)cap, required, optional, r.value & ~may1, r.value);
    if (r.missing != (required & ~may1))
        fail_msg("cap %#llx req %#x: missing %#x, expected %#x",
                 (unsigned long long)cap, required, r.missing, required & ~may1);
    assert_int_equal(rc, r.missing ? X86VCPU_ECTLS : X86VCPU_OK);
    if (missing)
        *missing = r.missing;
    return r.value;
}

static void test_ctls_defaults(void **state)
{
    (void)state;
    uint32_t miss;
    /* Asking for nothing yields exactly the must-be-1 (default1) settings. */
    assert_int_equal(negotiate(BOCHS_PINBASED, 0, 0, &miss), 0x16);
    assert_int_equal(miss, 0);
    assert_int_equal(negotiate(BOCHS_PROCBASED, 0, 0, &miss), 0x0401E172);
    assert_int_equal(negotiate(TRUE_PROCBASED, 0, 0, &miss), 0x04006172);
    assert_int_equal(negotiate(BOCHS_EXIT, 0, 0, &miss), 0x00036DFF);
    assert_int_equal(negotiate(BOCHS_ENTRY, 0, 0, &miss), 0x000011FF);
    assert_int_equal(negotiate(BOCHS_PROCBASED2, 0, 0, &miss), 0);
    /* The non-TRUE PROCBASED forces CR3-load/store exiting: always set. */
    assert_int_equal(negotiate(BOCHS_PROCBASED, 0, 0, NULL) & (PROC_CR3_LOAD | PROC_CR3_STORE),
                     PROC_CR3_LOAD | PROC_CR3_STORE);
    /* The TRUE one lets them be 0 when not asked for... */
    assert_int_equal(negotiate(TRUE_PROCBASED, PROC_HLT, 0, NULL) & (PROC_CR3_LOAD | PROC_CR3_STORE), 0);
    /* ...and sets them when asked for. */
    assert_int_equal(negotiate(TRUE_PROCBASED, 0, PROC_CR3_LOAD, NULL) & (PROC_CR3_LOAD | PROC_CR3_STORE),
                     PROC_CR3_LOAD);
    assert_int_equal(negotiate(TRUE_PROCBASED, PROC_CR3_STORE, 0, &miss) & (PROC_CR3_LOAD | PROC_CR3_STORE),
                     PROC_CR3_STORE);
    assert_int_equal(miss, 0);
}

static void test_ctls_required_supported(void **state)
{
    (void)state;
    uint32_t miss;
    /* A typical setup: HLT exits, unconditional I/O exiting, MSR bitmaps,
     * secondary controls. All allowed on Bochs. */
    uint32_t req = PROC_HLT | PROC_UNCOND_IO | PROC_MSR_BITMAPS | PROC_SECONDARY;
    assert_int_equal(negotiate(BOCHS_PROCBASED, req, 0, &miss), 0x0401E172 | req);
    assert_int_equal(miss, 0);
    assert_int_equal(negotiate(TRUE_PROCBASED, req, 0, &miss), 0x04006172 | req);
    assert_int_equal(negotiate(BOCHS_PROCBASED2, PROC2_EPT | PROC2_UNRESTRICTED, PROC2_VPID, &miss),
                     PROC2_EPT | PROC2_UNRESTRICTED | PROC2_VPID);
    assert_int_equal(miss, 0);
    assert_int_equal(negotiate(BOCHS_PINBASED, PIN_EXTINT | PIN_NMI, PIN_VIRT_NMI, &miss),
                     0x16 | PIN_EXTINT | PIN_NMI | PIN_VIRT_NMI);
    assert_int_equal(negotiate(BOCHS_EXIT, EXIT_HOST_64, EXIT_ACK_INTR | EXIT_SAVE_EFER | EXIT_LOAD_EFER, &miss),
                     0x00036DFF | EXIT_HOST_64 | EXIT_ACK_INTR | EXIT_SAVE_EFER | EXIT_LOAD_EFER);
    assert_int_equal(negotiate(BOCHS_ENTRY, ENTRY_IA32E, ENTRY_LOAD_EFER, &miss),
                     0x000011FF | ENTRY_IA32E | ENTRY_LOAD_EFER);
    assert_int_equal(miss, 0);
}

static void test_ctls_required_missing(void **state)
{
    (void)state;
    uint32_t miss;
    struct x86vcpu_ctls_result r;

    /* Posted interrupts (pin 7) are not allowed-1 on Bochs. */
    assert_int_equal(x86vcpu__ctls_negotiate(BOCHS_PINBASED, PIN_POSTED | PIN_EXTINT, 0, &r),
                     X86VCPU_ECTLS);
    assert_int_equal(r.missing, PIN_POSTED);
    assert_false(r.value & PIN_POSTED);
    /* Monitor trap flag (27) and tertiary controls (17) are not allowed. */
    negotiate(BOCHS_PROCBASED, PROC_MTF | PROC_HLT | PROC_TERTIARY, 0, &miss);
    assert_int_equal(miss, PROC_MTF | PROC_TERTIARY);
    negotiate(TRUE_PROCBASED, PROC_MTF, PROC_HLT, &miss);
    assert_int_equal(miss, PROC_MTF);
    /* Reserved bit 0 of the primary controls is allowed-1 = 0. */
    negotiate(BOCHS_PROCBASED, BIT(0), 0, &miss);
    assert_int_equal(miss, BIT(0));
    /* ENCLS exiting (15) is not allowed in the secondary controls. */
    assert_int_equal(x86vcpu__ctls_negotiate(BOCHS_PROCBASED2, PROC2_EPT | PROC2_ENCLS, PROC2_VPID, &r),
                     X86VCPU_ECTLS);
    assert_int_equal(r.missing, PROC2_ENCLS);
    assert_false(r.value & PROC2_ENCLS);
    negotiate(BOCHS_EXIT, EXIT_CLEAR_BNDCFGS, 0, &miss);
    assert_int_equal(miss, EXIT_CLEAR_BNDCFGS);
    negotiate(BOCHS_ENTRY, ENTRY_LOAD_BNDCFGS | ENTRY_IA32E, 0, &miss);
    assert_int_equal(miss, ENTRY_LOAD_BNDCFGS);
    /* No secondary controls at all (MSR absent, read as 0). */
    negotiate(0, PROC2_EPT, 0, &miss);
    assert_int_equal(miss, PROC2_EPT);
    /* Everything required: exactly the not-allowed bits are missing. */
    negotiate(BOCHS_PROCBASED2, UINT32_MAX, 0, &miss);
    assert_int_equal(miss, ~0x02177FFFu);
    assert_int_equal(strncmp(x86vcpu_strerror(X86VCPU_ECTLS), "ECTLS", 5), 0);
}

static void test_ctls_optional(void **state)
{
    (void)state;
    uint32_t miss;
    /* Optional bits that are not allowed are silently left 0, no error. */
    assert_int_equal(negotiate(BOCHS_PINBASED, 0, PIN_POSTED | PIN_PREEMPT, &miss), 0x16 | PIN_PREEMPT);
    assert_int_equal(miss, 0);
    assert_int_equal(negotiate(BOCHS_PROCBASED2, 0, PROC2_ENCLS | PROC2_PT_GPA | PROC2_VPID, &miss),
                     PROC2_VPID);
    assert_int_equal(miss, 0);
    assert_int_equal(negotiate(BOCHS_PROCBASED2, 0, UINT32_MAX, &miss), 0x02177FFF);
    assert_int_equal(negotiate(BOCHS_PROCBASED, 0, UINT32_MAX, &miss), 0xF7F9FFFE);
    assert_int_equal(negotiate(BOCHS_ENTRY, 0, UINT32_MAX, &miss), 0xFFFF);
    assert_int_equal(negotiate(BOCHS_EXIT, 0, UINT32_MAX, &miss), 0x007FFFFF);
    assert_int_equal(miss, 0);
    /* A bit both required and optional counts as required. */
    assert_int_equal(negotiate(BOCHS_PINBASED, PIN_POSTED, PIN_POSTED, &miss) & PIN_POSTED, 0);
    assert_int_equal(miss, PIN_POSTED);
    assert_int_equal(negotiate(BOCHS_PINBASED, PIN_NMI, PIN_NMI, &miss), 0x16 | PIN_NMI);
    assert_int_equal(miss, 0);
}

static void test_ctls_must1_and_requested(void **state)
{
    (void)state;
    uint32_t miss;
    /* CR3-load exiting is must-be-1 in the non-TRUE MSR; asking for it is fine. */
    assert_int_equal(negotiate(BOCHS_PROCBASED, PROC_CR3_LOAD | PROC_CR3_STORE, 0, &miss), 0x0401E172);
    assert_int_equal(miss, 0);
    assert_int_equal(negotiate(BOCHS_PROCBASED, 0, PROC_CR3_LOAD, &miss), 0x0401E172);
    /* Pin-based bits 1, 2, 4 are default1. */
    assert_int_equal(negotiate(BOCHS_PINBASED, BIT(1) | BIT(2) | BIT(4), BIT(4), &miss), 0x16);
    assert_int_equal(miss, 0);
    /* Entry bit 2 ("load debug controls", default1 on Bochs). */
    assert_int_equal(negotiate(BOCHS_ENTRY, BIT(2), 0, &miss), 0x11FF);
    assert_int_equal(miss, 0);
}

/* For a well-formed capability (allowed-0 within allowed-1) the SDM leaves a
 * single answer: must1 | ((required | optional) & may1). */
static void test_ctls_random(void **state)
{
    (void)state;
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (size_t c = 0; c < sizeof(bochs_caps) / sizeof(bochs_caps[0]); c++) {
        uint64_t cap = bochs_caps[c];
        uint32_t must1 = (uint32_t)cap, may1 = (uint32_t)(cap >> 32);
        assert_int_equal(must1 & ~may1, 0); /* the Bochs values are well-formed */
        for (int i = 0; i < 2000; i++) {
            uint32_t req = (uint32_t)rng_next(&s) & (uint32_t)rng_next(&s);
            uint32_t opt = (uint32_t)rng_next(&s);
            if (i & 1)
                req &= may1; /* exercise the success path often */
            uint32_t miss;
            uint32_t v = negotiate(cap, req, opt, &miss);
            uint32_t expect = must1 | ((req | opt) & may1);
            if (v != expect)
                fail_msg("cap %#llx req %#x opt %#x: value %#x, expected %#x",
                         (unsigned long long)cap, req, opt, v, expect);
        }
    }
}

/* ============================================ CR0/CR4 fixed bits (A.7, A.8) */

#define BOCHS_CR0_FIXED0 0x80000021ull
#define BOCHS_CR0_FIXED1 0xFFFFFFFFull
#define BOCHS_CR4_FIXED0 0x2000ull
#define BOCHS_CR4_FIXED1 0x3727FFull



static uint64_t apply_ok(uint64_t v, uint64_t f0, uint64_t f1)
{
    uint64_t out = 0xDEADBEEFull;
    assert_int_equal(x86vcpu__fixed_apply(v, f0, f1, &out), X86VCPU_OK);
    /* The result always satisfies the fixed bits, and fixed_ok agrees. */
    assert_true(x86vcpu__fixed_ok(out, f0, f1));
    assert_int_equal((out & f0), f0);
    assert_int_equal((out & ~f1), 0);
    return out;
}

static void test_fixed_cr0(void **state)
{
    (void)state;
    /* Bochs' fixed bits: PE, NE, PG must be 1; anything in 31:0 may be 1. */
    assert_int_equal(BOCHS_CR0_FIXED0, CR0_PG | CR0_NE | CR0_PE);
    /* Typical protected-mode CR0 with paging but without NE gains NE. */
    assert_int_equal(apply_ok(0x80000011ull, BOCHS_CR0_FIXED0, BOCHS_CR0_FIXED1), 0x80000031ull);
    assert_false(x86vcpu__fixed_ok(0x80000011ull, BOCHS_CR0_FIXED0, BOCHS_CR0_FIXED1));
    assert_true(x86vcpu__fixed_ok(0x80000031ull, BOCHS_CR0_FIXED0, BOCHS_CR0_FIXED1));
    /* Already fine: unchanged. */
    uint64_t linux_cr0 = CR0_PG | CR0_AM | CR0_WP | CR0_NE | CR0_ET | CR0_MP | CR0_PE; /* 0x80050033 */
    assert_int_equal(linux_cr0, 0x80050033ull);
    assert_int_equal(apply_ok(linux_cr0, BOCHS_CR0_FIXED0, BOCHS_CR0_FIXED1), linux_cr0);
    /* Reset value (CD, NW, ET) gains PE, NE, PG, keeps the rest. */
    assert_int_equal(apply_ok(0x60000010ull, BOCHS_CR0_FIXED0, BOCHS_CR0_FIXED1), 0xE0000031ull);
    assert_int_equal(apply_ok(0, BOCHS_CR0_FIXED0, BOCHS_CR0_FIXED1), BOCHS_CR0_FIXED0);
    /* Bits 63:32 are not in FIXED1 and are cleared. */
    assert_int_equal(apply_ok(0xFFFFFFFF80000011ull, BOCHS_CR0_FIXED0, BOCHS_CR0_FIXED1), 0x80000031ull);
    assert_int_equal(apply_ok(BIT(32) | BIT(63), BOCHS_CR0_FIXED0, BOCHS_CR0_FIXED1), BOCHS_CR0_FIXED0);
    assert_int_equal(apply_ok(UINT64_MAX, BOCHS_CR0_FIXED0, BOCHS_CR0_FIXED1), 0xFFFFFFFFull);
    assert_false(x86vcpu__fixed_ok(0x80000031ull | BIT(32), BOCHS_CR0_FIXED0, BOCHS_CR0_FIXED1));
    /* A hypothetical FIXED1 without AM (bit 18): AM is cleared, rest kept. */
    assert_int_equal(apply_ok(linux_cr0, BOCHS_CR0_FIXED0, 0xFFFBFFFFull), linux_cr0 & ~CR0_AM);
}

static void test_fixed_cr4(void **state)
{
    (void)state;
    /* FIXED1 0x3727FF allows bits 0-10, 13 (VMXE), 16-18, 20, 21 and
     * nothing else: UMIP (11), LA57 (12), SMXE (14), 15, KL (19), PKE (22),
     * CET (23) and everything above must be 0. */
    uint64_t allowed = 0x7FFull | CR4_VMXE | CR4_FSGSBASE | CR4_PCIDE | CR4_OSXSAVE |
                       CR4_SMEP | CR4_SMAP;
    assert_int_equal(allowed, BOCHS_CR4_FIXED1);
    assert_int_equal(BOCHS_CR4_FIXED0, CR4_VMXE);

    /* VMXE is forced on. */
    assert_int_equal(apply_ok(CR4_PAE, BOCHS_CR4_FIXED0, BOCHS_CR4_FIXED1), CR4_PAE | CR4_VMXE);
    assert_int_equal(apply_ok(0, BOCHS_CR4_FIXED0, BOCHS_CR4_FIXED1), CR4_VMXE);
    assert_false(x86vcpu__fixed_ok(CR4_PAE, BOCHS_CR4_FIXED0, BOCHS_CR4_FIXED1));
    assert_true(x86vcpu__fixed_ok(CR4_PAE | CR4_VMXE, BOCHS_CR4_FIXED0, BOCHS_CR4_FIXED1));
    /* Unsupported bits are cleared, supported ones kept. */
    uint64_t want = CR4_PAE | CR4_OSFXSR | CR4_UMIP | CR4_LA57 | CR4_SMXE | CR4_OSXSAVE |
                    CR4_KL | CR4_SMEP | CR4_PKE | CR4_CET | BIT(40);
    assert_int_equal(apply_ok(want, BOCHS_CR4_FIXED0, BOCHS_CR4_FIXED1),
                     CR4_PAE | CR4_OSFXSR | CR4_OSXSAVE | CR4_SMEP | CR4_VMXE);
    assert_false(x86vcpu__fixed_ok(CR4_VMXE | CR4_UMIP, BOCHS_CR4_FIXED0, BOCHS_CR4_FIXED1));
    assert_false(x86vcpu__fixed_ok(CR4_VMXE | CR4_SMXE, BOCHS_CR4_FIXED0, BOCHS_CR4_FIXED1));
    assert_false(x86vcpu__fixed_ok(CR4_VMXE | BIT(32), BOCHS_CR4_FIXED0, BOCHS_CR4_FIXED1));
    assert_true(x86vcpu__fixed_ok(BOCHS_CR4_FIXED1, BOCHS_CR4_FIXED0, BOCHS_CR4_FIXED1));
    assert_int_equal(apply_ok(UINT64_MAX, BOCHS_CR4_FIXED0, BOCHS_CR4_FIXED1), BOCHS_CR4_FIXED1);
}

static void test_fixed_contradictory(void **state)
{
    (void)state;
    uint64_t out = 0x1234;
    /* A bit set in FIXED0 (must be 1) but clear in FIXED1 (must be 0). */
    assert_int_equal(x86vcpu__fixed_apply(0x80000011ull, BOCHS_CR0_FIXED0, 0x7FFFFFFFull, &out),
                     X86VCPU_EFIXEDCR);
    assert_int_equal(x86vcpu__fixed_apply(0, CR4_VMXE, BOCHS_CR4_FIXED1 & ~CR4_VMXE, &out),
                     X86VCPU_EFIXEDCR);
    assert_int_equal(x86vcpu__fixed_apply(0, BIT(40), BOCHS_CR0_FIXED1, &out), X86VCPU_EFIXEDCR);
    /* No value can satisfy such bits. */
    assert_false(x86vcpu__fixed_ok(0x80000031ull, BOCHS_CR0_FIXED0, 0x7FFFFFFFull));
    assert_false(x86vcpu__fixed_ok(0xFFFFFFFFull, BOCHS_CR0_FIXED0, 0x7FFFFFFFull));
    assert_int_equal(strncmp(x86vcpu_strerror(X86VCPU_EFIXEDCR), "EFIXEDCR", 8), 0);
}

/* fixed_ok(v) holds exactly when apply leaves v unchanged, on random values. */
static void test_fixed_ok_agrees_with_apply(void **state)
{
    (void)state;
    static const uint64_t pairs[][2] = {
        { BOCHS_CR0_FIXED0, BOCHS_CR0_FIXED1 },
        { BOCHS_CR4_FIXED0, BOCHS_CR4_FIXED1 },
        { 0x00000021ull, 0xFFFFFFFFull },
        { 0, UINT64_MAX },
        { 0, 0 },
    };
    uint64_t s = 0x0123456789ABCDEFull;
    for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
        uint64_t f0 = pairs[p][0], f1 = pairs[p][1];
        for (int i = 0; i < 4000; i++) {
            uint64_t v = rng_next(&s);
            if (i % 4 == 1)
                v = (v | f0) & f1;      /* a value that already satisfies them */
            else if (i % 4 == 2)
                v &= 0xFFFFFFFFull;
            uint64_t out;
            assert_int_equal(x86vcpu__fixed_apply(v, f0, f1, &out), X86VCPU_OK);
            assert_int_equal(out, (v | f0) & f1);
            assert_true(x86vcpu__fixed_ok(out, f0, f1));
            if (x86vcpu__fixed_ok(v, f0, f1) != (out == v))
                fail_msg("f0 %#llx f1 %#llx v %#llx: ok=%d but apply gives %#llx",
                         (unsigned long long)f0, (unsigned long long)f1, (unsigned long long)v,
                         x86vcpu__fixed_ok(v, f0, f1), (unsigned long long)out);
        }
    }
}

static void test_pinned_masks(void **state)
{
    (void)state;
    /* CR0: without unrestricted guest PE, NE, PG are pinned, plus the
     * reserved bits 63:32 (clear in FIXED1). */
    assert_int_equal(x86vcpu__cr0_pinned_mask(BOCHS_CR0_FIXED0, BOCHS_CR0_FIXED1, 0),
                     0xFFFFFFFF00000000ull | CR0_PE | CR0_NE | CR0_PG);
    /* With unrestricted guest PE and PG are the guest's (SDM 26.3.1.1). */
    assert_int_equal(x86vcpu__cr0_pinned_mask(BOCHS_CR0_FIXED0, BOCHS_CR0_FIXED1, 1),
                     0xFFFFFFFF00000000ull | CR0_NE);
    /* Any non-zero value means "unrestricted". */
    assert_int_equal(x86vcpu__cr0_pinned_mask(BOCHS_CR0_FIXED0, BOCHS_CR0_FIXED1, 7),
                     0xFFFFFFFF00000000ull | CR0_NE);
    assert_int_equal(x86vcpu__cr_pinned_mask(BOCHS_CR0_FIXED0, BOCHS_CR0_FIXED1),
                     0xFFFFFFFF00000000ull | CR0_PE | CR0_NE | CR0_PG);
    /* A hypothetical FIXED1 without AM (bit 18): AM is pinned too. (Not CD or
     * NW: SDM 26.3.1.1 never checks those on VM entry.) */
    assert_int_equal(x86vcpu__cr0_pinned_mask(BOCHS_CR0_FIXED0, 0xFFFBFFFFull, 1),
                     0xFFFFFFFF00000000ull | CR0_AM | CR0_NE);

    /* CR4: VMXE and every bit the CPU does not support. */
    uint64_t m4 = x86vcpu__cr_pinned_mask(BOCHS_CR4_FIXED0, BOCHS_CR4_FIXED1);
    assert_true(m4 & CR4_VMXE);
    assert_int_equal(m4, CR4_VMXE | ~BOCHS_CR4_FIXED1);
    assert_int_equal(m4, 0xFFFFFFFFFFC8D800ull | CR4_VMXE);
    uint64_t unsupported[] = { CR4_UMIP, CR4_LA57, CR4_SMXE, BIT(15), CR4_KL, CR4_PKE, CR4_CET,
                               BIT(24), BIT(31), BIT(32), BIT(63) };
    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
        assert_true(m4 & unsupported[i]);
    /* Supported, not fixed bits are the guest's. */
    uint64_t guest_owned[] = { CR4_PAE, CR4_OSFXSR, BIT(0), BIT(10), CR4_FSGSBASE, CR4_PCIDE,
                               CR4_OSXSAVE, CR4_SMEP, CR4_SMAP };
    for (size_t i = 0; i < sizeof(guest_owned) / sizeof(guest_owned[0]); i++)
        assert_false(m4 & guest_owned[i]);
    /* Pinned = fixed in either direction: the set of bits apply may change. */
    uint64_t s = 42;
    for (int i = 0; i < 1000; i++) {
        uint64_t v = rng_next(&s), out;
        assert_int_equal(x86vcpu__fixed_apply(v, BOCHS_CR4_FIXED0, BOCHS_CR4_FIXED1, &out), X86VCPU_OK);
        assert_int_equal((v ^ out) & ~m4, 0);
    }
}

/* ============================================================ CPUID policy */

#define ECX_VMX     (1u << 5)
#define ECX_OSXSAVE (1u << 27)
#define ECX_HV      (1u << 31)

static void check_leaf1(struct x86vcpu_cpuid_regs in, uint64_t cr4, uint32_t subleaf)
{
    struct x86vcpu_cpuid_regs r = in;
    x86vcpu__cpuid_filter(1, subleaf, cr4, &r);
    uint32_t keep = ~(ECX_VMX | ECX_OSXSAVE | ECX_HV);
    assert_int_equal(r.eax, in.eax);
    assert_int_equal(r.ebx, in.ebx);
    assert_int_equal(r.edx, in.edx);
    assert_int_equal(r.ecx & keep, in.ecx & keep);
    assert_int_equal(r.ecx & ECX_VMX, 0);
    assert_int_equal(r.ecx & ECX_HV, ECX_HV);
    assert_int_equal(r.ecx & ECX_OSXSAVE, (cr4 & BIT(18)) ? ECX_OSXSAVE : 0);
}

static void test_cpuid_leaf1(void **state)
{
    (void)state;
    const uint64_t cr4s[] = { 0, BIT(18), CR4_VMXE | CR4_PAE, CR4_OSXSAVE | CR4_PAE | CR4_OSFXSR,
                              ~BIT(18), UINT64_MAX, BIT(18 + 32), BIT(17) | BIT(19) };
    const struct x86vcpu_cpuid_regs ins[] = {
        { 0, 0, 0, 0 },
        { UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX },
        /* A real Core i7 leaf 1 (VMX and OSXSAVE set by the host). */
        { 0x000906EAu, 0x04100800u, 0x7FFAFBFFu, 0xBFEBFBFFu },
        { 0x12345678u, 0x9ABCDEF0u, 0x0F1E2D3Cu, 0xA5A55A5Au },
        { 0xDEADBEEFu, 0x00C0FFEEu, 0x5555AAAAu & ~ECX_VMX, 0xAAAA5555u },
    };
    for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++)
        for (size_t c = 0; c < sizeof(cr4s) / sizeof(cr4s[0]); c++)
            for (uint32_t sub = 0; sub < 3; sub++)
                check_leaf1(ins[i], cr4s[c], sub == 2 ? UINT32_MAX : sub);

    uint64_t s = 0xC0FFEE;
    for (int i = 0; i < 2000; i++) {
        struct x86vcpu_cpuid_regs in = { (uint32_t)rng_next(&s), (uint32_t)rng_next(&s),
                                         (uint32_t)rng_next(&s), (uint32_t)rng_next(&s) };
        check_leaf1(in, rng_next(&s), (uint32_t)rng_next(&s));
    }

    /* Exact values for the i7 pattern. */
    struct x86vcpu_cpuid_regs r = { 0x000906EAu, 0x04100800u, 0x7FFAFBFFu, 0xBFEBFBFFu };
    x86vcpu__cpuid_filter(1, 0, 0, &r);
    assert_int_equal(r.ecx, 0xF7FAFBDFu);
    r.ecx = 0x7FFAFBFFu;
    x86vcpu__cpuid_filter(1, 0, CR4_OSXSAVE | CR4_VMXE, &r);
    assert_int_equal(r.ecx, 0xFFFAFBDFu);
    r = (struct x86vcpu_cpuid_regs){ 0, 0, 0, 0 };
    x86vcpu__cpuid_filter(1, 0, CR4_OSXSAVE, &r);
    assert_int_equal(r.ecx, ECX_HV | ECX_OSXSAVE);
    r = (struct x86vcpu_cpuid_regs){ 0, 0, 0, 0 };
    x86vcpu__cpuid_filter(1, 0, 0, &r);
    assert_int_equal(r.ecx, ECX_HV);
}

static void test_cpuid_other_leaves_unchanged(void **state)
{
    (void)state;
    const uint32_t leaves[] = { 0, 2, 4, 7, 0xB, 0xD, 0x14, 0x40000000u, 0x40000001u,
                                0x80000000u, 0x80000001u, 0x80000008u, 0x8FFFFFFFu, UINT32_MAX };
    uint64_t s = 77;
    for (size_t l = 0; l < sizeof(leaves) / sizeof(leaves[0]); l++) {
        for (int i = 0; i < 200; i++) {
            struct x86vcpu_cpuid_regs in = { (uint32_t)rng_next(&s), (uint32_t)rng_next(&s),
                                             (uint32_t)rng_next(&s), (uint32_t)rng_next(&s) };
            if (i == 0)
                in = (struct x86vcpu_cpuid_regs){ UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX };
            if (i == 1)
                in = (struct x86vcpu_cpuid_regs){ 0, 0, 0, 0 };
            struct x86vcpu_cpuid_regs r = in;
            x86vcpu__cpuid_filter(leaves[l], (uint32_t)i, (i & 1) ? UINT64_MAX : 0, &r);
            assert_memory_equal(&r, &in, sizeof(r));
        }
    }
}

static void test_cpuid_hv_range(void **state)
{
    (void)state;
    assert_true(x86vcpu__cpuid_is_hv_leaf(0x40000000u));
    assert_true(x86vcpu__cpuid_is_hv_leaf(0x40000001u));
    assert_true(x86vcpu__cpuid_is_hv_leaf(0x40000002u));
    assert_true(x86vcpu__cpuid_is_hv_leaf(0x400000FFu));
    assert_true(x86vcpu__cpuid_is_hv_leaf(0x40000100u));
    assert_true(x86vcpu__cpuid_is_hv_leaf(0x4FFFFFFFu));
    assert_false(x86vcpu__cpuid_is_hv_leaf(0x3FFFFFFFu));
    assert_false(x86vcpu__cpuid_is_hv_leaf(0x50000000u));
    assert_false(x86vcpu__cpuid_is_hv_leaf(0));
    assert_false(x86vcpu__cpuid_is_hv_leaf(1));
    assert_false(x86vcpu__cpuid_is_hv_leaf(0x80000000u));
    assert_false(x86vcpu__cpuid_is_hv_leaf(0xC0000000u));
    assert_false(x86vcpu__cpuid_is_hv_leaf(0x00000040u));
    assert_false(x86vcpu__cpuid_is_hv_leaf(UINT32_MAX));
    assert_int_equal(X86VCPU_CPUID_HV_BASE, 0x40000000u);
}

static void test_cpuid_hv_leaves(void **state)
{
    (void)state;
    static const char vendor[12] = { 'x', '8', '6', 'v', 'c', 'p', 'u', 'V', 'M', 'X', 'h', 'v' };
    struct x86vcpu_cpuid_regs r;
    memset(&r, 0xCC, sizeof(r));
    x86vcpu__cpuid_hv_leaf(0x40000000u, vendor, &r);
    assert_int_equal(r.eax, 0x40000001u);
    /* EBX, ECX, EDX hold the signature bytes in order, lowest byte first. */
    assert_int_equal(r.ebx, 0x76363878u); /* "x86v" */
    assert_int_equal(r.ecx, 0x56757063u); /* "cpuV" */
    assert_int_equal(r.edx, 0x7668584Du); /* "MXhv" */
    char sig[13];
    for (int i = 0; i < 4; i++) {
        sig[i] = (char)(r.ebx >> (8 * i));
        sig[4 + i] = (char)(r.ecx >> (8 * i));
        sig[8 + i] = (char)(r.edx >> (8 * i));
    }
    sig[12] = 0;
    assert_string_equal(sig, "x86vcpuVMXhv");
    /* The string literal form the library uses works too. */
    memset(&r, 0xCC, sizeof(r));
    x86vcpu__cpuid_hv_leaf(0x40000000u, "x86vcpuVMXhv", &r);
    assert_int_equal(r.ebx, 0x76363878u);
    assert_int_equal(r.edx, 0x7668584Du);
    /* High bytes (>= 0x80) do not sign-extend into other bytes. */
    static const char hi[12] = { (char)0xFF, (char)0x80, (char)0xFE, (char)0x81, 1, 2, 3, 4,
                                 (char)0x90, 0, 0, (char)0xFF };
    x86vcpu__cpuid_hv_leaf(0x40000000u, hi, &r);
    assert_int_equal(r.ebx, 0x81FE80FFu);
    assert_int_equal(r.ecx, 0x04030201u);
    assert_int_equal(r.edx, 0xFF000090u);

    /* Every other leaf of the range reads as zeros, whatever r held. */
    const uint32_t others[] = { 0x40000001u, 0x40000002u, 0x40000010u, 0x40000100u,
                                0x4FFFFFFFu };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        memset(&r, 0xCC, sizeof(r));
        x86vcpu__cpuid_hv_leaf(others[i], vendor, &r);
        assert_int_equal(r.eax, 0);
        assert_int_equal(r.ebx, 0);
        assert_int_equal(r.ecx, 0);
        assert_int_equal(r.edx, 0);
    }
}

/* ============================== I/O exit qualification (SDM Table 28-5) */

static uint64_t mk_ioq(unsigned size, int in, int string, int rep, int imm, uint16_t port)
{
    uint64_t q = (uint64_t)(size - 1);  /* 0 = 1 byte, 1 = 2 bytes, 3 = 4 bytes */
    q |= (uint64_t)(in ? 1 : 0) << 3;
    q |= (uint64_t)(string ? 1 : 0) << 4;
    q |= (uint64_t)(rep ? 1 : 0) << 5;
    q |= (uint64_t)(imm ? 1 : 0) << 6;
    q |= (uint64_t)port << 16;
    return q;
}

static void check_io(struct x86vcpu_io_qual io, unsigned size, int in, int string, int rep,
                     int imm, uint16_t port)
{
    assert_int_equal(io.size, size);
    assert_int_equal(io.in, in);
    assert_int_equal(io.string, string);
    assert_int_equal(io.rep, rep);
    assert_int_equal(io.imm, imm);
    assert_int_equal(io.port, port);
}

static void test_io_qual(void **state)
{
    (void)state;
    /* out dx, al (DX = 0x3f8): 1 byte, OUT, DX-encoded. */
    assert_int_equal(mk_ioq(1, 0, 0, 0, 0, 0x3f8), 0x03F80000ull);
    check_io(x86vcpu__decode_io_qual(0x03F80000ull), 1, 0, 0, 0, 0, 0x3f8);
    /* in eax, 0x60: 4 bytes (encoding 3), IN (bit 3), immediate (bit 6). */
    assert_int_equal(mk_ioq(4, 1, 0, 0, 1, 0x60), 0x0060004Bull);
    check_io(x86vcpu__decode_io_qual(0x0060004Bull), 4, 1, 0, 0, 1, 0x60);
    /* rep outsw, DX = 0x1f0: 2 bytes, OUT, string, REP. */
    assert_int_equal(mk_ioq(2, 0, 1, 1, 0, 0x1f0), 0x01F00031ull);
    check_io(x86vcpu__decode_io_qual(0x01F00031ull), 2, 0, 1, 1, 0, 0x1f0);
    /* in ax, dx with DX = 0xffff. */
    assert_int_equal(mk_ioq(2, 1, 0, 0, 0, 0xffff), 0xFFFF0009ull);
    check_io(x86vcpu__decode_io_qual(0xFFFF0009ull), 2, 1, 0, 0, 0, 0xffff);
    /* out 0x80, al; insb; rep insd at port 0. */
    check_io(x86vcpu__decode_io_qual(mk_ioq(1, 0, 0, 0, 1, 0x80)), 1, 0, 0, 0, 1, 0x80);
    check_io(x86vcpu__decode_io_qual(mk_ioq(1, 1, 1, 0, 0, 0x3f8)), 1, 1, 1, 0, 0, 0x3f8);
    check_io(x86vcpu__decode_io_qual(mk_ioq(4, 1, 1, 1, 0, 0)), 4, 1, 1, 1, 0, 0);

    /* Bits 63:32 (and reserved 15:7) are ignored. */
    check_io(x86vcpu__decode_io_qual(0xFFFFFFFF00000000ull | 0x03F80000ull), 1, 0, 0, 0, 0, 0x3f8);
    check_io(x86vcpu__decode_io_qual(0xA5A5A5A500000000ull | 0x0060004Bull), 4, 1, 0, 0, 1, 0x60);
    check_io(x86vcpu__decode_io_qual(0xFFFFFFFF0000FF80ull | 0x01F00031ull), 2, 0, 1, 1, 0, 0x1f0);
    check_io(x86vcpu__decode_io_qual(0x00000001FFFF0009ull), 2, 1, 0, 0, 0, 0xffff);

    /* Every valid combination round-trips. */
    static const unsigned sizes[] = { 1, 2, 4 };
    static const uint16_t ports[] = { 0, 1, 0x20, 0x60, 0x80, 0x3f8, 0xcf8, 0xcfc, 0x8000, 0xffff };
    for (size_t si = 0; si < 3; si++)
        for (unsigned f = 0; f < 16; f++)
            for (size_t p = 0; p < sizeof(ports) / sizeof(ports[0]); p++) {
                int in = f & 1, str = (f >> 1) & 1, rep = (f >> 2) & 1, imm = (f >> 3) & 1;
                uint64_t q = mk_ioq(sizes[si], in, str, rep, imm, ports[p]);
                check_io(x86vcpu__decode_io_qual(q), sizes[si], in, str, rep, imm, ports[p]);
                check_io(x86vcpu__decode_io_qual(q | 0xFFFFFFFF0000FF80ull), sizes[si], in, str,
                         rep, imm, ports[p]);
            }
}

static void test_io_in_merge(void **state)
{
    (void)state;
    const uint64_t rax = 0x1122334455667788ull;
    /* IN AL: only bits 7:0 of RAX change. */
    assert_int_equal(x86vcpu__io_in_merge(rax, 0xAB, 1), 0x11223344556677ABull);
    assert_int_equal(x86vcpu__io_in_merge(rax, 0xFFFFFFABu, 1), 0x11223344556677ABull);
    assert_int_equal(x86vcpu__io_in_merge(UINT64_MAX, 0, 1), 0xFFFFFFFFFFFFFF00ull);
    assert_int_equal(x86vcpu__io_in_merge(0, 0xFF, 1), 0xFFull);
    /* IN AX: only bits 15:0 change. */
    assert_int_equal(x86vcpu__io_in_merge(rax, 0xBEEF, 2), 0x112233445566BEEFull);
    assert_int_equal(x86vcpu__io_in_merge(rax, 0xDEADBEEFu, 2), 0x112233445566BEEFull);
    assert_int_equal(x86vcpu__io_in_merge(UINT64_MAX, 0, 2), 0xFFFFFFFFFFFF0000ull);
    /* IN EAX: a 32-bit destination is zero-extended into RAX. */
    assert_int_equal(x86vcpu__io_in_merge(rax, 0xDEADBEEFu, 4), 0x00000000DEADBEEFull);
    assert_int_equal(x86vcpu__io_in_merge(UINT64_MAX, 0, 4), 0);
    assert_int_equal(x86vcpu__io_in_merge(UINT64_MAX, 0xFFFFFFFFu, 4), 0xFFFFFFFFull);
    assert_int_equal(x86vcpu__io_in_merge(0, 0x80000000u, 4), 0x80000000ull); /* no sign extension */

    uint64_t s = 5;
    for (int i = 0; i < 1000; i++) {
        uint64_t r = rng_next(&s);
        uint32_t v = (uint32_t)rng_next(&s);
        assert_int_equal(x86vcpu__io_in_merge(r, v, 1), (r & ~0xFFull) | (v & 0xFFu));
        assert_int_equal(x86vcpu__io_in_merge(r, v, 2), (r & ~0xFFFFull) | (v & 0xFFFFu));
        assert_int_equal(x86vcpu__io_in_merge(r, v, 4), (uint64_t)v);
    }
}

/* ================================================================ errors */

static void test_strerror(void **state)
{
    (void)state;
    static const struct { int err; const char *name; } errs[] = {
        { X86VCPU_OK, "OK" },
        { X86VCPU_EINVAL, "EINVAL" },
        { X86VCPU_ESTATE, "ESTATE" },
        { X86VCPU_ENOMEM, "ENOMEM" },
        { X86VCPU_ENOVMX, "ENOVMX" },
        { X86VCPU_EVMXLOCKED, "EVMXLOCKED" },
        { X86VCPU_EVMXBASIC, "EVMXBASIC" },
        { X86VCPU_EFIXEDCR, "EFIXEDCR" },
        { X86VCPU_EVMFAILINVALID, "EVMFAILINVALID" },
        { X86VCPU_EVMFAILVALID, "EVMFAILVALID" },
        { X86VCPU_ECTLS, "ECTLS" },
        { X86VCPU_EHOSTSTATE, "EHOSTSTATE" },
        { X86VCPU_EPENDING, "EPENDING" },
        { X86VCPU_EBUSY, "EBUSY" },
        { X86VCPU_ENOTSUP, "ENOTSUP" },
    };
    const size_t n = sizeof(errs) / sizeof(errs[0]);
    /* The enum is 0, -1, ..., -14 with no gaps. */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(errs[i].err, -(int)i);
    const char *unknown = x86vcpu_strerror(-1000);
    assert_non_null(unknown);
    for (size_t i = 0; i < n; i++) {
        const char *s = x86vcpu_strerror(errs[i].err);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        /* The string starts with the code's name ("EINVAL", ...) as a word. */
        size_t len = strlen(errs[i].name);
        if (strncmp(s, errs[i].name, len) != 0 || (s[len] != 0 && s[len] != ':' && s[len] != ' '))
            fail_msg("strerror(%d) = \"%s\", expected it to name %s", errs[i].err, s,
                     errs[i].name);
        assert_string_not_equal(s, unknown);
        for (size_t j = 0; j < i; j++)
            if (strcmp(s, x86vcpu_strerror(errs[j].err)) == 0)
                fail_msg("errors %d and %d share the name \"%s\"", errs[i].err, errs[j].err, s);
    }
    /* Unknown values still give a string. */
    const int bad[] = { 1, 2, 100, -15, -16, -100, INT32_MAX, INT32_MIN };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *s = x86vcpu_strerror(bad[i]);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_bochs_value),
        cmocka_unit_test(test_basic_rejects),
        cmocka_unit_test(test_ctls_defaults),
        cmocka_unit_test(test_ctls_required_supported),
        cmocka_unit_test(test_ctls_required_missing),
        cmocka_unit_test(test_ctls_optional),
        cmocka_unit_test(test_ctls_must1_and_requested),
        cmocka_unit_test(test_ctls_random),
        cmocka_unit_test(test_fixed_cr0),
        cmocka_unit_test(test_fixed_cr4),
        cmocka_unit_test(test_fixed_contradictory),
        cmocka_unit_test(test_fixed_ok_agrees_with_apply),
        cmocka_unit_test(test_pinned_masks),
        cmocka_unit_test(test_cpuid_leaf1),
        cmocka_unit_test(test_cpuid_other_leaves_unchanged),
        cmocka_unit_test(test_cpuid_hv_range),
        cmocka_unit_test(test_cpuid_hv_leaves),
        cmocka_unit_test(test_io_qual),
        cmocka_unit_test(test_io_in_merge),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests_name("logic", tests, NULL, NULL);
}
