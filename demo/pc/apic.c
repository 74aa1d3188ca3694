/* demo/pc/apic.c — the guest's local APIC (see apic.h). */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

#include "arch.h"
#include "bus.h"
#include "vm.h"
#include "pc/apicbase.h"
#include "pc/pc.h"

#define MSR_APIC_BASE   0x1b
#define MSR_X2APIC      0x800   /* x2APIC register = 0x800 + xAPIC offset / 16 */

#define APIC_ID         0x20
#define APIC_VERSION    0x30
#define APIC_TPR        0x80
#define APIC_APR        0x90
#define APIC_EOI        0xb0
#define APIC_RRD        0xc0
#define APIC_LDR        0xd0
#define APIC_DFR        0xe0
#define APIC_SVR        0xf0
#define APIC_ISR        0x100
#define APIC_ESR        0x280
#define APIC_ICR_LO     0x300
#define APIC_ICR_HI     0x310
#define APIC_LVT_TIMER  0x320
#define APIC_LVT_THERM  0x330
#define APIC_LVT_PERF   0x340
#define APIC_LVT_LINT0  0x350
#define APIC_LVT_LINT1  0x360
#define APIC_LVT_ERROR  0x370
#define APIC_TIMER_ICR  0x380
#define APIC_TIMER_CCR  0x390
#define APIC_TIMER_DCR  0x3e0
#define LVT_MASKED      0x10000u

/* ------------------------------------------------------------ hardware */
static uint32_t hw_read(const struct apic *a, uint32_t reg)
{
    return a->hw_x2apic ? (uint32_t)rdmsr(MSR_X2APIC + (reg >> 4)) : lapic_read(reg);
}

static void hw_write(const struct apic *a, uint32_t reg, uint32_t val)
{
    if (a->hw_x2apic)
        wrmsr(MSR_X2APIC + (reg >> 4), val);
    else
        lapic_write(reg, val);
}

/* In-service vectors would block lower-priority ones for good: end them. */
static void hw_eoi_all(const struct apic *a)
{
    for (int n = 0; n < 256; n++) {
        uint32_t any = 0;
        for (uint32_t i = 0; i < 8; i++)
            any |= hw_read(a, APIC_ISR + 0x10 * i);
        if (!any)
            break;
        hw_write(a, APIC_EOI, 0);
    }
}

/* The state after the enable bit comes back (SDM 11.4.7.1 power-up/reset
 * values, except the ID): software-disabled, every LVT masked. */
static void hw_reset(struct apic *a)
{
    hw_write(a, APIC_TIMER_ICR, 0);
    hw_eoi_all(a);
    hw_write(a, APIC_SVR, 0xff);
    for (uint32_t reg = APIC_LVT_TIMER; reg <= APIC_LVT_ERROR; reg += 0x10)
        hw_write(a, reg, LVT_MASKED);
    hw_write(a, APIC_TPR, 0);
    hw_write(a, APIC_TIMER_DCR, 0);
    if (!a->hw_x2apic) {            /* no DFR, read-only LDR in x2APIC mode */
        hw_write(a, APIC_DFR, 0xffffffffu);
        hw_write(a, APIC_LDR, 0);
    }
    a->xicr_hi = 0;
    a->xldr = 0;
    a->xdfr = 0xffffffffu;
    hw_write(a, APIC_ESR, 0);
}

/* A globally disabled APIC hands the PIC's INTR and NMI straight to the
 * CPU (SDM 11.4.3): the closest the hardware gets without clearing its
 * enable bit is "virtual wire" — LINT0 ExtINT, LINT1 NMI, the rest masked,
 * the timer stopped. */
static void hw_virtual_wire(const struct apic *a)
{
    hw_write(a, APIC_TIMER_ICR, 0);
    hw_eoi_all(a);
    hw_write(a, APIC_SVR, 0x1ff);
    hw_write(a, APIC_LVT_TIMER, LVT_MASKED);
    hw_write(a, APIC_LVT_THERM, LVT_MASKED);
    hw_write(a, APIC_LVT_PERF, LVT_MASKED);
    hw_write(a, APIC_LVT_ERROR, LVT_MASKED);
    hw_write(a, APIC_LVT_LINT0, 0x700);
    hw_write(a, APIC_LVT_LINT1, 0x400);
    hw_write(a, APIC_TPR, 0);
}

/* ------------------------------------------------------------ the guest's view */
static uint64_t guest_page(const struct apic *a)
{
    return a->base & ~0xfffull & ((1ull << a->maxphyaddr) - 1);
}

static int mmio_visible(const struct apic *a)
{
    return (a->base & APICBASE_EN) && !(a->base & APICBASE_EXTD);
}

static void set_visible(struct apic *a, int on)
{
    struct x86vcpu_vcpu *v = a->pc->vm.v;
    /* CPUID.1:EDX[9] follows the enable bit (SDM 11.4.3). MONITOR/MWAIT
     * (ECX[3]) is hidden, as KVM does: idle drivers that see it program
     * model-specific C-state MSRs a guest has no business with. */
    static const uint32_t none[4] = { 0, 0, 0, 0 }, off[4] = { 0, 0, 1u << 3, 1u << 9 },
                          mwait[4] = { 0, 0, 1u << 3, 0 };
    x86vcpu_cpuid_override(v, 1, X86VCPU_CPUID_ANY_SUBLEAF, none, on ? mwait : off);
    /* x2APIC MSRs: the hardware's while the APIC is on (RDMSR/WRMSR fault
     * there by themselves outside x2APIC mode); #GP while it is off. */
    for (uint32_t msr = MSR_X2APIC; msr < MSR_X2APIC + 0x100; msr++)
        x86vcpu_msr_intercept(v, msr, !on, !on);
}

static const struct bus_ops page_ops;

/* The page moves with the base: the bus range follows it. */
static void place_page(struct apic *a)
{
    struct bus *b = &a->pc->vm.bus;
    if (guest_page(a) == a->page)
        return;
    bus_remove(b, BUS_MMIO, a->page);
    a->page = guest_page(a);
    bus_add(b, BUS_MMIO, a->page, 4096, &page_ops, a);
}

/* ------------------------------------------------------------ IA32_APIC_BASE */
static int apicbase_rdmsr(void *dev, uint64_t msr, uint32_t size, uint64_t *val)
{
    const struct apic *a = dev;
    (void)msr;
    (void)size;
    *val = a->base;
    return BUS_OK;
}

static int apicbase_wrmsr(void *dev, uint64_t msr, uint32_t size, uint64_t val)
{
    struct apic *a = dev;
    struct pc *pc = a->pc;
    uint64_t next;
    unsigned act;
    (void)msr;
    (void)size;
    if (apicbase_write(a->base, val, a->maxphyaddr, a->x2apic_cap, &next, &act))
        return BUS_FAULT;
    uint64_t old_page = guest_page(a);
    int was_visible = mmio_visible(a);
    a->base = next;
    if (act & APICB_ACT_DISABLE) {
        hw_virtual_wire(a);
        set_visible(a, 0);
    }
    if (act & APICB_ACT_ENABLE) {
        hw_reset(a);
        set_visible(a, 1);
    }
    if ((act & APICB_ACT_X2APIC) && !a->hw_x2apic) {
        /* Only this transition reaches the hardware's MSR: its base and
         * enable bit never change. */
        wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APICBASE_EN | APICBASE_EXTD);
        a->hw_x2apic = 1;
    }
    if (was_visible && (!mmio_visible(a) || guest_page(a) != old_page))
        pc_map_page(pc, old_page);
    place_page(a);
    /* Back in xAPIC mode after x2APIC, the hardware cannot follow (it
     * would have to be disabled, for good on Bochs): its page stays
     * unmapped and the page handlers serve it through the x2APIC MSRs. */
    if (mmio_visible(a) && !a->hw_x2apic)
        x86vcpu_ept_map(pc->vm.ept, guest_page(a), PC_LAPIC, 4096, X86VCPU_EPT_R | X86VCPU_EPT_W,
                        X86VCPU_MT_UC);
    return BUS_OK;
}

static const struct bus_ops apicbase_ops = { apicbase_rdmsr, apicbase_wrmsr };

/* ------------------------------------------------------------ the xAPIC page */
/* The guest's xAPIC page while the hardware is in x2APIC mode: register
 * offset / 16 + 0x800 is the MSR (SDM 11.12.1.2). ID moves to bits 31:24;
 * ICR is one 64-bit MSR with the destination in bits 63:32; DFR and the
 * xAPIC LDR have no x2APIC counterpart and are kept here. Only MSRs every
 * x2APIC has are touched (no CMCI LVT): a missing one would #GP the host. */
static uint32_t xmmio_read(const struct apic *a, uint32_t reg)
{
    switch (reg) {
    case APIC_ID: return (uint32_t)rdmsr(MSR_X2APIC + 2) << 24;
    case APIC_EOI: return 0;
    case APIC_LDR: return a->xldr;
    case APIC_DFR: return a->xdfr;
    case APIC_ICR_LO: return (uint32_t)rdmsr(MSR_X2APIC + 0x30);
    case APIC_ICR_HI: return a->xicr_hi;
    default:
        if (reg == APIC_VERSION ||
            (reg >= APIC_TPR && reg <= APIC_SVR && reg != APIC_APR && reg != APIC_RRD) ||
            (reg >= APIC_ISR && reg <= APIC_ESR) || (reg >= APIC_LVT_TIMER && reg <= APIC_TIMER_CCR) ||
            reg == APIC_TIMER_DCR)
            return (uint32_t)rdmsr(MSR_X2APIC + (reg >> 4));
        return 0;
    }
}

/* Writable bits of the xAPIC registers written through (SDM Figures 11-8,
 * 11-12, 11-14, 11-18, 11-23): the xAPIC ignores writes to reserved bits,
 * but an x2APIC WRMSR with one set faults (SDM 11.12.1.2) -- in the host. */
static const struct { uint16_t reg; uint32_t mask; } writable[] = {
    { APIC_TPR, 0xff },              { APIC_SVR, 0x1ff },            { APIC_ESR, 0 },
    { APIC_LVT_TIMER, 0x700ff },     { APIC_LVT_THERM, 0x107ff },    { APIC_LVT_PERF, 0x107ff },
    { APIC_LVT_LINT0, 0x1a7ff },     { APIC_LVT_LINT1, 0x1a7ff },    { APIC_LVT_ERROR, 0x100ff },
    { APIC_TIMER_ICR, 0xffffffffu }, { APIC_TIMER_DCR, 0xb },
};

static void xmmio_write(struct apic *a, uint32_t reg, uint32_t val)
{
    switch (reg) {
    case APIC_EOI: wrmsr(MSR_X2APIC + 0xb, 0); break;
    case APIC_LDR: a->xldr = val & 0xff000000u; break;
    case APIC_DFR: a->xdfr = val | 0x0fffffffu; break;
    /* ICR: vector, delivery and destination mode, level, trigger, shorthand */
    case APIC_ICR_LO:
        wrmsr(MSR_X2APIC + 0x30, ((uint64_t)(a->xicr_hi >> 24) << 32) | (val & 0xccfffu));
        break;
    case APIC_ICR_HI: a->xicr_hi = val & 0xff000000u; break;
    default:
        for (unsigned i = 0; i < sizeof writable / sizeof writable[0]; i++)
            if (writable[i].reg == reg)
                wrmsr(MSR_X2APIC + (reg >> 4), val & writable[i].mask);
        break; /* read-only or reserved: ignored, as the xAPIC does */
    }
}

/* The page exits only when it is not the hardware's: emulated (above), or
 * the APIC is disabled or in x2APIC mode, when it is nothing (all-ones,
 * counted, without the note an unassigned read gets). */
static int page_read(void *dev, uint64_t gpa, uint32_t size, uint64_t *val)
{
    struct apic *a = dev;
    uint32_t off = (uint32_t)(gpa & 0xfff);
    (void)size;
    if (!mmio_visible(a) || !a->hw_x2apic) {
        a->pc->vm.unassigned++;
        *val = ~0ull;
        return BUS_OK;
    }
    *val = xmmio_read(a, off & ~0xfu) >> (8 * (off & 3));
    return BUS_OK;
}

static int page_write(void *dev, uint64_t gpa, uint32_t size, uint64_t val)
{
    struct apic *a = dev;
    uint32_t off = (uint32_t)(gpa & 0xfff);
    if (!mmio_visible(a) || !a->hw_x2apic)
        a->pc->vm.unassigned++;
    else if (size == 4 && !(off & 3))
        xmmio_write(a, off & ~0xfu, (uint32_t)val);
    return BUS_OK;
}

static const struct bus_ops page_ops = { page_read, page_write };

/* ------------------------------------------------------------ attach */
int apic_attach(struct apic *a, struct pc *pc)
{
    uint32_t r[4];
    a->pc = pc;
    cpuid(0x80000008u, 0, r);
    a->maxphyaddr = r[0] & 0xff;
    cpuid(1, 0, r);
    a->x2apic_cap = (r[2] >> 21) & 1;
    uint64_t hw = rdmsr(MSR_APIC_BASE);
    a->hw_x2apic = (hw & APICBASE_EXTD) != 0;
    a->base = APICBASE_RESET(hw & APICBASE_BSP);
    if (a->hw_x2apic)
        a->base |= APICBASE_EXTD;
    a->page = guest_page(a);
    a->xicr_hi = a->xldr = 0;
    a->xdfr = 0xffffffffu;
    set_visible(a, 1);
    int err = bus_add(&pc->vm.bus, BUS_MSR, MSR_APIC_BASE, 1, &apicbase_ops, a);
    err |= bus_add(&pc->vm.bus, BUS_MMIO, a->page, 4096, &page_ops, a);
    if (!a->hw_x2apic)
        err |= x86vcpu_ept_map(pc->vm.ept, PC_LAPIC, PC_LAPIC, 4096, X86VCPU_EPT_R | X86VCPU_EPT_W,
                               X86VCPU_MT_UC);
    return err ? -1 : 0;
}
