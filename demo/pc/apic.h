/* demo/pc/apic.h — the guest's local APIC: the machine's own, behind a
 * virtual IA32_APIC_BASE.
 *
 * Bochs, like some CPUs, cannot re-enable an APIC once its enable bit was
 * cleared, so the guest never reaches the hardware's MSR 0x1B: it may
 * disable its APIC (the hardware goes to "virtual wire", the page and the
 * x2APIC MSRs disappear, CPUID.1:EDX.APIC clears) and enable it again (the
 * hardware is reset to its power-up state), move it, and switch it to
 * x2APIC mode (the one transition that reaches the hardware). While
 * enabled, the xAPIC page maps the hardware's and the x2APIC MSRs pass
 * through. Back in xAPIC mode after x2APIC, the xAPIC page is emulated
 * over the x2APIC MSRs. The write rules are apicbase.c's. */
#ifndef DEMO_PC_APIC_H
#define DEMO_PC_APIC_H

#include <stdint.h>

struct pc;

struct apic {
    struct pc *pc;
    uint64_t base;              /* the guest's IA32_APIC_BASE */
    uint64_t page;              /* the guest-physical page on the bus */
    int hw_x2apic;              /* the hardware APIC is in x2APIC mode */
    int x2apic_cap;
    unsigned maxphyaddr;
    uint32_t xicr_hi, xldr, xdfr;  /* xAPIC-only registers, emulated */
};

/* After the vCPU exists: reset state from the hardware, MSR 0x1B and the
 * APIC page on the bus, the page mapped, the x2APIC MSRs open. */
int apic_attach(struct apic *a, struct pc *pc);

#endif
