/* demo/pc/pm.c — power-off, reset, PM timer (see pm.h). Pure. */
#include <stdint.h>

#include "bus.h"
#include "vm.h"
#include "pc/pm.h"

#define PM1_SLP_EN (1u << 13)   /* ACPI 4.7.3.2.1, PM1 control register */

/* PM1a control: a 16-bit register (a byte write cannot reach SLP_EN). */
static int pm1_cnt_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    struct pm *pm = dev;
    (void)port;
    if (size >= 2 && (val & PM1_SLP_EN))
        vm_end(pm->vm, VM_OFF, "ACPI power-off");
    return BUS_OK;
}

static const struct bus_ops pm1_cnt_ops = { 0, pm1_cnt_write };

static int reset_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    struct pm *pm = dev;
    if (size == 1 && ((port == 0x64 && (val & 0xff) == 0xfe) || (port == 0xcf9 && (val & 4)) ||
                      (port == 0x92 && (val & 1))))
        vm_end(pm->vm, VM_OFF, "reset requested (ended, as QEMU -no-reboot)");
    return BUS_OK;
}

static const struct bus_ops reset_ops = { 0, reset_write };

int pm_attach(struct pm *pm, struct vm *vm, uint16_t pm1a_cnt, uint16_t pm_tmr)
{
    static const uint16_t reset_ports[] = { 0x64, 0x92, 0xcf9 };
    pm->vm = vm;
    pm->pm1a_cnt = pm1a_cnt;
    int err = bus_add(&vm->bus, BUS_PIO, PM_QEMU_PM1A_CNT, 1, &pm1_cnt_ops, pm);
    /* The firmware's port, unless it is QEMU's or a device's already. */
    if (pm1a_cnt && !bus_find(&vm->bus, BUS_PIO, pm1a_cnt))
        err |= bus_add(&vm->bus, BUS_PIO, pm1a_cnt, 1, &pm1_cnt_ops, pm);
    for (unsigned i = 0; i < sizeof reset_ports / sizeof reset_ports[0]; i++)
        err |= bus_add(&vm->bus, BUS_PIO, reset_ports[i], 1, &reset_ops, pm);
    /* The guest reads the machine's timer itself. */
    if (pm_tmr)
        err |= bus_pass(&vm->bus, BUS_PIO, pm_tmr, 4, BUS_PASS_READ | BUS_PASS_WRITE);
    return err ? -1 : 0;
}
