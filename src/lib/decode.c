/* Instruction decoder for MMIO emulation (see decode.h). Rules from the SDM
 * Vol. 2 chapter 2 and the instruction pages; every read goes through
 * fetch(), which never looks past n bytes nor past the 15-byte limit. */
#include "lib/decode.h"

#define NONE X86VCPU_INSN_NONE

/* Segment register numbers as reported in x86vcpu_insn.seg. */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS };
/* Registers by number (enum x86vcpu_gpr order). */
enum { R_AX, R_CX, R_DX, R_BX, R_SP, R_BP, R_SI, R_DI };

/* How the operands of an opcode are encoded. */
enum form {
    F_EG,       /* Ev/Eb first (memory), Gv/Gb second: 88/89, 00/01 ..., 84/85 */
    F_GE,       /* Gv first, E second: 8A/8B, 02/03 ..., 0F B6.., 63 */
    F_EI,       /* E, immediate; the operation in ModRM.reg: 80-83, C6/C7, F6/F7 */
    F_MOFFS,    /* A0-A3: AL/rAX and a direct offset */
    F_STRING,   /* A4/A5, AA/AB */
};

struct cursor {
    const uint8_t *b;
    uint32_t n;
    uint32_t pos;
};

/* The next byte. Past 15 bytes the CPU raises #GP (Vol. 2 2.1: an
 * instruction is at most 15 bytes); past n we need more bytes. */
static int fetch(struct cursor *c, uint8_t *v)
{
    if (c->pos >= X86VCPU_INSN_MAX_LEN)
        return X86VCPU_DECODE_INVALID;
    if (c->pos >= c->n)
        return X86VCPU_DECODE_TRUNCATED;
    *v = c->b[c->pos++];
    return 0;
}

/* `size` bytes little-endian, sign-extended to 64 bits when `sext`. */
static int fetch_imm(struct cursor *c, unsigned size, int sext, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned k = 0; k < size; k++) {
        uint8_t b;
        int r = fetch(c, &b);
        if (r)
            return r;
        x |= (uint64_t)b << (8 * k);
    }
    if (sext && size < 8 && (x >> (8 * size - 1)) & 1)
        x |= ~0ull << (8 * size);
    *v = x;
    return 0;
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static void clear(struct x86vcpu_insn *o)
{
    /* Field by field: a freestanding library must not call memset. */
    o->len = 0; o->op = 0; o->mem_size = 0; o->reg = NONE; o->reg_size = 0;
    o->reg_high8 = 0; o->addr_size = 0; o->seg = SEG_DS; o->rep = 0;
    o->mem_is_dest = 0; o->mem_is_first = 0; o->has_imm = 0; o->lock = 0;
    o->rip_relative = 0; o->base = NONE; o->index = NONE; o->scale = 1;
    for (unsigned k = 0; k < sizeof o->pad; k++)
        o->pad[k] = 0;
    o->imm = 0; o->disp = 0;
}

/* ADD OR ADC SBB AND SUB XOR CMP: the operation in bits 5:3 of opcodes
 * 00-3F and in ModRM.reg of group 1 (Vol. 2 Table ). ADC/SBB
 * are not handled (0xff). */
static const uint8_t alu_ops[8] = {
    X86VCPU_MMIO_ADD, X86VCPU_MMIO_OR, 0xff, 0xff,
    X86VCPU_MMIO_AND, X86VCPU_MMIO_SUB, X86VCPU_MMIO_XOR, X86VCPU_MMIO_CMP,
};

/* ModRM, SIB and displacement (Vol. 2 2.1.5, Tables 2-1 to 2-3; REX.X/B
 * 2.2.1.2; RIP-relative 2.2.1.6). Leaves the register field in *regf. */
static int decode_modrm(struct cursor *c, int mode, unsigned rex, struct x86vcpu_insn *o,
                        unsigned *regf)
{
    uint8_t modrm;
    uint64_t d = 0;
    int r = fetch(c, &modrm);
    if (r)
        return r;
    unsigned mod = modrm >> 6, rm = modrm & 7;
    *regf = ((modrm >> 3) & 7) | ((rex & 4) << 1);     /* REX.R */
    if (mod == 3)
        return X86VCPU_DECODE_UNSUPPORTED;              /* register operand: no memory access */

    if (o->addr_size == 2) {
        /* Table 2-1: BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP (disp16 alone
         * when mod = 00), BX. BP-based forms default to SS (Vol. 1 3.7.4,
         * Table 3-5 "Default Segment Selection Rules"). */
        static const uint8_t base16[8] = { R_BX, R_BX, R_BP, R_BP, R_SI, R_DI, R_BP, R_BX };
        static const uint8_t index16[8] = { R_SI, R_DI, R_SI, R_DI, NONE, NONE, NONE, NONE };
        if (mod == 0 && rm == 6) {
            r = fetch_imm(c, 2, 1, &d);
        } else {
            o->base = base16[rm];
            o->index = index16[rm];
            if (mod == 1)
                r = fetch_imm(c, 1, 1, &d);
            else if (mod == 2)
                r = fetch_imm(c, 2, 1, &d);
        }
        if (r)
            return r;
        o->disp = (int64_t)d;
        if (o->base == R_BP)
            o->seg = SEG_SS;
        return 0;
    }

    /* 32/64-bit addressing, Table 2-2 and 2-3. */
    if (rm == 4) {
        uint8_t sib;
        r = fetch(c, &sib);
        if (r)
            return r;
        unsigned idx = ((sib >> 3) & 7) | ((rex & 2) << 2);     /* REX.X */
        unsigned b = sib & 7;
        if (idx != 4) {                 /* index 100 without REX.X: none */
            o->index = (uint8_t)idx;
            o->scale = (uint8_t)(1u << (sib >> 6));
        }
        if (b == 5 && mod == 0) {
            r = fetch_imm(c, 4, 1, &d); /* no base, disp32 (even with REX.B: Table 2-5) */
            if (r)
                return r;
        } else {
            o->base = (uint8_t)(b | ((rex & 1) << 3));           /* REX.B */
        }
    } else if (rm == 5 && mod == 0) {
        /* disp32 alone; in 64-bit mode RIP-relative instead (2.2.1.6), also
         * with REX.B (R13 needs mod = 01, Table 2-5). */
        r = fetch_imm(c, 4, 1, &d);
        if (r)
            return r;
        if (mode == 64)
            o->rip_relative = 1;
    } else {
        o->base = (uint8_t)(rm | ((rex & 1) << 3));
    }
    if (mod == 1)
        r = fetch_imm(c, 1, 1, &d);
    else if (mod == 2)
        r = fetch_imm(c, 4, 1, &d);
    if (r)
        return r;
    o->disp = (int64_t)d;
    /* rSP/rBP as base: SS by default (Vol. 1 3.7.4, Table 3-5). */
    if (o->base == R_SP || o->base == R_BP)
        o->seg = SEG_SS;
    return 0;
}

int x86vcpu__decode(const uint8_t *bytes, uint32_t n, int mode, struct x86vcpu_insn *out)
{
    struct cursor c = { bytes, n, 0 };
    unsigned rex = 0, opsz_pfx = 0, addr_pfx = 0, lock = 0, rep = 0, seg_ovr = NONE;
    unsigned opsize, form = F_EG, regf = 0, byte_op = 0, imm_size = 0;
    uint8_t opc, op = 0;
    int r;

    clear(out);
    if (mode != 16 && mode != 32 && mode != 64)
        return X86VCPU_DECODE_UNSUPPORTED;

    /* Legacy prefixes in any order (Vol. 2 2.1.1), then REX, which counts
     * only right before the opcode: one followed by a legacy prefix is
     * ignored (2.2.1). */
    for (;;) {
        r = fetch(&c, &opc);
        if (r)
            goto fail;
        if (opc == 0x66) {
            opsz_pfx = 1;
        } else if (opc == 0x67) {
            addr_pfx = 1;
        } else if (opc == 0x26 || opc == 0x2e || opc == 0x36 || opc == 0x3e) {
            /* ES CS SS DS; ignored in 64-bit mode (see below), where
             * they do not displace an FS/GS override either. */
            if (mode != 64)
                seg_ovr = (opc - 0x26u) >> 3;
        } else if (opc == 0x64 || opc == 0x65) {
            seg_ovr = SEG_FS + (opc - 0x64u);
        } else if (opc == 0xf0) {
            lock = 1;
        } else if (opc == 0xf2 || opc == 0xf3) {
            rep = opc;                                  /* the last one counts */
        } else if (mode == 64 && (opc & 0xf0) == 0x40) {
            rex = opc;
            continue;
        } else {
            break;
        }
        rex = 0;
    }

    /* Operand and address size (Vol. 1 3.6, Table 3-3; 64-bit mode 3.6.1,
     * Table 3-4: REX.W wins over 66, 67 selects 32-bit addresses). */
    if (mode == 64)
        opsize = (rex & 8) ? 8 : opsz_pfx ? 2 : 4;
    else
        opsize = ((mode == 32) ^ opsz_pfx) ? 4 : 2;
    if (mode == 64)
        out->addr_size = addr_pfx ? 4 : 8;
    else
        out->addr_size = ((mode == 32) ^ addr_pfx) ? 4 : 2;

    /* Opcode (Vol. 2 Appendix A, Table A-2 one-byte and A-3 two-byte map). */
    if (opc < 0x40 && (opc & 7) < 4 && alu_ops[opc >> 3] != 0xff) {
        op = alu_ops[opc >> 3];
        byte_op = !(opc & 1);
        form = (opc & 2) ? F_GE : F_EG;
    } else {
        switch (opc) {
        case 0x88: case 0x89:
            op = X86VCPU_MMIO_MOV_STORE; byte_op = opc == 0x88; form = F_EG; break;
        case 0x8a: case 0x8b:
            op = X86VCPU_MMIO_MOV_LOAD; byte_op = opc == 0x8a; form = F_GE; break;
        case 0x84: case 0x85:
            op = X86VCPU_MMIO_TEST; byte_op = opc == 0x84; form = F_EG; break;
        case 0x82:                      /* alias of 80, invalid in 64-bit mode */
            if (mode == 64) { r = X86VCPU_DECODE_UNSUPPORTED; goto fail; }
            /* fall through */
        case 0x80: case 0x83:
            byte_op = opc != 0x83; imm_size = 1; form = F_EI; break;
        case 0x81:
            imm_size = opsize > 4 ? 4 : opsize; form = F_EI; break;
        case 0xc6: case 0xf6:
            byte_op = 1; imm_size = 1; form = F_EI; break;
        case 0xc7: case 0xf7:
            imm_size = opsize > 4 ? 4 : opsize; form = F_EI; break;
        case 0xa0: case 0xa1:
            op = X86VCPU_MMIO_MOV_LOAD; byte_op = opc == 0xa0; form = F_MOFFS; break;
        case 0xa2: case 0xa3:
            op = X86VCPU_MMIO_MOV_STORE; byte_op = opc == 0xa2; form = F_MOFFS; break;
        case 0xa4: case 0xa5:
            op = X86VCPU_MMIO_MOVS; byte_op = opc == 0xa4; form = F_STRING; break;
        case 0xaa: case 0xab:
            op = X86VCPU_MMIO_STOS; byte_op = opc == 0xaa; form = F_STRING; break;
        case 0x63:                      /* MOVSXD in 64-bit mode, ARPL otherwise */
            if (mode != 64) { r = X86VCPU_DECODE_UNSUPPORTED; goto fail; }
            op = X86VCPU_MMIO_MOVSX; form = F_GE; break;
        case 0x0f:
            r = fetch(&c, &opc);
            if (r)
                goto fail;
            if (opc == 0xb6 || opc == 0xb7)
                op = X86VCPU_MMIO_MOVZX;
            else if (opc == 0xbe || opc == 0xbf)
                op = X86VCPU_MMIO_MOVSX;
            else { r = X86VCPU_DECODE_UNSUPPORTED; goto fail; }
            form = F_GE;
            break;
        default:
            r = X86VCPU_DECODE_UNSUPPORTED;
            goto fail;
        }
    }

    out->mem_size = (uint8_t)(byte_op ? 1 : opsize);
    out->reg_size = out->mem_size;
    if (op == X86VCPU_MMIO_MOVZX || op == X86VCPU_MMIO_MOVSX) {
        /* 0F B6/BE: r/m8, 0F B7/BF: r/m16 (into r16/32/64); 63 with REX.W:
         * r/m32 into r64, without: as wide as the destination. */
        out->reg_size = (uint8_t)opsize;
        out->mem_size = (uint8_t)(opc == 0xb6 || opc == 0xbe ? 1
                                  : opc == 0xb7 || opc == 0xbf ? 2
                                  : opsize > 4 ? 4 : opsize);
    }

    if (form == F_EG || form == F_GE || form == F_EI) {
        r = decode_modrm(&c, mode, rex, out, &regf);
        if (r)
            goto fail;
        if (form == F_EI) {
            unsigned sub = regf & 7;
            if (opc == 0xc6 || opc == 0xc7) {
                if (sub != 0) { r = X86VCPU_DECODE_UNSUPPORTED; goto fail; }
                op = X86VCPU_MMIO_MOV_STORE_IMM;
            } else if (opc == 0xf6 || opc == 0xf7) {
                /* Group 3 /0 TEST (Vol. 2 Table A-6); /1 is undocumented. */
                if (sub != 0) { r = X86VCPU_DECODE_UNSUPPORTED; goto fail; }
                op = X86VCPU_MMIO_TEST;
            } else {
                if (alu_ops[sub] == 0xff) { r = X86VCPU_DECODE_UNSUPPORTED; goto fail; }
                op = alu_ops[sub];
            }
            out->mem_is_first = 1;
        } else {
            out->reg = (uint8_t)regf;
            out->mem_is_first = form == F_EG;
            /* Byte registers 4-7 are AH CH DH BH without REX, SPL BPL SIL DIL
             * with any REX (Vol. 2 2.2.1.2, Vol. 1 3.4.1.1). */
            if (out->reg_size == 1 && rex == 0 && regf >= 4 && regf <= 7)
                out->reg_high8 = 1;
        }
    } else if (form == F_MOFFS) {
        /* Offset as wide as the address size, no ModRM (Vol. 2 "MOV"). */
        uint64_t off;
        r = fetch_imm(&c, out->addr_size, 0, &off);
        if (r)
            goto fail;
        out->disp = (int64_t)off;
        out->reg = R_AX;
        out->mem_is_first = opc >= 0xa2;
    } else {
        /* STOS: ES:[rDI] <- AL/rAX, ES not overridable; MOVS: ES:[rDI] <-
         * DS:[rSI], DS overridable (Vol. 2 "STOS", "MOVS"). */
        out->mem_is_first = 1;
        out->rep = (uint8_t)rep;
        if (op == X86VCPU_MMIO_STOS) {
            out->reg = R_AX;
            out->base = R_DI;
            out->seg = SEG_ES;
            seg_ovr = NONE;
        } else {
            out->base = R_SI;
        }
    }
    out->op = op;
    out->mem_is_dest = op != X86VCPU_MMIO_CMP && op != X86VCPU_MMIO_TEST && out->mem_is_first;

    /* LOCK only with ADD/OR/AND/SUB/XOR (among these) writing memory,
     * else #UD (Vol. 2 "LOCK"). */
    if (lock) {
        if (!out->mem_is_dest ||
            (op != X86VCPU_MMIO_ADD && op != X86VCPU_MMIO_OR && op != X86VCPU_MMIO_AND &&
             op != X86VCPU_MMIO_SUB && op != X86VCPU_MMIO_XOR)) {
            r = X86VCPU_DECODE_INVALID;
            goto fail;
        }
        out->lock = 1;
    }

    if (imm_size) {
        uint64_t imm;
        r = fetch_imm(&c, imm_size, 1, &imm);
        if (r)
            goto fail;
        out->imm = imm & size_mask(out->mem_size);
        out->has_imm = 1;
    }

    /* Segment overrides (Vol. 2 2.1.1 group 2). In 64-bit mode only FS and
     * GS have a base (Vol. 1 3.4.2.1) and the CS/DS/ES/SS overrides are
     * ignored (Vol. 2 2.1.1): null prefixes, so an FS/GS override stays in
     * effect whatever their order (objdump decodes it the same way). */
    if (seg_ovr != NONE)
        out->seg = (uint8_t)seg_ovr;
    out->len = (uint8_t)c.pos;
    return 0;

fail:
    {
        uint8_t len = (uint8_t)c.pos;
        clear(out);
        out->len = len;
    }
    return r;
}

uint64_t x86vcpu__insn_ea(const struct x86vcpu_insn *i, const uint64_t gpr[16], uint64_t next_rip)
{
    uint64_t a = (uint64_t)i->disp;
    if (i->rip_relative) {
        a += next_rip;
    } else {
        if (i->base != NONE)
            a += gpr[i->base & 15];
        if (i->index != NONE)
            a += gpr[i->index & 15] * i->scale;
    }
    /* Address-size truncation (Vol. 1 3.7.5; 16-bit wrap-around, 2.2.1.6 for
     * EIP-relative). */
    return a & size_mask(i->addr_size);
}

uint64_t x86vcpu__insn_merge_reg(const struct x86vcpu_insn *i, uint64_t old_reg, uint64_t loaded)
{
    uint64_t v = loaded & size_mask(i->mem_size);
    if (i->op == X86VCPU_MMIO_MOVSX && i->mem_size && i->mem_size < 8 &&
        (v >> (8 * i->mem_size - 1)) & 1)
        v |= ~size_mask(i->mem_size);
    switch (i->reg_size) {
    case 1:
        v &= 0xff;
        return i->reg_high8 ? (old_reg & ~0xff00ull) | (v << 8) : (old_reg & ~0xffull) | v;
    case 2:
        return (old_reg & ~0xffffull) | (v & 0xffff);
    case 4:
        return v & 0xffffffffull;       /* zero-extends (Vol. 1 3.4.1.1) */
    default:
        return v;
    }
}

/* PF: set when the low byte has an even number of 1 bits (Vol. 1 3.4.3.1). */
static uint64_t parity_even(uint64_t r)
{
    uint64_t x = r & 0xff;
    x ^= x >> 4;
    x ^= x >> 2;
    x ^= x >> 1;
    return !(x & 1);
}

#define FL_CF (1ull << 0)
#define FL_PF (1ull << 2)
#define FL_AF (1ull << 4)
#define FL_ZF (1ull << 6)
#define FL_SF (1ull << 7)
#define FL_OF (1ull << 11)

uint64_t x86vcpu__insn_alu(const struct x86vcpu_insn *i, uint64_t mem_val, uint64_t other,
                           uint64_t rflags, uint64_t *new_rflags)
{
    unsigned size = i->mem_size ? i->mem_size : 1;
    uint64_t m = size_mask(size), sign = 1ull << (8 * size - 1);
    uint64_t a, b, res, fl = 0;

    if (i->has_imm)
        other = i->imm;
    else if (i->reg_high8)
        other >>= 8;
    a = mem_val & m;
    b = other & m;
    if (!i->mem_is_first) {             /* e.g. 2B: SUB r, r/m = r - mem */
        uint64_t t = a; a = b; b = t;
    }
    switch (i->op) {
    case X86VCPU_MMIO_ADD:
        /* Vol. 2 "ADD": OF SF ZF AF CF PF per the result. */
        res = (a + b) & m;
        if (res < a) fl |= FL_CF;
        if ((a ^ res) & (b ^ res) & sign) fl |= FL_OF;
        if ((a ^ b ^ res) & 0x10) fl |= FL_AF;
        break;
    case X86VCPU_MMIO_SUB:
    case X86VCPU_MMIO_CMP:
        /* Vol. 2 "SUB", "CMP": CF = borrow, OF = signed overflow. */
        res = (a - b) & m;
        if (a < b) fl |= FL_CF;
        if ((a ^ b) & (a ^ res) & sign) fl |= FL_OF;
        if ((a ^ b ^ res) & 0x10) fl |= FL_AF;
        break;
    case X86VCPU_MMIO_AND:
    case X86VCPU_MMIO_TEST:
        /* Vol. 2 "AND", "TEST": OF = CF = 0, AF undefined (left 0). */
        res = a & b;
        break;
    case X86VCPU_MMIO_OR:
        res = a | b;
        break;
    case X86VCPU_MMIO_XOR:
        res = a ^ b;
        break;
    default:
        *new_rflags = rflags;
        return mem_val;
    }
    if (res == 0) fl |= FL_ZF;
    if (res & sign) fl |= FL_SF;
    if (parity_even(res)) fl |= FL_PF;
    *new_rflags = (rflags & ~(FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)) | fl;
    return res;
}
