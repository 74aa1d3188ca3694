/* x86vcpu — VMX basic exit reasons (Intel SDM Vol. 3, Appendix C).
 *
 * X86VCPU_EXIT_REASONS(F) is the single list: F(NAME, NUMBER) per reason.
 * It generates the constants X86VCPU_EXIT_REASON_<NAME> = NUMBER below and
 * the name table behind x86vcpu_exit_reason_name(). Numbers 35, 38, 42 and
 * 71 are not defined by the SDM and are absent. A basic exit reason is bits
 * 15:0 of the exit-reason field; every number here is below
 * X86VCPU_EXIT_REASON_MAX (x86vcpu.h).
 */
#ifndef X86VCPU_EXIT_REASONS_H
#define X86VCPU_EXIT_REASONS_H

#define X86VCPU_EXIT_REASONS(F) \
    F(EXCEPTION_NMI,              0) \
    F(EXTERNAL_INTERRUPT,         1) \
    F(TRIPLE_FAULT,               2) \
    F(INIT_SIGNAL,                3) \
    F(SIPI,                       4) \
    F(IO_SMI,                     5) \
    F(OTHER_SMI,                  6) \
    F(INTERRUPT_WINDOW,           7) \
    F(NMI_WINDOW,                 8) \
    F(TASK_SWITCH,                9) \
    F(CPUID,                     10) \
    F(GETSEC,                    11) \
    F(HLT,                       12) \
    F(INVD,                      13) \
    F(INVLPG,                    14) \
    F(RDPMC,                     15) \
    F(RDTSC,                     16) \
    F(RSM,                       17) \
    F(VMCALL,                    18) \
    F(VMCLEAR,                   19) \
    F(VMLAUNCH,                  20) \
    F(VMPTRLD,                   21) \
    F(VMPTRST,                   22) \
    F(VMREAD,                    23) \
    F(VMRESUME,                  24) \
    F(VMWRITE,                   25) \
    F(VMXOFF,                    26) \
    F(VMXON,                     27) \
    F(CR_ACCESS,                 28) \
    F(DR_ACCESS,                 29) \
    F(IO_INSTRUCTION,            30) \
    F(RDMSR,                     31) \
    F(WRMSR,                     32) \
    F(ENTRY_FAIL_GUEST_STATE,    33) \
    F(ENTRY_FAIL_MSR_LOAD,       34) \
    F(MWAIT,                     36) \
    F(MONITOR_TRAP_FLAG,         37) \
    F(MONITOR,                   39) \
    F(PAUSE,                     40) \
    F(ENTRY_FAIL_MACHINE_CHECK,  41) \
    F(TPR_BELOW_THRESHOLD,       43) \
    F(APIC_ACCESS,               44) \
    F(VIRTUALIZED_EOI,           45) \
    F(GDTR_IDTR_ACCESS,          46) \
    F(LDTR_TR_ACCESS,            47) \
    F(EPT_VIOLATION,             48) \
    F(EPT_MISCONFIG,             49) \
    F(INVEPT,                    50) \
    F(RDTSCP,                    51) \
    F(PREEMPTION_TIMER,          52) \
    F(INVVPID,                   53) \
    F(WBINVD,                    54) \
    F(XSETBV,                    55) \
    F(APIC_WRITE,                56) \
    F(RDRAND,                    57) \
    F(INVPCID,                   58) \
    F(VMFUNC,                    59) \
    F(ENCLS,                     60) \
    F(RDSEED,                    61) \
    F(PML_FULL,                  62) \
    F(XSAVES,                    63) \
    F(XRSTORS,                   64) \
    F(PCONFIG,                   65) \
    F(SPP_EVENT,                 66) \
    F(UMWAIT,                    67) \
    F(TPAUSE,                    68) \
    F(LOADIWKEY,                 69) \
    F(ENCLV,                     70) \
    F(ENQCMD_PASID_FAIL,         72) \
    F(ENQCMDS_PASID_FAIL,        73) \
    F(BUS_LOCK,                  74) \
    F(INSTRUCTION_TIMEOUT,       75) \
    F(SEAMCALL,                  76) \
    F(TDCALL,                    77) \
    F(RDMSRLIST,                 78) \
    F(WRMSRLIST,                 79)

#define X86VCPU_EXIT_REASON_ENUM_ENTRY_(name, nr) X86VCPU_EXIT_REASON_##name = (nr),
enum x86vcpu_exit_reason {
    X86VCPU_EXIT_REASONS(X86VCPU_EXIT_REASON_ENUM_ENTRY_)
};
#undef X86VCPU_EXIT_REASON_ENUM_ENTRY_

/* The basic exit reason: bits 15:0 of the exit-reason field. */
#define X86VCPU_EXIT_REASON_BASIC_MASK  0xFFFFu

#endif
