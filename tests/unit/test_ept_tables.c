/* EPT builder: page-size choice, splitting, permissions, memory types and
 * freeing every table, over a fake frame pool that tracks each frame. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <x86vcpu/x86vcpu.h>
#include "lib/ept_tables.h"

#define POOL 256
struct pool { uint8_t (*mem)[4096]; int used[POOL]; int in_use; };

static uint64_t p_alloc(void *ctx)
{
    struct pool *p = ctx;
    for (int i = 0; i < POOL; i++)
        if (!p->used[i]) {
            p->used[i] = 1;
            p->in_use++;
            memset(p->mem[i], 0, 4096);
            return 0x100000ull + (uint64_t)i * 4096; /* fake physical addresses */
        }
    return 0;
}

static void p_free(void *ctx, uint64_t pa)
{
    struct pool *p = ctx;
    int i = (int)((pa - 0x100000ull) / 4096);
    assert_true(i >= 0 && i < POOL && p->used[i]); /* no double or foreign free */
    p->used[i] = 0;
    p->in_use--;
}

static void *p_p2v(void *ctx, uint64_t pa)
{
    struct pool *p = ctx;
    int i = (int)((pa - 0x100000ull) / 4096);
    assert_true(i >= 0 && i < POOL && p->used[i]);
    return p->mem[i];
}

static struct pool pool;
static struct x86vcpu_ept_tables t;

static int setup(void **state)
{
    (void)state;
    memset(&pool, 0, sizeof pool);
    pool.mem = aligned_alloc(4096, (size_t)POOL * 4096);
    struct x86vcpu_ept_frames f = { &pool, p_alloc, p_free, p_p2v };
    return x86vcpu__ept_tables_init(&t, &f, 1, 1);
}

static int teardown(void **state)
{
    (void)state;
    x86vcpu__ept_tables_destroy(&t);
    int leaked = pool.in_use;
    free(pool.mem);
    return leaked; /* every frame back */
}

static void expect(uint64_t gpa, uint64_t hpa, uint32_t perms, uint64_t psize)
{
    uint64_t h, s;
    uint32_t p;
    assert_int_equal(x86vcpu__ept_tables_lookup(&t, gpa, &h, &p, &s), 0);
    assert_int_equal(h, hpa);
    assert_int_equal(p, perms);
    assert_int_equal(s, psize);
}

#define MB (1ull << 20)
#define GB (1ull << 30)

static void test_page_size_choice(void **state)
{
    (void)state;
    /* 1 GiB aligned on both sides: one PDPTE leaf, no PD/PT. */
    assert_int_equal(x86vcpu__ept_tables_map(&t, GB, 4 * GB, GB, X86VCPU_EPT_RWX, X86VCPU_MT_WB), 0);
    expect(GB + 0x1234, 4 * GB + 0x1234, 7, GB);
    assert_int_equal(t.tables, 2); /* PML4 + PDPT */
    /* 2 MiB aligned: PDE leaves; the 4 KiB head and tail use a PT. */
    assert_int_equal(x86vcpu__ept_tables_map(&t, 2 * MB - 4096, 64 * MB - 4096, 4 * MB + 8192,
                                             X86VCPU_EPT_R, X86VCPU_MT_UC), 0);
    expect(2 * MB - 4096, 64 * MB - 4096, 1, 4096);
    expect(2 * MB, 64 * MB, 1, 2 * MB);
    expect(4 * MB + 5, 66 * MB + 5, 1, 2 * MB);
    expect(6 * MB, 68 * MB, 1, 4096);
    /* Misaligned host address: 4 KiB pages only. */
    assert_int_equal(x86vcpu__ept_tables_map(&t, 64 * MB, 128 * MB + 4096, 2 * MB, 3, 6), 0);
    expect(64 * MB, 128 * MB + 4096, 3, 4096);
    expect(66 * MB - 4096, 130 * MB, 3, 4096);
    assert_int_equal(x86vcpu__ept_tables_lookup(&t, 66 * MB, 0, 0, 0), -1);
}

static void test_split_on_protect_and_unmap(void **state)
{
    (void)state;
    assert_int_equal(x86vcpu__ept_tables_map(&t, 0, 0x40000000, GB, 7, 6), 0);
    unsigned before = t.tables;
    /* One 4 KiB page read-only inside the 1 GiB page: 1G -> 2M -> 4K. */
    assert_int_equal(x86vcpu__ept_tables_protect(&t, 3 * MB + 4096, 4096, X86VCPU_EPT_R), 0);
    assert_int_equal(t.tables, before + 2);
    expect(3 * MB + 4096, 0x40000000 + 3 * MB + 4096, 1, 4096);
    expect(3 * MB, 0x40000000 + 3 * MB, 7, 4096);
    expect(3 * MB + 8192, 0x40000000 + 3 * MB + 8192, 7, 4096);
    expect(5 * MB, 0x40000000 + 5 * MB, 7, 2 * MB);
    expect(GB - 1, 0x40000000 + GB - 1, 7, 2 * MB);
    /* Unmap a 2 MiB-aligned piece: the PDE goes, neighbours stay. */
    assert_int_equal(x86vcpu__ept_tables_unmap(&t, 8 * MB, 2 * MB), 0);
    assert_int_equal(x86vcpu__ept_tables_lookup(&t, 8 * MB + 77, 0, 0, 0), -1);
    expect(10 * MB, 0x40000000 + 10 * MB, 7, 2 * MB);
    /* Unmap over holes is fine. */
    assert_int_equal(x86vcpu__ept_tables_unmap(&t, 8 * MB, 4 * MB), 0);
    assert_int_equal(x86vcpu__ept_tables_lookup(&t, 11 * MB, 0, 0, 0), -1);
    assert_int_equal(x86vcpu__ept_tables_unmap(&t, 100 * GB, 4096), 0);
}

static void test_remap_frees_subtree(void **state)
{
    (void)state;
    assert_int_equal(x86vcpu__ept_tables_map(&t, 0, 0, 2 * MB, 7, 6), 0);
    assert_int_equal(x86vcpu__ept_tables_protect(&t, 4096, 4096, 1), 0); /* PD leaf -> PT */
    unsigned with_pt = t.tables;
    /* Mapping the whole 2 MiB again as one page frees the PT. */
    assert_int_equal(x86vcpu__ept_tables_map(&t, 0, 2 * MB, 2 * MB, 5, 0), 0);
    assert_int_equal(t.tables, with_pt - 1);
    expect(4096, 2 * MB + 4096, 5, 2 * MB);
}

/* Issue 11 defect 10: a guest that moves a 4 KiB mapping around (the demo's
 * xAPIC page) must not grow the tables: unmap frees tables left empty. */
static void test_unmap_frees_empty_tables(void **state)
{
    (void)state;
    for (uint64_t i = 0; i < 2000; i++) {
        uint64_t gpa = (i * 0x1234567ull << 12) & ((1ull << 47) - 1);
        assert_int_equal(x86vcpu__ept_tables_map(&t, gpa, 0x5000, 4096, 7, 6), 0);
        assert_int_equal(t.tables, 4); /* PML4, PDPT, PD, PT */
        assert_int_equal(x86vcpu__ept_tables_unmap(&t, gpa, 4096), 0);
        assert_int_equal(t.tables, 1); /* the root only */
        assert_int_equal(pool.in_use, 1);
    }
    /* A table with a mapping left keeps it, and its parents. */
    assert_int_equal(x86vcpu__ept_tables_map(&t, 0, 0, 8192, 7, 6), 0);
    assert_int_equal(x86vcpu__ept_tables_unmap(&t, 0, 4096), 0);
    assert_int_equal(t.tables, 4);
    expect(4096, 4096, 7, 4096);
    assert_int_equal(x86vcpu__ept_tables_unmap(&t, 4096, 4096), 0);
    assert_int_equal(t.tables, 1);
    /* A split 1 GiB page unmapped piece by piece frees the PD and PTs. */
    assert_int_equal(x86vcpu__ept_tables_map(&t, GB, 0, GB, 7, 6), 0);
    assert_int_equal(x86vcpu__ept_tables_protect(&t, GB + 4096, 4096, 1), 0);
    assert_int_equal(t.tables, 4);
    assert_int_equal(x86vcpu__ept_tables_unmap(&t, GB, 2 * MB), 0);
    assert_int_equal(t.tables, 3);
    assert_int_equal(x86vcpu__ept_tables_unmap(&t, GB + 2 * MB, GB - 2 * MB), 0);
    assert_int_equal(t.tables, 1);
}

static void test_memtype_and_entries(void **state)
{
    (void)state;
    assert_int_equal(x86vcpu__ept_tables_map(&t, 0xfee00000, 0xfee00000, 4096, 3, X86VCPU_MT_UC), 0);
    /* Walk by hand: the leaf PTE has UC (0) in bits 5:3 and RW. */
    uint64_t *pml4 = p_p2v(&pool, t.root);
    uint64_t *pdpt = p_p2v(&pool, pml4[0] & ~0xfffull);
    uint64_t *pd = p_p2v(&pool, pdpt[3] & ~0xfffull);
    uint64_t *pt = p_p2v(&pool, pd[(0xfee00000 >> 21) & 511] & ~0xfffull);
    assert_int_equal(pt[0] & 0x3f, 3); /* 0xfee00000 starts its 2 MiB region */
    assert_int_equal(pt[0] & ~0xfffull, 0xfee00000);
    assert_int_equal(x86vcpu__ept_tables_map(&t, 0, 0, 4096, 7, X86VCPU_MT_WB), 0);
    pdpt = p_p2v(&pool, pml4[0] & ~0xfffull);
    pd = p_p2v(&pool, pdpt[0] & ~0xfffull);
    pt = p_p2v(&pool, pd[0] & ~0xfffull);
    assert_int_equal(pt[0] & 0x3f, 7 | (6 << 3));
}

static void test_bad_arguments(void **state)
{
    (void)state;
    assert_int_equal(x86vcpu__ept_tables_map(&t, 0x123, 0, 4096, 7, 6), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu__ept_tables_map(&t, 0, 0x123, 4096, 7, 6), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu__ept_tables_map(&t, 0, 0, 0, 7, 6), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu__ept_tables_map(&t, 0, 0, 4096, 0, 6), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu__ept_tables_map(&t, 1ull << 48, 0, 4096, 7, 6), X86VCPU_EINVAL);
    assert_int_equal(x86vcpu__ept_tables_map(&t, (1ull << 48) - 4096, 0, 8192, 7, 6), X86VCPU_EINVAL);
}

static void test_out_of_frames(void **state)
{
    (void)state;
    /* 4 KiB pages over 1 GiB need 512 PTs: more than the pool holds. */
    int err = x86vcpu__ept_tables_map(&t, 0, 4096, GB, 7, 6);
    assert_int_equal(err, X86VCPU_ENOMEM);
    /* What was built is still consistent and freed by destroy (teardown). */
    expect(0, 4096, 7, 4096);
}

static void test_eptp(void **state)
{
    (void)state;
    assert_int_equal(x86vcpu__eptp(0x5000, 0), 0x5000 | (3 << 3) | 6);
    assert_int_equal(x86vcpu__eptp(0x5000, 1), 0x5000 | (1 << 6) | (3 << 3) | 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_page_size_choice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_on_protect_and_unmap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remap_frees_subtree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unmap_frees_empty_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memtype_and_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eptp, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
