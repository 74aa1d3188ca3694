/* demo/pc/legacy.h — the PC's legacy chips, which the guest drives itself
 * (the demo keeps none of them): 8259 PICs and ELCR, 8254 PIT and port B,
 * CMOS/RTC, the POST port 0x80, VGA. Their ports pass through: the guest's
 * timer interrupts reach its IDT directly. */
#ifndef DEMO_PC_LEGACY_H
#define DEMO_PC_LEGACY_H

struct vm;
int legacy_attach(struct vm *vm);

#endif
