/* MMIO emulation: an EPT violation inside an MMIO range of the vCPU's EPT
 * fetches the instruction through the guest's page tables (src/lib/walk.c),
 * decodes it (src/lib/decode.c) and becomes an MMIO read or write exit.
 * Completing it finishes the instruction as the CPU would. String forms
 * (STOS, MOVS) move one element per exit and run again while RCX says so. */
#include "vmx/vcpu.h"
#include "lib/walk.h"

/* ---------------------------------------------------------- guest memory */
static int gmem_read(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
    const struct x86vcpu_vcpu *v = ctx;
    const uint8_t *p = x86vcpu__ept_hva(v->setup.ept, gpa);
    if (!p || ((gpa & 0xfff) + len) > 4096)
        return -1;
    for (uint32_t i = 0; i < len; i++)
        ((uint8_t *)buf)[i] = p[i];
    return 0;
}

static int gmem_write(void *ctx, uint64_t gpa, const void *buf, uint32_t len)
{
    const struct x86vcpu_vcpu *v = ctx;
    uint8_t *p = x86vcpu__ept_hva(v->setup.ept, gpa);
    if (!p || ((gpa & 0xfff) + len) > 4096)
        return -1;
    for (uint32_t i = 0; i < len; i++)
        p[i] = ((const uint8_t *)buf)[i];
    return 0;
}

/* Host pointer for a guest-linear address (walk with A/D updates), or NULL
 * with *pf set to the #PF error code + 1 when the access would fault. */
static uint8_t *lin_ptr(struct x86vcpu_vcpu *v, uint64_t lin, int access, uint32_t *pf)
{
    struct x86vcpu_walk_ctx c = { 0 };
    c.cr0 = x86vcpu__guest_cr0(v);
    c.cr4 = x86vcpu__guest_cr4(v);
    c.cr3 = VMRD(v, WNAT, GUEST_CR3);
    c.efer = VMRD(v, W64, GUEST_IA32_EFER);
    c.cpl = AR_DPL((uint32_t)VMRD(v, W32, GUEST_SS_AR));
    c.maxphyaddr = hw_cpuid(0x80000008u, 0).eax & 0xff;
    c.rflags = VMRD(v, WNAT, GUEST_RFLAGS);
    struct x86vcpu_gmem m = { v, gmem_read, gmem_write };
    struct x86vcpu_walk_result r;
    int st = x86vcpu__walk(&c, &m, lin, access, &r);
    *pf = st == X86VCPU_WALK_PAGE_FAULT ? r.pf_errcode + 1 : 0;
    if (st != X86VCPU_WALK_OK)
        return 0;
    return x86vcpu__ept_hva(v->setup.ept, r.gpa);
}

/* ----------------------------------------------------------- registers */
static unsigned reg_index(const struct x86vcpu_insn *i)
{
    return i->reg_high8 ? i->reg - 4u : i->reg; /* AH..BH live in RAX..RBX */
}

static uint64_t size_mask(unsigned bytes)
{
    return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

static uint64_t seg_base(struct x86vcpu_vcpu *v, unsigned seg)
{
    /* In 64-bit mode only FS and GS have a base (SDM Vol. 1 3.4.2.1). */
    if (v->mmio.mode == 64 && seg < 4)
        return 0;
    /* GUEST_ES_BASE .. GUEST_GS_BASE are consecutive encodings in the order
     * ES CS SS DS FS GS, as the decoder numbers segments. */
    v->stats.vmreads++;
    return hw_vmread(X86VCPU_VMCS_GUEST_ES_BASE + 2u * seg);
}

/* Linear address of a string operand: seg:[reg] under the address size. */
static uint64_t string_lin(struct x86vcpu_vcpu *v, unsigned seg, unsigned reg)
{
    uint64_t off = v->regs.gpr[reg] & size_mask(v->mmio.insn.addr_size);
    uint64_t lin = seg_base(v, seg) + off;
    return v->mmio.mode == 64 ? lin : (uint32_t)lin;
}

/* ---------------------------------------------------------- begin/end */
static int guest_mode(struct x86vcpu_vcpu *v)
{
    uint32_t ar = (uint32_t)VMRD(v, W32, GUEST_CS_AR);
    if ((VMRD(v, W64, GUEST_IA32_EFER) & EFER_LMA) && (ar & AR_L))
        return 64;
    return (ar & AR_DB) ? 32 : 16;
}

static void unsupported(struct x86vcpu_exit *e, const uint8_t *bytes, uint32_t n, int err)
{
    e->kind = X86VCPU_EXIT_MMIO_UNSUPPORTED;
    e->u.mmio.insn_len = (uint8_t)n;
    for (uint32_t i = 0; i < n && i < 15; i++)
        e->u.mmio.insn[i] = bytes[i];
    e->u.mmio.error = err;
}

int x86vcpu__mmio_begin(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    uint64_t gpa = e->u.ept.gpa;
    int write_fault = (e->u.ept.access & X86VCPU_EPT_W) != 0;
    e->u.mmio = (typeof(e->u.mmio)){ 0 };
    e->u.mmio.gpa = gpa;
    v->mmio.mode = (uint8_t)guest_mode(v);
    v->mmio.rip = e->rip;

    /* Fetch up to 15 bytes at CS:RIP, across a page boundary if needed. */
    uint64_t lin = v->mmio.mode == 64 ? e->rip : (uint32_t)(seg_base(v, 1) + e->rip);
    uint8_t bytes[15];
    uint32_t n = 0, pf = 0;
    while (n < 15) {
        const uint8_t *p = lin_ptr(v, lin + n, X86VCPU_ACC_FETCH, &pf);
        if (!p)
            break; /* a fault past the instruction's end is no fault */
        uint32_t chunk = 4096 - (uint32_t)((lin + n) & 0xfff);
        for (uint32_t i = 0; i < chunk && n < 15; i++)
            bytes[n++] = p[i];
    }
    if (n == 0 && pf) {
        /* The page holding the instruction went away: the guest's #PF. */
        x86vcpu_queue_exception(v, X86VCPU_VEC_PF, 1, pf - 1, lin);
        return 1;
    }
    struct x86vcpu_insn *in = &v->mmio.insn;
    int err = x86vcpu__decode(bytes, n, v->mmio.mode, in);
    if (err) {
        unsupported(e, bytes, n, err);
        return 0;
    }
    e->u.mmio.size = in->mem_size;
    uint64_t *g = v->regs.gpr;
    switch (in->op) {
    case X86VCPU_MMIO_MOV_STORE:
        e->u.mmio.write = 1;
        e->u.mmio.value = in->reg_high8 ? (g[reg_index(in)] >> 8) & 0xff
                                        : x86vcpu__gpr_read(v, in->reg) & size_mask(in->mem_size);
        break;
    case X86VCPU_MMIO_MOV_STORE_IMM:
        e->u.mmio.write = 1;
        e->u.mmio.value = in->imm & size_mask(in->mem_size);
        break;
    case X86VCPU_MMIO_STOS:
        e->u.mmio.write = 1;
        e->u.mmio.value = g[X86VCPU_RAX] & size_mask(in->mem_size);
        break;
    case X86VCPU_MMIO_MOVS:
        if (write_fault) {
            /* RAM -> MMIO: read the source element from guest memory. */
            uint64_t sl = string_lin(v, in->seg, X86VCPU_RSI);
            const uint8_t *src = lin_ptr(v, sl, X86VCPU_ACC_READ, &pf);
            if (!src && pf) {
                x86vcpu_queue_exception(v, X86VCPU_VEC_PF, 1, pf - 1, sl);
                return 1;
            }
            if (!src) {
                unsupported(e, bytes, n, -1); /* the source is not RAM */
                return 0;
            }
            uint64_t val = 0;
            for (uint32_t i = 0; i < in->mem_size; i++)
                val |= (uint64_t)src[i] << (8 * i);
            e->u.mmio.write = 1;
            e->u.mmio.value = val;
        }
        break;
    default:
        break; /* loads, ALU, CMP, TEST, MOVS from MMIO: read first */
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
            /* MMIO -> RAM: store the element at ES:[RDI]. */
            uint32_t pf;
            uint64_t dl = string_lin(v, 0, X86VCPU_RDI);
            uint8_t *dst = lin_ptr(v, dl, X86VCPU_ACC_WRITE, &pf);
            if (!dst) {
                /* #PF (or not RAM: #GP would be wrong, fault as the CPU
                 * walk says); the instruction runs again after it. */
                x86vcpu_queue_exception(v, pf ? X86VCPU_VEC_PF : X86VCPU_VEC_GP, 1,
                                        pf ? pf - 1 : 0, dl);
                return X86VCPU_OK;
            }
            for (uint32_t i = 0; i < in->mem_size; i++)
                dst[i] = (uint8_t)(val >> (8 * i));
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
