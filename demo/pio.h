/* demo/pio.h — x86 port I/O, MSR, TSC and CPUID helpers for the demo
 * hypervisor (the library has its own, in src/hw/hw.h). */
#ifndef DEMO_PIO_H
#define DEMO_PIO_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint64_t rdmsr64(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr64(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc64(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void cpuid_native(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    __asm__ volatile("cpuid" : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
                     : "a"(leaf), "c"(sub));
}

/* After a VM exit caused by an NMI ("NMI exiting") NMIs stay blocked on
 * this CPU until it executes IRET (SDM 6.7.1; KVM re-raises the NMI with
 * INT 2 for that). The demo has no NMI work of its own: an IRET to the
 * next instruction unblocks them. */
static inline void nmi_unblock(void)
{
    __asm__ volatile("mov %%ss, %%eax\n\t"
                     "push %%rax\n\t"
                     "push %%rsp\n\t"
                     "addq $8, (%%rsp)\n\t"
                     "pushfq\n\t"
                     "mov %%cs, %%eax\n\t"
                     "push %%rax\n\t"
                     "lea 1f(%%rip), %%rax\n\t"
                     "push %%rax\n\t"
                     "iretq\n"
                     "1:"
                     : : : "rax", "memory", "cc");
}

#endif
