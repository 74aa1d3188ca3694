/* tests/mbk/apic.c — the PC platform a kvm-unit-tests style kernel uses,
 * as the real (Bochs) devices: local APIC in xAPIC mode (timer periodic and
 * one-shot, self-IPI, EOI), PIT channel 0 through the 8259 pair, the CMOS
 * RTC date, ACPI (RSDP, RSDT, FADT -> PM timer, MADT -> IOAPIC), port 0x80,
 * then x2APIC (EXTD): version, timer and EOI via MSRs, SELF_IPI MSR.
 * Portable: no QEMU-only device; IA32_APIC_BASE is only read before the
 * x2APIC switch (EN is never cleared). Interrupt waits use `sti; hlt`
 * after a first, polled, interrupt (wait_irqs).
 * bench=1 (issue 13; not in the bare run, whose output must not vary):
 * "# BENCH" notes with TSC ticks per operation: xAPIC TPR write + read,
 * EOI, self-IPI round trip; the same through the x2APIC MSRs. */
#include "libtest.h"

#include "apicregs.h"
#define APIC_EN         (1u << 11)
#define APIC_EXTD       (1u << 10)
#define APIC_BSP        (1u << 8)

#define VEC_TIMER       0x40
#define VEC_ONESHOT     0x41
#define VEC_IPI         0x42
#define VEC_X2TIMER     0x43
#define VEC_X2IPI       0x44
#define VEC_SPURIOUS    0xFF
#define VEC_IRQ0        (PIC_VEC_BASE + 0)

#define TIMER_PERIOD    500000u
#define ONESHOT_COUNT   200000u

static u32 apic_base = 0xFEE00000u;
static int x2apic_mode;
static volatile u32 n_timer, n_oneshot, n_ipi, n_x2timer, n_x2ipi, n_irq0, n_spurious;

static u32 xr(u32 off) { return mmio_read32(apic_base + off); }
static void xw(u32 off, u32 v) { mmio_write32(apic_base + off, v); }

static u32 x2r(u32 off)
{
    u64 v = 0;
    rdmsr_safe(X2APIC_MSR(off), &v);
    return (u32)v;
}
static int x2w(u32 off, u64 v) { return wrmsr_safe(X2APIC_MSR(off), v); }

static void apic_eoi(void)
{
    if (x2apic_mode)
        x2w(XAPIC_EOI, 0);
    else
        xw(XAPIC_EOI, 0);
}

static void on_timer(struct trap_frame *f)   { (void)f; n_timer++; apic_eoi(); }
static void on_oneshot(struct trap_frame *f) { (void)f; n_oneshot++; apic_eoi(); }
static void on_ipi(struct trap_frame *f)     { (void)f; n_ipi++; apic_eoi(); }
static void on_x2timer(struct trap_frame *f) { (void)f; n_x2timer++; apic_eoi(); }
static void on_x2ipi(struct trap_frame *f)   { (void)f; n_x2ipi++; apic_eoi(); }
static void on_spurious(struct trap_frame *f) { (void)f; n_spurious++; }
static void on_irq0(struct trap_frame *f)    { (void)f; n_irq0++; outb(0x20, 0x20); }

static int xapic_timer_armed(void) { return xr(XAPIC_TMCCT) != 0; }
static int x2apic_timer_armed(void) { return x2r(XAPIC_TMCCT) != 0; }

static void report_wait(int r, u32 hlts, u32 spurious, u32 want_hlts, const char *what)
{
    check_eq((u32)r, 0, "%s: all interrupts arrived", what);
    check_eq(hlts, want_hlts, "%s: HLTs executed (each woken by the interrupt)", what);
    check_eq(spurious, 0, "%s: HLT wake-ups without the interrupt", what);
}

/* ---------------------------------------------------------------- bench */
#define BENCH_N 200u
#define XAPIC_SELF_IPI_OFF 0x3F0   /* x2APIC only: MSR 83FH */
static int bench;

static u64 tsc_now(void)
{
    u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

static void bench_note(const char *what, u64 t0, u64 t1)
{
    note("BENCH %s: %u ticks/op", what, (u32)((t1 - t0) / BENCH_N));
}

/* TPR write + read, EOI (nothing in service: the write alone) and a
 * self-IPI taken and ended, each BENCH_N times. */
static void run_bench(int x2, u32 vec, volatile u32 *count)
{
    const char *m = x2 ? "x2APIC" : "xAPIC";
    char name[64];
    u64 t0 = tsc_now();
    for (u32 i = 0; i < BENCH_N; i++) {
        if (x2) {
            x2w(XAPIC_TPR, 0x10);
            (void)x2r(XAPIC_TPR);
        } else {
            xw(XAPIC_TPR, 0x10);
            (void)xr(XAPIC_TPR);
        }
    }
    u64 t1 = tsc_now();
    if (x2)
        x2w(XAPIC_TPR, 0);
    else
        xw(XAPIC_TPR, 0);
    snprintf(name, sizeof name, "%s TPR write + read", m);
    bench_note(name, t0, t1);
    t0 = tsc_now();
    for (u32 i = 0; i < BENCH_N; i++)
        apic_eoi();
    t1 = tsc_now();
    snprintf(name, sizeof name, "%s EOI write", m);
    bench_note(name, t0, t1);
    u32 start = *count;
    t0 = tsc_now();
    for (u32 i = 0; i < BENCH_N; i++) {
        u32 before = *count;
        if (x2)
            x2w(XAPIC_SELF_IPI_OFF, vec);
        else
            xw(XAPIC_ICR_LO, vec | (1u << 14) | (1u << 18));
        sti();
        for (u32 k = 0; k < 100000 && *count == before; k++)
            cpu_pause();
        cli();
    }
    t1 = tsc_now();
    snprintf(name, sizeof name, "%s self-IPI round trip", m);
    bench_note(name, t0, t1);
    check_eq(*count - start, BENCH_N, "%s bench: every self-IPI arrived", m);
}

static u32 isr_pending(void)
{
    u32 any = 0;
    for (u32 i = 0; i < 8; i++)
        any |= x2apic_mode ? x2r(XAPIC_ISR0 + i * 0x10) : xr(XAPIC_ISR0 + i * 0x10);
    return any;
}

/* ----------------------------------------------------------------- xAPIC */
static u32 xapic_version;

static void test_xapic(void)
{
    u64 base = 0;
    u32 a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    check(d & (1u << 9), "CPUID.1:EDX.APIC");
    check_fault(rdmsr_safe(MSR_APIC_BASE, &base), NOFAULT, "RDMSR IA32_APIC_BASE");
    note("IA32_APIC_BASE 0x%llx", base);
    check(base & APIC_EN, "APIC globally enabled (EN)");
    check(base & APIC_BSP, "BSP flag set");
    check(!(base & APIC_EXTD), "xAPIC mode at boot (EXTD clear)");
    apic_base = (u32)base & 0xFFFFF000u;
    check_eq(apic_base, 0xFEE00000u, "APIC base address");

    xapic_version = xr(XAPIC_VER);
    note("xAPIC version register 0x%08x, ID register 0x%08x", xapic_version, xr(XAPIC_ID));
    check((xapic_version & 0xFF) >= 0x10 && (xapic_version & 0xFF) <= 0x15,
          "xAPIC version is an integrated APIC (0x10-0x15)");
    check(((xapic_version >> 16) & 0xFF) >= 3, "xAPIC max LVT entry >= 3");
    check_eq(xr(XAPIC_ID) >> 24, 0, "xAPIC ID of the BSP");

    xw(XAPIC_SVR, 0x100 | VEC_SPURIOUS);
    check_eq(xr(XAPIC_SVR) & 0x1FF, 0x100 | VEC_SPURIOUS, "SVR software enable reads back");

    /* Periodic timer: 5 interrupts. */
    u32 hlts, spur;
    xw(XAPIC_TDCR, 0xB);                /* divide by 1 */
    xw(XAPIC_LVT_TIMER, VEC_TIMER | LVT_PERIODIC);
    check_eq(xr(XAPIC_LVT_TIMER) & 0x700FF, VEC_TIMER | LVT_PERIODIC, "LVT timer reads back");
    xw(XAPIC_TMICT, TIMER_PERIOD);
    int r = wait_irqs(&n_timer, 5, xapic_timer_armed, &hlts, &spur);
    xw(XAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    xw(XAPIC_TMICT, 0);
    report_wait(r, hlts, spur, 4, "xAPIC periodic timer x5");
    check_eq(n_timer, 5, "xAPIC periodic timer interrupts");
    check_eq(isr_pending(), 0, "ISR clear after EOIs");

    /* One-shot: fires once. */
    xw(XAPIC_LVT_TIMER, VEC_ONESHOT);
    xw(XAPIC_TMICT, ONESHOT_COUNT);
    r = wait_irqs(&n_oneshot, 1, NULL, &hlts, &spur);
    check_eq((u32)r, 0, "xAPIC one-shot timer fires");
    check_eq(xr(XAPIC_TMCCT), 0, "one-shot current count 0 after firing");
    sti();
    spin(4 * ONESHOT_COUNT);
    cli();
    check_eq(n_oneshot, 1, "one-shot timer fired exactly once");
    xw(XAPIC_LVT_TIMER, LVT_MASKED | VEC_ONESHOT);

    /* Self-IPI through the ICR (fixed, shorthand self). */
    xw(XAPIC_ICR_HI, 0);
    xw(XAPIC_ICR_LO, VEC_IPI | (1u << 14) | (1u << 18));
    u32 i;
    for (i = 0; i < 100000 && (xr(XAPIC_ICR_LO) & (1u << 12)); i++)
        cpu_pause();
    check(!(xr(XAPIC_ICR_LO) & (1u << 12)), "ICR delivery status idle after send");
    r = wait_irqs(&n_ipi, 1, NULL, &hlts, &spur);
    check_eq(n_ipi, 1, "xAPIC self-IPI delivered");
    check_eq(isr_pending(), 0, "ISR clear after self-IPI EOI");
    if (bench)
        run_bench(0, VEC_IPI, &n_ipi);
}

/* ------------------------------------------------------------ PIT + 8259 */
static void test_pit_pic(void)
{
    u32 hlts, spur;
    outb(0x43, 0x34);                   /* channel 0, lo/hi, mode 2, binary */
    outb(0x40, 11932 & 0xFF);           /* ~100 Hz */
    outb(0x40, 11932 >> 8);
    outb(0x21, 0xFE);                   /* unmask IRQ0 only */
    outb(0xA1, 0xFF);
    check_eq(inb(0x21), 0xFE, "master PIC IMR reads back (IRQ0 unmasked)");
    int r = wait_irqs(&n_irq0, 3, NULL, &hlts, &spur);
    outb(0x21, 0xFF);
    report_wait(r, hlts, spur, 2, "PIT IRQ0 x3");
    check_eq(n_irq0, 3, "PIT IRQ0 interrupts through the 8259");
    outb(0x20, 0x0B);                   /* OCW3: read ISR */
    check_eq(inb(0x20), 0, "8259 ISR clear after EOIs");
    outb(0x20, 0x0A);                   /* OCW3: back to IRR */
    check_eq(inb(0x21), 0xFF, "master PIC masked again");
}

/* ------------------------------------------------------------------- RTC */
static u8 cmos(u8 reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static u32 bcd(u8 v, int binary)
{
    return binary ? v : (u32)(v >> 4) * 10 + (v & 15);
}

static void test_rtc(void)
{
    u32 i;
    for (i = 0; i < 1000000 && (cmos(0x0A) & 0x80); i++)
        cpu_pause();
    u8 regb = cmos(0x0B);
    int bin = regb & 4;
    u32 day = bcd(cmos(0x07), bin), mon = bcd(cmos(0x08), bin);
    u32 year = bcd(cmos(0x09), bin), cent = bcd(cmos(0x32), bin);
    note("RTC date %02u%02u-%02u-%02u", cent, year, mon, day);
    check(mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && cent >= 19 && cent <= 21,
          "RTC date is a valid date");
}

/* ------------------------------------------------------------------ ACPI */
static u8 sum8(u32 addr, u32 len)
{
    u8 s = 0;
    for (u32 i = 0; i < len; i++)
        s = (u8)(s + *(const volatile u8 *)(uintptr_t)(addr + i));
    return s;
}
static u32 rd32p(u32 a) { return *(const volatile u32 *)(uintptr_t)a; }
static u8 rd8p(u32 a) { return *(const volatile u8 *)(uintptr_t)a; }

static u32 ioapic_addr;
static u32 madt_lapic;

static void test_acpi(void)
{
    u32 rsdp = 0;
    for (u32 a = 0xE0000; a < 0x100000; a += 16)
        if (memcmp((const void *)(uintptr_t)a, "RSD PTR ", 8) == 0 && sum8(a, 20) == 0) {
            rsdp = a;
            break;
        }
    check(rsdp != 0, "RSDP found in 0xE0000-0xFFFFF (signature, checksum)");
    if (!rsdp)
        return;
    u32 rsdt = rd32p(rsdp + 16);
    int ok = rsdt && memcmp((const void *)(uintptr_t)rsdt, "RSDT", 4) == 0;
    u32 len = ok ? rd32p(rsdt + 4) : 0;
    check(ok && len >= 36 && len < 0x1000 && sum8(rsdt, len) == 0, "RSDT (signature, checksum)");
    if (!ok)
        return;
    u32 fadt = 0, madt = 0;
    for (u32 o = 36; o + 4 <= len; o += 4) {
        u32 t = rd32p(rsdt + o);
        if (memcmp((const void *)(uintptr_t)t, "FACP", 4) == 0) fadt = t;
        if (memcmp((const void *)(uintptr_t)t, "APIC", 4) == 0) madt = t;
    }
    check(fadt && sum8(fadt, rd32p(fadt + 4)) == 0, "FADT found (checksum)");
    check(madt && sum8(madt, rd32p(madt + 4)) == 0, "MADT found (checksum)");

    if (fadt) {
        u32 port = rd32p(fadt + 76);
        int ext = (rd32p(fadt + 112) >> 8) & 1;
        note("ACPI PM timer, %u bits", ext ? 32 : 24);  /* not its port: the firmware's own */
        check(port && port < 0x10000 && rd8p(fadt + 91) == 4, "FADT PM_TMR_BLK (4 bytes)");
        u32 mask = ext ? 0xFFFFFFFFu : 0xFFFFFFu;
        u32 t0 = inl((u16)port) & mask;
        spin(100000);
        u32 t1 = inl((u16)port) & mask;
        u32 delta = (t1 - t0) & mask;
        check(delta != 0 && delta < mask / 2, "PM timer advances");
    }
    if (madt) {
        u32 mlen = rd32p(madt + 4), cpus = 0;
        madt_lapic = rd32p(madt + 36);
        for (u32 o = 44; o + 2 <= mlen;) {
            u8 type = rd8p(madt + o), l = rd8p(madt + o + 1);
            if (l < 2)
                break;
            if (type == 0 && (rd32p(madt + o + 4) & 1))
                cpus++;
            if (type == 1 && !ioapic_addr)
                ioapic_addr = rd32p(madt + o + 4);
            o += l;
        }
        check_eq(madt_lapic, 0xFEE00000u, "MADT local APIC address");
        check_eq(cpus, 1, "MADT enabled processors");
        check(ioapic_addr != 0, "MADT has an IOAPIC");
        note("IOAPIC at 0x%08x", ioapic_addr);
    }
}

static void test_ioapic(void)
{
    if (!ioapic_addr)
        return;
    mmio_write32(ioapic_addr, 1);       /* IOREGSEL: version */
    u32 ver = mmio_read32(ioapic_addr + 0x10);
    note("IOAPIC version 0x%02x, max redirection entry %u", ver & 0xFF, (ver >> 16) & 0xFF);
    check((ver & 0xFF) >= 0x11 && (ver & 0xFF) <= 0x20, "IOAPIC version register");
    check(((ver >> 16) & 0xFF) >= 15 && ((ver >> 16) & 0xFF) < 240, "IOAPIC max redirection entry");
    mmio_write32(ioapic_addr, 0);       /* ID register: reads consistently */
    u32 id1 = mmio_read32(ioapic_addr + 0x10);
    mmio_write32(ioapic_addr, 1);
    check_eq(mmio_read32(ioapic_addr + 0x10), ver, "IOREGSEL re-selects the version register");
    mmio_write32(ioapic_addr, 0);
    check_eq(mmio_read32(ioapic_addr + 0x10), id1, "IOAPIC ID register reads consistently");
}

static void test_port80(void)
{
    for (u32 i = 0; i < 16; i++)
        outb(0x80, (u8)(0x50 + i));
    check(1, "port 0x80 writes are harmless");
}

/* ---------------------------------------------------------------- x2APIC */
static void test_x2apic(void)
{
    u32 a, b, c, d, hlts, spur;
    cpuid(1, 0, &a, &b, &c, &d);
    if (!(c & (1u << 21))) {
        note("x2APIC not supported (CPUID.1:ECX[21] clear): skipped");
        return;
    }
    u64 base = 0;
    rdmsr_safe(MSR_APIC_BASE, &base);
    check_fault(wrmsr_safe(MSR_APIC_BASE, base | APIC_EXTD), NOFAULT,
             "WRMSR IA32_APIC_BASE |= EXTD (to x2APIC)");
    u64 nb = 0;
    rdmsr_safe(MSR_APIC_BASE, &nb);
    check_eq(nb, base | APIC_EXTD, "IA32_APIC_BASE reads back EN|EXTD");
    x2apic_mode = 1;
    u64 v = 0;
    check_fault(rdmsr_safe(0x803, &v), NOFAULT, "x2APIC version MSR 0x803 readable");
    check_eq(v, xapic_version, "x2APIC version equals the xAPIC version");
    v = ~0ull;
    rdmsr_safe(0x802, &v);
    check_eq(v, 0, "x2APIC ID MSR 0x802");
    check_eq(x2r(XAPIC_SVR) & 0x1FF, 0x100 | VEC_SPURIOUS, "SVR kept across the mode switch");

    x2w(XAPIC_TDCR, 0xB);               /* MSR 0x83E */
    x2w(XAPIC_LVT_TIMER, VEC_X2TIMER | LVT_PERIODIC);   /* MSR 0x832 */
    check_eq(x2r(XAPIC_LVT_TIMER) & 0x700FF, VEC_X2TIMER | LVT_PERIODIC, "x2APIC LVT timer reads back");
    x2w(XAPIC_TMICT, TIMER_PERIOD);     /* MSR 0x838 */
    int r = wait_irqs(&n_x2timer, 3, x2apic_timer_armed, &hlts, &spur);
    x2w(XAPIC_LVT_TIMER, LVT_MASKED | VEC_X2TIMER);
    x2w(XAPIC_TMICT, 0);
    report_wait(r, hlts, spur, 2, "x2APIC periodic timer x3");
    check_eq(n_x2timer, 3, "x2APIC timer interrupts (EOI via MSR 0x80B)");
    check_eq(isr_pending(), 0, "x2APIC ISR clear after EOIs");

    check_fault(wrmsr_safe(0x83F, VEC_X2IPI), NOFAULT, "WRMSR SELF_IPI 0x83F");
    r = wait_irqs(&n_x2ipi, 1, NULL, &hlts, &spur);
    check_eq(n_x2ipi, 1, "x2APIC self-IPI delivered");
    if (bench)
        run_bench(1, VEC_X2IPI, &n_x2ipi);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    note("%s: multiboot test kernel", kernel_name());
    bench = arg_u32("bench", 0) != 0;
    pic_remap_mask();
    trap_set_handler(VEC_TIMER, on_timer);
    trap_set_handler(VEC_ONESHOT, on_oneshot);
    trap_set_handler(VEC_IPI, on_ipi);
    trap_set_handler(VEC_X2TIMER, on_x2timer);
    trap_set_handler(VEC_X2IPI, on_x2ipi);
    trap_set_handler(VEC_SPURIOUS, on_spurious);
    trap_set_handler(VEC_IRQ0, on_irq0);

    test_xapic();
    test_pit_pic();
    test_rtc();
    test_acpi();
    test_ioapic();
    test_port80();
    test_x2apic();
    check_eq(stray_irqs, 0, "no stray interrupts");
    check_eq(n_spurious, 0, "no spurious APIC interrupts");
    return report_summary();
}
