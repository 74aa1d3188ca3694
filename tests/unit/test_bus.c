/* Unit tests: the demo's device bus (demo/bus.c, bus.h): ranges kept
 * sorted and disjoint, an access routed to the range holding its first
 * byte with its absolute address and width, the defaults where no device
 * answers (ports and MMIO all-ones, MSRs 0 and unclaimed: the run loop
 * turns that into #GP), pass-through declarations, and INS/OUTS served
 * element by element over guest RAM. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "bus.h"

/* A device that records its last access and answers a fixed value. */
struct probe {
    uint64_t addr, val, answer;
    uint32_t size;
    int reads, writes, rc;
};

static int probe_read(void *dev, uint64_t addr, uint32_t size, uint64_t *val)
{
    struct probe *p = dev;
    p->reads++;
    p->addr = addr;
    p->size = size;
    *val = p->answer;
    return p->rc;
}

static int probe_write(void *dev, uint64_t addr, uint32_t size, uint64_t val)
{
    struct probe *p = dev;
    p->writes++;
    p->addr = addr;
    p->size = size;
    p->val = val;
    return p->rc;
}

static const struct bus_ops probe_ops = { probe_read, probe_write };
static const struct bus_ops write_only_ops = { 0, probe_write };

static struct bus b;

static int setup(void **state)
{
    (void)state;
    memset(&b, 0, sizeof b);
    return 0;
}

static void test_add_sorted(void **state)
{
    (void)state;
    struct probe p[3];
    assert_int_equal(bus_add(&b, BUS_PIO, 0x8900, 1, &probe_ops, &p[2]), 0);
    assert_int_equal(bus_add(&b, BUS_PIO, 0xe0, 4, &probe_ops, &p[0]), 0);
    assert_int_equal(bus_add(&b, BUS_PIO, 0x3f8, 8, &probe_ops, &p[1]), 0);
    assert_int_equal(b.n[BUS_PIO], 3);
    assert_int_equal(b.r[BUS_PIO][0].base, 0xe0);
    assert_int_equal(b.r[BUS_PIO][1].base, 0x3f8);
    assert_int_equal(b.r[BUS_PIO][2].base, 0x8900);
    assert_ptr_equal(b.r[BUS_PIO][1].dev, &p[1]);
    /* The spaces are apart: the same numbers are free in the others. */
    assert_int_equal(bus_add(&b, BUS_MSR, 0xe0, 4, &probe_ops, &p[0]), 0);
    assert_int_equal(bus_add(&b, BUS_MMIO, 0xe0, 4, &probe_ops, &p[0]), 0);
}

static void test_add_rejects_overlap(void **state)
{
    (void)state;
    struct probe p;
    assert_int_equal(bus_add(&b, BUS_PIO, 0x100, 0x10, &probe_ops, &p), 0);
    assert_int_equal(bus_add(&b, BUS_PIO, 0x100, 1, &probe_ops, &p), -1);   /* same base */
    assert_int_equal(bus_add(&b, BUS_PIO, 0x10f, 1, &probe_ops, &p), -1);   /* last byte */
    assert_int_equal(bus_add(&b, BUS_PIO, 0xf8, 9, &probe_ops, &p), -1);    /* runs into it */
    assert_int_equal(bus_add(&b, BUS_PIO, 0xf0, 0x40, &probe_ops, &p), -1); /* covers it */
    /* Adjacent on both sides is fine. */
    assert_int_equal(bus_add(&b, BUS_PIO, 0xf8, 8, &probe_ops, &p), 0);
    assert_int_equal(bus_add(&b, BUS_PIO, 0x110, 8, &probe_ops, &p), 0);
    assert_int_equal(b.n[BUS_PIO], 3);
}

static void test_add_rejects_bad_ranges(void **state)
{
    (void)state;
    struct probe p;
    assert_int_equal(bus_add(&b, BUS_MMIO, 0x1000, 0, &probe_ops, &p), -1);
    assert_int_equal(bus_add(&b, BUS_MMIO, ~0ull - 1, 4, &probe_ops, &p), -1);
    for (uint32_t i = 0; i < BUS_RANGES; i++)
        assert_int_equal(bus_add(&b, BUS_MSR, 2 * i, 1, &probe_ops, &p), 0);
    assert_int_equal(bus_add(&b, BUS_MSR, 1000, 1, &probe_ops, &p), -1);
}

static void test_find_boundaries(void **state)
{
    (void)state;
    struct probe p;
    bus_add(&b, BUS_PIO, 0x3f8, 8, &probe_ops, &p);
    bus_add(&b, BUS_PIO, 0xe0, 4, &probe_ops, &p);
    assert_null(bus_find(&b, BUS_PIO, 0));
    assert_null(bus_find(&b, BUS_PIO, 0x80));
    assert_null(bus_find(&b, BUS_PIO, 0xdf));
    assert_int_equal(bus_find(&b, BUS_PIO, 0xe0)->base, 0xe0);
    assert_int_equal(bus_find(&b, BUS_PIO, 0xe3)->base, 0xe0);
    assert_null(bus_find(&b, BUS_PIO, 0xe4));
    assert_int_equal(bus_find(&b, BUS_PIO, 0x3ff)->base, 0x3f8);
    assert_null(bus_find(&b, BUS_PIO, 0x400));
    assert_null(bus_find(&b, BUS_PIO, 0xffff));
    assert_null(bus_find(&b, BUS_MMIO, 0xe0));
}

static void test_remove(void **state)
{
    (void)state;
    struct probe p;
    bus_add(&b, BUS_MMIO, 0x1000, 0x1000, &probe_ops, &p);
    bus_add(&b, BUS_MMIO, 0x3000, 0x1000, &probe_ops, &p);
    bus_add(&b, BUS_MMIO, 0x5000, 0x1000, &probe_ops, &p);
    assert_int_equal(bus_remove(&b, BUS_MMIO, 0x3000), 0);
    assert_int_equal(bus_remove(&b, BUS_MMIO, 0x3000), -1);
    assert_int_equal(bus_remove(&b, BUS_MMIO, 0x1800), -1);  /* not a range's base */
    assert_int_equal(b.n[BUS_MMIO], 2);
    assert_null(bus_find(&b, BUS_MMIO, 0x3000));
    assert_non_null(bus_find(&b, BUS_MMIO, 0x5fff));
    /* The place is free again: a range can move there. */
    assert_int_equal(bus_add(&b, BUS_MMIO, 0x2000, 0x2000, &probe_ops, &p), 0);
    assert_int_equal(b.r[BUS_MMIO][1].base, 0x2000);
}

static void test_routing_passes_access(void **state)
{
    (void)state;
    struct probe p = { .answer = 0x1234, .rc = BUS_OK };
    uint64_t val = 0;
    bus_add(&b, BUS_PIO, 0xe0, 4, &probe_ops, &p);
    assert_int_equal(bus_read(&b, BUS_PIO, 0xe2, 2, &val), BUS_OK);
    assert_int_equal(val, 0x1234);
    assert_int_equal(p.addr, 0xe2);     /* the port, not an offset */
    assert_int_equal(p.size, 2);
    /* An access belongs to the range of its first byte: the device sees
     * it whole, and decides. */
    assert_int_equal(bus_write(&b, BUS_PIO, 0xe3, 4, 0xdeadbeef), BUS_OK);
    assert_int_equal(p.addr, 0xe3);
    assert_int_equal(p.size, 4);
    assert_int_equal(p.val, 0xdeadbeef);
    /* One byte before the range is nobody's, even if it runs into it. */
    assert_int_equal(bus_write(&b, BUS_PIO, 0xdf, 2, 1), BUS_UNCLAIMED);
    assert_int_equal(p.writes, 1);
}

static void test_defaults(void **state)
{
    (void)state;
    uint64_t val = 0;
    assert_int_equal(bus_read(&b, BUS_PIO, 0x80, 1, &val), BUS_UNCLAIMED);
    assert_int_equal(val, 0xff);
    assert_int_equal(bus_read(&b, BUS_PIO, 0x80, 2, &val), BUS_UNCLAIMED);
    assert_int_equal(val, 0xffff);
    assert_int_equal(bus_read(&b, BUS_PIO, 0x80, 4, &val), BUS_UNCLAIMED);
    assert_int_equal(val, 0xffffffffu);
    assert_int_equal(bus_read(&b, BUS_MMIO, 0xfee00000, 8, &val), BUS_UNCLAIMED);
    assert_true(val == ~0ull);
    assert_int_equal(bus_read(&b, BUS_MSR, 0x1b, 8, &val), BUS_UNCLAIMED);
    assert_int_equal(val, 0);
    assert_int_equal(bus_write(&b, BUS_MSR, 0x1b, 8, 0), BUS_UNCLAIMED);
    assert_int_equal(bus_ones(1), 0xff);
    assert_int_equal(bus_ones(3), 0xffffff);
    assert_true(bus_ones(8) == ~0ull);
}

static void test_declined_and_unclaimed(void **state)
{
    (void)state;
    struct probe p = { .answer = 0x55, .rc = BUS_UNCLAIMED };
    uint64_t val = 0;
    /* A NULL handler declines that direction. */
    bus_add(&b, BUS_PIO, 0xf4, 1, &write_only_ops, &p);
    assert_int_equal(bus_read(&b, BUS_PIO, 0xf4, 1, &val), BUS_UNCLAIMED);
    assert_int_equal(val, 0xff);
    assert_int_equal(p.reads, 0);
    /* A handler that declines gets the default value put back. */
    bus_add(&b, BUS_MMIO, 0x1000, 16, &probe_ops, &p);
    assert_int_equal(bus_read(&b, BUS_MMIO, 0x100e, 4, &val), BUS_UNCLAIMED);
    assert_int_equal(val, 0xffffffffu);
    assert_int_equal(p.reads, 1);
    assert_int_equal(bus_write(&b, BUS_MMIO, 0x100e, 4, 1), BUS_UNCLAIMED);
    /* BUS_FAULT comes back as it is (MSRs: #GP). */
    p.rc = BUS_FAULT;
    bus_add(&b, BUS_MSR, 0x3a, 1, &probe_ops, &p);
    assert_int_equal(bus_write(&b, BUS_MSR, 0x3a, 8, 5), BUS_FAULT);
    assert_int_equal(bus_read(&b, BUS_MSR, 0x3a, 8, &val), BUS_FAULT);
}

static void test_pass(void **state)
{
    (void)state;
    assert_int_equal(bus_pass(&b, BUS_PIO, 0x40, 4, BUS_PASS_READ | BUS_PASS_WRITE), 0);
    assert_int_equal(bus_pass(&b, BUS_MSR, 0x10, 1, BUS_PASS_READ), 0);
    assert_int_equal(b.npass, 2);
    assert_int_equal(b.pass[1].space, BUS_MSR);
    assert_int_equal(b.pass[1].base, 0x10);
    assert_int_equal(b.pass[1].len, 1);
    assert_int_equal(b.pass[1].flags, BUS_PASS_READ);
    for (uint32_t i = 2; i < BUS_PASSES; i++)
        assert_int_equal(bus_pass(&b, BUS_PIO, i, 1, BUS_PASS_READ | BUS_PASS_WRITE), 0);
    assert_int_equal(bus_pass(&b, BUS_PIO, 0x70, 2, BUS_PASS_READ | BUS_PASS_WRITE), -1);
}

/* ------------------------------------------------------------ string I/O */
/* A port device that records the bytes written and reads a counter. */
struct stream {
    uint8_t seen[64];
    unsigned n;
    uint32_t next;
};

static int stream_read(void *dev, uint64_t port, uint32_t size, uint64_t *val)
{
    struct stream *s = dev;
    (void)port;
    (void)size;
    *val = 0x11223300u + s->next++;
    return BUS_OK;
}

static int stream_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    struct stream *s = dev;
    (void)port;
    for (uint32_t i = 0; i < size; i++)
        s->seen[s->n++] = (uint8_t)(val >> (8 * i));
    return BUS_OK;
}

static const struct bus_ops stream_ops = { stream_read, stream_write };

/* bus_port_io: the port callback the demo gives x86vcpu_string_io (the
 * library moves the elements through guest memory; the bus sees one port
 * access per element). */
static void test_port_io(void **state)
{
    (void)state;
    static struct stream s;
    memset(&s, 0, sizeof s);
    bus_add(&b, BUS_PIO, 0xe9, 1, &stream_ops, &s);
    uint32_t val = 0xa1b2;
    assert_int_equal(bus_port_io(&b, 0xe9, 2, 0, &val), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.seen[0], 0xb2);
    assert_int_equal(s.seen[1], 0xa1);
    assert_int_equal(bus_port_io(&b, 0xe9, 4, 1, &val), 0);
    assert_int_equal(val, 0x11223300u);
    /* Nobody at the port: an IN reads all-ones (of its size). */
    assert_int_equal(bus_port_io(&b, 0x80, 2, 1, &val), 0);
    assert_int_equal(val, 0xffff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_add_sorted, setup),
        cmocka_unit_test_setup(test_add_rejects_overlap, setup),
        cmocka_unit_test_setup(test_add_rejects_bad_ranges, setup),
        cmocka_unit_test_setup(test_find_boundaries, setup),
        cmocka_unit_test_setup(test_remove, setup),
        cmocka_unit_test_setup(test_routing_passes_access, setup),
        cmocka_unit_test_setup(test_defaults, setup),
        cmocka_unit_test_setup(test_declined_and_unclaimed, setup),
        cmocka_unit_test_setup(test_pass, setup),
        cmocka_unit_test_setup(test_port_io, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
