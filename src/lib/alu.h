/* The integer instructions an MMIO emulation applies to a memory operand,
 * as pure functions of values: result and RFLAGS exactly as the CPU leaves
 * them. Flag rules from the SDM Vol. 2 instruction pages and Vol. 1 3.4.3
 * / Appendix A. Where the SDM leaves a flag undefined, the value is the one
 * Intel's CPUs and Bochs (the reference the guest fuzzer compares with)
 * give, named at each function; tests/unit/test_alu.c checks every defined
 * flag against the host CPU executing the instruction. Freestanding. */
#ifndef X86VCPU_LIB_ALU_H
#define X86VCPU_LIB_ALU_H

#include <stdint.h>

#define X86VCPU_FL_CF (1ull << 0)
#define X86VCPU_FL_PF (1ull << 2)
#define X86VCPU_FL_AF (1ull << 4)
#define X86VCPU_FL_ZF (1ull << 6)
#define X86VCPU_FL_SF (1ull << 7)
#define X86VCPU_FL_DF (1ull << 10)
#define X86VCPU_FL_OF (1ull << 11)
#define X86VCPU_FL_ARITH (X86VCPU_FL_CF | X86VCPU_FL_PF | X86VCPU_FL_AF | X86VCPU_FL_ZF | \
                          X86VCPU_FL_SF | X86VCPU_FL_OF)

/* Two-operand operations: dst OP src. The first eight are in encoding
 * order (opcodes 00-3F bits 5:3, group 1 ModRM.reg); the next eight are
 * group 2 (C0/C1/D0-D3 ModRM.reg, /6 an alias of SHL). */
enum x86vcpu_alu_op {
    X86VCPU_ALU_ADD, X86VCPU_ALU_OR, X86VCPU_ALU_ADC, X86VCPU_ALU_SBB,
    X86VCPU_ALU_AND, X86VCPU_ALU_SUB, X86VCPU_ALU_XOR, X86VCPU_ALU_CMP,
    X86VCPU_ALU_ROL, X86VCPU_ALU_ROR, X86VCPU_ALU_RCL, X86VCPU_ALU_RCR,
    X86VCPU_ALU_SHL, X86VCPU_ALU_SHR, X86VCPU_ALU_SAL, X86VCPU_ALU_SAR,
    X86VCPU_ALU_TEST,
    X86VCPU_ALU_NOT, X86VCPU_ALU_NEG, X86VCPU_ALU_INC, X86VCPU_ALU_DEC, /* src ignored */
    X86VCPU_ALU_BT, X86VCPU_ALU_BTS, X86VCPU_ALU_BTR, X86VCPU_ALU_BTC,  /* src: bit offset */
    X86VCPU_ALU_IMUL2,          /* IMUL r, r/m (, imm): truncated product */
    X86VCPU_ALU_COUNT
};

/* dst OP src on `size` bytes (1, 2, 4, 8): returns the result (truncated
 * to size; CMP/TEST/BT: dst unchanged) and updates *rflags. Shifts and
 * rotates take the count in src, masked as the CPU does (5 bits, 6 for
 * size 8); a masked count of 0 changes nothing. */
uint64_t x86vcpu__alu(unsigned op, unsigned size, uint64_t dst, uint64_t src, uint64_t *rflags);

/* MUL/IMUL/DIV/IDIV r/m (group 3 /4../7; op 4..7): the accumulator pair
 * *ax (AL/AX/EAX/RAX; AX for size 1) and *dx (DX/EDX/RDX; unused for size
 * 1) as the instruction leaves them, in full 64-bit registers with the
 * architectural merge (8/16-bit keep the other bits, 32-bit zero-extends).
 * Returns 0, or -1 for #DE (divide error: zero divisor or a quotient that
 * does not fit; nothing changed). */
int x86vcpu__muldiv(unsigned op, unsigned size, uint64_t *ax, uint64_t *dx, uint64_t src,
                    uint64_t *rflags);

/* Condition cc (the low nibble of Jcc/SETcc/CMOVcc, Vol. 1 Appendix B). */
int x86vcpu__cond(unsigned cc, uint64_t rflags);


/* ------------------------------------------------ one decoded instruction */
#include "lib/decode.h"

#define X86VCPU_EXEC_WRITE 1    /* store *mem_out (mem_size bytes) to the operand */
#define X86VCPU_EXEC_DE    2    /* #DE (DIV/IDIV): nothing changed */

/* Execute a decoded instruction whose memory operand read `mem` (ignored
 * by the forms that only write it): updates gpr[] (enum x86vcpu_gpr order,
 * RSP included) and *rflags as the CPU would and returns X86VCPU_EXEC_*
 * flags; a read-modify-write form returns WRITE with the value in
 * *mem_out, also when it stores what it read (CMPXCHG that fails, SDM
 * "CMPXCHG": the destination is always written). The string forms' pointer
 * and count updates, MOVS/CMPS/PUSH/POP's second operand are the caller's
 * (x86vcpu__insn_exec handles their register/flag part: LODS, SCAS). */
int x86vcpu__insn_exec(const struct x86vcpu_insn *i, uint64_t mem, uint64_t gpr[16],
                       uint64_t *rflags, uint64_t *mem_out);

/* BSF BSR TZCNT LZCNT POPCNT (sub: X86VCPU_BITSCAN_*) of src on `size`
 * bytes (2, 4, 8): returns 1 with *res the value for the destination, or
 * 0 when the destination is not written (BSF/BSR of 0: only ZF is set,
 * as Bochs and Intel's CPUs leave it, the SDM says "undefined"); updates
 * *rflags: BSF/BSR as a logic result with ZF = 0 (Bochs), POPCNT all
 * cleared but ZF, TZCNT/LZCNT CF (src 0) and ZF (result 0) only. */
int x86vcpu__bitscan(unsigned sub, unsigned size, uint64_t src, uint64_t *res, uint64_t *rflags);
/* What F3 0F BC / F3 0F BD are on this CPU: TZCNT needs BMI1
 * (CPUID.(7,0):EBX[3]), LZCNT needs CPUID.80000001H:ECX[5]; without
 * them the prefix is ignored and they are BSF / BSR. */
unsigned x86vcpu__bitscan_effective(unsigned sub, int has_bmi1, int has_lzcnt);

/* The low `size` bytes (1..8) in reverse order (MOVBE, BSWAP). */
uint64_t x86vcpu__bswap(uint64_t x, unsigned size);

/* SSE_LOAD: the XMM register (xmm[0] bits 63:0, xmm[1] bits 127:64) after
 * loading mem (mem_size bytes, little-endian over mem[0], mem[1]).
 * SSE_STORE: the mem_size bytes it writes (mem[1] only for 16). */
void x86vcpu__sse_load(const struct x86vcpu_insn *i, const uint64_t mem[2], uint64_t xmm[2]);
void x86vcpu__sse_store(const struct x86vcpu_insn *i, const uint64_t xmm[2], uint64_t mem[2]);

/* CMPXCHG16B on m128 = mem[0] (low) and mem[1]: RAX RDX (and ZF) as the
 * CPU leaves them; returns X86VCPU_EXEC_WRITE with the 16 bytes it stores
 * in out[] (the old value when the comparison fails: always written). */
int x86vcpu__cmpxchg16b(const uint64_t mem[2], uint64_t gpr[16], uint64_t *rflags, uint64_t out[2]);

#endif
