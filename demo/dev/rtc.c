/* demo/dev/rtc.c — the virtual MC146818 RTC / CMOS (see rtc.h). Pure. */
#include <stdint.h>

#include "dev/devclock.h"
#include "dev/rtc.h"

#define REG_SEC      0x00
#define REG_SEC_AL   0x01
#define REG_MIN      0x02
#define REG_MIN_AL   0x03
#define REG_HOUR     0x04
#define REG_HOUR_AL  0x05
#define REG_DOW      0x06
#define REG_DOM      0x07
#define REG_MONTH    0x08
#define REG_YEAR     0x09
#define REG_A        0x0a
#define REG_B        0x0b
#define REG_C        0x0c
#define REG_D        0x0d

#define A_UIP   0x80
#define B_SET   0x80
#define B_PIE   0x40
#define B_AIE   0x20
#define B_UIE   0x10
#define B_DM    0x04    /* binary */
#define B_24H   0x02
#define C_IRQF  0x80
#define C_PF    0x40
#define C_AF    0x20
#define C_UF    0x10
#define D_VRT   0x80

#define SECS_PER_DAY 86400u
#define UIP_US       244u    /* UIP before the update (MC146818A "UIP") */

static int is_time_reg(unsigned i)
{
    return i == REG_SEC || i == REG_MIN || i == REG_HOUR || i == REG_DOW || i == REG_DOM ||
           i == REG_MONTH || i == REG_YEAR || i == RTC_CENTURY;
}

static uint64_t pos_at(const struct rtc *r, uint64_t now)
{
    if (!r->running)
        return r->ref_pos;
    return r->ref_pos + (now > r->ref_time ? now - r->ref_time : 0);
}

/* Days since 1970-01-01 of a date (y >= 1970) and back (the civil
 * calendar in 400-year eras, March-based years). */
static uint64_t days_from_civil(uint64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    uint64_t era = y / 400, yoe = y - era * 400;
    uint64_t doy = (153u * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

struct tm_rtc { uint64_t year; unsigned mon, day, hour, min, sec, dow; };

static void civil_from_secs(uint64_t secs, struct tm_rtc *t)
{
    uint64_t days = secs / SECS_PER_DAY, rem = secs % SECS_PER_DAY;
    t->hour = (unsigned)(rem / 3600);
    t->min = (unsigned)(rem / 60 % 60);
    t->sec = (unsigned)(rem % 60);
    t->dow = (unsigned)((days + 4) % 7) + 1;    /* 1970-01-01: Thursday; 1 = Sunday */
    uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    t->day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    t->mon = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    t->year = yoe + era * 400 + (t->mon <= 2);
}

static unsigned clampu(unsigned v, unsigned lo, unsigned hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static uint8_t enc(const struct rtc *r, unsigned v)
{
    return (uint8_t)((r->ram[REG_B] & B_DM) ? v : (v / 10) << 4 | v % 10);
}

static unsigned dec(const struct rtc *r, uint8_t raw)
{
    return (r->ram[REG_B] & B_DM) ? raw : (raw >> 4) * 10u + (raw & 15);
}

static uint8_t enc_hour(const struct rtc *r, unsigned h)
{
    if (r->ram[REG_B] & B_24H)
        return enc(r, h);
    return (uint8_t)(enc(r, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0));
}

static unsigned dec_hour(const struct rtc *r, uint8_t raw)
{
    if (r->ram[REG_B] & B_24H)
        return dec(r, raw);
    return dec(r, raw & 0x7f) % 12 + ((raw & 0x80) ? 12 : 0);
}

/* The time bytes of clock value secs, in the current format. */
static uint8_t time_reg(const struct rtc *r, unsigned i, uint64_t secs)
{
    struct tm_rtc t;
    civil_from_secs(secs, &t);
    switch (i) {
    case REG_SEC:   return enc(r, t.sec);
    case REG_MIN:   return enc(r, t.min);
    case REG_HOUR:  return enc_hour(r, t.hour);
    case REG_DOW:   return enc(r, t.dow);
    case REG_DOM:   return enc(r, t.day);
    case REG_MONTH: return enc(r, t.mon);
    case REG_YEAR:  return enc(r, (unsigned)(t.year % 100));
    default:        return enc(r, (unsigned)(t.year / 100 % 100));
    }
}

/* The clock value the raw time bytes in ram[] say. */
static uint64_t secs_from_ram(const struct rtc *r)
{
    uint64_t year = dec(r, r->ram[RTC_CENTURY]) * 100u + dec(r, r->ram[REG_YEAR]) % 100;
    if (year < 1970)
        year = 1970;
    unsigned mon = clampu(dec(r, r->ram[REG_MONTH]), 1, 12);
    unsigned day = clampu(dec(r, r->ram[REG_DOM]), 1, 31);
    unsigned h = clampu(dec_hour(r, r->ram[REG_HOUR]), 0, 23);
    unsigned m = clampu(dec(r, r->ram[REG_MIN]), 0, 59);
    unsigned s = clampu(dec(r, r->ram[REG_SEC]), 0, 59);
    return days_from_civil(year, mon, day) * SECS_PER_DAY + h * 3600u + m * 60u + s;
}

static uint64_t secs_at(const struct rtc *r, uint64_t now)
{
    return r->ref_secs + pos_at(r, now) / r->hz;
}

static void capture(struct rtc *r, uint64_t now)
{
    uint64_t s = secs_at(r, now);
    for (unsigned i = 0; i < 128; i++)
        if (is_time_reg(i))
            r->ram[i] = time_reg(r, i, s);
}

/* The clock restarts from secs at now, keeping the divider's phase (a
 * write does not reset the divider chain). Flags must be synced first. */
static void rebase(struct rtc *r, uint64_t now, uint64_t secs)
{
    uint64_t pos = pos_at(r, now);
    r->ref_time = now;
    r->ref_pos = pos % r->hz;
    r->ref_secs = secs;
    r->last_pos = r->ref_pos;
}

static int alarm_match(const struct rtc *r, uint64_t secs)
{
    static const uint8_t al[3] = { REG_SEC_AL, REG_MIN_AL, REG_HOUR_AL };
    static const uint8_t tr[3] = { REG_SEC, REG_MIN, REG_HOUR };
    for (unsigned i = 0; i < 3; i++) {
        uint8_t a = r->ram[al[i]];
        if ((a & 0xc0) != 0xc0 && a != time_reg(r, tr[i], secs))
            return 0;
    }
    return 1;
}

static uint32_t periodic_32k(const struct rtc *r)
{
    unsigned rs = r->ram[REG_A] & 15;
    if (!rs)
        return 0;
    return rs <= 2 ? 1u << (rs + 6) : 1u << (rs - 1);
}

/* Set register C's flags for what happened up to now (lazily: PF at each
 * periodic boundary, UF and AF at each second's update). */
static void sync(struct rtc *r, uint64_t now)
{
    uint64_t p = pos_at(r, now);
    if (!r->running || p <= r->last_pos) {
        r->last_pos = p;
        return;
    }
    uint32_t per = periodic_32k(r);
    if (per && dev_muldiv(p, 32768, r->hz) / per > dev_muldiv(r->last_pos, 32768, r->hz) / per)
        r->flags |= C_PF;
    uint64_t s0 = r->last_pos / r->hz, s1 = p / r->hz;
    if (s1 > s0 && !(r->ram[REG_B] & B_SET)) {
        r->flags |= C_UF;
        /* The alarm: the seconds updated through, a day at most back
         * (every alarm matches within a day). */
        uint64_t first = s1 - s0 > SECS_PER_DAY ? s1 - SECS_PER_DAY : s0 + 1;
        for (uint64_t s = first; s <= s1; s++)
            if (alarm_match(r, r->ref_secs + s)) {
                r->flags |= C_AF;
                break;
            }
    }
    r->last_pos = p;
}

static uint8_t irqf(const struct rtc *r)
{
    uint8_t en = r->ram[REG_B] & (B_PIE | B_AIE | B_UIE);   /* same bit order as C */
    return (r->flags & en) ? C_IRQF : 0;
}

int rtc_init(struct rtc *r, uint64_t hz, uint64_t epoch, uint64_t now)
{
    if (!dev_clock_hz_ok(hz))
        return -1;
    *r = (struct rtc){ 0 };
    r->hz = hz;
    r->ram[REG_A] = 0x26;
    r->ram[REG_B] = B_24H;
    r->ram[REG_D] = D_VRT;
    r->running = 1;
    r->ref_time = now;
    r->ref_secs = epoch;
    return 0;
}

static uint8_t reg_read(struct rtc *r, unsigned i, uint64_t now)
{
    if (is_time_reg(i) && !(r->ram[REG_B] & B_SET))
        return time_reg(r, i, secs_at(r, now));
    switch (i) {
    case REG_A: {
        uint64_t p = pos_at(r, now);
        int uip = r->running && !(r->ram[REG_B] & B_SET) &&
                  p % r->hz >= r->hz - dev_muldiv(UIP_US, r->hz, 1000000);
        return (uint8_t)((r->ram[REG_A] & 0x7f) | (uip ? A_UIP : 0));
    }
    case REG_C: {
        sync(r, now);
        uint8_t v = (uint8_t)(r->flags | irqf(r));
        r->flags = 0;
        return v;
    }
    case REG_D:
        return D_VRT;
    default:
        return r->ram[i];
    }
}

static void reg_write(struct rtc *r, unsigned i, uint8_t val, uint64_t now)
{
    if (is_time_reg(i)) {
        if (r->ram[REG_B] & B_SET) {
            r->ram[i] = val;                /* taken when SET clears */
            return;
        }
        sync(r, now);
        capture(r, now);
        r->ram[i] = val;
        rebase(r, now, secs_from_ram(r));
        return;
    }
    switch (i) {
    case REG_A: {
        sync(r, now);
        int run = ((val >> 4) & 7) == 2;
        if (r->running && !run) {           /* divider held: the clock stops */
            r->ref_secs = secs_at(r, now);
            r->ref_pos = 0;
            r->running = 0;
        } else if (!r->running && run) {    /* first update 500 ms later */
            r->ref_time = now;
            r->ref_pos = r->hz / 2;
            r->running = 1;
        }
        r->last_pos = pos_at(r, now);
        r->ram[REG_A] = val & 0x7f;
        break;
    }
    case REG_B: {
        sync(r, now);
        uint8_t old = r->ram[REG_B];
        if (val & B_SET)
            val &= (uint8_t)~B_UIE;
        if ((val & B_SET) && !(old & B_SET))
            capture(r, now);                /* the time bytes hold still */
        r->ram[REG_B] = val;
        if (!(val & B_SET) && (old & B_SET))
            rebase(r, now, secs_from_ram(r));
        break;
    }
    case REG_C: case REG_D:
        break;                              /* read-only */
    default:
        r->ram[i] = val;
        break;
    }
}

int rtc_port_read(struct rtc *r, uint16_t port, uint64_t now, uint8_t *val)
{
    switch (port) {
    case 0x70:
        *val = 0xff;
        return 0;
    case 0x71:
        *val = reg_read(r, r->index, now);
        return 0;
    default:
        *val = 0xff;
        return -1;
    }
}

int rtc_port_write(struct rtc *r, uint16_t port, uint64_t now, uint8_t val)
{
    switch (port) {
    case 0x70:
        r->index = val & 0x7f;
        r->nmi_masked = val >> 7;
        return 0;
    case 0x71:
        reg_write(r, r->index, val, now);
        return 0;
    default:
        return -1;
    }
}

void rtc_nvram_set(struct rtc *r, unsigned idx, uint8_t val)
{
    if (idx > REG_D && idx < 128 && idx != RTC_CENTURY)
        r->ram[idx] = val;
}

int rtc_nmi_masked(const struct rtc *r)
{
    return r->nmi_masked;
}

int rtc_irq(struct rtc *r, uint64_t now)
{
    sync(r, now);
    return irqf(r) != 0;
}

uint64_t rtc_next_event(struct rtc *r, uint64_t now)
{
    sync(r, now);
    if (irqf(r) || !r->running)
        return UINT64_MAX;
    uint64_t p = pos_at(r, now), best = UINT64_MAX;
    uint32_t per = periodic_32k(r);
    if (per && (r->ram[REG_B] & B_PIE)) {
        uint64_t k = dev_muldiv(p, 32768, r->hz) / per + 1;
        best = dev_muldiv_ceil(k * per, r->hz, 32768);
    }
    if ((r->ram[REG_B] & (B_UIE | B_AIE)) && !(r->ram[REG_B] & B_SET)) {
        uint64_t next = (p / r->hz + 1) * r->hz;
        if (next < best)
            best = next;
    }
    if (best == UINT64_MAX)
        return best;
    return r->ref_time + (best - r->ref_pos);
}
