/* Guest time-stamp counter arithmetic (SDM Vol. 3 17.17, 26.3 "TSC
 * offsetting and TSC scaling", 25.6.5): what RDTSC returns in VMX non-root
 * operation with "use TSC offsetting" and "use TSC scaling", the TSC
 * multiplier for a guest frequency, and the CPUID leaves that tell the
 * guest its TSC frequency. Pure: no FP, no compiler helpers (128-bit
 * products from 32-bit halves, divisions of 64 by 32 bits). */
#ifndef X86VCPU_LIB_TSC_H
#define X86VCPU_LIB_TSC_H

#include <stdint.h>
#include "lib/cpuid_policy.h"

/* The TSC multiplier is a fixed-point number with 48 fractional bits
 * (SDM 25.6.5): 1.0 leaves the host's rate. */
#define X86VCPU_TSC_FRAC_BITS 48
#define X86VCPU_TSC_MULT_ONE (1ull << X86VCPU_TSC_FRAC_BITS)

/* (tsc * mult) >> 48 over the full 128-bit product, bits 63:0 of the
 * result: the CPU's scaled value (SDM 26.3, RDTSC). */
uint64_t x86vcpu__tsc_scale(uint64_t tsc, uint64_t mult);
/* Guest TSC for a host TSC: scaled (mult 0 counts as 1.0), plus the
 * offset, modulo 2^64. */
uint64_t x86vcpu__tsc_guest(uint64_t host_tsc, uint64_t mult, uint64_t offset);
/* The offset that makes the guest TSC read `guest` at host TSC `host_tsc`. */
uint64_t x86vcpu__tsc_offset_for(uint64_t host_tsc, uint64_t mult, uint64_t guest);
/* Host ticks for guest_delta guest ticks at multiplier mult (0: 1.0):
 * ceil(guest_delta * 2^48 / mult), the fewest after which the scaled TSC
 * has moved by guest_delta at least; ~0 when that does not fit 64 bits. */
uint64_t x86vcpu__tsc_host_delta(uint64_t guest_delta, uint64_t mult);
/* floor(guest_khz * 2^48 / host_khz) in *mult; -1 (nothing written) when a
 * frequency is 0 or the ratio is 2^16 or more (the multiplier would not
 * fit 64 bits). */
int x86vcpu__tsc_multiplier(uint32_t host_khz, uint32_t guest_khz, uint64_t *mult);

/* The TSC-frequency CPUID leaves of a guest whose TSC runs at guest_khz
 * (0: unknown, *r untouched), applied to the guest's answer *r for `leaf`;
 * max_basic is the guest's CPUID.0:EAX (leaves above it are not there):
 *  - 0x15 (TSC / core crystal clock): EAX = 1, EBX = guest_khz, ECX = 1000
 *    (a 1 kHz "crystal"), so ECX * EBX / EAX = the TSC in Hz exactly;
 *  - 0x16 (frequency information): EAX = EBX = guest_khz / 1000 (MHz),
 *    ECX (bus) as the CPU says;
 *  - 0x40000010 (the VMware/KVM timing leaf): EAX = TSC kHz, EBX = the
 *    local APIC timer's kHz (apic_khz, 0 when not known); and the highest
 *    hypervisor leaf in 0x40000000.EAX raised to reach it. */
#define X86VCPU_CPUID_HV_TIMING 0x40000010u
void x86vcpu__tsc_cpuid(uint32_t leaf, uint32_t max_basic, uint32_t guest_khz, uint32_t apic_khz,
                        struct x86vcpu_cpuid_regs *r);

#endif
