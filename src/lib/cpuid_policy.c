/* Per-vCPU CPUID policy: hypervisor leaves, the filter applied to every
 * host answer, overrides, and XSAVE-area sizes (SDM Vol. 2 CPUID leaf 0DH,
 * Vol. 1 13.2-13.4). */
#include "lib/arch.h"
#include <x86vcpu/x86vcpu.h>
#include "lib/cpuid_policy.h"

#define XSAVE_LEGACY_AND_HEADER 576u   /* 512-byte legacy region + 64-byte header (13.4) */
#define CPUID_D1_EAX_XSAVEC (1u << 1)  /* leaf 0DH, subleaf 1 */

/* ------------------------------------------------------------ CPUID filter */
void x86vcpu__cpuid_hv_leaf(uint32_t leaf, const char vendor[12], struct x86vcpu_cpuid_regs *r)
{
    r->eax = r->ebx = r->ecx = r->edx = 0;
    if (leaf == X86VCPU_CPUID_HV_BASE) {
        /* EAX: highest hypervisor leaf; EBX:ECX:EDX: vendor signature. */
        r->eax = X86VCPU_CPUID_HV_LAST;
        const unsigned char *s = (const unsigned char *)vendor;
        r->ebx = s[0] | s[1] << 8 | s[2] << 16 | (uint32_t)s[3] << 24;
        r->ecx = s[4] | s[5] << 8 | s[6] << 16 | (uint32_t)s[7] << 24;
        r->edx = s[8] | s[9] << 8 | s[10] << 16 | (uint32_t)s[11] << 24;
    }
    /* 0x40000001: interface/feature leaf; no paravirtual features yet. */
}

void x86vcpu__cpuid_filter(uint32_t leaf, uint32_t subleaf, uint64_t guest_cr4,
                           struct x86vcpu_cpuid_regs *r)
{
    (void)subleaf;
    if (leaf == 1) {
        /* VMX is not offered to guests (no nested VMX); the hypervisor bit
         * tells the guest to look at 0x40000000. OSXSAVE reflects CR4.OSXSAVE
         * (bit 18) of the guest, not of the host that executed CPUID. */
        r->ecx &= ~CPUID1_ECX_VMX;
        r->ecx |= CPUID1_ECX_HV;
        r->ecx &= ~CPUID1_ECX_OSXSAVE;
        if (guest_cr4 & CR4_OSXSAVE)
            r->ecx |= CPUID1_ECX_OSXSAVE;
    }
}

/* ------------------------------------------------------------ XSAVE layout */
void x86vcpu__xstate_layout_init(struct x86vcpu_xstate_layout *l)
{
    for (int i = 0; i < 64; i++)
        l->offset[i] = l->size[i] = 0;
    l->valid = l->align64 = 0;
}

int x86vcpu__xstate_layout_add(struct x86vcpu_xstate_layout *l, uint32_t component,
                               uint32_t offset, uint32_t size, int align64)
{
    /* Components 0 and 1 live in the legacy region; bit 63 is no component
     * (13.1). */
    if (!l || component < 2 || component > 62)
        return X86VCPU_EINVAL;
    l->offset[component] = offset;
    l->size[component] = size;
    l->valid |= BIT(component);
    if (align64)
        l->align64 |= BIT(component);
    else
        l->align64 &= ~BIT(component);
    return X86VCPU_OK;
}

static uint32_t clamp32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

uint32_t x86vcpu__xsave_area_size(const struct x86vcpu_xstate_layout *l, uint64_t xcr0)
{
    /* Standard format (13.4.3): component i sits at its CPUID offset. */
    uint64_t end = XSAVE_LEGACY_AND_HEADER;
    uint64_t m = xcr0 & l->valid;
    for (uint32_t i = 2; i < 63; i++) {
        if (!(m & BIT(i)))
            continue;
        uint64_t e = (uint64_t)l->offset[i] + l->size[i];
        if (e > end)
            end = e;
    }
    return clamp32(end);
}

uint32_t x86vcpu__xsave_area_size_compacted(const struct x86vcpu_xstate_layout *l,
                                            uint64_t mask)
{
    /* Compacted format (13.4.3): enabled components follow one another
     * from byte 576, each 64-byte aligned when CPUID.(0DH,i):ECX[1] = 1. */
    uint64_t end = XSAVE_LEGACY_AND_HEADER;
    uint64_t m = mask & l->valid;
    for (uint32_t i = 2; i < 63; i++) {
        if (!(m & BIT(i)))
            continue;
        if (l->align64 & BIT(i))
            end = (end + 63) & ~63ull;
        end += l->size[i];
    }
    return clamp32(end);
}

/* One bit per leaf hash: set when some override may match the leaf
 * (x86vcpu__cpuid_override_maybe tests it). */
static uint64_t cpuid_leaf_hint(uint32_t leaf)
{
    return 1ull << ((leaf ^ (leaf >> 26)) & 63);
}

static void update_hint(struct x86vcpu_cpuid_policy *p)
{
    p->leaf_hint = 0;
    for (int i = 0; i < X86VCPU_CPUID_OVERRIDES; i++)
        if (p->ov[i].used)
            p->leaf_hint |= cpuid_leaf_hint(p->ov[i].leaf);
}

static void put_override(struct x86vcpu_cpuid_override *o, uint32_t leaf, uint32_t subleaf,
                         const uint32_t set[4], const uint32_t clear[4])
{
    o->leaf = leaf;
    o->subleaf = subleaf;
    for (int i = 0; i < 4; i++) {
        o->set[i] = set ? set[i] : 0;
        o->clear[i] = clear ? clear[i] : 0;
    }
    o->used = 1;
}

void x86vcpu__cpuid_policy_init(struct x86vcpu_cpuid_policy *p)
{
    static const char vendor[12] = { 'x', '8', '6', 'v', 'c', 'p', 'u', 'V', 'M', 'X', 'h', 'v' };
    for (int i = 0; i < X86VCPU_CPUID_OVERRIDES; i++) {
        put_override(&p->ov[i], 0, 0, 0, 0);
        p->ov[i].used = 0;
    }
    for (int i = 0; i < 12; i++)
        p->vendor[i] = vendor[i];
    /* What is hidden is the allow-list's business (cpuid_features.c): no
     * default overrides, every slot is the embedder's. */
    p->features = X86VCPU_CPUID_DEFAULT_FEATURES;
    p->max_basic = p->max_ext = 0;
    p->tbl = 0;
    p->tbl_pa = 0;
    x86vcpu__arch_msrs_reset(p, 0);
    update_hint(p);
}

int x86vcpu__cpuid_policy_set(struct x86vcpu_cpuid_policy *p, uint32_t leaf, uint32_t subleaf,
                              const uint32_t set[4], const uint32_t clear[4])
{
    if (!p)
        return X86VCPU_EINVAL;
    x86vcpu__cpuid_tbl_stale(p);
    int remove = 1;
    for (int i = 0; i < 4; i++)
        if ((set && set[i]) || (clear && clear[i]))
            remove = 0;
    struct x86vcpu_cpuid_override *slot = 0;
    for (int i = 0; i < X86VCPU_CPUID_OVERRIDES; i++) {
        struct x86vcpu_cpuid_override *o = &p->ov[i];
        if (o->used && o->leaf == leaf && o->subleaf == subleaf) {
            slot = o;
            break;
        }
        if (!o->used && !slot)
            slot = o;
    }
    if (remove) {
        if (slot && slot->used)
            slot->used = 0;
        update_hint(p);
        return X86VCPU_OK;
    }
    if (!slot)
        return X86VCPU_ENOMEM;
    put_override(slot, leaf, subleaf, set, clear);
    update_hint(p);
    return X86VCPU_OK;
}

static void apply_override(const struct x86vcpu_cpuid_override *o, struct x86vcpu_cpuid_regs *r)
{
    r->eax = (r->eax & ~o->clear[0]) | o->set[0];
    r->ebx = (r->ebx & ~o->clear[1]) | o->set[1];
    r->ecx = (r->ecx & ~o->clear[2]) | o->set[2];
    r->edx = (r->edx & ~o->clear[3]) | o->set[3];
}

void x86vcpu__cpuid_overrides_apply(const struct x86vcpu_cpuid_policy *p, uint32_t leaf,
                                    uint32_t subleaf, struct x86vcpu_cpuid_regs *r)
{
    /* Most leaves have no override: one test of the hint skips the scan. */
    if (!x86vcpu__cpuid_override_maybe(p, leaf))
        return;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < X86VCPU_CPUID_OVERRIDES; i++) {
            const struct x86vcpu_cpuid_override *o = &p->ov[i];
            if (!o->used || o->leaf != leaf)
                continue;
            int any = o->subleaf == X86VCPU_CPUID_ANY_SUBLEAF;
            if (pass == 0 ? any : (!any && o->subleaf == subleaf))
                apply_override(o, r);
        }
    }
}

void x86vcpu__cpuid_override_keep(const struct x86vcpu_cpuid_policy *p, uint32_t leaf,
                                  uint32_t subleaf, struct x86vcpu_cpuid_regs *keep)
{
    /* Each override maps a bit to itself, to 0 or to 1: it passes through
     * exactly where 0 stays 0 and 1 stays 1. */
    struct x86vcpu_cpuid_regs z = { 0, 0, 0, 0 }, o = { ~0u, ~0u, ~0u, ~0u };
    x86vcpu__cpuid_overrides_apply(p, leaf, subleaf, &z);
    x86vcpu__cpuid_overrides_apply(p, leaf, subleaf, &o);
    *keep = (struct x86vcpu_cpuid_regs){ ~z.eax & o.eax, ~z.ebx & o.ebx, ~z.ecx & o.ecx,
                                         ~z.edx & o.edx };
}

int x86vcpu__cpuid_override_subleaves(const struct x86vcpu_cpuid_policy *p, uint32_t leaf,
                                      uint32_t *exact_end)
{
    int any = 0;
    *exact_end = 0;
    for (int i = 0; i < X86VCPU_CPUID_OVERRIDES; i++) {
        const struct x86vcpu_cpuid_override *o = &p->ov[i];
        if (!o->used || o->leaf != leaf)
            continue;
        if (o->subleaf == X86VCPU_CPUID_ANY_SUBLEAF)
            any = 1;
        else if (o->subleaf + 1 > *exact_end)
            *exact_end = o->subleaf + 1;   /* <= 0xffffffff: ANY is the only wrap */
    }
    return any;
}

unsigned x86vcpu__cpuid_xsave_ebx_kind(uint32_t subleaf, uint32_t eax)
{
    /* 0DH.0 EBX: XSAVE present (EAX[0], x87 always supported); 0DH.1 EBX:
     * XSAVEC or XSAVES present (Vol. 2A CPUID). */
    if (subleaf == 0 && (eax & 1u))
        return X86VCPU_XSAVE_EBX_STD;
    if (subleaf == 1 && (eax & (CPUID_D1_EAX_XSAVEC | CPUID_D1_EAX_XSAVES)))
        return X86VCPU_XSAVE_EBX_COMPACT;
    return X86VCPU_XSAVE_EBX_HOST;
}

uint32_t x86vcpu__cpuid_xsave_ebx(unsigned kind, const struct x86vcpu_xstate_layout *layout,
                                  uint64_t guest_xcr0, uint64_t guest_xss)
{
    return kind == X86VCPU_XSAVE_EBX_STD
               ? x86vcpu__xsave_area_size(layout, guest_xcr0)
               : x86vcpu__xsave_area_size_compacted(layout, guest_xcr0 | guest_xss);
}

void x86vcpu__cpuid_policy_apply(const struct x86vcpu_cpuid_policy *p, uint32_t leaf,
                                 uint32_t subleaf, uint64_t guest_cr4, uint64_t guest_xcr0,
                                 uint64_t guest_xss, const struct x86vcpu_xstate_layout *layout,
                                 struct x86vcpu_cpuid_regs *r)
{
    if (x86vcpu__cpuid_is_hv_leaf(leaf)) {
        x86vcpu__cpuid_hv_leaf(leaf, p->vendor, r);
    } else {
        /* Only what is virtualized, or what the embedder turned on. */
        x86vcpu__cpuid_mask(p->features, leaf, subleaf, r);
        /* IA32_MISC_ENABLE[22] (limit CPUID maxval): CPUID.0:EAX reads 2
         * at most (Vol. 4 Table 2-2). */
        if (leaf == 0 && (p->msrs.misc_enable & BIT(22)) && r->eax > 2)
            r->eax = 2;
        x86vcpu__cpuid_filter(leaf, subleaf, guest_cr4, r);
        /* CPUID.(07H,0):ECX.OSPKE[4] reads CR4.PKE[22] of the guest (2.5). */
        if (leaf == 7 && subleaf == 0) {
            r->ecx &= ~(1u << 4);
            if (guest_cr4 & BIT(22))
                r->ecx |= 1u << 4;
        }
    }
    /* Leaf 0DH EBX depends on the XCR0 (and IA32_XSS) in force, which is
     * the guest's, not the host's that ran CPUID (Vol. 2 CPUID). */
    if (leaf == 0xd && layout) {
        unsigned kind = x86vcpu__cpuid_xsave_ebx_kind(subleaf, r->eax);
        if (kind != X86VCPU_XSAVE_EBX_HOST)
            r->ebx = x86vcpu__cpuid_xsave_ebx(kind, layout, guest_xcr0, guest_xss);
    }
    x86vcpu__cpuid_overrides_apply(p, leaf, subleaf, r);
}
