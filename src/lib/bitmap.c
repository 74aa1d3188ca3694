/* VMX I/O and MSR bitmaps (SDM Vol. 3C 25.6.4, 25.6.9, 26.1.3) and the
 * INS/OUTS instruction-information field (28.2.5). */
#include <x86vcpu/x86vcpu.h>
#include "lib/bitmap.h"

static void put_bit(uint8_t *bm, uint32_t bit, int on)
{
    uint8_t m = (uint8_t)(1u << (bit & 7));
    if (on)
        bm[bit >> 3] |= m;
    else
        bm[bit >> 3] &= (uint8_t)~m;
}

static int get_bit(const uint8_t *bm, uint32_t bit)
{
    return (bm[bit >> 3] >> (bit & 7)) & 1;
}

void x86vcpu__io_bitmap_set(uint8_t *a, uint8_t *b, uint16_t port, uint32_t count, int intercept)
{
    if (count == 0)
        return;
    uint64_t last = (uint64_t)port + count - 1;
    if (last > 0xffffu)
        last = 0xffffu;
    for (uint32_t p = port; p <= last; p++)
        put_bit(p & 0x8000u ? b : a, p & 0x7fffu, intercept != 0);
}

int x86vcpu__io_bitmap_test(const uint8_t *a, const uint8_t *b, uint16_t port)
{
    return get_bit(port & 0x8000u ? b : a, port & 0x7fffu);
}

/* Bit index of `msr` in the read half (write half: + 0x4000 bits), or -1. */
static int32_t msr_bit(uint32_t msr)
{
    if (msr <= 0x1fffu)
        return (int32_t)msr;
    if (msr - 0xc0000000u <= 0x1fffu)
        return (int32_t)(0x2000u + (msr - 0xc0000000u));   /* byte 1024 */
    return -1;
}

int x86vcpu__msr_bitmap_set(uint8_t *bm, uint32_t msr, int read, int write)
{
    int32_t bit = msr_bit(msr);
    if (!bm || bit < 0)
        return X86VCPU_EINVAL;
    put_bit(bm, (uint32_t)bit, read != 0);
    put_bit(bm, (uint32_t)bit + 0x4000u, write != 0);         /* byte 2048 */
    return X86VCPU_OK;
}

int x86vcpu__msr_bitmap_test(const uint8_t *bm, uint32_t msr, int write)
{
    int32_t bit = msr_bit(msr);
    if (bit < 0)
        return 1;
    return get_bit(bm, (uint32_t)bit + (write ? 0x4000u : 0));
}

struct x86vcpu_strio_info x86vcpu__decode_strio_info(uint32_t info)
{
    static const uint8_t sizes[8] = { 2, 4, 8, 0, 0, 0, 0, 0 };
    struct x86vcpu_strio_info s;
    s.addr_size_bytes = sizes[(info >> 7) & 7];
    s.seg = (uint8_t)((info >> 15) & 7);
    return s;
}
