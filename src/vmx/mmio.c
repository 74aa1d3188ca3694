/* MMIO emulation: an EPT violation inside an MMIO range of the vCPU's EPT,
 * when it is a data access of the instruction at RIP (SDM 28.2.1), fetches
 * the instruction (gmem.c: the guest's paging and the EPT, 4 GiB wrap
 * outside 64-bit mode), decodes it (src/lib/decode.c) and becomes an MMIO
 * read or write exit. Completing it finishes the instruction as the CPU
 * would. String forms (STOS, MOVS) move one element per exit and run again
 * while RCX says so; MOVS's other operand goes through its segment, the
 * guest's paging and the EPT page by page (gmem.c), MMIO -> MMIO as a read
 * exit then a write exit. Not emulated (MMIO_UNSUPPORTED): an access that
 * runs from an MMIO page into one that is not MMIO, or whose RAM operand
 * is half RAM, half MMIO. */
#include "vmx/vcpu.h"
#include "lib/walk.h"

/* ----------------------------------------------------------- registers */
static unsigned reg_index(const struct x86vcpu_insn *i)
{
    return i->reg_high8 ? i->reg - 4u : i->reg; /* AH..BH live in RAX..RBX */
}

static uint64_t size_mask(unsigned bytes)
{
    return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

/* A string operand's offset: [reg] under the address size. */
static uint64_t string_off(struct x86vcpu_vcpu *v, unsigned reg)
{
    return v->regs.gpr[reg] & size_mask(v->mmio.insn.addr_size);
}

/* The linear address of a string operand through its segment (limit,
 * rights; SDM 5.3) and then its guest-physical address (paging, EPT). */
static int string_gpa(struct x86vcpu__gctx *g, unsigned seg, unsigned reg, int write,
                      uint64_t *lin, uint64_t *gpa, struct x86vcpu__gfault *f)
{
    if (x86vcpu__seg_lin(g, seg, string_off(g->v, reg), g->v->mmio.insn.mem_size, write, lin, f))
        return -1;
    return x86vcpu__lin_xlate(g, *lin, write ? X86VCPU_ACC_WRITE : X86VCPU_ACC_READ, gpa, f);
}

/* ---------------------------------------------------------- begin/end */
static void unsupported(struct x86vcpu_exit *e, const uint8_t *bytes, uint32_t n, int err)
{
    e->kind = X86VCPU_EXIT_MMIO_UNSUPPORTED;
    e->u.mmio.insn_len = (uint8_t)n;
    for (uint32_t i = 0; i < n && i < 15; i++)
        e->u.mmio.insn[i] = bytes[i];
    e->u.mmio.error = err;
}

/* Why an MMIO exit is MMIO_UNSUPPORTED beyond the decoder's codes. */
#define MMIO_ERR_FETCH  (-100)  /* the instruction could not be fetched (not RAM, fault) */
#define MMIO_ERR_SPLIT  (-101)  /* the access continues into a page that is not MMIO */
#define MMIO_ERR_OPERAND (-102) /* a string operand is neither RAM nor MMIO */

/* Only a data access by the instruction at RIP may be emulated (SDM 28.2.1
 * Table 28-7): not an instruction fetch, not the guest's own paging-
 * structure access (bit 7 set and bit 8 clear), not an access without a
 * linear address (bit 7 clear: e.g. a PDPTE load), and not an access made
 * while delivering an event (IDT-vectoring information valid, 28.2.4):
 * there the instruction at RIP never ran. Those stay EPT violations for the
 * embedder, decoded. */
static int emulable(const struct x86vcpu_vcpu *v, const struct x86vcpu_exit *e)
{
    uint64_t q = e->qualification;
    return !(e->u.ept.access & X86VCPU_EPT_X) && (q & EPT_QUAL_GLA_VALID) &&
           (q & EPT_QUAL_GLA_FINAL) && !v->reinject_info;
}

int x86vcpu__mmio_begin(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    if (!emulable(v, e))
        return 0;
    uint64_t gpa = e->u.ept.gpa;
    int write_fault = (e->u.ept.access & X86VCPU_EPT_W) != 0;
    struct x86vcpu_exit viol = *e;
    e->u.mmio = (typeof(e->u.mmio)){ 0 };
    e->u.mmio.gpa = gpa;
    struct x86vcpu__gctx g;
    struct x86vcpu__gfault f = { 0 };
    x86vcpu__gctx_init(v, &g);
    v->mmio.mode = (uint8_t)g.mode;
    v->mmio.rip = e->rip;

    /* Fetch up to 15 bytes at CS:RIP through the EPT (X), page by page;
     * outside 64-bit mode the address wraps at 4 GiB (SDM Vol. 3A 3.3.7). */
    uint64_t lin = g.mode == 64 ? e->rip
                 : (uint32_t)((v->stats.vmreads++, hw_vmread(X86VCPU_VMCS_GUEST_CS_BASE)) + e->rip);
    uint8_t bytes[15];
    uint32_t n = 0;
    while (n < 15) {
        uint64_t l = g.mode == 64 ? lin + n : (uint32_t)(lin + n);
        uint32_t chunk = 4096 - (uint32_t)(l & 0xfff);
        if (chunk > 15 - n)
            chunk = 15 - n;
        if (x86vcpu__lin_read(&g, l, bytes + n, chunk, X86VCPU_ACC_FETCH, &f))
            break; /* a fault past the instruction's end is no fault */
        n += chunk;
    }
    if (n == 0) {
        /* The page holding the instruction went away since it ran: its #PF,
         * or the embedder's EPT violation as it was. */
        if (f.kind == GF_PF || f.kind == GF_RETRY)
            return x86vcpu__gfault_raise(v, &f, e);
        *e = viol;
        return 0;
    }
    struct x86vcpu_insn *in = &v->mmio.insn;
    int err = x86vcpu__decode(bytes, n, v->mmio.mode, in);
    if (err) {
        unsupported(e, bytes, n, err);
        return 0;
    }
    /* The device sees one access in one MMIO page range; one that runs on
     * into RAM (or nothing) is not emulated. */
    if ((gpa & 0xfff) + in->mem_size > 4096 &&
        !x86vcpu__ept_is_mmio(v->setup.ept, (gpa | 0xfff) + 1)) {
        unsupported(e, bytes, n, MMIO_ERR_SPLIT);
        return 0;
    }
    e->u.mmio.size = in->mem_size;
    v->mmio.dst_mmio = 0;
    uint64_t *gr = v->regs.gpr;
    switch (in->op) {
    case X86VCPU_MMIO_MOV_STORE:
        e->u.mmio.write = 1;
        e->u.mmio.value = in->reg_high8 ? (gr[reg_index(in)] >> 8) & 0xff
                                        : x86vcpu__gpr_read(v, in->reg) & size_mask(in->mem_size);
        break;
    case X86VCPU_MMIO_MOV_STORE_IMM:
        e->u.mmio.write = 1;
        e->u.mmio.value = in->imm & size_mask(in->mem_size);
        break;
    case X86VCPU_MMIO_STOS:
        e->u.mmio.write = 1;
        e->u.mmio.value = gr[X86VCPU_RAX] & size_mask(in->mem_size);
        break;
    case X86VCPU_MMIO_MOVS: {
        /* The CPU reads DS:[RSI] (segment overridable) and then writes
         * ES:[RDI]; both operands through their segments, the guest's
         * paging and the EPT, the RAM one page by page. */
        uint64_t sl, sg, dl, dg;
        if (write_fault) {
            /* RAM -> MMIO: read the source element from guest memory. */
            uint8_t b[8] = { 0 };
            if (x86vcpu__seg_lin(&g, in->seg, string_off(v, X86VCPU_RSI), in->mem_size, 0, &sl, &f) ||
                x86vcpu__lin_read(&g, sl, b, in->mem_size, X86VCPU_ACC_READ, &f)) {
                if (f.kind == GF_MMIO) {
                    unsupported(e, bytes, n, MMIO_ERR_OPERAND);
                    return 0;
                }
                return x86vcpu__gfault_raise(v, &f, e);
            }
            uint64_t val = 0;
            for (uint32_t i = 0; i < in->mem_size; i++)
                val |= (uint64_t)b[i] << (8 * i);
            e->u.mmio.write = 1;
            e->u.mmio.value = val;
            break;
        }
        /* MMIO -> somewhere: check the destination before the device is
         * read, so that a fault there costs no device side effect. */
        if (string_gpa(&g, in->seg, X86VCPU_RSI, 0, &sl, &sg, &f) && f.kind != GF_MMIO)
            return x86vcpu__gfault_raise(v, &f, e);
        f = (struct x86vcpu__gfault){ 0 };
        if (!string_gpa(&g, 0, X86VCPU_RDI, 1, &dl, &dg, &f) &&
            (dl & 0xfff) + in->mem_size > 4096) {
            /* A RAM destination across a page boundary: the second page
             * too, now; RAM on one side and MMIO on the other is not
             * emulated (one device access would have to be cut). */
            uint64_t l2 = g.mode == 64 ? (dl | 0xfff) + 1 : (uint32_t)((dl | 0xfff) + 1), g2;
            if (x86vcpu__lin_xlate(&g, l2, X86VCPU_ACC_WRITE, &g2, &f)) {
                if (f.kind == GF_MMIO) {
                    unsupported(e, bytes, n, MMIO_ERR_SPLIT);
                    return 0;
                }
                return x86vcpu__gfault_raise(v, &f, e);
            }
        }
        if (f.kind) {
            if (f.kind != GF_MMIO)
                return x86vcpu__gfault_raise(v, &f, e);
            /* MMIO -> MMIO: the write goes out as a second exit. */
            if ((f.gpa & 0xfff) + in->mem_size > 4096 &&
                !x86vcpu__ept_is_mmio(v->setup.ept, (f.gpa | 0xfff) + 1)) {
                unsupported(e, bytes, n, MMIO_ERR_SPLIT);
                return 0;
            }
            v->mmio.dst_mmio = 1;
            v->mmio.dst_gpa = f.gpa;
        }
        break;
    }
    default:
        break; /* loads, ALU, CMP, TEST: read first */
    }
    v->mmio.gpa = gpa;
    v->mmio.write = e->u.mmio.write;
    e->kind = X86VCPU_EXIT_MMIO;
    v->pending = PENDING_MMIO;
    return 0;
}

/* A read-modify-write's second half, returned by run without an entry. */
int x86vcpu__mmio_pending_write(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    e->kind = X86VCPU_EXIT_MMIO;
    e->reason = X86VCPU_EXIT_REASON_EPT_VIOLATION;
    e->rip = v->mmio.rip;
    e->instr_len = v->mmio.insn.len;
    e->qualification = 0;
    e->u.mmio = (typeof(e->u.mmio)){ 0 };
    e->u.mmio.gpa = v->mmio.gpa;
    e->u.mmio.size = v->mmio.insn.mem_size;
    e->u.mmio.write = 1;
    e->u.mmio.value = v->mmio.write_value;
    v->mmio.write = 1;
    v->pending = PENDING_MMIO;
    return X86VCPU_OK;
}

/* RSI/RDI (and RCX under REP) after one element; 1 when the instruction
 * is done (SDM MOVS/STOS: the pointers step by the size, DF sets down). */
static int string_step(struct x86vcpu_vcpu *v, int movs)
{
    const struct x86vcpu_insn *in = &v->mmio.insn;
    uint64_t *g = v->regs.gpr, m = size_mask(in->addr_size);
    int64_t d = (VMRD(v, WNAT, GUEST_RFLAGS) & RFLAGS_DF) ? -(int64_t)in->mem_size : in->mem_size;
    /* Address-size updates: 16-bit keeps bits 63:16, 32-bit zero-extends. */
#define STEP(r, delta) g[r] = in->addr_size == 2 ? (g[r] & ~m) | ((g[r] + (delta)) & m) \
                                                 : (g[r] + (delta)) & m
    STEP(X86VCPU_RDI, (uint64_t)d);
    if (movs)
        STEP(X86VCPU_RSI, (uint64_t)d);
    if (!in->rep)
        return 1;
    STEP(X86VCPU_RCX, ~0ull);
#undef STEP
    return (g[X86VCPU_RCX] & m) == 0;
}

int x86vcpu_complete_mmio(struct x86vcpu_vcpu *v, uint64_t val)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (v->pending != PENDING_MMIO)
        return X86VCPU_ESTATE;
    const struct x86vcpu_insn *in = &v->mmio.insn;
    unsigned r = reg_index(in);
    int done = 1;
    val &= size_mask(in->mem_size);
    v->pending = PENDING_NONE;

    if (v->mmio.write) {
        if (in->op == X86VCPU_MMIO_STOS || in->op == X86VCPU_MMIO_MOVS)
            done = string_step(v, in->op == X86VCPU_MMIO_MOVS);
    } else {
        switch (in->op) {
        case X86VCPU_MMIO_MOV_LOAD:
        case X86VCPU_MMIO_MOVZX:
        case X86VCPU_MMIO_MOVSX:
            x86vcpu_set_gpr(v, (enum x86vcpu_gpr)r, x86vcpu__insn_merge_reg(in, x86vcpu__gpr_read(v, r), val));
            break;
        case X86VCPU_MMIO_MOVS: {
            if (v->mmio.dst_mmio) {
                /* MMIO -> MMIO: the element goes to the destination
                 * device on the next run; the registers step then. */
                v->mmio.gpa = v->mmio.dst_gpa;
                v->mmio.write_value = val;
                v->pending = PENDING_MMIO_WRITE;
                return X86VCPU_OK;
            }
            /* MMIO -> RAM: store the element at ES:[RDI], page by page,
             * through the EPT (checked at the exit; a change since then
             * faults as the CPU would, or the instruction runs again). */
            struct x86vcpu__gctx g;
            struct x86vcpu__gfault f = { 0 };
            uint64_t dl;
            uint8_t b[8];
            x86vcpu__gctx_init(v, &g);
            for (uint32_t i = 0; i < in->mem_size; i++)
                b[i] = (uint8_t)(val >> (8 * i));
            if (x86vcpu__seg_lin(&g, 0, string_off(v, X86VCPU_RDI), in->mem_size, 1, &dl, &f) ||
                x86vcpu__lin_write(&g, dl, b, in->mem_size, &f)) {
                x86vcpu__gfault_raise(v, &f, 0);
                return X86VCPU_OK;
            }
            done = string_step(v, 1);
            break;
        }
        default: { /* AND OR XOR ADD SUB CMP TEST */
            uint64_t rflags = VMRD(v, WNAT, GUEST_RFLAGS), nf;
            uint64_t other = in->reg == X86VCPU_INSN_NONE ? 0 : x86vcpu__gpr_read(v, r);
            uint64_t res = x86vcpu__insn_alu(in, val, other, rflags, &nf);
            VMWR(v, WNAT, GUEST_RFLAGS, nf);
            if (in->op == X86VCPU_MMIO_CMP || in->op == X86VCPU_MMIO_TEST)
                break;
            if (in->mem_is_dest) {
                /* The result goes back to the device: next run's exit. */
                v->mmio.write_value = res;
                v->pending = PENDING_MMIO_WRITE;
                return X86VCPU_OK;
            }
            x86vcpu_set_gpr(v, (enum x86vcpu_gpr)r, x86vcpu__insn_merge_reg(in, x86vcpu__gpr_read(v, r), res));
            break;
        }
        }
    }
    if (done)
        x86vcpu__skip_on_next_run(v, v->mmio.rip, in->len);
    return X86VCPU_OK;
}
