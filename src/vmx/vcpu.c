/* vCPU lifecycle: create, setup, bind, unbind, destroy (SDM 24.11, 26.2, 26.3). */
#include "vmx/vcpu.h"
#include "lib/ept.h"

static void *va(const struct x86vcpu_hal *hal, uint64_t pa)
{
    return hal->phys_to_virt(hal->ctx, pa);
}

static void fill_frame(const struct x86vcpu_hal *hal, uint64_t pa, uint8_t byte)
{
    uint64_t pattern = byte * 0x0101010101010101ull;
    volatile uint64_t *p = va(hal, pa);
    for (int i = 0; i < 512; i++)
        p[i] = pattern;
}

int x86vcpu__vmfail(struct x86vcpu_vcpu *v, int status)
{
    if (status == HW_VM_FAIL_VALID) {
        uint64_t e = 0;
        hw_vmread_checked(X86VCPU_VMCS_VM_INSTRUCTION_ERROR, &e);
        v->vm_error = (uint32_t)e;
        return X86VCPU_EVMFAILVALID;
    }
    return status == HW_VM_FAIL_INVALID ? X86VCPU_EVMFAILINVALID : X86VCPU_OK;
}

int x86vcpu__vmwrite_checked(struct x86vcpu_vcpu *v, uint32_t field, uint64_t val)
{
    v->stats.vmwrites++;
    int st = hw_vmwrite_checked(field, val);
    return st ? x86vcpu__vmfail(v, st) : X86VCPU_OK;
}

int x86vcpu_vcpu_create(struct x86vcpu_cpu *cpu, struct x86vcpu_vcpu **out)
{
    if (!cpu || !out)
        return X86VCPU_EINVAL;
    if (!cpu->enabled)
        return X86VCPU_ESTATE;
    const struct x86vcpu_hal *hal = cpu->hal;
    uint64_t pa[6] = { 0 };
    for (int i = 0; i < 6; i++) {
        pa[i] = hal->alloc_frame(hal->ctx);
        if (!pa[i]) {
            while (i--)
                hal->free_frame(hal->ctx, pa[i]);
            return X86VCPU_ENOMEM;
        }
    }
    struct x86vcpu_vcpu *v = va(hal, pa[0]);
    v->self_pa = pa[0];
    v->vmcs_pa = pa[1];
    v->io_bitmap_a_pa = pa[2];
    v->io_bitmap_b_pa = pa[3];
    v->msr_bitmap_pa = pa[4];
    v->guest_fpu_pa = pa[5];
    v->owner = cpu;
    v->hal = hal;
    x86vcpu__xstate_guest_init(v);
    x86vcpu_cpuid_policy_init(&v->cpuid);
    x86vcpu_xstate_layout_init(&v->xstate);
    /* XSAVE layout and supported XCR0 bits (SDM 13.2, CPUID leaf 0xD). */
    if (hw_cpuid(1, 0).ecx & (1u << 26)) {
        struct hw_cpuid d0 = hw_cpuid(0xd, 0);
        v->supported_xcr0 = ((uint64_t)d0.edx << 32) | d0.eax;
        for (uint32_t i = 2; i < 63; i++) {
            if (!(v->supported_xcr0 & (1ull << i)))
                continue;
            struct hw_cpuid d = hw_cpuid(0xd, i);
            x86vcpu_xstate_layout_add(&v->xstate, i, d.ebx, d.eax, (d.ecx >> 1) & 1);
        }
    }
    /* SDM 25.2: the VMCS region starts with the revision identifier. */
    *(volatile uint32_t *)va(hal, v->vmcs_pa) = X86VCPU_BASIC_REVISION(cpu->caps.basic);
    /* Until the embedder opens ports and MSRs, every access exits: the
     * guest never touches real devices or host MSRs by default. */
    fill_frame(hal, v->io_bitmap_a_pa, 0xff);
    fill_frame(hal, v->io_bitmap_b_pa, 0xff);
    fill_frame(hal, v->msr_bitmap_pa, 0xff);
    *out = v;
    return X86VCPU_OK;
}

int x86vcpu_vcpu_destroy(struct x86vcpu_vcpu *v)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (v->cpu)
        return X86VCPU_EBUSY;
    const struct x86vcpu_hal *hal = v->hal;
    uint64_t pa[6] = { v->guest_fpu_pa, v->msr_bitmap_pa, v->io_bitmap_b_pa, v->io_bitmap_a_pa,
                       v->vmcs_pa, v->self_pa };
    for (int i = 0; i < 6; i++)
        hal->free_frame(hal->ctx, pa[i]);
    return X86VCPU_OK;
}

static int sync_vmcs(struct x86vcpu_vcpu *v);

int x86vcpu_vcpu_setup(struct x86vcpu_vcpu *v, const struct x86vcpu_setup *s)
{
    if (!v || !s || s->mode > X86VCPU_MODE_LONG64 || (s->ept_root & 0xfff) ||
        (!s->ept_root && !s->ept))
        return X86VCPU_EINVAL;
    v->setup = *s;
    int err = x86vcpu__smsr_setup(v);
    if (err)
        return err;
    v->have_setup = 1;
    v->setup_dirty = 1;
    v->launched = 0;
    v->pending = PENDING_NONE;
    v->advance_len = 0;
    for (int i = 0; i < 16; i++)
        v->regs.gpr[i] = 0;
    return v->cpu ? sync_vmcs(v) : X86VCPU_OK;
}

/* ------------------------------------------------------------ controls */

static int negotiate_controls(struct x86vcpu_vcpu *v)
{
    const struct x86vcpu_caps *c = &v->owner->caps;
    const struct x86vcpu_setup *s = &v->setup;
    struct x86vcpu_ctls_result r;
    int err;
    int extint = (s->flags & X86VCPU_SETUP_EXIT_ON_EXTINT) != 0;

    uint32_t timer = s->time_slice ? PIN_PREEMPT_TIMER : 0;
    if ((err = x86vcpu_ctls_negotiate(c->pinbased,
                                      PIN_NMI_EXITING | (extint ? PIN_EXTINT_EXITING : 0) | timer,
                                      PIN_VIRTUAL_NMIS, &r)))
        return err;
    v->ctl_pin = r.value;

    /* Every port and MSR goes through the bitmaps; HLT exits so the embedder
     * can schedule. CR3 load/store exiting is not needed with EPT. CR8 is
     * virtual: without a TPR shadow the guest would write the host's TPR. */
    if ((err = x86vcpu_ctls_negotiate(c->procbased,
                                      PROC_HLT_EXITING | PROC_USE_IO_BITMAPS |
                                          PROC_USE_MSR_BITMAPS | PROC_SECONDARY |
                                          PROC_CR8_LOAD | PROC_CR8_STORE,
                                      0, &r)))
        return err;
    v->ctl_proc = r.value;

    /* Real mode needs "unrestricted guest" (SDM 26.3.1.1). Instructions the
     * guest's CPUID advertises must not #UD: enable RDTSCP, INVPCID and
     * XSAVES where the CPU allows it. */
    uint32_t req2 = PROC2_EPT | (s->mode == X86VCPU_MODE_REAL ? PROC2_UNRESTRICTED : 0);
    uint32_t opt2 = PROC2_UNRESTRICTED | PROC2_RDTSCP | PROC2_INVPCID | PROC2_XSAVES;
    /* VPID when asked for and INVVPID can flush it (single or all context,
     * SDM 29.4.3.3); otherwise every entry and exit flushes instead. */
    uint64_t vcap = c->ept_vpid;
    int vpid_ok = s->vpid && !(s->flags & X86VCPU_SETUP_NO_VPID) && (vcap & VPIDCAP_INVVPID) &&
                  (vcap & (VPIDCAP_SINGLE | VPIDCAP_ALL));
    if (vpid_ok)
        opt2 |= PROC2_VPID;
    if ((err = x86vcpu_ctls_negotiate(c->procbased2, req2, opt2, &r)))
        return err;
    v->ctl_proc2 = r.value;
    v->vpid = (v->ctl_proc2 & PROC2_VPID) ? s->vpid : 0;

    if ((err = x86vcpu_ctls_negotiate(c->exit,
                                      EXIT_HOST_ADDR64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER |
                                          (extint ? EXIT_ACK_INTR : 0),
                                      EXIT_SAVE_PAT | EXIT_LOAD_PAT | (timer ? EXIT_SAVE_PREEMPT : 0),
                                      &r)))
        return err;
    v->ctl_exit = r.value;

    if ((err = x86vcpu_ctls_negotiate(c->entry,
                                      ENTRY_LOAD_EFER |
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

int x86vcpu__write_controls_and_guest(struct x86vcpu_vcpu *v)
{
    const struct x86vcpu_caps *c = &v->owner->caps;
    const struct x86vcpu_setup *s = &v->setup;
    int err = negotiate_controls(v);
    if (err)
        return err;
    int unrestricted = (v->ctl_proc2 & PROC2_UNRESTRICTED) != 0;

    /* Control fields (SDM 25.6-25.8). Fields without a defined reset value
     * after VMCLEAR are all written. */
    err |= VMWR_CHK(v, W32, PIN_BASED_CTLS, v->ctl_pin);
    err |= VMWR_CHK(v, W32, PROC_BASED_CTLS, v->ctl_proc);
    err |= VMWR_CHK(v, W32, PROC_BASED_CTLS2, v->ctl_proc2);
    err |= VMWR_CHK(v, W32, EXIT_CTLS, v->ctl_exit);
    err |= VMWR_CHK(v, W32, ENTRY_CTLS, v->ctl_entry);
    err |= VMWR_CHK(v, W32, EXCEPTION_BITMAP, 0);
    err |= VMWR_CHK(v, W32, PAGE_FAULT_ERRCODE_MASK, 0);
    err |= VMWR_CHK(v, W32, PAGE_FAULT_ERRCODE_MATCH, 0);
    err |= VMWR_CHK(v, W32, CR3_TARGET_COUNT, 0);
    err |= VMWR_CHK(v, W32, EXIT_MSR_STORE_COUNT, 0);
    err |= VMWR_CHK(v, W32, EXIT_MSR_LOAD_COUNT, 0);
    err |= VMWR_CHK(v, W32, ENTRY_MSR_LOAD_COUNT, 0);
    err |= VMWR_CHK(v, W32, ENTRY_INTR_INFO, 0);
    err |= VMWR_CHK(v, W64, IO_BITMAP_A, v->io_bitmap_a_pa);
    err |= VMWR_CHK(v, W64, IO_BITMAP_B, v->io_bitmap_b_pa);
    err |= VMWR_CHK(v, W64, MSR_BITMAP, v->msr_bitmap_pa);
    err |= VMWR_CHK(v, W64, TSC_OFFSET, 0);
    /* EPTP (SDM 25.6.11): WB (6) in bits 2:0, walk length - 1 in bits 5:3. */
    v->eptp = s->ept ? x86vcpu_ept_pointer(s->ept) : x86vcpu_eptp(s->ept_root, 0);
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
    uint64_t cr0_mask = x86vcpu_cr0_pinned_mask(c->cr0_fixed0, c->cr0_fixed1, unrestricted);
    /* Without IA32_VMX_MISC[5] a VM exit does not store EFER.LMA into the
     * IA-32e-mode-guest control (SDM A.6): keep PG host-owned so every
     * paging switch exits and cr.c updates LMA and the control itself. */
    if (!(c->misc & (1u << 5)))
        cr0_mask |= CR0_PG;
    uint64_t cr4_mask = x86vcpu_cr_pinned_mask(c->cr4_fixed0, c->cr4_fixed1) | CR4_OSXSAVE |
                        x86vcpu_cr4_reserved_mask(&cpuctx);
    v->cr0_mask = cr0_mask;
    v->cr4_mask = cr4_mask;
    v->cr8 = 0;
    v->guest_xcr0 = 1; /* x87 only, the reset value (SDM 13.3) */
    v->guest_osxsave = 0;
    v->time_slice = s->time_slice;
    uint64_t cr0_guest, cr4_guest = 0, efer = 0;
    switch (s->mode) {
    case X86VCPU_MODE_REAL: cr0_guest = CR0_ET; break;
    case X86VCPU_MODE_PROT32: cr0_guest = CR0_ET | CR0_PE; break;
    default:
        cr0_guest = CR0_ET | CR0_PE | CR0_PG;
        cr4_guest = CR4_PAE;
        efer = EFER_LME | EFER_LMA;
        break;
    }
    uint64_t cr0 = (cr0_guest | c->cr0_fixed0) & c->cr0_fixed1;
    if (unrestricted)
        cr0 = (cr0 & ~(CR0_PE | CR0_PG)) | (cr0_guest & (CR0_PE | CR0_PG));
    uint64_t cr4 = (cr4_guest | c->cr4_fixed0) & c->cr4_fixed1;
    err |= VMWR_CHK(v, WNAT, CR0_GUEST_HOST_MASK, cr0_mask);
    err |= VMWR_CHK(v, WNAT, CR0_READ_SHADOW, cr0_guest);
    err |= VMWR_CHK(v, WNAT, CR4_GUEST_HOST_MASK, cr4_mask);
    err |= VMWR_CHK(v, WNAT, CR4_READ_SHADOW, cr4_guest);
    err |= VMWR_CHK(v, WNAT, GUEST_CR0, cr0);
    err |= VMWR_CHK(v, WNAT, GUEST_CR3, s->mode == X86VCPU_MODE_LONG64 ? s->cr3 : 0);
    err |= VMWR_CHK(v, WNAT, GUEST_CR4, cr4);
    err |= VMWR_CHK(v, W64, GUEST_IA32_EFER, efer);
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
    err |= VMWR_CHK(v, W32, GUEST_ACTIVITY_STATE, 0);
    err |= VMWR_CHK(v, WNAT, GUEST_PENDING_DBG_EXCEPTIONS, 0);
    /* SDM 26.3.1.5: all ones unless VMCS shadowing is in use. */
    err |= VMWR_CHK(v, W64, VMCS_LINK_POINTER, ~0ull);
    if (v->ctl_pin & PIN_PREEMPT_TIMER)
        err |= VMWR_CHK(v, W32, PREEMPTION_TIMER_VALUE, s->time_slice);
    /* With XSAVES enabled this field exists and has no reset value: no
     * XSAVES/XRSTORS exits (IA32_XSS is the guest's own). SDM 25.6.20. */
    if (v->ctl_proc2 & PROC2_XSAVES)
        err |= VMWR_CHK(v, W64, XSS_EXITING_BITMAP, 0);

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

static int write_host_state(struct x86vcpu_vcpu *v)
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
static int sync_vmcs(struct x86vcpu_vcpu *v)
{
    int err = v->setup_dirty ? x86vcpu__write_controls_and_guest(v) : X86VCPU_OK;
    return err ? err : write_host_state(v);
}

int x86vcpu_vcpu_bind(struct x86vcpu_vcpu *v, struct x86vcpu_cpu *cpu)
{
    if (!v || !cpu)
        return X86VCPU_EINVAL;
    if (!cpu->enabled)
        return X86VCPU_ESTATE;
    if (v->cpu)
        return v->cpu == cpu ? X86VCPU_OK : X86VCPU_EBUSY;
    if (cpu->current)
        return X86VCPU_EBUSY;
    int st = hw_vmptrld(v->vmcs_pa);
    if (st)
        return x86vcpu__vmfail(v, st);
    v->cpu = cpu;
    cpu->current = v;
    int err = v->have_setup ? sync_vmcs(v) : X86VCPU_OK;
    /* This VPID may have run here before (migration): its cached
     * translations are stale (SDM 29.4.3.3). */
    if (!err)
        err = x86vcpu_vcpu_flush_tlb(v);
    if (err) {
        hw_vmclear(v->vmcs_pa);
        v->launched = 0;
        cpu->current = 0;
        v->cpu = 0;
    }
    return err;
}

int x86vcpu_vcpu_unbind(struct x86vcpu_vcpu *v)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (!v->cpu)
        return X86VCPU_ESTATE;
    if (v->cpu->current != v)
        return X86VCPU_ESTATE;
    /* SDM 24.11.3: VMCLEAR writes the VMCS back to memory and makes it
     * "clear", so it can be loaded on another CPU (then VMLAUNCH again). */
    int st = hw_vmclear(v->vmcs_pa);
    if (st)
        return x86vcpu__vmfail(v, st);
    v->launched = 0;
    v->cpu->current = 0;
    v->cpu = 0;
    return X86VCPU_OK;
}

/* ------------------------------------------------------------ EPT */

int x86vcpu_vcpu_flush_ept(struct x86vcpu_vcpu *v)
{
    if (!v || !v->have_setup)
        return X86VCPU_EINVAL;
    return x86vcpu__invept(&v->owner->caps, v->eptp);
}

int x86vcpu_vcpu_flush_tlb(struct x86vcpu_vcpu *v)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (!v->vpid)
        return X86VCPU_OK;
    uint64_t cap = v->owner->caps.ept_vpid;
    int st = (cap & VPIDCAP_SINGLE) ? hw_invvpid(1, v->vpid, 0) : hw_invvpid(2, 0, 0);
    return st ? X86VCPU_EVMFAILVALID : X86VCPU_OK;
}

/* ------------------------------------------------------------ CPUID */

int x86vcpu_cpuid_override(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                           const uint32_t set[4], const uint32_t clear[4])
{
    if (!v)
        return X86VCPU_EINVAL;
    return x86vcpu_cpuid_policy_set(&v->cpuid, leaf, subleaf, set, clear);
}

int x86vcpu_cpuid_set_vendor(struct x86vcpu_vcpu *v, const char vendor[12])
{
    if (!v || !vendor)
        return X86VCPU_EINVAL;
    for (int i = 0; i < 12; i++)
        v->cpuid.vendor[i] = vendor[i];
    return X86VCPU_OK;
}

/* ------------------------------------------------------------ accessors */

uint64_t x86vcpu_get_gpr(const struct x86vcpu_vcpu *v, enum x86vcpu_gpr r)
{
    if (r == X86VCPU_RSP)
        return v->cpu ? hw_vmread(X86VCPU_VMCS_GUEST_RSP) : 0;
    return (unsigned)r < 16 ? v->regs.gpr[r] : 0;
}

void x86vcpu_set_gpr(struct x86vcpu_vcpu *v, enum x86vcpu_gpr r, uint64_t val)
{
    if (r == X86VCPU_RSP) {
        if (v->cpu)
            VMWR(v, WNAT, GUEST_RSP, val);
        return;
    }
    if ((unsigned)r < 16)
        v->regs.gpr[r] = val;
}

uint32_t x86vcpu_vcpu_vm_error(const struct x86vcpu_vcpu *v)
{
    return v->vm_error;
}

const struct x86vcpu_stats *x86vcpu_vcpu_stats(const struct x86vcpu_vcpu *v)
{
    return &v->stats;
}

static int bound_here(struct x86vcpu_vcpu *v)
{
    return v && v->cpu && v->cpu->current == v;
}

int x86vcpu__vmcs_read(struct x86vcpu_vcpu *v, uint32_t field, uint64_t *val)
{
    if (!bound_here(v) || !val)
        return X86VCPU_ESTATE;
    v->stats.vmreads++;
    int st = hw_vmread_checked(field, val);
    return st ? x86vcpu__vmfail(v, st) : X86VCPU_OK;
}

int x86vcpu__vmcs_write(struct x86vcpu_vcpu *v, uint32_t field, uint64_t val)
{
    if (!bound_here(v))
        return X86VCPU_ESTATE;
    return x86vcpu__vmwrite_checked(v, field, val);
}

/* Bound here with its guest state in the VMCS: guest fields can be read
 * and written. */
static int runnable_here(struct x86vcpu_vcpu *v)
{
    return bound_here(v) && v->have_setup && !v->setup_dirty;
}

/* HLT activity state (SDM 25.4.2): the CPU itself waits for a wake-up
 * event in VMX non-root operation; the host neither spins nor halts.
 * Entry requires SS.DPL = 0 (SDM 26.3.1.5), which a guest that executed
 * HLT satisfies; IA32_VMX_MISC[6] says the state is supported. */
int x86vcpu_halt(struct x86vcpu_vcpu *v)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (!runnable_here(v))
        return X86VCPU_ESTATE;
    if (!(v->owner->caps.misc & (1u << 6)))
        return X86VCPU_ENOTSUP;
    if ((VMRD(v, W32, GUEST_SS_AR) >> 5) & 3)
        return X86VCPU_ESTATE;
    VMWR(v, W32, GUEST_ACTIVITY_STATE, 1);
    v->halt_armed = 1;
    return X86VCPU_OK;
}

int x86vcpu_get_rip(struct x86vcpu_vcpu *v, uint64_t *rip)
{
    if (!v || !rip)
        return X86VCPU_EINVAL;
    if (!runnable_here(v))
        return X86VCPU_ESTATE;
    *rip = VMRD(v, WNAT, GUEST_RIP);
    return X86VCPU_OK;
}

int x86vcpu_get_rflags(struct x86vcpu_vcpu *v, uint64_t *rflags)
{
    if (!v || !rflags)
        return X86VCPU_EINVAL;
    if (!runnable_here(v))
        return X86VCPU_ESTATE;
    *rflags = VMRD(v, WNAT, GUEST_RFLAGS);
    return X86VCPU_OK;
}
