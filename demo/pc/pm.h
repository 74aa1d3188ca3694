/* demo/pc/pm.h — power management as a guest asks for it: ACPI sleep
 * (SLP_EN in PM1a control: power-off), the reset requests of a PC
 * (keyboard controller 0x64 <- 0xFE, reset control 0xCF9 bit 2, fast A20
 * and reset 0x92 bit 0), and the ACPI PM timer, passed through. A reset
 * ends the run, as QEMU with -no-reboot does. */
#ifndef DEMO_PC_PM_H
#define DEMO_PC_PM_H

#include <stdint.h>

struct vm;

#define PM_QEMU_PM1A_CNT 0x604  /* QEMU's (PIIX4/ICH9) PM1a control */

struct pm {
    struct vm *vm;
    uint16_t pm1a_cnt;          /* the firmware's PM1a control port (FADT), or 0 */
};
/* pm1a_cnt and pm_tmr: the ports the machine's FADT names (0: none). */
int pm_attach(struct pm *pm, struct vm *vm, uint16_t pm1a_cnt, uint16_t pm_tmr);

#endif
