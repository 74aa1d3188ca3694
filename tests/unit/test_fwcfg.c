/* Unit tests: QEMU's fw_cfg model (demo/pc/fwcfg.c), after QEMU
 * docs/specs/fw_cfg.rst (items, selector, data port past the end), then the
 * device on a machine's bus (0x510 selector, 0x511 data). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "pc/fwcfg.h"
#include "vm_fixture.h"

/* ----------------------------------------------------------------- fw_cfg */
static struct fwcfg fw(void)
{
    struct fwcfg f;
    memset(&f, 0xa5, sizeof f);
    fwcfg_init(&f, 0x0123456789abcdefull, 0x0102, 0x1234);
    return f;
}

/* Reads n bytes of `key` and then `zeros` bytes that must be 0. */
static void expect_item(struct fwcfg *f, uint16_t key, const uint8_t *bytes, unsigned n,
                        unsigned zeros)
{
    fwcfg_select(f, key);
    for (unsigned i = 0; i < n; i++)
        if (fwcfg_read(f) != bytes[i])
            fail_msg("key %#x byte %u: expected %#x", key, i, bytes[i]);
    for (unsigned i = 0; i < zeros; i++)
        if (fwcfg_read(f) != 0)
            fail_msg("key %#x: byte %u past the end is not 0", key, n + i);
}

static void test_fwcfg_signature(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    static const uint8_t sig[] = { 'Q', 'E', 'M', 'U' };
    expect_item(&f, FWCFG_SIGNATURE, sig, 4, 16);
}

static void test_fwcfg_initial_selection(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    /* QEMU selects key 0 at reset: data reads give the signature. */
    assert_int_equal(fwcfg_read(&f), 'Q');
    assert_int_equal(fwcfg_read(&f), 'E');
    assert_int_equal(fwcfg_read(&f), 'M');
    assert_int_equal(fwcfg_read(&f), 'U');
    assert_int_equal(fwcfg_read(&f), 0);
}

static void test_fwcfg_id(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    /* Bit 0: traditional interface; bit 1 (DMA) clear. */
    static const uint8_t id[] = { 0x01, 0x00, 0x00, 0x00 };
    expect_item(&f, FWCFG_ID, id, 4, 8);
}

static void test_fwcfg_ram_size(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    static const uint8_t le[] = { 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01 };
    expect_item(&f, FWCFG_RAM_SIZE, le, 8, 8);
}

static void test_fwcfg_max_ram(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    static const uint8_t le[] = { 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01 };
    expect_item(&f, FWCFG_MAX_RAM, le, 8, 8);
    /* A typical size: 128 MiB. */
    fwcfg_init(&f, 128ull << 20, 1, 1);
    static const uint8_t m128[] = { 0, 0, 0, 0x08, 0, 0, 0, 0 };
    expect_item(&f, FWCFG_MAX_RAM, m128, 8, 4);
    expect_item(&f, FWCFG_RAM_SIZE, m128, 8, 4);
}

static void test_fwcfg_cpus(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    static const uint8_t nb[] = { 0x02, 0x01 };
    static const uint8_t max[] = { 0x34, 0x12 };
    expect_item(&f, FWCFG_NB_CPUS, nb, 2, 8);
    expect_item(&f, FWCFG_MAX_CPUS, max, 2, 8);
}

static void test_fwcfg_reselect_resets_offset(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    fwcfg_select(&f, FWCFG_SIGNATURE);
    assert_int_equal(fwcfg_read(&f), 'Q');
    assert_int_equal(fwcfg_read(&f), 'E');
    fwcfg_select(&f, FWCFG_SIGNATURE);
    assert_int_equal(fwcfg_read(&f), 'Q');
    /* Switching items mid-read starts the new one at its first byte. */
    fwcfg_select(&f, FWCFG_NB_CPUS);
    assert_int_equal(fwcfg_read(&f), 0x02);
    fwcfg_select(&f, FWCFG_RAM_SIZE);
    assert_int_equal(fwcfg_read(&f), 0xef);
    /* Reselecting after reading past the end starts over too. */
    for (int i = 0; i < 20; i++)
        fwcfg_read(&f);
    fwcfg_select(&f, FWCFG_RAM_SIZE);
    assert_int_equal(fwcfg_read(&f), 0xef);
    assert_int_equal(fwcfg_read(&f), 0xcd);
}

static void test_fwcfg_unknown_keys(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    /* Other QEMU keys (UUID, NOGRAPHIC, KERNEL_*, FILE_DIR, files), the
     * write channel (bit 14) and arch-specific (bit 15) variants of the
     * known keys, and FW_CFG_INVALID: no item here. */
    static const uint16_t keys[] = {
        0x02, 0x04, 0x06, 0x0e, 0x10, 0x12, 0x19, 0x20, 0x3fff,
        0x4000, 0x4001, 0x4003, 0x4011, 0x8000, 0x8001, 0x8003, 0x8005,
        0x800f, 0x8011, 0xc000, 0xffff,
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        expect_item(&f, keys[i], NULL, 0, 16);
    /* And the known ones still work after them. */
    static const uint8_t id[] = { 1, 0, 0, 0 };
    expect_item(&f, FWCFG_ID, id, 4, 1);
}

static void test_fwcfg_past_end_stays(void **state)
{
    (void)state;
    struct fwcfg f = fw();
    fwcfg_select(&f, FWCFG_NB_CPUS);
    for (int i = 0; i < 100000; i++)
        fwcfg_read(&f);
    /* The offset stops at the end of the item instead of running on. */
    assert_int_equal(f.off, 2);
    assert_int_equal(fwcfg_read(&f), 0);
    assert_int_equal(f.key, FWCFG_NB_CPUS);
}

static void test_fwcfg_values_from_init(void **state)
{
    (void)state;
    struct fwcfg f;
    fwcfg_init(&f, 0xffffffffffffffffull, 0xffff, 0);
    static const uint8_t ff8[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t z2[] = { 0, 0 };
    expect_item(&f, FWCFG_RAM_SIZE, ff8, 8, 2);
    expect_item(&f, FWCFG_NB_CPUS, ff8, 2, 2);
    expect_item(&f, FWCFG_MAX_CPUS, z2, 2, 2);
}


/* ------------------------------------------------------------ on a machine */

static void test_fwcfg_device_ports(void **state)
{
    (void)state;
    static struct fwcfg f;
    fresh_vm();
    assert_int_equal(fwcfg_attach(&f, &vm), 0);
    /* Key 0 at reset: the signature, a byte per read of 0x511. */
    assert_int_equal(rd(0x511, 1), 'Q');
    assert_int_equal(rd(0x511, 1), 'E');
    /* A 16-bit write to 0x510 selects (and restarts the item). */
    wrp(0x510, 2, FWCFG_NB_CPUS);
    assert_int_equal(rd(0x511, 1), 1);
    assert_int_equal(rd(0x511, 1), 0);
    /* A byte write cannot reach the 16-bit selector. */
    wrp(0x510, 1, FWCFG_SIGNATURE);
    assert_int_equal(rd(0x511, 1), 0);
    /* The RAM size is the machine's. */
    wrp(0x510, 4, FWCFG_RAM_SIZE);
    uint64_t ram = 0;
    for (unsigned i = 0; i < 8; i++)
        ram |= rd(0x511, 1) << (8 * i);
    assert_true(ram == vm.ram_size);
    /* Wider reads of 0x511: the byte, all-ones above (nothing at 0x512). */
    wrp(0x510, 2, FWCFG_SIGNATURE);
    assert_int_equal(rd(0x511, 2), 0xff00 | 'Q');
    assert_int_equal(rd(0x511, 4), 0xffffff00u | 'E');
    /* The selector does not read back; the data port ignores writes. */
    assert_int_equal(rd(0x510, 2), 0xffff);
    wrp(0x511, 1, 0);
    assert_int_equal(rd(0x511, 1), 'M');
    assert_int_equal(rd(0x512, 1), 0xff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fwcfg_signature),
        cmocka_unit_test(test_fwcfg_initial_selection),
        cmocka_unit_test(test_fwcfg_id),
        cmocka_unit_test(test_fwcfg_ram_size),
        cmocka_unit_test(test_fwcfg_max_ram),
        cmocka_unit_test(test_fwcfg_cpus),
        cmocka_unit_test(test_fwcfg_reselect_resets_offset),
        cmocka_unit_test(test_fwcfg_unknown_keys),
        cmocka_unit_test(test_fwcfg_past_end_stays),
        cmocka_unit_test(test_fwcfg_values_from_init),
        cmocka_unit_test(test_fwcfg_device_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
