/* The guest's CPUID: the CPUID exit, the guest's view of a leaf (the host's
 * answer through the vCPU's policy, src/lib/cpuid_policy.c) and the
 * embedder's calls that change the policy. */
#include "vmx/vcpu.h"
#include "lib/bitmap.h"

/* The guest's view of one CPUID leaf: the host's answer through the
 * vCPU's policy (VMX hidden, hypervisor leaves, OSXSAVE and leaf 0xD from
 * the guest's CR4 and XCR0, the embedder's overrides). */
void x86vcpu__guest_cpuid_cr4(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                              uint64_t guest_cr4, struct x86vcpu_cpuid_regs *r)
{
    struct hw_cpuid h = { 0, 0, 0, 0 };
    const struct x86vcpu_xstate_layout *layout = &v->xstate;
    if (!x86vcpu__cpuid_is_hv_leaf(leaf)) {
        /* A leaf past the highest basic or extended one returns the
         * highest basic leaf's data (Vol. 2A CPUID): filter it as that. */
        if (!v->cpuid.max_basic) {
            v->cpuid.max_basic = hw_cpuid(0, 0).eax;
            v->cpuid.max_ext = hw_cpuid(0x80000000u, 0).eax;
        }
        leaf = x86vcpu__cpuid_effective_leaf(leaf, v->cpuid.max_basic, v->cpuid.max_ext);
    }
    if (leaf == 0xd && v->cpu->xsave_size && v->guest_xcr0 != v->loaded_xcr0) {
        /* Leaf 0xD describes the XCR0 in force: ask the CPU itself under
         * the guest's XCR0 (exact on any CPU), rather than computing it. */
        hw_xsetbv(0, v->guest_xcr0);
        h = hw_cpuid(leaf, subleaf);
        hw_xsetbv(0, v->loaded_xcr0);
        layout = 0;
    } else if (!x86vcpu__cpuid_is_hv_leaf(leaf)) {
        h = hw_cpuid(leaf, subleaf);
        if (leaf == 0xd && v->cpu->xsave_size)
            layout = 0; /* the guest's XCR0 is in force: the CPU's answer stands */
    }
    *r = (struct x86vcpu_cpuid_regs){ h.eax, h.ebx, h.ecx, h.edx };
    x86vcpu__cpuid_policy_apply(&v->cpuid, leaf, subleaf, guest_cr4, v->guest_xcr0,
                                v->smsr_guest[SMSR_XSS], layout, r);
    x86vcpu__tsc_cpuid_apply(v, leaf, r); /* TSC frequency leaves (tsc.c) */
    /* Supervisor components the guest may not enable are not there
     * (IA32_XSS, msr.c): neither in 0DH.1:ECX/EDX nor as sub-leaves. */
    if (leaf == 0xd && subleaf == 1) {
        r->ecx &= (uint32_t)X86VCPU_XSS_VIRTUALIZED;
        r->edx &= (uint32_t)(X86VCPU_XSS_VIRTUALIZED >> 32);
    } else if (leaf == 0xd && subleaf >= 2 && subleaf < 64 && (r->ecx & 1) &&
               !((X86VCPU_XSS_VIRTUALIZED >> subleaf) & 1)) {
        *r = (struct x86vcpu_cpuid_regs){ 0, 0, 0, 0 };
    }
    /* Intel reports SYSCALL/SYSRET (80000001H:EDX[11]) only to CPUID
     * executed in 64-bit mode; the host ran it in 64-bit mode. */
    if (leaf == 0x80000001u && (r->edx & CPUID_80000001_EDX_SYSCALL) &&
        !((VMRD(v, W64, GUEST_IA32_EFER) & EFER_LMA) && (VMRD(v, W32, GUEST_CS_AR) & AR_L)))
        r->edx &= ~CPUID_80000001_EDX_SYSCALL;
}

/* The guest-visible feature leaves before any guest state exists (setup):
 * guest CR4 and XCR0 at their reset values. */
void x86vcpu__guest_cpuid_static(struct x86vcpu_vcpu *v, uint32_t leaf,
                                 struct x86vcpu_cpuid_regs *r)
{
    x86vcpu__guest_cpuid_cr4(v, leaf, 0, 0, r);
}

/* CPUID exit (SDM 26.1.2: CPUID always exits). */
int x86vcpu__exit_cpuid(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    (void)e;
    uint64_t *g = v->regs.gpr;
    uint32_t leaf = (uint32_t)g[X86VCPU_RAX];
    struct x86vcpu_cpuid_regs r;
    /* Only leaves 1 (OSXSAVE) and 7 (OSPKE) depend on the guest's CR4:
     * the others need not read it. */
    uint64_t cr4 = (leaf == 1 || leaf == 7) ? x86vcpu__guest_cr4(v) : 0;
    x86vcpu__guest_cpuid_cr4(v, leaf, (uint32_t)g[X86VCPU_RCX], cr4, &r);
    /* CPUID writes the 32-bit registers, zero-extending into RAX..RDX. */
    g[X86VCPU_RAX] = r.eax;
    g[X86VCPU_RBX] = r.ebx;
    g[X86VCPU_RCX] = r.ecx;
    g[X86VCPU_RDX] = r.edx;
    x86vcpu__skip_current(v);
    return 1;
}

int x86vcpu_cpuid_override(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                           const uint32_t set[4], const uint32_t clear[4])
{
    if (!v)
        return X86VCPU_EINVAL;
    return x86vcpu__cpuid_policy_set(&v->cpuid, leaf, subleaf, set, clear);
}

int x86vcpu_cpuid_set_vendor(struct x86vcpu_vcpu *v, const char vendor[12])
{
    if (!v || !vendor)
        return X86VCPU_EINVAL;
    for (int i = 0; i < 12; i++)
        v->cpuid.vendor[i] = vendor[i];
    return X86VCPU_OK;
}

/* ------------------------------------------------- named features */
static int feature_set(struct x86vcpu_vcpu *v, enum x86vcpu_feature f, int on)
{
    if (!v || (unsigned)f >= X86VCPU_FEAT_COUNT)
        return X86VCPU_EINVAL;
    /* The VMX controls that make a hidden feature absent are chosen at
     * setup (vmcs_setup.c): after it, CPUID and controls would disagree. */
    if (v->have_setup)
        return X86VCPU_ESTATE;
    if (on)
        v->cpuid.features |= 1u << f;
    else
        v->cpuid.features &= ~(1u << f);
    x86vcpu__arch_msrs_reset(&v->cpuid, 0);
    return X86VCPU_OK;
}

int x86vcpu_cpuid_enable_feature(struct x86vcpu_vcpu *v, enum x86vcpu_feature f)
{
    return feature_set(v, f, 1);
}

int x86vcpu_cpuid_disable_feature(struct x86vcpu_vcpu *v, enum x86vcpu_feature f)
{
    return feature_set(v, f, 0);
}

/* At setup (vmcs_setup.c write_setup): the MSRs the library keeps start
 * over, and MSRs of hidden features whose reads the bitmap lets through
 * (msr.c switches TSC_AUX and IA32_XSS, reads without exits) exit again,
 * so that they #GP. */
int x86vcpu__features_setup(struct x86vcpu_vcpu *v)
{
    static const uint32_t switched[] = { 0xc0000103u, 0xda0u };
    x86vcpu__arch_msrs_reset(&v->cpuid, v->setup.mode != X86VCPU_MODE_REAL);
    void *bm = v->hal->phys_to_virt(v->hal->ctx, v->msr_bitmap_pa);
    for (unsigned i = 0; i < sizeof switched / sizeof switched[0]; i++) {
        if (!x86vcpu__msr_hidden(&v->cpuid, switched[i]))
            continue;
        int err = x86vcpu__msr_bitmap_set(bm, switched[i], 1, 1);
        if (err)
            return err;
    }
    return X86VCPU_OK;
}

/* RDMSR/WRMSR of an MSR that follows from CPUID (msr.c calls this first):
 * a hidden feature's MSR #GPs; IA32_MISC_ENABLE, the MTRRs and MCG_* are
 * the library's. Returns 1 when the exit was completed or faulted here. */
int x86vcpu__cpuid_msr_exit(struct x86vcpu_vcpu *v, uint32_t msr, int write, uint64_t val)
{
    int r;
    if (x86vcpu__msr_hidden(&v->cpuid, msr)) {
        r = X86VCPU_VEC_GP;
    } else if (!write) {
        if (!x86vcpu__arch_msr_read(&v->cpuid, msr, &val))
            return 0;
        v->regs.gpr[X86VCPU_RAX] = (uint32_t)val;
        v->regs.gpr[X86VCPU_RDX] = val >> 32;
        r = 0;
    } else {
        struct x86vcpu_cpuid_regs a;
        unsigned maxphy = 36; /* SDM 4.1.4: without leaf 80000008H */
        if (v->cpuid.max_ext >= 0x80000008u || !v->cpuid.max_basic) {
            x86vcpu__guest_cpuid_cr4(v, 0x80000008u, 0, 0, &a);
            if (v->cpuid.max_ext >= 0x80000008u)
                maxphy = a.eax & 0xff;
        }
        r = x86vcpu__arch_msr_write(&v->cpuid, msr, val, maxphy);
        if (r < 0)
            return 0;
    }
    if (r)
        x86vcpu__inject_exception(v, (uint32_t)r, 1, 0);
    else
        x86vcpu__skip_current(v);
    return 1;
}

/* RDRAND, RDSEED, MONITOR, MWAIT exit only while their feature is hidden
 * (vmcs_setup.c): the instruction is absent, #UD (Vol. 2 of each: "#UD If
 * CPUID... = 0"). RDPMC exits while the PMU is hidden: no counter exists,
 * #GP(0) (Vol. 2B RDPMC: "If ECX specifies an invalid counter"). */
int x86vcpu__exit_hidden_ud(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    (void)e;
    x86vcpu__inject_exception(v, X86VCPU_VEC_UD, 0, 0);
    return 1;
}

int x86vcpu__exit_rdpmc(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    (void)e;
    x86vcpu__inject_exception(v, X86VCPU_VEC_GP, 1, 0);
    return 1;
}
