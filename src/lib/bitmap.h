/* VMX I/O and MSR bitmaps over caller-provided memory, and the VM-exit
 * instruction-information field of INS/OUTS. Pure logic. */
#ifndef X86VCPU_LIB_BITMAP_H
#define X86VCPU_LIB_BITMAP_H

#include <stdint.h>

/* I/O bitmaps (SDM Vol. 3C 25.6.4): A (4 KiB) covers ports 0000H-7FFFH, B
 * (4 KiB) ports 8000H-FFFFH, one bit per port, 1 = exit. Ports port ..
 * port+count-1 are set (intercept != 0) or cleared, stopping at FFFFH (no
 * wrap); count 0 does nothing. */
void x86vcpu__io_bitmap_set(uint8_t *a, uint8_t *b, uint16_t port, uint32_t count, int intercept);
/* 1 when the port's bit is set. */
int x86vcpu__io_bitmap_test(const uint8_t *a, const uint8_t *b, uint16_t port);

/* MSR bitmap (SDM Vol. 3C 25.6.9), 4 KiB: read-low (bytes 0-1023, MSRs
 * 00000000H-00001FFFH), read-high (1024-2047, C0000000H-C0001FFFH),
 * write-low (2048-3071), write-high (3072-4095); 1 = exit. read/write are
 * the intercept flags to store (non-zero = exit). MSRs outside both ranges
 * always exit: X86VCPU_EINVAL, bitmap untouched. */
int x86vcpu__msr_bitmap_set(uint8_t *bm, uint32_t msr, int read, int write);
/* 1 when RDMSR (write = 0) or WRMSR (write != 0) of `msr` exits: its bit is
 * set, or the MSR is outside both ranges (SDM 26.1.3). */
int x86vcpu__msr_bitmap_test(const uint8_t *bm, uint32_t msr, int write);

/* VM-exit instruction-information field for INS/OUTS (SDM Vol. 3C 28.2.5,
 * "Format of the VM-Exit Instruction-Information Field as Used for INS and
 * OUTS"): bits 9:7 address size (0 = 16-bit, 1 = 32-bit, 2 = 64-bit), bits
 * 17:15 segment register (0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS). The segment
 * is undefined for INS, which always uses ES. */
struct x86vcpu_strio_info {
    uint8_t addr_size_bytes;    /* 2, 4 or 8; 0 for an unused encoding */
    uint8_t seg;                /* bits 17:15 as reported */
};
struct x86vcpu_strio_info x86vcpu__decode_strio_info(uint32_t info);

#endif
