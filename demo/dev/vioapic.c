/* demo/dev/vioapic.c — the virtual I/O APIC (see vioapic.h). Pure. */
#include <stdint.h>

#include "dev/vioapic.h"

#define REG_ID      0x00
#define REG_VER     0x01
#define REG_ARB     0x02
#define REG_RTE     0x10

#define RTE_DELIVS   (1ull << 12)
#define RTE_REMOTE   (1ull << 14)
#define RTE_LEVEL    (1ull << 15)
#define RTE_MASKED   (1ull << 16)
/* Writable: vector, delivery mode, destination mode (11:0), polarity (13),
 * trigger (15), mask (16), destination (63:56); 82093AA 3.2.4. */
#define RTE_WRITABLE (0xff00000000000000ull | 0x1afffull)

#define IO_REGSEL   0x00
#define IO_WIN      0x10
#define IO_EOI      0x40

/* Level-triggered in effect: only fixed and lowest-priority entries. NMI,
 * SMI, INIT and ExtINT are edge whatever the trigger bit says (82093AA
 * 3.2.4, delivery mode: "treated as an edge triggered interrupt" / "must
 * be programmed to edge"): no remote IRR, as no EOI will come for them. */
static int is_level(uint64_t e)
{
    return (e & RTE_LEVEL) && ((e >> 8) & 7) <= 1;
}

static void send(struct vioapic *v, unsigned pin)
{
    uint64_t e = v->rte[pin];
    struct vioapic_msg m = {
        .vector = (uint8_t)e,
        .delivery_mode = (uint8_t)((e >> 8) & 7),
        .dest = (uint8_t)(e >> 56),
        .dest_logical = (uint8_t)((e >> 11) & 1),
        .level = (uint8_t)is_level(e),
        .pin = (uint8_t)pin,
    };
    if (is_level(e))
        v->rte[pin] |= RTE_REMOTE;  /* until the EOI (82093AA 3.2.4 bit 14) */
    if (v->deliver)
        v->deliver(v->opaque, &m);
}

/* A level pin asserted, unmasked, not waiting for an EOI: send. */
static void service_level(struct vioapic *v, unsigned pin)
{
    uint64_t e = v->rte[pin];
    if (is_level(e) && !(e & (RTE_MASKED | RTE_REMOTE)) && (v->lines & (1u << pin)))
        send(v, pin);
}

int vioapic_init(struct vioapic *v, uint8_t version, vioapic_deliver_fn *deliver, void *opaque)
{
    if (version != 0x11 && version != 0x20)
        return -1;
    *v = (struct vioapic){ 0 };
    v->version = version;
    v->deliver = deliver;
    v->opaque = opaque;
    for (unsigned i = 0; i < VIOAPIC_PINS; i++)
        v->rte[i] = RTE_MASKED;
    return 0;
}

void vioapic_set_line(struct vioapic *v, unsigned pin, int asserted)
{
    if (pin >= VIOAPIC_PINS)
        return;
    uint32_t bit = 1u << pin, was = v->lines & bit;
    if (asserted)
        v->lines |= bit;
    else
        v->lines &= ~bit;
    if (is_level(v->rte[pin]))
        service_level(v, pin);
    else if (asserted && !was && !(v->rte[pin] & RTE_MASKED))
        send(v, pin);               /* a masked edge is lost */
}

void vioapic_eoi(struct vioapic *v, uint8_t vector)
{
    for (unsigned i = 0; i < VIOAPIC_PINS; i++) {
        uint64_t e = v->rte[i];
        if ((uint8_t)e != vector || !(e & RTE_REMOTE))
            continue;
        v->rte[i] &= ~RTE_REMOTE;
        service_level(v, i);        /* still asserted: again */
    }
}

static uint32_t reg_read(const struct vioapic *v)
{
    uint32_t r = v->ioregsel;
    switch (r) {
    case REG_ID:
        return v->id;
    case REG_VER:
        return (uint32_t)(VIOAPIC_PINS - 1) << 16 | v->version;
    case REG_ARB:
        return v->id;               /* loaded from the ID (82093AA 3.2.3) */
    default:
        if (r >= REG_RTE && r < REG_RTE + 2 * VIOAPIC_PINS) {
            uint64_t e = v->rte[(r - REG_RTE) / 2];
            return (r & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
        }
        return 0;
    }
}

static void reg_write(struct vioapic *v, uint32_t val)
{
    uint32_t r = v->ioregsel;
    if (r == REG_ID) {
        v->id = val & 0x0f000000u;
        return;
    }
    if (r < REG_RTE || r >= REG_RTE + 2 * VIOAPIC_PINS)
        return;                     /* version, arbitration: read-only */
    unsigned pin = (r - REG_RTE) / 2;
    uint64_t e = v->rte[pin];
    uint64_t w = (r & 1) ? ((uint64_t)val << 32 | (uint32_t)e) : ((e & 0xffffffff00000000ull) | val);
    e = (w & RTE_WRITABLE) | (e & (RTE_DELIVS | RTE_REMOTE));
    if (!is_level(e))
        e &= ~RTE_REMOTE;           /* edge: nothing waits for an EOI */
    v->rte[pin] = e;
    service_level(v, pin);          /* unmasked while asserted */
}

uint32_t vioapic_mmio_read(struct vioapic *v, uint32_t offset, uint32_t size)
{
    if ((size != 1 && size != 2 && size != 4) || (offset & (size - 1)))
        return 0;
    uint32_t word, shift = (offset & 3) * 8;
    switch (offset & ~3u) {
    case IO_REGSEL: word = v->ioregsel; break;
    case IO_WIN:    word = reg_read(v); break;
    default:        return 0;       /* EOI is write-only; the rest reserved */
    }
    word >>= shift;
    return size == 4 ? word : word & ((1u << (size * 8)) - 1);
}

void vioapic_mmio_write(struct vioapic *v, uint32_t offset, uint32_t size, uint32_t val)
{
    if ((size != 1 && size != 2 && size != 4) || (offset & (size - 1)))
        return;
    switch (offset) {
    case IO_REGSEL:                 /* bits 7:0 only */
        v->ioregsel = val & 0xff;
        break;
    case IO_WIN:
        if (size == 4)              /* the registers are 32-bit (82093AA 3.0) */
            reg_write(v, val);
        break;
    case IO_EOI:
        if (v->version >= 0x20)
            vioapic_eoi(v, (uint8_t)val);
        break;
    default:
        break;
    }
}
