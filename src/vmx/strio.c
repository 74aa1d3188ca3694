/* The library's string-I/O engine (x86vcpu_string_io): INS/OUTS elements
 * between the embedder's port and guest memory, through the guest's
 * segments, paging and the EPT (gmem.c), bounded per exit and resumable:
 * what is left runs again as the same instruction (SDM 26.1.3, REP).
 *
 * An element whose memory is in an MMIO range goes on the MMIO engine's
 * one-element-per-exit path (mmio.c, the same as MOVS/STOS/LODS there):
 * INS reads the port here and the element becomes an MMIO write exit;
 * OUTS becomes an MMIO read exit, then (on the next run, without an entry)
 * a plain OUT exit with the value. RDI/RSI/RCX step per element and the
 * instruction restarts for the rest, as for the RAM elements. */
#include "vmx/vcpu.h"
#include "lib/decode.h"

/* The element at gpa (MMIO, within one page) as the MMIO engine's: a
 * one-element INS/OUTS whose pointer and count step
 * when it completes (x86vcpu_complete_mmio). */
static int string_mmio(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e, x86vcpu_port_fn port,
                       void *ctx, uint64_t gpa)
{
    struct x86vcpu_insn *in = &v->mmio.insn;
    uint32_t val = 0;
    uint16_t p = e->u.io.port;
    if (v->strio.in && port(ctx, p, v->strio.size, 1, &val))
        return X86VCPU_OK; /* the port refused: nothing moved, it runs again */
    *in = (struct x86vcpu_insn){ 0 };
    in->op = v->strio.in ? X86VCPU_MMIO_INS : X86VCPU_MMIO_OUTS;
    in->len = (uint8_t)v->strio.len;
    in->mem_size = v->strio.size;
    in->reg_size = v->strio.size;
    in->addr_size = v->strio.addr_size;
    in->rep = v->strio.rep ? 0xf3 : 0;
    in->reg = in->base = in->index = X86VCPU_INSN_NONE;
    in->seg = v->strio.in ? 0 : e->u.io.seg;
    in->mem_is_dest = in->mem_is_first = v->strio.in;
    v->mmio.rip = v->strio.rip;
    v->mmio.gpa = gpa;
    v->mmio.dst_mmio = 0;
    v->mmio.second_read = 0;
    v->mmio.outs = !v->strio.in;
    v->mmio.ins = 0;
    v->mmio.split_n = 0;
    v->mmio.port = p;
    v->mmio.write = v->strio.in;
    e->kind = X86VCPU_EXIT_MMIO;
    e->reason = X86VCPU_EXIT_REASON_EPT_VIOLATION;
    e->rip = v->strio.rip;
    e->instr_len = v->strio.len;
    e->qualification = 0;
    e->u.mmio = (typeof(e->u.mmio)){ 0 };
    e->u.mmio.gpa = gpa;
    e->u.mmio.size = v->strio.size;
    e->u.mmio.write = v->strio.in;
    e->u.mmio.value = val;
    v->pending = PENDING_MMIO;
    return 1;
}

/* A register used as an address or count, updated under the address size:
 * a 16-bit update keeps bits 63:16, a 32-bit one zero-extends (SDM Vol. 1
 * 3.3.7, Vol. 2 "REP": RCX under the address size). */
static uint64_t addr_update(uint64_t old, uint64_t newval, unsigned bytes)
{
    if (bytes == 2)
        return (old & ~0xffffull) | (newval & 0xffff);
    return newval & x86vcpu__size_mask(bytes);
}

uint64_t x86vcpu__string_advance(struct x86vcpu_vcpu *v, unsigned addr_size, int df,
                                 unsigned size, uint64_t n, int si, int di, int rep)
{
    uint64_t *g = v->regs.gpr, delta = n * size;
    if (si)
        g[X86VCPU_RSI] = addr_update(g[X86VCPU_RSI], df ? g[X86VCPU_RSI] - delta
                                                        : g[X86VCPU_RSI] + delta, addr_size);
    if (di)
        g[X86VCPU_RDI] = addr_update(g[X86VCPU_RDI], df ? g[X86VCPU_RDI] - delta
                                                        : g[X86VCPU_RDI] + delta, addr_size);
    if (rep)
        g[X86VCPU_RCX] = addr_update(g[X86VCPU_RCX], g[X86VCPU_RCX] - n, addr_size);
    return g[X86VCPU_RCX] & x86vcpu__size_mask(addr_size);
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
    const uint64_t m = x86vcpu__size_mask(v->strio.addr_size);
    const uint64_t off0 = v->regs.gpr[in ? X86VCPU_RDI : X86VCPU_RSI] & m;
    const int access = in ? X86VCPU_ACC_WRITE : X86VCPU_ACC_READ;
    uint64_t count = v->strio.count, page = 0;
    uint8_t *hva = 0; /* the current page, translated once (a TLB entry) */
    uint32_t done = 0;
    int mmio_elem = 0; /* the element that stopped us is whole in an MMIO page */
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
                if (x86vcpu__lin_xlate(&g, lin, access, &gpa, &f)) {
                    mmio_elem = f.kind == GF_MMIO;
                    break;
                }
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
            struct x86vcpu__gfault f2 = { 0 };
            int r1 = x86vcpu__lin_xlate(&g, lin, access, &gpa, &f);
            if (r1 && f.kind != GF_MMIO)
                break;              /* the guest's fault on the first page */
            /* Only now the second page: a fault on the first leaves the
             * second's A/D flags alone, as the CPU's page-by-page check
             * does (SDM 4.8; seed 14 program 24474 of the guest fuzzer). */
            int r2 = x86vcpu__lin_xlate(&g, lin2, access, &g2, &f2);
            if (r2 && f2.kind != GF_MMIO) {
                f = f2;
                break;
            }
            if (r1 && r2) {
                /* Both pages MMIO: the element goes to the device whole,
                 * at its first byte's address, as mmio.c does (found by
                 * the guest fuzzer: a dword INS at 0x40009fff). */
                mmio_elem = 1;
                break;
            }
            if (r2)
                f = f2;             /* RAM and MMIO mixed: the embedder's */
            if (r1 || r2)
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
    if (mmio_elem && done == 0 && x86vcpu__ept_is_mmio(v->setup.ept, f.gpa))
        return string_mmio(v, e, port, ctx, f.gpa);
    if (mmio_elem && done)
        return X86VCPU_OK; /* the MMIO element is the next exit's first */
    if (f.kind == GF_NONE || x86vcpu__gfault_raise(v, &f, e))
        return X86VCPU_OK;
    e->rip = v->strio.rip;
    return 1;
}
