/* src/lib/alu.c against the host CPU: each operation, every size, over
 * edge values and random ones (and random incoming flags: CF feeds
 * ADC/SBB/RCL/RCR, the others must pass through), executed by the real
 * instruction in inline asm and by the library; result and every flag the
 * SDM defines must be equal. Flags the SDM leaves undefined are masked
 * (they differ between vendors; the host may be AMD): the library follows
 * Intel/Bochs there (alu.c) and the guest fuzzer checks that against
 * Bochs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <cmocka.h>
#include "lib/alu.h"

#if defined(__x86_64__)

#define FL X86VCPU_FL_ARITH
#define CF X86VCPU_FL_CF
#define PF X86VCPU_FL_PF
#define AF X86VCPU_FL_AF
#define ZF X86VCPU_FL_ZF
#define SF X86VCPU_FL_SF
#define OF X86VCPU_FL_OF

/* popf the flags in, run the instruction, pushf them out (below the red zone). */
#define RUN(body, ...)                                                                    \
    __asm__ volatile("sub $128, %%rsp\n\tpush %[fl]\n\tpopfq\n\t" body                  \
                     "\n\tpushfq\n\tpop %[fl]\n\tadd $128, %%rsp" __VA_ARGS__ : "cc", "memory")

typedef uint64_t (*hostfn)(uint64_t a, uint64_t b, uint64_t *fl);

#define BIN(name, mn)                                                                     \
    static uint64_t name##1(uint64_t a, uint64_t b, uint64_t *f)                          \
    { uint8_t x = (uint8_t)a, y = (uint8_t)b; RUN(mn "b %[y], %[x]", : [x] "+q"(x), [fl] "+r"(*f) : [y] "q"(y)); return x; } \
    static uint64_t name##2(uint64_t a, uint64_t b, uint64_t *f)                          \
    { uint16_t x = (uint16_t)a, y = (uint16_t)b; RUN(mn "w %[y], %[x]", : [x] "+r"(x), [fl] "+r"(*f) : [y] "r"(y)); return x; } \
    static uint64_t name##4(uint64_t a, uint64_t b, uint64_t *f)                          \
    { uint32_t x = (uint32_t)a, y = (uint32_t)b; RUN(mn "l %[y], %[x]", : [x] "+r"(x), [fl] "+r"(*f) : [y] "r"(y)); return x; } \
    static uint64_t name##8(uint64_t a, uint64_t b, uint64_t *f)                          \
    { uint64_t x = a, y = b; RUN(mn "q %[y], %[x]", : [x] "+r"(x), [fl] "+r"(*f) : [y] "r"(y)); return x; }

#define UNA(name, mn)                                                                     \
    static uint64_t name##1(uint64_t a, uint64_t b, uint64_t *f)                          \
    { uint8_t x = (uint8_t)a; (void)b; RUN(mn "b %[x]", : [x] "+q"(x), [fl] "+r"(*f) :); return x; } \
    static uint64_t name##2(uint64_t a, uint64_t b, uint64_t *f)                          \
    { uint16_t x = (uint16_t)a; (void)b; RUN(mn "w %[x]", : [x] "+r"(x), [fl] "+r"(*f) :); return x; } \
    static uint64_t name##4(uint64_t a, uint64_t b, uint64_t *f)                          \
    { uint32_t x = (uint32_t)a; (void)b; RUN(mn "l %[x]", : [x] "+r"(x), [fl] "+r"(*f) :); return x; } \
    static uint64_t name##8(uint64_t a, uint64_t b, uint64_t *f)                          \
    { uint64_t x = a; (void)b; RUN(mn "q %[x]", : [x] "+r"(x), [fl] "+r"(*f) :); return x; }

#define SHF(name, mn)                                                                     \
    static uint64_t name##1(uint64_t a, uint64_t b, uint64_t *f)                          \
    { uint8_t x = (uint8_t)a, c = (uint8_t)b; RUN(mn "b %%cl, %[x]", : [x] "+q"(x), [fl] "+r"(*f) : "c"(c)); return x; } \
    static uint64_t name##2(uint64_t a, uint64_t b, uint64_t *f)                          \
    { uint16_t x = (uint16_t)a; uint8_t c = (uint8_t)b; RUN(mn "w %%cl, %[x]", : [x] "+r"(x), [fl] "+r"(*f) : "c"(c)); return x; } \
    static uint64_t name##4(uint64_t a, uint64_t b, uint64_t *f)                          \
    { uint32_t x = (uint32_t)a; uint8_t c = (uint8_t)b; RUN(mn "l %%cl, %[x]", : [x] "+r"(x), [fl] "+r"(*f) : "c"(c)); return x; } \
    static uint64_t name##8(uint64_t a, uint64_t b, uint64_t *f)                          \
    { uint64_t x = a; uint8_t c = (uint8_t)b; RUN(mn "q %%cl, %[x]", : [x] "+r"(x), [fl] "+r"(*f) : "c"(c)); return x; }

/* No byte forms: BT* and IMUL r, r/m. The 8-bit slot is never used. */
#define WID(name, mn)                                                                     \
    static uint64_t name##2(uint64_t a, uint64_t b, uint64_t *f)                          \
    { uint16_t x = (uint16_t)a, y = (uint16_t)b; RUN(mn "w %[y], %[x]", : [x] "+r"(x), [fl] "+r"(*f) : [y] "r"(y)); return x; } \
    static uint64_t name##4(uint64_t a, uint64_t b, uint64_t *f)                          \
    { uint32_t x = (uint32_t)a, y = (uint32_t)b; RUN(mn "l %[y], %[x]", : [x] "+r"(x), [fl] "+r"(*f) : [y] "r"(y)); return x; } \
    static uint64_t name##8(uint64_t a, uint64_t b, uint64_t *f)                          \
    { uint64_t x = a, y = b; RUN(mn "q %[y], %[x]", : [x] "+r"(x), [fl] "+r"(*f) : [y] "r"(y)); return x; }

BIN(h_add, "add") BIN(h_or, "or") BIN(h_adc, "adc") BIN(h_sbb, "sbb")
BIN(h_and, "and") BIN(h_sub, "sub") BIN(h_xor, "xor") BIN(h_cmp, "cmp") BIN(h_test, "test")
UNA(h_not, "not") UNA(h_neg, "neg") UNA(h_inc, "inc") UNA(h_dec, "dec")
SHF(h_rol, "rol") SHF(h_ror, "ror") SHF(h_rcl, "rcl") SHF(h_rcr, "rcr")
SHF(h_shl, "shl") SHF(h_shr, "shr") SHF(h_sal, "sal") SHF(h_sar, "sar")
WID(h_bt, "bt") WID(h_bts, "bts") WID(h_btr, "btr") WID(h_btc, "btc") WID(h_imul, "imul")

#define ALL4(n) { n##1, n##2, n##4, n##8 }
#define WID3(n) { 0, n##2, n##4, n##8 }
static const struct {
    unsigned op;
    const char *name;
    hostfn fn[4];
} ops[] = {
    { X86VCPU_ALU_ADD, "add", ALL4(h_add) }, { X86VCPU_ALU_OR, "or", ALL4(h_or) },
    { X86VCPU_ALU_ADC, "adc", ALL4(h_adc) }, { X86VCPU_ALU_SBB, "sbb", ALL4(h_sbb) },
    { X86VCPU_ALU_AND, "and", ALL4(h_and) }, { X86VCPU_ALU_SUB, "sub", ALL4(h_sub) },
    { X86VCPU_ALU_XOR, "xor", ALL4(h_xor) }, { X86VCPU_ALU_CMP, "cmp", ALL4(h_cmp) },
    { X86VCPU_ALU_ROL, "rol", ALL4(h_rol) }, { X86VCPU_ALU_ROR, "ror", ALL4(h_ror) },
    { X86VCPU_ALU_RCL, "rcl", ALL4(h_rcl) }, { X86VCPU_ALU_RCR, "rcr", ALL4(h_rcr) },
    { X86VCPU_ALU_SHL, "shl", ALL4(h_shl) }, { X86VCPU_ALU_SHR, "shr", ALL4(h_shr) },
    { X86VCPU_ALU_SAL, "sal", ALL4(h_sal) }, { X86VCPU_ALU_SAR, "sar", ALL4(h_sar) },
    { X86VCPU_ALU_TEST, "test", ALL4(h_test) },
    { X86VCPU_ALU_NOT, "not", ALL4(h_not) }, { X86VCPU_ALU_NEG, "neg", ALL4(h_neg) },
    { X86VCPU_ALU_INC, "inc", ALL4(h_inc) }, { X86VCPU_ALU_DEC, "dec", ALL4(h_dec) },
    { X86VCPU_ALU_BT, "bt", WID3(h_bt) }, { X86VCPU_ALU_BTS, "bts", WID3(h_bts) },
    { X86VCPU_ALU_BTR, "btr", WID3(h_btr) }, { X86VCPU_ALU_BTC, "btc", WID3(h_btc) },
    { X86VCPU_ALU_IMUL2, "imul", WID3(h_imul) },
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const uint64_t edges[] = {
    0, 1, 2, 0xf, 0x10, 0x7f, 0x80, 0x81, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
    0x8000000000000000ull, 0xffffffffffffffffull, 0x5555555555555555ull, 0xaaaaaaaaaaaaaaaaull,
};
#define NEDGE (sizeof edges / sizeof edges[0])

/* Flags the SDM leaves undefined for this op, size and operand. */
static uint64_t undefined(unsigned op, unsigned size, uint64_t b)
{
    unsigned c = (unsigned)(b & (size == 8 ? 63 : 31));
    switch (op) {
    case X86VCPU_ALU_AND: case X86VCPU_ALU_OR: case X86VCPU_ALU_XOR: case X86VCPU_ALU_TEST:
        return AF;
    case X86VCPU_ALU_ROL: case X86VCPU_ALU_ROR: case X86VCPU_ALU_RCL: case X86VCPU_ALU_RCR:
        return c == 1 ? 0 : OF;
    case X86VCPU_ALU_SHL: case X86VCPU_ALU_SHR: case X86VCPU_ALU_SAL: case X86VCPU_ALU_SAR:
        if (c == 0)
            return 0;
        return AF | (c == 1 ? 0 : OF) | (c >= 8 * size ? CF : 0);
    case X86VCPU_ALU_BT: case X86VCPU_ALU_BTS: case X86VCPU_ALU_BTR: case X86VCPU_ALU_BTC:
        return OF | SF | AF | PF;
    case X86VCPU_ALU_IMUL2:
        return SF | ZF | AF | PF;
    default:
        return 0;
    }
}

static unsigned checked;

static void check_one(unsigned k, unsigned si, uint64_t a, uint64_t b, uint64_t fin)
{
    static const unsigned sizes[4] = { 1, 2, 4, 8 };
    unsigned size = sizes[si];
    uint64_t m = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
    uint64_t hf = fin, lf = fin;
    uint64_t hr = ops[k].fn[si](a, b, &hf) & m;
    uint64_t lr = x86vcpu__alu(ops[k].op, size, a, b, &lf);
    uint64_t cmpmask = FL & ~undefined(ops[k].op, size, b);
    if (hr != lr || ((hf ^ lf) & cmpmask)) {
        print_error("%s size %u a=%#llx b=%#llx flags in %#llx: host %#llx fl %#llx, lib %#llx fl %#llx\n",
                    ops[k].name, size, (unsigned long long)a, (unsigned long long)b,
                    (unsigned long long)fin, (unsigned long long)hr, (unsigned long long)hf,
                    (unsigned long long)lr, (unsigned long long)lf);
        fail();
    }
    /* Flags outside the arithmetic six never change. */
    assert_int_equal(lf & ~FL, fin & ~FL);
    checked++;
}

static uint64_t rand_flags(void)
{
    return 0x202 | (rnd() & FL);
}

static void test_alu_vs_host(void **state)
{
    (void)state;
    for (unsigned k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        int shift = ops[k].op >= X86VCPU_ALU_ROL && ops[k].op <= X86VCPU_ALU_SAR;
        for (unsigned si = 0; si < 4; si++) {
            if (!ops[k].fn[si])
                continue;
            for (unsigned i = 0; i < NEDGE; i++) {
                if (shift) {
                    for (uint64_t c = 0; c < 72; c++) {
                        check_one(k, si, edges[i], c, rand_flags() & ~CF);
                        check_one(k, si, edges[i], c, rand_flags() | CF);
                    }
                    continue;
                }
                for (unsigned j = 0; j < NEDGE; j++) {
                    check_one(k, si, edges[i], edges[j], 0x202);
                    check_one(k, si, edges[i], edges[j], rand_flags() | CF);
                }
            }
            for (unsigned n = 0; n < 4000; n++) {
                uint64_t a = rnd(), b = rnd();
                if (n & 1) /* small operands hit carries and zero results */
                    a &= 0x1ff, b &= 0x1ff;
                if (shift)
                    b &= 0xff;
                check_one(k, si, a, b, rand_flags());
            }
        }
    }
    print_message("  %u ALU results checked against the host CPU\n", checked);
}

/* MUL/IMUL/DIV/IDIV through the accumulators. */
static int host_muldiv(unsigned op, unsigned size, uint64_t *ax, uint64_t *dx, uint64_t src,
                       uint64_t *f)
{
    uint64_t a = *ax, d = *dx;
#define MD(mn, sfx, T) do { T s = (T)src; RUN(mn sfx " %[s]", : "+a"(a), "+d"(d), [fl] "+r"(*f) : [s] "r"(s)); } while (0)
#define MDB(mn) do { uint8_t s = (uint8_t)src; RUN(mn "b %[s]", : "+a"(a), "+d"(d), [fl] "+r"(*f) : [s] "q"(s)); } while (0)
    switch (op * 10 + size) {
    case 41: MDB("mul"); break;
    case 42: MD("mul", "w", uint16_t); break;
    case 44: MD("mul", "l", uint32_t); break;
    case 48: MD("mul", "q", uint64_t); break;
    case 51: MDB("imul"); break;
    case 52: MD("imul", "w", uint16_t); break;
    case 54: MD("imul", "l", uint32_t); break;
    case 58: MD("imul", "q", uint64_t); break;
    case 61: MDB("div"); break;
    case 62: MD("div", "w", uint16_t); break;
    case 64: MD("div", "l", uint32_t); break;
    case 68: MD("div", "q", uint64_t); break;
    case 71: MDB("idiv"); break;
    case 72: MD("idiv", "w", uint16_t); break;
    case 74: MD("idiv", "l", uint32_t); break;
    case 78: MD("idiv", "q", uint64_t); break;
    }
    *ax = a;
    *dx = d;
    return 0;
}

/* Would the division fault? Computed independently with 128-bit ints. */
static int divides(unsigned op, unsigned size, uint64_t ax, uint64_t dx, uint64_t src)
{
    unsigned bits = 8 * size;
    unsigned __int128 m = size == 8 ? ~(unsigned __int128)0 >> 64 : ((unsigned __int128)1 << bits) - 1;
    if ((src & (uint64_t)m) == 0)
        return 0;
    if (op == 6) {
        unsigned __int128 n = size == 1 ? (ax & 0xffff) : (((unsigned __int128)(dx & (uint64_t)m)) << bits) | (ax & (uint64_t)m);
        return n / (src & (uint64_t)m) <= m;
    }
    __int128 n, d;
    if (size == 1)
        n = (int16_t)ax, d = (int8_t)src;
    else if (size == 2)
        n = (int32_t)(((dx & 0xffff) << 16) | (ax & 0xffff)), d = (int16_t)src;
    else if (size == 4)
        n = (int64_t)((dx << 32) | (ax & 0xffffffff)), d = (int32_t)src;
    else
        n = (__int128)(((unsigned __int128)dx << 64) | ax), d = (int64_t)src;
    __int128 q = n / d, lim = (__int128)1 << (bits - 1);
    return q >= -lim && q < lim;
}

static void test_muldiv_vs_host(void **state)
{
    (void)state;
    static const unsigned sizes[4] = { 1, 2, 4, 8 };
    unsigned n = 0, de = 0;
    for (unsigned op = 4; op <= 7; op++) {
        for (unsigned si = 0; si < 4; si++) {
            unsigned size = sizes[si];
            for (unsigned t = 0; t < 3000 + NEDGE * NEDGE; t++) {
                uint64_t ax, dx, src;
                if (t < NEDGE * NEDGE) {
                    ax = edges[t % NEDGE], src = edges[t / NEDGE], dx = t & 1 ? 0 : ~0ull;
                } else {
                    ax = rnd(), dx = rnd(), src = rnd();
                    if (t & 1)
                        dx &= 0xf, src |= 1ull << (8 * size - 2);   /* mostly no #DE */
                    if (t & 2)
                        dx = (int64_t)ax < 0 ? ~0ull : 0;           /* sign-extended dividend */
                }
                uint64_t fin = rand_flags(), lf = fin, la = ax, ld = dx;
                int r = x86vcpu__muldiv(op, size, &la, &ld, src, &lf);
                if (op >= 6 && !divides(op, size, ax, dx, src)) {
                    assert_int_equal(r, -1);
                    assert_int_equal(la, ax);
                    assert_int_equal(ld, dx);
                    de++;
                    continue;
                }
                assert_int_equal(r, 0);
                uint64_t hf = fin, ha = ax, hd = dx;
                host_muldiv(op, size, &ha, &hd, src, &hf);
                /* MUL/IMUL: CF OF defined; DIV/IDIV: none. */
                uint64_t cmpmask = op <= 5 ? CF | OF : 0;
                if (ha != la || hd != ld || ((hf ^ lf) & cmpmask)) {
                    print_error("op /%u size %u ax=%#llx dx=%#llx src=%#llx: host %#llx:%#llx fl %#llx, lib %#llx:%#llx fl %#llx\n",
                                op, size, (unsigned long long)ax, (unsigned long long)dx,
                                (unsigned long long)src, (unsigned long long)hd,
                                (unsigned long long)ha, (unsigned long long)hf,
                                (unsigned long long)ld, (unsigned long long)la,
                                (unsigned long long)lf);
                    fail();
                }
                n++;
            }
        }
    }
    print_message("  %u MUL/IMUL/DIV/IDIV results checked against the host CPU, %u #DE\n", n, de);
}

/* x86vcpu__insn_exec on decoded instructions against the host executing
 * the same instruction on a memory operand: registers, memory, flags. The
 * encodings use [rax] as the memory operand (mod 00, rm 000), reg field
 * rcx (001); the host runs the AT&T form on a C variable. */
static uint8_t hx(const char *h, uint8_t *b)
{
    unsigned n = 0, v;
    while (sscanf(h, "%2x", &v) == 1) {
        b[n++] = (uint8_t)v;
        h += 2;
        while (*h == ' ')
            h++;
    }
    return (uint8_t)n;
}

static void exec_lib(const char *hex, uint64_t *mem, uint64_t gpr[16], uint64_t *fl)
{
    uint8_t b[16];
    struct x86vcpu_insn in;
    unsigned n = hx(hex, b);
    assert_int_equal(x86vcpu__decode(b, n, 64, &in), 0);
    uint64_t out;
    int r = x86vcpu__insn_exec(&in, *mem, gpr, fl, &out);
    if (r & X86VCPU_EXEC_WRITE) {
        uint64_t m = in.mem_size == 8 ? ~0ull : (1ull << (8 * in.mem_size)) - 1;
        *mem = (*mem & ~m) | (out & m);
    }
}

/* A global: addressed RIP-relative, not through RSP, which RUN moves. */
static uint64_t exec_mem;

#define EXEC_CASE(hex, body, cmpfl)                                                         \
    do {                                                                                    \
        uint64_t g[16] = { 0 }, lf = fin, hf = fin, lm = mem0, hm = mem0;                   \
        uint64_t a = ax0, c = cx0, d = dx0, b = bx0;                                        \
        g[0] = ax0, g[1] = cx0, g[2] = dx0, g[3] = bx0;                                     \
        exec_lib(hex, &lm, g, &lf);                                                         \
        exec_mem = hm;                                                                      \
        RUN(body, : "+a"(a), "+c"(c), "+d"(d), "+b"(b), [m] "+m"(exec_mem), [fl] "+r"(hf) :); \
        hm = exec_mem;                                                                      \
        if (g[0] != a || g[1] != c || g[2] != d || g[3] != b || lm != hm ||                 \
            ((lf ^ hf) & (cmpfl))) {                                                        \
            print_error("%s: ax %#llx cx %#llx mem %#llx fl %#llx: host ax %#llx cx %#llx " \
                        "dx %#llx mem %#llx fl %#llx, lib ax %#llx cx %#llx dx %#llx "      \
                        "mem %#llx fl %#llx\n", hex, (unsigned long long)ax0,               \
                        (unsigned long long)cx0, (unsigned long long)mem0,                  \
                        (unsigned long long)fin, (unsigned long long)a,                     \
                        (unsigned long long)c, (unsigned long long)d,                       \
                        (unsigned long long)hm, (unsigned long long)hf,                     \
                        (unsigned long long)g[0], (unsigned long long)g[1],                 \
                        (unsigned long long)g[2], (unsigned long long)lm,                   \
                        (unsigned long long)lf);                                            \
            fail();                                                                         \
        }                                                                                   \
        n++;                                                                                \
    } while (0)

/* CPUID.01H:ECX.MOVBE[bit 22]. */
static int host_movbe(void)
{
    uint32_t a = 1, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return (c >> 22) & 1;
}

/* The 16-byte forms against the host: CMPXCHG16B (x86vcpu__cmpxchg16b:
 * RAX RDX ZF and the 16 bytes stored) and the SSE moves (x86vcpu__sse_load
 * / _sse_store: the whole XMM register after a load, which must be zero-
 * extended, and the bytes a store writes, no more). */
static uint64_t wide_mem[2] __attribute__((aligned(16)));
static uint64_t wide_xmm[2] __attribute__((aligned(16)));

static void sse_case(const char *hex, void (*host)(void), uint64_t m0, uint64_t m1, uint64_t x0,
                     uint64_t x1, unsigned *n)
{
    uint8_t b[16];
    struct x86vcpu_insn in;
    unsigned len = hx(hex, b);
    assert_int_equal(x86vcpu__decode(b, len, 64, &in), 0);
    uint64_t mem[2] = { m0, m1 }, xmm[2] = { x0, x1 }, lm[2] = { m0, m1 }, lx[2] = { x0, x1 };
    if (in.op == X86VCPU_MMIO_SSE_LOAD) {
        x86vcpu__sse_load(&in, mem, lx);
    } else {
        uint64_t out[2];
        x86vcpu__sse_store(&in, xmm, out);
        uint64_t mk = in.mem_size >= 8 ? ~0ull : (1ull << (8 * in.mem_size)) - 1;
        lm[0] = (m0 & ~mk) | (out[0] & mk);
        if (in.mem_size == 16)
            lm[1] = out[1];
    }
    wide_mem[0] = m0, wide_mem[1] = m1, wide_xmm[0] = x0, wide_xmm[1] = x1;
    host();
    if (wide_mem[0] != lm[0] || wide_mem[1] != lm[1] || wide_xmm[0] != lx[0] || wide_xmm[1] != lx[1])
        fail_msg("%s: host mem %#llx:%#llx xmm %#llx:%#llx, lib mem %#llx:%#llx xmm %#llx:%#llx", hex,
                 (unsigned long long)wide_mem[1], (unsigned long long)wide_mem[0],
                 (unsigned long long)wide_xmm[1], (unsigned long long)wide_xmm[0],
                 (unsigned long long)lm[1], (unsigned long long)lm[0],
                 (unsigned long long)lx[1], (unsigned long long)lx[0]);
    (*n)++;
}

/* XMM0 from wide_xmm, the instruction on wide_mem, XMM0 back. */
#define SSE_HOST(name, insn)                                                                   static void name(void)                                                                     {                                                                                              __asm__ volatile("movdqu %[x], %%xmm0\n\t" insn "\n\tmovdqu %%xmm0, %[x]"                                : [x] "+m"(wide_xmm), [m] "+m"(wide_mem) : : "xmm0", "memory");       }
SSE_HOST(h_movups_ld, "movups %[m], %%xmm0")
SSE_HOST(h_movaps_st, "movaps %%xmm0, %[m]")
SSE_HOST(h_movdqa_ld, "movdqa %[m], %%xmm0")
SSE_HOST(h_movdqu_st, "movdqu %%xmm0, %[m]")
SSE_HOST(h_movss_ld, "movss %[m], %%xmm0")
SSE_HOST(h_movss_st, "movss %%xmm0, %[m]")
SSE_HOST(h_movsd_ld, "movsd %[m], %%xmm0")
SSE_HOST(h_movsd_st, "movsd %%xmm0, %[m]")
SSE_HOST(h_movd_ld, "movd %[m], %%xmm0")
SSE_HOST(h_movd_st, "movd %%xmm0, %[m]")
SSE_HOST(h_movq_ld, "movq %[m], %%xmm0")
SSE_HOST(h_movq_st, "movq %%xmm0, %[m]")

static void test_wide_vs_host(void **state)
{
    (void)state;
    unsigned n = 0;
    for (unsigned t = 0; t < 2000; t++) {
        uint64_t m0 = rnd(), m1 = rnd(), x0 = rnd(), x1 = rnd();
        sse_case("0f 10 00", h_movups_ld, m0, m1, x0, x1, &n);
        sse_case("0f 29 00", h_movaps_st, m0, m1, x0, x1, &n);
        sse_case("66 0f 6f 00", h_movdqa_ld, m0, m1, x0, x1, &n);
        sse_case("f3 0f 7f 00", h_movdqu_st, m0, m1, x0, x1, &n);
        sse_case("f3 0f 10 00", h_movss_ld, m0, m1, x0, x1, &n);
        sse_case("f3 0f 11 00", h_movss_st, m0, m1, x0, x1, &n);
        sse_case("f2 0f 10 00", h_movsd_ld, m0, m1, x0, x1, &n);
        sse_case("f2 0f 11 00", h_movsd_st, m0, m1, x0, x1, &n);
        sse_case("66 0f 6e 00", h_movd_ld, m0, m1, x0, x1, &n);
        sse_case("66 0f 7e 00", h_movd_st, m0, m1, x0, x1, &n);
        sse_case("f3 0f 7e 00", h_movq_ld, m0, m1, x0, x1, &n);
        sse_case("66 0f d6 00", h_movq_st, m0, m1, x0, x1, &n);

        /* CMPXCHG16B: equal on every other round. */
        uint64_t g[16] = { 0 }, lf = rand_flags(), hf = lf;
        uint64_t a = rnd(), d = rnd(), b = rnd(), c = rnd();
        if (t & 1)
            m0 = a, m1 = d;
        if (t & 2)
            m0 = a;                     /* only the low half equal */
        g[0] = a, g[1] = c, g[2] = d, g[3] = b;
        uint64_t in[2] = { m0, m1 }, out[2];
        assert_int_equal(x86vcpu__cmpxchg16b(in, g, &lf, out), X86VCPU_EXEC_WRITE);
        wide_mem[0] = m0, wide_mem[1] = m1;
        RUN("lock cmpxchg16b %[m]", : "+a"(a), "+d"(d), "+b"(b), "+c"(c), [m] "+m"(wide_mem),
            [fl] "+r"(hf) :);
        if (g[0] != a || g[2] != d || out[0] != wide_mem[0] || out[1] != wide_mem[1] ||
            ((lf ^ hf) & FL))
            fail_msg("cmpxchg16b: host rax %#llx rdx %#llx mem %#llx:%#llx fl %#llx, lib rax %#llx "
                     "rdx %#llx mem %#llx:%#llx fl %#llx", (unsigned long long)a,
                     (unsigned long long)d, (unsigned long long)wide_mem[1],
                     (unsigned long long)wide_mem[0], (unsigned long long)hf,
                     (unsigned long long)g[0], (unsigned long long)g[2],
                     (unsigned long long)out[1], (unsigned long long)out[0], (unsigned long long)lf);
        n++;
    }
    print_message("  %u 16-byte / SSE operations checked against the host CPU\n", n);
}

/* BSF BSR TZCNT LZCNT POPCNT against the host: the destination (whether
 * written, and its value) and the flags the SDM defines (BSF/BSR: ZF;
 * TZCNT/LZCNT: CF ZF; POPCNT: all). F3 0F BC/BD are what the host CPU
 * makes of them (x86vcpu__bitscan_effective: BSF/BSR without BMI1/LZCNT).
 * The source is a register: RUN moves %rsp, and clang addresses an "m"
 * operand on the stack through %rsp (it then read another slot). */
#define BS_HOST(name, insn, type)                                                          \
    static uint64_t name(uint64_t src, uint64_t dst, uint64_t *fl)                         \
    {                                                                                      \
        type s = (type)src, d = (type)dst;                                                 \
        RUN(insn " %[s], %[d]", : [d] "+r"(d), [fl] "+r"(*fl) : [s] "r"(s));               \
        return d;                                                                          \
    }
BS_HOST(bsf2, "bsfw", uint16_t) BS_HOST(bsf4, "bsfl", uint32_t) BS_HOST(bsf8, "bsfq", uint64_t)
BS_HOST(bsr2, "bsrw", uint16_t) BS_HOST(bsr4, "bsrl", uint32_t) BS_HOST(bsr8, "bsrq", uint64_t)
BS_HOST(tz2, "tzcntw", uint16_t) BS_HOST(tz4, "tzcntl", uint32_t) BS_HOST(tz8, "tzcntq", uint64_t)
BS_HOST(lz2, "lzcntw", uint16_t) BS_HOST(lz4, "lzcntl", uint32_t) BS_HOST(lz8, "lzcntq", uint64_t)
BS_HOST(pc2, "popcntw", uint16_t) BS_HOST(pc4, "popcntl", uint32_t) BS_HOST(pc8, "popcntq", uint64_t)

static void test_bitscan_vs_host(void **state)
{
    (void)state;
    typedef uint64_t (*bsfn)(uint64_t, uint64_t, uint64_t *);
    static const bsfn host[5][3] = { { bsf2, bsf4, bsf8 }, { bsr2, bsr4, bsr8 }, { tz2, tz4, tz8 },
                                     { lz2, lz4, lz8 }, { pc2, pc4, pc8 } };
    static const uint64_t defined[5] = { ZF, ZF, CF | ZF, CF | ZF, FL };
    uint32_t a = 0, b, c, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    uint32_t max = a, ext;
    int bmi1 = 0, lzcnt = 0, popcnt;
    a = 1, c = 0;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    popcnt = (c >> 23) & 1;
    if (max >= 7) {
        a = 7, c = 0;
        __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
        bmi1 = (b >> 3) & 1;
    }
    a = 0x80000000u;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    ext = a;
    if (ext >= 0x80000001u) {
        a = 0x80000001u, c = 0;
        __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
        lzcnt = (c >> 5) & 1;
    }
    unsigned n = 0;
    for (unsigned t = 0; t < 4000; t++) {
        uint64_t src = t % 7 == 0 ? 0 : t % 7 == 1 ? 1ull << (rnd() & 63) : rnd();
        uint64_t dst = rnd(), fin = rand_flags();
        for (unsigned sub = 0; sub < 5; sub++) {
            if (sub == X86VCPU_BITSCAN_POPCNT && !popcnt)
                continue;
            unsigned eff = x86vcpu__bitscan_effective(sub, bmi1, lzcnt);
            for (unsigned si = 0; si < 3; si++) {
                unsigned size = 2u << si;
                uint64_t m = size >= 8 ? ~0ull : (1ull << (8 * size)) - 1, hf = fin, lf = fin, res = 0;
                uint64_t hd = host[sub][si](src, dst, &hf);
                uint64_t ld = dst & m;
                if (x86vcpu__bitscan(eff, size, src, &res, &lf))
                    ld = res;
                if ((hd & m) != ld || ((hf ^ lf) & defined[eff]))
                    fail_msg("bitscan %u (as %u) size %u src %#llx dst %#llx: host %#llx fl %#llx, "
                             "lib %#llx fl %#llx", sub, eff, size, (unsigned long long)src,
                             (unsigned long long)dst, (unsigned long long)hd,
                             (unsigned long long)hf, (unsigned long long)ld,
                             (unsigned long long)lf);
                n++;
            }
        }
    }
    print_message("  %u BSF/BSR/TZCNT/LZCNT/POPCNT results checked against the host CPU "
                  "(BMI1 %d, LZCNT %d)\n", n, bmi1, lzcnt);
}

static void test_exec_vs_host(void **state)
{
    (void)state;
    unsigned n = 0;
    for (unsigned t = 0; t < 3000; t++) {
        uint64_t ax0 = rnd(), cx0 = rnd(), dx0 = rnd(), bx0 = rnd(), mem0 = rnd();
        uint64_t fin = rand_flags();
        if (t & 1)
            mem0 = (mem0 & ~0xffffffffull) | (ax0 & 0xffffffffull);  /* CMPXCHG equal */
        if (t & 2)
            mem0 = ((dx0 & 0xffffffffull) << 32) | (ax0 & 0xffffffffull);
        EXEC_CASE("19 08", "sbbl %%ecx, %[m]", FL);
        EXEC_CASE("48 1b 08", "sbbq %[m], %%rcx", FL);
        EXEC_CASE("12 28", "adcb %[m], %%ch", FL);
        EXEC_CASE("f0 0f c1 08", "lock xaddl %%ecx, %[m]", FL);
        EXEC_CASE("66 0f c1 08", "xaddw %%cx, %[m]", FL);
        EXEC_CASE("0f c0 28", "xaddb %%ch, %[m]", FL);
        EXEC_CASE("f0 0f b1 08", "lock cmpxchgl %%ecx, %[m]", FL);
        EXEC_CASE("48 0f b1 08", "cmpxchgq %%rcx, %[m]", FL);
        EXEC_CASE("0f b0 28", "cmpxchgb %%ch, %[m]", FL);
        EXEC_CASE("0f c7 08", "cmpxchg8b %[m]", FL);
        EXEC_CASE("87 08", "xchgl %%ecx, %[m]", FL);
        EXEC_CASE("86 28", "xchgb %%ch, %[m]", FL);
        EXEC_CASE("0f af 08", "imull %[m], %%ecx", CF | OF);
        EXEC_CASE("66 6b 08 fb", "imulw $-5, %[m], %%cx", CF | OF);
        EXEC_CASE("48 69 08 78 56 34 92", "imulq $-0x6dcba988, %[m], %%rcx", CF | OF);
        EXEC_CASE("0f be 08", "movsbl %[m], %%ecx", FL);
        EXEC_CASE("48 0f bf 08", "movswq %[m], %%rcx", FL);
        EXEC_CASE("48 63 08", "movslq %[m], %%rcx", FL);
        EXEC_CASE("0f b6 08", "movzbl %[m], %%ecx", FL);
        EXEC_CASE("f7 20", "mull %[m]", CF | OF);
        EXEC_CASE("48 f7 28", "imulq %[m]", CF | OF);
        EXEC_CASE("f6 18", "negb %[m]", FL);
        EXEC_CASE("66 ff 08", "decw %[m]", FL);
        EXEC_CASE("48 f7 10", "notq %[m]", FL);
        {   /* a register bit offset also moves the address: keep it inside */
            uint64_t keep = cx0;
            cx0 &= 63;
            EXEC_CASE("48 0f ab 08", "btsq %%rcx, %[m]", CF);
            cx0 = keep;
        }
        EXEC_CASE("0f ba 30 21", "btrl $0x21, %[m]", CF);
        EXEC_CASE("d3 00", "roll %%cl, %[m]", (cx0 & 31) == 1 ? CF | OF : (cx0 & 31) ? CF : 0);
        EXEC_CASE("48 c1 38 07", "sarq $7, %[m]", CF | ZF | SF | PF);
        EXEC_CASE("d0 20", "shlb $1, %[m]", CF | OF | ZF | SF | PF);
        EXEC_CASE("0f 4c 08", "cmovll %[m], %%ecx", FL);
        EXEC_CASE("0f 47 08", "cmoval %[m], %%ecx", FL);
        EXEC_CASE("66 0f 44 08", "cmovew %[m], %%cx", FL);
        EXEC_CASE("0f 9f 00", "setg %[m]", FL);
        EXEC_CASE("0f 96 00", "setbe %[m]", FL);
        EXEC_CASE("85 08", "testl %%ecx, %[m]", FL & ~AF);
        EXEC_CASE("38 28", "cmpb %%ch, %[m]", FL);
        EXEC_CASE("81 38 80 00 00 00", "cmpl $0x80, %[m]", FL);
        EXEC_CASE("48 83 20 f0", "andq $-16, %[m]", FL & ~AF);
        EXEC_CASE("8a 28", "movb %[m], %%ch", FL);
        EXEC_CASE("88 28", "movb %%ch, %[m]", FL);
        if (host_movbe()) {
            EXEC_CASE("0f 38 f0 08", "movbel %[m], %%ecx", FL);
            EXEC_CASE("66 0f 38 f0 08", "movbew %[m], %%cx", FL);
            EXEC_CASE("48 0f 38 f0 08", "movbeq %[m], %%rcx", FL);
            EXEC_CASE("0f 38 f1 08", "movbel %%ecx, %[m]", FL);
            EXEC_CASE("66 0f 38 f1 08", "movbew %%cx, %[m]", FL);
            EXEC_CASE("48 0f 38 f1 08", "movbeq %%rcx, %[m]", FL);
        }
    }
    print_message("  %u decoded instructions executed against the host CPU\n", n);
}

/* SETcc/CMOVcc conditions against the host's SETcc. */
static void test_cond_vs_host(void **state)
{
    (void)state;
    for (unsigned fl = 0; fl < 0x1000; fl++) {
        uint64_t f = 0x202 | (fl & FL);
        uint8_t r[16];
#define SC(i, cc) RUN("set" cc " %[o]", : [o] "=q"(r[i]), [fl] "+r"(f) :)
        SC(0, "o"); SC(1, "no"); SC(2, "b"); SC(3, "ae"); SC(4, "e"); SC(5, "ne");
        SC(6, "be"); SC(7, "a"); SC(8, "s"); SC(9, "ns"); SC(10, "p"); SC(11, "np");
        SC(12, "l"); SC(13, "ge"); SC(14, "le"); SC(15, "g");
        for (unsigned cc = 0; cc < 16; cc++)
            assert_int_equal(x86vcpu__cond(cc, f), r[cc]);
    }
}

/* Hand-computed values of the choices alu.c makes for undefined flags
 * (Intel/Bochs), which the host comparison masks. */
static void test_undefined_flags_as_bochs(void **state)
{
    (void)state;
    uint64_t f = 0x202 | AF;
    x86vcpu__alu(X86VCPU_ALU_AND, 4, 0xff, 0x0f, &f);
    assert_int_equal(f & AF, 0);                     /* logic: AF = 0 */
    f = 0x202;
    assert_int_equal(x86vcpu__alu(X86VCPU_ALU_SHL, 1, 0x81, 2, &f), 0x04);
    assert_int_equal(f & (CF | OF | AF), 0);         /* CF = bit 6 = 0, OF = CF ^ MSB = 0 */
    f = 0x202;
    assert_int_equal(x86vcpu__alu(X86VCPU_ALU_SHL, 1, 0x41, 2, &f), 0x04);
    assert_int_equal(f & (CF | OF), CF | OF);        /* CF = 1, MSB 0: OF = 1 */
    f = 0x202;
    assert_int_equal(x86vcpu__alu(X86VCPU_ALU_SHR, 1, 0xc0, 1, &f), 0x60);
    assert_int_equal(f & (CF | OF), OF);             /* count 1: OF = MSB(original) */
    f = 0x202 | SF | PF;
    x86vcpu__alu(X86VCPU_ALU_BTS, 4, 0, 3, &f);
    assert_int_equal(f & (SF | PF | CF), SF | PF);   /* BT*: only CF changes */
    uint64_t ax = 0xffffffff, dx = 0, fl = 0x202;
    assert_int_equal(x86vcpu__muldiv(4, 4, &ax, &dx, 2, &fl), 0);
    assert_int_equal(ax, 0xfffffffe);
    assert_int_equal(dx, 1);
    assert_int_equal(fl & FL, CF | OF | SF);         /* SZP of the low half, AF 0 */
    ax = 10, dx = 0, fl = 0x202 | ZF;
    assert_int_equal(x86vcpu__muldiv(6, 4, &ax, &dx, 3, &fl), 0);
    assert_int_equal(fl, 0x202 | ZF);                /* DIV: flags unchanged */
}
#endif

int main(void)
{
#if defined(__x86_64__)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alu_vs_host),
        cmocka_unit_test(test_muldiv_vs_host),
        cmocka_unit_test(test_cond_vs_host),
        cmocka_unit_test(test_exec_vs_host),
        cmocka_unit_test(test_wide_vs_host),
        cmocka_unit_test(test_bitscan_vs_host),
        cmocka_unit_test(test_undefined_flags_as_bochs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
#else
    return 0;
#endif
}
