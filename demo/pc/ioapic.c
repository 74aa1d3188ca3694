/* demo/pc/ioapic.c — the machine's I/O APIC, behind a filter (issue 11,
 * defect 11). Its page (IOREGSEL at 0x00, IOWIN at 0x10, EOI at 0x40; 82093AA
 * datasheet 3.1) exits instead of being mapped: the index register is the
 * guest's; reads go to the hardware, except redirection entries, which read
 * back what the guest wrote; writes reach the hardware only for the
 * redirection entries and EOI, each entry as ioapic_rte_filter makes it:
 * to this CPU alone, or masked when it would send an NMI, SMI or INIT or
 * reach only other CPUs. The ID and arbitration registers are read-only to
 * the guest. */
#include <stdint.h>

#include "bus.h"
#include "vm.h"
#include "pc/apicbase.h"
#include "pc/ioapic.h"
#include "pc/pc.h"

#define IOREGSEL 0x00
#define IOWIN    0x10
#define IOEOI    0x40
#define RTE_MASK (1u << 16)

static volatile uint32_t *hw_reg(uint32_t off)
{
    return (volatile uint32_t *)(uintptr_t)(PC_IOAPIC + off);
}

static uint32_t hw_read(uint32_t sel)
{
    *hw_reg(IOREGSEL) = sel;
    return *hw_reg(IOWIN);
}

static void hw_write(uint32_t sel, uint32_t val)
{
    *hw_reg(IOREGSEL) = sel;
    *hw_reg(IOWIN) = val;
}

/* Redirection entry n to the hardware as ioapic_rte_filter has it. */
static void rte_sync(struct ioapic *io, unsigned n)
{
    uint64_t rte = ioapic_rte_filter(io->rte[n], io->pc->apic.hw_id, io->pc->apic.xldr);
    if ((rte & RTE_MASK) && !(io->rte[n] & RTE_MASK))
        io->masked++;
    hw_write(0x10 + 2 * n, (uint32_t)rte | RTE_MASK);   /* masked while split */
    hw_write(0x11 + 2 * n, (uint32_t)(rte >> 32));
    hw_write(0x10 + 2 * n, (uint32_t)rte);
}

static int rte_index(const struct ioapic *io, uint32_t sel, unsigned *n)
{
    if (sel < 0x10 || sel >= 0x10 + 2 * io->entries)
        return 0;
    *n = (sel - 0x10) / 2;
    return 1;
}

static int page_read(void *dev, uint64_t gpa, uint32_t size, uint64_t *val)
{
    struct ioapic *io = dev;
    uint32_t off = (uint32_t)(gpa & 0xfff);
    unsigned n;
    if (size != 4 || (off & 3))
        return BUS_UNCLAIMED;
    if (off == IOREGSEL)
        *val = io->sel;
    else if (off != IOWIN)
        *val = 0;
    else if (rte_index(io, io->sel, &n) && (io->sel & 1))
        *val = (uint32_t)(io->rte[n] >> 32);
    else if (rte_index(io, io->sel, &n))    /* delivery status, remote IRR: the hardware's */
        *val = (uint32_t)io->rte[n] | (hw_read(io->sel) & 0x5000u);
    else
        *val = hw_read(io->sel);
    return BUS_OK;
}

static int page_write(void *dev, uint64_t gpa, uint32_t size, uint64_t val)
{
    struct ioapic *io = dev;
    uint32_t off = (uint32_t)(gpa & 0xfff);
    unsigned n;
    if (size != 4 || (off & 3))
        return BUS_UNCLAIMED;
    if (off == IOREGSEL) {
        io->sel = (uint8_t)val;
    } else if (off == IOEOI) {
        *hw_reg(IOEOI) = (uint8_t)val;
    } else if (off == IOWIN && rte_index(io, io->sel, &n)) {
        /* Delivery status and remote IRR (bits 12, 14) are read-only. */
        uint64_t half = (uint32_t)val, keep;
        if (io->sel & 1) {
            keep = io->rte[n] & 0xffffffffu;
            io->rte[n] = keep | (half << 32);
        } else {
            keep = io->rte[n] & ~0xffffffffull;
            io->rte[n] = keep | (half & ~0x5000ull);
        }
        rte_sync(io, n);
    }
    return BUS_OK;
}

static const struct bus_ops page_ops = { page_read, page_write };

/* After apic_attach (the APIC ID): the entries as the machine has them,
 * every one masked as at reset unless the firmware set it up. */
int ioapic_attach(struct ioapic *io, struct pc *pc)
{
    io->pc = pc;
    io->sel = 0;
    io->masked = 0;
    io->entries = ((hw_read(1) >> 16) & 0xff) + 1;
    if (io->entries > IOAPIC_MAX_ENTRIES)
        io->entries = IOAPIC_MAX_ENTRIES;
    for (unsigned n = 0; n < io->entries; n++) {
        io->rte[n] = hw_read(0x10 + 2 * n) | (uint64_t)hw_read(0x11 + 2 * n) << 32;
        rte_sync(io, n);
    }
    io->masked = 0;
    int err = bus_add(&pc->vm.bus, BUS_MMIO, PC_IOAPIC, 4096, &page_ops, io);
    return err || x86vcpu_ept_unmap(pc->vm.ept, PC_IOAPIC, 4096) ? -1 : 0;
}
