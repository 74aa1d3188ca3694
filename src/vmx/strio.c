/* The library's string-I/O engine (x86vcpu_string_io): INS/OUTS elements
 * between the embedder's port and guest memory, through the guest's
 * segments, paging and the EPT (gmem.c), bounded per exit and resumable:
 * what is left runs again as the same instruction (SDM 26.1.3, REP). */
#include "vmx/vcpu.h"

static uint64_t mask(unsigned bytes)
{
    return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

int x86vcpu_string_io(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e, x86vcpu_port_fn port,
                      void *ctx)
{
    if (!v || !e || !port)
        return X86VCPU_EINVAL;
    if (v->pending != PENDING_STRING_IO)
        return X86VCPU_ESTATE;
    struct x86vcpu__gctx g;
    struct x86vcpu__gfault f = { 0 };
    x86vcpu__gctx_init(v, &g);
    const int in = v->strio.in;
    const uint32_t size = v->strio.size;
    const unsigned seg = in ? 0 : e->u.io.seg; /* INS writes ES:[RDI] (not overridable) */
    const uint64_t m = mask(v->strio.addr_size);
    const uint64_t off0 = v->regs.gpr[in ? X86VCPU_RDI : X86VCPU_RSI] & m;
    const int access = in ? X86VCPU_ACC_WRITE : X86VCPU_ACC_READ;
    uint64_t count = v->strio.count, page = 0;
    uint8_t *hva = 0; /* the current page, translated once (a TLB entry) */
    uint32_t done = 0;
    if (count > X86VCPU_STRING_IO_MAX)
        count = X86VCPU_STRING_IO_MAX;
    while (done < count) {
        uint64_t step = (uint64_t)done * size;
        uint64_t off = (v->strio.df ? off0 - step : off0 + step) & m, lin, gpa;
        if (x86vcpu__seg_lin(&g, seg, off, size, in, &lin, &f))
            break;
        if (done == 0)
            page = lin & ~0xfffull;
        else if ((lin & ~0xfffull) != page)
            break; /* the next page is the next exit's */
        uint32_t in_page = 4096 - (uint32_t)(lin & 0xfff), mt = X86VCPU_MT_WB;
        uint8_t b[4] = { 0 }, *p = 0;
        int split = size > in_page;
        if (!split) {
            if (!hva) {
                if (x86vcpu__lin_xlate(&g, lin, access, &gpa, &f))
                    break;
                hva = x86vcpu__ept_page(v->setup.ept, gpa, in ? X86VCPU_EPT_R | X86VCPU_EPT_W
                                                              : X86VCPU_EPT_R, 0, &mt);
                if (!hva)
                    break; /* not reached: lin_xlate checked the rights */
                gpa &= ~0xfffull;
                if (mt != X86VCPU_MT_WB)
                    hva = 0; /* device memory: each element through gmem.c */
            }
            if (hva)
                p = hva + (lin & 0xfff);
        } else {
            /* An element across a page boundary: both pages translated
             * before the port is touched; it is this exit's last. */
            uint64_t g2;
            uint64_t lin2 = g.mode == 64 ? lin + in_page : (uint32_t)(lin + in_page);
            if (x86vcpu__lin_xlate(&g, lin, access, &gpa, &f) ||
                x86vcpu__lin_xlate(&g, lin2, access, &g2, &f))
                break;
        }
        uint32_t val = 0;
        if (in) {
            if (port(ctx, e->u.io.port, size, 1, &val))
                break;
            for (uint32_t i = 0; i < size; i++)
                b[i] = (uint8_t)(val >> (8 * i));
            if (p) {
                for (uint32_t i = 0; i < size; i++)
                    p[i] = b[i];
            } else if (split ? x86vcpu__lin_write(&g, lin, b, size, &f)
                             : x86vcpu__gpa_write(v, gpa | (lin & 0xfff), b, size, &f)) {
                break;
            }
        } else {
            if (p) {
                for (uint32_t i = 0; i < size; i++)
                    b[i] = p[i];
            } else if (split ? x86vcpu__lin_read(&g, lin, b, size, X86VCPU_ACC_READ, &f)
                             : x86vcpu__gpa_read(v, gpa | (lin & 0xfff), b, size, &f)) {
                break;
            }
            for (uint32_t i = 0; i < size; i++)
                val |= (uint32_t)b[i] << (8 * i);
            if (port(ctx, e->u.io.port, size, 0, &val))
                break;
        }
        done++;
        if (split)
            break;
    }
    /* RSI/RDI/RCX by what moved; RIP advances only when nothing is left. */
    int err = x86vcpu_complete_string_io(v, done);
    if (err)
        return err;
    if (f.kind == GF_NONE || x86vcpu__gfault_raise(v, &f, e))
        return X86VCPU_OK;
    e->rip = v->strio.rip;
    return 1;
}
