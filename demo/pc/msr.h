/* demo/pc/msr.h — the model-specific registers a PC guest finds besides
 * the ones the library keeps (EFER, PAT, SYSENTER, ...) and the local
 * APIC's (apic.c):
 *
 *   FEATURE_CONTROL (0x3A)   locked, VMX off; writes #GP
 *   TSC_ADJUST (0x3B)        kept, not applied (the TSC is the machine's)
 *   PKG_CST_CONFIG (0xE2)    no package C-states; writes dropped
 *   MTRRcap (0xFE)           no variable or fixed ranges (EPT decides types)
 *   MTRRdefType (0x2FF)      enabled, write-back; writes dropped
 *   TSC, PLATFORM_ID, BIOS_SIGN_ID, MISC_ENABLE, MCG_CAP/STATUS
 *                            read from the hardware; writes dropped
 *   TSC_DEADLINE (0x6E0)     the hardware's (the local APIC's timer)
 *
 * Any other MSR the library passes on faults with #GP(0). Pure. */
#ifndef DEMO_PC_MSR_H
#define DEMO_PC_MSR_H

#include <stdint.h>

struct vm;

struct pc_msrs {
    uint64_t tsc_adjust;
};
int pc_msrs_attach(struct pc_msrs *m, struct vm *vm);

#endif
