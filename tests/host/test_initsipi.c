/* Issue 13: INIT and SIPI through the virtual local APIC (src/vmx/lapic.c).
 * Two vCPUs of one VM on one CPU, bound and run in turn (the mock has one
 * VMCS array: what a test checks is what the running vCPU's run wrote):
 * vCPU 0 the BSP, a 32-bit guest, vCPU 1 an AP, a 64-bit guest. vCPU 0
 * sends through its x2APIC ICR (WRMSR 830H exits) or its xAPIC page (EPT
 * MMIO exits); the ipi callback routes with x86vcpu_lapic_ipi_match /
 * _ipi_deliver as an embedder would.
 *  - INIT to the AP: its next run writes the INIT state of SDM Table 9-1
 *    (real mode at F000:FFF0, CR0 10H, EFER 0, IA-32e mode entry control
 *    off, RDX the signature, DR7 400H), resets its APIC but ID and base,
 *    drops its queued events, shows activity state 3 (wait-for-SIPI) where
 *    IA32_VMX_MISC[8] allows, and returns X86VCPU_EXIT_WAIT_SIPI without a
 *    VM entry, run after run;
 *  - SIPI: the next run enters at CS = vector << 8, base vector << 12,
 *    IP 0, active; a SIPI to a vCPU not waiting is ignored;
 *  - INIT to the BSP: 1, left to the embedder; INIT level de-assert:
 *    ignored; no unrestricted guest: 1; no virtual APIC: ESTATE;
 *  - an INIT a vCPU sends itself in the middle of a run ends that run. */
#include "host.h"

#define VALID 0x80000000u
#define BASE  0xfee00000u
#define SIPI_VEC 0x9au

struct two {
    struct x86vcpu_cpu cpu;
    struct x86vcpu_vm *vm;
    struct x86vcpu_vcpu *v[2];
    struct x86vcpu_ept *ept;
    uint64_t pa;
    uint8_t *ram;
    struct x86vcpu_exit e;
    int delivered[2];           /* the last ipi_deliver result per target, -100: none */
    unsigned ipis;
};

/* The embedder's routing: every matching vCPU of the VM. */
static void route(void *ctx, struct x86vcpu_vcpu *from, const struct x86vcpu_lapic_ipi *ipi)
{
    struct two *t = ctx;
    t->ipis++;
    for (int i = 0; i < 2; i++)
        if (x86vcpu_lapic_ipi_match(t->v[i], from, ipi))
            t->delivered[i] = x86vcpu_lapic_ipi_deliver(t->v[i], ipi);
}

/* The mock has one VMCS array: each vCPU's VMCS is kept here while it is
 * not current, as the CPU keeps it in its VMCS region. */
static struct { uint64_t f[0x8000]; uint8_t w[0x8000]; int saved; } vmcs_of[2];

static void bind(struct two *t, int i)
{
    if (vmcs_of[i].saved) {
        memcpy(mock.vmcs, vmcs_of[i].f, sizeof mock.vmcs);
        memcpy(mock.vmcs_written, vmcs_of[i].w, sizeof mock.vmcs_written);
    }
    assert_int_equal(x86vcpu_vcpu_bind(t->v[i], &t->cpu), X86VCPU_OK);
}

static void unbind(struct two *t, int i)
{
    assert_int_equal(x86vcpu_vcpu_unbind(t->v[i]), X86VCPU_OK);
    memcpy(vmcs_of[i].f, mock.vmcs, sizeof mock.vmcs);
    memcpy(vmcs_of[i].w, mock.vmcs_written, sizeof mock.vmcs_written);
    vmcs_of[i].saved = 1;
}

/* misc_sipi: IA32_VMX_MISC[8] (wait-for-SIPI activity state). */
static void two_start(struct two *t, int misc_sipi)
{
    mock_reset();
    if (misc_sipi)
        mock_set_msr(0x485, mock_msr(0x485) | (1ull << 8));
    memset(t, 0, sizeof *t);
    memset(vmcs_of, 0, sizeof vmcs_of);
    t->delivered[0] = t->delivered[1] = -100;
    assert_int_equal(x86vcpu_cpu_enable(&t->cpu, &mock_hal), X86VCPU_OK);
    assert_int_equal(x86vcpu_vm_create(&t->cpu, &t->vm), X86VCPU_OK);
    assert_int_equal(x86vcpu_ept_create(&t->cpu, 0, &t->ept), X86VCPU_OK);
    t->pa = mock_hal.alloc_frame(mock_hal.ctx);
    t->ram = mock_hal.phys_to_virt(mock_hal.ctx, t->pa);
    assert_int_equal(x86vcpu_ept_map(t->ept, 0x1000, t->pa, 4096, X86VCPU_EPT_RWX, X86VCPU_MT_WB),
                     X86VCPU_OK);
    static const uint8_t code[] = { 0x89, 0x03 }; /* mov [ebx],eax */
    memcpy(t->ram, code, sizeof code);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(x86vcpu_vcpu_create_in(t->vm, &t->cpu, &t->v[i]), X86VCPU_OK);
        /* Soft: vCPUs on one EPT (one APIC-access frame per vCPU). */
        struct x86vcpu_lapic_config c = { .apic_id = (uint32_t)i, .tsc_khz = 1000,
                                          .bus_khz = 1000,
                                          .flags = X86VCPU_LAPIC_SOFT |
                                                   (i == 0 ? X86VCPU_LAPIC_BSP : 0),
                                          .ipi = route, .ctx = t };
        assert_int_equal(x86vcpu_lapic_enable(t->v[i], &c), X86VCPU_OK);
        struct x86vcpu_setup s = { 0 };
        s.mode = i == 0 ? X86VCPU_MODE_PROT32 : X86VCPU_MODE_LONG64;
        s.entry = 0x1000;
        s.rsp = 0x8000;
        s.cr3 = 0x200000;
        s.ept = t->ept;
        s.vpid = (uint16_t)(1 + i);
        assert_int_equal(x86vcpu_vcpu_setup(t->v[i], &s), X86VCPU_OK);
    }
    mock_set_msr(0x10, 1000);   /* the TSC */
}

static void two_stop(struct two *t)
{
    for (int i = 0; i < 2; i++)
        assert_int_equal(x86vcpu_vcpu_destroy(t->v[i]), X86VCPU_OK);
    assert_int_equal(x86vcpu_vm_destroy(t->vm), X86VCPU_OK);
    assert_int_equal(x86vcpu_ept_destroy(t->ept), X86VCPU_OK);
    mock_hal.free_frame(mock_hal.ctx, t->pa);
    assert_int_equal(x86vcpu_cpu_disable(&t->cpu), X86VCPU_OK);
    assert_int_equal(mock_frames_in_use(), 0);
    assert_int_equal(mock_hal_errors(), 0);
}

/* ---------------------------------------------------------- scripting */
/* A guest that writes MSRs (ECX, EDX:EAX per step) and then ends in an
 * intercepted #UD (RIP left alone). The MMIO form: mov [ebx],eax at
 * 0x1000 with EBX = the address, EAX = the value. */
struct wstep { uint32_t msr; uint64_t val; int mmio; };
struct wsteps { const struct wstep *s; unsigned n; };

static int wscript(struct x86vcpu_regs *regs, unsigned n, void *ctx)
{
    const struct wsteps *st = ctx;
    mock_set_vmcs(F(IDT_VECTORING_INFO), 0);
    if (n >= st->n) {
        mock_exit(X86VCPU_EXIT_REASON_EXCEPTION_NMI, 0, 0);
        mock_set_vmcs(F(EXIT_INTR_INFO), VALID | (3u << 8) | 6);
        return 0;
    }
    const struct wstep *s = &st->s[n];
    if (s->mmio) {
        mock_set_vmcs(F(GUEST_RIP), 0x1000);
        regs->gpr[X86VCPU_RBX] = s->msr;
        regs->gpr[X86VCPU_RAX] = (uint32_t)s->val;
        mock_set_vmcs(F(GUEST_PHYSICAL_ADDRESS), s->msr);
        mock_set_vmcs(F(GUEST_LINEAR_ADDRESS), s->msr);
        mock_exit(X86VCPU_EXIT_REASON_EPT_VIOLATION, QUAL_W | QUAL_GLA | QUAL_FIN, 0);
        return 0;
    }
    regs->gpr[X86VCPU_RCX] = s->msr;
    regs->gpr[X86VCPU_RAX] = (uint32_t)s->val;
    regs->gpr[X86VCPU_RDX] = s->val >> 32;
    mock_exit(X86VCPU_EXIT_REASON_WRMSR, 0, 2);
    return 0;
}

/* Run vCPU i (bound) through the steps; the run must end in the #UD. */
#define WRUN(t, i, ...)                                                              \
    ({                                                                               \
        const struct wstep s_[] = { __VA_ARGS__ };                                   \
        struct wsteps st_ = { s_, sizeof s_ / sizeof s_[0] };                         \
        mock.entries = 0;                                                            \
        mock.script = wscript;                                                       \
        mock.script_ctx = &st_;                                                      \
        assert_int_equal(x86vcpu_vcpu_run((t)->v[i], &(t)->e), X86VCPU_OK);          \
        assert_int_equal((t)->e.kind, X86VCPU_EXIT_EXCEPTION);                       \
    })
#define X2APIC_ON { 0x1b, BASE | (1u << 11) | (1u << 10), 0 }
#define ICR(v)    { 0x830, (v), 0 }
#define ICR_TO(dest, lo) ICR(((uint64_t)(dest) << 32) | (lo))
#define INIT_LO   0x4500u            /* INIT, level assert, edge, physical */
#define SIPI_LO   (0x4600u | SIPI_VEC)

/* What the VMCS held at each entry of the AP's run. */
static struct { unsigned n; uint64_t cs_sel, cs_base, rip, act, intr; } seen;
static int hlt_script(struct x86vcpu_regs *regs, unsigned n, void *ctx)
{
    (void)regs;
    (void)ctx;
    (void)n;
    if (seen.n == 0) {
        seen.cs_sel = mock_vmcs(F(GUEST_CS_SELECTOR));
        seen.cs_base = mock_vmcs(F(GUEST_CS_BASE));
        seen.rip = mock_vmcs(F(GUEST_RIP));
        seen.act = mock_vmcs(F(GUEST_ACTIVITY_STATE));
        seen.intr = mock.entry_intr_info;
    }
    seen.n++;
    mock_set_vmcs(F(IDT_VECTORING_INFO), 0);
    mock_exit(X86VCPU_EXIT_REASON_HLT, 0, 1);
    return 0;
}

static int run_ap(struct two *t, int i)
{
    memset(&seen, 0, sizeof seen);
    mock.entries = 0;
    mock.script = hlt_script;
    mock.script_ctx = 0;
    unsigned before = mock_count(OP_ENTRY);
    assert_int_equal(x86vcpu_vcpu_run(t->v[i], &t->e), X86VCPU_OK);
    return (int)(mock_count(OP_ENTRY) - before);
}

/* The AP's INIT state (SDM Table 9-1, INIT column) in the VMCS. */
static void assert_init_state(struct two *t, int i, uint64_t act, int x2)
{
    struct x86vcpu_vcpu *v = t->v[i];
    assert_int_equal(mock_vmcs(F(GUEST_CS_SELECTOR)), 0xf000);
    assert_int_equal(mock_vmcs(F(GUEST_CS_BASE)), 0xffff0000u);
    assert_int_equal(mock_vmcs(F(GUEST_CS_LIMIT)), 0xffff);
    assert_int_equal(mock_vmcs(F(GUEST_CS_AR)), 0x9b);
    assert_int_equal(mock_vmcs(F(GUEST_SS_SELECTOR)), 0);
    assert_int_equal(mock_vmcs(F(GUEST_SS_AR)), 0x93);
    assert_int_equal(mock_vmcs(F(GUEST_DS_BASE)), 0);
    assert_int_equal(mock_vmcs(F(GUEST_DS_LIMIT)), 0xffff);
    assert_int_equal(mock_vmcs(F(GUEST_GS_AR)), 0x93);
    assert_int_equal(mock_vmcs(F(GUEST_TR_AR)), 0x8b);
    assert_int_equal(mock_vmcs(F(GUEST_LDTR_AR)), 0x82);
    assert_int_equal(mock_vmcs(F(GUEST_GDTR_LIMIT)), 0xffff);
    assert_int_equal(mock_vmcs(F(GUEST_IDTR_BASE)), 0);
    assert_int_equal(mock_vmcs(F(GUEST_IDTR_LIMIT)), 0xffff);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0xfff0);
    assert_int_equal(mock_vmcs(F(GUEST_RSP)), 0);
    assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)), 2);
    /* CR0: the guest sees ET alone (CD/NW were 0); the hardware adds NE,
     * the fixed bit, not PE/PG (unrestricted guest). */
    assert_int_equal(mock_vmcs(F(CR0_READ_SHADOW)), 0x10);
    assert_int_equal(mock_vmcs(F(GUEST_CR0)), 0x30);
    assert_int_equal(mock_vmcs(F(CR4_READ_SHADOW)), 0);
    assert_int_equal(mock_vmcs(F(GUEST_CR4)), 0x2000);
    assert_int_equal(mock_vmcs(F(GUEST_CR3)), 0);
    assert_int_equal(mock_vmcs(F(GUEST_IA32_EFER)), 0);
    assert_int_equal(mock_vmcs(F(ENTRY_CTLS)) & (1u << 9), 0);  /* IA-32e mode guest */
    assert_int_equal(mock_vmcs(F(GUEST_DR7)), 0x400);
    assert_int_equal(mock_vmcs(F(GUEST_INTERRUPTIBILITY)), 0);
    assert_int_equal(mock_vmcs(F(GUEST_ACTIVITY_STATE)), act);
    assert_int_equal(mock_vmcs(F(ENTRY_INTR_INFO)) & VALID, 0);
    assert_int_equal(x86vcpu_get_gpr(v, X86VCPU_RAX), 0);
    assert_int_equal(x86vcpu_get_gpr(v, X86VCPU_RDX), 0x000306a9); /* CPUID.1:EAX */
    /* The APIC: reset but its ID and base (SDM 11.4.7.3). */
    uint32_t r;
    uint64_t base;
    assert_int_equal(x86vcpu_lapic_read(v, 0x20, &r), X86VCPU_OK);
    assert_int_equal(r, x2 ? (uint32_t)i : (uint32_t)i << 24);
    assert_int_equal(x86vcpu_lapic_read(v, 0xf0, &r), X86VCPU_OK);
    assert_int_equal(r, 0xff);
    assert_int_equal(x86vcpu_lapic_read(v, 0x200 + 0x10 * (0x61 / 32), &r), X86VCPU_OK);
    assert_int_equal(r, 0);
    assert_int_equal(x86vcpu_lapic_get_base(v, &base), X86VCPU_OK);
    assert_int_equal(base, BASE | (1u << 11) | (x2 ? 1u << 10 : 0));
}

/* ------------------------------------------------------------ tests */

/* The x2APIC ICR of vCPU 0: INIT, then SIPI, to vCPU 1. */
static void test_init_sipi_x2apic(void **st)
{
    (void)st;
    struct two t;
    two_start(&t, 1);
    /* The AP runs a while first: a 64-bit guest with state to lose, its
     * APIC in x2APIC mode, software-enabled, a vector in IRR. */
    bind(&t, 1);
    WRUN(&t, 1, X2APIC_ON, { 0x80f, 0x1ff, 0 });
    assert_int_equal(run_ap(&t, 1), 1);
    assert_int_equal(t.e.kind, X86VCPU_EXIT_HLT);
    x86vcpu_set_gpr(t.v[1], X86VCPU_RAX, 0x1234);
    assert_int_equal(x86vcpu_lapic_set_irq(t.v[1], 0x61, 0), X86VCPU_OK);
    assert_int_equal(x86vcpu_queue_interrupt(t.v[1], 0x40), X86VCPU_OK);
    assert_int_equal(x86vcpu_queue_nmi(t.v[1]), X86VCPU_OK);
    assert_true(mock_vmcs(F(ENTRY_CTLS)) & (1u << 9));
    unbind(&t, 1);

    bind(&t, 0);
    WRUN(&t, 0, X2APIC_ON, ICR_TO(1, INIT_LO));
    assert_int_equal(t.ipis, 1);
    assert_int_equal(t.delivered[1], 0);
    assert_int_equal(t.delivered[0], -100);         /* not a destination */
    assert_true(x86vcpu_lapic_waiting_sipi(t.v[1]));
    assert_false(x86vcpu_lapic_waiting_sipi(t.v[0]));
    unbind(&t, 0);

    /* The AP: the INIT state, and no VM entry, twice. */
    bind(&t, 1);
    assert_int_equal(run_ap(&t, 1), 0);
    assert_int_equal(t.e.kind, X86VCPU_EXIT_WAIT_SIPI);
    assert_int_equal(t.e.reason, X86VCPU_EXIT_REASON_INIT_SIGNAL);
    assert_int_equal(t.e.rip, 0xfff0);
    assert_init_state(&t, 1, 3, 1);
    assert_int_equal(x86vcpu_pending_events(t.v[1]), 0);
    assert_int_equal(run_ap(&t, 1), 0);
    assert_int_equal(t.e.kind, X86VCPU_EXIT_WAIT_SIPI);
    unbind(&t, 1);

    bind(&t, 0);
    WRUN(&t, 0, ICR_TO(1, SIPI_LO));
    assert_int_equal(t.delivered[1], 0);
    assert_false(x86vcpu_lapic_waiting_sipi(t.v[1]));
    unbind(&t, 0);

    /* The AP starts at 9A00:0000 (linear 9A000H), active, nothing injected. */
    bind(&t, 1);
    assert_int_equal(run_ap(&t, 1), 1);
    assert_int_equal(t.e.kind, X86VCPU_EXIT_HLT);
    assert_int_equal(seen.cs_sel, SIPI_VEC << 8);
    assert_int_equal(seen.cs_base, (uint64_t)SIPI_VEC << 12);
    assert_int_equal(seen.rip, 0);
    assert_int_equal(seen.act, 0);
    assert_int_equal(seen.intr & VALID, 0);
    unbind(&t, 1);

    /* A second SIPI: the AP is running, ignored (SDM 9.4.4). */
    bind(&t, 0);
    WRUN(&t, 0, ICR_TO(1, 0x4600u | 0x20));
    assert_int_equal(t.delivered[1], 0);
    assert_false(x86vcpu_lapic_waiting_sipi(t.v[1]));
    unbind(&t, 0);
    bind(&t, 1);
    mock_set_vmcs(F(GUEST_CS_SELECTOR), 0x1234);
    assert_int_equal(run_ap(&t, 1), 1);
    assert_int_equal(seen.cs_sel, 0x1234);
    unbind(&t, 1);
    two_stop(&t);
}

/* The same through the xAPIC page (ICR high, then low: MMIO exits of the
 * library's EPT), on a CPU without the wait-for-SIPI activity state: the
 * VMCS stays active, the library holds the vCPU all the same. */
static void test_init_sipi_xapic(void **st)
{
    (void)st;
    struct two t;
    two_start(&t, 0);
    bind(&t, 0);
    WRUN(&t, 0, { BASE + 0x310, 1u << 24, 1 }, { BASE + 0x300, INIT_LO, 1 });
    assert_int_equal(t.delivered[1], 0);
    assert_true(x86vcpu_lapic_waiting_sipi(t.v[1]));
    /* SIPI before the AP was ever bound (its setup is written at its first
     * bind): both apply at its first run. */
    WRUN(&t, 0, { BASE + 0x300, 0x4600u | 0x08, 1 });
    unbind(&t, 0);
    bind(&t, 1);
    assert_int_equal(run_ap(&t, 1), 1);
    assert_int_equal(seen.cs_sel, 0x0800);
    assert_int_equal(seen.cs_base, 0x8000);
    assert_int_equal(seen.rip, 0);
    assert_int_equal(mock_vmcs(F(CR0_READ_SHADOW)), 0x10);
    assert_int_equal(mock_vmcs(F(GUEST_IA32_EFER)), 0);
    unbind(&t, 1);

    /* INIT again, no SIPI: activity stays 0 in the VMCS (no IA32_VMX_MISC[8]),
     * and no entry. */
    bind(&t, 0);
    WRUN(&t, 0, { BASE + 0x300, INIT_LO, 1 });
    unbind(&t, 0);
    bind(&t, 1);
    assert_int_equal(run_ap(&t, 1), 0);
    assert_int_equal(t.e.kind, X86VCPU_EXIT_WAIT_SIPI);
    assert_init_state(&t, 1, 0, 0);
    unbind(&t, 1);
    two_stop(&t);
}

/* INIT to the BSP: a reset the embedder does (1), nothing changed; the
 * INIT level de-assert: ignored; a SIPI to a vCPU not waiting: ignored. */
static void test_init_bsp_deassert_sipi(void **st)
{
    (void)st;
    struct two t;
    two_start(&t, 1);
    struct x86vcpu_lapic_ipi init = { .dest = 0, .mode = 5, .level = 1 };
    assert_int_equal(x86vcpu_lapic_ipi_deliver(t.v[0], &init), 1);
    assert_false(x86vcpu_lapic_waiting_sipi(t.v[0]));
    /* From the guest: vCPU 1 x2APIC sends INIT to vCPU 0. */
    bind(&t, 1);
    WRUN(&t, 1, X2APIC_ON, ICR_TO(0, INIT_LO));
    assert_int_equal(t.delivered[0], 1);
    unbind(&t, 1);
    bind(&t, 0);
    assert_int_equal(run_ap(&t, 0), 1);     /* entered as before */
    assert_int_equal(t.e.kind, X86VCPU_EXIT_HLT);
    assert_int_equal(seen.cs_sel, 0x08);
    unbind(&t, 0);

    struct x86vcpu_lapic_ipi deassert = { .dest = 1, .mode = 5, .level = 0, .trigger = 1 };
    assert_int_equal(x86vcpu_lapic_ipi_deliver(t.v[1], &deassert), 0);
    assert_false(x86vcpu_lapic_waiting_sipi(t.v[1]));
    struct x86vcpu_lapic_ipi sipi = { .dest = 1, .mode = 6, .vector = 0x10, .level = 1 };
    assert_int_equal(x86vcpu_lapic_ipi_deliver(t.v[1], &sipi), 0);
    assert_false(x86vcpu_lapic_waiting_sipi(t.v[1]));
    bind(&t, 1);
    mock_set_vmcs(F(GUEST_CS_SELECTOR), 0x33);
    assert_int_equal(run_ap(&t, 1), 1);
    assert_int_equal(seen.cs_sel, 0x33);
    unbind(&t, 1);

    /* INIT, SIPI, SIPI: the first vector wins; INIT, SIPI, INIT: waits again. */
    init.dest = 1;
    assert_int_equal(x86vcpu_lapic_ipi_deliver(t.v[1], &init), 0);
    assert_int_equal(x86vcpu_lapic_ipi_deliver(t.v[1], &sipi), 0);
    sipi.vector = 0x20;
    assert_int_equal(x86vcpu_lapic_ipi_deliver(t.v[1], &sipi), 0);
    bind(&t, 1);
    assert_int_equal(run_ap(&t, 1), 1);
    assert_int_equal(seen.cs_sel, 0x1000);
    unbind(&t, 1);
    assert_int_equal(x86vcpu_lapic_ipi_deliver(t.v[1], &init), 0);
    assert_int_equal(x86vcpu_lapic_ipi_deliver(t.v[1], &sipi), 0);
    assert_int_equal(x86vcpu_lapic_ipi_deliver(t.v[1], &init), 0);
    assert_true(x86vcpu_lapic_waiting_sipi(t.v[1]));
    bind(&t, 1);
    assert_int_equal(run_ap(&t, 1), 0);
    assert_int_equal(t.e.kind, X86VCPU_EXIT_WAIT_SIPI);
    unbind(&t, 1);
    two_stop(&t);
}

/* No virtual APIC: ESTATE; NULL: EINVAL; a CPU without unrestricted guest
 * cannot start an AP in real mode: the INIT is the embedder's (1). */
static void test_init_refused(void **st)
{
    (void)st;
    struct host h;
    mock_reset();
    host_start(&h, X86VCPU_MODE_PROT32);
    struct x86vcpu_lapic_ipi init = { .mode = 5, .level = 1 };
    assert_int_equal(x86vcpu_lapic_ipi_deliver(h.v, &init), X86VCPU_ESTATE);
    assert_int_equal(x86vcpu_lapic_ipi_deliver(h.v, 0), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu_lapic_ipi_deliver(0, &init), X86VCPU_EINVAL);
    assert_false(x86vcpu_lapic_waiting_sipi(h.v));
    assert_false(x86vcpu_lapic_waiting_sipi(0));
    host_stop(&h);

    mock_reset();
    mock_set_msr(0x48b, mock_msr(0x48b) & ~(128ull << 32));     /* no unrestricted guest */
    host_init(&h, X86VCPU_MODE_PROT32);
    struct x86vcpu_lapic_config c = { .apic_id = 1, .tsc_khz = 1000, .bus_khz = 1000,
                                      .flags = X86VCPU_LAPIC_SOFT };
    assert_int_equal(x86vcpu_lapic_enable(h.v, &c), X86VCPU_OK);
    assert_int_equal(x86vcpu_lapic_ipi_deliver(h.v, &init), X86VCPU_ESTATE); /* not set up */
    host_bind(&h);
    assert_int_equal(x86vcpu_lapic_ipi_deliver(h.v, &init), 1);
    assert_false(x86vcpu_lapic_waiting_sipi(h.v));
    host_stop(&h);
}

/* A vCPU alone (no ipi callback: the library delivers what matches it)
 * sends itself an INIT: the run ends there, with the INIT state written
 * and no further entry; the embedder's SIPI starts it. */
static void test_self_init(void **st)
{
    (void)st;
    struct host h;
    mock_reset();
    mock_set_msr(0x485, mock_msr(0x485) | (1ull << 8));
    host_init(&h, X86VCPU_MODE_LONG64);
    struct x86vcpu_lapic_config c = { .apic_id = 3, .tsc_khz = 1000, .bus_khz = 1000,
                                      .flags = X86VCPU_LAPIC_SOFT };
    assert_int_equal(x86vcpu_lapic_enable(h.v, &c), X86VCPU_OK);
    host_bind(&h);
    mock_set_msr(0x10, 1000);
    const struct wstep s_[] = { X2APIC_ON, ICR_TO(3, INIT_LO), ICR_TO(3, 0x4050) };
    struct wsteps st_ = { s_, 3 };
    mock.entries = 0;
    unsigned before = mock_count(OP_ENTRY);
    assert_int_equal(host_run(&h, wscript, &st_), X86VCPU_OK);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_WAIT_SIPI);
    assert_int_equal(mock_count(OP_ENTRY) - before, 2);     /* not the third step */
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0xfff0);
    assert_int_equal(mock_vmcs(F(GUEST_CS_SELECTOR)), 0xf000);
    assert_int_equal(mock_vmcs(F(GUEST_ACTIVITY_STATE)), 3);
    assert_int_equal(mock_vmcs(F(GUEST_IA32_EFER)), 0);
    assert_int_equal(mock_vmcs(F(ENTRY_CTLS)) & (1u << 9), 0);
    /* The INIT kept x2APIC mode (SDM 11.12.5.1: INIT leaves IA32_APIC_BASE). */
    uint64_t base;
    assert_int_equal(x86vcpu_lapic_get_base(h.v, &base), X86VCPU_OK);
    assert_int_equal(base, BASE | (1u << 11) | (1u << 10));
    struct x86vcpu_lapic_ipi sipi = { .dest = 3, .mode = 6, .vector = 0x01, .level = 1 };
    assert_int_equal(x86vcpu_lapic_ipi_deliver(h.v, &sipi), 0);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(host_run(&h, hlt_script, 0), X86VCPU_OK);
    assert_int_equal(h.e.kind, X86VCPU_EXIT_HLT);
    assert_int_equal(seen.cs_sel, 0x100);
    assert_int_equal(seen.cs_base, 0x1000);
    assert_int_equal(seen.act, 0);
    host_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_sipi_x2apic),
        cmocka_unit_test(test_init_sipi_xapic),
        cmocka_unit_test(test_init_bsp_deassert_sipi),
        cmocka_unit_test(test_init_refused),
        cmocka_unit_test(test_self_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
