/* VMCS set-up: the controls negotiated from the capability MSRs, and the
 * initial guest and host state, split the way the VMCS is (SDM 25.3-25.8):
 * execution, exit and entry controls, guest state, host state. One entry
 * point, x86vcpu__vmcs_sync, for setup() (on a bound vCPU) and bind(). */
#include "vmx/vcpu.h"
#include "lib/ept_tables.h"

/* ------------------------------------------------------------ controls */

/* Every control value first, before any VMWRITE: a CPU that lacks a
 * required control fails the set-up with nothing written. */
static int negotiate_controls(struct x86vcpu_vcpu *v)
{
    const struct x86vcpu_caps *c = &v->owner->caps;
    const struct x86vcpu_setup *s = &v->setup;
    struct x86vcpu_ctls_result r;
    int err;
    int extint = (s->flags & X86VCPU_SETUP_EXIT_ON_EXTINT) != 0;

    /* The virtual APIC's timer runs on it too (lapic.c). */
    uint32_t timer = (s->time_slice || v->lapic.on) ? PIN_PREEMPT_TIMER : 0;
    if ((err = x86vcpu__ctls_negotiate(c->pinbased,
                                       PIN_NMI_EXITING | (extint ? PIN_EXTINT_EXITING : 0) | timer,
                                       PIN_VIRTUAL_NMIS, &r)))
        return err;
    v->ctl_pin = r.value;

    /* Every port and MSR goes through the bitmaps; HLT exits so the embedder
     * can schedule. CR3 load/store exiting is not needed with EPT. CR8 is
     * virtual: without a TPR shadow the guest would write the host's TPR.
     * MOV DR exits until the guest first uses a debug register (dr.c).
     * A hidden feature's instructions exit where a control allows, and
     * fault (guest_cpuid.c): MONITOR/MWAIT #UD, RDPMC #GP (docs/CPUID.md). */
    uint32_t feats = v->cpuid.features;
    uint32_t hide = (x86vcpu__feat_on(feats, X86VCPU_FEAT_MONITOR)
                         ? 0 : PROC_MWAIT_EXITING | PROC_MONITOR_EXITING) |
                    (x86vcpu__feat_on(feats, X86VCPU_FEAT_PMU) ? 0 : PROC_RDPMC_EXITING);
    if ((err = x86vcpu__ctls_negotiate(c->procbased,
                                       PROC_HLT_EXITING | PROC_USE_IO_BITMAPS |
                                           PROC_USE_MSR_BITMAPS | PROC_SECONDARY |
                                           PROC_CR8_LOAD | PROC_CR8_STORE,
                                       PROC_MOV_DR_EXITING | x86vcpu__tsc_proc_opt(v) | hide,
                                       &r)))
        return err;
    v->ctl_proc = x86vcpu__lapic_proc(v, r.value); /* TPR shadow (lapic.c) */

    /* Real mode needs "unrestricted guest" (SDM 26.3.1.1). Instructions the
     * guest's CPUID advertises must not #UD: enable RDTSCP (and RDPID),
     * INVPCID and XSAVES where the CPU allows it, and only then: left 0,
     * they #UD (SDM 26.3), as a hidden feature's should. RDRAND/RDSEED
     * exit while hidden (guest_cpuid.c: #UD). WAITPKG stays hidden: "enable
     * user wait and pause" 0, its instructions #UD. */
    uint32_t req2 = PROC2_EPT | (s->mode == X86VCPU_MODE_REAL ? PROC2_UNRESTRICTED : 0);
    uint32_t opt2 = PROC2_UNRESTRICTED |
                    (x86vcpu__feat_on(feats, X86VCPU_FEAT_RDTSCP) ? PROC2_RDTSCP : 0) |
                    (x86vcpu__feat_on(feats, X86VCPU_FEAT_INVPCID) ? PROC2_INVPCID : 0) |
                    (x86vcpu__feat_on(feats, X86VCPU_FEAT_XSAVES) ? PROC2_XSAVES : 0) |
                    (x86vcpu__feat_on(feats, X86VCPU_FEAT_RDRAND) ? 0 : PROC2_RDRAND_EXITING) |
                    (x86vcpu__feat_on(feats, X86VCPU_FEAT_RDSEED) ? 0 : PROC2_RDSEED_EXITING);
    /* VPID when asked for and INVVPID can flush it (single or all context,
     * SDM 29.4.3.3); otherwise every entry and exit flushes instead. */
    uint64_t vcap = c->ept_vpid;
    int vpid_ok = s->vpid && !(s->flags & X86VCPU_SETUP_NO_VPID) && (vcap & VPIDCAP_INVVPID) &&
                  (vcap & (VPIDCAP_SINGLE | VPIDCAP_ALL));
    if (vpid_ok)
        opt2 |= PROC2_VPID;
    opt2 |= x86vcpu__tsc_proc2_opt(v); /* TSC scaling for a multiplier != 1.0 (tsc.c) */
    opt2 |= x86vcpu__lapic_proc2_opt(v); /* APIC virtualization (lapic.c) */
    if ((err = x86vcpu__ctls_negotiate(c->procbased2, req2, opt2, &r)))
        return err;
    v->ctl_proc2 = r.value;
    v->vpid = (v->ctl_proc2 & PROC2_VPID) ? s->vpid : 0;

    /* The guest's DR7 and IA32_DEBUGCTL are saved at every exit and loaded
     * at every entry (SDM 28.3.1, 26.3.2.1); without it the guest runs with
     * the host's DR7 (dr.c). */
    if ((err = x86vcpu__ctls_negotiate(c->exit,
                                       EXIT_HOST_ADDR64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER |
                                           EXIT_SAVE_DEBUG | (extint ? EXIT_ACK_INTR : 0),
                                       EXIT_SAVE_PAT | EXIT_LOAD_PAT |
                                           (timer ? EXIT_SAVE_PREEMPT : 0),
                                       &r)))
        return err;
    v->ctl_exit = r.value;

    if ((err = x86vcpu__ctls_negotiate(c->entry,
                                       ENTRY_LOAD_EFER | ENTRY_LOAD_DEBUG |
                                           (s->mode == X86VCPU_MODE_LONG64 ? ENTRY_IA32E_GUEST : 0),
                                       ENTRY_LOAD_PAT, &r)))
        return err;
    /* IA-32e mode guest must follow EFER.LMA, never a default-1 setting. */
    v->ctl_entry = r.value;
    if (s->mode != X86VCPU_MODE_LONG64 && (v->ctl_entry & ENTRY_IA32E_GUEST))
        return X86VCPU_ECTLS;

    /* EPT needs a 4-level walk and write-back paging structures (A.10). */
    if ((c->ept_vpid & (EPTCAP_WALK4 | EPTCAP_WB)) != (EPTCAP_WALK4 | EPTCAP_WB))
        return X86VCPU_ENOTSUP;
    return X86VCPU_OK;
}

/* The guest's CR0, CR4 and EFER at the start, as the guest sees them. */
struct initial_crs {
    uint64_t cr0, cr4, efer;
};

static struct initial_crs initial_crs(uint32_t mode)
{
    switch (mode) {
    case X86VCPU_MODE_REAL: return (struct initial_crs){ CR0_ET, 0, 0 };
    case X86VCPU_MODE_PROT32: return (struct initial_crs){ CR0_ET | CR0_PE, 0, 0 };
    default:
        return (struct initial_crs){ CR0_ET | CR0_PE | CR0_PG, CR4_PAE, EFER_LME | EFER_LMA };
    }
}

/* VM-execution control fields (SDM 25.6). Fields without a defined reset
 * value after VMCLEAR are all written. Returns the ORed VMWRITE results. */
static int init_exec_ctrl(struct x86vcpu_vcpu *v, const struct initial_crs *g)
{
    const struct x86vcpu_caps *c = &v->owner->caps;
    const struct x86vcpu_setup *s = &v->setup;
    int unrestricted = (v->ctl_proc2 & PROC2_UNRESTRICTED) != 0;
    int err = 0;
    err |= VMWR_CHK(v, W32, PIN_BASED_CTLS, v->ctl_pin);
    err |= VMWR_CHK(v, W32, PROC_BASED_CTLS, v->ctl_proc);
    err |= VMWR_CHK(v, W32, PROC_BASED_CTLS2, v->ctl_proc2);
    err |= VMWR_CHK(v, W32, EXCEPTION_BITMAP, 0);
    err |= VMWR_CHK(v, W32, PAGE_FAULT_ERRCODE_MASK, 0);
    err |= VMWR_CHK(v, W32, PAGE_FAULT_ERRCODE_MATCH, 0);
    err |= VMWR_CHK(v, W32, CR3_TARGET_COUNT, 0);
    err |= VMWR_CHK(v, W64, IO_BITMAP_A, v->io_bitmap_a_pa);
    err |= VMWR_CHK(v, W64, IO_BITMAP_B, v->io_bitmap_b_pa);
    err |= VMWR_CHK(v, W64, MSR_BITMAP, v->msr_bitmap_pa);
    err |= x86vcpu__tsc_vmcs_init(v); /* TSC offset and multiplier (tsc.c) */
    /* EPTP (SDM 25.6.11): WB (6) in bits 2:0, walk length - 1 in bits 5:3. */
    v->eptp = s->ept ? x86vcpu_ept_pointer(s->ept) : x86vcpu__eptp(s->ept_root, 0);
    err |= VMWR_CHK(v, W64, EPT_POINTER, v->eptp);
    if (v->vpid)
        err |= VMWR_CHK(v, W16, VPID, v->vpid);

    /* CR0/CR4 (SDM 25.6.6): bits VMX pins are owned by the host and read
     * through the shadow; the guest owns the rest. */
    /* CR4 also keeps OSXSAVE (to know when XCR0 matters) and every bit whose
     * feature the guest's CPUID lacks (so setting it faults, SDM 2.5). */
    struct x86vcpu_cr_ctx cpuctx = { 0 };
    struct x86vcpu_cpuid_regs r1, r7;
    x86vcpu__guest_cpuid_static(v, 1, &r1);
    x86vcpu__guest_cpuid_static(v, 7, &r7);
    cpuctx.cpuid1_ecx = r1.ecx;
    cpuctx.cpuid1_edx = r1.edx;
    cpuctx.cpuid7_ebx = r7.ebx;
    cpuctx.cpuid7_ecx = r7.ecx;
    cpuctx.cpuid7_edx = r7.edx;
    uint64_t cr0_mask = x86vcpu__cr0_pinned_mask(c->cr0_fixed0, c->cr0_fixed1, unrestricted);
    /* Without IA32_VMX_MISC[5] a VM exit does not store EFER.LMA into the
     * IA-32e-mode-guest control (SDM A.6): keep PG host-owned so every
     * paging switch exits and cr.c updates LMA and the control itself. */
    if (!(c->misc & MISC_EXIT_SAVES_LMA))
        cr0_mask |= CR0_PG;
    /* CD and NW pass through VM entries and exits unchanged (SDM 26.3.2.1,
     * 28.5.1): the CPU's are the host's. Host-owned, they are the guest's
     * own in the read shadow only (cr.c), and a guest can neither disable
     * the host's caches nor find a later write of them lost. */
    cr0_mask |= CR0_CD | CR0_NW;
    uint64_t cr4_mask = x86vcpu__cr_pinned_mask(c->cr4_fixed0, c->cr4_fixed1) | CR4_OSXSAVE |
                        x86vcpu__cr4_reserved_mask(&cpuctx);
    v->cr0_mask = cr0_mask;
    v->cr4_mask = cr4_mask;
    err |= VMWR_CHK(v, WNAT, CR0_GUEST_HOST_MASK, cr0_mask);
    err |= VMWR_CHK(v, WNAT, CR0_READ_SHADOW, g->cr0);
    err |= VMWR_CHK(v, WNAT, CR4_GUEST_HOST_MASK, cr4_mask);
    err |= VMWR_CHK(v, WNAT, CR4_READ_SHADOW, g->cr4);

    if (v->ctl_pin & PIN_PREEMPT_TIMER)
        err |= VMWR_CHK(v, W32, PREEMPTION_TIMER_VALUE, s->time_slice);
    err |= x86vcpu__lapic_vmcs_init(v); /* virtual-APIC page (lapic.c) */
    /* With XSAVES enabled this field exists and has no reset value: no
     * XSAVES/XRSTORS exits (IA32_XSS is the guest's own). SDM 25.6.20. */
    if (v->ctl_proc2 & PROC2_XSAVES)
        err |= VMWR_CHK(v, W64, XSS_EXITING_BITMAP, 0);
    return err;
}

/* VM-exit control fields (SDM 25.7): no MSR lists (the VMCS switches EFER
 * and PAT; run() switches the syscall MSRs itself). */
static int init_exit_ctrl(struct x86vcpu_vcpu *v)
{
    int err = 0;
    err |= VMWR_CHK(v, W32, EXIT_CTLS, v->ctl_exit);
    err |= VMWR_CHK(v, W32, EXIT_MSR_STORE_COUNT, 0);
    err |= VMWR_CHK(v, W32, EXIT_MSR_LOAD_COUNT, 0);
    return err;
}

/* VM-entry control fields (SDM 25.8): no MSR list, no event to inject. */
static int init_entry_ctrl(struct x86vcpu_vcpu *v)
{
    int err = 0;
    err |= VMWR_CHK(v, W32, ENTRY_CTLS, v->ctl_entry);
    err |= VMWR_CHK(v, W32, ENTRY_MSR_LOAD_COUNT, 0);
    err |= VMWR_CHK(v, W32, ENTRY_INTR_INFO, 0);
    return err;
}

/* ---------------------------------------------------------- guest state */

struct seg {
    uint16_t sel;
    uint32_t limit, ar;
    uint64_t base;
};

#define WRITE_SEG(v, S, sg, err)                                                    \
    do {                                                                             \
        err |= VMWR_CHK(v, W16, GUEST_##S##_SELECTOR, (sg).sel);                     \
        err |= VMWR_CHK(v, W32, GUEST_##S##_LIMIT, (sg).limit);                      \
        err |= VMWR_CHK(v, W32, GUEST_##S##_AR, (sg).ar);                            \
        err |= VMWR_CHK(v, WNAT, GUEST_##S##_BASE, (sg).base);                       \
    } while (0)

/* Guest-state area (SDM 25.4): the mode's registers at setup's entry point.
 * The hardware CR0/CR4 also carry the bits VMX forces (A.7, A.8); without
 * unrestricted guest that includes PE and PG (26.3.1.1). */
static int init_guest_state(struct x86vcpu_vcpu *v, const struct initial_crs *g)
{
    const struct x86vcpu_caps *c = &v->owner->caps;
    const struct x86vcpu_setup *s = &v->setup;
    int err = 0;
    uint64_t cr0 = (g->cr0 | c->cr0_fixed0) & c->cr0_fixed1;
    if (v->ctl_proc2 & PROC2_UNRESTRICTED)
        cr0 = (cr0 & ~(CR0_PE | CR0_PG)) | (g->cr0 & (CR0_PE | CR0_PG));
    uint64_t cr4 = (g->cr4 | c->cr4_fixed0) & c->cr4_fixed1;
    err |= VMWR_CHK(v, WNAT, GUEST_CR0, cr0);
    err |= VMWR_CHK(v, WNAT, GUEST_CR3, s->mode == X86VCPU_MODE_LONG64 ? s->cr3 : 0);
    err |= VMWR_CHK(v, WNAT, GUEST_CR4, cr4);
    err |= VMWR_CHK(v, W64, GUEST_IA32_EFER, g->efer);
    if (v->ctl_entry & ENTRY_LOAD_PAT)
        err |= VMWR_CHK(v, W64, GUEST_IA32_PAT, 0x0007040600070406ull); /* power-on PAT */
    err |= VMWR_CHK(v, W64, GUEST_IA32_DEBUGCTL, 0);
    err |= VMWR_CHK(v, WNAT, GUEST_DR7, 0x400);

    /* Guest segments (SDM 26.3.1.2). */
    struct seg code, data;
    uint64_t rip = s->entry;
    if (s->mode == X86VCPU_MODE_REAL) {
        /* CS:IP from the linear entry; base = selector * 16. */
        uint16_t sel = (uint16_t)((s->entry >> 4) & 0xf000);
        code = (struct seg){ sel, 0xffff, AR_P | AR_S | AR_TYPE_CODE_RX_A, (uint64_t)sel << 4 };
        data = (struct seg){ 0, 0xffff, AR_P | AR_S | AR_TYPE_DATA_RW_A, 0 };
        rip = s->entry - code.base;
    } else {
        uint32_t cs_mode = s->mode == X86VCPU_MODE_LONG64 ? AR_L : AR_DB;
        code = (struct seg){ 0x08, 0xffffffff,
                             AR_G | cs_mode | AR_P | AR_S | AR_TYPE_CODE_RX_A, 0 };
        data = (struct seg){ 0x10, 0xffffffff, AR_G | AR_DB | AR_P | AR_S | AR_TYPE_DATA_RW_A, 0 };
    }
    struct seg tr = { 0, 0xffff, AR_P | AR_TYPE_TSS_BUSY, 0 };
    struct seg ldtr = { 0, 0, AR_UNUSABLE, 0 };
    WRITE_SEG(v, CS, code, err);
    WRITE_SEG(v, SS, data, err);
    WRITE_SEG(v, DS, data, err);
    WRITE_SEG(v, ES, data, err);
    WRITE_SEG(v, FS, data, err);
    WRITE_SEG(v, GS, data, err);
    WRITE_SEG(v, TR, tr, err);
    WRITE_SEG(v, LDTR, ldtr, err);
    err |= VMWR_CHK(v, W32, GUEST_GDTR_LIMIT, 0xffff);
    err |= VMWR_CHK(v, WNAT, GUEST_GDTR_BASE, 0);
    err |= VMWR_CHK(v, W32, GUEST_IDTR_LIMIT, s->mode == X86VCPU_MODE_REAL ? 0x3ff : 0xffff);
    err |= VMWR_CHK(v, WNAT, GUEST_IDTR_BASE, 0);

    err |= VMWR_CHK(v, WNAT, GUEST_RIP, rip);
    err |= VMWR_CHK(v, WNAT, GUEST_RSP, s->rsp);
    err |= VMWR_CHK(v, WNAT, GUEST_RFLAGS, RFLAGS_FIXED);
    err |= VMWR_CHK(v, W32, GUEST_SYSENTER_CS, 0);
    err |= VMWR_CHK(v, WNAT, GUEST_SYSENTER_ESP, 0);
    err |= VMWR_CHK(v, WNAT, GUEST_SYSENTER_EIP, 0);
    err |= VMWR_CHK(v, W32, GUEST_INTERRUPTIBILITY, 0);
    err |= VMWR_CHK(v, W32, GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
    err |= VMWR_CHK(v, WNAT, GUEST_PENDING_DBG_EXCEPTIONS, 0);
    /* SDM 26.3.1.5: all ones unless VMCS shadowing is in use. */
    err |= VMWR_CHK(v, W64, VMCS_LINK_POINTER, ~0ull);
    return err;
}

/* Controls and guest state from v->setup into the current VMCS; the
 * library's view of the guest (CR8, XCR0, ...) starts over with it. */
static int write_setup(struct x86vcpu_vcpu *v)
{
    int err = negotiate_controls(v);
    if (err)
        return err;
    /* MISC_ENABLE, MTRRs at their start values; hidden MSRs exit. */
    if ((err = x86vcpu__features_setup(v)))
        return err;
    struct initial_crs g = initial_crs(v->setup.mode);
    err |= init_exec_ctrl(v, &g);
    err |= init_exit_ctrl(v);
    err |= init_entry_ctrl(v);
    v->cr8 = 0;
    v->guest_xcr0 = XCR0_X87; /* the reset value (SDM 13.3) */
    v->guest_osxsave = 0;
    v->time_slice = v->setup.time_slice;
    x86vcpu__dr_reset(v);
    err |= init_guest_state(v, &g);
    if (err)
        return err < 0 ? X86VCPU_EVMFAILVALID : err;
    v->setup_dirty = 0;
    return X86VCPU_OK;
}

/* ---------------------------------------------------------- host state */

static uint64_t tss_base(uint64_t gdt_base, uint16_t tr)
{
    /* A 64-bit TSS descriptor spans 16 bytes (SDM 8.2.3). */
    const volatile uint32_t *d = (const volatile uint32_t *)(gdt_base + (tr & ~7u));
    uint64_t base = (d[0] >> 16) | ((uint64_t)(d[1] & 0xff) << 16) |
                    ((uint64_t)(d[1] & 0xff000000u)) | ((uint64_t)d[2] << 32);
    return base;
}

/* Host-state area (SDM 25.5): this CPU's state as the VM exit restores it,
 * landing in entry.S. */
static int init_host_state(struct x86vcpu_vcpu *v)
{
    /* SDM 26.2.3: selectors with RPL/TI set are invalid; CS and TR must be
     * non-null. Report it as a host-state error rather than a VMfail. */
    uint16_t cs = hw_read_cs(), ss = hw_read_ss(), ds = hw_read_ds(), es = hw_read_es(),
             fs = hw_read_fs(), gs = hw_read_gs(), tr = hw_read_tr();
    if (((cs | ss | ds | es | fs | gs | tr) & 7) || !cs || !tr)
        return X86VCPU_EHOSTSTATE;
    struct hw_dtr gdtr = hw_sgdt(), idtr = hw_sidt();
    int err = 0;
    err |= VMWR_CHK(v, WNAT, HOST_CR0, hw_read_cr0());
    err |= VMWR_CHK(v, WNAT, HOST_CR3, hw_read_cr3());
    err |= VMWR_CHK(v, WNAT, HOST_CR4, hw_read_cr4());
    err |= VMWR_CHK(v, W16, HOST_CS_SELECTOR, cs);
    err |= VMWR_CHK(v, W16, HOST_SS_SELECTOR, ss);
    err |= VMWR_CHK(v, W16, HOST_DS_SELECTOR, ds);
    err |= VMWR_CHK(v, W16, HOST_ES_SELECTOR, es);
    err |= VMWR_CHK(v, W16, HOST_FS_SELECTOR, fs);
    err |= VMWR_CHK(v, W16, HOST_GS_SELECTOR, gs);
    err |= VMWR_CHK(v, W16, HOST_TR_SELECTOR, tr);
    err |= VMWR_CHK(v, WNAT, HOST_FS_BASE, hw_rdmsr(MSR_IA32_FS_BASE));
    err |= VMWR_CHK(v, WNAT, HOST_GS_BASE, hw_rdmsr(MSR_IA32_GS_BASE));
    err |= VMWR_CHK(v, WNAT, HOST_TR_BASE, tss_base(gdtr.base, tr));
    err |= VMWR_CHK(v, WNAT, HOST_GDTR_BASE, gdtr.base);
    err |= VMWR_CHK(v, WNAT, HOST_IDTR_BASE, idtr.base);
    err |= VMWR_CHK(v, W32, HOST_SYSENTER_CS, hw_rdmsr(MSR_IA32_SYSENTER_CS));
    err |= VMWR_CHK(v, WNAT, HOST_SYSENTER_ESP, hw_rdmsr(MSR_IA32_SYSENTER_ESP));
    err |= VMWR_CHK(v, WNAT, HOST_SYSENTER_EIP, hw_rdmsr(MSR_IA32_SYSENTER_EIP));
    err |= VMWR_CHK(v, W64, HOST_IA32_EFER, hw_rdmsr(MSR_IA32_EFER));
    if (v->ctl_exit & EXIT_LOAD_PAT)
        err |= VMWR_CHK(v, W64, HOST_IA32_PAT, hw_rdmsr(MSR_IA32_PAT));
    err |= VMWR_CHK(v, WNAT, HOST_RIP, (uint64_t)(uintptr_t)x86vcpu__vmx_exit);
    /* HOST_RSP is written by entry.S; force the first write on this CPU. */
    v->regs.host_rsp = 0;
    return err ? X86VCPU_EVMFAILVALID : X86VCPU_OK;
}

/* Bring the current VMCS up to date: controls and guest state if setup
 * changed them, then host state, whose fields depend on the exit controls. */
int x86vcpu__vmcs_sync(struct x86vcpu_vcpu *v)
{
    int err = v->setup_dirty ? write_setup(v) : X86VCPU_OK;
    return err ? err : init_host_state(v);
}
