/* Instruction decoder for MMIO emulation (see decode.h). Rules from the SDM
 * Vol. 2 chapter 2 and the instruction pages; every read goes through
 * fetch(), which never looks past n bytes nor past the 15-byte limit. */
#include "lib/decode.h"
#include "lib/arch.h"

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

static void clear(struct x86vcpu_insn *o)
{
    /* Field by field: a freestanding library must not call memset. */
    o->len = 0; o->op = 0; o->mem_size = 0; o->reg = NONE; o->reg_size = 0;
    o->reg_high8 = 0; o->addr_size = 0; o->seg = SEG_DS; o->rep = 0;
    o->mem_is_dest = 0; o->mem_is_first = 0; o->has_imm = 0; o->lock = 0;
    o->rip_relative = 0; o->base = NONE; o->index = NONE; o->scale = 1;
    o->sub = 0; o->cc = 0; o->count_cl = 0;
    for (unsigned k = 0; k < sizeof o->pad; k++)
        o->pad[k] = 0;
    o->imm = 0; o->disp = 0;
}

/* ADD OR ADC SBB AND SUB XOR CMP: the operation in bits 5:3 of opcodes
 * 00-3F and in ModRM.reg of group 1 (Vol. 2 Table ). */
static const uint8_t alu_ops[8] = {
    X86VCPU_MMIO_ADD, X86VCPU_MMIO_OR, X86VCPU_MMIO_ADC, X86VCPU_MMIO_SBB,
    X86VCPU_MMIO_AND, X86VCPU_MMIO_SUB, X86VCPU_MMIO_XOR, X86VCPU_MMIO_CMP,
};

/* Does the instruction write its memory operand? */
static int writes_mem(const struct x86vcpu_insn *o)
{
    switch (o->op) {
    case X86VCPU_MMIO_CMP: case X86VCPU_MMIO_TEST: case X86VCPU_MMIO_MULDIV:
    case X86VCPU_MMIO_IMUL: case X86VCPU_MMIO_CMOVCC: case X86VCPU_MMIO_LODS:
    case X86VCPU_MMIO_SCAS: case X86VCPU_MMIO_CMPS: case X86VCPU_MMIO_PUSH:
    case X86VCPU_MMIO_OUTS: case X86VCPU_MMIO_MOVBE_LOAD: case X86VCPU_MMIO_SSE_LOAD:
        return 0;
    case X86VCPU_MMIO_BT:
        return o->sub != 0;
    default:
        return o->mem_is_first;
    }
}

/* LOCK is allowed only on these with a memory destination, else #UD
 * (Vol. 2 "LOCK"). */
static int lockable(const struct x86vcpu_insn *o)
{
    switch (o->op) {
    case X86VCPU_MMIO_ADD: case X86VCPU_MMIO_OR: case X86VCPU_MMIO_ADC: case X86VCPU_MMIO_SBB:
    case X86VCPU_MMIO_AND: case X86VCPU_MMIO_SUB: case X86VCPU_MMIO_XOR: case X86VCPU_MMIO_NOT:
    case X86VCPU_MMIO_NEG: case X86VCPU_MMIO_INC: case X86VCPU_MMIO_DEC: case X86VCPU_MMIO_BT:
    case X86VCPU_MMIO_XCHG: case X86VCPU_MMIO_CMPXCHG: case X86VCPU_MMIO_XADD:
    case X86VCPU_MMIO_CMPXCHG8B: case X86VCPU_MMIO_CMPXCHG16B:
        return o->mem_is_dest;
    default:
        return 0;
    }
}

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

/* The legacy-SSE moves between an XMM register and memory (two-byte map
 * 0F, Vol. 2 Table A-3): the mandatory prefix is the last F2/F3, else 66
 * (Vol. 2 2.1.2). Sets *op, *size (bytes of memory), *aligned (MOVAPS,
 * MOVAPD, MOVDQA: #GP(0) unless 16-byte aligned) and whether memory is the
 * destination; 0 if opc/prefix is not one of them (MMX forms, undefined
 * prefixes). VEX forms (C4/C5) never get here. */
static int sse_move(uint8_t opc, unsigned rep, unsigned p66, unsigned rex, uint8_t *op,
                    unsigned *size, unsigned *aligned, unsigned *store)
{
    unsigned pfx = rep == 0xf3 ? 3 : rep == 0xf2 ? 2 : p66 ? 1 : 0;
    *aligned = 0;
    *store = 0;
    switch (opc) {
    case 0x11: *store = 1; /* fall through */
    case 0x10:                          /* MOVUPS MOVUPD MOVSS MOVSD */
        *size = pfx == 3 ? 4 : pfx == 2 ? 8 : 16;
        break;
    case 0x29: *store = 1; /* fall through */
    case 0x28:                          /* MOVAPS MOVAPD */
        if (pfx >= 2)
            return 0;
        *size = 16, *aligned = 1;
        break;
    case 0x7f: *store = 1; /* fall through */
    case 0x6f:                          /* MOVDQA MOVDQU (none: MMX MOVQ) */
        if (pfx != 1 && pfx != 3)
            return 0;
        *size = 16, *aligned = pfx == 1;
        break;
    case 0x6e:                          /* 66: MOVD/MOVQ xmm, r/m (none: MMX) */
        if (pfx != 1)
            return 0;
        *size = (rex & 8) ? 8 : 4;
        break;
    case 0x7e:                          /* 66: MOVD/MOVQ r/m, xmm; F3: MOVQ xmm, m64 */
        if (pfx == 1)
            *store = 1, *size = (rex & 8) ? 8 : 4;
        else if (pfx == 3)
            *size = 8;
        else
            return 0;
        break;
    case 0xd6:                          /* 66: MOVQ m64, xmm */
        if (pfx != 1)
            return 0;
        *store = 1, *size = 8;
        break;
    default:
        return 0;
    }
    *op = *store ? X86VCPU_MMIO_SSE_STORE : X86VCPU_MMIO_SSE_LOAD;
    return 1;
}

int x86vcpu__decode(const uint8_t *bytes, uint32_t n, int mode, struct x86vcpu_insn *out)
{
    unsigned sse_size = 0, sse_aligned = 0, sse_store = 0;
    struct cursor c = { bytes, n, 0 };
    unsigned rex = 0, opsz_pfx = 0, addr_pfx = 0, lock = 0, rep = 0, seg_ovr = NONE;
    unsigned opsize, form = F_EG, regf = 0, byte_op = 0, imm_size = 0, two_byte = 0;
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
    if (opc < 0x40 && (opc & 7) < 4) {
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
        case 0xc6:
            byte_op = 1; imm_size = 1; form = F_EI; break;
        case 0xc7:
            imm_size = opsize > 4 ? 4 : opsize; form = F_EI; break;
        case 0xf6: case 0xf7:   /* group 3: the immediate only for TEST, below */
        case 0xfe: case 0xff:   /* groups 4, 5 */
        case 0xd0: case 0xd1: case 0xd2: case 0xd3:     /* group 2 by 1 / CL */
            byte_op = !(opc & 1); form = F_EI; break;
        case 0xc0: case 0xc1:   /* group 2 by imm8 */
            byte_op = opc == 0xc0; imm_size = 1; form = F_EI; break;
        case 0x8f:              /* group 1A: POP r/m */
            form = F_EI; break;
        case 0x86: case 0x87:
            op = X86VCPU_MMIO_XCHG; byte_op = opc == 0x86; form = F_EG; break;
        case 0x69: case 0x6b:   /* IMUL r, r/m, imm */
            op = X86VCPU_MMIO_IMUL; form = F_GE;
            imm_size = opc == 0x6b ? 1 : opsize > 4 ? 4 : opsize; break;
        case 0xa6: case 0xa7:
            op = X86VCPU_MMIO_CMPS; byte_op = opc == 0xa6; form = F_STRING; break;
        case 0xac: case 0xad:
            op = X86VCPU_MMIO_LODS; byte_op = opc == 0xac; form = F_STRING; break;
        case 0xae: case 0xaf:
            op = X86VCPU_MMIO_SCAS; byte_op = opc == 0xae; form = F_STRING; break;
        case 0x6c: case 0x6d:   /* at most 32 bits: REX.W does not widen them */
            op = X86VCPU_MMIO_INS; byte_op = opc == 0x6c; form = F_STRING;
            opsize = opsize > 4 ? 4 : opsize; break;
        case 0x6e: case 0x6f:
            op = X86VCPU_MMIO_OUTS; byte_op = opc == 0x6e; form = F_STRING;
            opsize = opsize > 4 ? 4 : opsize; break;
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
            two_byte = 1;
            form = F_GE;
            if (opc == 0xb6 || opc == 0xb7)
                op = X86VCPU_MMIO_MOVZX;
            else if (opc == 0xbe || opc == 0xbf)
                op = X86VCPU_MMIO_MOVSX;
            else if (opc == 0xb0 || opc == 0xb1)
                op = X86VCPU_MMIO_CMPXCHG, byte_op = opc == 0xb0, form = F_EG;
            else if (opc == 0xc0 || opc == 0xc1)
                op = X86VCPU_MMIO_XADD, byte_op = opc == 0xc0, form = F_EG;
            else if (opc == 0xa3 || opc == 0xab || opc == 0xb3 || opc == 0xbb)
                op = X86VCPU_MMIO_BT, out->sub = (uint8_t)((opc >> 3) & 3), form = F_EG;
            else if (opc == 0xba)
                imm_size = 1, form = F_EI;              /* group 8, BT* imm8 */
            else if (opc == 0xc7)
                form = F_EI;                            /* group 9 */
            else if (opc == 0xaf)
                op = X86VCPU_MMIO_IMUL;
            else if ((opc & 0xf0) == 0x40)
                op = X86VCPU_MMIO_CMOVCC, out->cc = opc & 15;
            else if ((opc & 0xf0) == 0x90)
                op = X86VCPU_MMIO_SETCC, out->cc = opc & 15, byte_op = 1, form = F_EI;
            else if ((opc == 0xbc || opc == 0xbd || (opc == 0xb8 && rep == 0xf3)) && rep != 0xf2)
                /* BSF/BSR; with F3 TZCNT/LZCNT (Vol. 2 "TZCNT", "LZCNT": BSF/BSR
                 * on CPUs without them) and POPCNT (0F B8 alone is JMPE). */
                op = X86VCPU_MMIO_BITSCAN,
                out->sub = (uint8_t)(opc == 0xb8 ? X86VCPU_BITSCAN_POPCNT
                                     : (opc & 1) + (rep ? 2 : 0));
            else if (sse_move(opc, rep, opsz_pfx, rex, &op, &sse_size, &sse_aligned, &sse_store))
                form = sse_store ? F_EG : F_GE;
            else if (opc == 0x38) {
                /* Three-byte map 0F 38 (Table A-4): F0/F1 MOVBE; with F2
                 * they are CRC32, with F3 undefined. */
                r = fetch(&c, &opc);
                if (r)
                    goto fail;
                if ((opc != 0xf0 && opc != 0xf1) || rep) { r = X86VCPU_DECODE_UNSUPPORTED; goto fail; }
                op = opc == 0xf0 ? X86VCPU_MMIO_MOVBE_LOAD : X86VCPU_MMIO_MOVBE_STORE;
                form = opc == 0xf0 ? F_GE : F_EG;
            }
            else { r = X86VCPU_DECODE_UNSUPPORTED; goto fail; }
            break;
        default:
            r = X86VCPU_DECODE_UNSUPPORTED;
            goto fail;
        }
    }

    out->mem_size = (uint8_t)(byte_op ? 1 : opsize);
    out->reg_size = out->mem_size;
    if (sse_size) {
        /* The register operand is the whole XMM register (a load zero-
         * extends into it: Vol. 2 "MOVSS", "MOVD/MOVQ"). */
        out->mem_size = (uint8_t)sse_size;
        out->reg_size = 16;
        out->sub = (uint8_t)sse_aligned;
    }
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
            /* The operation in ModRM.reg (Vol. 2 Table A-6, opcode
             * extensions by group). */
            if (two_byte && (opc & 0xf0) == 0x90) {
                /* SETcc: ModRM.reg is ignored */
            } else if (two_byte && opc == 0xba) {
                if (sub < 4) { r = X86VCPU_DECODE_UNSUPPORTED; goto fail; }
                op = X86VCPU_MMIO_BT;
                out->sub = (uint8_t)(sub - 4);
            } else if (two_byte) {              /* 0F C7 */
                /* /1 CMPXCHG8B; with REX.W (64-bit mode only) CMPXCHG16B
                 * (Vol. 2 "CMPXCHG8B/CMPXCHG16B") */
                if (sub != 1) { r = X86VCPU_DECODE_UNSUPPORTED; goto fail; }
                op = (rex & 8) ? X86VCPU_MMIO_CMPXCHG16B : X86VCPU_MMIO_CMPXCHG8B;
                out->mem_size = out->reg_size = (rex & 8) ? 16 : 8;
            } else if (opc == 0xc6 || opc == 0xc7) {
                if (sub != 0) { r = X86VCPU_DECODE_UNSUPPORTED; goto fail; }
                op = X86VCPU_MMIO_MOV_STORE_IMM;
            } else if (opc == 0xf6 || opc == 0xf7) {
                /* Group 3: /0 TEST (/1 an undocumented alias the CPU runs
                 * the same), /2 NOT, /3 NEG, /4-7 MUL IMUL DIV IDIV. */
                if (sub <= 1) {
                    op = X86VCPU_MMIO_TEST;
                    imm_size = out->mem_size > 4 ? 4 : out->mem_size;
                } else if (sub == 2) {
                    op = X86VCPU_MMIO_NOT;
                } else if (sub == 3) {
                    op = X86VCPU_MMIO_NEG;
                } else {
                    op = X86VCPU_MMIO_MULDIV;
                    out->sub = (uint8_t)sub;
                }
            } else if (opc == 0xfe || opc == 0xff) {
                /* Group 4/5: /0 INC, /1 DEC, FF /6 PUSH; the branches
                 * (/2-/5) are not data accesses emulated here. */
                if (sub == 0 || sub == 1) {
                    op = sub ? X86VCPU_MMIO_DEC : X86VCPU_MMIO_INC;
                } else if (opc == 0xff && sub == 6) {
                    op = X86VCPU_MMIO_PUSH;
                } else { r = X86VCPU_DECODE_UNSUPPORTED; goto fail; }
            } else if (opc == 0x8f) {
                if (sub != 0) { r = X86VCPU_DECODE_UNSUPPORTED; goto fail; }
                op = X86VCPU_MMIO_POP;
            } else if (opc >= 0xc0 && opc <= 0xd3) {
                op = X86VCPU_MMIO_SHIFT;
                out->sub = (uint8_t)sub;
                out->count_cl = opc == 0xd2 || opc == 0xd3;
            } else {
                op = alu_ops[sub];
            }
            if (op == X86VCPU_MMIO_PUSH || op == X86VCPU_MMIO_POP) {
                /* In 64-bit mode the stack operand is 64 bits unless 66
                 * (Vol. 2 "PUSH", "POP"; there is no 32-bit form). */
                if (mode == 64)
                    out->mem_size = out->reg_size = (uint8_t)(opsz_pfx && !(rex & 8) ? 2 : 8);
            }
            out->mem_is_first = 1;
        } else {
            out->reg = (uint8_t)regf;
            out->mem_is_first = form == F_EG;
            /* CMOVcc, IMUL: reg op= mem */
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
        if (op == X86VCPU_MMIO_INS) {
            /* ES:[rDI], no override (Vol. 2 "INS") */
            out->base = R_DI;
            out->seg = SEG_ES;
            seg_ovr = NONE;
        } else if (op == X86VCPU_MMIO_OUTS) {
            out->base = R_SI;       /* DS:[rSI], overridable (Vol. 2 "OUTS") */
            out->mem_is_first = 0;
        } else if (op == X86VCPU_MMIO_STOS || op == X86VCPU_MMIO_SCAS) {
            /* ES:[rDI], no override (Vol. 2 "STOS", "SCAS") */
            out->reg = R_AX;
            out->base = R_DI;
            out->seg = SEG_ES;
            seg_ovr = NONE;
            out->mem_is_first = op == X86VCPU_MMIO_STOS;
        } else {
            /* MOVS, CMPS: seg:[rSI] first, ES:[rDI] second; LODS: seg:[rSI] */
            out->base = R_SI;
            if (op == X86VCPU_MMIO_LODS) {
                out->reg = R_AX;
                out->mem_is_first = 0;
            }
        }
    }
    out->op = op;
    out->mem_is_dest = (uint8_t)writes_mem(out);

    if (lock) {
        if (!lockable(out)) {
            r = X86VCPU_DECODE_INVALID;
            goto fail;
        }
        out->lock = 1;
    }

    if (imm_size) {
        uint64_t imm;
        /* Shift counts and bit offsets (C0/C1, 0F BA) are unsigned bytes;
         * the other immediates are sign-extended to the operand size. */
        int count = out->op == X86VCPU_MMIO_SHIFT || out->op == X86VCPU_MMIO_BT;
        r = fetch_imm(&c, imm_size, !count, &imm);
        if (r)
            goto fail;
        out->imm = imm & x86vcpu__size_mask(out->mem_size);
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
    return a & x86vcpu__size_mask(i->addr_size);
}

uint64_t x86vcpu__insn_merge_reg(const struct x86vcpu_insn *i, uint64_t old_reg, uint64_t loaded)
{
    uint64_t v = loaded & x86vcpu__size_mask(i->mem_size);
    if (i->op == X86VCPU_MMIO_MOVSX && i->mem_size && i->mem_size < 8 &&
        (v >> (8 * i->mem_size - 1)) & 1)
        v |= ~x86vcpu__size_mask(i->mem_size);
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
    if (size > 8) {             /* the 16-byte forms are none of these */
        *new_rflags = rflags;
        return mem_val;
    }
    uint64_t m = x86vcpu__size_mask(size), sign = 1ull << (8 * size - 1);
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
