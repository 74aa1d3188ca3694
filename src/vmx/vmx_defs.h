/* Architectural constants used by the VMX backend (SDM Vol. 3, chapters
 * 25-28 and Appendix A). Private. */
#ifndef X86VCPU_VMX_DEFS_H
#define X86VCPU_VMX_DEFS_H

#include "lib/arch.h"         /* CR0/CR4/EFER/RFLAGS bits, exception vectors */
/* Interruption information (INTR_INFO_*, INTR_TYPE_*: VM-entry, VM-exit and
 * IDT-vectoring, SDM 25.8.3, 28.2.2, 28.2.4) and interruptibility state
 * (INTR_BLOCK_*, 25.4.2): shared with the pure event rules of src/lib. */
#include "lib/event_fields.h"

/* RFLAGS.RF (SDM 18.3.1.1): set in the image a fault pushes. */
#define RFLAGS_RF            (1ull << 16)

/* MSRs */
#define MSR_IA32_FEATURE_CONTROL   0x3a
#define MSR_IA32_SYSENTER_CS       0x174
#define MSR_IA32_SYSENTER_ESP      0x175
#define MSR_IA32_SYSENTER_EIP      0x176
#define MSR_IA32_PAT               0x277
#define MSR_IA32_VMX_BASIC         0x480
#define MSR_IA32_VMX_PINBASED      0x481
#define MSR_IA32_VMX_PROCBASED     0x482
#define MSR_IA32_VMX_EXIT          0x483
#define MSR_IA32_VMX_ENTRY         0x484
#define MSR_IA32_VMX_MISC          0x485
#define MSR_IA32_VMX_CR0_FIXED0    0x486
#define MSR_IA32_VMX_CR0_FIXED1    0x487
#define MSR_IA32_VMX_CR4_FIXED0    0x488
#define MSR_IA32_VMX_CR4_FIXED1    0x489
#define MSR_IA32_VMX_PROCBASED2    0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP  0x48c
#define MSR_IA32_VMX_TRUE_PINBASED 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED 0x48e
#define MSR_IA32_VMX_TRUE_EXIT     0x48f
#define MSR_IA32_VMX_TRUE_ENTRY    0x490
#define MSR_IA32_EFER              0xc0000080
#define MSR_IA32_FS_BASE           0xc0000100
#define MSR_IA32_GS_BASE           0xc0000101

#define FEATURE_CONTROL_LOCK       (1ull << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ull << 2)

/* IA32_VMX_MISC (SDM A.6) */
#define MISC_EXIT_SAVES_LMA  (1ull << 5)   /* VM exits store EFER.LMA in "IA-32e mode guest" */
#define MISC_ACTIVITY_HLT    (1ull << 6)   /* the HLT activity state is supported */


/* Pin-based controls (SDM 25.6.1) */
#define PIN_EXTINT_EXITING   (1u << 0)
#define PIN_NMI_EXITING      (1u << 3)
#define PIN_VIRTUAL_NMIS     (1u << 5)
#define PIN_PREEMPT_TIMER    (1u << 6)
/* Primary processor-based controls (SDM 25.6.2) */
#define PROC_INTR_WINDOW     (1u << 2)
#define PROC_TSC_OFFSET      (1u << 3)
#define PROC_HLT_EXITING     (1u << 7)
#define PROC_INVLPG_EXITING  (1u << 9)
#define PROC_MWAIT_EXITING   (1u << 10)
#define PROC_RDPMC_EXITING   (1u << 11)
#define PROC_RDTSC_EXITING   (1u << 12)
#define PROC_CR3_LOAD        (1u << 15)
#define PROC_CR3_STORE       (1u << 16)
#define PROC_CR8_LOAD        (1u << 19)
#define PROC_CR8_STORE       (1u << 20)
#define PROC_TPR_SHADOW      (1u << 21)
#define PROC_NMI_WINDOW      (1u << 22)
#define PROC_MOV_DR_EXITING  (1u << 23)
#define PROC_UNCOND_IO       (1u << 24)
#define PROC_USE_IO_BITMAPS  (1u << 25)
#define PROC_MONITOR_TRAP    (1u << 27)
#define PROC_USE_MSR_BITMAPS (1u << 28)
#define PROC_MONITOR_EXITING (1u << 29)
#define PROC_PAUSE_EXITING   (1u << 30)
#define PROC_SECONDARY       (1u << 31)
/* Secondary processor-based controls */
#define PROC2_VIRT_APIC      (1u << 0)
#define PROC2_EPT            (1u << 1)
#define PROC2_DESC_EXITING   (1u << 2)
#define PROC2_RDTSCP         (1u << 3)
#define PROC2_X2APIC_MODE    (1u << 4)
#define PROC2_VPID           (1u << 5)
#define PROC2_WBINVD_EXITING (1u << 6)
#define PROC2_UNRESTRICTED   (1u << 7)
#define PROC2_APIC_REG_VIRT  (1u << 8)
#define PROC2_VIRT_INTR      (1u << 9)
#define PROC2_INVPCID        (1u << 12)
#define PROC2_VMFUNC         (1u << 13)
#define PROC2_RDRAND_EXITING (1u << 11)
#define PROC2_RDSEED_EXITING (1u << 16)
#define PROC2_XSAVES         (1u << 20)
#define PROC2_USER_WAIT_PAUSE (1u << 26)
/* VM-exit controls (SDM 25.7.1) */
#define EXIT_SAVE_DEBUG      (1u << 2)
#define EXIT_HOST_ADDR64     (1u << 9)
#define EXIT_ACK_INTR        (1u << 15)
#define EXIT_SAVE_PAT        (1u << 18)
#define EXIT_LOAD_PAT        (1u << 19)
#define EXIT_SAVE_EFER       (1u << 20)
#define EXIT_LOAD_EFER       (1u << 21)
#define EXIT_SAVE_PREEMPT    (1u << 22)
/* VM-entry controls (SDM 25.8.1) */
#define ENTRY_LOAD_DEBUG     (1u << 2)
/* Debug registers at reset (SDM Vol. 3 Table 10-1) and DR7's enable bits
 * L0-G3 (SDM 18.2.4); a VM exit loads DR7 = DR7_RESET (SDM 28.5.1). */
#define DR6_RESET            0xffff0ff0ull
#define DR7_RESET            0x400ull
#define DR7_ENABLES          0xffull
#define ENTRY_IA32E_GUEST    (1u << 9)
#define ENTRY_LOAD_PAT       (1u << 14)
#define ENTRY_LOAD_EFER      (1u << 15)

/* IA32_VMX_EPT_VPID_CAP (SDM A.10) */
#define EPTCAP_WALK4         (1ull << 6)
#define EPTCAP_WB            (1ull << 14)
#define EPTCAP_2M            (1ull << 16)
#define EPTCAP_1G            (1ull << 17)
#define EPTCAP_INVEPT        (1ull << 20)
#define EPTCAP_AD            (1ull << 21)
#define EPTCAP_INVEPT_SINGLE (1ull << 25)
#define EPTCAP_INVEPT_ALL    (1ull << 26)
#define VPIDCAP_INVVPID      (1ull << 32)
#define VPIDCAP_SINGLE       (1ull << 41)
#define VPIDCAP_ALL          (1ull << 42)

/* Segment access rights in the VMCS format (SDM 25.4.1, Table 25-2). */
#define AR_TYPE_DATA_RW_A    0x3
#define AR_TYPE_CODE_RX_A    0xb
#define AR_TYPE_TSS_BUSY     0xb
#define AR_S                 (1u << 4)
#define AR_P                 (1u << 7)
#define AR_L                 (1u << 13)
#define AR_DB                (1u << 14)
#define AR_G                 (1u << 15)
#define AR_UNUSABLE          (1u << 16)

#define AR_DPL(ar)           (((ar) >> 5) & 3u)   /* SS.DPL is the CPL (SDM 25.4.1) */

/* Activity state (SDM 25.4.2, Table 25-3) */
#define ACTIVITY_ACTIVE      0
#define ACTIVITY_HLT         1

/* Exit reason (SDM 25.9.1): bit 31 set when VM entry failed. */
#define EXIT_REASON_ENTRY_FAIL (1u << 31)

/* Exit qualification of control-register accesses (SDM Table 28-3). */
#define CR_QUAL_CR(q)        ((unsigned)(q) & 15)         /* bits 3:0 */
#define CR_QUAL_TYPE(q)      ((unsigned)((q) >> 4) & 3)   /* bits 5:4 */
#define CR_QUAL_REG(q)       ((unsigned)((q) >> 8) & 15)  /* bits 11:8, enum x86vcpu_gpr */
#define CR_QUAL_LMSW_SRC(q)  ((uint16_t)((q) >> 16))      /* bits 31:16 */
#define CR_TYPE_MOV_TO       0
#define CR_TYPE_MOV_FROM     1
#define CR_TYPE_CLTS         2
#define CR_TYPE_LMSW         3

/* Exit qualification of EPT violations (SDM Table 28-7): bits 2:0 the
 * access (read, write, fetch: X86VCPU_EPT_R/W/X), bits 5:3 what the entry
 * allowed, bit 7 the guest-linear address is valid, bit 8 (when bit 7 is
 * set) the access was to the translated address rather than to a guest
 * paging-structure entry, bit 12 the access belonged to an IRET that
 * unblocked NMIs (28.2.3). */
#define EPT_QUAL_ACCESS(q)   ((uint8_t)((q) & 7))
#define EPT_QUAL_PERMS(q)    ((uint8_t)(((q) >> 3) & 7))
#define EPT_QUAL_GLA_VALID   (1ull << 7)
#define EPT_QUAL_GLA_FINAL   (1ull << 8)
#define EPT_QUAL_NMI_UNBLOCK (1ull << 12)

#endif
