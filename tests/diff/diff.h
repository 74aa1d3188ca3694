/* tests/diff/diff.h — the records and the cases shared by the parts of
 * the differential test kernel: protected mode (pm.c, -m32), real mode
 * (rm.c, -m16) and long mode (lm.c, -m64), each on tests/lib.
 *
 * Output: the console (port 0xE9 only). Records:
 *   CASE <mode> <name>: ok <hex value(s)>
 *   CASE <mode> <name>: #GP(<err hex>) | #UD | #<mnemonic>[(<err hex>)]
 * (real mode pushes no error code: none is printed there).
 *
 * Fault catching is the runtime's: each t_*() arms fault_vec and runs its
 * instruction under TRY_BEGIN/TRY_END (tests/lib/x86.h). A fault nobody
 * guarded goes to the part's trap_unexpected(), which prints it and ends
 * the run.
 *
 * Include this header from exactly one C file per image (its statics are
 * that part's record state). */
#ifndef DIFF_H
#define DIFF_H

#include "libtest.h"

#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_AM (1u << 18)
#define CR0_NW (1u << 29)
#define CR0_CD (1u << 30)
#define CR0_PG (1u << 31)

#define CR4_PSE        (1u << 4)
#define CR4_PAE        (1u << 5)
#define CR4_PGE        (1u << 7)
#define CR4_LA57       (1u << 12)
#define CR4_VMXE       (1u << 13)
#define CR4_PCIDE      (1u << 17)
#define CR4_OSXSAVE    (1u << 18)
#define CR4_SMEP       (1u << 20)
#define CR4_SMAP       (1u << 21)

/* Baseline CR0 of the 32-bit tests: PE | ET | NE. */
#define CR0_BASE (CR0_PE | CR0_ET | CR0_NE)

/* ------------------------------------------------------------ records */
static const char *const vec_name[32] = {
    "DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "CSO", "TS", "NP",
    "SS", "GP", "PF", "RSV15", "MF", "AC", "MC", "XM", "VE", "CP", "RSV22",
    "RSV23", "RSV24", "RSV25", "RSV26", "RSV27", "HV", "VC", "SX", "RSV31",
};

/* Vectors that push an error code in protected/long mode. */
static inline int vec_has_err(u32 v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

static const char *cur_mode = "?";
static unsigned case_count;

static inline void rec_head(const char *name)
{
    case_count++;
    printf("CASE %s %s: ", cur_mode, name);
}

/* Fault text for vector v (error code printed when the mode pushes one). */
static inline void put_fault(u32 v, u32 err, int with_err)
{
    if (v < 32)
        printf("#%s", vec_name[v]);
    else
        printf("#VEC%u", v);
    if (with_err && v < 32 && vec_has_err(v))
        printf("(%x)", err);
}

/* Real mode pushes no error code. */
#define FAULT_HAS_ERR (RT_BITS != 16)

/* After a guarded sequence: "ok <value>" or the fault. */
static inline void rec32(const char *name, u32 val)
{
    rec_head(name);
    if (fault_vec != NOFAULT)
        put_fault((u32)fault_vec, fault_err, FAULT_HAS_ERR);
    else
        printf("ok %08x", val);
    console_putc('\n');
}

static inline void rec64(const char *name, u64 val)
{
    rec_head(name);
    if (fault_vec != NOFAULT)
        put_fault((u32)fault_vec, fault_err, FAULT_HAS_ERR);
    else
        printf("ok %016llx", val);
    console_putc('\n');
}

/* Plain values (no guarded instruction before them). */
static inline void note32(const char *name, u32 val)
{
    fault_arm();
    rec32(name, val);
}

static inline void note64(const char *name, u64 val)
{
    fault_arm();
    rec64(name, val);
}

static inline void rec4(const char *name, u32 a, u32 b, u32 c, u32 d)
{
    rec_head(name);
    if (fault_vec != NOFAULT)
        put_fault((u32)fault_vec, fault_err, FAULT_HAS_ERR);
    else
        printf("ok %08x %08x %08x %08x", a, b, c, d);
    console_putc('\n');
}

/* Name built from a prefix, a number and a suffix (no snprintf here). */
static char name_buf[96];
static inline const char *mkname(const char *pre, int num, const char *post)
{
    char *p = name_buf;
    while (*pre)
        *p++ = *pre++;
    if (num >= 0) {
        char t[12];
        int n = 0;
        unsigned v = (unsigned)num;
        do {
            t[n++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        while (n)
            *p++ = t[--n];
    }
    while (post && *post)
        *p++ = *post++;
    *p = 0;
    return name_buf;
}

/* ---------------------------------------------- guarded instructions */
static inline void cpuid2(u32 leaf, u32 sub, u32 r[4])
{
    cpuid(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
}


/* Each t_* returns 0 on success, 1 when the instruction faulted. */
static inline int t_cpuid(u32 leaf, u32 sub, u32 r[4])
{
    u32 a, b, c, d;
    fault_arm();
    __asm__ volatile(TRY_BEGIN "cpuid" TRY_END
                     : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(sub) : "memory");
    r[0] = a; r[1] = b; r[2] = c; r[3] = d;
    return fault_vec != NOFAULT;
}

static inline int t_wr_cr0(uptr v)
{
    fault_arm();
    __asm__ volatile(TRY_BEGIN "mov %0, %%cr0" TRY_END : : "r"(v) : "memory");
    return fault_vec != NOFAULT;
}

static inline int t_rd_cr0(uptr *v)
{
    uptr x = 0;
    fault_arm();
    __asm__ volatile(TRY_BEGIN "mov %%cr0, %0" TRY_END : "+r"(x) : : "memory");
    *v = x;
    return fault_vec != NOFAULT;
}

static inline int t_wr_cr3(uptr v)
{
    fault_arm();
    __asm__ volatile(TRY_BEGIN "mov %0, %%cr3" TRY_END : : "r"(v) : "memory");
    return fault_vec != NOFAULT;
}

static inline int t_wr_cr4(uptr v)
{
    fault_arm();
    __asm__ volatile(TRY_BEGIN "mov %0, %%cr4" TRY_END : : "r"(v) : "memory");
    return fault_vec != NOFAULT;
}

static inline int t_xsetbv(u32 idx, u64 v)
{
    fault_arm();
    __asm__ volatile(TRY_BEGIN "xsetbv" TRY_END
                     : : "c"(idx), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
    return fault_vec != NOFAULT;
}

static inline int t_xgetbv(u32 idx, u64 *v)
{
    u32 lo = 0, hi = 0;
    fault_arm();
    __asm__ volatile(TRY_BEGIN "xgetbv" TRY_END
                     : "+a"(lo), "+d"(hi) : "c"(idx) : "memory");
    *v = ((u64)hi << 32) | lo;
    return fault_vec != NOFAULT;
}

static inline int t_rdmsr(u32 msr, u64 *v)
{
    u32 lo = 0, hi = 0;
    fault_arm();
    __asm__ volatile(TRY_BEGIN "rdmsr" TRY_END
                     : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    *v = ((u64)hi << 32) | lo;
    return fault_vec != NOFAULT;
}

static inline int t_wrmsr(u32 msr, u64 v)
{
    fault_arm();
    __asm__ volatile(TRY_BEGIN "wrmsr" TRY_END
                     : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
    return fault_vec != NOFAULT;
}

static inline int t_clts(void)
{
    fault_arm();
    __asm__ volatile(TRY_BEGIN "clts" TRY_END : : : "memory");
    return fault_vec != NOFAULT;
}

static inline int t_ud2(void)
{
    fault_arm();
    __asm__ volatile(TRY_BEGIN "ud2" TRY_END : : : "memory");
    return fault_vec != NOFAULT;
}

static inline int t_smsw_r16(u32 *v)
{
    u32 x = 0;
    fault_arm();
    __asm__ volatile(TRY_BEGIN "smsw %w0" TRY_END : "+r"(x) : : "memory");
    *v = x;
    return fault_vec != NOFAULT;
}

/* --------------------------------------------- cases shared by modes */

/* CPUID leaf 1: EBX printed whole (APIC ID in bits 31:24 kept). */
static inline void case_cpuid(const char *name, u32 leaf, u32 sub)
{
    u32 r[4];
    t_cpuid(leaf, sub, r);
    rec4(name, r[0], r[1], r[2], r[3]);
}

/* XSETBV / XGETBV rules (SDM XSETBV): needs CR4.OSXSAVE (else #UD), CPL 0,
 * ECX = 0, XCR0[0] = 1, XCR0[2] -> XCR0[1], XCR0[3] == XCR0[4],
 * XCR0[7:5] all-or-nothing and -> XCR0[2], only bits of CPUID.(0Dh,0):EDX:EAX. */
/* XSETBV(ECX=idx, val); on success the record shows XGETBV(0). */
static inline void xs(const char *name, u32 idx, u64 val)
{
    u64 v = 0;
    if (!t_xsetbv(idx, val))
        t_xgetbv(0, &v);
    rec64(name, v);
}

static inline void xsetbv_cases(void)
{
    /* Standard-form XSAVE area, header all zero: XRSTOR from it initializes. */
    static u8 xsave_area[4096] __attribute__((aligned(64)));
    u32 r[4];
    u64 v, mask;
    uptr cr4 = read_cr4();

    t_wr_cr4(cr4 | CR4_OSXSAVE);
    rec64("xsetbv-prep-osxsave", read_cr4());

    cpuid2(0xd, 0, r);
    mask = ((u64)r[3] << 32) | r[0];

    t_xgetbv(0, &v);
    rec64("xgetbv0-initial", v);

    xs("xsetbv-ecx1", 1, 0x3);
    xs("xsetbv-xcr0-0", 0, 0);
    xs("xsetbv-xcr0-2-no-x87", 0, 0x2);
    xs("xsetbv-xcr0-5-avx-no-sse", 0, 0x5);

    /* Lowest bit (>= 2) not in the supported mask, with legal companions. */
    int bit = -1;
    for (int b = 2; b < 63; b++)
        if (!(mask & (1ull << b))) {
            bit = b;
            break;
        }
    if (bit >= 0) {
        u64 x = 0x3 | (1ull << bit);
        if (bit == 3 || bit == 4)
            x |= (1ull << 3) | (1ull << 4);
        if (bit >= 5 && bit <= 7)
            x |= 0xe4;
        xs(mkname("xsetbv-unsupported-bit", bit, ""), 0, x);
    }

    xs("xsetbv-mpx-bndregs-only", 0, 0x3 | (1u << 3));
    xs("xsetbv-mpx-bndcsr-only", 0, 0x3 | (1u << 4));
    xs("xsetbv-avx512-opmask-only", 0, 0x7 | (1u << 5));
    xs("xsetbv-avx512-without-avx", 0, 0x3 | 0xe0);
    xs("xsetbv-bit63", 0, 0x3 | (1ull << 63));
    /* XCR0 = 1 (x87 only) is legal and leaves SSE to CR4.OSFXSR (SDM Vol. 1
     * 13.3): XMM2 must keep its value across a record, which as a guest is
     * an exit to the embedder (port 0xE9), where XSAVE under this XCR0
     * would not save it. */
    xs("xsetbv-xcr0-1-x87-only", 0, 0x1);
    {
        u32 x = 0x5a5aa5a5u, y = 0;
        write_cr4(read_cr4() | (1u << 9));  /* OSFXSR */
        __asm__ volatile("movd %0, %%xmm2" : : "r"(x));
        rec64("xcr0-1-xmm2-written", x);
        __asm__ volatile("movd %%xmm2, %0" : "=r"(y));
        rec64("xcr0-1-xmm2-after-an-exit", y);
    }
    xs("xsetbv-xcr0-3", 0, 0x3);
    xs("xsetbv-xcr0-7", 0, 0x7);
    /* Every user state component the CPU reports (bits 0-9: x87 ... PKRU). */
    xs("xsetbv-all-supported", 0, mask & 0x2ff);

    /* XINUSE depends on the register contents the loader left: put every
     * enabled component in its initial configuration first (XRSTOR with
     * XSTATE_BV = 0), then XGETBV(1) must read 0. */
    xsave_area[24] = 0x80;              /* MXCSR = 0x1f80 */
    xsave_area[25] = 0x1f;
    fault_arm();
    __asm__ volatile(TRY_BEGIN "xrstor %0" TRY_END
                     : : "m"(xsave_area), "a"(0xffffffffu), "d"(0xffffffffu) : "memory");
    rec64("xrstor-init-state", 0);
    t_xgetbv(1, &v);
    rec64("xgetbv1-xinuse-after-init", v);
    t_xgetbv(2, &v);
    rec64("xgetbv-ecx2", v);

    xs("xsetbv-restore-3", 0, 0x3);

    /* With CR4.OSXSAVE clear: #UD for both. */
    t_wr_cr4(read_cr4() & ~(uptr)CR4_OSXSAVE);
    xs("xsetbv-osxsave0", 0, 0x3);
    t_xgetbv(0, &v);
    rec64("xgetbv-osxsave0", v);

    t_wr_cr4(cr4);
}

#endif
