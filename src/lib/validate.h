/* Validity of guest writes to CR0, CR3, CR4 and XCR0 (MOV to CR, LMSW,
 * CLTS, XSETBV), so that the exit handlers raise exactly the fault a real
 * CPU would. Pure logic: functions of values only. */
#ifndef X86VCPU_LIB_VALIDATE_H
#define X86VCPU_LIB_VALIDATE_H

#include <stdint.h>
#include "lib/arch.h" /* X86VCPU_VEC_UD, X86VCPU_VEC_GP: what the checks return */

/* What the validators need to know about the CPU and the guest. */
struct x86vcpu_cr_ctx {
    uint64_t cr0, cr4, efer;  /* current guest values (guest view, i.e. architectural) */
    uint64_t cr3;             /* current guest CR3 (PCIDE 0->1 needs CR3[11:0] = 0) */
    uint32_t maxphyaddr;      /* CPUID.80000008H:EAX[7:0]; 0 = not reported (36 assumed) */
    uint32_t cpl;             /* not used by the CR checks (CPL > 0 faults before the exit) */
    int long_mode_active;     /* EFER.LMA */
    int cs_l;                 /* CS.L of the CS descriptor cache; 64-bit mode is
                               * long_mode_active && cs_l */
    int tr_16bit;             /* TR references a 16-bit TSS (type 1 or 3) */
    uint32_t cpuid1_ecx, cpuid1_edx, cpuid7_ebx, cpuid7_ecx, cpuid7_edx; /* guest-visible feature bits */
    /* The CR4 bits those words allow (~x86vcpu__cr4_reserved_mask), when
     * the caller has them already; 0: computed from the words. */
    uint64_t cr4_allowed;
};

/* Each check returns 0 when the write is valid, storing in *out the value
 * the guest's register becomes, or the vector to inject (X86VCPU_VEC_GP,
 * always #GP(0): error code 0), leaving *out untouched. `val` is the source register;
 * outside 64-bit mode only its low 32 bits count (the checks truncate). */
int x86vcpu__check_cr0_write(const struct x86vcpu_cr_ctx *c, uint64_t val, uint64_t *out);
int x86vcpu__check_cr4_write(const struct x86vcpu_cr_ctx *c, uint64_t val, uint64_t *out);
/* CR3 in PAE paging (outside IA-32e mode) loads the PDPTEs, which can #GP on
 * reserved bits; that memory-dependent check is not done here. */
int x86vcpu__check_cr3_write(const struct x86vcpu_cr_ctx *c, uint64_t val, uint64_t *out);

/* CR0 after LMSW: loads bits 3:0 (PE, MP, EM, TS) from `src` but cannot
 * clear PE. LMSW never faults at CPL 0. */
uint64_t x86vcpu__lmsw_value(uint64_t cr0, uint16_t src);

/* CR4 bits a MOV to CR4 may not set: undefined bits plus bits of features
 * the guest's CPUID does not report. */
uint64_t x86vcpu__cr4_reserved_mask(const struct x86vcpu_cr_ctx *c);

/* XSETBV: 0 when valid (XCR0 becomes `val`), X86VCPU_VEC_UD or
 * X86VCPU_VEC_GP. `ecx` is ECX (RCX[63:32] ignored), `val` is EDX:EAX,
 * `supported_xcr0` is CPUID.(EAX=0DH,ECX=0):EDX:EAX. */
int x86vcpu__check_xsetbv(uint32_t cpl, uint64_t cr4, uint32_t ecx, uint64_t val,
                          uint64_t supported_xcr0);

#endif
