/* demo/pc/irq.h — the guest's own legacy interrupt hardware (issue 13,
 * the demo's option pic=virtual; make run PIC=virtual; tests/unittests.cfg
 * "pic = virtual"): the IRQ-routing layer, and the virtual 8259 pair, 8254
 * PIT (with port 0x61), MC146818 RTC/CMOS, ACPI PM timer and (with the
 * library's local APIC) I/O APIC of demo/dev/ on the guest's bus instead
 * of the machine's chips.
 *
 * Routing: devices call irq_set(irq, isa_irq, level); ISA IRQ n drives
 * 8259 input n, but IRQ2, the cascade, which a PC wires to IRQ9 (the
 * slave's IR1). In parallel, as on a PC, line n drives I/O APIC pin
 * (GSI) irq_gsi(n): IRQ0 -> GSI 2 (the MADT's interrupt source override,
 * as QEMU/SeaBIOS wire it), IRQ2 -> GSI 9 (the AT's IRQ2/9 pin, as for the
 * 8259), IRQ n -> GSI n otherwise, and lines 16-23 (QEMU's pc-testdev has
 * 24) are GSIs 16-23, the I/O APIC's alone. GSI 0 is not driven (QEMU
 * does not wire the 8259's INTR there either).
 *
 * I/O APIC (demo/dev/vioapic.c): only when the demo's local APIC is the
 * library's (vm->lapic set: lapic=virtual or virtual-soft) at irq_attach.
 * Its page at 0xfec00000 (VIOAPIC_BASE) is on the vm's bus (BUS_MMIO);
 * ID IRQ_IOAPIC_ID (the MADT's), version IRQ_IOAPIC_VERSION = 0x11: the
 * 82093AA's, KVM's and bare Bochs' (the differential test of
 * tests/mbk/ioapic.c compares the version register), so no EOI register:
 * level EOIs come from the local APIC's broadcast, the library's `eoi`
 * callback (x86vcpu_lapic_config) -> irq_lapic_eoi -> vioapic_eoi, which
 * clears remote IRR and sends again a line still up. Messages:
 * fixed and lowest priority -> x86vcpu_lapic_set_irq when the vCPU is a
 * destination (x86vcpu_lapic_ipi_match: physical APIC ID or broadcast
 * 0xFF, logical flat/cluster; one vCPU, so lowest priority is that one);
 * NMI -> x86vcpu_queue_nmi; ExtINT -> the local APIC runs the 8259's INTA
 * cycle: pic8259_acknowledge and x86vcpu_queue_interrupt (spurious IR7
 * when the 8259 has no request, as the chip answers; INTA at the message,
 * not at the injection: with IF = 0 the vector waits in the library's
 * queue, in ISR already, unlike the INTR pin below); SMI, INIT and the
 * reserved modes are counted in ioapic_dropped and dropped (the library
 * has no SMM and no INIT/SIPI yet). Counted: ioapic_sent (taken by the
 * vCPU), ioapic_missed (no destination, or the APIC refused it: disabled,
 * vector < 16). Without the library's APIC (lapic=host) there is no
 * virtual I/O APIC: pc.c keeps its filter over the machine's (pc/ioapic.c),
 * and lines 16-23 have nowhere to go: ignored, counted in `ignored`.
 *
 * Time: the devices' "now" is the guest's TSC (x86vcpu_get_guest_tsc) at
 * its frequency (x86vcpu_get_tsc_khz), so the PIT, RTC and PM timer agree
 * with the guest's RDTSC. A guest WRMSR that moves its TSC back does not
 * move device time back: time only accumulates the TSC's forward steps.
 *
 * Delivery: before each VM entry (vm->around_run) the devices are brought
 * to now (PIT IRQ0 edges, the RTC's IRQ8 level; also at each read of a
 * PIC port). The master PIC's INT output is the vCPU's INTR pin, given to
 * the library once (x86vcpu_set_intr_line: pending = pic8259_has_interrupt,
 * ack = pic8259_acknowledge, counted in `injected`). The library samples
 * it at every VM entry, as the CPU samples INTR at instruction boundaries,
 * and runs the INTA cycle only at the entry that injects the vector: at
 * once when the guest's RFLAGS.IF = 1 and no STI/MOV-SS shadow blocks it;
 * else it arms interrupt-window exiting and takes it at that exit, inside
 * run (SDM 26.7.5). So a request raised while IF = 0 stays in IRR, not
 * ISR, until the guest opens interrupts, and comes right after its STI's
 * shadow: "sti; nop; cli" takes it (tests/mbk/pic.c), as on a PC. Events
 * the library queues (exceptions, NMIs, queued vectors) go first. With
 * the library's local APIC (lapic=virtual or virtual-soft) the INTR pin is
 * its LINT0: the PIC's interrupts reach the guest only while LINT0 is
 * unmasked in ExtINT mode or the APIC is disabled (SDM 11.4.3, 11.5.1;
 * the demo sets up the BIOS's virtual wire, X86VCPU_LAPIC_VIRTUAL_WIRE),
 * ahead of the APIC's own vectors and bypassing its TPR. A device event
 * between two exits is seen at the next exit (below).
 * The library's time slice (setup.time_slice, the VMX-preemption timer)
 * gives the exits at which device events are seen: irq_time_slice() ticks
 * of guest execution (about IRQ_SLICE_US of the host's time; pic_slice_us=N
 * on the command line), armed only while irq_timed_open (x86vcpu_set_time_slice
 * before each entry): a device event waits up to one slice. */
#ifndef DEMO_PC_IRQ_H
#define DEMO_PC_IRQ_H

#include <stdint.h>
#include "dev/pic8259.h"
#include "dev/pit8254.h"
#include "dev/pmtimer.h"
#include "dev/rtc.h"
#include "dev/vioapic.h"

struct vm;
struct x86vcpu_vcpu;

#define IRQ_ISA_LINES 24
/* 1 ms: a slice exit costs ~700 ticks, 0.07% of a 1 ms slice at Bochs'
 * 100 MHz (100 us cost 0.7%, enough to move a guest's own TSC-rate
 * measurements, tsc.elf's, past 1%); the LAPIC timer has its own exact
 * deadline, only the 8259/I/O APIC devices wait up to a slice. */
#define IRQ_SLICE_US  1000
#define IRQ_IOAPIC_ID      0        /* the MADT's I/O APIC ID */
#define IRQ_IOAPIC_VERSION 0x11     /* 82093AA: no EOI register */

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
    struct x86vcpu_vcpu *line_vcpu; /* the vCPU whose INTR line is the PIC's */
    uint64_t injected, ignored, queue_errors, line_errors;
    struct vioapic ioapic;      /* wired only with the library's LAPIC */
    int ioapic_on;
    uint64_t ioapic_sent, ioapic_missed, ioapic_dropped;
    uint32_t slice_ticks;       /* the time slice the vCPU was set up with (0: none) */
    int slice_on;               /* ... and whether it is armed now */
};

/* The 8259 input for ISA IRQ n (0..15), or -1 (n >= 16: I/O APIC only). */
int irq_pic_line(unsigned isa_irq);
/* The I/O APIC pin (GSI) of ISA IRQ line n (0..23), or -1. */
int irq_gsi(unsigned isa_irq);
/* Drive ISA IRQ line isa_irq (0..23) to level (0 or 1): the 8259 input
 * and, when wired, the I/O APIC pin. */
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

/* The local APIC's EOI broadcast of a level-triggered vector (the
 * library's x86vcpu_lapic_config.eoi; ctx: the struct irq): the I/O
 * APIC's remote IRR (SDM 11.8.5). Does nothing before irq_attach wired it. */
void irq_lapic_eoi(void *ctx, struct x86vcpu_vcpu *v, uint8_t vector);

/* Set up the devices (guest TSC hz, RTC epoch in seconds since 1970, RAM
 * size for the CMOS memory bytes, the PM timer's ports) and put them on
 * the vm's bus: ports 0x20/0x21, 0xa0/0xa1, 0x4d0/0x4d1 (PIC, programmed
 * as a PC BIOS leaves it: vectors 0x08 and 0x70, IMRs imr_master /
 * imr_slave), 0x40-0x43 and 0x61 (PIT: counter 0 in mode 3, count 65536,
 * as a BIOS sets it), 0x70/0x71 (RTC), pm_tmr..+3 (PM timer, 24 bits);
 * with vm->lapic set, the I/O APIC's page at 0xfec00000 (every entry
 * masked, as at reset; its EPT mapping dropped so that it exits).
 * Sets vm->around_run. Returns 0 or -1. */
int irq_attach(struct irq *q, struct vm *vm, uint64_t hz, uint64_t epoch, uint64_t ram_size,
               uint16_t pm_tmr, uint8_t imr_master, uint8_t imr_slave);

/* Can a timed device (PIT, RTC) raise something the guest would see: its
 * line unmasked at the 8259 with no request latched, or at the I/O APIC?
 * Only then does the vCPU need time-slice exits (pure). */
int irq_timed_open(const struct irq *q);
/* Bring the devices to now and raise their lines (before each entry). */
void irq_update(struct irq *q, uint64_t now);
/* The vm's around_run hook: the PIC's INTR line given to the vCPU (once),
 * then irq_update. */
void irq_around_run(struct vm *vm, int after);

#endif
