/* Integer instructions on values (see alu.h). Each operation names its
 * SDM Vol. 2 page; flags the SDM leaves undefined take the values of
 * Intel's CPUs as Bochs models them (the guest fuzzer's reference):
 * AF = 0 after logic ops and shifts, shift OF = CF ^ MSB (left) or the two
 * top result bits (right) for any count, MUL/IMUL SF ZF PF from the low
 * half with AF = 0, DIV/IDIV and BT* leave them unchanged. */
#include "lib/alu.h"
#include "lib/arch.h"

#define CF X86VCPU_FL_CF
#define PF X86VCPU_FL_PF
#define AF X86VCPU_FL_AF
#define ZF X86VCPU_FL_ZF
#define SF X86VCPU_FL_SF
#define OF X86VCPU_FL_OF

/* Sign-extend the low `size` bytes. */
static uint64_t sext(uint64_t x, unsigned size)
{
    uint64_t m = x86vcpu__size_mask(size);
    x &= m;
    return size < 8 && (x >> (8 * size - 1)) & 1 ? x | ~m : x;
}

/* SF ZF PF of a result (Vol. 1 3.4.3.1; PF: even number of 1s in the low byte). */
static uint64_t szp(uint64_t res, unsigned size)
{
    uint64_t f = 0, p = res & 0xff;
    p ^= p >> 4;
    p ^= p >> 2;
    p ^= p >> 1;
    if (!(p & 1))
        f |= PF;
    if ((res & x86vcpu__size_mask(size)) == 0)
        f |= ZF;
    if ((res >> (8 * size - 1)) & 1)
        f |= SF;
    return f;
}

static void set(uint64_t *rflags, uint64_t which, uint64_t val)
{
    *rflags = (*rflags & ~which) | (val & which);
}

/* a + b + c and a - b - c with every arithmetic flag (Vol. 2 ADD/ADC,
 * SUB/SBB/CMP: CF carry/borrow out, OF signed overflow, AF out of bit 3). */
static uint64_t add(unsigned size, uint64_t a, uint64_t b, unsigned c, uint64_t *fl)
{
    uint64_t m = x86vcpu__size_mask(size), sign = 1ull << (8 * size - 1);
    uint64_t res = (a + b + c) & m, f = szp(res, size);
    if (res < a || (c && res == a))
        f |= CF;
    if ((a ^ res) & (b ^ res) & sign)
        f |= OF;
    if ((a ^ b ^ res) & 0x10)
        f |= AF;
    set(fl, X86VCPU_FL_ARITH, f);
    return res;
}

static uint64_t sub(unsigned size, uint64_t a, uint64_t b, unsigned c, uint64_t *fl)
{
    uint64_t m = x86vcpu__size_mask(size), sign = 1ull << (8 * size - 1);
    uint64_t res = (a - b - c) & m, f = szp(res, size);
    if (a < b || (c && a == b))
        f |= CF;
    if ((a ^ b) & (a ^ res) & sign)
        f |= OF;
    if ((a ^ b ^ res) & 0x10)
        f |= AF;
    set(fl, X86VCPU_FL_ARITH, f);
    return res;
}

static uint64_t logic(unsigned size, uint64_t res, uint64_t *fl)
{
    set(fl, X86VCPU_FL_ARITH, szp(res, size)); /* CF = OF = 0; AF undefined: 0 */
    return res;
}

/* Group 2 (Vol. 2 "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR"). */
static uint64_t shift(unsigned op, unsigned size, uint64_t a, uint64_t count, uint64_t *fl)
{
    unsigned bits = 8 * size, c = (unsigned)(count & (size == 8 ? 63 : 31)), n, k;
    uint64_t m = x86vcpu__size_mask(size), res = a, cf = 0;
#define MSB(x) (((x) >> (bits - 1)) & 1)
#define MSB2(x) (((x) >> (bits - 2)) & 1)
    if (c == 0)
        return a; /* "If the count is 0, the flags are not affected" */
    switch (op) {
    case X86VCPU_ALU_ROL:
        n = c % bits;
        if (n)
            res = ((a << n) | (a >> (bits - n))) & m;
        cf = res & 1;
        set(fl, CF | OF, cf | ((cf ^ MSB(res)) ? OF : 0));
        return res;
    case X86VCPU_ALU_ROR:
        n = c % bits;
        if (n)
            res = ((a >> n) | (a << (bits - n))) & m;
        cf = MSB(res);
        set(fl, CF | OF, cf | ((MSB(res) ^ MSB2(res)) ? OF : 0));
        return res;
    case X86VCPU_ALU_RCL:
    case X86VCPU_ALU_RCR:
        /* Through CF: a (bits + 1)-bit rotation; 8/16-bit counts mod 9/17. */
        n = size <= 2 ? c % (bits + 1) : c;
        if (n == 0)
            return a;
        cf = *fl & CF;
        for (k = 0; k < n; k++) {
            uint64_t out;
            if (op == X86VCPU_ALU_RCL) {
                out = MSB(res);
                res = ((res << 1) | cf) & m;
            } else {
                out = res & 1;
                res = (res >> 1) | (cf << (bits - 1));
            }
            cf = out;
        }
        set(fl, CF | OF, cf | ((op == X86VCPU_ALU_RCL ? cf ^ MSB(res) : MSB(res) ^ MSB2(res)) ? OF : 0));
        return res;
    case X86VCPU_ALU_SHL:
    case X86VCPU_ALU_SAL:
        res = c < bits ? (a << c) & m : 0;
        cf = c <= bits ? (a >> (bits - c)) & 1 : 0;
        set(fl, X86VCPU_FL_ARITH, szp(res, size) | cf | ((cf ^ MSB(res)) ? OF : 0));
        return res;
    case X86VCPU_ALU_SHR:
        res = c < bits ? a >> c : 0;
        cf = (a >> (c - 1)) & 1;    /* c - 1 < 63 and a < 2^bits */
        set(fl, X86VCPU_FL_ARITH, szp(res, size) | cf | ((MSB(res) ^ MSB2(res)) ? OF : 0));
        return res;
    default: { /* SAR: the sign fills (from a 64-bit sign extension, so
                * counts past the size give all sign bits); OF = 0 */
        uint64_t s = sext(a, size), fill = MSB(a) ? ~0ull : 0;
        res = ((s >> c) | (fill << (64 - c))) & m;
        cf = (s >> (c - 1)) & 1;
        set(fl, X86VCPU_FL_ARITH, szp(res, size) | cf);
        return res;
    }
    }
#undef MSB
#undef MSB2
}

/* Unsigned 64 x 64 -> 128 (no compiler helpers: the library is freestanding). */
static void mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a0 = a & 0xffffffffull, a1 = a >> 32, b0 = b & 0xffffffffull, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffull) + (p10 & 0xffffffffull);
    *lo = (mid << 32) | (p00 & 0xffffffffull);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/* Signed: the unsigned product corrected for negative factors. */
static void imul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    mul64(a, b, hi, lo);
    if ((int64_t)a < 0)
        *hi -= b;
    if ((int64_t)b < 0)
        *hi -= a;
}

/* hi:lo / d with hi < d (the quotient fits in 64 bits): bit by bit. */
static uint64_t udiv128(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
    uint64_t q = 0, r = hi;
    for (int i = 63; i >= 0; i--) {
        uint64_t top = r >> 63;
        r = (r << 1) | ((lo >> i) & 1);
        if (top || r >= d) {
            r -= d;
            q |= 1ull << i;
        }
    }
    *rem = r;
    return q;
}

/* Write `size` bytes of val into a register (Vol. 1 3.4.1.1). */
static uint64_t merge(uint64_t old, uint64_t val, unsigned size)
{
    uint64_t m = x86vcpu__size_mask(size);
    return size == 4 ? val & 0xffffffffull : size == 8 ? val : (old & ~m) | (val & m);
}

uint64_t x86vcpu__alu(unsigned op, unsigned size, uint64_t dst, uint64_t src, uint64_t *rflags)
{
    uint64_t m = x86vcpu__size_mask(size), a = dst & m, b = src & m, res, f, hi, lo;
    unsigned bits = 8 * size;
    switch (op) {
    case X86VCPU_ALU_ADD: return add(size, a, b, 0, rflags);
    case X86VCPU_ALU_ADC: return add(size, a, b, (unsigned)(*rflags & CF), rflags);
    case X86VCPU_ALU_SUB: return sub(size, a, b, 0, rflags);
    case X86VCPU_ALU_SBB: return sub(size, a, b, (unsigned)(*rflags & CF), rflags);
    case X86VCPU_ALU_CMP: sub(size, a, b, 0, rflags); return a;
    case X86VCPU_ALU_AND: return logic(size, a & b, rflags);
    case X86VCPU_ALU_OR:  return logic(size, a | b, rflags);
    case X86VCPU_ALU_XOR: return logic(size, a ^ b, rflags);
    case X86VCPU_ALU_TEST: logic(size, a & b, rflags); return a;
    case X86VCPU_ALU_NOT: return ~a & m;        /* no flags */
    case X86VCPU_ALU_NEG: {
        /* Vol. 2 "NEG": CF = (source != 0), the rest as 0 - source. */
        res = sub(size, 0, a, 0, rflags);
        set(rflags, CF, a ? CF : 0);
        return res;
    }
    case X86VCPU_ALU_INC:
    case X86VCPU_ALU_DEC: {
        /* Vol. 2 "INC"/"DEC": CF is not affected. */
        uint64_t cf = *rflags & CF;
        res = op == X86VCPU_ALU_INC ? add(size, a, 1, 0, rflags) : sub(size, a, 1, 0, rflags);
        set(rflags, CF, cf);
        return res;
    }
    case X86VCPU_ALU_BT:
    case X86VCPU_ALU_BTS:
    case X86VCPU_ALU_BTR:
    case X86VCPU_ALU_BTC: {
        /* Vol. 2 "BT": CF = the bit (offset mod the operand size here: the
         * caller's address already holds the rest); OF SF AF PF undefined,
         * left as they were (Bochs, Intel), ZF unaffected. */
        uint64_t bit = 1ull << (src & (bits - 1));
        set(rflags, CF, (a & bit) ? CF : 0);
        return op == X86VCPU_ALU_BTS ? a | bit : op == X86VCPU_ALU_BTR ? a & ~bit
             : op == X86VCPU_ALU_BTC ? a ^ bit : a;
    }
    case X86VCPU_ALU_IMUL2:
        /* Vol. 2 "IMUL" (two/three operands): the truncated product; CF =
         * OF = it differs from the full one. */
        if (size == 8) {
            imul64(a, b, &hi, &lo);
            f = (hi != (uint64_t)((int64_t)lo >> 63)) ? CF | OF : 0;
        } else {
            lo = (uint64_t)((int64_t)sext(a, size) * (int64_t)sext(b, size));
            f = sext(lo, size) != lo ? CF | OF : 0;
        }
        res = lo & m;
        set(rflags, X86VCPU_FL_ARITH, f | szp(res, size));
        return res;
    default:
        if (op >= X86VCPU_ALU_ROL && op <= X86VCPU_ALU_SAR)
            return shift(op, size, a, src, rflags);
        return dst;
    }
}

int x86vcpu__muldiv(unsigned op, unsigned size, uint64_t *ax, uint64_t *dx, uint64_t src,
                    uint64_t *rflags)
{
    uint64_t m = x86vcpu__size_mask(size), b = src & m, hi, lo, q, r;
    unsigned bits = 8 * size;
    switch (op) {
    case 4: /* MUL: CF = OF = (upper half != 0) */
    case 5: /* IMUL: CF = OF = (product != sign-extended lower half) */
        if (size == 8) {
            if (op == 4)
                mul64(*ax, b, &hi, &lo);
            else
                imul64(*ax, b, &hi, &lo);
        } else {
            uint64_t p = op == 4 ? (*ax & m) * b
                                 : (uint64_t)((int64_t)sext(*ax, size) * (int64_t)sext(b, size));
            lo = p & m;
            hi = (p >> bits) & m;
        }
        {
            int wide = op == 4 ? hi != 0
                     : size == 8 ? hi != (uint64_t)((int64_t)lo >> 63)
                                 : ((hi << bits) | lo) != (sext(lo, size) & x86vcpu__size_mask(2 * size));
            set(rflags, X86VCPU_FL_ARITH, szp(lo, size) | (wide ? CF | OF : 0));
        }
        break;
    case 6: /* DIV */
        if (b == 0)
            return -1;
        if (size == 8) {
            if (*dx >= b)
                return -1;
            lo = udiv128(*dx, *ax, b, &hi);
        } else {
            uint64_t n = size == 1 ? *ax & 0xffff : ((*dx & m) << bits) | (*ax & m);
            lo = n / b;
            hi = n % b;
            if (lo > m)
                return -1;
        }
        break;
    default: { /* IDIV: quotient toward zero, remainder with the dividend's sign */
        if (b == 0)
            return -1;
        if (size == 8) {
            uint64_t nh = *dx, nl = *ax, d = b;
            int nneg = (int64_t)nh < 0, dneg = (int64_t)d < 0;
            if (nneg) {                 /* |dividend| as 128 bits */
                nl = ~nl + 1;
                nh = ~nh + (nl == 0);
            }
            if (dneg)
                d = ~d + 1;
            if (nh >= d)
                return -1;
            q = udiv128(nh, nl, d, &r);
            if (q > (nneg != dneg ? 1ull << 63 : (1ull << 63) - 1))
                return -1;
            lo = nneg != dneg ? ~q + 1 : q;
            hi = nneg ? ~r + 1 : r;
        } else {
            int64_t n = size == 1 ? (int64_t)sext(*ax, 2)
                      : (int64_t)sext(((*dx & m) << bits) | (*ax & m), 2 * size);
            int64_t d = (int64_t)sext(b, size), qq;
            if (d == -1 && n == INT64_MIN)
                return -1;
            qq = n / d;
            if (qq != (int64_t)sext((uint64_t)qq, size))
                return -1;
            lo = (uint64_t)qq & m;
            hi = (uint64_t)(n % d) & m;
        }
        break;
    }
    }
    if (size == 1) {
        *ax = (*ax & ~0xffffull) | ((hi & 0xff) << 8) | (lo & 0xff);
    } else {
        *ax = merge(*ax, lo, size);
        *dx = merge(*dx, hi, size);
    }
    return 0;
}

int x86vcpu__cond(unsigned cc, uint64_t fl)
{
    int cf = !!(fl & CF), zf = !!(fl & ZF), sf = !!(fl & SF), of = !!(fl & OF), pf = !!(fl & PF);
    int r;
    switch ((cc >> 1) & 7) {
    case 0: r = of; break;
    case 1: r = cf; break;
    case 2: r = zf; break;
    case 3: r = cf || zf; break;
    case 4: r = sf; break;
    case 5: r = pf; break;
    case 6: r = sf != of; break;
    default: r = zf || sf != of; break;
    }
    return (cc & 1) ? !r : r;
}

/* ------------------------------------------------ one decoded instruction */
static unsigned reg_slot(const struct x86vcpu_insn *i)
{
    return (i->reg_high8 ? i->reg - 4u : i->reg) & 15; /* AH..BH live in RAX..RBX */
}

/* The register operand's value (AH..BH from bits 15:8). */
static uint64_t reg_val(const struct x86vcpu_insn *i, const uint64_t gpr[16])
{
    if (i->reg == X86VCPU_INSN_NONE)
        return 0;
    return i->reg_high8 ? (gpr[reg_slot(i)] >> 8) & 0xff : gpr[reg_slot(i)];
}

static void reg_put(const struct x86vcpu_insn *i, uint64_t gpr[16], uint64_t val)
{
    unsigned r = reg_slot(i);
    gpr[r] = x86vcpu__insn_merge_reg(i, gpr[r], val);
}

/* enum x86vcpu_mmio_op -> enum x86vcpu_alu_op for the two-operand forms. */
static int alu_of(unsigned op)
{
    switch (op) {
    case X86VCPU_MMIO_ADD: return X86VCPU_ALU_ADD;
    case X86VCPU_MMIO_OR: return X86VCPU_ALU_OR;
    case X86VCPU_MMIO_ADC: return X86VCPU_ALU_ADC;
    case X86VCPU_MMIO_SBB: return X86VCPU_ALU_SBB;
    case X86VCPU_MMIO_AND: return X86VCPU_ALU_AND;
    case X86VCPU_MMIO_SUB: return X86VCPU_ALU_SUB;
    case X86VCPU_MMIO_XOR: return X86VCPU_ALU_XOR;
    case X86VCPU_MMIO_CMP: return X86VCPU_ALU_CMP;
    case X86VCPU_MMIO_TEST: return X86VCPU_ALU_TEST;
    case X86VCPU_MMIO_NOT: return X86VCPU_ALU_NOT;
    case X86VCPU_MMIO_NEG: return X86VCPU_ALU_NEG;
    case X86VCPU_MMIO_INC: return X86VCPU_ALU_INC;
    case X86VCPU_MMIO_DEC: return X86VCPU_ALU_DEC;
    default: return -1;
    }
}

int x86vcpu__insn_exec(const struct x86vcpu_insn *i, uint64_t mem, uint64_t gpr[16],
                       uint64_t *rflags, uint64_t *mem_out)
{
    unsigned size = i->mem_size ? i->mem_size : 1;
    uint64_t m = x86vcpu__size_mask(size), r = reg_val(i, gpr), res;
    int a;
    mem &= m;
    *mem_out = mem;
    if (size > 8)               /* 16-byte operands: x86vcpu__sse_*, x86vcpu__cmpxchg16b */
        return 0;
    switch (i->op) {
    case X86VCPU_MMIO_MOV_STORE:
        *mem_out = r & m;
        return X86VCPU_EXEC_WRITE;
    case X86VCPU_MMIO_MOV_STORE_IMM:
        *mem_out = i->imm & m;
        return X86VCPU_EXEC_WRITE;
    case X86VCPU_MMIO_STOS:
        *mem_out = gpr[0] & m;
        return X86VCPU_EXEC_WRITE;
    case X86VCPU_MMIO_MOV_LOAD:
    case X86VCPU_MMIO_MOVZX:
    case X86VCPU_MMIO_MOVSX:
    case X86VCPU_MMIO_LODS:
        reg_put(i, gpr, mem);
        return 0;
    case X86VCPU_MMIO_SCAS:     /* rAX - ES:[rDI] (Vol. 2 "SCAS") */
        x86vcpu__alu(X86VCPU_ALU_CMP, size, gpr[0], mem, rflags);
        return 0;
    case X86VCPU_MMIO_SHIFT: {
        /* Vol. 2 "SAL/SAR/SHL/SHR": a masked count of 0 changes nothing;
         * no write either. */
        uint64_t count = i->count_cl ? gpr[1] & 0xff : i->has_imm ? i->imm : 1;
        if ((count & (size == 8 ? 63 : 31)) == 0)
            return 0;
        *mem_out = x86vcpu__alu(X86VCPU_ALU_ROL + (i->sub & 7u), size, mem, count, rflags);
        return X86VCPU_EXEC_WRITE;
    }
    case X86VCPU_MMIO_BT:
        res = x86vcpu__alu(X86VCPU_ALU_BT + (i->sub & 3u), size, mem, i->has_imm ? i->imm : r, rflags);
        if (i->sub == 0)
            return 0;
        *mem_out = res;
        return X86VCPU_EXEC_WRITE;
    case X86VCPU_MMIO_XCHG:
        reg_put(i, gpr, mem);
        *mem_out = r & m;
        return X86VCPU_EXEC_WRITE;
    case X86VCPU_MMIO_XADD:     /* TEMP = SRC + DEST; SRC = DEST; DEST = TEMP */
        *mem_out = x86vcpu__alu(X86VCPU_ALU_ADD, size, mem, r, rflags);
        reg_put(i, gpr, mem);
        return X86VCPU_EXEC_WRITE;
    case X86VCPU_MMIO_CMPXCHG: {
        /* Flags of accumulator - destination; equal: DEST = SRC, else the
         * accumulator gets DEST (and DEST is written back unchanged). */
        uint64_t acc = gpr[0] & m;
        x86vcpu__alu(X86VCPU_ALU_CMP, size, acc, mem, rflags);
        if (acc == mem)
            *mem_out = r & m;
        else
            gpr[0] = merge(gpr[0], mem, size);
        return X86VCPU_EXEC_WRITE;
    }
    case X86VCPU_MMIO_CMPXCHG8B: {
        /* EDX:EAX against m64: equal, ZF = 1 and m64 = ECX:EBX; else ZF = 0
         * and EDX:EAX = m64 (32-bit writes). Only ZF changes. */
        uint64_t cur = ((gpr[2] & 0xffffffffull) << 32) | (gpr[0] & 0xffffffffull);
        if (cur == mem) {
            *rflags |= ZF;
            *mem_out = ((gpr[1] & 0xffffffffull) << 32) | (gpr[3] & 0xffffffffull);
        } else {
            *rflags &= ~ZF;
            gpr[0] = mem & 0xffffffffull;
            gpr[2] = mem >> 32;
        }
        return X86VCPU_EXEC_WRITE;
    }
    case X86VCPU_MMIO_BITSCAN:
        if (x86vcpu__bitscan(i->sub, size, mem, &res, rflags))
            reg_put(i, gpr, res);
        return 0;
    case X86VCPU_MMIO_MOVBE_LOAD:   /* Vol. 2 "MOVBE": the bytes reversed, then a plain load */
        reg_put(i, gpr, x86vcpu__bswap(mem, size));
        return 0;
    case X86VCPU_MMIO_MOVBE_STORE:
        *mem_out = x86vcpu__bswap(r & m, size);
        return X86VCPU_EXEC_WRITE;
    case X86VCPU_MMIO_MULDIV:
        return x86vcpu__muldiv(i->sub, size, &gpr[0], &gpr[2], mem, rflags) ? X86VCPU_EXEC_DE : 0;
    case X86VCPU_MMIO_IMUL:
        /* IMUL r, r/m: r * mem; IMUL r, r/m, imm: mem * imm */
        res = i->has_imm ? x86vcpu__alu(X86VCPU_ALU_IMUL2, size, mem, i->imm, rflags)
                         : x86vcpu__alu(X86VCPU_ALU_IMUL2, size, r, mem, rflags);
        reg_put(i, gpr, res);
        return 0;
    case X86VCPU_MMIO_CMOVCC:
        /* The source is read whatever the condition; a 32-bit destination
         * is zero-extended even when the move does not happen (64-bit
         * mode, Vol. 2 "CMOVcc"). */
        if (x86vcpu__cond(i->cc, *rflags))
            reg_put(i, gpr, mem);
        else if (i->reg_size == 4)
            gpr[reg_slot(i)] &= 0xffffffffull;
        return 0;
    case X86VCPU_MMIO_SETCC:
        *mem_out = (uint64_t)x86vcpu__cond(i->cc, *rflags);
        return X86VCPU_EXEC_WRITE;
    default:
        break;
    }
    a = alu_of(i->op);
    if (a < 0)
        return 0;
    {
        uint64_t other = i->has_imm ? i->imm : r;
        if (i->mem_is_first) {
            res = x86vcpu__alu((unsigned)a, size, mem, other, rflags);
            if (!i->mem_is_dest)
                return 0;           /* CMP, TEST */
            *mem_out = res;
            return X86VCPU_EXEC_WRITE;
        }
        res = x86vcpu__alu((unsigned)a, size, other, mem, rflags);
        if (i->op != X86VCPU_MMIO_CMP && i->op != X86VCPU_MMIO_TEST)
            reg_put(i, gpr, res);
        return 0;
    }
}

uint64_t x86vcpu__bswap(uint64_t x, unsigned size)
{
    uint64_t r = 0;
    for (unsigned k = 0; k < size && k < 8; k++)
        r |= ((x >> (8 * k)) & 0xff) << (8 * (size - 1 - k));
    return r;
}

void x86vcpu__sse_load(const struct x86vcpu_insn *i, const uint64_t mem[2], uint64_t xmm[2])
{
    /* Vol. 2 "MOVUPS" ... "MOVDQU": all 128 bits; "MOVSS", "MOVSD",
     * "MOVD/MOVQ" from memory: the rest of the register is zeroed. */
    unsigned size = i->mem_size;
    xmm[0] = mem[0] & x86vcpu__size_mask(size);
    xmm[1] = size == 16 ? mem[1] : 0;
}

void x86vcpu__sse_store(const struct x86vcpu_insn *i, const uint64_t xmm[2], uint64_t mem[2])
{
    unsigned size = i->mem_size;
    mem[0] = xmm[0] & x86vcpu__size_mask(size);
    mem[1] = size == 16 ? xmm[1] : 0;
}

int x86vcpu__cmpxchg16b(const uint64_t mem[2], uint64_t gpr[16], uint64_t *rflags, uint64_t out[2])
{
    /* Vol. 2 "CMPXCHG8B/CMPXCHG16B": RDX:RAX against m128; equal: ZF = 1
     * and m128 = RCX:RBX; else ZF = 0 and RDX:RAX = m128, and the
     * destination is written back with its own value. Only ZF changes. */
    if (gpr[0] == mem[0] && gpr[2] == mem[1]) {
        *rflags |= ZF;
        out[0] = gpr[3];
        out[1] = gpr[1];
    } else {
        *rflags &= ~ZF;
        gpr[0] = mem[0];
        gpr[2] = mem[1];
        out[0] = mem[0];
        out[1] = mem[1];
    }
    return X86VCPU_EXEC_WRITE;
}

int x86vcpu__bitscan(unsigned sub, unsigned size, uint64_t src, uint64_t *res, uint64_t *rflags)
{
    unsigned bits = 8 * size, n = 0;
    src &= x86vcpu__size_mask(size);
    switch (sub) {
    case X86VCPU_BITSCAN_BSF:
    case X86VCPU_BITSCAN_BSR:
        /* Vol. 2 "BSF", "BSR": ZF = 1 and the destination undefined (kept)
         * for 0; else the index, ZF = 0, the other flags undefined: those
         * of a logic result (Bochs: OF = CF = AF = 0, SF PF of it). */
        if (!src) {
            *rflags |= ZF;
            return 0;
        }
        if (sub == X86VCPU_BITSCAN_BSF)
            while (n < bits && !((src >> n) & 1))
                n++;
        else
            for (n = bits - 1; !((src >> n) & 1) && n > 0; n--)
                ;
        *res = n;
        set(rflags, X86VCPU_FL_ARITH, szp(n, size) & ~ZF);
        return 1;
    case X86VCPU_BITSCAN_TZCNT:
    case X86VCPU_BITSCAN_LZCNT:
        /* Vol. 2 "TZCNT", "LZCNT": the operand size for 0; CF = (src ==
         * 0), ZF = (result == 0); the others undefined (Bochs: kept). */
        if (sub == X86VCPU_BITSCAN_TZCNT)
            while (n < bits && !((src >> n) & 1))
                n++;
        else
            while (n < bits && !((src >> (bits - 1 - n)) & 1))
                n++;
        *res = n;
        set(rflags, CF | ZF, (src ? 0 : CF) | (n ? 0 : ZF));
        return 1;
    default:
        /* Vol. 2 "POPCNT": OF SF AF CF PF cleared, ZF = (src == 0). */
        for (uint64_t x = src; x && n < 64; x &= x - 1)
            n++;
        *res = n;
        set(rflags, X86VCPU_FL_ARITH, src ? 0 : ZF);
        return 1;
    }
}

unsigned x86vcpu__bitscan_effective(unsigned sub, int has_bmi1, int has_lzcnt)
{
    if (sub == X86VCPU_BITSCAN_TZCNT && !has_bmi1)
        return X86VCPU_BITSCAN_BSF;
    if (sub == X86VCPU_BITSCAN_LZCNT && !has_lzcnt)
        return X86VCPU_BITSCAN_BSR;
    return sub;
}
