/* Issue 13: the virtual local APIC wired to VMX (src/vmx/lapic.c), with the
 * CPU's TPR shadow (the mock's TRUE_PROCBASED allows it) and with the
 * software path forced (X86VCPU_LAPIC_SOFT): controls, IA32_APIC_BASE and
 * the x2APIC MSRs, the xAPIC page through the EPT's MMIO exits, the timer
 * on the VMX-preemption timer (alone and with a time slice), injection and
 * the interrupt window, TPR/CR8 (exit 43 with the shadow, CR8 exits
 * without), the IPI callback and self-IPIs, EOI broadcast of level
 * vectors; and nothing of it when the APIC is off.
 *
 * The machine: a 32-bit protected-mode guest without paging, code at
 * 0x1000 (one EPT page), the APIC page at FEE00000H an MMIO range. Each
 * run plays its steps, then ends in an intercepted #UD for the test (an
 * exit that leaves RIP alone). */
#include "host.h"

#define VALID 0x80000000u
#define BASE  0xfee00000u
#define SOFT  X86VCPU_LAPIC_SOFT

struct lt {
    struct host h;
    struct x86vcpu_ept *ept;
    uint64_t pa;
    uint8_t *ram;
    unsigned ipis, eois;
    struct x86vcpu_lapic_ipi last_ipi;
    uint8_t last_eoi;
};

static void on_ipi(void *ctx, struct x86vcpu_vcpu *from, const struct x86vcpu_lapic_ipi *ipi)
{
    struct lt *g = ctx;
    (void)from;
    g->ipis++;
    g->last_ipi = *ipi;
}

static void on_eoi(void *ctx, struct x86vcpu_vcpu *v, uint8_t vector)
{
    struct lt *g = ctx;
    (void)v;
    g->eois++;
    g->last_eoi = vector;
}

/* flags: X86VCPU_LAPIC_*; ipi: use the callback; slice: setup.time_slice. */
static void lt_start(struct lt *g, uint32_t flags, int ipi, uint32_t slice)
{
    mock_reset();
    memset(g, 0, sizeof *g);
    host_init(&g->h, X86VCPU_MODE_PROT32);
    assert_int_equal(x86vcpu_ept_create(&g->h.cpu, 0, &g->ept), X86VCPU_OK);
    g->pa = mock_hal.alloc_frame(mock_hal.ctx);
    g->ram = mock_hal.phys_to_virt(mock_hal.ctx, g->pa);
    assert_int_equal(x86vcpu_ept_map(g->ept, 0x1000, g->pa, 4096, X86VCPU_EPT_RWX, X86VCPU_MT_WB),
                     X86VCPU_OK);
    /* mov eax,[ebx]; mov [ebx],eax */
    static const uint8_t code[] = { 0x8b, 0x03, 0x89, 0x03 };
    memcpy(g->ram, code, sizeof code);
    struct x86vcpu_lapic_config c = { .apic_id = 5, .tsc_khz = 1000, .bus_khz = 1000,
                                      .flags = flags | X86VCPU_LAPIC_BSP, .eoi = on_eoi,
                                      .ctx = g };
    if (ipi)
        c.ipi = on_ipi;
    assert_int_equal(x86vcpu_lapic_enable(g->h.v, &c), X86VCPU_OK);
    assert_int_equal(x86vcpu_lapic_enable(g->h.v, &c), X86VCPU_ESTATE);
    g->h.setup.ept = g->ept;
    g->h.setup.ept_root = 0;
    g->h.setup.time_slice = slice;
    mock_set_msr(0x10, 1000);       /* the TSC */
    host_bind(&g->h);
    mock_set_vmcs(F(GUEST_RIP), 0x1000);
    mock_set_vmcs(F(GUEST_RFLAGS), 0x202);
}

static void lt_stop(struct lt *g)
{
    host_stop_ept(&g->h, g->ept, &g->pa, 1);
}

/* ---------------------------------------------------------- scripting */
struct lstep {
    uint32_t reason;
    uint64_t qual;
    uint32_t len;
    uint32_t msr;       /* RDMSR/WRMSR: ECX, */
    uint64_t val;       /* WRMSR: EDX:EAX; EPT violation: the address; MOV CR8: EAX */
    uint64_t tsc;       /* nonzero: the TSC at this exit */
    uint64_t rflags;    /* nonzero: RFLAGS at this exit */
};
struct lsteps { const struct lstep *s; unsigned n; };

static int lscript(struct x86vcpu_regs *regs, unsigned n, void *ctx)
{
    const struct lsteps *st = ctx;
    if (n >= st->n) {
        mock_exit(X86VCPU_EXIT_REASON_EXCEPTION_NMI, 0, 0);
        mock_set_vmcs(F(EXIT_INTR_INFO), VALID | (3u << 8) | 6);
        return 0;
    }
    const struct lstep *s = &st->s[n];
    if (s->tsc)
        mock_set_msr(0x10, s->tsc);
    if (s->rflags)
        mock_set_vmcs(F(GUEST_RFLAGS), s->rflags);
    if (s->reason == X86VCPU_EXIT_REASON_RDMSR || s->reason == X86VCPU_EXIT_REASON_WRMSR) {
        regs->gpr[X86VCPU_RCX] = s->msr;
        regs->gpr[X86VCPU_RAX] = (uint32_t)s->val;
        regs->gpr[X86VCPU_RDX] = s->val >> 32;
    } else if (s->reason == X86VCPU_EXIT_REASON_APIC_ACCESS) {
        regs->gpr[X86VCPU_RBX] = s->val;
        regs->gpr[X86VCPU_RAX] = s->msr;
    } else if (s->reason == X86VCPU_EXIT_REASON_EPT_VIOLATION) {
        regs->gpr[X86VCPU_RBX] = s->val;
        regs->gpr[X86VCPU_RAX] = s->msr;    /* the value a write stores */
        mock_set_vmcs(F(GUEST_PHYSICAL_ADDRESS), s->val);
        mock_set_vmcs(F(GUEST_LINEAR_ADDRESS), s->val);
    } else if (s->reason == X86VCPU_EXIT_REASON_CR_ACCESS) {
        regs->gpr[X86VCPU_RAX] = s->val;
    }
    mock_set_vmcs(F(IDT_VECTORING_INFO), 0);
    mock_exit(s->reason, s->qual, s->len);
    return 0;
}

#define LRUN(g, ...)                                                                 \
    ({                                                                               \
        const struct lstep s_[] = { __VA_ARGS__ };                                   \
        struct lsteps st_ = { s_, sizeof s_ / sizeof s_[0] };                         \
        mock.entries = 0;                                                            \
        int r_ = host_run(&(g)->h, lscript, &st_);                                   \
        assert_int_equal(r_, X86VCPU_OK);                                            \
        assert_int_equal((g)->h.e.kind, X86VCPU_EXIT_EXCEPTION);                     \
    })
#define WR(m, v)  { X86VCPU_EXIT_REASON_WRMSR, 0, 2, (m), (v), 0, 0 }
#define RD(m)     { X86VCPU_EXIT_REASON_RDMSR, 0, 2, (m), 0, 0, 0 }
#define QR (QUAL_R | QUAL_GLA | QUAL_FIN)
#define QW (QUAL_W | QUAL_GLA | QUAL_FIN)
/* mov eax,[ebx] at 0x1000; mov [ebx],eax at 0x1002 (RIP set by the test). */
#define MMRD(off) { X86VCPU_EXIT_REASON_EPT_VIOLATION, QR, 0, 0, BASE + (off), 0, 0 }
#define MMWR(off, v) { X86VCPU_EXIT_REASON_EPT_VIOLATION, QW, 0, (v), BASE + (off), 0, 0 }
#define PREEMPT(tsc) { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0, 0, (tsc), 0 }

static uint32_t reg(struct lt *g, uint32_t off)
{
    uint32_t val = 0xdeadbeef;
    assert_int_equal(x86vcpu_lapic_read(g->h.v, off, &val), X86VCPU_OK);
    return val;
}

static int isr_has(struct lt *g, uint8_t vec)
{
    return (reg(g, 0x100 + (vec / 32) * 0x10) >> (vec % 32)) & 1;
}

static uint64_t gpr(struct lt *g, enum x86vcpu_gpr r)
{
    return x86vcpu_get_gpr(g->h.v, r);
}

static void to_x2apic(struct lt *g)
{
    LRUN(g, WR(0x1b, BASE | (1u << 11) | (1u << 10) | (1u << 8)),
         WR(0x80f, 0x1ff)); /* SVR: software-enabled */
}

/* ---------------------------------------------------------- tests */

/* The controls: TPR shadow (and no CR8 exits) where the CPU has it, CR8
 * exits when forced soft; the preemption timer on without a time slice;
 * the virtual-APIC page is the model's. */
static void test_controls(void **state)
{
    (void)state;
    struct lt g;
    lt_start(&g, 0, 0, 0);
    uint64_t proc = mock_vmcs(F(PROC_BASED_CTLS));
    assert_true(proc & PROC_TPR_SHADOW);
    assert_false(proc & (PROC_CR8_LOAD | PROC_CR8_STORE));
    assert_true(mock_vmcs(F(PIN_BASED_CTLS)) & PIN_PREEMPT_TIMER);
    assert_int_equal(mock_vmcs(F(VIRTUAL_APIC_PAGE_ADDR)), g.h.v->lapic.page_pa);
    assert_int_equal(x86vcpu_lapic_assists(g.h.v), X86VCPU_LAPIC_HW_TPR_SHADOW);
    /* Its MSRs cannot be passed through to the host's. */
    assert_int_equal(x86vcpu_msr_intercept(g.h.v, 0x1b, 0, 0), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu_msr_intercept(g.h.v, 0x830, 0, 0), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu_msr_intercept(g.h.v, 0x6e0, 0, 0), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu_msr_intercept(g.h.v, 0x10, 0, 1), X86VCPU_OK);
    lt_stop(&g);

    lt_start(&g, SOFT, 0, 0);
    proc = mock_vmcs(F(PROC_BASED_CTLS));
    assert_false(proc & PROC_TPR_SHADOW);
    assert_true((proc & (PROC_CR8_LOAD | PROC_CR8_STORE)) == (PROC_CR8_LOAD | PROC_CR8_STORE));
    assert_int_equal(x86vcpu_lapic_assists(g.h.v), 0);
    lt_stop(&g);
}

/* Off by default: IA32_APIC_BASE goes to the embedder as before. */
static void test_off_by_default(void **state)
{
    (void)state;
    struct host h;
    mock_reset();
    host_start(&h, X86VCPU_MODE_PROT32);
    mock.entries = 0;
    struct lstep s[] = { RD(0x1b) };
    struct lsteps st = { s, 1 };
    assert_int_equal(host_run(&h, lscript, &st), X86VCPU_OK);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_MSR_READ);
    assert_int_equal(h.e.u.msr.index, 0x1b);
    uint32_t val;
    assert_int_equal(x86vcpu_lapic_read(h.v, 0x30, &val), X86VCPU_ESTATE);
    assert_int_equal(x86vcpu_lapic_set_irq(h.v, 0x40, 0), X86VCPU_ESTATE);
    assert_int_equal(x86vcpu_lapic_lint(h.v, 0), X86VCPU_ESTATE);
    assert_false(x86vcpu_lapic_accepts_extint(h.v));
    assert_false(mock_vmcs(F(PROC_BASED_CTLS)) & PROC_TPR_SHADOW);
    host_stop(&h);
}

/* IA32_APIC_BASE (SDM 11.4.4, 11.12.5): the reset value with BSP, a
 * reserved bit #GPs with RIP unchanged, EXTD switches to x2APIC mode,
 * where the ID MSR gives the configured ID; reserved and write-only
 * x2APIC MSRs #GP. */
static void apic_base_msrs(uint32_t flags)
{
    struct lt g;
    lt_start(&g, flags, 0, 0);
    mock_set_vmcs(F(GUEST_RIP), 0x3000);
    LRUN(&g, RD(0x1b));
    assert_int_equal(gpr(&g, X86VCPU_RAX), BASE | 0x900);
    assert_int_equal(gpr(&g, X86VCPU_RDX), 0);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x3002);

    LRUN(&g, WR(0x1b, BASE | 0x900 | (1u << 0)));  /* bit 0 reserved */
    assert_int_equal(mock.entry_intr_info & 0x80000fffu, VALID | 0x800 | (3u << 8) | 13);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x3002);  /* the WRMSR's own */

    to_x2apic(&g);
    uint64_t base = 0;
    assert_int_equal(x86vcpu_lapic_get_base(g.h.v, &base), X86VCPU_OK);
    assert_int_equal(base, BASE | 0xd00);
    LRUN(&g, RD(0x802));
    assert_int_equal(gpr(&g, X86VCPU_RAX), 5);
    LRUN(&g, RD(0x803));
    assert_int_equal(gpr(&g, X86VCPU_RAX) & 0xff, 0x14);

    mock.injections = 0;
    LRUN(&g, RD(0x804));                 /* reserved */
    assert_int_equal(mock.injections, 1);
    LRUN(&g, RD(0x80b));                 /* EOI is write-only */
    assert_int_equal(mock.injections, 2);
    assert_int_equal(mock.entry_intr_info & 0xff, 13);  /* #GP(0) */
    lt_stop(&g);
}
static void test_apic_base_msrs(void **state) { (void)state; apic_base_msrs(0); }
static void test_apic_base_msrs_soft(void **state) { (void)state; apic_base_msrs(SOFT); }

/* The xAPIC page (SDM 11.4.1): the decoded MMIO access is completed inside
 * run: a read of the version into EAX, RIP past the instruction; a write
 * of TPR reaches the model and CR8. Another page of the hole stays the
 * embedder's. */
static void xapic_mmio(uint32_t flags)
{
    struct lt g;
    lt_start(&g, flags, 0, 0);
    LRUN(&g, MMRD(0x30));
    assert_int_equal(gpr(&g, X86VCPU_RAX), reg(&g, 0x30));
    assert_int_equal(gpr(&g, X86VCPU_RAX) & 0xff, 0x14);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1002);

    LRUN(&g, MMWR(0x80, 0x20));
    assert_int_equal(reg(&g, 0x80), 0x20);
    assert_int_equal(g.h.v->cr8, 2);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1004);

    /* In x2APIC mode the page is gone: the access is the embedder's. */
    to_x2apic(&g);
    mock_set_vmcs(F(GUEST_RIP), 0x1000);
    mock.entries = 0;
    struct lstep s[] = { MMRD(0x30) };
    struct lsteps st = { s, 1 };
    assert_int_equal(host_run(&g.h, lscript, &st), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_MMIO);
    assert_int_equal(g.h.e.u.mmio.gpa, BASE + 0x30);
    x86vcpu_complete_mmio(g.h.v, 0);
    lt_stop(&g);
}
static void test_xapic_mmio(void **state) { (void)state; xapic_mmio(0); }
static void test_xapic_mmio_soft(void **state) { (void)state; xapic_mmio(SOFT); }

/* The timer (SDM 11.5.4) on the preemption timer: TMICT 1000 at divide 1,
 * bus = TSC, so the deadline is 1000 TSC ticks on; the preemption timer
 * counts TSC >> 5 (the mock's IA32_VMX_MISC): (1000 >> 5) + 1 = 32. Its
 * exit, with the TSC past the deadline, is the APIC's: no time-slice exit,
 * the next entry injects the vector, IRR -> ISR. EOI clears ISR. */
static void timer(uint32_t flags)
{
    struct lt g;
    lt_start(&g, flags, 0, 0);
    to_x2apic(&g);
    LRUN(&g, WR(0x83e, 0xb), WR(0x832, 0x40), WR(0x838, 1000));
    assert_int_equal(mock_vmcs(F(PREEMPTION_TIMER_VALUE)), 32);
    mock.injections = 0;
    LRUN(&g, PREEMPT(1500));            /* early: nothing yet, re-armed */
    assert_int_equal(mock.injections, 0);
    assert_int_equal(mock_vmcs(F(PREEMPTION_TIMER_VALUE)), (500 >> 5) + 1);
    struct lstep s[] = { PREEMPT(2000) };
    struct lsteps st = { s, 1 };
    mock.entries = 0;
    assert_int_equal(host_run(&g.h, lscript, &st), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_EXCEPTION);
    assert_int_equal(mock.injections, 1);
    assert_true(isr_has(&g, 0x40));
    LRUN(&g, RD(0x839));                /* one-shot done: current count 0 */
    assert_int_equal(gpr(&g, X86VCPU_RAX), 0);
    LRUN(&g, WR(0x80b, 0));
    assert_false(isr_has(&g, 0x40));
    assert_int_equal(g.eois, 0);        /* edge: no broadcast */
    lt_stop(&g);
}
static void test_timer(void **state) { (void)state; timer(0); }
static void test_timer_soft(void **state) { (void)state; timer(SOFT); }

/* With a time slice of 1000 ticks: an APIC deadline past it leaves the
 * slice (its exit goes to the embedder); one before it takes the timer,
 * and its expiry is not a slice: the rest of the slice is re-armed. */
static void test_timer_and_slice(void **state)
{
    (void)state;
    struct lt g;
    lt_start(&g, 0, 0, 1000);
    to_x2apic(&g);
    LRUN(&g, WR(0x83e, 0xb), WR(0x832, 0x40), WR(0x838, 100000));
    assert_int_equal(mock_vmcs(F(PREEMPTION_TIMER_VALUE)), 1000);
    LRUN(&g, WR(0x838, 640));           /* (640 >> 5) + 1 = 21 < 1000 */
    assert_int_equal(mock_vmcs(F(PREEMPTION_TIMER_VALUE)), 21);
    mock.injections = 0;
    LRUN(&g, PREEMPT(1000 + 700));
    assert_int_equal(mock.injections, 1);
    /* Not owned any more: the slice's rest is back in the timer. */
    assert_int_equal(mock_vmcs(F(PREEMPTION_TIMER_VALUE)), 1000 - 21);
    /* Now the slice ends: that exit is the embedder's. */
    mock.entries = 0;
    struct lstep s[] = { PREEMPT(0) };
    struct lsteps st = { s, 1 };
    assert_int_equal(host_run(&g.h, lscript, &st), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_TIME_SLICE);
    lt_stop(&g);
}

/* TSC-deadline mode (SDM 11.5.4.1): MSR 6E0H to the model; a deadline in
 * the past fires at once. */
static void test_tsc_deadline(void **state)
{
    (void)state;
    struct lt g;
    lt_start(&g, SOFT, 0, 0);
    to_x2apic(&g);
    LRUN(&g, WR(0x832, 0x45 | (2u << 17)), WR(0x6e0, 1000 + 3200));
    assert_int_equal(mock_vmcs(F(PREEMPTION_TIMER_VALUE)), (3200 >> 5) + 1);
    LRUN(&g, RD(0x6e0));
    assert_int_equal(gpr(&g, X86VCPU_RAX), 4200);
    mock.injections = 0;
    LRUN(&g, PREEMPT(5000));
    assert_int_equal(mock.injections, 1);
    assert_true(isr_has(&g, 0x45));
    LRUN(&g, RD(0x6e0));
    assert_int_equal(gpr(&g, X86VCPU_RAX), 0);  /* cleared on expiry */
    lt_stop(&g);
}

/* RFLAGS.IF = 0: the interrupt waits in IRR and the interrupt window
 * opens; its exit with IF = 1 lets the next entry inject it. */
static void window(uint32_t flags)
{
    struct lt g;
    lt_start(&g, flags, 0, 0);
    to_x2apic(&g);
    mock_set_vmcs(F(GUEST_RFLAGS), 0x2);
    assert_int_equal(x86vcpu_lapic_set_irq(g.h.v, 0x50, 0), X86VCPU_OK);
    mock.injections = 0;
    LRUN(&g, RD(0x802));
    assert_int_equal(mock.injections, 0);
    assert_true(mock_vmcs(F(PROC_BASED_CTLS)) & PROC_INTR_WINDOW);
    LRUN(&g, { X86VCPU_EXIT_REASON_INTERRUPT_WINDOW, 0, 0, 0, 0, 0, 0x202 });
    assert_int_equal(mock.injections, 1);
    assert_true(isr_has(&g, 0x50));
    assert_int_equal(x86vcpu_lapic_set_irq(g.h.v, 5, 0), 1);   /* illegal vector */
    lt_stop(&g);
}
static void test_window(void **state) { (void)state; window(0); }
static void test_window_soft(void **state) { (void)state; window(SOFT); }

/* CR8 without a TPR shadow (SDM 11.8.6): MOV to CR8 exits, the TPR masks
 * class 5 at CR8 = 6 (no window either); lowered to 0, it is delivered. */
static void test_cr8_soft(void **state)
{
    (void)state;
    struct lt g;
    lt_start(&g, SOFT, 0, 0);
    mock_set_vmcs(F(GUEST_RIP), 0x1002);
    LRUN(&g, MMWR(0xf0, 0x1ff));           /* SVR: software-enabled */
    /* MOV CR8, RAX: CR 8, type 0 (to), register 0. */
    LRUN(&g, { X86VCPU_EXIT_REASON_CR_ACCESS, QUAL_CR(8, 0, 0), 3, 0, 6, 0, 0 });
    assert_int_equal(reg(&g, 0x80), 0x60);
    mock.injections = 0;
    assert_int_equal(x86vcpu_lapic_set_irq(g.h.v, 0x50, 0), X86VCPU_OK);
    LRUN(&g, RD(0x1b));
    assert_int_equal(mock.injections, 0);
    assert_false(mock_vmcs(F(PROC_BASED_CTLS)) & PROC_INTR_WINDOW);
    LRUN(&g, { X86VCPU_EXIT_REASON_CR_ACCESS, QUAL_CR(8, 0, 0), 3, 0, 0, 0, 0 });
    assert_int_equal(reg(&g, 0x80), 0);
    assert_int_equal(mock.injections, 1);
    assert_true(isr_has(&g, 0x50));
    lt_stop(&g);
}

/* With the TPR shadow the guest's MOV to CR8 writes the page itself: the
 * TPR threshold is the masked class (SDM 30.1.2), exit 43 (trap-like)
 * after the guest lowers TPR, and the next entry delivers. */
static struct lt *g_lt;
static int tpr_script(struct x86vcpu_regs *regs, unsigned n, void *ctx)
{
    (void)regs;
    (void)ctx;
    if (n == 0) {
        g_lt->h.v->lapic.m.regs[0x80 / 4] = 0;  /* the guest's MOV CR8, 0 */
        mock_exit(X86VCPU_EXIT_REASON_TPR_BELOW_THRESHOLD, 0, 0);
    } else {
        mock_exit(X86VCPU_EXIT_REASON_HLT, 0, 1);
    }
    return 0;
}
static void test_tpr_shadow(void **state)
{
    (void)state;
    struct lt g;
    lt_start(&g, 0, 0, 0);
    mock_set_vmcs(F(GUEST_RIP), 0x1002);
    LRUN(&g, MMWR(0xf0, 0x1ff));           /* SVR: software-enabled */
    g.h.v->lapic.m.regs[0x80 / 4] = 0x60;       /* the guest's MOV CR8, 6 */
    assert_int_equal(x86vcpu_lapic_set_irq(g.h.v, 0x50, 0), X86VCPU_OK);
    mock.injections = 0;
    LRUN(&g, RD(0x1b));
    assert_int_equal(mock.injections, 0);
    assert_int_equal(mock_vmcs(F(TPR_THRESHOLD)), 5);
    assert_int_equal(g.h.v->cr8, 6);            /* CR8 as the page says */
    g_lt = &g;
    mock.entries = 0;
    assert_int_equal(host_run(&g.h, tpr_script, 0), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_HLT);
    assert_int_equal(mock.injections, 1);
    assert_true(isr_has(&g, 0x50));
    assert_int_equal(mock_vmcs(F(TPR_THRESHOLD)), 0);
    assert_int_equal(g.h.v->stats.exits[X86VCPU_EXIT_REASON_TPR_BELOW_THRESHOLD], 1);
    lt_stop(&g);
}

/* ICR writes: with a callback it gets the decoded IPI; without, a vCPU
 * alone delivers what matches itself (the self shorthand, or its ID). The
 * x2APIC SELF IPI register goes straight into IRR (SDM 11.12.11). */
static void test_ipi(void **state)
{
    (void)state;
    struct lt g;
    lt_start(&g, 0, 1, 0);
    to_x2apic(&g);
    LRUN(&g, WR(0x830, (7ull << 32) | (1u << 14) | 0x60));
    assert_int_equal(g.ipis, 1);
    assert_int_equal(g.last_ipi.dest, 7);
    assert_int_equal(g.last_ipi.vector, 0x60);
    assert_int_equal(g.last_ipi.mode, 0);
    assert_int_equal(g.last_ipi.x2apic, 1);
    assert_false(x86vcpu_lapic_ipi_match(g.h.v, g.h.v, &g.last_ipi));   /* ID 5, not 7 */
    g.last_ipi.dest = 5;
    assert_true(x86vcpu_lapic_ipi_match(g.h.v, g.h.v, &g.last_ipi));
    lt_stop(&g);

    lt_start(&g, SOFT, 0, 0);
    to_x2apic(&g);
    mock.injections = 0;
    LRUN(&g, WR(0x830, (5ull << 32) | (1u << 14) | 0x61));   /* to itself, by ID */
    assert_int_equal(mock.injections, 1);
    assert_true(isr_has(&g, 0x61));
    LRUN(&g, WR(0x830, (9ull << 32) | (1u << 14) | 0x62));   /* to nobody */
    assert_int_equal(mock.injections, 1);
    LRUN(&g, WR(0x83f, 0x63));
    assert_int_equal(mock.injections, 1);   /* 0x61 in service: same class, waits */
    LRUN(&g, WR(0x80b, 0));                 /* EOI 0x61: now 0x63 */
    assert_int_equal(mock.injections, 2);
    assert_true(isr_has(&g, 0x63));
    lt_stop(&g);
}

/* EOI of a level-triggered vector goes to the embedder's I/O APIC (SDM
 * 11.8.5), through the xAPIC page too. */
static void eoi_bcast(uint32_t flags)
{
    struct lt g;
    lt_start(&g, flags, 0, 0);
    mock_set_vmcs(F(GUEST_RIP), 0x1002);
    LRUN(&g, MMWR(0xf0, 0x1ff));           /* SVR: enabled */
    assert_int_equal(x86vcpu_lapic_set_irq(g.h.v, 0x70, 1), X86VCPU_OK);
    mock.injections = 0;
    mock_set_vmcs(F(GUEST_RIP), 0x1002);
    LRUN(&g, MMWR(0xb0, 0));               /* EOI: the guest took 0x70 first */
    assert_int_equal(mock.injections, 1);  /* 0x70 injected at this run's first entry */
    assert_int_equal(g.eois, 1);           /* ...and the EOI ended it */
    assert_int_equal(g.last_eoi, 0x70);
    assert_false(isr_has(&g, 0x70));
    lt_stop(&g);
}
static void test_eoi_bcast(void **state) { (void)state; eoi_bcast(0); }
static void test_eoi_bcast_soft(void **state) { (void)state; eoi_bcast(SOFT); }

/* ---------------------------------------------------------- the assists */

/* The mock CPU with the APIC controls (IA32_VMX_PROCBASED_CTLS2 allowed-1:
 * virtualize APIC accesses, x2APIC mode, APIC-register virtualization,
 * virtual-interrupt delivery), before lt_start's host_bind. */
static void lt_start_assists(struct lt *g, uint32_t setup_flags)
{
    mock_reset();
    uint64_t p2 = mock_msr(0x48b);
    mock_set_msr(0x48b, p2 | ((uint64_t)(1u | 16u | 256u | 512u) << 32));
    /* lt_start resets the mock: redo it by hand. */
    memset(g, 0, sizeof *g);
    host_init(&g->h, X86VCPU_MODE_PROT32);
    assert_int_equal(x86vcpu_ept_create(&g->h.cpu, 0, &g->ept), X86VCPU_OK);
    g->pa = mock_hal.alloc_frame(mock_hal.ctx);
    g->ram = mock_hal.phys_to_virt(mock_hal.ctx, g->pa);
    assert_int_equal(x86vcpu_ept_map(g->ept, 0x1000, g->pa, 4096, X86VCPU_EPT_RWX, X86VCPU_MT_WB),
                     X86VCPU_OK);
    static const uint8_t code[] = { 0x8b, 0x03, 0x89, 0x03 };
    memcpy(g->ram, code, sizeof code);
    struct x86vcpu_lapic_config c = { .apic_id = 5, .tsc_khz = 1000, .bus_khz = 1000,
                                      .flags = X86VCPU_LAPIC_BSP, .eoi = on_eoi, .ctx = g };
    assert_int_equal(x86vcpu_lapic_enable(g->h.v, &c), X86VCPU_OK);
    g->h.setup.ept = g->ept;
    g->h.setup.ept_root = 0;
    g->h.setup.flags |= setup_flags;
    mock_set_msr(0x10, 1000);
    host_bind(&g->h);
    mock_set_vmcs(F(GUEST_RIP), 0x1000);
    mock_set_vmcs(F(GUEST_RFLAGS), 0x202);
}

/* MSR bitmap bit (SDM 25.6.9): 1 = the access exits. */
static int bm_exits(struct lt *g, uint32_t msr, int write)
{
    const uint8_t *bm = mock_hal.phys_to_virt(mock_hal.ctx, g->h.v->msr_bitmap_pa);
    return (bm[(write ? 2048 : 0) + msr / 8] >> (msr % 8)) & 1;
}

#define P2_APIC (PROC2_VIRT_APIC | PROC2_X2APIC_MODE | PROC2_APIC_REG_VIRT | PROC2_VIRT_INTR)

/* SDM 26.2.1.1: "virtualize APIC accesses" in xAPIC mode (the EPT maps
 * the page to the APIC-access frame), "virtualize x2APIC mode" in x2APIC
 * mode (the page unmapped again; reads open where the page answers,
 * TPR writes open), neither when disabled; no virtual-interrupt delivery
 * without external-interrupt exiting. */
static void test_assists_modes(void **state)
{
    (void)state;
    struct lt g;
    lt_start_assists(&g, 0);
    uint64_t hpa = 0;
    uint32_t perms = 0;
    assert_int_equal(mock_vmcs(F(PROC_BASED_CTLS2)) & P2_APIC,
                     PROC2_VIRT_APIC | PROC2_APIC_REG_VIRT);
    assert_int_equal(mock_vmcs(F(APIC_ACCESS_ADDR)), g.h.v->lapic.access_pa);
    assert_int_equal(x86vcpu_ept_translate(g.ept, BASE, &hpa, &perms), X86VCPU_OK);
    assert_int_equal(hpa, g.h.v->lapic.access_pa);
    assert_int_equal(x86vcpu_lapic_assists(g.h.v), X86VCPU_LAPIC_HW_TPR_SHADOW |
                     X86VCPU_LAPIC_HW_APIC_ACCESS | X86VCPU_LAPIC_HW_REG_VIRT);
    assert_true(bm_exits(&g, 0x802, 0));

    to_x2apic(&g);
    assert_int_equal(mock_vmcs(F(PROC_BASED_CTLS2)) & P2_APIC,
                     PROC2_X2APIC_MODE | PROC2_APIC_REG_VIRT);
    assert_int_equal(x86vcpu_ept_translate(g.ept, BASE, &hpa, &perms), X86VCPU_EINVAL);
    assert_false(bm_exits(&g, 0x802, 0));   /* ID */
    assert_false(bm_exits(&g, 0x820, 0));   /* IRR */
    assert_true(bm_exits(&g, 0x80a, 0));    /* PPR: computed */
    assert_true(bm_exits(&g, 0x839, 0));    /* TMCCT: computed */
    assert_true(bm_exits(&g, 0x80b, 0));    /* EOI: write-only, #GP */
    assert_true(bm_exits(&g, 0x804, 0));    /* reserved, #GP */
    for (uint32_t m = 0x829; m <= 0x82f; m++) /* reserved (and CMCI) between ESR and ICR */
        assert_true(bm_exits(&g, m, 0));
    assert_false(bm_exits(&g, 0x828, 0));   /* ESR */
    assert_false(bm_exits(&g, 0x830, 0));   /* ICR */
    assert_true(bm_exits(&g, 0x831, 0));    /* reserved (ICR high in xAPIC mode) */
    assert_false(bm_exits(&g, 0x808, 1));   /* TPR write */
    assert_true(bm_exits(&g, 0x80b, 1));    /* EOI write: no VID */
    assert_true(bm_exits(&g, 0x830, 1));    /* ICR write */

    LRUN(&g, WR(0x1b, 0));                  /* disabled */
    assert_int_equal(mock_vmcs(F(PROC_BASED_CTLS2)) & P2_APIC, 0);
    assert_true(bm_exits(&g, 0x802, 0));
    assert_true(bm_exits(&g, 0x808, 1));
    lt_stop(&g);
}

/* Exit 44 (a linear read of PPR, not virtualized: SDM 30.4.2) decoded as
 * the instruction's access: EAX gets the PPR, RIP moves on; exit 56
 * after the CPU wrote TMICT into the page starts the timer. */
static void test_apic_access_write_exits(void **state)
{
    (void)state;
    struct lt g;
    lt_start_assists(&g, 0);
    g.h.v->lapic.m.regs[0x80 / 4] = 0x20;   /* the guest's TPR */
    LRUN(&g, { X86VCPU_EXIT_REASON_APIC_ACCESS, 0xa0, 0, 0, BASE + 0xa0, 0, 0 });
    assert_int_equal(gpr(&g, X86VCPU_RAX), 0x20);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1002);
    /* The write of SVR (type 1): through the model. */
    LRUN(&g, { X86VCPU_EXIT_REASON_APIC_ACCESS, 0x1000 | 0xf0, 0, 0x1ff, BASE + 0xf0, 0, 0 });
    assert_int_equal(reg(&g, 0xf0), 0x1ff);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1004);

    g.h.v->lapic.m.regs[0x320 / 4] = 0x40;  /* the CPU virtualized these writes */
    LRUN(&g, { X86VCPU_EXIT_REASON_APIC_WRITE, 0x320, 0, 0, 0, 0, 0 });
    g.h.v->lapic.m.regs[0x3e0 / 4] = 0xb;
    LRUN(&g, { X86VCPU_EXIT_REASON_APIC_WRITE, 0x3e0, 0, 0, 0, 0, 0 });
    g.h.v->lapic.m.regs[0x380 / 4] = 1000;
    LRUN(&g, { X86VCPU_EXIT_REASON_APIC_WRITE, 0x380, 0, 0, 0, 0, 0 });
    assert_int_equal(mock_vmcs(F(PREEMPTION_TIMER_VALUE)), 32);
    mock.injections = 0;
    LRUN(&g, PREEMPT(2000));
    assert_int_equal(mock.injections, 1);
    assert_true(isr_has(&g, 0x40));
    lt_stop(&g);
}

/* Virtual-interrupt delivery, with external-interrupt exiting: no
 * injection, RVI = the IRR vector (guest interrupt status), the EOI-exit
 * bitmap has the level vector, exit 45 broadcasts its EOI; in x2APIC
 * mode EOI and SELF IPI writes are open. Turning external-interrupt
 * exiting off drops it (software injection again). */
static void test_vid(void **state)
{
    (void)state;
    struct lt g;
    lt_start_assists(&g, X86VCPU_SETUP_EXIT_ON_EXTINT);
    assert_true(mock_vmcs(F(PROC_BASED_CTLS2)) & PROC2_VIRT_INTR);
    assert_true(x86vcpu_lapic_assists(g.h.v) & X86VCPU_LAPIC_HW_VID);
    to_x2apic(&g);
    assert_false(bm_exits(&g, 0x80b, 1));
    assert_false(bm_exits(&g, 0x83f, 1));
    assert_int_equal(x86vcpu_lapic_set_irq(g.h.v, 0x50, 1), X86VCPU_OK);
    mock.injections = 0;
    LRUN(&g, RD(0x802));
    assert_int_equal(mock.injections, 0);
    assert_int_equal(mock_vmcs(F(GUEST_INTR_STATUS)), 0x50);
    assert_int_equal(mock_vmcs(F(EOI_EXIT_BITMAP1)), 1ull << (0x50 - 64));
    LRUN(&g, { X86VCPU_EXIT_REASON_VIRTUALIZED_EOI, 0x50, 0, 0, 0, 0, 0 });
    assert_int_equal(g.eois, 1);
    assert_int_equal(g.last_eoi, 0x50);
    LRUN(&g, { X86VCPU_EXIT_REASON_VIRTUALIZED_EOI, 0x51, 0, 0, 0, 0, 0 });   /* edge */
    assert_int_equal(g.eois, 1);

    assert_int_equal(x86vcpu_set_extint_exiting(g.h.v, 0), X86VCPU_OK);
    LRUN(&g, RD(0x802));
    assert_false(mock_vmcs(F(PROC_BASED_CTLS2)) & PROC2_VIRT_INTR);
    assert_int_equal(mock.injections, 1);   /* 0x50 still in IRR: injected */
    lt_stop(&g);
}

/* Virtual-interrupt delivery and HLT (SDM 30.2.1/30.2.2): a vCPU left in
 * the HLT activity state (x86vcpu_halt) with a virtual interrupt above
 * VPPR and IF = 1 enters active, so the CPU delivers it; with IF = 0, or a
 * vector whose class is not above the TPR's, it stays in HLT. */
static void test_vid_wakes_hlt(void **state)
{
    (void)state;
    struct lt g;
    lt_start_assists(&g, X86VCPU_SETUP_EXIT_ON_EXTINT);
    to_x2apic(&g);
    mock_set_msr(0x485, mock_msr(0x485) | (1u << 6));      /* HLT activity supported */
    g.h.v->owner->caps.misc |= 1u << 6;
    /* IF = 0: stays halted. */
    mock_set_vmcs(F(GUEST_RFLAGS), 0x2);
    assert_int_equal(x86vcpu_halt(g.h.v), X86VCPU_OK);
    assert_int_equal(x86vcpu_lapic_set_irq(g.h.v, 0x50, 0), X86VCPU_OK);
    LRUN(&g, RD(0x802));
    assert_int_equal(g.h.v->halt_armed, 1);
    /* TPR class 5: 0x50 is not above it. */
    mock_set_vmcs(F(GUEST_RFLAGS), 0x202);
    LRUN(&g, { X86VCPU_EXIT_REASON_WRMSR, 0, 2, 0x808, 0x50, 0, 0 });
    assert_int_equal(x86vcpu_halt(g.h.v), X86VCPU_OK);
    LRUN(&g, RD(0x802));
    assert_int_equal(g.h.v->halt_armed, 1);
    /* TPR 0, IF = 1: active at the entry. */
    LRUN(&g, { X86VCPU_EXIT_REASON_WRMSR, 0, 2, 0x808, 0, 0, 0 });
    assert_int_equal(x86vcpu_halt(g.h.v), X86VCPU_OK);
    LRUN(&g, RD(0x802));
    assert_int_equal(g.h.v->halt_armed, 0);
    assert_int_equal(mock_vmcs(F(GUEST_ACTIVITY_STATE)), 0);
    lt_stop(&g);
}

/* The page moved onto RAM (SDM 11.4.4) covers it while there (the
 * APIC-access frame, or an MMIO range), and the RAM is mapped back, same
 * frame and rights, when it moves away. */
static void base_move(int assists)
{
    struct lt g;
    if (assists)
        lt_start_assists(&g, 0);
    else
        lt_start(&g, SOFT, 0, 0);
    uint64_t ram = mock_hal.alloc_frame(mock_hal.ctx), hpa = 0;
    uint32_t perms = 0;
    assert_int_equal(x86vcpu_ept_map(g.ept, 0x5000, ram, 4096, X86VCPU_EPT_RWX, X86VCPU_MT_WB),
                     X86VCPU_OK);
    LRUN(&g, WR(0x1b, 0x5000 | 0x900));
    int r = x86vcpu_ept_translate(g.ept, 0x5000, &hpa, &perms);
    if (assists) {
        assert_int_equal(r, X86VCPU_OK);
        assert_int_equal(hpa, g.h.v->lapic.access_pa);
    } else {
        assert_int_equal(r, X86VCPU_EINVAL);
    }
    LRUN(&g, WR(0x1b, BASE | 0x900));
    assert_int_equal(x86vcpu_ept_translate(g.ept, 0x5000, &hpa, &perms), X86VCPU_OK);
    assert_int_equal(hpa, ram);
    assert_int_equal(perms, X86VCPU_EPT_RWX);
    mock_hal.free_frame(mock_hal.ctx, ram);
    lt_stop(&g);
}
static void test_base_move(void **state) { (void)state; base_move(1); }
static void test_base_move_soft(void **state) { (void)state; base_move(0); }

/* LINT0/LINT1 (SDM 11.5.1): masked at reset (nothing); LINT0 in ExtINT
 * mode takes the 8259's INTR (the embedder's: 1); LINT1 fixed delivers
 * its vector; disabled, LINT1 is the NMI pin (SDM 11.4.3). */
static void test_lint(void **state)
{
    (void)state;
    struct lt g;
    lt_start(&g, SOFT, 0, 0);
    to_x2apic(&g);
    assert_int_equal(x86vcpu_lapic_lint(g.h.v, 2), X86VCPU_EINVAL);
    assert_false(x86vcpu_lapic_accepts_extint(g.h.v));
    assert_int_equal(x86vcpu_lapic_lint(g.h.v, 1), 0);         /* masked */
    LRUN(&g, WR(0x835, 0x700), WR(0x836, 0x66));               /* LINT0 ExtINT, LINT1 0x66 */
    assert_true(x86vcpu_lapic_accepts_extint(g.h.v));
    assert_int_equal(x86vcpu_lapic_lint(g.h.v, 0), 1);
    mock.injections = 0;
    assert_int_equal(x86vcpu_lapic_lint(g.h.v, 1), 0);
    LRUN(&g, RD(0x802));
    assert_int_equal(mock.injections, 1);
    assert_true(isr_has(&g, 0x66));
    LRUN(&g, WR(0x1b, 0));                                      /* globally disabled */
    assert_true(x86vcpu_lapic_accepts_extint(g.h.v));
    uint32_t nmis = x86vcpu_pending_events(g.h.v);
    assert_int_equal(x86vcpu_lapic_lint(g.h.v, 1), 0);
    assert_int_equal(x86vcpu_pending_events(g.h.v), nmis + 1);  /* an NMI queued */
    lt_stop(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_controls),
        cmocka_unit_test(test_off_by_default),
        cmocka_unit_test(test_apic_base_msrs),
        cmocka_unit_test(test_apic_base_msrs_soft),
        cmocka_unit_test(test_xapic_mmio),
        cmocka_unit_test(test_xapic_mmio_soft),
        cmocka_unit_test(test_timer),
        cmocka_unit_test(test_timer_soft),
        cmocka_unit_test(test_timer_and_slice),
        cmocka_unit_test(test_tsc_deadline),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_window_soft),
        cmocka_unit_test(test_cr8_soft),
        cmocka_unit_test(test_tpr_shadow),
        cmocka_unit_test(test_ipi),
        cmocka_unit_test(test_eoi_bcast),
        cmocka_unit_test(test_eoi_bcast_soft),
        cmocka_unit_test(test_assists_modes),
        cmocka_unit_test(test_apic_access_write_exits),
        cmocka_unit_test(test_vid),
        cmocka_unit_test(test_vid_wakes_hlt),
        cmocka_unit_test(test_base_move),
        cmocka_unit_test(test_base_move_soft),
        cmocka_unit_test(test_lint),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
