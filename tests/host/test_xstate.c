/* The guest's SSE state across exits to the embedder when its XCR0 lacks
 * SSE (XCR0 = 1 is legal, SDM Vol. 1 13.3): SSE instructions need only
 * CR4.OSFXSR, so the guest still owns XMM0-15 and MXCSR, but XSAVE under
 * its XCR0 leaves them out (RFBM = XCR0 AND mask, 13.8). src/vmx/xstate.c
 * adds FXSAVE/FXRSTOR then; without them the host's registers reach the
 * guest and the guest's are lost. */
#include "host.h"

static uint64_t seen[2];

static void guest_writes_xmm2(struct x86vcpu_regs *r, unsigned n)
{
    (void)r;
    (void)n;
    mock.xmm[2][0] = 0x1111222233334444ull;
    mock.xmm[2][1] = 0x5555666677778888ull;
}

static void guest_reads_xmm2(struct x86vcpu_regs *r, unsigned n)
{
    (void)r;
    (void)n;
    seen[0] = mock.xmm[2][0];
    seen[1] = mock.xmm[2][1];
}

static void xmm_across_exit(uint64_t guest_xcr0)
{
    struct host h;
    mock_reset();
    /* A host with XSAVE enabled: CPUID.1:ECX[26] and OSXSAVE, 0DH.0:ECX the
     * area size, CR4.OSXSAVE, XCR0 = x87|SSE|AVX. */
    mock_set_cpuid(1, 0, 1, 0x000306a9, 0, (1u << 5) | (1u << 26) | (1u << 27), 0x178bfbff);
    mock_set_cpuid(0xd, 0, 0, 7, 832, 832, 0);
    mock.cr[4] |= 1u << 18;
    mock.xcr0 = 7;
    host_start(&h, X86VCPU_MODE_LONG64);
    assert_true(h.cpu.xsave_size != 0);
    h.v->guest_osxsave = 1;
    h.v->guest_xcr0 = guest_xcr0;
    mock.xmm[2][0] = 0xaaaa;            /* the host's */
    mock.xmm[2][1] = 0xbbbb;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CPUID, 0, 2, guest_writes_xmm2 });
    /* Back in the embedder: the host's registers again. */
    assert_int_equal(mock.xmm[2][0], 0xaaaa);
    assert_int_equal(mock.xmm[2][1], 0xbbbb);
    mock.xmm[2][0] = 0xcccc;            /* the embedder uses SSE meanwhile */
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CPUID, 0, 2, guest_reads_xmm2 });
    /* The guest finds its own. */
    assert_int_equal(seen[0], 0x1111222233334444ull);
    assert_int_equal(seen[1], 0x5555666677778888ull);
    assert_int_equal(mock.xmm[2][0], 0xcccc);
    host_stop(&h);
}

static void test_xmm_xcr0_x87_only(void **state)
{
    (void)state;
    xmm_across_exit(XCR0_X87);
}

static void test_xmm_xcr0_sse(void **state)
{
    (void)state;
    xmm_across_exit(XCR0_X87 | XCR0_SSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xmm_xcr0_x87_only),
        cmocka_unit_test(test_xmm_xcr0_sse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
