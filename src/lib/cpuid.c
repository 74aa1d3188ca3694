/* CPUID virtualization policy. */
#include "lib/logic.h"

#define CPUID1_ECX_VMX      (1u << 5)
#define CPUID1_ECX_OSXSAVE  (1u << 27)
#define CPUID1_ECX_HV       (1u << 31)

int x86vcpu_cpuid_is_hv_leaf(uint32_t leaf)
{
    /* The whole 0x40000000-0x4fffffff range is reserved for hypervisors;
     * leaves we do not define read as zeros rather than host values. */
    return (leaf & 0xf0000000u) == 0x40000000u;
}

void x86vcpu_cpuid_hv_leaf(uint32_t leaf, const char vendor[12], struct x86vcpu_cpuid_regs *r)
{
    r->eax = r->ebx = r->ecx = r->edx = 0;
    if (leaf == X86VCPU_CPUID_HV_BASE) {
        /* EAX: highest hypervisor leaf; EBX:ECX:EDX: vendor signature. */
        r->eax = X86VCPU_CPUID_HV_LAST;
        const unsigned char *s = (const unsigned char *)vendor;
        r->ebx = s[0] | s[1] << 8 | s[2] << 16 | (uint32_t)s[3] << 24;
        r->ecx = s[4] | s[5] << 8 | s[6] << 16 | (uint32_t)s[7] << 24;
        r->edx = s[8] | s[9] << 8 | s[10] << 16 | (uint32_t)s[11] << 24;
    }
    /* 0x40000001: interface/feature leaf; no paravirtual features yet. */
}

void x86vcpu_cpuid_filter(uint32_t leaf, uint32_t subleaf, uint64_t guest_cr4,
                          struct x86vcpu_cpuid_regs *r)
{
    (void)subleaf;
    if (leaf == 1) {
        /* VMX is not offered to guests (no nested VMX); the hypervisor bit
         * tells the guest to look at 0x40000000. OSXSAVE reflects CR4.OSXSAVE
         * (bit 18) of the guest, not of the host that executed CPUID. */
        r->ecx &= ~CPUID1_ECX_VMX;
        r->ecx |= CPUID1_ECX_HV;
        r->ecx &= ~CPUID1_ECX_OSXSAVE;
        if (guest_cr4 & (1u << 18))
            r->ecx |= CPUID1_ECX_OSXSAVE;
    }
}
