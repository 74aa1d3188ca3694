/* Unit tests: the test devices' models (demo/pc/testdev.c): QEMU
 * pc-testdev's latch, isa-debug-exit's exit status, Bochs' shutdown port;
 * then the devices on a machine's bus, with port 0xE9 (demo/pc/debugcon.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "pc/testdev.h"
#include "vm_fixture.h"
#include "pc/debugcon.h"

/* ------------------------------------------------------------- pc-testdev */
/* Reference: the latch as 4 bytes; an access covers bytes [off, off+size)
 * that exist. */
static uint32_t ref_write(uint32_t latch, unsigned off, unsigned size, uint32_t val)
{
    uint8_t b[4];
    for (unsigned i = 0; i < 4; i++)
        b[i] = (uint8_t)(latch >> (8 * i));
    for (unsigned i = 0; i < size && off + i < 4; i++)
        b[off + i] = (uint8_t)(val >> (8 * i));
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint32_t ref_read(uint32_t latch, unsigned off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size && off + i < 4; i++)
        v |= ((latch >> (8 * (off + i))) & 0xff) << (8 * i);
    return v;
}

static void test_latch_full_width(void **state)
{
    (void)state;
    uint32_t l = latch_write(0, 0, 4, 0xdeadbeef);
    assert_int_equal(l, 0xdeadbeef);
    assert_int_equal(latch_read(l, 0, 4), 0xdeadbeef);
    assert_int_equal(latch_read(l, 0, 2), 0xbeef);
    assert_int_equal(latch_read(l, 2, 2), 0xdead);
    assert_int_equal(latch_read(l, 0, 1), 0xef);
    assert_int_equal(latch_read(l, 1, 1), 0xbe);
    assert_int_equal(latch_read(l, 2, 1), 0xad);
    assert_int_equal(latch_read(l, 3, 1), 0xde);
}

static void test_latch_partial_writes(void **state)
{
    (void)state;
    uint32_t l = 0x11223344;
    assert_int_equal(latch_write(l, 0, 1, 0xaa), 0x112233aa);
    assert_int_equal(latch_write(l, 1, 1, 0xaa), 0x1122aa44);
    assert_int_equal(latch_write(l, 2, 1, 0xaa), 0x11aa3344);
    assert_int_equal(latch_write(l, 3, 1, 0xaa), 0xaa223344);
    assert_int_equal(latch_write(l, 0, 2, 0xbbaa), 0x1122bbaa);
    assert_int_equal(latch_write(l, 1, 2, 0xbbaa), 0x11bbaa44);
    assert_int_equal(latch_write(l, 2, 2, 0xbbaa), 0xbbaa3344);
    /* Bits of the value beyond the access size are not written. */
    assert_int_equal(latch_write(l, 0, 1, 0xffffffaa), 0x112233aa);
    assert_int_equal(latch_write(l, 1, 2, 0xffffbbaa), 0x11bbaa44);
}

static void test_latch_bytes_past_end_dropped(void **state)
{
    (void)state;
    uint32_t l = 0x11223344;
    /* Word at offset 3: its high byte has no latch byte. */
    assert_int_equal(latch_write(l, 3, 2, 0xbbaa), 0xaa223344);
    assert_int_equal(latch_read(l, 3, 2), 0x0011);
    /* Dwords at offsets 1..3. */
    assert_int_equal(latch_write(l, 1, 4, 0xddccbbaa), 0xccbbaa44);
    assert_int_equal(latch_write(l, 2, 4, 0xddccbbaa), 0xbbaa3344);
    assert_int_equal(latch_write(l, 3, 4, 0xddccbbaa), 0xaa223344);
    assert_int_equal(latch_read(l, 1, 4), 0x00112233);
    assert_int_equal(latch_read(l, 2, 4), 0x00001122);
    assert_int_equal(latch_read(l, 3, 4), 0x00000011);
}

static void test_latch_against_reference(void **state)
{
    (void)state;
    static const unsigned sizes[] = { 1, 2, 4 };
    static const uint32_t latches[] = { 0, 0xffffffff, 0x11223344, 0x80000001 };
    static const uint32_t vals[] = { 0, 0xffffffff, 0xa1b2c3d4, 0x00ff00ff };
    for (unsigned li = 0; li < 4; li++)
        for (unsigned off = 0; off < 4; off++)
            for (unsigned si = 0; si < 3; si++) {
                unsigned size = sizes[si];
                uint32_t latch = latches[li];
                if (latch_read(latch, off, size) != ref_read(latch, off, size))
                    fail_msg("read %#x off %u size %u", latch, off, size);
                for (unsigned vi = 0; vi < 4; vi++)
                    if (latch_write(latch, off, size, vals[vi]) !=
                        ref_write(latch, off, size, vals[vi]))
                        fail_msg("write %#x off %u size %u val %#x", latch, off,
                                 size, vals[vi]);
            }
}

static void test_latch_round_trip(void **state)
{
    (void)state;
    /* What a guest writes through one port reads back through it. */
    for (unsigned off = 0; off < 4; off++) {
        uint32_t l = latch_write(0x55555555, off, 1, 0xa0 + off);
        assert_int_equal(latch_read(l, off, 1), 0xa0 + off);
    }
    for (unsigned off = 0; off < 3; off++) {
        uint32_t l = latch_write(0x55555555, off, 2, 0xbeef);
        assert_int_equal(latch_read(l, off, 2), 0xbeef);
    }
}

/* --------------------------------------------------------- isa-debug-exit */
static void test_debug_exit_status(void **state)
{
    (void)state;
    assert_int_equal(debug_exit_status(0, 1), 1);
    assert_int_equal(debug_exit_status(0x7f, 1), 0xff);
    assert_int_equal(debug_exit_status(1, 1), 3);
    assert_int_equal(debug_exit_status(0xff, 1), 0x1ff);
    /* Only the written byte counts. */
    assert_int_equal(debug_exit_status(0x1ff, 1), 0x1ff);
    assert_int_equal(debug_exit_status(0xffffff00, 1), 1);
    assert_int_equal(debug_exit_status(0x1234, 2), 0x2469);
    assert_int_equal(debug_exit_status(0x12345678, 2), 0xacf1);
    assert_int_equal(debug_exit_status(0x12345678, 4), 0x2468acf1);
    assert_int_equal(debug_exit_status(0, 4), 1);
    /* 32-bit result: bit 31 of a dword shifts out. */
    assert_int_equal(debug_exit_status(0xffffffff, 4), 0xffffffff);
    assert_int_equal(debug_exit_status(0x80000000, 4), 1);
}

/* ---------------------------------------------------- Bochs shutdown port */
/* Feeds a string byte by byte; returns how many times the port fired. */
static int feed(struct shutdown_port *s, const char *str)
{
    int n = 0;
    for (size_t i = 0; str[i]; i++)
        n += shutdown_port_write(s, (uint8_t)str[i]);
    return n;
}

static void test_shutdown_word(void **state)
{
    (void)state;
    struct shutdown_port s = { 0 };
    const char *w = "Shutdown";
    for (int i = 0; i < 7; i++)
        assert_int_equal(shutdown_port_write(&s, (uint8_t)w[i]), 0);
    assert_int_equal(shutdown_port_write(&s, 'n'), 1);
    assert_int_equal(s.matched, 0);            /* reset after firing */
    /* After firing, a tail alone does not fire again. */
    assert_int_equal(feed(&s, "hutdown"), 0);
    assert_int_equal(feed(&s, "n"), 0);
    assert_int_equal(feed(&s, "ShutdownShutdown"), 2);
}

static void test_shutdown_restart_on_s(void **state)
{
    (void)state;
    struct shutdown_port s = { 0 };
    assert_int_equal(feed(&s, "SShutdown"), 1);
    assert_int_equal(feed(&s, "SSSSShutdown"), 1);
    assert_int_equal(feed(&s, "ShutShutdown"), 1);
    assert_int_equal(feed(&s, "ShutdowShutdown"), 1);
    s.matched = 0;
    /* 'S' mid-word restarts at 1, not 0. */
    feed(&s, "Shu");
    assert_int_equal(shutdown_port_write(&s, 'S'), 0);
    assert_int_equal(s.matched, 1);
}

static void test_shutdown_interrupted(void **state)
{
    (void)state;
    struct shutdown_port s = { 0 };
    assert_int_equal(feed(&s, "Shutdowxn"), 0);
    assert_int_equal(feed(&s, "ShutXdown"), 0);
    assert_int_equal(feed(&s, "Shutdow\nn"), 0);
    assert_int_equal(feed(&s, "shutdown"), 0);
    assert_int_equal(feed(&s, "SHUTDOWN"), 0);
    assert_int_equal(feed(&s, "Shutdwn"), 0);
    /* A wrong byte resets: the rest of the word alone does not complete. */
    feed(&s, "Shut");
    assert_int_equal(shutdown_port_write(&s, 0), 0);
    assert_int_equal(s.matched, 0);
    assert_int_equal(feed(&s, "down"), 0);
    /* An out-of-order letter of the word also resets. */
    feed(&s, "Shu");
    assert_int_equal(shutdown_port_write(&s, 'd'), 0);
    assert_int_equal(s.matched, 0);
    /* And a clean word after all that fires. */
    assert_int_equal(feed(&s, "Shutdown"), 1);
}

static void test_shutdown_corrupt_state(void **state)
{
    (void)state;
    struct shutdown_port s = { .matched = 1000 };
    assert_int_equal(shutdown_port_write(&s, 'n'), 0);
    assert_int_equal(feed(&s, "Shutdown"), 1);
}


/* ------------------------------------------------------------ on a machine */

static void test_latch_device_ports(void **state)
{
    (void)state;
    static struct latch l;
    fresh_vm();
    l.val = 0x12345678;
    assert_int_equal(latch_attach(&l, &vm), 0);
    assert_int_equal(rd(0xe0, 4), 0);           /* cleared on attach */
    wrp(0xe0, 4, 0xdeadbeef);
    assert_int_equal(rd(0xe2, 2), 0xdead);
    assert_int_equal(rd(0xe1, 1), 0xbe);
    wrp(0xe2, 2, 0x1234);
    assert_int_equal(rd(0xe0, 4), 0x1234beef);
    /* Past 0xE3 it is not the latch: all-ones, writes change nothing. */
    assert_int_equal(rd(0xe3, 2), 0xffff);
    wrp(0xe2, 4, 0);
    assert_int_equal(rd(0xe0, 4), 0x1234beef);
    assert_int_equal(rd(0xe4, 1), 0xff);
}

/* The library's EPT calls the page flush makes, recorded (this program's
 * own definitions: the unit tests link no src/vmx). */
static struct { unsigned maps, unmaps; uint64_t gpa, hpa, size; unsigned perms, mt; } ept_log;

int x86vcpu_ept_map(struct x86vcpu_ept *ept, uint64_t gpa, uint64_t hpa, uint64_t size,
                    unsigned perms, unsigned mt)
{
    (void)ept;
    ept_log.maps++;
    ept_log.gpa = gpa, ept_log.hpa = hpa, ept_log.size = size;
    ept_log.perms = perms, ept_log.mt = mt;
    return 0;
}

int x86vcpu_ept_unmap(struct x86vcpu_ept *ept, uint64_t gpa, uint64_t size)
{
    (void)ept;
    ept_log.unmaps++;
    ept_log.gpa = gpa, ept_log.size = size;
    return 0;
}

static struct latch td;

/* An EPT violation at gpa, through the vm's hook as vm_run gives it. */
static int ept_violation(uint64_t gpa)
{
    struct x86vcpu_exit e;
    memset(&e, 0, sizeof e);
    e.kind = X86VCPU_EXIT_EPT_VIOLATION;
    e.u.ept.gpa = gpa;
    return vm.on_exit && vm.on_exit(&vm, &e);
}

static struct { unsigned n, line; int level; void *ctx; } line_log;
static void record_line(void *ctx, unsigned line, int level)
{
    line_log.n++;
    line_log.line = line, line_log.level = level, line_log.ctx = ctx;
}

static void test_testdev_irq_lines(void **state)
{
    (void)state;
    fresh_vm();
    assert_int_equal(latch_attach(&td, &vm), 0);
    /* 0xE8-0xEB ("ioport-byte" in QEMU) stay free: 0xE9 is the debug console. */
    assert_int_equal(bus_find(&vm.bus, BUS_PIO, 0xe8) == 0, 1);
    assert_int_equal(bus_find(&vm.bus, BUS_PIO, 0xe9) == 0, 1);
    /* IRQ lines: taken, nothing else (issue 13). */
    for (unsigned i = 0; i < TESTDEV_IRQ_LINES; i++)
        assert_int_equal(bus_write(&vm.bus, BUS_PIO, TESTDEV_IRQ_PORT + i, 1, 1), BUS_OK);
    assert_int_equal(td.irq_writes, TESTDEV_IRQ_LINES);
    assert_int_equal(bus_write(&vm.bus, BUS_PIO, TESTDEV_IRQ_PORT + TESTDEV_IRQ_LINES, 1, 1),
                     BUS_UNCLAIMED);
    /* With a router (pic=virtual): a write of v to 0x2000 + n sets line n
     * to v != 0 (QEMU's qemu_set_irq(isa irq n, data)). */
    td.irq = record_line;
    td.irq_ctx = &td;
    bus_write(&vm.bus, BUS_PIO, TESTDEV_IRQ_PORT + 11, 1, 1);
    assert_int_equal(line_log.n, 1);
    assert_int_equal(line_log.line, 11);
    assert_int_equal(line_log.level, 1);
    assert_ptr_equal(line_log.ctx, &td);
    bus_write(&vm.bus, BUS_PIO, TESTDEV_IRQ_PORT + 23, 1, 0);
    assert_int_equal(line_log.line, 23);
    assert_int_equal(line_log.level, 0);
    bus_write(&vm.bus, BUS_PIO, TESTDEV_IRQ_PORT + 4, 1, 0x80);
    assert_int_equal(line_log.line, 4);
    assert_int_equal(line_log.level, 1);
    assert_int_equal(line_log.n, 3);
}

/* The iomem window reads back what was written, every size, little-endian;
 * nothing past its end. */
static void test_testdev_iomem(void **state)
{
    (void)state;
    uint64_t v;
    fresh_vm();
    assert_int_equal(latch_attach(&td, &vm), 0);
    assert_int_equal(bus_read(&vm.bus, BUS_MMIO, TESTDEV_IOMEM + 0x100, 8, &v), BUS_OK);
    assert_int_equal(v, 0);
    bus_write(&vm.bus, BUS_MMIO, TESTDEV_IOMEM + 0x100, 8, 0x8877665544332211ull);
    bus_write(&vm.bus, BUS_MMIO, TESTDEV_IOMEM + 0x102, 2, 0xbbaa);
    bus_write(&vm.bus, BUS_MMIO, TESTDEV_IOMEM + 0x107, 1, 0xcc);
    bus_read(&vm.bus, BUS_MMIO, TESTDEV_IOMEM + 0x100, 8, &v);
    assert_int_equal(v, 0xcc776655bbaa2211ull);
    bus_read(&vm.bus, BUS_MMIO, TESTDEV_IOMEM + 0x101, 4, &v);
    assert_int_equal(v, 0x55bbaa22);
    bus_write(&vm.bus, BUS_MMIO, TESTDEV_IOMEM + TESTDEV_IOMEM_LEN - 2, 4, 0x44332211);
    bus_read(&vm.bus, BUS_MMIO, TESTDEV_IOMEM + TESTDEV_IOMEM_LEN - 2, 4, &v);
    assert_int_equal(v, 0x2211);
    assert_int_equal(bus_read(&vm.bus, BUS_MMIO, TESTDEV_IOMEM + TESTDEV_IOMEM_LEN, 1, &v),
                     BUS_UNCLAIMED);
    assert_int_equal(bus_read(&vm.bus, BUS_MMIO, TESTDEV_IOMEM - 1, 1, &v), BUS_UNCLAIMED);
}

/* Port 0xE4: a RAM page's EPT entry goes; its next EPT violation maps it
 * back (the page's own frame, RWX, write-back) once. Not RAM, or not a
 * 32-bit write: nothing. At most TESTDEV_FLUSH_MAX pages out. */
static void test_testdev_page_flush(void **state)
{
    (void)state;
    fresh_vm();
    vm.ram_pa = 0x40000000;
    memset(&ept_log, 0, sizeof ept_log);
    assert_int_equal(latch_attach(&td, &vm), 0);
    wrp(0xe4, 4, 0x123456);
    assert_int_equal(ept_log.unmaps, 1);
    assert_int_equal(ept_log.gpa, 0x123000);
    assert_int_equal(ept_log.size, 4096);
    assert_int_equal(ept_violation(0x124000), 0);           /* another page: not ours */
    assert_int_equal(ept_violation(0x123ff8), 1);
    assert_int_equal(ept_log.maps, 1);
    assert_int_equal(ept_log.gpa, 0x123000);
    assert_int_equal(ept_log.hpa, 0x40123000);
    assert_int_equal(ept_log.perms, X86VCPU_EPT_RWX);
    assert_int_equal(ept_log.mt, X86VCPU_MT_WB);
    assert_int_equal(ept_violation(0x123ff8), 0);           /* back: once */
    assert_int_equal(td.flushes, 1);
    assert_int_equal(td.flush_faults, 1);
    /* Not plain RAM, a byte write: ignored. */
    wrp(0xe4, 4, 0xb8000);
    wrp(0xe4, 4, TESTDEV_IOMEM);
    wrp(0xe4, 4, (uint32_t)vm.ram_size);
    wrp(0xe4, 1, 0x5000);
    assert_int_equal(ept_log.unmaps, 1);
    /* The ninth page maps the first back. */
    for (unsigned i = 0; i <= TESTDEV_FLUSH_MAX; i++)
        wrp(0xe4, 4, 0x200000 + 0x1000 * i);
    assert_int_equal(ept_log.unmaps, 1 + TESTDEV_FLUSH_MAX + 1);
    assert_int_equal(ept_log.maps, 2);
    assert_int_equal(td.nflushed, TESTDEV_FLUSH_MAX);
    assert_int_equal(ept_violation(0x200000), 0);
    assert_int_equal(ept_violation(0x201000), 1);
}

/* Whoever had the vm's hook still gets the other exits. */
static int prev_calls;
static int prev_hook(struct vm *v, const struct x86vcpu_exit *e)
{
    (void)v, (void)e;
    return ++prev_calls;
}

static void test_testdev_chains_on_exit(void **state)
{
    (void)state;
    fresh_vm();
    prev_calls = 0;
    vm.on_exit = prev_hook;
    assert_int_equal(latch_attach(&td, &vm), 0);
    assert_int_equal(ept_violation(0x300000), 1);
    assert_int_equal(prev_calls, 1);
}

static void test_debug_exit_device(void **state)
{
    (void)state;
    fresh_vm();
    assert_int_equal(debug_exit_attach(&vm), 0);
    assert_int_equal(rd(0xf4, 1), 0xff);        /* write-only */
    assert_int_equal(vm.done, 0);
    wrp(0xf4, 4, 0x21);
    assert_int_equal(vm.done, 1);
    assert_int_equal(vm.status, 0x43);
    assert_string_equal(vm.why, "isa-debug-exit");
    /* The first end stays. */
    wrp(0xf4, 1, 0);
    assert_int_equal(vm.status, 0x43);
}

static void test_shutdown_port_device(void **state)
{
    (void)state;
    static struct shutdown_port s;
    fresh_vm();
    vm.status = 99;
    assert_int_equal(shutdown_port_attach(&s, &vm), 0);
    const char *w = "Shutdown";
    for (unsigned i = 0; i < 7; i++)
        wrp(0x8900, 1, (uint8_t)w[i]);
    /* A wider write is not a byte of the word (and keeps the match). */
    wrp(0x8900, 2, 'n');
    assert_int_equal(vm.done, 0);
    wrp(0x8900, 1, 'n');
    assert_int_equal(vm.done, 1);
    assert_int_equal(vm.status, VM_OFF);
    assert_string_equal(vm.why, "shutdown port 0x8900");
}

static void test_debugcon_device(void **state)
{
    (void)state;
    fresh_vm();
    assert_int_equal(debugcon_attach(&vm), 0);
    wrp(0xe9, 1, 'o');
    wrp(0xe9, 4, 0x4100 | 'k');     /* the low byte, whatever the width */
    assert_int_equal(ncon, 2);
    assert_memory_equal(con, "ok", 2);
    /* Bochs' port identifies itself to a byte read. */
    assert_int_equal(rd(0xe9, 1), 0xe9);
    assert_int_equal(rd(0xe9, 2), 0xffff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_latch_full_width),
        cmocka_unit_test(test_latch_partial_writes),
        cmocka_unit_test(test_latch_bytes_past_end_dropped),
        cmocka_unit_test(test_latch_against_reference),
        cmocka_unit_test(test_latch_round_trip),
        cmocka_unit_test(test_debug_exit_status),
        cmocka_unit_test(test_shutdown_word),
        cmocka_unit_test(test_shutdown_restart_on_s),
        cmocka_unit_test(test_shutdown_interrupted),
        cmocka_unit_test(test_shutdown_corrupt_state),
        cmocka_unit_test(test_latch_device_ports),
        cmocka_unit_test(test_testdev_irq_lines),
        cmocka_unit_test(test_testdev_iomem),
        cmocka_unit_test(test_testdev_page_flush),
        cmocka_unit_test(test_testdev_chains_on_exit),
        cmocka_unit_test(test_debug_exit_device),
        cmocka_unit_test(test_shutdown_port_device),
        cmocka_unit_test(test_debugcon_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
