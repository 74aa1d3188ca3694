/* Architectural register bits (SDM Vol. 3A 2.5 control registers, 2.2.1
 * IA32_EFER; Vol. 1 3.4.3 RFLAGS, 13.3 XCR0), CPUID feature bits and
 * exception vectors (Vol. 3A Table 6-1). One place for the library and its
 * tests. */
#ifndef X86VCPU_LIB_ARCH_H
#define X86VCPU_LIB_ARCH_H

#ifndef BIT
#define BIT(n) (1ull << (n))
#endif

/* The low `bytes` bytes of a register: an operand, address or count size
 * (1, 2, 4 or 8). */
static inline unsigned long long x86vcpu__size_mask(unsigned bytes)
{
    return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

#define CR0_PE  BIT(0)
#define CR0_MP  BIT(1)
#define CR0_EM  BIT(2)
#define CR0_TS  BIT(3)
#define CR0_ET  BIT(4)
#define CR0_NE  BIT(5)
#define CR0_WP  BIT(16)
#define CR0_AM  BIT(18)
#define CR0_NW  BIT(29)
#define CR0_CD  BIT(30)
#define CR0_PG  BIT(31)

#define CR4_VME        BIT(0)
#define CR4_PVI        BIT(1)
#define CR4_TSD        BIT(2)
#define CR4_DE         BIT(3)
#define CR4_PSE        BIT(4)
#define CR4_PAE        BIT(5)
#define CR4_MCE        BIT(6)
#define CR4_PGE        BIT(7)
#define CR4_PCE        BIT(8)
#define CR4_OSFXSR     BIT(9)
#define CR4_OSXMMEXCPT BIT(10)
#define CR4_UMIP       BIT(11)
#define CR4_LA57       BIT(12)
#define CR4_VMXE       BIT(13)
#define CR4_SMXE       BIT(14)
#define CR4_FSGSBASE   BIT(16)
#define CR4_PCIDE      BIT(17)
#define CR4_OSXSAVE    BIT(18)
#define CR4_KL         BIT(19)
#define CR4_SMEP       BIT(20)
#define CR4_SMAP       BIT(21)
#define CR4_PKE        BIT(22)
#define CR4_CET        BIT(23)
#define CR4_PKS        BIT(24)
#define CR4_UINTR      BIT(25)
#define CR4_LASS       BIT(27)
#define CR4_LAM_SUP    BIT(28)
#define CR4_FRED       BIT(32)

/* RFLAGS (Vol. 1 3.4.3): bit 1 always reads 1. */
#define RFLAGS_FIXED BIT(1)
#define RFLAGS_IF    BIT(9)
#define RFLAGS_DF    BIT(10)
#define RFLAGS_AC    BIT(18)

#define EFER_SCE BIT(0)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)

#define XCR0_X87       BIT(0)
#define XCR0_SSE       BIT(1)
#define XCR0_AVX       BIT(2)
#define XCR0_BNDREGS   BIT(3)
#define XCR0_BNDCSR    BIT(4)
#define XCR0_OPMASK    BIT(5)
#define XCR0_ZMM_HI256 BIT(6)
#define XCR0_HI16_ZMM  BIT(7)
#define XCR0_PKRU      BIT(9)
#define XCR0_TILECFG   BIT(17)
#define XCR0_TILEDATA  BIT(18)

/* CPUID feature bits the library reads or changes (Vol. 2 CPUID). */
#define CPUID1_ECX_VMX              (1u << 5)
#define CPUID1_ECX_XSAVE            (1u << 26)
#define CPUID1_ECX_OSXSAVE          (1u << 27)
#define CPUID1_ECX_HV               (1u << 31)   /* "hypervisor present" */
#define CPUID_D1_EAX_XSAVES         (1u << 3)    /* leaf 0DH, subleaf 1 */
#define CPUID_80000001_EDX_SYSCALL  (1u << 11)
#define CPUID_80000001_EDX_NX       (1u << 20)

/* Exception vectors (Vol. 3A Table 6-1) the library raises or inspects. */
#define X86VCPU_VEC_DB  1
#define X86VCPU_VEC_NMI 2
#define X86VCPU_VEC_BP  3
#define X86VCPU_VEC_OF  4
#define X86VCPU_VEC_UD  6
#define X86VCPU_VEC_DF  8
#define X86VCPU_VEC_GP  13
#define X86VCPU_VEC_PF  14

#endif
