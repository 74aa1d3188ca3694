/* Unit tests: the IRQ-routing layer and the virtual legacy platform of
 * pic=virtual (demo/pc/irq.c) on a machine's bus, with the library calls
 * it makes recorded (the unit tests link no src/vmx): ISA IRQ routing
 * (IRQ2 -> IR9; lines 16-23 ignored without the I/O APIC), the GSI of each
 * line (IRQ0 -> GSI 2, IRQ2 -> GSI 9), the I/O APIC with the library's
 * LAPIC (its page on the bus, lines reaching its pins, messages to the
 * LAPIC by delivery mode and destination, remote IRR and the EOI
 * callback), device time from the guest's TSC
 * (forward steps only), the slice and the date arithmetic, the ports on
 * the bus, the BIOS state of the PIC and PIT, the CMOS memory bytes, and
 * INTR delivery: the PIC given once as the vCPU's INTR line
 * (x86vcpu_set_intr_line), acknowledged only by the library's INTA. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "bus.h"
#include "vm.h"
#include "pc/irq.h"

/* ------------------------------------------------ the library, recorded */
static struct {
    uint64_t tsc, rflags;
    uint32_t pending;
    unsigned queued;
    uint8_t vector;
} lib;

int x86vcpu_get_guest_tsc(const struct x86vcpu_vcpu *v, uint64_t *tsc)
{
    (void)v;
    *tsc = lib.tsc;
    return 0;
}

int x86vcpu_get_rflags(struct x86vcpu_vcpu *v, uint64_t *rflags)
{
    (void)v;
    *rflags = lib.rflags;
    return 0;
}

uint32_t x86vcpu_pending_events(const struct x86vcpu_vcpu *v)
{
    (void)v;
    return lib.pending;
}

int x86vcpu_queue_interrupt(struct x86vcpu_vcpu *v, uint8_t vector)
{
    (void)v;
    lib.queued++;
    lib.vector = vector;
    lib.pending++;
    return 0;
}

/* The INTR line as given (irq_around_run), and how often. */
static struct x86vcpu_intr_line line;
static unsigned lines;
static struct x86vcpu_vcpu *line_v;

int x86vcpu_set_intr_line(struct x86vcpu_vcpu *v, const struct x86vcpu_intr_line *l)
{
    lines++;
    line_v = v;
    line = l ? *l : (struct x86vcpu_intr_line){ 0 };
    return 0;
}

/* The time slice as the demo sets it before each entry. */
static uint32_t slice_now = 0xdead;
static unsigned slice_sets;

int x86vcpu_set_time_slice(struct x86vcpu_vcpu *v, uint32_t ticks)
{
    (void)v;
    slice_sets++;
    slice_now = ticks;
    return 0;
}

/* The library's side of the pin: sample it, run INTA. */
static int line_pending(void)
{
    assert_non_null(line.pending);
    return line.pending(line.ctx);
}

static int line_ack(void)
{
    assert_non_null(line.ack);
    return line.ack(line.ctx);
}

/* The virtual LAPIC's side, recorded: what the I/O APIC sent. */
static struct {
    int match;                          /* x86vcpu_lapic_ipi_match's answer */
    int refuse;                         /* x86vcpu_lapic_set_irq's */
    unsigned irqs, nmis, unmaps;
    uint8_t vector;
    int level;
    struct x86vcpu_lapic_ipi ipi;       /* the last destination asked */
} apic;

int x86vcpu_lapic_ipi_match(const struct x86vcpu_vcpu *target, const struct x86vcpu_vcpu *from,
                            const struct x86vcpu_lapic_ipi *ipi)
{
    (void)target;
    assert_null(from);
    apic.ipi = *ipi;
    return apic.match;
}

int x86vcpu_lapic_set_irq(struct x86vcpu_vcpu *v, uint8_t vector, int level_trigger)
{
    (void)v;
    if (apic.refuse)
        return 1;
    apic.irqs++;
    apic.vector = vector;
    apic.level = level_trigger;
    return 0;
}

int x86vcpu_queue_nmi(struct x86vcpu_vcpu *v)
{
    (void)v;
    apic.nmis++;
    return 0;
}

int x86vcpu_ept_unmap(struct x86vcpu_ept *ept, uint64_t gpa, uint64_t len)
{
    (void)ept;
    assert_int_equal(gpa, 0xfec00000u);
    assert_int_equal(len, 4096);
    apic.unmaps++;
    return 0;
}

#define HZ 100000000ull                 /* a 100 MHz guest TSC */
static struct vm vm;
static struct irq q;
static uint8_t vcpu_dummy;

static void fresh(uint64_t ram, uint16_t pm_tmr)
{
    memset(&vm, 0, sizeof vm);
    memset(&lib, 0, sizeof lib);
    vm.v = (struct x86vcpu_vcpu *)&vcpu_dummy;
    lib.tsc = 5000;                     /* device time 0 is the TSC at attach */
    assert_int_equal(irq_attach(&q, &vm, HZ, 946684800, ram, pm_tmr, 0xff, 0xff), 0);
}

static uint8_t in8(uint16_t port)
{
    uint64_t v = 0;
    assert_int_equal(bus_read(&vm.bus, BUS_PIO, port, 1, &v), BUS_OK);
    return (uint8_t)v;
}

static void out8(uint16_t port, uint8_t v)
{
    assert_int_equal(bus_write(&vm.bus, BUS_PIO, port, 1, v), BUS_OK);
}

static uint8_t irr(uint16_t base)
{
    out8(base, 0x0a);
    return in8(base);
}

static uint8_t isr(uint16_t base)
{
    out8(base, 0x0b);
    uint8_t v = in8(base);
    out8(base, 0x0a);
    return v;
}

static void test_routing(void **state)
{
    (void)state;
    assert_int_equal(irq_pic_line(0), 0);
    assert_int_equal(irq_pic_line(2), 9);
    assert_int_equal(irq_pic_line(9), 9);
    assert_int_equal(irq_pic_line(11), 11);
    assert_int_equal(irq_pic_line(15), 15);
    assert_int_equal(irq_pic_line(16), -1);
    assert_int_equal(irq_pic_line(23), -1);

    fresh(128u << 20, 0);
    irq_set(&q, 11, 1);                 /* slave IR3, and the cascade */
    assert_int_equal(irr(0xa0), 0x08);
    assert_int_equal(q.levels[11], 1);
    irq_set(&q, 2, 1);                  /* the ISA IRQ2 pin is IR9 */
    assert_int_equal(irr(0xa0), 0x0a);
    irq_set(&q, 20, 1);                 /* the I/O APIC's: nothing here */
    assert_int_equal(q.ignored, 1);
    assert_int_equal(irr(0x20) & ~0x04, 0);
    irq_set(&q, 24, 1);                 /* not a line at all */
    assert_int_equal(q.ignored, 1);
    /* Edge mode: the request stays latched after the line falls. */
    irq_pulse(&q, 5);
    assert_int_equal(irr(0x20) & 0x20, 0x20);
    assert_int_equal(q.levels[5], 0);
}

static void test_time(void **state)
{
    (void)state;
    fresh(128u << 20, 0);
    assert_int_equal(q.now, 0);
    assert_int_equal(irq_advance_time(&q, 6000), 1000);
    assert_int_equal(irq_advance_time(&q, 6500), 1500);
    /* The guest's WRMSR IA32_TSC back: time does not go back ... */
    assert_int_equal(irq_advance_time(&q, 100), 1500);
    /* ... and goes on from there by the TSC's forward steps. */
    assert_int_equal(irq_advance_time(&q, 300), 1700);

    assert_int_equal(irq_time_slice(100000, 100), 10000);
    assert_int_equal(irq_time_slice(100000, 0), 1);
    assert_int_equal(irq_time_slice(4000000, 2000000), 0xffffffffu);

    assert_int_equal(irq_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(irq_days_from_civil(1970, 3, 1), 59);
    assert_int_equal(irq_days_from_civil(2000, 1, 1), 10957);
    assert_int_equal(irq_days_from_civil(2000, 3, 1), 11017);   /* 2000 is a leap year */
    assert_int_equal(irq_days_from_civil(2100, 3, 1), 47541);   /* 2100 is not */
    assert_int_equal(irq_days_from_civil(2024, 12, 31), 20088);
    assert_int_equal(irq_days_from_civil(1960, 5, 5), 124);     /* before 1970: 1970 */
}

static void test_bios_state_and_ports(void **state)
{
    (void)state;
    fresh(128u << 20, 0xb008);
    /* Every port of the chips is the demo's, none passes through. */
    static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41,
                                      0x42, 0x43, 0x61, 0x70, 0x71, 0xb008, 0xb00b };
    for (unsigned i = 0; i < sizeof ports / sizeof ports[0]; i++)
        assert_non_null(bus_find(&vm.bus, BUS_PIO, ports[i]));
    assert_int_equal(vm.bus.npass, 0);
    assert_ptr_equal(vm.around_run, irq_around_run);
    /* The PIC as the BIOS left it: IMRs given, vectors 0x08 / 0x70. */
    assert_int_equal(in8(0x21), 0xff);
    assert_int_equal(in8(0xa1), 0xff);
    assert_int_equal(q.pic.c[0].base, 0x08);
    assert_int_equal(q.pic.c[1].base, 0x70);
    /* PIT counter 0 in mode 3 (read-back status: RW 3, mode 3). */
    out8(0x43, 0xe2);
    assert_int_equal(in8(0x40) & 0x3f, 0x36);
    /* CMOS: 640 KiB base; 128 MiB: 130048 KiB extended (caps at 65535),
     * 112 MiB above 16 MiB in 64 KiB units. */
    out8(0x70, 0x15);
    assert_int_equal(in8(0x71), 0x80);
    out8(0x70, 0x16);
    assert_int_equal(in8(0x71), 0x02);
    out8(0x70, 0x30);
    assert_int_equal(in8(0x71), 0xff);
    out8(0x70, 0x31);
    assert_int_equal(in8(0x71), 0xff);
    out8(0x70, 0x34);
    assert_int_equal(in8(0x71), (112 * 16) & 0xff);
    out8(0x70, 0x35);
    assert_int_equal(in8(0x71), (112 * 16) >> 8);
    /* The PM timer counts at 3.579545 MHz of the guest's TSC. */
    uint64_t t;
    lib.tsc = 5000 + HZ / 1000;         /* 1 ms */
    assert_int_equal(bus_read(&vm.bus, BUS_PIO, 0xb008, 4, &t), BUS_OK);
    assert_int_equal(t, 3579);
    /* 16 MiB of RAM: extended 15360 KiB, nothing above 16 MiB. */
    fresh(16u << 20, 0);
    out8(0x70, 0x17);
    assert_int_equal(in8(0x71), 15360 & 0xff);
    out8(0x70, 0x18);
    assert_int_equal(in8(0x71), 15360 >> 8);
    out8(0x70, 0x34);
    assert_int_equal(in8(0x71), 0);
    assert_null(bus_find(&vm.bus, BUS_PIO, 0xb008));
}

/* PIT counter 0 in mode 2 with IRQ0 unmasked: the PIC is the vCPU's INTR
 * line, given once; the library (played here) samples it and runs INTA
 * only when it injects, so a request stays in IRR, not ISR, until then. */
static void test_delivery(void **state)
{
    (void)state;
    fresh(128u << 20, 0);
    memset(&line, 0, sizeof line);
    lines = 0;
    out8(0x21, 0xfe);                   /* IRQ0 unmasked */
    out8(0x43, 0x34);                   /* counter 0: mode 2, count 1193 (1 ms) */
    out8(0x40, 1193 & 0xff);
    out8(0x40, 1193 >> 8);
    irq_around_run(&vm, 0);
    assert_int_equal(lines, 1);
    assert_ptr_equal(line_v, vm.v);
    assert_false(line_pending());       /* nothing yet */
    irq_around_run(&vm, 0);
    assert_int_equal(lines, 1);         /* given once */
    lib.tsc += HZ / 500;                /* 2 ms: edges */
    irq_around_run(&vm, 1);             /* after a run: nothing */
    assert_false(line_pending());
    irq_around_run(&vm, 0);             /* before the entry: devices brought to now */
    assert_true(line_pending());
    assert_int_equal(irr(0x20) & 1, 1); /* INTR up, the request in IRR only */
    assert_int_equal(isr(0x20), 0);
    assert_int_equal(q.injected, 0);
    assert_int_equal(line_ack(), 0x08); /* INTA: IRR -> ISR */
    assert_int_equal(q.injected, 1);
    assert_int_equal(isr(0x20), 1);
    assert_int_equal(irr(0x20) & 1, 0);
    assert_false(line_pending());
    /* Another edge: in service blocks IR0 until the EOI. */
    lib.tsc += HZ / 500;
    irq_around_run(&vm, 0);
    assert_false(line_pending());
    out8(0x20, 0x20);
    assert_true(line_pending());
    assert_int_equal(line_ack(), 0x08);
    /* IR3 in service; IRQ0 above it nests. */
    out8(0x21, 0xf6);                   /* IRQ0 and IRQ3 */
    out8(0x20, 0x20);                   /* EOI IR0 */
    irq_pulse(&q, 3);
    assert_int_equal(line_ack(), 0x0b);
    assert_false(line_pending());
    lib.tsc += HZ / 500;                /* IRQ0 edges: above IR3 */
    irq_around_run(&vm, 0);
    assert_true(line_pending());
    assert_int_equal(line_ack(), 0x08);
    assert_int_equal(isr(0x20), 0x09);
    out8(0x20, 0x20);
    out8(0x20, 0x20);
    /* The RTC's IRQ8 through the slave: vector 0x70. */
    out8(0x21, 0xfb);                   /* IRQ0 masked, cascade open */
    out8(0xa1, 0xfe);
    out8(0x70, 0x0b);
    out8(0x71, 0x42);                   /* PIE, 24-hour */
    lib.tsc += HZ / 500;                /* 1024 Hz: IRQF up */
    irq_around_run(&vm, 0);
    assert_true(line_pending());
    assert_int_equal(line_ack(), 0x70);
    assert_int_equal(q.injected, 5);
    assert_int_equal(q.levels[8], 1);
    out8(0x70, 0x0c);
    assert_int_equal(in8(0x71) & 0xc0, 0xc0);
    out8(0x70, 0x0c);                   /* the index write looks again: IRQ8 fell */
    assert_int_equal(q.levels[8], 0);
}

static void test_gsi_mapping(void **state)
{
    (void)state;
    assert_int_equal(irq_gsi(0), 2);    /* the MADT's interrupt source override */
    assert_int_equal(irq_gsi(1), 1);
    assert_int_equal(irq_gsi(2), 9);    /* the AT's IRQ2/9 pin, as for the 8259 */
    assert_int_equal(irq_gsi(3), 3);
    assert_int_equal(irq_gsi(8), 8);
    assert_int_equal(irq_gsi(9), 9);
    assert_int_equal(irq_gsi(15), 15);
    assert_int_equal(irq_gsi(16), 16);
    assert_int_equal(irq_gsi(23), 23);
    assert_int_equal(irq_gsi(24), -1);
}

/* The I/O APIC's page through the vm's bus. */
static uint32_t io_rd(uint32_t reg)
{
    uint64_t v = 0;
    assert_int_equal(bus_write(&vm.bus, BUS_MMIO, 0xfec00000u, 4, reg), BUS_OK);
    assert_int_equal(bus_read(&vm.bus, BUS_MMIO, 0xfec00010u, 4, &v), BUS_OK);
    return (uint32_t)v;
}

static void io_wr(uint32_t reg, uint32_t val)
{
    assert_int_equal(bus_write(&vm.bus, BUS_MMIO, 0xfec00000u, 4, reg), BUS_OK);
    assert_int_equal(bus_write(&vm.bus, BUS_MMIO, 0xfec00010u, 4, val), BUS_OK);
}

static void rte(unsigned pin, uint32_t lo, uint8_t dest)
{
    io_wr(0x11 + 2 * pin, (uint32_t)dest << 24);
    io_wr(0x10 + 2 * pin, lo);
}

static struct x86vcpu_lapic_config lapic_cfg;
static struct x86vcpu_ept *const ept_dummy = (struct x86vcpu_ept *)&vcpu_dummy;

/* pic=virtual with the library's LAPIC: the I/O APIC on the bus. */
static void fresh_ioapic(void)
{
    memset(&vm, 0, sizeof vm);
    memset(&lib, 0, sizeof lib);
    memset(&apic, 0, sizeof apic);
    vm.v = (struct x86vcpu_vcpu *)&vcpu_dummy;
    vm.lapic = &lapic_cfg;
    vm.ept = ept_dummy;
    apic.match = 1;
    lib.tsc = 5000;
    assert_int_equal(irq_attach(&q, &vm, HZ, 946684800, 128u << 20, 0, 0xff, 0xff), 0);
}

static void test_ioapic_attach(void **state)
{
    (void)state;
    /* Without the library's LAPIC: no I/O APIC, GSIs 16-23 ignored. */
    fresh(128u << 20, 0);
    assert_int_equal(q.ioapic_on, 0);
    assert_null(bus_find(&vm.bus, BUS_MMIO, 0xfec00000u));
    irq_set(&q, 17, 1);
    assert_int_equal(q.ignored, 1);

    fresh_ioapic();
    assert_int_equal(q.ioapic_on, 1);
    assert_int_equal(apic.unmaps, 1);   /* the page exits */
    const struct bus_range *r = bus_find(&vm.bus, BUS_MMIO, 0xfec00fffu);
    assert_non_null(r);
    assert_int_equal(r->base, 0xfec00000u);
    assert_int_equal(r->len, 4096);
    assert_int_equal(io_rd(0x01), 0x00170011u);     /* 24 entries, version 0x11 */
    assert_int_equal(io_rd(0x00), (uint32_t)IRQ_IOAPIC_ID << 24);
    for (unsigned pin = 0; pin < 24; pin++)
        assert_int_equal(io_rd(0x10 + 2 * pin), 1u << 16);  /* masked, as at reset */
    /* Nothing is ignored: lines 16-23 are the I/O APIC's. */
    irq_set(&q, 17, 1);
    assert_int_equal(q.ignored, 0);
    assert_int_equal(apic.irqs, 0);     /* masked */
}

/* ISA lines reach both the 8259 and the I/O APIC pin of irq_gsi. */
static void test_ioapic_routing(void **state)
{
    (void)state;
    fresh_ioapic();
    rte(2, 0x50, 0);                    /* GSI 2: edge, fixed, physical 0 */
    rte(1, 0x51, 0);
    rte(9, 0x59, 0);
    irq_pulse(&q, 0);                   /* the PIT's IRQ0 */
    assert_int_equal(apic.irqs, 1);
    assert_int_equal(apic.vector, 0x50);
    assert_int_equal(apic.level, 0);
    assert_int_equal(irr(0x20) & 1, 1); /* and the 8259's IR0 */
    assert_int_equal(apic.ipi.dest, 0);
    assert_int_equal(apic.ipi.logical, 0);
    assert_int_equal(apic.ipi.mode, 0);
    assert_int_equal(apic.ipi.shorthand, 0);
    irq_pulse(&q, 1);
    assert_int_equal(apic.vector, 0x51);
    irq_pulse(&q, 2);                   /* the ISA IRQ2 pin: GSI 9 */
    assert_int_equal(apic.vector, 0x59);
    assert_int_equal(apic.irqs, 3);
    assert_int_equal(q.ioapic_sent, 3);
    /* The PIT through irq_update: mode 2, 1 ms, edges after 2 ms. */
    out8(0x43, 0x34);
    out8(0x40, 1193 & 0xff);
    out8(0x40, 1193 >> 8);
    lib.tsc += HZ / 500;
    irq_update(&q, irq_advance_time(&q, lib.tsc));
    assert_int_equal(apic.irqs, 4);
    assert_int_equal(apic.vector, 0x50);
    /* The RTC's IRQ8, level on GSI 8: remote IRR until the EOI. */
    rte(2, 0x50 | 1u << 16, 0);         /* the PIT's GSI masked */
    rte(8, 0x58 | 1u << 15, 0);
    out8(0x70, 0x0b);
    out8(0x71, 0x42);                   /* PIE, 24-hour: 1024 Hz */
    lib.tsc += HZ / 500;
    irq_update(&q, irq_advance_time(&q, lib.tsc));
    assert_int_equal(apic.vector, 0x58);
    assert_int_equal(apic.level, 1);
    unsigned n = apic.irqs;
    assert_int_equal(io_rd(0x10 + 2 * 8) & (1u << 14), 1u << 14);
    irq_update(&q, q.now);              /* still up: nothing more */
    assert_int_equal(apic.irqs, n);
    irq_lapic_eoi(&q, vm.v, 0x58);      /* EOI, line still up: again */
    assert_int_equal(apic.irqs, n + 1);
    out8(0x70, 0x0c);
    (void)in8(0x71);                    /* register C read: IRQ8 falls */
    out8(0x70, 0x0b);
    out8(0x71, 0x02);
    irq_lapic_eoi(&q, vm.v, 0x58);
    assert_int_equal(apic.irqs, n + 1);
    assert_int_equal(io_rd(0x10 + 2 * 8) & (1u << 14), 0);
}

/* Lines 16-23 (pc-testdev's), destinations and delivery modes. */
static void test_ioapic_delivery(void **state)
{
    (void)state;
    fresh_ioapic();
    for (unsigned pin = 16; pin < 24; pin++)
        rte(pin, (0x60 + pin - 16) | 1u << 15 | 1u << 11, 0x03);  /* level, logical 0x03 */
    for (unsigned pin = 16; pin < 24; pin++) {
        irq_set(&q, pin, 1);
        assert_int_equal(apic.vector, 0x60 + pin - 16);
        assert_int_equal(apic.level, 1);
        assert_int_equal(apic.ipi.dest, 0x03);
        assert_int_equal(apic.ipi.logical, 1);
        assert_int_equal(apic.ipi.trigger, 1);
    }
    assert_int_equal(apic.irqs, 8);
    assert_int_equal(q.ignored, 0);
    /* Not a destination: missed; remote IRR still set, as KVM's. */
    apic.match = 0;
    rte(5, 0x45, 7);
    irq_pulse(&q, 5);
    assert_int_equal(apic.irqs, 8);
    assert_int_equal(q.ioapic_missed, 1);
    apic.match = 1;
    /* Refused by the APIC (disabled, vector < 16): missed. */
    apic.refuse = 1;
    irq_pulse(&q, 5);
    assert_int_equal(q.ioapic_missed, 2);
    apic.refuse = 0;
    /* NMI: queued, vector ignored; edge even when programmed level. */
    rte(3, 0x33 | 4u << 8 | 1u << 15, 0);
    irq_set(&q, 3, 1);
    assert_int_equal(apic.nmis, 1);
    assert_int_equal(apic.irqs, 8);
    assert_int_equal(io_rd(0x10 + 2 * 3) & (1u << 14), 0);
    irq_set(&q, 3, 0);
    /* ExtINT: the 8259's INTA, its vector queued (IRQ4 at 0x0c). */
    out8(0x21, 0xef);
    rte(4, 7u << 8, 0);
    irq_set(&q, 4, 1);
    assert_int_equal(lib.queued, 1);
    assert_int_equal(lib.vector, 0x0c);
    assert_int_equal(isr(0x20), 0x10);
    irq_set(&q, 4, 0);
    /* INIT and SMI: counted and dropped. */
    rte(6, 5u << 8, 0);
    irq_pulse(&q, 6);
    rte(7, 2u << 8, 0);
    irq_pulse(&q, 7);
    assert_int_equal(q.ioapic_dropped, 2);
    assert_int_equal(apic.irqs, 8);
    assert_int_equal(apic.nmis, 1);
    assert_int_equal(lib.queued, 1);
    /* The EOI callback before irq_attach, or without the I/O APIC: nothing. */
    struct irq none;
    memset(&none, 0, sizeof none);
    irq_lapic_eoi(&none, vm.v, 0x60);
    irq_lapic_eoi(0, vm.v, 0x60);
}

/* No vCPU, or not the PIC's bus: the hook does nothing. */
static void test_hook_without_vcpu(void **state)
{
    (void)state;
    fresh(128u << 20, 0);
    out8(0x21, 0xfe);
    irq_set(&q, 0, 1);
    lib.rflags = 1u << 9;
    lines = 0;
    vm.v = 0;
    irq_around_run(&vm, 0);
    assert_int_equal(lib.queued, 0);
    assert_int_equal(lines, 0);         /* no INTR line without a vCPU */
    struct vm other;
    memset(&other, 0, sizeof other);
    other.v = (struct x86vcpu_vcpu *)&vcpu_dummy;
    irq_around_run(&other, 0);
    assert_int_equal(lib.queued, 0);
    assert_int_equal(lines, 0);
    /* A vCPU again: its line is given (once). */
    vm.v = (struct x86vcpu_vcpu *)&vcpu_dummy;
    irq_around_run(&vm, 0);
    irq_around_run(&vm, 0);
    assert_int_equal(lines, 1);
    assert_true(line_pending());
}

/* Time-slice exits only while the PIT or RTC can raise something the
 * guest would see (irq_timed_open), switched before each entry. */
static void test_slice_policy(void **state)
{
    (void)state;
    fresh(128u << 20, 0);               /* both 8259s fully masked */
    q.slice_ticks = 777;
    q.slice_on = 1;
    slice_sets = 0;
    assert_int_equal(irq_timed_open(&q), 0);
    irq_around_run(&vm, 0);
    assert_int_equal(slice_now, 0);     /* nothing timed reaches the guest: off */
    assert_int_equal(slice_sets, 1);
    irq_around_run(&vm, 0);
    assert_int_equal(slice_sets, 1);    /* no change, no call */
    out8(0x21, 0xfe);                   /* IRQ0 unmasked */
    assert_int_equal(irq_timed_open(&q), 1);
    irq_around_run(&vm, 0);
    assert_int_equal(slice_now, 777);
    /* The PIT's edge latched in IRR: no further edge changes anything
     * until the guest takes it, which the INTR line serves. */
    lib.tsc += HZ / 10;                 /* 100 ms: several OUT0 periods */
    irq_around_run(&vm, 0);
    assert_int_equal(irr(0x20) & 1, 1);
    assert_int_equal(irq_timed_open(&q), 0);
    assert_int_equal(slice_now, 0);
    /* The RTC on the slave: only with an interrupt enabled in register B. */
    out8(0x21, 0xff);
    out8(0x21, 0xfb);                   /* cascade open */
    out8(0xa1, 0xfe);                   /* IRQ8 unmasked */
    assert_int_equal(irq_timed_open(&q), 0);
    out8(0x70, 0x0a);
    out8(0x71, 0x20);                   /* rate select 0: no periodic flag from now */
    out8(0x70, 0x0c);
    (void)in8(0x71);                    /* register C read: flags cleared */
    out8(0x70, 0x0b);
    out8(0x71, 0x42);                   /* PIE, 24-hour */
    assert_int_equal(irr(0xa0) & 1, 0);
    assert_int_equal(irq_timed_open(&q), 1);
    out8(0x21, 0xff);                   /* cascade closed */
    assert_int_equal(irq_timed_open(&q), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routing),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_bios_state_and_ports),
        cmocka_unit_test(test_delivery),
        cmocka_unit_test(test_hook_without_vcpu),
        cmocka_unit_test(test_gsi_mapping),
        cmocka_unit_test(test_ioapic_attach),
        cmocka_unit_test(test_ioapic_routing),
        cmocka_unit_test(test_ioapic_delivery),
        cmocka_unit_test(test_slice_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
