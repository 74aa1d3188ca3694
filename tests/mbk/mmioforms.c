/* tests/mbk/mmioforms.c — every instruction form the library emulates on
 * MMIO (issue 12, item 7), run once on a RAM buffer (the CPU executes it)
 * and once on QEMU pc-testdev's iomem window at 0xFF000000 (64 KiB that
 * read back what was written; every access an MMIO exit the library
 * emulates, src/vmx/mmio.c), from the same registers, flags and memory
 * bytes. The registers (pointers as offsets into the buffer), the
 * arithmetic flags and DF, XMM1 and the 64 bytes of the buffer must be the
 * same afterwards: one "ok" line per form. CMPXCHG16B needs 64-bit mode:
 * tests/host/test_mmioforms.c covers it (and the unit tests against the
 * host CPU).
 *
 * Then pc-testdev's page-flush port (0xE4, item 6): a flushed RAM page
 * (data, the stack, the code being run) keeps its contents and works; the
 * hypervisor unmaps it and maps it back at its next access.
 *
 * Hypervisor only: bare Bochs has no pc-testdev. Command line: status=N. */
#include "libtest.h"

#define IOMEM       0xff000000u
#define BUF         64u
#define FLUSH_PORT  0xe4

/* The registers a form starts with and ends with (the asm below addresses
 * these globals by name). */
struct regs { u32 eax, ebx, ecx, edx, esi, edi, flags; };
struct regs mf_r __attribute__((used));
u32 mf_xin[4] __attribute__((used, aligned(16)));
u32 mf_xout[4] __attribute__((used, aligned(16)));

/* Load every GPR (not ESP/EBP), the flags and XMM1, run the form, store
 * them back; DF cleared before C runs again. */
#define FORM(fn, insn)                                                                   \
    static void fn(void)                                                                 \
    {                                                                                    \
        __asm__ volatile("movdqu mf_xin, %%xmm1\n\t"                                     \
                         "pushl mf_r+24\n\tpopfl\n\t"                                    \
                         "movl mf_r+0, %%eax\n\tmovl mf_r+4, %%ebx\n\t"                  \
                         "movl mf_r+8, %%ecx\n\tmovl mf_r+12, %%edx\n\t"                 \
                         "movl mf_r+16, %%esi\n\tmovl mf_r+20, %%edi\n\t"                \
                         insn "\n\t"                                                     \
                         "pushfl\n\tcld\n\t"                                             \
                         "movl %%eax, mf_r+0\n\tmovl %%ebx, mf_r+4\n\t"                  \
                         "movl %%ecx, mf_r+8\n\tmovl %%edx, mf_r+12\n\t"                 \
                         "movl %%esi, mf_r+16\n\tmovl %%edi, mf_r+20\n\t"                \
                         "popl mf_r+24\n\t"                                              \
                         "movdqu %%xmm1, mf_xout"                                        \
                         ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");  \
    }

/* MOV, MOVZX/MOVSX, MOV imm */
FORM(f_mov_st, "movl %%ecx, 8(%%esi)")
FORM(f_mov_ld, "movl 8(%%esi), %%eax")
FORM(f_mov_ld8, "movb 9(%%esi), %%ah")
FORM(f_movzx, "movzbl 9(%%esi), %%eax")
FORM(f_movsx, "movswl 10(%%esi), %%edx")
FORM(f_mov_imm, "movl $0x11223344, 12(%%esi)")
FORM(f_mov_moffs, "movl 0xff000008, %%eax")
/* ALU */
FORM(f_add, "addl %%ecx, 8(%%esi)")
FORM(f_adc, "adcl 8(%%esi), %%eax")
FORM(f_sbb, "sbbw $5, 10(%%esi)")
FORM(f_or, "orb %%cl, 11(%%esi)")
FORM(f_and, "andl $0xf0f0f0f0, 8(%%esi)")
FORM(f_xor, "xorl 12(%%esi), %%edx")
FORM(f_sub, "lock subl %%eax, 8(%%esi)")
FORM(f_cmp, "cmpl %%ecx, 8(%%esi)")
FORM(f_cmp8, "cmpb $0x7f, 9(%%esi)")
FORM(f_test, "testl %%ecx, 8(%%esi)")
FORM(f_test8, "testb $0x80, 11(%%esi)")
/* BT* */
FORM(f_bt, "btl %%ecx, 8(%%esi)")
FORM(f_bts, "lock btsl $3, 8(%%esi)")
FORM(f_btr, "btrl %%ecx, 8(%%esi)")
FORM(f_btc, "btcw $15, 10(%%esi)")
/* NEG NOT INC DEC, shifts */
FORM(f_neg, "negl 8(%%esi)")
FORM(f_not, "notw 10(%%esi)")
FORM(f_inc, "incb 11(%%esi)")
FORM(f_dec, "lock decl 8(%%esi)")
FORM(f_shl, "shll $3, 8(%%esi)")
FORM(f_rcr, "rcrl %%cl, 8(%%esi)")
FORM(f_sar, "sarw $1, 10(%%esi)")
/* XCHG, CMPXCHG, CMPXCHG8B, XADD */
FORM(f_xchg, "xchgl %%ecx, 8(%%esi)")
FORM(f_cmpxchg, "lock cmpxchgl %%ecx, 8(%%esi)")
FORM(f_cmpxchg8, "lock cmpxchgb %%cl, 9(%%esi)")
FORM(f_cmpxchg8b, "lock cmpxchg8b 8(%%esi)")
FORM(f_xadd, "lock xaddl %%ecx, 8(%%esi)")
/* SETcc, CMOVcc, MUL/DIV/IMUL */
FORM(f_setc, "setc 8(%%esi)")
FORM(f_setg, "setg 9(%%esi)")
FORM(f_cmovz, "cmovzl 8(%%esi), %%eax")
FORM(f_mul, "mull 8(%%esi)")
FORM(f_div, "divl 12(%%esi)")
FORM(f_imul, "imull 8(%%esi), %%ecx")
/* PUSH/POP r/m */
FORM(f_push, "pushl 8(%%esi)\n\tpopl %%eax")
FORM(f_pop, "pushl %%ecx\n\tpopl 12(%%esi)")
/* MOVBE */
FORM(f_movbe_ld, "movbel 8(%%esi), %%eax")
FORM(f_movbe_ld16, "movbew 10(%%esi), %%ax")
FORM(f_movbe_st, "movbel %%ecx, 12(%%esi)")
FORM(f_movbe_st16, "movbew %%cx, 14(%%esi)")
/* BSF BSR TZCNT LZCNT POPCNT */
FORM(f_bsf, "bsfl 8(%%esi), %%eax")
FORM(f_bsf0, "bsfl 24(%%esi), %%eax")
FORM(f_bsr, "bsrw 10(%%esi), %%ax")
FORM(f_tzcnt, "tzcntl 12(%%esi), %%ecx")
FORM(f_tzcnt0, "tzcntl 24(%%esi), %%ecx")
FORM(f_lzcnt, "lzcntw 14(%%esi), %%dx")
FORM(f_popcnt, "popcntl 8(%%esi), %%ebx")
/* string forms (ESI/EDI set per form) */
FORM(f_lods, "lodsl")
FORM(f_lods_std, "lodsw")
FORM(f_scas, "scasw")
FORM(f_cmps, "cmpsb")
FORM(f_repe_cmps, "repe cmpsb")
FORM(f_movs, "movsl")
FORM(f_rep_movs, "rep movsb")
FORM(f_stos, "stosb")
FORM(f_rep_stos, "rep stosl")
/* SSE moves */
FORM(f_movups_ld, "movups 17(%%esi), %%xmm1")
FORM(f_movups_st, "movups %%xmm1, 33(%%esi)")
FORM(f_movaps_ld, "movaps 16(%%esi), %%xmm1")
FORM(f_movaps_st, "movaps %%xmm1, 32(%%esi)")
FORM(f_movdqa_ld, "movdqa 48(%%esi), %%xmm1")
FORM(f_movdqa_st, "movdqa %%xmm1, 16(%%esi)")
FORM(f_movdqu_ld, "movdqu 3(%%esi), %%xmm1")
FORM(f_movdqu_st, "movdqu %%xmm1, 41(%%esi)")
FORM(f_movss_ld, "movss 8(%%esi), %%xmm1")
FORM(f_movss_st, "movss %%xmm1, 20(%%esi)")
FORM(f_movsd_ld, "movsd 8(%%esi), %%xmm1")
FORM(f_movsd_st, "movsd %%xmm1, 20(%%esi)")
FORM(f_movd_ld, "movd 12(%%esi), %%xmm1")
FORM(f_movd_st, "movd %%xmm1, 24(%%esi)")
FORM(f_movq_ld, "movq 12(%%esi), %%xmm1")
FORM(f_movq_st, "movq %%xmm1, 24(%%esi)")

#define CF 0x001u
#define ZF 0x040u
#define DF 0x400u
#define ARITH 0x8d5u

struct form {
    const char *name;
    void (*fn)(void);
    u32 eax, ebx, ecx, edx;
    u32 esi, edi;               /* offsets into the buffer */
    u32 flags;
    u32 need;                   /* NEED_* */
};
#define NEED_MOVBE 1u
#define NEED_RAM_MOFFS 2u       /* the moffs form reads the window itself */
#define NEED_ZERO 4u            /* bytes 24-27 zero (a 0 source) */

static const struct form forms[] = {
    { "MOV m32, r32", f_mov_st, 0, 0, 0xdeadbeef, 0, 0, 0, 0x2, 0 },
    { "MOV r32, m32", f_mov_ld, 0x55555555, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOV AH, m8", f_mov_ld8, 0x55555555, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVZX r32, m8", f_movzx, 0x55555555, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVSX r32, m16", f_movsx, 0, 0, 0, 0x55555555, 0, 0, 0x2, 0 },
    { "MOV m32, imm32", f_mov_imm, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOV EAX, moffs32", f_mov_moffs, 0, 0, 0, 0, 0, 0, 0x2, NEED_RAM_MOFFS },
    { "ADD m32, r32", f_add, 0, 0, 0x80000001, 0, 0, 0, 0x2, 0 },
    { "ADC r32, m32 (CF=1)", f_adc, 0xffffffff, 0, 0, 0, 0, 0, 0x3, 0 },
    { "SBB m16, imm8", f_sbb, 0, 0, 0, 0, 0, 0, 0x3, 0 },
    { "OR m8, r8", f_or, 0, 0, 0x81, 0, 0, 0, 0x2, 0 },
    { "AND m32, imm32", f_and, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "XOR r32, m32", f_xor, 0, 0, 0, 0x12345678, 0, 0, 0x2, 0 },
    { "LOCK SUB m32, r32", f_sub, 0x7fffffff, 0, 0, 0, 0, 0, 0x2, 0 },
    { "CMP m32, r32", f_cmp, 0, 0, 0x41000000, 0, 0, 0, 0x2, 0 },
    { "CMP m8, imm8", f_cmp8, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "TEST m32, r32", f_test, 0, 0, 0x00ff00ff, 0, 0, 0, 0x2, 0 },
    { "TEST m8, imm8", f_test8, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "BT m32, r32", f_bt, 0, 0, 5, 0, 0, 0, 0x2, 0 },
    { "LOCK BTS m32, imm8", f_bts, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "BTR m32, r32 (offset past the dword)", f_btr, 0, 0, 35, 0, 0, 0, 0x2, 0 },
    { "BTC m16, imm8", f_btc, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "NEG m32", f_neg, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "NOT m16", f_not, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "INC m8", f_inc, 0, 0, 0, 0, 0, 0, 0x3, 0 },
    { "LOCK DEC m32", f_dec, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "SHL m32, 3", f_shl, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "RCR m32, CL", f_rcr, 0, 0, 7, 0, 0, 0, 0x3, 0 },
    { "SAR m16, 1", f_sar, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "XCHG m32, r32", f_xchg, 0, 0, 0xcafef00d, 0, 0, 0, 0x2, 0 },
    { "LOCK CMPXCHG m32, r32 (not equal)", f_cmpxchg, 0x1234, 0, 0xcafef00d, 0, 0, 0, 0x2, 0 },
    { "LOCK CMPXCHG m32, r32 (equal)", f_cmpxchg, 0xb4e5929f, 0, 0xcafef00d, 0, 0, 0, 0x2, 0 },
    { "LOCK CMPXCHG m8, r8 (equal)", f_cmpxchg8, 0x92, 0, 0x99, 0, 0, 0, 0x2, 0 },
    { "LOCK CMPXCHG8B m64 (not equal)", f_cmpxchg8b, 1, 2, 3, 4, 0, 0, 0x2, 0 },
    { "LOCK CMPXCHG8B m64 (equal)", f_cmpxchg8b, 0xb4e5929f, 0x11111111, 0x22222222, 0xf8295e4b,
      0, 0, 0x2, 0 },
    { "LOCK XADD m32, r32", f_xadd, 0, 0, 0x80000000, 0, 0, 0, 0x2, 0 },
    { "SETC m8", f_setc, 0, 0, 0, 0, 0, 0, 0x3, 0 },
    { "SETG m8", f_setg, 0, 0, 0, 0, 0, 0, 0x882, 0 },
    { "CMOVZ r32, m32 (taken)", f_cmovz, 0x55555555, 0, 0, 0, 0, 0, 0x42, 0 },
    { "CMOVZ r32, m32 (not taken)", f_cmovz, 0x55555555, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MUL m32", f_mul, 0x12345678, 0, 0, 0x55555555, 0, 0, 0x2, 0 },
    { "DIV m32", f_div, 0x12345678, 0, 0, 0x1234, 0, 0, 0x2, 0 },
    { "IMUL r32, m32", f_imul, 0, 0, 0x7fff, 0, 0, 0, 0x2, 0 },
    { "PUSH m32", f_push, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "POP m32", f_pop, 0, 0, 0xabcdef01, 0, 0, 0, 0x2, 0 },
    { "MOVBE r32, m32", f_movbe_ld, 0x55555555, 0, 0, 0, 0, 0, 0x2, NEED_MOVBE },
    { "MOVBE r16, m16", f_movbe_ld16, 0x55555555, 0, 0, 0, 0, 0, 0x2, NEED_MOVBE },
    { "MOVBE m32, r32", f_movbe_st, 0, 0, 0x11223344, 0, 0, 0, 0x2, NEED_MOVBE },
    { "MOVBE m16, r16", f_movbe_st16, 0, 0, 0x11223344, 0, 0, 0, 0x2, NEED_MOVBE },
    { "BSF r32, m32", f_bsf, 0x55555555, 0, 0, 0, 0, 0, 0x8d7, 0 },
    { "BSF r32, m32 (source 0)", f_bsf0, 0x55555555, 0, 0, 0, 0, 0, 0x8d7, NEED_ZERO },
    { "BSR r16, m16", f_bsr, 0x55555555, 0, 0, 0, 0, 0, 0x2, 0 },
    { "TZCNT r32, m32", f_tzcnt, 0, 0, 0x55555555, 0, 0, 0, 0x8d7, 0 },
    { "TZCNT r32, m32 (source 0)", f_tzcnt0, 0, 0, 0x55555555, 0, 0, 0, 0x2, NEED_ZERO },
    { "LZCNT r16, m16", f_lzcnt, 0, 0, 0, 0x55555555, 0, 0, 0x8d7, 0 },
    { "POPCNT r32, m32", f_popcnt, 0, 0x55555555, 0, 0, 0, 0, 0x8d7, 0 },
    { "LODSD", f_lods, 0, 0, 0, 0, 8, 0, 0x2, 0 },
    { "LODSW (DF=1)", f_lods_std, 0x55555555, 0, 0, 0, 20, 0, 0x402, 0 },
    { "SCASW", f_scas, 0x929f, 0, 0, 0, 0, 8, 0x2, 0 },
    { "CMPSB", f_cmps, 0, 0, 0, 0, 8, 40, 0x2, 0 },
    { "REPE CMPSB", f_repe_cmps, 0, 0, 6, 0, 8, 8, 0x2, 0 },
    { "MOVSD", f_movs, 0, 0, 0, 0, 8, 40, 0x2, 0 },
    { "REP MOVSB", f_rep_movs, 0, 0, 5, 0, 8, 41, 0x2, 0 },
    { "REP MOVSB (DF=1)", f_rep_movs, 0, 0, 4, 0, 12, 50, 0x402, 0 },
    { "STOSB", f_stos, 0xa5, 0, 0, 0, 0, 30, 0x2, 0 },
    { "REP STOSD", f_rep_stos, 0x01020304, 0, 3, 0, 0, 44, 0x2, 0 },
    { "MOVUPS xmm, m128", f_movups_ld, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVUPS m128, xmm", f_movups_st, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVAPS xmm, m128", f_movaps_ld, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVAPS m128, xmm", f_movaps_st, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVDQA xmm, m128", f_movdqa_ld, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVDQA m128, xmm", f_movdqa_st, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVDQU xmm, m128", f_movdqu_ld, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVDQU m128, xmm", f_movdqu_st, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVSS xmm, m32", f_movss_ld, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVSS m32, xmm", f_movss_st, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVSD xmm, m64", f_movsd_ld, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVSD m64, xmm", f_movsd_st, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVD xmm, m32", f_movd_ld, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVD m32, xmm", f_movd_st, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVQ xmm, m64", f_movq_ld, 0, 0, 0, 0, 0, 0, 0x2, 0 },
    { "MOVQ m64, xmm", f_movq_st, 0, 0, 0, 0, 0, 0, 0x2, 0 },
};

static u8 ram_buf[BUF] __attribute__((aligned(64)));

/* The bytes both buffers start with (dword 2 = 0xb4e5929f, dword 3 =
 * 0xf8295e4b: the "equal" CMPXCHG and SCAS cases above use them). */
static u8 pattern(u32 i)
{
    return (u8)(i * 0x11 + 0x07) ^ (u8)(i * 0x22);
}

static void fill(uptr base)
{
    for (u32 i = 0; i < BUF; i += 4) {
        u32 v = 0;
        for (u32 k = 0; k < 4; k++)
            v |= (u32)pattern(i + k) << (8 * k);
        *(volatile u32 *)(base + i) = v;
    }
}

static void dump(uptr base, u8 *out)
{
    for (u32 i = 0; i < BUF; i += 4) {
        u32 v = *(volatile u32 *)(base + i);
        for (u32 k = 0; k < 4; k++)
            out[i + k] = (u8)(v >> (8 * k));
    }
}

struct result { struct regs r; u32 x[4]; u8 mem[BUF]; };

static void run(const struct form *f, uptr base, struct result *res)
{
    fill(base);
    if (f->need & NEED_ZERO)
        *(volatile u32 *)(base + 24) = 0;
    mf_r = (struct regs){ f->eax, f->ebx, f->ecx, f->edx, (u32)base + f->esi, (u32)base + f->edi,
                          f->flags };
    for (u32 k = 0; k < 4; k++)
        mf_xin[k] = 0xa0b0c0d0u + 0x01010101u * k;
    /* The moffs form has the window's address built in: its RAM run reads
     * the window too (after the window got the same bytes). */
    if (f->need & NEED_RAM_MOFFS)
        fill(IOMEM);
    f->fn();
    res->r = mf_r;
    res->r.esi -= (u32)base;
    res->r.edi -= (u32)base;
    res->r.flags &= ARITH | DF;
    for (u32 k = 0; k < 4; k++)
        res->x[k] = mf_xout[k];
    dump(base, res->mem);
}

static void test_form(const struct form *f)
{
    static struct result a, b;
    run(f, (uptr)ram_buf, &a);
    run(f, IOMEM, &b);
    int same = memcmp(&a.r, &b.r, sizeof a.r) == 0 && memcmp(a.x, b.x, sizeof a.x) == 0 &&
               memcmp(a.mem, b.mem, sizeof a.mem) == 0;
    if (!same) {
        note("RAM : eax %08x ebx %08x ecx %08x edx %08x esi +%x edi +%x fl %03x xmm1 %08x%08x%08x%08x",
             a.r.eax, a.r.ebx, a.r.ecx, a.r.edx, a.r.esi, a.r.edi, a.r.flags,
             a.x[3], a.x[2], a.x[1], a.x[0]);
        note("MMIO: eax %08x ebx %08x ecx %08x edx %08x esi +%x edi +%x fl %03x xmm1 %08x%08x%08x%08x",
             b.r.eax, b.r.ebx, b.r.ecx, b.r.edx, b.r.esi, b.r.edi, b.r.flags,
             b.x[3], b.x[2], b.x[1], b.x[0]);
        for (u32 i = 0; i < BUF; i++)
            if (a.mem[i] != b.mem[i])
                note("byte %u: RAM %02x MMIO %02x", i, a.mem[i], b.mem[i]);
    }
    check(same, "%s: MMIO == RAM", f->name);
}

/* ------------------------------------------------------- page flush (0xE4) */
/* Page-aligned areas inside larger arrays (the BSS must not be aligned
 * past the loaded part, boot/multiboot.ld). */
static u8 flush_area[2 * 4096];
static u8 many_area[13 * 4096];
#define PAGE_IN(a) ((u8 *)(((uptr)(a) + 4095) & ~(uptr)4095))

static u32 __attribute__((noinline, aligned(4096))) flush_code(u32 x)
{
    return x * 3 + 1;
}

static void test_page_flush(void)
{
    u8 *flush_data = PAGE_IN(flush_area);
    for (u32 i = 0; i < 4096; i++)
        flush_data[i] = (u8)(i * 7);
    outl(FLUSH_PORT, (u32)(uptr)flush_data);
    u32 bad = 0;
    for (u32 i = 0; i < 4096; i++)
        bad += flush_data[i] != (u8)(i * 7);
    check_eq(bad, 0, "page flush: a flushed data page keeps its bytes");
    outl(FLUSH_PORT, (u32)(uptr)flush_data + 0x123);
    flush_data[0x800] = 0x5a;
    outl(FLUSH_PORT, (u32)(uptr)flush_data);
    check_eq(flush_data[0x800], 0x5a, "page flush: a write after a flush stays");

    /* The page of this function's stack frame, and the code page of a
     * function about to run. */
    volatile u32 local = 0x600dcafe;
    outl(FLUSH_PORT, (u32)(uptr)&local);
    check_eq(local, 0x600dcafe, "page flush: the stack page");
    outl(FLUSH_PORT, (u32)(uptr)flush_code);
    check_eq(flush_code(14), 43, "page flush: the code page runs");

    /* More pages than the hypervisor keeps out at once. */
    u8 *many = PAGE_IN(many_area);
    for (u32 p = 0; p < 12; p++) {
        many[4096 * p + 17] = (u8)p;
        outl(FLUSH_PORT, (u32)(uptr)(many + 4096 * p));
    }
    bad = 0;
    for (u32 p = 0; p < 12; p++)
        bad += many[4096 * p + 17] != p;
    check_eq(bad, 0, "page flush: twelve pages in a row");
    /* Not RAM, and not a 32-bit write: nothing happens. */
    outl(FLUSH_PORT, IOMEM);
    outb(FLUSH_PORT, 0x10);
    *(volatile u32 *)(uptr)IOMEM = 0x1234;
    check_eq(*(volatile u32 *)(uptr)IOMEM, 0x1234, "page flush of the window: ignored");
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    note("%s: multiboot test kernel", kernel_name());
    /* SSE on (SDM Vol. 3 13.1.3): CR4.OSFXSR, CR0.MP, not CR0.EM/TS. */
    write_cr0((read_cr0() & ~(uptr)0xc) | 2);
    write_cr4(read_cr4() | 0x600);
    u32 a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    int movbe = (c >> 22) & 1;
    check(*(volatile u32 *)(uptr)IOMEM == 0, "the iomem window starts zeroed");
    *(volatile u32 *)(uptr)(IOMEM + 0xfffc) = 0xfeedface;
    check_eq(*(volatile u32 *)(uptr)(IOMEM + 0xfffc), 0xfeedface,
             "the iomem window reads back its last dword");
    for (u32 i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        if ((forms[i].need & NEED_MOVBE) && !movbe) {
            note("%s: no MOVBE in CPUID, skipped", forms[i].name);
            continue;
        }
        test_form(&forms[i]);
    }
    test_page_flush();
    return report_summary();
}
