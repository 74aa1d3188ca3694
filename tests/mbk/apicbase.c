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
 * Command line: status=N (exit value). */
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
static volatile u32 n_timer, n_x2timer;

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

    check_eq(stray_irqs, 0, "no stray interrupts");
    return report_summary();
}
