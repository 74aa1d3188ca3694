/* Unit tests: the IRQ-routing layer and the virtual legacy platform of
 * pic=virtual (demo/pc/irq.c) on a machine's bus, with the library calls
 * it makes recorded (the unit tests link no src/vmx): ISA IRQ routing
 * (IRQ2 -> IR9, lines 16-23 ignored), device time from the guest's TSC
 * (forward steps only), the slice and the date arithmetic, the ports on
 * the bus, the BIOS state of the PIC and PIT, the CMOS memory bytes, and
 * INTR delivery: acknowledged and queued only when the guest's IF is 1 and
 * nothing is queued. */
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

/* PIT counter 0 in mode 2 with IRQ0 unmasked: INTR is acknowledged only
 * when the guest can take it. */
static void test_delivery(void **state)
{
    (void)state;
    fresh(128u << 20, 0);
    out8(0x21, 0xfe);                   /* IRQ0 unmasked */
    out8(0x43, 0x34);                   /* counter 0: mode 2, count 1193 (1 ms) */
    out8(0x40, 1193 & 0xff);
    out8(0x40, 1193 >> 8);
    irq_around_run(&vm, 0);
    assert_int_equal(lib.queued, 0);    /* nothing yet */
    lib.tsc += HZ / 500;                /* 2 ms: edges */
    lib.rflags = 0;                     /* IF = 0: the request waits in IRR */
    irq_around_run(&vm, 0);
    assert_int_equal(lib.queued, 0);
    assert_int_equal(q.if_waits, 1);
    assert_int_equal(irr(0x20) & 1, 1);
    assert_int_equal(isr(0x20), 0);
    lib.rflags = 1u << 9;               /* IF = 1: INTA and the vector queued */
    irq_around_run(&vm, 1);             /* after a run: nothing */
    assert_int_equal(lib.queued, 0);
    irq_around_run(&vm, 0);
    assert_int_equal(lib.queued, 1);
    assert_int_equal(lib.vector, 0x08);
    assert_int_equal(q.injected, 1);
    assert_int_equal(isr(0x20), 1);
    assert_int_equal(irr(0x20) & 1, 0);
    /* Another edge, but the vector is still queued: no second INTA. */
    lib.tsc += HZ / 500;
    irq_around_run(&vm, 0);
    assert_int_equal(lib.queued, 1);
    /* Delivered; in service blocks IR0 until the EOI. */
    lib.pending = 0;
    irq_around_run(&vm, 0);
    assert_int_equal(lib.queued, 1);
    out8(0x20, 0x20);
    irq_around_run(&vm, 0);
    assert_int_equal(lib.queued, 2);
    assert_int_equal(lib.vector, 0x08);
    /* A higher-priority request while IR3's vector waits in the queue: no
     * second INTA until the library took the first. */
    out8(0x21, 0xf6);                   /* IRQ0 and IRQ3 */
    lib.pending = 0;
    out8(0x20, 0x20);                   /* EOI IR0 */
    irq_pulse(&q, 3);
    irq_around_run(&vm, 0);
    assert_int_equal(lib.queued, 3);
    assert_int_equal(lib.vector, 0x0b);
    lib.tsc += HZ / 500;                /* IRQ0 edges: above IR3 */
    irq_around_run(&vm, 0);
    assert_int_equal(lib.queued, 3);
    lib.pending = 0;
    irq_around_run(&vm, 0);             /* taken: IR0 nests over IR3 */
    assert_int_equal(lib.queued, 4);
    assert_int_equal(lib.vector, 0x08);
    assert_int_equal(isr(0x20), 0x09);
    out8(0x20, 0x20);
    out8(0x20, 0x20);
    out8(0x21, 0xfe);
    lib.queued = 2;
    /* The RTC's IRQ8 through the slave: vector 0x70. */
    lib.pending = 0;
    out8(0x20, 0x20);
    out8(0x21, 0xfb);                   /* IRQ0 masked, cascade open */
    out8(0xa1, 0xfe);
    out8(0x70, 0x0b);
    out8(0x71, 0x42);                   /* PIE, 24-hour */
    lib.tsc += HZ / 500;                /* 1024 Hz: IRQF up */
    irq_around_run(&vm, 0);
    assert_int_equal(lib.queued, 3);
    assert_int_equal(lib.vector, 0x70);
    assert_int_equal(q.levels[8], 1);
    out8(0x70, 0x0c);
    assert_int_equal(in8(0x71) & 0xc0, 0xc0);
    out8(0x70, 0x0c);                   /* the index write looks again: IRQ8 fell */
    assert_int_equal(q.levels[8], 0);
}

/* No vCPU, or not the PIC's bus: the hook does nothing. */
static void test_hook_without_vcpu(void **state)
{
    (void)state;
    fresh(128u << 20, 0);
    out8(0x21, 0xfe);
    irq_set(&q, 0, 1);
    lib.rflags = 1u << 9;
    vm.v = 0;
    irq_around_run(&vm, 0);
    assert_int_equal(lib.queued, 0);
    struct vm other;
    memset(&other, 0, sizeof other);
    other.v = (struct x86vcpu_vcpu *)&vcpu_dummy;
    irq_around_run(&other, 0);
    assert_int_equal(lib.queued, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routing),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_bios_state_and_ports),
        cmocka_unit_test(test_delivery),
        cmocka_unit_test(test_hook_without_vcpu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
