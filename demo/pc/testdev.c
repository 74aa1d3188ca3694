/* demo/pc/testdev.c — latch, isa-debug-exit, Bochs' shutdown port (see
 * testdev.h). Pure: no hardware access. */
#include <stdint.h>

#include "bus.h"
#include "vm.h"
#include "pc/testdev.h"

/* ------------------------------------------------------------- pc-testdev
 * QEMU hw/misc/pc-testdev.c, "ioport" at 0xE0: a 4-byte register; an access
 * of `size` bytes at offset `off` (the port's low two bits) covers bytes
 * off..off+size-1. Bytes past byte 3 fall outside the latch: a write drops
 * them, a read returns 0 for them. */
static uint32_t size_mask(unsigned size)
{
    return size >= 4 ? 0xffffffffu : (uint32_t)((1ull << (8 * size)) - 1);
}

uint32_t latch_read(uint32_t latch, unsigned off, unsigned size)
{
    return (latch >> (8 * (off & 3))) & size_mask(size);
}

uint32_t latch_write(uint32_t latch, unsigned off, unsigned size, uint32_t val)
{
    unsigned shift = 8 * (off & 3);
    /* 64-bit so that the shift is defined; the truncation drops the bytes
     * that would land past byte 3. */
    uint32_t mask = (uint32_t)((uint64_t)size_mask(size) << shift);
    uint32_t bits = (uint32_t)((uint64_t)(val & size_mask(size)) << shift);

    return (latch & ~mask) | bits;
}

/* --------------------------------------------------------- isa-debug-exit
 * QEMU hw/misc/debugexit.c: a write of v exits with status (v << 1) | 1, v
 * being only the bytes the access wrote. Kept to 32 bits: a 4-byte v with
 * bit 31 set loses it (the host's exit status is 8 bits anyway). */
uint32_t debug_exit_status(uint32_t v, unsigned size)
{
    return ((v & size_mask(size)) << 1) | 1;
}

/* ---------------------------------------------------- Bochs shutdown port
 * 'S' occurs only at the start of "Shutdown", so on a mismatch the longest
 * prefix that can still be completed is "S" if the byte is 'S', else
 * nothing: that is all the backtracking the matcher needs. */
int shutdown_port_write(struct shutdown_port *s, uint8_t byte)
{
    static const char word[8] = { 'S', 'h', 'u', 't', 'd', 'o', 'w', 'n' };

    if (s->matched >= sizeof word)  /* never left so; guards the index */
        s->matched = 0;
    if (byte == (uint8_t)word[s->matched]) {
        if (++s->matched == sizeof word) {
            s->matched = 0;
            return 1;
        }
        return 0;
    }
    s->matched = byte == (uint8_t)word[0];
    return 0;
}

/* ---------------------------------------------------------------- devices */
static int latch_io_read(void *dev, uint64_t port, uint32_t size, uint64_t *val)
{
    struct latch *l = dev;
    if (port + size > LATCH_PORT + 4)
        return BUS_UNCLAIMED;
    *val = latch_read(l->val, (unsigned)(port - LATCH_PORT), size);
    return BUS_OK;
}

static int latch_io_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    struct latch *l = dev;
    if (port + size > LATCH_PORT + 4)
        return BUS_UNCLAIMED;
    l->val = latch_write(l->val, (unsigned)(port - LATCH_PORT), size, (uint32_t)val);
    return BUS_OK;
}

static const struct bus_ops latch_ops = { latch_io_read, latch_io_write };

int latch_attach(struct latch *l, struct vm *vm)
{
    l->val = 0;
    return bus_add(&vm->bus, BUS_PIO, LATCH_PORT, 4, &latch_ops, l);
}

static int debug_exit_io_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    (void)port;
    vm_end(dev, debug_exit_status((uint32_t)val, size), "isa-debug-exit");
    return BUS_OK;
}

static const struct bus_ops debug_exit_ops = { 0, debug_exit_io_write };

int debug_exit_attach(struct vm *vm)
{
    return bus_add(&vm->bus, BUS_PIO, DEBUG_EXIT_PORT, 1, &debug_exit_ops, vm);
}

static int shutdown_io_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    struct shutdown_port *s = dev;
    (void)port;
    if (size != 1)
        return BUS_UNCLAIMED;
    if (shutdown_port_write(s, (uint8_t)val))
        vm_end(s->vm, VM_OFF, "shutdown port 0x8900");
    return BUS_OK;
}

static const struct bus_ops shutdown_ops = { 0, shutdown_io_write };

int shutdown_port_attach(struct shutdown_port *s, struct vm *vm)
{
    s->matched = 0;
    s->vm = vm;
    return bus_add(&vm->bus, BUS_PIO, SHUTDOWN_PORT, 1, &shutdown_ops, s);
}
