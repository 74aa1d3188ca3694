/* demo/dev/pmtimer.c — the virtual ACPI PM timer (see pmtimer.h). Pure. */
#include <stdint.h>

#include "dev/devclock.h"
#include "dev/pmtimer.h"

int pmtimer_init(struct pmtimer *t, uint64_t hz, int wide)
{
    if (!dev_clock_hz_ok(hz))
        return -1;
    t->hz = hz;
    t->mask = wide ? 0xffffffffu : 0xffffffu;
    return 0;
}

uint32_t pmtimer_value(const struct pmtimer *t, uint64_t now)
{
    return (uint32_t)dev_muldiv(now, PMTIMER_HZ, t->hz) & t->mask;
}

uint32_t pmtimer_read(const struct pmtimer *t, uint32_t offset, uint32_t size, uint64_t now)
{
    if ((size != 1 && size != 2 && size != 4) || offset > 4 - size)
        return 0xffffffffu;         /* not a register: an empty bus */
    uint32_t v = pmtimer_value(t, now) >> (offset * 8);
    return size == 4 ? v : v & ((1u << (size * 8)) - 1);
}

uint64_t pmtimer_next_msb_toggle(const struct pmtimer *t, uint64_t now)
{
    uint64_t ticks = dev_muldiv(now, PMTIMER_HZ, t->hz);
    uint64_t half = ((uint64_t)t->mask + 1) / 2;    /* the top bit's weight */
    uint64_t next = (ticks / half + 1) * half;
    return dev_muldiv_ceil(next, t->hz, PMTIMER_HZ);
}
