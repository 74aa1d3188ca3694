/* Issue 12 item 7: the MMIO forms added for test kernels and drivers, on
 * the exit path (src/vmx/mmio.c): the SSE moves (16-byte operands as two
 * 8-byte accesses, low half first; MOVSS/MOVD/MOVQ as one), the XMM
 * registers in the guest's saved extended state, the alignment #GP of
 * MOVAPS/MOVDQA/CMPXCHG16B, CMPXCHG16B's four accesses, CMPXCHG8B with
 * LOCK in 64-bit mode, MOVBE loads and stores.
 *
 * The machine: a 64-bit guest, identity-mapped by one 2 MiB page (tables
 * at gpa 0x5000-0x7000), code at 0x1000, RAM at 0x2000, MMIO at
 * 0x10000-0x10fff. */
#include "host.h"

#define INFO_VALID 0x80000000u
#define MMIO       0x10000u
#define NFRAMES    5

struct mf {
    struct host h;
    struct x86vcpu_ept *ept;
    uint64_t pa[NFRAMES];
    uint8_t *ram[NFRAMES];
};

static const uint64_t frame_gpa[NFRAMES] = { 0x1000, 0x2000, 0x5000, 0x6000, 0x7000 };

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static void mf_start(struct mf *g, const uint8_t *code, uint32_t len)
{
    mock_reset();
    memset(g, 0, sizeof *g);
    host_init(&g->h, X86VCPU_MODE_LONG64);
    assert_int_equal(x86vcpu_ept_create(&g->h.cpu, 0, &g->ept), X86VCPU_OK);
    for (int i = 0; i < NFRAMES; i++) {
        g->pa[i] = mock_hal.alloc_frame(mock_hal.ctx);
        g->ram[i] = mock_hal.phys_to_virt(mock_hal.ctx, g->pa[i]);
        memset(g->ram[i], i < 2 ? 0x11 : 0, 4096);
        assert_int_equal(x86vcpu_ept_map(g->ept, frame_gpa[i], g->pa[i], 4096, X86VCPU_EPT_RWX,
                                         X86VCPU_MT_WB), X86VCPU_OK);
    }
    /* PML4[0] -> PDPT, PDPT[0] -> PD, PD[0]: 2 MiB at 0 (P RW US PS). */
    put64(g->ram[2], 0x6000 | 7);
    put64(g->ram[3], 0x7000 | 7);
    put64(g->ram[4], 0x87);
    assert_int_equal(x86vcpu_ept_add_mmio(g->ept, MMIO, 0x1000), X86VCPU_OK);
    memcpy(g->ram[0], code, len);
    g->h.setup.ept = g->ept;
    g->h.setup.ept_root = 0;
    g->h.setup.cr3 = 0x5000;
    host_bind(&g->h);
    mock_set_vmcs(F(GUEST_RIP), 0x1000);
    g->h.v->regs.gpr[X86VCPU_RBX] = MMIO;
}

static void mf_stop(struct mf *g)
{
    host_stop_ept(&g->h, g->ept, g->pa, NFRAMES);
}

/* XMMn in the guest's saved state (FXSAVE layout: byte 160 + 16n). */
static uint64_t xmm_saved(struct mf *g, unsigned n, unsigned half)
{
    uint64_t x;
    memcpy(&x, (uint8_t *)g->h.v->guest_fpu + 160 + 16 * n + 8 * half, 8);
    return x;
}

static void xmm_set_saved(struct mf *g, unsigned n, uint64_t lo, uint64_t hi)
{
    memcpy((uint8_t *)g->h.v->guest_fpu + 160 + 16 * n, &lo, 8);
    memcpy((uint8_t *)g->h.v->guest_fpu + 160 + 16 * n + 8, &hi, 8);
}

static uint64_t viol_gpa;
static void set_viol(struct x86vcpu_regs *regs, unsigned n)
{
    (void)regs;
    (void)n;
    mock_set_vmcs(F(IDT_VECTORING_INFO), 0);
    mock_set_vmcs(F(GUEST_PHYSICAL_ADDRESS), viol_gpa);
    mock_set_vmcs(F(GUEST_LINEAR_ADDRESS), viol_gpa);
}

/* The guest's XMM3 as the CPU holds it when the store exits (after the
 * saved image was loaded): the store's value must be this one. */
static void set_viol_xmm3(struct x86vcpu_regs *regs, unsigned n)
{
    set_viol(regs, n);
    mock.xmm[3][0] = 0x0706050403020100ull;
    mock.xmm[3][1] = 0x0f0e0d0c0b0a0908ull;
}

#define VIOL(h, gpa, qual) \
    (viol_gpa = (gpa), RUN_STEPS((h), { X86VCPU_EXIT_REASON_EPT_VIOLATION, (qual), 0, set_viol }))
#define QR (QUAL_R | QUAL_GLA | QUAL_FIN)
#define QW (QUAL_W | QUAL_GLA | QUAL_FIN)
#define ZF 0x40u

static void run_idle(struct mf *g)
{
    assert_int_equal(host_run(&g->h, steps_script, &(struct steps){ 0, 0 }), X86VCPU_OK);
}

/* The exit the embedder has now: an MMIO access of this shape. */
static void expect_mmio(struct mf *g, uint64_t gpa, unsigned size, int write, uint64_t value)
{
    assert_int_equal(g->h.e.kind, X86VCPU_EXIT_MMIO);
    assert_int_equal(g->h.e.u.mmio.gpa, gpa);
    assert_int_equal(g->h.e.u.mmio.size, size);
    assert_int_equal(g->h.e.u.mmio.write, write);
    if (write)
        assert_int_equal(g->h.e.u.mmio.value, value);
}

/* The instruction is finished: the next entry is past it. */
static void expect_done(struct mf *g, unsigned len)
{
    run_idle(g);
    assert_int_equal(g->h.e.kind, X86VCPU_EXIT_TIME_SLICE);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000 + len);
}

/* MOVUPS/MOVAPS/MOVDQA/MOVDQU loads: two 8-byte reads, low half first, then
 * the whole register; the other registers untouched. */
static void test_sse_load16(void **state)
{
    (void)state;
    static const struct { uint8_t b[6]; unsigned len, reg; } c[] = {
        { { 0x0f, 0x10, 0x03 }, 3, 0 },                 /* movups xmm0, [rbx] */
        { { 0x44, 0x0f, 0x28, 0x03 }, 4, 8 },           /* movaps xmm8, [rbx] */
        { { 0x66, 0x0f, 0x6f, 0x2b }, 4, 5 },           /* movdqa xmm5, [rbx] */
        { { 0xf3, 0x44, 0x0f, 0x6f, 0x3b }, 5, 15 },    /* movdqu xmm15, [rbx] */
        { { 0x66, 0x0f, 0x10, 0x0b }, 4, 1 },           /* movupd xmm1, [rbx] */
    };
    for (unsigned k = 0; k < sizeof c / sizeof c[0]; k++) {
        struct mf g;
        mf_start(&g, c[k].b, c[k].len);
        xmm_set_saved(&g, c[k].reg ^ 1, 0x5555, 0x6666);
        assert_int_equal(VIOL(&g.h, MMIO, QR), X86VCPU_OK);
        expect_mmio(&g, MMIO, 8, 0, 0);
        assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0x1122334455667788ull), X86VCPU_OK);
        run_idle(&g);
        expect_mmio(&g, MMIO + 8, 8, 0, 0);
        assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
        assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0x99aabbccddeeff00ull), X86VCPU_OK);
        expect_done(&g, c[k].len);
        assert_int_equal(xmm_saved(&g, c[k].reg, 0), 0x1122334455667788ull);
        assert_int_equal(xmm_saved(&g, c[k].reg, 1), 0x99aabbccddeeff00ull);
        assert_int_equal(xmm_saved(&g, c[k].reg ^ 1, 0), 0x5555);
        assert_int_equal(xmm_saved(&g, c[k].reg ^ 1, 1), 0x6666);
        mf_stop(&g);
    }
}

/* Stores: the value is the guest's register at the exit (the CPU's, saved
 * by run), two 8-byte writes in address order. */
static void test_sse_store16(void **state)
{
    (void)state;
    static const struct { uint8_t b[6]; unsigned len; } c[] = {
        { { 0x0f, 0x11, 0x1b }, 3 },                    /* movups [rbx], xmm3 */
        { { 0x0f, 0x29, 0x1b }, 3 },                    /* movaps [rbx], xmm3 */
        { { 0x66, 0x0f, 0x7f, 0x1b }, 4 },              /* movdqa [rbx], xmm3 */
        { { 0xf3, 0x0f, 0x7f, 0x1b }, 4 },              /* movdqu [rbx], xmm3 */
    };
    for (unsigned k = 0; k < sizeof c / sizeof c[0]; k++) {
        struct mf g;
        mf_start(&g, c[k].b, c[k].len);
        xmm_set_saved(&g, 3, 1, 2);      /* stale: the guest changed it since */
        viol_gpa = MMIO;
        assert_int_equal(RUN_STEPS(&g.h, { X86VCPU_EXIT_REASON_EPT_VIOLATION, QW, 0, set_viol_xmm3 }),
                         X86VCPU_OK);
        expect_mmio(&g, MMIO, 8, 1, 0x0706050403020100ull);
        assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0), X86VCPU_OK);
        run_idle(&g);
        expect_mmio(&g, MMIO + 8, 8, 1, 0x0f0e0d0c0b0a0908ull);
        assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
        assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0), X86VCPU_OK);
        expect_done(&g, c[k].len);
        assert_int_equal(xmm_saved(&g, 3, 1), 0x0f0e0d0c0b0a0908ull);   /* unchanged */
        mf_stop(&g);
    }
}

/* MOVSS/MOVSD/MOVD/MOVQ: one access of 4 or 8 bytes; a load zeroes the
 * rest of the register. */
static void test_sse_scalar(void **state)
{
    (void)state;
    static const struct { uint8_t b[6]; unsigned len, size, store; } c[] = {
        { { 0xf3, 0x0f, 0x10, 0x13 }, 4, 4, 0 },        /* movss xmm2, [rbx] */
        { { 0xf2, 0x0f, 0x10, 0x13 }, 4, 8, 0 },        /* movsd xmm2, [rbx] */
        { { 0x66, 0x0f, 0x6e, 0x13 }, 4, 4, 0 },        /* movd xmm2, [rbx] */
        { { 0x66, 0x48, 0x0f, 0x6e, 0x13 }, 5, 8, 0 },  /* movq xmm2, [rbx] */
        { { 0xf3, 0x0f, 0x7e, 0x13 }, 4, 8, 0 },        /* movq xmm2, [rbx] */
        { { 0xf3, 0x0f, 0x11, 0x13 }, 4, 4, 1 },        /* movss [rbx], xmm2 */
        { { 0x66, 0x0f, 0x7e, 0x13 }, 4, 4, 1 },        /* movd [rbx], xmm2 */
        { { 0x66, 0x0f, 0xd6, 0x13 }, 4, 8, 1 },        /* movq [rbx], xmm2 */
    };
    for (unsigned k = 0; k < sizeof c / sizeof c[0]; k++) {
        struct mf g;
        mf_start(&g, c[k].b, c[k].len);
        xmm_set_saved(&g, 2, 0xa1a2a3a4a5a6a7a8ull, 0xb1b2b3b4b5b6b7b8ull);
        assert_int_equal(VIOL(&g.h, MMIO, c[k].store ? QW : QR), X86VCPU_OK);
        uint64_t m = c[k].size == 8 ? ~0ull : 0xffffffffull;
        expect_mmio(&g, MMIO, c[k].size, c[k].store, 0xa1a2a3a4a5a6a7a8ull & m);
        assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0x0102030405060708ull), X86VCPU_OK);
        expect_done(&g, c[k].len);
        assert_int_equal(xmm_saved(&g, 2, 0), c[k].store ? 0xa1a2a3a4a5a6a7a8ull : 0x0102030405060708ull & m);
        assert_int_equal(xmm_saved(&g, 2, 1), c[k].store ? 0xb1b2b3b4b5b6b7b8ull : 0);
        mf_stop(&g);
    }
}

/* MOVAPS/MOVDQA/CMPXCHG16B on an operand that is not 16-byte aligned:
 * #GP(0), no device access, RIP stays. MOVUPS there is fine. A 16-byte
 * operand across the page's end: not emulated. */
static void test_sse_alignment_and_page_end(void **state)
{
    (void)state;
    static const struct { uint8_t b[6]; unsigned len, gp; } c[] = {
        { { 0x0f, 0x28, 0x03 }, 3, 1 },                 /* movaps xmm0, [rbx] */
        { { 0x66, 0x0f, 0x7f, 0x03 }, 4, 1 },           /* movdqa [rbx], xmm0 */
        { { 0x48, 0x0f, 0xc7, 0x0b }, 4, 1 },           /* cmpxchg16b [rbx] */
        { { 0x0f, 0x10, 0x03 }, 3, 0 },                 /* movups xmm0, [rbx] */
    };
    for (unsigned k = 0; k < sizeof c / sizeof c[0]; k++) {
        struct mf g;
        mf_start(&g, c[k].b, c[k].len);
        g.h.v->regs.gpr[X86VCPU_RBX] = MMIO + 8;
        assert_int_equal(VIOL(&g.h, MMIO + 8, QR), X86VCPU_OK);
        if (c[k].gp) {
            /* Injected at the next entry, inside the same run. */
            assert_int_equal(g.h.e.kind, X86VCPU_EXIT_TIME_SLICE);
            assert_int_equal(mock.entry_intr_info, INFO_VALID | (3u << 8) | (1u << 11) | 13);
            assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
        } else {
            expect_mmio(&g, MMIO + 8, 8, 0, 0);
        }
        mf_stop(&g);
    }
    /* Across the page's end into nothing the EPT maps: that page's EPT
     * violation, for the embedder (as the CPU's own access would). */
    struct mf g;
    mf_start(&g, c[3].b, c[3].len);
    g.h.v->regs.gpr[X86VCPU_RBX] = MMIO + 0xff8;
    assert_int_equal(VIOL(&g.h, MMIO + 0xff8, QR), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_EPT_VIOLATION);
    assert_int_equal(g.h.e.u.ept.gpa, MMIO + 0x1000);
    mf_stop(&g);
    /* Into a second MMIO page: each half at its own page's address. */
    mf_start(&g, c[3].b, c[3].len);
    assert_int_equal(x86vcpu_ept_add_mmio(g.ept, MMIO + 0x1000, 0x1000), X86VCPU_OK);
    g.h.v->regs.gpr[X86VCPU_RBX] = MMIO + 0xffc;
    assert_int_equal(VIOL(&g.h, MMIO + 0xffc, QR), X86VCPU_OK);
    expect_mmio(&g, MMIO + 0xffc, 8, 0, 0);
    assert_int_equal(x86vcpu_complete_mmio(g.h.v, 1), X86VCPU_OK);
    run_idle(&g);
    expect_mmio(&g, MMIO + 0x1004, 8, 0, 0);
    assert_int_equal(x86vcpu_complete_mmio(g.h.v, 2), X86VCPU_OK);
    expect_done(&g, c[3].len);
    assert_int_equal(xmm_saved(&g, 0, 0), 1);
    assert_int_equal(xmm_saved(&g, 0, 1), 2);
    mf_stop(&g);
    /* RAM then MMIO in one 16-byte operand: not emulated. */
    mf_start(&g, c[3].b, c[3].len);
    assert_int_equal(x86vcpu_ept_add_mmio(g.ept, 0x3000, 0x1000), X86VCPU_OK);
    g.h.v->regs.gpr[X86VCPU_RBX] = 0x2ff8;
    assert_int_equal(VIOL(&g.h, 0x3000, QR), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_MMIO_UNSUPPORTED);
    assert_int_equal(g.h.e.u.mmio.insn_len, 15);
    assert_int_equal(g.h.e.u.mmio.insn[1], 0x10);
    mf_stop(&g);
}

/* LOCK CMPXCHG16B: both halves read, then both written (the old value back
 * when they differ); RDX:RAX and ZF as the CPU leaves them. */
static void test_cmpxchg16b(void **state)
{
    (void)state;
    static const uint8_t cx[] = { 0xf0, 0x48, 0x0f, 0xc7, 0x0b };
    for (int eq = 0; eq < 2; eq++) {
        struct mf g;
        mf_start(&g, cx, sizeof cx);
        uint64_t *r = g.h.v->regs.gpr;
        r[X86VCPU_RAX] = 0x1111; r[X86VCPU_RDX] = 0x2222;
        r[X86VCPU_RBX] = MMIO + 0x10; r[X86VCPU_RCX] = 0x4444;
        mock_set_vmcs(F(GUEST_RFLAGS), eq ? 0x2 : 0x2 | ZF);
        assert_int_equal(VIOL(&g.h, MMIO + 0x10, QW), X86VCPU_OK);
        expect_mmio(&g, MMIO + 0x10, 8, 0, 0);
        assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0x1111), X86VCPU_OK);
        run_idle(&g);
        expect_mmio(&g, MMIO + 0x18, 8, 0, 0);
        assert_int_equal(x86vcpu_complete_mmio(g.h.v, eq ? 0x2222 : 0x7777), X86VCPU_OK);
        run_idle(&g);
        expect_mmio(&g, MMIO + 0x10, 8, 1, eq ? MMIO + 0x10 : 0x1111);
        assert_int_equal(!!(mock_vmcs(F(GUEST_RFLAGS)) & ZF), eq);
        assert_int_equal(r[X86VCPU_RAX], 0x1111);
        assert_int_equal(r[X86VCPU_RDX], eq ? 0x2222 : 0x7777);
        assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0), X86VCPU_OK);
        run_idle(&g);
        expect_mmio(&g, MMIO + 0x18, 8, 1, eq ? 0x4444 : 0x7777);
        assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0), X86VCPU_OK);
        expect_done(&g, sizeof cx);
        mf_stop(&g);
    }
}

/* LOCK CMPXCHG8B in 64-bit mode: 8 bytes, EDX:EAX / ECX:EBX. */
static void test_cmpxchg8b_long(void **state)
{
    (void)state;
    static const uint8_t cx[] = { 0xf0, 0x0f, 0xc7, 0x0e };    /* lock cmpxchg8b [rsi] */
    for (int eq = 0; eq < 2; eq++) {
        struct mf g;
        mf_start(&g, cx, sizeof cx);
        uint64_t *r = g.h.v->regs.gpr;
        r[X86VCPU_RSI] = MMIO;
        r[X86VCPU_RAX] = 0xffffffff00000001ull; r[X86VCPU_RDX] = 2;
        r[X86VCPU_RBX] = 3; r[X86VCPU_RCX] = 4;
        assert_int_equal(VIOL(&g.h, MMIO, QW), X86VCPU_OK);
        expect_mmio(&g, MMIO, 8, 0, 0);
        assert_int_equal(x86vcpu_complete_mmio(g.h.v, eq ? 0x200000001ull : 0x500000006ull), X86VCPU_OK);
        run_idle(&g);
        expect_mmio(&g, MMIO, 8, 1, eq ? 0x400000003ull : 0x500000006ull);
        assert_int_equal(r[X86VCPU_RAX], eq ? 0xffffffff00000001ull : 6);
        assert_int_equal(r[X86VCPU_RDX], eq ? 2 : 5);
        assert_int_equal(!!(mock_vmcs(F(GUEST_RFLAGS)) & ZF), eq);
        assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0), X86VCPU_OK);
        expect_done(&g, sizeof cx);
        mf_stop(&g);
    }
}

/* MOVBE: a store is one write of the swapped register (no read first); a
 * load puts the swapped bytes in the register with the usual merge. */
static void test_movbe(void **state)
{
    (void)state;
    static const struct { uint8_t b[6]; unsigned len, size, store; uint64_t expect; } c[] = {
        { { 0x0f, 0x38, 0xf0, 0x03 }, 4, 4, 0, 0x0000000044332211ull },     /* movbe eax, [rbx] */
        { { 0x66, 0x0f, 0x38, 0xf0, 0x03 }, 5, 2, 0, 0xdeadbeefcafe2211ull }, /* movbe ax, [rbx] */
        { { 0x48, 0x0f, 0x38, 0xf0, 0x03 }, 5, 8, 0, 0x8877665544332211ull }, /* movbe rax, [rbx] */
        { { 0x0f, 0x38, 0xf1, 0x03 }, 4, 4, 1, 0xefbeadde },                /* movbe [rbx], eax */
        { { 0x66, 0x0f, 0x38, 0xf1, 0x03 }, 5, 2, 1, 0xfeca },              /* movbe [rbx], ax */
        { { 0x48, 0x0f, 0x38, 0xf1, 0x03 }, 5, 8, 1, 0xfecaefbeaddeull },    /* movbe [rbx], rax */
    };
    for (unsigned k = 0; k < sizeof c / sizeof c[0]; k++) {
        struct mf g;
        mf_start(&g, c[k].b, c[k].len);
        g.h.v->regs.gpr[X86VCPU_RAX] = 0xdeadbeefcafeull | (c[k].size == 2 ? 0xdead000000000000ull : 0);
        if (c[k].size == 2 && !c[k].store)
            g.h.v->regs.gpr[X86VCPU_RAX] = 0xdeadbeefcafebabeull;
        assert_int_equal(VIOL(&g.h, MMIO, c[k].store ? QW : QR), X86VCPU_OK);
        if (c[k].store) {
            uint64_t m = c[k].size == 8 ? ~0ull : (1ull << (8 * c[k].size)) - 1;
            uint64_t rax = g.h.v->regs.gpr[X86VCPU_RAX], sw = 0;
            for (unsigned i = 0; i < c[k].size; i++)
                sw |= ((rax >> (8 * i)) & 0xff) << (8 * (c[k].size - 1 - i));
            expect_mmio(&g, MMIO, c[k].size, 1, sw & m);
            assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0), X86VCPU_OK);
        } else {
            expect_mmio(&g, MMIO, c[k].size, 0, 0);
            assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0x1122334455667788ull), X86VCPU_OK);
            assert_int_equal(g.h.v->regs.gpr[X86VCPU_RAX],
                             c[k].size == 2 ? 0xdeadbeefcafe8877ull
                             : c[k].size == 4 ? 0x0000000088776655ull : 0x8877665544332211ull);
        }
        expect_done(&g, c[k].len);
        mf_stop(&g);
    }
}

/* BSF from MMIO: the index, ZF = 0; a 0 leaves the register and sets ZF.
 * F3 0F BC is TZCNT where the CPU has BMI1 (CPUID.(7,0):EBX[3]): 32 for
 * a 0 and CF; without it BSF (the prefix ignored). */
static void test_bitscan(void **state)
{
    (void)state;
    static const uint8_t bsf[] = { 0x0f, 0xbc, 0x03 };         /* bsf eax, [rbx] */
    static const uint8_t tzcnt[] = { 0xf3, 0x0f, 0xbc, 0x03 };  /* tzcnt eax, [rbx] */
    static const uint8_t popcnt[] = { 0xf3, 0x48, 0x0f, 0xb8, 0x03 };   /* popcnt rax, [rbx] */
    struct mf g;
    for (int zero = 0; zero < 2; zero++) {
        mf_start(&g, bsf, sizeof bsf);
        g.h.v->regs.gpr[X86VCPU_RAX] = 0x5555555555555555ull;
        mock_set_vmcs(F(GUEST_RFLAGS), zero ? 0x2 : 0x2 | ZF);
        assert_int_equal(VIOL(&g.h, MMIO, QR), X86VCPU_OK);
        expect_mmio(&g, MMIO, 4, 0, 0);
        assert_int_equal(x86vcpu_complete_mmio(g.h.v, zero ? 0 : 0x100), X86VCPU_OK);
        assert_int_equal(g.h.v->regs.gpr[X86VCPU_RAX], zero ? 0x5555555555555555ull : 8);
        assert_int_equal(!!(mock_vmcs(F(GUEST_RFLAGS)) & ZF), zero);
        expect_done(&g, sizeof bsf);
        mf_stop(&g);
    }
    for (int bmi1 = 0; bmi1 < 2; bmi1++) {
        mf_start(&g, tzcnt, sizeof tzcnt);
        if (bmi1)
            mock_set_cpuid(7, 0, 0, 0, 1u << 3, 0, 0);
        g.h.v->regs.gpr[X86VCPU_RAX] = 0x77;
        assert_int_equal(VIOL(&g.h, MMIO, QR), X86VCPU_OK);
        assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0), X86VCPU_OK);
        assert_int_equal(g.h.v->regs.gpr[X86VCPU_RAX], bmi1 ? 32 : 0x77);
        assert_int_equal(!!(mock_vmcs(F(GUEST_RFLAGS)) & 1), bmi1);         /* CF */
        expect_done(&g, sizeof tzcnt);
        mf_stop(&g);
    }
    mf_start(&g, popcnt, sizeof popcnt);
    mock_set_vmcs(F(GUEST_RFLAGS), 0x8d7);
    assert_int_equal(VIOL(&g.h, MMIO, QR), X86VCPU_OK);
    expect_mmio(&g, MMIO, 8, 0, 0);
    assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0xf0f0000000000001ull), X86VCPU_OK);
    assert_int_equal(g.h.v->regs.gpr[X86VCPU_RAX], 9);
    assert_int_equal(mock_vmcs(F(GUEST_RFLAGS)) & 0x8d5, 0);
    expect_done(&g, sizeof popcnt);
    mf_stop(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sse_load16),
        cmocka_unit_test(test_sse_store16),
        cmocka_unit_test(test_sse_scalar),
        cmocka_unit_test(test_sse_alignment_and_page_end),
        cmocka_unit_test(test_cmpxchg16b),
        cmocka_unit_test(test_cmpxchg8b_long),
        cmocka_unit_test(test_movbe),
        cmocka_unit_test(test_bitscan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
