/* Task-switch exits (src/vmx/taskswitch.c; SDM 7.3, 26.4.2, Table 28-2)
 * on the mock CPU: CALL, JMP, IRET and IDT task-gate sources, the error
 * code pushed on the new stack, a TSS the EPT does not map, the busy-bit
 * and selector checks, the segment checks after the commit point, and the
 * forms left to the embedder.
 *
 * The machine: a flat 32-bit guest without paging (linear = physical),
 * RAM in three HAL frames behind the library's EPT:
 *   0x1000 GDT, 0x2000 TSSs (main 0x2000, B 0x2100, 16-bit 0x2200,
 *   bad SS 0x2300), 0x3000 stacks, 0x4000 a page directory (one 4 MiB
 *   identity page, A and D set) and at 0x4f00 a read-only TSS (EPT R-X);
 *   0x5000 is not mapped. */
#include "host.h"
#include "lib/tss.h"

#define GDT      0x1000u
#define TSS_MAIN 0x2000u
#define TSS_B    0x2100u
#define TSS_16   0x2200u
#define TSS_BAD  0x2300u
#define UNMAPPED 0x5000u
#define TSS_RO   0x4f00u
#define PD       0x4000u

#define S_CODE   0x08
#define S_DATA   0x10
#define S_MAIN   0x18
#define S_B      0x20
#define S_16     0x28
#define S_UNMAP  0x30
#define S_BADSS  0x38
#define S_SHORT  0x40
#define S_LDT    0x48
#define S_RO     0x50

#define Q(sel, src) ((uint64_t)(sel) | (uint64_t)(src) << 30)

struct ts {
    struct host h;
    struct x86vcpu_ept *ept;
    uint64_t pa[4];
    uint8_t *ram[4];
};

static uint64_t mkdesc(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
    return (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | (uint64_t)(access & 0xff) << 40 |
           (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)(flags & 0xf) << 52 |
           (uint64_t)(base >> 24) << 56;
}

static uint8_t *gmem(struct ts *t, uint32_t gpa)
{
    return t->ram[(gpa >> 12) - 1] + (gpa & 0xfff);
}
static uint64_t *gdt(struct ts *t, unsigned sel) { return (uint64_t *)(void *)gmem(t, GDT + (sel & ~7u)); }
static unsigned busy(struct ts *t, unsigned sel) { return (unsigned)(*gdt(t, sel) >> 41) & 1; }
static uint32_t rd32(struct ts *t, uint32_t gpa) { uint32_t v; memcpy(&v, gmem(t, gpa), 4); return v; }
static void wr32(struct ts *t, uint32_t gpa, uint32_t v) { memcpy(gmem(t, gpa), &v, 4); }
static uint16_t rd16(struct ts *t, uint32_t gpa) { uint16_t v; memcpy(&v, gmem(t, gpa), 2); return v; }
static void wr16(struct ts *t, uint32_t gpa, uint16_t v) { memcpy(gmem(t, gpa), &v, 2); }

/* A 32-bit TSS image: EIP, ESP, flat selectors, EAX = tag. */
static void tss32(struct ts *t, uint32_t base, uint32_t eip, uint32_t esp, uint32_t tag)
{
    memset(gmem(t, base), 0, 0x68);
    wr32(t, base + 0x1c, 0x7000);       /* CR3: not loaded (no paging) */
    wr32(t, base + 0x20, eip);
    wr32(t, base + 0x24, 0x202);
    wr32(t, base + 0x28, tag);          /* EAX */
    wr32(t, base + 0x38, esp);          /* ESP */
    wr32(t, base + 0x44, tag + 7);      /* EDI */
    for (int i = 0; i < 6; i++)
        wr16(t, base + 0x48 + 4 * i, i == 1 ? S_CODE : S_DATA);
}

static void ts_start(struct ts *t)
{
    mock_reset();
    memset(t, 0, sizeof *t);
    host_init(&t->h, X86VCPU_MODE_PROT32);
    assert_int_equal(x86vcpu_ept_create(&t->h.cpu, 0, &t->ept), X86VCPU_OK);
    for (int i = 0; i < 4; i++) {
        t->pa[i] = mock_hal.alloc_frame(mock_hal.ctx);
        t->ram[i] = mock_hal.phys_to_virt(mock_hal.ctx, t->pa[i]);
        memset(t->ram[i], 0, 4096);
        assert_int_equal(x86vcpu_ept_map(t->ept, 0x1000 + 0x1000ull * i, t->pa[i], 4096,
                                         i == 3 ? X86VCPU_EPT_R | X86VCPU_EPT_X : X86VCPU_EPT_RWX,
                                         X86VCPU_MT_WB), X86VCPU_OK);
    }
    t->h.setup.ept = t->ept;
    t->h.setup.ept_root = 0;
    host_bind(&t->h);
    *gdt(t, S_CODE) = mkdesc(0, 0xfffff, 0x9b, 0xc);
    *gdt(t, S_DATA) = mkdesc(0, 0xfffff, 0x93, 0xc);
    *gdt(t, S_MAIN) = mkdesc(TSS_MAIN, 0x67, 0x8b, 0);     /* busy: the current task */
    *gdt(t, S_B) = mkdesc(TSS_B, 0x67, 0x89, 0);
    *gdt(t, S_16) = mkdesc(TSS_16, 0x2b, 0x81, 0);
    *gdt(t, S_UNMAP) = mkdesc(UNMAPPED, 0x67, 0x89, 0);
    *gdt(t, S_BADSS) = mkdesc(TSS_BAD, 0x67, 0x89, 0);
    *gdt(t, S_SHORT) = mkdesc(TSS_B, 0x66, 0x89, 0);
    *gdt(t, S_LDT) = mkdesc(0x3f00, 0xf, 0x82, 0);
    *gdt(t, S_RO) = mkdesc(TSS_RO, 0x67, 0x89, 0);
    tss32(t, TSS_MAIN, 0, 0, 0);
    tss32(t, TSS_B, 0x4444, 0x3800, 0xb0b0);
    tss32(t, TSS_BAD, 0x5555, 0x3900, 0xbad0);
    tss32(t, TSS_RO, 0x6666, 0x3a00, 0x4040);
    wr32(t, PD, 0xe3);                  /* P RW A D PS: 0-4 MiB */
    wr16(t, TSS_BAD + 0x50, S_CODE);    /* SS = a code segment */
    mock_set_vmcs(F(GUEST_GDTR_BASE), GDT);
    mock_set_vmcs(F(GUEST_GDTR_LIMIT), 0xff);
    mock_set_vmcs(F(GUEST_TR_SELECTOR), S_MAIN);
    mock_set_vmcs(F(GUEST_TR_BASE), TSS_MAIN);
    mock_set_vmcs(F(GUEST_TR_LIMIT), 0x67);
    mock_set_vmcs(F(GUEST_TR_AR), 0x8b);
    mock_set_vmcs(F(GUEST_LDTR_AR), AR_UNUSABLE);
    mock_set_vmcs(F(GUEST_CS_SELECTOR), S_CODE);
    mock_set_vmcs(F(GUEST_CS_AR), 0xc09b);
    mock_set_vmcs(F(GUEST_CS_LIMIT), 0xffffffff);
    mock_set_vmcs(F(GUEST_SS_SELECTOR), S_DATA);
    mock_set_vmcs(F(GUEST_SS_AR), 0xc093);
    mock_set_vmcs(F(GUEST_SS_LIMIT), 0xffffffff);
    mock_set_vmcs(F(GUEST_RIP), 0x1230);
    mock_set_vmcs(F(GUEST_RSP), 0x3f00);
    mock_set_vmcs(F(GUEST_RFLAGS), 0x246);
    mock_set_vmcs(F(GUEST_DR7), 0x557);
    t->h.v->regs.gpr[X86VCPU_RAX] = 0x1111;
    t->h.v->regs.gpr[X86VCPU_RDI] = 0x7777;
}

static void ts_stop(struct ts *t)
{
    host_stop_ept(&t->h, t->ept, t->pa, 4);
}

/* IDT-vectoring information of the next exit (0: none). */
static uint32_t vec_info, vec_err;
static void set_vectoring(struct x86vcpu_regs *regs, unsigned n)
{
    (void)regs;
    (void)n;
    mock_set_vmcs(F(IDT_VECTORING_INFO), vec_info);
    mock_set_vmcs(F(IDT_VECTORING_ERRCODE), vec_err);
}

#define SWITCH(t, q, len) \
    RUN_STEPS(&(t)->h, { X86VCPU_EXIT_REASON_TASK_SWITCH, (q), (len), set_vectoring })

/* The old task intact: TR, RIP, registers, busy bits as they were. */
static void assert_old_task(struct ts *t)
{
    assert_int_equal(mock_vmcs(F(GUEST_TR_SELECTOR)), S_MAIN);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1230);
    assert_int_equal(t->h.v->regs.gpr[X86VCPU_RAX], 0x1111);
    assert_int_equal(busy(t, S_MAIN), 1);
    assert_int_equal(busy(t, S_B), 0);
    assert_int_equal(rd32(t, TSS_MAIN + 0x20), 0);      /* nothing saved */
}

static void test_call_then_iret(void **state)
{
    (void)state;
    struct ts t;
    ts_start(&t);
    vec_info = 0;
    assert_int_equal(SWITCH(&t, Q(S_B, X86VCPU_TS_CALL), 7), X86VCPU_OK);
    assert_int_equal(t.h.e.kind, X86VCPU_EXIT_TIME_SLICE);
    assert_int_equal(mock.entry_intr_info, 0);                  /* no fault */
    /* The old task saved: EIP after the CALL, registers, NT as it was. */
    assert_int_equal(rd32(&t, TSS_MAIN + 0x20), 0x1237);
    assert_int_equal(rd32(&t, TSS_MAIN + 0x24), 0x246);
    assert_int_equal(rd32(&t, TSS_MAIN + 0x28), 0x1111);
    assert_int_equal(rd32(&t, TSS_MAIN + 0x38), 0x3f00);
    assert_int_equal(rd32(&t, TSS_MAIN + 0x44), 0x7777);
    assert_int_equal(rd32(&t, TSS_MAIN + 0x4c), S_CODE);
    /* The new task: its registers, NT, back link, busy bits. */
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x4444);
    assert_int_equal(mock_vmcs(F(GUEST_RSP)), 0x3800);
    assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)), 0x4202);
    assert_int_equal(t.h.v->regs.gpr[X86VCPU_RAX], 0xb0b0);
    assert_int_equal(t.h.v->regs.gpr[X86VCPU_RDI], 0xb0b7);
    assert_int_equal(rd16(&t, TSS_B), S_MAIN);
    assert_int_equal(busy(&t, S_MAIN), 1);
    assert_int_equal(busy(&t, S_B), 1);
    assert_int_equal(mock_vmcs(F(GUEST_TR_SELECTOR)), S_B);
    assert_int_equal(mock_vmcs(F(GUEST_TR_BASE)), TSS_B);
    assert_int_equal(mock_vmcs(F(GUEST_TR_LIMIT)), 0x67);
    assert_int_equal(mock_vmcs(F(GUEST_TR_AR)), 0x8b);
    assert_int_equal(mock_vmcs(F(GUEST_SS_AR)), 0xc093);
    assert_int_equal(mock_vmcs(F(GUEST_DS_AR)), 0xc093);
    assert_int_equal(mock_vmcs(F(GUEST_CS_AR)), 0xc09b);
    assert_true(mock_vmcs(F(GUEST_LDTR_AR)) & AR_UNUSABLE);
    assert_true(mock_vmcs(F(GUEST_CR0)) & CR0_TS);
    assert_int_equal(mock_vmcs(F(GUEST_DR7)), 0x402);           /* L0-L3, LE cleared */
    assert_int_equal(mock_vmcs(F(GUEST_CR3)) == 0x7000, 0);     /* no paging: CR3 stays */

    /* IRET back: B available, NT cleared in its saved image, main again;
     * the IRET ends NMI blocking. */
    mock_set_vmcs(F(GUEST_RIP), 0x4450);
    mock_set_vmcs(F(GUEST_INTERRUPTIBILITY), INTR_BLOCK_NMI);
    assert_int_equal(SWITCH(&t, Q(S_MAIN, X86VCPU_TS_IRET), 1), X86VCPU_OK);
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(busy(&t, S_B), 0);
    assert_int_equal(busy(&t, S_MAIN), 1);
    assert_int_equal(rd32(&t, TSS_B + 0x20), 0x4451);
    assert_int_equal(rd32(&t, TSS_B + 0x24), 0x202);            /* NT cleared */
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1237);
    assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)), 0x246);
    assert_int_equal(t.h.v->regs.gpr[X86VCPU_RAX], 0x1111);
    assert_int_equal(mock_vmcs(F(GUEST_TR_SELECTOR)), S_MAIN);
    assert_int_equal(mock_vmcs(F(GUEST_INTERRUPTIBILITY)) & INTR_BLOCK_NMI, 0);
    ts_stop(&t);
}

static void test_jmp_swaps_busy(void **state)
{
    (void)state;
    struct ts t;
    ts_start(&t);
    vec_info = 0;
    wr16(&t, TSS_B, 0x1234);
    assert_int_equal(SWITCH(&t, Q(S_B, X86VCPU_TS_JMP), 5), X86VCPU_OK);
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(busy(&t, S_MAIN), 0);
    assert_int_equal(busy(&t, S_B), 1);
    assert_int_equal(rd16(&t, TSS_B), 0x1234);                  /* no back link */
    assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)), 0x202);        /* no NT */
    assert_int_equal(rd32(&t, TSS_MAIN + 0x20), 0x1235);
    ts_stop(&t);
}

/* #GP(0x58) through a task gate: the switch is the delivery (nothing is
 * re-injected), EIP saved is the faulting one, the error code is on the
 * new stack. */
static void test_gate_exception_pushes_error_code(void **state)
{
    (void)state;
    struct ts t;
    ts_start(&t);
    vec_info = INTR_INFO(INTR_TYPE_HW_EXC, 13) | INTR_INFO_HAS_ERR;
    vec_err = 0x58;
    assert_int_equal(SWITCH(&t, Q(S_B, X86VCPU_TS_GATE), 0), X86VCPU_OK);
    vec_info = 0;
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(t.h.v->reinject_info, 0);
    assert_int_equal(rd32(&t, TSS_MAIN + 0x20), 0x1230);
    assert_int_equal(mock_vmcs(F(GUEST_RSP)), 0x37fc);
    assert_int_equal(rd32(&t, 0x37fc), 0x58);
    assert_int_equal(rd16(&t, TSS_B), S_MAIN);
    assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)), 0x4202);
    ts_stop(&t);
}

/* INT n through a task gate: EIP after the INT (the exit's length). An
 * NMI: EIP stays, NMIs blocked. */
static void test_gate_soft_int_and_nmi(void **state)
{
    (void)state;
    struct ts t;
    ts_start(&t);
    vec_info = INTR_INFO(INTR_TYPE_SOFT_INTR, 0x41);
    assert_int_equal(SWITCH(&t, Q(S_B, X86VCPU_TS_GATE), 2), X86VCPU_OK);
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(rd32(&t, TSS_MAIN + 0x20), 0x1232);
    assert_int_equal(mock_vmcs(F(GUEST_RSP)), 0x3800);          /* no error code */
    ts_stop(&t);

    ts_start(&t);
    vec_info = INTR_INFO(INTR_TYPE_NMI, 2);
    assert_int_equal(SWITCH(&t, Q(S_B, X86VCPU_TS_GATE), 0), X86VCPU_OK);
    vec_info = 0;
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(rd32(&t, TSS_MAIN + 0x20), 0x1230);
    assert_true(mock_vmcs(F(GUEST_INTERRUPTIBILITY)) & INTR_BLOCK_NMI);
    ts_stop(&t);
}

/* A TSS the EPT does not map: the EPT violation its access would cause,
 * for the embedder; the old task untouched. */
static void test_unmapped_tss(void **state)
{
    (void)state;
    struct ts t;
    ts_start(&t);
    vec_info = 0;
    assert_int_equal(SWITCH(&t, Q(S_UNMAP, X86VCPU_TS_CALL), 7), X86VCPU_OK);
    assert_int_equal(t.h.e.kind, X86VCPU_EXIT_EPT_VIOLATION);
    assert_int_equal(t.h.e.u.ept.gpa, UNMAPPED);
    assert_old_task(&t);
    assert_int_equal(busy(&t, S_UNMAP), 0);
    ts_stop(&t);
}

/* A new TSS the guest may read but not write (EPT R-X): a CALL must
 * write its back link, so the switch stops at that EPT violation before
 * anything is written, the old TSS included. A JMP writes nothing there. */
static void test_read_only_new_tss(void **state)
{
    (void)state;
    struct ts t;
    ts_start(&t);
    vec_info = 0;
    assert_int_equal(SWITCH(&t, Q(S_RO, X86VCPU_TS_CALL), 7), X86VCPU_OK);
    assert_int_equal(t.h.e.kind, X86VCPU_EXIT_EPT_VIOLATION);
    assert_int_equal(t.h.e.u.ept.gpa, TSS_RO);
    assert_int_equal(t.h.e.u.ept.access, X86VCPU_EPT_W);
    assert_old_task(&t);
    assert_int_equal(busy(&t, S_RO), 0);
    ts_stop(&t);

    ts_start(&t);
    assert_int_equal(SWITCH(&t, Q(S_RO, X86VCPU_TS_JMP), 5), X86VCPU_OK);
    assert_int_equal(t.h.e.kind, X86VCPU_EXIT_TIME_SLICE);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x6666);
    assert_int_equal(busy(&t, S_RO), 1);
    ts_stop(&t);
}

/* With paging on, CR3 comes from the new TSS, and the VPID's TLB entries
 * of the old address space are flushed (a VM entry keeps them, SDM
 * 28.3.3.3; a CR3 load would not). */
static void test_cr3_load_flushes_vpid(void **state)
{
    (void)state;
    struct ts t;
    ts_start(&t);
    vec_info = 0;
    mock_set_vmcs(F(GUEST_CR0), mock_vmcs(F(GUEST_CR0)) | CR0_PG);
    mock_set_vmcs(F(CR0_READ_SHADOW), mock_vmcs(F(CR0_READ_SHADOW)) | CR0_PG);
    mock_set_vmcs(F(GUEST_CR4), mock_vmcs(F(GUEST_CR4)) | CR4_PSE);
    mock_set_vmcs(F(CR4_READ_SHADOW), mock_vmcs(F(CR4_READ_SHADOW)) | CR4_PSE);
    mock_set_vmcs(F(GUEST_CR3), PD);
    wr32(&t, TSS_B + 0x1c, PD | 0x18);                           /* PWT, PCD */
    mock_clear_ops();
    assert_int_equal(SWITCH(&t, Q(S_B, X86VCPU_TS_CALL), 7), X86VCPU_OK);
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(mock_vmcs(F(GUEST_CR3)), PD | 0x18);
    assert_int_equal(mock_count(OP_INVVPID), 1);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x4444);
    ts_stop(&t);
}

/* PAE paging: the new CR3's PDPTEs go to the VMCS (read through the
 * EPT); a reserved bit in one is #GP(0) in the new task. The page
 * directory at 0x4000 serves both formats (entry 0: a 2 MiB page). */
static void test_pae_pdptes_loaded(void **state)
{
    (void)state;
    struct ts t;
    for (int bad = 0; bad < 2; bad++) {
        ts_start(&t);
        vec_info = 0;
        uint64_t pdpt_old[4] = { PD | 1, 0, 0, 0 };
        uint64_t pdpt_new[4] = { PD | 1, 0x5000 | 1, 0, bad ? 0x6000 | 1 | 0x20 : 0 };
        memcpy(gmem(&t, 0x4100), pdpt_old, sizeof pdpt_old);
        memcpy(gmem(&t, 0x4180), pdpt_new, sizeof pdpt_new);
        mock_set_vmcs(F(GUEST_CR0), mock_vmcs(F(GUEST_CR0)) | CR0_PG);
        mock_set_vmcs(F(CR0_READ_SHADOW), mock_vmcs(F(CR0_READ_SHADOW)) | CR0_PG);
        mock_set_vmcs(F(GUEST_CR4), mock_vmcs(F(GUEST_CR4)) | CR4_PAE);
        mock_set_vmcs(F(CR4_READ_SHADOW), mock_vmcs(F(CR4_READ_SHADOW)) | CR4_PAE);
        mock_set_vmcs(F(GUEST_CR3), 0x4100);
        wr32(&t, TSS_B + 0x1c, 0x4180);
        assert_int_equal(SWITCH(&t, Q(S_B, X86VCPU_TS_CALL), 7), X86VCPU_OK);
        assert_int_equal(mock_vmcs(F(GUEST_CR3)), 0x4180);
        if (bad) {
            assert_int_equal(mock.entry_intr_info & 0x7ff, (3u << 8) | 13);
            assert_int_equal(mock.entry_errcode, 0);
        } else {
            assert_int_equal(mock.entry_intr_info, 0);
            assert_int_equal(mock_vmcs(F(GUEST_PDPTE0)), PD | 1);
            assert_int_equal(mock_vmcs(F(GUEST_PDPTE1)), 0x5001);
            assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x4444);
        }
        ts_stop(&t);
    }
}

static void expect_fault(struct ts *t, uint64_t q, uint32_t vec, uint32_t err)
{
    assert_int_equal(SWITCH(t, q, 7), X86VCPU_OK);
    assert_int_equal(t->h.e.kind, X86VCPU_EXIT_TIME_SLICE);
    assert_int_equal(mock.entry_intr_info & 0x7ff, (3u << 8) | vec);
    assert_int_equal(mock.entry_errcode, err);
}

/* Checks of the new TSS before the commit point: the old task intact. */
static void test_busy_and_selector_checks(void **state)
{
    (void)state;
    struct ts t;
    vec_info = 0;
    static const struct { uint64_t q; uint32_t vec, err; } c[] = {
        { Q(S_MAIN, X86VCPU_TS_CALL), 13, S_MAIN },             /* busy */
        { Q(S_MAIN | 3, X86VCPU_TS_JMP), 13, S_MAIN },
        { Q(S_B, X86VCPU_TS_IRET), 10, S_B },                    /* IRET to an available one */
        { Q(S_SHORT, X86VCPU_TS_CALL), 10, S_SHORT },            /* limit 0x66 */
        { Q(S_DATA, X86VCPU_TS_CALL), 13, S_DATA },              /* no TSS */
        { Q(S_B | 4, X86VCPU_TS_CALL), 13, S_B | 4 },            /* in the LDT */
        { Q(0x100, X86VCPU_TS_JMP), 13, 0x100 },                 /* beyond the GDT */
        { Q(0, X86VCPU_TS_CALL), 13, 0 },                        /* null */
    };
    for (unsigned i = 0; i < sizeof c / sizeof *c; i++) {
        ts_start(&t);
        expect_fault(&t, c[i].q, c[i].vec, c[i].err);
        assert_old_task(&t);
        ts_stop(&t);
    }
    ts_start(&t);
    *gdt(&t, S_B) &= ~(1ull << 47);                              /* not present */
    expect_fault(&t, Q(S_B, X86VCPU_TS_CALL), 11, S_B);
    assert_old_task(&t);
    ts_stop(&t);
}

/* After the commit point: the fault in the new task (TR, busy bit, EIP). */
static void test_bad_ss_and_ldt_after_commit(void **state)
{
    (void)state;
    struct ts t;
    vec_info = 0;
    ts_start(&t);
    expect_fault(&t, Q(S_BADSS, X86VCPU_TS_JMP), 10, S_CODE);
    assert_int_equal(mock_vmcs(F(GUEST_TR_SELECTOR)), S_BADSS);
    assert_int_equal(busy(&t, S_BADSS), 1);
    assert_int_equal(busy(&t, S_MAIN), 0);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x5555);
    assert_int_equal(mock_vmcs(F(GUEST_SS_SELECTOR)), S_CODE);
    ts_stop(&t);

    /* An LDT selector naming a data segment: #TS(LDT selector). */
    ts_start(&t);
    wr16(&t, TSS_B + 0x60, S_DATA);
    expect_fault(&t, Q(S_B, X86VCPU_TS_CALL), 10, S_DATA);
    assert_int_equal(mock_vmcs(F(GUEST_TR_SELECTOR)), S_B);
    ts_stop(&t);

    /* A good LDT loads LDTR; a DS in it is taken from there. */
    ts_start(&t);
    wr16(&t, TSS_B + 0x60, S_LDT);
    wr16(&t, TSS_B + 0x54, 0x0c);                                /* DS = LDT entry 1 */
    uint64_t d = mkdesc(0xabc000, 0xfff, 0x93, 0x4);
    memcpy(gmem(&t, 0x3f08), &d, 8);
    assert_int_equal(SWITCH(&t, Q(S_B, X86VCPU_TS_CALL), 7), X86VCPU_OK);
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(mock_vmcs(F(GUEST_LDTR_SELECTOR)), S_LDT);
    assert_int_equal(mock_vmcs(F(GUEST_LDTR_BASE)), 0x3f00);
    assert_int_equal(mock_vmcs(F(GUEST_DS_BASE)), 0xabc000);
    assert_int_equal(mock_vmcs(F(GUEST_DS_AR)), 0x4093);
    ts_stop(&t);
}

/* A 16-bit TSS: 16-bit fields, upper register halves kept. */
static void test_16bit_tss(void **state)
{
    (void)state;
    struct ts t;
    ts_start(&t);
    vec_info = 0;
    memset(gmem(&t, TSS_16), 0, 0x2c);
    wr16(&t, TSS_16 + 0x0e, 0x1616);    /* IP */
    wr16(&t, TSS_16 + 0x10, 0x0002);    /* FLAGS */
    wr16(&t, TSS_16 + 0x12, 0xaaaa);    /* AX */
    wr16(&t, TSS_16 + 0x1a, 0x3a00);    /* SP */
    wr16(&t, TSS_16 + 0x22, S_DATA);
    wr16(&t, TSS_16 + 0x24, S_CODE);
    wr16(&t, TSS_16 + 0x26, S_DATA);
    wr16(&t, TSS_16 + 0x28, S_DATA);
    t.h.v->regs.gpr[X86VCPU_RAX] = 0x12345678;
    assert_int_equal(SWITCH(&t, Q(S_16, X86VCPU_TS_CALL), 7), X86VCPU_OK);
    assert_int_equal(mock.entry_intr_info, 0);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1616);
    assert_int_equal(t.h.v->regs.gpr[X86VCPU_RAX], 0x1234aaaa);
    assert_int_equal(mock_vmcs(F(GUEST_TR_AR)), 0x83);
    assert_int_equal(rd16(&t, TSS_16), S_MAIN);
    ts_stop(&t);
}

/* Forms not emulated: to a virtual-8086 task (the embedder's); IA-32e
 * mode (#GP(0), as the CPU raises before any exit). */
static void test_unsupported_forms(void **state)
{
    (void)state;
    struct ts t;
    ts_start(&t);
    vec_info = 0;
    wr32(&t, TSS_B + 0x24, 0x20002);                             /* EFLAGS.VM */
    assert_int_equal(SWITCH(&t, Q(S_B, X86VCPU_TS_CALL), 7), X86VCPU_OK);
    assert_int_equal(t.h.e.kind, X86VCPU_EXIT_TASK_SWITCH);
    assert_int_equal(t.h.e.qualification, Q(S_B, X86VCPU_TS_CALL));
    assert_old_task(&t);
    ts_stop(&t);

    ts_start(&t);
    mock_set_vmcs(F(GUEST_IA32_EFER), EFER_LME | EFER_LMA);
    expect_fault(&t, Q(S_B, X86VCPU_TS_CALL), 13, 0);
    assert_old_task(&t);
    ts_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_then_iret),
        cmocka_unit_test(test_jmp_swaps_busy),
        cmocka_unit_test(test_gate_exception_pushes_error_code),
        cmocka_unit_test(test_gate_soft_int_and_nmi),
        cmocka_unit_test(test_unmapped_tss),
        cmocka_unit_test(test_read_only_new_tss),
        cmocka_unit_test(test_cr3_load_flushes_vpid),
        cmocka_unit_test(test_pae_pdptes_loaded),
        cmocka_unit_test(test_busy_and_selector_checks),
        cmocka_unit_test(test_bad_ss_and_ldt_after_commit),
        cmocka_unit_test(test_16bit_tss),
        cmocka_unit_test(test_unsupported_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
