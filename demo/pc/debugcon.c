/* demo/pc/debugcon.c — port 0xE9 (see debugcon.h). Pure. */
#include <stdint.h>

#include "bus.h"
#include "vm.h"
#include "pc/debugcon.h"

static int debugcon_read(void *dev, uint64_t port, uint32_t size, uint64_t *val)
{
    (void)dev;
    (void)port;
    if (size != 1)
        return BUS_UNCLAIMED;
    *val = DEBUGCON_PORT;
    return BUS_OK;
}

static int debugcon_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    struct vm *vm = dev;
    (void)port;
    (void)size;
    vm->console(vm, (char)val);     /* the low byte, whatever the width */
    return BUS_OK;
}

static const struct bus_ops debugcon_ops = { debugcon_read, debugcon_write };

int debugcon_attach(struct vm *vm)
{
    return bus_add(&vm->bus, BUS_PIO, DEBUGCON_PORT, 1, &debugcon_ops, vm);
}
