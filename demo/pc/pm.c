/* demo/pc/pm.c — ACPI fixed hardware, PM timer and reset requests (see
 * pm.h). Pure but for the guest's TSC (x86vcpu_get_guest_tsc). */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

#include "bus.h"
#include "vm.h"
#include "pc/pm.h"

#define PM1_BLK_LEN 6           /* STS, EN, CNT: three 16-bit registers */

static uint16_t cnt_value(const struct pm *pm)
{
    return (uint16_t)(pm->cnt | PM1_SCI_EN);
}

static int pm1_read(void *dev, uint64_t port, uint32_t size, uint64_t *val)
{
    struct pm *pm = dev;
    uint16_t regs[3] = { pm->sts, pm->en, cnt_value(pm) };
    uint64_t v = 0;
    for (uint32_t i = 0; i < size && i < 8; i++) {
        uint32_t off = (uint32_t)(port - PM_PM1A_EVT) + i;
        uint64_t b = off < PM1_BLK_LEN ? (regs[off / 2] >> (8 * (off & 1))) & 0xff : 0xff;
        v |= b << (8 * i);
    }
    *val = v;
    return BUS_OK;
}

static int pm1_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    struct pm *pm = dev;
    uint16_t clear = 0, en = pm->en, cnt = cnt_value(pm);
    int cnt_written = 0;
    for (uint32_t i = 0; i < size && i < 8; i++) {
        uint32_t off = (uint32_t)(port - PM_PM1A_EVT) + i;
        uint16_t b = (uint16_t)((val >> (8 * i)) & 0xff), sh = (uint16_t)(8 * (off & 1));
        if (off < 2)
            clear |= (uint16_t)(b << sh);                   /* write 1 to clear */
        else if (off < 4)
            en = (uint16_t)((en & ~(0xff << sh)) | (b << sh));
        else if (off < PM1_BLK_LEN) {
            cnt = (uint16_t)((cnt & ~(0xff << sh)) | (b << sh));
            cnt_written = 1;
        }
    }
    pm->sts &= (uint16_t)~clear;
    pm->en = en & PM1_EN_MASK;
    if (!cnt_written)
        return BUS_OK;
    /* SCI_EN is fixed at 1, GBL_RLS and SLP_EN are write-only (4.8.3.2.1). */
    pm->cnt = cnt & (PM1_BM_RLD | PM1_SLP_TYP);
    if (cnt & PM1_SLP_EN) {
        if (((cnt & PM1_SLP_TYP) >> 10) == PM_S5_SLP_TYP)
            vm_end(pm->vm, VM_OFF, "ACPI power-off");
        else
            pm->sleeps_ignored++;
    }
    return BUS_OK;
}

static const struct bus_ops pm1_ops = { pm1_read, pm1_write };

static int reset_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    struct pm *pm = dev;
    if (size == 1 && ((port == 0x64 && (val & 0xff) == 0xfe) || (port == 0xcf9 && (val & 4)) ||
                      (port == 0x92 && (val & 1))))
        vm_end(pm->vm, VM_OFF, "reset requested (ended, as QEMU -no-reboot)");
    return BUS_OK;
}

static const struct bus_ops reset_ops = { 0, reset_write };

/* Guest TSC ticks, forward steps only (as pc/irq.c's device time). */
static uint64_t pm_now(struct pm *pm)
{
    uint64_t tsc = 0;
    if (pm->vm->v)
        x86vcpu_get_guest_tsc(pm->vm->v, &tsc);
    if (tsc > pm->last_tsc)
        pm->now += tsc - pm->last_tsc;
    pm->last_tsc = tsc;
    return pm->now;
}

static int tmr_read(void *dev, uint64_t port, uint32_t size, uint64_t *val)
{
    struct pm *pm = dev;
    if (!pm->tmr.hz) {      /* the guest's TSC rate is known once it runs */
        uint32_t khz = 0;
        if (pm->vm->v)
            x86vcpu_get_tsc_khz(pm->vm->v, 0, &khz);
        if (pmtimer_init(&pm->tmr, (uint64_t)khz * 1000, 0))
            return BUS_UNCLAIMED;
    }
    uint64_t now = pm_now(pm);
    *val = pmtimer_read(&pm->tmr, (uint32_t)(port - PM_PM_TMR), size > 4 ? 4 : size, now);
    return BUS_OK;
}

static int tmr_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    (void)dev, (void)port, (void)size, (void)val;
    return BUS_OK;          /* read-only (4.8.3.3) */
}

static const struct bus_ops tmr_ops = { tmr_read, tmr_write };

int pm_attach(struct pm *pm, struct vm *vm, int timer)
{
    static const uint16_t reset_ports[] = { 0x64, 0x92, 0xcf9 };
    *pm = (struct pm){ .vm = vm };
    int err = bus_add(&vm->bus, BUS_PIO, PM_PM1A_EVT, PM1_BLK_LEN, &pm1_ops, pm);
    for (unsigned i = 0; i < sizeof reset_ports / sizeof reset_ports[0]; i++)
        err |= bus_add(&vm->bus, BUS_PIO, reset_ports[i], 1, &reset_ops, pm);
    if (timer)
        err |= bus_add(&vm->bus, BUS_PIO, PM_PM_TMR, 4, &tmr_ops, pm);
    return err ? -1 : 0;
}
