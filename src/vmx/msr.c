/* RDMSR/WRMSR exits (SDM 26.1.3). MSRs whose guest value lives in the VMCS
 * (EFER, FS/GS base, SYSENTER, PAT) are handled here; any other MSR becomes
 * an exit for the embedder, which completes it with a value or a #GP. */
#include "vmx/vcpu.h"
#include "lib/bitmap.h"

static int canonical(uint64_t a)
{
    /* 48-bit linear addresses; 57-bit (LA57) is hidden from guests. */
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

static int pat_valid(uint64_t pat)
{
    /* Each entry must be UC, WC, WT, WP, WB or UC- (SDM 13.12.2). */
    for (int i = 0; i < 8; i++) {
        uint8_t t = (uint8_t)(pat >> (8 * i));
        if (t == 2 || t == 3 || t > 7)
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------ syscall MSRs */
/* Guest MSRs switched at run() boundaries where guest and host differ. */
#define MSR_IA32_XSS 0xda0u
static const uint32_t smsr_index[X86VCPU_SWITCHED_MSRS] = {
    0xc0000081u, /* STAR */
    0xc0000082u, /* LSTAR */
    0xc0000083u, /* CSTAR */
    0xc0000084u, /* SFMASK */
    0xc0000102u, /* KERNEL_GS_BASE */
    0xc0000103u, /* TSC_AUX */
    MSR_IA32_XSS, /* supervisor state for XSAVES (switched even when sharing) */
};

/* IA32_XSS exists when CPUID.(0DH,1):EAX[3] (XSAVES) is set. */
static int has_xss(void)
{
    return (hw_cpuid(1, 0).ecx & CPUID1_ECX_XSAVE) && (hw_cpuid(0xd, 1).eax & CPUID_D1_EAX_XSAVES);
}

static int smsr_active(const struct x86vcpu_vcpu *v, int i)
{
    return (v->smsr_active >> i) & 1;
}

static int smsr_slot(const struct x86vcpu_vcpu *v, uint32_t msr)
{
    for (int i = 0; i < X86VCPU_SWITCHED_MSRS; i++)
        if (smsr_index[i] == msr)
            return smsr_active(v, i) ? i : -1;
    return -1;
}

int x86vcpu__smsr_setup(struct x86vcpu_vcpu *v)
{
    v->has_xss = has_xss();
    v->smsr_active = (v->setup.flags & X86VCPU_SETUP_SHARE_SYSCALL_MSRS) ? 0 : 0x3f;
    if (v->has_xss)
        v->smsr_active |= 1u << SMSR_XSS;
    if (v->has_xss) {
        struct hw_cpuid d1 = hw_cpuid(0xd, 1);
        /* Only the components whose state the library keeps per vCPU:
         * anything else XRSTORS could load would stay in the host's
         * hardware (Intel PT, CET...). */
        v->supported_xss = (((uint64_t)d1.edx << 32) | d1.ecx) & X86VCPU_XSS_VIRTUALIZED;
    }
    for (int i = 0; i < X86VCPU_SWITCHED_MSRS; i++) {
        v->smsr_guest[i] = 0; /* reset values (XSS: SDM 13.3) */
        /* Reads need no exit: the guest's value is in the hardware while
         * it runs (in a bitmap of this vCPU alone: x86vcpu_vcpu_create_in).
         * Writes exit so the library always knows it. */
        int err = x86vcpu__msr_bitmap_set(v->hal->phys_to_virt(v->hal->ctx, v->msr_bitmap_pa),
                                          smsr_index[i],
                                          !(smsr_active(v, i) && x86vcpu__msr_bitmap_private(v)),
                                          1);
        if (err)
            return err;
    }
    v->smsr_loaded = 0;
    /* Set up while bound: the active set may have changed. */
    if (v->cpu)
        x86vcpu__smsr_host_capture(v);
    return X86VCPU_OK;
}

/* The host's values, read once per bind (x86vcpu_vcpu_bind) rather than at
 * every run() entry (issue 15: 6 RDMSRs per round trip). STAR, LSTAR, CSTAR,
 * FMASK, TSC_AUX and XSS are set by a host kernel at boot, per CPU, and
 * bind is per CPU: KVM likewise takes them once per vcpu_load
 * (kvm_set_user_return_msr records the host value at the first switch
 * and restores it on return to user space). KERNEL_GS_BASE is not one of
 * them: the host's own SWAPGS changes it (SDM Vol. 2, SWAPGS), so an
 * embedder calling run() from a syscall path holds another value each
 * time; it stays read per entry (KVM reads it in
 * vmx_prepare_switch_to_guest for the same reason). Must run with the
 * host's values in the hardware: outside run(). */
void x86vcpu__smsr_host_capture(struct x86vcpu_vcpu *v)
{
    v->smsr_differ = 0;
    for (uint32_t act = v->smsr_active & ~(1u << SMSR_KGS); act; act &= act - 1) {
        int i = __builtin_ctz(act);
        v->smsr_host[i] = hw_rdmsr(smsr_index[i]);
        if (v->smsr_host[i] != v->smsr_guest[i])
            v->smsr_differ |= 1u << i;
    }
}

/* A second vCPU joined the VM (vcpu.c msr_bitmap_share): the reads a
 * vCPU's setup opened in its then private bitmap exit again, each vCPU's
 * own value answered by msr.c. Writes always exit. */
void x86vcpu__smsr_bitmap_shared(void *msr_bitmap)
{
    for (int i = 0; i < X86VCPU_SWITCHED_MSRS; i++)
        x86vcpu__msr_bitmap_set(msr_bitmap, smsr_index[i], 1, 1);
}

/* At run() entry: the guest's values in, only where they differ. Which
 * differ is known without a compare per MSR (issue 15: the loop over the
 * seven cost 71 instructions per round trip): smsr_differ changes only
 * with the host's values (x86vcpu__smsr_host_capture) and the guest's
 * (smsr_write; setup, whose capture follows). KERNEL_GS_BASE alone is
 * read and compared here: both sides change it without the library
 * (the host's SWAPGS; the guest's SWAPGS, read back at smsr_exit). */
void x86vcpu__smsr_enter(struct x86vcpu_vcpu *v)
{
    uint32_t load = v->smsr_differ;
    if (v->smsr_active & (1u << SMSR_KGS)) {
        uint64_t host = v->smsr_host[SMSR_KGS] = hw_rdmsr(smsr_index[SMSR_KGS]);
        if (host != v->smsr_guest[SMSR_KGS])
            load |= 1u << SMSR_KGS;
    }
    v->smsr_loaded = load;
    for (; load; load &= load - 1) {
        int i = __builtin_ctz(load);
        hw_wrmsr(smsr_index[i], v->smsr_guest[i]);
        v->stats.msr_switches++;
    }
}

/* On the way out to the embedder: the host's values back where they differ.
 * KERNEL_GS_BASE first: SWAPGS exchanges it with GS.base without an exit
 * (SDM Vol. 2, SWAPGS), so the hardware's value is the guest's now, even
 * when guest and host were equal at entry (found by the guest fuzzer). */
void x86vcpu__smsr_exit(struct x86vcpu_vcpu *v)
{
    if (smsr_active(v, SMSR_KGS)) {
        v->smsr_guest[SMSR_KGS] = hw_rdmsr(smsr_index[SMSR_KGS]);
        if (v->smsr_guest[SMSR_KGS] != v->smsr_host[SMSR_KGS])
            v->smsr_loaded |= 1u << SMSR_KGS;
    }
    for (int i = 0; v->smsr_loaded && i < X86VCPU_SWITCHED_MSRS; i++) {
        if (v->smsr_loaded & (1u << i)) {
            hw_wrmsr(smsr_index[i], v->smsr_host[i]);
            v->stats.msr_switches++;
        }
    }
    v->smsr_loaded = 0;
}

/* A guest WRMSR to a syscall MSR: 0, or the vector to inject. */
static int smsr_write(struct x86vcpu_vcpu *v, int i, uint64_t val)
{
    uint32_t msr = smsr_index[i];
    /* LSTAR, CSTAR and KERNEL_GS_BASE hold addresses; bits 63:32 of FMASK
     * and TSC_AUX are reserved (SDM Vol. 4, Table 2-2), and WRMSR #GPs on
     * a reserved bit (Vol. 2, WRMSR). The rule is kept where a CPU model
     * ignores it (Bochs 2.7 takes FMASK[63:32] silently: an intended
     * difference, the guest fuzzer's nofmaskhi), as the value goes to the
     * host's WRMSR below: one the CPU may refuse must never reach it. */
    if ((msr == 0xc0000082u || msr == 0xc0000083u || msr == 0xc0000102u) && !canonical(val))
        return X86VCPU_VEC_GP;
    if ((msr == 0xc0000084u || msr == 0xc0000103u) && (val >> 32))
        return X86VCPU_VEC_GP;
    /* IA32_XSS: only supervisor components the CPU supports (SDM 13.3). */
    if (msr == MSR_IA32_XSS && (val & ~v->supported_xss))
        return X86VCPU_VEC_GP;
    v->smsr_guest[i] = val;
    /* The guest's values are live while run() loops: write it now. */
    hw_wrmsr(msr, val);
    if (val != v->smsr_host[i])
        v->smsr_loaded |= 1u << i;
    else
        v->smsr_loaded &= ~(1u << i);
    if (i != SMSR_KGS) /* compared at each entry instead */
        v->smsr_differ = (v->smsr_differ & ~(1u << i)) | (v->smsr_loaded & (1u << i));
    return 0;
}

/* Returns 1 when the MSR is one of ours (value in *val), 0 otherwise. */
static int builtin_read(struct x86vcpu_vcpu *v, uint32_t msr, uint64_t *val)
{
    switch (msr) {
    case MSR_IA32_EFER: *val = VMRD(v, W64, GUEST_IA32_EFER); return 1;
    case MSR_IA32_FS_BASE: *val = VMRD(v, WNAT, GUEST_FS_BASE); return 1;
    case MSR_IA32_GS_BASE: *val = VMRD(v, WNAT, GUEST_GS_BASE); return 1;
    case MSR_IA32_SYSENTER_CS: *val = VMRD(v, W32, GUEST_SYSENTER_CS); return 1;
    case MSR_IA32_SYSENTER_ESP: *val = VMRD(v, WNAT, GUEST_SYSENTER_ESP); return 1;
    case MSR_IA32_SYSENTER_EIP: *val = VMRD(v, WNAT, GUEST_SYSENTER_EIP); return 1;
    case MSR_IA32_PAT:
        if (!(v->ctl_entry & ENTRY_LOAD_PAT))
            return 0;
        *val = VMRD(v, W64, GUEST_IA32_PAT);
        return 1;
    default: {
        int i = smsr_slot(v, msr);
        if (i < 0)
            return 0;
        *val = v->smsr_guest[i]; /* reached only if the embedder intercepts reads */
        return 1;
    }
    }
}

/* Returns -1 when not ours, 0 when written, or the vector to inject. */
static int builtin_write(struct x86vcpu_vcpu *v, uint32_t msr, uint64_t val)
{
    switch (msr) {
    case MSR_IA32_EFER: {
        /* SDM 2.2.1: SCE, LME, NXE (if CPUID.80000001H:EDX[20]) writable; LMA
         * is read-only; LME cannot change while paging is on. */
        uint64_t cur = VMRD(v, W64, GUEST_IA32_EFER);
        uint64_t ok = EFER_SCE | EFER_LME | EFER_LMA;
        if (hw_cpuid(0x80000001u, 0).edx & CPUID_80000001_EDX_NX)
            ok |= EFER_NXE;
        if (val & ~ok)
            return X86VCPU_VEC_GP;
        if (((val ^ cur) & EFER_LME) && (x86vcpu__guest_cr0(v) & CR0_PG))
            return X86VCPU_VEC_GP;
        VMWR(v, W64, GUEST_IA32_EFER, (val & ~EFER_LMA) | (cur & EFER_LMA));
        return 0;
    }
    case MSR_IA32_FS_BASE:
    case MSR_IA32_GS_BASE:
    case MSR_IA32_SYSENTER_ESP:
    case MSR_IA32_SYSENTER_EIP:
        if (!canonical(val))
            return X86VCPU_VEC_GP;
        if (msr == MSR_IA32_FS_BASE)
            VMWR(v, WNAT, GUEST_FS_BASE, val);
        else if (msr == MSR_IA32_GS_BASE)
            VMWR(v, WNAT, GUEST_GS_BASE, val);
        else if (msr == MSR_IA32_SYSENTER_ESP)
            VMWR(v, WNAT, GUEST_SYSENTER_ESP, val);
        else
            VMWR(v, WNAT, GUEST_SYSENTER_EIP, val);
        return 0;
    case MSR_IA32_SYSENTER_CS:
        VMWR(v, W32, GUEST_SYSENTER_CS, (uint32_t)val);
        return 0;
    case MSR_IA32_PAT:
        if (!(v->ctl_entry & ENTRY_LOAD_PAT))
            return -1;
        if (!pat_valid(val))
            return X86VCPU_VEC_GP;
        VMWR(v, W64, GUEST_IA32_PAT, val);
        return 0;
    default: {
        int i = smsr_slot(v, msr);
        return i < 0 ? -1 : smsr_write(v, i, val);
    }
    }
}

/* RDMSR/WRMSR exits: the MSR is in ECX, a WRMSR's value in EDX:EAX. The
 * library's own MSRs complete (or fault) here; the others go to the
 * embedder, and the instruction completes on the next run unless the
 * embedder faults it (x86vcpu_complete_msr_fault). */
static int msr_exit(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e, int write)
{
    uint64_t *g = v->regs.gpr;
    uint32_t msr = (uint32_t)g[X86VCPU_RCX];
    uint64_t val = ((g[X86VCPU_RDX] & 0xffffffffu) << 32) | (g[X86VCPU_RAX] & 0xffffffffu);
    /* MSRs that follow from CPUID (guest_cpuid.c): a hidden feature's
     * #GP; MISC_ENABLE, the MTRRs and MCG_* are kept per vCPU. */
    if (x86vcpu__cpuid_msr_exit(v, msr, write, val))
        return 1;
    /* The virtual local APIC's MSRs (lapic.c), when it is on. */
    if (v->lapic.on && x86vcpu__lapic_msr_exit(v, msr, write, val) >= 0)
        return 1;
    /* IA32_TSC and IA32_TSC_ADJUST (tsc.c): -1 not theirs, 0 done, a vector. */
    int t = x86vcpu__tsc_msr(v, msr, write, &val);
    if (!write && t > 0) {
        x86vcpu__inject_exception(v, (uint32_t)t, 1, 0);
        return 1;
    }
    if (!write && (t == 0 || builtin_read(v, msr, &val))) {
        g[X86VCPU_RAX] = (uint32_t)val;
        g[X86VCPU_RDX] = val >> 32;
        x86vcpu__skip_current(v);
        return 1;
    }
    if (write) {
        int r = t >= 0 ? t : builtin_write(v, msr, val);
        if (r >= 0) {
            if (r)
                x86vcpu__inject_exception(v, (uint32_t)r, 1, 0);
            else
                x86vcpu__skip_current(v);
            return 1;
        }
    }
    e->kind = write ? X86VCPU_EXIT_MSR_WRITE : X86VCPU_EXIT_MSR_READ;
    e->reason = write ? X86VCPU_EXIT_REASON_WRMSR : X86VCPU_EXIT_REASON_RDMSR;
    e->qualification = 0;
    e->rip = VMRD(v, WNAT, GUEST_RIP);
    e->instr_len = (uint32_t)VMRD(v, W32, EXIT_INSTR_LEN);
    e->u.msr.index = msr;
    e->u.msr.value = write ? val : 0;
    v->pending = write ? PENDING_MSR_WRITE : PENDING_MSR_READ;
    x86vcpu__skip_on_next_run(v, e->rip, e->instr_len);
    return 0;
}

int x86vcpu__exit_rdmsr(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    return msr_exit(v, e, 0);
}

int x86vcpu__exit_wrmsr(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    return msr_exit(v, e, 1);
}

static int msr_pending(struct x86vcpu_vcpu *v, uint32_t kind)
{
    return v && v->pending == kind;
}

int x86vcpu_complete_msr_read(struct x86vcpu_vcpu *v, uint64_t value)
{
    if (!msr_pending(v, PENDING_MSR_READ))
        return X86VCPU_ESTATE;
    v->regs.gpr[X86VCPU_RAX] = (uint32_t)value;
    v->regs.gpr[X86VCPU_RDX] = value >> 32;
    v->pending = PENDING_NONE;
    return X86VCPU_OK;
}

int x86vcpu_complete_msr_write(struct x86vcpu_vcpu *v)
{
    if (!msr_pending(v, PENDING_MSR_WRITE))
        return X86VCPU_ESTATE;
    v->pending = PENDING_NONE;
    return X86VCPU_OK;
}

int x86vcpu_complete_msr_fault(struct x86vcpu_vcpu *v)
{
    if (!msr_pending(v, PENDING_MSR_READ) && !msr_pending(v, PENDING_MSR_WRITE))
        return X86VCPU_ESTATE;
    v->pending = PENDING_MSR_FAULT;
    return X86VCPU_OK;
}

int x86vcpu_msr_intercept(struct x86vcpu_vcpu *v, uint32_t msr, int read, int write)
{
    if (!v)
        return X86VCPU_EINVAL;
    /* Passing through an MSR the VMCS switches (EFER, PAT, SYSENTER, FS/GS
     * base) is safe: the hardware keeps the guest's value in the VMCS. */
    x86vcpu__tsc_intercept_filter(msr, &read, &write);
    /* The virtual APIC's MSRs are its own (lapic.c): never the host's,
     * for any vCPU sharing the bitmap. */
    if (x86vcpu__vlapic_is_msr(msr) && x86vcpu__vm_lapic_on(v))
        return X86VCPU_EINVAL;
    return x86vcpu__msr_bitmap_set(v->hal->phys_to_virt(v->hal->ctx, v->msr_bitmap_pa), msr,
                                   read, write);
}

/* The embedder changed its own syscall MSRs while bound: take them again. */
int x86vcpu_vcpu_host_msrs_changed(struct x86vcpu_vcpu *v)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (!v->cpu)
        return X86VCPU_ESTATE;
    x86vcpu__smsr_host_capture(v);
    return X86VCPU_OK;
}
