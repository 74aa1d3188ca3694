/* demo/dev/pit8254.c — the virtual 8254 (see pit8254.h). Pure. */
#include <stdint.h>

#include "dev/devclock.h"
#include "dev/pit8254.h"

enum {
    PIT_WAIT_COUNT, /* control word written, no count yet */
    PIT_WAIT_GATE,  /* modes 1, 5: no trigger yet; 2, 3: gate low */
    PIT_RUN,        /* counting since start */
    PIT_PAUSED,     /* modes 0, 4: gate low, paused_d counted */
};

#define REFRESH_TICKS 18u   /* port 0x61 bit 4: DRAM refresh request, 15.09 us */

static uint64_t ticks(const struct pit8254 *p, uint64_t now)
{
    return dev_muldiv(now, PIT8254_HZ, p->hz);
}

/* Clocks counted in the current cycle. */
static uint64_t elapsed(const struct pit8254_counter *c, uint64_t t)
{
    if (c->state == PIT_PAUSED)
        return c->paused_d;
    if (c->state != PIT_RUN)
        return 0;
    return t > c->start ? t - c->start : 0;
}

/* Rising edges of OUT in the first d clocks of a cycle. */
static uint64_t edges_in(const struct pit8254_counter *c, uint64_t d)
{
    switch (c->mode) {
    case 0: case 1: return d >= c->n;
    case 2: case 3: return d / c->n;
    default:        return d > c->n;    /* 4, 5: low for clock N only */
    }
}

static int out_at(const struct pit8254_counter *c, uint64_t t)
{
    if (c->state == PIT_WAIT_COUNT)
        return c->mode != 0;
    if (c->state == PIT_WAIT_GATE)
        return 1;
    uint64_t d = elapsed(c, t), n = c->n;
    switch (c->mode) {
    case 0: case 1: return d >= n;
    case 2:         return n == 1 || d % n != n - 1;
    case 3:         return d % n < (n + 1) / 2;
    default:        return d != n;
    }
}

static void add_edges(struct pit8254_counter *c, uint64_t e)
{
    uint64_t sum = c->edges + e;
    c->edges = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

/* Bring the counter to clock t: a new count waiting in modes 2/3 takes
 * over at the end of its period (82C54 mode 2/3 "new count"), and OUT's
 * rising edges so far are counted. */
static void sync(struct pit8254_counter *c, uint64_t t)
{
    if (c->state == PIT_RUN && c->null_count && (c->mode == 2 || c->mode == 3) &&
        t >= c->switch_tick) {
        add_edges(c, edges_in(c, c->switch_tick - c->start) - c->reported);
        c->start = c->switch_tick;
        c->n = c->cr;
        c->reported = 0;
        c->null_count = 0;
    }
    uint64_t e = edges_in(c, elapsed(c, t));
    if (e > c->reported) {
        add_edges(c, e - c->reported);
        c->reported = e;
    }
}

static void start_cycle(struct pit8254_counter *c, uint64_t t)
{
    c->n = c->cr;
    c->null_count = 0;
    c->start = t;
    c->reported = 0;
    c->state = PIT_RUN;
}

static uint32_t modulus(const struct pit8254_counter *c)
{
    return c->bcd ? 10000u : 65536u;
}

/* The counting element at clock t (binary; BCD-encoded by the reader). */
static uint32_t count_at(const struct pit8254_counter *c, uint64_t t)
{
    uint32_t m = modulus(c);
    if (c->state == PIT_WAIT_COUNT)
        return 0;
    if (c->state == PIT_WAIT_GATE)
        return c->cr % m;
    uint64_t d = elapsed(c, t), n = c->n;
    switch (c->mode) {
    case 2:  return (uint32_t)((n - d % n) % m);
    case 3:  return (uint32_t)((n - (2 * d) % n) % m);
    default: return (uint32_t)((n + m - d % m) % m);   /* wraps past 0 */
    }
}

static uint16_t to_bcd(uint32_t v)
{
    return (uint16_t)((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

static uint32_t from_count(const struct pit8254_counter *c, uint16_t raw)
{
    uint32_t v = raw;
    if (c->bcd)
        v = (raw >> 12 & 15) * 1000u + (raw >> 8 & 15) * 100u + (raw >> 4 & 15) * 10u + (raw & 15);
    return v ? v : modulus(c);
}

static uint16_t read_value(const struct pit8254_counter *c, uint64_t t)
{
    uint32_t v = count_at(c, t);
    return c->bcd ? to_bcd(v) : (uint16_t)v;
}

/* A complete count written to CR (82C54 "Write operations"). */
static void load(struct pit8254_counter *c, uint16_t raw, uint64_t t)
{
    c->cr = from_count(c, raw);
    c->null_count = 1;
    switch (c->mode) {
    case 0: case 4:                 /* restart at once; gate low holds it */
        start_cycle(c, t);
        if (!c->gate) {
            c->state = PIT_PAUSED;
            c->paused_d = 0;
        }
        break;
    case 1: case 5:                 /* taken at the next trigger */
        if (c->state == PIT_WAIT_COUNT)
            c->state = PIT_WAIT_GATE;
        break;
    default:                        /* 2, 3 */
        if (c->state == PIT_WAIT_COUNT) {
            start_cycle(c, t);
            if (!c->gate)
                c->state = PIT_WAIT_GATE;
        } else if (c->state == PIT_RUN) {
            c->switch_tick = c->start + (elapsed(c, t) / c->n + 1) * c->n;
        }
        break;
    }
}

static void set_gate(struct pit8254_counter *c, int gate, uint64_t t)
{
    int rise = gate && !c->gate, fall = !gate && c->gate;
    c->gate = (uint8_t)gate;
    if (c->state == PIT_WAIT_COUNT)
        return;
    switch (c->mode) {
    case 0: case 4:
        if (fall && c->state == PIT_RUN) {
            c->paused_d = elapsed(c, t);
            c->state = PIT_PAUSED;
        } else if (rise && c->state == PIT_PAUSED) {
            c->start = t - c->paused_d;
            c->state = PIT_RUN;
        }
        break;
    case 1: case 5:                 /* a rise (re)triggers with CR */
        if (rise)
            start_cycle(c, t);
        break;
    default:                        /* 2, 3: low holds OUT high; a rise reloads */
        if (fall)
            c->state = PIT_WAIT_GATE;
        else if (rise)
            start_cycle(c, t);
        break;
    }
}

int pit8254_init(struct pit8254 *p, uint64_t hz)
{
    if (!dev_clock_hz_ok(hz))
        return -1;
    *p = (struct pit8254){ 0 };
    p->hz = hz;
    for (unsigned i = 0; i < 3; i++) {
        struct pit8254_counter *c = &p->c[i];
        c->rw = 3;
        c->ctrl = 0x30;
        c->gate = i < 2;            /* counter 2's gate: port 0x61 bit 0 (0) */
        c->cr = c->n = 65536;
        c->null_count = 1;
    }
    return 0;
}

/* Every change goes through here: OUT rising because of the change itself
 * (say a control word ending mode 0's low output) is an edge too. */
#define CHANGE(c, t, stmt)                          \
    do {                                            \
        sync(c, t);                                 \
        int out_before_ = out_at(c, t);             \
        stmt;                                       \
        if (!out_before_ && out_at(c, t))           \
            add_edges(c, 1);                        \
        c->reported = edges_in(c, elapsed(c, t));   \
    } while (0)

static void latch_count(struct pit8254_counter *c, uint64_t t)
{
    if (c->latch_state)
        return;                     /* the first latch holds until read */
    c->latch = read_value(c, t);
    c->latch_state = c->rw;
}

static void control(struct pit8254 *p, uint8_t val, uint64_t t)
{
    if ((val >> 6) == 3) {          /* read-back: 1 1 /COUNT /STATUS C2 C1 C0 0 */
        for (unsigned i = 0; i < 3; i++) {
            struct pit8254_counter *c = &p->c[i];
            if (!(val & (2u << i)))
                continue;
            sync(c, t);
            if (!(val & 0x20))
                latch_count(c, t);
            if (!(val & 0x10) && !c->status_latched) {
                c->status = (uint8_t)(out_at(c, t) << 7 | c->null_count << 6 | c->ctrl);
                c->status_latched = 1;
            }
        }
        return;
    }
    struct pit8254_counter *c = &p->c[val >> 6];
    unsigned rw = (val >> 4) & 3;
    if (rw == 0) {                  /* counter latch command */
        sync(c, t);
        latch_count(c, t);
        return;
    }
    CHANGE(c, t, {
        unsigned mode = (val >> 1) & 7;
        c->mode = (uint8_t)(mode > 5 ? mode - 4 : mode);
        c->bcd = val & 1;
        c->rw = (uint8_t)rw;
        c->ctrl = val & 0x3f;
        c->state = PIT_WAIT_COUNT;
        c->null_count = 1;
        c->wmsb = c->rmsb = 0;
        c->latch_state = 0;
        c->status_latched = 0;
    });
}

static void counter_write(struct pit8254_counter *c, uint8_t val, uint64_t t)
{
    switch (c->rw) {
    case 1:
        CHANGE(c, t, load(c, val, t));
        break;
    case 2:
        CHANGE(c, t, load(c, (uint16_t)(val << 8), t));
        break;
    default:
        if (!c->wmsb) {
            c->wlsb = val;
            c->wmsb = 1;
            if (c->mode == 0)       /* mode 0: the first byte stops counting */
                CHANGE(c, t, c->state = PIT_WAIT_COUNT);
        } else {
            c->wmsb = 0;
            CHANGE(c, t, load(c, (uint16_t)(c->wlsb | val << 8), t));
        }
        break;
    }
}

static uint8_t counter_read(struct pit8254_counter *c, uint64_t t)
{
    if (c->status_latched) {
        c->status_latched = 0;
        return c->status;
    }
    if (c->latch_state) {           /* 1: LSB, 2: MSB, 3: LSB then 2 */
        uint8_t v = c->latch_state == 2 ? (uint8_t)(c->latch >> 8) : (uint8_t)c->latch;
        c->latch_state = c->latch_state == 3 ? 2 : 0;
        return v;
    }
    sync(c, t);
    uint16_t v = read_value(c, t);
    switch (c->rw) {
    case 1:  return (uint8_t)v;
    case 2:  return (uint8_t)(v >> 8);
    default:
        c->rmsb ^= 1;
        return c->rmsb ? (uint8_t)v : (uint8_t)(v >> 8);
    }
}

int pit8254_port_read(struct pit8254 *p, uint16_t port, uint64_t now, uint8_t *val)
{
    uint64_t t = ticks(p, now);
    switch (port) {
    case 0x40: case 0x41: case 0x42:
        *val = counter_read(&p->c[port - 0x40], t);
        return 0;
    case 0x43:
        *val = 0xff;
        return 0;
    case 0x61:
        sync(&p->c[2], t);
        *val = (uint8_t)((p->port61 & 0x0f) | ((t / REFRESH_TICKS) & 1) << 4 |
                         out_at(&p->c[2], t) << 5);
        return 0;
    default:
        *val = 0xff;
        return -1;
    }
}

int pit8254_port_write(struct pit8254 *p, uint16_t port, uint64_t now, uint8_t val)
{
    uint64_t t = ticks(p, now);
    switch (port) {
    case 0x40: case 0x41: case 0x42:
        counter_write(&p->c[port - 0x40], val, t);
        return 0;
    case 0x43:
        control(p, val, t);
        return 0;
    case 0x61: {
        struct pit8254_counter *c = &p->c[2];
        p->port61 = val & 0x0f;
        CHANGE(c, t, set_gate(c, val & 1, t));
        return 0;
    }
    default:
        return -1;
    }
}

int pit8254_out(struct pit8254 *p, unsigned ch, uint64_t now)
{
    if (ch >= 3)
        return 0;
    uint64_t t = ticks(p, now);
    sync(&p->c[ch], t);
    return out_at(&p->c[ch], t);
}

uint32_t pit8254_irq0_edges(struct pit8254 *p, uint64_t now)
{
    struct pit8254_counter *c = &p->c[0];
    sync(c, ticks(p, now));
    uint32_t e = c->edges;
    c->edges = 0;
    return e;
}

uint64_t pit8254_next_irq0(struct pit8254 *p, uint64_t now)
{
    struct pit8254_counter *c = &p->c[0];
    uint64_t t = ticks(p, now);
    sync(c, t);
    if (c->state != PIT_RUN)
        return UINT64_MAX;
    uint64_t d = elapsed(c, t), n = c->n, tick;
    switch (c->mode) {
    case 0: case 1:
        if (d >= n)
            return UINT64_MAX;
        tick = c->start + n;
        break;
    case 2: case 3:
        tick = c->start + (d / n + 1) * n;
        break;
    default:
        if (d > n)
            return UINT64_MAX;
        tick = c->start + n + 1;
        break;
    }
    /* The first caller time whose clock count reaches tick. */
    return dev_muldiv_ceil(tick, p->hz, PIT8254_HZ);
}
