/* Unit tests: the PCI host bridge (demo/pc/pci.c) through its ports, as a
 * guest's configuration mechanism #1 reaches it (PCI Local Bus
 * Specification 3.0, 3.2.2.3.2): CONFIG_ADDRESS at 0xCF8, CONFIG_DATA at
 * 0xCFC-0xCFF; bus 0 device 0 function 0 an 82441FX host bridge, every
 * other function absent. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "pc/pci.h"
#include "vm_fixture.h"

static struct pci_host host;

static int setup(void **state)
{
    (void)state;
    fresh_vm();
    memset(&host, 0xa5, sizeof host);
    assert_int_equal(pci_host_attach(&host, &vm), 0);
    return 0;
}

static uint32_t cfg_addr(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg)
{
    return PCI_ADDR_ENABLE | (bus << 16) | (dev << 11) | (fn << 8) | (reg & 0xfc);
}

/* A configuration read as Linux's pci_conf1_read makes it. */
static uint32_t cfg_rd(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg, uint32_t size)
{
    wrp(PCI_CONFIG_ADDRESS, 4, cfg_addr(bus, dev, fn, reg));
    return (uint32_t)rd(PCI_CONFIG_DATA + (reg & 3), size);
}

static void cfg_wr(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg, uint32_t size,
                   uint32_t val)
{
    wrp(PCI_CONFIG_ADDRESS, 4, cfg_addr(bus, dev, fn, reg));
    wrp(PCI_CONFIG_DATA + (reg & 3), size, val);
}

static void test_pci_host_bridge_ids(void **state)
{
    (void)state;
    assert_int_equal(cfg_rd(0, 0, 0, 0x00, 4), 0x12378086);
    assert_int_equal(cfg_rd(0, 0, 0, 0x00, 2), 0x8086);
    assert_int_equal(cfg_rd(0, 0, 0, 0x02, 2), 0x1237);
    assert_int_equal(cfg_rd(0, 0, 0, 0x04, 4), 0x02800006);   /* status, command */
    assert_int_equal(cfg_rd(0, 0, 0, 0x08, 4), 0x06000000);   /* class 060000, rev 00 */
    assert_int_equal(cfg_rd(0, 0, 0, 0x0a, 2), 0x0600);       /* Linux's sanity check */
    assert_int_equal(cfg_rd(0, 0, 0, 0x0e, 1), 0x00);         /* header type 0 */
    assert_int_equal(cfg_rd(0, 0, 0, 0x0b, 1), 0x06);
    assert_int_equal(cfg_rd(0, 0, 0, 0x07, 1), 0x02);
    /* No BARs, no capabilities, no interrupt pin. */
    for (uint32_t r = 0x10; r < 0x40; r += 4)
        assert_int_equal(cfg_rd(0, 0, 0, r, 4), 0);
}

/* Linux's pci_check_type1: a byte to 0xCFB, then CONFIG_ADDRESS must read
 * back 0x80000000 as written. */
static void test_pci_config_address(void **state)
{
    (void)state;
    wrp(0xcfb, 1, 0x01);
    wrp(PCI_CONFIG_ADDRESS, 4, 0x80000000);
    assert_int_equal(rd(PCI_CONFIG_ADDRESS, 4), 0x80000000);
    /* Reserved bits 30:24 and 1:0 read 0. */
    wrp(PCI_CONFIG_ADDRESS, 4, 0xffffffff);
    assert_int_equal(rd(PCI_CONFIG_ADDRESS, 4), 0x80fffffc);
    wrp(PCI_CONFIG_ADDRESS, 4, 0x12345678);
    assert_int_equal(rd(PCI_CONFIG_ADDRESS, 4), 0x00345678);
    /* Narrower accesses are ordinary I/O: no effect, all-ones. */
    wrp(PCI_CONFIG_ADDRESS, 1, 0x00);
    wrp(PCI_CONFIG_ADDRESS, 2, 0x0000);
    wrp(0xcfa, 2, 0xffff);
    wrp(0xcfb, 1, 0xff);
    assert_int_equal(rd(PCI_CONFIG_ADDRESS, 4), 0x00345678);
    assert_int_equal(rd(PCI_CONFIG_ADDRESS, 1), 0xff);
    assert_int_equal(rd(PCI_CONFIG_ADDRESS, 2), 0xffff);
    /* Linux's pci_check_type2 must not find a type-2 mechanism. */
    wrp(0xcfb, 1, 0x00);
    wrp(0xcf8, 1, 0x00);
    wrp(0xcfa, 1, 0x00);
    assert_int_not_equal(rd(0xcf8, 1), 0x00);
    /* 0xCF9, the reset control register, is not the bridge's. */
    assert_null(bus_find(&vm.bus, BUS_PIO, 0xcf9));
}

static void test_pci_data_byte_lanes(void **state)
{
    (void)state;
    wrp(PCI_CONFIG_ADDRESS, 4, cfg_addr(0, 0, 0, 0));
    assert_int_equal(rd(0xcfc, 1), 0x86);
    assert_int_equal(rd(0xcfd, 1), 0x80);
    assert_int_equal(rd(0xcfe, 1), 0x37);
    assert_int_equal(rd(0xcff, 1), 0x12);
    assert_int_equal(rd(0xcfe, 2), 0x1237);
    assert_int_equal(rd(0xcfd, 2), 0x3780);
    /* Running past 0xCFF: ordinary I/O. */
    assert_int_equal(rd(0xcfd, 4), 0xffffffff);
    assert_int_equal(rd(0xcff, 2), 0xffff);
}

static void test_pci_enable_bit(void **state)
{
    (void)state;
    wrp(PCI_CONFIG_ADDRESS, 4, cfg_addr(0, 0, 0, 0) & ~PCI_ADDR_ENABLE);
    assert_int_equal(rd(PCI_CONFIG_DATA, 4), 0xffffffff);
    assert_int_equal(rd(PCI_CONFIG_DATA, 2), 0xffff);
    wrp(PCI_CONFIG_DATA + 1, 1, 0xff);                /* command bits: no effect */
    assert_int_equal(cfg_rd(0, 0, 0, 0x04, 2), 0x0006);
}

static void test_pci_absent_functions(void **state)
{
    (void)state;
    for (uint32_t dev = 1; dev < 32; dev++)
        assert_int_equal(cfg_rd(0, dev, 0, 0x00, 4), 0xffffffff);
    for (uint32_t fn = 1; fn < 8; fn++)
        assert_int_equal(cfg_rd(0, 0, fn, 0x00, 4), 0xffffffff);
    assert_int_equal(cfg_rd(1, 0, 0, 0x00, 4), 0xffffffff);
    assert_int_equal(cfg_rd(255, 31, 7, 0xfc, 4), 0xffffffff);
    assert_int_equal(cfg_rd(0, 1, 0, 0x0a, 2), 0xffff);
    assert_int_equal(cfg_rd(0, 1, 0, 0x0e, 1), 0xff);
    /* Writes to them reach nobody: the bridge is unchanged. */
    cfg_wr(0, 1, 0, 0x04, 2, 0xffff);
    cfg_wr(0, 0, 1, 0x04, 2, 0xffff);
    cfg_wr(1, 0, 0, 0x04, 2, 0xffff);
    assert_int_equal(cfg_rd(0, 0, 0, 0x04, 2), 0x0006);
}

static void test_pci_read_only(void **state)
{
    (void)state;
    uint32_t before[16];
    for (uint32_t r = 0; r < 0x40; r += 4)
        before[r / 4] = cfg_rd(0, 0, 0, r, 4);
    for (uint32_t r = 0; r < 0x40; r += 4)
        if (r != 0x04 && r != 0x0c)
            cfg_wr(0, 0, 0, r, 4, 0xffffffff);
    cfg_wr(0, 0, 0, 0x06, 2, 0xffff);                 /* status: nothing to clear */
    for (uint32_t r = 0; r < 0x40; r += 4)
        if (r != 0x0c)
            assert_int_equal(cfg_rd(0, 0, 0, r, 4), before[r / 4]);
    /* The chipset registers are not modelled: 0, writes dropped. */
    for (uint32_t r = 0x40; r < 0x100; r += 4) {
        cfg_wr(0, 0, 0, r, 4, 0xffffffff);
        assert_int_equal(cfg_rd(0, 0, 0, r, 4), 0);
    }
}

static void test_pci_writable_bits(void **state)
{
    (void)state;
    /* PCICMD: SERR# enable (8) and parity error response (6) only; memory
     * and bus master stay on. */
    cfg_wr(0, 0, 0, 0x04, 2, 0xffff);
    assert_int_equal(cfg_rd(0, 0, 0, 0x04, 2), 0x0146);
    cfg_wr(0, 0, 0, 0x04, 2, 0x0000);
    assert_int_equal(cfg_rd(0, 0, 0, 0x04, 2), 0x0006);
    cfg_wr(0, 0, 0, 0x05, 1, 0x01);
    assert_int_equal(cfg_rd(0, 0, 0, 0x04, 4), 0x02800106);
    /* Latency timer: bits 7:3. */
    cfg_wr(0, 0, 0, 0x0c, 4, 0xffffffff);
    assert_int_equal(cfg_rd(0, 0, 0, 0x0c, 4), 0x0000f800);
    cfg_wr(0, 0, 0, 0x0d, 1, 0x40);
    assert_int_equal(cfg_rd(0, 0, 0, 0x0d, 1), 0x40);
    assert_int_equal(cfg_rd(0, 0, 0, 0x0e, 1), 0x00);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_pci_host_bridge_ids, setup),
        cmocka_unit_test_setup(test_pci_config_address, setup),
        cmocka_unit_test_setup(test_pci_data_byte_lanes, setup),
        cmocka_unit_test_setup(test_pci_enable_bit, setup),
        cmocka_unit_test_setup(test_pci_absent_functions, setup),
        cmocka_unit_test_setup(test_pci_read_only, setup),
        cmocka_unit_test_setup(test_pci_writable_bits, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
