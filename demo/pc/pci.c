/* demo/pc/pci.c — a PCI bus with a host bridge only (see pci.h). Pure. */
#include <stdint.h>

#include "bus.h"
#include "vm.h"
#include "pc/pci.h"

/* Type-0 header offsets (PCI Local Bus Specification 3.0, 6.1). */
enum {
    CFG_VENDOR = 0x00, CFG_DEVICE = 0x02, CFG_COMMAND = 0x04, CFG_STATUS = 0x06,
    CFG_REVISION = 0x08, CFG_CLASS = 0x09, CFG_LATENCY = 0x0d, CFG_HEADER = 0x0e,
};

/* The bits of each header byte the guest may write (the 82441FX datasheet,
 * 3.2: PCICMD bits 8 SERRE and 6 PERRE R/W, the rest hardwired; MLT bits
 * 7:3 R/W). Every other byte is read-only. */
static uint8_t wmask(uint32_t reg)
{
    switch (reg) {
    case CFG_COMMAND:     return 0x40;
    case CFG_COMMAND + 1: return 0x01;
    case CFG_LATENCY:     return 0xf8;
    default:              return 0;
    }
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

void pci_host_init(struct pci_host *h)
{
    for (unsigned i = 0; i < sizeof h->cfg; i++)
        h->cfg[i] = 0;
    h->addr = 0;
    h->absent_reads = 0;
    put16(h->cfg + CFG_VENDOR, PCI_HB_VENDOR);
    put16(h->cfg + CFG_DEVICE, PCI_HB_DEVICE);
    put16(h->cfg + CFG_COMMAND, 0x0006);    /* memory, bus master: hardwired on */
    put16(h->cfg + CFG_STATUS, 0x0280);     /* fast back-to-back, medium DEVSEL# */
    h->cfg[CFG_REVISION] = PCI_HB_REVISION;
    h->cfg[CFG_CLASS] = (uint8_t)PCI_HB_CLASS;
    h->cfg[CFG_CLASS + 1] = (uint8_t)(PCI_HB_CLASS >> 8);
    h->cfg[CFG_CLASS + 2] = (uint8_t)(PCI_HB_CLASS >> 16);
    h->cfg[CFG_HEADER] = 0x00;              /* type 0, single function */
}

void pci_host_set_addr(struct pci_host *h, uint32_t val)
{
    h->addr = val & PCI_ADDR_MASK;
}

uint32_t pci_host_cfg_read(struct pci_host *h, uint32_t bdf, uint32_t reg, uint32_t size)
{
    if (bdf != PCI_BDF(0, 0, 0)) {
        h->absent_reads++;
        return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    }
    uint32_t v = 0;
    for (uint32_t i = 0; i < size && reg + i < sizeof h->cfg; i++)
        v |= (uint32_t)h->cfg[reg + i] << (8 * i);
    return v;
}

void pci_host_cfg_write(struct pci_host *h, uint32_t bdf, uint32_t reg, uint32_t size,
                        uint32_t val)
{
    if (bdf != PCI_BDF(0, 0, 0))
        return;                             /* nobody there: dropped */
    for (uint32_t i = 0; i < size && reg + i < sizeof h->cfg; i++) {
        uint8_t m = wmask(reg + i), b = (uint8_t)(val >> (8 * i));
        h->cfg[reg + i] = (uint8_t)((h->cfg[reg + i] & ~m) | (b & m));
    }
}

/* CONFIG_DATA at port, size bytes: the register it reaches, or -1 when the
 * access is ordinary I/O (enable bit clear, or past 0xCFF). */
static int data_reg(const struct pci_host *h, uint64_t port, uint32_t size, uint32_t *bdf,
                    uint32_t *reg)
{
    uint32_t off = (uint32_t)(port - PCI_CONFIG_DATA);
    if (!(h->addr & PCI_ADDR_ENABLE) || off + size > 4)
        return -1;
    *bdf = (h->addr >> 8) & 0xffff;
    *reg = (h->addr & 0xfc) + off;
    return 0;
}

static int pci_read(void *dev, uint64_t port, uint32_t size, uint64_t *val)
{
    struct pci_host *h = dev;
    uint32_t bdf, reg;
    if (port == PCI_CONFIG_ADDRESS) {
        if (size != 4)
            return BUS_UNCLAIMED;           /* not CONFIG_ADDRESS (3.2.2.3.2) */
        *val = h->addr;
        return BUS_OK;
    }
    if (data_reg(h, port, size, &bdf, &reg))
        return BUS_UNCLAIMED;
    *val = pci_host_cfg_read(h, bdf, reg, size);
    return BUS_OK;
}

static int pci_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    struct pci_host *h = dev;
    uint32_t bdf, reg;
    if (port == PCI_CONFIG_ADDRESS) {
        if (size != 4)
            return BUS_UNCLAIMED;
        pci_host_set_addr(h, (uint32_t)val);
        return BUS_OK;
    }
    if (data_reg(h, port, size, &bdf, &reg))
        return BUS_UNCLAIMED;
    pci_host_cfg_write(h, bdf, reg, size, (uint32_t)val);
    return BUS_OK;
}

static const struct bus_ops pci_ops = { pci_read, pci_write };

int pci_host_attach(struct pci_host *h, struct vm *vm)
{
    pci_host_init(h);
    int err = bus_add(&vm->bus, BUS_PIO, PCI_CONFIG_ADDRESS, 1, &pci_ops, h);
    err |= bus_add(&vm->bus, BUS_PIO, PCI_CONFIG_DATA, 4, &pci_ops, h);
    return err ? -1 : 0;
}

int pci_attach(struct vm *vm)
{
    static struct pci_host host;
    return pci_host_attach(&host, vm);
}
