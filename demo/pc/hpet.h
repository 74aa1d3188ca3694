/* demo/pc/hpet.h — the machine's HPET behind a write filter (hpet.c): the
 * guest reads the page directly (counter reads stay exit-free) and
 * programs its timers, but no timer delivers through the FSB, whose MSI
 * message could carry any delivery mode (INIT, SIPI, NMI, SMI) to any
 * CPU (IA-PC HPET spec 1.0a, 2.3.9: Tn_FSB_EN_CNF, Tn_FSB_INT_ROUTE). */
#ifndef DEMO_PC_HPET_H
#define DEMO_PC_HPET_H

#include <stdint.h>

struct pc;

struct hpet {
    uint64_t fsb_blocked;       /* writes that set FSB_EN or the FSB route, dropped */
};

/* Registers per timer n: config at 0x100 + 0x20 n, comparator at +8, FSB
 * route at +0x10; the spec allows 32 timers, which end at 0x500. */
#define HPET_TIMERS      32
#define HPET_TN_CFG(n)   (0x100u + 0x20u * (n))
#define HPET_TN_FSB(n)   (0x110u + 0x20u * (n))
#define HPET_TN_FSB_EN   (1u << 14)

/* What a guest write of `size` bytes at page offset `off` becomes: 1 and
 * the value for the hardware in *out, or 0 when nothing is written (an
 * FSB route, the reserved gap after it, a misaligned or odd-sized access).
 * Pure: unit-tested (tests/unit/test_hpet.c). */
static inline int hpet_write_filter(uint32_t off, uint32_t size, uint64_t val, uint64_t *out)
{
    if ((size != 4 && size != 8) || (off & (size - 1)) || off >= 0x1000)
        return 0;
    uint32_t reg = (off - HPET_TN_CFG(0)) & 0x1f;
    int timer = off >= HPET_TN_CFG(0) && off < HPET_TN_CFG(HPET_TIMERS);
    if (timer && reg >= 0x10)
        return 0;
    /* the config's low dword holds FSB_EN */
    *out = timer && reg == 0 ? val & ~(uint64_t)HPET_TN_FSB_EN : val;
    return 1;
}

int hpet_attach(struct hpet *h, struct pc *pc);

#endif
