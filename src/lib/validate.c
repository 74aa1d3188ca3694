/* Validity of guest writes to CR0/CR3/CR4/XCR0. Sources: SDM Vol. 2 "MOV—Move
 * to/from Control Registers", "LMSW", "XSETBV"; Vol. 3A 2.5, 4.1.2, 4.10.1;
 * Vol. 1 13.3; Vol. 3C 26.1.1. */
#include "lib/arch.h"
#include "lib/validate.h"


/* PE MP EM TS ET NE WP AM NW CD PG: the defined CR0 bits (2.5). */
#define CR0_DEFINED 0xE005003Full



#define CR3_NOFLUSH BIT(63)

static int in_64bit_mode(const struct x86vcpu_cr_ctx *c)
{
    return c->long_mode_active && c->cs_l;
}

/* Outside 64-bit mode MOV to CR has a 32-bit operand and zeroes CR[63:32]
 * (Vol. 2 MOV CR). */
static uint64_t operand(const struct x86vcpu_cr_ctx *c, uint64_t val)
{
    return in_64bit_mode(c) ? val : (uint32_t)val;
}

int x86vcpu__check_cr0_write(const struct x86vcpu_cr_ctx *c, uint64_t val, uint64_t *out)
{
    val = operand(c, val);
    /* CR0[63:32] are reserved and #GP; reserved bits in CR0[31:0] are
     * ignored (stay 0); ET is hardwired to 1 (Vol. 2 MOV CR, 2.5). */
    if (val >> 32)
        return X86VCPU_VEC_GP;
    /* Invalid combinations: PG without PE, NW without CD (2.5). */
    if ((val & CR0_PG) && !(val & CR0_PE))
        return X86VCPU_VEC_GP;
    if ((val & CR0_NW) && !(val & CR0_CD))
        return X86VCPU_VEC_GP;
    int pg_on = (val & CR0_PG) && !(c->cr0 & CR0_PG);
    int pg_off = !(val & CR0_PG) && (c->cr0 & CR0_PG);
    /* Activating IA-32e mode needs CR4.PAE (4.1.2), and #GPs with CS.L = 1
     * or a 16-bit TSS in TR (MOV CR protected-mode exceptions). */
    if (pg_on && (c->efer & EFER_LME)) {
        if (!(c->cr4 & CR4_PAE) || c->cs_l || c->tr_16bit)
            return X86VCPU_VEC_GP;
    }
    /* PG cannot be cleared in 64-bit mode, nor while CR4.PCIDE = 1 (MOV CR
     * 64-bit/compatibility-mode exceptions, 4.10.1). */
    if (pg_off && (in_64bit_mode(c) || (c->cr4 & CR4_PCIDE)))
        return X86VCPU_VEC_GP;
    /* WP cannot be cleared while CR4.CET = 1 (2.5, CR4.CET). */
    if (!(val & CR0_WP) && (c->cr4 & CR4_CET))
        return X86VCPU_VEC_GP;
    *out = (val & CR0_DEFINED) | CR0_ET;
    return 0;
}

uint64_t x86vcpu__lmsw_value(uint64_t cr0, uint16_t src)
{
    /* Vol. 2 LMSW: loads PE, MP, EM, TS only; PE can be set, not cleared. */
    return (cr0 & ~0xFull) | (src & 0xFu) | (cr0 & CR0_PE);
}

uint64_t x86vcpu__cr4_reserved_mask(const struct x86vcpu_cr_ctx *c)
{
    /* Each CR4 bit is reserved unless CPUID reports its feature; PCE is
     * always allowed (2.5.1, CPUID Qualification of Control Register Flags).
     * Bits for features not described by these leaves (LASS, LAM_SUP in
     * 7.1:EAX; FRED) stay reserved. */
    uint32_t e1 = c->cpuid1_edx, c1 = c->cpuid1_ecx;
    uint32_t b7 = c->cpuid7_ebx, c7 = c->cpuid7_ecx, d7 = c->cpuid7_edx;
    uint64_t ok = CR4_PCE;
    if (e1 & (1u << 1))  ok |= CR4_VME | CR4_PVI;      /* VME */
    if (e1 & (1u << 4))  ok |= CR4_TSD;                /* TSC */
    if (e1 & (1u << 2))  ok |= CR4_DE;                 /* DE */
    if (e1 & (1u << 3))  ok |= CR4_PSE;                /* PSE */
    if (e1 & (1u << 6))  ok |= CR4_PAE;                /* PAE */
    if (e1 & (1u << 7))  ok |= CR4_MCE;                /* MCE */
    if (e1 & (1u << 13)) ok |= CR4_PGE;                /* PGE */
    if (e1 & (1u << 24)) ok |= CR4_OSFXSR;             /* FXSR */
    if (e1 & (1u << 25)) ok |= CR4_OSXMMEXCPT;         /* SSE */
    if (c1 & (1u << 5))  ok |= CR4_VMXE;               /* VMX */
    if (c1 & (1u << 6))  ok |= CR4_SMXE;               /* SMX */
    if (c1 & (1u << 17)) ok |= CR4_PCIDE;              /* PCID */
    if (c1 & (1u << 26)) ok |= CR4_OSXSAVE;            /* XSAVE */
    if (b7 & (1u << 0))  ok |= CR4_FSGSBASE;           /* FSGSBASE */
    if (b7 & (1u << 7))  ok |= CR4_SMEP;               /* SMEP */
    if (b7 & (1u << 20)) ok |= CR4_SMAP;               /* SMAP */
    if (c7 & (1u << 2))  ok |= CR4_UMIP;               /* UMIP */
    if (c7 & (1u << 3))  ok |= CR4_PKE;                /* PKU */
    if (c7 & (1u << 16)) ok |= CR4_LA57;               /* LA57 */
    if (c7 & (1u << 23)) ok |= CR4_KL;                 /* Key Locker */
    if (c7 & (1u << 31)) ok |= CR4_PKS;                /* PKS */
    if ((c7 & (1u << 7)) || (d7 & (1u << 20)))
        ok |= CR4_CET;                                 /* CET_SS or CET_IBT */
    if (d7 & (1u << 5))  ok |= CR4_UINTR;              /* UINTR */
    return ~ok;
}

int x86vcpu__check_cr4_write(const struct x86vcpu_cr_ctx *c, uint64_t val, uint64_t *out)
{
    val = operand(c, val);
    if (val & (c->cr4_allowed ? ~c->cr4_allowed : x86vcpu__cr4_reserved_mask(c)))
        return X86VCPU_VEC_GP;
    if (c->long_mode_active) {
        /* IA-32e mode cannot be left by clearing PAE (4.1.2), and LA57
         * cannot be changed in it (2.5). */
        if (!(val & CR4_PAE))
            return X86VCPU_VEC_GP;
        if ((val ^ c->cr4) & CR4_LA57)
            return X86VCPU_VEC_GP;
    }
    if (val & CR4_PCIDE) {
        /* PCIDE = 1 only in IA-32e mode; 0 -> 1 needs CR3[11:0] = 0
         * (MOV CR exceptions, 4.10.1). */
        if (!c->long_mode_active)
            return X86VCPU_VEC_GP;
        if (!(c->cr4 & CR4_PCIDE) && (c->cr3 & 0xFFFu))
            return X86VCPU_VEC_GP;
    }
    /* CET can be set only while CR0.WP = 1 (2.5, CR4.CET). */
    if ((val & CR4_CET) && !(c->cr0 & CR0_WP))
        return X86VCPU_VEC_GP;
    *out = val;
    return 0;
}

int x86vcpu__check_cr3_write(const struct x86vcpu_cr_ctx *c, uint64_t val, uint64_t *out)
{
    val = operand(c, val);
    if (c->long_mode_active) {
        /* CR3[63:MAXPHYADDR] are reserved (#GP), except bit 63 with
         * CR4.PCIDE = 1: it only suppresses the flush and is not stored
         * (Vol. 2 MOV CR, 4.10.4.1). LAM's bits 62:61 count as reserved:
         * LAM is not offered. */
        uint32_t maxphy = c->maxphyaddr ? c->maxphyaddr : 36;
        if (maxphy > 52)
            maxphy = 52;
        uint64_t rsvd = ~0ull << maxphy;
        if (c->cr4 & CR4_PCIDE)
            rsvd &= ~CR3_NOFLUSH;
        if (val & rsvd)
            return X86VCPU_VEC_GP;
        val &= ~CR3_NOFLUSH;
    }
    /* Outside IA-32e mode the 32-bit value never faults here (PAE PDPTE
     * checks aside, see validate.h). */
    *out = val;
    return 0;
}

#define XCR0_MPX      (BIT(3) | BIT(4))
#define XCR0_AVX512   (BIT(5) | BIT(6) | BIT(7))
#define XCR0_AMX      (BIT(17) | BIT(18))

int x86vcpu__check_xsetbv(uint32_t cpl, uint64_t cr4, uint32_t ecx, uint64_t val,
                          uint64_t supported_xcr0)
{
    /* Vol. 3C 26.1.1: #UD and faults based on privilege level take priority
     * over VM exits, so the CPU raises #UD (its CR4.OSXSAVE = 0) and #GP
     * (CPL > 0) itself before XSETBV exits. The CPU checks the real CR4,
     * not the guest's shadowed view, so both are checked again here. */
    if (!(cr4 & CR4_OSXSAVE))
        return X86VCPU_VEC_UD;
    if (cpl != 0)
        return X86VCPU_VEC_GP;
    /* Only XCR0 exists (Vol. 2 XSETBV). */
    if (ecx != 0)
        return X86VCPU_VEC_GP;
    /* Vol. 1 13.3: bits CPUID.(0DH,0):EDX:EAX does not report are reserved
     * (bit 63 always is); x87 must stay set; AVX needs SSE; MPX's two bits
     * go together; AVX-512's three bits go together and need SSE and AVX;
     * AMX's XTILECFG and XTILEDATA go together. */
    if (val & ~supported_xcr0)
        return X86VCPU_VEC_GP;
    if (val & BIT(63))
        return X86VCPU_VEC_GP;
    if (!(val & XCR0_X87))
        return X86VCPU_VEC_GP;
    if ((val & XCR0_AVX) && !(val & XCR0_SSE))
        return X86VCPU_VEC_GP;
    if ((val & XCR0_MPX) && (val & XCR0_MPX) != XCR0_MPX)
        return X86VCPU_VEC_GP;
    if (val & XCR0_AVX512) {
        if ((val & XCR0_AVX512) != XCR0_AVX512)
            return X86VCPU_VEC_GP;
        if ((val & (XCR0_SSE | XCR0_AVX)) != (XCR0_SSE | XCR0_AVX))
            return X86VCPU_VEC_GP;
    }
    if ((val & XCR0_AMX) && (val & XCR0_AMX) != XCR0_AMX)
        return X86VCPU_VEC_GP;
    return 0;
}
