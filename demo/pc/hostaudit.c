/* demo/pc/hostaudit.c — proof that the guest did not reach the machine's
 * interrupt hardware, HPET or CMOS (issue 13: "the guest cannot reach the
 * host's interrupt hardware, HPET or CMOS by any path"). The demo reads
 * their guest-visible state once before the guest's first entry and once
 * after its run, and reports every difference. Nothing here writes to the
 * hardware: I/O APIC and CMOS reads go through their index registers,
 * which the demo restores as it found them (the index is state too).
 *
 * What is compared:
 *   8259 pair  the two IMRs (the demo masked them before the snapshot)
 *   I/O APIC   ID, and the 24 redirection entries (82093AA 3.2.4)
 *   local APIC ID, TPR, LDR, DFR, SVR, the LVTs (timer, thermal, perf,
 *              LINT0, LINT1, error), TMICT, DCR (SDM Table 11-1)
 *   HPET       general configuration and each comparator's configuration
 *              and value (IA-PC HPET 2.3)
 *   CMOS       the NVRAM (not the clock registers, which tick)
 * A register that changed by the hardware's own doing (none of these does
 * in the demo's run: its host interrupts are masked) would show up too. */
#include <stdint.h>

#include "arch.h"
#include "pc/hostaudit.h"

#define IOAPIC_MMIO 0xfec00000u
#define HPET_MMIO   0xfed00000u
#define LAPIC_MMIO  0xfee00000u

static uint32_t mmio32(uint32_t a)
{
    return *(volatile uint32_t *)(uintptr_t)a;
}

static uint32_t ioapic_reg(uint8_t reg)
{
    /* IOREGSEL at +0, IOWIN at +0x10; the old selection is put back. */
    volatile uint32_t *sel = (volatile uint32_t *)(uintptr_t)IOAPIC_MMIO;
    volatile uint32_t *win = (volatile uint32_t *)(uintptr_t)(IOAPIC_MMIO + 0x10);
    uint32_t old = *sel, v;
    *sel = reg;
    v = *win;
    *sel = old;
    return v;
}

static uint8_t cmos_nvram(uint8_t reg)
{
    /* Bit 7 of the index is the NMI mask: left 0 (NMIs enabled), as the
     * demo runs. */
    outb(0x70, reg & 0x7f);
    return inb(0x71);
}

static const uint16_t lapic_regs[HOSTAUDIT_LAPIC] = {
    0x20, 0x80, 0xd0, 0xe0, 0xf0, 0x320, 0x330, 0x340, 0x350, 0x360, 0x370, 0x380, 0x3e0,
};

/* The HPET, when the machine has one: its capabilities register reads a
 * vendor ID and a nonzero period (IA-PC HPET 2.3.4); all-ones otherwise. */
static unsigned hpet_timers(void)
{
    uint32_t cap = mmio32(HPET_MMIO), period = mmio32(HPET_MMIO + 4);
    if (cap == 0xffffffffu || !period || period == 0xffffffffu)
        return 0;
    unsigned n = ((cap >> 8) & 31) + 1;
    return n > HOSTAUDIT_HPET ? HOSTAUDIT_HPET : n;
}

void hostaudit_take(struct hostaudit *a)
{
    a->pic[0] = inb(0x21);
    a->pic[1] = inb(0xa1);
    a->ioapic_id = ioapic_reg(0);
    for (unsigned i = 0; i < HOSTAUDIT_RTE; i++)
        a->rte[i] = ((uint64_t)ioapic_reg((uint8_t)(0x11 + 2 * i)) << 32) |
                    ioapic_reg((uint8_t)(0x10 + 2 * i));
    for (unsigned i = 0; i < HOSTAUDIT_LAPIC; i++)
        a->lapic[i] = mmio32(LAPIC_MMIO + lapic_regs[i]);
    a->hpet_n = hpet_timers();
    a->hpet_cfg = a->hpet_n ? mmio32(HPET_MMIO + 0x10) : 0;
    for (unsigned i = 0; i < a->hpet_n; i++) {
        a->hpet_tn[i][0] = mmio32(HPET_MMIO + 0x100 + 0x20 * i);
        a->hpet_tn[i][1] = mmio32(HPET_MMIO + 0x108 + 0x20 * i);
    }
    for (unsigned i = 0; i < 128; i++)
        a->nvram[i] = cmos_nvram((uint8_t)i);
}

static int rtc_reg(unsigned i)
{
    /* The clock and its status registers tick by themselves
     * (MC146818: 0x00-0x0D; 0x32 the century). */
    return i <= 0x0d || i == 0x32;
}

uint32_t hostaudit_diff(const struct hostaudit *before, const struct hostaudit *after)
{
    uint32_t what = 0;
    if (before->pic[0] != after->pic[0] || before->pic[1] != after->pic[1])
        what |= HOSTAUDIT_PIC;
    if (before->ioapic_id != after->ioapic_id)
        what |= HOSTAUDIT_IOAPIC;
    for (unsigned i = 0; i < HOSTAUDIT_RTE; i++)
        if (before->rte[i] != after->rte[i])
            what |= HOSTAUDIT_IOAPIC;
    for (unsigned i = 0; i < HOSTAUDIT_LAPIC; i++)
        if (before->lapic[i] != after->lapic[i])
            what |= HOSTAUDIT_LAPIC_BIT;
    if (before->hpet_n != after->hpet_n || before->hpet_cfg != after->hpet_cfg)
        what |= HOSTAUDIT_HPET_BIT;
    for (unsigned i = 0; i < before->hpet_n && i < HOSTAUDIT_HPET; i++)
        if (before->hpet_tn[i][0] != after->hpet_tn[i][0] ||
            before->hpet_tn[i][1] != after->hpet_tn[i][1])
            what |= HOSTAUDIT_HPET_BIT;
    for (unsigned i = 0; i < 128; i++)
        if (!rtc_reg(i) && before->nvram[i] != after->nvram[i])
            what |= HOSTAUDIT_CMOS;
    return what;
}
