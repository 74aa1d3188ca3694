/* demo/pc/irq.c — IRQ routing and the guest's virtual PIC, PIT, RTC, PM
 * timer and, with the library's local APIC, I/O APIC (see irq.h). No hardware access: time is the guest's TSC read
 * through the library, the PIC's interrupts go in through its INTR line. */
#include <stdint.h>
#include <x86vcpu/x86vcpu.h>

#include "bus.h"
#include "vm.h"
#include "dev/devclock.h"
#include "pc/irq.h"

int irq_pic_line(unsigned isa_irq)
{
    if (isa_irq >= 16)
        return -1;
    /* IRQ2 is the master's cascade input; the ISA bus's IRQ2 pin (IRQ2/9
     * on the AT) reaches the slave's IR1. */
    return isa_irq == 2 ? 9 : (int)isa_irq;
}

int irq_gsi(unsigned isa_irq)
{
    if (isa_irq >= IRQ_ISA_LINES)
        return -1;
    /* The PC's wiring as the MADT describes it (ACPI 6.5 5.2.12.5): the
     * PIT's IRQ0 is GSI 2 (interrupt source override); the ISA IRQ2 pin
     * is the AT's IRQ9, as for the 8259; the rest are identity-mapped. */
    return isa_irq == 0 ? 2 : isa_irq == 2 ? 9 : (int)isa_irq;
}

void irq_set(struct irq *q, unsigned isa_irq, int level)
{
    if (isa_irq >= IRQ_ISA_LINES)
        return;
    q->levels[isa_irq] = level ? 1 : 0;
    int line = irq_pic_line(isa_irq);
    if (line >= 0)
        pic8259_set_line(&q->pic, (unsigned)line, level ? 1 : 0);
    if (q->ioapic_on)
        vioapic_set_line(&q->ioapic, (unsigned)irq_gsi(isa_irq), level ? 1 : 0);
    else if (line < 0)
        q->ignored++;       /* GSI 16-23 without the I/O APIC: nowhere to go */
}

void irq_line_cb(void *ctx, unsigned isa_irq, int level)
{
    irq_set(ctx, isa_irq, level);
}

void irq_pulse(struct irq *q, unsigned isa_irq)
{
    irq_set(q, isa_irq, 1);
    irq_set(q, isa_irq, 0);
}

uint64_t irq_advance_time(struct irq *q, uint64_t tsc)
{
    /* Forward steps only: a guest that writes IA32_TSC back (SDM 17.17.3)
     * must not run the devices' clocks backwards. */
    if (tsc > q->last_tsc)
        q->now += tsc - q->last_tsc;
    q->last_tsc = tsc;
    return q->now;
}

uint32_t irq_time_slice(uint32_t host_khz, uint64_t us)
{
    uint64_t t = (uint64_t)host_khz * us / 1000;
    return t == 0 ? 1 : t > 0xffffffffu ? 0xffffffffu : (uint32_t)t;
}

uint64_t irq_days_from_civil(uint64_t y, unsigned m, unsigned d)
{
    /* Days before the month in a common year; Gregorian leap years. */
    static const uint16_t before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    if (y < 1970)
        y = 1970;
    if (m < 1 || m > 12)
        m = 1;
    uint64_t yy = y - 1;
    uint64_t leaps = (yy / 4 - yy / 100 + yy / 400) - (1969 / 4 - 1969 / 100 + 1969 / 400);
    uint64_t days = (y - 1970) * 365 + leaps + before[m - 1] + (d ? d - 1 : 0);
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days + (leap && m > 2);
}

static uint64_t irq_now(struct irq *q)
{
    uint64_t tsc = 0;
    if (q->vm->v)
        x86vcpu_get_guest_tsc(q->vm->v, &tsc);
    return irq_advance_time(q, tsc);
}

/* ------------------------------------------------------------ ports */
static int pic_read(void *dev, uint64_t port, uint32_t size, uint64_t *val)
{
    struct irq *q = dev;
    uint64_t v = 0;
    /* IRR as of now: the devices' lines up to this instruction. */
    irq_update(q, irq_now(q));
    for (uint32_t i = 0; i < size && i < 2; i++) {
        uint8_t b = 0xff;
        pic8259_port_read(&q->pic, (uint16_t)(port + i), &b);
        v |= (uint64_t)b << (8 * i);
    }
    *val = v | (size > 2 ? bus_ones(size) & ~0xffffull : 0);
    return BUS_OK;
}

static int pic_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    struct irq *q = dev;
    for (uint32_t i = 0; i < size && i < 2; i++)
        pic8259_port_write(&q->pic, (uint16_t)(port + i), (uint8_t)(val >> (8 * i)));
    return BUS_OK;
}

static const struct bus_ops pic_ops = { pic_read, pic_write };

/* PIT and port 0x61: byte registers; a wider access reaches the first. */
static int pit_read(void *dev, uint64_t port, uint32_t size, uint64_t *val)
{
    struct irq *q = dev;
    uint8_t b = 0xff;
    pit8254_port_read(&q->pit, (uint16_t)port, irq_now(q), &b);
    *val = b | (bus_ones(size) & ~0xffull);
    return BUS_OK;
}

static int pit_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    struct irq *q = dev;
    (void)size;
    pit8254_port_write(&q->pit, (uint16_t)port, irq_now(q), (uint8_t)val);
    return BUS_OK;
}

static const struct bus_ops pit_ops = { pit_read, pit_write };

static int rtc_read_port(void *dev, uint64_t port, uint32_t size, uint64_t *val)
{
    struct irq *q = dev;
    uint8_t b = 0xff;
    rtc_port_read(&q->rtc, (uint16_t)port, irq_now(q), &b);
    *val = b | (bus_ones(size) & ~0xffull);
    return BUS_OK;
}

static int rtc_write_port(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    struct irq *q = dev;
    (void)size;
    uint64_t now = irq_now(q);
    rtc_port_write(&q->rtc, (uint16_t)port, now, (uint8_t)val);
    /* Reading register C lowers IRQ8; an enable may raise it. */
    irq_set(q, 8, rtc_irq(&q->rtc, now));
    return BUS_OK;
}

static const struct bus_ops rtc_ops = { rtc_read_port, rtc_write_port };

static int pmt_read(void *dev, uint64_t port, uint32_t size, uint64_t *val)
{
    struct irq *q = dev;
    *val = pmtimer_read(&q->pmt, (uint32_t)(port - q->pm_tmr), size > 4 ? 4 : size, irq_now(q));
    return BUS_OK;
}

static int pmt_write(void *dev, uint64_t port, uint32_t size, uint64_t val)
{
    (void)dev, (void)port, (void)size, (void)val;
    return BUS_OK;          /* read-only (ACPI 4.8.3.3) */
}

static const struct bus_ops pmt_ops = { pmt_read, pmt_write };

/* ------------------------------------------------------------ I/O APIC */
/* An interrupt message of the I/O APIC (82093AA 3.2.4) to the vCPU. */
static void ioapic_deliver(void *opaque, const struct vioapic_msg *m)
{
    struct irq *q = opaque;
    struct x86vcpu_vcpu *v = q->vm->v;
    /* The message's destination as an xAPIC-format interrupt (8-bit
     * physical ID or logical set, 0xFF broadcast; SDM 11.6.2). */
    struct x86vcpu_lapic_ipi ipi = {
        .dest = m->dest, .vector = m->vector, .mode = m->delivery_mode,
        .logical = m->dest_logical, .level = 1, .trigger = m->level,
    };
    if (!v || !x86vcpu_lapic_ipi_match(v, 0, &ipi)) {
        q->ioapic_missed++;
        return;
    }
    switch (m->delivery_mode) {
    case 0:                         /* fixed */
    case 1:                         /* lowest priority: one vCPU, this one */
        if (x86vcpu_lapic_set_irq(v, m->vector, m->level))
            q->ioapic_missed++;     /* refused: APIC disabled, vector < 16 */
        else
            q->ioapic_sent++;
        break;
    case 4:                         /* NMI: the vector is ignored */
        if (x86vcpu_queue_nmi(v))
            q->queue_errors++;
        else
            q->ioapic_sent++;
        break;
    case 7: {                       /* ExtINT: the 8259's INTA cycle */
        uint8_t vec = pic8259_acknowledge(&q->pic);
        if (x86vcpu_queue_interrupt(v, vec))
            q->queue_errors++;
        else
            q->ioapic_sent++;
        break;
    }
    default:                        /* SMI, INIT, reserved: not modelled */
        q->ioapic_dropped++;
        break;
    }
}

void irq_lapic_eoi(void *ctx, struct x86vcpu_vcpu *v, uint8_t vector)
{
    struct irq *q = ctx;
    (void)v;
    if (q && q->ioapic_on)
        vioapic_eoi(&q->ioapic, vector);
}

static int ioapic_read(void *dev, uint64_t addr, uint32_t size, uint64_t *val)
{
    struct irq *q = dev;
    /* Remote IRR and the lines as of now. */
    irq_update(q, irq_now(q));
    *val = vioapic_mmio_read(&q->ioapic, (uint32_t)(addr - VIOAPIC_BASE), size);
    return BUS_OK;
}

static int ioapic_write(void *dev, uint64_t addr, uint32_t size, uint64_t val)
{
    struct irq *q = dev;
    vioapic_mmio_write(&q->ioapic, (uint32_t)(addr - VIOAPIC_BASE), size, (uint32_t)val);
    return BUS_OK;
}

static const struct bus_ops ioapic_ops = { ioapic_read, ioapic_write };

/* With the library's local APIC only (irq.h). */
static int ioapic_attach(struct irq *q, struct vm *vm)
{
    q->ioapic_on = 0;
    q->ioapic_sent = q->ioapic_missed = q->ioapic_dropped = 0;
    if (!vm->lapic)
        return 0;
    if (vioapic_init(&q->ioapic, IRQ_IOAPIC_VERSION, ioapic_deliver, q))
        return -1;
    q->ioapic.id = (uint32_t)IRQ_IOAPIC_ID << 24;
    if (bus_add(&vm->bus, BUS_MMIO, VIOAPIC_BASE, VIOAPIC_SIZE, &ioapic_ops, q))
        return -1;
    /* Every access must exit to the bus, whatever the memory map did. */
    if (vm->ept && x86vcpu_ept_unmap(vm->ept, VIOAPIC_BASE, VIOAPIC_SIZE))
        return -1;
    q->ioapic_on = 1;
    return 0;
}

/* ------------------------------------------------------------ setup */
/* CMOS bytes the firmware leaves, as QEMU's pc_cmos_init writes them for
 * SeaBIOS: base memory 640 KiB (0x15/0x16), extended memory above 1 MiB in
 * KiB up to 65535 (0x17/0x18 and 0x30/0x31), memory above 16 MiB in 64 KiB
 * units up to 0xffff (0x34/0x35), none above 4 GiB (0x5b-0x5d). */
static void cmos_memory(struct rtc *r, uint64_t ram)
{
    uint64_t ext = ram > (1u << 20) ? (ram >> 10) - 1024 : 0;
    uint64_t hi = ram > (16u << 20) ? (ram - (16u << 20)) >> 16 : 0;
    if (ext > 0xffff)
        ext = 0xffff;
    if (hi > 0xffff)
        hi = 0xffff;
    rtc_nvram_set(r, 0x15, 640 & 0xff);
    rtc_nvram_set(r, 0x16, 640 >> 8);
    rtc_nvram_set(r, 0x17, (uint8_t)ext);
    rtc_nvram_set(r, 0x18, (uint8_t)(ext >> 8));
    rtc_nvram_set(r, 0x30, (uint8_t)ext);
    rtc_nvram_set(r, 0x31, (uint8_t)(ext >> 8));
    rtc_nvram_set(r, 0x34, (uint8_t)hi);
    rtc_nvram_set(r, 0x35, (uint8_t)(hi >> 8));
}

static int irq_inline_sync(struct vm *vm);

int irq_attach(struct irq *q, struct vm *vm, uint64_t hz, uint64_t epoch, uint64_t ram_size,
               uint16_t pm_tmr, uint8_t imr_master, uint8_t imr_slave)
{
    q->vm = vm;
    q->hz = hz;
    q->now = 0;
    q->last_tsc = 0;
    if (vm->v)
        x86vcpu_get_guest_tsc(vm->v, &q->last_tsc);
    q->injected = q->ignored = q->queue_errors = q->line_errors = 0;
    q->line_vcpu = 0;
    for (unsigned i = 0; i < IRQ_ISA_LINES; i++)
        q->levels[i] = 0;
    q->pm_tmr = pm_tmr;
    if (pit8254_init(&q->pit, hz) || rtc_init(&q->rtc, hz, epoch, 0) ||
        pmtimer_init(&q->pmt, hz, 0))
        return -1;
    pic8259_init(&q->pic);
    /* What a PC BIOS leaves (8259A data sheet ICW1-4; the IBM PC's
     * vectors 08h and 70h): edge, cascade on IR2, 8086 mode. */
    static const uint8_t init[][2] = {
        { 0x20, 0x11 }, { 0x21, 0x08 }, { 0x21, 0x04 }, { 0x21, 0x01 },
        { 0xa0, 0x11 }, { 0xa1, 0x70 }, { 0xa1, 0x02 }, { 0xa1, 0x01 },
    };
    for (unsigned i = 0; i < sizeof init / sizeof init[0]; i++)
        pic8259_port_write(&q->pic, init[i][0], init[i][1]);
    pic8259_port_write(&q->pic, 0x21, imr_master);
    pic8259_port_write(&q->pic, 0xa1, imr_slave);
    /* Counter 0: mode 3, LSB then MSB, count 0 = 65536 (18.2 Hz), as the
     * BIOS sets it; counter 2 left in mode 0 waiting for a count. */
    pit8254_port_write(&q->pit, 0x43, 0, 0x36);
    pit8254_port_write(&q->pit, 0x40, 0, 0);
    pit8254_port_write(&q->pit, 0x40, 0, 0);
    (void)pit8254_irq0_edges(&q->pit, 0);  /* the setup's own OUT0 rise is no tick */
    cmos_memory(&q->rtc, ram_size);

    int err = bus_add(&vm->bus, BUS_PIO, 0x20, 2, &pic_ops, q);
    err |= bus_add(&vm->bus, BUS_PIO, 0xa0, 2, &pic_ops, q);
    err |= bus_add(&vm->bus, BUS_PIO, 0x4d0, 2, &pic_ops, q);
    err |= bus_add(&vm->bus, BUS_PIO, 0x40, 4, &pit_ops, q);
    err |= bus_add(&vm->bus, BUS_PIO, 0x61, 1, &pit_ops, q);
    err |= bus_add(&vm->bus, BUS_PIO, 0x70, 2, &rtc_ops, q);
    if (pm_tmr)
        err |= bus_add(&vm->bus, BUS_PIO, pm_tmr, 4, &pmt_ops, q);
    err |= ioapic_attach(q, vm);
    vm->around_run = irq_around_run;
    vm->inline_sync = irq_inline_sync;
    return err ? -1 : 0;
}

/* ------------------------------------------------------------ the run */
void irq_update(struct irq *q, uint64_t now)
{
    /* OUT0 is edge-wired to IRQ0: edges merged since the last look are
     * one request, as the 8259's edge latch would make them. */
    if (pit8254_irq0_edges(&q->pit, now))
        irq_pulse(q, 0);
    irq_set(q, 8, rtc_irq(&q->rtc, now));
}

static struct irq *irq_of(struct vm *vm)
{
    const struct bus_range *r = bus_find(&vm->bus, BUS_PIO, 0x20);
    return r && r->ops == &pic_ops ? r->dev : 0;
}

/* The master PIC's INT output is the vCPU's INTR pin
 * (x86vcpu_set_intr_line): the library samples it at each VM entry and
 * runs the INTA cycle only when it injects the vector (irq.h, Delivery). */
static int intr_pending(void *ctx)
{
    return pic8259_has_interrupt(&((struct irq *)ctx)->pic);
}

static int intr_ack(void *ctx)
{
    struct irq *q = ctx;
    q->injected++;
    return pic8259_acknowledge(&q->pic);
}

int irq_timed_open(const struct irq *q)
{
    const struct pic8259_chip *m = &q->pic.c[0], *sl = &q->pic.c[1];
    /* The PIT's OUT0 on 8259 IR0: an edge matters while IR0 is unmasked
     * and its request not already latched (a latched one waits for the
     * guest's INTA, which the INTR line serves without a slice). */
    if (!(m->imr & 1) && !(m->irr & 1))
        return 1;
    /* The RTC's IRQ8 (slave IR0 through master IR2): only with one of its
     * interrupts enabled (register B PIE/AIE/UIE, MC146818). */
    int rtc_on = (q->rtc.ram[0x0b] & 0x70) != 0;
    if (rtc_on && !(sl->imr & 1) && !(sl->irr & 1) && !(m->imr & 4))
        return 1;
    /* Through the I/O APIC: GSI 2 (the PIT) or GSI 8 (the RTC) unmasked
     * (82093AA: bit 16 of the entry is its mask). */
    if (q->ioapic_on && (!(q->ioapic.rte[2] & (1ull << 16)) ||
                         (rtc_on && !(q->ioapic.rte[8] & (1ull << 16)))))
        return 1;
    return 0;
}

/* Time-slice exits only while a timed device can raise something the
 * guest would see (the LAPIC timer has its own deadline): a guest that
 * leaves the PIT and RTC masked runs without them. */
static int slice_wanted(const struct irq *q)
{
    return q->slice_ticks && irq_timed_open(q);
}

/* vm->inline_sync, after a port access served inside run()
 * (vm_port_inline): irq_update, as irq_around_run before the next entry
 * (a read of RTC register C drops IRQ8 there: a level EOI right after
 * must not see it still up); run() must return when irq_around_run has
 * more to do: the time slice to arm or disarm, the INTR line to give. */
static int irq_inline_sync(struct vm *vm)
{
    struct irq *q = irq_of(vm);
    if (!q)
        return 0;
    irq_update(q, irq_now(q));
    return q->line_vcpu != vm->v || slice_wanted(q) != q->slice_on;
}

void irq_around_run(struct vm *vm, int after)
{
    struct irq *q = irq_of(vm);
    if (after || !q || !vm->v)
        return;
    if (q->line_vcpu != vm->v) {
        const struct x86vcpu_intr_line line = { intr_pending, intr_ack, q };
        if (x86vcpu_set_intr_line(vm->v, &line))
            q->line_errors++;
        else
            q->line_vcpu = vm->v;
    }
    irq_update(q, irq_now(q));
    int want = slice_wanted(q);
    if (want != q->slice_on) {
        if (x86vcpu_set_time_slice(vm->v, want ? q->slice_ticks : 0))
            q->line_errors++;
        else
            q->slice_on = want;
    }
}
