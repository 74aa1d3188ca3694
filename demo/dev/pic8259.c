/* demo/dev/pic8259.c — the virtual 8259A pair (see pic8259.h). Pure. */
#include <stdint.h>

#include "dev/pic8259.h"

#define OCW_ICW1 0x10   /* port 0 write: bit 4 set = ICW1 (8259A data sheet) */
#define OCW_OCW3 0x08   /* port 0 write, bit 4 clear: bit 3 set = OCW3 */

static int level_mode(const struct pic8259_chip *c, unsigned ir)
{
    return c->ltim || (c->elcr & (1u << ir));
}

static void chip_set_line(struct pic8259_chip *c, unsigned ir, int level)
{
    uint8_t m = (uint8_t)(1u << ir);
    if (level_mode(c, ir)) {
        /* Level: IRR follows the line. */
        if (level)
            c->irr |= m;
        else
            c->irr &= (uint8_t)~m;
    } else if (level && !(c->lines & m)) {
        /* Edge: a rising edge latches the request, which stays until INTA. */
        c->irr |= m;
    }
    if (level)
        c->lines |= m;
    else
        c->lines &= (uint8_t)~m;
}

/* Priority (0 = highest) of the best IR in mask under rotation; 8: none. */
static unsigned priority(const struct pic8259_chip *c, uint8_t mask)
{
    for (unsigned p = 0; p < 8; p++)
        if (mask & (1u << ((p + c->prio) & 7)))
            return p;
    return 8;
}

/* The IR this chip would present at INTA, or -1 (fully nested mode: only
 * a request above every in-service level, 8259A "Fully nested mode"). */
static int chip_get_irq(const struct pic8259_chip *c, int master)
{
    unsigned p = priority(c, (uint8_t)(c->irr & ~c->imr));
    if (p == 8)
        return -1;
    uint8_t in_service = c->isr;
    if (c->smm)                     /* special mask: masked levels do not block */
        in_service &= (uint8_t)~c->imr;
    if (master && c->sfnm)          /* SFNM: the slave may nest on IR2 */
        in_service &= (uint8_t)~(1u << 2);
    if (p >= priority(c, in_service))
        return -1;
    return (int)((p + c->prio) & 7);
}

static void chip_intack(struct pic8259_chip *c, unsigned ir)
{
    uint8_t m = (uint8_t)(1u << ir);
    if (c->aeoi) {
        if (c->rotate_aeoi)
            c->prio = (uint8_t)((ir + 1) & 7);
    } else {
        c->isr |= m;
    }
    c->irr &= (uint8_t)~m;
    if (level_mode(c, ir) && (c->lines & m))
        c->irr |= m;                /* a level line still high requests again */
}

/* The slave's INT output drives master IR2 (the PC's cascade). */
static void cascade(struct pic8259 *p)
{
    chip_set_line(&p->c[0], 2, chip_get_irq(&p->c[1], 0) >= 0);
}

static void chip_reset(struct pic8259_chip *c, uint8_t elcr_mask)
{
    uint8_t lines = c->lines, elcr = c->elcr;
    *c = (struct pic8259_chip){ 0 };
    c->lines = lines;
    c->elcr = elcr & elcr_mask;
    c->elcr_mask = elcr_mask;
}

void pic8259_init(struct pic8259 *p)
{
    p->c[0] = (struct pic8259_chip){ 0 };
    p->c[1] = (struct pic8259_chip){ 0 };
    chip_reset(&p->c[0], 0xf8);     /* PIIX4 ELCR1: IRQ0-2 are edge only */
    chip_reset(&p->c[1], 0xde);     /* ELCR2: IRQ8 and IRQ13 are edge only */
}

void pic8259_set_line(struct pic8259 *p, unsigned irq, int level)
{
    if (irq >= 16)
        return;
    chip_set_line(&p->c[irq >> 3], irq & 7, level != 0);
    cascade(p);
}

int pic8259_has_interrupt(const struct pic8259 *p)
{
    return chip_get_irq(&p->c[0], 1) >= 0;
}

uint8_t pic8259_acknowledge(struct pic8259 *p)
{
    struct pic8259_chip *m = &p->c[0], *s = &p->c[1];
    int ir = chip_get_irq(m, 1);
    uint8_t vec;
    if (ir < 0) {
        vec = (uint8_t)(m->base + 7);           /* spurious IR7: no ISR bit */
    } else {
        chip_intack(m, (unsigned)ir);
        if (ir == 2) {
            int sir = chip_get_irq(s, 0);
            if (sir >= 0)
                chip_intack(s, (unsigned)sir);
            else
                sir = 7;                        /* spurious IR15 */
            vec = (uint8_t)(s->base + (unsigned)sir);
            /* The slave's INT falls in the INTA cycle: a request still
             * pending on it raises IR2 again. */
            m->lines &= (uint8_t)~(1u << 2);
        } else {
            vec = (uint8_t)(m->base + (unsigned)ir);
        }
    }
    cascade(p);
    return vec;
}

static void write_ocw2(struct pic8259_chip *c, uint8_t val)
{
    unsigned cmd = val >> 5, ir = val & 7;
    switch (cmd) {
    case 0:                     /* rotate in auto-EOI mode: clear / set */
    case 4:
        c->rotate_aeoi = (uint8_t)(cmd >> 2);
        break;
    case 1:                     /* non-specific EOI: the highest in service */
    case 5: {                   /* and rotate */
        unsigned pr = priority(c, c->isr);
        if (pr == 8)
            break;
        ir = (pr + c->prio) & 7;
        c->isr &= (uint8_t)~(1u << ir);
        if (cmd == 5)
            c->prio = (uint8_t)((ir + 1) & 7);
        break;
    }
    case 3:                     /* specific EOI */
    case 7:                     /* and rotate */
        c->isr &= (uint8_t)~(1u << ir);
        if (cmd == 7)
            c->prio = (uint8_t)((ir + 1) & 7);
        break;
    case 6:                     /* set priority: ir becomes the lowest */
        c->prio = (uint8_t)((ir + 1) & 7);
        break;
    default:                    /* 2: no operation */
        break;
    }
}

static void chip_write(struct pic8259_chip *c, unsigned a0, uint8_t val)
{
    if (!a0) {
        if (val & OCW_ICW1) {
            /* ICW1: IMR and ISR cleared, IR7 lowest, special mask off, IRR
             * selected; the edge sense is reset, so an edge line already
             * high must fall and rise again (8259A "Initialization"). */
            chip_reset(c, c->elcr_mask);
            c->ic4 = val & 1;
            c->sngl = (val >> 1) & 1;
            c->ltim = (val >> 3) & 1;
            c->irr = c->lines & (c->ltim ? 0xff : c->elcr);
            c->init = 2;
        } else if (val & OCW_OCW3) {
            if (val & 0x04)
                c->poll = 1;
            if (val & 0x02)             /* RR: RIS selects ISR or IRR */
                c->read_isr = val & 1;
            if (val & 0x40)             /* ESMM: SMM sets or resets */
                c->smm = (val >> 5) & 1;
        } else {
            write_ocw2(c, val);
        }
        return;
    }
    switch (c->init) {
    case 2:                             /* ICW2: vector base, bits 7:3 */
        c->base = val & 0xf8;
        c->init = c->sngl ? (c->ic4 ? 4 : 0) : 3;
        break;
    case 3:                             /* ICW3: the cascade is fixed on IR2 */
        c->icw3 = val;
        c->init = c->ic4 ? 4 : 0;
        break;
    case 4:                             /* ICW4: SFNM, AEOI (uPM: x86 only) */
        c->sfnm = (val >> 4) & 1;
        c->aeoi = (val >> 1) & 1;
        c->init = 0;
        break;
    default:                            /* OCW1 */
        c->imr = val;
        break;
    }
}

/* Poll (OCW3 P): the read is the chip's INTA; bit 7 = a request, 2:0 its IR. */
static uint8_t chip_poll(struct pic8259_chip *c, int master)
{
    c->poll = 0;
    int ir = chip_get_irq(c, master);
    if (ir < 0)
        return 0;
    chip_intack(c, (unsigned)ir);
    return (uint8_t)(0x80 | ir);
}

int pic8259_port_read(struct pic8259 *p, uint16_t port, uint8_t *val)
{
    switch (port) {
    case 0x20: case 0x21: case 0xa0: case 0xa1: {
        unsigned n = port >> 7;
        struct pic8259_chip *c = &p->c[n];
        if (c->poll) {
            *val = chip_poll(c, n == 0);
            cascade(p);
        } else if (port & 1) {
            *val = c->imr;
        } else {
            *val = c->read_isr ? c->isr : c->irr;
        }
        return 0;
    }
    case 0x4d0: case 0x4d1:
        *val = p->c[port & 1].elcr;
        return 0;
    default:
        *val = 0xff;
        return -1;
    }
}

int pic8259_port_write(struct pic8259 *p, uint16_t port, uint8_t val)
{
    switch (port) {
    case 0x20: case 0x21: case 0xa0: case 0xa1:
        chip_write(&p->c[port >> 7], port & 1, val);
        break;
    case 0x4d0: case 0x4d1: {
        struct pic8259_chip *c = &p->c[port & 1];
        c->elcr = val & c->elcr_mask;
        /* A line turned level now requests while high; turned edge, the
         * latch keeps what it holds. */
        for (unsigned ir = 0; ir < 8; ir++)
            if ((c->elcr & (1u << ir)) && !c->ltim)
                chip_set_line(c, ir, (c->lines >> ir) & 1);
        break;
    }
    default:
        return -1;
    }
    cascade(p);
    return 0;
}
