/* demo/pc/hpet.c — the machine's HPET, mapped read-only into the guest;
 * its writes exit and pass through hpet_write_filter (issue 11, defect 11:
 * the FSB route is a second way, after the ICR, to send any IPI). */
#include <stdint.h>

#include "bus.h"
#include "vm.h"
#include "pc/hpet.h"
#include "pc/pc.h"

static int page_read(void *dev, uint64_t gpa, uint32_t size, uint64_t *val)
{
    (void)dev;
    /* Reads normally never exit (the page is mapped readable); one that
     * comes here (an emulated string read) reads the hardware. */
    if ((size != 4 && size != 8) || (gpa & (size - 1)))
        return BUS_UNCLAIMED;
    if (size == 8)
        *val = *(volatile uint64_t *)(uintptr_t)gpa;
    else
        *val = *(volatile uint32_t *)(uintptr_t)gpa;
    return BUS_OK;
}

static int page_write(void *dev, uint64_t gpa, uint32_t size, uint64_t val)
{
    struct hpet *h = dev;
    uint64_t out;
    uint32_t off = (uint32_t)(gpa & 0xfff);
    if (!hpet_write_filter(off, size, val, &out)) {
        if (off >= HPET_TN_CFG(0) && off < HPET_TN_CFG(HPET_TIMERS))
            h->fsb_blocked++;
        return BUS_OK;
    }
    if (out != val)
        h->fsb_blocked++;
    if (size == 8)
        *(volatile uint64_t *)(uintptr_t)gpa = out;
    else
        *(volatile uint32_t *)(uintptr_t)gpa = (uint32_t)out;
    return BUS_OK;
}

static const struct bus_ops page_ops = { page_read, page_write };

int hpet_attach(struct hpet *h, struct pc *pc)
{
    h->fsb_blocked = 0;
    /* Timers already delivering through the FSB (firmware) stop doing so. */
    for (uint32_t n = 0; n < HPET_TIMERS; n++) {
        volatile uint32_t *cfg = (volatile uint32_t *)(uintptr_t)(PC_HPET + HPET_TN_CFG(n));
        if (n > ((*(volatile uint32_t *)(uintptr_t)PC_HPET >> 8) & 0x1f))
            break;
        if (*cfg & HPET_TN_FSB_EN)
            *cfg &= ~HPET_TN_FSB_EN;
    }
    /* The page is mapped read-only (memmap.c): writes exit to page_write. */
    return bus_add(&pc->vm.bus, BUS_MMIO, PC_HPET, 4096, &page_ops, h) ? -1 : 0;
}
