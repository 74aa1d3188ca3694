/* Unit tests: the virtual PC's ACPI fixed hardware and the legacy chips on
 * a machine's bus (demo/pc/pm.c, legacy.c): the PM1a block at 0x600 (ACPI
 * 6.5 4.8.3.1/4.8.3.2: status write-1-to-clear, enables read back,
 * SCI_EN always 1, SLP_EN with \_S5's SLP_TYP powers off, another is
 * ignored), the PM timer at 0x608 from the guest's TSC (24-bit, 3.579545
 * MHz, never backwards), the PC's reset requests end the run (QEMU
 * -no-reboot), only the VGA ports pass through. */
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

/* The guest's TSC and its rate, as the library would give them. */
static uint64_t guest_tsc;
static uint32_t guest_khz = 1000000;    /* 1 GHz */
static char fake_vcpu;
int x86vcpu_get_guest_tsc(const struct x86vcpu_vcpu *v, uint64_t *tsc)
{
    assert_ptr_equal(v, (const void *)&fake_vcpu);
    *tsc = guest_tsc;
    return 0;
}
int x86vcpu_get_tsc_khz(const struct x86vcpu_vcpu *v, uint32_t *host_khz, uint32_t *g)
{
    assert_ptr_equal(v, (const void *)&fake_vcpu);
    if (host_khz)
        *host_khz = guest_khz;
    *g = guest_khz;
    return 0;
}

static void fresh(int timer)
{
    memset(&vm, 0, sizeof vm);
    vm.v = (struct x86vcpu_vcpu *)(void *)&fake_vcpu;
    guest_tsc = 0;
    assert_int_equal(pm_attach(&pm, &vm, timer), 0);
}

static void wr(uint64_t port, uint32_t size, uint64_t val)
{
    assert_int_equal(bus_write(&vm.bus, BUS_PIO, port, size, val), BUS_OK);
}

static uint64_t rd(uint64_t port, uint32_t size)
{
    uint64_t v = 0x5a5a5a5a5a5a5a5aull;
    assert_int_equal(bus_read(&vm.bus, BUS_PIO, port, size, &v), BUS_OK);
    return v;
}

static void test_acpi_power_off(void **state)
{
    (void)state;
    fresh(1);
    wr(0x604, 2, SLP_EN - 1);           /* SLP_TYP and the rest: no sleep */
    wr(0x604, 1, 0xff);                 /* the low byte cannot reach bit 13 */
    assert_int_equal(vm.done, 0);
    wr(0x604, 2, SLP_EN | (5 << 10));   /* S5 is SLP_TYP 0 here: no such state */
    assert_int_equal(vm.done, 0);
    assert_int_equal(pm.sleeps_ignored, 1);
    wr(0x604, 2, SLP_EN | (PM_S5_SLP_TYP << 10));
    assert_int_equal(vm.done, 1);
    assert_int_equal(vm.status, VM_OFF);
    assert_string_equal(vm.why, "ACPI power-off");

    /* The high byte alone, with SLP_TYP 0 in it: power-off. */
    fresh(0);
    wr(0x605, 1, SLP_EN >> 8);
    assert_int_equal(vm.done, 1);
    /* A dword write at 0x604: the control register's half acts. */
    fresh(0);
    wr(0x604, 4, 0xffff0000u | SLP_EN);
    assert_int_equal(vm.done, 1);
    /* A dword write to the event block does not reach the control one. */
    fresh(0);
    wr(0x600, 4, 0xffffffffu);
    assert_int_equal(vm.done, 0);
}

static void test_pm1_registers(void **state)
{
    (void)state;
    fresh(0);
    /* SCI_EN reads 1 from the start and cannot be cleared. */
    assert_int_equal(rd(0x604, 2), 1);
    wr(0x604, 2, 0);
    assert_int_equal(rd(0x604, 2), 1);
    /* BM_RLD and SLP_TYP read back; GBL_RLS and SLP_EN read 0. */
    wr(0x604, 2, (3u << 10) | 4 | 2);
    assert_int_equal(rd(0x604, 2), (3u << 10) | 2 | 1);
    assert_int_equal(rd(0x605, 1), 3u << 2);
    assert_int_equal(pm.sleeps_ignored, 0);
    /* Enables: only the defined bits. */
    wr(0x602, 2, 0xffff);
    assert_int_equal(rd(0x602, 2), PM1_EN_MASK);
    wr(0x603, 1, 0);
    assert_int_equal(rd(0x602, 2), PM1_EN_MASK & 0xff);
    /* Status: write 1 to clear; nothing sets a bit. */
    pm.sts = 0x8101;
    assert_int_equal(rd(0x600, 2), 0x8101);
    wr(0x600, 2, 0x0100);
    assert_int_equal(rd(0x600, 2), 0x8001);
    wr(0x600, 2, 0);
    assert_int_equal(rd(0x600, 2), 0x8001);
    wr(0x601, 1, 0x80);
    assert_int_equal(rd(0x600, 4), (PM1_EN_MASK & 0xff) << 16 | 1);  /* status, enable */
    wr(0x600, 2, 1);
    wr(0x602, 2, 0x0121);
    assert_int_equal(rd(0x600, 4), 0x01210000u);
    /* Past the block (0x606-0x607): nothing there. */
    uint64_t v;
    assert_int_equal(bus_read(&vm.bus, BUS_PIO, 0x606, 1, &v), BUS_UNCLAIMED);
    assert_int_equal(rd(0x605, 2) >> 8, 0xff);          /* a word at 0x605: 0x606 is all-ones */
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
        fresh(0);
        wr(cases[i].port, 1, cases[i].val);
        if (vm.done != cases[i].resets)
            fail_msg("port %#x <- %#x: done %d", cases[i].port, cases[i].val, vm.done);
        if (cases[i].resets)
            assert_string_equal(vm.why, "reset requested (ended, as QEMU -no-reboot)");
    }
    /* The FADT's RESET_REG value resets. */
    fresh(0);
    wr(PM_RESET_PORT, 1, PM_RESET_VAL);
    assert_int_equal(vm.done, 1);
    /* Only byte writes are reset requests. */
    fresh(0);
    wr(0xcf9, 2, 0x0606);
    wr(0x64, 2, 0xfefe);
    assert_int_equal(vm.done, 0);
    /* Reads of those ports: nothing there. */
    uint64_t v = 0;
    assert_int_equal(bus_read(&vm.bus, BUS_PIO, 0x64, 1, &v), BUS_UNCLAIMED);
    assert_int_equal(v, 0xff);
}

static void test_pm_timer(void **state)
{
    (void)state;
    /* Nothing of the host's: no port passes through. */
    fresh(1);
    assert_int_equal(vm.bus.npass, 0);
    /* 1 GHz guest TSC: one second is 3579545 ticks, 24 bits wide,
     * counting from the guest's TSC 0. */
    assert_int_equal(rd(0x608, 4), 0);
    guest_tsc += 1000000000ull;
    assert_int_equal(rd(0x608, 4), 3579545);
    assert_int_equal(rd(0x609, 1), (3579545 >> 8) & 0xff);
    assert_int_equal(rd(0x608, 2), 3579545 & 0xffff);
    guest_tsc += 4000000000ull;                         /* 5 s: 17897725, wraps at 2^24 */
    assert_int_equal(rd(0x608, 4), 17897725 - (1u << 24));
    /* The guest moves its TSC back: the timer stays, then goes on. */
    uint64_t before = rd(0x608, 4);
    guest_tsc = 5;
    assert_int_equal(rd(0x608, 4), before);
    guest_tsc = 5 + 1000000000ull;
    assert_int_equal(rd(0x608, 4), (before + 3579545) & 0xffffff);
    wr(0x608, 4, 0);                                    /* read-only */
    assert_int_equal(rd(0x608, 4), (before + 3579545) & 0xffffff);
    /* No TSC rate yet: no timer answers (all-ones). */
    fresh(1);
    guest_khz = 0;
    uint64_t v;
    assert_int_equal(bus_read(&vm.bus, BUS_PIO, 0x608, 4, &v), BUS_UNCLAIMED);
    assert_int_equal(v, 0xffffffffu);
    guest_khz = 1000000;
    /* pic=virtual: pc/irq.c's timer sits there instead. */
    fresh(0);
    assert_null(bus_find(&vm.bus, BUS_PIO, 0x608));
}

static void test_legacy_passes(void **state)
{
    (void)state;
    memset(&vm, 0, sizeof vm);
    static struct legacy l;
    uint64_t val;
    assert_int_equal(legacy_attach(&l, &vm), 0);
    /* Only the VGA ports pass, both directions: the PIC, ELCR, PIT, port
     * B, CMOS are the demo's models (pc/irq.c); port 0x80 a latch. */
    assert_int_equal(vm.bus.npass, 1);
    assert_int_equal(vm.bus.pass[0].space, BUS_PIO);
    assert_int_equal(vm.bus.pass[0].base, 0x3b0);
    assert_int_equal(vm.bus.pass[0].len, 0x30);
    assert_int_equal(vm.bus.pass[0].flags, BUS_PASS_READ | BUS_PASS_WRITE);
    assert_null(bus_find(&vm.bus, BUS_PIO, 0x70));
    assert_int_equal(bus_read(&vm.bus, BUS_PIO, 0x80, 1, &val), BUS_OK);
    assert_int_equal(val, 0);
    assert_int_equal(bus_write(&vm.bus, BUS_PIO, 0x80, 1, 0x5a), BUS_OK);
    assert_int_equal(bus_read(&vm.bus, BUS_PIO, 0x80, 1, &val), BUS_OK);
    assert_int_equal(val, 0x5a);
    assert_int_equal(bus_read(&vm.bus, BUS_PIO, 0x80, 4, &val), BUS_OK);
    assert_int_equal(val, 0xffffffff);              /* byte-only, as Bochs' */
    assert_int_equal(bus_write(&vm.bus, BUS_PIO, 0x80, 2, 0x1234), BUS_OK);
    assert_int_equal(bus_read(&vm.bus, BUS_PIO, 0x80, 1, &val), BUS_OK);
    assert_int_equal(val, 0x5a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acpi_power_off),
        cmocka_unit_test(test_pm1_registers),
        cmocka_unit_test(test_reset_requests),
        cmocka_unit_test(test_pm_timer),
        cmocka_unit_test(test_legacy_passes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
