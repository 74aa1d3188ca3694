/* demo/pc/fwcfg.c — fw_cfg (see fwcfg.h). Pure: no hardware access. */
#include <stdint.h>

#include "bus.h"
#include "vm.h"
#include "pc/fwcfg.h"

/* QEMU docs/specs/fw_cfg.rst. Every item here is a little-endian integer of
 * at most 8 bytes, so an item is a (value, length) pair. */
#define FWCFG_ID_TRADITIONAL 0x1u  /* FW_CFG_ID bit 0; bit 1 (DMA) left clear */

void fwcfg_init(struct fwcfg *f, uint64_t ram_size, uint16_t nb_cpus, uint16_t max_cpus)
{
    f->ram_size = ram_size;
    f->nb_cpus = nb_cpus;
    f->max_cpus = max_cpus;
    f->pad = 0;
    f->pad2 = 0;
    /* QEMU selects key 0 (the signature) at reset. */
    f->key = FWCFG_SIGNATURE;
    f->off = 0;
}

void fwcfg_select(struct fwcfg *f, uint16_t key)
{
    /* All 16 bits are the key: bit 14 (write channel) and bit 15
     * (architecture-specific item) are kept, so 0x4000-0xffff select no item
     * of this model and read 0. The data port ignores writes here (the
     * traditional interface's writes are gone since QEMU 2.4). */
    f->key = key;
    f->off = 0;  /* fw_cfg.rst: setting the selector resets the offset */
}

static uint32_t fwcfg_item(const struct fwcfg *f, uint64_t *val)
{
    switch (f->key) {
    case FWCFG_SIGNATURE:
        /* The bytes "QEMU" in order, as a little-endian value. */
        *val = (uint64_t)'Q' | (uint64_t)'E' << 8 | (uint64_t)'M' << 16 |
               (uint64_t)'U' << 24;
        return 4;
    case FWCFG_ID:
        *val = FWCFG_ID_TRADITIONAL;
        return 4;
    case FWCFG_RAM_SIZE:
    case FWCFG_MAX_RAM:
        *val = f->ram_size;
        return 8;
    case FWCFG_NB_CPUS:
        *val = f->nb_cpus;
        return 2;
    case FWCFG_MAX_CPUS:
        *val = f->max_cpus;
        return 2;
    default:
        *val = 0;
        return 0;
    }
}

uint8_t fwcfg_read(struct fwcfg *f)
{
    uint64_t val;
    uint32_t len = fwcfg_item(f, &val);

    /* fw_cfg.rst: past the end of the item (and for a key with no item)
     * the data register reads 0. The offset stops at the end, so it cannot
     * wrap around however long the guest keeps reading. */
    if (f->off >= len)
        return 0;
    return (uint8_t)(val >> (8 * f->off++));
}

/* ---------------------------------------------------------------- device */
static int fwcfg_io_read(void *dev, uint64_t port, uint32_t size, uint64_t *val)
{
    if (port != FWCFG_PORT_DATA)
        return BUS_UNCLAIMED;
    *val = fwcfg_read(dev) | (bus_ones(size) & ~0xffull);
    return BUS_OK;
}

static int fwcfg_io_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    /* The selector is a 16-bit register: a byte write does not reach it. */
    if (port != FWCFG_PORT_SEL || size < 2)
        return BUS_UNCLAIMED;
    fwcfg_select(dev, (uint16_t)val);
    return BUS_OK;
}

static const struct bus_ops fwcfg_ops = { fwcfg_io_read, fwcfg_io_write };

int fwcfg_attach(struct fwcfg *f, struct vm *vm)
{
    fwcfg_init(f, vm->ram_size, 1, 1);
    return bus_add(&vm->bus, BUS_PIO, FWCFG_PORT_SEL, 2, &fwcfg_ops, f);
}
