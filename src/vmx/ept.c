/* The library's EPT object: src/lib/ept_tables.c tables on HAL frames, with the
 * EPT pointer built from IA32_VMX_EPT_VPID_CAP and INVEPT after changes
 * that remove or reduce access (SDM 29.4.3.1: adding access needs none). */
#include "vmx/vcpu.h"
#include "lib/ept_tables.h"

struct x86vcpu_ept {
    struct x86vcpu_ept_tables t;
    struct x86vcpu_cpu *cpu;
    uint64_t self_pa;
    uint32_t ad;
    uint32_t flushes;        /* INVEPTs issued for this EPT */
    uint32_t n_mmio;
    struct { uint64_t base, size; } mmio[X86VCPU_MMIO_RANGES];
};
_Static_assert(sizeof(struct x86vcpu_ept) <= 4096, "EPT record must fit one frame");

static uint64_t f_alloc(void *ctx)
{
    const struct x86vcpu_hal *hal = ctx;
    return hal->alloc_frame(hal->ctx);
}

static void f_free(void *ctx, uint64_t pa)
{
    const struct x86vcpu_hal *hal = ctx;
    hal->free_frame(hal->ctx, pa);
}

static void *f_p2v(void *ctx, uint64_t pa)
{
    const struct x86vcpu_hal *hal = ctx;
    return hal->phys_to_virt(hal->ctx, pa);
}

int x86vcpu_ept_create(struct x86vcpu_cpu *cpu, uint32_t flags, struct x86vcpu_ept **out)
{
    if (!cpu || !out)
        return X86VCPU_EINVAL;
    if (!cpu->enabled)
        return X86VCPU_ESTATE;
    const struct x86vcpu_hal *hal = cpu->hal;
    uint64_t cap = cpu->caps.ept_vpid;
    if ((cap & (EPTCAP_WALK4 | EPTCAP_WB)) != (EPTCAP_WALK4 | EPTCAP_WB))
        return X86VCPU_ENOTSUP;
    uint64_t pa = hal->alloc_frame(hal->ctx);
    if (!pa)
        return X86VCPU_ENOMEM;
    struct x86vcpu_ept *e = hal->phys_to_virt(hal->ctx, pa);
    e->self_pa = pa;
    e->cpu = cpu;
    /* Accessed/dirty flags only when the CPU has them (A.10, bit 21). */
    e->ad = (flags & X86VCPU_EPT_AD) && (cap & EPTCAP_AD);
    struct x86vcpu_ept_frames f = { (void *)hal, f_alloc, f_free, f_p2v };
    int err = x86vcpu__ept_tables_init(&e->t, &f, (cap & EPTCAP_2M) != 0, (cap & EPTCAP_1G) != 0);
    if (err) {
        hal->free_frame(hal->ctx, pa);
        return err;
    }
    *out = e;
    return X86VCPU_OK;
}

uint64_t x86vcpu_ept_pointer(const struct x86vcpu_ept *ept)
{
    return ept ? x86vcpu__eptp(ept->t.root, (int)ept->ad) : 0;
}

uint32_t x86vcpu_ept_table_frames(const struct x86vcpu_ept *ept)
{
    return ept ? ept->t.tables : 0;
}

/* Invalidate guest-physical mappings derived from eptp on this CPU. */
int x86vcpu__invept(const struct x86vcpu_caps *caps, uint64_t eptp)
{
    uint64_t cap = caps->ept_vpid;
    if (!(cap & EPTCAP_INVEPT))
        return X86VCPU_ENOTSUP;
    int st = (cap & EPTCAP_INVEPT_SINGLE) ? hw_invept(1, eptp)
           : (cap & EPTCAP_INVEPT_ALL) ? hw_invept(2, 0) : -1;
    if (st < 0)
        return X86VCPU_ENOTSUP;
    return st ? X86VCPU_EVMFAILVALID : X86VCPU_OK;
}

static int ept_flush(struct x86vcpu_ept *ept)
{
    ept->flushes++;
    return x86vcpu__invept(&ept->cpu->caps, x86vcpu_ept_pointer(ept));
}

uint32_t x86vcpu_ept_flushes(const struct x86vcpu_ept *ept)
{
    return ept ? ept->flushes : 0;
}

int x86vcpu_ept_map(struct x86vcpu_ept *ept, uint64_t gpa, uint64_t hpa, uint64_t size,
                    uint32_t perms, uint32_t memtype)
{
    /* Refuse what would be an EPT misconfiguration (SDM 29.3.3.1): write
     * without read, execute-only without IA32_VMX_EPT_VPID_CAP[0], a
     * reserved memory type (2, 3, 7); and a host range that wraps. */
    if (!ept || !size || (perms & ~X86VCPU_EPT_RWX) ||
        ((perms & X86VCPU_EPT_W) && !(perms & X86VCPU_EPT_R)) ||
        (perms == X86VCPU_EPT_X && !(ept->cpu->caps.ept_vpid & 1)) ||
        memtype == 2 || memtype == 3 || memtype >= 7 || hpa + (size - 1) < hpa)
        return X86VCPU_EINVAL;
    /* Replacing a mapping may remove access to the old target: flush. */
    int err = x86vcpu__ept_tables_map(&ept->t, gpa, hpa, size, perms, memtype);
    int ferr = ept_flush(ept);
    return err ? err : ferr;
}

int x86vcpu_ept_unmap(struct x86vcpu_ept *ept, uint64_t gpa, uint64_t size)
{
    if (!ept)
        return X86VCPU_EINVAL;
    int err = x86vcpu__ept_tables_unmap(&ept->t, gpa, size);
    int ferr = ept_flush(ept);
    return err ? err : ferr;
}

int x86vcpu_ept_protect(struct x86vcpu_ept *ept, uint64_t gpa, uint64_t size, uint32_t perms)
{
    if (!ept)
        return X86VCPU_EINVAL;
    int err = x86vcpu__ept_tables_protect(&ept->t, gpa, size, perms);
    int ferr = ept_flush(ept);
    return err ? err : ferr;
}

int x86vcpu_ept_translate(const struct x86vcpu_ept *ept, uint64_t gpa, uint64_t *hpa,
                          uint32_t *perms)
{
    if (!ept || x86vcpu__ept_tables_lookup(&ept->t, gpa, hpa, perms, 0))
        return X86VCPU_EINVAL;
    return X86VCPU_OK;
}

int x86vcpu_ept_add_mmio(struct x86vcpu_ept *ept, uint64_t gpa, uint64_t size)
{
    if (!ept || !size || (gpa & 0xfff) || (size & 0xfff))
        return X86VCPU_EINVAL;
    if (ept->n_mmio == X86VCPU_MMIO_RANGES)
        return X86VCPU_ENOMEM;
    int err = x86vcpu_ept_unmap(ept, gpa, size);
    if (err)
        return err;
    ept->mmio[ept->n_mmio].base = gpa;
    ept->mmio[ept->n_mmio].size = size;
    ept->n_mmio++;
    return X86VCPU_OK;
}

int x86vcpu__ept_is_mmio(const struct x86vcpu_ept *ept, uint64_t gpa)
{
    for (uint32_t i = 0; ept && i < ept->n_mmio; i++)
        if (gpa - ept->mmio[i].base < ept->mmio[i].size)
            return 1;
    return 0;
}

/* The library's accesses for the guest obey the EPT as the CPU's do
 * (SDM 29.3.3.2): no pointer unless every right needed is granted. The
 * pointer is to the page start: callers never run past the 4 KiB page.
 * *mt: the page's EPT memory type (not WB: device memory, see gmem.c). */
void *x86vcpu__ept_page(const struct x86vcpu_ept *ept, uint64_t gpa, uint32_t need,
                        uint32_t *perms, uint32_t *mt)
{
    uint64_t hpa;
    uint32_t p = 0, t = 0;
    if (!ept || x86vcpu__ept_tables_lookup_mt(&ept->t, gpa & ~0xfffull, &hpa, &p, &t))
        p = 0;
    if (perms)
        *perms = p;
    if (mt)
        *mt = t;
    if (!p || (p & need) != need)
        return 0;
    return ept->t.f.p2v(ept->t.f.ctx, hpa);
}

int x86vcpu_ept_destroy(struct x86vcpu_ept *ept)
{
    if (!ept)
        return X86VCPU_EINVAL;
    const struct x86vcpu_hal *hal = ept->cpu->hal;
    x86vcpu__invept(&ept->cpu->caps, x86vcpu_ept_pointer(ept));
    x86vcpu__ept_tables_destroy(&ept->t);
    hal->free_frame(hal->ctx, ept->self_pa);
    return X86VCPU_OK;
}
