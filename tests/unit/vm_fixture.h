/* tests/unit/vm_fixture.h — a demo machine with nothing but a bus and a
 * console that records, for the device tests (test_uart.c, test_fwcfg.c,
 * test_testdev.c). Each test program includes it once: the definitions are
 * the program's own. */
#ifndef TESTS_UNIT_VM_FIXTURE_H
#define TESTS_UNIT_VM_FIXTURE_H

#include <stdint.h>
#include <string.h>
#include "bus.h"
#include "vm.h"

static struct vm vm;
static char con[64];
static unsigned ncon;

static void con_capture(struct vm *v, char c)
{
    (void)v;
    if (ncon < sizeof con)
        con[ncon++] = c;
}

static void fresh_vm(void)
{
    memset(&vm, 0, sizeof vm);
    vm.console = con_capture;
    vm.ram_size = 128ull << 20;
    ncon = 0;
}

/* A port read through the bus; bytes the device does not set stay 0x5a. */
static uint64_t rd(uint64_t port, uint32_t size)
{
    uint64_t v = 0x5a5a5a5a5a5a5a5aull;
    bus_read(&vm.bus, BUS_PIO, port, size, &v);
    return v;
}

static void wrp(uint64_t port, uint32_t size, uint64_t val)
{
    bus_write(&vm.bus, BUS_PIO, port, size, val);
}

#endif
