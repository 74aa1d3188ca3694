/* What a guest's CPUID shows by default: the features the library
 * virtualizes (as KVM's supported-CPUID list), an allow-list, bit by bit;
 * the MSRs hidden features imply; and the architectural MSRs a PC has
 * that follow from CPUID (IA32_MISC_ENABLE, MTRRs, MCG_*), kept per vCPU.
 * SDM Vol. 2A CPUID, Vol. 4 Table 2-2. The reasons, bit by bit, are in
 * docs/CPUID.md. Pure. */
#include "lib/arch.h"
#include "lib/cpuid_policy.h"

#define ALWAYS 0xffu        /* shown whatever the features */
#define ANY_SUB 0xffffffffu

/* One allow-list entry: bits `mask` of register `reg` of `leaf`, subleaves
 * sub_lo..sub_hi, shown when `feat` is on (or ALWAYS). A leaf without an
 * entry reads all zeros; so do the bits of a listed leaf that no entry
 * names (unknown and future bits are hidden). */
struct allow {
    uint32_t leaf, sub_lo, sub_hi;
    uint8_t reg, feat;
    uint32_t mask;
};

#define B(n) (1u << (n))
#define EAX 0
#define EBX 1
#define ECX 2
#define EDX 3
#define ALL 0xffffffffu
/* A leaf passed through whole (no feature flags in it: signatures, cache,
 * topology, TSC ratios, address sizes...). */
#define WHOLE(l, lo, hi, f)                                                          \
    { l, lo, hi, EAX, f, ALL }, { l, lo, hi, EBX, f, ALL }, { l, lo, hi, ECX, f, ALL }, \
        { l, lo, hi, EDX, f, ALL }

static const struct allow allow_list[] = {
    WHOLE(0, 0, ANY_SUB, ALWAYS), /* max leaf, vendor */
    /* Leaf 1: EAX version, EBX brand/CLFLUSH/count/APIC ID. */
    { 1, 0, ANY_SUB, EAX, ALWAYS, ALL },
    { 1, 0, ANY_SUB, EBX, ALWAYS, ALL },
    /* ECX: SSE3, PCLMULQDQ, SSSE3, FMA, CX16, PCID, SSE4.1, SSE4.2, MOVBE,
     * POPCNT, AES, XSAVE, OSXSAVE (the guest's CR4), AVX, F16C. Hidden:
     * DTES64 2 and DS-CPL 4 (DS), MONITOR 3, VMX 5 (no nested VMX), SMX 6,
     * EST 7 and TM2 8 (THERMAL), CNXT-ID 10, SDBG 11, xTPR 14, PDCM 15
     * (PMU), DCA 18; HV 31 is set by the filter. */
    { 1, 0, ANY_SUB, ECX, ALWAYS,
      B(0) | B(1) | B(9) | B(12) | B(13) | B(17) | B(19) | B(20) | B(22) | B(23) | B(25) | B(26) |
          B(27) | B(28) | B(29) },
    { 1, 0, ANY_SUB, ECX, X86VCPU_FEAT_MONITOR, B(3) },
    { 1, 0, ANY_SUB, ECX, X86VCPU_FEAT_DS, B(2) | B(4) },
    { 1, 0, ANY_SUB, ECX, X86VCPU_FEAT_THERMAL, B(7) | B(8) },
    { 1, 0, ANY_SUB, ECX, X86VCPU_FEAT_PMU, B(15) },
    { 1, 0, ANY_SUB, ECX, X86VCPU_FEAT_X2APIC, B(21) },
    { 1, 0, ANY_SUB, ECX, X86VCPU_FEAT_TSC_DEADLINE, B(24) },
    { 1, 0, ANY_SUB, ECX, X86VCPU_FEAT_RDRAND, B(30) },
    /* EDX: FPU VME DE PSE TSC MSR PAE MCE CX8, SEP MTRR PGE MCA CMOV PAT
     * PSE36, CLFSH, MMX FXSR SSE SSE2 SS HTT. Hidden: PSN 18, DS 21, ACPI
     * 22, TM 29, PBE 31 (THERMAL); APIC 9 is the embedder's. */
    { 1, 0, ANY_SUB, EDX, ALWAYS,
      B(0) | B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) | B(11) | B(12) | B(13) |
          B(14) | B(15) | B(16) | B(17) | B(19) | B(23) | B(24) | B(25) | B(26) | B(27) | B(28) },
    { 1, 0, ANY_SUB, EDX, X86VCPU_FEAT_APIC, B(9) },
    { 1, 0, ANY_SUB, EDX, X86VCPU_FEAT_DS, B(21) },
    { 1, 0, ANY_SUB, EDX, X86VCPU_FEAT_THERMAL, B(22) | B(29) | B(31) },
    WHOLE(2, 0, ANY_SUB, ALWAYS),           /* cache and TLB descriptors */
    WHOLE(4, 0, ANY_SUB, ALWAYS),           /* deterministic cache parameters */
    WHOLE(5, 0, ANY_SUB, X86VCPU_FEAT_MONITOR),
    /* Leaf 6: ARAT (EAX[2], the APIC timer runs in every C-state) is no
     * MSR; the rest is thermal and power management. */
    { 6, 0, ANY_SUB, EAX, ALWAYS, B(2) },
    WHOLE(6, 0, ANY_SUB, X86VCPU_FEAT_THERMAL),
    /* Leaf 7.0: EAX the highest subleaf. EBX: FSGSBASE, TSC_ADJUST, BMI1,
     * HLE, AVX2, FDP_EXCPTN_ONLY, SMEP, BMI2, ERMS, RTM, FPU CS/DS
     * deprecated, AVX512F/DQ, ADX, SMAP, AVX512_IFMA, CLFLUSHOPT, CLWB,
     * AVX512PF/ER/CD, SHA, AVX512BW/VL. Hidden: RDT-M 12, MPX 14, RDT-A
     * 15, Intel PT 25 (PT). */
    { 7, 0, 0, EAX, ALWAYS, ALL },
    { 7, 0, 0, EBX, ALWAYS,
      B(0) | B(1) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) | B(9) | B(11) | B(13) | B(16) |
          B(17) | B(19) | B(20) | B(21) | B(23) | B(24) | B(26) | B(27) | B(28) | B(29) | B(30) |
          B(31) },
    { 7, 0, 0, EBX, X86VCPU_FEAT_INVPCID, B(10) },
    { 7, 0, 0, EBX, X86VCPU_FEAT_RDSEED, B(18) },
    { 7, 0, 0, EBX, X86VCPU_FEAT_PT, B(25) },
    /* ECX: PREFETCHWT1, AVX512_VBMI, UMIP, PKU, OSPKE (the guest's CR4),
     * AVX512_VBMI2, GFNI, VAES, VPCLMULQDQ, AVX512_VNNI/BITALG/VPOPCNTDQ,
     * CLDEMOTE, MOVDIRI, MOVDIR64B; RDPID with RDTSCP (both need "enable
     * RDTSCP", SDM 26.3). Hidden: WAITPKG 5, CET_SS 7, TME 13, LA57 16,
     * MAWAU, KL 23, BUS_LOCK 24, ENQCMD 29, SGX_LC 30, PKS 31. */
    { 7, 0, 0, ECX, ALWAYS,
      B(0) | B(1) | B(2) | B(3) | B(4) | B(6) | B(8) | B(9) | B(10) | B(11) | B(12) | B(14) |
          B(25) | B(27) | B(28) },
    { 7, 0, 0, ECX, X86VCPU_FEAT_RDTSCP, B(22) },
    /* EDX: AVX512_4VNNIW/4FMAPS, FSRM, VP2INTERSECT, MD_CLEAR, SERIALIZE,
     * TSXLDTRK. Hidden: UINTR, SRBDS_CTRL, TSX_FORCE_ABORT, hybrid,
     * PCONFIG, arch LBR, CET_IBT, AMX, and the speculation controls
     * (IBRS/IBPB, STIBP, L1D_FLUSH, ARCH_CAPABILITIES, CORE_CAPABILITIES,
     * SSBD): their MSRs are nobody's. */
    { 7, 0, 0, EDX, ALWAYS, B(2) | B(3) | B(4) | B(8) | B(10) | B(14) | B(16) },
    /* 7.1 EAX: AVX-VNNI, AVX512_BF16, fast zero-length MOVSB, fast short
     * STOSB/CMPSB. Hidden: LASS, FRED, LAM (their CR4 bits are reserved
     * for guests), HRESET, the rest. */
    { 7, 1, 1, EAX, ALWAYS, B(4) | B(5) | B(10) | B(11) | B(12) },
    WHOLE(0xa, 0, ANY_SUB, X86VCPU_FEAT_PMU),
    WHOLE(0xb, 0, ANY_SUB, ALWAYS),         /* x2APIC topology */
    /* 0xD.0: the XCR0 components (XSETBV checks them), sizes. 0xD.1 EAX:
     * XSAVEOPT, XSAVEC, XGETBV1; XSAVES with its control. Hidden: XFD 4.
     * ECX/EDX: IA32_XSS bits, masked again by guest_cpuid.c. */
    WHOLE(0xd, 0, 0, ALWAYS),
    { 0xd, 1, 1, EAX, ALWAYS, B(0) | B(1) | B(2) },
    { 0xd, 1, 1, EAX, X86VCPU_FEAT_XSAVES, B(3) },
    { 0xd, 1, 1, EBX, ALWAYS, ALL },
    { 0xd, 1, 1, ECX, ALWAYS, ALL },
    { 0xd, 1, 1, EDX, ALWAYS, ALL },
    WHOLE(0xd, 2, 63, ALWAYS),
    WHOLE(0x14, 0, ANY_SUB, X86VCPU_FEAT_PT),
    WHOLE(0x15, 0, ANY_SUB, ALWAYS),        /* TSC/crystal ratio */
    WHOLE(0x16, 0, ANY_SUB, ALWAYS),        /* frequencies */
    WHOLE(0x18, 0, ANY_SUB, ALWAYS),        /* TLB parameters */
    WHOLE(0x1f, 0, ANY_SUB, ALWAYS),        /* V2 topology */
    WHOLE(0x80000000u, 0, ANY_SUB, ALWAYS), /* highest extended leaf */
    /* 80000001H: ECX LAHF/SAHF, LZCNT, PREFETCHW; EDX SYSCALL (64-bit
     * mode only: guest_cpuid.c), NX, 1 GiB pages, LM; RDTSCP. */
    { 0x80000001u, 0, ANY_SUB, EAX, ALWAYS, ALL },
    { 0x80000001u, 0, ANY_SUB, ECX, ALWAYS, B(0) | B(5) | B(8) },
    { 0x80000001u, 0, ANY_SUB, EDX, ALWAYS, B(11) | B(20) | B(26) | B(29) },
    { 0x80000001u, 0, ANY_SUB, EDX, X86VCPU_FEAT_RDTSCP, B(27) },
    WHOLE(0x80000002u, 0, ANY_SUB, ALWAYS), /* brand string */
    WHOLE(0x80000003u, 0, ANY_SUB, ALWAYS),
    WHOLE(0x80000004u, 0, ANY_SUB, ALWAYS),
    WHOLE(0x80000006u, 0, ANY_SUB, ALWAYS), /* L2 cache */
    /* 80000007H: invariant TSC (EDX[8]) only: the guest's TSC is the
     * host's plus an offset. */
    { 0x80000007u, 0, ANY_SUB, EDX, ALWAYS, B(8) },
    /* 80000008H: address sizes; EBX WBNOINVD. */
    { 0x80000008u, 0, ANY_SUB, EAX, ALWAYS, ALL },
    { 0x80000008u, 0, ANY_SUB, EBX, ALWAYS, B(9) },
};

uint32_t x86vcpu__cpuid_effective_leaf(uint32_t leaf, uint32_t max_basic, uint32_t max_ext)
{
    if (leaf < 0x80000000u)
        return leaf > max_basic ? max_basic : leaf;
    return leaf > max_ext ? max_basic : leaf;
}

uint32_t x86vcpu__cpuid_allowed(uint32_t features, uint32_t leaf, uint32_t subleaf, unsigned reg)
{
    uint32_t m = 0;
    for (unsigned i = 0; i < sizeof allow_list / sizeof allow_list[0]; i++) {
        const struct allow *a = &allow_list[i];
        if (a->leaf != leaf || a->reg != reg || subleaf < a->sub_lo || subleaf > a->sub_hi)
            continue;
        if (a->feat == ALWAYS || x86vcpu__feat_on(features, a->feat))
            m |= a->mask;
    }
    return m;
}

void x86vcpu__cpuid_mask(uint32_t features, uint32_t leaf, uint32_t subleaf,
                         struct x86vcpu_cpuid_regs *r)
{
    r->eax &= x86vcpu__cpuid_allowed(features, leaf, subleaf, EAX);
    r->ebx &= x86vcpu__cpuid_allowed(features, leaf, subleaf, EBX);
    r->ecx &= x86vcpu__cpuid_allowed(features, leaf, subleaf, ECX);
    r->edx &= x86vcpu__cpuid_allowed(features, leaf, subleaf, EDX);
}

uint32_t x86vcpu__cpuid_allowed_end(uint32_t features, uint32_t leaf)
{
    uint32_t end = 0;
    for (unsigned i = 0; i < sizeof allow_list / sizeof allow_list[0]; i++) {
        const struct allow *a = &allow_list[i];
        if (a->leaf != leaf || !(a->feat == ALWAYS || x86vcpu__feat_on(features, a->feat)))
            continue;
        if (a->sub_hi == ANY_SUB)
            return UINT32_MAX;
        if (a->sub_hi + 1 > end)
            end = a->sub_hi + 1;
    }
    return end;
}

int x86vcpu__cpuid_leaf_indexed(uint32_t leaf)
{
    /* Vol. 2A CPUID, the leaves with an ECX input: cache parameters (4),
     * structured features (7), topology (0BH, 1FH), XSAVE (0DH), RDT
     * (0FH, 10H), SGX (12H), PT (14H), SoC vendor (17H), TLBs (18H), AMX
     * (1DH, 1EH), and the later 20H-24H. KVM's list is the same. */
    static const uint32_t sdm[] = { 4, 7, 0xb, 0xd, 0xf, 0x10, 0x12, 0x14, 0x17, 0x18,
                                    0x1d, 0x1e, 0x1f, 0x20, 0x23, 0x24 };
    for (unsigned i = 0; i < sizeof sdm / sizeof sdm[0]; i++)
        if (sdm[i] == leaf)
            return 1;
    /* The allow-list tells subleaves apart (7 and 0DH today). */
    for (unsigned i = 0; i < sizeof allow_list / sizeof allow_list[0]; i++) {
        const struct allow *a = &allow_list[i];
        if (a->leaf == leaf && (a->sub_lo != 0 || a->sub_hi != ANY_SUB))
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------ hidden MSRs */
/* The MSRs of features the policy may hide, as disjoint ranges sorted by
 * `lo`, so that an MSR exit finds its range by binary search (5 steps for
 * 26 ranges) instead of a scan of every range (issue 15: 147-191
 * instructions per RDMSR/WRMSR exit before). `need`: the features that
 * must all be on for the range to be shown; 0: never shown. */
struct msr_range {
    uint32_t lo, hi;
    uint32_t need;
};

#define NEED(f) (1u << X86VCPU_FEAT_##f)
#define NEVER 0u

static const struct msr_range hidden_msrs[] = {
    { 0x6, 0x6, NEED(MONITOR) },                  /* MONITOR_FILTER_SIZE */
    { 0x1b, 0x1b, NEED(APIC) },                   /* IA32_APIC_BASE */
    /* PMU (SDM 20.2, Vol. 4 Table 2-2): PMCs, event selects, fixed
     * counters, PERF_CAPABILITIES (PDCM), global control, full-width
     * PMCs, PEBS. Thermal and power (THERMAL): MPERF/APERF,
     * PERF_STATUS/CTL (EST), CLOCK_MODULATION, THERM_INTERRUPT/STATUS,
     * ENERGY_PERF_BIAS, PACKAGE_THERM_*, HWP. */
    { 0xc1, 0xc8, NEED(PMU) },
    { 0xe7, 0xe8, NEED(THERMAL) },
    { 0x17b, 0x17b, NEVER },                      /* MCG_CTL: MCG_CAP.CTL_P = 0 */
    { 0x186, 0x18d, NEED(PMU) },
    { 0x198, 0x19c, NEED(THERMAL) },
    { 0x1b0, 0x1b2, NEED(THERMAL) },
    { 0x280, 0x29f, NEVER },                      /* MCi_CTL2: MCG_CAP.Count = 0 */
    { 0x309, 0x30c, NEED(PMU) },
    { 0x345, 0x345, NEED(PMU) },
    { 0x38d, 0x392, NEED(PMU) },
    { 0x3f1, 0x3f1, NEED(PMU) | NEED(DS) },       /* PEBS_ENABLE: PMU and debug store */
    { 0x3f6, 0x3f7, NEED(PMU) },
    { 0x400, 0x47f, NEVER },                      /* machine-check banks */
    { 0x480, 0x493, NEVER },                      /* VMX capabilities: VMX is hidden */
    { 0x4c1, 0x4c8, NEED(PMU) },
    /* Intel PT: RTIT_OUTPUT_BASE/MASK, CTL, STATUS, CR3_MATCH, ADDRn. */
    { 0x560, 0x561, NEED(PT) },
    { 0x570, 0x572, NEED(PT) },
    { 0x580, 0x587, NEED(PT) },
    { 0x600, 0x600, NEED(DS) },                   /* IA32_DS_AREA */
    { 0x6e0, 0x6e0, NEED(TSC_DEADLINE) },
    { 0x770, 0x777, NEED(THERMAL) },              /* HWP */
    { 0x800, 0x8ff, NEED(X2APIC) },
    { 0xda0, 0xda0, NEED(XSAVES) },               /* IA32_XSS */
    { 0xc0000103u, 0xc0000103u, NEED(RDTSCP) },   /* TSC_AUX */
};

int x86vcpu__msr_hidden(const struct x86vcpu_cpuid_policy *p, uint32_t msr)
{
    /* The last range with lo <= msr, if any (bounded: log2 of the table). */
    unsigned lo = 0, hi = sizeof hidden_msrs / sizeof hidden_msrs[0];
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (hidden_msrs[mid].lo <= msr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || msr > hidden_msrs[lo - 1].hi)
        return 0;
    uint32_t need = hidden_msrs[lo - 1].need;
    return need == NEVER || (p->features & need) != need;
}

#undef NEED
#undef NEVER

/* ------------------------------------------------- MISC_ENABLE, MTRRs */
#define MSR_MTRRCAP 0xfeu
#define MSR_MCG_CAP 0x179u
#define MSR_MCG_STATUS 0x17au
#define MSR_MISC_ENABLE 0x1a0u
#define MSR_MTRR_DEF_TYPE 0x2ffu

/* IA32_MISC_ENABLE bits (Vol. 4 Table 2-2). */
#define ME_FAST_STRINGS B(0)   /* R/W, on: REP MOVS/STOS run as the host's */
#define ME_TCC B(3)            /* automatic thermal control (THERMAL) */
#define ME_PERFMON B(7)        /* R/O: performance monitoring available */
#define ME_BTS_UNAVAIL B(11)   /* R/O */
#define ME_PEBS_UNAVAIL B(12)  /* R/O */
#define ME_EIST B(16)          /* R/W if CPUID.01H:ECX[7] (THERMAL) */
#define ME_MONITOR B(18)       /* = CPUID.01H:ECX[3] */
#define ME_LIMIT_CPUID B(22)   /* R/W: CPUID.0:EAX reads at most 2 */
#define ME_XD_DISABLE (1ull << 34)

static uint64_t misc_enable_ro(uint32_t f)
{
    uint64_t v = 0;
    if (x86vcpu__feat_on(f, X86VCPU_FEAT_PMU))
        v |= ME_PERFMON;
    if (!x86vcpu__feat_on(f, X86VCPU_FEAT_DS))
        v |= ME_BTS_UNAVAIL;
    if (!x86vcpu__feat_on(f, X86VCPU_FEAT_DS) || !x86vcpu__feat_on(f, X86VCPU_FEAT_PMU))
        v |= ME_PEBS_UNAVAIL;
    if (x86vcpu__feat_on(f, X86VCPU_FEAT_MONITOR))
        v |= ME_MONITOR;
    return v;
}

void x86vcpu__arch_msrs_reset(struct x86vcpu_cpuid_policy *p, int firmware)
{
    struct x86vcpu_arch_msrs *m = &p->msrs;
    /* Fast strings on (the reset value of most processors, and what the
     * host's REP string instructions do anyway); XD disable 0 (NX stays
     * as CPUID shows it); limit-CPUID 0. */
    m->misc_enable = ME_FAST_STRINGS | misc_enable_ro(p->features);
    if (x86vcpu__feat_on(p->features, X86VCPU_FEAT_THERMAL))
        m->misc_enable |= ME_TCC;
    /* SDM 12.11.5: MTRRs are disabled at power-on; firmware enables them.
     * A guest started past its firmware finds them enabled with WB as the
     * default type, no range programmed. With EPT the guest's MTRRs do
     * not reach the hardware (SDM 30.3.7.2: the EPT memory type is used
     * instead): they are kept so that a guest reads back what it wrote. */
    m->mtrr_def_type = firmware ? (B(11) | 6) : 0;
    x86vcpu__cpuid_tbl_stale(p);    /* limit-CPUID (bit 22) may have been set */
    for (int i = 0; i < X86VCPU_MTRR_FIXED; i++)
        m->mtrr_fixed[i] = 0;
    for (int i = 0; i < 2 * X86VCPU_MTRR_VAR; i++)
        m->mtrr_var[i] = 0;
    m->mcg_status = 0;
}

static int mtrr_fixed_index(uint32_t msr)
{
    /* SDM 12.11.2.2: 64K_00000, 16K_80000, 16K_A0000, 4K_C0000..4K_F8000. */
    if (msr == 0x250)
        return 0;
    if (msr == 0x258 || msr == 0x259)
        return (int)(msr - 0x258) + 1;
    if (msr >= 0x268 && msr <= 0x26f)
        return (int)(msr - 0x268) + 3;
    return -1;
}

static int mtrr_type_valid(uint64_t t)
{
    /* UC, WC, WT, WP, WB (Table 12-8); 2, 3 and 7+ are reserved. */
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

int x86vcpu__arch_msr_read(const struct x86vcpu_cpuid_policy *p, uint32_t msr, uint64_t *val)
{
    const struct x86vcpu_arch_msrs *m = &p->msrs;
    int i;
    switch (msr) {
    case MSR_MISC_ENABLE: *val = m->misc_enable; return 1;
    case MSR_MTRRCAP: *val = X86VCPU_MTRRCAP_VALUE; return 1;
    case MSR_MTRR_DEF_TYPE: *val = m->mtrr_def_type; return 1;
    case MSR_MCG_CAP: *val = 0; return 1;   /* no banks, no MCG_CTL, no extensions */
    case MSR_MCG_STATUS: *val = m->mcg_status; return 1;
    default: break;
    }
    if (msr >= MSR_MTRR_PHYS0 && msr < MSR_MTRR_PHYS0 + 2 * X86VCPU_MTRR_VAR) {
        *val = m->mtrr_var[msr - MSR_MTRR_PHYS0];
        return 1;
    }
    if ((i = mtrr_fixed_index(msr)) >= 0) {
        *val = m->mtrr_fixed[i];
        return 1;
    }
    return 0;
}

int x86vcpu__arch_msr_write(struct x86vcpu_cpuid_policy *p, uint32_t msr, uint64_t val,
                            unsigned maxphyaddr)
{
    struct x86vcpu_arch_msrs *m = &p->msrs;
    uint64_t phys = maxphyaddr >= 12 && maxphyaddr < 64 ? ((1ull << maxphyaddr) - 1) & ~0xfffull
                                                         : 0;
    int i;
    switch (msr) {
    case MSR_MISC_ENABLE: {
        /* Read-only bits keep their value whatever is written; a set
         * reserved bit, or XD disable (NX cannot be withdrawn from a
         * running guest's CPU), #GP (WRMSR, Vol. 2B). EIST and the
         * thermal control only with THERMAL. */
        uint64_t ro = ME_PERFMON | ME_BTS_UNAVAIL | ME_PEBS_UNAVAIL | ME_MONITOR;
        uint64_t rw = ME_FAST_STRINGS | ME_LIMIT_CPUID;
        if (x86vcpu__feat_on(p->features, X86VCPU_FEAT_THERMAL))
            rw |= ME_TCC | ME_EIST;
        if (val & ~(ro | rw))
            return X86VCPU_VEC_GP;
        if ((val ^ m->misc_enable) & ME_LIMIT_CPUID)
            x86vcpu__cpuid_tbl_stale(p);    /* CPUID.0:EAX changes */
        m->misc_enable = (val & rw) | misc_enable_ro(p->features);
        return 0;
    }
    case MSR_MTRRCAP:
    case MSR_MCG_CAP:
        return X86VCPU_VEC_GP;      /* read-only */
    case MSR_MTRR_DEF_TYPE:
        /* Type 7:0, FE 10, E 11; the rest reserved (SDM 12.11.2.1). */
        if ((val & ~(0xffull | B(10) | B(11))) || !mtrr_type_valid(val & 0xff))
            return X86VCPU_VEC_GP;
        m->mtrr_def_type = val;
        return 0;
    case MSR_MCG_STATUS:
        /* RIPV, EIPV, MCIP; LMCE_S needs MCG_CAP.LMCE_P (0). */
        if (val & ~0x7ull)
            return X86VCPU_VEC_GP;
        m->mcg_status = val;
        return 0;
    default: break;
    }
    if (msr >= MSR_MTRR_PHYS0 && msr < MSR_MTRR_PHYS0 + 2 * X86VCPU_MTRR_VAR) {
        /* PhysBase: type 7:0, base MAXPHYADDR-1:12; PhysMask: V 11, mask
         * MAXPHYADDR-1:12 (SDM 12.11.2.3). */
        int is_mask = (msr - MSR_MTRR_PHYS0) & 1;
        uint64_t ok = is_mask ? (phys | B(11)) : (phys | 0xff);
        if ((val & ~ok) || (!is_mask && !mtrr_type_valid(val & 0xff)))
            return X86VCPU_VEC_GP;
        m->mtrr_var[msr - MSR_MTRR_PHYS0] = val;
        return 0;
    }
    if ((i = mtrr_fixed_index(msr)) >= 0) {
        /* Eight type bytes, each a valid type (SDM 12.11.2.2). */
        for (int b = 0; b < 8; b++)
            if (!mtrr_type_valid((val >> (8 * b)) & 0xff))
                return X86VCPU_VEC_GP;
        m->mtrr_fixed[i] = val;
        return 0;
    }
    return -1;
}
