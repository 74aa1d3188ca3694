/* Unit tests: the virtual I/O APIC (demo/dev/vioapic.h): registers and
 * their read-only bits, edge and level delivery, masking, remote IRR and
 * the two EOI paths (the LAPIC's broadcast, the version 0x20 EOI
 * register), Linux's edge-then-level EOI for a version 0x11 chip, the
 * message's fields, NMI/SMI/INIT/ExtINT entries acting as edge. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "dev/vioapic.h"

static struct vioapic io;
static struct vioapic_msg msgs[8];
static unsigned nmsg;

static void deliver(void *opaque, const struct vioapic_msg *m)
{
    assert_ptr_equal(opaque, &nmsg);
    assert_true(nmsg < 8);
    msgs[nmsg++] = *m;
}

static void fresh(uint8_t version)
{
    nmsg = 0;
    memset(msgs, 0, sizeof msgs);
    assert_int_equal(vioapic_init(&io, version, deliver, &nmsg), 0);
}

static uint32_t rd(uint32_t reg)
{
    vioapic_mmio_write(&io, 0x00, 4, reg);
    return vioapic_mmio_read(&io, 0x10, 4);
}

static void wr(uint32_t reg, uint32_t val)
{
    vioapic_mmio_write(&io, 0x00, 4, reg);
    vioapic_mmio_write(&io, 0x10, 4, val);
}

static void set_rte(unsigned pin, uint64_t e)
{
    wr(0x11 + 2 * pin, (uint32_t)(e >> 32));
    wr(0x10 + 2 * pin, (uint32_t)e);
}

static uint64_t get_rte(unsigned pin)
{
    return (uint64_t)rd(0x11 + 2 * pin) << 32 | rd(0x10 + 2 * pin);
}

#define LEVEL   (1ull << 15)
#define MASKED  (1ull << 16)
#define REMOTE  (1ull << 14)
#define LOGICAL (1ull << 11)

static void test_registers(void **state)
{
    (void)state;
    assert_int_equal(vioapic_init(&io, 0x12, deliver, &nmsg), -1);
    fresh(0x20);
    assert_int_equal(rd(0x01), 0x00170020);     /* 24 entries, version 0x20 */
    fresh(0x11);
    assert_int_equal(rd(0x01), 0x00170011);
    wr(0x01, 0);                                /* read-only */
    assert_int_equal(rd(0x01), 0x00170011);
    wr(0x00, 0xffffffff);
    assert_int_equal(rd(0x00), 0x0f000000);     /* ID: bits 27:24 */
    assert_int_equal(rd(0x02), 0x0f000000);
    for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
        assert_int_equal(get_rte(pin), MASKED); /* reset: masked */
    /* delivery status, remote IRR, reserved bits: not writable */
    wr(0x10, 0xffffffff);
    wr(0x11, 0xffffffff);
    assert_int_equal(get_rte(0), 0xff0000000001afffull);
    /* past the table, unknown registers */
    assert_int_equal(rd(0x10 + 2 * VIOAPIC_PINS), 0);
    assert_int_equal(rd(0x03), 0);
    /* IOREGSEL: bits 7:0, byte access; IOWIN: dwords only */
    vioapic_mmio_write(&io, 0x00, 1, 0x12);
    assert_int_equal(vioapic_mmio_read(&io, 0x00, 4), 0x12);
    vioapic_mmio_write(&io, 0x00, 4, 0x112);
    assert_int_equal(vioapic_mmio_read(&io, 0x00, 4), 0x12);
    vioapic_mmio_write(&io, 0x10, 1, 0x55);
    assert_int_equal(get_rte(1), MASKED);
    assert_int_equal(vioapic_mmio_read(&io, 0x11, 4), 0);  /* misaligned */
    vioapic_mmio_write(&io, 0x00, 4, 0x01);
    assert_int_equal(vioapic_mmio_read(&io, 0x12, 1), 0x17);
    assert_int_equal(vioapic_mmio_read(&io, 0x40, 4), 0);   /* EOI: write-only */
}

static void test_edge(void **state)
{
    (void)state;
    fresh(0x20);
    set_rte(4, 0x41 | 3ull << 56);              /* fixed, physical, dest 3 */
    vioapic_set_line(&io, 4, 1);
    assert_int_equal(nmsg, 1);
    assert_int_equal(msgs[0].vector, 0x41);
    assert_int_equal(msgs[0].dest, 3);
    assert_int_equal(msgs[0].dest_logical, 0);
    assert_int_equal(msgs[0].delivery_mode, 0);
    assert_int_equal(msgs[0].level, 0);
    assert_int_equal(msgs[0].pin, 4);
    vioapic_set_line(&io, 4, 1);                /* no new edge */
    assert_int_equal(nmsg, 1);
    assert_int_equal(get_rte(4) & (REMOTE | (1ull << 12)), 0);
    vioapic_set_line(&io, 4, 0);
    vioapic_set_line(&io, 4, 1);
    assert_int_equal(nmsg, 2);
    /* masked: the edge is lost, unmasking sends nothing */
    vioapic_set_line(&io, 4, 0);
    set_rte(4, 0x41 | MASKED);
    vioapic_set_line(&io, 4, 1);
    set_rte(4, 0x41);
    assert_int_equal(nmsg, 2);
    /* out of range pins */
    vioapic_set_line(&io, VIOAPIC_PINS, 1);
    assert_int_equal(nmsg, 2);
}

static void test_level_remote_irr(void **state)
{
    (void)state;
    fresh(0x20);
    set_rte(11, 0x52 | LEVEL | LOGICAL | 1ull << 8 | 0x0full << 56);
    vioapic_set_line(&io, 11, 1);
    assert_int_equal(nmsg, 1);
    assert_int_equal(msgs[0].level, 1);
    assert_int_equal(msgs[0].dest_logical, 1);
    assert_int_equal(msgs[0].delivery_mode, 1);  /* lowest priority */
    assert_int_equal(msgs[0].dest, 0x0f);
    assert_true(get_rte(11) & REMOTE);
    vioapic_set_line(&io, 11, 1);
    assert_int_equal(nmsg, 1);                  /* waits for the EOI */
    vioapic_eoi(&io, 0x53);                     /* another vector */
    assert_true(get_rte(11) & REMOTE);
    vioapic_eoi(&io, 0x52);                     /* still asserted: again */
    assert_int_equal(nmsg, 2);
    assert_true(get_rte(11) & REMOTE);
    vioapic_set_line(&io, 11, 0);
    vioapic_eoi(&io, 0x52);
    assert_int_equal(nmsg, 2);
    assert_false(get_rte(11) & REMOTE);
    /* the remote IRR bit cannot be written away */
    vioapic_set_line(&io, 11, 1);
    assert_int_equal(nmsg, 3);
    set_rte(11, 0x52 | LEVEL | LOGICAL | 1ull << 8 | 0x0full << 56);
    assert_true(get_rte(11) & REMOTE);
    assert_int_equal(nmsg, 3);
    /* the EOI register (version 0x20) */
    vioapic_mmio_write(&io, 0x40, 4, 0x52);
    assert_int_equal(nmsg, 4);
    vioapic_set_line(&io, 11, 0);
    vioapic_mmio_write(&io, 0x40, 4, 0x52);
    assert_false(get_rte(11) & REMOTE);
    assert_int_equal(nmsg, 4);
}

static void test_masked_level(void **state)
{
    (void)state;
    fresh(0x20);
    set_rte(9, 0x61 | LEVEL | MASKED);
    vioapic_set_line(&io, 9, 1);
    assert_int_equal(nmsg, 0);
    assert_false(get_rte(9) & REMOTE);
    set_rte(9, 0x61 | LEVEL);                   /* unmasked while asserted */
    assert_int_equal(nmsg, 1);
    assert_true(get_rte(9) & REMOTE);
    /* masked while waiting for the EOI: the EOI clears, nothing is sent */
    set_rte(9, 0x61 | LEVEL | MASKED);
    vioapic_eoi(&io, 0x61);
    assert_false(get_rte(9) & REMOTE);
    assert_int_equal(nmsg, 1);
}

static void test_v11_edge_then_level_eoi(void **state)
{
    (void)state;
    fresh(0x11);
    set_rte(10, 0x71 | LEVEL);
    vioapic_set_line(&io, 10, 1);
    assert_int_equal(nmsg, 1);
    vioapic_mmio_write(&io, 0x40, 4, 0x71);     /* no EOI register on 0x11 */
    assert_true(get_rte(10) & REMOTE);
    assert_int_equal(nmsg, 1);
    /* Linux (io_apic.c __eoi_ioapic_pin): masked edge, then level again */
    set_rte(10, 0x71 | MASKED);
    assert_false(get_rte(10) & REMOTE);
    set_rte(10, 0x71 | LEVEL | MASKED);
    assert_int_equal(nmsg, 1);
    set_rte(10, 0x71 | LEVEL);                  /* still asserted: again */
    assert_int_equal(nmsg, 2);
}

static void test_extint_and_nmi(void **state)
{
    (void)state;
    fresh(0x20);
    set_rte(0, 7ull << 8);                      /* ExtINT: the PIC's vector */
    set_rte(1, 4ull << 8 | 0xffull << 56);      /* NMI, broadcast */
    vioapic_set_line(&io, 0, 1);
    vioapic_set_line(&io, 1, 1);
    assert_int_equal(nmsg, 2);
    assert_int_equal(msgs[0].delivery_mode, 7);
    assert_int_equal(msgs[1].delivery_mode, 4);
    assert_int_equal(msgs[1].dest, 0xff);
}

/* NMI, SMI, INIT and ExtINT programmed level act as edge (82093AA
 * 3.2.4): one message per rise, no remote IRR (no EOI will come). */
static void test_nonfixed_level_is_edge(void **state)
{
    (void)state;
    static const uint8_t modes[] = { 2, 4, 5, 7 };
    for (unsigned i = 0; i < sizeof modes; i++) {
        fresh(0x11);
        set_rte(3, (uint64_t)modes[i] << 8 | 0x40 | LEVEL);
        vioapic_set_line(&io, 3, 1);
        assert_int_equal(nmsg, 1);
        assert_int_equal(msgs[0].delivery_mode, modes[i]);
        assert_int_equal(msgs[0].level, 0);
        assert_int_equal(get_rte(3) & REMOTE, 0);
        vioapic_set_line(&io, 3, 1);            /* held: nothing more */
        set_rte(3, (uint64_t)modes[i] << 8 | 0x40 | LEVEL);
        assert_int_equal(nmsg, 1);
        vioapic_set_line(&io, 3, 0);
        vioapic_set_line(&io, 3, 1);            /* the next rise */
        assert_int_equal(nmsg, 2);
    }
    /* Fixed and lowest priority stay level. */
    fresh(0x11);
    set_rte(3, 1ull << 8 | 0x40 | LEVEL);
    vioapic_set_line(&io, 3, 1);
    assert_int_equal(msgs[0].level, 1);
    assert_int_equal(get_rte(3) & REMOTE, REMOTE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registers),
        cmocka_unit_test(test_edge),
        cmocka_unit_test(test_level_remote_irr),
        cmocka_unit_test(test_masked_level),
        cmocka_unit_test(test_v11_edge_then_level_eoi),
        cmocka_unit_test(test_extint_and_nmi),
        cmocka_unit_test(test_nonfixed_level_is_edge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
