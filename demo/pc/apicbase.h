/* demo/pc/apicbase.h — the rules of IA32_APIC_BASE (MSR 0x1B, SDM Vol. 3A
 * 11.4.4 / 11.12.1): base (bits MAXPHYADDR-1:12), EN (11), EXTD (10,
 * x2APIC mode), BSP (8, read-only).
 *
 * apicbase_write checks a WRMSR against the current value: reserved bits
 * set, or an invalid mode transition (SDM 11.12.5: x2APIC -> xAPIC,
 * disabled -> x2APIC, EN=0 with EXTD=1; EXTD without x2APIC support) fault
 * with #GP (returns -1, nothing changes). Otherwise it returns 0, the new
 * value (BSP kept as it was) and what the hypervisor must do. maxphyaddr
 * (CPUID 80000008H) is clamped to 32..52; `cur` is trusted to be valid.
 * Pure; unit-tested on the host (tests/unit/test_apicbase.c). The device
 * that acts on it is apic.c. */
#ifndef DEMO_PC_APICBASE_H
#define DEMO_PC_APICBASE_H

#include <stdint.h>

#define APICBASE_BSP   (1ull << 8)
#define APICBASE_EXTD  (1ull << 10)
#define APICBASE_EN    (1ull << 11)
#define APICBASE_RESET(bsp) (0xfee00000ull | APICBASE_EN | ((bsp) ? APICBASE_BSP : 0))
#define APICB_ACT_DISABLE  (1u << 0)  /* EN 1 -> 0: hide the APIC */
#define APICB_ACT_ENABLE   (1u << 1)  /* EN 0 -> 1: show it again, as after reset */
#define APICB_ACT_X2APIC   (1u << 2)  /* EXTD 0 -> 1 with EN: switch the hardware */
#define APICB_ACT_MOVE     (1u << 3)  /* the base changed while the xAPIC is visible */
int apicbase_write(uint64_t cur, uint64_t val, unsigned maxphyaddr, int x2apic_supported,
                   uint64_t *next, unsigned *actions);

#endif
