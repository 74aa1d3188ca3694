/* Unit tests: power management and the legacy chips on a machine's bus
 * (demo/pc/pm.c, legacy.c): ACPI sleep (SLP_EN, PM1 control, ACPI 4.7.3.2.1)
 * at QEMU's 0x604 and the firmware's port powers off, the PC's reset
 * requests end the run (QEMU -no-reboot), the PM timer and the legacy
 * chips pass through. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "bus.h"
#include "vm.h"
#include "pc/legacy.h"
#include "pc/pm.h"

#define SLP_EN (1u << 13)

static struct vm vm;
static struct pm pm;

static void fresh(uint16_t pm1a, uint16_t tmr)
{
    memset(&vm, 0, sizeof vm);
    assert_int_equal(pm_attach(&pm, &vm, pm1a, tmr), 0);
}

static void wr(uint64_t port, uint32_t size, uint64_t val)
{
    bus_write(&vm.bus, BUS_PIO, port, size, val);
}

static void test_acpi_power_off(void **state)
{
    (void)state;
    fresh(0xb004, 0xb008);
    wr(0x604, 2, SLP_EN - 1);           /* SLP_TYP and the rest: no sleep */
    wr(0x604, 1, 0xff);                 /* a byte cannot reach bit 13 */
    assert_int_equal(vm.done, 0);
    wr(0x604, 2, SLP_EN | (5 << 10));
    assert_int_equal(vm.done, 1);
    assert_int_equal(vm.status, VM_OFF);
    assert_string_equal(vm.why, "ACPI power-off");

    fresh(0xb004, 0);
    wr(0xb004, 4, SLP_EN);              /* the firmware's port */
    assert_int_equal(vm.done, 1);
    assert_string_equal(vm.why, "ACPI power-off");
}

static void test_pm1a_is_qemus_port(void **state)
{
    (void)state;
    /* A FADT naming 0x604 itself: one device there, still powering off. */
    fresh(0x604, 0);
    wr(0x604, 2, SLP_EN);
    assert_int_equal(vm.done, 1);
    /* No FADT: only QEMU's port. */
    fresh(0, 0);
    assert_null(bus_find(&vm.bus, BUS_PIO, 0));
    assert_int_equal(vm.bus.npass, 0);  /* no PM timer either */
}

static void test_reset_requests(void **state)
{
    (void)state;
    static const struct { uint16_t port; uint8_t val; int resets; } cases[] = {
        { 0x64, 0xfe, 1 },  { 0x64, 0xfd, 0 },  { 0x64, 0xd1, 0 },
        { 0xcf9, 0x06, 1 }, { 0xcf9, 0x04, 1 }, { 0xcf9, 0x02, 0 },
        { 0x92, 0x01, 1 },  { 0x92, 0x02, 0 },
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fresh(0, 0);
        wr(cases[i].port, 1, cases[i].val);
        if (vm.done != cases[i].resets)
            fail_msg("port %#x <- %#x: done %d", cases[i].port, cases[i].val, vm.done);
        if (cases[i].resets)
            assert_string_equal(vm.why, "reset requested (ended, as QEMU -no-reboot)");
    }
    /* Only byte writes are reset requests. */
    fresh(0, 0);
    wr(0xcf9, 2, 0x0606);
    wr(0x64, 2, 0xfefe);
    assert_int_equal(vm.done, 0);
    /* Reads of those ports: nothing there. */
    uint64_t v = 0;
    assert_int_equal(bus_read(&vm.bus, BUS_PIO, 0x64, 1, &v), BUS_UNCLAIMED);
    assert_int_equal(v, 0xff);
}

static void test_pm_timer_passes(void **state)
{
    (void)state;
    fresh(0xb004, 0xb008);
    assert_int_equal(vm.bus.npass, 1);
    assert_int_equal(vm.bus.pass[0].space, BUS_PIO);
    assert_int_equal(vm.bus.pass[0].base, 0xb008);
    assert_int_equal(vm.bus.pass[0].len, 4);
    assert_int_equal(vm.bus.pass[0].flags, BUS_PASS_READ | BUS_PASS_WRITE);
}

static void test_legacy_passes(void **state)
{
    (void)state;
    memset(&vm, 0, sizeof vm);
    assert_int_equal(legacy_attach(&vm, 0), 0);
    /* PICs, ELCR, PIT, port B, POST, VGA: ports, both directions. Not the
     * CMOS (cmos_attach). */
    static const uint32_t want[][2] = { { 0x20, 2 }, { 0xa0, 2 }, { 0x4d0, 2 }, { 0x40, 4 },
                                        { 0x61, 1 }, { 0x80, 1 }, { 0x3b0, 0x30 } };
    assert_int_equal(vm.bus.npass, 7);
    for (unsigned i = 0; i < 7; i++) {
        assert_int_equal(vm.bus.pass[i].space, BUS_PIO);
        assert_int_equal(vm.bus.pass[i].base, want[i][0]);
        assert_int_equal(vm.bus.pass[i].len, want[i][1]);
        assert_int_equal(vm.bus.pass[i].flags, BUS_PASS_READ | BUS_PASS_WRITE);
    }
    /* Nothing is emulated. */
    assert_int_equal(vm.bus.n[BUS_PIO], 0);

    /* pic=virtual: only POST and VGA pass; the PIC, ELCR, PIT and port B
     * are the guest's own (pc/irq.c). */
    memset(&vm, 0, sizeof vm);
    assert_int_equal(legacy_attach(&vm, 1), 0);
    assert_int_equal(vm.bus.npass, 2);
    assert_int_equal(vm.bus.pass[0].base, 0x80);
    assert_int_equal(vm.bus.pass[1].base, 0x3b0);
}

/* The CMOS (issue 11, defect 11): a fake RTC/NVRAM stands for the host's,
 * which must never be written. */
static uint8_t host_cmos[128];
static unsigned host_cmos_reads;
static uint8_t fake_rtc_read(uint8_t reg)
{
    host_cmos_reads++;
    return host_cmos[reg & 0x7f];
}

static void test_cmos(void **state)
{
    (void)state;
    static struct cmos c;
    uint64_t val;
    memset(&vm, 0, sizeof vm);
    for (unsigned i = 0; i < 128; i++)
        host_cmos[i] = (uint8_t)(0x80 + i);
    c.rtc_read = fake_rtc_read;
    assert_int_equal(cmos_attach(&c, &vm), 0);
    assert_int_equal(vm.bus.npass, 0);          /* not passed through */
    /* RTC registers read the hardware, each time. */
    host_cmos_reads = 0;
    assert_int_equal(bus_write(&vm.bus, BUS_PIO, 0x70, 1, 0x00), BUS_OK);
    assert_int_equal(bus_read(&vm.bus, BUS_PIO, 0x71, 1, &val), BUS_OK);
    assert_int_equal(val, 0x80);
    host_cmos[0] = 0x59;
    assert_int_equal(bus_read(&vm.bus, BUS_PIO, 0x71, 1, &val), BUS_OK);
    assert_int_equal(val, 0x59);
    assert_int_equal(host_cmos_reads, 2);
    /* Writes to them are dropped and counted; bit 7 of the index (NMI
     * mask) is kept apart. */
    assert_int_equal(bus_write(&vm.bus, BUS_PIO, 0x70, 1, 0x8b), BUS_OK);
    assert_int_equal(c.index, 0x0b);
    assert_int_equal(c.nmi_off, 1);
    assert_int_equal(bus_write(&vm.bus, BUS_PIO, 0x71, 1, 0x00), BUS_OK);
    assert_int_equal(c.writes_dropped, 1);
    assert_int_equal(bus_read(&vm.bus, BUS_PIO, 0x71, 1, &val), BUS_OK);
    assert_int_equal(val, 0x8b);
    bus_write(&vm.bus, BUS_PIO, 0x70, 1, 0x32);       /* century */
    bus_write(&vm.bus, BUS_PIO, 0x71, 1, 0x19);
    assert_int_equal(c.writes_dropped, 2);
    /* NVRAM: the host's bytes at attach, then the guest's own. */
    bus_write(&vm.bus, BUS_PIO, 0x70, 1, 0x10);
    assert_int_equal(bus_read(&vm.bus, BUS_PIO, 0x71, 1, &val), BUS_OK);
    assert_int_equal(val, 0x90);
    assert_int_equal(bus_write(&vm.bus, BUS_PIO, 0x71, 1, 0x42), BUS_OK);
    assert_int_equal(bus_read(&vm.bus, BUS_PIO, 0x71, 1, &val), BUS_OK);
    assert_int_equal(val, 0x42);
    assert_int_equal(host_cmos[0x10], 0x90);
    assert_int_equal(c.writes_dropped, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acpi_power_off),
        cmocka_unit_test(test_pm1a_is_qemus_port),
        cmocka_unit_test(test_reset_requests),
        cmocka_unit_test(test_pm_timer_passes),
        cmocka_unit_test(test_legacy_passes),
        cmocka_unit_test(test_cmos),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
