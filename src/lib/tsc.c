/* Guest TSC arithmetic (see tsc.h). */
#include "lib/tsc.h"

uint64_t x86vcpu__tsc_scale(uint64_t tsc, uint64_t mult)
{
    /* 64 x 64 -> 128 from four 32 x 32 -> 64 products. */
    uint64_t a0 = (uint32_t)tsc, a1 = tsc >> 32, b0 = (uint32_t)mult, b1 = mult >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10; /* < 3 * 2^32 */
    uint64_t lo = (mid << 32) | (uint32_t)p00;
    uint64_t hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    return (lo >> X86VCPU_TSC_FRAC_BITS) | (hi << (64 - X86VCPU_TSC_FRAC_BITS));
}

uint64_t x86vcpu__tsc_guest(uint64_t host_tsc, uint64_t mult, uint64_t offset)
{
    /* Mult 1.0 is the CPU without "use TSC scaling": the TSC unscaled. */
    uint64_t t = (mult && mult != X86VCPU_TSC_MULT_ONE) ? x86vcpu__tsc_scale(host_tsc, mult) : host_tsc;
    return t + offset;
}

uint64_t x86vcpu__tsc_offset_for(uint64_t host_tsc, uint64_t mult, uint64_t guest)
{
    return guest - x86vcpu__tsc_guest(host_tsc, mult, 0);
}

uint64_t x86vcpu__tsc_host_delta(uint64_t guest_delta, uint64_t mult)
{
    if (!mult || mult == X86VCPU_TSC_MULT_ONE)
        return guest_delta;
    /* (guest_delta << 48) / mult, 128 by 64 bits: restoring division, one
     * quotient bit a step (128 steps), remainder kept below mult. */
    uint64_t hi = guest_delta >> (64 - X86VCPU_TSC_FRAC_BITS);
    uint64_t lo = guest_delta << X86VCPU_TSC_FRAC_BITS;
    uint64_t rem = 0, q = 0;
    for (int i = 127; i >= 0; i--) {
        uint64_t bit = i >= 64 ? (hi >> (i - 64)) & 1 : (lo >> i) & 1;
        uint64_t top = rem >> 63;
        rem = (rem << 1) | bit;
        int ge = top || rem >= mult;
        if (ge)
            rem -= mult;
        if (i >= 64) {
            if (ge)
                return ~0ull;   /* a quotient bit above bit 63 */
        } else if (ge) {
            q |= 1ull << i;
        }
    }
    if (rem)
        q = q == ~0ull ? q : q + 1;
    return q;
}

int x86vcpu__tsc_multiplier(uint32_t host_khz, uint32_t guest_khz, uint64_t *mult)
{
    if (!host_khz || !guest_khz || guest_khz / host_khz >= (1u << (64 - X86VCPU_TSC_FRAC_BITS)))
        return -1;
    /* guest * 2^48 / host = ((guest * 2^16) * 2^32) / host: two long-division
     * steps of 64 by 32 bits, each quotient digit exact. */
    uint64_t a = (uint64_t)guest_khz << (X86VCPU_TSC_FRAC_BITS - 32);
    uint64_t q1 = a / host_khz, r1 = a % host_khz;
    uint64_t q0 = (r1 << 32) / host_khz;
    *mult = (q1 << 32) + q0;
    return 0;
}

void x86vcpu__tsc_cpuid(uint32_t leaf, uint32_t max_basic, uint32_t guest_khz, uint32_t apic_khz,
                        struct x86vcpu_cpuid_regs *r)
{
    if (!guest_khz)
        return;
    switch (leaf) {
    case 0x15:
        /* SDM Vol. 2A CPUID leaf 15H: TSC Hz = ECX * EBX / EAX. */
        if (max_basic >= 0x15)
            *r = (struct x86vcpu_cpuid_regs){ 1, guest_khz, 1000, 0 };
        break;
    case 0x16:
        /* Leaf 16H: base and maximum frequency in MHz (bits 15:0). */
        if (max_basic >= 0x16) {
            uint32_t mhz = guest_khz / 1000 > 0xffff ? 0xffff : guest_khz / 1000;
            r->eax = (r->eax & ~0xffffu) | mhz;
            r->ebx = (r->ebx & ~0xffffu) | mhz;
        }
        break;
    case X86VCPU_CPUID_HV_BASE:
        if (r->eax < X86VCPU_CPUID_HV_TIMING)
            r->eax = X86VCPU_CPUID_HV_TIMING;
        break;
    case X86VCPU_CPUID_HV_TIMING:
        *r = (struct x86vcpu_cpuid_regs){ guest_khz, apic_khz, 0, 0 };
        break;
    default:
        break;
    }
}
