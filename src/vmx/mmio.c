/* MMIO emulation: an EPT violation inside an MMIO range of the vCPU's EPT,
 * when it is a data access of the instruction at RIP (SDM 28.2.1), fetches
 * the instruction (gmem.c: the guest's paging and the EPT, 4 GiB wrap
 * outside 64-bit mode), decodes it (src/lib/decode.c) and becomes an MMIO
 * read or write exit. Completing it finishes the instruction as the CPU
 * would, through src/lib/alu.c (x86vcpu__insn_exec: results and RFLAGS as
 * the CPU's): loads, stores, the ALU group, TEST, NOT/NEG/INC/DEC, shifts
 * and rotates, BT*, XCHG, CMPXCHG(8B/16B), XADD, MUL/IMUL/DIV/IDIV (#DE
 * raised), SETcc, CMOVcc, PUSH/POP r/m, MOVBE, BSF/BSR/TZCNT/LZCNT/POPCNT,
 * and the SSE moves between
 * an XMM register and memory (MOVUPS/UPD/SS/SD, MOVAPS/APD, MOVDQA/DQU,
 * MOVD/MOVQ: 16-byte operands as two 8-byte accesses, see "SSE moves and
 * CMPXCHG16B" below). A read-modify-write is a read exit then a write exit
 * (run returns it without an entry).
 *
 * String forms (MOVS, STOS, LODS, CMPS, SCAS) move one element per exit
 * with RSI/RDI/RCX stepped after it, and the instruction runs again while
 * RCX (and ZF for REPE/REPNE) says so: bounded per exit, resumable, events
 * can come in between (as the CPU does between iterations, SDM Vol. 2
 * "REP"). Their other operand goes through its segment, the guest's
 * paging and the EPT page by page (gmem.c), MMIO -> MMIO as two exits.
 *
 * An operand across a page boundary is checked on both pages (the
 * guest's #PF/#GP there, or that page's EPT violation for the embedder);
 * RAM then MMIO (ModRM forms), and half-RAM string elements of LODS/SCAS/
 * STOS/INS/OUTS/CMPS (the other CMPS operand in RAM), are split: the RAM bytes through
 * gmem.c, the device gets the rest at its address with a smaller size.
 * INS/OUTS on a port the embedder let through exit here (EPT violation):
 * a plain IN/OUT exit carries the port's side.
 *
 * Not emulated (MMIO_UNSUPPORTED, decoded, for the embedder): a ModRM
 * operand running from MMIO into RAM (kept so: tests/host/test_mutants.c);
 * a half-RAM element of MOVS or of CMPS with both operands so, or one
 * split and the other MMIO; instructions decode.h
 * does not list (branches through memory FF /2-/5, far pointers, VEX/AVX
 * and x87 loads and stores, other SSE instructions with a memory operand,
 * SHLD/SHRD, MOV to/from segment registers,
 * ENTER/LEAVE/PUSHA/POPA/XLAT, descriptor-table loads and stores); an SSE
 * or CMPXCHG16B operand with RAM on one page and MMIO on the other. An
 * operand spanning two MMIO pages goes to the device as one access at the
 * first page's address (16-byte operands: per 8-byte half). */
#include "vmx/vcpu.h"
#include "lib/walk.h"
#include "lib/alu.h"

/* ----------------------------------------------------------- registers */
/* A string operand's offset: [reg] under the address size. */
static uint64_t string_off(struct x86vcpu_vcpu *v, unsigned reg)
{
    return v->regs.gpr[reg] & x86vcpu__size_mask(v->mmio.insn.addr_size);
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

/* The guest's registers as x86vcpu__insn_exec sees them (RSP from the
 * VMCS), and back: only those it changed are written. */
static void regs_load(struct x86vcpu_vcpu *v, uint64_t g[16])
{
    for (unsigned k = 0; k < 16; k++)
        g[k] = v->regs.gpr[k];
    g[X86VCPU_RSP] = x86vcpu__gpr_read(v, X86VCPU_RSP);
}

static void regs_store(struct x86vcpu_vcpu *v, const uint64_t g[16], const uint64_t old[16])
{
    for (unsigned k = 0; k < 16; k++)
        if (g[k] != old[k])
            x86vcpu_set_gpr(v, (enum x86vcpu_gpr)k, g[k]);
}

/* The stack's address size: 64-bit mode 8, else SS.B (SDM Vol. 1 6.2.3). */
static unsigned stack_size(struct x86vcpu_vcpu *v)
{
    if (v->mmio.mode == 64)
        return 8;
    return (VMRD(v, W32, GUEST_SS_AR) & (1u << 14)) ? 4 : 2;
}

/* The new stack pointer after moving it by delta under its address size
 * (16-bit: bits 63:16 kept). */
static uint64_t stack_move(uint64_t rsp, uint64_t delta, unsigned as)
{
    uint64_t m = x86vcpu__size_mask(as);
    return as == 2 ? (rsp & ~m) | ((rsp + delta) & m) : (rsp + delta) & m;
}

/* The forms whose memory operand is the ModRM one at its effective
 * address (not the string forms, not the stack, not BT's register bit
 * offset, which moves the address). */
static int modrm_operand(const struct x86vcpu_insn *in)
{
    switch (in->op) {
    case X86VCPU_MMIO_STOS: case X86VCPU_MMIO_MOVS: case X86VCPU_MMIO_LODS:
    case X86VCPU_MMIO_SCAS: case X86VCPU_MMIO_CMPS: case X86VCPU_MMIO_INS:
    case X86VCPU_MMIO_OUTS: case X86VCPU_MMIO_PUSH: case X86VCPU_MMIO_POP:
        return 0;
    case X86VCPU_MMIO_BT:
        return in->has_imm;
    default:
        return 1;
    }
}

/* An operand across a page boundary with RAM on one side and MMIO on the
 * other (the CPU's access exited for the MMIO page): record the RAM part
 * (v->mmio.split_*) and point *gpa at the device's. Both pages are checked
 * now with the access's rights; returns 1 with *f when the guest gets a
 * fault instead (#PF, #GP, or the EPT violation of the RAM side). */
static int split_begin(struct x86vcpu_vcpu *v, struct x86vcpu__gctx *g, uint64_t rip,
                       uint64_t *gpa, struct x86vcpu__gfault *f)
{
    const struct x86vcpu_insn *in = &v->mmio.insn;
    uint64_t rg[16], lin, l2, g1, g2;
    struct x86vcpu__gfault f1 = { 0 }, f2 = { 0 };
    v->mmio.split_n = 0;
    if (!modrm_operand(in))
        return 0;
    regs_load(v, rg);
    uint64_t ea = x86vcpu__insn_ea(in, rg, rip + in->len);
    if (x86vcpu__seg_lin(g, in->seg, ea, in->mem_size, in->mem_is_dest, &lin, f))
        return 1;
    uint32_t n1 = 4096 - (uint32_t)(lin & 0xfff);
    if (n1 >= in->mem_size)
        return 0;
    l2 = g->mode == 64 ? (lin | 0xfff) + 1 : (uint32_t)((lin | 0xfff) + 1);
    int acc = in->mem_is_dest ? X86VCPU_ACC_WRITE : X86VCPU_ACC_READ;
    int r1 = x86vcpu__lin_xlate(g, lin, acc, &g1, &f1);
    if (r1 && f1.kind != GF_MMIO) {
        *f = f1;
        return 1;   /* the second page is not walked: its A/D flags stay (SDM 4.8) */
    }
    int r2 = x86vcpu__lin_xlate(g, l2, acc, &g2, &f2);
    int m1 = r1 && f1.kind == GF_MMIO, m2 = r2 && f2.kind == GF_MMIO;
    if (r2 && !m2) {
        *f = f2;
        return 1;
    }
    /* MMIO and MMIO: one device access, as before. MMIO then RAM: the
     * mechanism below would do it too, but it stays MMIO_UNSUPPORTED for
     * now (tests/host/test_mutants.c pins that rule). */
    if (m1 == m2 || m1)
        return 0;
    v->mmio.split_ram_first = (uint8_t)m2;
    v->mmio.split_n = (uint8_t)(m2 ? n1 : in->mem_size - n1);
    v->mmio.split_lin = m2 ? lin : l2;
    *gpa = m2 ? f2.gpa : f1.gpa;
    return 0;
}

/* A string operand at seg:[reg] whose element crosses into the next
 * linear page: that page is checked too (the CPU faults there as well:
 * #PF, #GP, or its own EPT violation). 0: nothing against it (no crossing,
 * or both pages RAM, or both MMIO); 1: the guest's fault in *f; 2: RAM and
 * MMIO mixed in one element (not emulated for the string forms). */
static int string_cross(struct x86vcpu__gctx *g, unsigned seg, unsigned reg, int write,
                        struct x86vcpu__gfault *f)
{
    unsigned size = g->v->mmio.insn.mem_size;
    uint64_t lin, l2, g1, g2;
    struct x86vcpu__gfault f1 = { 0 }, f2 = { 0 };
    if (x86vcpu__seg_lin(g, seg, string_off(g->v, reg), size, write, &lin, f))
        return 1;
    if ((lin & 0xfff) + size <= 4096)
        return 0;
    l2 = g->mode == 64 ? (lin | 0xfff) + 1 : (uint32_t)((lin | 0xfff) + 1);
    int acc = write ? X86VCPU_ACC_WRITE : X86VCPU_ACC_READ;
    int r1 = x86vcpu__lin_xlate(g, lin, acc, &g1, &f1);
    if (r1 && f1.kind != GF_MMIO) {
        *f = f1;
        return 1;   /* the second page is not walked: its A/D flags stay (SDM 4.8) */
    }
    int r2 = x86vcpu__lin_xlate(g, l2, acc, &g2, &f2);
    if (r2 && f2.kind != GF_MMIO) {
        *f = f2;
        return 1;
    }
    if (!r1 == !r2)
        return 0;
    /* RAM and MMIO in one element: the RAM bytes through gmem.c, the device
     * gets the rest (as split_begin for the ModRM forms). */
    struct x86vcpu_vcpu *v = g->v;
    v->mmio.split_ram_first = (uint8_t)!r1;
    v->mmio.split_n = (uint8_t)(!r1 ? 4096 - (lin & 0xfff) : size - (4096 - (lin & 0xfff)));
    v->mmio.split_lin = !r1 ? lin : l2;
    v->mmio.split_gpa = !r1 ? f2.gpa : f1.gpa;
    return 2;
}

/* The linear address of ES:[rDI]'s RAM part if its element were split
 * (to tell which CMPS operand split_* describes). */
static uint64_t split_dst_lin(struct x86vcpu_vcpu *v, struct x86vcpu__gctx *g)
{
    struct x86vcpu__gfault f = { 0 };
    uint64_t lin;
    if (x86vcpu__seg_lin(g, 0, string_off(v, X86VCPU_RDI), v->mmio.insn.mem_size, 0, &lin, &f))
        return ~0ull;
    uint64_t l2 = g->mode == 64 ? (lin | 0xfff) + 1 : (uint32_t)((lin | 0xfff) + 1);
    return v->mmio.split_ram_first ? lin : l2;
}

/* The string form's operands, in the CPU's order (source read first). */
static int string_operands_cross(struct x86vcpu__gctx *g, struct x86vcpu__gfault *f)
{
    const struct x86vcpu_insn *in = &g->v->mmio.insn;
    int r = 0;
    switch (in->op) {
    case X86VCPU_MMIO_LODS: case X86VCPU_MMIO_OUTS:
        return string_cross(g, in->seg, X86VCPU_RSI, 0, f);
    case X86VCPU_MMIO_SCAS:
        return string_cross(g, 0, X86VCPU_RDI, 0, f);
    case X86VCPU_MMIO_STOS: case X86VCPU_MMIO_INS:
        return string_cross(g, 0, X86VCPU_RDI, 1, f);
    case X86VCPU_MMIO_MOVS: case X86VCPU_MMIO_CMPS:
        r = string_cross(g, in->seg, X86VCPU_RSI, 0, f);
        if (r)
            return r;
        return string_cross(g, 0, X86VCPU_RDI, in->op == X86VCPU_MMIO_MOVS, f);
    default:
        return 0;
    }
}

/* The device's part of a full operand value, and the full value from the
 * device's part and the RAM bytes (little-endian: the low bytes are the
 * first page's). */
static uint64_t split_dev_part(const struct x86vcpu_vcpu *v, uint64_t full)
{
    unsigned n = v->mmio.split_n;
    if (!n)
        return full;
    return v->mmio.split_ram_first ? full >> (8 * n)
                                   : full & x86vcpu__size_mask(v->mmio.insn.mem_size - n);
}

/* Read (write = 0) or write the RAM bytes of a split operand: 0, or -1
 * with the guest's fault queued (the mapping changed since the exit). */
static int split_ram(struct x86vcpu_vcpu *v, uint64_t *full, int write)
{
    unsigned n = v->mmio.split_n, dn = v->mmio.insn.mem_size - n;
    unsigned shift = v->mmio.split_ram_first ? 0 : 8 * dn;
    struct x86vcpu__gctx g;
    struct x86vcpu__gfault f = { 0 };
    uint8_t b[8] = { 0 };
    x86vcpu__gctx_init(v, &g);
    if (write) {
        for (unsigned i = 0; i < n; i++)
            b[i] = (uint8_t)(*full >> (shift + 8 * i));
        if (x86vcpu__lin_write(&g, v->mmio.split_lin, b, n, &f))
            goto fault;
        return 0;
    }
    if (x86vcpu__lin_read(&g, v->mmio.split_lin, b, n, X86VCPU_ACC_READ, &f))
        goto fault;
    uint64_t ram = 0, dev = *full & x86vcpu__size_mask(dn);
    for (unsigned i = 0; i < n; i++)
        ram |= (uint64_t)b[i] << (8 * i);
    *full = v->mmio.split_ram_first ? ram | (dev << (8 * n)) : dev | (ram << (8 * dn));
    return 0;
fault:
    x86vcpu__gfault_raise(v, &f, 0);
    return -1;
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

/* ------------------------------------------ SSE moves and CMPXCHG16B
 * struct x86vcpu_exit carries at most 8 bytes, so a 16-byte operand goes
 * to the device as two 8-byte accesses, each its own exit, in address
 * order: the low half at the operand's address, then the high half at
 * address + 8. A load reads both before the register changes; CMPXCHG16B
 * reads both, then writes both (4 exits). Like every read-modify-write
 * here it is not atomic for the device (MMIO has no bus lock). An operand
 * across a page boundary is not emulated (MMIO_UNSUPPORTED).
 *
 * The guest's XMM registers are read and written in its saved extended
 * state, v->guest_fpu: XMMn at byte 160 + 16n of the FXSAVE/XSAVE legacy
 * region (SDM Vol. 1 10.5.1, Table 10-2; 13.4.1). run() saves it on the way
 * out (xstate.c), so a load completes into the saved image, which the next
 * entry loads, and a store's value is taken from it once run() has saved
 * it (x86vcpu__mmio_xmm_fill). The embedder may use SSE in between. */
#define FPU_XMM_OFFSET 160
#define FPU_XSTATE_BV  512      /* XSAVE header: XSTATE_BV (SDM Vol. 1 13.4.2) */

static int wide_op(unsigned op)
{
    return op == X86VCPU_MMIO_SSE_LOAD || op == X86VCPU_MMIO_SSE_STORE ||
           op == X86VCPU_MMIO_CMPXCHG16B;
}

/* XSTATE_BV[1] = 0: the SSE state is in its initial configuration, all
 * XMM registers zero, whatever the legacy region holds (SDM Vol. 1 13.6). */
static int xmm_init_state(const struct x86vcpu_vcpu *v)
{
    return v->cpu->xsave_size && !(((const uint8_t *)v->guest_fpu)[FPU_XSTATE_BV] & 2);
}

static void xmm_get(const struct x86vcpu_vcpu *v, unsigned n, uint64_t x[2])
{
    const uint8_t *a = (const uint8_t *)v->guest_fpu + FPU_XMM_OFFSET + 16 * (n & 15);
    x[0] = x[1] = 0;
    if (xmm_init_state(v))
        return;
    for (unsigned k = 0; k < 16; k++)
        x[k / 8] |= (uint64_t)a[k] << (8 * (k % 8));
}

static void xmm_put(struct x86vcpu_vcpu *v, unsigned n, const uint64_t x[2])
{
    uint8_t *fpu = v->guest_fpu, *a = fpu + FPU_XMM_OFFSET + 16 * (n & 15);
    if (xmm_init_state(v)) {
        /* Make the zeros explicit before XRSTOR is told to load them. */
        for (unsigned k = 0; k < 256; k++)
            fpu[FPU_XMM_OFFSET + k] = 0;
        fpu[FPU_XSTATE_BV] |= 2;
    }
    for (unsigned k = 0; k < 16; k++)
        a[k] = (uint8_t)(x[k / 8] >> (8 * (k % 8)));
}

static int wide_begin(struct x86vcpu_vcpu *v, struct x86vcpu__gctx *g, struct x86vcpu_exit *e,
                      const uint8_t *bytes, uint32_t n)
{
    const struct x86vcpu_insn *in = &v->mmio.insn;
    struct x86vcpu__gfault f = { 0 };
    uint64_t rg[16], lin, gpa;
    int write = in->op != X86VCPU_MMIO_SSE_LOAD;
    regs_load(v, rg);
    if (x86vcpu__seg_lin(g, in->seg, x86vcpu__insn_ea(in, rg, e->rip + in->len), in->mem_size,
                         write, &lin, &f))
        return x86vcpu__gfault_raise(v, &f, e);
    /* MOVAPS/MOVAPD/MOVDQA and CMPXCHG16B: #GP(0) when the operand is not
     * 16-byte aligned (SDM Vol. 2, their "Protected Mode Exceptions"). The
     * CPU checks that before the access, so no EPT violation comes from a
     * misaligned one; it is checked again because this address is the
     * emulator's own computation, not the CPU's. */
    if ((in->sub || in->op == X86VCPU_MMIO_CMPXCHG16B) && (lin & 15)) {
        f.kind = GF_GP;
        return x86vcpu__gfault_raise(v, &f, e);
    }
    /* Each half (and the last byte's page, when a half straddles a page
     * boundary) translated on its own: every page must be MMIO; a fault
     * on any goes to the guest first, in address order, as the CPU checks
     * both pages of an access before it makes it. A half across two MMIO
     * pages goes to the device at its first byte (as the 8-byte forms). */
    unsigned halves = in->mem_size > 8 ? 2 : 1, hsize = in->mem_size > 8 ? 8 : in->mem_size;
    int acc = write ? X86VCPU_ACC_WRITE : X86VCPU_ACC_READ, ram = 0, dev = 0;
    for (unsigned k = 0; k < 2 * halves; k++) {
        uint64_t l = lin + (k / 2) * 8 + (k & 1) * (hsize - 1);
        if (g->mode != 64)
            l = (uint32_t)l;    /* the 4 GiB wrap outside 64-bit mode */
        f = (struct x86vcpu__gfault){ 0 };
        if (!x86vcpu__lin_xlate(g, l, acc, &gpa, &f)) {
            ram = 1;
            continue;
        }
        if (f.kind != GF_MMIO)
            return x86vcpu__gfault_raise(v, &f, e);
        dev = 1;
        if (!(k & 1))
            v->mmio.wide_gpa[k / 2] = f.gpa;
    }
    if (ram && !dev) {
        /* RAM only: the mapping changed since the exit; run it again. */
        f.kind = GF_RETRY;
        return x86vcpu__gfault_raise(v, &f, e);
    }
    if (ram) {
        /* RAM and MMIO in one operand: not emulated for these forms. */
        unsupported(e, bytes, n, MMIO_ERR_SPLIT);
        return 0;
    }
    f.gpa = v->mmio.wide_gpa[0];
    v->mmio.gpa = f.gpa;
    v->mmio.half = 0;
    v->mmio.split_n = 0;
    v->mmio.dst_mmio = v->mmio.second_read = v->mmio.outs = v->mmio.ins = 0;
    /* CMPXCHG16B reads first; an SSE store's value once run() saved the XMM state. */
    v->mmio.write = (uint8_t)(in->op == X86VCPU_MMIO_SSE_STORE);
    v->mmio.xmm_fill = v->mmio.write;
    e->u.mmio.gpa = f.gpa;
    e->u.mmio.size = (uint8_t)(in->mem_size > 8 ? 8 : in->mem_size);
    e->u.mmio.write = v->mmio.write;
    e->kind = X86VCPU_EXIT_MMIO;
    v->pending = PENDING_MMIO;
    return 0;
}

void x86vcpu__mmio_xmm_fill(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    uint64_t x[2];
    v->mmio.xmm_fill = 0;
    if (v->pending != PENDING_MMIO || e->kind != X86VCPU_EXIT_MMIO)
        return;
    x86vcpu_vcpu_put(v); /* kept loaded (x86vcpu_vcpu_keep_xstate): saved now */
    xmm_get(v, v->mmio.insn.reg, x);
    x86vcpu__sse_store(&v->mmio.insn, x, v->mmio.wide);
    e->u.mmio.value = v->mmio.wide[0];
}

/* An exit run returns for the instruction in progress without a VM exit
 * of its own (a 16-byte operand's next half, the device's part of an
 * access, the OUT of an OUTS from MMIO): it reports the EPT violation that
 * started the instruction (x86vcpu.h), its RIP and length. */
static void pending_exit(const struct x86vcpu_vcpu *v, struct x86vcpu_exit *e,
                         enum x86vcpu_exit_kind kind)
{
    e->kind = kind;
    e->reason = X86VCPU_EXIT_REASON_EPT_VIOLATION;
    e->rip = v->mmio.rip;
    e->instr_len = v->mmio.insn.len;
    e->qualification = 0;
}

/* The next 8-byte half, returned by run without an entry. */
static int wide_pending(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    pending_exit(v, e, X86VCPU_EXIT_MMIO);
    e->u.mmio = (typeof(e->u.mmio)){ 0 };
    e->u.mmio.gpa = v->mmio.wide_gpa[v->mmio.half & 1];
    e->u.mmio.size = 8;
    e->u.mmio.write = v->mmio.write;
    e->u.mmio.value = v->mmio.write ? v->mmio.wide[v->mmio.half & 1] : 0;
    v->pending = PENDING_MMIO;
    return X86VCPU_OK;
}

static int wide_complete(struct x86vcpu_vcpu *v, uint64_t val)
{
    const struct x86vcpu_insn *in = &v->mmio.insn;
    unsigned last = in->mem_size == 16;
    if (!v->mmio.write) {
        v->mmio.wide[v->mmio.half & 1] = val & x86vcpu__size_mask(in->mem_size);
        if (v->mmio.half < last) {
            v->mmio.half++;
            v->pending = PENDING_MMIO_WRITE;
            return X86VCPU_OK;
        }
        if (in->op == X86VCPU_MMIO_SSE_LOAD) {
            uint64_t x[2];
            x86vcpu__sse_load(in, v->mmio.wide, x);
            x86vcpu_vcpu_put(v); /* the saved image is the guest's now */
            xmm_put(v, in->reg, x);
        } else {
            uint64_t rg[16], old[16], fl0 = VMRD(v, WNAT, GUEST_RFLAGS), fl = fl0;
            regs_load(v, rg);
            for (unsigned k = 0; k < 16; k++)
                old[k] = rg[k];
            x86vcpu__cmpxchg16b(v->mmio.wide, rg, &fl, v->mmio.wide);
            regs_store(v, rg, old);
            if (fl != fl0)
                VMWR(v, WNAT, GUEST_RFLAGS, fl);
            v->mmio.write = 1;      /* both halves back, always (SDM "CMPXCHG16B") */
            v->mmio.half = 0;
            v->pending = PENDING_MMIO_WRITE;
            return X86VCPU_OK;
        }
    } else if (v->mmio.half < last) {
        v->mmio.half++;
        v->pending = PENDING_MMIO_WRITE;
        return X86VCPU_OK;
    }
    x86vcpu__skip_on_next_run(v, v->mmio.rip, in->len);
    return X86VCPU_OK;
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
     * outside 64-bit mode the address wraps at 4 GiB (SDM Vol. 3A 3.3.7);
     * with a 16-bit code segment the IP itself wraps at 64 KiB (Vol. 1
     * 3.6: 16-bit operand and address size, IP), so an instruction that
     * runs past CS:FFFF continues at CS:0. */
    uint64_t cs_base = g.mode == 64 ? 0 : (v->stats.vmreads++, hw_vmread(X86VCPU_VMCS_GUEST_CS_BASE));
    uint8_t bytes[15];
    uint32_t n = 0;
    while (n < 15) {
        uint64_t l = g.mode == 64 ? e->rip + n
                   : g.mode == 16 ? (uint32_t)(cs_base + ((e->rip + n) & 0xffff))
                                  : (uint32_t)(cs_base + e->rip + n);
        uint32_t chunk = 4096 - (uint32_t)(l & 0xfff);
        if (g.mode == 16 && chunk > 0x10000 - ((e->rip + n) & 0xffff))
            chunk = 0x10000 - (uint32_t)((e->rip + n) & 0xffff);   /* up to the wrap */
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
    if (wide_op(in->op))
        return wide_begin(v, &g, e, bytes, n);
    if (in->op == X86VCPU_MMIO_BITSCAN && (in->sub == X86VCPU_BITSCAN_TZCNT ||
                                           in->sub == X86VCPU_BITSCAN_LZCNT)) {
        /* F3 0F BC/BD are what this CPU made of them (x86vcpu__bitscan_effective). */
        int bmi1 = hw_cpuid(0, 0).eax >= 7 && ((hw_cpuid(7, 0).ebx >> 3) & 1);
        int lzcnt = hw_cpuid(0x80000000u, 0).eax >= 0x80000001u &&
                    ((hw_cpuid(0x80000001u, 0).ecx >> 5) & 1);
        in->sub = (uint8_t)x86vcpu__bitscan_effective(in->sub, bmi1, lzcnt);
    }
    /* An operand across a page boundary, one page RAM and the other MMIO:
     * the RAM bytes through gmem.c, the device gets the rest (its gpa, a
     * smaller size). Otherwise the device sees one access in one MMIO page
     * range; one that runs on into something else is not emulated. */
    if (split_begin(v, &g, e->rip, &gpa, &f))
        return x86vcpu__gfault_raise(v, &f, e);
    int split_src = 0, in_op_unsupported = 0;
    switch (string_operands_cross(&g, &f)) {
    case 1:
        return x86vcpu__gfault_raise(v, &f, e);
    case 2:
        /* One operand's element half RAM, half MMIO: emulated for the
         * one-operand forms and for CMPS with the other operand in RAM;
         * not for MOVS. */
        if (in->op == X86VCPU_MMIO_CMPS && v->mmio.split_lin != split_dst_lin(v, &g)) {
            /* A CMPS source split: the destination must be whole RAM. */
            uint8_t sn = v->mmio.split_n, sf = v->mmio.split_ram_first;
            uint64_t sl = v->mmio.split_lin, sg = v->mmio.split_gpa;
            int c = string_cross(&g, 0, X86VCPU_RDI, 0, &f);
            v->mmio.split_n = sn, v->mmio.split_ram_first = sf;
            v->mmio.split_lin = sl, v->mmio.split_gpa = sg;
            if (c == 1) {
                v->mmio.split_n = 0;
                return x86vcpu__gfault_raise(v, &f, e);
            }
            split_src = 1;
            if (c == 2)
                in_op_unsupported = 1;
        }
        if (in->op == X86VCPU_MMIO_MOVS || in_op_unsupported) {
            v->mmio.split_n = 0;
            unsupported(e, bytes, n, MMIO_ERR_SPLIT);
            return 0;
        }
        gpa = v->mmio.split_gpa;
        f = (struct x86vcpu__gfault){ 0 };
        break;
    default:
        f = (struct x86vcpu__gfault){ 0 };
        break;
    }
    if (!v->mmio.split_n && (gpa & 0xfff) + in->mem_size > 4096 &&
        !x86vcpu__ept_is_mmio(v->setup.ept, (gpa | 0xfff) + 1)) {
        unsupported(e, bytes, n, MMIO_ERR_SPLIT);
        return 0;
    }
    e->u.mmio.gpa = gpa;
    e->u.mmio.size = (uint8_t)(in->mem_size - v->mmio.split_n);
    v->mmio.dst_mmio = 0;
    v->mmio.second_read = 0;
    v->mmio.outs = 0;
    v->mmio.ins = 0;
    switch (in->op) {
    case X86VCPU_MMIO_OUTS:
        /* A port the embedder let through (no I/O exit), memory in MMIO:
         * the element is read from the device, then the embedder gets a
         * plain OUT exit for it (x86vcpu__mmio_pending_write). */
        v->mmio.outs = 1;
        v->mmio.port = (uint16_t)v->regs.gpr[X86VCPU_RDX];
        break;
    case X86VCPU_MMIO_INS:
        /* The port first: a plain IN exit; x86vcpu_complete_io_in's value
         * then goes to the device as the next run's MMIO write. */
        v->mmio.ins = 1;
        v->mmio.gpa = gpa;
        v->mmio.write = 1;
        e->kind = X86VCPU_EXIT_IO;
        e->reason = X86VCPU_EXIT_REASON_EPT_VIOLATION; /* what exited: see x86vcpu.h */
        e->instr_len = in->len;
        e->qualification = 0;
        e->u.io = (typeof(e->u.io)){ 0 };
        e->u.io.port = (uint16_t)v->regs.gpr[X86VCPU_RDX];
        e->u.io.size = in->mem_size;
        e->u.io.in = 1;
        v->pending_io_size = in->mem_size;
        v->pending = PENDING_IO_IN;
        return 0;
    case X86VCPU_MMIO_MOV_STORE:
    case X86VCPU_MMIO_MOV_STORE_IMM:
    case X86VCPU_MMIO_MOVBE_STORE:
    case X86VCPU_MMIO_SETCC: {
        /* Stores that read nothing: the value now. */
        uint64_t rg[16], fl = in->op == X86VCPU_MMIO_SETCC ? VMRD(v, WNAT, GUEST_RFLAGS) : 0;
        regs_load(v, rg);
        x86vcpu__insn_exec(in, 0, rg, &fl, &v->mmio.write_value);
        e->u.mmio.write = 1;
        e->u.mmio.value = split_dev_part(v, v->mmio.write_value);
        break;
    }
    case X86VCPU_MMIO_POP: {
        /* POP r/m: the stack element (RAM) now, the device gets it; RSP
         * moves when the write is done (SDM "POP"). */
        uint8_t b[8] = { 0 };
        uint64_t sl, val = 0;
        unsigned as = stack_size(v);
        if (x86vcpu__seg_lin(&g, 2, x86vcpu__gpr_read(v, X86VCPU_RSP) & x86vcpu__size_mask(as),
                             in->mem_size, 0, &sl, &f) ||
            x86vcpu__lin_read(&g, sl, b, in->mem_size, X86VCPU_ACC_READ, &f)) {
            if (f.kind == GF_MMIO) {
                unsupported(e, bytes, n, MMIO_ERR_OPERAND);
                return 0;
            }
            return x86vcpu__gfault_raise(v, &f, e);
        }
        for (uint32_t i = 0; i < in->mem_size; i++)
            val |= (uint64_t)b[i] << (8 * i);
        e->u.mmio.write = 1;
        e->u.mmio.value = val;
        break;
    }
    case X86VCPU_MMIO_CMPS: {
        /* Source seg:[rSI], destination ES:[rDI], both read (SDM "CMPS"):
         * the MMIO one(s) by exits, a RAM one here; faults on either
         * before any device is read. */
        uint64_t sl, sg, dl, dg;
        struct x86vcpu__gfault fs = { 0 }, fd = { 0 };
        if (v->mmio.split_n && split_src) {
            /* The source's element is half RAM, half MMIO: this exit reads
             * its device part; the destination must be RAM (read when it
             * completes). */
            if (string_gpa(&g, 0, X86VCPU_RDI, 0, &dl, &dg, &fd)) {
                v->mmio.split_n = 0;
                if (fd.kind != GF_MMIO)
                    return x86vcpu__gfault_raise(v, &fd, e);
                unsupported(e, bytes, n, MMIO_ERR_SPLIT);
                return 0;
            }
            break;
        }
        if (v->mmio.split_n) {
            /* The destination's element is half RAM, half MMIO
             * (string_cross); the source must be RAM, read now. */
            uint8_t b[8] = { 0 };
            if (x86vcpu__seg_lin(&g, in->seg, string_off(v, X86VCPU_RSI), in->mem_size, 0, &sl, &f) ||
                x86vcpu__lin_read(&g, sl, b, in->mem_size, X86VCPU_ACC_READ, &f)) {
                if (f.kind == GF_MMIO) {
                    v->mmio.split_n = 0;
                    unsupported(e, bytes, n, MMIO_ERR_SPLIT);
                    return 0;
                }
                return x86vcpu__gfault_raise(v, &f, e);
            }
            v->mmio.first_val = 0;
            for (uint32_t i = 0; i < in->mem_size; i++)
                v->mmio.first_val |= (uint64_t)b[i] << (8 * i);
            v->mmio.second_read = 1;
            break;
        }
        int src_ram = !string_gpa(&g, in->seg, X86VCPU_RSI, 0, &sl, &sg, &fs);
        int dst_ram = !string_gpa(&g, 0, X86VCPU_RDI, 0, &dl, &dg, &fd);
        if (!src_ram && fs.kind != GF_MMIO)
            return x86vcpu__gfault_raise(v, &fs, e);
        if (!dst_ram && fd.kind != GF_MMIO)
            return x86vcpu__gfault_raise(v, &fd, e);
        /* An MMIO element across a page has MMIO on both pages here
         * (string_operands_cross): the device gets it whole at its first
         * byte, as for the other forms (found by the guest fuzzer: REPNE
         * CMPSD at EDI = 0x40002ffd, seed 5 program 14515). */
        if ((src_ram && ((sl & 0xfff) + in->mem_size > 4096)) ||
            (dst_ram && ((dl & 0xfff) + in->mem_size > 4096))) {
            /* A RAM element across a page: its second page is not
             * read here. */
            unsupported(e, bytes, n, MMIO_ERR_SPLIT);
            return 0;
        }
        if (src_ram) {
            uint8_t b[8] = { 0 };
            if (x86vcpu__lin_read(&g, sl, b, in->mem_size, X86VCPU_ACC_READ, &f))
                return x86vcpu__gfault_raise(v, &f, e);
            v->mmio.first_val = 0;
            for (uint32_t i = 0; i < in->mem_size; i++)
                v->mmio.first_val |= (uint64_t)b[i] << (8 * i);
            v->mmio.second_read = 1;    /* this exit reads the destination */
            gpa = fd.gpa;
            e->u.mmio.gpa = gpa;
        } else if (!dst_ram) {
            v->mmio.dst_mmio = 1;       /* MMIO and MMIO: a second read exit */
            v->mmio.dst_gpa = fd.gpa;
            gpa = fs.gpa;
            e->u.mmio.gpa = gpa;
        } else {
            gpa = fs.gpa;
            e->u.mmio.gpa = gpa;
        }
        break;
    }
    case X86VCPU_MMIO_STOS:
        e->u.mmio.write = 1;
        v->mmio.write_value = v->regs.gpr[X86VCPU_RAX] & x86vcpu__size_mask(in->mem_size);
        e->u.mmio.value = split_dev_part(v, v->mmio.write_value);
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

/* The second access of an instruction, returned by run without an entry:
 * a read-modify-write's write, MOVS MMIO -> MMIO's write, CMPS MMIO ->
 * MMIO's destination read. */
int x86vcpu__mmio_pending_write(struct x86vcpu_vcpu *v, struct x86vcpu_exit *e)
{
    int read = v->mmio.second_read;
    if (wide_op(v->mmio.insn.op))
        return wide_pending(v, e);
    if (v->mmio.outs) {
        /* OUTS from MMIO: the element read from the device goes to the
         * port as a plain OUT exit (registers already stepped). */
        v->mmio.outs = 0;
        pending_exit(v, e, X86VCPU_EXIT_IO);
        e->u.io = (typeof(e->u.io)){ 0 };
        e->u.io.port = v->mmio.port;
        e->u.io.size = v->mmio.insn.mem_size;
        e->u.io.value = (uint32_t)v->mmio.write_value;
        v->pending = PENDING_NONE;
        return X86VCPU_OK;
    }
    pending_exit(v, e, X86VCPU_EXIT_MMIO);
    e->u.mmio = (typeof(e->u.mmio)){ 0 };
    e->u.mmio.gpa = v->mmio.gpa;
    e->u.mmio.size = (uint8_t)(v->mmio.insn.mem_size - v->mmio.split_n);
    e->u.mmio.write = (uint8_t)!read;
    e->u.mmio.value = read ? 0 : split_dev_part(v, v->mmio.write_value);
    v->mmio.write = (uint8_t)!read;
    v->pending = PENDING_MMIO;
    return X86VCPU_OK;
}

/* RSI and/or RDI (and RCX under REP) after one element; 1 when the
 * instruction is done (SDM "MOVS"..."SCAS": the pointers step by the size,
 * DF sets down; REPE/REPNE CMPS/SCAS also end on ZF, Vol. 2 "REP"). */
static int string_step(struct x86vcpu_vcpu *v, int step_si, int step_di)
{
    const struct x86vcpu_insn *in = &v->mmio.insn;
    uint64_t rflags = VMRD(v, WNAT, GUEST_RFLAGS);
    uint64_t rcx = x86vcpu__string_advance(v, in->addr_size, (rflags & RFLAGS_DF) != 0,
                                           in->mem_size, 1, step_si, step_di, in->rep != 0);
    if (!in->rep || rcx == 0)
        return 1;
    if (in->op == X86VCPU_MMIO_CMPS || in->op == X86VCPU_MMIO_SCAS) {
        int zf = (rflags & X86VCPU_FL_ZF) != 0;
        return in->rep == 0xf3 ? !zf : zf;
    }
    return 0;
}

/* Read `size` bytes of guest memory at seg:[reg] (a string operand). */
static int string_read(struct x86vcpu_vcpu *v, unsigned seg, unsigned reg, uint64_t *val)
{
    struct x86vcpu__gctx g;
    struct x86vcpu__gfault f = { 0 };
    uint64_t l;
    uint8_t b[8] = { 0 };
    x86vcpu__gctx_init(v, &g);
    if (x86vcpu__seg_lin(&g, seg, string_off(v, reg), v->mmio.insn.mem_size, 0, &l, &f) ||
        x86vcpu__lin_read(&g, l, b, v->mmio.insn.mem_size, X86VCPU_ACC_READ, &f)) {
        x86vcpu__gfault_raise(v, &f, 0);
        return -1;
    }
    *val = 0;
    for (uint32_t i = 0; i < v->mmio.insn.mem_size; i++)
        *val |= (uint64_t)b[i] << (8 * i);
    return 0;
}

int x86vcpu_complete_mmio(struct x86vcpu_vcpu *v, uint64_t val)
{
    if (!v)
        return X86VCPU_EINVAL;
    if (v->pending != PENDING_MMIO)
        return X86VCPU_ESTATE;
    const struct x86vcpu_insn *in = &v->mmio.insn;
    int done = 1;
    val &= x86vcpu__size_mask(in->mem_size - v->mmio.split_n);
    v->pending = PENDING_NONE;
    if (wide_op(in->op))
        return wide_complete(v, val);

    if (v->mmio.split_n && !v->mmio.write && split_ram(v, &val, 0))
        return X86VCPU_OK;      /* its fault is queued; RIP stays */
    if (v->mmio.outs && !v->mmio.write) {
        /* OUTS whose source is MMIO (strio.c): RSI (and RCX) step now, the
         * OUT goes to the embedder on the next run. */
        if (string_step(v, 1, 0))
            x86vcpu__skip_on_next_run(v, v->mmio.rip, in->len);
        v->mmio.write_value = val;
        v->pending = PENDING_MMIO_WRITE;
        return X86VCPU_OK;
    }
    if (v->mmio.write) {
        if (in->op == X86VCPU_MMIO_STOS || in->op == X86VCPU_MMIO_MOVS ||
            in->op == X86VCPU_MMIO_INS) {
            if (v->mmio.split_n && split_ram(v, &v->mmio.write_value, 1))
                return X86VCPU_OK;
            done = string_step(v, in->op == X86VCPU_MMIO_MOVS, 1);
        } else if (v->mmio.split_n && split_ram(v, &v->mmio.write_value, 1)) {
            return X86VCPU_OK;  /* its fault is queued; RIP stays */
        } else if (in->op == X86VCPU_MMIO_POP) {
            unsigned as = stack_size(v);
            x86vcpu_set_gpr(v, X86VCPU_RSP, stack_move(x86vcpu__gpr_read(v, X86VCPU_RSP),
                                                       in->mem_size, as));
        }
    } else {
        switch (in->op) {
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
            done = string_step(v, 1, 1);
            break;
        }
        case X86VCPU_MMIO_CMPS: {
            uint64_t src, dst, fl;
            if (v->mmio.second_read) {
                src = v->mmio.first_val;
                dst = val;
            } else if (v->mmio.dst_mmio) {
                /* MMIO and MMIO: the destination is the next run's read. */
                v->mmio.first_val = val;
                v->mmio.second_read = 1;
                v->mmio.gpa = v->mmio.dst_gpa;
                v->pending = PENDING_MMIO_WRITE;
                return X86VCPU_OK;
            } else {
                src = val;
                if (string_read(v, 0, X86VCPU_RDI, &dst))
                    return X86VCPU_OK;  /* its fault is queued */
            }
            /* Flags of source - destination (SDM "CMPS"). */
            fl = VMRD(v, WNAT, GUEST_RFLAGS);
            x86vcpu__alu(X86VCPU_ALU_CMP, in->mem_size, src, dst, &fl);
            VMWR(v, WNAT, GUEST_RFLAGS, fl);
            done = string_step(v, 1, 1);
            break;
        }
        case X86VCPU_MMIO_PUSH: {
            /* PUSH r/m: the element to SS:[rSP - size] (RAM), then rSP
             * (SDM "PUSH"); a stack fault leaves rSP and RIP. */
            struct x86vcpu__gctx g;
            struct x86vcpu__gfault f = { 0 };
            unsigned as = stack_size(v);
            uint64_t rsp = stack_move(x86vcpu__gpr_read(v, X86VCPU_RSP), (uint64_t)-(int64_t)in->mem_size, as);
            uint64_t sl;
            uint8_t b[8];
            x86vcpu__gctx_init(v, &g);
            for (uint32_t i = 0; i < in->mem_size; i++)
                b[i] = (uint8_t)(val >> (8 * i));
            if (x86vcpu__seg_lin(&g, 2, rsp & x86vcpu__size_mask(as), in->mem_size, 1, &sl, &f) ||
                x86vcpu__lin_write(&g, sl, b, in->mem_size, &f)) {
                x86vcpu__gfault_raise(v, &f, 0);
                return X86VCPU_OK;
            }
            x86vcpu_set_gpr(v, X86VCPU_RSP, rsp);
            break;
        }
        default: {
            /* Everything else: x86vcpu__insn_exec on the value read. */
            uint64_t rg[16], old[16], fl0 = VMRD(v, WNAT, GUEST_RFLAGS), fl = fl0, out;
            regs_load(v, rg);
            for (unsigned k = 0; k < 16; k++)
                old[k] = rg[k];
            int r = x86vcpu__insn_exec(in, val, rg, &fl, &out);
            if (r & X86VCPU_EXEC_DE) {
                /* Divide error: a fault, RIP stays (SDM Table 6-1, #DE). */
                x86vcpu_queue_exception(v, 0, 0, 0, 0);
                return X86VCPU_OK;
            }
            regs_store(v, rg, old);
            if (fl != fl0)
                VMWR(v, WNAT, GUEST_RFLAGS, fl);
            if (in->op == X86VCPU_MMIO_LODS) {
                done = string_step(v, 1, 0);
            } else if (in->op == X86VCPU_MMIO_SCAS) {
                done = string_step(v, 0, 1);
            } else if (r & X86VCPU_EXEC_WRITE) {
                /* The result goes back to the device: next run's exit. */
                v->mmio.write_value = out;
                v->pending = PENDING_MMIO_WRITE;
                return X86VCPU_OK;
            }
            break;
        }
        }
    }
    if (done)
        x86vcpu__skip_on_next_run(v, v->mmio.rip, in->len);
    return X86VCPU_OK;
}
