/* demo/arch.h — the privileged instructions the demo hypervisor and the
 * test harness execute themselves: port I/O, MSRs, CPUID, TSC, XCR0, CR2,
 * the debug registers,
 * the local APIC and NMI unblocking. The library keeps its own (private)
 * set in src/hw/hw.h; an embedder brings its own, and this is the demo's
 * only one. */
#ifndef DEMO_ARCH_H
#define DEMO_ARCH_H

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

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* out[] = EAX, EBX, ECX, EDX of CPUID(leaf, subleaf) on this CPU. */
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    __asm__ volatile("cpuid" : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
                     : "a"(leaf), "c"(sub));
}

/* XCR0 and friends (needs CR4.OSXSAVE, which boot.S sets when CPUID has
 * XSAVE). */
static inline uint64_t xgetbv(uint32_t xcr)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(xcr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void xsetbv(uint32_t xcr, uint64_t v)
{
    __asm__ volatile("xsetbv" : : "a"((uint32_t)v), "d"((uint32_t)(v >> 32)), "c"(xcr));
}

/* Interrupts off, halted: only an NMI or a reset gets the CPU going. */
static inline void cli_hlt(void)
{
    __asm__ volatile("cli; hlt");
}

static inline uint64_t read_cr2(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

static inline void write_cr2(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr2" : : "r"(v) : "memory");
}

/* Debug registers DR0-DR3, DR6, DR7 (SDM Vol. 3 18.2): n is a literal. */
#define read_dr(n)                                                             \
    ({                                                                         \
        uint64_t v_;                                                           \
        __asm__ volatile("mov %%db" #n ", %0" : "=r"(v_));                     \
        v_;                                                                    \
    })
#define write_dr(n, x) __asm__ volatile("mov %0, %%db" #n : : "r"((uint64_t)(x)) : "memory")

/* The host's local APIC in xAPIC mode: its page at the reset base, which
 * boot.S identity-maps (SDM 11.4.1). Registers are 32-bit at 16-byte
 * offsets. */
#define LAPIC_BASE     0xfee00000ull
#define LAPIC_EOI      0xb0
#define LAPIC_SVR      0xf0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_ICR 0x380
#define LAPIC_TIMER_DCR 0x3e0

static inline uint32_t lapic_read(uint32_t reg)
{
    return *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg);
}

static inline void lapic_write(uint32_t reg, uint32_t val)
{
    *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg) = val;
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
