/* Per-vCPU CPUID policy: what the guest sees for one CPUID, from what the
 * host returned. Pure logic: functions of values only. */
#ifndef X86VCPU_LIB_CPUID_POLICY_H
#define X86VCPU_LIB_CPUID_POLICY_H

#include <stdint.h>

/* ------------------------------------------------------- one CPUID's answer */
struct x86vcpu_cpuid_regs { uint32_t eax, ebx, ecx, edx; };

/* ---------------------------------------------------- hypervisor leaves */
#define X86VCPU_CPUID_HV_BASE 0x40000000u
#define X86VCPU_CPUID_HV_LAST 0x40000001u
/* Leaves answered entirely by the hypervisor (no CPUID executed): the whole
 * 0x40000000-0x4fffffff range is reserved for hypervisors, and leaves not
 * defined here read as zeros rather than host values. Inline: it is on the
 * CPUID exit path. */
static inline int x86vcpu__cpuid_is_hv_leaf(uint32_t leaf)
{
    return (leaf & 0xf0000000u) == X86VCPU_CPUID_HV_BASE;
}
/* Leaf 0x40000000: EAX the highest hypervisor leaf, EBX:ECX:EDX the vendor
 * signature; 0x40000001 (interface/features) and the rest: zeros. */
void x86vcpu__cpuid_hv_leaf(uint32_t leaf, const char vendor[12], struct x86vcpu_cpuid_regs *r);
/* Adjust what the real CPUID returned for the guest: hide VMX, set the
 * hypervisor-present bit, mirror OSXSAVE from the guest's CR4. */
void x86vcpu__cpuid_filter(uint32_t leaf, uint32_t subleaf, uint64_t guest_cr4,
                           struct x86vcpu_cpuid_regs *r);

/* ---------------------------------------------- XSAVE layout (SDM Vol. 1 13.4) */
/* Filled once from the host's CPUID.(EAX=0DH,ECX=i), i = 2..62. All zeros
 * (a zeroed frame, or x86vcpu__xstate_layout_init) is the empty layout. */
struct x86vcpu_xstate_layout {
    uint32_t offset[64];    /* EBX: standard-format offset (0 for supervisor state) */
    uint32_t size[64];      /* EAX */
    uint64_t valid;         /* bit i: component i was added */
    uint64_t align64;       /* bit i: ECX[1], 64-byte aligned in the compacted format */
};

void x86vcpu__xstate_layout_init(struct x86vcpu_xstate_layout *l);
/* Records component 2..62; X86VCPU_EINVAL for other components or l NULL. */
int x86vcpu__xstate_layout_add(struct x86vcpu_xstate_layout *l, uint32_t component,
                               uint32_t offset, uint32_t size, int align64);
/* Size of a standard-format XSAVE area for the components in `xcr0`: the
 * 576-byte legacy region and header, or the end of the furthest enabled
 * component i >= 2 if larger (CPUID.(0DH,0):EBX). */
uint32_t x86vcpu__xsave_area_size(const struct x86vcpu_xstate_layout *l, uint64_t xcr0);
/* Size of a compacted-format area for the components in `mask` (XCR0 |
 * IA32_XSS for CPUID.(0DH,1):EBX): 576, then each enabled component i >= 2
 * in order, 64-byte aligned when its align64 bit is set (13.4.3). */
uint32_t x86vcpu__xsave_area_size_compacted(const struct x86vcpu_xstate_layout *l,
                                            uint64_t mask);

/* ------------------------------------------------------------ CPUID policy */
#define X86VCPU_CPUID_OVERRIDES 16
#ifndef X86VCPU_CPUID_ANY_SUBLEAF
#define X86VCPU_CPUID_ANY_SUBLEAF 0xffffffffu
#endif

struct x86vcpu_cpuid_override {
    uint32_t leaf, subleaf;     /* subleaf X86VCPU_CPUID_ANY_SUBLEAF matches any */
    uint32_t set[4], clear[4];  /* per register EAX,EBX,ECX,EDX: r = (r & ~clear) | set */
    uint32_t used;
};

struct x86vcpu_cpuid_policy {
    struct x86vcpu_cpuid_override ov[X86VCPU_CPUID_OVERRIDES];
    char vendor[12];          /* hypervisor vendor signature for leaf 0x40000000 */
    uint32_t pad;
    uint64_t leaf_hint;       /* derived from ov[] by init/set: skip the scan */
};

/* Vendor "x86vcpuVMXhv" and two default overrides: leaf 7.0 hides WAITPKG
 * (ECX[5]) and LA57 (ECX[16]); leaf 7.1 hides LASS (EAX[6]), FRED (EAX[17])
 * and LAM (EAX[26]), whose CR4 bits the validators treat as reserved. */
void x86vcpu__cpuid_policy_init(struct x86vcpu_cpuid_policy *p);

/* Adds an override, or replaces the one for the same leaf and subleaf
 * (defaults included). set or clear NULL means all zeros; both all zeros
 * removes the entry. X86VCPU_ENOMEM when all slots are used, X86VCPU_EINVAL
 * when p is NULL. Leaves without subleaves should use
 * X86VCPU_CPUID_ANY_SUBLEAF: the guest's ECX is arbitrary there. */
int x86vcpu__cpuid_policy_set(struct x86vcpu_cpuid_policy *p, uint32_t leaf, uint32_t subleaf,
                              const uint32_t set[4], const uint32_t clear[4]);

/* The guest view of one CPUID; *r holds the host's registers on entry (any
 * value for leaves 0x40000000-0x4fffffff) and the guest's on return:
 *  1. hypervisor leaves come from x86vcpu__cpuid_hv_leaf with p->vendor;
 *     other leaves get x86vcpu__cpuid_filter (VMX hidden, hypervisor bit,
 *     OSXSAVE from guest_cr4) and 7.0:ECX.OSPKE[4] = guest CR4.PKE[22];
 *  2. leaf 0xD (when layout is not NULL): subleaf 0 EBX = standard size for
 *     guest_xcr0 when 0xD.0:EAX[0] = 1 (XSAVE present); subleaf 1 EBX =
 *     compacted size for guest_xcr0 | guest_xss when 0xD.1:EAX.XSAVES[3] = 1;
 *  3. the embedder's overrides, any-subleaf entries first, then the exact
 *     one: they win over everything above. */
void x86vcpu__cpuid_policy_apply(const struct x86vcpu_cpuid_policy *p, uint32_t leaf,
                                 uint32_t subleaf, uint64_t guest_cr4, uint64_t guest_xcr0,
                                 uint64_t guest_xss, const struct x86vcpu_xstate_layout *layout,
                                 struct x86vcpu_cpuid_regs *r);

#endif
