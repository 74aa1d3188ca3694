/* EPT paging structures (SDM Vol. 3C 29.3, Figures 29-1..29-3, Tables
 * 29-1..29-6): four levels, 512 entries each. An entry is present when any
 * of bits 2:0 (R, W, X) is set; bit 7 marks a 1 GiB (PDPTE) or 2 MiB (PDE)
 * page; leaf entries carry the memory type in bits 5:3. */
#include <x86vcpu/x86vcpu.h>
#include "lib/ept_tables.h"

#define ENT_PERMS    7ull
#define ENT_LARGE    (1ull << 7)
#define ENT_MT(e)    (((e) >> 3) & 7)
#define ENT_ADDR     0x000ffffffffff000ull
#define LEVEL_SHIFT(l) (12 + 9 * ((l) - 1))        /* 1: 4 KiB ... 4: 512 GiB */
#define LEVEL_SIZE(l)  (1ull << LEVEL_SHIFT(l))
#define INDEX(gpa, l)  (((gpa) >> LEVEL_SHIFT(l)) & 511)
#define GPA_LIMIT      (1ull << 48)               /* 4-level EPT */

static uint64_t *table(const struct x86vcpu_ept_tables *t, uint64_t pa)
{
    return t->f.p2v(t->f.ctx, pa & ENT_ADDR);
}

static int present(uint64_t e)
{
    return (e & ENT_PERMS) != 0;
}

/* A leaf at level l (1, or 2/3 with the large bit). */
static int is_leaf(uint64_t e, int l)
{
    return l == 1 || (e & ENT_LARGE);
}

static uint64_t leaf(uint64_t hpa, uint32_t perms, uint32_t mt, int l)
{
    return (hpa & ENT_ADDR) | (perms & ENT_PERMS) | ((uint64_t)(mt & 7) << 3) |
           (l > 1 ? ENT_LARGE : 0);
}

int x86vcpu__ept_tables_init(struct x86vcpu_ept_tables *t, const struct x86vcpu_ept_frames *f,
                             int allow_2m, int allow_1g)
{
    if (!t || !f || !f->alloc || !f->free || !f->p2v)
        return X86VCPU_EINVAL;
    t->f = *f;
    t->large = (allow_2m ? 1u : 0) | (allow_2m && allow_1g ? 2u : 0);
    t->tables = 0;
    t->root = f->alloc(f->ctx);
    if (!t->root)
        return X86VCPU_ENOMEM;
    t->tables = 1;
    return X86VCPU_OK;
}

static void free_subtree(struct x86vcpu_ept_tables *t, uint64_t pa, int l)
{
    uint64_t *tab = table(t, pa);
    for (int i = 0; l > 1 && i < 512; i++)
        if (present(tab[i]) && !is_leaf(tab[i], l))
            free_subtree(t, tab[i] & ENT_ADDR, l - 1);
    t->f.free(t->f.ctx, pa & ENT_ADDR);
    t->tables--;
}

/* Replace the large leaf *e at level l by a table of 512 leaves one level
 * down that map the same range the same way. */
static int split(struct x86vcpu_ept_tables *t, uint64_t *e, int l)
{
    uint64_t pa = t->f.alloc(t->f.ctx);
    if (!pa)
        return X86VCPU_ENOMEM;
    t->tables++;
    uint64_t *tab = table(t, pa);
    uint64_t base = *e & ENT_ADDR, sub = LEVEL_SIZE(l - 1);
    for (int i = 0; i < 512; i++)
        tab[i] = leaf(base + (uint64_t)i * sub, (uint32_t)(*e & ENT_PERMS), (uint32_t)ENT_MT(*e), l - 1);
    *e = pa | ENT_PERMS; /* non-leaf entries allow everything; leaves decide */
    return X86VCPU_OK;
}

/* The entry for gpa at level `target`, creating tables (and splitting large
 * pages) on the way down when `create`; NULL when absent and not created. */
static uint64_t *entry(struct x86vcpu_ept_tables *t, uint64_t gpa, int target, int create, int *err)
{
    uint64_t *tab = table(t, t->root);
    for (int l = 4; l > target; l--) {
        uint64_t *e = &tab[INDEX(gpa, l)];
        if (!present(*e)) {
            if (!create)
                return 0;
            uint64_t pa = t->f.alloc(t->f.ctx);
            if (!pa) {
                *err = X86VCPU_ENOMEM;
                return 0;
            }
            t->tables++;
            *e = pa | ENT_PERMS;
        } else if (is_leaf(*e, l)) {
            if (!create)
                return 0;
            if ((*err = split(t, e, l)))
                return 0;
        }
        tab = table(t, *e);
    }
    return &tab[INDEX(gpa, target)];
}

static int aligned(uint64_t a, int l)
{
    return (a & (LEVEL_SIZE(l) - 1)) == 0;
}

static int check_range(uint64_t gpa, uint64_t size)
{
    return !(gpa & 0xfff) && !(size & 0xfff) && size && gpa < GPA_LIMIT && size <= GPA_LIMIT - gpa;
}

int x86vcpu__ept_tables_map(struct x86vcpu_ept_tables *t, uint64_t gpa, uint64_t hpa, uint64_t size,
                            uint32_t perms, uint32_t memtype)
{
    if (!t || !check_range(gpa, size) || (hpa & 0xfff) || !(perms & ENT_PERMS) || memtype > 7)
        return X86VCPU_EINVAL;
    while (size) {
        int l = 1;
        if ((t->large & 2) && aligned(gpa, 3) && aligned(hpa, 3) && size >= LEVEL_SIZE(3))
            l = 3;
        else if ((t->large & 1) && aligned(gpa, 2) && aligned(hpa, 2) && size >= LEVEL_SIZE(2))
            l = 2;
        int err = X86VCPU_OK;
        uint64_t *e = entry(t, gpa, l, 1, &err);
        if (!e)
            return err;
        /* A table under the new large page maps nothing any more. */
        if (present(*e) && !is_leaf(*e, l))
            free_subtree(t, *e & ENT_ADDR, l - 1);
        *e = leaf(hpa, perms, memtype, l);
        gpa += LEVEL_SIZE(l);
        hpa += LEVEL_SIZE(l);
        size -= LEVEL_SIZE(l);
    }
    return X86VCPU_OK;
}

/* After an unmap emptied a leaf at level l: free every table on the path
 * that now maps nothing, bottom up (the root stays), so that a guest that
 * moves a mapping around (an xAPIC page, say) cannot grow the tables
 * without bound. The caller's INVEPT covers the removed entries (SDM
 * 29.4.3.1: removing access requires invalidation). */
static void free_empty(struct x86vcpu_ept_tables *t, uint64_t *const up[5], int l)
{
    for (int k = l + 1; k <= 4 && up[k]; k++) {
        const uint64_t *tab = table(t, *up[k]);
        for (int i = 0; i < 512; i++)
            if (present(tab[i]))
                return;
        t->f.free(t->f.ctx, *up[k] & ENT_ADDR);
        t->tables--;
        *up[k] = 0;
    }
}

int x86vcpu__ept_tables_protect(struct x86vcpu_ept_tables *t, uint64_t gpa, uint64_t size,
                                uint32_t perms)
{
    if (!t || !check_range(gpa, size))
        return X86VCPU_EINVAL;
    uint64_t end = gpa + size;
    while (gpa < end) {
        /* Find the leaf (or hole) that holds gpa; up[l] is the entry at
         * level l on the way down (it points to the level l - 1 table). */
        uint64_t *tab = table(t, t->root), *e = 0, *up[5] = { 0 };
        int l;
        for (l = 4; l >= 1; l--) {
            e = &tab[INDEX(gpa, l)];
            if (!present(*e) || is_leaf(*e, l))
                break;
            up[l] = e;
            tab = table(t, *e);
        }
        uint64_t span = LEVEL_SIZE(l), base = gpa & ~(span - 1);
        if (!present(*e)) {
            gpa = base + span; /* nothing mapped here */
            continue;
        }
        if (gpa != base || end - gpa < span) {
            /* The range cuts through this large page: split, look again. */
            int err = split(t, e, l);
            if (err)
                return err;
            continue;
        }
        *e = (perms & ENT_PERMS) ? (*e & ~ENT_PERMS) | (perms & ENT_PERMS) : 0;
        gpa = base + span;
        if (!(perms & ENT_PERMS))
            free_empty(t, up, l);
    }
    return X86VCPU_OK;
}

int x86vcpu__ept_tables_unmap(struct x86vcpu_ept_tables *t, uint64_t gpa, uint64_t size)
{
    return x86vcpu__ept_tables_protect(t, gpa, size, 0);
}

int x86vcpu__ept_tables_lookup(const struct x86vcpu_ept_tables *t, uint64_t gpa, uint64_t *hpa,
                               uint32_t *perms, uint64_t *page_size)
{
    if (!t || gpa >= GPA_LIMIT)
        return -1;
    uint64_t *tab = table(t, t->root);
    for (int l = 4; l >= 1; l--) {
        uint64_t e = tab[INDEX(gpa, l)];
        if (!present(e))
            return -1;
        if (is_leaf(e, l)) {
            uint64_t span = LEVEL_SIZE(l);
            if (hpa)
                *hpa = (e & ENT_ADDR & ~(span - 1)) | (gpa & (span - 1));
            if (perms)
                *perms = (uint32_t)(e & ENT_PERMS);
            if (page_size)
                *page_size = span;
            return 0;
        }
        tab = table(t, e);
    }
    return -1;
}

int x86vcpu__ept_tables_lookup_mt(const struct x86vcpu_ept_tables *t, uint64_t gpa, uint64_t *hpa,
                                  uint32_t *perms, uint32_t *memtype)
{
    if (!t || gpa >= GPA_LIMIT)
        return -1;
    const uint64_t *tab = table(t, t->root);
    for (int l = 4; l >= 1; l--) {
        uint64_t e = tab[INDEX(gpa, l)];
        if (!present(e))
            return -1;
        if (is_leaf(e, l)) {
            if (memtype)
                *memtype = (uint32_t)ENT_MT(e);
            return x86vcpu__ept_tables_lookup(t, gpa, hpa, perms, 0);
        }
        tab = table(t, e);
    }
    return -1;
}

void x86vcpu__ept_tables_destroy(struct x86vcpu_ept_tables *t)
{
    if (t && t->root) {
        free_subtree(t, t->root, 4);
        t->root = 0;
    }
}

uint64_t x86vcpu__eptp(uint64_t root, int ad)
{
    /* Bits 2:0 memory type WB (6), 5:3 walk length - 1, bit 6 A/D flags. */
    return (root & ENT_ADDR) | (3u << 3) | X86VCPU_MT_WB | (ad ? 1u << 6 : 0);
}
