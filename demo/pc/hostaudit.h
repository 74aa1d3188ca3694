/* demo/pc/hostaudit.h — the machine's interrupt hardware, HPET and CMOS
 * as the guest could have changed them: a snapshot before the run, one
 * after, and what differs (hostaudit.c). hostaudit_diff is pure. */
#ifndef DEMO_PC_HOSTAUDIT_H
#define DEMO_PC_HOSTAUDIT_H

#include <stdint.h>

#define HOSTAUDIT_RTE   24
#define HOSTAUDIT_LAPIC 13
#define HOSTAUDIT_HPET  32

struct hostaudit {
    uint8_t pic[2];                     /* master, slave IMR */
    uint32_t ioapic_id;
    uint64_t rte[HOSTAUDIT_RTE];
    uint32_t lapic[HOSTAUDIT_LAPIC];
    uint32_t hpet_n, hpet_cfg;          /* comparators (0: no HPET) */
    uint32_t hpet_tn[HOSTAUDIT_HPET][2];/* each one's configuration, comparator */
    uint8_t nvram[128];
};

/* hostaudit_diff's bits: what changed. */
#define HOSTAUDIT_PIC       (1u << 0)
#define HOSTAUDIT_IOAPIC    (1u << 1)
#define HOSTAUDIT_LAPIC_BIT (1u << 2)
#define HOSTAUDIT_HPET_BIT  (1u << 3)
#define HOSTAUDIT_CMOS      (1u << 4)

void hostaudit_take(struct hostaudit *a);
uint32_t hostaudit_diff(const struct hostaudit *before, const struct hostaudit *after);

#endif
