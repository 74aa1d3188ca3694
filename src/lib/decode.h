/* Instruction decoder for MMIO emulation: given the bytes of the instruction
 * that faulted on an MMIO page (EPT violation), tell which memory access it
 * makes and how to complete it. Pure logic, freestanding. The rules are from
 * the SDM Vol. 2 chapter 2 (instruction format: prefixes 2.1.1, ModRM/SIB
 * 2.1.5 Tables 2-1..2-3, REX 2.2.1, RIP-relative 2.2.1.6) and the
 * instruction pages of Vol. 2; RFLAGS from Vol. 1 3.4.3 and Appendix A. */
#ifndef X86VCPU_LIB_DECODE_H
#define X86VCPU_LIB_DECODE_H

#include <stdint.h>

/* x86vcpu__decode results (distinct from enum x86vcpu_error). */
#define X86VCPU_DECODE_OK          0
#define X86VCPU_DECODE_UNSUPPORTED (-64) /* valid or not, not an MMIO form handled here */
#define X86VCPU_DECODE_TRUNCATED   (-65) /* n bytes are not enough: fetch more */
#define X86VCPU_DECODE_INVALID     (-66) /* the CPU would fault on these bytes:
                                          * LOCK on a form that does not allow it
                                          * (#UD, Vol. 2 "LOCK"), or longer than
                                          * 15 bytes (#GP, Vol. 2 2.1) */
#define X86VCPU_INSN_MAX_LEN 15
#define X86VCPU_INSN_NONE    0xff        /* no register / no base / no index */

enum x86vcpu_mmio_op {
    X86VCPU_MMIO_MOV_STORE,     /* 88/89, A2/A3: mem <- reg */
    X86VCPU_MMIO_MOV_LOAD,      /* 8A/8B, A0/A1: reg <- mem */
    X86VCPU_MMIO_MOV_STORE_IMM, /* C6/C7 /0: mem <- imm */
    X86VCPU_MMIO_MOVZX,         /* 0F B6/B7: reg <- zero-extended mem */
    X86VCPU_MMIO_MOVSX,         /* 0F BE/BF, 63 (MOVSXD, 64-bit mode): reg <- sign-extended mem */
    X86VCPU_MMIO_STOS,          /* AA/AB: ES:[rDI] <- rAX (one element; see rep) */
    X86VCPU_MMIO_MOVS,          /* A4/A5: ES:[rDI] <- seg:[rSI] (one element; see rep) */
    X86VCPU_MMIO_AND,           /* 20-23, 80/81/83 /4 */
    X86VCPU_MMIO_OR,            /* 08-0B, 80/81/83 /1 */
    X86VCPU_MMIO_XOR,           /* 30-33, 80/81/83 /6 */
    X86VCPU_MMIO_ADD,           /* 00-03, 80/81/83 /0 */
    X86VCPU_MMIO_SUB,           /* 28-2B, 80/81/83 /5 */
    X86VCPU_MMIO_CMP,           /* 38-3B, 80/81/83 /7: flags only */
    X86VCPU_MMIO_TEST,          /* 84/85, F6/F7 /0 (/1): flags only */
    /* The rest execute through src/lib/alu.c (x86vcpu__insn_exec). */
    X86VCPU_MMIO_ADC,           /* 10-13, 80/81/83 /2 */
    X86VCPU_MMIO_SBB,           /* 18-1B, 80/81/83 /3 */
    X86VCPU_MMIO_NOT,           /* F6/F7 /2 */
    X86VCPU_MMIO_NEG,           /* F6/F7 /3 */
    X86VCPU_MMIO_INC,           /* FE/FF /0 */
    X86VCPU_MMIO_DEC,           /* FE/FF /1 */
    X86VCPU_MMIO_SHIFT,         /* C0/C1 ib, D0/D1 (1), D2/D3 (CL); sub = ModRM.reg
                                 * (ROL ROR RCL RCR SHL SHR SAL SAR) */
    X86VCPU_MMIO_BT,            /* 0F A3/AB/B3/BB (bit offset in reg), 0F BA /4-7 ib;
                                 * sub = 0 BT, 1 BTS, 2 BTR, 3 BTC */
    X86VCPU_MMIO_XCHG,          /* 86/87 */
    X86VCPU_MMIO_CMPXCHG,       /* 0F B0/B1 */
    X86VCPU_MMIO_XADD,          /* 0F C0/C1 */
    X86VCPU_MMIO_CMPXCHG8B,     /* 0F C7 /1 without REX.W (mem_size 8) */
    X86VCPU_MMIO_MULDIV,        /* F6/F7 /4-7; sub = 4 MUL, 5 IMUL, 6 DIV, 7 IDIV */
    X86VCPU_MMIO_IMUL,          /* 0F AF; 69/6B with an immediate: reg <- r/m * (reg|imm) */
    X86VCPU_MMIO_SETCC,         /* 0F 90-9F: mem8 <- condition cc */
    X86VCPU_MMIO_CMOVCC,        /* 0F 40-4F: reg <- mem if cc (mem is read anyway) */
    X86VCPU_MMIO_LODS,          /* AC/AD: rAX <- seg:[rSI] */
    X86VCPU_MMIO_SCAS,          /* AE/AF: flags of rAX - ES:[rDI] */
    X86VCPU_MMIO_CMPS,          /* A6/A7: flags of seg:[rSI] - ES:[rDI] */
    X86VCPU_MMIO_PUSH,          /* FF /6: push r/m (stack through SS:rSP) */
    X86VCPU_MMIO_POP,           /* 8F /0: pop r/m */
    X86VCPU_MMIO_INS,           /* 6C/6D: ES:[rDI] <- port DX (the port's side: the embedder) */
    X86VCPU_MMIO_OUTS,          /* 6E/6F: port DX <- seg:[rSI] */
    X86VCPU_MMIO_MOVBE_LOAD,    /* 0F 38 F0: reg <- byte-swapped mem (16/32/64) */
    X86VCPU_MMIO_MOVBE_STORE,   /* 0F 38 F1: mem <- byte-swapped reg */
    X86VCPU_MMIO_SSE_LOAD,      /* xmm <- mem zero-extended to 128 bits; reg = the XMM
                                 * register, reg_size 16, mem_size 4/8/16, sub = 1 when a
                                 * 16-byte alignment is required. 0F 10 MOVUPS, 66 0F 10
                                 * MOVUPD, F3 0F 10 MOVSS, F2 0F 10 MOVSD, 0F 28 MOVAPS,
                                 * 66 0F 28 MOVAPD, 66 0F 6F MOVDQA, F3 0F 6F MOVDQU,
                                 * 66 0F 6E MOVD/MOVQ (REX.W), F3 0F 7E MOVQ */
    X86VCPU_MMIO_SSE_STORE,     /* mem <- the low mem_size bytes of xmm: 0F 11, 0F 29,
                                 * 0F 7F (66/F3), 66 0F 7E MOVD/MOVQ, 66 0F D6 MOVQ */
    X86VCPU_MMIO_CMPXCHG16B,    /* REX.W 0F C7 /1 (64-bit mode; mem_size 16) */
    X86VCPU_MMIO_BITSCAN,       /* reg <- f(mem); sub = X86VCPU_BITSCAN_*: 0F BC BSF,
                                 * 0F BD BSR, F3 0F BC TZCNT, F3 0F BD LZCNT,
                                 * F3 0F B8 POPCNT */
    X86VCPU_MMIO_OP_COUNT
};

#define X86VCPU_BITSCAN_BSF    0
#define X86VCPU_BITSCAN_BSR    1
#define X86VCPU_BITSCAN_TZCNT  2   /* BSF on a CPU without BMI1 */
#define X86VCPU_BITSCAN_LZCNT  3   /* BSR on a CPU without LZCNT */
#define X86VCPU_BITSCAN_POPCNT 4

struct x86vcpu_insn {
    uint8_t len;            /* total instruction length, 1..15 */
    uint8_t op;             /* enum x86vcpu_mmio_op */
    uint8_t mem_size;       /* bytes accessed in memory: 1, 2, 4, 8; 16 for
                             * SSE_LOAD/SSE_STORE (MOVUPS ...) and CMPXCHG16B */
    uint8_t reg;            /* register operand (enum x86vcpu_gpr order; SSE_*:
                             * the XMM register number), or
                             * X86VCPU_INSN_NONE (immediate forms, MOVS) */
    uint8_t reg_size;       /* size of the register operand (= mem_size except
                             * for the MOVZX/MOVSX destination) */
    uint8_t reg_high8;      /* the register is AH/CH/DH/BH (no REX, reg 4-7, byte) */
    uint8_t addr_size;      /* 2, 4, 8 */
    uint8_t seg;            /* effective segment: 0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS.
                             * STOS: ES. MOVS: the source's (the destination is
                             * always ES:[rDI]). In 64-bit mode CS/DS/ES/SS
                             * overrides are ignored: those bases are 0
                             * there (Vol. 1 3.4.2.1), the default stays. */
    uint8_t rep;            /* string ops: 0, 0xF3 (REP), 0xF2; 0 otherwise */
    uint8_t mem_is_dest;    /* the memory operand is written (MOVS: the
                             * destination ES:[rDI] is) */
    uint8_t mem_is_first;   /* memory is the first (left) operand in Intel
                             * syntax: SUB/CMP compute mem - other, else
                             * other - mem */
    uint8_t has_imm;
    uint8_t lock;           /* F0 was present (and is allowed) */
    uint8_t rip_relative;   /* 64-bit mode: address = next RIP + disp (EIP
                             * with a 67 prefix), Vol. 2 2.2.1.6 */
    uint8_t base, index;    /* register numbers, X86VCPU_INSN_NONE if absent;
                             * 16-bit addressing: BX/BP as base, SI/DI as index
                             * (or base when alone). MOVS: base rSI, STOS: rDI */
    uint8_t scale;          /* 1, 2, 4, 8 */
    uint8_t sub;            /* SHIFT, BT, MULDIV: which one (see the op); SSE_*: 1
                             * when the operand must be 16-byte aligned (#GP(0)) */
    uint8_t cc;             /* SETCC, CMOVCC: the condition (opcode low nibble) */
    uint8_t count_cl;       /* SHIFT: the count is CL (D2/D3); else imm, or 1 */
    uint8_t pad[4];
    uint64_t imm;           /* immediate as the instruction uses it: sign-
                             * extended to the operand size, then truncated
                             * to it (83 ib, C7/81 id with REX.W) */
    int64_t disp;           /* displacement, sign-extended (moffs: zero-extended) */
};

/* mode: 16, 32 or 64 (the code segment's default size; 64 = 64-bit mode).
 * Reads at most min(n, 15) bytes. Returns X86VCPU_DECODE_OK with *out
 * filled, or one of X86VCPU_DECODE_UNSUPPORTED / _TRUNCATED / _INVALID
 * (*out is then cleared: reg, base, index X86VCPU_INSN_NONE; len = the
 * bytes examined). Register-only forms (ModRM.mod = 11) make no memory
 * access: unsupported. */
int x86vcpu__decode(const uint8_t *bytes, uint32_t n, int mode, struct x86vcpu_insn *out);

/* Effective address (offset in the segment, before the segment base) of the
 * memory operand, truncated to the address size (Vol. 1 3.7.5). gpr[] in
 * enum x86vcpu_gpr order; next_rip = RIP + len (RIP-relative only). For
 * MOVS this is the source; the destination is gpr[RDI] under the address
 * size. */
uint64_t x86vcpu__insn_ea(const struct x86vcpu_insn *i, const uint64_t gpr[16], uint64_t next_rip);

/* The new value of register i->reg after a load of `loaded` (the low
 * mem_size bytes count) into it, given its old value: MOVZX/MOVSX extend
 * from mem_size to reg_size; then a write of reg_size bytes: 8 and 16 bit
 * writes keep the other bits (AH..BH: bits 15:8), 32-bit writes zero-extend
 * to 64 bits (Vol. 1 3.4.1.1; outside 64-bit mode the upper half is
 * undefined and zero is a valid value for it). Also for the ALU forms that
 * write a register (op reg, r/m: !mem_is_first, not CMP): pass the value
 * x86vcpu__insn_alu returned. */
uint64_t x86vcpu__insn_merge_reg(const struct x86vcpu_insn *i, uint64_t old_reg, uint64_t loaded);

/* AND/OR/XOR/ADD/SUB/CMP/TEST on mem_size bytes: mem_val is the memory
 * operand, other the full value of register i->reg (AH..BH taken from bits
 * 15:8) or ignored when i->has_imm (i->imm is used). Returns the result
 * (truncated to mem_size; for CMP/TEST the value that is not stored) and
 * sets *new_rflags to rflags with CF PF AF ZF SF OF as the instruction
 * leaves them (AND/OR/XOR/TEST: CF = OF = 0; their AF is undefined in the
 * SDM and is cleared here). Other ops: returns mem_val, flags unchanged.
 * The caller stores the result: to memory when mem_is_dest, to the
 * register (x86vcpu__insn_merge_reg) for the other ADD/OR/AND/SUB/XOR. */
uint64_t x86vcpu__insn_alu(const struct x86vcpu_insn *i, uint64_t mem_val, uint64_t other,
                           uint64_t rflags, uint64_t *new_rflags);

#endif
