/* MMIO instruction decoder: a table of encodings with the fields the SDM
 * (Vol. 2 chapter 2 and the instruction pages) gives them, written by hand,
 * not derived from the implementation; the helpers (address, register
 * merge, ALU flags) against hand-computed values and, on an x86-64 host,
 * against the host CPU's own flags.
 *
 * `test_decode --dump DIR` writes the decoded instructions (the table and a
 * generated set of prefix/opcode/ModRM/SIB combinations) for
 * tools/decode-objdump-check.sh: DIR/m16.bin, m32.bin, m64.bin (the
 * instructions back to back) and DIR/expect.txt (one line per instruction,
 * at its hex offset: what objdump -M intel should print). `--seeds DIR`
 * writes the table as a corpus for tests/fuzz/fuzz_decode.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include "lib/decode.h"

#define NO 0xff
enum { ES, CS, SS, DS, FS, GS };
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

#define UNSUP X86VCPU_DECODE_UNSUPPORTED
#define TRUNC X86VCPU_DECODE_TRUNCATED
#define INVAL X86VCPU_DECODE_INVALID

struct tcase {
    int mode;
    const char *hex;
    int ret;
    int len;
    int op, dest, first, rep;
    int msz, asz;
    int reg, rsz, h8;
    int seg, base, index, scale, rip;
    long long disp;
    int has_imm;
    unsigned long long imm;
    int lock;
};

/* Operation, mem_is_dest, mem_is_first, rep. */
#define K_ST        X86VCPU_MMIO_MOV_STORE, 1, 1, 0
#define K_LD        X86VCPU_MMIO_MOV_LOAD, 0, 0, 0
#define K_STI       X86VCPU_MMIO_MOV_STORE_IMM, 1, 1, 0
#define K_ZX        X86VCPU_MMIO_MOVZX, 0, 0, 0
#define K_SX        X86VCPU_MMIO_MOVSX, 0, 0, 0
#define K_STOS(r)   X86VCPU_MMIO_STOS, 1, 1, r
#define K_MOVS(r)   X86VCPU_MMIO_MOVS, 1, 1, r
#define K_MR(o)     X86VCPU_MMIO_##o, 1, 1, 0   /* op r/m, reg|imm: memory written */
#define K_RM(o)     X86VCPU_MMIO_##o, 0, 0, 0   /* op reg, r/m: register written */
#define K_CMPM      X86VCPU_MMIO_CMP, 0, 1, 0   /* cmp r/m, reg|imm */
#define K_CMPR      X86VCPU_MMIO_CMP, 0, 0, 0   /* cmp reg, r/m */
#define K_TEST      X86VCPU_MMIO_TEST, 0, 1, 0
#define K_MD        X86VCPU_MMIO_MULDIV, 0, 1, 0
#define K_BT        X86VCPU_MMIO_BT, 0, 1, 0     /* BT: memory only read */
#define K_PUSH      X86VCPU_MMIO_PUSH, 0, 1, 0
#define K_LODS(r)   X86VCPU_MMIO_LODS, 0, 0, r
#define K_SCAS(r)   X86VCPU_MMIO_SCAS, 0, 0, r
#define K_CMPS(r)   X86VCPU_MMIO_CMPS, 0, 1, r
#define K_INS(r)    X86VCPU_MMIO_INS, 1, 1, r
#define K_OUTS(r)   X86VCPU_MMIO_OUTS, 0, 0, r
/* Register operand: number, size, AH..BH. NOR: none (reg_size = mem_size). */
#define R(r, s)     r, s, 0
#define H(r)        r, 1, 1
#define NOR         NO, 0, 0
/* Memory operand: segment, base, index, scale, RIP-relative, displacement. */
#define M(s, b, i, sc, d) s, b, i, sc, 0, d
#define RIP(d)      DS, NO, NO, 1, 1, d
#define I(v)        1, v
#define NI          0, 0

#define T(mode, hex, len, k, msz, asz, r, m, i)  { mode, hex, 0, len, k, msz, asz, r, m, i, 0 }
#define TL(mode, hex, len, k, msz, asz, r, m, i) { mode, hex, 0, len, k, msz, asz, r, m, i, 1 }
#define X(mode, hex, ret) { mode, hex, ret, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

static const struct tcase cases[] = {
    /* ---------------------------------------------------- 64-bit mode */
    /* MOV r/m, r (88/89) and r, r/m (8A/8B); REX.W/R/X/B; byte registers */
    T(64, "89 08",          2, K_ST, 4, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "48 89 08",       3, K_ST, 8, 8, R(RCX, 8), M(DS, RAX, NO, 1, 0), NI),
    T(64, "66 89 08",       3, K_ST, 2, 8, R(RCX, 2), M(DS, RAX, NO, 1, 0), NI),
    T(64, "66 48 89 08",    4, K_ST, 8, 8, R(RCX, 8), M(DS, RAX, NO, 1, 0), NI),  /* W wins */
    T(64, "48 66 89 08",    4, K_ST, 2, 8, R(RCX, 2), M(DS, RAX, NO, 1, 0), NI),  /* REX not last: ignored */
    T(64, "88 08",          2, K_ST, 1, 8, R(RCX, 1), M(DS, RAX, NO, 1, 0), NI),
    T(64, "88 20",          2, K_ST, 1, 8, H(RSP),    M(DS, RAX, NO, 1, 0), NI),  /* AH */
    T(64, "88 3b",          2, K_ST, 1, 8, H(RDI),    M(DS, RBX, NO, 1, 0), NI),  /* BH */
    T(64, "40 88 20",       3, K_ST, 1, 8, R(RSP, 1), M(DS, RAX, NO, 1, 0), NI),  /* SPL */
    T(64, "40 88 3e",       3, K_ST, 1, 8, R(RDI, 1), M(DS, RSI, NO, 1, 0), NI),  /* DIL */
    T(64, "44 88 00",       3, K_ST, 1, 8, R(R8, 1),  M(DS, RAX, NO, 1, 0), NI),
    T(64, "41 88 00",       3, K_ST, 1, 8, R(RAX, 1), M(DS, R8, NO, 1, 0), NI),
    T(64, "4c 89 04 24",    4, K_ST, 8, 8, R(R8, 8),  M(SS, RSP, NO, 1, 0), NI),
    T(64, "8b 45 f8",       3, K_LD, 4, 8, R(RAX, 4), M(SS, RBP, NO, 1, -8), NI),
    T(64, "41 8b 45 00",    4, K_LD, 4, 8, R(RAX, 4), M(DS, R13, NO, 1, 0), NI),  /* R13: not SS */
    T(64, "8b 05 10 00 00 00", 6, K_LD, 4, 8, R(RAX, 4), RIP(0x10), NI),
    T(64, "41 8b 05 10 00 00 00", 7, K_LD, 4, 8, R(RAX, 4), RIP(0x10), NI),     /* REX.B: still RIP */
    T(64, "67 8b 05 f0 ff ff ff", 7, K_LD, 4, 4, R(RAX, 4), RIP(-0x10), NI),    /* EIP-relative */
    T(64, "8b 04 25 00 10 00 00", 7, K_LD, 4, 8, R(RAX, 4), M(DS, NO, NO, 1, 0x1000), NI),
    T(64, "41 8b 04 25 00 10 00 00", 8, K_LD, 4, 8, R(RAX, 4), M(DS, NO, NO, 1, 0x1000), NI),
    T(64, "8b 04 8d 00 10 00 00", 7, K_LD, 4, 8, R(RAX, 4), M(DS, NO, RCX, 4, 0x1000), NI),
    T(64, "42 8b 04 a0",    4, K_LD, 4, 8, R(RAX, 4), M(DS, RAX, R12, 4, 0), NI),
    T(64, "43 8b 44 e5 08", 5, K_LD, 4, 8, R(RAX, 4), M(DS, R13, R12, 8, 8), NI),
    T(64, "8b 44 24 08",    4, K_LD, 4, 8, R(RAX, 4), M(SS, RSP, NO, 1, 8), NI),
    T(64, "8b 04 64",       3, K_LD, 4, 8, R(RAX, 4), M(SS, RSP, NO, 1, 0), NI),  /* index 100: none */
    T(64, "49 8b 04 24",    4, K_LD, 8, 8, R(RAX, 8), M(DS, R12, NO, 1, 0), NI),
    T(64, "4d 8b 6d 00",    4, K_LD, 8, 8, R(R13, 8), M(DS, R13, NO, 1, 0), NI),
    T(64, "48 8b 0c c5 f8 ff ff ff", 8, K_LD, 8, 8, R(RCX, 8), M(DS, NO, RAX, 8, -8), NI),
    T(64, "8b 84 88 00 00 00 80", 7, K_LD, 4, 8, R(RAX, 4), M(DS, RAX, RCX, 4, -0x80000000ll), NI),
    T(64, "8a 1c 08",       3, K_LD, 1, 8, R(RBX, 1) , M(DS, RAX, RCX, 1, 0), NI),
    /* segment overrides: FS/GS count, CS/DS/ES/SS are ignored */
    T(64, "64 48 8b 04 25 28 00 00 00", 9, K_LD, 8, 8, R(RAX, 8), M(FS, NO, NO, 1, 0x28), NI),
    T(64, "65 89 08",       3, K_ST, 4, 8, R(RCX, 4), M(GS, RAX, NO, 1, 0), NI),
    T(64, "2e 89 08",       3, K_ST, 4, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "36 89 00",       3, K_ST, 4, 8, R(RAX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "64 26 89 00",    4, K_ST, 4, 8, R(RAX, 4), M(FS, RAX, NO, 1, 0), NI),
    T(64, "26 64 89 00",    4, K_ST, 4, 8, R(RAX, 4), M(FS, RAX, NO, 1, 0), NI),
    T(64, "3e 8b 45 00",    4, K_LD, 4, 8, R(RAX, 4), M(SS, RBP, NO, 1, 0), NI),
    /* MOV r/m, imm (C6/C7 /0) */
    T(64, "c6 00 7f",       3, K_STI, 1, 8, NOR, M(DS, RAX, NO, 1, 0), I(0x7f)),
    T(64, "c7 00 78 56 34 12", 6, K_STI, 4, 8, NOR, M(DS, RAX, NO, 1, 0), I(0x12345678)),
    T(64, "48 c7 00 ff ff ff ff", 7, K_STI, 8, 8, NOR, M(DS, RAX, NO, 1, 0), I(0xffffffffffffffffull)),
    T(64, "66 c7 00 34 12", 5, K_STI, 2, 8, NOR, M(DS, RAX, NO, 1, 0), I(0x1234)),
    T(64, "c7 05 00 01 00 00 78 56 34 12", 10, K_STI, 4, 8, NOR, RIP(0x100), I(0x12345678)),
    T(64, "48 c7 84 88 00 01 00 00 00 00 00 80", 12, K_STI, 8, 8, NOR,
      M(DS, RAX, RCX, 4, 0x100), I(0xffffffff80000000ull)),
    T(64, "26 26 26 26 c7 84 88 78 56 34 12 01 00 00 00", 15, K_STI, 4, 8, NOR,
      M(DS, RAX, RCX, 4, 0x12345678), I(1)),                                     /* exactly 15 */
    /* MOV moffs (A0-A3): offset as wide as the address */
    T(64, "a0 88 77 66 55 44 33 22 11", 9, K_LD, 1, 8, R(RAX, 1),
      M(DS, NO, NO, 1, 0x1122334455667788ll), NI),
    T(64, "48 a1 88 77 66 55 44 33 22 11", 10, K_LD, 8, 8, R(RAX, 8),
      M(DS, NO, NO, 1, 0x1122334455667788ll), NI),
    T(64, "a3 00 00 00 00 00 00 00 80", 9, K_ST, 4, 8, R(RAX, 4),
      M(DS, NO, NO, 1, (long long)0x8000000000000000ull), NI),
    T(64, "67 a2 44 33 22 11", 6, K_ST, 1, 4, R(RAX, 1), M(DS, NO, NO, 1, 0x11223344), NI),
    T(64, "66 a3 08 07 06 05 04 03 02 01", 10, K_ST, 2, 8, R(RAX, 2),
      M(DS, NO, NO, 1, 0x0102030405060708ll), NI),
    T(64, "64 a1 f0 ff ff ff 00 00 00 00", 10, K_LD, 4, 8, R(RAX, 4),
      M(FS, NO, NO, 1, 0xfffffff0ll), NI),                                      /* zero-extended */
    /* MOVZX / MOVSX / MOVSXD */
    T(64, "0f b6 00",       3, K_ZX, 1, 8, R(RAX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "48 0f b6 00",    4, K_ZX, 1, 8, R(RAX, 8), M(DS, RAX, NO, 1, 0), NI),
    T(64, "66 0f b6 00",    4, K_ZX, 1, 8, R(RAX, 2), M(DS, RAX, NO, 1, 0), NI),
    T(64, "0f b6 20",       3, K_ZX, 1, 8, R(RSP, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "0f b7 08",       3, K_ZX, 2, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "44 0f b7 00",    4, K_ZX, 2, 8, R(R8, 4),  M(DS, RAX, NO, 1, 0), NI),
    T(64, "0f be 00",       3, K_SX, 1, 8, R(RAX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "48 0f bf 00",    4, K_SX, 2, 8, R(RAX, 8), M(DS, RAX, NO, 1, 0), NI),
    T(64, "48 63 00",       3, K_SX, 4, 8, R(RAX, 8), M(DS, RAX, NO, 1, 0), NI),
    T(64, "63 00",          2, K_SX, 4, 8, R(RAX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "66 63 00",       3, K_SX, 2, 8, R(RAX, 2), M(DS, RAX, NO, 1, 0), NI),  /* SDM: r16, r/m16 */
    T(64, "4c 63 44 24 08", 5, K_SX, 4, 8, R(R8, 8),  M(SS, RSP, NO, 1, 8), NI),
    /* STOS / MOVS with REP */
    T(64, "aa",             1, K_STOS(0), 1, 8, R(RAX, 1), M(ES, RDI, NO, 1, 0), NI),
    T(64, "f3 ab",          2, K_STOS(0xf3), 4, 8, R(RAX, 4), M(ES, RDI, NO, 1, 0), NI),
    T(64, "f3 48 ab",       3, K_STOS(0xf3), 8, 8, R(RAX, 8), M(ES, RDI, NO, 1, 0), NI),
    T(64, "f3 66 ab",       3, K_STOS(0xf3), 2, 8, R(RAX, 2), M(ES, RDI, NO, 1, 0), NI),
    T(64, "67 f3 aa",       3, K_STOS(0xf3), 1, 4, R(RAX, 1), M(ES, RDI, NO, 1, 0), NI),
    T(64, "64 aa",          2, K_STOS(0), 1, 8, R(RAX, 1), M(ES, RDI, NO, 1, 0), NI),  /* ES fixed */
    T(64, "a4",             1, K_MOVS(0), 1, 8, NOR, M(DS, RSI, NO, 1, 0), NI),
    T(64, "f3 a5",          2, K_MOVS(0xf3), 4, 8, NOR, M(DS, RSI, NO, 1, 0), NI),
    T(64, "f3 48 a5",       3, K_MOVS(0xf3), 8, 8, NOR, M(DS, RSI, NO, 1, 0), NI),
    T(64, "64 f3 a4",       3, K_MOVS(0xf3), 1, 8, NOR, M(FS, RSI, NO, 1, 0), NI),
    T(64, "f2 a5",          2, K_MOVS(0xf2), 4, 8, NOR, M(DS, RSI, NO, 1, 0), NI),
    T(64, "f2 f3 a5",       3, K_MOVS(0xf3), 4, 8, NOR, M(DS, RSI, NO, 1, 0), NI),
    /* ALU with memory: 00-3B forms */
    T(64, "00 08",          2, K_MR(ADD), 1, 8, R(RCX, 1), M(DS, RAX, NO, 1, 0), NI),
    T(64, "01 08",          2, K_MR(ADD), 4, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "48 03 08",       3, K_RM(ADD), 8, 8, R(RCX, 8), M(DS, RAX, NO, 1, 0), NI),
    T(64, "02 20",          2, K_RM(ADD), 1, 8, H(RSP),    M(DS, RAX, NO, 1, 0), NI),
    T(64, "08 20",          2, K_MR(OR),  1, 8, H(RSP),    M(DS, RAX, NO, 1, 0), NI),
    T(64, "09 08",          2, K_MR(OR),  4, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "0b 08",          2, K_RM(OR),  4, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "21 08",          2, K_MR(AND), 4, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "66 23 08",       3, K_RM(AND), 2, 8, R(RCX, 2), M(DS, RAX, NO, 1, 0), NI),
    T(64, "29 08",          2, K_MR(SUB), 4, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "2b 08",          2, K_RM(SUB), 4, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "2a 08",          2, K_RM(SUB), 1, 8, R(RCX, 1), M(DS, RAX, NO, 1, 0), NI),
    T(64, "31 08",          2, K_MR(XOR), 4, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "4c 33 08",       3, K_RM(XOR), 8, 8, R(R9, 8),  M(DS, RAX, NO, 1, 0), NI),
    T(64, "39 08",          2, K_CMPM, 4, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "3b 08",          2, K_CMPR, 4, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "38 08",          2, K_CMPM, 1, 8, R(RCX, 1), M(DS, RAX, NO, 1, 0), NI),
    T(64, "3a 20",          2, K_CMPR, 1, 8, H(RSP),    M(DS, RAX, NO, 1, 0), NI),
    TL(64, "f0 01 08",      3, K_MR(ADD), 4, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    TL(64, "f0 48 29 08",   4, K_MR(SUB), 8, 8, R(RCX, 8), M(DS, RAX, NO, 1, 0), NI),
    TL(64, "f0 30 08",      3, K_MR(XOR), 1, 8, R(RCX, 1), M(DS, RAX, NO, 1, 0), NI),
    /* group 1: 80/81/83 */
    T(64, "80 00 01",       3, K_MR(ADD), 1, 8, NOR, M(DS, RAX, NO, 1, 0), I(1)),
    T(64, "80 08 80",       3, K_MR(OR),  1, 8, NOR, M(DS, RAX, NO, 1, 0), I(0x80)),
    T(64, "80 38 ff",       3, K_CMPM,    1, 8, NOR, M(DS, RAX, NO, 1, 0), I(0xff)),
    T(64, "81 20 ff 00 00 00", 6, K_MR(AND), 4, 8, NOR, M(DS, RAX, NO, 1, 0), I(0xff)),
    T(64, "48 81 28 00 00 00 80", 7, K_MR(SUB), 8, 8, NOR, M(DS, RAX, NO, 1, 0),
      I(0xffffffff80000000ull)),
    T(64, "66 81 30 34 12", 5, K_MR(XOR), 2, 8, NOR, M(DS, RAX, NO, 1, 0), I(0x1234)),
    T(64, "83 00 ff",       3, K_MR(ADD), 4, 8, NOR, M(DS, RAX, NO, 1, 0), I(0xffffffff)),
    T(64, "48 83 00 ff",    4, K_MR(ADD), 8, 8, NOR, M(DS, RAX, NO, 1, 0), I(0xffffffffffffffffull)),
    T(64, "66 83 00 80",    4, K_MR(ADD), 2, 8, NOR, M(DS, RAX, NO, 1, 0), I(0xff80)),
    T(64, "83 7d f8 00",    4, K_CMPM,    4, 8, NOR, M(SS, RBP, NO, 1, -8), I(0)),
    T(64, "83 25 00 00 00 00 fe", 7, K_MR(AND), 4, 8, NOR, RIP(0), I(0xfffffffe)),
    TL(64, "f0 83 0c 24 00", 5, K_MR(OR), 4, 8, NOR, M(SS, RSP, NO, 1, 0), I(0)),
    /* TEST */
    T(64, "84 08",          2, K_TEST, 1, 8, R(RCX, 1), M(DS, RAX, NO, 1, 0), NI),
    T(64, "85 08",          2, K_TEST, 4, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "48 85 08",       3, K_TEST, 8, 8, R(RCX, 8), M(DS, RAX, NO, 1, 0), NI),
    T(64, "84 20",          2, K_TEST, 1, 8, H(RSP),    M(DS, RAX, NO, 1, 0), NI),
    T(64, "f6 00 01",       3, K_TEST, 1, 8, NOR, M(DS, RAX, NO, 1, 0), I(1)),
    T(64, "f7 00 00 00 00 80", 6, K_TEST, 4, 8, NOR, M(DS, RAX, NO, 1, 0), I(0x80000000)),
    T(64, "48 f7 00 00 00 00 80", 7, K_TEST, 8, 8, NOR, M(DS, RAX, NO, 1, 0), I(0xffffffff80000000ull)),
    T(64, "66 f7 00 ff 7f", 5, K_TEST, 2, 8, NOR, M(DS, RAX, NO, 1, 0), I(0x7fff)),
    /* bytes after the instruction are not part of it */
    T(64, "89 08 90 90 90", 2, K_ST, 4, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),

    /* ---------------------------------------------------- 32-bit mode */
    T(32, "89 08",          2, K_ST, 4, 4, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(32, "66 89 08",       3, K_ST, 2, 4, R(RCX, 2), M(DS, RAX, NO, 1, 0), NI),
    T(32, "88 20",          2, K_ST, 1, 4, H(RSP),    M(DS, RAX, NO, 1, 0), NI),
    T(32, "8b 05 00 10 00 00", 6, K_LD, 4, 4, R(RAX, 4), M(DS, NO, NO, 1, 0x1000), NI), /* no RIP */
    T(32, "8b 04 24",       3, K_LD, 4, 4, R(RAX, 4), M(SS, RSP, NO, 1, 0), NI),
    T(32, "8b 44 8d 08",    4, K_LD, 4, 4, R(RAX, 4), M(SS, RBP, RCX, 4, 8), NI),
    T(32, "8b 04 8d 00 10 00 00", 7, K_LD, 4, 4, R(RAX, 4), M(DS, NO, RCX, 4, 0x1000), NI),
    T(32, "8b 04 2d 00 10 00 00", 7, K_LD, 4, 4, R(RAX, 4), M(DS, NO, RBP, 1, 0x1000), NI),
    T(32, "8b 80 00 00 00 80", 6, K_LD, 4, 4, R(RAX, 4), M(DS, RAX, NO, 1, -0x80000000ll), NI),
    T(32, "67 8b 07",       3, K_LD, 4, 2, R(RAX, 4), M(DS, RBX, NO, 1, 0), NI),
    T(32, "67 8b 46 02",    4, K_LD, 4, 2, R(RAX, 4), M(SS, RBP, NO, 1, 2), NI),
    T(32, "a1 00 10 00 00", 5, K_LD, 4, 4, R(RAX, 4), M(DS, NO, NO, 1, 0x1000), NI),
    T(32, "67 a1 00 10",    4, K_LD, 4, 2, R(RAX, 4), M(DS, NO, NO, 1, 0x1000), NI),
    T(32, "66 a3 00 10 00 00", 6, K_ST, 2, 4, R(RAX, 2), M(DS, NO, NO, 1, 0x1000), NI),
    T(32, "c7 05 00 10 00 00 01 00 00 00", 10, K_STI, 4, 4, NOR, M(DS, NO, NO, 1, 0x1000), I(1)),
    T(32, "0f b6 00",       3, K_ZX, 1, 4, R(RAX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(32, "66 0f be 00",    4, K_SX, 1, 4, R(RAX, 2), M(DS, RAX, NO, 1, 0), NI),
    T(32, "0f bf 00",       3, K_SX, 2, 4, R(RAX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(32, "f3 ab",          2, K_STOS(0xf3), 4, 4, R(RAX, 4), M(ES, RDI, NO, 1, 0), NI),
    T(32, "66 f3 ab",       3, K_STOS(0xf3), 2, 4, R(RAX, 2), M(ES, RDI, NO, 1, 0), NI),
    T(32, "67 f3 ab",       3, K_STOS(0xf3), 4, 2, R(RAX, 4), M(ES, RDI, NO, 1, 0), NI),
    T(32, "f3 a4",          2, K_MOVS(0xf3), 1, 4, NOR, M(DS, RSI, NO, 1, 0), NI),
    T(32, "26 a5",          2, K_MOVS(0), 4, 4, NOR, M(ES, RSI, NO, 1, 0), NI),
    T(32, "80 00 01",       3, K_MR(ADD), 1, 4, NOR, M(DS, RAX, NO, 1, 0), I(1)),
    T(32, "82 00 01",       3, K_MR(ADD), 1, 4, NOR, M(DS, RAX, NO, 1, 0), I(1)),  /* 82 = 80 */
    T(32, "81 08 00 00 01 00", 6, K_MR(OR), 4, 4, NOR, M(DS, RAX, NO, 1, 0), I(0x10000)),
    T(32, "83 20 f0",       3, K_MR(AND), 4, 4, NOR, M(DS, RAX, NO, 1, 0), I(0xfffffff0)),
    T(32, "85 08",          2, K_TEST, 4, 4, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(32, "f7 00 01 00 00 00", 6, K_TEST, 4, 4, NOR, M(DS, RAX, NO, 1, 0), I(1)),
    T(32, "2e 89 08",       3, K_ST, 4, 4, R(RCX, 4), M(CS, RAX, NO, 1, 0), NI),
    T(32, "36 89 00",       3, K_ST, 4, 4, R(RAX, 4), M(SS, RAX, NO, 1, 0), NI),
    T(32, "26 8b 45 00",    4, K_LD, 4, 4, R(RAX, 4), M(ES, RBP, NO, 1, 0), NI),
    T(32, "64 26 89 00",    4, K_ST, 4, 4, R(RAX, 4), M(ES, RAX, NO, 1, 0), NI),  /* last wins */
    TL(32, "f0 01 08",      3, K_MR(ADD), 4, 4, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),

    /* ---------------------------------------------------- 16-bit mode */
    T(16, "89 00",          2, K_ST, 2, 2, R(RAX, 2), M(DS, RBX, RSI, 1, 0), NI),
    T(16, "89 01",          2, K_ST, 2, 2, R(RAX, 2), M(DS, RBX, RDI, 1, 0), NI),
    T(16, "89 02",          2, K_ST, 2, 2, R(RAX, 2), M(SS, RBP, RSI, 1, 0), NI),
    T(16, "89 03",          2, K_ST, 2, 2, R(RAX, 2), M(SS, RBP, RDI, 1, 0), NI),
    T(16, "89 04",          2, K_ST, 2, 2, R(RAX, 2), M(DS, RSI, NO, 1, 0), NI),
    T(16, "89 05",          2, K_ST, 2, 2, R(RAX, 2), M(DS, RDI, NO, 1, 0), NI),
    T(16, "89 06 34 12",    4, K_ST, 2, 2, R(RAX, 2), M(DS, NO, NO, 1, 0x1234), NI),
    T(16, "89 07",          2, K_ST, 2, 2, R(RAX, 2), M(DS, RBX, NO, 1, 0), NI),
    T(16, "89 46 fe",       3, K_ST, 2, 2, R(RAX, 2), M(SS, RBP, NO, 1, -2), NI),
    T(16, "8b 87 00 80",    4, K_LD, 2, 2, R(RAX, 2), M(DS, RBX, NO, 1, -0x8000), NI),
    T(16, "8b 1e 00 80",    4, K_LD, 2, 2, R(RBX, 2), M(DS, NO, NO, 1, -0x8000), NI),
    T(16, "66 89 00",       3, K_ST, 4, 2, R(RAX, 4), M(DS, RBX, RSI, 1, 0), NI),
    T(16, "88 27",          2, K_ST, 1, 2, H(RSP),    M(DS, RBX, NO, 1, 0), NI),
    T(16, "67 89 04 24",    4, K_ST, 2, 4, R(RAX, 2), M(SS, RSP, NO, 1, 0), NI),
    T(16, "67 66 8b 44 24 04", 6, K_LD, 4, 4, R(RAX, 4), M(SS, RSP, NO, 1, 4), NI),
    T(16, "a1 34 12",       3, K_LD, 2, 2, R(RAX, 2), M(DS, NO, NO, 1, 0x1234), NI),
    T(16, "67 a1 78 56 34 12", 6, K_LD, 2, 4, R(RAX, 2), M(DS, NO, NO, 1, 0x12345678), NI),
    T(16, "c6 06 34 12 ff", 5, K_STI, 1, 2, NOR, M(DS, NO, NO, 1, 0x1234), I(0xff)),
    T(16, "c7 47 02 34 12", 5, K_STI, 2, 2, NOR, M(DS, RBX, NO, 1, 2), I(0x1234)),
    T(16, "66 c7 07 78 56 34 12", 7, K_STI, 4, 2, NOR, M(DS, RBX, NO, 1, 0), I(0x12345678)),
    T(16, "0f b6 07",       3, K_ZX, 1, 2, R(RAX, 2), M(DS, RBX, NO, 1, 0), NI),
    T(16, "66 0f b7 07",    4, K_ZX, 2, 2, R(RAX, 4), M(DS, RBX, NO, 1, 0), NI),
    T(16, "0f be 5e 10",    4, K_SX, 1, 2, R(RBX, 2), M(SS, RBP, NO, 1, 0x10), NI),
    T(16, "aa",             1, K_STOS(0), 1, 2, R(RAX, 1), M(ES, RDI, NO, 1, 0), NI),
    T(16, "f3 ab",          2, K_STOS(0xf3), 2, 2, R(RAX, 2), M(ES, RDI, NO, 1, 0), NI),
    T(16, "66 f3 ab",       3, K_STOS(0xf3), 4, 2, R(RAX, 4), M(ES, RDI, NO, 1, 0), NI),
    T(16, "f3 a5",          2, K_MOVS(0xf3), 2, 2, NOR, M(DS, RSI, NO, 1, 0), NI),
    T(16, "2e a4",          2, K_MOVS(0), 1, 2, NOR, M(CS, RSI, NO, 1, 0), NI),
    T(16, "83 06 34 12 ff", 5, K_MR(ADD), 2, 2, NOR, M(DS, NO, NO, 1, 0x1234), I(0xffff)),
    T(16, "80 3e 34 12 00", 5, K_CMPM, 1, 2, NOR, M(DS, NO, NO, 1, 0x1234), I(0)),
    T(16, "29 07",          2, K_MR(SUB), 2, 2, R(RAX, 2), M(DS, RBX, NO, 1, 0), NI),
    T(16, "32 67 01",       3, K_RM(XOR), 1, 2, H(RSP), M(DS, RBX, NO, 1, 1), NI),
    T(16, "85 07",          2, K_TEST, 2, 2, R(RAX, 2), M(DS, RBX, NO, 1, 0), NI),
    T(16, "f6 07 80",       3, K_TEST, 1, 2, NOR, M(DS, RBX, NO, 1, 0), I(0x80)),
    T(16, "26 89 00",       3, K_ST, 2, 2, R(RAX, 2), M(ES, RBX, RSI, 1, 0), NI),
    T(16, "64 89 02",       3, K_ST, 2, 2, R(RAX, 2), M(FS, RBP, RSI, 1, 0), NI),
    TL(16, "f0 80 07 01",   4, K_MR(ADD), 1, 2, NOR, M(DS, RBX, NO, 1, 0), I(1)),

    /* ---------------------------------------------------- not handled */
    /* issue 11: the rest of what a guest can apply to memory */
    T(32, "19 0d 82 e8 00 40", 6, K_MR(SBB), 4, 4, R(RCX, 4), M(DS, NO, NO, 1, 0x4000e882), NI),
    TL(32, "f0 11 08",      3, K_MR(ADC), 4, 4, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(32, "c1 20 05",       3, K_MR(SHIFT), 4, 4, NOR, M(DS, RAX, NO, 1, 0), I(5)),
    T(32, "66 c1 38 ff",    4, K_MR(SHIFT), 2, 4, NOR, M(DS, RAX, NO, 1, 0), I(0xff)),   /* counts: not sign-extended */
    T(32, "d1 38",          2, K_MR(SHIFT), 4, 4, NOR, M(DS, RAX, NO, 1, 0), NI),
    T(32, "d2 28",          2, K_MR(SHIFT), 1, 4, NOR, M(DS, RAX, NO, 1, 0), NI),
    T(64, "48 d3 10",       3, K_MR(SHIFT), 8, 8, NOR, M(DS, RAX, NO, 1, 0), NI),
    T(32, "0f a3 08",       3, K_BT, 4, 4, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    TL(32, "f0 0f ab 08",   4, K_MR(BT), 4, 4, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(32, "66 0f b3 08",    4, K_MR(BT), 2, 4, R(RCX, 2), M(DS, RAX, NO, 1, 0), NI),
    T(32, "0f ba 20 05",    4, K_BT, 4, 4, NOR, M(DS, RAX, NO, 1, 0), I(5)),
    T(32, "0f ba 38 85",    4, K_MR(BT), 4, 4, NOR, M(DS, RAX, NO, 1, 0), I(0x85)),
    TL(32, "f0 0f b1 08",   4, K_MR(CMPXCHG), 4, 4, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(32, "0f b0 20",       3, K_MR(CMPXCHG), 1, 4, H(RSP), M(DS, RAX, NO, 1, 0), NI),
    T(32, "0f c1 08",       3, K_MR(XADD), 4, 4, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "40 0f c0 20",    4, K_MR(XADD), 1, 8, R(RSP, 1), M(DS, RAX, NO, 1, 0), NI),
    TL(32, "f0 0f c7 08",   4, K_MR(CMPXCHG8B), 8, 4, NOR, M(DS, RAX, NO, 1, 0), NI),
    T(64, "0f c7 08",       3, K_MR(CMPXCHG8B), 8, 8, NOR, M(DS, RAX, NO, 1, 0), NI),
    T(64, "48 0f c7 08",    4, K_MR(CMPXCHG16B), 16, 8, NOR, M(DS, RAX, NO, 1, 0), NI),
    TL(64, "f0 49 0f c7 0c 24", 6, K_MR(CMPXCHG16B), 16, 8, NOR, M(DS, R12, NO, 1, 0), NI),
    /* BSF BSR TZCNT LZCNT POPCNT r, r/m (sub: X86VCPU_BITSCAN_*) */
    T(32, "0f bc 08",       3, K_RM(BITSCAN), 4, 4, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(16, "0f bd 07",       3, K_RM(BITSCAN), 2, 2, R(RAX, 2), M(DS, RBX, NO, 1, 0), NI),
    T(64, "f3 48 0f bc 08", 5, K_RM(BITSCAN), 8, 8, R(RCX, 8), M(DS, RAX, NO, 1, 0), NI),
    T(32, "66 f3 0f bd 08", 5, K_RM(BITSCAN), 2, 4, R(RCX, 2), M(DS, RAX, NO, 1, 0), NI),
    T(32, "f3 0f b8 08",    4, K_RM(BITSCAN), 4, 4, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    X(32, "0f b8 08", UNSUP),           /* JMPE */
    X(32, "f2 0f bc 08", UNSUP),
    X(32, "f0 0f bc 08", INVAL),        /* LOCK BSF: #UD */
    X(32, "0f bc c8", UNSUP),           /* register source */
    /* MOVBE (0F 38 F0/F1): 16/32/64; F2/F3 make it CRC32 / undefined */
    T(32, "0f 38 f0 08",    4, K_RM(MOVBE_LOAD), 4, 4, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(16, "0f 38 f1 07",    4, K_MR(MOVBE_STORE), 2, 2, R(RAX, 2), M(DS, RBX, NO, 1, 0), NI),
    T(64, "66 0f 38 f0 08", 5, K_RM(MOVBE_LOAD), 2, 8, R(RCX, 2), M(DS, RAX, NO, 1, 0), NI),
    T(64, "4c 0f 38 f1 40 08", 6, K_MR(MOVBE_STORE), 8, 8, R(R8, 8), M(DS, RAX, NO, 1, 8), NI),
    X(32, "f2 0f 38 f0 08", UNSUP),     /* CRC32 */
    X(32, "f3 0f 38 f1 08", UNSUP),
    X(32, "f0 0f 38 f1 08", INVAL),     /* LOCK MOVBE: #UD */
    X(32, "0f 38 f0 c8", UNSUP),        /* register form: #UD */
    /* SSE moves xmm <-> m: the register is the XMM number, 16 bytes wide */
    T(32, "0f 10 08",       3, K_RM(SSE_LOAD), 16, 4, R(RCX, 16), M(DS, RAX, NO, 1, 0), NI),
    T(64, "44 0f 11 38",    4, K_MR(SSE_STORE), 16, 8, R(R15, 16), M(DS, RAX, NO, 1, 0), NI),
    T(32, "66 0f 28 08",    4, K_RM(SSE_LOAD), 16, 4, R(RCX, 16), M(DS, RAX, NO, 1, 0), NI),
    T(32, "0f 29 4d fc",    4, K_MR(SSE_STORE), 16, 4, R(RCX, 16), M(SS, RBP, NO, 1, -4), NI),
    T(64, "66 0f 6f 05 00 01 00 00", 8, K_RM(SSE_LOAD), 16, 8, R(RAX, 16), RIP(0x100), NI),
    T(16, "f3 0f 7f 07",    4, K_MR(SSE_STORE), 16, 2, R(RAX, 16), M(DS, RBX, NO, 1, 0), NI),
    T(32, "f3 0f 10 08",    4, K_RM(SSE_LOAD), 4, 4, R(RCX, 16), M(DS, RAX, NO, 1, 0), NI),
    T(32, "f2 0f 11 08",    4, K_MR(SSE_STORE), 8, 4, R(RCX, 16), M(DS, RAX, NO, 1, 0), NI),
    T(32, "66 0f 6e 08",    4, K_RM(SSE_LOAD), 4, 4, R(RCX, 16), M(DS, RAX, NO, 1, 0), NI),
    T(64, "66 48 0f 7e 08", 5, K_MR(SSE_STORE), 8, 8, R(RCX, 16), M(DS, RAX, NO, 1, 0), NI),
    T(32, "f3 0f 7e 08",    4, K_RM(SSE_LOAD), 8, 4, R(RCX, 16), M(DS, RAX, NO, 1, 0), NI),
    T(32, "66 0f d6 08",    4, K_MR(SSE_STORE), 8, 4, R(RCX, 16), M(DS, RAX, NO, 1, 0), NI),
    T(32, "66 f3 0f 6f 08", 5, K_RM(SSE_LOAD), 16, 4, R(RCX, 16), M(DS, RAX, NO, 1, 0), NI), /* F3 wins */
    X(32, "0f 6f 08", UNSUP),           /* MMX MOVQ mm, m64 */
    X(32, "0f 7e 08", UNSUP),           /* MMX MOVD */
    X(32, "f2 0f 6f 08", UNSUP),
    X(32, "f3 0f 28 08", UNSUP),
    X(32, "0f d6 08", UNSUP),
    X(32, "0f 10 c8", UNSUP),           /* register to register */
    X(32, "f0 0f 10 08", INVAL),        /* LOCK: #UD */
    X(64, "0f c7 10", UNSUP),           /* 0F C7 /2 */
    T(32, "0f af 08",       3, K_RM(IMUL), 4, 4, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(32, "6b 08 fb",       3, K_RM(IMUL), 4, 4, R(RCX, 4), M(DS, RAX, NO, 1, 0), I(0xfffffffb)),
    T(32, "66 69 08 34 12", 5, K_RM(IMUL), 2, 4, R(RCX, 2), M(DS, RAX, NO, 1, 0), I(0x1234)),
    T(64, "48 69 08 ff ff ff ff", 7, K_RM(IMUL), 8, 8, R(RCX, 8), M(DS, RAX, NO, 1, 0), I(~0ull)),
    T(32, "f7 20",          2, K_MD, 4, 4, NOR, M(DS, RAX, NO, 1, 0), NI),
    T(32, "f6 38",          2, K_MD, 1, 4, NOR, M(DS, RAX, NO, 1, 0), NI),
    TL(32, "f0 f7 18",      3, K_MR(NEG), 4, 4, NOR, M(DS, RAX, NO, 1, 0), NI),
    T(32, "fe 00",          2, K_MR(INC), 1, 4, NOR, M(DS, RAX, NO, 1, 0), NI),
    TL(32, "f0 66 ff 08",   4, K_MR(DEC), 2, 4, NOR, M(DS, RAX, NO, 1, 0), NI),
    T(32, "0f 94 00",       3, K_MR(SETCC), 1, 4, NOR, M(DS, RAX, NO, 1, 0), NI),
    T(32, "0f 9f 38",       3, K_MR(SETCC), 1, 4, NOR, M(DS, RAX, NO, 1, 0), NI),   /* ModRM.reg ignored */
    T(32, "0f 44 08",       3, K_RM(CMOVCC), 4, 4, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(32, "66 0f 4f 08",    4, K_RM(CMOVCC), 2, 4, R(RCX, 2), M(DS, RAX, NO, 1, 0), NI),
    T(32, "ff 30",          2, K_PUSH, 4, 4, NOR, M(DS, RAX, NO, 1, 0), NI),
    T(64, "ff 30",          2, K_PUSH, 8, 8, NOR, M(DS, RAX, NO, 1, 0), NI),
    T(64, "66 ff 30",       3, K_PUSH, 2, 8, NOR, M(DS, RAX, NO, 1, 0), NI),
    T(32, "8f 00",          2, K_MR(POP), 4, 4, NOR, M(DS, RAX, NO, 1, 0), NI),
    T(32, "f3 ad",          2, K_LODS(0xf3), 4, 4, R(RAX, 4), M(DS, RSI, NO, 1, 0), NI),
    T(32, "64 ac",          2, K_LODS(0), 1, 4, R(RAX, 1), M(FS, RSI, NO, 1, 0), NI),
    T(32, "f2 ae",          2, K_SCAS(0xf2), 1, 4, R(RAX, 1), M(ES, RDI, NO, 1, 0), NI),
    T(32, "64 66 af",       3, K_SCAS(0), 2, 4, R(RAX, 2), M(ES, RDI, NO, 1, 0), NI),  /* ES fixed */
    T(32, "f3 a6",          2, K_CMPS(0xf3), 1, 4, NOR, M(DS, RSI, NO, 1, 0), NI),
    T(16, "65 a7",          2, K_CMPS(0), 2, 2, NOR, M(GS, RSI, NO, 1, 0), NI),
    T(32, "f3 6c",          2, K_INS(0xf3), 1, 4, NOR, M(ES, RDI, NO, 1, 0), NI),
    T(32, "64 6d",          2, K_INS(0), 4, 4, NOR, M(ES, RDI, NO, 1, 0), NI),  /* ES fixed */
    T(64, "48 6d",          2, K_INS(0), 4, 8, NOR, M(ES, RDI, NO, 1, 0), NI),  /* at most 32 bits */
    T(32, "64 f3 6e",       3, K_OUTS(0xf3), 1, 4, NOR, M(FS, RSI, NO, 1, 0), NI),
    T(16, "66 6f",          2, K_OUTS(0), 4, 2, NOR, M(DS, RSI, NO, 1, 0), NI),
    X(32, "f0 6e", INVAL),              /* LOCK OUTS: #UD */
    X(32, "f0 f7 20", INVAL),           /* LOCK MUL: #UD */
    X(32, "f0 0f a3 08", INVAL),        /* LOCK BT: #UD */
    X(32, "f0 0f 44 08", INVAL),        /* LOCK CMOV: #UD */
    X(32, "f0 0f 94 00", INVAL),        /* LOCK SETcc: #UD */
    X(32, "ff 10", UNSUP),              /* CALL [mem]: not a data access emulated */
    X(32, "fe 30", UNSUP),
    X(32, "0f ba 00 01", UNSUP),        /* 0F BA /0 */
    X(32, "8f 08", UNSUP),
    X(64, "89 c8", UNSUP),              /* mod = 11: register, no memory */
    X(64, "8b c1", UNSUP),
    X(64, "c6 c0 01", UNSUP),
    X(64, "0f b6 c0", UNSUP),
    X(16, "89 c0", UNSUP),
    X(64, "c6 08 01", UNSUP),           /* C6 /1: not MOV */
    T(64, "80 10 01",       3, K_MR(ADC), 1, 8, NOR, M(DS, RAX, NO, 1, 0), I(1)),
    T(64, "83 18 01",       3, K_MR(SBB), 4, 8, NOR, M(DS, RAX, NO, 1, 0), I(1)),
    T(64, "10 08",          2, K_MR(ADC), 1, 8, R(RCX, 1), M(DS, RAX, NO, 1, 0), NI),
    T(64, "1b 08",          2, K_RM(SBB), 4, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    T(64, "f6 10",          2, K_MR(NOT), 1, 8, NOR, M(DS, RAX, NO, 1, 0), NI),
    T(64, "f6 08 01",       3, K_TEST, 1, 8, NOR, M(DS, RAX, NO, 1, 0), I(1)),   /* F6 /1: TEST alias */
    T(64, "f7 30",          2, K_MD, 4, 8, NOR, M(DS, RAX, NO, 1, 0), NI),        /* DIV */
    X(64, "04 01", UNSUP),              /* ADD AL, imm: no memory */
    X(64, "0f 05", UNSUP),
    X(64, "0f 38 00 00", UNSUP),
    X(64, "90", UNSUP),
    X(64, "82 00 01", UNSUP),           /* 82 is invalid in 64-bit mode */
    X(64, "c5 f9 7e 00", UNSUP),        /* VEX */
    T(64, "87 08",          2, K_MR(XCHG), 4, 8, R(RCX, 4), M(DS, RAX, NO, 1, 0), NI),
    X(64, "8c 18", UNSUP),              /* MOV r/m, Sreg */
    X(32, "63 00", UNSUP),              /* ARPL outside 64-bit mode */
    X(32, "40 88 20", UNSUP),           /* 40 is INC EAX, not REX */
    T(32, "ac",             1, K_LODS(0), 1, 4, R(RAX, 1), M(DS, RSI, NO, 1, 0), NI),
    X(0, "89 08", UNSUP),               /* bad mode */
    X(8, "89 08", UNSUP),
    /* need more bytes */
    X(64, "", TRUNC),
    X(64, "0f", TRUNC),
    X(64, "89", TRUNC),
    X(64, "48", TRUNC),
    X(64, "66 67 f3", TRUNC),
    X(64, "8b 80 00 00", TRUNC),
    X(64, "8b 04", TRUNC),
    X(64, "c7 00 01 02", TRUNC),
    X(64, "a1 11 22 33 44", TRUNC),
    X(16, "89 06 34", TRUNC),
    X(16, "66 c7 07 78 56", TRUNC),
    X(64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66", TRUNC),
    /* the CPU would fault */
    X(64, "f0 89 08", INVAL),           /* LOCK MOV: #UD */
    X(64, "f0 39 08", INVAL),           /* LOCK CMP */
    X(64, "f0 85 08", INVAL),           /* LOCK TEST */
    X(64, "f0 03 08", INVAL),           /* LOCK with a register destination */
    X(64, "f0 f3 aa", INVAL),
    X(64, "f0 0f b6 00", INVAL),
    X(64, "f0 80 38 01", INVAL),
    X(64, "26 26 26 26 26 c7 84 88 78 56 34 12 01 00 00 00", INVAL),   /* 16 bytes */
    X(64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66", INVAL),      /* 16th byte needed */
    X(32, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 89 08", INVAL),
};

#define NCASES (sizeof cases / sizeof *cases)

static unsigned parse_hex(const char *s, uint8_t *buf, unsigned cap)
{
    unsigned n = 0;
    while (*s) {
        if (*s == ' ') { s++; continue; }
        unsigned v;
        if (sscanf(s, "%2x", &v) != 1 || n >= cap)
            abort();
        buf[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

/* Decode from an exactly sized heap copy, so that ASan catches any read
 * past n. */
static int decode_exact(const uint8_t *b, unsigned n, int mode, struct x86vcpu_insn *o)
{
    uint8_t *copy = malloc(n);                 /* ASan: even 0 bytes are checked */
    if (n)
        assert_non_null(copy);
    if (n)
        memcpy(copy, b, n);
    int r = x86vcpu__decode(copy, n, mode, o);
    free(copy);
    return r;
}

/* Compare one decoded case with the table; print what differs. Returns the
 * number of differences. */
#define EXPECT(got, want) do { \
        if ((long long)(got) != (long long)(want)) { \
            print_message("  mode %d [%s]: %s = %#llx, want %#llx\n", c->mode, c->hex, #got, \
                          (unsigned long long)(got), (unsigned long long)(want)); \
            bad++; \
        } \
    } while (0)
static int check_case(const struct tcase *c)
{
    uint8_t buf[32];
    unsigned n = parse_hex(c->hex, buf, sizeof buf);
    struct x86vcpu_insn o;
    int bad = 0;
    int r = decode_exact(buf, n, c->mode, &o);
    EXPECT(r, c->ret);
    if (r || c->ret)
        return bad;
    EXPECT(o.len, c->len);
    EXPECT(o.op, c->op);
    EXPECT(o.mem_is_dest, c->dest);
    EXPECT(o.mem_is_first, c->first);
    EXPECT(o.rep, c->rep);
    EXPECT(o.mem_size, c->msz);
    EXPECT(o.addr_size, c->asz);
    EXPECT(o.reg, c->reg);
    EXPECT(o.reg_size, c->rsz ? c->rsz : c->msz);
    EXPECT(o.reg_high8, c->h8);
    EXPECT(o.seg, c->seg);
    EXPECT(o.base, c->base);
    EXPECT(o.index, c->index);
    EXPECT(o.scale, c->scale);
    EXPECT(o.rip_relative, c->rip);
    EXPECT(o.disp, c->disp);
    EXPECT(o.has_imm, c->has_imm);
    EXPECT(o.imm, c->imm);
    EXPECT(o.lock, c->lock);
    for (unsigned k = 0; k < sizeof o.pad; k++)
        EXPECT(o.pad[k], 0);

    /* Every shorter prefix needs more bytes; more bytes change nothing. */
    for (unsigned k = 0; k < o.len; k++) {
        struct x86vcpu_insn t;
        EXPECT(decode_exact(buf, k, c->mode, &t), TRUNC);
    }
    uint8_t pad[X86VCPU_INSN_MAX_LEN + 8];
    memset(pad, 0x90, sizeof pad);
    memcpy(pad, buf, o.len);
    struct x86vcpu_insn t;
    EXPECT(decode_exact(pad, sizeof pad, c->mode, &t), 0);
    EXPECT(memcmp(&t, &o, sizeof t) != 0, 0);
    return bad;
}
#undef EXPECT

static void test_table(void **state)
{
    (void)state;
    unsigned ok = 0, bad = 0;
    for (size_t k = 0; k < NCASES; k++) {
        bad += check_case(&cases[k]) != 0;
        ok += cases[k].ret == 0;
    }
    print_message("  %zu encodings (%u decoded, %zu rejected), %u wrong\n", NCASES, ok,
                  NCASES - ok, bad);
    assert_int_equal(bad, 0);
    assert_true(NCASES >= 80);
}

/* SSE_*: sub says whether the CPU requires 16-byte alignment (#GP(0)):
 * MOVAPS, MOVAPD, MOVDQA do; MOVUPS, MOVUPD, MOVDQU, the scalar moves do
 * not (SDM Vol. 2, their "Exceptions" sections). */
/* BITSCAN: which one (sub), by prefix. */
static void test_bitscan_sub(void **state)
{
    (void)state;
    static const struct { const char *hex; int sub; } c[] = {
        { "0f bc 08", X86VCPU_BITSCAN_BSF }, { "0f bd 08", X86VCPU_BITSCAN_BSR },
        { "f3 0f bc 08", X86VCPU_BITSCAN_TZCNT }, { "f3 0f bd 08", X86VCPU_BITSCAN_LZCNT },
        { "f3 0f b8 08", X86VCPU_BITSCAN_POPCNT }, { "66 f3 0f b8 08", X86VCPU_BITSCAN_POPCNT },
    };
    for (size_t k = 0; k < sizeof c / sizeof *c; k++) {
        uint8_t b[16];
        struct x86vcpu_insn o;
        unsigned n = parse_hex(c[k].hex, b, sizeof b);
        assert_int_equal(x86vcpu__decode(b, n, 32, &o), 0);
        assert_int_equal(o.op, X86VCPU_MMIO_BITSCAN);
        if (o.sub != c[k].sub)
            fail_msg("%s: sub %u, want %d", c[k].hex, o.sub, c[k].sub);
    }
}

static void test_sse_alignment_flag(void **state)
{
    (void)state;
    static const struct { const char *hex; int aligned; } c[] = {
        { "0f 28 08", 1 }, { "0f 29 08", 1 }, { "66 0f 28 08", 1 }, { "66 0f 6f 08", 1 },
        { "66 0f 7f 08", 1 }, { "0f 10 08", 0 }, { "66 0f 11 08", 0 }, { "f3 0f 6f 08", 0 },
        { "f3 0f 7f 08", 0 }, { "f3 0f 10 08", 0 }, { "66 0f 6e 08", 0 }, { "66 0f d6 08", 0 },
    };
    for (size_t k = 0; k < sizeof c / sizeof *c; k++) {
        uint8_t b[16];
        struct x86vcpu_insn o;
        unsigned n = parse_hex(c[k].hex, b, sizeof b);
        assert_int_equal(x86vcpu__decode(b, n, 32, &o), 0);
        assert_true(o.op == X86VCPU_MMIO_SSE_LOAD || o.op == X86VCPU_MMIO_SSE_STORE);
        if (o.sub != c[k].aligned)
            fail_msg("%s: sub %u, want %d", c[k].hex, o.sub, c[k].aligned);
    }
}

/* Effective addresses (Vol. 1 3.7.5): address-size wrap-around, RIP/EIP
 * relative, scale, 16-bit forms. */
static void test_ea(void **state)
{
    (void)state;
    uint64_t gpr[16];
    for (int k = 0; k < 16; k++)
        gpr[k] = 0x1111111100000000ull * (uint64_t)(k + 1) + 0x1000u * (uint64_t)k;
    struct x86vcpu_insn i;
    uint8_t b[16];
    unsigned n;

    n = parse_hex("43 8b 44 e5 08", b, sizeof b);       /* [r13+r12*8+8] */
    assert_int_equal(x86vcpu__decode(b, n, 64, &i), 0);
    assert_true(x86vcpu__insn_ea(&i, gpr, 0) == gpr[13] + gpr[12] * 8 + 8);

    n = parse_hex("8b 05 f0 ff ff ff", b, sizeof b);    /* [rip-0x10] */
    assert_int_equal(x86vcpu__decode(b, n, 64, &i), 0);
    assert_true(x86vcpu__insn_ea(&i, gpr, 0xffff800000001006ull) == 0xffff800000000ff6ull);

    n = parse_hex("67 8b 05 f0 ff ff ff", b, sizeof b); /* [eip-0x10]: 32-bit wrap */
    assert_int_equal(x86vcpu__decode(b, n, 64, &i), 0);
    assert_true(x86vcpu__insn_ea(&i, gpr, 0x100000008ull) == 0xfffffff8ull);

    n = parse_hex("67 8b 04 48", b, sizeof b);          /* [eax+ecx*2]: truncated */
    assert_int_equal(x86vcpu__decode(b, n, 64, &i), 0);
    assert_true(x86vcpu__insn_ea(&i, gpr, 0) == ((gpr[0] + gpr[1] * 2) & 0xffffffffu));

    n = parse_hex("48 8b 0c c5 f8 ff ff ff", b, sizeof b); /* [rax*8-8] */
    assert_int_equal(x86vcpu__decode(b, n, 64, &i), 0);
    assert_true(x86vcpu__insn_ea(&i, gpr, 0) == gpr[0] * 8 - 8);

    n = parse_hex("8b 40 fc", b, sizeof b);             /* 32-bit: [eax-4] with EAX = 0 */
    assert_int_equal(x86vcpu__decode(b, n, 32, &i), 0);
    uint64_t g0[16] = { 0 };
    assert_true(x86vcpu__insn_ea(&i, g0, 0) == 0xfffffffcu);

    n = parse_hex("89 42 ff", b, sizeof b);             /* 16-bit: [bp+si-1] wraps at 64K */
    assert_int_equal(x86vcpu__decode(b, n, 16, &i), 0);
    uint64_t g16[16] = { 0 };
    g16[RBP] = 0xabcd0000u; g16[RSI] = 0x12340000u;    /* only the low 16 bits count */
    assert_true(x86vcpu__insn_ea(&i, g16, 0) == 0xffff);
    g16[RBP] = 0xfff0; g16[RSI] = 0x20;
    assert_true(x86vcpu__insn_ea(&i, g16, 0) == 0x000f);

    n = parse_hex("8b 1e 00 80", b, sizeof b);          /* 16-bit: [0x8000] */
    assert_int_equal(x86vcpu__decode(b, n, 16, &i), 0);
    assert_true(x86vcpu__insn_ea(&i, gpr, 0) == 0x8000);

    n = parse_hex("a1 88 77 66 55 44 33 22 11", b, sizeof b);  /* moffs64 */
    assert_int_equal(x86vcpu__decode(b, n, 64, &i), 0);
    assert_true(x86vcpu__insn_ea(&i, gpr, 0) == 0x1122334455667788ull);

    n = parse_hex("f3 a4", b, sizeof b);                /* MOVS source: [rsi] */
    assert_int_equal(x86vcpu__decode(b, n, 64, &i), 0);
    assert_true(x86vcpu__insn_ea(&i, gpr, 0) == gpr[RSI]);
    n = parse_hex("67 aa", b, sizeof b);                /* STOS: [edi] */
    assert_int_equal(x86vcpu__decode(b, n, 64, &i), 0);
    assert_true(x86vcpu__insn_ea(&i, gpr, 0) == (gpr[RDI] & 0xffffffffu));
}

/* Register writes (Vol. 1 3.4.1.1): 32-bit zero-extends, 8/16-bit merge,
 * AH..BH are bits 15:8; MOVZX/MOVSX extend first. */
static void test_merge(void **state)
{
    (void)state;
    const uint64_t old = 0x1122334455667788ull;
    struct x86vcpu_insn i;
    uint8_t b[16];
    unsigned n;
#define MERGE(mode, hex, loaded, want) do { \
        n = parse_hex(hex, b, sizeof b); \
        assert_int_equal(x86vcpu__decode(b, n, mode, &i), 0); \
        assert_true(x86vcpu__insn_merge_reg(&i, old, loaded) == (want)); \
    } while (0)
    MERGE(64, "8b 08", 0xfedcba9876543210ull, 0x76543210ull);              /* mov ecx */
    MERGE(64, "48 8b 08", 0xfedcba9876543210ull, 0xfedcba9876543210ull);   /* mov rcx */
    MERGE(64, "66 8b 08", 0xfedcba9876543210ull, 0x1122334455663210ull);   /* mov cx */
    MERGE(64, "8a 08", 0xfedcba9876543210ull, 0x1122334455667710ull);      /* mov cl */
    MERGE(64, "8a 28", 0xfedcba9876543210ull, 0x1122334455661088ull);      /* mov ch */
    MERGE(64, "40 8a 28", 0xab, 0x11223344556677abull);                    /* mov bpl */
    MERGE(32, "8b 08", 0xcafef00d, 0xcafef00dull);                         /* 32-bit mode too */
    MERGE(64, "0f b6 08", 0xff, 0xffull);                                  /* movzx ecx, byte */
    MERGE(64, "66 0f b6 08", 0x80, 0x1122334455660080ull);                 /* movzx cx, byte */
    MERGE(64, "48 0f b7 08", 0xfffff234, 0xf234ull);                       /* movzx rcx, word */
    MERGE(64, "0f be 08", 0x80, 0xffffff80ull);                            /* movsx ecx, byte */
    MERGE(64, "48 0f be 08", 0x7f, 0x7full);
    MERGE(64, "48 0f bf 08", 0x8000, 0xffffffffffff8000ull);               /* movsx rcx, word */
    MERGE(64, "66 0f be 08", 0xfe, 0x112233445566fffeull);                 /* movsx cx, byte */
    MERGE(64, "48 63 08", 0x80000000u, 0xffffffff80000000ull);             /* movsxd rcx */
    MERGE(64, "63 08", 0x80000000u, 0x80000000ull);                        /* movsxd ecx: plain */
    MERGE(64, "a0 00 00 00 00 00 00 00 00", 0x1ff, 0x11223344556677ffull); /* mov al, moffs */
    MERGE(16, "8b 07", 0xbeef, 0x112233445566beefull);                     /* mov ax, [bx] */
    MERGE(64, "03 08", 0x5, 0x5ull);                                       /* add ecx, [..] result */
#undef MERGE
}

/* Hand-computed flags (Vol. 1 3.4.3, Appendix A; instruction pages). */
#define CF 0x1u
#define PF 0x4u
#define AF 0x10u
#define ZF 0x40u
#define SF 0x80u
#define OF 0x800u
#define STATUS (CF | PF | AF | ZF | SF | OF)

static void test_alu_known(void **state)
{
    (void)state;
    struct x86vcpu_insn i;
    uint8_t b[16];
    unsigned n;
    uint64_t fl, res;
#define ALU(mode, hex, mem, other, want, wantfl) do { \
        n = parse_hex(hex, b, sizeof b); \
        assert_int_equal(x86vcpu__decode(b, n, mode, &i), 0); \
        res = x86vcpu__insn_alu(&i, mem, other, 0x202 | STATUS, &fl); \
        assert_true(res == (want)); \
        assert_int_equal(fl, 0x202 | (wantfl)); \
    } while (0)
    ALU(64, "00 08", 0xff, 0x01, 0x00, CF | PF | AF | ZF);          /* add [rax], cl: 0xff + 1 */
    ALU(64, "01 08", 0x7fffffff, 1, 0x80000000, OF | SF | AF | PF); /* signed overflow */
    ALU(64, "48 01 08", ~0ull, ~0ull, ~1ull, CF | SF | AF);         /* -1 + -1 */
    ALU(64, "29 08", 0, 1, 0xffffffff, CF | SF | AF | PF);          /* 0 - 1 */
    ALU(64, "2b 08", 0, 1, 1, 0);                                    /* sub ecx, [rax]: 1 - 0 */
    ALU(64, "39 08", 5, 5, 0, ZF | PF);                              /* cmp equal */
    ALU(64, "3b 08", 0x80000000, 1, 0x80000001, CF | SF | OF);      /* cmp ecx,[..]: 1 - INT_MIN */
    ALU(64, "66 39 08", 0x8000, 1, 0x7fff, OF | AF | PF);           /* 0x8000 - 1 */
    ALU(64, "21 08", 0xf0f0, 0x0ff0, 0x00f0, PF);                    /* and: AF, CF, OF cleared */
    ALU(64, "09 08", 0x80000000, 0, 0x80000000, SF | PF);
    ALU(64, "31 08", 0x1234, 0x1234, 0, ZF | PF);
    ALU(64, "84 20", 0x01, 0x0100, 0x01, 0);                         /* test [rax], ah (AH = 1) */
    ALU(64, "f6 00 80", 0x80, 0, 0x80, SF);                          /* test byte, 0x80 */
    ALU(64, "83 00 ff", 1, 0, 0, CF | ZF | PF | AF);                 /* add dword, -1 */
    ALU(64, "80 38 01", 0, 0, 0xff, CF | SF | PF | AF);              /* cmp byte, 1 */
    ALU(64, "48 81 28 00 00 00 80", 0, 0, 0x80000000ull, CF | PF);   /* sub qword, -2^31 */
    ALU(16, "83 06 34 12 01", 0x7fff, 0, 0x8000, OF | SF | AF | PF); /* 16-bit add */
    /* other ops pass the value through, flags unchanged */
    n = parse_hex("89 08", b, sizeof b);
    assert_int_equal(x86vcpu__decode(b, n, 64, &i), 0);
    assert_true(x86vcpu__insn_alu(&i, 42, 7, 0x203, &fl) == 42);
    assert_int_equal(fl, 0x203);
#undef ALU
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    return rng_state = x;
}

#if defined(__x86_64__)
/* The host CPU's own result and flags for `a OP b` (AT&T: op b, a). The
 * stack pointer moves past the red zone before PUSHF. */
#define HOST_OP(mn, sfx, mod)                                                   \
    __asm__ volatile("sub $128, %%rsp\n\tpush %[fi]\n\tpopfq\n\t"               \
                     mn sfx " %" mod "[y], %" mod "[x]\n\t"                     \
                     "pushfq\n\tpop %[fo]\n\tadd $128, %%rsp"                   \
                     : [x] "+r"(x), [fo] "=&r"(fo) : [y] "r"(y), [fi] "r"(fi) : "cc", "memory")
#define HOST_SIZES(mn)                                                          \
    switch (size) {                                                             \
    case 1: HOST_OP(mn, "b", "b"); break;                                      \
    case 2: HOST_OP(mn, "w", "w"); break;                                      \
    case 4: HOST_OP(mn, "l", "k"); break;                                      \
    default: HOST_OP(mn, "q", "q"); break;                                     \
    }
static uint64_t host_alu(int op, unsigned size, uint64_t a, uint64_t b, uint64_t fi, uint64_t *flags)
{
    uint64_t x = a, y = b, fo = 0;
    switch (op) {
    case X86VCPU_MMIO_ADD: HOST_SIZES("add"); break;
    case X86VCPU_MMIO_SUB: HOST_SIZES("sub"); break;
    case X86VCPU_MMIO_CMP: HOST_SIZES("cmp"); break;
    case X86VCPU_MMIO_AND: HOST_SIZES("and"); break;
    case X86VCPU_MMIO_OR:  HOST_SIZES("or"); break;
    case X86VCPU_MMIO_XOR: HOST_SIZES("xor"); break;
    default:               HOST_SIZES("test"); break;
    }
    *flags = fo;
    uint64_t m = size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
    /* CMP and TEST store nothing: their value is the one they compute. */
    if (op == X86VCPU_MMIO_CMP)
        x = a - b;
    else if (op == X86VCPU_MMIO_TEST)
        x = a & b;
    return x & m;
}
#endif

/* Every op and size, both operand orders, against the host CPU. AF is
 * undefined after AND/OR/XOR/TEST (SDM) and not compared there. */
static void test_alu_host(void **state)
{
    (void)state;
#if defined(__x86_64__)
    static const char *const forms[] = {
        "00 08", "01 08", "66 01 08", "48 01 08", "02 08", "03 08",
        "08 08", "09 08", "66 0b 08", "48 0b 08",
        "20 08", "21 08", "66 21 08", "48 23 08",
        "28 08", "29 08", "66 29 08", "48 29 08", "2a 08", "2b 08", "66 2b 08", "48 2b 08",
        "30 08", "31 08", "66 33 08", "48 33 08",
        "38 08", "39 08", "66 39 08", "48 39 08", "3a 08", "3b 08", "66 3b 08", "48 3b 08",
        "84 08", "85 08", "66 85 08", "48 85 08", "84 28",
        "80 00 00", "83 28 00", "81 38 00 00 00 00", "48 83 20 00", "66 81 30 00 00",
        "f6 00 00", "48 f7 00 00 00 00 00",
    };
    unsigned checked = 0;
    for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
        uint8_t b[16];
        unsigned n = parse_hex(forms[f], b, sizeof b);
        struct x86vcpu_insn i;
        assert_int_equal(x86vcpu__decode(b, n, 64, &i), 0);
        for (int k = 0; k < 4000; k++) {
            uint64_t mem = rnd(), other = rnd(), r = rnd();
            /* Some small and edge values to reach carries and zero results. */
            if (k % 4 == 1) mem &= 0x8000000000000081ull;
            if (k % 4 == 2) other = mem ^ (r & 1);
            if (k % 8 == 3) { mem = r & 1 ? ~0ull : 0x8000000000000000ull >> (r % 64); }
            if (i.has_imm)      /* any immediate value (the decoder is tested above) */
                i.imm = rnd() & (i.mem_size == 8 ? ~0ull : (1ull << (8 * i.mem_size)) - 1);
            uint64_t fi = 0x202 | (r & STATUS), fl;
            uint64_t got = x86vcpu__insn_alu(&i, mem, other, fi, &fl);
            uint64_t reg = i.reg_high8 ? other >> 8 : other;
            uint64_t src = i.has_imm ? i.imm : reg;
            uint64_t a = i.mem_is_first ? mem : src, bb = i.mem_is_first ? src : mem;
            uint64_t hf;
            uint64_t want = host_alu(i.op, i.mem_size, a, bb, fi, &hf);
            uint64_t mask = STATUS;
            if (i.op == X86VCPU_MMIO_AND || i.op == X86VCPU_MMIO_OR || i.op == X86VCPU_MMIO_XOR ||
                i.op == X86VCPU_MMIO_TEST)
                mask &= ~(uint64_t)AF;
            if (got != want || (fl & mask) != (hf & mask) || (fl & ~STATUS) != (fi & ~STATUS)) {
                print_message("  %s mem=%#llx other=%#llx: got %#llx fl %#llx, host %#llx fl %#llx\n",
                              forms[f], (unsigned long long)mem, (unsigned long long)other,
                              (unsigned long long)got, (unsigned long long)fl,
                              (unsigned long long)want, (unsigned long long)hf);
                fail();
            }
            checked++;
        }
    }
    print_message("  %u ALU results checked against the host CPU\n", checked);
#else
    skip();
#endif
}

/* Random bytes in every mode and length: nothing read past n (ASan), and
 * the decoded fields stay in their ranges. */
static void test_random_bytes(void **state)
{
    (void)state;
    static const uint8_t interesting[] = {
        0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x40, 0x48, 0x4f,
        0x0f, 0x88, 0x89, 0x8a, 0x8b, 0xc6, 0xc7, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xaa,
        0xab, 0x80, 0x81, 0x83, 0x84, 0x85, 0xf6, 0xf7, 0x63, 0xb6, 0xb7, 0xbe, 0xbf, 0x04,
        0x05, 0x24, 0x25, 0x44, 0x84, 0x00, 0x01, 0x29, 0x39,
    };
    static const int modes[] = { 16, 32, 64 };
    unsigned decoded = 0;
    for (int k = 0; k < 200000; k++) {
        uint8_t b[16];
        for (int j = 0; j < 16; j++) {
            uint64_t r = rnd();
            b[j] = (r & 3) ? interesting[(r >> 8) % sizeof interesting] : (uint8_t)(r >> 16);
        }
        unsigned n = (unsigned)(rnd() % 17);
        int mode = modes[k % 3];
        struct x86vcpu_insn o;
        int r = decode_exact(b, n, mode, &o);
        if (r != 0) {
            assert_true(r == UNSUP || r == TRUNC || r == INVAL);
            continue;
        }
        decoded++;
        assert_true(o.len >= 1 && o.len <= n && o.len <= 15);
        assert_true(o.op < X86VCPU_MMIO_OP_COUNT);
        assert_true(o.mem_size == 1 || o.mem_size == 2 || o.mem_size == 4 || o.mem_size == 8 ||
                    (o.mem_size == 16 && (o.op == X86VCPU_MMIO_SSE_LOAD || o.op == X86VCPU_MMIO_SSE_STORE ||
                                          o.op == X86VCPU_MMIO_CMPXCHG16B)));
        if (mode == 64)
            assert_true(o.addr_size == 8 || o.addr_size == 4);
        else
            assert_true(o.addr_size == 2 || o.addr_size == 4);
        assert_true(o.seg <= 5 && o.scale && (o.scale & (o.scale - 1)) == 0 && o.scale <= 8);
        assert_true(o.reg == NO || o.reg < 16);
        assert_true(o.base == NO || o.base < 16);
        assert_true(o.index == NO || (o.index < 16 && o.index != RSP));
        assert_true(!o.rip_relative || (mode == 64 && o.base == NO && o.index == NO));
    }
    print_message("  %u of 200000 random sequences decoded\n", decoded);
}

/* ------------------------------------------------ --dump for objdump */

static const char *const reg64[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                       "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const reg32[16] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                                       "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
static const char *const reg16[16] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
                                       "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
static const char *const reg8[16] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
                                      "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };
static const char *const high8[4] = { "ah", "ch", "dh", "bh" };
static const char *const segs[6] = { "es", "cs", "ss", "ds", "fs", "gs" };

static const char *regname(unsigned r, unsigned size, int h8)
{
    if (r > 15)
        return "-";
    if (h8)
        return high8[r & 3];
    return size == 8 ? reg64[r] : size == 4 ? reg32[r] : size == 2 ? reg16[r] : reg8[r];
}

static const char *op_class(const struct x86vcpu_insn *o)
{
    switch (o->op) {
    case X86VCPU_MMIO_MOV_STORE: case X86VCPU_MMIO_MOV_LOAD: return "mov|movabs";
    case X86VCPU_MMIO_MOV_STORE_IMM: return "mov";
    case X86VCPU_MMIO_MOVZX: return "movzx";
    case X86VCPU_MMIO_MOVSX: return "movsx|movsxd";
    case X86VCPU_MMIO_STOS: return "stos";
    case X86VCPU_MMIO_MOVS: return "movs";
    case X86VCPU_MMIO_AND: return "and";
    case X86VCPU_MMIO_OR: return "or";
    case X86VCPU_MMIO_XOR: return "xor";
    case X86VCPU_MMIO_ADD: return "add";
    case X86VCPU_MMIO_SUB: return "sub";
    case X86VCPU_MMIO_CMP: return "cmp";
    case X86VCPU_MMIO_ADC: return "adc";
    case X86VCPU_MMIO_SBB: return "sbb";
    case X86VCPU_MMIO_NOT: return "not";
    case X86VCPU_MMIO_NEG: return "neg";
    case X86VCPU_MMIO_INC: return "inc";
    case X86VCPU_MMIO_DEC: return "dec";
    case X86VCPU_MMIO_SHIFT: {
        static const char *const g2[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "shl|sal", "sar" };
        return g2[o->sub & 7];
    }
    case X86VCPU_MMIO_BT: {
        static const char *const bt[4] = { "bt", "bts", "btr", "btc" };
        return bt[o->sub & 3];
    }
    case X86VCPU_MMIO_XCHG: return "xchg";
    case X86VCPU_MMIO_CMPXCHG: return "cmpxchg";
    case X86VCPU_MMIO_XADD: return "xadd";
    case X86VCPU_MMIO_CMPXCHG8B: return "cmpxchg8b";
    case X86VCPU_MMIO_MULDIV: {
        static const char *const md[4] = { "mul", "imul", "div", "idiv" };
        return md[o->sub & 3];
    }
    case X86VCPU_MMIO_IMUL: return "imul";
    case X86VCPU_MMIO_SETCC: return "set[a-z]+";
    case X86VCPU_MMIO_CMOVCC: return "cmov[a-z]+";
    case X86VCPU_MMIO_LODS: return "lods";
    case X86VCPU_MMIO_SCAS: return "scas";
    case X86VCPU_MMIO_CMPS: return "cmps";
    case X86VCPU_MMIO_PUSH: return "push";
    case X86VCPU_MMIO_POP: return "pop";
    case X86VCPU_MMIO_INS: return "ins";
    case X86VCPU_MMIO_OUTS: return "outs";
    case X86VCPU_MMIO_MOVBE_LOAD: case X86VCPU_MMIO_MOVBE_STORE: return "movbe";
    case X86VCPU_MMIO_SSE_LOAD: case X86VCPU_MMIO_SSE_STORE:
        return o->mem_size == 16 ? (o->sub ? "movaps|movapd|movdqa" : "movups|movupd|movdqu")
             : "movss|movsd|movd|movq";
    case X86VCPU_MMIO_CMPXCHG16B: return "cmpxchg16b";
    case X86VCPU_MMIO_BITSCAN: {
        static const char *const bs[5] = { "bsf", "bsr", "tzcnt", "lzcnt", "popcnt" };
        return bs[o->sub < 5 ? o->sub : 0];
    }
    default: return "test";
    }
}

struct dump {
    FILE *bin[3];
    long off[3];
    FILE *expect;
    unsigned count[2];
};

static void dump_one(struct dump *d, int mode, const uint8_t *b, const struct x86vcpu_insn *o,
                     const char *src)
{
    int m = mode == 16 ? 0 : mode == 32 ? 1 : 2;
    static const char *const sizes[17] = { "-", "BYTE", "WORD", "-", "DWORD", "-", "-", "-", "QWORD",
                                           "-", "-", "-", "-", "-", "-", "-", "XMMWORD" };
    unsigned as = o->addr_size;
    uint64_t amask = as >= 8 ? ~0ull : (1ull << (8 * as)) - 1;
    const char *base = o->rip_relative ? (as == 8 ? "rip" : "eip")
                     : o->base == NO ? "-" : regname(o->base, as, 0);
    const char *index = o->index == NO ? "-" : regname(o->index, as, 0);
    char ds[24], imm[24];
    if (o->disp < 0)
        snprintf(ds, sizeof ds, "-0x%llx", (unsigned long long)-(uint64_t)o->disp);
    else
        snprintf(ds, sizeof ds, "0x%llx", (unsigned long long)o->disp);
    if (o->has_imm)
        snprintf(imm, sizeof imm, "0x%llx", (unsigned long long)o->imm);
    else
        snprintf(imm, sizeof imm, "-");
    /* objdump names the count of a shift as a register operand (cl, 1) and
     * checks the last memory operand (CMPS: ES:[rDI]). */
    const char *reg = o->reg == NO ? "-" : regname(o->reg, o->reg_size, o->reg_high8);
    char xmm[8];
    unsigned seg = o->seg;
    if (o->op == X86VCPU_MMIO_SSE_LOAD || o->op == X86VCPU_MMIO_SSE_STORE) {
        snprintf(xmm, sizeof xmm, "xmm%u", o->reg);
        reg = xmm;
    }
    if (o->op == X86VCPU_MMIO_SHIFT && !o->has_imm)
        reg = o->count_cl ? "cl" : "1";
    if (o->op == X86VCPU_MMIO_INS || o->op == X86VCPU_MMIO_OUTS)
        reg = "dx";
    if (o->op == X86VCPU_MMIO_CMPS)
        base = regname(RDI, as, 0), seg = ES;
    fprintf(d->expect, "%d %lx %u %s %s %s %s %s %u %s 0x%llx 0x%llx %s %s %s ",
            mode, d->off[m], o->len, op_class(o),
            o->op == X86VCPU_MMIO_CMPXCHG16B ? "OWORD" : sizes[o->mem_size <= 16 ? o->mem_size : 0], reg,
            base, index, o->index == NO ? 1 : o->scale, ds,
            (unsigned long long)((uint64_t)o->disp & amask), (unsigned long long)o->disp,
            imm, segs[seg], src);
    for (unsigned k = 0; k < o->len; k++)
        fprintf(d->expect, "%02x", b[k]);
    fputc('\n', d->expect);
    fwrite(b, 1, o->len, d->bin[m]);
    d->off[m] += o->len;
}

/* Prefix sets, opcodes and addressing forms for the generated part. */
static const char *const gen_prefixes[] = {
    "", "66", "67", "66 67", "f3", "f2", "f0", "2e", "36", "26", "3e", "64", "65", "67 65",
    "f0 66", "f3 67 66",
};
static const char *const gen_prefixes64[] = {
    "40", "41", "42", "44", "48", "4c", "4f", "66 48", "48 66", "67 41", "65 4a", "f0 49",
};
static const uint8_t gen_ops[] = {
    0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0a, 0x0b, 0x20, 0x21, 0x22, 0x23, 0x28, 0x29, 0x2a,
    0x2b, 0x30, 0x31, 0x32, 0x33, 0x38, 0x39, 0x3a, 0x3b, 0x84, 0x85, 0x88, 0x89, 0x8a, 0x8b,
    0x80, 0x81, 0x82, 0x83, 0xc6, 0xc7, 0xf6, 0xf7, 0x63, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
    0xaa, 0xab, 0x10, 0x11, 0x12, 0x13, 0x18, 0x19, 0x1a, 0x1b, 0x86, 0x87, 0xc0, 0xc1, 0xd0,
    0xd1, 0xd2, 0xd3, 0xfe, 0xff, 0x8f, 0x69, 0x6b, 0xa6, 0xa7, 0xac, 0xad, 0xae, 0xaf,
    0x6c, 0x6d, 0x6e, 0x6f,
};
/* 0x38 stands for 0F 38 F0 and 0x39 for 0F 38 F1 (MOVBE). */
static const uint8_t gen_ops0f[] = { 0xb6, 0xb7, 0xbe, 0xbf, 0xa3, 0xab, 0xb3, 0xbb, 0xba,
                                     0xb0, 0xb1, 0xc0, 0xc1, 0xc7, 0xaf, 0x40, 0x4d, 0x92, 0x9f,
                                     0x10, 0x11, 0x28, 0x29, 0x6e, 0x6f, 0x7e, 0x7f, 0xd6,
                                     0x38, 0x39, 0xbc, 0xbd, 0xb8 };
static const uint8_t gen_sibs[] = { 0x24, 0x25, 0x65, 0x8d, 0xe5, 0x1c, 0x60, 0xfc };
static const uint8_t gen_tails[2][12] = {
    { 0xf8, 0xff, 0xff, 0xff, 0x85, 0x96, 0xa7, 0xb8, 0x01, 0x02, 0x03, 0x04 },
    { 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 0x81, 0x00, 0x00, 0x80 },
};

static void gen_emit(struct dump *d, int mode, const uint8_t *b, unsigned n)
{
    struct x86vcpu_insn o;
    if (x86vcpu__decode(b, n, mode, &o) == 0) {
        dump_one(d, mode, b, &o, "gen");
        d->count[1]++;
    }
}

static void gen_mode(struct dump *d, int mode)
{
    unsigned counter = 0;
    size_t np = sizeof gen_prefixes / sizeof *gen_prefixes;
    size_t np64 = mode == 64 ? sizeof gen_prefixes64 / sizeof *gen_prefixes64 : 0;
    for (size_t p = 0; p < np + np64; p++) {
        const char *pfx = p < np ? gen_prefixes[p] : gen_prefixes64[p - np];
        for (size_t k = 0; k < sizeof gen_ops + sizeof gen_ops0f; k++) {
            uint8_t b[32];
            unsigned n = parse_hex(pfx, b, sizeof b);
            if (k < sizeof gen_ops) {
                b[n++] = gen_ops[k];
            } else {
                uint8_t op2 = gen_ops0f[k - sizeof gen_ops];
                b[n++] = 0x0f;
                if (op2 == 0x38 || op2 == 0x39) {
                    b[n++] = 0x38;
                    b[n++] = (uint8_t)(0xf0 | (op2 & 1));
                } else {
                    b[n++] = op2;
                }
            }
            unsigned opend = n;
            if (k < sizeof gen_ops && ((gen_ops[k] & 0xf0) == 0xa0 || (gen_ops[k] & 0xfc) == 0x6c)) {
                memcpy(b + n, gen_tails[counter++ & 1], 12);
                gen_emit(d, mode, b, 15);
                continue;
            }
            for (unsigned mod = 0; mod < 3; mod++) {
                for (unsigned rm = 0; rm < 8; rm++) {
                    unsigned nsib = rm == 4 ? sizeof gen_sibs : 1;
                    for (unsigned s = 0; s < nsib; s++) {
                        n = opend;
                        unsigned reg = counter % 8;
                        b[n++] = (uint8_t)(mod << 6 | reg << 3 | rm);
                        if (rm == 4)
                            b[n++] = gen_sibs[s];
                        memcpy(b + n, gen_tails[(counter / 8) & 1], 12);
                        counter++;
                        gen_emit(d, mode, b, n + 12 > 15 ? 15 : n + 12);
                    }
                }
            }
        }
    }
}

static int do_dump(const char *dir)
{
    struct dump d;
    char path[4096];
    static const char *const names[3] = { "m16.bin", "m32.bin", "m64.bin" };
    memset(&d, 0, sizeof d);
    for (int m = 0; m < 3; m++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[m]);
        if (!(d.bin[m] = fopen(path, "wb"))) { perror(path); return 1; }
    }
    snprintf(path, sizeof path, "%s/expect.txt", dir);
    if (!(d.expect = fopen(path, "w"))) { perror(path); return 1; }
    for (size_t k = 0; k < NCASES; k++) {
        uint8_t b[32];
        unsigned n = parse_hex(cases[k].hex, b, sizeof b);
        struct x86vcpu_insn o;
        if (cases[k].ret || x86vcpu__decode(b, n, cases[k].mode, &o) != 0)
            continue;
        char src[16];
        snprintf(src, sizeof src, "table:%zu", k);
        dump_one(&d, cases[k].mode, b, &o, src);
        d.count[0]++;
    }
    gen_mode(&d, 16);
    gen_mode(&d, 32);
    gen_mode(&d, 64);
    for (int m = 0; m < 3; m++)
        fclose(d.bin[m]);
    fclose(d.expect);
    printf("dump: %u table, %u generated instructions\n", d.count[0], d.count[1]);
    return 0;
}

/* --seeds DIR: the table as a libFuzzer corpus for tests/fuzz/fuzz_decode.c
 * (first byte: 0 = 16-bit, 1 = 32-bit, 2 = 64-bit mode). */
static int do_seeds(const char *dir)
{
    char path[4096];
    for (size_t k = 0; k < NCASES; k++) {
        uint8_t b[33];
        int m = cases[k].mode;
        b[0] = (uint8_t)(m == 16 ? 0 : m == 32 ? 1 : m == 64 ? 2 : 0xfc + (m & 3));
        unsigned n = parse_hex(cases[k].hex, b + 1, sizeof b - 1);
        snprintf(path, sizeof path, "%s/table-%03zu", dir, k);
        FILE *f = fopen(path, "wb");
        if (!f) { perror(path); return 1; }
        fwrite(b, 1, n + 1, f);
        fclose(f);
    }
    printf("seeds: %zu inputs in %s\n", NCASES, dir);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--dump") == 0)
        return do_dump(argv[2]);
    if (argc == 3 && strcmp(argv[1], "--seeds") == 0)
        return do_seeds(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_ea),
        cmocka_unit_test(test_sse_alignment_flag),
        cmocka_unit_test(test_bitscan_sub),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_alu_known),
        cmocka_unit_test(test_alu_host),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
