/* A virtual local APIC as functions of values (SDM Vol. 3A chapter 11; the
 * x2APIC in 11.12). No hardware access and no time source: every call that
 * depends on time takes "now" in guest TSC ticks, and the timer's input
 * clock is given as a ratio to that TSC at init.
 *
 * The register state lives in a 4 KiB page of the caller in the
 * architectural virtual-APIC page layout (SDM Vol. 3C 30.1 "Virtual APIC
 * state", Vol. 3A Table 11-1): each register at its xAPIC MMIO offset, one
 * 32-bit word in each 16-byte slot; IRR/ISR/TMR as 8 words of 32 vectors.
 * So the same page can be given to the CPU as the virtual-APIC page (TPR
 * shadow, APIC-register virtualization, virtual-interrupt delivery). The
 * model never caches what the CPU may change there (TPR, PPR, IRR, ISR,
 * EOI): it reads them from the page on every call. What is not a register
 * (IA32_APIC_BASE, the timer's running state, the ESR's pending errors,
 * IA32_TSC_DEADLINE) is in struct x86vcpu_vlapic.
 *
 * Views: x86vcpu__vlapic_mmio_read/write (xAPIC mode, offsets in the 4 KiB
 * window), x86vcpu__vlapic_msr_read/write (IA32_APIC_BASE, IA32_TSC_DEADLINE
 * and the x2APIC MSRs 800H-8FFH, with the #GP cases of SDM 11.12.1.2/3). */
#ifndef X86VCPU_LIB_VLAPIC_H
#define X86VCPU_LIB_VLAPIC_H

#include <stdint.h>

/* --- register offsets in the APIC page (SDM Table 11-1) ------------------ */
#define VLAPIC_ID       0x020u
#define VLAPIC_VER      0x030u
#define VLAPIC_TPR      0x080u
#define VLAPIC_APR      0x090u
#define VLAPIC_PPR      0x0a0u
#define VLAPIC_EOI      0x0b0u
#define VLAPIC_RRD      0x0c0u
#define VLAPIC_LDR      0x0d0u
#define VLAPIC_DFR      0x0e0u
#define VLAPIC_SVR      0x0f0u
#define VLAPIC_ISR      0x100u  /* 8 registers, 0x100-0x170 */
#define VLAPIC_TMR      0x180u  /* 0x180-0x1f0 */
#define VLAPIC_IRR      0x200u  /* 0x200-0x270 */
#define VLAPIC_ESR      0x280u
#define VLAPIC_LVT_CMCI 0x2f0u
#define VLAPIC_ICR_LO   0x300u
#define VLAPIC_ICR_HI   0x310u
#define VLAPIC_LVT_TIMER   0x320u
#define VLAPIC_LVT_THERMAL 0x330u
#define VLAPIC_LVT_PERF    0x340u
#define VLAPIC_LVT_LINT0   0x350u
#define VLAPIC_LVT_LINT1   0x360u
#define VLAPIC_LVT_ERROR   0x370u
#define VLAPIC_TMICT    0x380u
#define VLAPIC_TMCCT    0x390u
#define VLAPIC_DCR      0x3e0u
#define VLAPIC_SELF_IPI 0x3f0u  /* x2APIC only (MSR 83FH) */

/* MSRs (SDM Vol. 4; x2APIC MSR = 800H + offset / 16, SDM 11.12.1.2). */
#define VLAPIC_MSR_APIC_BASE    0x1bu
#define VLAPIC_MSR_TSC_DEADLINE 0x6e0u
#define VLAPIC_MSR_X2APIC_FIRST 0x800u
#define VLAPIC_MSR_X2APIC_LAST  0x8ffu

/* IA32_APIC_BASE bits (SDM 11.4.4, Figure 11-5; 11.12.1 EXTD). */
#define VLAPIC_BASE_BSP   (1ull << 8)
#define VLAPIC_BASE_EXTD  (1ull << 10)
#define VLAPIC_BASE_EN    (1ull << 11)
#define VLAPIC_BASE_DEFAULT 0xfee00000ull

/* SVR (Figure 11-23). */
#define VLAPIC_SVR_ENABLE        (1u << 8)
#define VLAPIC_SVR_FOCUS_OFF     (1u << 9)
#define VLAPIC_SVR_EOI_SUPPRESS  (1u << 12)

/* LVT fields (Figure 11-8). */
#define VLAPIC_LVT_VECTOR     0xffu
#define VLAPIC_LVT_DM(v)      (((v) >> 8) & 7u)
#define VLAPIC_LVT_PENDING    (1u << 12)
#define VLAPIC_LVT_POLARITY   (1u << 13)
#define VLAPIC_LVT_REMOTE_IRR (1u << 14)
#define VLAPIC_LVT_LEVEL      (1u << 15)
#define VLAPIC_LVT_MASKED     (1u << 16)
#define VLAPIC_LVT_TIMER_MODE(v) (((v) >> 17) & 3u)
#define VLAPIC_TIMER_ONESHOT  0u
#define VLAPIC_TIMER_PERIODIC 1u
#define VLAPIC_TIMER_DEADLINE 2u

/* ESR bits (SDM 11.5.3, Figure 11-9). */
#define VLAPIC_ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define VLAPIC_ESR_RECV_ILLEGAL_VECTOR (1u << 6)
#define VLAPIC_ESR_ILLEGAL_REGISTER    (1u << 7)

/* Delivery modes (ICR and LVT, SDM 11.6.1 and 11.5.1). */
#define VLAPIC_DM_FIXED  0u
#define VLAPIC_DM_LOWEST 1u
#define VLAPIC_DM_SMI    2u
#define VLAPIC_DM_NMI    4u
#define VLAPIC_DM_INIT   5u
#define VLAPIC_DM_SIPI   6u
#define VLAPIC_DM_EXTINT 7u

/* ICR destination shorthands (bits 19:18). */
#define VLAPIC_SH_NONE     0u
#define VLAPIC_SH_SELF     1u
#define VLAPIC_SH_ALL_INCL 2u
#define VLAPIC_SH_ALL_EXCL 3u

/* The version register's version field (an integrated xAPIC, as KVM and
 * recent Intel CPUs report). */
#define VLAPIC_VERSION 0x14u

/* --- configuration ------------------------------------------------------- */
#define VLAPIC_F_X2APIC       (1u << 0) /* CPUID.1:ECX.x2APIC: EXTD may be set */
#define VLAPIC_F_TSC_DEADLINE (1u << 1) /* CPUID.1:ECX[24]: timer mode 2, MSR 6E0H */
#define VLAPIC_F_EOI_SUPPRESS (1u << 2) /* version bit 24, SVR bit 12 (directed EOI) */
#define VLAPIC_F_LVT_PERF     (1u << 3) /* the LVT entries shown to the guest */
#define VLAPIC_F_LVT_THERMAL  (1u << 4)
#define VLAPIC_F_LVT_CMCI     (1u << 5)

struct x86vcpu_vlapic_config {
    uint32_t apic_id;     /* initial x2APIC ID; the xAPIC ID is its low 8 bits */
    uint32_t tsc_khz;     /* guest TSC frequency ("now" counts these) */
    uint32_t bus_khz;     /* the timer's input clock (before the divider) */
    uint32_t features;    /* VLAPIC_F_* */
    uint8_t maxphyaddr;   /* the guest's MAXPHYADDR (reserved bits of APIC_BASE) */
    uint8_t bsp;          /* IA32_APIC_BASE.BSP */
};

struct x86vcpu_vlapic {
    uint32_t *regs;         /* the virtual-APIC page: 1024 words, caller's */
    uint64_t apic_base;     /* IA32_APIC_BASE */
    uint64_t tsc_deadline;  /* IA32_TSC_DEADLINE; 0 = disarmed */
    uint64_t timer_t0;      /* TSC at which the count was timer_c0 */
    uint32_t timer_c0;      /* 0: the one-shot/periodic count is not running */
    uint32_t esr_pending;   /* errors since the last ESR write (SDM 11.5.3) */
    uint32_t lint_rirr;     /* remote IRR of LINT0 (bit 0), LINT1 (bit 1) */
    /* The LVT timer and DCR as last applied: after an APIC-write exit the
     * page already holds the new value, and a mode or divider change is
     * relative to the old one. */
    uint32_t timer_lvt, timer_dcr;
    uint32_t apic_id;       /* initial (x2)APIC ID */
    uint32_t tsc_khz, bus_khz;
    uint32_t features;
    uint8_t maxphyaddr;
};

/* --- effects of a write, for the embedder ------------------------------- */
struct x86vcpu_vlapic_ipi {
    uint32_t dest;      /* x2APIC: 32 bits; xAPIC: ICR[63:56] */
    uint8_t vector;
    uint8_t mode;       /* VLAPIC_DM_* (never 3 or 7) */
    uint8_t shorthand;  /* VLAPIC_SH_* */
    uint8_t logical;    /* destination mode: 1 = logical */
    uint8_t level;      /* 1 = assert */
    uint8_t trigger;    /* 1 = level-triggered */
    uint8_t x2apic;     /* the sender was in x2APIC mode (32-bit dest) */
};

#define VLAPIC_FX_IPI     (1u << 0) /* .ipi to route (x86vcpu__vlapic_ipi_match) */
#define VLAPIC_FX_EOI     (1u << 1) /* an EOI cleared .eoi_vector from the ISR */
#define VLAPIC_FX_EOI_BCAST (1u << 2) /* ...level-triggered, not suppressed: tell
                                       * the I/O APICs (SDM 11.8.5) */
#define VLAPIC_FX_TIMER   (1u << 3) /* timer (re)armed or stopped: re-read
                                     * x86vcpu__vlapic_timer_next */
#define VLAPIC_FX_IRQ     (1u << 4) /* IRR or PPR changed: re-evaluate pending */
#define VLAPIC_FX_MODE    (1u << 5) /* mode (disabled/xAPIC/x2APIC) or base changed */

struct x86vcpu_vlapic_fx {
    uint32_t flags;
    uint8_t eoi_vector;
    struct x86vcpu_vlapic_ipi ipi;
};

/* Return values of the access functions. */
#define VLAPIC_OK       0
#define VLAPIC_GP       1  /* inject #GP(0) (MSR view) */
#define VLAPIC_NOT_APIC 2  /* MMIO view: not in xAPIC mode, not the APIC's */

/* Actions of accepting an interrupt message (x86vcpu__vlapic_accept and
 * friends): what the vCPU must do. */
#define VLAPIC_ACT_NONE   0  /* dropped (disabled, masked, illegal vector) */
#define VLAPIC_ACT_IRQ    1  /* set in IRR: re-evaluate pending */
#define VLAPIC_ACT_NMI    2
#define VLAPIC_ACT_SMI    3
#define VLAPIC_ACT_INIT   4
#define VLAPIC_ACT_SIPI   5  /* with the vector */
#define VLAPIC_ACT_EXTINT 6  /* ask the 8259 for the vector; bypasses IRR */

/* --- life cycle ---------------------------------------------------------- */
/* 0, or -1 if a frequency is 0 or page is NULL. Power-up state (SDM
 * 11.4.7.1) with IA32_APIC_BASE = FEE00000H | EN | BSP per config. */
int x86vcpu__vlapic_init(struct x86vcpu_vlapic *l, uint32_t *page,
                         const struct x86vcpu_vlapic_config *c);
/* RESET: the power-up state, xAPIC mode, base FEE00000H. */
void x86vcpu__vlapic_reset(struct x86vcpu_vlapic *l);
/* INIT (SDM 11.4.7.3): registers to their power-up values except the APIC
 * ID (and x2APIC LDR) and IA32_APIC_BASE. */
void x86vcpu__vlapic_init_signal(struct x86vcpu_vlapic *l);

/* --- the two views ------------------------------------------------------- */
/* xAPIC MMIO, offset into the 4 KiB window. Registers are 32 bits at
 * 16-byte aligned offsets (SDM 11.4.1); a read of 1, 2 or 4 bytes inside
 * the first dword of a slot returns those bytes, other bytes of a slot read
 * 0; only 4-byte writes at the start of a slot have an effect. Reserved
 * registers read 0, ignore writes and set ESR "illegal register address".
 * VLAPIC_NOT_APIC unless in xAPIC mode (SDM 11.12.1.2: in x2APIC mode the
 * MMIO interface is gone). */
int x86vcpu__vlapic_mmio_read(struct x86vcpu_vlapic *l, uint64_t now, uint32_t offset,
                              unsigned size, uint32_t *val);
int x86vcpu__vlapic_mmio_write(struct x86vcpu_vlapic *l, uint64_t now, uint32_t offset,
                               unsigned size, uint32_t val, struct x86vcpu_vlapic_fx *fx);
/* An APIC-write VM exit (reason 56, SDM 30.4.3.3): the guest's 4-byte
 * write is already in the page at offset (the exit qualification); do its
 * side effects as mmio_write would (ESR latch, LVT masks and read-only
 * bits, ICR send, timer start, ...). */
int x86vcpu__vlapic_apic_write(struct x86vcpu_vlapic *l, uint64_t now, uint32_t offset,
                               struct x86vcpu_vlapic_fx *fx);
/* RDMSR/WRMSR of IA32_APIC_BASE, IA32_TSC_DEADLINE, 800H-8FFH: VLAPIC_OK or
 * VLAPIC_GP (then *val untouched, no state changed). Other MSRs: VLAPIC_GP. */
int x86vcpu__vlapic_msr_read(struct x86vcpu_vlapic *l, uint64_t now, uint32_t msr, uint64_t *val);
int x86vcpu__vlapic_msr_write(struct x86vcpu_vlapic *l, uint64_t now, uint32_t msr, uint64_t val,
                              struct x86vcpu_vlapic_fx *fx);
/* Is msr one of those the MSR view handles? */
int x86vcpu__vlapic_is_msr(uint32_t msr);

/* --- state queries ------------------------------------------------------ */
int x86vcpu__vlapic_hw_enabled(const struct x86vcpu_vlapic *l);  /* EN */
int x86vcpu__vlapic_x2apic(const struct x86vcpu_vlapic *l);      /* EN and EXTD */
int x86vcpu__vlapic_sw_enabled(const struct x86vcpu_vlapic *l);  /* EN and SVR[8] */
uint32_t x86vcpu__vlapic_id(const struct x86vcpu_vlapic *l);     /* 8 or 32 bits */
uint32_t x86vcpu__vlapic_ldr(const struct x86vcpu_vlapic *l);    /* as the register reads */
/* Priorities (SDM 11.8.3.1, 11.6.2.4): computed from the page now. */
uint32_t x86vcpu__vlapic_ppr(const struct x86vcpu_vlapic *l);
uint32_t x86vcpu__vlapic_apr(const struct x86vcpu_vlapic *l);
/* Highest vector set in IRR / ISR, or -1. */
int x86vcpu__vlapic_highest_irr(const struct x86vcpu_vlapic *l);
int x86vcpu__vlapic_highest_isr(const struct x86vcpu_vlapic *l);
/* TPR (CR8 is TPR[7:4], SDM 10.8.6.1); setting it updates PPR. */
void x86vcpu__vlapic_set_tpr(struct x86vcpu_vlapic *l, uint32_t tpr);
/* The VMCS TPR threshold for a TPR shadow (SDM 30.1.2): the priority class
 * of the highest pending interrupt if TPR masks it, else 0. */
uint32_t x86vcpu__vlapic_tpr_threshold(const struct x86vcpu_vlapic *l);

/* --- interrupts ---------------------------------------------------------- */
/* An interrupt message for this APIC (I/O APIC, MSI, IPI after matching):
 * fixed/lowest priority set IRR (and TMR for level, cleared for edge);
 * vectors 0-15 are refused with ESR "received illegal vector"; fixed
 * interrupts are refused while software-disabled (SDM 11.4.7.2); NMI, SMI,
 * INIT, SIPI, ExtINT are returned as actions. VLAPIC_ACT_*. */
int x86vcpu__vlapic_accept(struct x86vcpu_vlapic *l, unsigned mode, uint8_t vector, int level);
/* The highest IRR vector whose priority class is above PPR[7:4], or -1. */
int x86vcpu__vlapic_pending(const struct x86vcpu_vlapic *l);
/* Acknowledge it (INTA): IRR -> ISR, PPR raised. The vector, or -1. */
int x86vcpu__vlapic_ack(struct x86vcpu_vlapic *l);
/* EOI (SDM 11.8.5): the highest ISR bit cleared; fx gets VLAPIC_FX_EOI with
 * its vector, and VLAPIC_FX_EOI_BCAST when it was level-triggered (TMR)
 * and SVR[12] does not suppress the broadcast. Nothing if ISR is empty. */
void x86vcpu__vlapic_eoi(struct x86vcpu_vlapic *l, struct x86vcpu_vlapic_fx *fx);
/* An LVT source fires (reg = VLAPIC_LVT_*): LINT0/1 pins, thermal, perf,
 * CMCI (the timer and error entries fire by themselves). With the APIC
 * globally disabled, LINT0 is INTR (ExtINT) and LINT1 NMI (SDM 11.4.3).
 * A level-triggered fixed LINT sets remote IRR until its EOI. */
int x86vcpu__vlapic_lvt_fire(struct x86vcpu_vlapic *l, uint32_t reg);
/* Would an ExtINT (8259 INTR) be taken: APIC disabled, or LINT0 unmasked
 * in ExtINT mode. */
int x86vcpu__vlapic_accepts_extint(const struct x86vcpu_vlapic *l);

/* --- IPIs ---------------------------------------------------------------- */
/* Is target among the destinations of ipi? target_is_sender: the target is
 * the APIC that sent it (shorthands). Uses target's mode: physical ID or
 * broadcast (FFH, or FFFFFFFFH from an x2APIC sender); xAPIC logical flat
 * (DFR model 1111b) or cluster (0000b, SDM 11.6.2.2); x2APIC logical
 * cluster (SDM 11.12.10.2). A globally disabled APIC matches nothing. */
int x86vcpu__vlapic_ipi_match(const struct x86vcpu_vlapic *target,
                              const struct x86vcpu_vlapic_ipi *ipi, int target_is_sender);
/* Deliver a matched IPI to target (x86vcpu__vlapic_accept). For lowest
 * priority, the embedder picks the matched target with the lowest APR.
 * An INIT level de-assert is VLAPIC_ACT_NONE (SDM 11.6.1). */
int x86vcpu__vlapic_ipi_deliver(struct x86vcpu_vlapic *target, const struct x86vcpu_vlapic_ipi *ipi);

/* --- timer --------------------------------------------------------------- */
/* Fire what is due at now: the timer vector into IRR unless masked,
 * periodic re-armed from its last deadline (missed periods coalesce into
 * one interrupt), one-shot stopped, IA32_TSC_DEADLINE cleared. Returns 1 if
 * it expired. Call it when the deadline passes (VMX-preemption timer) and
 * before evaluating pending interrupts. */
int x86vcpu__vlapic_timer_update(struct x86vcpu_vlapic *l, uint64_t now, struct x86vcpu_vlapic_fx *fx);
/* 1 with *ticks = TSC ticks from now to the next expiry (0: due), or 0 if
 * the timer is not armed. */
int x86vcpu__vlapic_timer_next(const struct x86vcpu_vlapic *l, uint64_t now, uint64_t *ticks);

/* floor(a * b / c), saturated to 2^64-1; *inexact set if the division had
 * a remainder (NULL: not wanted). c != 0. Exposed for tests. */
uint64_t x86vcpu__vlapic_muldiv(uint64_t a, uint32_t b, uint32_t c, int *inexact);

#endif
