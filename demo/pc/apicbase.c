/* demo/pc/apicbase.c — IA32_APIC_BASE write rules (see apicbase.h). Pure:
 * no hardware access. */
#include <stdint.h>

#include "pc/apicbase.h"

/* SDM Vol. 3A 11.4.4 (Figure "IA32_APIC_BASE MSR Supporting x2APIC") and
 * 11.12.5 (x2APIC state transitions). */
#define APICBASE_BASE_MASK  (~0xfffull)
/* Reserved whatever MAXPHYADDR: bits 7:0 and 9. */
#define APICBASE_RSVD_LOW   (0xffull | (1ull << 9))

int apicbase_write(uint64_t cur, uint64_t val, unsigned maxphyaddr, int x2apic_supported,
                   uint64_t *next, unsigned *actions)
{
    /* MAXPHYADDR is 32 or 36 on processors without CPUID 80000008H and
     * at most 52 (SDM 4.1.4); clamping also keeps the shift defined. */
    if (maxphyaddr < 32)
        maxphyaddr = 32;
    if (maxphyaddr > 52)
        maxphyaddr = 52;
    uint64_t rsvd = APICBASE_RSVD_LOW | ~((1ull << maxphyaddr) - 1);
    /* Without x2APIC, EXTD is a reserved bit (SDM 11.12.1). */
    if (!x2apic_supported)
        rsvd |= APICBASE_EXTD;
    if (val & rsvd)
        return -1;

    int cur_en = (cur & APICBASE_EN) != 0, cur_x2 = (cur & APICBASE_EXTD) != 0;
    int new_en = (val & APICBASE_EN) != 0, new_x2 = (val & APICBASE_EXTD) != 0;

    /* SDM 11.12.5: EN=0 with EXTD=1 is the invalid state; x2APIC mode is
     * entered only from xAPIC mode (so not from disabled); x2APIC mode is
     * left only to disabled (so not to xAPIC). */
    if (new_x2 && !new_en)
        return -1;
    if (new_x2 && !cur_en)
        return -1;
    if (cur_en && cur_x2 && new_en && !new_x2)
        return -1;

    unsigned act = 0;
    if (cur_en && !new_en)
        act |= APICB_ACT_DISABLE;
    if (!cur_en && new_en)
        act |= APICB_ACT_ENABLE;
    if (!cur_x2 && new_x2)
        act |= APICB_ACT_X2APIC;
    /* The base matters only in xAPIC mode (x2APIC has no MMIO page); when
     * it changes while disabled or in x2APIC mode, the MOVE comes with the
     * later write that enables xAPIC mode, compared with the base then. */
    if (new_en && !new_x2 && ((cur ^ val) & APICBASE_BASE_MASK))
        act |= APICB_ACT_MOVE;

    /* BSP is set by the hardware at reset; WRMSR does not change it. */
    *next = (val & ~APICBASE_BSP) | (cur & APICBASE_BSP);
    *actions = act;
    return 0;
}

int apic_icr_check(uint64_t icr, uint32_t self_id, uint32_t self_ldr, int x2apic)
{
    uint32_t mode = (uint32_t)(icr >> 8) & 7, logical = (uint32_t)(icr >> 11) & 1;
    uint32_t shorthand = (uint32_t)(icr >> 18) & 3;
    uint32_t dest = x2apic ? (uint32_t)(icr >> 32) : (uint32_t)(icr >> 56);
    uint32_t broadcast = x2apic ? 0xffffffffu : 0xffu;
    /* The guest's machine has one CPU: does the IPI include it? */
    int self;
    switch (shorthand) {
    case 0:
        if (!logical)
            self = dest == self_id || dest == broadcast;
        else if (x2apic)
            self = (dest >> 16) == (self_ldr >> 16) && (dest & self_ldr & 0xffffu);
        else
            self = (dest & (self_ldr >> 24) & 0xffu) != 0;
        break;
    case 1: /* self */
    case 2: /* all including self */ self = 1; break;
    default: /* all excluding self */ self = 0; break;
    }
    if (!self)
        return APIC_ICR_DROP;
    if (mode == 0)
        return APIC_ICR_SEND;
    /* NMI has no self shorthand (SDM 11.6.1: fixed only). */
    if (mode == 4 && shorthand != 1)
        return APIC_ICR_SELF_NMI;
    return APIC_ICR_DROP;
}

uint64_t ioapic_rte_filter(uint64_t rte, uint32_t self_id, uint32_t self_ldr)
{
    uint32_t mode = (uint32_t)(rte >> 8) & 7, dest = (uint32_t)(rte >> 56);
    int logical = (rte >> 11) & 1;
    int self = logical ? (dest & (self_ldr >> 24)) != 0 : dest == (self_id & 0xff) || dest == 0xff;
    /* Physical, to this CPU: bits 63:56 = self_id, bit 11 = 0. */
    uint64_t out = (rte & ~(0xffull << 56) & ~(1ull << 11)) | ((uint64_t)(self_id & 0xff) << 56);
    if (!(rte & IOAPIC_RTE_MASK) && !(self && (mode == 0 || mode == 1 || mode == 7)))
        out = (out & ~0x700ull) | IOAPIC_RTE_MASK;
    return out;
}
