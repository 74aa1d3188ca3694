/* Issue 11, the guest fuzzer's divergences (tests/fuzzguest/README.md):
 * one test per library defect it found, each failing before its fix.
 *   noinvd     INVD completes inside the library, RIP += the exit's length
 *   norf       a fault the library or the embedder injects pushes RF = 1
 *   nocd       CR0.CD/NW read back exactly as written
 *   nofmaskhi  IA32_FMASK[63:32] stay reserved (#GP), an intended difference */
#include "host.h"

static int setup(void **state)
{
    (void)state;
    mock_reset();
    return 0;
}

#define INFO_VALID 0x80000000u
#define INFO_HW_EXC (3u << 8)
#define INFO_HAS_ERR (1u << 11)
#define GP_INFO (INFO_VALID | INFO_HW_EXC | INFO_HAS_ERR | X86VCPU_VEC_GP)

/* ------------------------------------------------------------- noinvd */

/* INVD exits unconditionally: the library completes it (a no-op for the
 * host, which never runs INVD), RIP advanced by the length the CPU
 * reported, whatever it is, nothing injected; the run goes on. */
static void test_invd_completes_in_library(void **state)
{
    (void)state;
    static const enum x86vcpu_mode modes[] = { X86VCPU_MODE_REAL, X86VCPU_MODE_PROT32,
                                               X86VCPU_MODE_LONG64 };
    for (unsigned m = 0; m < 3; m++) {
        struct host h;
        mock_reset();
        host_start(&h, modes[m]);
        for (uint32_t len = 2; len <= 4; len++) { /* 0F 08, with prefixes */
            mock_set_vmcs(F(GUEST_RIP), 0x1000);
            mock_set_vmcs(F(GUEST_INTERRUPTIBILITY), INTR_BLOCK_STI);
            mock_clear_ops();
            assert_int_equal(RUN_STEPS(&h, { X86VCPU_EXIT_REASON_INVD, 0, len, 0 }), X86VCPU_OK);
            /* Handled inside: the run ended only at the time slice. */
            assert_int_equal(h.e.kind, X86VCPU_EXIT_TIME_SLICE);
            assert_int_equal(mock.entries, 2);
            assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000 + len);
            assert_int_equal(mock.entry_intr_info, 0);
            /* Completed like any instruction: the STI shadow is over. */
            assert_int_equal(mock.entry_interruptibility, 0);
            /* The host's caches: its CR0 untouched. */
            assert_int_equal(mock_count_a(OP_WRCR, 0), 0);
        }
        assert_int_equal(h.v->stats.exits[X86VCPU_EXIT_REASON_INVD], 3);
        host_stop(&h);
    }
}

/* ---------------------------------------------------------------- norf */

static uint64_t rflags_before;

static void set_rflags(uint64_t f)
{
    rflags_before = f;
    mock_set_vmcs(F(GUEST_RFLAGS), f);
}

/* MOV to CR0 with NW = 1, CD = 0 from RAX: #GP(0). */
static void gp_from_cr0_write(struct host *h)
{
    h->v->regs.gpr[X86VCPU_RAX] = (x86vcpu__guest_cr0(h->v) & ~(uint64_t)CR0_CD) | CR0_NW;
    RUN_STEPS(h, { X86VCPU_EXIT_REASON_CR_ACCESS, QUAL_CR(0, 0, X86VCPU_RAX), 3, 0 });
}

/* The library's own faults: #GP from MOV CR0, #UD from XSETBV (no
 * CR4.OSXSAVE), #GP for an MSR access the embedder left uncompleted. RF
 * set on top of the guest's flags, RIP on the instruction. */
static void test_library_faults_push_rf(void **state)
{
    (void)state;
    static const enum x86vcpu_mode modes[] = { X86VCPU_MODE_PROT32, X86VCPU_MODE_LONG64 };
    for (unsigned m = 0; m < 2; m++) {
        struct host h;
        mock_reset();
        host_start(&h, modes[m]);

        set_rflags(0x246);
        mock_set_vmcs(F(GUEST_RIP), 0x1000);
        gp_from_cr0_write(&h);
        assert_int_equal(mock.entry_intr_info, GP_INFO);
        assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
        assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)), rflags_before | RFLAGS_RF);

        set_rflags(0x2);
        h.v->regs.gpr[X86VCPU_RCX] = 0;
        h.v->regs.gpr[X86VCPU_RAX] = 3;
        h.v->regs.gpr[X86VCPU_RDX] = 0;
        RUN_STEPS(&h, { X86VCPU_EXIT_REASON_XSETBV, 0, 3, 0 });
        assert_int_equal(mock.entry_intr_info, INFO_VALID | INFO_HW_EXC | X86VCPU_VEC_UD);
        assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)), 0x2 | RFLAGS_RF);

        /* RDMSR of an MSR nobody serves: to the embedder, which does not
         * complete it; the next run raises #GP(0). */
        set_rflags(0x202);
        h.v->regs.gpr[X86VCPU_RCX] = 0x12345678;
        RUN_STEPS(&h, { X86VCPU_EXIT_REASON_RDMSR, 0, 2, 0 });
        assert_int_equal(h.e.kind, X86VCPU_EXIT_MSR_READ);
        assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)), 0x202);
        RUN_STEPS(&h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
        assert_int_equal(mock.entry_intr_info, GP_INFO);
        assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)), 0x202 | RFLAGS_RF);
        host_stop(&h);
    }
}

/* Exceptions the embedder (or gmem.c, through the same queue) raises:
 * faults get RF; #DB, NMI, traps, aborts, software exceptions and
 * interrupts do not. */
static void test_queued_events_rf_only_for_faults(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    for (uint32_t vec = 0; vec < 22; vec++) {
        if (vec == X86VCPU_VEC_NMI || vec == 15)
            continue;
        set_rflags(0x2);
        int err = x86vcpu__exception_has_error_code(vec);
        assert_int_equal(x86vcpu_queue_exception(h.v, (uint8_t)vec, err, 0, 0x5000), X86VCPU_OK);
        RUN_STEPS(&h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
        assert_int_equal(mock.entry_intr_info & 0xff, vec);
        int fault = vec != 1 && vec != 3 && vec != 4 && vec != 8 && vec != 18;
        assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)), fault ? 0x2 | RFLAGS_RF : 0x2);
    }
    set_rflags(0x2);
    assert_int_equal(x86vcpu_queue_soft_exception(h.v, X86VCPU_VEC_BP, 1), X86VCPU_OK);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
    assert_int_equal(mock.entry_intr_info, INFO_VALID | (6u << 8) | X86VCPU_VEC_BP);
    assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)), 0x2);
    assert_int_equal(x86vcpu_queue_soft_interrupt(h.v, 0x80, 2), X86VCPU_OK);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
    assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)), 0x2);
    set_rflags(0x202);
    assert_int_equal(x86vcpu_queue_interrupt(h.v, 0x30), X86VCPU_OK);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
    assert_int_equal(mock.entry_intr_info, INFO_VALID | 0x30);
    assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)), 0x202);
    assert_int_equal(x86vcpu_queue_nmi(h.v), X86VCPU_OK);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
    assert_int_equal(mock.entry_intr_info, INFO_VALID | (2u << 8) | 2);
    assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)), 0x202);
    host_stop(&h);
}

/* Real mode pushes a 16-bit FLAGS image, without RF: RF stays clear (it
 * would otherwise stay set in the handler), and no error code. */
static void test_real_mode_fault_no_rf(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_REAL);
    set_rflags(0x2);
    gp_from_cr0_write(&h);
    assert_int_equal(mock.entry_intr_info, INFO_VALID | INFO_HW_EXC | X86VCPU_VEC_GP);
    assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)), 0x2);
    host_stop(&h);
}

/* ---------------------------------------------------------------- nocd */

/* The CPU's part of CR0 at VM entry: CD and NW are never loaded from the
 * CR0 field (SDM 26.3.2.1), nor at VM exit from HOST_CR0 (28.5.1): the
 * CPU keeps its own, the host's. Every entry of these scripts does that,
 * then the listed exits follow. */
static const struct steps *cd_steps;

static int cd_script(struct x86vcpu_regs *regs, unsigned n, void *ctx)
{
    (void)ctx;
    const uint64_t keep = CR0_CD | CR0_NW;
    mock_set_vmcs(F(GUEST_CR0), (mock_vmcs(F(GUEST_CR0)) & ~keep) | (mock.cr[0] & keep));
    return steps_script(regs, n, (void *)cd_steps);
}

/* MOV to CR0 of `val` (an exit: CD/NW are host-owned). */
static void cr0_write(struct host *h, uint64_t val)
{
    static const struct step s[] = { { X86VCPU_EXIT_REASON_CR_ACCESS, QUAL_CR(0, 0, X86VCPU_RBX),
                                       3, 0 } };
    static const struct steps st = { s, 1 };
    h->v->regs.gpr[X86VCPU_RBX] = val;
    cd_steps = &st;
    mock.entries = 0;
    assert_int_equal(host_run(h, cd_script, NULL), X86VCPU_OK);
    assert_int_equal(h->e.kind, X86VCPU_EXIT_TIME_SLICE);
}

static void test_cr0_cd_nw_as_written(void **state)
{
    (void)state;
    static const enum x86vcpu_mode modes[] = { X86VCPU_MODE_REAL, X86VCPU_MODE_PROT32,
                                               X86VCPU_MODE_LONG64 };
    const uint64_t cdnw = CR0_CD | CR0_NW;
    for (unsigned m = 0; m < 3; m++) {
        struct host h;
        mock_reset();
        host_start(&h, modes[m]);
        /* Host-owned: every guest write of them exits. */
        assert_int_equal(mock_vmcs(F(CR0_GUEST_HOST_MASK)) & cdnw, cdnw);
        uint64_t host_cr0 = mock.cr[0];
        uint64_t base = x86vcpu__guest_cr0(h.v);
        assert_int_equal(base & cdnw, 0);

        /* CD = NW = 1 reads back with both (fuzzer program 147). */
        mock_set_vmcs(F(GUEST_RIP), 0x1000);
        cr0_write(&h, base | cdnw);
        assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1003);
        assert_int_equal(mock.entry_intr_info, 0);
        assert_int_equal(x86vcpu__guest_cr0(h.v), base | cdnw);
        /* CD alone, then neither (program 380: CD stuck). */
        cr0_write(&h, base | CR0_CD);
        assert_int_equal(x86vcpu__guest_cr0(h.v), base | CR0_CD);
        cr0_write(&h, base);
        assert_int_equal(x86vcpu__guest_cr0(h.v), base);
        cr0_write(&h, base | CR0_CD);
        assert_int_equal(x86vcpu__guest_cr0(h.v), base | CR0_CD);
        /* NW without CD: #GP(0), CR0 as it was. */
        mock_set_vmcs(F(GUEST_RIP), 0x2000);
        cr0_write(&h, base | CR0_NW);
        assert_int_equal(mock.entry_intr_info & 0xff, X86VCPU_VEC_GP);
        assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x2000);
        assert_int_equal(x86vcpu__guest_cr0(h.v), base | CR0_CD);
        /* Another bit changes: CD and NW stay as the guest wrote them. */
        cr0_write(&h, base | cdnw | CR0_TS);
        cr0_write(&h, (base | cdnw) & ~(uint64_t)CR0_TS);
        assert_int_equal(x86vcpu__guest_cr0(h.v), (base | cdnw) & ~(uint64_t)CR0_TS);
        /* The host's caching is the host's: its CR0 never written, the
         * CR0 field holds neither bit. */
        assert_int_equal(mock.cr[0], host_cr0);
        assert_int_equal(mock_count_a(OP_WRCR, 0), 0);
        assert_int_equal(mock_vmcs(F(GUEST_CR0)) & cdnw, 0);
        host_stop(&h);
    }
}

/* ----------------------------------------------------------- nofmaskhi */

/* IA32_FMASK bits 63:32 are reserved (SDM Vol. 4 Table 2-2): WRMSR #GP(0)
 * with RF, the host's MSR never written; bits 31:0 are taken. */
static void test_fmask_high_bits_gp(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    for (int bit = 32; bit < 64; bit++) {
        set_rflags(0x2);
        mock_set_vmcs(F(GUEST_RIP), 0x1000);
        h.v->regs.gpr[X86VCPU_RCX] = 0xc0000084u;
        h.v->regs.gpr[X86VCPU_RAX] = 0x700;
        h.v->regs.gpr[X86VCPU_RDX] = (uint32_t)(1ull << (bit - 32));
        mock_clear_ops();
        RUN_STEPS(&h, { X86VCPU_EXIT_REASON_WRMSR, 0, 2, 0 });
        assert_int_equal(mock.entry_intr_info, GP_INFO);
        assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
        assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)), 0x2 | RFLAGS_RF);
        /* The host's MSR never gets the value (only the switch's). */
        for (unsigned i = 0; i < mock.nops; i++)
            if (mock.ops[i].kind == OP_WRMSR && mock.ops[i].a == 0xc0000084u)
                assert_int_equal(mock.ops[i].b >> 32, 0);
    }
    h.v->regs.gpr[X86VCPU_RAX] = 0xffffffffu;
    h.v->regs.gpr[X86VCPU_RDX] = 0;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_WRMSR, 0, 2, 0 });
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1002);
    host_stop(&h);
}

/* SWAPGS exchanges GS.base and IA32_KERNEL_GS_BASE without a VM exit
 * (SDM Vol. 2, SWAPGS). The guest's new KERNEL_GS_BASE must survive the
 * return to the embedder, and the host's must come back, also when guest
 * and host held the same value at entry (nothing was switched). Found by
 * the guest fuzzer: seed 6, program 10250. */
#define KGS 0xc0000102u
static void guest_swapgs(struct x86vcpu_regs *regs, unsigned n)
{
    (void)regs;
    (void)n;
    mock_set_msr(KGS, 0x800);       /* the old GS.base went to KGS */
}

static void test_swapgs_kernel_gs_base_kept(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    for (int equal = 0; equal < 2; equal++) {
        uint64_t host_val = equal ? 0 : 0xffff800000001000ull;
        mock_set_msr(KGS, host_val);
        RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 1, 1, guest_swapgs });
        assert_int_equal(h.e.kind, X86VCPU_EXIT_HLT);
        assert_int_equal(mock_msr(KGS), host_val);      /* the host's again */
        /* Next run: the guest's 0x800 goes back in before the entry. */
        mock_clear_ops();
        RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 1, 1, 0 });
        const struct mock_op *in = mock_first(OP_WRMSR, 1, KGS);
        assert_non_null(in);
        assert_int_equal(in->b, 0x800);
        assert_int_equal(mock_msr(KGS), host_val);
        /* the guest swaps back: 0 again for the next round */
        mock_set_msr(KGS, host_val);
        h.v->smsr_guest[SMSR_KGS] = 0;
    }
    host_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_invd_completes_in_library, setup),
        cmocka_unit_test_setup(test_library_faults_push_rf, setup),
        cmocka_unit_test_setup(test_queued_events_rf_only_for_faults, setup),
        cmocka_unit_test_setup(test_real_mode_fault_no_rf, setup),
        cmocka_unit_test_setup(test_cr0_cd_nw_as_written, setup),
        cmocka_unit_test_setup(test_fmask_high_bits_gp, setup),
        cmocka_unit_test_setup(test_swapgs_kernel_gs_base_kept, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
