/* Pure logic of the library: functions of values only, no privileged
 * instructions and no global state, so that tests/unit can run them on the
 * host under sanitizers. */
#ifndef X86VCPU_LIB_LOGIC_H
#define X86VCPU_LIB_LOGIC_H

#include <stdint.h>

/* --- IA32_VMX_BASIC (SDM A.1) ------------------------------------------ */
#define X86VCPU_BASIC_REVISION(b)   ((uint32_t)(b) & 0x7fffffffu)
#define X86VCPU_BASIC_REGION_SIZE(b) ((uint32_t)((b) >> 32) & 0x1fffu)
#define X86VCPU_BASIC_32BIT_ADDR    (1ull << 48)
#define X86VCPU_BASIC_MEMTYPE(b)    ((uint32_t)((b) >> 50) & 0xfu)
#define X86VCPU_BASIC_TRUE_CTLS     (1ull << 55)
/* 0, or the x86vcpu_error naming why this BASIC value is unusable. */
int x86vcpu__basic_check(uint64_t basic);

/* --- VMX controls (SDM A.3-A.5): a capability MSR holds allowed-0 settings
 * in bits 31:0 (a 1 there means the control must be 1) and allowed-1 settings
 * in bits 63:32 (a 0 there means the control must be 0). ------------------ */
struct x86vcpu_ctls_result { uint32_t value; uint32_t missing; };
/* Required bits the CPU cannot set are reported in .missing (and the call
 * returns X86VCPU_ECTLS); optional bits are set where allowed; bits the CPU
 * forces to 1 are set. */
int x86vcpu__ctls_negotiate(uint64_t cap, uint32_t required, uint32_t optional,
                            struct x86vcpu_ctls_result *out);

/* --- CR0/CR4 fixed bits (SDM A.7, A.8): a bit set in FIXED0 must be 1, a
 * bit clear in FIXED1 must be 0. ------------------------------------------ */
int x86vcpu__fixed_apply(uint64_t value, uint64_t fixed0, uint64_t fixed1, uint64_t *out);
int x86vcpu__fixed_ok(uint64_t value, uint64_t fixed0, uint64_t fixed1);
/* Bits of a guest CR the guest cannot own because VMX pins them: the
 * guest/host mask. With unrestricted guest, CR0.PE and CR0.PG are exempt
 * (SDM 26.3.1.1). */
uint64_t x86vcpu__cr_pinned_mask(uint64_t fixed0, uint64_t fixed1);
uint64_t x86vcpu__cr0_pinned_mask(uint64_t fixed0, uint64_t fixed1, int unrestricted);

/* --- Exit qualification of I/O instructions (SDM Table 28-5) ------------- */
struct x86vcpu_io_qual {
    uint16_t port;
    uint8_t size;       /* 1, 2, 4 */
    uint8_t in;         /* direction: 1 = IN */
    uint8_t string;
    uint8_t rep;
    uint8_t imm;        /* operand encoding: 1 = immediate port */
};
/* Inline: on the path of every I/O exit. */
static inline struct x86vcpu_io_qual x86vcpu__decode_io_qual(uint64_t q)
{
    /* Bits 2:0 size-1 (0, 1 or 3), bit 3 direction (1 = IN), bit 4 string,
     * bit 5 REP, bit 6 operand encoding, bits 31:16 port. */
    struct x86vcpu_io_qual io;
    io.size = (uint8_t)((q & 7) + 1);
    io.in = (q >> 3) & 1;
    io.string = (q >> 4) & 1;
    io.rep = (q >> 5) & 1;
    io.imm = (q >> 6) & 1;
    io.port = (uint16_t)(q >> 16);
    return io;
}

/* Merge an IN result into RAX as IN AL/AX/EAX would (EAX zero-extends). */
static inline uint64_t x86vcpu__io_in_merge(uint64_t rax, uint32_t value, unsigned size)
{
    switch (size) {
    case 1: return (rax & ~0xffull) | (value & 0xff);
    case 2: return (rax & ~0xffffull) | (value & 0xffff);
    default: return value; /* 32-bit destination zero-extends into RAX */
    }
}

#endif
