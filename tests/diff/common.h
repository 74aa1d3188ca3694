/* tests/diff/common.h — shared by the 32-bit part (pm.c, built -m32) and the
 * long-mode part (lm.c, built -m64) of the differential test kernel.
 *
 * Output: port 0xE9 only, one byte per OUT. Records:
 *   CASE <mode> <name>: ok <hex value(s)>
 *   CASE <mode> <name>: #GP(<err hex>) | #UD | #<mnemonic>[(<err hex>)]
 *
 * Fault catching ("try"): before the instruction under test the case stores
 * the address of the instruction following it in recover_ip; the exception
 * stubs (boot32.S / lm64.S) record the vector and error code in fault_vec /
 * fault_err and resume at recover_ip (then clear it). A fault with
 * recover_ip == 0 is unexpected: the stub prints it and ends the run.
 *
 * Include this header from exactly one C file per image (it defines
 * memset/memcpy). */
#ifndef DIFF_COMMON_H
#define DIFF_COMMON_H

#include <stdarg.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned long uptr;

#define NOFAULT 0xffffffffu

/* Defined by the assembly of each image. */
extern volatile uptr recover_ip;
extern volatile u32 fault_vec, fault_err;

#ifdef __x86_64__
#define MOVP "movq"
#else
#define MOVP "movl"
#endif

/* Start/end of a guarded instruction sequence inside one asm statement. */
#define TRY_BEGIN MOVP " $1f, recover_ip\n\t"
#define TRY_END   "\n1:\n\t" MOVP " $0, recover_ip\n\t"

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

void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

__attribute__((used)) void *memset(void *d, int c, unsigned long n)
{
    volatile u8 *p = d;
    while (n--)
        *p++ = (u8)c;
    return d;
}

__attribute__((used)) void *memcpy(void *d, const void *s, unsigned long n)
{
    volatile u8 *p = d;
    const u8 *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

/* ------------------------------------------------------------- output */
static inline void outb(u16 port, u8 v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void putc_e9(char c) { outb(0xe9, (u8)c); }

static inline void puts_e9(const char *s)
{
    while (*s)
        putc_e9(*s++);
}

static inline void puthex(u64 v, int width)
{
    char buf[17];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v & 0xf];
        v >>= 4;
    } while (v && n < 16);
    while (n < width && n < 16)
        buf[n++] = '0';
    while (n)
        putc_e9(buf[--n]);
}

static inline void putdec(u32 v)
{
    char buf[10];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        putc_e9(buf[--n]);
}

/* Tiny printf: %s %c %u %x %08x %016llx (width with 0 flag, l/ll). */
static inline void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            putc_e9(*fmt);
            continue;
        }
        fmt++;
        int width = 0, lng = 0;
        if (*fmt == '0')
            fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            lng++;
            fmt++;
        }
        switch (*fmt) {
        case 's': puts_e9(va_arg(ap, const char *)); break;
        case 'c': putc_e9((char)va_arg(ap, int)); break;
        case 'u': putdec(va_arg(ap, u32)); break;
        case 'x':
            if (lng >= 2)
                puthex(va_arg(ap, u64), width);
            else if (lng == 1)
                puthex(va_arg(ap, unsigned long), width);
            else
                puthex(va_arg(ap, u32), width);
            break;
        case '%': putc_e9('%'); break;
        default: putc_e9('?'); break;
        }
    }
    va_end(ap);
}

static inline void bochs_shutdown(void)
{
    const char *s = "Shutdown";
    while (*s)
        outb(0x8900, (u8)*s++);
    for (;;)
        __asm__ volatile("cli; hlt");
}

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

static inline void arm(void) { fault_vec = NOFAULT; fault_err = 0; }

static const char *cur_mode = "?";
static unsigned case_count;

static inline void rec_head(const char *name)
{
    case_count++;
    kprintf("CASE %s %s: ", cur_mode, name);
}

/* Fault text for vector v (error code printed when the mode pushes one). */
static inline void put_fault(u32 v, u32 err, int with_err)
{
    if (v < 32)
        kprintf("#%s", vec_name[v]);
    else
        kprintf("#VEC%u", v);
    if (with_err && v < 32 && vec_has_err(v))
        kprintf("(%x)", err);
}

/* After a guarded sequence: "ok <value>" or the fault. */
static inline void rec32(const char *name, u32 val)
{
    rec_head(name);
    if (fault_vec != NOFAULT)
        put_fault(fault_vec, fault_err, 1);
    else
        kprintf("ok %08x", val);
    putc_e9('\n');
}

static inline void rec64(const char *name, u64 val)
{
    rec_head(name);
    if (fault_vec != NOFAULT)
        put_fault(fault_vec, fault_err, 1);
    else
        kprintf("ok %016llx", val);
    putc_e9('\n');
}

/* Plain values (no guarded instruction before them). */
static inline void note32(const char *name, u32 val)
{
    arm();
    rec32(name, val);
}

static inline void note64(const char *name, u64 val)
{
    arm();
    rec64(name, val);
}

static inline void rec4(const char *name, u32 a, u32 b, u32 c, u32 d)
{
    rec_head(name);
    if (fault_vec != NOFAULT)
        put_fault(fault_vec, fault_err, 1);
    else
        kprintf("ok %08x %08x %08x %08x", a, b, c, d);
    putc_e9('\n');
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
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

static inline uptr rd_cr0(void) { uptr v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uptr rd_cr3(void) { uptr v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uptr rd_cr4(void) { uptr v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }


/* Each t_* returns 0 on success, 1 when the instruction faulted. */
static inline int t_cpuid(u32 leaf, u32 sub, u32 r[4])
{
    u32 a, b, c, d;
    arm();
    __asm__ volatile(TRY_BEGIN "cpuid" TRY_END
                     : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(sub) : "memory");
    r[0] = a; r[1] = b; r[2] = c; r[3] = d;
    return fault_vec != NOFAULT;
}

static inline int t_wr_cr0(uptr v)
{
    arm();
    __asm__ volatile(TRY_BEGIN "mov %0, %%cr0" TRY_END : : "r"(v) : "memory");
    return fault_vec != NOFAULT;
}

static inline int t_rd_cr0(uptr *v)
{
    uptr x = 0;
    arm();
    __asm__ volatile(TRY_BEGIN "mov %%cr0, %0" TRY_END : "+r"(x) : : "memory");
    *v = x;
    return fault_vec != NOFAULT;
}

static inline int t_wr_cr3(uptr v)
{
    arm();
    __asm__ volatile(TRY_BEGIN "mov %0, %%cr3" TRY_END : : "r"(v) : "memory");
    return fault_vec != NOFAULT;
}

static inline int t_wr_cr4(uptr v)
{
    arm();
    __asm__ volatile(TRY_BEGIN "mov %0, %%cr4" TRY_END : : "r"(v) : "memory");
    return fault_vec != NOFAULT;
}

static inline int t_xsetbv(u32 idx, u64 v)
{
    arm();
    __asm__ volatile(TRY_BEGIN "xsetbv" TRY_END
                     : : "c"(idx), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
    return fault_vec != NOFAULT;
}

static inline int t_xgetbv(u32 idx, u64 *v)
{
    u32 lo = 0, hi = 0;
    arm();
    __asm__ volatile(TRY_BEGIN "xgetbv" TRY_END
                     : "+a"(lo), "+d"(hi) : "c"(idx) : "memory");
    *v = ((u64)hi << 32) | lo;
    return fault_vec != NOFAULT;
}

static inline int t_rdmsr(u32 msr, u64 *v)
{
    u32 lo = 0, hi = 0;
    arm();
    __asm__ volatile(TRY_BEGIN "rdmsr" TRY_END
                     : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    *v = ((u64)hi << 32) | lo;
    return fault_vec != NOFAULT;
}

static inline int t_wrmsr(u32 msr, u64 v)
{
    arm();
    __asm__ volatile(TRY_BEGIN "wrmsr" TRY_END
                     : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
    return fault_vec != NOFAULT;
}

static inline int t_clts(void)
{
    arm();
    __asm__ volatile(TRY_BEGIN "clts" TRY_END : : : "memory");
    return fault_vec != NOFAULT;
}

static inline int t_ud2(void)
{
    arm();
    __asm__ volatile(TRY_BEGIN "ud2" TRY_END : : : "memory");
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
/* Standard-form XSAVE area, header all zero: XRSTOR from it initializes. */
static u8 xsave_area[4096] __attribute__((aligned(64)));

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
    u32 r[4];
    u64 v, mask;
    uptr cr4 = rd_cr4();

    t_wr_cr4(cr4 | CR4_OSXSAVE);
    rec64("xsetbv-prep-osxsave", rd_cr4());

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
    xs("xsetbv-xcr0-3", 0, 0x3);
    xs("xsetbv-xcr0-7", 0, 0x7);
    /* Every user state component the CPU reports (bits 0-9: x87 ... PKRU). */
    xs("xsetbv-all-supported", 0, mask & 0x2ff);

    /* XINUSE depends on the register contents the loader left: put every
     * enabled component in its initial configuration first (XRSTOR with
     * XSTATE_BV = 0), then XGETBV(1) must read 0. */
    xsave_area[24] = 0x80;              /* MXCSR = 0x1f80 */
    xsave_area[25] = 0x1f;
    arm();
    __asm__ volatile(TRY_BEGIN "xrstor %0" TRY_END
                     : : "m"(xsave_area), "a"(0xffffffffu), "d"(0xffffffffu) : "memory");
    rec64("xrstor-init-state", 0);
    t_xgetbv(1, &v);
    rec64("xgetbv1-xinuse-after-init", v);
    t_xgetbv(2, &v);
    rec64("xgetbv-ecx2", v);

    xs("xsetbv-restore-3", 0, 0x3);

    /* With CR4.OSXSAVE clear: #UD for both. */
    t_wr_cr4(rd_cr4() & ~(uptr)CR4_OSXSAVE);
    xs("xsetbv-osxsave0", 0, 0x3);
    t_xgetbv(0, &v);
    rec64("xgetbv-osxsave0", v);

    t_wr_cr4(cr4);
}

#endif
