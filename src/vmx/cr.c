/* Built-in exits for control registers and XCR0: MOV to/from CR0/CR3/CR4/CR8,
 * CLTS, LMSW (SDM 26.1.3, Table 28-3) and XSETBV. The guest gets the fault a
 * real CPU would raise; validity rules live in src/lib/validate.c. */
#include "vmx/vcpu.h"
#include "lib/validate.h"

uint64_t x86vcpu__gpr_read(struct x86vcpu_vcpu *v, unsigned reg)
{
    return reg == X86VCPU_RSP ? VMRD(v, WNAT, GUEST_RSP) : v->regs.gpr[reg & 15];
}

/* The guest's view of CR0/CR4: host-owned bits from the read shadow. */
uint64_t x86vcpu__guest_cr0(struct x86vcpu_vcpu *v)
{
    return (VMRD(v, WNAT, GUEST_CR0) & ~v->cr0_mask) | (VMRD(v, WNAT, CR0_READ_SHADOW) & v->cr0_mask);
}

uint64_t x86vcpu__guest_cr4(struct x86vcpu_vcpu *v)
{
    return (VMRD(v, WNAT, GUEST_CR4) & ~v->cr4_mask) | (VMRD(v, WNAT, CR4_READ_SHADOW) & v->cr4_mask);
}

/* The guest's CPUID leaves 1 and 7.0 as the CR checks read them, and the
 * CR4 bits they allow: looked up and computed again only after the VM's
 * table was rebuilt (a policy change) or this vCPU's view changed
 * (IA32_MISC_ENABLE[22]), not at every CR exit (issue 15: the two
 * lookups and the mask were 270 of a MOV to CR4's 642 instructions).
 * Under CR4 = 0: the CR4-dependent bits (OSXSAVE, OSPKE) are no feature
 * a CR check asks about; nor are the virtual LAPIC's bits of leaf 1. */
static void cr_cpuid(struct x86vcpu_vcpu *v, struct x86vcpu_cr_ctx *c)
{
    const struct x86vcpu_cpuid_table *t = &v->vm->tbl;
    if (!(v->crc.valid && t->cpu && v->crc.builds == t->builds && v->crc.key == v->cpuid_key)) {
        struct x86vcpu_cpuid_regs r1, r7;
        x86vcpu__guest_cpuid_cr4(v, 1, 0, 0, &r1);
        x86vcpu__guest_cpuid_cr4(v, 7, 0, 0, &r7);
        struct x86vcpu_cr_ctx w = { .cpuid1_ecx = r1.ecx, .cpuid1_edx = r1.edx,
                                    .cpuid7_ebx = r7.ebx, .cpuid7_ecx = r7.ecx,
                                    .cpuid7_edx = r7.edx };
        v->crc.c1 = r1.ecx;
        v->crc.d1 = r1.edx;
        v->crc.b7 = r7.ebx;
        v->crc.c7 = r7.ecx;
        v->crc.d7 = r7.edx;
        v->crc.cr4_allowed = ~x86vcpu__cr4_reserved_mask(&w);
        /* The lookups built the table when it was stale. */
        v->crc.builds = t->builds;
        v->crc.key = v->cpuid_key;
        v->crc.valid = t->cpu != 0;
    }
    c->cpuid1_ecx = v->crc.c1;
    c->cpuid1_edx = v->crc.d1;
    c->cpuid7_ebx = v->crc.b7;
    c->cpuid7_ecx = v->crc.c7;
    c->cpuid7_edx = v->crc.d7;
    c->cr4_allowed = v->crc.cr4_allowed;
}

static void fill_ctx(struct x86vcpu_vcpu *v, struct x86vcpu_cr_ctx *c)
{
    *c = (struct x86vcpu_cr_ctx){ 0 };
    c->cr4 = x86vcpu__guest_cr4(v);
    cr_cpuid(v, c);
    c->cr0 = x86vcpu__guest_cr0(v);
    c->cr3 = VMRD(v, WNAT, GUEST_CR3);
    c->efer = VMRD(v, W64, GUEST_IA32_EFER);
    c->maxphyaddr = v->host_maxphyaddr;
    c->cpl = AR_DPL((uint32_t)VMRD(v, W32, GUEST_SS_AR));
    c->long_mode_active = (c->efer & EFER_LMA) != 0;
    c->cs_l = (VMRD(v, W32, GUEST_CS_AR) & AR_L) != 0;
    uint32_t tr_type = (uint32_t)VMRD(v, W32, GUEST_TR_AR) & 0xf;
    c->tr_16bit = tr_type == 1 || tr_type == 3;
}

/* PAE paging outside long mode takes its PDPTEs from the VMCS at VM entry
 * when EPT is on (SDM 26.3.2.4). A MOV to CR0/CR4 that leaves PAE paging
 * in use and changes CR0.CD/NW/PG or CR4.PAE/PGE/PSE/SMEP loads them from
 * CR3 (SDM 4.4.1), and #GPs, changing nothing, when a present one has a
 * reserved bit set (bits 2:1, 8:5, 63:MAXPHYADDR). Memory that cannot be
 * read counts as such (all-ones on a real bus). */
#define CR0_PDPTE_BITS (CR0_CD | CR0_NW | CR0_PG)
#define CR4_PDPTE_BITS (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP)

/* Returns 1 (pdpte[] to load), 0 (nothing to load) or -1 (#GP). */
static int read_pdptes(struct x86vcpu_vcpu *v, const struct x86vcpu_cr_ctx *c, uint64_t cr0,
                       uint64_t cr4, uint64_t efer, uint64_t pdpte[4])
{
    if (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE) || (efer & EFER_LMA))
        return 0;
    uint64_t cr3 = VMRD(v, WNAT, GUEST_CR3) & 0xffffffe0u;
    /* Through the library's EPT with its rights when it has one (gmem.c,
     * like every access made for the guest); else the embedder's reader. */
    struct x86vcpu__gfault f;
    if (v->setup.ept ? x86vcpu__gpa_read(v, cr3, pdpte, 32, &f) != 0
                     : !v->setup.read_gpa ||
                           v->setup.read_gpa(v->setup.read_gpa_ctx, cr3, pdpte, 32))
        return -1;
    unsigned mpa = c->maxphyaddr ? c->maxphyaddr : 36;
    uint64_t rsvd = 0x1e6ull | (mpa < 64 ? ~0ull << mpa : 0);
    for (int i = 0; i < 4; i++)
        if ((pdpte[i] & 1) && (pdpte[i] & rsvd))
            return -1;
    return 1;
}

static void write_pdptes(struct x86vcpu_vcpu *v, const uint64_t pdpte[4])
{
    VMWR(v, W64, GUEST_PDPTE0, pdpte[0]);
    VMWR(v, W64, GUEST_PDPTE1, pdpte[1]);
    VMWR(v, W64, GUEST_PDPTE2, pdpte[2]);
    VMWR(v, W64, GUEST_PDPTE3, pdpte[3]);
}

/* Returns 0, or the vector to inject (nothing written then). */
static int write_cr0(struct x86vcpu_vcpu *v, const struct x86vcpu_cr_ctx *c, uint64_t val)
{
    const struct x86vcpu_caps *caps = &v->owner->caps;
    uint64_t efer = c->efer;
    /* Paging on/off with EFER.LME set enters/leaves IA-32e mode (SDM 10.8.5):
     * the hardware did not see this write, so update LMA and the IA-32e
     * mode guest entry control ourselves. */
    int lma_change = (efer & EFER_LME) && ((val ^ c->cr0) & CR0_PG);
    if (lma_change)
        efer = (val & CR0_PG) ? efer | EFER_LMA : efer & ~EFER_LMA;
    uint64_t pdpte[4];
    int ld = 0;
    if ((val ^ c->cr0) & CR0_PDPTE_BITS) {
        ld = read_pdptes(v, c, val, c->cr4, efer, pdpte);
        if (ld < 0)
            return X86VCPU_VEC_GP;
    }
    if (lma_change) {
        v->ctl_entry = (efer & EFER_LMA) ? v->ctl_entry | ENTRY_IA32E_GUEST
                                         : v->ctl_entry & ~ENTRY_IA32E_GUEST;
        VMWR(v, W64, GUEST_IA32_EFER, efer);
        VMWR(v, W32, ENTRY_CTLS, v->ctl_entry);
    }
    /* The host-owned bits VMX requires are forced on, except PE and PG
     * under unrestricted guest: they are the guest's own there even when
     * host-owned (PG is, without IA32_VMX_MISC[5]: vmcs_setup.c). CD and
     * NW (host-owned) are the guest's in the shadow only: VM entry ignores
     * them in the field and keeps the CPU's, the host's (SDM 26.3.2.1). */
    uint64_t force = caps->cr0_fixed0 & v->cr0_mask;
    if (v->ctl_proc2 & PROC2_UNRESTRICTED)
        force &= ~(uint64_t)(CR0_PE | CR0_PG);
    uint64_t real = (val | force) & caps->cr0_fixed1;
    VMWR(v, WNAT, GUEST_CR0, real);
    VMWR(v, WNAT, CR0_READ_SHADOW, val);
    if (ld > 0)
        write_pdptes(v, pdpte);
    return 0;
}

static int write_cr4(struct x86vcpu_vcpu *v, const struct x86vcpu_cr_ctx *c, uint64_t val)
{
    const struct x86vcpu_caps *caps = &v->owner->caps;
    uint64_t pdpte[4];
    int ld = 0;
    if ((val ^ c->cr4) & CR4_PDPTE_BITS) {
        ld = read_pdptes(v, c, c->cr0, val, c->efer, pdpte);
        if (ld < 0)
            return X86VCPU_VEC_GP;
    }
    VMWR(v, WNAT, GUEST_CR4, (val | caps->cr4_fixed0) & caps->cr4_fixed1);
    VMWR(v, WNAT, CR4_READ_SHADOW, val);
    v->guest_osxsave = (val & CR4_OSXSAVE) != 0;
    x86vcpu__xcr0_update(v);
    if (ld > 0)
        write_pdptes(v, pdpte);
    return 0;
}

/* Returns 0 (instruction done: skip it) or the vector injected. */
static int cr_access(struct x86vcpu_vcpu *v, uint64_t q)
{
    unsigned cr = CR_QUAL_CR(q), type = CR_QUAL_TYPE(q), reg = CR_QUAL_REG(q);
    struct x86vcpu_cr_ctx c;
    uint64_t out;
    int vec = 0;
    fill_ctx(v, &c);
    switch (type) {
    case CR_TYPE_MOV_TO: {
        uint64_t val = x86vcpu__gpr_read(v, reg);
        if (!(c.long_mode_active && c.cs_l))
            val = (uint32_t)val; /* 32-bit operand outside 64-bit mode */
        if (cr == 0 && !(vec = x86vcpu__check_cr0_write(&c, val, &out)))
            vec = write_cr0(v, &c, out);
        else if (cr == 4 && !(vec = x86vcpu__check_cr4_write(&c, val, &out)))
            vec = write_cr4(v, &c, out);
        else if (cr == 3 && !(vec = x86vcpu__check_cr3_write(&c, val, &out)))
            VMWR(v, WNAT, GUEST_CR3, out);
        else if (cr == 8) {
            /* CR8 is TPR[7:4]; bits 63:4 are reserved (SDM 10.8.6.1). */
            if (val & ~0xfull)
                vec = X86VCPU_VEC_GP;
            else
                v->cr8 = val;
        }
        break;
    }
    case CR_TYPE_MOV_FROM: /* CR3 with CR3-store exiting, CR8 */
        x86vcpu_set_gpr(v, (enum x86vcpu_gpr)reg, cr == 8 ? v->cr8 : VMRD(v, WNAT, GUEST_CR3));
        break;
    case CR_TYPE_CLTS:
        vec = write_cr0(v, &c, c.cr0 & ~CR0_TS);
        break;
    default: /* CR_TYPE_LMSW: bits 3:0 only, cannot clear PE (SDM LMSW) */
        vec = write_cr0(v, &c, x86vcpu__lmsw_value(c.cr0, CR_QUAL_LMSW_SRC(q)));
        break;
    }
    if (vec)
        x86vcpu__inject_exception(v, (uint32_t)vec, vec == X86VCPU_VEC_GP, 0);
    return vec;
}

static int xsetbv(struct x86vcpu_vcpu *v)
{
    uint64_t *g = v->regs.gpr;
    uint64_t val = ((g[X86VCPU_RDX] & 0xffffffffu) << 32) | (g[X86VCPU_RAX] & 0xffffffffu);
    uint32_t cpl = AR_DPL((uint32_t)VMRD(v, W32, GUEST_SS_AR));
    int vec = x86vcpu__check_xsetbv(cpl, x86vcpu__guest_cr4(v), (uint32_t)g[X86VCPU_RCX], val,
                                    v->supported_xcr0);
    if (vec) {
        x86vcpu__inject_exception(v, (uint32_t)vec, vec == X86VCPU_VEC_GP, 0);
    } else {
        v->guest_xcr0 = val;
        x86vcpu__xcr0_update(v);
    }
    return vec;
}

/* CR-access and XSETBV exits: handled here, the instruction completes
 * unless it faulted. */
int x86vcpu__exit_cr_access(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    (void)e;
    if (!cr_access(v, VMRD(v, WNAT, EXIT_QUALIFICATION)))
        x86vcpu__skip_current(v);
    return 1;
}

int x86vcpu__exit_xsetbv(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    (void)e;
    if (!xsetbv(v))
        x86vcpu__skip_current(v);
    return 1;
}
