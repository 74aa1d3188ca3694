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
    /* ... except ICR writes, which are checked (icr_wrmsr). */
    x86vcpu_msr_intercept(v, MSR_X2APIC + 0x30, 1, 1);
}

static const struct bus_ops page_ops;

/* Accesses to the page must exit wherever it is. In the MMIO hole (above
 * RAM, below 4 GiB: memmap.c) nothing is mapped there; elsewhere the page
 * becomes an MMIO range of the EPT, once per page (the library has no way
 * to give a range back, and a few do: APIC_MMIO_PAGES). Returns -1 when
 * they are used up. */
static int page_exits(struct apic *a, uint64_t page)
{
    struct vm *vm = &a->pc->vm;
    /* (A hole page may be one of the firmware's ACPI pages: unmapped while
     * the APIC is there, mapped again by pc_map_page when it leaves.) */
    if (page >= vm->ram_size && page < (4ull << 30))
        return x86vcpu_ept_unmap(vm->ept, page, 4096) ? -1 : 0;
    for (unsigned i = 0; i < a->n_mmio_pages; i++)
        if (a->mmio_pages[i] == page)
            return x86vcpu_ept_unmap(vm->ept, page, 4096) ? -1 : 0;
    if (a->n_mmio_pages == APIC_MMIO_PAGES || x86vcpu_ept_add_mmio(vm->ept, page, 4096))
        return -1;
    a->mmio_pages[a->n_mmio_pages++] = page;
    return 0;
}

/* The page moves with the base: the bus range follows it. */
static void place_page(struct apic *a)
{
    struct bus *b = &a->pc->vm.bus;
    if (guest_page(a) == a->page)
        return;
    bus_remove(b, BUS_MMIO, a->page);
    a->page = guest_page(a);
    if (bus_add(b, BUS_MMIO, a->page, 4096, &page_ops, a))
        vm_end(&a->pc->vm, VM_STOPPED, "APIC page moved onto another device");
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
    if (mmio_visible(a) && page_exits(a, guest_page(a)))
        vm_end(&pc->vm, VM_STOPPED, "APIC page moved to more RAM pages than the demo emulates");
    return BUS_OK;
}

static const struct bus_ops apicbase_ops = { apicbase_rdmsr, apicbase_wrmsr };

/* ------------------------------------------------------------ the ICR */
/* Every IPI the guest sends, in either mode: icr in the x2APIC layout
 * (destination in bits 63:32) when x2apic, else the xAPIC one (63:56). */
static void icr_send(struct apic *a, uint64_t icr, int x2apic)
{
    /* The guest's logical ID: its xAPIC LDR, or the x2APIC LDR it reads
     * (the hardware's, SDM 11.12.10.2). */
    uint32_t ldr = x2apic ? (uint32_t)rdmsr(MSR_X2APIC + 0xd) : a->xldr;
    switch (apic_icr_check(icr, x2apic ? a->hw_id : a->hw_id & 0xff, ldr, x2apic)) {
    case APIC_ICR_SEND: {
        /* To this CPU only: vector, level and trigger; fixed, physical,
         * no shorthand, the hardware's own ID in its layout. */
        uint32_t lo = (uint32_t)icr & 0xc0ffu;
        a->ipis_sent++;
        if (a->hw_x2apic) {
            wrmsr(MSR_X2APIC + 0x30, ((uint64_t)a->hw_id << 32) | lo);
        } else {
            lapic_write(APIC_ICR_HI, a->hw_id << 24);
            lapic_write(APIC_ICR_LO, lo);
        }
        break;
    }
    case APIC_ICR_SELF_NMI:
        a->self_nmis++;
        x86vcpu_queue_nmi(a->pc->vm.v);
        break;
    default:
        a->ipis_dropped++;
        break;
    }
}

/* x2APIC ICR (MSR 0x830): exits; reads see what the guest wrote. Reserved bits
 * fault (SDM 11.12.1.2), and so does the MSR outside x2APIC mode. */
#define X2APIC_ICR_VALID 0xffffffff000ccfffull

static int icr_rdmsr(void *dev, uint64_t msr, uint32_t size, uint64_t *val)
{
    const struct apic *a = dev;
    (void)msr;
    (void)size;
    if (!(a->base & APICBASE_EXTD))
        return BUS_FAULT;
    *val = ((uint64_t)a->xicr_hi << 32) | a->icr_lo;
    return BUS_OK;
}

static int icr_wrmsr(void *dev, uint64_t msr, uint32_t size, uint64_t val)
{
    struct apic *a = dev;
    (void)msr;
    (void)size;
    if (!(a->base & APICBASE_EXTD) || (val & ~X2APIC_ICR_VALID))
        return BUS_FAULT;
    a->icr_lo = (uint32_t)val;
    a->xicr_hi = (uint32_t)(val >> 32);
    icr_send(a, val, 1);
    return BUS_OK;
}

static const struct bus_ops icr_ops = { icr_rdmsr, icr_wrmsr };

/* ------------------------------------------------------------ the xAPIC page */
/* The guest's xAPIC page, always emulated over the hardware's registers
 * (its page in xAPIC mode, else MSR offset / 16 + 0x800, SDM 11.12.1.2).
 * ID is in bits 31:24; ICR is the guest's (icr_send); DFR and LDR are kept
 * here (and written through in xAPIC mode, where the hardware has them).
 * Only registers every x2APIC has are touched (no CMCI LVT): a missing one
 * would #GP the host. */
static uint32_t xmmio_read(const struct apic *a, uint32_t reg)
{
    switch (reg) {
    case APIC_ID: return a->hw_x2apic ? a->hw_id << 24 : lapic_read(APIC_ID);
    case APIC_EOI: return 0;
    case APIC_LDR: return a->xldr;
    case APIC_DFR: return a->xdfr;
    case APIC_ICR_LO: return a->icr_lo & ~(1u << 12);   /* delivery status: idle */
    case APIC_ICR_HI: return a->xicr_hi;
    default:
        if (reg == APIC_VERSION ||
            (reg >= APIC_TPR && reg <= APIC_SVR && reg != APIC_APR && reg != APIC_RRD) ||
            (reg >= APIC_ISR && reg <= APIC_ESR) || (reg >= APIC_LVT_TIMER && reg <= APIC_TIMER_CCR) ||
            reg == APIC_TIMER_DCR)
            return hw_read(a, reg);
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
    case APIC_EOI: hw_write(a, APIC_EOI, 0); break;
    case APIC_LDR:
        a->xldr = val & 0xff000000u;
        if (!a->hw_x2apic)
            lapic_write(APIC_LDR, a->xldr);
        break;
    case APIC_DFR:
        a->xdfr = val | 0x0fffffffu;
        if (!a->hw_x2apic)
            lapic_write(APIC_DFR, a->xdfr);
        break;
    /* ICR: vector, delivery and destination mode, level, trigger, shorthand */
    case APIC_ICR_LO:
        a->icr_lo = val & 0xccfffu;
        icr_send(a, ((uint64_t)a->xicr_hi << 32) | a->icr_lo, 0);
        break;
    case APIC_ICR_HI: a->xicr_hi = val & 0xff000000u; break;
    default:
        for (unsigned i = 0; i < sizeof writable / sizeof writable[0]; i++)
            if (writable[i].reg == reg)
                hw_write(a, reg, val & writable[i].mask);
        break; /* read-only or reserved: ignored, as the xAPIC does */
    }
}

/* Every access to the page exits: emulated (above) while the guest's APIC
 * is in xAPIC mode; disabled or in x2APIC mode it is nothing (all-ones,
 * counted, without the note an unassigned read gets). */
static int page_read(void *dev, uint64_t gpa, uint32_t size, uint64_t *val)
{
    struct apic *a = dev;
    uint32_t off = (uint32_t)(gpa & 0xfff);
    (void)size;
    if (!mmio_visible(a)) {
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
    if (!mmio_visible(a))
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
    a->xicr_hi = a->xldr = a->icr_lo = 0;
    a->xdfr = 0xffffffffu;
    a->hw_id = a->hw_x2apic ? (uint32_t)rdmsr(MSR_X2APIC + 2) : lapic_read(APIC_ID) >> 24;
    a->n_mmio_pages = 0;
    a->ipis_dropped = a->ipis_sent = a->self_nmis = 0;
    set_visible(a, 1);
    int err = bus_add(&pc->vm.bus, BUS_MSR, MSR_APIC_BASE, 1, &apicbase_ops, a);
    err |= bus_add(&pc->vm.bus, BUS_MSR, MSR_X2APIC + 0x30, 1, &icr_ops, a);
    err |= bus_add(&pc->vm.bus, BUS_MMIO, a->page, 4096, &page_ops, a);
    err |= page_exits(a, a->page);
    return err ? -1 : 0;
}
