/* demo/dev/pmtimer.h — a virtual ACPI PM timer: a free-running 3.579545 MHz
 * counter, 24 or 32 bits wide (FADT flag TMR_VAL_EXT), read-only, counting
 * from 0 at the caller's time 0 (ACPI 6.5, 4.8.3.3). A pure model: time
 * is an argument in the caller's unit (frequency given at init), scaled
 * with integer math. The embedder maps it at the FADT's PM_TMR_BLK (4
 * ports) and may raise TMR_STS at pmtimer_next_msb_toggle (the SCI when
 * the counter's top bit changes; ACPI 4.8.3.3). */
#ifndef DEMO_DEV_PMTIMER_H
#define DEMO_DEV_PMTIMER_H

#include <stdint.h>

#define PMTIMER_HZ 3579545u

struct pmtimer {
    uint64_t hz;
    uint32_t mask;              /* 0xffffff or 0xffffffff */
};

/* hz: the frequency of "now"; wide: 32-bit counter (else 24-bit). */
int pmtimer_init(struct pmtimer *t, uint64_t hz, int wide);
uint32_t pmtimer_value(const struct pmtimer *t, uint64_t now);
/* A read of size 1, 2 or 4 at offset 0..3 of the block: the counter's
 * bytes from that offset (bits above the width read 0). */
uint32_t pmtimer_read(const struct pmtimer *t, uint32_t offset, uint32_t size, uint64_t now);
/* The first time after now at which the counter's top bit changes. */
uint64_t pmtimer_next_msb_toggle(const struct pmtimer *t, uint64_t now);

#endif
