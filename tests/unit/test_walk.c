/* Guest page-table walker: hand-made page tables in a 64 KiB "guest memory"
 * (gpa = offset), expected results and error codes taken from SDM Vol. 3A
 * chapter 4 (4.3-4.5 formats, 4.6 access rights, 4.7 error code, 4.8 A/D). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include "lib/arch.h"
#include "lib/walk.h"

#define MEMSZ 0x10000u

/* Entry flags (SDM 4.3-4.5). */
#define P   BIT(0)
#define RW  BIT(1)
#define US  BIT(2)
#define A   BIT(5)
#define D   BIT(6)
#define PS  BIT(7)
#define XD  BIT(63)
#define AC  BIT(18)

/* Error code bits (SDM 4.7), spelled out so the tests do not lean on the
 * header's macros. */
#define EC_P    0x01u
#define EC_WR   0x02u
#define EC_US   0x04u
#define EC_RSVD 0x08u
#define EC_ID   0x10u

#define R X86VCPU_ACC_READ
#define W X86VCPU_ACC_WRITE
#define F X86VCPU_ACC_FETCH

static struct {
    uint8_t buf[MEMSZ];
    unsigned reads, writes;
    int fail_writes;
} g;

static int gm_read(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
    (void)ctx;
    assert_true(len == 4 || len == 8);
    g.reads++;
    if (gpa >= MEMSZ || MEMSZ - gpa < len)
        return -1;
    memcpy(buf, g.buf + gpa, len);
    return 0;
}

static int gm_write(void *ctx, uint64_t gpa, const void *buf, uint32_t len)
{
    (void)ctx;
    assert_true(len == 4 || len == 8);
    g.writes++;
    if (g.fail_writes || gpa >= MEMSZ || MEMSZ - gpa < len)
        return -1;
    memcpy(g.buf + gpa, buf, len);
    return 0;
}

static const struct x86vcpu_gmem gmem = { NULL, gm_read, gm_write, NULL };
static const struct x86vcpu_gmem gmem_ro = { NULL, gm_read, NULL, NULL };

static int reset(void **state)
{
    (void)state;
    memset(&g, 0, sizeof g);
    return 0;
}

static void put64(uint64_t gpa, uint64_t v) { memcpy(g.buf + gpa, &v, 8); }
static void put32(uint64_t gpa, uint32_t v) { memcpy(g.buf + gpa, &v, 4); }
static uint64_t get64(uint64_t gpa) { uint64_t v; memcpy(&v, g.buf + gpa, 8); return v; }
static uint32_t get32(uint64_t gpa) { uint32_t v; memcpy(&v, g.buf + gpa, 4); return v; }
static void set64(uint64_t gpa, uint64_t bits) { put64(gpa, get64(gpa) | bits); }
static void clr64(uint64_t gpa, uint64_t bits) { put64(gpa, get64(gpa) & ~bits); }

/* --- 4-level / 5-level fixture ------------------------------------------
 * Level 5 = PML5, 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT; one table per level. */
static uint64_t tbl(int lvl) { return 0x1000u * (uint64_t)(6 - lvl); }
static uint64_t ent(int lvl, uint64_t gva)
{
    return tbl(lvl) + ((gva >> (12 + 9 * (lvl - 1))) & 511) * 8;
}
/* Map gva from level `top` down to `leaf` (1: 4 KiB, 2: 2 MiB, 3: 1 GiB),
 * the same flags in every entry. */
static void map64(int top, int leaf, uint64_t gva, uint64_t frame, uint64_t flags)
{
    for (int lvl = top; lvl >= leaf; lvl--) {
        uint64_t target = lvl == leaf ? frame | (leaf > 1 ? PS : 0) : tbl(lvl - 1);
        put64(ent(lvl, gva), target | flags);
    }
}

static struct x86vcpu_walk_ctx ctx_long(int levels)
{
    struct x86vcpu_walk_ctx c = {
        .cr0 = CR0_PE | CR0_PG | CR0_WP,
        .cr3 = tbl(levels),
        .cr4 = CR4_PAE | (levels == 5 ? CR4_LA57 : 0),
        .efer = EFER_LME | EFER_LMA | EFER_NXE,
        .cpl = 0,
        .maxphyaddr = 46,
    };
    return c;
}

/* --- PAE fixture: PDPT at 0x1020 (32-byte aligned, CR3[31:5]), PD 0x4000,
 * PT 0x5000. */
#define PAE_PDPT 0x1020u
static uint64_t pae_ent(int lvl, uint64_t gva)
{
    if (lvl == 3)
        return PAE_PDPT + ((gva >> 30) & 3) * 8;
    return tbl(lvl) + ((gva >> (12 + 9 * (lvl - 1))) & 511) * 8;
}
static void map_pae(int leaf, uint64_t gva, uint64_t frame, uint64_t flags)
{
    put64(pae_ent(3, gva), tbl(2) | P);     /* PDPTEs have only P, PWT, PCD */
    for (int lvl = 2; lvl >= leaf; lvl--) {
        uint64_t target = lvl == leaf ? frame | (leaf > 1 ? PS : 0) : tbl(lvl - 1);
        put64(pae_ent(lvl, gva), target | flags);
    }
}
static struct x86vcpu_walk_ctx ctx_pae(void)
{
    struct x86vcpu_walk_ctx c = {
        .cr0 = CR0_PE | CR0_PG | CR0_WP,
        .cr3 = PAE_PDPT,
        .cr4 = CR4_PAE,
        .efer = EFER_NXE,
        .maxphyaddr = 36,
    };
    return c;
}

/* --- 32-bit fixture: PD 0x2000, PT 0x5000, 4-byte entries. */
#define PD32 0x2000u
#define PT32 0x5000u
static uint64_t pde32(uint32_t gva) { return PD32 + ((gva >> 22) & 0x3ff) * 4; }
static uint64_t pte32(uint32_t gva) { return PT32 + ((gva >> 12) & 0x3ff) * 4; }
static struct x86vcpu_walk_ctx ctx_32(void)
{
    struct x86vcpu_walk_ctx c = {
        .cr0 = CR0_PE | CR0_PG | CR0_WP,
        .cr3 = PD32,
        .maxphyaddr = 40,
    };
    return c;
}

static int walk(const struct x86vcpu_walk_ctx *c, uint64_t gva, int access,
                struct x86vcpu_walk_result *r)
{
    return x86vcpu__walk(c, &gmem, gva, access, r);
}

/* Expect a #PF with this error code. */
static void expect_pf(const struct x86vcpu_walk_ctx *c, uint64_t gva, int access, uint32_t ec)
{
    struct x86vcpu_walk_result r;
    assert_int_equal(walk(c, gva, access, &r), X86VCPU_WALK_PAGE_FAULT);
    assert_int_equal(r.pf_errcode, ec);
}

static void expect_ok(const struct x86vcpu_walk_ctx *c, uint64_t gva, int access, uint64_t gpa)
{
    struct x86vcpu_walk_result r;
    assert_int_equal(walk(c, gva, access, &r), X86VCPU_WALK_OK);
    assert_int_equal(r.gpa, gpa);
    assert_int_equal(r.pf_errcode, 0);
}

static const uint64_t GVA = 0x00007f80406d3abcull;   /* 4-level, all indexes distinct */
static const uint64_t GVA5 = 0x00abcd80406d3abcull;  /* needs 5-level (bit 47..55 used) */

/* ------------------------------------------------------------------------ */

static void test_no_paging(void **state)
{
    (void)state;
    struct x86vcpu_walk_ctx c = { .cr0 = CR0_PE, .maxphyaddr = 36 };
    struct x86vcpu_walk_result r;
    /* 4.1.1: no paging, linear = physical, 32-bit outside IA-32e mode. */
    assert_int_equal(walk(&c, 0x123456789ull, W, &r), X86VCPU_WALK_OK);
    assert_int_equal(r.gpa, 0x23456789u);
    assert_int_equal(r.level, 0);
    assert_int_equal(g.reads, 0);
    assert_int_equal(g.writes, 0);
    assert_int_equal(walk(&c, 0xfffff000u, F, &r), X86VCPU_WALK_OK);
    assert_int_equal(r.gpa, 0xfffff000u);
}

static void test_32bit_4k(void **state)
{
    (void)state;
    struct x86vcpu_walk_ctx c = ctx_32();
    struct x86vcpu_walk_result r;
    const uint32_t gva = 0xc0403abcu;
    put32(pde32(gva), PT32 | P | RW | US);
    put32(pte32(gva), 0x00abc000u | P | RW | US);
    assert_int_equal(walk(&c, gva, R, &r), X86VCPU_WALK_OK);
    assert_int_equal(r.gpa, 0x00abcabcu);
    assert_int_equal(r.page_size, 4096);
    assert_int_equal(r.level, 2);
    /* Linear addresses are 32 bits: upper gva bits do not matter. */
    expect_ok(&c, 0xdead0000c0403abcull, R, 0x00abcabcu);
    /* Another offset in the same page; neighbour page not mapped. */
    expect_ok(&c, gva + 0x100, F, 0x00abcbbcu);
    expect_pf(&c, gva + 0x1000, R, 0);
    /* PTE not present; PDE not present. */
    put32(pte32(gva), 0x00abc000u | RW | US);
    expect_pf(&c, gva, W, EC_WR);
    put32(pde32(gva), PT32 | RW | US);
    c.cpl = 3;
    expect_pf(&c, gva, W, EC_WR | EC_US);
    assert_int_equal(walk(&c, gva, R, &r), X86VCPU_WALK_PAGE_FAULT);
    assert_int_equal(r.level, 1);
}

static void test_32bit_4m(void **state)
{
    (void)state;
    struct x86vcpu_walk_ctx c = ctx_32();
    struct x86vcpu_walk_result r;
    const uint32_t gva = 0xc0723abcu;   /* 4 MiB offset 0x323abc */
    c.cr4 = CR4_PSE;
    /* PSE-36 with MAXPHYADDR 40: PDE bits 20:13 are physical bits 39:32
     * (Table 4-4). */
    put32(pde32(gva), 0x12c00000u | (0xabu << 13) | PS | P | RW);
    assert_int_equal(walk(&c, gva, W, &r), X86VCPU_WALK_OK);
    assert_int_equal(r.gpa, 0xab12f23abcull);
    assert_int_equal(r.page_size, 4u << 20);
    assert_int_equal(r.level, 1);
    assert_int_equal(get32(pde32(gva)) & (A | D), A | D);
    /* Bit 21 is reserved. */
    put32(pde32(gva), 0x12c00000u | BIT(21) | PS | P | RW);
    expect_pf(&c, gva, R, EC_P | EC_RSVD);
    /* MAXPHYADDR 36: only bits 16:13 are address bits, 21:17 reserved. */
    c.maxphyaddr = 36;
    put32(pde32(gva), 0x12c00000u | (0xfu << 13) | PS | P | RW);
    expect_ok(&c, gva, R, 0xf12f23abcull);
    put32(pde32(gva), 0x12c00000u | (0x1fu << 13) | PS | P | RW);
    expect_pf(&c, gva, W, EC_P | EC_RSVD | EC_WR);
    /* MAXPHYADDR 32 (no PSE-36 room): bits 21:13 reserved. */
    c.maxphyaddr = 32;
    put32(pde32(gva), 0x12c00000u | BIT(13) | PS | P | RW);
    expect_pf(&c, gva, R, EC_P | EC_RSVD);
    /* CR4.PSE = 0: PS is ignored, the PDE references a page table and its
     * bits 31:12 locate it (Table 4-5). */
    c.cr4 = 0;
    c.maxphyaddr = 40;
    put32(pde32(gva), PT32 | BIT(13) | PS | P | RW);
    put32(PT32 + BIT(13) + ((gva >> 12) & 0x3ff) * 4, 0x00777000u | P | RW);
    assert_int_equal(walk(&c, gva, R, &r), X86VCPU_WALK_OK);
    assert_int_equal(r.gpa, 0x00777abcu);
    assert_int_equal(r.page_size, 4096);
}

/* 32-bit paging has no execute-disable: I/D only with SMEP (4.7). */
static void test_32bit_id_flag(void **state)
{
    (void)state;
    struct x86vcpu_walk_ctx c = ctx_32();
    const uint32_t gva = 0x00401000u;
    c.efer = EFER_NXE;
    expect_pf(&c, gva, F, 0);
    c.cr4 = CR4_SMEP;
    expect_pf(&c, gva, F, EC_ID);
    c.cpl = 3;
    expect_pf(&c, gva, F, EC_ID | EC_US);
    /* SMEP in 32-bit paging: supervisor fetch from a user page. */
    c.cpl = 0;
    put32(pde32(gva), PT32 | P | RW | US);
    put32(pte32(gva), 0x9000u | P | RW | US);
    expect_pf(&c, gva, F, EC_P | EC_ID);
    expect_ok(&c, gva, R, 0x9000u);
}

static void test_pae_4k(void **state)
{
    (void)state;
    struct x86vcpu_walk_ctx c = ctx_pae();
    struct x86vcpu_walk_result r;
    const uint32_t gva = 0xc06d3abcu;
    map_pae(1, gva, 0x876543000ull, P | RW | US);   /* above 4 GiB, below 2^36 */
    assert_int_equal(walk(&c, gva, W, &r), X86VCPU_WALK_OK);
    assert_int_equal(r.gpa, 0x876543abcull);
    assert_int_equal(r.page_size, 4096);
    assert_int_equal(r.level, 3);
    /* A on PDE and PTE, D on PTE; the PDPTE has no A flag (Table 4-8). */
    assert_int_equal(get64(pae_ent(3, gva)), tbl(2) | P);
    assert_int_equal(get64(pae_ent(2, gva)), tbl(1) | P | RW | US | A);
    assert_int_equal(get64(pae_ent(1, gva)), 0x876543000ull | P | RW | US | A | D);
    /* Truncation to 32 bits. */
    expect_ok(&c, 0xffffffff00000000ull | gva, R, 0x876543abcull);
    /* Other PDPTEs are not present. */
    expect_pf(&c, gva & 0x3fffffffu, R, 0);
}

static void test_pae_2m(void **state)
{
    (void)state;
    struct x86vcpu_walk_ctx c = ctx_pae();
    struct x86vcpu_walk_result r;
    const uint32_t gva = 0xc06d3abcu;   /* 2 MiB offset 0x0d3abc */
    map_pae(2, gva, 0x7ae00000ull | BIT(12) /* PAT */, P | RW);
    assert_int_equal(walk(&c, gva, R, &r), X86VCPU_WALK_OK);
    assert_int_equal(r.gpa, 0x7aed3abcull);
    assert_int_equal(r.page_size, 2u << 20);
    assert_int_equal(r.level, 2);
    /* 2-MByte PDE: bits 20:13 reserved (Table 4-9). */
    set64(pae_ent(2, gva), BIT(13));
    expect_pf(&c, gva, R, EC_P | EC_RSVD);
    clr64(pae_ent(2, gva), BIT(13));
    set64(pae_ent(2, gva), BIT(20));
    expect_pf(&c, gva, F, EC_P | EC_RSVD | EC_ID);
}

/* PAE-specific reserved bits: PDPTE 2:1, 8:5, 63:M (Table 4-8); other
 * entries 62:M (Tables 4-9 to 4-11), where 4-level paging ignores 62:52. */
static void test_pae_reserved(void **state)
{
    (void)state;
    struct x86vcpu_walk_ctx c = ctx_pae();
    struct x86vcpu_walk_result r;
    const uint32_t gva = 0x806d3abcu;
    static const uint64_t pdpte_rsvd[] = { BIT(1), BIT(2), BIT(5), BIT(6), BIT(7), BIT(8),
                                           BIT(36), BIT(51), BIT(62), BIT(63) };
    for (size_t i = 0; i < sizeof pdpte_rsvd / sizeof *pdpte_rsvd; i++) {
        reset(NULL);
        map_pae(1, gva, 0x5000000ull, P | RW);
        set64(pae_ent(3, gva), pdpte_rsvd[i]);
        assert_int_equal(walk(&c, gva, W, &r), X86VCPU_WALK_PAGE_FAULT);
        assert_int_equal(r.pf_errcode, EC_P | EC_RSVD | EC_WR);
        assert_int_equal(r.level, 1);
        assert_int_equal(g.writes, 0);
    }
    /* PWT/PCD and ignored bits 11:9 are fine; a not-present PDPTE's
     * reserved bits are not checked. */
    reset(NULL);
    map_pae(1, gva, 0x5000000ull, P | RW);
    set64(pae_ent(3, gva), BIT(3) | BIT(4) | BIT(9) | BIT(11));
    expect_ok(&c, gva, R, 0x5000abcull);
    put64(pae_ent(3, gva), tbl(2) | BIT(1) | BIT(63));
    expect_pf(&c, gva, R, 0);
    /* PTE bit 60 (62:M): reserved in PAE paging. */
    reset(NULL);
    map_pae(1, gva, 0x5000000ull, P | RW);
    set64(pae_ent(1, gva), BIT(60));
    expect_pf(&c, gva, R, EC_P | EC_RSVD);
    /* Address bit at MAXPHYADDR (36) in the PDE. */
    clr64(pae_ent(1, gva), BIT(60));
    set64(pae_ent(2, gva), BIT(36));
    expect_pf(&c, gva, R, EC_P | EC_RSVD);
    /* XD with NXE = 0 is reserved; with NXE = 1 it only forbids fetches. */
    clr64(pae_ent(2, gva), BIT(36));
    set64(pae_ent(1, gva), XD);
    expect_ok(&c, gva, R, 0x5000abcull);
    expect_pf(&c, gva, F, EC_P | EC_ID);
    c.efer = 0;
    expect_pf(&c, gva, R, EC_P | EC_RSVD);
    expect_pf(&c, gva, F, EC_P | EC_RSVD);   /* no I/D: NXE = 0, SMEP = 0 */
}

static void test_4level_pages(void **state)
{
    (void)state;
    struct x86vcpu_walk_ctx c = ctx_long(4);
    struct x86vcpu_walk_result r;
    /* 4 KiB */
    map64(4, 1, GVA, 0x123456789000ull, P | RW | US);
    assert_int_equal(walk(&c, GVA, R, &r), X86VCPU_WALK_OK);
    assert_int_equal(r.gpa, 0x123456789abcull);
    assert_int_equal(r.page_size, 4096);
    assert_int_equal(r.level, 4);
    /* 2 MiB, PAT bit 12 set (not an address bit) */
    reset(NULL);
    map64(4, 2, GVA, 0x345678e00000ull | BIT(12), P | RW | US);
    assert_int_equal(walk(&c, GVA, R, &r), X86VCPU_WALK_OK);
    assert_int_equal(r.gpa, 0x345678ed3abcull);
    assert_int_equal(r.page_size, 2u << 20);
    assert_int_equal(r.level, 3);
    /* 1 GiB */
    reset(NULL);
    map64(4, 3, GVA, 0x3fffc0000000ull | BIT(12), P | RW | US);
    assert_int_equal(walk(&c, GVA, W, &r), X86VCPU_WALK_OK);
    assert_int_equal(r.gpa, 0x3fffc06d3abcull);
    assert_int_equal(r.page_size, 1u << 30);
    assert_int_equal(r.level, 2);
    /* Upper half, canonical: PML4 index 256. */
    reset(NULL);
    map64(4, 1, 0xffff800000001234ull, 0x7000ull, P | RW);
    expect_ok(&c, 0xffff800000001234ull, R, 0x7234ull);
    /* Bits 62:52 are ignored in 4-level paging (unlike PAE). */
    set64(ent(1, 0xffff800000001234ull), BIT(52) | BIT(60) | BIT(62));
    set64(ent(4, 0xffff800000001234ull), BIT(58));
    expect_ok(&c, 0xffff800000001234ull, R, 0x7234ull);
}

static void test_5level(void **state)
{
    (void)state;
    struct x86vcpu_walk_ctx c = ctx_long(5);
    struct x86vcpu_walk_result r;
    map64(5, 1, GVA5, 0xabc000ull, P | RW | US);
    assert_int_equal(walk(&c, GVA5, W, &r), X86VCPU_WALK_OK);
    assert_int_equal(r.gpa, 0xabcabcull);
    assert_int_equal(r.page_size, 4096);
    assert_int_equal(r.level, 5);
    for (int lvl = 5; lvl >= 1; lvl--)
        assert_int_equal(get64(ent(lvl, GVA5)) & A, A);
    assert_int_equal(get64(ent(1, GVA5)) & D, D);
    /* 1 GiB and 2 MiB under 5-level paging. */
    reset(NULL);
    map64(5, 3, GVA5, 0x40000000ull, P | RW);
    assert_int_equal(walk(&c, GVA5, R, &r), X86VCPU_WALK_OK);
    assert_int_equal(r.gpa, 0x406d3abcull);
    assert_int_equal(r.level, 3);
    reset(NULL);
    map64(5, 2, GVA5, 0x40000000ull, P | RW);
    assert_int_equal(walk(&c, GVA5, R, &r), X86VCPU_WALK_OK);
    assert_int_equal(r.gpa, 0x400d3abcull);
    assert_int_equal(r.level, 4);
    /* PML5E bit 7 is reserved. */
    set64(ent(5, GVA5), PS);
    expect_pf(&c, GVA5, R, EC_P | EC_RSVD);
    /* The same gva is not canonical under 4-level paging. */
    c = ctx_long(4);
    assert_int_equal(walk(&c, GVA5, R, &r), X86VCPU_WALK_NONCANONICAL);
}

/* Not-present entry at every level: P = 0 in the error code, W/R, U/S, I/D
 * describe the access (4.7). */
static void test_not_present_every_level(void **state)
{
    (void)state;
    static const int accesses[] = { R, W, F };
    for (int levels = 4; levels <= 5; levels++) {
        uint64_t gva = levels == 5 ? GVA5 : GVA;
        for (int lvl = levels; lvl >= 1; lvl--) {
            for (size_t a = 0; a < 3; a++) {
                for (uint32_t cpl = 0; cpl <= 3; cpl += 3) {
                    struct x86vcpu_walk_ctx c = ctx_long(levels);
                    struct x86vcpu_walk_result r;
                    c.cpl = cpl;
                    reset(NULL);
                    map64(levels, 1, gva, 0x8000ull, P | RW | US);
                    /* Not-present: the other bits (even reserved ones) are ignored. */
                    put64(ent(lvl, gva), (get64(ent(lvl, gva)) & ~P) | BIT(51) | PS);
                    uint32_t ec = (accesses[a] == W ? EC_WR : 0) | (cpl == 3 ? EC_US : 0) |
                                  (accesses[a] == F ? EC_ID : 0);   /* NXE = 1 */
                    assert_int_equal(walk(&c, gva, accesses[a], &r), X86VCPU_WALK_PAGE_FAULT);
                    assert_int_equal(r.pf_errcode, ec);
                    assert_int_equal(r.level, levels - lvl + 1);
                    assert_int_equal(g.writes, 0);
                }
            }
        }
    }
    /* PAE: PDPTE, PDE, PTE. */
    for (int lvl = 3; lvl >= 1; lvl--) {
        struct x86vcpu_walk_ctx c = ctx_pae();
        reset(NULL);
        map_pae(1, 0x806d3abcu, 0x8000ull, P | RW | US);
        clr64(pae_ent(lvl, 0x806d3abcu), P);
        expect_pf(&c, 0x806d3abcu, F, EC_ID);
        c.efer = 0;
        expect_pf(&c, 0x806d3abcu, F, 0);
    }
}

/* Supervisor writes to read-only pages depend on CR0.WP; user writes never
 * succeed (4.6). R/W = 0 at any level makes the page read-only. */
static void test_write_protect(void **state)
{
    (void)state;
    for (int lvl = 4; lvl >= 1; lvl--) {
        struct x86vcpu_walk_ctx c = ctx_long(4);
        struct x86vcpu_walk_result r;
        reset(NULL);
        map64(4, 1, GVA, 0x8000ull, P | RW | US);
        clr64(ent(lvl, GVA), RW);
        expect_ok(&c, GVA, R, 0x8abcull);
        expect_pf(&c, GVA, W, EC_P | EC_WR);
        c.cpl = 3;
        expect_pf(&c, GVA, W, EC_P | EC_WR | EC_US);
        c.cr0 &= ~CR0_WP;
        expect_pf(&c, GVA, W, EC_P | EC_WR | EC_US);   /* WP does not matter for users */
        c.cpl = 0;
        assert_int_equal(walk(&c, GVA, W, &r), X86VCPU_WALK_OK);
        assert_int_equal(r.gpa, 0x8abcull);
        assert_int_equal(get64(ent(1, GVA)) & D, D);
    }
    /* 32-bit paging and WP. */
    struct x86vcpu_walk_ctx c = ctx_32();
    reset(NULL);
    put32(pde32(0x1000), PT32 | P | US);
    put32(pte32(0x1000), 0x3000u | P | RW | US);
    expect_pf(&c, 0x1000, W, EC_P | EC_WR);
    c.cr0 &= ~CR0_WP;
    expect_ok(&c, 0x1000, W, 0x3000);
}

/* User-mode access to a supervisor page (U/S = 0 at any level) (4.6). */
static void test_user_supervisor(void **state)
{
    (void)state;
    for (int lvl = 4; lvl >= 1; lvl--) {
        struct x86vcpu_walk_ctx c = ctx_long(4);
        reset(NULL);
        map64(4, 1, GVA, 0x8000ull, P | RW | US);
        clr64(ent(lvl, GVA), US);
        expect_ok(&c, GVA, R, 0x8abcull);
        expect_ok(&c, GVA, F, 0x8abcull);
        c.cpl = 3;
        expect_pf(&c, GVA, R, EC_P | EC_US);
        expect_pf(&c, GVA, W, EC_P | EC_WR | EC_US);
        expect_pf(&c, GVA, F, EC_P | EC_US | EC_ID);
        /* An implicit supervisor access at CPL 3 (e.g. GDT) is allowed, and
         * a fault on it has U/S = 0. */
        c.implicit_supervisor = 1;
        expect_ok(&c, GVA, R, 0x8abcull);
        clr64(ent(1, GVA), P);
        expect_pf(&c, GVA, W, EC_WR);
    }
    /* CPL 1 and 2 are supervisor. */
    struct x86vcpu_walk_ctx c = ctx_long(4);
    reset(NULL);
    map64(4, 1, GVA, 0x8000ull, P | RW);
    c.cpl = 1;
    expect_ok(&c, GVA, W, 0x8abcull);
    c.cpl = 2;
    expect_ok(&c, GVA, W, 0x8abcull);
    c.cpl = 3;
    expect_pf(&c, GVA, R, EC_P | EC_US);
}

/* Execute-disable (4.6): XD at any level forbids fetches when NXE = 1. */
static void test_nx(void **state)
{
    (void)state;
    for (int lvl = 4; lvl >= 1; lvl--) {
        struct x86vcpu_walk_ctx c = ctx_long(4);
        reset(NULL);
        map64(4, 1, GVA, 0x8000ull, P | RW | US);
        set64(ent(lvl, GVA), XD);
        expect_ok(&c, GVA, R, 0x8abcull);
        expect_ok(&c, GVA, W, 0x8abcull);
        expect_pf(&c, GVA, F, EC_P | EC_ID);
        c.cpl = 3;
        expect_pf(&c, GVA, F, EC_P | EC_US | EC_ID);
        /* NXE = 0: bit 63 is reserved, for every access; I/D needs NXE or SMEP. */
        c.efer &= ~EFER_NXE;
        expect_pf(&c, GVA, R, EC_P | EC_US | EC_RSVD);
        expect_pf(&c, GVA, F, EC_P | EC_US | EC_RSVD);
        c.cr4 |= CR4_SMEP;
        expect_pf(&c, GVA, F, EC_P | EC_US | EC_RSVD | EC_ID);
    }
    /* Fetch with NXE = 0 and SMEP = 0: no I/D even when it faults. */
    struct x86vcpu_walk_ctx c = ctx_long(4);
    reset(NULL);
    map64(4, 1, GVA, 0x8000ull, P | RW);
    c.efer &= ~EFER_NXE;
    c.cpl = 3;
    expect_pf(&c, GVA, F, EC_P | EC_US);
}

/* Reserved bits in 4-/5-level entries (4.5): 51:M, bit 7 of PML4E/PML5E,
 * 29:13 of a 1-GByte PDPTE, 20:13 of a 2-MByte PDE. RSVD implies P. */
static void test_reserved_bits(void **state)
{
    (void)state;
    struct x86vcpu_walk_ctx c = ctx_long(4);   /* MAXPHYADDR 46 */
    struct x86vcpu_walk_result r;
    for (int lvl = 4; lvl >= 1; lvl--) {
        static const uint64_t rsvd[] = { BIT(46), BIT(51) };
        for (size_t i = 0; i < 2; i++) {
            reset(NULL);
            map64(4, 1, GVA, 0x8000ull, P | RW | US);
            set64(ent(lvl, GVA), rsvd[i]);
            c.cpl = 3;
            assert_int_equal(walk(&c, GVA, W, &r), X86VCPU_WALK_PAGE_FAULT);
            assert_int_equal(r.pf_errcode, EC_P | EC_RSVD | EC_WR | EC_US);
            assert_int_equal(r.level, 4 - lvl + 1);
            assert_int_equal(g.writes, 0);
            c.cpl = 0;
            expect_pf(&c, GVA, F, EC_P | EC_RSVD | EC_ID);
        }
    }
    /* Bit 45 is a valid address bit with MAXPHYADDR 46. */
    reset(NULL);
    map64(4, 1, GVA, BIT(45) | 0x8000ull, P | RW);
    expect_ok(&c, GVA, R, BIT(45) | 0x8abcull);
    /* MAXPHYADDR 52: bit 51 is an address bit. */
    c.maxphyaddr = 52;
    reset(NULL);
    map64(4, 1, GVA, BIT(51) | 0x8000ull, P | RW);
    expect_ok(&c, GVA, R, BIT(51) | 0x8abcull);
    c.maxphyaddr = 46;
    /* PML4E bit 7. */
    reset(NULL);
    map64(4, 1, GVA, 0x8000ull, P | RW);
    set64(ent(4, GVA), PS);
    expect_pf(&c, GVA, R, EC_P | EC_RSVD);
    /* 1-GByte page: bits 29:13. */
    for (unsigned b = 13; b <= 29; b += 8) {
        reset(NULL);
        map64(4, 3, GVA, 0x40000000ull, P | RW);
        set64(ent(3, GVA), BIT(b));
        expect_pf(&c, GVA, R, EC_P | EC_RSVD);
    }
    /* 2-MByte page: bits 20:13; bit 21 is an address bit. */
    reset(NULL);
    map64(4, 2, GVA, 0x40000000ull, P | RW);
    set64(ent(2, GVA), BIT(17));
    expect_pf(&c, GVA, R, EC_P | EC_RSVD);
    clr64(ent(2, GVA), BIT(17));
    set64(ent(2, GVA), BIT(21));
    expect_ok(&c, GVA, R, 0x402d3abcull);
    /* A reserved bit wins over a permission problem and over a not-present
     * entry further down. */
    reset(NULL);
    map64(4, 1, GVA, 0x8000ull, P);
    set64(ent(2, GVA), BIT(50));
    clr64(ent(1, GVA), P);
    c.cpl = 3;
    expect_pf(&c, GVA, W, EC_P | EC_RSVD | EC_WR | EC_US);
    /* Ignored bits (e.g. bit 6 and 8 of a non-leaf, 11:9) are not reserved. */
    reset(NULL);
    map64(4, 1, GVA, 0x8000ull, P | RW | BIT(9) | BIT(10) | BIT(11));
    set64(ent(3, GVA), D | BIT(8));
    c.cpl = 0;
    expect_ok(&c, GVA, R, 0x8abcull);
}

/* SMEP (CR4.SMEP, 4.6.1): supervisor fetches from user-mode pages fault. */
static void test_smep(void **state)
{
    (void)state;
    struct x86vcpu_walk_ctx c = ctx_long(4);
    map64(4, 1, GVA, 0x8000ull, P | RW | US);
    expect_ok(&c, GVA, F, 0x8abcull);              /* SMEP off */
    c.cr4 |= CR4_SMEP;
    expect_pf(&c, GVA, F, EC_P | EC_ID);
    expect_ok(&c, GVA, R, 0x8abcull);              /* data accesses unaffected */
    expect_ok(&c, GVA, W, 0x8abcull);
    c.cpl = 3;
    expect_ok(&c, GVA, F, 0x8abcull);              /* user fetch from user page */
    /* One supervisor entry makes the page supervisor: SMEP no longer applies. */
    c.cpl = 0;
    clr64(ent(3, GVA), US);
    expect_ok(&c, GVA, F, 0x8abcull);
    /* SMEP with NXE = 0 still sets I/D (4.7). */
    set64(ent(3, GVA), US);
    c.efer &= ~EFER_NXE;
    expect_pf(&c, GVA, F, EC_P | EC_ID);
}

/* SMAP (CR4.SMAP, 4.6.1): supervisor data accesses to user-mode pages fault
 * unless explicit with RFLAGS.AC = 1. */
static void test_smap(void **state)
{
    (void)state;
    struct x86vcpu_walk_ctx c = ctx_long(4);
    map64(4, 1, GVA, 0x8000ull, P | RW | US);
    expect_ok(&c, GVA, W, 0x8abcull);              /* SMAP off */
    c.cr4 |= CR4_SMAP;
    expect_pf(&c, GVA, R, EC_P);
    expect_pf(&c, GVA, W, EC_P | EC_WR);
    expect_ok(&c, GVA, F, 0x8abcull);              /* fetches are SMEP's business */
    c.rflags = AC;
    expect_ok(&c, GVA, R, 0x8abcull);
    expect_ok(&c, GVA, W, 0x8abcull);
    /* AC = 1 does not lift CR0.WP for read-only user pages. */
    clr64(ent(1, GVA), RW);
    expect_pf(&c, GVA, W, EC_P | EC_WR);
    c.cr0 &= ~CR0_WP;
    expect_ok(&c, GVA, W, 0x8abcull);
    c.cr0 |= CR0_WP;
    set64(ent(1, GVA), RW);
    /* Implicit supervisor accesses: SMAP applies regardless of AC, at any CPL. */
    c.implicit_supervisor = 1;
    expect_pf(&c, GVA, R, EC_P);
    c.cpl = 3;
    expect_pf(&c, GVA, W, EC_P | EC_WR);
    c.rflags = 0;
    expect_pf(&c, GVA, R, EC_P);
    /* Explicit user accesses are unaffected by SMAP. */
    c.implicit_supervisor = 0;
    expect_ok(&c, GVA, W, 0x8abcull);
    /* Supervisor pages are unaffected. */
    c.cpl = 0;
    clr64(ent(4, GVA), US);
    expect_ok(&c, GVA, W, 0x8abcull);
    c.implicit_supervisor = 1;
    expect_ok(&c, GVA, R, 0x8abcull);
}

/* 4.8: A on every paging-structure entry used, D on the final entry of a
 * write only. */
/* SDM 4.8: the A/D update is a locked operation on the entry the walk used.
 * With a cmpxchg callback the walker uses it (never a plain write), compares
 * the whole 8-byte entry, and walks nothing stale: an entry changed under
 * it (another vCPU) is not overwritten, the walk says RETRY; an entry on a
 * page it may not write fails with its address. */
static struct { unsigned calls; int race; uint64_t last_old, last_val; uint32_t last_len; } cx;

static int gm_cmpxchg(void *ctx, uint64_t gpa, uint32_t len, uint64_t old, uint64_t val)
{
    (void)ctx;
    cx.calls++;
    cx.last_old = old;
    cx.last_val = val;
    cx.last_len = len;
    if (gpa >= MEMSZ || MEMSZ - gpa < len || cx.race < 0)
        return -1;
    uint64_t cur = 0;
    memcpy(&cur, g.buf + gpa, len);
    if (cx.race) {
        cur ^= BIT(33);              /* another CPU changed the entry meanwhile */
        memcpy(g.buf + gpa, &cur, len);
        cx.race = 0;
    }
    if (cur != old)
        return 1;
    memcpy(g.buf + gpa, &val, len);
    return 0;
}

static void test_accessed_dirty_locked(void **state)
{
    (void)state;
    const struct x86vcpu_gmem m = { NULL, gm_read, gm_write, gm_cmpxchg };
    struct x86vcpu_walk_ctx c = ctx_long(4);
    struct x86vcpu_walk_result r;
    memset(&cx, 0, sizeof cx);
    map64(4, 1, GVA, BIT(40) | 0x8000ull, P | RW);
    assert_int_equal(x86vcpu__walk(&c, &m, GVA, W, &r), X86VCPU_WALK_OK);
    assert_int_equal(g.writes, 0);     /* no plain write */
    assert_int_equal(cx.calls, 4);
    assert_int_equal(cx.last_len, 8);  /* the whole entry */
    assert_int_equal(cx.last_old, BIT(40) | 0x8000ull | P | RW);
    assert_int_equal(get64(ent(1, GVA)), BIT(40) | 0x8000ull | P | RW | A | D);
    /* A racing change: nothing written over it, RETRY. */
    clr64(ent(1, GVA), D);
    cx.race = 1;
    cx.calls = 0;
    assert_int_equal(x86vcpu__walk(&c, &m, GVA, W, &r), X86VCPU_WALK_RETRY);
    assert_int_equal(get64(ent(1, GVA)), BIT(40) | BIT(33) | 0x8000ull | P | RW | A);
    /* The A/D write is refused (read-only page): NO_MEMORY at that entry. */
    cx.race = -1;
    assert_int_equal(x86vcpu__walk(&c, &m, GVA, W, &r), X86VCPU_WALK_NO_MEMORY);
    assert_int_equal(r.fail_gpa, ent(1, GVA));
    assert_int_equal(r.fail_write, 1);
    /* 32-bit paging: 4-byte entries. */
    reset(NULL);
    c = ctx_32();
    put32(pde32(0x00401000u), PT32 | P | RW);
    put32(pte32(0x00401000u), 0xfffff000u | P | RW);
    cx.race = 0;
    assert_int_equal(x86vcpu__walk(&c, &m, 0x00401abcu, W, &r), X86VCPU_WALK_OK);
    assert_int_equal(cx.last_len, 4);
    assert_int_equal(get32(pte32(0x00401000u)), 0xfffff000u | P | RW | A | D);
    assert_int_equal(g.writes, 0);
}

static void test_accessed_dirty(void **state)
{
    (void)state;
    struct x86vcpu_walk_ctx c = ctx_long(4);
    map64(4, 1, GVA, 0x8000ull, P | RW);
    expect_ok(&c, GVA, R, 0x8abcull);
    for (int lvl = 4; lvl >= 1; lvl--)
        assert_int_equal(get64(ent(lvl, GVA)) & (A | D), A);
    assert_int_equal(g.writes, 4);
    /* Everything already accessed: a read writes nothing. */
    g.writes = 0;
    expect_ok(&c, GVA, F, 0x8abcull);
    assert_int_equal(g.writes, 0);
    /* A write sets D on the PTE only. */
    expect_ok(&c, GVA, W, 0x8abcull);
    assert_int_equal(g.writes, 1);
    for (int lvl = 4; lvl >= 2; lvl--)
        assert_int_equal(get64(ent(lvl, GVA)) & (A | D), A);
    assert_int_equal(get64(ent(1, GVA)), 0x8000ull | P | RW | A | D);
    g.writes = 0;
    expect_ok(&c, GVA, W, 0x8abcull);
    assert_int_equal(g.writes, 0);
    /* High bits of the entries survive the update. */
    reset(NULL);
    map64(4, 1, GVA, BIT(40) | 0x8000ull, P | RW | XD);
    expect_ok(&c, GVA, W, BIT(40) | 0x8abcull);
    assert_int_equal(get64(ent(1, GVA)), BIT(40) | 0x8000ull | P | RW | XD | A | D);
    assert_int_equal(get64(ent(4, GVA)), tbl(3) | P | RW | XD | A);
    /* 2 MiB and 1 GiB pages: D on the PDE / PDPTE. */
    reset(NULL);
    map64(4, 2, GVA, 0x40000000ull, P | RW);
    expect_ok(&c, GVA, W, 0x400d3abcull);
    assert_int_equal(get64(ent(2, GVA)) & (A | D), A | D);
    assert_int_equal(get64(ent(3, GVA)) & (A | D), A);
    reset(NULL);
    map64(4, 3, GVA, 0x40000000ull, P | RW);
    expect_ok(&c, GVA, W, 0x406d3abcull);
    assert_int_equal(get64(ent(3, GVA)) & (A | D), A | D);
    assert_int_equal(get64(ent(4, GVA)) & (A | D), A);
    /* 32-bit paging: 4-byte entries. */
    c = ctx_32();
    reset(NULL);
    put32(pde32(0x00401000u), PT32 | P | RW);
    put32(pte32(0x00401000u), 0xfffff000u | P | RW);
    put32(pte32(0x00401000u) + 4, 0x12345678u);   /* the next PTE is untouched */
    expect_ok(&c, 0x00401abcu, W, 0xfffffabcu);
    assert_int_equal(get32(pde32(0x00401000u)), PT32 | P | RW | A);
    assert_int_equal(get32(pte32(0x00401000u)), 0xfffff000u | P | RW | A | D);
    assert_int_equal(get32(pte32(0x00401000u) + 4), 0x12345678u);
}

/* A/D are written only when the walk succeeds; no write callback means no
 * update at all. */
static void test_no_update_on_failure(void **state)
{
    (void)state;
    static uint8_t snap[MEMSZ];
    struct x86vcpu_walk_ctx c = ctx_long(4);
    struct x86vcpu_walk_result r;
    map64(4, 1, GVA, 0x8000ull, P);                /* read-only */
    memcpy(snap, g.buf, MEMSZ);
    expect_pf(&c, GVA, W, EC_P | EC_WR);           /* protection */
    c.cpl = 3;
    expect_pf(&c, GVA, R, EC_P | EC_US);           /* user */
    c.cpl = 0;
    clr64(ent(1, GVA), P);
    memcpy(snap, g.buf, MEMSZ);
    expect_pf(&c, GVA, R, 0);                      /* not present */
    set64(ent(1, GVA), P | BIT(49));
    memcpy(snap, g.buf, MEMSZ);
    expect_pf(&c, GVA, R, EC_P | EC_RSVD);         /* reserved */
    assert_int_equal(g.writes, 0);
    assert_memory_equal(snap, g.buf, MEMSZ);
    /* Success without a write callback: nothing written. */
    clr64(ent(1, GVA), BIT(49));
    memcpy(snap, g.buf, MEMSZ);
    assert_int_equal(x86vcpu__walk(&c, &gmem_ro, GVA, R, &r), X86VCPU_WALK_OK);
    assert_int_equal(r.gpa, 0x8abcull);
    assert_memory_equal(snap, g.buf, MEMSZ);
}

static void test_no_memory(void **state)
{
    (void)state;
    struct x86vcpu_walk_ctx c = ctx_long(4);
    struct x86vcpu_walk_result r;
    /* CR3 outside guest memory. */
    c.cr3 = 0x100000;
    assert_int_equal(walk(&c, GVA, R, &r), X86VCPU_WALK_NO_MEMORY);
    /* A PDE pointing outside guest memory. */
    c = ctx_long(4);
    map64(4, 1, GVA, 0x8000ull, P | RW);
    put64(ent(2, GVA), 0x20000ull | P | RW);
    assert_int_equal(walk(&c, GVA, R, &r), X86VCPU_WALK_NO_MEMORY);
    assert_int_equal(g.writes, 0);
    /* The final page need not be backed: the walker never touches it. */
    put64(ent(2, GVA), tbl(1) | P | RW);
    expect_ok(&c, GVA, R, 0x8abcull);
    /* The A/D write failing. */
    clr64(ent(1, GVA), A);
    g.fail_writes = 1;
    assert_int_equal(walk(&c, GVA, W, &r), X86VCPU_WALK_NO_MEMORY);
    /* PAE and 32-bit. */
    c = ctx_pae();
    c.cr3 = 0xfff00;
    assert_int_equal(walk(&c, 0, R, &r), X86VCPU_WALK_NO_MEMORY);
    c = ctx_32();
    c.cr3 = 0xfffff000u;
    assert_int_equal(walk(&c, 0, R, &r), X86VCPU_WALK_NO_MEMORY);
}

static void test_noncanonical(void **state)
{
    (void)state;
    struct x86vcpu_walk_ctx c = ctx_long(4);
    struct x86vcpu_walk_result r;
    static const uint64_t bad4[] = { 0x0000800000000000ull, 0xffff7fffffffffffull,
                                     0x8000000000000000ull, 0x0001000000000000ull };
    static const uint64_t bad5[] = { 0x0100000000000000ull, 0xfeffffffffffffffull,
                                     0x8000000000000000ull };
    for (size_t i = 0; i < sizeof bad4 / sizeof *bad4; i++) {
        assert_int_equal(walk(&c, bad4[i], R, &r), X86VCPU_WALK_NONCANONICAL);
        assert_int_equal(r.pf_errcode, 0);
    }
    assert_int_equal(g.reads, 0);
    /* Canonical extremes walk (and fault: nothing mapped). */
    expect_pf(&c, 0x00007fffffffffffull, R, 0);
    expect_pf(&c, 0xffff800000000000ull, R, 0);
    c = ctx_long(5);
    for (size_t i = 0; i < sizeof bad5 / sizeof *bad5; i++)
        assert_int_equal(walk(&c, bad5[i], R, &r), X86VCPU_WALK_NONCANONICAL);
    expect_pf(&c, 0x00ffffffffffffffull, R, 0);
    expect_pf(&c, 0xff00000000000000ull, R, 0);
    expect_pf(&c, 0x0000800000000000ull, R, 0);   /* canonical with LA57 */
}

static void test_invalid_args(void **state)
{
    (void)state;
    struct x86vcpu_walk_ctx c = ctx_long(4);
    struct x86vcpu_walk_result r;
    struct x86vcpu_gmem noread = { NULL, NULL, gm_write, NULL };
    assert_int_equal(x86vcpu__walk(&c, &gmem, GVA, 3, &r), X86VCPU_WALK_INVALID);
    assert_int_equal(x86vcpu__walk(&c, &gmem, GVA, -1, &r), X86VCPU_WALK_INVALID);
    assert_int_equal(x86vcpu__walk(NULL, &gmem, GVA, R, &r), X86VCPU_WALK_INVALID);
    assert_int_equal(x86vcpu__walk(&c, NULL, GVA, R, &r), X86VCPU_WALK_INVALID);
    assert_int_equal(x86vcpu__walk(&c, &noread, GVA, R, &r), X86VCPU_WALK_INVALID);
    assert_int_equal(x86vcpu__walk(&c, &gmem, GVA, R, NULL), X86VCPU_WALK_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_no_paging, reset),
        cmocka_unit_test_setup(test_32bit_4k, reset),
        cmocka_unit_test_setup(test_32bit_4m, reset),
        cmocka_unit_test_setup(test_32bit_id_flag, reset),
        cmocka_unit_test_setup(test_pae_4k, reset),
        cmocka_unit_test_setup(test_pae_2m, reset),
        cmocka_unit_test_setup(test_pae_reserved, reset),
        cmocka_unit_test_setup(test_4level_pages, reset),
        cmocka_unit_test_setup(test_5level, reset),
        cmocka_unit_test_setup(test_not_present_every_level, reset),
        cmocka_unit_test_setup(test_write_protect, reset),
        cmocka_unit_test_setup(test_user_supervisor, reset),
        cmocka_unit_test_setup(test_nx, reset),
        cmocka_unit_test_setup(test_reserved_bits, reset),
        cmocka_unit_test_setup(test_smep, reset),
        cmocka_unit_test_setup(test_smap, reset),
        cmocka_unit_test_setup(test_accessed_dirty, reset),
        cmocka_unit_test_setup(test_accessed_dirty_locked, reset),
        cmocka_unit_test_setup(test_no_update_on_failure, reset),
        cmocka_unit_test_setup(test_no_memory, reset),
        cmocka_unit_test_setup(test_noncanonical, reset),
        cmocka_unit_test_setup(test_invalid_args, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
