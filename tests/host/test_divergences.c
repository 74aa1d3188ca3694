/* Issue 11, the guest fuzzer's divergences (tests/fuzzguest/README.md):
 * one test per library defect it found, each failing before its fix.
 *   noinvd     INVD completes inside the library, RIP += the exit's length
 *   norf       a fault the library or the embedder injects pushes RF = 1
 *   nocd       CR0.CD/NW read back exactly as written
 *   nofmaskhi  IA32_FMASK[63:32] stay reserved (#GP), an intended difference
 *   seed 14 program 24474: an element across a page boundary whose first
 *              page faults leaves the second page's A/D flags alone */
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


/* ------------------------------------------- seed 14, program 24474 (pae)
 * REP INSD at 0x4000affd: the element's first page is read-only (#PF,
 * error 3), its second writable. Bare Bochs faults on the first page and
 * never walks the second; the library walked both before looking at the
 * first's fault, so the second page's PTE got A and D (the memory hash
 * differed only in that PTE: 0xa01f bare, 0xa07f as a guest). SDM 4.8: A
 * is set when an entry is used for a translation, D on a write through
 * it; neither happened. The same order in the MMIO engine's split checks
 * (a ModRM operand and a string operand across a page boundary).
 *
 * The machine: a 64-bit guest, 4-level paging, A/D clear in the leaves:
 *   linear 0x0000 code, 0x1000 read-only (PTE P|A), 0x2000 data,
 *   0x3000 read-only (the same frame), 0x4000 the MMIO page (gpa 0x10000). */
enum { D_PML4, D_PDPT, D_PD, D_PT, D_CODE, D_RO, D_DATA, D_NFRAMES };
static const uint64_t d_gpa[D_NFRAMES] = { 0x200000, 0x201000, 0x202000, 0x203000,
                                           0x400000, 0x401000, 0x402000 };
#define D_MMIO 0x10000u
#define PTE_AD 0x60u

struct dm {
    struct host h;
    struct x86vcpu_ept *ept;
    uint64_t pa[D_NFRAMES];
    uint8_t *ram[D_NFRAMES];
};

static uint64_t *d_pt(struct dm *g, unsigned i)
{
    return (uint64_t *)(void *)g->ram[D_PT] + i;
}

static void dm_start(struct dm *g)
{
    mock_reset();
    memset(g, 0, sizeof *g);
    struct host *h = &g->h;
    assert_int_equal(x86vcpu_cpu_enable(&h->cpu, &mock_hal), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_create(&h->cpu, &h->v), X86VCPU_OK);
    assert_int_equal(x86vcpu_ept_create(&h->cpu, 0, &g->ept), X86VCPU_OK);
    for (int i = 0; i < D_NFRAMES; i++) {
        g->pa[i] = mock_hal.alloc_frame(mock_hal.ctx);
        g->ram[i] = mock_hal.phys_to_virt(mock_hal.ctx, g->pa[i]);
        assert_int_equal(x86vcpu_ept_map(g->ept, d_gpa[i], g->pa[i], 4096, X86VCPU_EPT_RWX,
                                         X86VCPU_MT_WB), X86VCPU_OK);
    }
    assert_int_equal(x86vcpu_ept_add_mmio(g->ept, D_MMIO, 0x1000), X86VCPU_OK);
    *(uint64_t *)(void *)g->ram[D_PML4] = d_gpa[D_PDPT] | 3;
    *(uint64_t *)(void *)g->ram[D_PDPT] = d_gpa[D_PD] | 3;
    *(uint64_t *)(void *)g->ram[D_PD] = d_gpa[D_PT] | 3;
    *d_pt(g, 0) = d_gpa[D_CODE] | 3;
    *d_pt(g, 1) = d_gpa[D_RO] | 0x21;          /* present, accessed, read-only */
    *d_pt(g, 2) = d_gpa[D_DATA] | 3;
    *d_pt(g, 3) = d_gpa[D_RO] | 0x21;
    *d_pt(g, 4) = D_MMIO | 3;
    h->setup.mode = X86VCPU_MODE_LONG64;
    h->setup.entry = 0;
    h->setup.rsp = 0x8000;
    h->setup.cr3 = d_gpa[D_PML4];
    h->setup.ept = g->ept;
    h->setup.vpid = 1;
    host_bind(h);
    /* CR0.WP, as the fuzzer's kernel keeps it: supervisor writes obey R/W. */
    mock_set_vmcs(F(GUEST_CR0), mock_vmcs(F(GUEST_CR0)) | CR0_WP);
    mock_set_vmcs(F(CR0_READ_SHADOW), mock_vmcs(F(CR0_READ_SHADOW)) | CR0_WP);
    assert_true(x86vcpu__guest_cr0(h->v) & CR0_WP);
}

static void dm_stop(struct dm *g)
{
    host_stop_ept(&g->h, g->ept, g->pa, D_NFRAMES);
}

#define PF_INFO (INFO_VALID | INFO_HW_EXC | INFO_HAS_ERR | X86VCPU_VEC_PF)
static uint64_t d_gla, d_cr2;

static void d_set_ins(struct x86vcpu_regs *regs, unsigned n)
{
    (void)regs;
    (void)n;
    mock_set_vmcs(F(EXIT_INSTR_INFO), 2u << 7); /* 64-bit addresses */
    mock_set_vmcs(F(GUEST_LINEAR_ADDRESS), d_gla);
}

static void d_set_viol(struct x86vcpu_regs *regs, unsigned n)
{
    (void)regs;
    (void)n;
    mock_set_vmcs(F(GUEST_PHYSICAL_ADDRESS), D_MMIO);
    mock_set_vmcs(F(GUEST_LINEAR_ADDRESS), 0x4000);
}

static void d_see_cr2(struct x86vcpu_regs *regs, unsigned n)
{
    (void)regs;
    (void)n;
    d_cr2 = mock.cr[2];         /* the guest's, loaded for the injection */
}

static int d_port(void *ctx, uint16_t port, uint32_t size, int in, uint32_t *val)
{
    struct port_log *l = ctx;
    (void)port, (void)size, (void)in;
    l->calls++;
    *val = l->next;
    return 0;
}

/* The next entry injects #PF(err) with CR2 = cr2, RIP on the instruction. */
static void d_expect_pf(struct dm *g, uint32_t err, uint64_t cr2, uint64_t rip)
{
    d_cr2 = 0;
    RUN_STEPS(&g->h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, d_see_cr2 });
    assert_int_equal(mock.entry_intr_info, PF_INFO);
    assert_int_equal(mock.entry_errcode, err);
    assert_int_equal(d_cr2, cr2);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), rip);
}

static void test_split_element_first_page_fault_keeps_second_ad(void **state)
{
    (void)state;
    struct dm g;
    struct port_log l = { 0, 0xa5a5a5a5u };
    dm_start(&g);
    /* rep insd (f3 6d) from port 0x80, RDI = 0x1ffd, RCX = 0x1f. */
    g.ram[D_CODE][0x20] = 0xf3;
    g.ram[D_CODE][0x21] = 0x6d;
    mock_set_vmcs(F(GUEST_RIP), 0x20);
    g.h.v->regs.gpr[X86VCPU_RDI] = 0x1ffd;
    g.h.v->regs.gpr[X86VCPU_RCX] = 0x1f;
    d_gla = 0x1ffd;
    assert_int_equal(RUN_STEPS(&g.h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION,
                                       QUAL_IO(0x80, 4, 1, 1, 1), 2, d_set_ins }), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_IO);
    assert_int_equal(x86vcpu_string_io(g.h.v, &g.h.e, d_port, &l), X86VCPU_OK);
    assert_int_equal(l.calls, 0);                       /* the port is not read */
    assert_int_equal(*d_pt(&g, 2) & PTE_AD, 0);         /* the fix: was A|D */
    assert_int_equal(g.ram[D_DATA][0], 0);
    assert_int_equal(g.h.v->regs.gpr[X86VCPU_RDI], 0x1ffd);
    assert_int_equal(g.h.v->regs.gpr[X86VCPU_RCX], 0x1f);
    d_expect_pf(&g, 3, 0x1ffd, 0x20);                   /* P | W, supervisor */

    /* The MMIO engine, after an EPT violation on the MMIO page (the guest's
     * PTE of the first page changed since the CPU walked it, or the CPU
     * checked the pages the other way round): mov [0x3ffe], eax
     * (89 04 25 fe 3f 00 00) and stosd (ab) at RDI = 0x3ffe. */
    static const uint8_t modrm[] = { 0x89, 0x04, 0x25, 0xfe, 0x3f, 0x00, 0x00 };
    for (int k = 0; k < 2; k++) {
        memset(g.ram[D_CODE] + 0x40, 0xcc, 16);
        if (k == 0)
            memcpy(g.ram[D_CODE] + 0x40, modrm, sizeof modrm);
        else
            g.ram[D_CODE][0x40] = 0xab;
        *d_pt(&g, 4) = D_MMIO | 3;
        mock_set_vmcs(F(GUEST_RIP), 0x40);
        g.h.v->regs.gpr[X86VCPU_RDI] = 0x3ffe;
        assert_int_equal(RUN_STEPS(&g.h, { X86VCPU_EXIT_REASON_EPT_VIOLATION,
                                           QUAL_W | QUAL_GLA | QUAL_FIN, 0, d_set_viol }),
                         X86VCPU_OK);
        assert_int_equal(g.h.e.kind, X86VCPU_EXIT_TIME_SLICE); /* the fault, no MMIO exit */
        assert_int_equal(mock.entry_intr_info, PF_INFO);
        assert_int_equal(mock.entry_errcode, 3);
        assert_int_equal(*d_pt(&g, 4) & PTE_AD, 0);     /* the MMIO page's PTE untouched */
        assert_int_equal(g.h.v->regs.gpr[X86VCPU_RDI], 0x3ffe);
        assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x40);
    }
    dm_stop(&g);
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
        cmocka_unit_test_setup(test_split_element_first_page_fault_keeps_second_ad, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
