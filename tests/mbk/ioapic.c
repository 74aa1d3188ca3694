/* tests/mbk/ioapic.c — the I/O APIC (issue 13; 82093AA data sheet) with the
 * local APIC in xAPIC mode, the 8259 pair masked (both IMRs 0xFF, LINT0
 * masked). Portable: bare Bochs has its own I/O APIC, the demo's
 * pic=virtual + lapic=virtual give the guest demo/dev/vioapic.c wired by
 * demo/pc/irq.c; both must print the same bytes, so only what both do is
 * checked in the main run, never counts or times:
 *   registers: version (max redirection entry 23, version 0x11 or 0x20),
 *     ID (bits 27:24 writable), arbitration (read-only), IOREGSEL read-back,
 *     every entry masked at boot, an entry's writable bits read back and
 *     its read-only ones (delivery status, remote IRR) not taken from a
 *     write; the MADT's I/O APIC entry (0xFEC00000, GSI base 0, the ID the
 *     ID register has) and ISA IRQ0's override to GSI 2;
 *   edge: the PIT's IRQ0 on GSI 2 (the PC's wiring, the MADT's interrupt
 *     source override), ISR set and TMR clear in the handler, HLT woken;
 *     masked: nothing, unmasked: it comes; a physical destination that is
 *     not this APIC gets nothing, broadcast (0xFF) and a logical (flat)
 *     destination matching LDR get it, one not matching nothing, lowest
 *     priority to a matching logical destination gets it;
 *   level: the RTC's periodic interrupt on GSI 8 (IRQ8 stays up until
 *     register C is read), TMR set in the handler; register C left unread
 *     at the first EOI: the interrupt comes again; masked while the line is
 *     up: nothing until the unmask.
 * strict=1 (guest runs: what bare Bochs 2.7 does not do, see below):
 *   remote IRR set in a level handler before its EOI and clear after, with
 *   the line still up the interrupt comes again at the EOI itself;
 *   reserved entry bits read 0.
 * testdev=1 (hypervisor only: QEMU's pc-testdev lines, port 0x2000 + n):
 *   GSIs 16-23 each with its own vector, level: the message waits in the
 *   LAPIC's IRR with IF = 0, remote IRR until the EOI, a line kept up
 *   comes again, a masked line at the unmask; edge on GSI 19: a rise while
 *   masked is lost (82093AA: "ignored"); the EOI register (0x40) ignored
 *   at version 0x11; delivery modes NMI (vector 2), ExtINT (the 8259's
 *   vector through the I/O APIC) and INIT (dropped: the guest runs on).
 * Bochs 2.7's I/O APIC (iodev/ioapic.cc) deviates from the 82093AA, so
 * these are not in the portable part: it never sets remote IRR (a level
 * line is sent again whenever the chip re-scans its pins, not at the EOI),
 * an edge that rises on a masked pin is kept and sent at the unmask, the
 * arbitration register reads 0, reserved entry bits read back as written,
 * a lowest-priority destination is matched as logical even in physical
 * mode, and an access to any register but IOREGSEL / IOWIN (the EOI register
 * too) or to an undefined index is a Bochs panic.
 * Command line: status=N, strict=1, testdev=1, verbose=1 (raw values as
 * notes; not in a compared run). */
#include "libtest.h"

#include "apicregs.h"

#define IOAPIC          0xFEC00000u
#define IOREGSEL        0x00
#define IOWIN           0x10
#define IOEOI           0x40
#define LAPIC           0xFEE00000u
#define XAPIC_LDR       0x0D0
#define XAPIC_DFR       0x0E0
#define XAPIC_TMR0      0x180
#define XAPIC_IRR0      0x200
#define XAPIC_LINT0     0x350
#define XAPIC_LINT1     0x360

#define RTE_DELIVS      (1u << 12)
#define RTE_RIRR        (1u << 14)
#define RTE_LEVEL       (1u << 15)
#define RTE_MASKED      (1u << 16)
#define RTE_LOGICAL     (1u << 11)
#define DM_FIXED        (0u << 8)
#define DM_LOWEST       (1u << 8)
#define DM_SMI          (2u << 8)
#define DM_NMI          (4u << 8)
#define DM_INIT         (5u << 8)
#define DM_EXTINT       (7u << 8)

#define VEC_PIT         0x50
#define VEC_RTC         0x58
#define VEC_TD          0x60        /* + n - 16 for pc-testdev line n */
#define VEC_SPURIOUS    0xFF
#define GSI_PIT         2
#define GSI_RTC         8

static int verbose, strict;
static u32 apic_id;

/* ---------------------------------------------------------- registers */
/* Callers run with IF = 0: handlers use IOREGSEL too. */
static u32 io_rd(u32 reg)
{
    mmio_write32(IOAPIC + IOREGSEL, reg);
    return mmio_read32(IOAPIC + IOWIN);
}

static void io_wr(u32 reg, u32 v)
{
    mmio_write32(IOAPIC + IOREGSEL, reg);
    mmio_write32(IOAPIC + IOWIN, v);
}

static u32 rte_lo(u32 pin) { return io_rd(0x10 + 2 * pin); }
static u32 rte_hi(u32 pin) { return io_rd(0x11 + 2 * pin); }
static void rte_set(u32 pin, u32 lo, u32 dest)
{
    io_wr(0x10 + 2 * pin, lo | RTE_MASKED);     /* masked while the halves disagree */
    io_wr(0x11 + 2 * pin, dest << 24);
    io_wr(0x10 + 2 * pin, lo);
}

static u32 xr(u32 off) { return mmio_read32(LAPIC + off); }
static void xw(u32 off, u32 v) { mmio_write32(LAPIC + off, v); }
static u32 vec_bit(u32 base, u32 vec) { return (xr(base + (vec / 32) * 0x10) >> (vec % 32)) & 1; }
static void eoi(void) { xw(XAPIC_EOI, 0); }

static u8 cmos_rd(u8 r) { outb(0x70, r); return inb(0x71); }
static void cmos_wr(u8 r, u8 v) { outb(0x70, r); outb(0x71, v); }

/* ------------------------------------------------------------ handlers */
static volatile u32 n_pit, n_rtc, n_td[8], n_nmi, n_extint, n_spurious;
static volatile u32 pit_isr, pit_tmr, rtc_tmr, rtc_rirr, rtc_rirr2;
static volatile int rtc_mode;       /* 0: read C; 1: leave C unread once */
static volatile u32 td_rirr, td_isr;
static volatile int td_keep;        /* handler leaves the line up this many times */

static void on_pit(struct trap_frame *f)
{
    (void)f;
    n_pit++;
    pit_isr = vec_bit(XAPIC_ISR0, VEC_PIT);
    pit_tmr = vec_bit(XAPIC_TMR0, VEC_PIT);
    eoi();
}

static void on_rtc(struct trap_frame *f)
{
    (void)f;
    u32 n = ++n_rtc;
    rtc_tmr = vec_bit(XAPIC_TMR0, VEC_RTC);
    if (rtc_mode == 1 && n == 1) {
        rtc_rirr = rte_lo(GSI_RTC) & RTE_RIRR;
        eoi();                      /* IRQ8 still up: it comes again */
        return;
    }
    if (rtc_mode == 1) {
        rtc_rirr2 = rte_lo(GSI_RTC) & RTE_RIRR;
        cmos_wr(0x0b, (u8)(cmos_rd(0x0b) & ~0x40));  /* no more periods */
    }
    (void)cmos_rd(0x0c);            /* IRQ8 falls */
    eoi();
}

static void on_td(struct trap_frame *f)
{
    u32 n = f->vec - VEC_TD;
    n_td[n]++;
    td_isr = vec_bit(XAPIC_ISR0, f->vec);
    td_rirr = rte_lo(16 + n) & RTE_RIRR;
    if (td_keep > 0)
        td_keep--;
    else
        outb((u16)(0x2010 + n), 0);
    eoi();
}

static void on_nmi(struct trap_frame *f) { (void)f; n_nmi++; }
static void on_extint(struct trap_frame *f) { (void)f; n_extint++; outb(0x20, 0x20); }
static void on_spurious(struct trap_frame *f) { (void)f; n_spurious++; }

/* ------------------------------------------------------------ helpers */
/* Waits with IF = 1 until *cnt reaches target (polled, bounded). */
static int wait_for(volatile u32 *cnt, u32 target)
{
    sti();
    for (u32 i = 0; i < 20000000u && *cnt < target; i++)
        cpu_pause();
    cli();
    return *cnt >= target;
}

/* IF = 1 a moment: what waits in the LAPIC's IRR is taken. */
static void drain(void)
{
    sti();
    spin(1000);
    cli();
}

/* PIT counter 0 count now (counter latch command). */
static u16 pit_count(void)
{
    outb(0x43, 0x00);
    u8 lo = inb(0x40);
    return (u16)(lo | inb(0x40) << 8);
}

/* IF = 1 for n whole periods of PIT counter 0 (mode 2: the count jumps up
 * at each reload, when OUT0 pulses). */
static void pit_periods(u32 n)
{
    u16 last = pit_count();
    sti();
    for (u32 i = 0; i < 50000000u && n; i++) {
        u16 c = pit_count();
        if (c > last)
            n--;
        last = c;
    }
    cli();
}

/* ------------------------------------------------------------- tests */
static u32 rd32p(u32 a) { return *(const volatile u32 *)(uintptr_t)a; }
static u8 rd8p(u32 a) { return *(const volatile u8 *)(uintptr_t)a; }
static u8 sum8(u32 addr, u32 len)
{
    u8 s = 0;
    for (u32 i = 0; i < len; i++)
        s = (u8)(s + rd8p(addr + i));
    return s;
}

/* The MADT's I/O APIC entry and ISA IRQ0's override (ACPI 6.5 5.2.12.3). */
static void test_madt(void)
{
    u32 rsdp = 0, madt = 0;
    for (u32 a = 0xE0000; a < 0x100000 && !rsdp; a += 16)
        if (memcmp((const void *)(uintptr_t)a, "RSD PTR ", 8) == 0 && sum8(a, 20) == 0)
            rsdp = a;
    if (!check(rsdp != 0, "ACPI RSDP found"))
        return;
    u32 rsdt = rd32p(rsdp + 16), len = rd32p(rsdt + 4);
    for (u32 o = 36; o + 4 <= len && len < 0x1000 && !madt; o += 4) {
        u32 t = rd32p(rsdt + o);
        if (memcmp((const void *)(uintptr_t)t, "APIC", 4) == 0)
            madt = t;
    }
    if (!check(madt != 0, "MADT found"))
        return;
    u32 mlen = rd32p(madt + 4), n = 0, addr = 0, gsi = 0, id = 0, irq0 = 0xffffffffu;
    for (u32 o = 44; o + 2 <= mlen; o += rd8p(madt + o + 1)) {
        if (rd8p(madt + o + 1) < 2)
            break;
        if (rd8p(madt + o) == 1) {
            n++;
            id = rd8p(madt + o + 2);
            addr = rd32p(madt + o + 4);
            gsi = rd32p(madt + o + 8);
        }
        if (rd8p(madt + o) == 2 && rd8p(madt + o + 2) == 0 && rd8p(madt + o + 3) == 0)
            irq0 = rd32p(madt + o + 4);     /* ISA IRQ0's override (5.2.12.5) */
    }
    if (verbose)
        note("MADT: %u I/O APIC(s), last: ID %u at 0x%x, GSI base %u; IRQ0 -> GSI 0x%x", n, id,
             addr, gsi, irq0);
    check_eq(n, 1, "MADT: one I/O APIC");
    check_eq(addr, IOAPIC, "MADT: I/O APIC at 0xFEC00000");
    check_eq(gsi, 0, "MADT: I/O APIC GSI base 0");
    check_eq(io_rd(0x00), id << 24, "ID register: the MADT's I/O APIC ID");
    check_eq(irq0, GSI_PIT, "MADT: ISA IRQ0 -> GSI 2 (interrupt source override)");
}

static void test_registers(void)
{
    u32 ver = io_rd(0x01);
    if (verbose)
        note("version register 0x%08x, ID 0x%08x, arbitration 0x%08x", ver, io_rd(0x00),
             io_rd(0x02));
    check_eq((ver >> 16) & 0xff, 23, "version register: maximum redirection entry 23");
    check((ver & 0xff) == 0x11 || (ver & 0xff) == 0x20, "version register: version 0x11 or 0x20");
    check_eq(ver & 0xff00ff00u, 0, "version register: reserved bits 0");

    u32 id = io_rd(0x00);
    io_wr(0x00, 0x0A000000u);
    u32 id2 = io_rd(0x00);
    io_wr(0x00, id);
    check_eq(id2, 0x0A000000u, "ID register: bits 27:24 writable");
    check_eq(io_rd(0x00), id, "ID register: restored");
    check_eq(id & 0xf0ffffffu, 0, "ID register: bits other than 27:24 read 0");

    u32 arb = io_rd(0x02);
    io_wr(0x02, 0x0F000000u);
    check_eq(io_rd(0x02), arb, "arbitration register: read-only");
    check_eq(arb & 0xf0ffffffu, 0, "arbitration register: bits other than 27:24 read 0");

    mmio_write32(IOAPIC + IOREGSEL, 0x12);
    check_eq(mmio_read32(IOAPIC + IOREGSEL), 0x12, "IOREGSEL reads back");

    u32 unmasked = 0;
    for (u32 pin = 0; pin < 24; pin++)
        unmasked += !(rte_lo(pin) & RTE_MASKED);
    check_eq(unmasked, 0, "every redirection entry masked at boot");

    /* Pin 20: no device on it. Vector 0xB5, lowest priority, logical,
     * active low, level, masked; delivery status and remote IRR written 1. */
    u32 lo0 = rte_lo(20), hi0 = rte_hi(20);
    u32 w = 0xB5 | DM_LOWEST | RTE_LOGICAL | (1u << 13) | RTE_LEVEL | RTE_MASKED;
    io_wr(0x10 + 2 * 20, w | RTE_DELIVS | RTE_RIRR);
    io_wr(0x11 + 2 * 20, 0xA5000000u);
    u32 lo = rte_lo(20), hi = rte_hi(20);
    if (verbose)
        note("entry 20: wrote 0x%08x 0x%08x, read 0x%08x 0x%08x", w | RTE_DELIVS | RTE_RIRR,
             0xA5000000u, lo, hi);
    check_eq(lo, w, "entry: vector, delivery/destination mode, polarity, trigger, mask read back");
    check_eq(hi, 0xA5000000u, "entry: destination (63:56) reads back");
    check_eq(lo & (RTE_DELIVS | RTE_RIRR), 0, "entry: delivery status, remote IRR not written");
    if (strict) {
        io_wr(0x10 + 2 * 20, w | 0xfffe0000u);
        io_wr(0x11 + 2 * 20, 0xA5ffffffu);
        check_eq(rte_lo(20), w, "entry: reserved bits 31:17 read 0 (82093AA)");
        check_eq(rte_hi(20), 0xA5000000u, "entry: reserved bits 55:32 read 0 (82093AA)");
    }
    io_wr(0x10 + 2 * 20, lo0);
    io_wr(0x11 + 2 * 20, hi0);
}

/* PIT counter 0, mode 2, 100 Hz: IRQ0 edges on GSI 2. */
static void test_edge(void)
{
    u32 hlts, spur;
    outb(0x43, 0x34);
    outb(0x40, 11932 & 0xff);
    outb(0x40, 11932 >> 8);
    rte_set(GSI_PIT, VEC_PIT | DM_FIXED, apic_id);
    int r = wait_irqs(&n_pit, 3, 0, &hlts, &spur);
    check_eq((u32)r, 0, "PIT IRQ0 on GSI 2, edge, fixed, physical: x3");
    check(hlts >= 1 && spur == 0, "GSI 2 wakes HLT (no wake-up without it)");
    check_eq(pit_isr, 1, "edge: ISR bit set in the handler");
    check_eq(pit_tmr, 0, "edge: TMR bit clear in the handler");
    check_eq(rte_lo(GSI_PIT) & (RTE_RIRR | RTE_DELIVS), 0, "edge: remote IRR and delivery status 0");

    /* Masked: nothing over 3 periods; unmasked: it comes. A message sent
     * before the mask may wait in the LAPIC's IRR: taken first. */
    io_wr(0x10 + 2 * GSI_PIT, VEC_PIT | RTE_MASKED);
    drain();
    u32 n = n_pit;
    pit_periods(3);
    check_eq(n_pit, n, "GSI 2 masked: no interrupt over 3 PIT periods");
    io_wr(0x10 + 2 * GSI_PIT, VEC_PIT);
    check(wait_for(&n_pit, n + 1), "GSI 2 unmasked: the interrupt comes");

    /* Destinations. */
    xw(XAPIC_DFR, 0xffffffffu);                     /* flat model */
    xw(XAPIC_LDR, 0x01000000u);
    rte_set(GSI_PIT, VEC_PIT, (apic_id + 1) & 0x0f);
    drain();
    n = n_pit;
    pit_periods(3);
    check_eq(n_pit, n, "physical destination another APIC ID: no interrupt");
    rte_set(GSI_PIT, VEC_PIT | RTE_LOGICAL, 0x02);
    pit_periods(3);
    check_eq(n_pit, n, "logical destination not in LDR: no interrupt");
    rte_set(GSI_PIT, VEC_PIT | RTE_LOGICAL, 0x01);
    check(wait_for(&n_pit, n + 1), "logical destination in LDR (flat): the interrupt comes");
    n = n_pit;
    rte_set(GSI_PIT, VEC_PIT, 0xff);
    check(wait_for(&n_pit, n + 1), "physical broadcast 0xFF: the interrupt comes");
    /* Lowest priority, logical (Bochs matches a lowest-priority
     * destination as logical even in physical mode). */
    n = n_pit;
    rte_set(GSI_PIT, VEC_PIT | DM_LOWEST | RTE_LOGICAL, 0x01);
    check(wait_for(&n_pit, n + 1), "lowest priority, logical destination in LDR: the interrupt comes");
    io_wr(0x10 + 2 * GSI_PIT, VEC_PIT | RTE_MASKED);
    pit_periods(1);
}

/* RTC periodic interrupt (1024 Hz), level on GSI 8. */
static void test_level(void)
{
    u32 hlts, spur;
    u8 b = cmos_rd(0x0b);
    (void)cmos_rd(0x0c);
    rte_set(GSI_RTC, VEC_RTC | RTE_LEVEL, apic_id);
    cmos_wr(0x0b, (u8)(b | 0x40));                  /* PIE */
    int r = wait_irqs(&n_rtc, 3, 0, &hlts, &spur);
    cmos_wr(0x0b, b);
    (void)cmos_rd(0x0c);
    check_eq((u32)r, 0, "RTC IRQ8 on GSI 8, level: x3");
    check(hlts >= 1 && spur == 0, "GSI 8 wakes HLT (no wake-up without it)");
    check_eq(rtc_tmr, 1, "level: TMR bit set in the handler");
    check_eq(rte_lo(GSI_RTC) & RTE_RIRR, 0, "level: remote IRR clear after the EOI");

    /* Register C unread at the first EOI: IRQ8 stays up, so it comes again
     * (82093AA: at the EOI; Bochs: at its next scan of the pins, made at
     * once by rewriting the entry). */
    rtc_mode = 1;
    n_rtc = 0;
    cmos_wr(0x0b, (u8)(b | 0x40));
    int got1 = wait_for(&n_rtc, 1);
    u32 at_eoi = n_rtc;
    if (at_eoi < 2)
        io_wr(0x10 + 2 * GSI_RTC, VEC_RTC | RTE_LEVEL);
    int got2 = wait_for(&n_rtc, 2);
    cmos_wr(0x0b, b);
    (void)cmos_rd(0x0c);
    rtc_mode = 0;
    check(got1 && got2, "level: IRQ8 left up at the EOI is delivered again");
    check_eq(n_rtc, 2, "level: once more only (register C read the second time)");
    if (strict) {
        check_eq(at_eoi, 2, "level: delivered again at the EOI itself (82093AA)");
        check_eq(rtc_rirr, RTE_RIRR, "level: remote IRR set in the handler before the EOI");
        check_eq(rtc_rirr2, RTE_RIRR, "level: remote IRR set again by the redelivery");
    }
    check_eq(rte_lo(GSI_RTC) & RTE_RIRR, 0, "level: remote IRR clear after the last EOI");

    /* Masked while IRQ8 is up: nothing until the unmask. */
    io_wr(0x10 + 2 * GSI_RTC, VEC_RTC | RTE_LEVEL | RTE_MASKED);
    n_rtc = 0;
    cmos_wr(0x0b, (u8)(b | 0x40));
    /* Two PIT periods (20 ms) are many RTC periods (1 ms): IRQ8 is up,
     * unread register C keeps it there. */
    pit_periods(2);
    check_eq(n_rtc, 0, "level: masked with IRQ8 up: no interrupt");
    io_wr(0x10 + 2 * GSI_RTC, VEC_RTC | RTE_LEVEL);
    check(wait_for(&n_rtc, 1), "level: unmasked with IRQ8 up: the interrupt comes");
    cmos_wr(0x0b, b);
    (void)cmos_rd(0x0c);
    io_wr(0x10 + 2 * GSI_RTC, VEC_RTC | RTE_LEVEL | RTE_MASKED);
    (void)cmos_rd(0x0c);
}

/* ------------------------------------------------- pc-testdev's lines */
static void td_line(u32 n, int level) { outb((u16)(0x2010 + n), (u8)level); }

static void test_testdev(void)
{
    u32 ver = io_rd(0x01) & 0xff;
    /* Every GSI 16-23 with its own vector, level. */
    for (u32 n = 0; n < 8; n++)
        rte_set(16 + n, (VEC_TD + n) | RTE_LEVEL, apic_id);
    u32 bad = 0;
    for (u32 n = 0; n < 8; n++) {
        td_line(n, 1);
        if (!wait_for(&n_td[n], 1))
            bad++;
        for (u32 k = 0; k < 8; k++)
            bad += n_td[k] != (k <= n);
    }
    check_eq(bad, 0, "GSIs 16-23: each line raised once, its own vector delivered once");

    /* GSI 16 with IF = 0: the message waits in IRR, remote IRR set. */
    td_line(0, 1);
    check_eq(vec_bit(XAPIC_IRR0, VEC_TD), 1, "GSI 16 level, IF = 0: the vector in the LAPIC's IRR");
    check_eq(vec_bit(XAPIC_TMR0, VEC_TD), 1, "GSI 16 level: TMR bit set");
    check_eq(rte_lo(16) & RTE_RIRR, RTE_RIRR, "GSI 16 level: remote IRR set until the EOI");
    /* The EOI register is version 0x20's: ignored at 0x11. */
    if (ver == 0x11) {
        mmio_write32(IOAPIC + IOEOI, VEC_TD);
        check_eq(rte_lo(16) & RTE_RIRR, RTE_RIRR, "version 0x11: the EOI register is ignored");
    } else {
        /* Version 0x20: the EOI register clears remote IRR; the line is
         * still up, so the message is sent again (the same vector, already
         * in IRR: one interrupt). */
        mmio_write32(IOAPIC + IOEOI, VEC_TD);
        check_eq(vec_bit(XAPIC_IRR0, VEC_TD), 1, "version 0x20: EOI register, line up: sent again");
    }
    check(wait_for(&n_td[0], 2), "GSI 16: delivered at STI");
    check_eq(td_isr, 1, "GSI 16: ISR bit set in the handler");
    check_eq(td_rirr, RTE_RIRR, "GSI 16: remote IRR set in the handler");
    check_eq(rte_lo(16) & RTE_RIRR, 0, "GSI 16: remote IRR clear after the EOI");

    /* Line left up at the first EOI: again at once; a second rise while
     * remote IRR is set sends nothing more. */
    td_keep = 1;
    td_line(1, 1);
    check(wait_for(&n_td[1], 3), "GSI 17 level, line up at the EOI: delivered again");
    check_eq(n_td[1], 3, "GSI 17: exactly once more");

    /* Masked while up: nothing; the unmask sends it. */
    io_wr(0x10 + 2 * 18, (VEC_TD + 2) | RTE_LEVEL | RTE_MASKED);
    td_line(2, 1);
    u32 n = n_td[2];
    sti();
    spin(10000);
    cli();
    check_eq(n_td[2], n, "GSI 18 masked while up: no interrupt");
    io_wr(0x10 + 2 * 18, (VEC_TD + 2) | RTE_LEVEL);
    check(wait_for(&n_td[2], n + 1), "GSI 18 unmasked while up: the interrupt comes");

    /* Edge: one message per rise; a rise while masked is lost. */
    rte_set(19, VEC_TD + 3, apic_id);
    td_keep = 1000;             /* the handler does not touch the line */
    n = n_td[3];
    td_line(3, 1);
    check(wait_for(&n_td[3], n + 1), "GSI 19 edge: the rise delivered");
    td_line(3, 1);
    sti();
    spin(10000);
    cli();
    check_eq(n_td[3], n + 1, "GSI 19 edge: a level held is one interrupt");
    td_line(3, 0);
    io_wr(0x10 + 2 * 19, (VEC_TD + 3) | RTE_MASKED);
    td_line(3, 1);
    io_wr(0x10 + 2 * 19, VEC_TD + 3);
    sti();
    spin(10000);
    cli();
    check_eq(n_td[3], n + 1, "GSI 19 edge: a rise while masked is lost (82093AA)");
    td_line(3, 0);
    td_line(3, 1);
    check(wait_for(&n_td[3], n + 2), "GSI 19 edge: the next rise delivered");
    td_line(3, 0);
    td_keep = 0;

    /* Delivery modes. NMI (edge; the vector is ignored). */
    rte_set(20, 0x33 | DM_NMI, apic_id);
    td_line(4, 1);
    check_eq(n_nmi, 1, "GSI 20 NMI delivery mode: an NMI (vector 2)");
    td_line(4, 0);
    io_wr(0x10 + 2 * 20, RTE_MASKED);
    /* ExtINT: the 8259's vector, acknowledged through the I/O APIC (IRQ5
     * unmasked at the 8259, whose INTR reaches the CPU through LINT0
     * only, masked here). */
    outb(0x21, 0xdf);
    rte_set(21, DM_EXTINT, apic_id);
    outb(0x2005, 1);            /* ISA IRQ5: 8259 IR5 and GSI 5 (masked) */
    td_line(5, 1);
    check(wait_for(&n_extint, 1), "GSI 21 ExtINT: the 8259's IRQ5 vector delivered");
    outb(0x2005, 0);
    td_line(5, 0);
    outb(0x21, 0xff);
    io_wr(0x10 + 2 * 21, RTE_MASKED);
    /* INIT: dropped by the demo (no INIT/SIPI in the library yet). */
    rte_set(22, DM_INIT, apic_id);
    td_line(6, 1);
    td_line(6, 0);
    check(1, "GSI 22 INIT delivery mode: the guest runs on");
    io_wr(0x10 + 2 * 22, RTE_MASKED);
    for (u32 k = 0; k < 8; k++) {
        td_line(k, 0);
        io_wr(0x10 + 2 * (16 + k), RTE_MASKED);
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    verbose = (int)arg_u32("verbose", 0);
    strict = (int)arg_u32("strict", 0);
    note("%s: multiboot test kernel", kernel_name());
    cli();
    pic_remap_mask();                   /* the 8259s: nothing of theirs */
    trap_set_handler(VEC_PIT, on_pit);
    trap_set_handler(VEC_RTC, on_rtc);
    for (u32 n = 0; n < 8; n++)
        trap_set_handler(VEC_TD + n, on_td);
    trap_set_handler(2, on_nmi);
    trap_set_handler(PIC_VEC_BASE + 5, on_extint);
    trap_set_handler(VEC_SPURIOUS, on_spurious);
    xw(XAPIC_SVR, 0x100 | VEC_SPURIOUS);
    xw(XAPIC_TPR, 0);
    xw(XAPIC_LINT0, LVT_MASKED | 0x700);    /* no ExtINT through LINT0 */
    apic_id = xr(XAPIC_ID) >> 24;
    test_madt();
    test_registers();
    test_edge();
    test_level();
    if (arg_u32("testdev", 0))
        test_testdev();
    check_eq(n_spurious, 0, "no spurious-vector interrupts");
    check_eq(stray_irqs, 0, "no stray interrupts");
    return report_summary();
}
