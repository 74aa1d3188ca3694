/* demo/pc/ioapic.h — the machine's I/O APIC behind a filter (ioapic.c):
 * the guest programs it, but no entry sends NMI/SMI/INIT or reaches
 * another CPU. */
#ifndef DEMO_PC_IOAPIC_H
#define DEMO_PC_IOAPIC_H

#include <stdint.h>

struct pc;

#define IOAPIC_MAX_ENTRIES 24
struct ioapic {
    struct pc *pc;
    uint8_t sel;                /* the guest's IOREGSEL */
    unsigned entries;           /* redirection entries the hardware has */
    uint64_t rte[IOAPIC_MAX_ENTRIES];   /* as the guest wrote them */
    uint64_t masked;            /* entry writes the demo masked */
};

int ioapic_attach(struct ioapic *io, struct pc *pc);

#endif
