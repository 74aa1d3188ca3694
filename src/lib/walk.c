/* Guest page-table walker, GVA -> GPA. Source: SDM Vol. 3A chapter 4
 * "Paging": 4.1.1 (mode selection), 4.3 (32-bit paging), 4.4 (PAE paging),
 * 4.5 (4-level and 5-level paging), 4.6 (access rights), 4.7 (page-fault
 * error code), 4.8 (accessed and dirty flags). walk.h lists what is
 * deliberately not modelled. */
#include "lib/arch.h"
#include "lib/walk.h"

/* Paging-structure entry flags shared by every format (4.3-4.5). */
#define PTE_P  BIT(0)
#define PTE_RW BIT(1)
#define PTE_US BIT(2)
#define PTE_A  BIT(5)
#define PTE_D  BIT(6)
#define PTE_PS BIT(7)
#define PTE_XD BIT(63)

#define MAX_ENTRIES 5

/* Bits hi:lo set; empty when hi < lo. */
static uint64_t bits(unsigned hi, unsigned lo)
{
    uint64_t upto = hi >= 63 ? ~0ull : BIT(hi + 1) - 1;
    return upto & ~(BIT(lo) - 1);
}

struct walk {
    const struct x86vcpu_walk_ctx *c;
    const struct x86vcpu_gmem *m;
    struct x86vcpu_walk_result *r;
    uint64_t gva;
    int access;
    int user;           /* user-mode access (4.6: CPL 3 and not implicit supervisor) */
    int nxe;
    unsigned maxphy;
    uint32_t pfec;      /* W/R, U/S and I/D bits describing this access (4.7) */
    /* Entries that have an accessed flag, outermost first (4.8). */
    uint64_t ent_gpa[MAX_ENTRIES];
    uint64_t ent_val[MAX_ENTRIES];
    uint32_t ent_len[MAX_ENTRIES];
    int n;
    /* Rights combined over all entries controlling the translation (4.6):
     * writable and user only if every entry says so, execute-disabled if
     * any entry says so. */
    int rw, us, xd;
};

/* Read a 4- or 8-byte little-endian paging-structure entry. */
static int read_entry(struct walk *w, uint64_t gpa, uint32_t len, uint64_t *val)
{
    uint8_t b[8];
    uint64_t v = 0;
    if (w->m->read(w->m->ctx, gpa, b, len)) {
        w->r->fail_gpa = gpa;
        return X86VCPU_WALK_NO_MEMORY;
    }
    for (uint32_t i = len; i-- > 0;)
        v = v << 8 | b[i];
    w->r->level++;
    *val = v;
    return 0;
}

static int fault(struct walk *w, uint32_t bits_)
{
    w->r->pf_errcode = w->pfec | bits_;
    return X86VCPU_WALK_PAGE_FAULT;
}

/* A present entry without reserved bits takes part in the translation. */
static void use_entry(struct walk *w, uint64_t gpa, uint64_t val, uint32_t len)
{
    w->ent_gpa[w->n] = gpa;
    w->ent_val[w->n] = val;
    w->ent_len[w->n] = len;
    w->n++;
    w->rw &= (val & PTE_RW) != 0;
    w->us &= (val & PTE_US) != 0;
    /* XD is a flag only with IA32_EFER.NXE = 1 (4.6); otherwise bit 63 is
     * reserved and already faulted. */
    w->xd |= w->nxe && (val & PTE_XD);
}

/* Access rights of 4.6 for the combined rights of the translation. */
static int allowed(const struct walk *w)
{
    const struct x86vcpu_walk_ctx *c = w->c;
    if (w->access == X86VCPU_ACC_FETCH) {
        /* 4.6.1 instruction fetches: never from an execute-disabled page
         * (NXE = 1); user mode only from user-mode addresses; supervisor
         * mode from user-mode addresses only with CR4.SMEP = 0. */
        if (w->xd)
            return 0;
        if (w->user)
            return w->us;
        return !(w->us && (c->cr4 & CR4_SMEP));
    }
    if (w->user) {
        /* 4.6.1 user-mode data accesses: user-mode addresses only, writes
         * only to writable ones (CR0.WP does not matter). */
        if (!w->us)
            return 0;
        return w->access == X86VCPU_ACC_READ || w->rw;
    }
    /* Supervisor-mode data access. To a user-mode address with CR4.SMAP = 1
     * it is allowed only if explicit (CPL < 3, not implicit) with
     * RFLAGS.AC = 1 (4.6.1). */
    if (w->us && (c->cr4 & CR4_SMAP) &&
        (c->implicit_supervisor || c->cpl == 3 || !(c->rflags & RFLAGS_AC)))
        return 0;
    /* Writes: with CR0.WP = 1 only to writable addresses; with WP = 0 to
     * any address (4.6.1). */
    if (w->access == X86VCPU_ACC_WRITE && !w->rw && (c->cr0 & CR0_WP))
        return 0;
    return 1;
}

/* The walk reached the final entry: check rights, then set the accessed
 * flags of every entry used and, for a write, the dirty flag of the final
 * one (4.8). Only the low 32 bits are written: A and D are bits 5 and 6. */
static int finish(struct walk *w, uint64_t gpa, uint32_t size)
{
    if (!allowed(w))
        return fault(w, X86VCPU_PFEC_P);
    if (w->m->write || w->m->cmpxchg) {
        for (int i = 0; i < w->n; i++) {
            uint64_t set = PTE_A;
            if (i == w->n - 1 && w->access == X86VCPU_ACC_WRITE)
                set |= PTE_D;
            if ((w->ent_val[i] & set) == set)
                continue;
            if (w->m->cmpxchg) {
                /* Locked, as the CPU (4.8): only if the entry is still the
                 * one this walk used. */
                int rc = w->m->cmpxchg(w->m->ctx, w->ent_gpa[i], w->ent_len[i], w->ent_val[i],
                                       w->ent_val[i] | set);
                if (rc > 0)
                    return X86VCPU_WALK_RETRY;
                if (rc < 0) {
                    w->r->fail_gpa = w->ent_gpa[i];
                    w->r->fail_write = 1;
                    return X86VCPU_WALK_NO_MEMORY;
                }
                continue;
            }
            uint32_t lo = (uint32_t)(w->ent_val[i] | set);
            uint8_t b[4] = { (uint8_t)lo, (uint8_t)(lo >> 8), (uint8_t)(lo >> 16),
                             (uint8_t)(lo >> 24) };
            if (w->m->write(w->m->ctx, w->ent_gpa[i], b, 4)) {
                w->r->fail_gpa = w->ent_gpa[i];
                w->r->fail_write = 1;
                return X86VCPU_WALK_NO_MEMORY;
            }
        }
    }
    w->r->gpa = gpa;
    w->r->page_size = size;
    return X86VCPU_WALK_OK;
}

/* 32-bit paging (4.3): CR3[31:12] locates a 1024-entry page directory;
 * 32-bit entries, no execute-disable. */
static int walk_32bit(struct walk *w)
{
    const struct x86vcpu_walk_ctx *c = w->c;
    uint32_t gva = (uint32_t)w->gva;
    uint64_t pde_gpa = (c->cr3 & 0xfffff000u) + ((gva >> 22) & 0x3ff) * 4;
    uint64_t pde, pte;
    if (read_entry(w, pde_gpa, 4, &pde))
        return X86VCPU_WALK_NO_MEMORY;
    if (!(pde & PTE_P))
        return fault(w, 0);
    if ((c->cr4 & CR4_PSE) && (pde & PTE_PS)) {
        /* 4-MByte page (Table 4-4). With PSE-36, PDE bits (M-20):13 are
         * physical bits (M-1):32 and bits 21:(M-19) are reserved, where M
         * is the minimum of 40 and MAXPHYADDR. */
        unsigned m = w->maxphy < 40 ? w->maxphy : 40;
        if (pde & bits(21, m - 19))
            return fault(w, X86VCPU_PFEC_P | X86VCPU_PFEC_RSVD);
        use_entry(w, pde_gpa, pde, 4);
        uint64_t hi = (pde >> 13) & (BIT(m - 32) - 1);
        uint64_t gpa = (pde & 0xffc00000u) | hi << 32 | (gva & 0x3fffffu);
        return finish(w, gpa, 4u << 20);
    }
    /* CR4.PSE = 0 or PS = 0: the PDE references a page table (Table 4-5);
     * PTEs have no reserved bits (Table 4-6). */
    use_entry(w, pde_gpa, pde, 4);
    uint64_t pte_gpa = (pde & 0xfffff000u) + ((gva >> 12) & 0x3ff) * 4;
    if (read_entry(w, pte_gpa, 4, &pte))
        return X86VCPU_WALK_NO_MEMORY;
    if (!(pte & PTE_P))
        return fault(w, 0);
    use_entry(w, pte_gpa, pte, 4);
    return finish(w, (pte & 0xfffff000u) | (gva & 0xfff), 4096);
}

/* 8-byte entries from level `top` down to the PTE (level 1), 9 linear-address
 * bits a level. `rsvd` holds the bits reserved in every entry: physical bits
 * at and above MAXPHYADDR (up to 51 for 4-/5-level paging, 62 for PAE) and
 * XD when IA32_EFER.NXE = 0. */
static int walk_tables(struct walk *w, uint64_t table, int top, uint64_t rsvd)
{
    uint64_t addr = bits(w->maxphy - 1, 12);
    for (int lvl = top; lvl >= 1; lvl--) {
        unsigned shift = 12 + 9 * (unsigned)(lvl - 1);
        uint64_t gpa = table + ((w->gva >> shift) & 0x1ff) * 8;
        uint64_t e;
        if (read_entry(w, gpa, 8, &e))
            return X86VCPU_WALK_NO_MEMORY;
        /* Reserved bits are not checked in a not-present entry (4.7). */
        if (!(e & PTE_P))
            return fault(w, 0);
        /* PS maps a page in a PDE (2 MByte) or a 4-/5-level PDPTE (1 GByte). */
        int leaf = lvl == 1 || ((lvl == 2 || lvl == 3) && (e & PTE_PS));
        uint64_t rs = rsvd;
        if (lvl >= 4)
            rs |= PTE_PS;           /* PML5E, PML4E: bit 7 reserved (4.5) */
        else if (leaf && lvl == 3)
            rs |= bits(29, 13);     /* 1-GByte page: bits 29:13 reserved (4.5) */
        else if (leaf && lvl == 2)
            rs |= bits(20, 13);     /* 2-MByte page: bits 20:13 reserved (4.4.2, 4.5) */
        if (e & rs)
            return fault(w, X86VCPU_PFEC_P | X86VCPU_PFEC_RSVD);
        use_entry(w, gpa, e, 8);
        if (leaf) {
            uint64_t size = BIT(shift);
            uint64_t frame = e & addr & ~(size - 1);   /* drops PAT (bit 12) of large pages */
            return finish(w, frame | (w->gva & (size - 1)), (uint32_t)size);
        }
        table = e & addr;
    }
    return X86VCPU_WALK_INVALID; /* not reached: level 1 is always a leaf */
}

/* PAE paging (4.4): CR3[31:5] locates four PDPTEs. The CPU loads them into
 * the PDPTE registers at MOV to CR3 (4.4.1) and #GPs there on reserved bits;
 * here they are read at walk time and a reserved bit is reported as a
 * reserved-bit #PF (see walk.h). PDPTEs have no R/W, U/S, XD or A flags
 * (Table 4-8), so they neither restrict access nor get updated. */
static int walk_pae(struct walk *w)
{
    unsigned mp = w->maxphy;
    uint64_t pdpte_gpa = (w->c->cr3 & 0xffffffe0u) + ((w->gva >> 30) & 3) * 8;
    uint64_t pdpte;
    if (read_entry(w, pdpte_gpa, 8, &pdpte))
        return X86VCPU_WALK_NO_MEMORY;
    if (!(pdpte & PTE_P))
        return fault(w, 0);
    /* Table 4-8: bits 2:1, 8:5 and 63:M reserved. */
    if (pdpte & (bits(63, mp) | bits(8, 5) | bits(2, 1)))
        return fault(w, X86VCPU_PFEC_P | X86VCPU_PFEC_RSVD);
    /* Tables 4-9 to 4-11: bits 62:M reserved, and 63 unless NXE. */
    uint64_t rsvd = bits(62, mp) | (w->nxe ? 0 : PTE_XD);
    return walk_tables(w, pdpte & bits(mp - 1, 12), 2, rsvd);
}

int x86vcpu__walk(const struct x86vcpu_walk_ctx *c, const struct x86vcpu_gmem *m,
                  uint64_t gva, int access, struct x86vcpu_walk_result *r)
{
    if (!r)
        return X86VCPU_WALK_INVALID;
    r->gpa = 0;
    r->page_size = 0;
    r->pf_errcode = 0;
    r->level = 0;
    r->fail_gpa = 0;
    r->fail_write = 0;
    if (!c || !m || !m->read ||
        (access != X86VCPU_ACC_READ && access != X86VCPU_ACC_WRITE && access != X86VCPU_ACC_FETCH))
        return X86VCPU_WALK_INVALID;

    int lma = (c->efer & EFER_LMA) != 0;
    /* 4.1.1: CR0.PG = 0, no paging: the linear address is the physical
     * address. IA-32e mode requires paging, so this is 32-bit addressing. */
    if (!(c->cr0 & CR0_PG)) {
        r->gpa = lma ? gva : (uint32_t)gva;
        r->page_size = 4096;
        return X86VCPU_WALK_OK;
    }

    struct walk w;
    w.c = c;
    w.m = m;
    w.r = r;
    w.access = access;
    /* 4.6: supervisor-mode accesses are those at CPL < 3 and implicit
     * supervisor-mode accesses (e.g. to descriptor tables) at any CPL. */
    w.user = c->cpl == 3 && !c->implicit_supervisor;
    w.nxe = (c->efer & EFER_NXE) != 0;
    w.maxphy = c->maxphyaddr ? c->maxphyaddr : 36;
    if (w.maxphy < 32)
        w.maxphy = 32;
    if (w.maxphy > 52)
        w.maxphy = 52;
    w.n = 0;
    w.rw = 1;
    w.us = 1;
    w.xd = 0;
    /* 4.7: W/R and U/S describe the access, not the page. I/D is set for a
     * fetch when SMEP is on, or when PAE-style paging runs with NXE = 1. */
    int pae_style = lma || (c->cr4 & CR4_PAE);
    w.pfec = (access == X86VCPU_ACC_WRITE ? X86VCPU_PFEC_WR : 0) |
             (w.user ? X86VCPU_PFEC_US : 0);
    if (access == X86VCPU_ACC_FETCH && ((c->cr4 & CR4_SMEP) || (pae_style && w.nxe)))
        w.pfec |= X86VCPU_PFEC_ID;

    if (!lma) {
        /* Outside IA-32e mode linear addresses are 32 bits (4.1.1). */
        w.gva = (uint32_t)gva;
        return (c->cr4 & CR4_PAE) ? walk_pae(&w) : walk_32bit(&w);
    }

    /* 4-level (CR4.LA57 = 0) or 5-level paging (4.5). EFER.LMA = 1 implies
     * CR4.PAE = 1 architecturally; it is not re-checked. Linear addresses
     * must be canonical: bits 63:47 (63:56 with LA57) all equal (4.5). */
    int top = (c->cr4 & CR4_LA57) ? 5 : 4;
    unsigned sign = top == 5 ? 56 : 47;
    uint64_t high = gva >> sign;
    if (high != 0 && high != (~0ull >> sign))
        return X86VCPU_WALK_NONCANONICAL;
    w.gva = gva;
    uint64_t rsvd = bits(51, w.maxphy) | (w.nxe ? 0 : PTE_XD);
    /* CR3[M-1:12] locates the PML4 or PML5 table (4.5); CR3 was validated
     * when written. */
    return walk_tables(&w, c->cr3 & bits(w.maxphy - 1, 12), top, rsvd);
}
