/* demo/pc/testdev.c — pc-testdev (latch, page flush, iomem window, IRQ
 * ports), isa-debug-exit, Bochs' shutdown port (see testdev.h). No
 * hardware access: the page flush goes through the library's EPT calls. */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

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

/* The iomem window (QEMU: IOMEM_LEN bytes of a buffer, memcpy in and out,
 * little-endian). The bus routes an access by its first byte; the bytes
 * past the window's end are not there. */
uint64_t testdev_iomem_read(const uint8_t *buf, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size && i < 8 && off + i < TESTDEV_IOMEM_LEN; i++)
        v |= (uint64_t)buf[off + i] << (8 * i);
    return v;
}

void testdev_iomem_write(uint8_t *buf, uint64_t off, unsigned size, uint64_t val)
{
    for (unsigned i = 0; i < size && i < 8 && off + i < TESTDEV_IOMEM_LEN; i++)
        buf[off + i] = (uint8_t)(val >> (8 * i));
}

/* The page flush (see testdev.h): a RAM page's EPT entry goes (the next
 * access is an EPT violation), and comes back at that violation. Only
 * plain RAM: below the VGA window or from 1 MiB up to the RAM's end. */
static int plain_ram(const struct vm *vm, uint64_t page)
{
    return page < vm->ram_size && (page < 0xa0000 || page >= 0x100000);
}

static void map_back(struct latch *l, uint64_t page)
{
    x86vcpu_ept_map(l->vm->ept, page, l->vm->ram_pa + page, 4096, X86VCPU_EPT_RWX,
                    X86VCPU_MT_WB);
}

/* Entry i leaves the list of flushed pages (its order kept: oldest first). */
static void flushed_drop(struct latch *l, uint32_t i)
{
    for (uint32_t j = i + 1; j < l->nflushed; j++)
        l->flushed[j - 1] = l->flushed[j];
    l->nflushed--;
}

static void flush_page(struct latch *l, uint64_t gpa)
{
    uint64_t page = gpa & ~0xfffull;
    if (!plain_ram(l->vm, page))
        return;
    for (uint32_t i = 0; i < l->nflushed; i++)
        if (l->flushed[i] == page)
            return;                     /* already out */
    if (l->nflushed == TESTDEV_FLUSH_MAX) {
        map_back(l, l->flushed[0]);
        flushed_drop(l, 0);
    }
    if (x86vcpu_ept_unmap(l->vm->ept, page, 4096))
        return;
    l->flushed[l->nflushed++] = page;
    l->flushes++;
}

int testdev_flush_fault(struct latch *l, const struct x86vcpu_exit *e)
{
    if (e->kind != X86VCPU_EXIT_EPT_VIOLATION || e->u.ept.misconfig)
        return 0;
    uint64_t page = e->u.ept.gpa & ~0xfffull;
    for (uint32_t i = 0; i < l->nflushed; i++) {
        if (l->flushed[i] != page)
            continue;
        map_back(l, page);
        flushed_drop(l, i);
        l->flush_faults++;
        return 1;
    }
    return 0;
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
    if ((port & 3) + size > 4)
        return BUS_UNCLAIMED;
    *val = latch_read(l->val, (unsigned)(port & 3), size);
    return BUS_OK;
}

static int latch_io_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    struct latch *l = dev;
    if ((port & 3) + size > 4)
        return BUS_UNCLAIMED;
    l->val = latch_write(l->val, (unsigned)(port & 3), size, (uint32_t)val);
    return BUS_OK;
}

static const struct bus_ops latch_ops = { latch_io_read, latch_io_write };

/* QEMU takes only 32-bit writes at 0xE4. */
static int flush_io_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    if (port != FLUSH_PORT || size != 4)
        return BUS_UNCLAIMED;
    flush_page(dev, (uint32_t)val);
    return BUS_OK;
}

static const struct bus_ops flush_ops = { 0, flush_io_write };

static int irq_io_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    struct latch *l = dev;
    (void)size;
    l->irq_writes++;
    if (l->irq)
        l->irq(l->irq_ctx, (unsigned)(port - TESTDEV_IRQ_PORT), val != 0);
    return BUS_OK;
}

static const struct bus_ops irq_ops = { 0, irq_io_write };

static int iomem_read(void *dev, uint64_t addr, uint32_t size, uint64_t *val)
{
    struct latch *l = dev;
    *val = testdev_iomem_read(l->iomem, addr - TESTDEV_IOMEM, size);
    return BUS_OK;
}

static int iomem_write(void *dev, uint64_t addr, uint32_t size, uint64_t val)
{
    struct latch *l = dev;
    testdev_iomem_write(l->iomem, addr - TESTDEV_IOMEM, size, val);
    return BUS_OK;
}

static const struct bus_ops iomem_ops = { iomem_read, iomem_write };

/* The vm's hook: a flushed page's EPT violation, else whoever had it. */
static int testdev_on_exit(struct vm *vm, const struct x86vcpu_exit *e)
{
    const struct bus_range *r = bus_find(&vm->bus, BUS_PIO, FLUSH_PORT);
    struct latch *l = r && r->ops == &flush_ops ? r->dev : 0;
    if (!l)
        return 0;
    if (testdev_flush_fault(l, e))
        return 1;
    return l->next_on_exit ? l->next_on_exit(vm, e) : 0;
}

int latch_attach(struct latch *l, struct vm *vm)
{
    l->val = 0;
    l->vm = vm;
    l->nflushed = 0;
    l->flushes = l->flush_faults = l->irq_writes = 0;
    l->irq = 0;
    for (uint32_t i = 0; i < TESTDEV_IOMEM_LEN; i++)
        l->iomem[i] = 0;
    int err = bus_add(&vm->bus, BUS_PIO, LATCH_PORT, 4, &latch_ops, l);
    err |= bus_add(&vm->bus, BUS_PIO, FLUSH_PORT, 4, &flush_ops, l);
    err |= bus_add(&vm->bus, BUS_PIO, TESTDEV_IRQ_PORT, TESTDEV_IRQ_LINES, &irq_ops, l);
    err |= bus_add(&vm->bus, BUS_MMIO, TESTDEV_IOMEM, TESTDEV_IOMEM_LEN, &iomem_ops, l);
    if (err)
        return -1;
    l->next_on_exit = vm->on_exit;
    vm->on_exit = testdev_on_exit;
    return 0;
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
