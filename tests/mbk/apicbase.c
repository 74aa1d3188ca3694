/* tests/mbk/apicbase.c — IA32_APIC_BASE (MSR 0x1B) as the hypervisor
 * virtualizes it, in the kvm-unit-tests start-up pattern (reset_apic():
 * clear EN, set it again, enable SVR; enable_x2apic(): set EXTD).
 * Hypervisor only: bare Bochs cannot re-enable a disabled APIC (there the
 * checks after the disable fail, without hanging).
 *
 *   initial value EN|BSP at 0xFEE00000
 *   EN cleared (BSP kept): reads back, CPUID.1:EDX[9] == 0, the xAPIC page
 *     reads all-ones and ignores writes, x2APIC MSRs #GP
 *   invalid writes #GP and change nothing: EN=0 with EXTD=1, disabled ->
 *     x2APIC directly, reserved bit 9
 *   EN set again: CPUID bit back, state as after a software disable
 *     (SVR 0xFF, every LVT masked, TPR 0); SVR enable, timer: 3 interrupts
 *   a write without BSP keeps BSP; the base moves into RAM and back
 *   EN|EXTD: x2APIC, version MSR, timer via MSRs: 3 interrupts
 *   x2APIC -> xAPIC #GPs; reserved bit 9 #GPs; x2APIC -> disabled is valid
 *   disabled -> xAPIC again: the page works (version, SVR reset, TPR, timer)
 *   IPIs (issue 11, defect 11), xAPIC and x2APIC: fixed IPIs that include
 *     this CPU arrive (physical self, self shorthand, all including self,
 *     broadcast); IPIs to other CPUs and INIT/SIPI/SMI/lowest priority do
 *     not reach this CPU (the demo drops them: its exit line counts them);
 *     an NMI to itself arrives as an NMI; x2APIC ICR reserved bits #GP
 *   I/O APIC: a redirection entry reads back as written, whatever it is
 *     (the demo writes an NMI/INIT/SMI one, or one to another CPU, masked:
 *     its exit line counts them)
 *   CMOS: NVRAM bytes read back what the guest wrote (the host's stay as
 *     they were: the demo's exit line says so)
 *   moves=N: the base moves N times through the MMIO hole and back (issue
 *     11, defect 10: the demo's EPT tables must not grow with it)
 * Command line: status=N (exit value), moves=N, lowest=1 (see the IPIs). */
#include "libtest.h"

#include "apicregs.h"
#define BASE            0xFEE00000u
#define BSP             (1u << 8)
#define EXTD            (1u << 10)
#define EN              (1u << 11)

#define VEC_TIMER       0x50
#define VEC_X2TIMER     0x51
#define VEC_SPURIOUS    0xFF
#define TIMER_PERIOD    500000u

static int x2apic_mode;
static volatile u32 n_timer, n_x2timer, n_ipi, last_ipi, n_nmi;
#define VEC_IPI         0x60

static u32 xr(u32 off)
{
    u32 v = 0xDEADBEEF;
    read32_safe(BASE + off, &v);
    return v;
}
static void xw(u32 off, u32 v) { write32_safe(BASE + off, v); }
static u32 x2r(u32 off)
{
    u64 v = 0;
    rdmsr_safe(X2APIC_MSR(off), &v);
    return (u32)v;
}
static void x2w(u32 off, u64 v) { wrmsr_safe(X2APIC_MSR(off), v); }
static void xw64(u32 off, u64 v) { xw(off, (u32)v); }
static void x2w64(u32 off, u64 v) { x2w(off, v); }

static void on_timer(struct trap_frame *f)
{
    (void)f;
    if (x2apic_mode) {
        n_x2timer++;
        x2w(XAPIC_EOI, 0);
    } else {
        n_timer++;
        xw(XAPIC_EOI, 0);
    }
}
static void on_ipi(struct trap_frame *f)
{
    n_ipi++;
    last_ipi = (u32)f->vec;
    if (x2apic_mode)
        x2w(XAPIC_EOI, 0);
    else
        xw(XAPIC_EOI, 0);
}

static void on_nmi(struct trap_frame *f)
{
    (void)f;
    n_nmi++;
}

/* Send an IPI (ICR: low word, destination in the mode's layout) with
 * interrupts off, then open a window for it; returns how many vectors in
 * [VEC_IPI, VEC_IPI + 0x10) arrived. */
static u32 ipi(u32 lo, u32 dest)
{
    n_ipi = 0;
    /* Not guarded (no *_safe): an NMI arriving inside a guarded
     * instruction would be taken for its fault. */
    if (x2apic_mode) {
        u64 icr = ((u64)dest << 32) | lo;
        __asm__ volatile("wrmsr" : : "c"(X2APIC_MSR(XAPIC_ICR_LO)), "a"((u32)icr),
                         "d"((u32)(icr >> 32)) : "memory");
    } else {
        *(volatile u32 *)(uintptr_t)(BASE + XAPIC_ICR_HI) = dest << 24;
        *(volatile u32 *)(uintptr_t)(BASE + XAPIC_ICR_LO) = lo;
    }
    __asm__ volatile("sti; nop; nop; nop; cli" ::: "memory");
    spin(1000);
    __asm__ volatile("sti; nop; nop; nop; cli" ::: "memory");
    return n_ipi;
}

#define SH_SELF   (1u << 18)
#define SH_ALL    (2u << 18)
#define SH_OTHERS (3u << 18)
#define DM(m)     ((u32)(m) << 8)
#define LOGICAL   (1u << 11)

/* The IPIs of the section header, in the current mode; id is this APIC's. */
static void ipi_checks(u32 id, const char *m)
{
    u32 bcast = x2apic_mode ? 0xFFFFFFFFu : 0xFFu;
    check_eq(ipi(VEC_IPI, id), 1, "%s: fixed IPI to its own ID arrives", m);
    check_eq(last_ipi, VEC_IPI, "%s: ... with its vector", m);
    check_eq(ipi((VEC_IPI + 1) | SH_SELF, 0), 1, "%s: self shorthand arrives", m);
    check_eq(ipi((VEC_IPI + 2) | SH_ALL, 0), 1, "%s: all-including-self arrives", m);
    check_eq(ipi(VEC_IPI + 3, bcast), 1, "%s: broadcast arrives", m);
    check_eq(ipi(VEC_IPI + 4, id + 1), 0, "%s: IPI to another APIC ID: not here", m);
    check_eq(ipi((VEC_IPI + 5) | SH_OTHERS, 0), 0, "%s: all-excluding-self: not here", m);
    /* INIT, SIPI, SMI, lowest priority: to others and to itself (a real
     * INIT would reset this CPU; the guest goes on). */
    ipi(DM(5) | (1u << 14), id + 1);            /* INIT assert */
    ipi(DM(5) | SH_OTHERS | (1u << 14), 0);
    ipi(DM(6) | 0x10, id + 1);                  /* SIPI to 0x10000 */
    ipi(DM(6) | 0x10 | SH_OTHERS, 0);
    ipi(DM(2), bcast);                          /* SMI */
    ipi(DM(5) | (1u << 14), id);                /* INIT to itself */
    /* lowest=1: the APIC is the hypervisor's own (lapic=virtual): lowest
     * priority to this CPU alone arrives (SDM 11.6.2.4); the demo's
     * pass-through drops it. */
    u32 lowest = arg_u32("lowest", 0);
    check_eq(ipi((VEC_IPI + 6) | DM(1), id), lowest, "%s: lowest priority %s", m,
             lowest ? "to itself is delivered" : "is not delivered");
    if (!x2apic_mode) {
        /* Flat model (DFR all ones): LDR bits 31:24 against the destination. */
        u32 ldr = xr(0xD0);
        xw(0xD0, 0);
        check_eq(ipi((VEC_IPI + 7) | LOGICAL, 1), 0, "%s: logical destination, LDR 0: not here", m);
        xw(0xD0, 0x02000000u);
        check_eq(ipi((VEC_IPI + 7) | LOGICAL, 1), 0, "%s: logical destination, other bit: not here", m);
        check_eq(ipi((VEC_IPI + 7) | LOGICAL, 3), 1, "%s: logical destination, its bit: arrives", m);
        xw(0xD0, ldr);
    } else {
        u32 lid = x2r(0xD0);    /* x2APIC LDR: cluster 31:16, bit 15:0 */
        if (lid & 0xffff)
            check_eq(ipi((VEC_IPI + 7) | LOGICAL, lid), 1, "%s: logical destination, its ID: arrives", m);
        check_eq(ipi((VEC_IPI + 7) | LOGICAL, lid ^ 0xffff), 0, "%s: logical, other CPUs: not here", m);
    }
    check(1, "%s: INIT/SIPI/SMI to others and INIT to itself: the guest goes on", m);
    n_nmi = 0;
    ipi(DM(4), id);
    check_eq(n_nmi, 1, "%s: NMI to its own ID arrives as NMI", m);
    n_nmi = 0;
    ipi(DM(4) | SH_OTHERS, 0);
    check_eq(n_nmi, 0, "%s: NMI to the others: not here", m);
}

static u8 cmos(u8 reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static void cmos_write(u8 reg, u8 val)
{
    outb(0x70, reg);
    outb(0x71, val);
}

static int xapic_timer_armed(void) { return xr(XAPIC_TMCCT) != 0; }
static int x2apic_timer_armed(void) { return x2r(XAPIC_TMCCT) != 0; }

static u64 apicbase(void)
{
    u64 v = 0;
    rdmsr_safe(MSR_APIC_BASE, &v);
    return v;
}

static int cpuid_apic(void)
{
    u32 a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    return (d >> 9) & 1;
}

static void report_wait(int r, u32 hlts, u32 spurious, u32 want_hlts, const char *what)
{
    check_eq((u32)r, 0, "%s: all interrupts arrived", what);
    check_eq(hlts, want_hlts, "%s: HLTs executed (each woken by the interrupt)", what);
    check_eq(spurious, 0, "%s: HLT wake-ups without the interrupt", what);
}

/* The periodic timer at a vector, 3 interrupts waited for with HLT, through
 * the xAPIC page or the x2APIC MSRs. */
static void timer3(int x2, const char *what)
{
    void (*w)(u32, u64) = x2 ? x2w64 : xw64;
    volatile u32 *n = x2 ? &n_x2timer : &n_timer;
    u32 vec = x2 ? VEC_X2TIMER : VEC_TIMER, hlts, spur;
    *n = 0;
    w(XAPIC_TDCR, 0xB);
    w(XAPIC_LVT_TIMER, vec | LVT_PERIODIC);
    w(XAPIC_TMICT, TIMER_PERIOD);
    int r = wait_irqs(n, 3, x2 ? x2apic_timer_armed : xapic_timer_armed, &hlts, &spur);
    w(XAPIC_LVT_TIMER, LVT_MASKED | vec);
    w(XAPIC_TMICT, 0);
    report_wait(r, hlts, spur, 2, what);
    check_eq(*n, 3, "%s: 3 interrupts counted", what);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    note("%s: multiboot test kernel", kernel_name());
    u64 v;
    pic_remap_mask();
    trap_set_handler(VEC_TIMER, on_timer);
    trap_set_handler(VEC_X2TIMER, on_timer);
    for (unsigned vec = VEC_IPI; vec < VEC_IPI + 0x10; vec++)
        trap_set_handler(vec, on_ipi);
    trap_set_handler(2, on_nmi);

    /* ---- as booted */
    check_eq(apicbase(), BASE | EN | BSP, "IA32_APIC_BASE at boot: 0xFEE00000|EN|BSP");
    check_eq(cpuid_apic(), 1, "CPUID.1:EDX.APIC at boot");
    u32 version = xr(XAPIC_VER);
    check(version != 0xFFFFFFFFu && (version & 0xFF) >= 0x10, "xAPIC version readable at boot");

    /* ---- disable (EN cleared, BSP kept) */
    check_fault(wrmsr_safe(MSR_APIC_BASE, BASE | BSP), NOFAULT, "clear EN");
    check_eq(apicbase(), BASE | BSP, "disabled: reads back without EN");
    check_eq(cpuid_apic(), 0, "disabled: CPUID.1:EDX.APIC clear");
    u32 x = 0;
    check_fault(read32_safe(BASE + XAPIC_VER, &x), NOFAULT, "disabled: xAPIC page read does not fault");
    check_eq(x, 0xFFFFFFFFu, "disabled: xAPIC version register reads all-ones");
    check_fault(write32_safe(BASE + XAPIC_TPR, 0x20), NOFAULT, "disabled: xAPIC page write does not fault");
    check_eq(xr(XAPIC_TPR), 0xFFFFFFFFu, "disabled: the write is ignored (TPR reads all-ones)");
    check_fault(rdmsr_safe(0x803, &v), VEC_GP, "disabled: RDMSR x2APIC version 0x803 #GPs");
    check_fault(wrmsr_safe(0x808, 0), VEC_GP, "disabled: WRMSR x2APIC TPR 0x808 #GPs");

    /* ---- invalid transitions from disabled */
    check_fault(wrmsr_safe(MSR_APIC_BASE, BASE | BSP | EXTD), VEC_GP, "EN=0 with EXTD=1 #GPs");
    check_fault(wrmsr_safe(MSR_APIC_BASE, BASE | BSP | EN | EXTD), VEC_GP,
                "disabled -> x2APIC directly #GPs");
    check_fault(wrmsr_safe(MSR_APIC_BASE, BASE | BSP | (1u << 9)), VEC_GP, "reserved bit 9 #GPs");
    check_eq(apicbase(), BASE | BSP, "still disabled after the faulting writes");

    /* ---- enable again: as after a software disable */
    check_fault(wrmsr_safe(MSR_APIC_BASE, BASE | BSP | EN), NOFAULT, "set EN again");
    check_eq(apicbase(), BASE | EN | BSP, "enabled: reads back EN|BSP");
    check_eq(cpuid_apic(), 1, "enabled: CPUID.1:EDX.APIC back");
    check_eq(xr(XAPIC_VER), version, "enabled: xAPIC version register as before");
    check_eq(xr(XAPIC_SVR), 0xFF, "enabled: SVR 0xFF (software disabled)");
    for (u32 off = 0x320; off <= 0x370; off += 0x10) {
        u32 lvt = xr(off);
        check((lvt & LVT_MASKED) && lvt != 0xFFFFFFFFu, "enabled: LVT 0x%x masked", off);
    }
    check_eq(xr(XAPIC_TPR), 0, "enabled: TPR 0");

    xw(XAPIC_SVR, 0x100 | VEC_SPURIOUS);
    check_eq(xr(XAPIC_SVR), 0x100 | VEC_SPURIOUS, "SVR software enable reads back");
    timer3(0, "xAPIC timer x3 after re-enable");

    /* ---- BSP is read-only */
    check_fault(wrmsr_safe(MSR_APIC_BASE, BASE | EN), NOFAULT, "write without BSP");
    check_eq(apicbase(), BASE | EN | BSP, "BSP kept");

    /* ---- IPIs in xAPIC mode: see ipi_checks */
    u32 my_id = xr(XAPIC_ID) >> 24;
    ipi_checks(my_id, "xAPIC");
    xw(XAPIC_ICR_HI, 0x5a000123u);
    check_eq(xr(XAPIC_ICR_HI), 0x5a000000u, "xAPIC: ICR high reads back (reserved bits 0)");

    /* ---- relocation (SDM 11.4.5): the registers follow the base; the old
     * page is left to the bus (all-ones); a base in RAM hides that RAM */
    u32 moved = 0x00200000u;
    volatile u32 *ram_word = (volatile u32 *)(uintptr_t)(moved + XAPIC_VER);
    *ram_word = 0x12345678u;
    check_fault(wrmsr_safe(MSR_APIC_BASE, moved | BSP | EN), NOFAULT, "move the base to 2 MiB (RAM)");
    check_eq(apicbase(), moved | EN | BSP, "moved: reads back the new base");
    check_eq(*ram_word, version, "moved: the version register at the new base");
    check_eq(xr(XAPIC_VER), 0xFFFFFFFFu, "moved: the old page reads all-ones");
    check_fault(wrmsr_safe(MSR_APIC_BASE, BASE | BSP | EN), NOFAULT, "move the base back");
    check_eq(xr(XAPIC_VER), version, "back: the version register at 0xFEE00000");
    check_eq(*ram_word, 0x12345678u, "back: the RAM under the old base is RAM again");

    /* ---- x2APIC */
    u32 a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    check(c & (1u << 21), "CPUID.1:ECX.x2APIC");
    check_fault(wrmsr_safe(MSR_APIC_BASE, BASE | BSP | EN | EXTD), NOFAULT, "EN|EXTD: to x2APIC");
    check_eq(apicbase(), BASE | EN | EXTD | BSP, "x2APIC: reads back EN|EXTD|BSP");
    x2apic_mode = 1;
    v = 0;
    check_fault(rdmsr_safe(0x803, &v), NOFAULT, "x2APIC: RDMSR version 0x803");
    check_eq(v, version, "x2APIC: version MSR equals the xAPIC version register");
    check_eq(x2r(XAPIC_SVR), 0x100 | VEC_SPURIOUS, "x2APIC: SVR kept across the switch");
    timer3(1, "x2APIC timer x3 (MSRs 0x832/0x838/0x83E, EOI 0x80B)");
    u32 my_x2id = x2r(XAPIC_ID);
    check_eq(my_x2id & 0xff, my_id, "x2APIC: ID MSR 0x802 agrees with the xAPIC ID");
    ipi_checks(my_x2id, "x2APIC");
    check_fault(wrmsr_safe(0x830, (1ull << 16) | VEC_IPI), VEC_GP,
                "x2APIC: ICR with reserved bit 16 #GPs (SDM 11.12.1.2)");
    check_fault(rdmsr_safe(0x830, &v), NOFAULT, "x2APIC: ICR readable");

    check_fault(wrmsr_safe(MSR_APIC_BASE, BASE | BSP | EN), VEC_GP, "x2APIC -> xAPIC #GPs");
    check_fault(wrmsr_safe(MSR_APIC_BASE, BASE | BSP | EN | EXTD | (1u << 9)), VEC_GP,
                "x2APIC: reserved bit 9 #GPs");
    check_eq(apicbase(), BASE | EN | EXTD | BSP, "still x2APIC after the faulting writes");
    v = 0;
    check_fault(rdmsr_safe(0x803, &v), NOFAULT, "x2APIC: version MSR still readable");

    /* ---- x2APIC -> disabled is a valid transition */
    check_fault(wrmsr_safe(MSR_APIC_BASE, BASE | BSP), NOFAULT, "x2APIC -> disabled");
    check_eq(apicbase(), BASE | BSP, "disabled again: reads back without EN|EXTD");
    check_eq(cpuid_apic(), 0, "disabled again: CPUID.1:EDX.APIC clear");
    check_fault(rdmsr_safe(0x803, &v), VEC_GP, "disabled again: x2APIC MSR #GPs");

    /* ---- and back to xAPIC mode (valid from disabled, SDM 11.12.5): the
     * hardware stays in x2APIC mode, the xAPIC page is emulated over it */
    check_fault(wrmsr_safe(MSR_APIC_BASE, BASE | BSP | EN), NOFAULT, "disabled -> xAPIC after x2APIC");
    check_eq(apicbase(), BASE | EN | BSP, "xAPIC again: reads back EN|BSP");
    x2apic_mode = 0;
    check_eq(xr(XAPIC_VER), version, "xAPIC again: version register");
    check_eq(xr(XAPIC_SVR), 0xFF, "xAPIC again: SVR 0xFF (software disabled)");
    check_eq(xr(XAPIC_LVT_TIMER) & LVT_MASKED, LVT_MASKED, "xAPIC again: LVT timer masked");
    xw(XAPIC_SVR, 0x100 | VEC_SPURIOUS);
    xw(XAPIC_TPR, 0xffffff20u);     /* reserved bits: ignored by an xAPIC */
    check_eq(xr(XAPIC_TPR), 0x20, "xAPIC again: TPR round trip, reserved bits ignored");
    xw(XAPIC_LVT_TIMER, 0xfff8f000u | LVT_MASKED);
    check_eq(xr(XAPIC_LVT_TIMER), LVT_MASKED, "xAPIC again: LVT reserved bits ignored");
    xw(XAPIC_TPR, 0);
    timer3(0, "xAPIC again: timer x3 (EOI through the page)");

    /* ---- IPIs again, the xAPIC page over the x2APIC hardware */
    ipi_checks(my_id, "xAPIC over x2APIC");

    /* ---- I/O APIC (0xFEC00000): the last redirection entry programmed
     * as NMI, INIT, SMI, to another CPU, logical, then fixed to itself;
     * each reads back as written; finally masked again */
    volatile u32 *iosel = (volatile u32 *)(uintptr_t)0xFEC00000u;
    volatile u32 *iowin = (volatile u32 *)(uintptr_t)0xFEC00010u;
    *iosel = 1;
    u32 last = (*iowin >> 16) & 0xff;
    u32 sel = 0x10 + 2 * last;
    static const u32 lo[] = { DM(4), DM(5), DM(2), VEC_IPI, VEC_IPI | LOGICAL, VEC_IPI };
    const u32 hi[] = { my_id << 24, my_id << 24, my_id << 24, (my_id + 1) << 24, 1u << 24,
                       my_id << 24 };
    u32 rb = 0;
    for (unsigned i = 0; i < 6; i++) {
        *iosel = sel + 1;
        *iowin = hi[i];
        *iosel = sel;
        *iowin = lo[i] | LVT_MASKED;
        *iowin = lo[i];
        rb += (*iowin & 0xffff) == lo[i];
        *iosel = sel + 1;
        rb += *iowin == hi[i];
        *iosel = sel;
        *iowin = lo[i] | LVT_MASKED;
    }
    check_eq(rb, 12, "I/O APIC: entry %u reads back as written, 6 ways", last);

    /* ---- CMOS: the NVRAM is the guest's (reads back); the RTC reads on */
    /* (Left changed: the demo checks the host's byte is not.) */
    u8 old40 = cmos(0x40);
    cmos_write(0x40, (u8)(old40 ^ 0x5a));
    check_eq(cmos(0x40), (u8)(old40 ^ 0x5a), "CMOS: an NVRAM byte reads back what was written");
    u8 regb = cmos(0x0B);
    cmos_write(0x0B, regb);         /* an RTC register: the demo drops it */
    check_eq(cmos(0x0B), regb, "CMOS: RTC status B reads as before");
    check(cmos(0x0A) != 0xFF, "CMOS: RTC status A readable");

    /* ---- moves=N: through the MMIO hole, a different 2 MiB region each
     * time, and back to the default (defect 10: bounded EPT) */
    u32 moves = arg_u32("moves", 0);
    u32 bad = 0;
    for (u32 i = 0; i < moves; i++) {
        u32 to = 0xC0000000u + (i % 400) * 0x200000u + (i % 7) * 0x1000u;
        bad += wrmsr_safe(MSR_APIC_BASE, to | BSP | EN) != NOFAULT;
        if (i % 97 == 0)
            bad += *(volatile u32 *)(uintptr_t)(to + XAPIC_VER) != version;
        bad += wrmsr_safe(MSR_APIC_BASE, BASE | BSP | EN) != NOFAULT;
    }
    if (moves)
        check_eq(bad, 0, "%u base moves through the MMIO hole and back", moves);
    check_eq(xr(XAPIC_VER), version, "the version register at 0xFEE00000 after the moves");

    check_eq(stray_irqs, 0, "no stray interrupts");
    return report_summary();
}
