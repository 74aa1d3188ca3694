/* demo/pc/legacy.h — the PC's legacy chips, which the guest drives itself
 * (the demo keeps none of them): 8259 PICs and ELCR, 8254 PIT and port B,
 * the POST port 0x80, VGA. Their ports pass through: the guest's timer
 * interrupts reach its IDT directly.
 *
 * CMOS/RTC (ports 0x70/0x71) does not: its NVRAM is the host's firmware
 * settings and port 0x70 bit 7 masks the host's NMIs. The index is the
 * guest's own; reads of the RTC (registers 0x00-0x0D and the century byte
 * 0x32) come from the hardware through `rtc_read`; writes to them are
 * dropped (the guest cannot set the host's clock, alarm, rate or interrupt
 * enables) and counted; the rest of the 128 bytes is a shadow NVRAM,
 * filled from the hardware at attach, which the guest may write. */
#ifndef DEMO_PC_LEGACY_H
#define DEMO_PC_LEGACY_H

#include <stdint.h>

struct vm;

struct cmos {
    uint8_t index;              /* last index written to port 0x70 (bits 6:0) */
    uint8_t nmi_off;            /* its bit 7, kept but never sent */
    uint8_t nvram[128];         /* the shadow */
    uint64_t writes_dropped;    /* RTC register writes dropped */
    uint8_t (*rtc_read)(uint8_t reg);   /* the hardware's register reg */
};

/* virt (pic=virtual): only port 0x80 and VGA pass through; the PIC,
 * ELCR, PIT and port B are the guest's own (pc/irq.h). */
int legacy_attach(struct vm *vm, int virt);
/* Ports 0x70/0x71 on the bus; nvram filled through rtc_read (set it first). */
int cmos_attach(struct cmos *c, struct vm *vm);
/* The registers read from the hardware. */
static inline int cmos_is_rtc(uint8_t reg)
{
    return reg <= 0x0d || reg == 0x32;
}

#endif
