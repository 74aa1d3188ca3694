/* demo/pc/legacy.c — the VGA ports passed through (see legacy.h). */
#include <stdint.h>

#include "bus.h"
#include "vm.h"
#include "pc/legacy.h"

int legacy_attach(struct vm *vm)
{
    return bus_pass(&vm->bus, BUS_PIO, 0x3b0, 0x30, BUS_PASS_READ | BUS_PASS_WRITE) ? -1 : 0;
}
