/* demo/dev/devclock.h — integer time scaling shared by the device models of
 * demo/dev/ (PIT, RTC, PM timer).
 *
 * The models take time as an argument in the caller's unit (TSC ticks,
 * nanoseconds, ...), given with its frequency in Hz at init, and scale it
 * to their own clocks with integer math only (no FP in the demo): a*mul/div
 * split as (a/div)*mul + (a%div)*mul/div, exact when mul*div < 2^64, which
 * DEV_CLOCK_MAX_HZ guarantees for every clock here (all below 2^24 Hz). */
#ifndef DEMO_DEV_DEVCLOCK_H
#define DEMO_DEV_DEVCLOCK_H

#include <stdint.h>

/* The caller's time unit: 1 Hz .. 2^40 Hz (a TSC up to 1 THz; ns = 1e9). */
#define DEV_CLOCK_MAX_HZ (1ull << 40)

/* floor(a * mul / div); UINT64_MAX when the result does not fit. */
static inline uint64_t dev_muldiv(uint64_t a, uint64_t mul, uint64_t div)
{
    uint64_t q = a / div, r = a % div;
    if (q && mul > UINT64_MAX / q)
        return UINT64_MAX;
    uint64_t hi = q * mul, lo = r * mul / div;
    return hi > UINT64_MAX - lo ? UINT64_MAX : hi + lo;
}

/* ceil(a * mul / div); UINT64_MAX when it does not fit. */
static inline uint64_t dev_muldiv_ceil(uint64_t a, uint64_t mul, uint64_t div)
{
    uint64_t q = a / div, r = a % div;
    if (q && mul > UINT64_MAX / q)
        return UINT64_MAX;
    uint64_t hi = q * mul, lo = (r * mul + div - 1) / div;
    return hi > UINT64_MAX - lo ? UINT64_MAX : hi + lo;
}

static inline int dev_clock_hz_ok(uint64_t hz)
{
    return hz != 0 && hz <= DEV_CLOCK_MAX_HZ;
}

#endif
