/* Guest memory as the library touches it on the guest's behalf: the one
 * path for the page walker's reads and A/D updates, MMIO instruction fetch,
 * string-instruction operands (MOVS/STOS, INS/OUTS) and PDPTE loads.
 *
 * - Through the vCPU's EPT with its permissions (SDM 29.3.3.2): a read needs
 *   R, a write W (and R), a fetch X; a page not mapped that way (unmapped,
 *   too few rights) is never touched: the access becomes what the CPU's own
 *   access would have caused, an EPT violation for the embedder
 *   (x86vcpu__gfault_raise), or in an MMIO range an MMIO access. Memory
 *   that is not write-back (a host device mapped through) gets one access
 *   of the element's width, or none.
 * - Page by page: an access that crosses a page boundary is split and every
 *   page translated on its own (never one host pointer across frames); a
 *   write is translated in full before its first byte is stored, so a fault
 *   on the second page leaves the first unwritten.
 * - A/D updates of the guest's paging structures with a locked compare-
 *   exchange on the entry the walk read (SDM 4.8); an entry changed
 *   meanwhile makes the walk start again.
 * - Segmentation for operands of string instructions (SDM Vol. 3A 5.3,
 *   5.4.1; Vol. 1 3.4.2.1): base, limit (expand-down too), type, and the
 *   canonical check in 64-bit mode, faulting #GP(0) or #SS(0). */
#include "vmx/vcpu.h"

/* ---------------------------------------------------------- guest-physical */
static int ept_fault(struct x86vcpu_vcpu *v, uint64_t gpa, uint32_t access,
                     struct x86vcpu__gfault *f)
{
    if (f) {
        uint32_t perms = 0;
        x86vcpu__ept_page(v->setup.ept, gpa, 0, &perms, 0);
        f->kind = x86vcpu__ept_is_mmio(v->setup.ept, gpa) ? GF_MMIO : GF_EPT;
        f->gpa = gpa;
        f->err = access;
        f->perms = perms;
    }
    return -1;
}

/* Memory that is not write-back is a device's (the host's I/O APIC or
 * HPET mapped through, a frame buffer): it gets one access of the
 * element's own width, never a byte loop; an access it cannot be given
 * that way (unaligned, odd size) is refused like an EPT fault. */
static int device_copy(uint8_t *p, uint8_t *buf, uint32_t len, int write)
{
    if ((len != 1 && len != 2 && len != 4 && len != 8) || ((uintptr_t)p & (len - 1)))
        return -1;
    uint64_t val = 0;
    if (write) {
        for (uint32_t i = 0; i < len; i++)
            val |= (uint64_t)buf[i] << (8 * i);
    }
    switch (len) {
    case 1: if (write) *(volatile uint8_t *)p = (uint8_t)val; else val = *(volatile uint8_t *)p; break;
    case 2: if (write) *(volatile uint16_t *)(void *)p = (uint16_t)val; else val = *(volatile uint16_t *)(void *)p; break;
    case 4: if (write) *(volatile uint32_t *)(void *)p = (uint32_t)val; else val = *(volatile uint32_t *)(void *)p; break;
    default: if (write) *(volatile uint64_t *)(void *)p = val; else val = *(volatile uint64_t *)(void *)p; break;
    }
    for (uint32_t i = 0; !write && i < len; i++)
        buf[i] = (uint8_t)(val >> (8 * i));
    return 0;
}

static int gpa_copy(struct x86vcpu_vcpu *v, uint64_t gpa, uint8_t *buf, uint32_t len, int write,
                    struct x86vcpu__gfault *f)
{
    uint32_t need = write ? X86VCPU_EPT_R | X86VCPU_EPT_W : X86VCPU_EPT_R;
    uint32_t acc = write ? X86VCPU_EPT_W : X86VCPU_EPT_R, mt;
    /* A write checks every page before it stores anything. */
    for (uint32_t done = 0; write && done < len;) {
        uint32_t chunk = 4096 - (uint32_t)((gpa + done) & 0xfff);
        if (!x86vcpu__ept_page(v->setup.ept, gpa + done, need, 0, 0))
            return ept_fault(v, gpa + done, acc, f);
        done += chunk < len - done ? chunk : len - done;
    }
    for (uint32_t done = 0; done < len;) {
        uint8_t *p = x86vcpu__ept_page(v->setup.ept, gpa + done, need, 0, &mt);
        if (!p)
            return ept_fault(v, gpa + done, acc, f);
        uint32_t off = (uint32_t)((gpa + done) & 0xfff), chunk = 4096 - off;
        if (chunk > len - done)
            chunk = len - done;
        if (mt != X86VCPU_MT_WB) {
            if (chunk != len || device_copy(p + off, buf, len, write))
                return ept_fault(v, gpa + done, acc, f);
            return 0;
        }
        for (uint32_t i = 0; i < chunk; i++) {
            if (write)
                p[off + i] = buf[done + i];
            else
                buf[done + i] = p[off + i];
        }
        done += chunk;
    }
    return 0;
}

int x86vcpu__gpa_read(struct x86vcpu_vcpu *v, uint64_t gpa, void *buf, uint32_t len,
                      struct x86vcpu__gfault *f)
{
    return gpa_copy(v, gpa, buf, len, 0, f);
}

int x86vcpu__gpa_write(struct x86vcpu_vcpu *v, uint64_t gpa, const void *buf, uint32_t len,
                       struct x86vcpu__gfault *f)
{
    return gpa_copy(v, gpa, (uint8_t *)(uintptr_t)buf, len, 1, f);
}

/* ------------------------------------------------------ the walker's memory */
static int walk_read(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
    return x86vcpu__gpa_read(ctx, gpa, buf, len, 0);
}

/* SDM 4.8: the processor sets A/D with a locked operation. Entries are
 * naturally aligned (4 or 8 bytes), so one page holds each. */
static int walk_cmpxchg(void *ctx, uint64_t gpa, uint32_t len, uint64_t old, uint64_t val)
{
    struct x86vcpu_vcpu *v = ctx;
    uint8_t *p = x86vcpu__ept_page(v->setup.ept, gpa, X86VCPU_EPT_R | X86VCPU_EPT_W, 0, 0);
    if (!p || (gpa & (len - 1)))
        return -1;
    p += gpa & 0xfff;
    if (len == 8)
        return __atomic_compare_exchange_n((uint64_t *)(void *)p, &old, val, 0, __ATOMIC_SEQ_CST,
                                           __ATOMIC_SEQ_CST) ? 0 : 1;
    uint32_t o = (uint32_t)old;
    return __atomic_compare_exchange_n((uint32_t *)(void *)p, &o, (uint32_t)val, 0,
                                       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) ? 0 : 1;
}

void x86vcpu__gctx_init(struct x86vcpu_vcpu *v, struct x86vcpu__gctx *g)
{
    g->v = v;
    g->w = (struct x86vcpu_walk_ctx){ 0 };
    g->w.cr0 = x86vcpu__guest_cr0(v);
    g->w.cr4 = x86vcpu__guest_cr4(v);
    g->w.cr3 = VMRD(v, WNAT, GUEST_CR3);
    g->w.efer = VMRD(v, W64, GUEST_IA32_EFER);
    g->w.cpl = AR_DPL((uint32_t)VMRD(v, W32, GUEST_SS_AR));
    g->w.maxphyaddr = v->host_maxphyaddr;
    g->w.rflags = VMRD(v, WNAT, GUEST_RFLAGS);
    uint32_t cs_ar = (uint32_t)VMRD(v, W32, GUEST_CS_AR);
    g->mode = ((g->w.efer & EFER_LMA) && (cs_ar & AR_L)) ? 64 : (cs_ar & AR_DB) ? 32 : 16;
    /* Protected mode: CR0.PE = 1 and RFLAGS.VM = 0 (virtual-8086 segments
     * behave as real mode's, SDM 20.2). */
    g->prot = (g->w.cr0 & CR0_PE) && !(g->w.rflags & (1u << 17));
}

int x86vcpu__lin_xlate(struct x86vcpu__gctx *g, uint64_t lin, int access, uint64_t *gpa,
                       struct x86vcpu__gfault *f)
{
    struct x86vcpu_vcpu *v = g->v;
    const struct x86vcpu_gmem m = { v, walk_read, 0, walk_cmpxchg };
    struct x86vcpu_walk_result r;
    int st = X86VCPU_WALK_RETRY;
    /* A concurrent change of an entry restarts the walk (a few times, then
     * the guest re-executes the instruction). */
    for (int tries = 0; st == X86VCPU_WALK_RETRY && tries < 4; tries++)
        st = x86vcpu__walk(&g->w, &m, lin, access, &r);
    f->lin = lin;
    switch (st) {
    case X86VCPU_WALK_OK:
        break;
    case X86VCPU_WALK_PAGE_FAULT:
        f->kind = GF_PF;
        f->err = r.pf_errcode;
        return -1;
    case X86VCPU_WALK_NO_MEMORY:
        /* The CPU's own paging-structure access would have taken this EPT
         * violation (A/D updates are writes, SDM 29.3.3.2). */
        ept_fault(v, r.fail_gpa, r.fail_write ? X86VCPU_EPT_W : X86VCPU_EPT_R, f);
        f->kind = GF_EPT;
        f->walk = 1;
        return -1;
    case X86VCPU_WALK_RETRY:
        f->kind = GF_RETRY;
        return -1;
    default:
        f->kind = GF_GP; /* non-canonical: caught by x86vcpu__seg_lin first */
        return -1;
    }
    uint32_t need = access == X86VCPU_ACC_WRITE ? X86VCPU_EPT_R | X86VCPU_EPT_W
                  : access == X86VCPU_ACC_FETCH ? X86VCPU_EPT_X : X86VCPU_EPT_R;
    *gpa = r.gpa;
    if (!x86vcpu__ept_page(v->setup.ept, r.gpa, need, 0, 0))
        return ept_fault(v, r.gpa, access == X86VCPU_ACC_WRITE ? X86VCPU_EPT_W
                                   : access == X86VCPU_ACC_FETCH ? X86VCPU_EPT_X : X86VCPU_EPT_R, f);
    return 0;
}

int x86vcpu__lin_read(struct x86vcpu__gctx *g, uint64_t lin, void *buf, uint32_t len, int access,
                      struct x86vcpu__gfault *f)
{
    uint8_t *b = buf;
    for (uint32_t done = 0; done < len;) {
        uint64_t l = g->mode == 64 ? lin + done : (uint32_t)(lin + done), gpa;
        uint32_t chunk = 4096 - (uint32_t)(l & 0xfff);
        if (chunk > len - done)
            chunk = len - done;
        if (x86vcpu__lin_xlate(g, l, access, &gpa, f) ||
            x86vcpu__gpa_read(g->v, gpa, b + done, chunk, f))
            return -1;
        done += chunk;
    }
    return 0;
}

int x86vcpu__lin_write(struct x86vcpu__gctx *g, uint64_t lin, const void *buf, uint32_t len,
                       struct x86vcpu__gfault *f)
{
    /* At most two pages (len <= 4096): translate both before writing. */
    uint64_t gpa[2] = { 0, 0 };
    uint32_t n[2] = { 0, 0 };
    for (uint32_t done = 0, k = 0; done < len && k < 2; k++) {
        uint64_t l = g->mode == 64 ? lin + done : (uint32_t)(lin + done);
        uint32_t chunk = 4096 - (uint32_t)(l & 0xfff);
        n[k] = chunk < len - done ? chunk : len - done;
        if (x86vcpu__lin_xlate(g, l, X86VCPU_ACC_WRITE, &gpa[k], f))
            return -1;
        done += n[k];
    }
    if (x86vcpu__gpa_write(g->v, gpa[0], buf, n[0], f))
        return -1;
    return n[1] ? x86vcpu__gpa_write(g->v, gpa[1], (const uint8_t *)buf + n[0], n[1], f) : 0;
}

/* ---------------------------------------------------------- segmentation */
static int seg_fault(unsigned seg, struct x86vcpu__gfault *f)
{
    f->kind = seg == 2 ? GF_SS : GF_GP; /* SS-relative: #SS(0) (SDM 6.15) */
    return -1;
}

int x86vcpu__seg_lin(struct x86vcpu__gctx *g, unsigned seg, uint64_t off, uint32_t len, int write,
                     uint64_t *lin, struct x86vcpu__gfault *f)
{
    struct x86vcpu_vcpu *v = g->v;
    if (g->mode == 64) {
        /* Only FS and GS have a base; the address must be canonical
         * (SDM Vol. 1 3.4.2.1, Vol. 3A 3.3.7.1). */
        uint64_t base = seg >= 4 ? (v->stats.vmreads++, hw_vmread(X86VCPU_VMCS_GUEST_ES_BASE + 2u * seg)) : 0;
        unsigned sign = (g->w.cr4 & CR4_LA57) ? 56 : 47;
        uint64_t a = base + off, b = a + len - 1;
        uint64_t ha = a >> sign, hb = b >> sign;
        if ((ha && ha != (~0ull >> sign)) || (hb && hb != (~0ull >> sign)))
            return seg_fault(seg, f);
        *lin = a;
        return 0;
    }
    /* ES..GS: base, limit and access rights are consecutive encodings in
     * the decoder's order (ES CS SS DS FS GS). */
    v->stats.vmreads += 3;
    uint64_t base = hw_vmread(X86VCPU_VMCS_GUEST_ES_BASE + 2u * seg);
    uint32_t limit = (uint32_t)hw_vmread(X86VCPU_VMCS_GUEST_ES_LIMIT + 2u * seg);
    uint32_t ar = (uint32_t)hw_vmread(X86VCPU_VMCS_GUEST_ES_AR + 2u * seg);
    uint64_t last = off + len - 1;
    if (g->prot) {
        /* SDM 5.4.1: a null/unusable segment, a write to a code or read-only
         * data segment, a read of an execute-only code segment. */
        if (ar & AR_UNUSABLE)
            return seg_fault(seg, f);
        uint32_t type = ar & 0xf;
        if (type & 8) {
            if (write || !(type & 2))
                return seg_fault(seg, f);
        } else if (write && !(type & 2)) {
            return seg_fault(seg, f);
        }
        if (!(type & 8) && (type & 4)) {
            /* Expand-down: offsets above the limit up to 64 KiB / 4 GiB
             * (SDM 5.3). */
            uint64_t upper = (ar & AR_DB) ? 0xffffffffull : 0xffffull;
            if (off <= limit || last > upper)
                return seg_fault(seg, f);
            *lin = (uint32_t)(base + off);
            return 0;
        }
    }
    if (last > limit)
        return seg_fault(seg, f);
    *lin = (uint32_t)(base + off);
    return 0;
}

/* ------------------------------------------------------- the guest's fault */
int x86vcpu__gfault_raise(struct x86vcpu_vcpu *v, const struct x86vcpu__gfault *f,
                          struct x86vcpu_exit *e)
{
    switch (f->kind) {
    case GF_PF:
        x86vcpu_queue_exception(v, X86VCPU_VEC_PF, 1, f->err, f->lin);
        return 1;
    case GF_GP:
        x86vcpu_queue_exception(v, X86VCPU_VEC_GP, 1, 0, 0);
        return 1;
    case GF_SS:
        x86vcpu_queue_exception(v, 12 /* #SS, SDM Table 6-1 */, 1, 0, 0);
        return 1;
    case GF_RETRY:
        return 1; /* the instruction runs again */
    default:
        break;
    }
    /* GF_EPT / GF_MMIO: what the CPU's own access would have exited with. */
    if (e) {
        e->kind = X86VCPU_EXIT_EPT_VIOLATION;
        e->reason = X86VCPU_EXIT_REASON_EPT_VIOLATION;
        e->u.ept = (typeof(e->u.ept)){ 0 };
        e->u.ept.gpa = f->gpa;
        e->u.ept.access = (uint8_t)f->err;
        e->u.ept.entry_perms = (uint8_t)f->perms;
        e->u.ept.gla_valid = 1;
        e->u.ept.gla = f->lin;
        e->u.ept.paging_walk = (uint8_t)f->walk;
        /* The qualification such an exit would carry (SDM Table 28-7). */
        e->qualification = f->err | (uint64_t)f->perms << 3 | EPT_QUAL_GLA_VALID |
                           (f->walk ? 0 : EPT_QUAL_GLA_FINAL);
    }
    return 0;
}
