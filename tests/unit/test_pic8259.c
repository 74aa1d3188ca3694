/* Unit tests: the virtual 8259A pair with ELCR (demo/dev/pic8259.h): the
 * init sequences Linux and SeaBIOS write, masking, EOI kinds, rotation,
 * edge vs level (ELCR), spurious IR7 / IR15, poll, special mask mode,
 * special fully nested mode, auto-EOI. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dev/pic8259.h"

static struct pic8259 pic;

static void out(uint16_t port, uint8_t v)
{
    assert_int_equal(pic8259_port_write(&pic, port, v), 0);
}

static uint8_t in(uint16_t port)
{
    uint8_t v = 0;
    assert_int_equal(pic8259_port_read(&pic, port, &v), 0);
    return v;
}

static uint8_t isr(uint16_t cmd)
{
    out(cmd, 0x0b);                 /* OCW3: read ISR */
    uint8_t v = in(cmd);
    out(cmd, 0x0a);                 /* back to IRR */
    return v;
}

/* Linux (arch/x86/kernel/i8259.c init_8259A): vectors 0x30/0x38, masks. */
static void linux_init(int auto_eoi)
{
    pic8259_init(&pic);
    out(0x21, 0xff);
    out(0xa1, 0xff);
    out(0x20, 0x11);                /* ICW1: edge, cascade, ICW4 */
    out(0x21, 0x30);                /* ICW2 */
    out(0x21, 0x04);                /* ICW3: slave on IR2 */
    out(0x21, auto_eoi ? 0x03 : 0x01);
    out(0xa0, 0x11);
    out(0xa1, 0x38);
    out(0xa1, 0x02);                /* ICW3: slave id 2 */
    out(0xa1, 0x01);
    out(0x21, 0x00);
    out(0xa1, 0x00);
}

static void test_linux_init_and_eoi(void **state)
{
    (void)state;
    pic8259_init(&pic);
    out(0x21, 0xff);                /* Linux's probe: IMR reads back */
    assert_int_equal(in(0x21), 0xff);
    linux_init(0);
    assert_int_equal(in(0x21), 0);
    assert_false(pic8259_has_interrupt(&pic));
    pic8259_set_line(&pic, 1, 1);
    assert_true(pic8259_has_interrupt(&pic));
    assert_int_equal(in(0x20), 0x02);           /* IRR */
    assert_int_equal(pic8259_acknowledge(&pic), 0x31);
    assert_int_equal(isr(0x20), 0x02);
    assert_int_equal(in(0x20), 0x00);           /* edge: IRR cleared by INTA */
    out(0x20, 0x20);                            /* non-specific EOI */
    assert_int_equal(isr(0x20), 0);
    /* slave line: vector 0x38 + n, both chips in service */
    pic8259_set_line(&pic, 12, 1);
    assert_int_equal(pic8259_acknowledge(&pic), 0x3c);
    assert_int_equal(isr(0x20), 0x04);
    assert_int_equal(isr(0xa0), 0x10);
    out(0xa0, 0x20);
    out(0x20, 0x20);
    assert_int_equal(isr(0x20), 0);
    assert_int_equal(isr(0xa0), 0);
    assert_false(pic8259_has_interrupt(&pic));
}

/* SeaBIOS (src/hw/pic.c): bases 0x08 / 0x70, only the cascade unmasked. */
static void test_seabios_init(void **state)
{
    (void)state;
    pic8259_init(&pic);
    out(0x20, 0x11);
    out(0xa0, 0x11);
    out(0x21, 0x08);
    out(0xa1, 0x70);
    out(0x21, 0x04);
    out(0xa1, 0x02);
    out(0x21, 0x01);
    out(0xa1, 0x01);
    out(0x21, 0xfb);
    out(0xa1, 0xff);
    pic8259_set_line(&pic, 8, 1);               /* RTC: masked on the slave */
    assert_false(pic8259_has_interrupt(&pic));
    assert_int_equal(in(0xa0), 0x01);           /* ...but requested */
    out(0xa1, 0xfe);
    assert_true(pic8259_has_interrupt(&pic));
    assert_int_equal(pic8259_acknowledge(&pic), 0x70);
    pic8259_set_line(&pic, 0, 1);               /* masked on the master */
    assert_false(pic8259_has_interrupt(&pic));
    out(0x21, 0xfa);
    /* IRQ0 outranks the in-service cascade */
    assert_int_equal(pic8259_acknowledge(&pic), 0x08);
}

static void test_priority_nesting(void **state)
{
    (void)state;
    linux_init(0);
    pic8259_set_line(&pic, 3, 1);
    pic8259_set_line(&pic, 1, 1);
    assert_int_equal(pic8259_acknowledge(&pic), 0x31);
    assert_false(pic8259_has_interrupt(&pic));  /* IR3 is below IR1 in service */
    pic8259_set_line(&pic, 0, 1);
    assert_true(pic8259_has_interrupt(&pic));   /* IR0 nests */
    assert_int_equal(pic8259_acknowledge(&pic), 0x30);
    assert_int_equal(isr(0x20), 0x03);
    out(0x20, 0x20);                            /* clears the highest: IR0 */
    assert_int_equal(isr(0x20), 0x02);
    assert_false(pic8259_has_interrupt(&pic));
    out(0x20, 0x20);
    assert_int_equal(pic8259_acknowledge(&pic), 0x33);
    out(0x20, 0x63);                            /* specific EOI, IR3 */
    assert_int_equal(isr(0x20), 0);
    out(0x20, 0x61);                            /* specific EOI of an idle IR: nothing */
    assert_int_equal(isr(0x20), 0);
}

static void test_rotation(void **state)
{
    (void)state;
    linux_init(0);
    pic8259_set_line(&pic, 1, 1);
    assert_int_equal(pic8259_acknowledge(&pic), 0x31);
    out(0x20, 0xa0);                /* rotate on non-specific EOI: IR1 lowest */
    assert_int_equal(isr(0x20), 0);
    pic8259_set_line(&pic, 1, 0);
    pic8259_set_line(&pic, 1, 1);
    pic8259_set_line(&pic, 4, 1);
    assert_int_equal(pic8259_acknowledge(&pic), 0x34);  /* IR2 highest now */
    out(0x20, 0xe4);                /* rotate on specific EOI 4: IR5 highest */
    assert_int_equal(isr(0x20), 0);
    pic8259_set_line(&pic, 0, 1);
    pic8259_set_line(&pic, 6, 1);
    assert_int_equal(pic8259_acknowledge(&pic), 0x36);
    out(0x20, 0x66);
    out(0x20, 0xc6);                /* set priority: IR6 lowest, IR7 highest */
    assert_int_equal(pic8259_acknowledge(&pic), 0x30);  /* IR0 before IR1 */
    out(0x20, 0x20);
    assert_int_equal(pic8259_acknowledge(&pic), 0x31);
    out(0x20, 0x20);
    assert_false(pic8259_has_interrupt(&pic));
}

static void test_auto_eoi(void **state)
{
    (void)state;
    linux_init(1);
    pic8259_set_line(&pic, 5, 1);
    assert_int_equal(pic8259_acknowledge(&pic), 0x35);
    assert_int_equal(isr(0x20), 0);             /* no ISR bit: lower IRs go */
    pic8259_set_line(&pic, 6, 1);
    assert_int_equal(pic8259_acknowledge(&pic), 0x36);
    /* rotate in auto-EOI: the served IR becomes the lowest */
    out(0x20, 0x80);
    pic8259_set_line(&pic, 2 + 1, 1);
    assert_int_equal(pic8259_acknowledge(&pic), 0x33);
    pic8259_set_line(&pic, 3, 0);
    pic8259_set_line(&pic, 3, 1);
    pic8259_set_line(&pic, 4, 1);
    assert_int_equal(pic8259_acknowledge(&pic), 0x34);
    out(0x20, 0x00);                            /* rotate in AEOI off */
}

static void test_edge(void **state)
{
    (void)state;
    linux_init(0);
    pic8259_set_line(&pic, 4, 1);
    assert_int_equal(pic8259_acknowledge(&pic), 0x34);
    out(0x20, 0x20);
    pic8259_set_line(&pic, 4, 1);               /* still high: no new edge */
    assert_false(pic8259_has_interrupt(&pic));
    pic8259_set_line(&pic, 4, 0);
    pic8259_set_line(&pic, 4, 1);
    assert_true(pic8259_has_interrupt(&pic));
    assert_int_equal(pic8259_acknowledge(&pic), 0x34);
    out(0x20, 0x20);
    /* a pulse is latched (devices pulse their lines) */
    pic8259_set_line(&pic, 6, 1);
    pic8259_set_line(&pic, 6, 0);
    assert_int_equal(pic8259_acknowledge(&pic), 0x36);
    out(0x20, 0x20);
    /* ICW1 resets the edge sense: a line high at init must rise again */
    pic8259_set_line(&pic, 7, 1);
    linux_init(0);
    assert_false(pic8259_has_interrupt(&pic));
    pic8259_set_line(&pic, 7, 0);
    pic8259_set_line(&pic, 7, 1);
    assert_int_equal(pic8259_acknowledge(&pic), 0x37);
}

static void test_level_elcr(void **state)
{
    (void)state;
    linux_init(0);
    out(0x4d0, 0xff);
    out(0x4d1, 0xff);
    assert_int_equal(in(0x4d0), 0xf8);          /* IRQ0-2 edge only */
    assert_int_equal(in(0x4d1), 0xde);          /* IRQ8, IRQ13 edge only */
    out(0x4d0, 0x00);
    out(0x4d1, 0x08);                           /* IRQ11 level */
    pic8259_set_line(&pic, 11, 1);
    assert_int_equal(pic8259_acknowledge(&pic), 0x3b);
    assert_int_equal(in(0xa0), 0x08);           /* still high: still requested */
    out(0xa0, 0x20);
    out(0x20, 0x20);
    assert_true(pic8259_has_interrupt(&pic));   /* again, no edge needed */
    assert_int_equal(pic8259_acknowledge(&pic), 0x3b);
    out(0xa0, 0x20);
    out(0x20, 0x20);
    pic8259_set_line(&pic, 11, 0);
    assert_int_equal(in(0xa0), 0x00);           /* level: IRR follows the line */
    /* The master latched the slave's second request on its edge IR2 (as
     * QEMU and KVM do): it finds nothing on the slave, IR15 is spurious. */
    assert_int_equal(pic8259_acknowledge(&pic), 0x3f);
    out(0x20, 0x20);
    assert_false(pic8259_has_interrupt(&pic));
    /* IRQ8 cannot be made level */
    out(0x4d1, 0x01);
    pic8259_set_line(&pic, 8, 1);
    assert_int_equal(pic8259_acknowledge(&pic), 0x38);
    out(0xa0, 0x20);
    out(0x20, 0x20);
    assert_false(pic8259_has_interrupt(&pic));
    /* ICW1 LTIM: the whole chip level-triggered */
    pic8259_init(&pic);
    out(0x20, 0x19);
    out(0x21, 0x20);
    out(0x21, 0x04);
    out(0x21, 0x01);
    pic8259_set_line(&pic, 1, 1);
    assert_int_equal(pic8259_acknowledge(&pic), 0x21);
    out(0x20, 0x20);
    assert_int_equal(pic8259_acknowledge(&pic), 0x21);
}

static void test_spurious(void **state)
{
    (void)state;
    linux_init(0);
    out(0x4d0, 0x20);                           /* IRQ5 level */
    out(0x4d1, 0x04);                           /* IRQ10 level */
    pic8259_set_line(&pic, 5, 1);
    assert_true(pic8259_has_interrupt(&pic));
    pic8259_set_line(&pic, 5, 0);               /* gone before INTA */
    assert_int_equal(pic8259_acknowledge(&pic), 0x37);
    assert_int_equal(isr(0x20), 0);             /* spurious: no ISR bit */
    /* masked between the request and INTA */
    pic8259_set_line(&pic, 3, 1);
    out(0x21, 0x08);
    assert_int_equal(pic8259_acknowledge(&pic), 0x37);
    assert_int_equal(isr(0x20), 0);
    out(0x21, 0x00);
    assert_int_equal(pic8259_acknowledge(&pic), 0x33);  /* the edge waited */
    out(0x20, 0x20);
    /* slave: IR15, and the master's IR2 is in service (its EOI is due) */
    pic8259_set_line(&pic, 10, 1);
    assert_true(pic8259_has_interrupt(&pic));
    pic8259_set_line(&pic, 10, 0);
    assert_int_equal(pic8259_acknowledge(&pic), 0x3f);
    assert_int_equal(isr(0xa0), 0);
    assert_int_equal(isr(0x20), 0x04);
    out(0x20, 0x20);
    assert_false(pic8259_has_interrupt(&pic));
}

static void test_poll_and_registers(void **state)
{
    (void)state;
    linux_init(0);
    out(0x20, 0x0c);                            /* poll: nothing */
    assert_int_equal(in(0x20), 0x00);
    pic8259_set_line(&pic, 6, 1);
    out(0x20, 0x0c);
    assert_int_equal(in(0x20), 0x86);           /* the poll read is the INTA */
    assert_int_equal(isr(0x20), 0x40);
    assert_int_equal(in(0x20), 0x00);           /* one read only, then IRR */
    out(0x20, 0x20);
    /* ports that are not the PIC's */
    uint8_t v = 0;
    assert_int_equal(pic8259_port_read(&pic, 0x22, &v), -1);
    assert_int_equal(v, 0xff);
    assert_int_equal(pic8259_port_write(&pic, 0x4d2, 1), -1);
}

static void test_special_mask(void **state)
{
    (void)state;
    linux_init(0);
    pic8259_set_line(&pic, 3, 1);
    assert_int_equal(pic8259_acknowledge(&pic), 0x33);
    pic8259_set_line(&pic, 5, 1);
    assert_false(pic8259_has_interrupt(&pic));
    out(0x21, 0x08);                            /* mask the level in service */
    assert_false(pic8259_has_interrupt(&pic));
    out(0x20, 0x68);                            /* OCW3: set special mask */
    assert_true(pic8259_has_interrupt(&pic));
    assert_int_equal(pic8259_acknowledge(&pic), 0x35);
    out(0x20, 0x65);
    out(0x20, 0x48);                            /* reset special mask */
    out(0x21, 0x00);
    out(0x20, 0x63);
    assert_int_equal(isr(0x20), 0);
}

static void test_special_fully_nested(void **state)
{
    (void)state;
    for (int sfnm = 0; sfnm < 2; sfnm++) {
        linux_init(0);
        out(0x20, 0x11);
        out(0x21, 0x30);
        out(0x21, 0x04);
        out(0x21, sfnm ? 0x11 : 0x01);
        pic8259_set_line(&pic, 9, 1);
        assert_int_equal(pic8259_acknowledge(&pic), 0x39);
        pic8259_set_line(&pic, 8, 1);           /* above IRQ9 on the slave */
        assert_int_equal(pic8259_has_interrupt(&pic), sfnm);
        if (sfnm) {
            assert_int_equal(pic8259_acknowledge(&pic), 0x38);
            assert_int_equal(isr(0xa0), 0x03);
        }
    }
}

/* The slave's INT falls during INTA: with the slave in auto-EOI, its next
 * request reaches the master again (a new edge on IR2). */
static void test_cascade_auto_eoi_slave(void **state)
{
    (void)state;
    linux_init(0);
    out(0xa0, 0x11);
    out(0xa1, 0x38);
    out(0xa1, 0x02);
    out(0xa1, 0x03);                            /* slave: auto-EOI */
    pic8259_set_line(&pic, 9, 1);
    pic8259_set_line(&pic, 10, 1);
    assert_int_equal(pic8259_acknowledge(&pic), 0x39);
    assert_int_equal(isr(0xa0), 0);
    assert_false(pic8259_has_interrupt(&pic));  /* master IR2 in service */
    out(0x20, 0x20);
    assert_true(pic8259_has_interrupt(&pic));
    assert_int_equal(pic8259_acknowledge(&pic), 0x3a);
    out(0x20, 0x20);
    assert_false(pic8259_has_interrupt(&pic));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_init_and_eoi),
        cmocka_unit_test(test_seabios_init),
        cmocka_unit_test(test_priority_nesting),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_auto_eoi),
        cmocka_unit_test(test_edge),
        cmocka_unit_test(test_level_elcr),
        cmocka_unit_test(test_spurious),
        cmocka_unit_test(test_poll_and_registers),
        cmocka_unit_test(test_special_mask),
        cmocka_unit_test(test_special_fully_nested),
        cmocka_unit_test(test_cascade_auto_eoi_slave),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
