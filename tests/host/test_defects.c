/* Issue 11: each defect the harness reproduces, one test each (they failed
 * before their fix), plus the test blind spots the harness closes. */
#include "host.h"

static int setup(void **state)
{
    (void)state;
    mock_reset();
    return 0;
}

#define INFO_VALID 0x80000000u

/* ------------------------------------------------------ defect 3: IA32_XSS */

static void xsaves_machine(void)
{
    /* XSAVE, XSAVES, and supervisor components PT (8), CET (11, 12). */
    mock_set_cpuid(1, 0, 1, 0x000306a9, 0, (1u << 5) | (1u << 26), 0x178bfbff);
    mock_set_cpuid(0xd, 0, 0, 3, 0x240, 0x240, 0);
    mock_set_cpuid(0xd, 1, 0, 1u << 3, 0, (1u << 8) | (1u << 11) | (1u << 12), 0);
    mock_set_cpuid(0xd, 8, 0, 0x80, 0, 1, 0);
}

static void test_xss_supervisor_components_gp(void **state)
{
    (void)state;
    xsaves_machine();
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    for (int bit = 0; bit < 64; bit++) {
        h.v->regs.gpr[X86VCPU_RCX] = 0xda0;
        h.v->regs.gpr[X86VCPU_RAX] = (uint32_t)(1ull << bit);
        h.v->regs.gpr[X86VCPU_RDX] = (uint32_t)((1ull << bit) >> 32);
        mock_set_vmcs(F(GUEST_RIP), 0x1000);
        mock_clear_ops();
        RUN_STEPS(&h, { X86VCPU_EXIT_REASON_WRMSR, 0, 2, 0 });
        /* #GP(0), RIP on the WRMSR, the host's XSS never written. */
        assert_int_equal(mock.entries, 2);
        assert_int_equal(mock.entry_intr_info, INFO_VALID | (3u << 8) | (1u << 11) | 13);
        assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
        assert_int_equal(mock_count_a(OP_WRMSR, 0xda0), 0);
    }
    /* XSS = 0 is fine. */
    h.v->regs.gpr[X86VCPU_RAX] = h.v->regs.gpr[X86VCPU_RDX] = 0;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_WRMSR, 0, 2, 0 });
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1002);
    /* CPUID reports none of them. */
    h.v->regs.gpr[X86VCPU_RAX] = 0xd;
    h.v->regs.gpr[X86VCPU_RCX] = 1;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CPUID, 0, 2, 0 });
    assert_int_equal(h.v->regs.gpr[X86VCPU_RCX], 0);
    assert_int_equal(h.v->regs.gpr[X86VCPU_RDX], 0);
    h.v->regs.gpr[X86VCPU_RAX] = 0xd;
    h.v->regs.gpr[X86VCPU_RCX] = 8;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CPUID, 0, 2, 0 });
    assert_int_equal(h.v->regs.gpr[X86VCPU_RAX], 0);
    host_stop(&h);
}

/* ------------------------------------------- defect 7: REP INS/OUTS counts */

static void rep_ins_exit(struct host *h, uint64_t rcx)
{
    h->v->regs.gpr[X86VCPU_RCX] = rcx;
    h->v->regs.gpr[X86VCPU_RDI] = 0x5000;
    mock_set_vmcs(F(GUEST_RIP), 0x2000);
    mock_set_vmcs(F(EXIT_INSTR_INFO), 2u << 7); /* 64-bit addresses */
    mock_set_vmcs(F(GUEST_LINEAR_ADDRESS), 0x5000);
    RUN_STEPS(h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION, QUAL_IO(0x60, 1, 1, 1, 1), 3, 0 });
}

static void test_rep_ins_count_64bit(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    /* RCX = 2^32 + 5: not 5 elements and done. */
    rep_ins_exit(&h, (1ull << 32) + 5);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_IO);
    assert_int_equal(h.e.u.io.count, 0xffffffffu);
    assert_int_equal(x86vcpu_complete_string_io(h.v, 5), X86VCPU_OK);
    assert_int_equal(h.v->regs.gpr[X86VCPU_RCX], 1ull << 32);
    assert_int_equal(h.v->regs.gpr[X86VCPU_RDI], 0x5005);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x2000); /* not done: runs again */
    /* RCX = 2^32 is not "nothing to do": the exit reaches the embedder. */
    rep_ins_exit(&h, 1ull << 32);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_IO);
    assert_int_equal(h.e.u.io.count, 0xffffffffu);
    assert_int_equal(x86vcpu_complete_string_io(h.v, 0xffffffffu), X86VCPU_OK);
    assert_int_equal(h.v->regs.gpr[X86VCPU_RCX], 1);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x2000);
    /* The last element completes it. */
    rep_ins_exit(&h, 1);
    assert_int_equal(h.e.u.io.count, 1);
    assert_int_equal(x86vcpu_complete_string_io(h.v, 1), X86VCPU_OK);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x2003);
    host_stop(&h);
}

/* ---------------------------------------- defect 5: NMI window, no progress */

/* The CPU takes the NMI window as open inside the STI shadow (SDM 26.7.6
 * allows it): it exits before any instruction, the shadow still there,
 * until an NMI is injected. */
static int nmi_window_script(struct x86vcpu_regs *regs, unsigned n, void *ctx)
{
    (void)regs, (void)n, (void)ctx;
    if (mock.entry_intr_info) {
        mock_exit(X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0);
        return 0;
    }
    assert_true(mock.vmcs[F(PROC_BASED_CTLS)] & PROC_NMI_WINDOW);
    mock_exit(X86VCPU_EXIT_REASON_NMI_WINDOW, 0, 0);
    return 0;
}

static void test_nmi_window_in_sti_shadow_progresses(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_PROT32);
    mock.max_entries = 100;
    mock_set_vmcs(F(GUEST_RFLAGS), 0x202);
    mock_set_vmcs(F(GUEST_INTERRUPTIBILITY), INTR_BLOCK_STI);
    assert_int_equal(x86vcpu_queue_nmi(h.v), X86VCPU_OK);
    mock.entries = 0;
    assert_int_equal(host_run(&h, nmi_window_script, NULL), X86VCPU_OK);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_TIME_SLICE);
    assert_int_equal(mock.entry_intr_info, INFO_VALID | (2u << 8) | 2);
    assert_int_equal(mock.entry_interruptibility & (INTR_BLOCK_STI | INTR_BLOCK_MOVSS), 0);
    assert_true(mock.entries <= 3);
    host_stop(&h);
}

/* A guest whose exits are all handled inside run (CPUID in a loop), on a
 * CPU whose exits do not save the preemption timer: every entry restarts
 * the slice, yet the slice must end the run. */
static int cpuid_forever(struct x86vcpu_regs *regs, unsigned n, void *ctx)
{
    (void)n, (void)ctx;
    regs->gpr[X86VCPU_RAX] = 0;
    mock_exit(X86VCPU_EXIT_REASON_CPUID, 0, 2);
    return 0;
}

static void test_time_slice_ends_internal_loop(void **state)
{
    (void)state;
    /* TRUE exit controls without bit 22 (save preemption timer value). */
    mock_set_msr(0x48f, (0x00036dfbull) | (0x003fffffull << 32));
    struct host h;
    host_init(&h, X86VCPU_MODE_LONG64);
    h.setup.time_slice = 5000;
    host_bind(&h);
    assert_int_equal(h.v->ctl_exit & EXIT_SAVE_PREEMPT, 0);
    mock.entries = 0;
    assert_int_equal(host_run(&h, cpuid_forever, NULL), X86VCPU_OK);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_TIME_SLICE);
    assert_true(mock.entries <= X86VCPU_SLICE_MAX_EXITS);
    /* The guest went on meanwhile, and goes on after. */
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x100000 + 2 * mock.entries);
    host_stop(&h);
}

/* With the timer saved across exits the CPU ends the slice itself: no
 * bound, handled exits go on. */
static void test_time_slice_saved_no_bound(void **state)
{
    (void)state;
    struct host h;
    host_init(&h, X86VCPU_MODE_LONG64);
    h.setup.time_slice = 5000;
    host_bind(&h);
    assert_true(h.v->ctl_exit & EXIT_SAVE_PREEMPT);
    mock.max_entries = 3000;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CPUID, 0, 2, 0 });
    assert_int_equal(h.e.kind, X86VCPU_EXIT_TIME_SLICE);
    host_stop(&h);
}

/* MOV-SS blocking holds NMIs on every CPU: no window exit is expected, and
 * the library must not drop that blocking. */
static void test_nmi_window_keeps_movss(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_PROT32);
    mock_set_vmcs(F(GUEST_INTERRUPTIBILITY), INTR_BLOCK_MOVSS);
    assert_int_equal(x86vcpu_queue_nmi(h.v), X86VCPU_OK);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_NMI_WINDOW, 0, 0, 0 });
    assert_int_equal(mock.entry_interruptibility, INTR_BLOCK_MOVSS);
    assert_int_equal(mock.injections, 0);
    host_stop(&h);
}

/* -------------------------------------------------- defect 6: RIP wrap */

static void cpuid_at(struct host *h, uint64_t rip, uint32_t len)
{
    h->v->regs.gpr[X86VCPU_RAX] = 0;
    mock_set_vmcs(F(GUEST_RIP), rip);
    RUN_STEPS(h, { X86VCPU_EXIT_REASON_CPUID, 0, len, 0 });
}

static void test_rip_wraps_at_4g_outside_64bit(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_PROT32);
    cpuid_at(&h, 0xfffffffe, 2);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0);
    cpuid_at(&h, 0xffffffff, 2);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 1);
    cpuid_at(&h, 0xfffe, 2);               /* 32-bit code: no 64 KiB wrap */
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x10000);
    /* The OUT path (completion on the next run) wraps the same way. */
    mock_set_vmcs(F(GUEST_RIP), 0xffffffff);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION, QUAL_IO(0x80, 1, 0, 0, 0), 1, 0 });
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0);
    host_stop(&h);
}

static void test_rip_wraps_at_64k_in_real_mode(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_REAL);
    cpuid_at(&h, 0xfffe, 2);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0);
    cpuid_at(&h, 0x7c00, 2);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x7c02);
    host_stop(&h);
}

static void test_rip_no_wrap_in_64bit_mode(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    cpuid_at(&h, 0xfffffffe, 2);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x100000000ull);
    cpuid_at(&h, 0xfffe, 2);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x10000);
    /* Compatibility mode (LMA, CS.L = 0, CS.D = 1) wraps at 4 GiB. */
    mock_set_vmcs(F(GUEST_CS_AR), (mock_vmcs(F(GUEST_CS_AR)) & ~(uint64_t)AR_L) | AR_DB);
    cpuid_at(&h, 0xfffffffe, 2);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0);
    host_stop(&h);
}

/* ---------------------------------------------- defect 6: PDPTEs under PAE */

struct gmem { uint64_t gpa; uint64_t pdpte[4]; int fail; unsigned reads; };

static int read_gpa(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
    struct gmem *m = ctx;
    m->reads++;
    if (m->fail || gpa != m->gpa || len != 32)
        return -1;
    memcpy(buf, m->pdpte, 32);
    return 0;
}

/* A 32-bit guest with CR4.PAE set turns paging on with MOV CR0 (EAX). */
static void pae_start(struct host *h, struct gmem *m)
{
    host_init(h, X86VCPU_MODE_PROT32);
    h->setup.read_gpa = read_gpa;
    h->setup.read_gpa_ctx = m;
    host_bind(h);
    mock_set_vmcs(F(GUEST_CR3), m->gpa);
    mock_set_vmcs(F(GUEST_CR4), mock_vmcs(F(GUEST_CR4)) | CR4_PAE);
    mock_set_vmcs(F(CR4_READ_SHADOW), CR4_PAE);
    for (int i = 0; i < 4; i++)
        mock_set_vmcs(F(GUEST_PDPTE0) + 2 * i, 0x1111);
}

static void mov_cr0_pg(struct host *h)
{
    h->v->regs.gpr[X86VCPU_RAX] = CR0_PG | CR0_PE | CR0_ET;
    mock_set_vmcs(F(GUEST_RIP), 0x3000);
    RUN_STEPS(h, { X86VCPU_EXIT_REASON_CR_ACCESS, QUAL_CR(0, 0, 0), 3, 0 });
}

static void assert_gp_nothing_loaded(struct host *h, uint64_t cr0_before)
{
    (void)h;
    assert_int_equal(mock.entry_intr_info, INFO_VALID | (3u << 8) | (1u << 11) | 13);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x3000);
    assert_int_equal(mock_vmcs(F(GUEST_CR0)), cr0_before);
    for (int i = 0; i < 4; i++)
        assert_int_equal(mock_vmcs(F(GUEST_PDPTE0) + 2 * i), 0x1111);
}

static void test_pae_reserved_pdpte_gp(void **state)
{
    (void)state;
    struct gmem m = { 0x9000, { 0x10001, 0x20001 | (1u << 5), 0, 0 }, 0, 0 };
    struct host h;
    pae_start(&h, &m);
    uint64_t cr0 = mock_vmcs(F(GUEST_CR0));
    mov_cr0_pg(&h);
    assert_gp_nothing_loaded(&h, cr0);
    /* Above MAXPHYADDR (48 here) is reserved too; bit 63 is reserved. */
    m.pdpte[1] = 0x20001 | (1ull << 50);
    mov_cr0_pg(&h);
    assert_gp_nothing_loaded(&h, cr0);
    m.pdpte[1] = 0x20001 | (1ull << 63);
    mov_cr0_pg(&h);
    assert_gp_nothing_loaded(&h, cr0);
    /* A non-present PDPTE may hold anything. */
    m.pdpte[1] = 0xfffffffffffffffeull;
    mov_cr0_pg(&h);
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x3003);
    assert_true(mock_vmcs(F(GUEST_CR0)) & CR0_PG);
    assert_int_equal(mock_vmcs(F(GUEST_PDPTE0)), 0x10001);
    assert_int_equal(mock_vmcs(F(GUEST_PDPTE1)), 0xfffffffffffffffeull);
    host_stop(&h);
}

static void test_pae_unreadable_pdptes_gp(void **state)
{
    (void)state;
    struct gmem m = { 0x9000, { 0x10001, 0x20001, 0, 0 }, 1, 0 };
    struct host h;
    pae_start(&h, &m);
    uint64_t cr0 = mock_vmcs(F(GUEST_CR0));
    mov_cr0_pg(&h);
    assert_true(m.reads > 0);
    assert_gp_nothing_loaded(&h, cr0);
    host_stop(&h);
}

/* --------------------------------------------- smaller: CR0.PG without MISC[5] */

static void test_cr0_write_keeps_pg_clear_without_misc5(void **state)
{
    (void)state;
    mock_set_msr(0x485, (1ull << 6) | 5);   /* no bit 5 */
    struct host h;
    host_start(&h, X86VCPU_MODE_REAL);
    assert_true(h.v->cr0_mask & CR0_PG);
    h.v->regs.gpr[X86VCPU_RAX] = CR0_PE | CR0_ET;
    mock_set_vmcs(F(GUEST_RIP), 0x7c00);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CR_ACCESS, QUAL_CR(0, 0, 0), 3, 0 });
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(mock_vmcs(F(GUEST_CR0)) & (CR0_PG | CR0_PE), CR0_PE);
    assert_int_equal(mock_vmcs(F(CR0_READ_SHADOW)), CR0_PE | CR0_ET);
    /* CLTS as well. */
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CR_ACCESS, QUAL_CR(0, 2, 0), 2, 0 });
    assert_int_equal(mock_vmcs(F(GUEST_CR0)) & CR0_PG, 0);
    host_stop(&h);
}

/* ------------------------------------------ smaller: virtual CR8 and injection */

static void test_cr8_masks_interrupts(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    mock_set_vmcs(F(GUEST_RFLAGS), 0x202);
    /* mov %rax, %cr8 with RAX = 5: TPR class 5. */
    h.v->regs.gpr[X86VCPU_RAX] = 5;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CR_ACCESS, QUAL_CR(8, 0, 0), 4, 0 });
    assert_int_equal(h.v->cr8, 5);
    assert_int_equal(x86vcpu_queue_interrupt(h.v, 0x42), X86VCPU_OK);
    assert_int_equal(x86vcpu_queue_interrupt(h.v, 0x52), X86VCPU_OK);
    assert_int_equal(x86vcpu_queue_interrupt(h.v, 0x61), X86VCPU_OK);
    /* 0x42 and 0x52 are masked; 0x61 (class 6) goes first. */
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
    assert_int_equal(mock.entry_intr_info, INFO_VALID | 0x61);
    assert_int_equal(mock.injections, 1);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
    assert_int_equal(mock.injections, 1);
    /* No interrupt window for masked ones: it would exit at once, forever. */
    assert_int_equal(mock_vmcs(F(PROC_BASED_CTLS)) & PROC_INTR_WINDOW, 0);
    /* CR8 = 0: both follow, in order. */
    h.v->regs.gpr[X86VCPU_RAX] = 0;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CR_ACCESS, QUAL_CR(8, 0, 0), 4, 0 });
    assert_int_equal(mock.entry_intr_info, INFO_VALID | 0x42);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
    assert_int_equal(mock.entry_intr_info, INFO_VALID | 0x52);
    assert_int_equal(x86vcpu_pending_events(h.v), 0);
    host_stop(&h);
}

/* ------------------------------------------------- defect 12: API misuse */

static void test_queue_exception_error_code_rules(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    static const uint8_t with[] = { 8, 10, 11, 12, 13, 14, 17, 21 };
    for (uint8_t vec = 0; vec < 32; vec++) {
        if (vec == 2)
            continue;
        int has = memchr(with, vec, sizeof with) != NULL;
        assert_int_equal(x86vcpu_queue_exception(h.v, vec, !has, 0, 0), X86VCPU_EINVAL);
        assert_int_equal(x86vcpu_pending_events(h.v), 0);
    }
    assert_int_equal(x86vcpu_queue_exception(h.v, 6, 0, 0, 0), X86VCPU_OK);
    assert_int_equal(x86vcpu_queue_exception(h.v, 13, 1, 0, 0), X86VCPU_OK);
    host_stop(&h);
}

static void test_getters_null(void **state)
{
    (void)state;
    assert_null(x86vcpu_vcpu_stats(NULL));
    assert_int_equal(x86vcpu_vcpu_vm_error(NULL), 0);
    assert_int_equal(x86vcpu_get_gpr(NULL, X86VCPU_RAX), 0);
    assert_int_equal(x86vcpu_get_gpr(NULL, X86VCPU_RSP), 0);
    x86vcpu_set_gpr(NULL, X86VCPU_RAX, 1);
    x86vcpu_set_gpr(NULL, X86VCPU_RSP, 1);
    assert_int_equal(x86vcpu_pending_events(NULL), 0);
}

/* A vCPU not bound here has no current VMCS: RSP must not come from (or go
 * to) whatever VMCS is current. */
static void test_rsp_needs_binding(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    struct x86vcpu_vcpu *w;
    assert_int_equal(x86vcpu_vcpu_create(&h.cpu, &w), X86VCPU_OK);
    struct x86vcpu_setup s = h.setup;
    assert_int_equal(x86vcpu_vcpu_setup(w, &s), X86VCPU_OK);
    mock_set_vmcs(F(GUEST_RSP), 0x1234);
    /* w is not bound: h.v's VMCS is current on this CPU. */
    assert_int_equal(x86vcpu_get_gpr(w, X86VCPU_RSP), 0);
    mock_clear_ops();
    x86vcpu_set_gpr(w, X86VCPU_RSP, 0x5678);
    assert_int_equal(mock_count(OP_VMWRITE), 0);
    assert_int_equal(mock_vmcs(F(GUEST_RSP)), 0x1234);
    assert_int_equal(x86vcpu_get_gpr(h.v, X86VCPU_RSP), 0x1234);
    assert_int_equal(x86vcpu_vcpu_destroy(w), X86VCPU_OK);
    host_stop(&h);
}

/* After the CPU left VMX operation, flushes must not run INVEPT/INVVPID
 * (#UD in the host). */
static void test_flush_after_cpu_disable(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    assert_int_equal(x86vcpu_vcpu_unbind(h.v), X86VCPU_OK);
    assert_int_equal(x86vcpu_cpu_disable(&h.cpu), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_flush_tlb(h.v), X86VCPU_ESTATE);
    assert_int_equal(x86vcpu_vcpu_flush_ept(h.v), X86VCPU_ESTATE);
    assert_int_equal(x86vcpu_vcpu_destroy(h.v), X86VCPU_OK);
    assert_int_equal(mock_frames_in_use(), 0);
}

static void test_ept_map_misuse(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    struct x86vcpu_ept *ept;
    assert_int_equal(x86vcpu_ept_create(&h.cpu, 0, &ept), X86VCPU_OK);
    unsigned frames = mock_frames_in_use();
    const uint32_t R = X86VCPU_EPT_R, W = X86VCPU_EPT_W, X = X86VCPU_EPT_X;
    /* Write without read; execute-only without the capability. */
    assert_int_equal(x86vcpu_ept_map(ept, 0, 0x100000, 4096, W, X86VCPU_MT_WB), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu_ept_map(ept, 0, 0x100000, 4096, W | X, X86VCPU_MT_WB), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu_ept_map(ept, 0, 0x100000, 4096, X, X86VCPU_MT_WB), X86VCPU_EINVAL);
    /* Reserved memory types. */
    for (uint32_t mt = 2; mt < 8; mt++)
        if (mt == 2 || mt == 3 || mt == 7)
            assert_int_equal(x86vcpu_ept_map(ept, 0, 0x100000, 4096, R, mt), X86VCPU_EINVAL);
    /* A host range that wraps around. */
    assert_int_equal(x86vcpu_ept_map(ept, 0, 0xfffffffffffff000ull, 0x2000, R, X86VCPU_MT_WB),
                     X86VCPU_EINVAL);
    assert_int_equal(mock_frames_in_use(), frames);
    assert_int_equal(x86vcpu_ept_map(ept, 0, 0x100000, 4096, R | W, X86VCPU_MT_WB), X86VCPU_OK);
    assert_int_equal(x86vcpu_ept_destroy(ept), X86VCPU_OK);
    host_stop(&h);
}

/* ------------------------------------------------------ test blind spots */

/* An exception with an error code, cut short by an EPT violation, is
 * re-injected with that error code (SDM 28.2.4, 26.6.1). */
static uint32_t vectoring_info;

static int vectoring_script(struct x86vcpu_regs *regs, unsigned n, void *ctx)
{
    (void)regs, (void)ctx;
    if (n == 0) {
        /* Access R, GLA valid and final: the IDT or stack write. */
        mock_exit(X86VCPU_EXIT_REASON_EPT_VIOLATION, 0x181, 0);
        /* Bit 12 is undefined in IDT-vectoring information: set it. */
        mock_set_vmcs(F(IDT_VECTORING_INFO), vectoring_info | (1u << 12));
    } else {
        mock_exit(X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0);
    }
    return 0;
}

static void test_reinjection_keeps_error_code(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    for (uint32_t vec = 8; vec <= 21; vec++) {
        if (!x86vcpu__exception_has_error_code(vec))
            continue;
        vectoring_info = INFO_VALID | (3u << 8) | (1u << 11) | vec;
        mock_set_vmcs(F(GUEST_PHYSICAL_ADDRESS), 0x7000);
        mock_set_vmcs(F(IDT_VECTORING_ERRCODE), 0x1234 + vec);
        mock.entries = 0;
        assert_int_equal(host_run(&h, vectoring_script, NULL), X86VCPU_OK);
        assert_int_equal(h.e.kind, X86VCPU_EXIT_EPT_VIOLATION);
        assert_int_equal(x86vcpu_pending_events(h.v), 1);
        mock_set_vmcs(F(IDT_VECTORING_ERRCODE), 0);
        mock.entries = 1;
        assert_int_equal(host_run(&h, vectoring_script, NULL), X86VCPU_OK);
        assert_int_equal(mock.entry_intr_info, vectoring_info);
        assert_int_equal(mock.entry_errcode, 0x1234 + vec);
        assert_int_equal(x86vcpu_pending_events(h.v), 0);
    }
    host_stop(&h);
}

/* A guest WRMSR to a syscall MSR: the host's value is back when run
 * returns from that very run (not only on a later one). */
static void test_syscall_msr_restored_on_writing_run(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    const uint32_t msrs[] = { 0xc0000081u, 0xc0000082u, 0xc0000083u, 0xc0000084u,
                              0xc0000102u, 0xc0000103u };
    for (unsigned i = 0; i < 6; i++) {
        uint64_t host_val = mock_msr(msrs[i]);
        h.v->regs.gpr[X86VCPU_RCX] = msrs[i];
        h.v->regs.gpr[X86VCPU_RAX] = 0x1000 + i;
        h.v->regs.gpr[X86VCPU_RDX] = 0;
        mock_clear_ops();
        /* WRMSR, then an exit to the embedder in the same run. */
        RUN_STEPS(&h, { X86VCPU_EXIT_REASON_WRMSR, 0, 2, 0 }, { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 });
        assert_int_equal(h.e.kind, X86VCPU_EXIT_HLT);
        assert_int_equal(mock_msr(msrs[i]), host_val);
        const struct mock_op *last = mock_last(OP_WRMSR, 1, msrs[i]);
        assert_non_null(last);
        assert_int_equal(last->b, host_val);
        /* The guest keeps its value: it is loaded again on the next run. */
        mock_clear_ops();
        RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 });
        assert_int_equal(mock_count_a(OP_WRMSR, msrs[i]), 2);
        assert_int_equal(mock_first(OP_WRMSR, 1, msrs[i])->b, 0x1000 + i);
        assert_int_equal(mock_msr(msrs[i]), host_val);
    }
    host_stop(&h);
}

/* Every EPT change that removes or reduces access, and every flush call,
 * issues INVEPT (single-context with this EPTP, as the CPU supports);
 * binding a vCPU with a VPID issues INVVPID for it. */
static void test_invept_invvpid_issued(void **state)
{
    (void)state;
    struct host h;
    host_init(&h, X86VCPU_MODE_LONG64);
    assert_int_equal(x86vcpu_vcpu_setup(h.v, &h.setup), X86VCPU_OK);
    mock_clear_ops();
    assert_int_equal(x86vcpu_vcpu_bind(h.v, &h.cpu), X86VCPU_OK);
    const struct mock_op *op = mock_last(OP_INVVPID, 0, 0);
    assert_non_null(op);
    assert_int_equal(op->a, 1);
    assert_int_equal(op->b, 1);
    mock_clear_ops();
    assert_int_equal(x86vcpu_vcpu_flush_tlb(h.v), X86VCPU_OK);
    assert_int_equal(mock_count_a(OP_INVVPID, 1), 1);

    struct x86vcpu_ept *ept;
    assert_int_equal(x86vcpu_ept_create(&h.cpu, 0, &ept), X86VCPU_OK);
    uint64_t eptp = x86vcpu_ept_pointer(ept);
    assert_int_equal(x86vcpu_ept_map(ept, 0, 0x100000, 0x4000, X86VCPU_EPT_RWX, X86VCPU_MT_WB),
                     X86VCPU_OK);
    mock_clear_ops();
    assert_int_equal(x86vcpu_ept_protect(ept, 0x1000, 0x1000, X86VCPU_EPT_R), X86VCPU_OK);
    op = mock_last(OP_INVEPT, 0, 0);
    assert_non_null(op);
    assert_int_equal(op->a, 1);
    assert_int_equal(op->b, eptp);
    mock_clear_ops();
    assert_int_equal(x86vcpu_ept_unmap(ept, 0x2000, 0x1000), X86VCPU_OK);
    assert_int_equal(mock_count_a(OP_INVEPT, 1), 1);
    assert_int_equal(mock_last(OP_INVEPT, 0, 0)->b, eptp);
    mock_clear_ops();
    assert_int_equal(x86vcpu_ept_map(ept, 0, 0x200000, 0x1000, X86VCPU_EPT_RWX, X86VCPU_MT_WB),
                     X86VCPU_OK);
    assert_int_equal(mock_count_a(OP_INVEPT, 1), 1);
    /* Only all-context INVEPT on this CPU: type 2. */
    h.cpu.caps.ept_vpid &= ~EPTCAP_INVEPT_SINGLE;
    mock_clear_ops();
    assert_int_equal(x86vcpu_ept_protect(ept, 0, 0x1000, X86VCPU_EPT_R), X86VCPU_OK);
    assert_int_equal(mock_count_a(OP_INVEPT, 2), 1);
    assert_int_equal(mock_count_a(OP_INVEPT, 1), 0);
    h.cpu.caps.ept_vpid |= EPTCAP_INVEPT_SINGLE;
    assert_int_equal(x86vcpu_ept_destroy(ept), X86VCPU_OK);
    host_stop(&h);
}

/* Completing an exiting instruction ends STI and MOV-SS blocking (they
 * last one instruction, SDM 25.4.2): inside run (CPUID) and on the next
 * run (OUT, HLT). */
static void test_sti_shadow_ends_with_completed_instruction(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_PROT32);
    const uint32_t blocks[] = { INTR_BLOCK_STI, INTR_BLOCK_MOVSS };
    for (int i = 0; i < 2; i++) {
        mock_set_vmcs(F(GUEST_INTERRUPTIBILITY), blocks[i]);
        cpuid_at(&h, 0x1000, 2);
        assert_int_equal(mock.entry_interruptibility, 0);
        assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1002);

        mock_set_vmcs(F(GUEST_INTERRUPTIBILITY), blocks[i]);
        RUN_STEPS(&h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION, QUAL_IO(0x80, 1, 0, 0, 0), 1, 0 });
        assert_int_equal(h.e.kind, X86VCPU_EXIT_IO);
        RUN_STEPS(&h, { X86VCPU_EXIT_REASON_HLT, 0, 1, 0 });
        assert_int_equal(mock.entry_interruptibility, 0);
        assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1003);

        mock_set_vmcs(F(GUEST_INTERRUPTIBILITY), blocks[i]);
        RUN_STEPS(&h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
        assert_int_equal(mock.entry_interruptibility, 0);   /* the HLT completed */
        assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1004);
    }
    /* An interrupt queued in the shadow waits for the window, then goes. */
    mock_set_vmcs(F(GUEST_RFLAGS), 0x202);
    mock_set_vmcs(F(GUEST_INTERRUPTIBILITY), INTR_BLOCK_STI);
    assert_int_equal(x86vcpu_queue_interrupt(h.v, 0x30), X86VCPU_OK);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
    assert_int_equal(mock.entry_intr_info, 0);
    assert_true(mock_vmcs(F(PROC_BASED_CTLS)) & PROC_INTR_WINDOW);
    host_stop(&h);
}

/* ------------------------------------------- mutation audit (issue 11) */

/* Mutant "no PDPTE load on MOV to CR4": under PAE paging a MOV to CR4 that
 * changes PGE (or PAE, PSE, SMEP) loads the PDPTEs too (SDM 4.4.1), with
 * the same #GP for a reserved bit as MOV to CR0. */
static void mov_cr4(struct host *h, uint64_t val)
{
    h->v->regs.gpr[X86VCPU_RAX] = val;
    mock_set_vmcs(F(GUEST_RIP), 0x3000);
    RUN_STEPS(h, { X86VCPU_EXIT_REASON_CR_ACCESS, QUAL_CR(4, 0, 0), 3, 0 });
}

static void test_pae_cr4_write_loads_pdptes(void **state)
{
    (void)state;
    struct gmem m = { 0x9000, { 0x10001, 0x20001 | (1u << 5), 0, 0 }, 0, 0 };
    struct host h;
    pae_start(&h, &m);
    mock_set_vmcs(F(GUEST_CR0), mock_vmcs(F(GUEST_CR0)) | CR0_PG | CR0_PE);
    mock_set_vmcs(F(CR0_READ_SHADOW), mock_vmcs(F(CR0_READ_SHADOW)) | CR0_PG | CR0_PE);
    uint64_t cr4 = mock_vmcs(F(CR4_READ_SHADOW));
    mov_cr4(&h, cr4 | CR4_PGE);
    assert_true(m.reads > 0);
    assert_int_equal(mock.entry_intr_info, INFO_VALID | (3u << 8) | (1u << 11) | 13);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x3000);
    assert_int_equal(mock_vmcs(F(CR4_READ_SHADOW)), cr4);
    assert_int_equal(mock_vmcs(F(GUEST_PDPTE1)), 0x1111);
    /* Valid ones are loaded with the write. */
    m.pdpte[1] = 0x20001;
    mov_cr4(&h, cr4 | CR4_PGE);
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x3003);
    assert_int_equal(mock_vmcs(F(CR4_READ_SHADOW)), cr4 | CR4_PGE);
    assert_int_equal(mock_vmcs(F(GUEST_PDPTE0)), 0x10001);
    assert_int_equal(mock_vmcs(F(GUEST_PDPTE1)), 0x20001);
    host_stop(&h);
}

/* Mutant "MOV to CR8 ignores bits 63:4": they are reserved, #GP(0) (SDM
 * 10.8.6.1), the TPR unchanged. */
static void test_cr8_reserved_bits_gp(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    h.v->regs.gpr[X86VCPU_RAX] = 3;
    mock_set_vmcs(F(GUEST_RIP), 0x1000);
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CR_ACCESS, QUAL_CR(8, 0, 0), 4, 0 });
    assert_int_equal(h.v->cr8, 3);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1004);
    for (int bit = 4; bit < 64; bit += 7) {
        h.v->regs.gpr[X86VCPU_RAX] = (1ull << bit) | 5;
        RUN_STEPS(&h, { X86VCPU_EXIT_REASON_CR_ACCESS, QUAL_CR(8, 0, 0), 4, 0 });
        assert_int_equal(mock.entry_intr_info, INFO_VALID | (3u << 8) | (1u << 11) | 13);
        assert_int_equal(mock.entry_errcode, 0);
        assert_int_equal(h.v->cr8, 3);
        assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1004);
    }
    host_stop(&h);
}

/* Mutant "CR8-load/store exiting not required": without a TPR shadow a
 * guest's MOV to CR8 would write the host's TPR. Every vCPU exits on it. */
static void test_cr8_accesses_exit(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    uint64_t proc = mock_vmcs(F(PROC_BASED_CTLS));
    assert_true((proc & PROC_TPR_SHADOW) ||
                (proc & (PROC_CR8_LOAD | PROC_CR8_STORE)) == (PROC_CR8_LOAD | PROC_CR8_STORE));
    host_stop(&h);
}

/* Mutant "the slice is not re-armed": a CPU that saves the timer at the
 * exit leaves 0 there (SDM 26.5.1); the next entry must start a new slice,
 * not exit again at once. */
static int timer_expired(struct x86vcpu_regs *regs, unsigned n, void *ctx)
{
    (void)regs, (void)n, (void)ctx;
    mock_set_vmcs(F(PREEMPTION_TIMER_VALUE), 0);
    mock_exit(X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0);
    return 0;
}

static void test_time_slice_rearmed(void **state)
{
    (void)state;
    struct host h;
    host_init(&h, X86VCPU_MODE_LONG64);
    h.setup.time_slice = 5000;
    host_bind(&h);
    assert_true(h.v->ctl_exit & EXIT_SAVE_PREEMPT);
    mock.entries = 0;
    assert_int_equal(host_run(&h, timer_expired, NULL), X86VCPU_OK);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_TIME_SLICE);
    assert_int_equal(mock_vmcs(F(PREEMPTION_TIMER_VALUE)), 5000);
    host_stop(&h);
}

/* Mutants "halt / set_exception_bitmap on a vCPU not bound here": they
 * would VMWRITE into whichever VMCS is current (another vCPU's). */
static void test_unbound_vcpu_calls_refused(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    struct x86vcpu_vcpu *w;
    assert_int_equal(x86vcpu_vcpu_create(&h.cpu, &w), X86VCPU_OK);
    struct x86vcpu_setup s = h.setup;
    assert_int_equal(x86vcpu_vcpu_setup(w, &s), X86VCPU_OK);
    uint64_t bitmap = mock_vmcs(F(EXCEPTION_BITMAP)), act = mock_vmcs(F(GUEST_ACTIVITY_STATE));
    mock_clear_ops();
    assert_int_equal(x86vcpu_halt(w), X86VCPU_ESTATE);
    assert_int_equal(x86vcpu_set_exception_bitmap(w, 1u << 14), X86VCPU_ESTATE);
    assert_int_equal(x86vcpu_set_extint_exiting(w, 1), X86VCPU_ESTATE);
    uint64_t rip;
    assert_int_equal(x86vcpu_get_rip(w, &rip), X86VCPU_ESTATE);
    assert_int_equal(mock_count(OP_VMWRITE), 0);
    assert_int_equal(mock_vmcs(F(EXCEPTION_BITMAP)), bitmap);
    assert_int_equal(mock_vmcs(F(GUEST_ACTIVITY_STATE)), act);
    assert_int_equal(x86vcpu_vcpu_destroy(w), X86VCPU_OK);
    host_stop(&h);
}

/* Mutants "FMASK/TSC_AUX bits 63:32 / a non-canonical LSTAR reach the
 * host's WRMSR": the guest gets #GP(0) (SDM Vol. 4 Table 2-2; WRMSR), the
 * value never gets near the hardware (tests/diff/hv-differs.rules checks
 * the same on Bochs). */
static void test_syscall_msr_invalid_values_gp(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    static const struct { uint32_t msr; uint64_t val; } bad[] = {
        { 0xc0000084u, 1ull << 40 }, { 0xc0000084u, 1ull << 32 }, { 0xc0000103u, 1ull << 33 },
        { 0xc0000082u, 1ull << 50 }, { 0xc0000083u, 0x0000800000000000ull },
        { 0xc0000102u, 0x8000000000000000ull },
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t host_val = mock_msr(bad[i].msr);
        h.v->regs.gpr[X86VCPU_RCX] = bad[i].msr;
        h.v->regs.gpr[X86VCPU_RAX] = (uint32_t)bad[i].val;
        h.v->regs.gpr[X86VCPU_RDX] = (uint32_t)(bad[i].val >> 32);
        mock_set_vmcs(F(GUEST_RIP), 0x1000);
        mock_clear_ops();
        RUN_STEPS(&h, { X86VCPU_EXIT_REASON_WRMSR, 0, 2, 0 });
        assert_int_equal(mock.entry_intr_info, INFO_VALID | (3u << 8) | (1u << 11) | 13);
        assert_int_equal(mock.entry_errcode, 0);
        assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
        for (unsigned k = 0; k < mock.nops; k++)
            assert_false(mock.ops[k].kind == OP_WRMSR && mock.ops[k].b == bad[i].val);
        assert_int_equal(mock_msr(bad[i].msr), host_val);
    }
    /* The valid halves still go through. */
    h.v->regs.gpr[X86VCPU_RCX] = 0xc0000084u;
    h.v->regs.gpr[X86VCPU_RAX] = 0x4700;
    h.v->regs.gpr[X86VCPU_RDX] = 0;
    RUN_STEPS(&h, { X86VCPU_EXIT_REASON_WRMSR, 0, 2, 0 });
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1002);
    host_stop(&h);
}

/* Mutant "a software interrupt cut short by an exit is re-injected without
 * its instruction length": INT n pushes the address after the instruction,
 * so the entry needs the length, which the exit reports (SDM 28.2.5,
 * 26.6.1.3). */
static int soft_int_script(struct x86vcpu_regs *regs, unsigned n, void *ctx)
{
    (void)regs, (void)ctx;
    if (n == 0) {
        mock_exit(X86VCPU_EXIT_REASON_EPT_VIOLATION, 0x181, 2);
        mock_set_vmcs(F(IDT_VECTORING_INFO), INFO_VALID | (4u << 8) | 0x80);   /* INT 80h */
    } else {
        mock_exit(X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0);
    }
    return 0;
}

static void test_reinjection_keeps_instruction_length(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    mock_set_vmcs(F(GUEST_PHYSICAL_ADDRESS), 0x7000);
    mock_set_vmcs(F(ENTRY_INSTR_LEN), 0);
    mock.entries = 0;
    assert_int_equal(host_run(&h, soft_int_script, NULL), X86VCPU_OK);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_EPT_VIOLATION);
    assert_int_equal(x86vcpu_pending_events(h.v), 1);
    assert_int_equal(host_run(&h, soft_int_script, NULL), X86VCPU_OK);
    assert_int_equal(mock.entry_intr_info, INFO_VALID | (4u << 8) | 0x80);
    assert_int_equal(mock_vmcs(F(ENTRY_INSTR_LEN)), 2);
    assert_int_equal(x86vcpu_pending_events(h.v), 0);
    host_stop(&h);
}

/* Mutants of the debug-register and CR2 switch (dr.c, xstate.c; caught in
 * Bochs by the dbgregs guest, here on the host too): the guest starts with
 * its own reset CR2 and DR6, its #PF/#DB values survive a return to the
 * embedder, the host gets its CR2, DR0-3, DR6 and DR7 back after every
 * run, and DR0-3 are handed over at the guest's first MOV DR. */
static uint64_t seen_cr2, seen_dr6, seen_dr0;

static int dbg_script(struct x86vcpu_regs *regs, unsigned n, void *ctx)
{
    (void)regs;
    int step = *(int *)ctx;
    if (n == 0) {
        seen_cr2 = mock.cr[2];
        seen_dr6 = mock.dr[6];
        seen_dr0 = mock.dr[0];
    }
    if (step == 0) {            /* a #PF and a single-step #DB inside the guest */
        mock.cr[2] = 0x5a5a5000;
        mock.dr[6] = 0xffff4ff0;
    }
    if (step == 2 && n == 0) {  /* the guest's first MOV DR */
        mock_exit(X86VCPU_EXIT_REASON_DR_ACCESS, 0, 3);
        return 0;
    }
    if (step == 2) {            /* ... runs again natively: DR0 = 0x7777 */
        seen_dr0 = mock.dr[0];
        mock.dr[0] = 0x7777;
    }
    mock.dr[7] = DR7_RESET;     /* as every VM exit leaves it */
    mock_exit(X86VCPU_EXIT_REASON_HLT, 0, 1);
    return 0;
}

static void assert_host_debug_state(void)
{
    assert_int_equal(mock.cr[2], 0xc0de0000);
    assert_int_equal(mock.dr[0], 0x1000);
    assert_int_equal(mock.dr[3], 0x4000);
    assert_int_equal(mock.dr[6], DR6_RESET | 1);
    assert_int_equal(mock.dr[7], 0x401);
}

static void test_debug_state_switched(void **state)
{
    (void)state;
    struct host h;
    host_start(&h, X86VCPU_MODE_LONG64);
    assert_true(mock_vmcs(F(PROC_BASED_CTLS)) & PROC_MOV_DR_EXITING);
    mock.cr[2] = 0xc0de0000;
    mock.dr[0] = 0x1000, mock.dr[1] = 0x2000, mock.dr[2] = 0x3000, mock.dr[3] = 0x4000;
    mock.dr[6] = DR6_RESET | 1;
    mock.dr[7] = 0x401;
    int step = 0;
    mock.entries = 0;
    assert_int_equal(host_run(&h, dbg_script, &step), X86VCPU_OK);
    assert_int_equal(seen_cr2, 0);              /* the guest's reset values */
    assert_int_equal(seen_dr6, DR6_RESET);
    assert_host_debug_state();
    step = 1;
    mock.entries = 0;
    assert_int_equal(host_run(&h, dbg_script, &step), X86VCPU_OK);
    assert_int_equal(seen_cr2, 0x5a5a5000);     /* its own, after the embedder ran */
    assert_int_equal(seen_dr6, 0xffff4ff0);
    assert_host_debug_state();
    /* The host's CR2 happens to be the guest's: DR6 alone still differs. */
    mock.cr[2] = 0x5a5a5000;
    mock.entries = 0;
    assert_int_equal(host_run(&h, dbg_script, &step), X86VCPU_OK);
    assert_int_equal(seen_dr6, 0xffff4ff0);
    assert_int_equal(mock.dr[6], DR6_RESET | 1);
    mock.cr[2] = 0xc0de0000;
    step = 2;
    mock.entries = 0;
    assert_int_equal(host_run(&h, dbg_script, &step), X86VCPU_OK);
    assert_int_equal(mock.entries, 2);
    assert_int_equal(seen_dr0, 0);              /* the guest's DR0, not the host's */
    assert_int_equal(mock_vmcs(F(PROC_BASED_CTLS)) & PROC_MOV_DR_EXITING, 0);
    assert_host_debug_state();
    step = 1;
    mock.entries = 0;
    assert_int_equal(host_run(&h, dbg_script, &step), X86VCPU_OK);
    assert_int_equal(seen_dr0, 0x7777);
    assert_host_debug_state();
    host_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_xss_supervisor_components_gp, setup),
        cmocka_unit_test_setup(test_rep_ins_count_64bit, setup),
        cmocka_unit_test_setup(test_nmi_window_in_sti_shadow_progresses, setup),
        cmocka_unit_test_setup(test_nmi_window_keeps_movss, setup),
        cmocka_unit_test_setup(test_time_slice_ends_internal_loop, setup),
        cmocka_unit_test_setup(test_time_slice_saved_no_bound, setup),
        cmocka_unit_test_setup(test_rip_wraps_at_4g_outside_64bit, setup),
        cmocka_unit_test_setup(test_rip_wraps_at_64k_in_real_mode, setup),
        cmocka_unit_test_setup(test_rip_no_wrap_in_64bit_mode, setup),
        cmocka_unit_test_setup(test_pae_reserved_pdpte_gp, setup),
        cmocka_unit_test_setup(test_pae_unreadable_pdptes_gp, setup),
        cmocka_unit_test_setup(test_cr0_write_keeps_pg_clear_without_misc5, setup),
        cmocka_unit_test_setup(test_cr8_masks_interrupts, setup),
        cmocka_unit_test_setup(test_queue_exception_error_code_rules, setup),
        cmocka_unit_test_setup(test_getters_null, setup),
        cmocka_unit_test_setup(test_rsp_needs_binding, setup),
        cmocka_unit_test_setup(test_ept_map_misuse, setup),
        cmocka_unit_test_setup(test_flush_after_cpu_disable, setup),
        cmocka_unit_test_setup(test_reinjection_keeps_error_code, setup),
        cmocka_unit_test_setup(test_syscall_msr_restored_on_writing_run, setup),
        cmocka_unit_test_setup(test_invept_invvpid_issued, setup),
        cmocka_unit_test_setup(test_sti_shadow_ends_with_completed_instruction, setup),
        cmocka_unit_test_setup(test_pae_cr4_write_loads_pdptes, setup),
        cmocka_unit_test_setup(test_cr8_reserved_bits_gp, setup),
        cmocka_unit_test_setup(test_cr8_accesses_exit, setup),
        cmocka_unit_test_setup(test_time_slice_rearmed, setup),
        cmocka_unit_test_setup(test_unbound_vcpu_calls_refused, setup),
        cmocka_unit_test_setup(test_syscall_msr_invalid_values_gp, setup),
        cmocka_unit_test_setup(test_reinjection_keeps_instruction_length, setup),
        cmocka_unit_test_setup(test_debug_state_switched, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
