/* demo/pc/legacy.c — legacy chips passed through, and the CMOS (see
 * legacy.h). Pure: the CMOS reaches the hardware only through its hook. */
#include <stdint.h>

#include "bus.h"
#include "vm.h"
#include "pc/legacy.h"

int legacy_attach(struct vm *vm, int virt)
{
    static const uint16_t ranges[][2] = {
        { 0x20, 2 },    /* master PIC */
        { 0xa0, 2 },    /* slave PIC */
        { 0x4d0, 2 },   /* ELCR */
        { 0x40, 4 },    /* PIT */
        { 0x61, 1 },    /* port B: PIT gate 2, speaker */
        { 0x80, 1 },    /* POST codes */
        { 0x3b0, 0x30 },/* VGA */
    };
    int err = 0;
    /* pic=virtual: the first five are the guest's own (pc/irq.c). */
    for (unsigned i = virt ? 5 : 0; i < sizeof ranges / sizeof ranges[0]; i++)
        err |= bus_pass(&vm->bus, BUS_PIO, ranges[i][0], ranges[i][1],
                        BUS_PASS_READ | BUS_PASS_WRITE);
    return err ? -1 : 0;
}

#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71

static int cmos_read(void *dev, uint64_t port, uint32_t size, uint64_t *val)
{
    struct cmos *c = dev;
    (void)size;
    if (port == CMOS_INDEX) {
        /* Write-only on a PC: what an empty port shows. */
        return BUS_UNCLAIMED;
    }
    *val = cmos_is_rtc(c->index) ? c->rtc_read(c->index) : c->nvram[c->index];
    return BUS_OK;
}

static int cmos_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    struct cmos *c = dev;
    (void)size;
    if (port == CMOS_INDEX) {
        c->index = (uint8_t)(val & 0x7f);
        c->nmi_off = (uint8_t)(val >> 7) & 1;
    } else if (cmos_is_rtc(c->index)) {
        c->writes_dropped++;
    } else {
        c->nvram[c->index] = (uint8_t)val;
    }
    return BUS_OK;
}

static const struct bus_ops cmos_ops = { cmos_read, cmos_write };

int cmos_attach(struct cmos *c, struct vm *vm)
{
    c->index = 0;
    c->nmi_off = 0;
    c->writes_dropped = 0;
    for (unsigned i = 0; i < 128; i++)
        c->nvram[i] = cmos_is_rtc((uint8_t)i) ? 0 : c->rtc_read((uint8_t)i);
    return bus_add(&vm->bus, BUS_PIO, CMOS_INDEX, 2, &cmos_ops, c);
}
