/* The guest's CPUID: the CPUID exit, the guest's view of a leaf (the host's
 * answer through the vCPU's policy, src/lib/cpuid_policy.c) and the
 * embedder's calls that change the policy. */
#include "vmx/vcpu.h"

/* The guest's view of one CPUID leaf: the host's answer through the
 * vCPU's policy (VMX hidden, hypervisor leaves, OSXSAVE and leaf 0xD from
 * the guest's CR4 and XCR0, the embedder's overrides). */
void x86vcpu__guest_cpuid_cr4(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                              uint64_t guest_cr4, struct x86vcpu_cpuid_regs *r)
{
    struct hw_cpuid h = { 0, 0, 0, 0 };
    const struct x86vcpu_xstate_layout *layout = &v->xstate;
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
    struct hw_cpuid h = hw_cpuid(leaf, 0);
    *r = (struct x86vcpu_cpuid_regs){ h.eax, h.ebx, h.ecx, h.edx };
    x86vcpu__cpuid_policy_apply(&v->cpuid, leaf, 0, 0, XCR0_X87, 0, &v->xstate, r);
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
