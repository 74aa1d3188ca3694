/* demo/dev/pic8259.h — a virtual 8259A pair (master at 0x20/0x21, slave at
 * 0xa0/0xa1, cascaded on master IR2) with the PIIX edge/level control
 * registers (ELCR, 0x4d0/0x4d1). A pure model: no hardware, no bus; the
 * embedder routes ports to pic8259_port_read/write, device lines to
 * pic8259_set_line, and asks pic8259_has_interrupt() before injecting the
 * vector pic8259_acknowledge() returns (the INTA cycle).
 *
 * Behaviour (Intel 8259A data sheet; PIIX4 data sheet 4.1.11 for ELCR):
 * - ICW1..ICW4 (ICW3 expected unless SNGL, ICW4 when IC4), OCW1 (IMR),
 *   OCW2 (non-specific / specific EOI, rotate on EOI, rotate in auto-EOI,
 *   set priority), OCW3 (read IRR / ISR, poll, special mask mode).
 * - Edge lines latch a request in IRR on a rising edge; it stays until
 *   acknowledged even if the line falls (devices pulse their lines). Level
 *   lines (ELCR bit, or ICW1 LTIM for the whole chip) keep IRR equal to the
 *   line. A request that is gone by INTA time (level line lowered, IMR set)
 *   gives the spurious IR7 of its chip: vector base+7 with no ISR bit set;
 *   a spurious slave request leaves master IR2 in service (the guest's EOI
 *   to the master is still due, as on the chip). Master IR2 is an edge
 *   line like the others (as in QEMU and KVM): a slave request that rose
 *   and went away before INTA gives the spurious IR15. The slave's INT
 *   falls in each INTA cycle, so a request still pending on it raises IR2
 *   again.
 * - Fully nested priority with rotation; special fully nested mode (ICW4
 *   SFNM) lets the slave interrupt the master's in-service IR2; auto-EOI.
 * - ELCR: IRQ0-2, 8 and 13 cannot be level (their bits read 0).
 * After pic8259_init both chips are un-initialised (IMR 0, vector base 0):
 * the guest (or the firmware the embedder plays) runs ICW1-4 first. */
#ifndef DEMO_DEV_PIC8259_H
#define DEMO_DEV_PIC8259_H

#include <stdint.h>

struct pic8259_chip {
    uint8_t irr, imr, isr;
    uint8_t lines;          /* input levels as the devices drive them */
    uint8_t elcr, elcr_mask;
    uint8_t base;           /* ICW2: vector of IR0 (bits 7:3) */
    uint8_t prio;           /* IR with the highest priority (rotation) */
    uint8_t init;           /* next ICW expected: 0 none, 2, 3 or 4 */
    uint8_t ic4, sngl, ltim, icw3;
    uint8_t aeoi, rotate_aeoi, sfnm;
    uint8_t read_isr, poll, smm;
};

struct pic8259 {
    struct pic8259_chip c[2];   /* [0] master, [1] slave */
};

void pic8259_init(struct pic8259 *p);
/* Drive IRQ line irq (0..15) to level (0 or 1). IRQ2 is the cascade: a
 * device on "IRQ2" of a PC is wired to IRQ9 (the embedder's routing). */
void pic8259_set_line(struct pic8259 *p, unsigned irq, int level);
/* The master's INT output: an unmasked request above the in-service one. */
int pic8259_has_interrupt(const struct pic8259 *p);
/* INTA: the vector to deliver (spurious IR7/IR15 vector when the request
 * went away); updates IRR/ISR as the chips do. */
uint8_t pic8259_acknowledge(struct pic8259 *p);
/* Ports 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 (byte accesses); other ports
 * read 0xff and ignore writes. Returns 0, or -1 for a port not the PIC's. */
int pic8259_port_read(struct pic8259 *p, uint16_t port, uint8_t *val);
int pic8259_port_write(struct pic8259 *p, uint16_t port, uint8_t val);

#endif
