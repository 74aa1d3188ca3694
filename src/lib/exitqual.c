/* Exit-qualification decoding. */
#include "lib/logic.h"

struct x86vcpu_io_qual x86vcpu_decode_io_qual(uint64_t q)
{
    /* SDM Table 28-5: bits 2:0 size-1 (0, 1 or 3), bit 3 direction (1 = IN),
     * bit 4 string, bit 5 REP, bit 6 operand encoding, bits 31:16 port. */
    struct x86vcpu_io_qual io;
    io.size = (uint8_t)((q & 7) + 1);
    io.in = (q >> 3) & 1;
    io.string = (q >> 4) & 1;
    io.rep = (q >> 5) & 1;
    io.imm = (q >> 6) & 1;
    io.port = (uint16_t)(q >> 16);
    return io;
}

uint64_t x86vcpu_io_in_merge(uint64_t rax, uint32_t value, unsigned size)
{
    switch (size) {
    case 1: return (rax & ~0xffull) | (value & 0xff);
    case 2: return (rax & ~0xffffull) | (value & 0xffff);
    default: return value; /* 32-bit destination zero-extends into RAX */
    }
}
