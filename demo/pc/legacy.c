/* demo/pc/legacy.c — legacy chips passed through (see legacy.h). Pure. */
#include <stdint.h>

#include "bus.h"
#include "vm.h"
#include "pc/legacy.h"

int legacy_attach(struct vm *vm)
{
    static const uint16_t ranges[][2] = {
        { 0x20, 2 },    /* master PIC */
        { 0xa0, 2 },    /* slave PIC */
        { 0x4d0, 2 },   /* ELCR */
        { 0x40, 4 },    /* PIT */
        { 0x61, 1 },    /* port B: PIT gate 2, speaker */
        { 0x70, 2 },    /* CMOS/RTC */
        { 0x80, 1 },    /* POST codes */
        { 0x3b0, 0x30 },/* VGA */
    };
    int err = 0;
    for (unsigned i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        err |= bus_pass(&vm->bus, BUS_PIO, ranges[i][0], ranges[i][1],
                        BUS_PASS_READ | BUS_PASS_WRITE);
    return err ? -1 : 0;
}
