/* demo/dev/vioapic.h — a virtual I/O APIC (82093AA register model) with 24
 * redirection entries. A pure model: the embedder maps its 4 KiB page
 * (0xfec00000 on a PC) to vioapic_mmio_read/write, drives pins with
 * vioapic_set_line, forwards the local APIC's EOI broadcasts to
 * vioapic_eoi, and receives interrupt messages through the deliver
 * callback (to a local APIC; delivery mode 7, ExtINT, means "ask the PIC
 * for the vector").
 *
 * Behaviour (82093AA data sheet 3.2 and 3.2.4; version 0x20 as the ICH's):
 * - IOREGSEL at +0x00 (bits 7:0), IOWIN at +0x10, EOI at +0x40 (version
 *   0x20 only; write-only). Registers: 0x00 ID (bits 27:24), 0x01 version
 *   (max entry 23 in bits 23:16, version in 7:0), 0x02 arbitration ID,
 *   0x10 + 2n / 0x11 + 2n entry n low / high.
 * - Entry bits kept: vector, delivery mode, destination mode, polarity,
 *   trigger mode, mask, destination (63:56); delivery status (12) and
 *   remote IRR (14) are read-only, other bits read 0. Reset: all masked.
 * - Pins take the asserted state (polarity is the wiring's, recorded only,
 *   as in QEMU and KVM). Edge: a rise on an unmasked pin sends one message;
 *   on a masked pin it is lost (82093AA: "ignored"). Level: an asserted,
 *   unmasked pin with remote IRR clear sends a message and sets remote IRR;
 *   an EOI for the vector (LAPIC broadcast, or the EOI register) clears
 *   it, and a pin still asserted sends again. Unmasking an asserted level
 *   pin sends. Setting an entry to edge clears its remote IRR (what
 *   Linux's EOI for a version 0x11 I/O APIC relies on). NMI, SMI, INIT
 *   and ExtINT entries act as edge whatever their trigger bit (3.2.4: no
 *   EOI comes for them), so they never set remote IRR; msg.level is 0.
 * - Messages go out at once: delivery status reads 0. The callback must
 *   not call back into the model (an EOI arrives later, from the guest). */
#ifndef DEMO_DEV_VIOAPIC_H
#define DEMO_DEV_VIOAPIC_H

#include <stdint.h>

#define VIOAPIC_PINS     24
#define VIOAPIC_BASE     0xfec00000u
#define VIOAPIC_SIZE     0x1000u

/* An interrupt message (82093AA 3.2.4: the fields of the entry). */
struct vioapic_msg {
    uint8_t vector;
    uint8_t delivery_mode;  /* 0 fixed, 1 lowest priority, 2 SMI, 4 NMI,
                             * 5 INIT, 7 ExtINT */
    uint8_t dest;           /* APIC ID (physical) or logical set */
    uint8_t dest_logical;   /* destination mode: 1 logical */
    uint8_t level;          /* trigger mode: 1 level */
    uint8_t pin;
};

typedef void vioapic_deliver_fn(void *opaque, const struct vioapic_msg *msg);

struct vioapic {
    uint64_t rte[VIOAPIC_PINS];
    uint32_t lines;         /* asserted pins */
    uint32_t ioregsel;
    uint32_t id;            /* bits 27:24 of register 0 */
    uint8_t version;        /* 0x11 or 0x20 */
    vioapic_deliver_fn *deliver;
    void *opaque;
};

/* version: 0x11 (82093AA, no EOI register) or 0x20. Returns 0 or -1. */
int vioapic_init(struct vioapic *v, uint8_t version, vioapic_deliver_fn *deliver, void *opaque);
void vioapic_set_line(struct vioapic *v, unsigned pin, int asserted);
/* The EOI of vector (a local APIC's broadcast for a level interrupt). */
void vioapic_eoi(struct vioapic *v, uint8_t vector);
/* Accesses at offset (from the base) of size 1, 2 or 4, naturally
 * aligned; anything else reads 0 and is ignored. */
uint32_t vioapic_mmio_read(struct vioapic *v, uint32_t offset, uint32_t size);
void vioapic_mmio_write(struct vioapic *v, uint32_t offset, uint32_t size, uint32_t val);

#endif
