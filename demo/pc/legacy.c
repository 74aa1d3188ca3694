/* demo/pc/legacy.c — the VGA ports passed through, and port 0x80 (see
 * legacy.h). */
#include <stdint.h>

#include "bus.h"
#include "vm.h"
#include "pc/legacy.h"

/* POST codes: a byte latch, byte reads give the last byte written (0 at
 * reset), as Bochs' and most chipsets' port 0x80 do; wider accesses see
 * an empty port (all-ones, writes dropped), as on Bochs, whose handler is
 * byte-only. The guest fuzzer compares these reads with bare Bochs. */
static int post_read(void *dev, uint64_t port, uint32_t size, uint64_t *val)
{
    (void)port;
    *val = size == 1 ? *(uint8_t *)dev : bus_ones(size);
    return BUS_OK;
}

static int post_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    (void)port;
    if (size == 1)
        *(uint8_t *)dev = (uint8_t)val;
    return BUS_OK;
}

static const struct bus_ops post_ops = { post_read, post_write };

int legacy_attach(struct legacy *l, struct vm *vm)
{
    l->post = 0;
    int err = bus_add(&vm->bus, BUS_PIO, 0x80, 1, &post_ops, &l->post);
    err |= bus_pass(&vm->bus, BUS_PIO, 0x3b0, 0x30, BUS_PASS_READ | BUS_PASS_WRITE);
    return err ? -1 : 0;
}
