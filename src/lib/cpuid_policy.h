/* Per-vCPU CPUID policy: what the guest sees for one CPUID, from what the
 * host returned. Pure logic: functions of values only. */
#ifndef X86VCPU_LIB_CPUID_POLICY_H
#define X86VCPU_LIB_CPUID_POLICY_H

#include <stdint.h>
#include <x86vcpu/x86vcpu.h> /* enum x86vcpu_feature */

/* ------------------------------------------------------- one CPUID's answer */
struct x86vcpu_cpuid_regs { uint32_t eax, ebx, ecx, edx; };

/* ---------------------------------------------------- hypervisor leaves */
#define X86VCPU_CPUID_HV_BASE 0x40000000u
#define X86VCPU_CPUID_HV_LAST 0x40000001u
/* Leaves answered entirely by the hypervisor (no CPUID executed): the whole
 * 0x40000000-0x4fffffff range is reserved for hypervisors, and leaves not
 * defined here read as zeros rather than host values. Inline: it is on the
 * CPUID exit path. */
static inline int x86vcpu__cpuid_is_hv_leaf(uint32_t leaf)
{
    return (leaf & 0xf0000000u) == X86VCPU_CPUID_HV_BASE;
}
/* Leaf 0x40000000: EAX the highest hypervisor leaf, EBX:ECX:EDX the vendor
 * signature; 0x40000001 (interface/features) and the rest: zeros. */
void x86vcpu__cpuid_hv_leaf(uint32_t leaf, const char vendor[12], struct x86vcpu_cpuid_regs *r);
/* Adjust what the real CPUID returned for the guest: hide VMX, set the
 * hypervisor-present bit, mirror OSXSAVE from the guest's CR4. */
void x86vcpu__cpuid_filter(uint32_t leaf, uint32_t subleaf, uint64_t guest_cr4,
                           struct x86vcpu_cpuid_regs *r);

/* ---------------------------------------------- XSAVE layout (SDM Vol. 1 13.4) */
/* Filled once from the host's CPUID.(EAX=0DH,ECX=i), i = 2..62. All zeros
 * (a zeroed frame, or x86vcpu__xstate_layout_init) is the empty layout. */
struct x86vcpu_xstate_layout {
    uint32_t offset[64];    /* EBX: standard-format offset (0 for supervisor state) */
    uint32_t size[64];      /* EAX */
    uint64_t valid;         /* bit i: component i was added */
    uint64_t align64;       /* bit i: ECX[1], 64-byte aligned in the compacted format */
};

void x86vcpu__xstate_layout_init(struct x86vcpu_xstate_layout *l);
/* Records component 2..62; X86VCPU_EINVAL for other components or l NULL. */
int x86vcpu__xstate_layout_add(struct x86vcpu_xstate_layout *l, uint32_t component,
                               uint32_t offset, uint32_t size, int align64);
/* Size of a standard-format XSAVE area for the components in `xcr0`: the
 * 576-byte legacy region and header, or the end of the furthest enabled
 * component i >= 2 if larger (CPUID.(0DH,0):EBX). */
uint32_t x86vcpu__xsave_area_size(const struct x86vcpu_xstate_layout *l, uint64_t xcr0);
/* Size of a compacted-format area for the components in `mask` (XCR0 |
 * IA32_XSS for CPUID.(0DH,1):EBX): 576, then each enabled component i >= 2
 * in order, 64-byte aligned when its align64 bit is set (13.4.3). */
uint32_t x86vcpu__xsave_area_size_compacted(const struct x86vcpu_xstate_layout *l,
                                            uint64_t mask);

/* ------------------------------------------------------------ CPUID policy */
#define X86VCPU_CPUID_OVERRIDES 16
#ifndef X86VCPU_CPUID_ANY_SUBLEAF
#define X86VCPU_CPUID_ANY_SUBLEAF 0xffffffffu
#endif

struct x86vcpu_cpuid_override {
    uint32_t leaf, subleaf;     /* subleaf X86VCPU_CPUID_ANY_SUBLEAF matches any */
    uint32_t set[4], clear[4];  /* per register EAX,EBX,ECX,EDX: r = (r & ~clear) | set */
    uint32_t used;
};

/* The MSRs a PC has that follow from CPUID, kept per vCPU by the library
 * (src/lib/cpuid_features.c, docs/CPUID.md): IA32_MISC_ENABLE, the MTRRs,
 * MCG_STATUS. */
#define X86VCPU_MTRR_VAR 8       /* variable ranges: IA32_MTRRCAP.VCNT */
#define MSR_MTRR_PHYS0 0x200u    /* IA32_MTRR_PHYSBASE0; PHYSMASK0 follows, then the next pair */
#define X86VCPU_MTRR_FIXED 11    /* fixed-range MSRs (SDM 12.11.2.2) */
struct x86vcpu_arch_msrs {
    uint64_t misc_enable;
    uint64_t mtrr_def_type;
    uint64_t mtrr_fixed[X86VCPU_MTRR_FIXED];
    uint64_t mtrr_var[2 * X86VCPU_MTRR_VAR];   /* PhysBase0, PhysMask0, ... */
    uint64_t mcg_status;
};

/* ------------------------------------------------ the guest's CPUID table
 * Every answer the guest can get, computed once (src/vmx/guest_cpuid.c,
 * as KVM keeps its cpuid entries array) and looked up by the CPUID exit,
 * which patches only the dynamic bits: OSXSAVE (leaf 1) and OSPKE (7.0)
 * from the guest's CR4, the XSAVE sizes (0DH.0/0DH.1 EBX) under its
 * XCR0/IA32_XSS, SYSCALL (80000001H) by mode, and what is the vCPU's own:
 * APIC IDs (1:EBX[31:24], 0BH/1FH:EDX), the virtual LAPIC's bits. Indexed
 * by the effective leaf (x86vcpu__cpuid_effective_leaf): leaves
 * 0..TBL_BASIC-1, 80000000H.., 40000000H.. directly; per leaf, its
 * subleaves in order (leaves whose answer depends on ECX), or one answer
 * for all. One per VM, in the frame of its record (src/vmx/vcpu.h); stale
 * (cpu NULL) after anything it depends on changed, rebuilt at the next
 * lookup. */
#define X86VCPU_CPUID_TBL_BASIC 0x40u   /* leaves 0..3FH */
#define X86VCPU_CPUID_TBL_EXT 0x20u     /* 80000000H..8000001FH */
#define X86VCPU_CPUID_TBL_HV 0x11u      /* 40000000H..40000010H (TSC leaf) */
#define X86VCPU_CPUID_TBL_LEAVES \
    (X86VCPU_CPUID_TBL_BASIC + X86VCPU_CPUID_TBL_EXT + X86VCPU_CPUID_TBL_HV)
#define X86VCPU_CPUID_TBL_ENTRIES 216u  /* answers: what fills the frame */

/* leafdesc.flags */
#define X86VCPU_CPUID_TBL_INDEXED 0x01u   /* ent[first + subleaf] for subleaf < n */
#define X86VCPU_CPUID_TBL_TAIL_ZERO 0x02u /* indexed: subleaves >= n read all zeros */
#define X86VCPU_CPUID_TBL_DYN 0x04u       /* dynamic bits to patch (leaves 1, 7, 0DH, 80000001H) */
#define X86VCPU_CPUID_TBL_TSC 0x08u       /* depends on the guest's TSC frequency */
#define X86VCPU_CPUID_TBL_SLOW 0x10u      /* not tabulated: computed at each CPUID */

struct x86vcpu_cpuid_leafdesc {
    uint8_t first;              /* index in ent[] of subleaf 0 */
    uint8_t n;                  /* answers stored; 0 with a non-indexed leaf: all zeros */
    uint8_t flags;              /* X86VCPU_CPUID_TBL_* */
    uint8_t pad;
};

/* 0DH.0 / 0DH.1 EBX (xsave_ebx_kind): */
#define X86VCPU_XSAVE_EBX_HOST 0      /* static: as the host answered */
#define X86VCPU_XSAVE_EBX_STD 1       /* x86vcpu__xsave_area_size(guest XCR0) */
#define X86VCPU_XSAVE_EBX_COMPACT 2   /* x86vcpu__xsave_area_size_compacted(XCR0 | XSS) */
#define X86VCPU_XSAVE_EBX_CPU 3       /* the CPU's answer under the guest's XCR0 */

struct x86vcpu_cpuid_table {
    const void *cpu;            /* the VM it was built for; NULL: stale */
    uint32_t max_basic, max_ext;  /* the host's: effective leaf */
    uint32_t tsc_khz;           /* the guest TSC frequency it was built with */
    uint32_t builds;            /* times built (tests: once, not per exit) */
    /* Dynamic bits that pass the overrides unchanged (the others are in
     * the stored answer): leaf 1 ECX.OSXSAVE, 7.0 ECX.OSPKE, 0DH.0/1 EBX. */
    uint32_t osxsave_keep, ospke_keep;
    uint32_t apicid_keep;       /* 1:EBX[31:24]: the vCPU's APIC ID (guest_cpuid.c) */
    uint32_t xsave_ebx_keep[2];
    uint8_t xsave_ebx_kind[2];
    uint16_t used;              /* ent[] in use */
    struct x86vcpu_cpuid_leafdesc leaf[X86VCPU_CPUID_TBL_LEAVES];
    struct x86vcpu_cpuid_regs ent[X86VCPU_CPUID_TBL_ENTRIES];
};
_Static_assert(sizeof(struct x86vcpu_cpuid_table) <= 4096, "CPUID table: one frame");

struct x86vcpu_cpuid_policy {
    struct x86vcpu_cpuid_override ov[X86VCPU_CPUID_OVERRIDES];
    char vendor[12];          /* hypervisor vendor signature for leaf 0x40000000 */
    uint32_t features;        /* bit f: enum x86vcpu_feature f shown */
    uint64_t leaf_hint;       /* derived from ov[] by init/set: skip the scan */
    uint32_t max_basic, max_ext;  /* the host's CPUID.0:EAX, .80000000H:EAX (0: not read yet) */
    struct x86vcpu_arch_msrs msrs;
    struct x86vcpu_cpuid_table *tbl;  /* NULL: none (the policy alone, as in unit tests) */
    uint64_t tbl_pa;
};

/* The table no longer matches the policy: rebuilt at its next use. */
static inline void x86vcpu__cpuid_tbl_stale(struct x86vcpu_cpuid_policy *p)
{
    if (p->tbl)
        p->tbl->cpu = 0;
}

/* Vendor "x86vcpuVMXhv", the default feature set
 * (X86VCPU_CPUID_DEFAULT_FEATURES), no overrides, MSRs at their reset
 * values (x86vcpu__arch_msrs_reset with firmware = 0), no table. */
void x86vcpu__cpuid_policy_init(struct x86vcpu_cpuid_policy *p);

/* ------------------------------------ default = what is virtualized
 * src/lib/cpuid_features.c: an allow-list of CPUID bits, each shown always
 * or with a named feature (enum x86vcpu_feature); every other bit of a
 * known leaf, and every leaf not listed, reads 0. Table in docs/CPUID.md. */
#define X86VCPU_CPUID_DEFAULT_FEATURES                                                  \
    ((1u << X86VCPU_FEAT_RDTSCP) | (1u << X86VCPU_FEAT_INVPCID) |                      \
     (1u << X86VCPU_FEAT_XSAVES) | (1u << X86VCPU_FEAT_RDRAND) |                       \
     (1u << X86VCPU_FEAT_RDSEED) | (1u << X86VCPU_FEAT_APIC) |                         \
     (1u << X86VCPU_FEAT_X2APIC) | (1u << X86VCPU_FEAT_TSC_DEADLINE))
static inline int x86vcpu__feat_on(uint32_t features, unsigned f)
{
    return (features >> f) & 1;
}
/* The leaf whose data CPUID returns for `leaf` (Vol. 2A CPUID: an input
 * above the highest basic or extended leaf returns the highest basic
 * leaf's data). max_basic/max_ext: the host's. Not for 0x4xxxxxxx leaves. */
uint32_t x86vcpu__cpuid_effective_leaf(uint32_t leaf, uint32_t max_basic, uint32_t max_ext);
/* The bits of (leaf, subleaf) register reg (0 EAX .. 3 EDX) shown with
 * these features. */
uint32_t x86vcpu__cpuid_allowed(uint32_t features, uint32_t leaf, uint32_t subleaf, unsigned reg);
/* r &= the allowed bits, register by register. */
void x86vcpu__cpuid_mask(uint32_t features, uint32_t leaf, uint32_t subleaf,
                         struct x86vcpu_cpuid_regs *r);
/* One past the highest subleaf of `leaf` with a bit shown under these
 * features: 0 when none is, UINT32_MAX when the leaf is shown for every
 * subleaf (then its subleaves are the host's). */
uint32_t x86vcpu__cpuid_allowed_end(uint32_t features, uint32_t leaf);
/* 1 when CPUID's answer for `leaf` may depend on ECX: the leaves the SDM
 * gives subleaves (Vol. 2A CPUID, "ECX input"), and those the allow-list
 * shows per subleaf. Other leaves ignore ECX. */
int x86vcpu__cpuid_leaf_indexed(uint32_t leaf);
/* 1 when the MSR belongs to a hidden feature (its accesses #GP, answered
 * by the library), or to hardware the library's CPU model says is absent
 * (VMX capability MSRs, machine-check banks: MCG_CAP.Count = 0). */
int x86vcpu__msr_hidden(const struct x86vcpu_cpuid_policy *p, uint32_t msr);

/* ------------------------------- MISC_ENABLE, MTRRs, MCG (SDM Vol. 4 2-2) */
#define X86VCPU_MTRRCAP_VALUE (X86VCPU_MTRR_VAR | (1u << 8) | (1u << 10)) /* VCNT, FIX, WC */
/* State after setup: firmware = 1 for a guest started past its firmware
 * (protected or long mode: MTRRs enabled, default type WB, as a BIOS
 * leaves them), 0 for power-on (everything 0). MISC_ENABLE from the
 * features. */
void x86vcpu__arch_msrs_reset(struct x86vcpu_cpuid_policy *p, int firmware);
/* RDMSR of a library-kept MSR: 1 and *val, or 0 when not one. */
int x86vcpu__arch_msr_read(const struct x86vcpu_cpuid_policy *p, uint32_t msr, uint64_t *val);
/* WRMSR: -1 not one of them, 0 written, X86VCPU_VEC_GP to inject.
 * maxphyaddr: the guest's CPUID.80000008H:EAX[7:0] (MTRR reserved bits). */
int x86vcpu__arch_msr_write(struct x86vcpu_cpuid_policy *p, uint32_t msr, uint64_t val,
                            unsigned maxphyaddr);

/* Adds an override, or replaces the one for the same leaf and subleaf
 * (defaults included). set or clear NULL means all zeros; both all zeros
 * removes the entry. X86VCPU_ENOMEM when all slots are used, X86VCPU_EINVAL
 * when p is NULL. Leaves without subleaves should use
 * X86VCPU_CPUID_ANY_SUBLEAF: the guest's ECX is arbitrary there. */
int x86vcpu__cpuid_policy_set(struct x86vcpu_cpuid_policy *p, uint32_t leaf, uint32_t subleaf,
                              const uint32_t set[4], const uint32_t clear[4]);

/* The overrides' step of x86vcpu__cpuid_policy_apply: any-subleaf
 * entries for the leaf, then the exact one. */
void x86vcpu__cpuid_overrides_apply(const struct x86vcpu_cpuid_policy *p, uint32_t leaf,
                                    uint32_t subleaf, struct x86vcpu_cpuid_regs *r);
/* The bits the overrides of (leaf, subleaf) pass through unchanged (the
 * others they set or clear), register by register. */
void x86vcpu__cpuid_override_keep(const struct x86vcpu_cpuid_policy *p, uint32_t leaf,
                                  uint32_t subleaf, struct x86vcpu_cpuid_regs *keep);
/* Whether an override for `leaf` applies to any subleaf (return value),
 * and one past the highest subleaf an exact one names (*exact_end, 0:
 * none). */
int x86vcpu__cpuid_override_subleaves(const struct x86vcpu_cpuid_policy *p, uint32_t leaf,
                                      uint32_t *exact_end);
/* 0 when no override can match `leaf` (one test, no scan). */
static inline uint64_t x86vcpu__cpuid_override_maybe(const struct x86vcpu_cpuid_policy *p,
                                                     uint32_t leaf)
{
    return p->leaf_hint & (1ull << ((leaf ^ (leaf >> 26)) & 63));
}
/* Leaf 0DH EBX of subleaf 0 or 1 (step 2 below): which size it is, from
 * the allow-listed EAX (X86VCPU_XSAVE_EBX_HOST: none, the host's stays),
 * and that size for the guest's XCR0 and IA32_XSS. */
unsigned x86vcpu__cpuid_xsave_ebx_kind(uint32_t subleaf, uint32_t eax);
uint32_t x86vcpu__cpuid_xsave_ebx(unsigned kind, const struct x86vcpu_xstate_layout *layout,
                                  uint64_t guest_xcr0, uint64_t guest_xss);

/* The guest view of one CPUID; *r holds the host's registers on entry (any
 * value for leaves 0x40000000-0x4fffffff) and the guest's on return:
 *  1. hypervisor leaves come from x86vcpu__cpuid_hv_leaf with p->vendor;
 *     other leaves: the allow-list (x86vcpu__cpuid_mask with p->features),
 *     CPUID.0:EAX limited to 2 under MISC_ENABLE[22], then x86vcpu__cpuid_filter (VMX hidden, hypervisor bit,
 *     OSXSAVE from guest_cr4) and 7.0:ECX.OSPKE[4] = guest CR4.PKE[22];
 *  2. leaf 0xD (when layout is not NULL): subleaf 0 EBX = standard size for
 *     guest_xcr0 when 0xD.0:EAX[0] = 1 (XSAVE present); subleaf 1 EBX =
 *     compacted size for guest_xcr0 | guest_xss when 0xD.1:EAX.XSAVEC[1] or
 *     XSAVES[3] = 1 (leaf the effective one: x86vcpu__cpuid_effective_leaf);
 *  3. the embedder's overrides, any-subleaf entries first, then the exact
 *     one: they win over everything above. */
void x86vcpu__cpuid_policy_apply(const struct x86vcpu_cpuid_policy *p, uint32_t leaf,
                                 uint32_t subleaf, uint64_t guest_cr4, uint64_t guest_xcr0,
                                 uint64_t guest_xss, const struct x86vcpu_xstate_layout *layout,
                                 struct x86vcpu_cpuid_regs *r);

#endif
