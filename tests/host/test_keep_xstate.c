/* Host harness: x86vcpu_vcpu_keep_xstate and x86vcpu_vcpu_put (xstate.c;
 * issue 15, the run() boundary). With keep on, run() returns with the
 * guest's extended state still in the registers and the next run() finds
 * it there; x86vcpu_vcpu_put, keep off and unbind put the host's back.
 * The mock CPU models XMM0-15 (mock.xmm) and XCR0: the guest's and the
 * host's values are told apart there. */
#include "host.h"

static uint64_t seen[2];

static void guest_writes_xmm2(struct x86vcpu_regs *r, unsigned n)
{
    (void)r;
    (void)n;
    mock.xmm[2][0] = 0x1111;
    mock.xmm[2][1] = 0x2222;
}

static void guest_reads_xmm2(struct x86vcpu_regs *r, unsigned n)
{
    (void)r;
    (void)n;
    seen[0] = mock.xmm[2][0];
    seen[1] = mock.xmm[2][1];
}

static void start(struct host *h)
{
    mock_reset();
    /* XSAVE enabled: CPUID.1:ECX[26], OSXSAVE; 0DH.0:ECX the area size;
     * CR4.OSXSAVE; XCR0 = x87|SSE|AVX. */
    mock_set_cpuid(1, 0, 1, 0x000306a9, 0, (1u << 5) | (1u << 26) | (1u << 27), 0x178bfbff);
    mock_set_cpuid(0xd, 0, 0, 7, 832, 832, 0);
    mock.cr[4] |= 1u << 18;
    mock.xcr0 = 7;
    host_start(h, X86VCPU_MODE_LONG64);
    assert_true(h->cpu.xsave_size != 0);
    h->v->guest_osxsave = 1;
    h->v->guest_xcr0 = XCR0_X87 | XCR0_SSE;
    mock.xmm[2][0] = 0xaaaa; /* the host's */
    mock.xmm[2][1] = 0xbbbb;
}

/* Kept between runs; put restores the host's and the next run the
 * guest's. */
static void test_keep_and_put(void **st)
{
    (void)st;
    struct host h;
    start(&h);
    assert_int_equal(x86vcpu_vcpu_keep_xstate(h.v, 1), X86VCPU_OK);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, guest_writes_xmm2 });
    /* Back in the embedder: still the guest's registers, and its XCR0. */
    assert_int_equal(mock.xmm[2][0], 0x1111);
    assert_int_equal(mock.xcr0, XCR0_X87 | XCR0_SSE);
    seen[0] = 0;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, guest_reads_xmm2 });
    assert_int_equal(seen[0], 0x1111);
    assert_int_equal(seen[1], 0x2222);
    assert_int_equal(x86vcpu_vcpu_put(h.v), X86VCPU_OK);
    assert_int_equal(mock.xmm[2][0], 0xaaaa); /* the host's back */
    assert_int_equal(mock.xmm[2][1], 0xbbbb);
    assert_int_equal(mock.xcr0, 7);
    assert_int_equal(x86vcpu_vcpu_put(h.v), X86VCPU_OK); /* nothing kept: no-op */
    assert_int_equal(mock.xmm[2][0], 0xaaaa);
    mock.xmm[2][0] = 0xcccc; /* the embedder uses SSE after put */
    seen[0] = 0;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, guest_reads_xmm2 });
    assert_int_equal(seen[0], 0x1111); /* loaded again from the saved image */
    /* Keep off puts at once. */
    assert_int_equal(x86vcpu_vcpu_keep_xstate(h.v, 0), X86VCPU_OK);
    assert_int_equal(mock.xmm[2][0], 0xcccc);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, guest_reads_xmm2 });
    assert_int_equal(mock.xmm[2][0], 0xcccc); /* off: switched at each run */
    host_stop(&h);
}

/* Unbind puts: the vCPU may be bound on another CPU next. */
static void test_unbind_puts(void **st)
{
    (void)st;
    struct host h;
    start(&h);
    assert_int_equal(x86vcpu_vcpu_keep_xstate(h.v, 1), X86VCPU_OK);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, guest_writes_xmm2 });
    assert_int_equal(mock.xmm[2][0], 0x1111);
    assert_int_equal(x86vcpu_vcpu_unbind(h.v), X86VCPU_OK);
    assert_int_equal(mock.xmm[2][0], 0xaaaa);
    assert_int_equal(mock.xcr0, 7);
    assert_int_equal(x86vcpu_vcpu_bind(h.v, &h.cpu), X86VCPU_OK);
    seen[0] = 0;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, guest_reads_xmm2 });
    assert_int_equal(seen[0], 0x1111);
    host_stop(&h);
}

/* What the guest may see of XCR0 changed between runs (CR4.OSXSAVE
 * cleared, as an INIT does): the next run sets the hardware's XCR0 even
 * though the state stayed loaded. */
static uint64_t xcr0_seen;
static void guest_xcr0(struct x86vcpu_regs *r, unsigned n)
{
    (void)r;
    (void)n;
    xcr0_seen = mock.xcr0;
}

static void test_xcr0_follows(void **st)
{
    (void)st;
    struct host h;
    start(&h);
    h.v->guest_xcr0 = XCR0_X87;
    assert_int_equal(x86vcpu_vcpu_keep_xstate(h.v, 1), X86VCPU_OK);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, guest_xcr0 });
    assert_int_equal(xcr0_seen, XCR0_X87);
    h.v->guest_osxsave = 0;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, guest_xcr0 });
    assert_int_equal(xcr0_seen, 7); /* the host's, for a guest without OSXSAVE */
    host_stop(&h);
}

static void test_einval(void **st)
{
    (void)st;
    assert_int_equal(x86vcpu_vcpu_keep_xstate(NULL, 1), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu_vcpu_put(NULL), X86VCPU_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_and_put),
        cmocka_unit_test(test_unbind_puts),
        cmocka_unit_test(test_xcr0_follows),
        cmocka_unit_test(test_einval),
    };
    return cmocka_run_group_tests_name("keep_xstate", tests, NULL, NULL);
}
