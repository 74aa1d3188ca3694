/* demo/pc/apic.h — the guest's local APIC: the machine's own, behind a
 * virtual IA32_APIC_BASE.
 *
 * Bochs, like some CPUs, cannot re-enable an APIC once its enable bit was
 * cleared, so the guest never reaches the hardware's MSR 0x1B: it may
 * disable its APIC (the hardware goes to "virtual wire", the page and the
 * x2APIC MSRs disappear, CPUID.1:EDX.APIC clears) and enable it again (the
 * hardware is reset to its power-up state), move it, and switch it to
 * x2APIC mode (the one transition that reaches the hardware). While
 * enabled, the x2APIC MSRs pass through except the ICR. The xAPIC page is
 * never the hardware's (EPT maps 4 KiB, the ICR shares the page with EOI
 * and TPR): every access exits and is forwarded to the hardware register
 * (MMIO or x2APIC MSR). Every ICR write, xAPIC or x2APIC, is checked
 * (apic_icr_check): only fixed IPIs to this CPU reach the hardware, an NMI
 * to itself is queued to the guest, the rest is dropped and counted. The
 * page lives where the guest puts it: in the MMIO hole it simply exits;
 * elsewhere (RAM, above 4 GiB) the page is made an MMIO range, at most
 * APIC_MMIO_PAGES distinct pages a run, so relocations cannot make EPT
 * tables grow. The write rules are apicbase.c's. */
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
    uint32_t icr_lo;            /* the guest's last ICR low word */
    uint32_t hw_id;             /* this CPU's APIC ID (x2APIC: 32 bits) */
    uint64_t ipis_dropped, ipis_sent, self_nmis;
#define APIC_MMIO_PAGES 4
    uint64_t mmio_pages[APIC_MMIO_PAGES]; /* pages outside the hole made MMIO */
    unsigned n_mmio_pages;
};

/* After the vCPU exists: reset state from the hardware, MSR 0x1B and the
 * APIC page on the bus, the page mapped, the x2APIC MSRs open. */
int apic_attach(struct apic *a, struct pc *pc);

#endif
