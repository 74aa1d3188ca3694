/* Issue 11, the mutation audit: tests for fixes whose undoing (a mutant)
 * no other test noticed. Each names the mutant it kills.
 *
 * The machine of the guest-memory tests: a 64-bit guest with 4-level
 * paging, its tables and RAM in separate HAL frames behind the library's
 * EPT:
 *   gpa 0x200000 PML4, 0x201000 PDPT, 0x202000 PD, 0x203000 PT
 *   gpa 0x400000 code, 0x401000 data, 0x402000 read-only data (EPT R),
 *   gpa 0x404000 data2; MMIO at gpa 0x10000-0x10fff
 *   linear 0x0000 -> code, 0x1000 -> data, 0x2000 -> read-only data,
 *   0x3000 -> data2, 0x4000 -> data again (4 KiB pages, PT[0..4]);
 *   linear 0x200000 -> gpa 0 (2 MiB page, PD[1]: the MMIO page at 0x210000).
 * Paging entries start with A and D clear. The HAL is the mock's, with a
 * hook in phys_to_virt that can play another CPU changing a paging entry. */
#include "host.h"

#define MMIO     0x10000u
#define MMIO_LIN 0x210000u
#define PTE_A    0x20u
#define PTE_D    0x40u

enum { PML4, PDPT, PD, PT, CODE, DATA, RODATA, DATA2, NFRAMES };
static const uint64_t frame_gpa[NFRAMES] = { 0x200000, 0x201000, 0x202000, 0x203000,
                                             0x400000, 0x401000, 0x402000, 0x404000 };

struct pg {
    struct host h;
    struct x86vcpu_hal hal;
    struct x86vcpu_ept *ept;
    uint64_t pa[NFRAMES];
    uint8_t *ram[NFRAMES];
};

/* phys_to_virt hook: on the n-th translation of frame hook_pa (counting
 * from when it is armed), OR hook_bits into the 8-byte entry at hook_off
 * before the library gets the pointer, as another CPU would meanwhile. */
static uint64_t hook_pa, hook_bits;
static unsigned hook_off, hook_at, hook_calls;

static void *hooked_p2v(void *ctx, uint64_t pa)
{
    uint8_t *va = mock_hal.phys_to_virt(ctx, pa);
    if (hook_pa && (pa & ~0xfffull) == hook_pa && ++hook_calls == hook_at) {
        uint64_t *e = (uint64_t *)(void *)(va - (pa & 0xfff) + hook_off);
        *e |= hook_bits;
    }
    return va;
}

static uint64_t *entry(struct pg *g, int frame, unsigned i)
{
    return (uint64_t *)(void *)g->ram[frame] + i;
}

/* tables_perms: the EPT rights of the four paging-structure frames. */
static void pg_start(struct pg *g, uint32_t tables_perms)
{
    mock_reset();
    memset(g, 0, sizeof *g);
    hook_pa = 0;
    g->hal = mock_hal;
    g->hal.phys_to_virt = hooked_p2v;
    struct host *h = &g->h;
    assert_int_equal(x86vcpu_cpu_enable(&h->cpu, &g->hal), X86VCPU_OK);
    assert_int_equal(x86vcpu_vcpu_create(&h->cpu, &h->v), X86VCPU_OK);
    assert_int_equal(x86vcpu_ept_create(&h->cpu, 0, &g->ept), X86VCPU_OK);
    for (int i = 0; i < NFRAMES; i++) {
        g->pa[i] = mock_hal.alloc_frame(mock_hal.ctx);
        g->ram[i] = mock_hal.phys_to_virt(mock_hal.ctx, g->pa[i]);
        uint32_t perms = i <= PT ? tables_perms : i == RODATA ? X86VCPU_EPT_R : X86VCPU_EPT_RWX;
        assert_int_equal(x86vcpu_ept_map(g->ept, frame_gpa[i], g->pa[i], 4096, perms,
                                         X86VCPU_MT_WB), X86VCPU_OK);
    }
    memset(g->ram[RODATA], 0x77, 4096);
    assert_int_equal(x86vcpu_ept_add_mmio(g->ept, MMIO, 0x1000), X86VCPU_OK);
    *entry(g, PML4, 0) = frame_gpa[PDPT] | 3;
    *entry(g, PDPT, 0) = frame_gpa[PD] | 3;
    *entry(g, PD, 0) = frame_gpa[PT] | 3;
    *entry(g, PD, 1) = 0x000000 | 0x83;         /* linear 0x200000: the MMIO page */
    *entry(g, PT, 0) = frame_gpa[CODE] | 3;
    *entry(g, PT, 1) = frame_gpa[DATA] | 3;
    *entry(g, PT, 2) = frame_gpa[RODATA] | 3;
    *entry(g, PT, 3) = frame_gpa[DATA2] | 3;
    *entry(g, PT, 4) = frame_gpa[DATA] | 3;
    h->setup.mode = X86VCPU_MODE_LONG64;
    h->setup.entry = 0;
    h->setup.rsp = 0x8000;
    h->setup.cr3 = frame_gpa[PML4];
    h->setup.ept = g->ept;
    h->setup.vpid = 1;
    host_bind(h);
}

static void pg_stop(struct pg *g)
{
    hook_pa = 0;
    host_stop_ept(&g->h, g->ept, g->pa, NFRAMES);
}

/* The CPU's EPT violation on the MMIO page (linear MMIO_LIN + off). */
static uint64_t viol_off;
static void set_viol(struct x86vcpu_regs *regs, unsigned n)
{
    (void)regs;
    (void)n;
    mock_set_vmcs(F(GUEST_PHYSICAL_ADDRESS), MMIO + viol_off);
    mock_set_vmcs(F(GUEST_LINEAR_ADDRESS), MMIO_LIN + viol_off);
}

static int mmio_viol(struct pg *g, uint64_t off, uint64_t qual)
{
    viol_off = off;
    return RUN_STEPS(&g->h, { X86VCPU_EXIT_REASON_EPT_VIOLATION, qual, 0, set_viol });
}

/* mov eax, [0x210000] (ModRM 04, SIB 25: absolute disp32) at linear 0. */
static void code_load(struct pg *g)
{
    static const uint8_t c[] = { 0x8b, 0x04, 0x25, 0x00, 0x00, 0x21, 0x00 };
    memcpy(g->ram[CODE], c, sizeof c);
    mock_set_vmcs(F(GUEST_RIP), 0);
}

/* ------------------------------------------------ gmem.c: guest-physical */

/* Mutants gpa_copy "one host pointer for the whole access" (chunk not
 * clamped to the page), "no check of every page before the first store"
 * and "a write needs only EPT R": x86vcpu__gpa_read/_write keep their
 * contract on their own, whatever their callers already checked. */
static void test_gpa_copy_page_by_page(void **state)
{
    (void)state;
    struct pg g;
    struct x86vcpu__gfault f;
    pg_start(&g, X86VCPU_EPT_RWX);
    struct x86vcpu_vcpu *v = g.h.v;
    /* Across gpa 0x401000: two frames, each through its own mapping. */
    static const uint8_t four[4] = { 1, 2, 3, 4 };
    memset(&f, 0, sizeof f);
    assert_int_equal(x86vcpu__gpa_write(v, 0x400ffe, four, 4, &f), 0);
    assert_int_equal(g.ram[CODE][0xffe], 1);
    assert_int_equal(g.ram[CODE][0xfff], 2);
    assert_int_equal(g.ram[DATA][0], 3);
    assert_int_equal(g.ram[DATA][1], 4);
    uint8_t b[4] = { 0 };
    g.ram[DATA][0] = 0x33;
    assert_int_equal(x86vcpu__gpa_read(v, 0x400ffe, b, 4, &f), 0);
    assert_int_equal(b[1], 2);
    assert_int_equal(b[2], 0x33);
    /* Into the read-only page: refused, nothing stored, the fault as the
     * CPU's write would have taken it. */
    memset(&f, 0, sizeof f);
    assert_int_equal(x86vcpu__gpa_write(v, 0x402010, four, 4, &f), -1);
    assert_int_equal(f.kind, GF_EPT);
    assert_int_equal(f.gpa, 0x402010);
    assert_int_equal(f.err, X86VCPU_EPT_W);
    assert_int_equal(f.perms, X86VCPU_EPT_R);
    assert_int_equal(g.ram[RODATA][0x10], 0x77);
    /* Its second page read-only: the first page is not written either. */
    memset(&f, 0, sizeof f);
    g.ram[DATA][0xffe] = g.ram[DATA][0xfff] = 0x55;
    assert_int_equal(x86vcpu__gpa_write(v, 0x401ffe, four, 4, &f), -1);
    assert_int_equal(f.gpa, 0x402000);
    assert_int_equal(g.ram[DATA][0xffe], 0x55);
    assert_int_equal(g.ram[DATA][0xfff], 0x55);
    assert_int_equal(g.ram[RODATA][0], 0x77);
    /* Reading it is fine. */
    assert_int_equal(x86vcpu__gpa_read(v, 0x401ffe, b, 4, &f), 0);
    assert_int_equal(b[2], 0x77);
    /* MMIO is not memory. */
    memset(&f, 0, sizeof f);
    assert_int_equal(x86vcpu__gpa_read(v, MMIO, b, 4, &f), -1);
    assert_int_equal(f.kind, GF_MMIO);
    pg_stop(&g);
}

/* ------------------------------------------------ gmem.c: A/D updates */

/* Mutant "the walker sets no A/D bits": the library's walks through the
 * guest's paging set A on every entry used and D on the leaf of a write
 * (SDM 4.8), as the CPU's own would. */
static void test_walk_sets_accessed_dirty(void **state)
{
    (void)state;
    struct pg g;
    pg_start(&g, X86VCPU_EPT_RWX);
    code_load(&g);
    assert_int_equal(mmio_viol(&g, 0, QUAL_R | QUAL_GLA | QUAL_FIN), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_MMIO);
    /* The fetch: A on the code path, no D. */
    assert_true(*entry(&g, PML4, 0) & PTE_A);
    assert_true(*entry(&g, PDPT, 0) & PTE_A);
    assert_true(*entry(&g, PD, 0) & PTE_A);
    assert_true(*entry(&g, PT, 0) & PTE_A);
    assert_int_equal(*entry(&g, PT, 0) & PTE_D, 0);
    assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0x1234), X86VCPU_OK);
    RUN_STEPS(&g.h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });   /* completes it */
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 7);
    /* MOVSD from the MMIO page to linear 0x1000 (gpa 0x401000): the
     * destination's leaf becomes dirty, the element lands there. */
    g.ram[CODE][0x10] = 0xa5;
    mock_set_vmcs(F(GUEST_RIP), 0x10);
    g.h.v->regs.gpr[X86VCPU_RSI] = MMIO_LIN;
    g.h.v->regs.gpr[X86VCPU_RDI] = 0x1000;
    assert_int_equal(mmio_viol(&g, 0, QUAL_R | QUAL_GLA | QUAL_FIN), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_MMIO);
    assert_true(*entry(&g, PT, 1) & PTE_D);
    assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0x11223344), X86VCPU_OK);
    assert_int_equal(g.ram[DATA][0], 0x44);
    assert_int_equal(g.ram[DATA][3], 0x11);
    pg_stop(&g);
}

/* Mutant "A/D written into a paging structure the EPT maps read-only":
 * the A-bit update is a write (SDM 29.3.3.2); without EPT write access it
 * is the embedder's EPT violation, and the table is not touched. */
static void test_walk_ad_respects_ept_write(void **state)
{
    (void)state;
    struct pg g;
    pg_start(&g, X86VCPU_EPT_R);
    code_load(&g);
    uint64_t pml4e = *entry(&g, PML4, 0);
    assert_int_equal(mmio_viol(&g, 0, QUAL_R | QUAL_GLA | QUAL_FIN), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_EPT_VIOLATION);
    assert_int_equal(*entry(&g, PML4, 0), pml4e);
    assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0), X86VCPU_ESTATE);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0);
    pg_stop(&g);
}

/* Mutant "plain store of 8-byte entries instead of a locked compare-
 * exchange": another CPU sets an ignored bit (9) of the PML4 entry between
 * the walk's read of it and its A-bit update. The update must not undo
 * that change: it fails, the walk starts again and then sets A on the
 * entry as it is now (SDM 4.8: the processor's update is locked). */
static void test_walk_ad_locked_cmpxchg(void **state)
{
    (void)state;
    struct pg g;
    pg_start(&g, X86VCPU_EPT_RWX);
    code_load(&g);
    /* PML4 frame: translation 1 is the walk's read, 2 its A update. */
    hook_pa = g.pa[PML4];
    hook_off = 0;
    hook_bits = 1u << 9;
    hook_at = 2;
    hook_calls = 0;
    assert_int_equal(mmio_viol(&g, 0, QUAL_R | QUAL_GLA | QUAL_FIN), X86VCPU_OK);
    assert_true(hook_calls >= 2);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_MMIO);
    assert_int_equal(*entry(&g, PML4, 0), frame_gpa[PDPT] | 3 | (1u << 9) | PTE_A);
    assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0x4321), X86VCPU_OK);
    assert_int_equal(g.h.v->regs.gpr[X86VCPU_RAX], 0x4321);
    pg_stop(&g);
}

/* ------------------------------------------------ gmem.c: linear pages */

/* Mutant "lin_write takes the second page as guest-physically contiguous
 * with the first": MOVSD from the MMIO page to linear 0x3ffe, whose pages
 * are data2 (gpa 0x404000) and data (gpa 0x401000): two bytes each, each
 * page through its own translation. */
static void test_movs_split_across_linear_pages(void **state)
{
    (void)state;
    struct pg g;
    pg_start(&g, X86VCPU_EPT_RWX);
    g.ram[CODE][0] = 0xa5;
    mock_set_vmcs(F(GUEST_RIP), 0);
    g.h.v->regs.gpr[X86VCPU_RSI] = MMIO_LIN;
    g.h.v->regs.gpr[X86VCPU_RDI] = 0x3ffe;
    assert_int_equal(mmio_viol(&g, 0, QUAL_R | QUAL_GLA | QUAL_FIN), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_MMIO);
    assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0xaabbccdd), X86VCPU_OK);
    assert_int_equal(g.ram[DATA2][0xffe], 0xdd);
    assert_int_equal(g.ram[DATA2][0xfff], 0xcc);
    assert_int_equal(g.ram[DATA][0], 0xbb);
    assert_int_equal(g.ram[DATA][1], 0xaa);
    assert_int_equal(g.h.v->regs.gpr[X86VCPU_RDI], 0x4002);
    assert_int_equal(x86vcpu_pending_events(g.h.v), 0);
    RUN_STEPS(&g.h, { X86VCPU_EXIT_REASON_PREEMPTION_TIMER, 0, 0, 0 });
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 1);
    pg_stop(&g);
}

/* ------------------------------------------------ strio.c: guest paging */

static int port_in(void *ctx, uint16_t port, uint32_t size, int in, uint32_t *val)
{
    struct port_log *l = ctx;
    assert_int_equal(port, 0x60);
    assert_int_equal(size, 1);
    assert_true(in);
    l->calls++;
    *val = l->next++;
    return 0;
}

static uint64_t ins_gla;
static void set_ins(struct x86vcpu_regs *regs, unsigned n)
{
    (void)regs;
    (void)n;
    mock_set_vmcs(F(EXIT_INSTR_INFO), 2u << 7);       /* 64-bit addresses */
    mock_set_vmcs(F(GUEST_LINEAR_ADDRESS), ins_gla);
}

/* Mutant "the string-I/O engine takes the linear address for the guest-
 * physical one": REP INSB to linear 0x1000 lands at gpa 0x401000 (the
 * guest's paging), not at gpa 0x1000 (which is not even RAM). */
static void test_string_io_through_paging(void **state)
{
    (void)state;
    struct pg g;
    struct port_log l = { 0, 0x40 };
    pg_start(&g, X86VCPU_EPT_RWX);
    g.ram[CODE][0x20] = 0xf3;
    g.ram[CODE][0x21] = 0x6c;
    mock_set_vmcs(F(GUEST_RIP), 0x20);
    g.h.v->regs.gpr[X86VCPU_RDI] = 0x1000;
    g.h.v->regs.gpr[X86VCPU_RCX] = 4;
    ins_gla = 0x1000;
    assert_int_equal(RUN_STEPS(&g.h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION,
                                       QUAL_IO(0x60, 1, 1, 1, 1), 2, set_ins }), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_IO);
    assert_int_equal(x86vcpu_string_io(g.h.v, &g.h.e, port_in, &l), X86VCPU_OK);
    assert_int_equal(l.calls, 4);
    assert_int_equal(g.ram[DATA][0], 0x40);
    assert_int_equal(g.ram[DATA][3], 0x43);
    assert_int_equal(g.h.v->regs.gpr[X86VCPU_RDI], 0x1004);
    assert_int_equal(g.h.v->regs.gpr[X86VCPU_RCX], 0);
    assert_true(*entry(&g, PT, 1) & PTE_D);
    pg_stop(&g);
}

/* Mutant "a string-I/O element across a page boundary: its second page not
 * checked before the port is read": INSW at linear 0x1fff, whose second
 * byte is in the read-only page. The port must not be read (an element
 * the guest never gets); the write's EPT violation goes to the embedder. */
static int port_in_any(void *ctx, uint16_t port, uint32_t size, int in, uint32_t *val)
{
    struct port_log *l = ctx;
    (void)port, (void)size, (void)in;
    l->calls++;
    *val = l->next++;
    return 0;
}

static void test_string_io_split_element_checked_first(void **state)
{
    (void)state;
    struct pg g;
    struct port_log l = { 0, 0x4140 };
    pg_start(&g, X86VCPU_EPT_RWX);
    g.ram[CODE][0x20] = 0x66;                   /* insw */
    g.ram[CODE][0x21] = 0x6d;
    mock_set_vmcs(F(GUEST_RIP), 0x20);
    g.h.v->regs.gpr[X86VCPU_RDI] = 0x1fff;
    ins_gla = 0x1fff;
    assert_int_equal(RUN_STEPS(&g.h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION,
                                       QUAL_IO(0x60, 2, 1, 1, 0), 2, set_ins }), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_IO);
    assert_int_equal(x86vcpu_string_io(g.h.v, &g.h.e, port_in_any, &l), 1);
    assert_int_equal(l.calls, 0);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_EPT_VIOLATION);
    assert_int_equal(g.h.e.u.ept.gpa, 0x402000);
    assert_int_equal(g.h.e.u.ept.access, X86VCPU_EPT_W);
    assert_int_equal(g.ram[DATA][0xfff], 0);
    assert_int_equal(g.h.v->regs.gpr[X86VCPU_RDI], 0x1fff);
    /* Across two writable pages the element is split and goes through. */
    mock_set_vmcs(F(GUEST_RIP), 0x20);
    g.h.v->regs.gpr[X86VCPU_RDI] = 0x3fff;
    ins_gla = 0x3fff;
    assert_int_equal(RUN_STEPS(&g.h, { X86VCPU_EXIT_REASON_IO_INSTRUCTION,
                                       QUAL_IO(0x60, 2, 1, 1, 0), 2, set_ins }), X86VCPU_OK);
    assert_int_equal(x86vcpu_string_io(g.h.v, &g.h.e, port_in_any, &l), X86VCPU_OK);
    assert_int_equal(l.calls, 1);
    assert_int_equal(g.ram[DATA2][0xfff], 0x40);
    assert_int_equal(g.ram[DATA][0], 0x41);
    assert_int_equal(g.h.v->regs.gpr[X86VCPU_RDI], 0x4001);
    pg_stop(&g);
}

/* ------------------------------------------------ the flat 32-bit machine
 * Protected mode without paging (linear = guest-physical): gpa 0x1000
 * code, 0x2000 data, 0x11000 RAM right after the MMIO page, 0xfffff000
 * and 0 (the top and the bottom of the 4 GiB space); MMIO at 0x10000. */
enum { F_CODE, F_DATA, F_AFTER, F_TOP, F_ZERO, F_NFRAMES };
static const uint64_t flat_gpa[F_NFRAMES] = { 0x1000, 0x2000, 0x11000, 0xfffff000, 0 };

struct fm {
    struct host h;
    struct x86vcpu_ept *ept;
    uint64_t pa[F_NFRAMES];
    uint8_t *ram[F_NFRAMES];
};

static void fm_start(struct fm *g, const uint8_t *code, uint32_t len)
{
    mock_reset();
    memset(g, 0, sizeof *g);
    host_init(&g->h, X86VCPU_MODE_PROT32);
    assert_int_equal(x86vcpu_ept_create(&g->h.cpu, 0, &g->ept), X86VCPU_OK);
    for (int i = 0; i < F_NFRAMES; i++) {
        g->pa[i] = mock_hal.alloc_frame(mock_hal.ctx);
        g->ram[i] = mock_hal.phys_to_virt(mock_hal.ctx, g->pa[i]);
        memset(g->ram[i], 0x11, 4096);
        assert_int_equal(x86vcpu_ept_map(g->ept, flat_gpa[i], g->pa[i], 4096, X86VCPU_EPT_RWX,
                                         X86VCPU_MT_WB), X86VCPU_OK);
    }
    assert_int_equal(x86vcpu_ept_add_mmio(g->ept, MMIO, 0x1000), X86VCPU_OK);
    memcpy(g->ram[F_CODE], code, len);
    g->h.setup.ept = g->ept;
    g->h.setup.ept_root = 0;
    host_bind(&g->h);
    mock_set_vmcs(F(GUEST_RIP), 0x1000);
}

static void fm_stop(struct fm *g)
{
    host_stop_ept(&g->h, g->ept, g->pa, F_NFRAMES);
}

/* The CPU's EPT violation at gpa = linear address (no paging). */
static uint64_t flat_viol_gpa;
static void set_flat_viol(struct x86vcpu_regs *regs, unsigned n)
{
    (void)regs;
    (void)n;
    mock_set_vmcs(F(GUEST_PHYSICAL_ADDRESS), flat_viol_gpa);
    mock_set_vmcs(F(GUEST_LINEAR_ADDRESS), flat_viol_gpa);
}

static int flat_viol(struct fm *g, uint64_t gpa, uint64_t qual)
{
    flat_viol_gpa = gpa;
    return RUN_STEPS(&g->h, { X86VCPU_EXIT_REASON_EPT_VIOLATION, qual, 0, set_flat_viol });
}

static const uint8_t movsd[] = { 0xa5 };
#define INFO_VALID 0x80000000u
#define INFO_GP (INFO_VALID | (3u << 8) | (1u << 11) | 13)
#define INFO_SS (INFO_VALID | (3u << 8) | (1u << 11) | 12)

/* Mutant "an MMIO access that runs on into a page that is not MMIO is
 * emulated": mov eax, [0x10ffe] reads two bytes of the device and two of
 * RAM; one device access cannot do that: MMIO_UNSUPPORTED, RIP stays. */
static void test_mmio_access_running_into_ram(void **state)
{
    (void)state;
    static const uint8_t c[] = { 0x8b, 0x05, 0xfe, 0x0f, 0x01, 0x00 };
    struct fm g;
    fm_start(&g, c, sizeof c);
    assert_int_equal(flat_viol(&g, MMIO + 0xffe, QUAL_R | QUAL_GLA | QUAL_FIN), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_MMIO_UNSUPPORTED);
    assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0), X86VCPU_ESTATE);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
    fm_stop(&g);
}

/* Mutant "MMIO -> MMIO MOVS whose destination runs out of the MMIO page":
 * the same rule for the destination device access. */
static void test_movs_mmio_to_mmio_leaving_mmio(void **state)
{
    (void)state;
    struct fm g;
    fm_start(&g, movsd, sizeof movsd);
    g.h.v->regs.gpr[X86VCPU_RSI] = MMIO;
    g.h.v->regs.gpr[X86VCPU_RDI] = MMIO + 0xffe;
    assert_int_equal(flat_viol(&g, MMIO, QUAL_R | QUAL_GLA | QUAL_FIN), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_MMIO_UNSUPPORTED);
    assert_int_equal(g.ram[F_AFTER][0], 0x11);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
    fm_stop(&g);
}

/* Mutant "a RAM -> MMIO MOVS whose source turns out to be MMIO is raised
 * as an EPT violation": the write fault was the CPU's, the source is read
 * by the library, and MMIO is not something it reads: MMIO_UNSUPPORTED. */
static void test_movs_source_mmio_on_write_fault(void **state)
{
    (void)state;
    struct fm g;
    fm_start(&g, movsd, sizeof movsd);
    g.h.v->regs.gpr[X86VCPU_RSI] = MMIO + 0x100;
    g.h.v->regs.gpr[X86VCPU_RDI] = MMIO + 0x200;
    assert_int_equal(flat_viol(&g, MMIO + 0x200, QUAL_W | QUAL_GLA | QUAL_FIN), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_MMIO_UNSUPPORTED);
    assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
    fm_stop(&g);
}

/* Mutant "the MMIO fetch ignores CS.base": the instruction is at CS.base +
 * RIP (here 0x1000 + 0), not at linear RIP. */
static void test_mmio_fetch_through_cs_base(void **state)
{
    (void)state;
    static const uint8_t c[] = { 0x8b, 0x05, 0x00, 0x00, 0x01, 0x00 };  /* mov eax, [0x10000] */
    struct fm g;
    fm_start(&g, c, sizeof c);
    g.ram[F_ZERO][0] = 0xa4;                                            /* movsb at linear 0 */
    mock_set_vmcs(F(GUEST_CS_BASE), 0x1000);
    mock_set_vmcs(F(GUEST_RIP), 0);
    assert_int_equal(flat_viol(&g, MMIO, QUAL_R | QUAL_GLA | QUAL_FIN), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_MMIO);
    assert_int_equal(g.h.e.u.mmio.size, 4);
    assert_int_equal(g.h.e.u.mmio.write, 0);
    assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0xfeed), X86VCPU_OK);
    assert_int_equal(g.h.v->regs.gpr[X86VCPU_RAX], 0xfeed);
    fm_stop(&g);
}

/* Mutant "lin_read does not wrap at 4 GiB outside 64-bit mode": a MOVSD
 * source at DS:0xfffffffc with DS.base = 2 is within the limit, at linear
 * 0xfffffffe: two bytes at the top of the address space and two at 0 (SDM
 * Vol. 3A 3.3.7: 32-bit linear addresses wrap). */
static void test_movs_source_wraps_at_4g(void **state)
{
    (void)state;
    struct fm g;
    fm_start(&g, movsd, sizeof movsd);
    g.ram[F_TOP][0xffe] = 1;
    g.ram[F_TOP][0xfff] = 2;
    g.ram[F_ZERO][0] = 3;
    g.ram[F_ZERO][1] = 4;
    mock_set_vmcs(F(GUEST_DS_BASE), 2);
    g.h.v->regs.gpr[X86VCPU_RSI] = 0xfffffffc;
    g.h.v->regs.gpr[X86VCPU_RDI] = MMIO;
    assert_int_equal(flat_viol(&g, MMIO, QUAL_W | QUAL_GLA | QUAL_FIN), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_MMIO);
    assert_int_equal(g.h.e.u.mmio.write, 1);
    assert_int_equal(g.h.e.u.mmio.value, 0x04030201);
    assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0), X86VCPU_OK);
    assert_int_equal(g.h.v->regs.gpr[X86VCPU_RSI], 0);
    fm_stop(&g);
}

/* MOVSD from the MMIO page to ES:[0x2000 or edi] with ES as given: the
 * fault injected (0: none, the read exit instead). */
static uint32_t movs_to_es(uint32_t es_ar, uint32_t es_limit, uint32_t edi, uint32_t *written)
{
    struct fm g;
    fm_start(&g, movsd, sizeof movsd);
    mock_set_vmcs(F(GUEST_ES_AR), es_ar);
    mock_set_vmcs(F(GUEST_ES_LIMIT), es_limit);
    g.h.v->regs.gpr[X86VCPU_RSI] = MMIO;
    g.h.v->regs.gpr[X86VCPU_RDI] = edi;
    assert_int_equal(flat_viol(&g, MMIO, QUAL_R | QUAL_GLA | QUAL_FIN), X86VCPU_OK);
    uint32_t fault = 0;
    if (g.h.e.kind == X86VCPU_EXIT_MMIO) {
        assert_int_equal(x86vcpu_complete_mmio(g.h.v, 0xa1b2c3d4), X86VCPU_OK);
    } else {
        assert_int_equal(g.h.e.kind, X86VCPU_EXIT_TIME_SLICE);
        fault = mock.entry_intr_info;
        assert_int_equal(mock.entry_errcode, 0);
        assert_int_equal(mock_vmcs(F(GUEST_RIP)), 0x1000);
    }
    memcpy(written, &g.ram[F_DATA][edi & 0xfff], 4);
    fm_stop(&g);
    return fault;
}

/* Mutants of the segment rules for string operands (gmem.c seg_lin, SDM
 * Vol. 3A 5.3, 5.4.1): expand-down limits, a write to a read-only data
 * segment, an unusable (null) segment, #SS(0) for SS-relative operands. */
static void test_string_operand_segment_rules(void **state)
{
    (void)state;
    const uint32_t data_rw = AR_TYPE_DATA_RW_A | AR_S | AR_P | AR_DB | AR_G;
    uint32_t w;
    /* Expand-down (type 7), limit 0x2fff: offsets 0x3000.. are the valid ones. */
    const uint32_t down = (data_rw & ~0xfu) | 0x7;
    assert_int_equal(movs_to_es(down, 0x2fff, 0x2ffc, &w), INFO_GP);
    assert_int_equal(w, 0x11111111);
    assert_int_equal(movs_to_es(down, 0x1fff, 0x2000, &w), 0);
    assert_int_equal(w, 0xa1b2c3d4);
    /* Read-only data (type 1): no write. */
    assert_int_equal(movs_to_es((data_rw & ~0xfu) | 0x1, 0xffffffff, 0x2000, &w), INFO_GP);
    assert_int_equal(w, 0x11111111);
    /* Unusable ES (its other rights would allow the write). */
    assert_int_equal(movs_to_es(AR_UNUSABLE | data_rw, 0xffffffff, 0x2000, &w), INFO_GP);
    assert_int_equal(w, 0x11111111);
    /* The baseline: a flat ES takes it. */
    assert_int_equal(movs_to_es(data_rw, 0xffffffff, 0x2000, &w), 0);
    assert_int_equal(w, 0xa1b2c3d4);

    /* ss: movsd, RAM -> MMIO, the source past SS's limit: #SS(0). */
    static const uint8_t ss_movsd[] = { 0x36, 0xa5 };
    struct fm g;
    fm_start(&g, ss_movsd, sizeof ss_movsd);
    mock_set_vmcs(F(GUEST_SS_LIMIT), 0x1fff);
    g.h.v->regs.gpr[X86VCPU_RSI] = 0x2000;
    g.h.v->regs.gpr[X86VCPU_RDI] = MMIO;
    assert_int_equal(flat_viol(&g, MMIO, QUAL_W | QUAL_GLA | QUAL_FIN), X86VCPU_OK);
    assert_int_equal(g.h.e.kind, X86VCPU_EXIT_TIME_SLICE);
    assert_int_equal(mock.entry_intr_info, INFO_SS);
    assert_int_equal(mock.entry_errcode, 0);
    fm_stop(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpa_copy_page_by_page),
        cmocka_unit_test(test_walk_sets_accessed_dirty),
        cmocka_unit_test(test_walk_ad_respects_ept_write),
        cmocka_unit_test(test_walk_ad_locked_cmpxchg),
        cmocka_unit_test(test_movs_split_across_linear_pages),
        cmocka_unit_test(test_string_io_through_paging),
        cmocka_unit_test(test_string_io_split_element_checked_first),
        cmocka_unit_test(test_mmio_access_running_into_ram),
        cmocka_unit_test(test_movs_mmio_to_mmio_leaving_mmio),
        cmocka_unit_test(test_movs_source_mmio_on_write_fault),
        cmocka_unit_test(test_mmio_fetch_through_cs_base),
        cmocka_unit_test(test_movs_source_wraps_at_4g),
        cmocka_unit_test(test_string_operand_segment_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
