/* The virtual local APIC wired to VMX (docs/VLAPIC.md): the model of
 * src/lib/vlapic.c, one per vCPU, reached by the guest through
 *  - IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC MSRs 800H-8FFH,
 *    which always exit (msr.c hands them here);
 *  - its xAPIC page, an MMIO range of the library's EPT: the access is
 *    decoded by mmio.c as for any device, and completed here inside run
 *    (x86vcpu_complete_mmio) instead of going to the embedder;
 *  - CR8 = TPR[7:4] (SDM 11.8.6.1): the TPR shadow where the CPU has it
 *    (SDM 30.1.1, 30.3: MOV to/from CR8 without an exit; exit 43 when the
 *    guest lowers TPR below the threshold), else CR8 exits (cr.c writes
 *    v->cr8, the next entry syncs it into the model).
 * Interrupts are delivered by injection at VM entry (SDM 26.6) when
 * RFLAGS.IF = 1 and nothing blocks them, else through interrupt-window
 * exiting (SDM 26.7.5), after the exceptions and NMIs of inject.c and the
 * embedder's INTR line (an ExtINT through LINT0, inject.c). The
 * timer runs on the VMX-preemption timer (SDM 26.5.1), the earlier of the
 * APIC deadline and the embedder's time slice.
 * Unless forced off (X86VCPU_LAPIC_SOFT), the CPU's APIC virtualization is
 * used where it has it (SDM chapter 30): in xAPIC mode "virtualize APIC
 * accesses" (the EPT maps the page to an APIC-access frame; exit 44 for
 * what is not virtualized, decoded by mmio.c) with APIC-register
 * virtualization (reads from the page without exits; exit 56 after
 * writes); in x2APIC mode "virtualize x2APIC mode" with MSR-bitmap
 * openings (SDM 30.5); virtual-interrupt delivery (RVI/SVI, EOI-exit
 * bitmap from TMR, exit 45) only with external-interrupt exiting, which it
 * requires (SDM 26.2.1.1). One APIC-access frame per vCPU: vCPUs sharing
 * an EPT would each map theirs at the same address, so an embedder with
 * several vCPUs on one EPT uses X86VCPU_LAPIC_SOFT for now.
 * INIT and SIPI (SDM 9.1.1, 9.4.4, 11.4.7.3): an AP's INIT resets it to
 * the INIT state and holds it in wait-for-SIPI (run returns
 * X86VCPU_EXIT_WAIT_SIPI, no VM entry) until a SIPI starts it in real
 * mode at vector << 12; see "INIT, SIPI" below. */
#include "vmx/vcpu.h"
#include "lib/bitmap.h"
#include "lib/event_rules.h"

#define CPUID1_ECX_X2APIC       (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID1_EDX_APIC         (1u << 9)

static struct x86vcpu_vlapic *model(struct x86vcpu_vcpu *v)
{
    return &v->lapic.m;
}

/* The guest's TSC now (tsc.c): the model's clock. */
static uint64_t now(const struct x86vcpu_vcpu *v)
{
    uint64_t t = 0;
    x86vcpu_get_guest_tsc(v, &t);
    return t;
}

/* CPUID as this APIC makes it (SDM 11.4.2, 11.12.1, 11.5.4.1): the APIC
 * bit follows IA32_APIC_BASE.EN, x2APIC and TSC-deadline are shown, the
 * initial APIC ID in CPUID.1:EBX[31:24] and leaves 0BH/1FH's EDX. These
 * are this vCPU's, and the CPUID policy and table are its VM's: the CPUID
 * exit patches them in from the model (guest_cpuid.c, vcpu_bits). */
static void cpuid_update(struct x86vcpu_vcpu *v)
{
    (void)v;
}

/* The xAPIC page must exit wherever the guest puts it (SDM 11.4.4): an
 * MMIO range of the library's EPT while the APIC is in xAPIC mode. RAM
 * the page covers is unmapped meanwhile and mapped back (same frame,
 * rights and memory type) when the page moves away, the APIC is disabled
 * or goes to x2APIC mode (SDM 11.12.1.2: no MMIO interface then). The
 * EPT cannot give a range back: each distinct RAM page costs one of its 16
 * ranges (a page in an existing range, e.g. the PC's MMIO hole, none). An
 * embedder-built EPT (ept_root) must route the page to MMIO exits itself. */
static void page_place(struct x86vcpu_vcpu *v)
{
    const struct x86vcpu_vlapic *l = model(v);
    struct x86vcpu_ept *ept = v->setup.ept;
    if (!ept)
        return;
    uint64_t page = 1;  /* none */
    if (x86vcpu__vlapic_hw_enabled(l) && !x86vcpu__vlapic_x2apic(l))
        page = l->apic_base & ~0xfffull & ((1ull << l->maxphyaddr) - 1);
    if (page == v->lapic.mmio_page)
        return;
    if (v->lapic.mmio_page != 1 && v->lapic.access_mapped)
        x86vcpu_ept_unmap(ept, v->lapic.mmio_page, 4096);
    v->lapic.access_mapped = 0;
    if (v->lapic.ram_perms && v->lapic.mmio_page != 1)
        x86vcpu_ept_map(ept, v->lapic.mmio_page, v->lapic.ram_hpa, 4096, v->lapic.ram_perms,
                        v->lapic.ram_mt);
    v->lapic.ram_perms = 0;
    v->lapic.mmio_page = page;
    if (page == 1)
        return;
    uint64_t hpa;
    uint32_t perms = 0, mt = 0;
    if (!x86vcpu_ept_translate(ept, page, &hpa, &perms) &&
        x86vcpu__ept_page(ept, page, 0, &perms, &mt) && perms) {
        v->lapic.ram_hpa = hpa & ~0xfffull;
        v->lapic.ram_perms = perms;
        v->lapic.ram_mt = mt;
        x86vcpu_ept_unmap(ept, page, 4096);
    }
    /* "Virtualize APIC accesses": the guest's page translates to the
     * APIC-access frame (SDM 30.4: the check is on the physical address
     * the EPT gives). */
    if ((v->lapic.hw & X86VCPU_LAPIC_HW_APIC_ACCESS) &&
        !x86vcpu_ept_map(ept, page, v->lapic.access_pa, 4096, X86VCPU_EPT_R | X86VCPU_EPT_W,
                         X86VCPU_MT_WB)) {
        v->lapic.access_mapped = 1;
        return;
    }
    if (!x86vcpu__ept_is_mmio(ept, page))
        x86vcpu_ept_add_mmio(ept, page, 4096);
}

static void pub_ipi(struct x86vcpu_lapic_ipi *o, const struct x86vcpu_vlapic_ipi *i)
{
    *o = (struct x86vcpu_lapic_ipi){ i->dest, i->vector, i->mode, i->shorthand, i->logical,
                                     i->level, i->trigger, i->x2apic, 0 };
}

static void lib_ipi(struct x86vcpu_vlapic_ipi *o, const struct x86vcpu_lapic_ipi *i)
{
    *o = (struct x86vcpu_vlapic_ipi){ i->dest, i->vector, i->mode, i->shorthand, i->logical,
                                      i->level, i->trigger, i->x2apic };
}

/* x2APIC MSRs whose RDMSR reads the virtual-APIC page under "virtualize
 * x2APIC mode" with APIC-register virtualization (SDM 30.5): the
 * registers the model keeps there as they read. Not: PPR (computed),
 * TMCCT (the count now), EOI and SELF IPI (write-only: #GP), CMCI and
 * the reserved ones (#GP): those exit to the model. */
static int x2apic_read_open(uint32_t msr)
{
    uint32_t off = (msr - VLAPIC_MSR_X2APIC_FIRST) << 4;
    if (off >= VLAPIC_ISR && off <= VLAPIC_ESR)
        return 1;                           /* ISR, TMR, IRR, ESR (not 290H-2F0H) */
    if (off >= VLAPIC_LVT_TIMER && off <= VLAPIC_TMICT)
        return 1;                           /* the LVTs shown, TMICT */
    return off == VLAPIC_ID || off == VLAPIC_VER || off == VLAPIC_TPR || off == VLAPIC_LDR ||
           off == VLAPIC_SVR || off == VLAPIC_ICR_LO || off == VLAPIC_DCR;
}

/* The controls and MSR intercepts for the APIC's mode (SDM 26.2.1.1:
 * "virtualize APIC accesses" and "virtualize x2APIC mode" exclude each
 * other): xAPIC mode the first, x2APIC mode the second with its MSR
 * openings, a disabled APIC neither. */
static void apply_mode(struct x86vcpu_vcpu *v)
{
    const struct x86vcpu_vlapic *l = model(v);
    const uint32_t apic2 = PROC2_VIRT_APIC | PROC2_X2APIC_MODE | PROC2_APIC_REG_VIRT |
                           PROC2_VIRT_INTR;
    uint32_t avail = v->lapic.proc2_avail, want = 0;
    int x2 = x86vcpu__vlapic_x2apic(l);
    if (x86vcpu__vlapic_hw_enabled(l))
        want = avail & ((x2 ? PROC2_X2APIC_MODE : PROC2_VIRT_APIC) | PROC2_APIC_REG_VIRT |
                        PROC2_VIRT_INTR);
    uint32_t ctl = (v->ctl_proc2 & ~apic2) | want;
    if (ctl != v->ctl_proc2) {
        v->ctl_proc2 = ctl;
        VMWR(v, W32, PROC_BASED_CTLS2, ctl);
    }
    v->lapic.hw = (v->lapic.hw & X86VCPU_LAPIC_HW_TPR_SHADOW) |
                  ((want & PROC2_VIRT_APIC) ? X86VCPU_LAPIC_HW_APIC_ACCESS : 0) |
                  ((want & PROC2_APIC_REG_VIRT) ? X86VCPU_LAPIC_HW_REG_VIRT : 0) |
                  ((want & PROC2_X2APIC_MODE) ? X86VCPU_LAPIC_HW_X2APIC : 0) |
                  ((want & PROC2_VIRT_INTR) ? X86VCPU_LAPIC_HW_VID : 0);
    /* The MSR bitmap: everything exits but, under "virtualize x2APIC
     * mode", the reads the page answers (with APIC-register
     * virtualization), TPR writes, and EOI / SELF IPI writes with
     * virtual-interrupt delivery (SDM 30.5). */
    uint8_t *bm = v->hal->phys_to_virt(v->hal->ctx, v->msr_bitmap_pa);
    int vx2 = (want & PROC2_X2APIC_MODE) && x86vcpu__msr_bitmap_private(v); /* else shared: exits */
    int arv = vx2 && (want & PROC2_APIC_REG_VIRT);
    int vid = vx2 && (want & PROC2_VIRT_INTR);
    for (uint32_t m = VLAPIC_MSR_X2APIC_FIRST; m <= VLAPIC_MSR_X2APIC_LAST; m++) {
        uint32_t off = (m - VLAPIC_MSR_X2APIC_FIRST) << 4;
        int wr_open = vx2 && (off == VLAPIC_TPR ||
                              (vid && (off == VLAPIC_EOI || off == VLAPIC_SELF_IPI)));
        x86vcpu__msr_bitmap_set(bm, m, !(arv && x2apic_read_open(m)), !wr_open);
    }
}

/* ------------------------------------------------------------ INIT, SIPI
 * An AP's INIT (SDM 11.4.7.3, 9.1.1) puts it in wait-for-SIPI with the
 * state of Table 9-1's INIT column; a SIPI then starts it in real mode at
 * vector << 12 (SDM 9.4.4, 11.6.1). KVM does the same in software
 * (kvm_apic_accept_events, KVM_MP_STATE_INIT_RECEIVED). The sender's
 * delivery only notes them (v->lapic.mp: the target may be unbound, or
 * running elsewhere: the embedder kicks it); the target's next run applies
 * them while bound (x86vcpu__lapic_mp). The library never enters a guest
 * in the wait-for-SIPI activity state: on the CPU only a real SIPI would
 * leave it, and the VMX-preemption timer does not end it (SDM 26.5.1:
 * "these VM exits do not occur ... in the wait-for-SIPI state"). Run
 * returns X86VCPU_EXIT_WAIT_SIPI without an entry instead; the VMCS shows
 * activity state 3 meanwhile where the CPU has it (IA32_VMX_MISC[8],
 * SDM A.6), as a record of the state. */
#define ACTIVITY_WAIT_SIPI      3u          /* SDM 25.4.2 Table 25-3 */
#define MISC_ACTIVITY_WAIT_SIPI (1ull << 8) /* SDM A.6 */
/* Real-mode segments after INIT (Table 9-1): present, accessed, R/W data
 * (93H) and execute/read code (9BH), limit FFFFH; LDTR 82H, TR 8BH. */
#define AR_REAL_CODE (AR_P | AR_S | AR_TYPE_CODE_RX_A)
#define AR_REAL_DATA (AR_P | AR_S | AR_TYPE_DATA_RW_A)
#define AR_LDT       (AR_P | 0x2u)
#define AR_TSS       (AR_P | AR_TYPE_TSS_BUSY)

#define SEG_REAL(v, S, sel, base, ar)                                  \
    do {                                                               \
        VMWR(v, W16, GUEST_##S##_SELECTOR, (sel));                     \
        VMWR(v, WNAT, GUEST_##S##_BASE, (base));                       \
        VMWR(v, W32, GUEST_##S##_LIMIT, 0xffffu);                      \
        VMWR(v, W32, GUEST_##S##_AR, (ar));                            \
    } while (0)

/* INIT received (an AP): 0, the next run resets it and it waits for a
 * SIPI; 1, left to the embedder: the BSP's INIT (it restarts at the reset
 * vector F000:FFF0, in the firmware the embedder provides, SDM 9.1), or
 * no unrestricted guest (the SIPI's real-mode start could not run, SDM
 * 26.3.1.1). */
static int init_signal(struct x86vcpu_vcpu *v)
{
    /* The caps, not v->ctl_proc2: a vCPU set up but never bound has not
     * negotiated yet, and setup always asks for unrestricted guest. */
    if ((model(v)->apic_base & VLAPIC_BASE_BSP) ||
        !((v->owner->caps.procbased2 >> 32) & PROC2_UNRESTRICTED))
        return 1;
    v->lapic.mp = X86VCPU__MP_INIT | X86VCPU__MP_WAIT; /* a SIPI not yet applied is lost */
    return 0;
}

/* SIPI: taken only in wait-for-SIPI, the first one; otherwise ignored
 * (SDM 9.4.4: an AP already started ignores it). */
static void sipi_signal(struct x86vcpu_vcpu *v, uint8_t vector)
{
    if ((v->lapic.mp & (X86VCPU__MP_WAIT | X86VCPU__MP_SIPI)) != X86VCPU__MP_WAIT)
        return;
    v->lapic.sipi_vector = vector;
    v->lapic.mp |= X86VCPU__MP_SIPI;
}

static void cr8_sync(struct x86vcpu_vcpu *v);

/* The INIT column of SDM Table 9-1, on the bound vCPU, outside run's
 * guest-state window (CR2, DR0-3 and DR6 are in v then, dr.c). Kept, as
 * INIT keeps them: CR0.CD/NW (note 2 of the table), x87/SSE/AVX state,
 * XCR0, the TSC, PAT, SYSENTER, the syscall MSRs and every other MSR, the
 * MTRRs, IA32_DEBUGCTL (KVM keeps it too); the APIC its ID and base
 * (11.4.7.3). EFER is cleared (paging is off: LMA must be 0, KVM clears
 * all of it). RDX holds the processor signature, CPUID.1:EAX. Queued
 * events and an instruction in progress are dropped. */
static void init_reset(struct x86vcpu_vcpu *v)
{
    const struct x86vcpu_caps *c = &v->owner->caps;
    uint64_t shadow = CR0_ET | (VMRD(v, WNAT, CR0_READ_SHADOW) & (CR0_CD | CR0_NW));
    /* The hardware CR0 with the bits VMX forces, but PE and PG (unrestricted
     * guest, which INIT required) and CD/NW (the host's, vmcs_setup.c). */
    uint64_t cr0 = ((CR0_ET | c->cr0_fixed0) & c->cr0_fixed1) & ~(uint64_t)(CR0_PE | CR0_PG);
    VMWR(v, WNAT, GUEST_CR0, cr0);
    VMWR(v, WNAT, CR0_READ_SHADOW, shadow);
    VMWR(v, WNAT, GUEST_CR4, c->cr4_fixed0 & c->cr4_fixed1);
    VMWR(v, WNAT, CR4_READ_SHADOW, 0);
    VMWR(v, WNAT, GUEST_CR3, 0);
    VMWR(v, W64, GUEST_IA32_EFER, 0);
    /* The CPU may have stored LMA into the control at the last exit
     * (IA32_VMX_MISC[5]): read it, not v->ctl_entry. */
    uint32_t entry = (uint32_t)VMRD(v, W32, ENTRY_CTLS);
    v->ctl_entry = entry & ~ENTRY_IA32E_GUEST;
    if (entry & ENTRY_IA32E_GUEST)
        VMWR(v, W32, ENTRY_CTLS, v->ctl_entry);
    VMWR(v, WNAT, GUEST_DR7, DR7_RESET);
    SEG_REAL(v, CS, 0xf000, 0xffff0000ull, AR_REAL_CODE);
    SEG_REAL(v, SS, 0, 0, AR_REAL_DATA);
    SEG_REAL(v, DS, 0, 0, AR_REAL_DATA);
    SEG_REAL(v, ES, 0, 0, AR_REAL_DATA);
    SEG_REAL(v, FS, 0, 0, AR_REAL_DATA);
    SEG_REAL(v, GS, 0, 0, AR_REAL_DATA);
    SEG_REAL(v, LDTR, 0, 0, AR_LDT);
    SEG_REAL(v, TR, 0, 0, AR_TSS);
    VMWR(v, WNAT, GUEST_GDTR_BASE, 0);
    VMWR(v, W32, GUEST_GDTR_LIMIT, 0xffff);
    VMWR(v, WNAT, GUEST_IDTR_BASE, 0);
    VMWR(v, W32, GUEST_IDTR_LIMIT, 0xffff);
    VMWR(v, WNAT, GUEST_RIP, 0xfff0);
    VMWR(v, WNAT, GUEST_RSP, 0);
    VMWR(v, WNAT, GUEST_RFLAGS, RFLAGS_FIXED);
    VMWR(v, W32, GUEST_INTERRUPTIBILITY, 0);
    VMWR(v, WNAT, GUEST_PENDING_DBG_EXCEPTIONS, 0);
    VMWR(v, W32, GUEST_ACTIVITY_STATE,
         (c->misc & MISC_ACTIVITY_WAIT_SIPI) ? ACTIVITY_WAIT_SIPI : ACTIVITY_ACTIVE);
    v->halt_armed = 0;
    for (int i = 0; i < 16; i++)
        v->regs.gpr[i] = 0;
    struct x86vcpu_cpuid_regs r1;
    x86vcpu__guest_cpuid_static(v, 1, &r1);
    v->regs.gpr[X86VCPU_RDX] = r1.eax;
    v->guest_osxsave = 0;   /* CR4.OSXSAVE = 0: run loads the host's XCR0 for it */
    x86vcpu__dr_reset(v);   /* DR0-3 0, DR6 FFFF0FF0H, CR2 0 */
    /* Nothing in flight survives: an event prepared for injection, the
     * queues, the windows, an instruction awaiting completion. */
    VMWR(v, W32, ENTRY_INTR_INFO, 0);
    v->injected = 0;
    v->evq_head = v->evq_count = 0;
    v->excq_head = v->excq_count = 0;
    v->nmi_pending = 0;
    v->reinject_info = 0;
    x86vcpu__set_intr_window(v, 0);
    x86vcpu__set_nmi_window(v, 0);
    v->pending = PENDING_NONE;
    v->advance_len = 0;
    v->mmio.xmm_fill = 0;
    x86vcpu__vlapic_init_signal(model(v));
    cr8_sync(v);
}

/* SIPI in wait-for-SIPI (SDM 9.4.4, 11.6.1): CS selector vector << 8, base
 * vector << 12, IP 0; the rest as the INIT left it. */
static void sipi_start(struct x86vcpu_vcpu *v)
{
    uint32_t vec = v->lapic.sipi_vector & 0xff;
    SEG_REAL(v, CS, vec << 8, (uint64_t)vec << 12, AR_REAL_CODE);
    VMWR(v, WNAT, GUEST_RIP, 0);
    VMWR(v, W32, GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
}

/* The exit of a vCPU waiting for a SIPI: reason 3 (INIT signal, the exit
 * the CPU would have made), RIP where it would start without one. */
static void wait_exit(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    e->kind = X86VCPU_EXIT_WAIT_SIPI;
    e->reason = X86VCPU_EXIT_REASON_INIT_SIGNAL;
    e->qualification = 0;
    e->instr_len = 0;
    e->rip = VMRD(v, WNAT, GUEST_RIP);
}

int x86vcpu__lapic_mp(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e, int start)
{
    if (v->lapic.mp & X86VCPU__MP_INIT) {
        init_reset(v);
        v->lapic.mp &= ~X86VCPU__MP_INIT;
    }
    if (start && (v->lapic.mp & X86VCPU__MP_SIPI)) {
        sipi_start(v);
        v->lapic.mp = 0;
    }
    if (!v->lapic.mp)
        return 0;
    wait_exit(v, e);
    return 1;
}

/* What an accepted message asks of the vCPU (VLAPIC_ACT_*): fixed ones
 * are in IRR (the next entry delivers them), an NMI is queued, INIT and
 * SIPI as above; SMI and ExtINT are the embedder's (1), and so is the
 * BSP's INIT. */
static int act(struct x86vcpu_vcpu *v, int a, uint8_t vector)
{
    switch (a) {
    case VLAPIC_ACT_NMI: return x86vcpu_queue_nmi(v) ? 1 : 0;
    case VLAPIC_ACT_INIT: return init_signal(v);
    case VLAPIC_ACT_SIPI: sipi_signal(v, vector); return 0;
    case VLAPIC_ACT_SMI:
    case VLAPIC_ACT_EXTINT: return 1;
    default: return 0;
    }
}

/* TPR changed in the model: CR8 reads it (SDM 11.8.6.1). */
static void cr8_sync(struct x86vcpu_vcpu *v)
{
    v->cr8 = v->lapic.cr8_seen = (model(v)->regs[VLAPIC_TPR / 4] >> 4) & 0xf;
}

/* The other way: a CR8 exit (cr.c) wrote v->cr8 since the last sync. With
 * the TPR shadow the guest writes the page's TPR itself, and CR8 reads it. */
static void tpr_from_cr8(struct x86vcpu_vcpu *v)
{
    if (!(v->lapic.hw & X86VCPU_LAPIC_HW_TPR_SHADOW) && v->cr8 != v->lapic.cr8_seen)
        x86vcpu__vlapic_set_tpr(model(v), (uint32_t)v->cr8 << 4);
}

/* The effects a write reported (struct x86vcpu_vlapic_fx). TIMER and IRQ
 * need nothing: every VM entry re-reads the deadline and the pending
 * vector. */
static void effects(struct x86vcpu_vcpu *v, const struct x86vcpu_vlapic_fx *fx)
{
    if (fx->flags & VLAPIC_FX_IPI) {
        if (v->lapic.ipi) {
            struct x86vcpu_lapic_ipi p;
            pub_ipi(&p, &fx->ipi);
            v->lapic.ipi(v->lapic.ctx, v, &p);
        } else if (x86vcpu__vlapic_ipi_match(model(v), &fx->ipi, 1)) {
            act(v, x86vcpu__vlapic_ipi_deliver(model(v), &fx->ipi), fx->ipi.vector);
        }
    }
    if ((fx->flags & VLAPIC_FX_EOI_BCAST) && v->lapic.eoi)
        v->lapic.eoi(v->lapic.ctx, v, fx->eoi_vector);
    if (fx->flags & VLAPIC_FX_MODE) {
        cpuid_update(v);
        apply_mode(v);
        page_place(v);
    }
    cr8_sync(v);
}

/* ------------------------------------------------------------ public API */

int x86vcpu_lapic_enable(struct x86vcpu_vcpu *v, const struct x86vcpu_lapic_config *c)
{
    if (!v || !c)
        return X86VCPU_EINVAL;
    /* The controls and the MSR bitmap follow it at setup. */
    if (v->have_setup || v->lapic.on)
        return X86VCPU_ESTATE;
    uint32_t feats = v->cpuid.features;
    struct x86vcpu_vlapic_config mc = { 0 };
    mc.apic_id = c->apic_id;
    mc.tsc_khz = c->tsc_khz ? c->tsc_khz : v->tsc_guest_khz;
    mc.bus_khz = c->bus_khz;
    if (!mc.tsc_khz)
        mc.tsc_khz = mc.bus_khz ? mc.bus_khz : 1;
    if (!mc.bus_khz)
        mc.bus_khz = mc.tsc_khz;
    /* The thermal and performance-counter LVTs are there, masked (as
     * KVM's: Max LVT Entry 5, SDM Figure 11-7); their sources never fire. */
    mc.features = (x86vcpu__feat_on(feats, X86VCPU_FEAT_X2APIC) ? VLAPIC_F_X2APIC : 0) |
                  (x86vcpu__feat_on(feats, X86VCPU_FEAT_TSC_DEADLINE) ? VLAPIC_F_TSC_DEADLINE : 0) |
                  VLAPIC_F_LVT_PERF | VLAPIC_F_LVT_THERMAL;
    uint32_t pa_bits = hw_cpuid(0x80000000u, 0).eax >= 0x80000008u
                           ? hw_cpuid(0x80000008u, 0).eax & 0xff : 36;
    mc.maxphyaddr = (uint8_t)(pa_bits ? pa_bits : 36);
    mc.bsp = (c->flags & X86VCPU_LAPIC_BSP) != 0;

    uint64_t pa = v->hal->alloc_frame(v->hal->ctx);
    if (!pa)
        return X86VCPU_ENOMEM;
    uint32_t *page = v->hal->phys_to_virt(v->hal->ctx, pa);
    if (x86vcpu__vlapic_init(model(v), page, &mc)) {
        v->hal->free_frame(v->hal->ctx, pa);
        return X86VCPU_EINVAL;
    }
    /* Every APIC MSR exits: the model answers them, #GP included. */
    uint8_t *bm = v->hal->phys_to_virt(v->hal->ctx, v->msr_bitmap_pa);
    x86vcpu__msr_bitmap_set(bm, VLAPIC_MSR_APIC_BASE, 1, 1);
    x86vcpu__msr_bitmap_set(bm, VLAPIC_MSR_TSC_DEADLINE, 1, 1);
    for (uint32_t m = VLAPIC_MSR_X2APIC_FIRST; m <= VLAPIC_MSR_X2APIC_LAST; m++)
        x86vcpu__msr_bitmap_set(bm, m, 1, 1);
    /* The APIC-access frame, for "virtualize APIC accesses" (its contents
     * are never used: accesses are virtualized or exit). */
    uint64_t apa = 0;
    if (!(c->flags & X86VCPU_LAPIC_SOFT) && (v->owner->caps.procbased2 >> 32) & PROC2_VIRT_APIC) {
        apa = v->hal->alloc_frame(v->hal->ctx);
        if (!apa) {
            v->hal->free_frame(v->hal->ctx, pa);
            return X86VCPU_ENOMEM;
        }
    }
    v->lapic.access_pa = apa;
    v->lapic.page_pa = pa;
    v->lapic.ipi = c->ipi;
    v->lapic.eoi = c->eoi;
    v->lapic.ctx = c->ctx;
    v->lapic.flags = c->flags;
    v->lapic.follow_tsc = !c->tsc_khz && !c->bus_khz;
    v->lapic.mmio_page = 1; /* no page yet */
    v->lapic.on = 1;
    cpuid_update(v);
    return X86VCPU_OK;
}

int x86vcpu_lapic_set_irq(struct x86vcpu_vcpu *v, uint8_t vector, int level_trigger)
{
    if (!v || !v->lapic.on)
        return X86VCPU_ESTATE;
    int a = x86vcpu__vlapic_accept(model(v), VLAPIC_DM_FIXED, vector, level_trigger != 0);
    return a == VLAPIC_ACT_IRQ ? X86VCPU_OK : 1;
}

int x86vcpu_lapic_lint(struct x86vcpu_vcpu *v, unsigned pin)
{
    if (!v || !v->lapic.on)
        return X86VCPU_ESTATE;
    if (pin > 1)
        return X86VCPU_EINVAL;
    return act(v, x86vcpu__vlapic_lvt_fire(model(v), pin ? VLAPIC_LVT_LINT1 : VLAPIC_LVT_LINT0), 0);
}

int x86vcpu_lapic_accepts_extint(const struct x86vcpu_vcpu *v)
{
    return v && v->lapic.on && x86vcpu__vlapic_accepts_extint(&v->lapic.m);
}

int x86vcpu_lapic_ipi_match(const struct x86vcpu_vcpu *target, const struct x86vcpu_vcpu *from,
                            const struct x86vcpu_lapic_ipi *ipi)
{
    if (!target || !ipi || !target->lapic.on)
        return 0;
    struct x86vcpu_vlapic_ipi i;
    lib_ipi(&i, ipi);
    return x86vcpu__vlapic_ipi_match(&target->lapic.m, &i, target == from);
}

int x86vcpu_lapic_ipi_deliver(struct x86vcpu_vcpu *target, const struct x86vcpu_lapic_ipi *ipi)
{
    if (!target || !ipi)
        return X86VCPU_EINVAL;
    if (!target->lapic.on || !target->have_setup)
        return X86VCPU_ESTATE;
    struct x86vcpu_vlapic_ipi i;
    lib_ipi(&i, ipi);
    return act(target, x86vcpu__vlapic_ipi_deliver(model(target), &i), i.vector);
}

int x86vcpu_lapic_waiting_sipi(const struct x86vcpu_vcpu *v)
{
    return v && v->lapic.on && (v->lapic.mp & X86VCPU__MP_WAIT) &&
           !(v->lapic.mp & X86VCPU__MP_SIPI);
}

int x86vcpu_lapic_read(const struct x86vcpu_vcpu *v, uint32_t offset, uint32_t *val)
{
    if (!v || !val || (offset & 0xf) || offset >= 4096)
        return X86VCPU_EINVAL;
    if (!v->lapic.on)
        return X86VCPU_ESTATE;
    *val = v->lapic.m.regs[offset / 4];
    return X86VCPU_OK;
}

int x86vcpu_lapic_get_base(const struct x86vcpu_vcpu *v, uint64_t *base)
{
    if (!v || !base)
        return X86VCPU_EINVAL;
    if (!v->lapic.on)
        return X86VCPU_ESTATE;
    *base = v->lapic.m.apic_base;
    return X86VCPU_OK;
}

uint32_t x86vcpu_lapic_assists(const struct x86vcpu_vcpu *v)
{
    return v && v->lapic.on ? v->lapic.hw : 0;
}

/* ------------------------------------------------------------ setup */

/* The TPR shadow (SDM 25.6.2 primary bit 21) replaces CR8 exiting where
 * the CPU has it and may drop the CR8 exits (their allowed-0 bits, A.3.2). */
uint32_t x86vcpu__lapic_proc(const struct x86vcpu_vcpu *v, uint32_t proc)
{
    if (!v->lapic.on || (v->lapic.flags & X86VCPU_LAPIC_SOFT))
        return proc;
    uint64_t cap = v->owner->caps.procbased;
    uint32_t must = (uint32_t)cap, may = (uint32_t)(cap >> 32);
    if (!(may & PROC_TPR_SHADOW))
        return proc;
    proc |= PROC_TPR_SHADOW;
    proc &= ~((PROC_CR8_LOAD | PROC_CR8_STORE) & ~must);
    return proc;
}

/* The secondary controls to ask for (SDM 25.6.2): the APIC ones where the
 * CPU has them; virtual-interrupt delivery only with external-interrupt
 * exiting (SDM 26.2.1.1), which the embedder chooses. */
uint32_t x86vcpu__lapic_proc2_opt(const struct x86vcpu_vcpu *v)
{
    if (!v->lapic.on || (v->lapic.flags & X86VCPU_LAPIC_SOFT) || !v->lapic.access_pa)
        return 0;
    return PROC2_VIRT_APIC | PROC2_X2APIC_MODE | PROC2_APIC_REG_VIRT |
           ((v->setup.flags & X86VCPU_SETUP_EXIT_ON_EXTINT) ? PROC2_VIRT_INTR : 0);
}

int x86vcpu__lapic_vmcs_init(struct x86vcpu_vcpu *v)
{
    if (!v->lapic.on)
        return 0;
    int err = 0;
    /* A setup is a fresh start: the APIC's power-up state (SDM 11.4.7.1),
     * with the BIOS's virtual wire if asked (LINT0 ExtINT, MP spec 1.4
     * 3.6.2.2): the INTR line (inject.c) passes LINT0. */
    x86vcpu__vlapic_reset(model(v));
    /* Not v->lapic.mp: an AP set up but never bound gets its first bind
     * (this write) after the BSP's INIT and SIPI, which must survive it. */
    if (v->lapic.flags & X86VCPU_LAPIC_VIRTUAL_WIRE)
        model(v)->regs[VLAPIC_LVT_LINT0 / 4] = VLAPIC_DM_EXTINT << 8;
    cpuid_update(v);
    v->lapic.hw = 0;
    v->lapic.tmr_owned = 0;
    v->lapic.tmr_idle = 0;
    if (v->ctl_proc & PROC_TPR_SHADOW) {
        /* SDM 25.6.8: the virtual-APIC page; the TPR threshold is set
         * before each entry. */
        err |= VMWR_CHK(v, W64, VIRTUAL_APIC_PAGE_ADDR, v->lapic.page_pa);
        err |= VMWR_CHK(v, W32, TPR_THRESHOLD, 0);
        v->lapic.tpr_thr = 0;
        v->lapic.hw |= X86VCPU_LAPIC_HW_TPR_SHADOW;
    }
    /* Every other APIC control needs the TPR shadow (SDM 26.2.1.1). */
    v->lapic.proc2_avail = (v->ctl_proc & PROC_TPR_SHADOW)
        ? v->ctl_proc2 & (PROC2_VIRT_APIC | PROC2_X2APIC_MODE | PROC2_APIC_REG_VIRT |
                          PROC2_VIRT_INTR)
        : 0;
    if (!(v->ctl_pin & PIN_EXTINT_EXITING))
        v->lapic.proc2_avail &= ~PROC2_VIRT_INTR;
    if (v->lapic.proc2_avail & PROC2_VIRT_APIC)
        err |= VMWR_CHK(v, W64, APIC_ACCESS_ADDR, v->lapic.access_pa);
    if (v->lapic.proc2_avail & PROC2_VIRT_INTR) {
        /* SDM 25.6.8: the EOI-exit bitmaps, rewritten from TMR at entries. */
        err |= VMWR_CHK(v, W64, EOI_EXIT_BITMAP0, 0);
        err |= VMWR_CHK(v, W64, EOI_EXIT_BITMAP1, 0);
        err |= VMWR_CHK(v, W64, EOI_EXIT_BITMAP2, 0);
        err |= VMWR_CHK(v, W64, EOI_EXIT_BITMAP3, 0);
        err |= VMWR_CHK(v, W16, GUEST_INTR_STATUS, 0);
        for (int i = 0; i < 8; i++)
            v->lapic.eoi_exit[i] = 0;
    }
    /* Whatever negotiation gave, the mode decides (its VMWRITE). */
    v->ctl_proc2 |= PROC2_VIRT_APIC | PROC2_X2APIC_MODE;
    apply_mode(v);
    cr8_sync(v);
    page_place(v);
    return err;
}

void x86vcpu__lapic_destroy(struct x86vcpu_vcpu *v)
{
    if (v->lapic.on && v->lapic.access_mapped && v->setup.ept)
        x86vcpu_ept_unmap(v->setup.ept, v->lapic.mmio_page, 4096);
    if (v->lapic.on && v->lapic.ram_perms && v->setup.ept) /* RAM under the page back */
        x86vcpu_ept_map(v->setup.ept, v->lapic.mmio_page, v->lapic.ram_hpa, 4096,
                        v->lapic.ram_perms, v->lapic.ram_mt);
    if (v->lapic.on && v->lapic.access_pa)
        v->hal->free_frame(v->hal->ctx, v->lapic.access_pa);
    if (v->lapic.on)
        v->hal->free_frame(v->hal->ctx, v->lapic.page_pa);
    v->lapic.on = 0;
}

/* ------------------------------------------------------------ VM entry */

/* Inject an external interrupt (SDM 26.6.1.1); inject.c's queue does the
 * same for its vectors. */
static void inject_vector(struct x86vcpu_vcpu *v, uint32_t vec)
{
    x86vcpu__wake(v);
    VMWR(v, W32, ENTRY_INTR_INFO, INTR_INFO(INTR_TYPE_EXT_INTR, vec));
    v->injected = 1;
}

/* Preemption-timer ticks (TSC >> IA32_VMX_MISC[4:0], SDM 26.5.1) until
 * the guest's TSC has advanced by `ticks`: never early (rounded up), at
 * most 2^32 - 1. */
static uint32_t preempt_ticks(struct x86vcpu_vcpu *v, uint64_t guest_now, uint64_t ticks)
{
    uint64_t host_then = 0, host_now = hw_rdtsc();
    x86vcpu_guest_tsc_to_host(v, guest_now + ticks, &host_then);
    uint64_t d = host_then > host_now ? host_then - host_now : 0;
    uint32_t rate = (uint32_t)(v->owner->caps.misc & 0x1f);
    uint64_t t = (d >> rate) + 1;
    return t > 0xffffffffull ? 0xffffffffu : (uint32_t)t;
}

/* The preemption timer holds the earlier of the APIC deadline and what is
 * left of the time slice; slice_rest keeps the slice across the APIC's
 * expiries. Without a time slice and without an APIC deadline it is set
 * to its maximum (an expiry then only re-arms). */
static void arm_timer(struct x86vcpu_vcpu *v, uint64_t t)
{
    if (!(v->ctl_pin & PIN_PREEMPT_TIMER))
        return;
    uint64_t ticks = 0;
    int armed = x86vcpu__vlapic_timer_next(model(v), t, &ticks);
    uint32_t want = armed ? preempt_ticks(v, t, ticks) : 0xffffffffu;
    if (!v->time_slice) {
        /* Disarmed: the maximum once (an expiry re-arms it), not a
         * VMWRITE per entry. */
        if (armed || !v->lapic.tmr_idle)
            VMWR(v, W32, PREEMPTION_TIMER_VALUE, want);
        v->lapic.tmr_idle = !armed;
        v->lapic.tmr_owned = 1;
        return;
    }
    uint64_t slice = VMRD(v, W32, PREEMPTION_TIMER_VALUE);
    if (v->lapic.tmr_owned)
        slice += v->lapic.slice_rest;
    if (armed && want < slice) {
        v->lapic.tmr_owned = 1;
        v->lapic.slice_rest = (uint32_t)(slice - want);
        VMWR(v, W32, PREEMPTION_TIMER_VALUE, want);
    } else if (v->lapic.tmr_owned) {
        v->lapic.tmr_owned = 0;
        VMWR(v, W32, PREEMPTION_TIMER_VALUE, slice > 0xffffffffull ? 0xffffffffu : (uint32_t)slice);
    }
}

/* Virtual-interrupt delivery (SDM 30.2): the CPU evaluates and delivers
 * from RVI/SVI of the guest interrupt status, which follow the page's IRR
 * and ISR; an EOI of a level-triggered vector (TMR) exits (45) so the
 * embedder's I/O APIC sees it (the EOI-exit bitmap, SDM 25.6.8). */
static void vid_entry(struct x86vcpu_vcpu *v)
{
    const struct x86vcpu_vlapic *l = model(v);
    int irr = x86vcpu__vlapic_highest_irr(l), isr = x86vcpu__vlapic_highest_isr(l);
    VMWR(v, W16, GUEST_INTR_STATUS, (uint16_t)((irr < 0 ? 0 : irr) | ((isr < 0 ? 0 : isr) << 8)));
    /* A guest waiting in HLT (x86vcpu_halt) with a virtual interrupt it
     * can take (RVI[7:4] > VPPR[7:4], SDM 30.2.1, and RFLAGS.IF = 1): enter
     * active, and the CPU delivers it at the entry (SDM 30.2.2). Bochs 2.7
     * does not leave HLT for a pending virtual interrupt; KVM clears HLT
     * the same way when it has one (vmx_clear_hlt). */
    if (v->halt_armed && irr >= 0) {
        uint32_t tpr = l->regs[VLAPIC_TPR / 4] & 0xf0;
        uint32_t ppr = isr >= 0 && ((uint32_t)isr & 0xf0) > tpr ? (uint32_t)isr & 0xf0 : tpr;
        if (((uint32_t)irr & 0xf0) > ppr && (VMRD(v, WNAT, GUEST_RFLAGS) & (1u << 9)))
            x86vcpu__wake(v);
    }
    for (int i = 0; i < 8; i += 2) {
        uint32_t lo = l->regs[(VLAPIC_TMR + 0x10 * i) / 4];
        uint32_t hi = l->regs[(VLAPIC_TMR + 0x10 * (i + 1)) / 4];
        if (lo == v->lapic.eoi_exit[i] && hi == v->lapic.eoi_exit[i + 1])
            continue;
        v->lapic.eoi_exit[i] = lo;
        v->lapic.eoi_exit[i + 1] = hi;
        uint64_t bm = ((uint64_t)hi << 32) | lo;
        if (i == 0)
            VMWR(v, W64, EOI_EXIT_BITMAP0, bm);
        else if (i == 2)
            VMWR(v, W64, EOI_EXIT_BITMAP1, bm);
        else if (i == 4)
            VMWR(v, W64, EOI_EXIT_BITMAP2, bm);
        else
            VMWR(v, W64, EOI_EXIT_BITMAP3, bm);
    }
}

/* Before each VM entry, after inject.c (exceptions, NMIs and the embedder's
 * queue go first): the timer fires what is due, a CR8 written by a CR8
 * exit goes into TPR, the highest pending vector is injected if the guest
 * can take it (SDM 11.8.4: IRR to ISR as the CPU acknowledges it), else an
 * interrupt window is opened; with a TPR shadow the threshold makes a
 * lower TPR exit (SDM 30.1.2). 1 (no entry, *e the wait-for-SIPI exit)
 * when an INIT came during the run. */
int x86vcpu__lapic_entry(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    struct x86vcpu_vlapic *l = model(v);
    if (v->lapic.mp) {
        /* An INIT arrived during this run (the guest's own ICR write, or
         * another vCPU's): no entry; run applies it on its way out. */
        wait_exit(v, e);
        return 1;
    }
    if (v->lapic.follow_tsc && v->tsc_guest_khz && l->tsc_khz != v->tsc_guest_khz)
        l->tsc_khz = l->bus_khz = v->tsc_guest_khz;
    uint64_t t = now(v);
    struct x86vcpu_vlapic_fx fx = { 0 };
    x86vcpu__vlapic_timer_update(l, t, &fx);
    tpr_from_cr8(v);
    cr8_sync(v);
    if (v->lapic.hw & X86VCPU_LAPIC_HW_VID) {
        if (!(v->ctl_pin & PIN_EXTINT_EXITING)) {
            /* The embedder turned external-interrupt exiting off: virtual-
             * interrupt delivery must go (SDM 26.2.1.1), software from now. */
            v->lapic.proc2_avail &= ~PROC2_VIRT_INTR;
            apply_mode(v);
        } else {
            vid_entry(v);
            arm_timer(v, t);
            return 0;
        }
    }
    int vec = x86vcpu__vlapic_pending(l);
    if (vec >= 0) {
        uint64_t rflags = v->injected ? 0 : VMRD(v, WNAT, GUEST_RFLAGS);
        uint32_t intr = v->injected ? 0 : (uint32_t)VMRD(v, W32, GUEST_INTERRUPTIBILITY);
        if (!v->injected && x86vcpu__can_inject(0, rflags, intr)) {
            inject_vector(v, (uint32_t)x86vcpu__vlapic_ack(l));
            cr8_sync(v);
        } else {
            x86vcpu__set_intr_window(v, 1);
        }
    }
    if (v->lapic.hw & X86VCPU_LAPIC_HW_TPR_SHADOW) {
        uint32_t thr = x86vcpu__vlapic_tpr_threshold(l);
        if (thr != v->lapic.tpr_thr) {
            v->lapic.tpr_thr = thr;
            VMWR(v, W32, TPR_THRESHOLD, thr);
        }
    }
    arm_timer(v, t);
    return 0;
}

/* A preemption-timer exit: 1 when it was the APIC deadline alone (the next
 * entry fires the timer), 0 when the time slice is over (run.c re-arms it
 * and returns the slice to the embedder). */
int x86vcpu__lapic_preempt_exit(struct x86vcpu_vcpu *v)
{
    if (!v->lapic.on)
        return 0;
    if (!v->time_slice) {
        v->lapic.tmr_idle = 0;  /* expired: re-armed at the next entry */
        return 1;
    }
    if (!v->lapic.tmr_owned)
        return 0;
    v->lapic.tmr_owned = 0;
    if (!v->lapic.slice_rest)
        return 0;
    VMWR(v, W32, PREEMPTION_TIMER_VALUE, v->lapic.slice_rest);
    return 1;
}

/* ------------------------------------------------------------ exits */

/* RDMSR/WRMSR of an APIC MSR (SDM 11.4.4, 11.12.1.2-3): the model's value
 * or #GP(0); the instruction completes by the length the CPU reported. */
int x86vcpu__lapic_msr_exit(struct x86vcpu_vcpu *v, uint32_t msr, int write, uint64_t val)
{
    if (!v->lapic.on || !x86vcpu__vlapic_is_msr(msr))
        return -1;
    struct x86vcpu_vlapic_fx fx = { 0 };
    uint64_t t = now(v);
    int r;
    tpr_from_cr8(v);
    if (write) {
        r = x86vcpu__vlapic_msr_write(model(v), t, msr, val, &fx);
    } else {
        r = x86vcpu__vlapic_msr_read(model(v), t, msr, &val);
        if (r == VLAPIC_OK) {
            v->regs.gpr[X86VCPU_RAX] = (uint32_t)val;
            v->regs.gpr[X86VCPU_RDX] = val >> 32;
        }
    }
    if (r != VLAPIC_OK) {
        x86vcpu__inject_exception(v, X86VCPU_VEC_GP, 1, 0);
        return 1;
    }
    x86vcpu__skip_current(v);
    effects(v, &fx);
    return 1;
}

/* One access of the xAPIC page (mmio.c decoded it): 1 when it is the
 * APIC's, with *val read. */
static int page_access(struct x86vcpu_vcpu *v, const struct x86vcpu_exit *e, uint64_t *val)
{
    struct x86vcpu_vlapic *l = model(v);
    if (!x86vcpu__vlapic_hw_enabled(l) || x86vcpu__vlapic_x2apic(l))
        return 0;
    uint64_t page = l->apic_base & ~0xfffull & ((1ull << l->maxphyaddr) - 1);
    if ((e->u.mmio.gpa & ~0xfffull) != page)
        return 0;
    uint32_t off = (uint32_t)(e->u.mmio.gpa & 0xfff);
    uint64_t t = now(v);
    tpr_from_cr8(v);
    *val = 0;
    if (e->u.mmio.write) {
        struct x86vcpu_vlapic_fx fx = { 0 };
        x86vcpu__vlapic_mmio_write(l, t, off, e->u.mmio.size, (uint32_t)e->u.mmio.value, &fx);
        effects(v, &fx);
    } else {
        uint32_t r = 0;
        /* An 8-byte read gets the first dword (SDM 11.4.1: 128-bit
         * aligned 32-bit registers; wider accesses are undefined). */
        x86vcpu__vlapic_mmio_read(l, t, off, e->u.mmio.size > 4 ? 4 : e->u.mmio.size, &r);
        *val = r;
    }
    return 1;
}

/* An MMIO exit (mmio.c) in the APIC's page: completed here, a
 * read-modify-write's second access too; the instruction completes as
 * run() would at its next call. 0 when the access is not the APIC's:
 * the embedder gets the exit. */
int x86vcpu__lapic_mmio(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    if (!v->lapic.on)
        return 0;
    for (int i = 0; i < 4; i++) {       /* at most read, write (and halves) */
        uint64_t val;
        if (e->kind != X86VCPU_EXIT_MMIO || !page_access(v, e, &val))
            return 0;
        x86vcpu_complete_mmio(v, val);
        if (v->pending != PENDING_MMIO_WRITE)
            break;
        x86vcpu__mmio_pending_write(v, e);
    }
    if (v->pending != PENDING_NONE)
        return 0;   /* cannot happen: four accesses cover every form */
    if (v->advance_len) {
        x86vcpu__skip_insn(v, v->advance_rip, v->advance_len);
        v->advance_len = 0;
    }
    return 1;
}

/* The APIC's own exit reasons (SDM 28.2.1, 30.1-30.5). */
int x86vcpu__lapic_exit(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e, uint32_t reason)
{
    if (!v->lapic.on)
        return -1;
    struct x86vcpu_vlapic *l = model(v);
    switch (reason) {
    case X86VCPU_EXIT_REASON_TPR_BELOW_THRESHOLD:
        return 1;   /* trap-like: the guest lowered TPR; the next entry delivers */
    case X86VCPU_EXIT_REASON_APIC_WRITE: {
        /* Trap-like, the value already in the page at the offset (SDM
         * 30.4.3.3): its side effects. */
        struct x86vcpu_vlapic_fx fx = { 0 };
        uint64_t q = VMRD(v, WNAT, EXIT_QUALIFICATION);
        x86vcpu__vlapic_apic_write(l, now(v), (uint32_t)(q & 0xfff), &fx);
        effects(v, &fx);
        return 1;
    }
    case X86VCPU_EXIT_REASON_VIRTUALIZED_EOI: {
        /* The CPU cleared the ISR bit (SDM 30.1.4); what is left of the
         * EOI is the broadcast of a level-triggered vector (SDM 11.8.5). */
        uint32_t vec = (uint32_t)VMRD(v, WNAT, EXIT_QUALIFICATION) & 0xff;
        int level = (l->regs[(VLAPIC_TMR + 0x10 * (vec / 32)) / 4] >> (vec % 32)) & 1;
        if (level && !(l->regs[VLAPIC_SVR / 4] & VLAPIC_SVR_EOI_SUPPRESS) && v->lapic.eoi)
            v->lapic.eoi(v->lapic.ctx, v, (uint8_t)vec);
        return 1;
    }
    default: {
        /* APIC access (44): a linear data read or write (types 0 and 1 in
         * bits 15:12, the offset in 11:0; Table 28-6) is the instruction's
         * access to the page: mmio.c decodes it as it would an EPT
         * violation there, and x86vcpu__lapic_mmio completes it. Other
         * types (fetch, event delivery, guest-physical) go to the embedder. */
        uint64_t q = VMRD(v, WNAT, EXIT_QUALIFICATION);
        uint32_t type = (uint32_t)(q >> 12) & 0xf;
        if (type > 1 || v->reinject_info)
            return -1;
        e->reason = reason;
        e->rip = VMRD(v, WNAT, GUEST_RIP);
        e->instr_len = 0;
        e->kind = X86VCPU_EXIT_EPT_VIOLATION;
        e->qualification = EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_FINAL |
                           (type ? X86VCPU_EPT_W : X86VCPU_EPT_R);
        e->u.ept = (typeof(e->u.ept)){ 0 };
        e->u.ept.gpa = v->lapic.mmio_page + (q & 0xfff);
        e->u.ept.access = (uint8_t)(type ? X86VCPU_EPT_W : X86VCPU_EPT_R);
        e->u.ept.gla_valid = 1;
        return x86vcpu__mmio_begin(v, e);
    }
    }
}
