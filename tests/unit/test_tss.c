/* Task-switch rules (src/lib/tss.c) against the SDM: TSS layouts (Figures
 * 7-2, 7-11), the new TSS descriptor's checks and the segment checks of
 * Table 7-1 with their exceptions and error codes, the effects of each
 * source (Table 7-2), EFLAGS.NT. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include "lib/tss.h"

#define GP 13

/* A descriptor: base, limit (20 bits), access byte (P DPL S type), flags
 * nibble (G D/B L AVL). */
static uint64_t desc(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
    return (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | (uint64_t)(access & 0xff) << 40 |
           (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)(flags & 0xf) << 52 |
           (uint64_t)(base >> 24) << 56;
}
#define TSS32_AVAIL(lim) desc(0x12345678, (lim), 0x89, 0)
#define TSS32_BUSY(lim)  desc(0x12345678, (lim), 0x8b, 0)
#define TSS16_AVAIL(lim) desc(0x1000, (lim), 0x81, 0)
#define TSS16_BUSY(lim)  desc(0x1000, (lim), 0x83, 0)
#define CODE0  desc(0, 0xfffff, 0x9b, 0xc)    /* DPL 0 code, readable, accessed */
#define CODE3  desc(0, 0xfffff, 0xfb, 0xc)
#define CONF0  desc(0, 0xfffff, 0x9f, 0xc)    /* conforming DPL 0 */
#define XONLY0 desc(0, 0xfffff, 0x99, 0xc)    /* execute-only */
#define DATA0  desc(0, 0xfffff, 0x93, 0xc)
#define DATA3  desc(0, 0xfffff, 0xf3, 0xc)
#define RODATA0 desc(0, 0xfffff, 0x91, 0xc)
#define LDTD   desc(0x5000, 0xff, 0x82, 0)

static void test_desc_decode(void **state)
{
    (void)state;
    struct x86vcpu_desc d;
    x86vcpu__desc_decode(desc(0xaabbccdd, 0x12345, 0x9b, 0xc), &d);
    assert_int_equal(d.base, 0xaabbccdd);
    assert_int_equal(d.limit, 0x12345fff);          /* G: 4 KiB units */
    assert_int_equal(d.ar, 0xc09b);
    x86vcpu__desc_decode(desc(0x1000, 0x67, 0x89, 0), &d);
    assert_int_equal(d.limit, 0x67);
    assert_int_equal(d.ar, 0x89);
}

static void test_tss32_layout(void **state)
{
    (void)state;
    uint8_t img[X86VCPU_TSS_IMAGE];
    for (unsigned i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)i;
    struct x86vcpu_tss_regs r = { 0 };
    x86vcpu__tss_load(img, 1, &r);
    assert_int_equal(r.back_link, 0x0100);
    assert_int_equal(r.cr3, 0x1f1e1d1c);
    assert_int_equal(r.eip, 0x23222120);
    assert_int_equal(r.eflags, 0x27262524);
    assert_int_equal(r.gpr[0], 0x2b2a2928);         /* EAX */
    assert_int_equal(r.gpr[4], 0x3b3a3938);         /* ESP */
    assert_int_equal(r.gpr[7], 0x47464544);
    assert_int_equal(r.sel[X86VCPU_TS_ES], 0x4948);
    assert_int_equal(r.sel[X86VCPU_TS_CS], 0x4d4c);
    assert_int_equal(r.sel[X86VCPU_TS_GS], 0x5d5c);
    assert_int_equal(r.ldt, 0x6160);
    assert_int_equal(r.trap, 0);                    /* 0x64 = 100: bit 0 clear */
    img[0x64] = 1;
    x86vcpu__tss_load(img, 1, &r);
    assert_int_equal(r.trap, 1);

    uint8_t out[X86VCPU_TSS_IMAGE];
    memset(out, 0xee, sizeof out);
    r.sel[X86VCPU_TS_SS] = 0x10;
    x86vcpu__tss_store(out, 1, &r);
    uint32_t off, len;
    x86vcpu__tss_dynamic(1, &off, &len);
    assert_int_equal(off, 0x20);
    assert_int_equal(len, 0x40);
    /* Written: EIP..GS; selectors zero-extended; nothing else. */
    assert_memory_equal(out + 0x20, img + 0x20, 0x28);
    assert_int_equal(out[0x50], 0x10);
    assert_int_equal(out[0x51], 0);
    assert_int_equal(out[0x52], 0);
    for (unsigned i = 0; i < 0x20; i++)
        assert_int_equal(out[i], 0xee);
    for (unsigned i = 0x60; i < sizeof out; i++)
        assert_int_equal(out[i], 0xee);
}

static void test_tss16_layout(void **state)
{
    (void)state;
    uint8_t img[0x2c];
    for (unsigned i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)(0x80 + i);
    struct x86vcpu_tss_regs r = { 0 };
    for (int i = 0; i < 8; i++)
        r.gpr[i] = 0xdead0000u;
    r.sel[X86VCPU_TS_FS] = 0x33;
    r.sel[X86VCPU_TS_GS] = 0x3b;
    x86vcpu__tss_load(img, 0, &r);
    assert_int_equal(r.back_link, 0x8180);
    assert_int_equal(r.eip, 0x8f8e);
    assert_int_equal(r.eflags, 0x9190);
    assert_int_equal(r.gpr[0], 0xdead9392);         /* AX; upper half kept */
    assert_int_equal(r.gpr[7], 0xdeada1a0);         /* DI */
    assert_int_equal(r.sel[X86VCPU_TS_ES], 0xa3a2);
    assert_int_equal(r.sel[X86VCPU_TS_DS], 0xa9a8);
    assert_int_equal(r.sel[X86VCPU_TS_FS], 0x33);   /* not in a 16-bit TSS */
    assert_int_equal(r.ldt, 0xabaa);
    assert_int_equal(r.cr3, 0);
    uint8_t out[0x2c];
    memset(out, 0xee, sizeof out);
    x86vcpu__tss_store(out, 0, &r);
    uint32_t off, len;
    x86vcpu__tss_dynamic(0, &off, &len);
    assert_int_equal(off, 0x0e);
    assert_int_equal(len, 0x1c);
    assert_memory_equal(out + 0x0e, img + 0x0e, 0x1c);
    assert_int_equal(out[0x0d], 0xee);
    assert_int_equal(out[0x2a], 0xee);
}

static int chk(int source, uint16_t sel, uint64_t raw, int in_gdt, uint32_t vec, uint32_t err)
{
    struct x86vcpu_ts_fault f = { 0xff, 0xff };
    int is32 = -1;
    int r = x86vcpu__ts_check_tss(source, sel, raw, in_gdt, &is32, &f);
    if (!vec)
        return r == 0;
    return r == 1 && f.vector == vec && f.err == err;
}

static void test_new_tss_checks(void **state)
{
    (void)state;
    const int call = X86VCPU_TS_CALL, jmp = X86VCPU_TS_JMP, iret = X86VCPU_TS_IRET,
              gate = X86VCPU_TS_GATE;
    /* Good ones. */
    assert_true(chk(call, 0x30, TSS32_AVAIL(0x67), 1, 0, 0));
    assert_true(chk(jmp, 0x33, TSS32_AVAIL(0x67), 1, 0, 0));
    assert_true(chk(gate, 0x30, TSS16_AVAIL(0x2b), 1, 0, 0));
    assert_true(chk(iret, 0x30, TSS32_BUSY(0x67), 1, 0, 0));
    struct x86vcpu_ts_fault f;
    int is32 = -1;
    assert_int_equal(x86vcpu__ts_check_tss(call, 0x30, TSS16_AVAIL(0x2b), 1, &is32, &f), 0);
    assert_int_equal(is32, 0);
    assert_int_equal(x86vcpu__ts_check_tss(call, 0x30, TSS32_AVAIL(0x67), 1, &is32, &f), 0);
    assert_int_equal(is32, 1);
    /* Selector in the LDT, null, or beyond the GDT: #GP(sel), IRET #TS. */
    assert_true(chk(call, 0x34, TSS32_AVAIL(0x67), 1, GP, 0x34));
    assert_true(chk(jmp, 0x03, TSS32_AVAIL(0x67), 1, GP, 0));
    assert_true(chk(gate, 0x33, TSS32_AVAIL(0x67), 0, GP, 0x30));
    assert_true(chk(iret, 0x33, TSS32_BUSY(0x67), 0, X86VCPU_VEC_TS, 0x30));
    /* Not a TSS: code/data (S = 1), LDT, gates, reserved types. */
    static const uint32_t bad_access[] = { 0x9b, 0x93, 0x82, 0x85, 0x8c, 0x8e, 0x80, 0x88, 0x8d };
    for (unsigned i = 0; i < sizeof bad_access / sizeof *bad_access; i++) {
        assert_true(chk(call, 0x30, desc(0, 0x67, bad_access[i], 0), 1, GP, 0x30));
        assert_true(chk(iret, 0x30, desc(0, 0x67, bad_access[i], 0), 1, X86VCPU_VEC_TS, 0x30));
    }
    /* Not present: #NP(sel), whatever the source. */
    assert_true(chk(call, 0x3b, TSS32_AVAIL(0x67) & ~(1ull << 47), 1, X86VCPU_VEC_NP, 0x38));
    assert_true(chk(iret, 0x38, TSS32_BUSY(0x67) & ~(1ull << 47), 1, X86VCPU_VEC_NP, 0x38));
    /* Busy state: CALL/JMP/gate need an available TSS (#GP), IRET a busy
     * one (#TS). */
    assert_true(chk(call, 0x30, TSS32_BUSY(0x67), 1, GP, 0x30));
    assert_true(chk(jmp, 0x30, TSS16_BUSY(0x2b), 1, GP, 0x30));
    assert_true(chk(gate, 0x30, TSS32_BUSY(0x67), 1, GP, 0x30));
    assert_true(chk(iret, 0x30, TSS32_AVAIL(0x67), 1, X86VCPU_VEC_TS, 0x30));
    /* Limit: 0x67 / 0x2b at least, else #TS(sel); G scales it. */
    assert_true(chk(call, 0x30, TSS32_AVAIL(0x66), 1, X86VCPU_VEC_TS, 0x30));
    assert_true(chk(iret, 0x30, TSS32_BUSY(0x66), 1, X86VCPU_VEC_TS, 0x30));
    assert_true(chk(call, 0x30, TSS16_AVAIL(0x2a), 1, X86VCPU_VEC_TS, 0x30));
    assert_true(chk(call, 0x30, TSS16_AVAIL(0x2b), 1, 0, 0));
    assert_true(chk(call, 0x30, desc(0, 0, 0x89, 0x8), 1, 0, 0));  /* G: 0xfff */
}

static void test_plan_per_source(void **state)
{
    (void)state;
    struct x86vcpu_ts_plan p;
    /* SDM Table 7-2. */
    x86vcpu__ts_plan(X86VCPU_TS_JMP, &p);
    assert_true(p.clear_old_busy && p.set_new_busy && !p.clear_old_nt && !p.nest);
    x86vcpu__ts_plan(X86VCPU_TS_CALL, &p);
    assert_true(!p.clear_old_busy && p.set_new_busy && !p.clear_old_nt && p.nest);
    x86vcpu__ts_plan(X86VCPU_TS_GATE, &p);
    assert_true(!p.clear_old_busy && p.set_new_busy && !p.clear_old_nt && p.nest);
    x86vcpu__ts_plan(X86VCPU_TS_IRET, &p);
    assert_true(p.clear_old_busy && !p.set_new_busy && p.clear_old_nt && !p.nest);
}

static void test_new_eflags(void **state)
{
    (void)state;
    /* NT set when nesting, as the image says otherwise; bit 1 set;
     * undefined bits dropped. */
    assert_int_equal(x86vcpu__ts_new_eflags(X86VCPU_TS_CALL, 0), 0x4002);
    assert_int_equal(x86vcpu__ts_new_eflags(X86VCPU_TS_GATE, 0x202), 0x4202);
    assert_int_equal(x86vcpu__ts_new_eflags(X86VCPU_TS_JMP, 0x202), 0x202);
    assert_int_equal(x86vcpu__ts_new_eflags(X86VCPU_TS_JMP, 0x4202), 0x4202);
    assert_int_equal(x86vcpu__ts_new_eflags(X86VCPU_TS_IRET, 0x4000), 0x4002);
    assert_int_equal(x86vcpu__ts_new_eflags(X86VCPU_TS_JMP, 0xffffffffu), 0x003f7fd7);
    assert_int_equal(X86VCPU_DR7_LOCAL, 0x155);     /* L0 L1 L2 L3 LE */
}

#define OK(expr) assert_int_equal((expr), 0)
#define FAULT(expr, vec, e) do { f.vector = f.err = 0xff; assert_int_equal((expr), 1); \
    assert_int_equal(f.vector, (vec)); assert_int_equal(f.err, (e)); } while (0)

static void test_ldt_checks(void **state)
{
    (void)state;
    struct x86vcpu_ts_fault f;
    OK(x86vcpu__ts_check_ldt(0, 0, 0, &f));                   /* null: allowed */
    OK(x86vcpu__ts_check_ldt(3, 0, 0, &f));
    OK(x86vcpu__ts_check_ldt(0x48, 1, LDTD, &f));
    FAULT(x86vcpu__ts_check_ldt(0x4c, 1, LDTD, &f), X86VCPU_VEC_TS, 0x4c);   /* TI */
    FAULT(x86vcpu__ts_check_ldt(0x48, 0, LDTD, &f), X86VCPU_VEC_TS, 0x48);   /* beyond */
    FAULT(x86vcpu__ts_check_ldt(0x48, 1, DATA0, &f), X86VCPU_VEC_TS, 0x48);
    FAULT(x86vcpu__ts_check_ldt(0x48, 1, TSS32_AVAIL(0x67), &f), X86VCPU_VEC_TS, 0x48);
    FAULT(x86vcpu__ts_check_ldt(0x4b, 1, LDTD & ~(1ull << 47), &f), X86VCPU_VEC_TS, 0x48);
}

static void test_ss_checks(void **state)
{
    (void)state;
    struct x86vcpu_ts_fault f;
    OK(x86vcpu__ts_check_ss(0x10, 1, DATA0, 0, &f));
    OK(x86vcpu__ts_check_ss(0x43, 1, DATA3, 3, &f));
    FAULT(x86vcpu__ts_check_ss(0, 0, 0, 0, &f), X86VCPU_VEC_TS, 0);          /* null */
    FAULT(x86vcpu__ts_check_ss(0x10, 0, DATA0, 0, &f), X86VCPU_VEC_TS, 0x10); /* beyond */
    FAULT(x86vcpu__ts_check_ss(0x08, 1, CODE0, 0, &f), X86VCPU_VEC_TS, 0x08); /* code */
    FAULT(x86vcpu__ts_check_ss(0x10, 1, RODATA0, 0, &f), X86VCPU_VEC_TS, 0x10);
    FAULT(x86vcpu__ts_check_ss(0x13, 1, DATA3, 0, &f), X86VCPU_VEC_TS, 0x10); /* RPL != CPL */
    FAULT(x86vcpu__ts_check_ss(0x10, 1, DATA3, 0, &f), X86VCPU_VEC_TS, 0x10); /* DPL != CPL */
    FAULT(x86vcpu__ts_check_ss(0x10, 1, DATA0 & ~(1ull << 47), 0, &f), X86VCPU_VEC_SS, 0x10);
}

static void test_cs_checks(void **state)
{
    (void)state;
    struct x86vcpu_ts_fault f;
    OK(x86vcpu__ts_check_cs(0x08, 1, CODE0, &f));
    OK(x86vcpu__ts_check_cs(0x3b, 1, CODE3, &f));
    OK(x86vcpu__ts_check_cs(0x0b, 1, CONF0, &f));            /* conforming: DPL <= RPL */
    OK(x86vcpu__ts_check_cs(0x08, 1, XONLY0, &f));
    FAULT(x86vcpu__ts_check_cs(0, 0, 0, &f), X86VCPU_VEC_TS, 0);
    FAULT(x86vcpu__ts_check_cs(0x08, 0, CODE0, &f), X86VCPU_VEC_TS, 0x08);
    FAULT(x86vcpu__ts_check_cs(0x10, 1, DATA0, &f), X86VCPU_VEC_TS, 0x10);
    FAULT(x86vcpu__ts_check_cs(0x30, 1, TSS32_AVAIL(0x67), &f), X86VCPU_VEC_TS, 0x30);
    FAULT(x86vcpu__ts_check_cs(0x0b, 1, CODE0, &f), X86VCPU_VEC_TS, 0x08);   /* DPL != RPL */
    FAULT(x86vcpu__ts_check_cs(0x38, 1, CODE3, &f), X86VCPU_VEC_TS, 0x38);
    FAULT(x86vcpu__ts_check_cs(0x18, 1, desc(0, 0xfffff, 0xff, 0xc), &f), X86VCPU_VEC_TS, 0x18);
    FAULT(x86vcpu__ts_check_cs(0x08, 1, CODE0 & ~(1ull << 47), &f), X86VCPU_VEC_NP, 0x08);
}

static void test_data_checks(void **state)
{
    (void)state;
    struct x86vcpu_ts_fault f;
    OK(x86vcpu__ts_check_data(0, 0, 0, 0, &f));              /* null: unusable */
    OK(x86vcpu__ts_check_data(0x10, 1, DATA0, 0, &f));
    OK(x86vcpu__ts_check_data(0x43, 1, DATA3, 0, &f));
    OK(x86vcpu__ts_check_data(0x10, 1, RODATA0, 0, &f));     /* read-only is fine */
    OK(x86vcpu__ts_check_data(0x08, 1, CODE0, 0, &f));       /* readable code */
    OK(x86vcpu__ts_check_data(0x0b, 1, CONF0, 3, &f));       /* conforming: no DPL check */
    FAULT(x86vcpu__ts_check_data(0x10, 0, DATA0, 0, &f), X86VCPU_VEC_TS, 0x10);
    FAULT(x86vcpu__ts_check_data(0x08, 1, XONLY0, 0, &f), X86VCPU_VEC_TS, 0x08);
    FAULT(x86vcpu__ts_check_data(0x30, 1, TSS32_AVAIL(0x67), 0, &f), X86VCPU_VEC_TS, 0x30);
    FAULT(x86vcpu__ts_check_data(0x13, 1, DATA0, 0, &f), X86VCPU_VEC_TS, 0x10); /* RPL > DPL */
    FAULT(x86vcpu__ts_check_data(0x10, 1, DATA0, 3, &f), X86VCPU_VEC_TS, 0x10); /* CPL > DPL */
    FAULT(x86vcpu__ts_check_data(0x08, 1, CODE0, 3, &f), X86VCPU_VEC_TS, 0x08);
    FAULT(x86vcpu__ts_check_data(0x10, 1, DATA0 & ~(1ull << 47), 0, &f), X86VCPU_VEC_NP, 0x10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_desc_decode),
        cmocka_unit_test(test_tss32_layout),
        cmocka_unit_test(test_tss16_layout),
        cmocka_unit_test(test_new_tss_checks),
        cmocka_unit_test(test_plan_per_source),
        cmocka_unit_test(test_new_eflags),
        cmocka_unit_test(test_ldt_checks),
        cmocka_unit_test(test_ss_checks),
        cmocka_unit_test(test_cs_checks),
        cmocka_unit_test(test_data_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
