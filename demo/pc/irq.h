/* demo/pc/irq.h — the guest's own legacy interrupt hardware (issue 13,
 * the demo's option pic=virtual; make run PIC=virtual; tests/unittests.cfg
 * "pic = virtual"): the IRQ-routing layer, and the virtual 8259 pair, 8254
 * PIT (with port 0x61), MC146818 RTC/CMOS and ACPI PM timer of demo/dev/
 * on the guest's bus instead of the machine's chips.
 *
 * Routing: devices call irq_set(irq, isa_irq, level); ISA IRQ n drives
 * 8259 input n, but IRQ2, the cascade, which a PC wires to IRQ9 (the
 * slave's IR1). Lines 16-23 (QEMU's pc-testdev has 24) would need the
 * virtual I/O APIC, not wired yet: ignored, counted in `ignored`.
 *
 * Time: the devices' "now" is the guest's TSC (x86vcpu_get_guest_tsc) at
 * its frequency (x86vcpu_get_tsc_khz), so the PIT, RTC and PM timer agree
 * with the guest's RDTSC. A guest WRMSR that moves its TSC back does not
 * move device time back: time only accumulates the TSC's forward steps.
 *
 * Delivery: before each VM entry (vm->around_run) the devices are brought
 * to now (PIT IRQ0 edges, the RTC's IRQ8 level; also at each read of a
 * PIC port), and when the PIC's INT output is up, the guest's RFLAGS.IF is
 * 1 and no event is queued, the PIC is acknowledged (the INTA cycle) and
 * its vector queued with x86vcpu_queue_interrupt, which the library
 * injects at that entry (or right after an STI/MOV-SS shadow, through
 * interrupt-window exiting): INTA and injection coincide, as on a PC.
 * With IF = 0 the request stays in IRR, as on a PC, until an exit finds
 * IF = 1 (the guest's HLT, any exit, or the time slice): counted in
 * if_waits. Deviation: the guest's STI itself does not exit (the library
 * opens interrupt windows only for vectors already queued, and acking at
 * queue time would show the request in ISR while IF = 0, and make an EOI
 * with IF = 0 find the next one in service), so after an STI the
 * interrupt comes at the next exit: at once for "sti; hlt", up to one
 * time slice later in a busy loop; a short "sti; nop; cli" window misses
 * it. A library hook asking the embedder for the vector at injection time
 * (an INTR line) would remove this.
 * The library's time slice (setup.time_slice, the VMX-preemption timer)
 * gives the exits at which device events are seen: irq_time_slice() ticks
 * of guest execution (about IRQ_SLICE_US of the host's time; pic_slice_us=N
 * on the command line). The library sets the slice only at setup, so a
 * device event waits up to one slice (no exit at the event's own time: a
 * run-time deadline for the preemption timer needs a library call). */
#ifndef DEMO_PC_IRQ_H
#define DEMO_PC_IRQ_H

#include <stdint.h>
#include "dev/pic8259.h"
#include "dev/pit8254.h"
#include "dev/pmtimer.h"
#include "dev/rtc.h"

struct vm;

#define IRQ_ISA_LINES 24
#define IRQ_SLICE_US  100

struct irq {
    struct vm *vm;
    struct pic8259 pic;
    struct pit8254 pit;
    struct rtc rtc;
    struct pmtimer pmt;
    uint16_t pm_tmr;            /* the PM timer's port block (the FADT's), or 0 */
    uint8_t levels[IRQ_ISA_LINES]; /* what irq_set last drove */
    uint64_t hz;                /* the guest's TSC frequency */
    uint64_t now;               /* device time, in guest TSC ticks */
    uint64_t last_tsc;          /* the guest TSC at the last irq_now */
    uint64_t injected, ignored, queue_errors, if_waits;
};

/* The 8259 input for ISA IRQ n (0..15), or -1 (n >= 16: I/O APIC only). */
int irq_pic_line(unsigned isa_irq);
/* Drive ISA IRQ line isa_irq (0..23) to level (0 or 1). */
void irq_set(struct irq *q, unsigned isa_irq, int level);
/* irq_set for a device's callback (ctx: the struct irq). */
void irq_line_cb(void *ctx, unsigned isa_irq, int level);
/* An edge-triggered device's pulse (PIT OUT0 rising). */
void irq_pulse(struct irq *q, unsigned isa_irq);

/* Device time from the guest's TSC value tsc: moves forward by tsc's
 * forward steps only (pure; irq_now reads the TSC and calls it). */
uint64_t irq_advance_time(struct irq *q, uint64_t tsc);

/* Time slice in host TSC ticks (VMX-preemption timer rate 0 assumed: the
 * caller scales) for host_khz and us microseconds; at least 1. */
uint32_t irq_time_slice(uint32_t host_khz, uint64_t us);

/* Days since 1970-01-01 of a Gregorian date (year >= 1970). */
uint64_t irq_days_from_civil(uint64_t y, unsigned m, unsigned d);

/* Set up the devices (guest TSC hz, RTC epoch in seconds since 1970, RAM
 * size for the CMOS memory bytes, the PM timer's ports) and put them on
 * the vm's bus: ports 0x20/0x21, 0xa0/0xa1, 0x4d0/0x4d1 (PIC, programmed
 * as a PC BIOS leaves it: vectors 0x08 and 0x70, IMRs imr_master /
 * imr_slave), 0x40-0x43 and 0x61 (PIT: counter 0 in mode 3, count 65536,
 * as a BIOS sets it), 0x70/0x71 (RTC), pm_tmr..+3 (PM timer, 24 bits).
 * Sets vm->around_run. Returns 0 or -1. */
int irq_attach(struct irq *q, struct vm *vm, uint64_t hz, uint64_t epoch, uint64_t ram_size,
               uint16_t pm_tmr, uint8_t imr_master, uint8_t imr_slave);

/* Bring the devices to now and raise their lines (before each entry). */
void irq_update(struct irq *q, uint64_t now);
/* The vm's around_run hook: irq_update, then the INTR delivery. */
void irq_around_run(struct vm *vm, int after);

#endif
