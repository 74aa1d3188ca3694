/* demo/pc/legacy.h — the one piece of the machine's legacy hardware the
 * demo gives its guest on purpose: the VGA ports 0x3B0-0x3DF pass through
 * (with the VGA window 0xA0000-0xBFFFF, memmap.c), a display the guest
 * may draw on. Nothing else of the machine's is the guest's: the 8259s,
 * PIT and port B, RTC/CMOS and PM timer are the demo's models (irq.h);
 * port 0x80 (POST codes) is a byte latch of the guest's own (reads give
 * the last write, as on Bochs). */
#ifndef DEMO_PC_LEGACY_H
#define DEMO_PC_LEGACY_H

#include <stdint.h>

struct vm;

struct legacy {
    uint8_t post;       /* port 0x80's last write */
};

int legacy_attach(struct legacy *l, struct vm *vm);

#endif
