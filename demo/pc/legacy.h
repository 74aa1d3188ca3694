/* demo/pc/legacy.h — the one piece of the machine's legacy hardware the
 * demo gives its guest on purpose: the VGA ports 0x3B0-0x3DF pass through
 * (with the VGA window 0xA0000-0xBFFFF, memmap.c), a display the guest
 * may draw on. Nothing else of the machine's is the guest's: the 8259s,
 * PIT and port B, RTC/CMOS and PM timer are the demo's models (irq.h),
 * port 0x80 (POST codes) is an empty port (reads all-ones, writes are
 * dropped, counted as unassigned accesses). */
#ifndef DEMO_PC_LEGACY_H
#define DEMO_PC_LEGACY_H

struct vm;

int legacy_attach(struct vm *vm);

#endif
