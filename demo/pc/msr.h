/* demo/pc/msr.h — the model-specific registers a PC guest finds besides
 * the ones the library keeps and the local APIC's (apic.c).
 *
 * The library answers (src/vmx/msr.c, docs/CPUID.md): EFER, FS/GS base,
 * SYSENTER, PAT, the syscall MSRs, IA32_TSC and TSC_ADJUST, IA32_XSS,
 * IA32_MISC_ENABLE, the MTRRs (MTRRcap, MTRRdefType, fixed and variable),
 * MCG_CAP/MCG_STATUS, and #GP for the MSRs of every hidden CPUID feature
 * (PMU, debug store, Intel PT, thermal and power, VMX, machine-check banks).
 * The rest reaches the demo, which gives:
 *
 *   FEATURE_CONTROL (0x3A)   locked, VMX off; writes #GP
 *   PLATFORM_ID (0x17)       0 (no host identification leaks); writes #GP
 *   BIOS_SIGN_ID (0x8B)      0 (no microcode revision); writes dropped
 *                            (the microcode-revision protocol writes 0)
 *   PKG_CST_CONFIG (0xE2)    no package C-states; writes dropped
 *   TSC_DEADLINE (0x6E0)     the hardware's, armed at the host TSC value
 *                            where the guest's TSC reaches the deadline
 *                            (pc/tsc.c: the guest's TSC is offset/scaled)
 *
 * Unknown MSRs: #GP(0), as KVM with ignore_msrs=0. No host MSR is read
 * for the guest but TSC_DEADLINE (pc/tsc.c). Pure. */
#ifndef DEMO_PC_MSR_H
#define DEMO_PC_MSR_H

#include <stdint.h>

struct vm;

struct pc_msrs {
    uint32_t attached;
};
int pc_msrs_attach(struct pc_msrs *m, struct vm *vm);

#endif
