/* tests/mbk/apicregs.h — local APIC registers (SDM Vol. 3A, Table 11-1 xAPIC
 * offsets; x2APIC MSR = 0x800 + offset / 16, 11.12.1.2) used by the APIC
 * test kernels. */
#ifndef MBK_APICREGS_H
#define MBK_APICREGS_H

#define MSR_APIC_BASE   0x1B

#define XAPIC_ID        0x020
#define XAPIC_VER       0x030
#define XAPIC_TPR       0x080
#define XAPIC_EOI       0x0B0
#define XAPIC_SVR       0x0F0
#define XAPIC_ISR0      0x100
#define XAPIC_ICR_LO    0x300
#define XAPIC_ICR_HI    0x310
#define XAPIC_LVT_TIMER 0x320
#define XAPIC_TMICT     0x380
#define XAPIC_TMCCT     0x390
#define XAPIC_TDCR      0x3E0
#define X2APIC_MSR(off) (0x800u + ((off) >> 4))

#define LVT_MASKED      (1u << 16)
#define LVT_PERIODIC    (1u << 17)

#endif
