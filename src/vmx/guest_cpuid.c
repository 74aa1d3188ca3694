/* The guest's CPUID: the CPUID exit, the guest's view of a leaf (the host's
 * answer through the vCPU's policy, src/lib/cpuid_policy.c) and the
 * embedder's calls that change the policy.
 *
 * The view is computed once into a table (struct x86vcpu_cpuid_table, as
 * KVM keeps its cpuid entries array): the exit looks the answer up and
 * patches only the bits that follow the guest's state.
 * x86vcpu__guest_cpuid_ref is the computation itself, used to build the
 * table and by tests/host/test_cpuid_cache.c as the reference.
 *
 * The policy and the table are the VM's (struct x86vcpu_vm, vcpu.h): each
 * vCPU holds a copy of the policy (its arch MSRs, IA32_MISC_ENABLE and the
 * MTRRs, are its own), and the embedder's calls change every copy. The
 * table holds nothing of one vCPU or host CPU: the APIC IDs (the host's
 * without the virtual LAPIC, taken at bind; else the LAPIC's), the LAPIC's
 * bits, IA32_MISC_ENABLE[22] and a TSC frequency other than the table's
 * are added at each lookup, or computed (the slow path). So a vCPU never
 * rebuilds the table for its own sake, nor on migration: the table is
 * rebuilt only after the embedder changed the policy. */
#include "vmx/vcpu.h"
#include "lib/bitmap.h"
#include "lib/tsc.h"       /* X86VCPU_CPUID_HV_TIMING */

#define CPUID1_ECX_X2APIC       (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID1_EDX_APIC         (1u << 9)
#define MISC_ENABLE_LIMIT_CPUID (1ull << 22)

static inline struct x86vcpu_cpuid_table *vtbl(const struct x86vcpu_vcpu *v)
{
    return &v->vm->tbl;
}

/* The virtual LAPIC's CPUID bits (lapic.c; SDM 11.4.2, 11.12.1, 11.5.4.1):
 * the APIC bit follows IA32_APIC_BASE.EN, x2APIC and TSC-deadline the
 * model's features, the initial APIC ID in 1:EBX[31:24] and 0BH/1FH:EDX.
 * After the overrides: the APIC's state wins. leaf: the effective one. */
static void lapic_bits(const struct x86vcpu_vcpu *v, uint32_t leaf, struct x86vcpu_cpuid_regs *r)
{
    const struct x86vcpu_vlapic *l = &v->lapic.m;
    if (leaf == 1) {
        r->ebx = (r->ebx & 0x00ffffffu) | (l->apic_id & 0xffu) << 24;
        r->ecx = (r->ecx & ~(CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE)) |
                 ((l->features & VLAPIC_F_X2APIC) ? CPUID1_ECX_X2APIC : 0) |
                 ((l->features & VLAPIC_F_TSC_DEADLINE) ? CPUID1_ECX_TSC_DEADLINE : 0);
        r->edx = (r->edx & ~CPUID1_EDX_APIC) |
                 (x86vcpu__vlapic_hw_enabled(l) ? CPUID1_EDX_APIC : 0);
    } else if (leaf == 0xb || leaf == 0x1f) {
        r->edx = l->apic_id;
    }
}

/* The fast path (x86vcpu__cpuid_fast, vcpu.h) serves a vCPU whose key is the built table's
 * VM; a vCPU with IA32_MISC_ENABLE[22] set takes tbl_lookup (CPUID.0:EAX
 * reads at most 2 for it alone). Called after each change of the MSR. */
static void key_sync(struct x86vcpu_vcpu *v)
{
    v->cpuid_key = (v->cpuid.msrs.misc_enable & MISC_ENABLE_LIMIT_CPUID)
                       ? (const void *)&v->cpuid_key
                       : (const void *)v->vm;
}

static void vm_tbl_stale(struct x86vcpu_vm *vm)
{
    vm->tbl.cpu = 0;
}

/* ------------------------------------------------------- the reference */

/* Everything after the host's answer for the effective leaf: the policy
 * (allow-list, filter, OSXSAVE/OSPKE from guest_cr4, leaf 0xD sizes from
 * `layout` when given, overrides), the TSC leaves and the supervisor-state
 * masks. The reference and the table share it. */
static void guest_view(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf, uint64_t guest_cr4,
                       const struct x86vcpu_xstate_layout *layout, struct x86vcpu_cpuid_regs *r)
{
    x86vcpu__cpuid_policy_apply(&v->cpuid, leaf, subleaf, guest_cr4, v->guest_xcr0,
                                v->smsr_guest[SMSR_XSS], layout, r);
    x86vcpu__tsc_cpuid_apply(v, leaf, r); /* TSC frequency leaves (tsc.c) */
    /* Supervisor components the guest may not enable are not there
     * (IA32_XSS, msr.c): neither in 0DH.1:ECX/EDX nor as sub-leaves. */
    if (leaf == 0xd && subleaf == 1) {
        r->ecx &= (uint32_t)X86VCPU_XSS_VIRTUALIZED;
        r->edx &= (uint32_t)(X86VCPU_XSS_VIRTUALIZED >> 32);
    } else if (leaf == 0xd && subleaf >= 2 && subleaf < 64 && (r->ecx & 1) &&
               !((X86VCPU_XSS_VIRTUALIZED >> subleaf) & 1)) {
        *r = (struct x86vcpu_cpuid_regs){ 0, 0, 0, 0 };
    }
}

/* Intel reports SYSCALL/SYSRET (80000001H:EDX[11]) only to CPUID executed
 * in 64-bit mode; the host ran it in 64-bit mode. Two VMREADs, this leaf
 * only. */
static void syscall_by_mode(struct x86vcpu_vcpu *v, uint32_t leaf, struct x86vcpu_cpuid_regs *r)
{
    if (leaf == 0x80000001u && (r->edx & CPUID_80000001_EDX_SYSCALL) &&
        !((VMRD(v, W64, GUEST_IA32_EFER) & EFER_LMA) && (VMRD(v, W32, GUEST_CS_AR) & AR_L)))
        r->edx &= ~CPUID_80000001_EDX_SYSCALL;
}

static void host_maxima(struct x86vcpu_vcpu *v)
{
    if (!v->cpuid.max_basic) {
        v->cpuid.max_basic = hw_cpuid(0, 0).eax;
        v->cpuid.max_ext = hw_cpuid(0x80000000u, 0).eax;
    }
}

void x86vcpu__guest_cpuid_ref(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                              uint64_t guest_cr4, struct x86vcpu_cpuid_regs *r)
{
    struct hw_cpuid h = { 0, 0, 0, 0 };
    const struct x86vcpu_xstate_layout *layout = &v->xstate;
    if (!x86vcpu__cpuid_is_hv_leaf(leaf)) {
        /* A leaf past the highest basic or extended one returns the
         * highest basic leaf's data (Vol. 2A CPUID): filter it as that. */
        host_maxima(v);
        leaf = x86vcpu__cpuid_effective_leaf(leaf, v->cpuid.max_basic, v->cpuid.max_ext);
    }
    if (leaf == 0xd && v->cpu->xsave_size && v->guest_xcr0 != v->loaded_xcr0) {
        /* Leaf 0xD describes the XCR0 in force: ask the CPU itself under
         * the guest's XCR0 (exact on any CPU), rather than computing it. */
        hw_xsetbv(0, v->guest_xcr0);
        h = hw_cpuid(leaf, subleaf);
        hw_xsetbv(0, v->loaded_xcr0);
        layout = 0;
    } else if (!x86vcpu__cpuid_is_hv_leaf(leaf)) {
        h = hw_cpuid(leaf, subleaf);
        if (leaf == 0xd && v->cpu->xsave_size)
            layout = 0; /* the guest's XCR0 is in force: the CPU's answer stands */
    }
    *r = (struct x86vcpu_cpuid_regs){ h.eax, h.ebx, h.ecx, h.edx };
    guest_view(v, leaf, subleaf, guest_cr4, layout, r);
    syscall_by_mode(v, leaf, r);
    if (v->lapic.on)
        lapic_bits(v, leaf, r);
}

/* The guest-visible feature leaves before any guest state exists (setup):
 * guest CR4 and XCR0 at their reset values. Computed, not looked up: the
 * table is built with it (TSC leaves, tsc.c). */
void x86vcpu__guest_cpuid_static(struct x86vcpu_vcpu *v, uint32_t leaf,
                                 struct x86vcpu_cpuid_regs *r)
{
    x86vcpu__guest_cpuid_ref(v, leaf, 0, 0, r);
}

/* ------------------------------------------------------------ the table */

/* A new VM's table: stale, built at its first use. */
void x86vcpu__cpuid_tbl_init(struct x86vcpu_vm *vm)
{
    vm->tbl.cpu = 0;
    vm->tbl.builds = 0;
}

/* A vCPU joining its VM (x86vcpu_vcpu_create_in) takes the VM's policy
 * from a vCPU already there (its arch MSRs at their reset values), or the
 * default one. The copies have no table pointer: the VM's is used. */
void x86vcpu__cpuid_join(struct x86vcpu_vcpu *v)
{
    const struct x86vcpu_vcpu *peer = v->vm->vcpus;
    if (peer) {
        /* Byte by byte, through volatile: a struct copy this large would
         * become a memcpy call, and the library has none (freestanding). */
        const unsigned char *from = (const unsigned char *)&peer->cpuid;
        volatile unsigned char *to = (volatile unsigned char *)&v->cpuid;
        for (size_t i = 0; i < sizeof v->cpuid; i++)
            to[i] = from[i];
        x86vcpu__arch_msrs_reset(&v->cpuid, 0);
    } else {
        x86vcpu__cpuid_policy_init(&v->cpuid);
    }
    v->cpuid.tbl = 0;
    v->cpuid.tbl_pa = 0;
    key_sync(v);
}

/* Subleaves stored at most for a leaf the host enumerates (4, 0BH, 14H,
 * 18H, 1FH...); the allow-list bounds 7 and 0DH (64 subleaves). */
#define TBL_SCAN_MAX 64u
#define TBL_ENUM_MAX 32u

/* One answer as the reference gives it, with the dynamic inputs out: guest
 * CR4 0 (OSXSAVE, OSPKE clear before the overrides), and leaf 0xD asked
 * under the XCR0 in the hardware (no XSETBV: only 0DH.0/1 EBX depend on
 * it, and tbl_lookup computes those). */
static void tbl_answer(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                       struct hw_cpuid *h, struct x86vcpu_cpuid_regs *r)
{
    *h = (struct hw_cpuid){ 0, 0, 0, 0 };
    if (!x86vcpu__cpuid_is_hv_leaf(leaf))
        *h = hw_cpuid(leaf, subleaf);
    *r = (struct x86vcpu_cpuid_regs){ h->eax, h->ebx, h->ecx, h->edx };
    guest_view(v, leaf, subleaf, 0, (leaf == 0xd && v->cpu->xsave_size) ? 0 : &v->xstate, r);
    /* The APIC IDs are the vCPU's, added by the lookup (tbl_lookup). */
    if (leaf == 1)
        r->ebx &= ~vtbl(v)->apicid_keep;
    else if (leaf == 0xb || leaf == 0x1f)
        r->edx = 0;
    if (leaf == 0xd && subleaf < 2) {
        /* 0DH.0/1 EBX: which size the lookup computes (the reference's
         * choice: the CPU's own answer with XSAVE enabled on the host,
         * else from the layout when the allow-listed EAX has the feature);
         * the stored answer keeps only what the overrides fix. */
        struct x86vcpu_cpuid_table *t = vtbl(v);
        struct x86vcpu_cpuid_regs m = { h->eax, 0, 0, 0 }, keep;
        x86vcpu__cpuid_mask(v->cpuid.features, leaf, subleaf, &m);
        unsigned kind = v->cpu->xsave_size ? X86VCPU_XSAVE_EBX_CPU
                                           : x86vcpu__cpuid_xsave_ebx_kind(subleaf, m.eax);
        x86vcpu__cpuid_override_keep(&v->cpuid, leaf, subleaf, &keep);
        t->xsave_ebx_kind[subleaf] = (uint8_t)kind;
        t->xsave_ebx_keep[subleaf] = kind == X86VCPU_XSAVE_EBX_HOST ? 0 : keep.ebx;
        r->ebx &= ~t->xsave_ebx_keep[subleaf];
    }
}

static int is_zero(const struct x86vcpu_cpuid_regs *r)
{
    return !(r->eax | r->ebx | r->ecx | r->edx);
}

/* Whether the host's enumeration of `leaf` ends at subleaf s (Vol. 2A
 * CPUID): the null cache type (4), the invalid level type (0BH, 1FH), else
 * the highest subleaf in EAX of subleaf 0 (14H, 17H, 18H, 1DH, 20H...).
 * Only how much is stored depends on it: later subleaves are computed at
 * each CPUID. */
static int host_enum_end(uint32_t leaf, uint32_t s, const struct hw_cpuid *h, uint32_t max0)
{
    switch (leaf) {
    case 4: return (h->eax & 0x1f) == 0;
    case 0xb:
    case 0x1f: return (h->ecx & 0xff00) == 0;
    default: return s >= max0;
    }
}

/* The descriptor and answers of one effective leaf. */
static void tbl_leaf(struct x86vcpu_vcpu *v, struct x86vcpu_cpuid_table *t, uint32_t leaf,
                     struct x86vcpu_cpuid_leafdesc *d)
{
    const struct x86vcpu_cpuid_policy *p = &v->cpuid;
    struct x86vcpu_cpuid_regs r;
    struct hw_cpuid h;
    uint32_t exact_end;
    int any_ov = x86vcpu__cpuid_override_subleaves(p, leaf, &exact_end);
    *d = (struct x86vcpu_cpuid_leafdesc){ (uint8_t)t->used, 0, 0, 0 };
    if (leaf == 1 || leaf == 7 || leaf == 0xd || leaf == 0x80000001u || leaf == 0xb ||
        leaf == 0x1f)
        d->flags |= X86VCPU_CPUID_TBL_DYN;
    /* 0BH/1FH: EDX is the vCPU's x2APIC ID, unless an override may touch
     * it: then computed at each CPUID. */
    if ((leaf == 0xb || leaf == 0x1f) && x86vcpu__cpuid_override_maybe(p, leaf)) {
        d->flags = X86VCPU_CPUID_TBL_SLOW;
        return;
    }
    if (leaf == 0x15 || leaf == 0x16 || leaf == X86VCPU_CPUID_HV_BASE ||
        leaf == X86VCPU_CPUID_HV_TIMING)
        d->flags |= X86VCPU_CPUID_TBL_TSC;
    if (x86vcpu__cpuid_is_hv_leaf(leaf) || !x86vcpu__cpuid_leaf_indexed(leaf)) {
        /* ECX is ignored: one answer for all, unless an override names a
         * subleaf (then it is computed at each CPUID). */
        if (exact_end) {
            d->flags = X86VCPU_CPUID_TBL_SLOW;
            return;
        }
        tbl_answer(v, leaf, 0, &h, &r);
        if (is_zero(&r))
            return;                         /* n = 0: all zeros */
        if (t->used == X86VCPU_CPUID_TBL_ENTRIES) {
            d->flags = X86VCPU_CPUID_TBL_SLOW;
            return;
        }
        t->ent[t->used++] = r;
        d->n = 1;
        return;
    }
    d->flags |= X86VCPU_CPUID_TBL_INDEXED;
    uint32_t end = x86vcpu__cpuid_allowed_end(p->features, leaf);
    int bounded = end <= TBL_SCAN_MAX;
    uint32_t scan = bounded ? end : TBL_ENUM_MAX, max0 = 0, n = 0;
    /* Bounded by the allow-list: every subleaf it shows is computed, and
     * the trailing zeros are dropped (the lookup adds the dynamic bits of
     * 7.0 and 0DH.0/1 to a zero answer too). */
    for (uint32_t s = 0; s < scan; s++) {
        if (t->used == X86VCPU_CPUID_TBL_ENTRIES) {
            t->used = d->first;
            d->flags = X86VCPU_CPUID_TBL_SLOW;
            return;
        }
        tbl_answer(v, leaf, s, &h, &r);
        if (s == 0)
            max0 = h.eax;
        t->ent[t->used++] = r;
        if (!is_zero(&r))
            n = s + 1;
        if (!bounded && host_enum_end(leaf, s, &h, max0)) {
            n = s + 1;
            break;
        }
    }
    t->used = (uint16_t)(d->first + n);
    d->n = (uint8_t)n;
    /* Past the scan: zeros when nothing is shown there (bounded) and no
     * override reaches it; else computed at each CPUID. */
    if (bounded && !any_ov && exact_end <= end)
        d->flags |= X86VCPU_CPUID_TBL_TAIL_ZERO;
}

/* Builds the VM's table, on the CPU v is bound to (no XSETBV), with the
 * policy and v's TSC frequency of now: nothing of v's own is kept (APIC
 * IDs cleared, IA32_MISC_ENABLE[22] as if clear). */
static struct x86vcpu_cpuid_table *tbl_build(struct x86vcpu_vcpu *v)
{
    struct x86vcpu_cpuid_table *t = vtbl(v);
    struct x86vcpu_cpuid_regs keep;
    uint64_t misc_enable = v->cpuid.msrs.misc_enable;
    v->cpuid.msrs.misc_enable &= ~MISC_ENABLE_LIMIT_CPUID;
    host_maxima(v);
    t->cpu = 0;
    t->builds++;
    t->used = 0;
    t->max_basic = v->cpuid.max_basic;
    t->max_ext = v->cpuid.max_ext;
    t->tsc_khz = v->tsc_guest_khz;
    x86vcpu__cpuid_override_keep(&v->cpuid, 1, 0, &keep);
    t->osxsave_keep = keep.ecx & CPUID1_ECX_OSXSAVE;
    x86vcpu__cpuid_override_keep(&v->cpuid, 7, 0, &keep);
    t->ospke_keep = keep.ecx & (1u << 4);
    x86vcpu__cpuid_override_keep(&v->cpuid, 1, 0, &keep);
    t->apicid_keep = keep.ebx & 0xff000000u & x86vcpu__cpuid_allowed(v->cpuid.features, 1, 0, 1);
    for (int i = 0; i < 2; i++) {
        t->xsave_ebx_kind[i] = X86VCPU_XSAVE_EBX_HOST;
        t->xsave_ebx_keep[i] = 0;
    }
    for (uint32_t i = 0; i < X86VCPU_CPUID_TBL_LEAVES; i++)
        t->leaf[i] = (struct x86vcpu_cpuid_leafdesc){ 0, 0, X86VCPU_CPUID_TBL_SLOW, 0 };
    /* Leaves past the host's maxima are never looked up (effective leaf). */
    for (uint32_t l = 0; l < X86VCPU_CPUID_TBL_BASIC && l <= t->max_basic; l++)
        tbl_leaf(v, t, l, &t->leaf[l]);
    for (uint32_t l = 0x80000000u; l - 0x80000000u < X86VCPU_CPUID_TBL_EXT && l <= t->max_ext; l++)
        tbl_leaf(v, t, l, &t->leaf[X86VCPU_CPUID_TBL_BASIC + (l - 0x80000000u)]);
    for (uint32_t l = 0; l < X86VCPU_CPUID_TBL_HV; l++)
        tbl_leaf(v, t, X86VCPU_CPUID_HV_BASE + l,
                 &t->leaf[X86VCPU_CPUID_TBL_BASIC + X86VCPU_CPUID_TBL_EXT + l]);
    v->cpuid.msrs.misc_enable = misc_enable;
    t->cpu = v->vm;
    return t;
}

/* 0DH.0/1 EBX for the guest's XCR0 (and IA32_XSS) now, as the reference
 * computes it: the CPU's own answer under the guest's XCR0 (one XSETBV
 * each way only when the hardware holds another), or from the layout. */
static uint32_t xsave_ebx_now(struct x86vcpu_vcpu *v, uint32_t subleaf, unsigned kind)
{
    if (kind != X86VCPU_XSAVE_EBX_CPU)
        return x86vcpu__cpuid_xsave_ebx(kind, &v->xstate, v->guest_xcr0, v->smsr_guest[SMSR_XSS]);
    if (v->guest_xcr0 == v->loaded_xcr0)
        return hw_cpuid(0xd, subleaf).ebx;
    hw_xsetbv(0, v->guest_xcr0);
    uint32_t ebx = hw_cpuid(0xd, subleaf).ebx;
    hw_xsetbv(0, v->loaded_xcr0);
    return ebx;
}

/* The guest's answer from the table. have_cr4: cr4 is the guest's CR4;
 * else it is read (two VMREADs) only when a dynamic bit needs it. */
static void tbl_lookup(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf, int have_cr4,
                       uint64_t cr4, struct x86vcpu_cpuid_regs *r)
{
    const struct x86vcpu_cpuid_table *t = vtbl(v);
    if (__builtin_expect(!t->cpu, 0))
        t = tbl_build(v);
    uint32_t in = leaf, i;
    if (x86vcpu__cpuid_is_hv_leaf(leaf)) {
        i = leaf - X86VCPU_CPUID_HV_BASE;
        if (i >= X86VCPU_CPUID_TBL_HV) {
            /* Hypervisor leaves past the table read zeros (cpuid_hv_leaf)
             * unless an override names them. */
            if (x86vcpu__cpuid_override_maybe(&v->cpuid, leaf))
                goto slow;
            *r = (struct x86vcpu_cpuid_regs){ 0, 0, 0, 0 };
            return;
        }
        i += X86VCPU_CPUID_TBL_BASIC + X86VCPU_CPUID_TBL_EXT;
    } else {
        /* The effective leaf (x86vcpu__cpuid_effective_leaf), inline. */
        if (leaf < 0x80000000u ? leaf > t->max_basic : leaf > t->max_ext)
            leaf = t->max_basic;
        if (leaf < 0x80000000u)
            i = leaf < X86VCPU_CPUID_TBL_BASIC ? leaf : UINT32_MAX;
        else
            i = leaf - 0x80000000u < X86VCPU_CPUID_TBL_EXT
                    ? X86VCPU_CPUID_TBL_BASIC + (leaf - 0x80000000u)
                    : UINT32_MAX;
        if (i == UINT32_MAX)
            goto slow;  /* a host with leaves past the table */
        /* IA32_MISC_ENABLE[22] of this vCPU: CPUID.0:EAX and the TSC
         * leaves that follow it (tsc.c) computed. */
        if ((v->cpuid.msrs.misc_enable & MISC_ENABLE_LIMIT_CPUID) &&
            (leaf == 0 || leaf == 0x15 || leaf == 0x16))
            goto slow;
    }
    const struct x86vcpu_cpuid_leafdesc *d = &t->leaf[i];
    if (__builtin_expect(!d->flags, 1)) {
        /* One answer for every subleaf, nothing dynamic: most leaves. */
        *r = d->n ? t->ent[d->first] : (struct x86vcpu_cpuid_regs){ 0, 0, 0, 0 };
        return;
    }
    if ((d->flags & X86VCPU_CPUID_TBL_TSC) && t->tsc_khz != v->tsc_guest_khz) {
        /* The embedder gave another TSC frequency: the table follows it
         * when the VM has no other vCPU; else this vCPU's is computed. */
        if (v->vm->nvcpus != 1)
            goto slow;
        t = tbl_build(v);
        d = &t->leaf[i];
    }
    if (d->flags & X86VCPU_CPUID_TBL_SLOW)
        goto slow;
    const struct x86vcpu_cpuid_regs *a = 0;
    if (d->flags & X86VCPU_CPUID_TBL_INDEXED) {
        if (subleaf < d->n)
            a = &t->ent[d->first + subleaf];
        else if (!(d->flags & X86VCPU_CPUID_TBL_TAIL_ZERO))
            goto slow;
    } else if (d->n) {
        a = &t->ent[d->first];
    }
    *r = a ? *a : (struct x86vcpu_cpuid_regs){ 0, 0, 0, 0 };
    if (!(d->flags & X86VCPU_CPUID_TBL_DYN))
        return;
    /* The dynamic bits, where the overrides leave them to the guest's
     * state (the stored answer has them clear there). */
    switch (leaf) {
    case 1:
        if (t->osxsave_keep && ((have_cr4 ? cr4 : x86vcpu__guest_cr4(v)) & CR4_OSXSAVE))
            r->ecx |= t->osxsave_keep;
        if (v->lapic.on)
            lapic_bits(v, 1, r);
        else
            r->ebx |= (v->host_apic_id << 24) & t->apicid_keep;
        break;
    case 0xb:
    case 0x1f:
        r->edx = v->lapic.on ? v->lapic.m.apic_id : v->host_x2apic_id;
        break;
    case 7:
        if (subleaf == 0 && t->ospke_keep && ((have_cr4 ? cr4 : x86vcpu__guest_cr4(v)) & CR4_PKE))
            r->ecx |= t->ospke_keep;
        break;
    case 0xd:
        if (subleaf < 2 && t->xsave_ebx_kind[subleaf] != X86VCPU_XSAVE_EBX_HOST)
            r->ebx |= xsave_ebx_now(v, subleaf, t->xsave_ebx_kind[subleaf]) &
                      t->xsave_ebx_keep[subleaf];
        break;
    default:
        syscall_by_mode(v, leaf, r);
        break;
    }
    return;
slow:
    /* Not tabulated (an override naming a subleaf of a leaf without
     * subleaves, subleaves past the host's enumeration, leaves past the
     * table): the computation itself. */
    if (!have_cr4)
        cr4 = (leaf == 1 || leaf == 7) ? x86vcpu__guest_cr4(v) : 0;
    x86vcpu__guest_cpuid_ref(v, in, subleaf, cr4, r);
}

/* The guest's view of one CPUID leaf for a given guest CR4 (cr.c asks
 * leaves 1 and 7 for the CR4 being written). */
void x86vcpu__guest_cpuid_cr4(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                              uint64_t guest_cr4, struct x86vcpu_cpuid_regs *r)
{
    if (!v->cpu)
        x86vcpu__guest_cpuid_ref(v, leaf, subleaf, guest_cr4, r);
    else
        tbl_lookup(v, leaf, subleaf, 1, guest_cr4, r);
}

/* The CPUID exit path's answer (the exit and tests/host/test_cpuid_cache.c). */
void x86vcpu__guest_cpuid(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                          struct x86vcpu_cpuid_regs *r)
{
    tbl_lookup(v, leaf, subleaf, 0, 0, r);
}

/* CPUID exit (SDM 26.1.2: CPUID always exits). */
int x86vcpu__exit_cpuid(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    (void)e;
    uint64_t *g = v->regs.gpr;
    struct x86vcpu_cpuid_regs r;
    const struct x86vcpu_cpuid_regs *a = x86vcpu__cpuid_fast(v, (uint32_t)g[X86VCPU_RAX]);
    if (!a) {
        tbl_lookup(v, (uint32_t)g[X86VCPU_RAX], (uint32_t)g[X86VCPU_RCX], 0, 0, &r);
        a = &r;
    }
    /* CPUID writes the 32-bit registers, zero-extending into RAX..RDX. */
    g[X86VCPU_RAX] = a->eax;
    g[X86VCPU_RBX] = a->ebx;
    g[X86VCPU_RCX] = a->ecx;
    g[X86VCPU_RDX] = a->edx;
    x86vcpu__skip_current(v);
    return 1;
}

/* The policy is the VM's: every vCPU's copy changes alike (they are equal,
 * so are the results), and the VM's table is stale. */
int x86vcpu_cpuid_override(struct x86vcpu_vcpu *v, uint32_t leaf, uint32_t subleaf,
                           const uint32_t set[4], const uint32_t clear[4])
{
    if (!v)
        return X86VCPU_EINVAL;
    int err = X86VCPU_OK;
    for (struct x86vcpu_vcpu *w = v->vm->vcpus; w; w = w->vm_next) {
        int e = x86vcpu__cpuid_policy_set(&w->cpuid, leaf, subleaf, set, clear);
        if (e)
            err = e;
    }
    vm_tbl_stale(v->vm);
    return err;
}

int x86vcpu_cpuid_set_vendor(struct x86vcpu_vcpu *v, const char vendor[12])
{
    if (!v || !vendor)
        return X86VCPU_EINVAL;
    for (struct x86vcpu_vcpu *w = v->vm->vcpus; w; w = w->vm_next)
        for (int i = 0; i < 12; i++)
            w->cpuid.vendor[i] = vendor[i];
    vm_tbl_stale(v->vm);
    return X86VCPU_OK;
}

/* ------------------------------------------------- named features */
static int feature_set(struct x86vcpu_vcpu *v, enum x86vcpu_feature f, int on)
{
    if (!v || (unsigned)f >= X86VCPU_FEAT_COUNT)
        return X86VCPU_EINVAL;
    /* The VMX controls that make a hidden feature absent are chosen at
     * setup (vmcs_setup.c): after it, CPUID and controls would disagree,
     * for any vCPU of the VM. */
    for (struct x86vcpu_vcpu *w = v->vm->vcpus; w; w = w->vm_next)
        if (w->have_setup)
            return X86VCPU_ESTATE;
    for (struct x86vcpu_vcpu *w = v->vm->vcpus; w; w = w->vm_next) {
        if (on)
            w->cpuid.features |= 1u << f;
        else
            w->cpuid.features &= ~(1u << f);
        x86vcpu__arch_msrs_reset(&w->cpuid, 0);
        key_sync(w);
    }
    vm_tbl_stale(v->vm);
    return X86VCPU_OK;
}

int x86vcpu_cpuid_enable_feature(struct x86vcpu_vcpu *v, enum x86vcpu_feature f)
{
    return feature_set(v, f, 1);
}

int x86vcpu_cpuid_disable_feature(struct x86vcpu_vcpu *v, enum x86vcpu_feature f)
{
    return feature_set(v, f, 0);
}

/* At setup (vmcs_setup.c write_setup): the MSRs the library keeps start
 * over, and MSRs of hidden features whose reads the bitmap lets through
 * (msr.c switches TSC_AUX and IA32_XSS, reads without exits) exit again,
 * so that they #GP. */
int x86vcpu__features_setup(struct x86vcpu_vcpu *v)
{
    static const uint32_t switched[] = { 0xc0000103u, 0xda0u };
    x86vcpu__arch_msrs_reset(&v->cpuid, v->setup.mode != X86VCPU_MODE_REAL);
    key_sync(v);
    /* The VM's CPUID table, for the policy as set up, unless built (the
     * CPU is bound: no XSETBV in the build). */
    if (v->cpu && !vtbl(v)->cpu)
        tbl_build(v);
    void *bm = v->hal->phys_to_virt(v->hal->ctx, v->msr_bitmap_pa);
    for (unsigned i = 0; i < sizeof switched / sizeof switched[0]; i++) {
        if (!x86vcpu__msr_hidden(&v->cpuid, switched[i]))
            continue;
        int err = x86vcpu__msr_bitmap_set(bm, switched[i], 1, 1);
        if (err)
            return err;
    }
    return X86VCPU_OK;
}

/* RDMSR/WRMSR of an MSR that follows from CPUID (msr.c calls this first):
 * a hidden feature's MSR #GPs; IA32_MISC_ENABLE, the MTRRs and MCG_* are
 * the library's. Returns 1 when the exit was completed or faulted here. */
/* x86vcpu__msr_hidden for an MSR exit: its answer is a function of the MSR
 * and the policy's features alone, so the last one is kept (issue 15: a
 * binary search over the hidden ranges, 61 instructions, at every MSR
 * exit; a guest writes its TSC_DEADLINE or an embedder's MSR over and
 * over). */
static int msr_hidden(struct x86vcpu_vcpu *v, uint32_t msr)
{
    if (!(v->msrh.valid && v->msrh.msr == msr && v->msrh.features == v->cpuid.features)) {
        v->msrh.hidden = (uint32_t)x86vcpu__msr_hidden(&v->cpuid, msr);
        v->msrh.msr = msr;
        v->msrh.features = v->cpuid.features;
        v->msrh.valid = 1;
    }
    return (int)v->msrh.hidden;
}

int x86vcpu__cpuid_msr_exit(struct x86vcpu_vcpu *v, uint32_t msr, int write, uint64_t val)
{
    int r;
    if (msr_hidden(v, msr)) {
        r = X86VCPU_VEC_GP;
    } else if (!write) {
        if (!x86vcpu__arch_msr_read(&v->cpuid, msr, &val))
            return 0;
        v->regs.gpr[X86VCPU_RAX] = (uint32_t)val;
        v->regs.gpr[X86VCPU_RDX] = val >> 32;
        r = 0;
    } else {
        struct x86vcpu_cpuid_regs a;
        unsigned maxphy = 36; /* SDM 4.1.4: without leaf 80000008H */
        /* Only the variable-range MTRRs depend on MAXPHYADDR: other WRMSR
         * exits need no CPUID lookup. */
        int var_mtrr = msr >= MSR_MTRR_PHYS0 && msr < MSR_MTRR_PHYS0 + 2 * X86VCPU_MTRR_VAR;
        if (var_mtrr && (v->cpuid.max_ext >= 0x80000008u || !v->cpuid.max_basic)) {
            x86vcpu__guest_cpuid_cr4(v, 0x80000008u, 0, 0, &a);
            if (v->cpuid.max_ext >= 0x80000008u)
                maxphy = a.eax & 0xff;
        }
        r = x86vcpu__arch_msr_write(&v->cpuid, msr, val, maxphy);
        if (r < 0)
            return 0;
        key_sync(v); /* IA32_MISC_ENABLE[22] may have changed */
    }
    if (r)
        x86vcpu__inject_exception(v, (uint32_t)r, 1, 0);
    else
        x86vcpu__skip_current(v);
    return 1;
}

/* RDRAND, RDSEED, MONITOR, MWAIT exit only while their feature is hidden
 * (vmcs_setup.c): the instruction is absent, #UD (Vol. 2 of each: "#UD If
 * CPUID... = 0"). RDPMC exits while the PMU is hidden: no counter exists,
 * #GP(0) (Vol. 2B RDPMC: "If ECX specifies an invalid counter"). */
int x86vcpu__exit_hidden_ud(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    (void)e;
    x86vcpu__inject_exception(v, X86VCPU_VEC_UD, 0, 0);
    return 1;
}

int x86vcpu__exit_rdpmc(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    (void)e;
    x86vcpu__inject_exception(v, X86VCPU_VEC_GP, 1, 0);
    return 1;
}
