/* demo/pc/pm.h — the virtual PC's ACPI fixed hardware and its reset
 * requests, at the ports the demo's own FADT names (pc/acpi.h), a block
 * like QEMU's PIIX4 one at 0x600:
 *
 *   0x600  PM1a_STS  16 bits, write 1 to clear (ACPI 6.5 4.8.3.1.1); no
 *                    event ever sets a bit: the machine has no fixed power
 *                    or sleep button, no RTC wake, and TMR_STS is not
 *                    modelled (no SCI is ever raised)
 *   0x602  PM1a_EN   16 bits, the enables of 4.8.3.1.2 read back
 *   0x604  PM1a_CNT  16 bits (4.8.3.2.1): SCI_EN always reads 1 (the
 *                    FADT's SMI_CMD is 0: ACPI mode is always on),
 *                    BM_RLD and SLP_TYP read back, GBL_RLS and SLP_EN
 *                    read 0; SLP_EN with SLP_TYP = PM_S5_SLP_TYP (the
 *                    DSDT's \_S5, QEMU's 0) powers off, another SLP_TYP
 *                    names no sleep state the DSDT offers: ignored and
 *                    counted
 *   0x608  PM_TMR    the 24-bit 3.579545 MHz PM timer (4.8.3.3), from the
 *                    guest's TSC (demo/dev/pmtimer.c), unless the caller
 *                    puts its own there (pic=virtual: pc/irq.c's)
 *
 * The accesses are made of bytes: a word or dword access reaches each
 * register byte it covers (the PM1 registers are 16-bit, 4.8.3.1), and an
 * SLP_EN write acts once, with the whole access's value.
 *
 * Resets (ended, as QEMU with -no-reboot does): keyboard controller 0x64
 * <- 0xFE, reset control 0xCF9 bit 2 (the FADT's RESET_REG, value 0x06),
 * fast A20 and reset 0x92 bit 0. */
#ifndef DEMO_PC_PM_H
#define DEMO_PC_PM_H

#include <stdint.h>
#include "dev/pmtimer.h"

struct vm;

#define PM_PM1A_EVT   0x600     /* PM1a_EVT_BLK: status, enable */
#define PM_PM1A_CNT   0x604     /* PM1a_CNT_BLK (QEMU's port too) */
#define PM_PM_TMR     0x608     /* PM_TMR_BLK */
#define PM_SCI_IRQ    9
#define PM_S5_SLP_TYP 0         /* \_S5's SLP_TYP (QEMU's PIIX4 S5 value) */
#define PM_RESET_PORT 0xcf9
#define PM_RESET_VAL  0x06

/* PM1 register bits (ACPI 6.5 4.8.3.1, 4.8.3.2). */
#define PM1_EN_MASK   0x4721u   /* TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN, PCIEXP_WAKE_DIS */
#define PM1_SCI_EN    (1u << 0)
#define PM1_BM_RLD    (1u << 1)
#define PM1_SLP_TYP   (7u << 10)
#define PM1_SLP_EN    (1u << 13)

struct pm {
    struct vm *vm;
    uint16_t sts, en, cnt;      /* PM1a status, enable, control (stored bits) */
    uint64_t sleeps_ignored;    /* SLP_EN with an SLP_TYP of no sleep state */
    /* The PM timer when pm_attach was asked for it: guest TSC ticks, only
     * forward (a guest moving its TSC back does not move the timer). */
    struct pmtimer tmr;         /* tmr.hz 0: not set up yet (the guest's TSC rate) */
    uint64_t now, last_tsc;
};

/* The PM1a block (0x600-0x605) and the reset ports on the vm's bus, and
 * the PM timer at PM_PM_TMR when timer is nonzero. Returns 0 or -1. */
int pm_attach(struct pm *pm, struct vm *vm, int timer);

#endif
