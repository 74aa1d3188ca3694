/* tests/lib/x86.h — instructions as inline functions, and guarded
 * instructions: a fault inside TRY_BEGIN ... TRY_END resumes after it with
 * the vector in fault_vec (NOFAULT when none) and the error code in
 * fault_err. Included by libtest.h. */
#ifndef LIBTEST_X86_H
#define LIBTEST_X86_H

static inline void outb(u16 p, u8 v)  { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(p)); }
static inline void outw(u16 p, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(p)); }
static inline void outl(u16 p, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(p)); }
static inline u8 inb(u16 p)
{
    u8 v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p));
    return v;
}
static inline u16 inw(u16 p)
{
    u16 v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p));
    return v;
}
static inline u32 inl(u16 p)
{
    u32 v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p));
    return v;
}

static inline u32 mmio_read32(uptr a) { return *(volatile u32 *)a; }
static inline void mmio_write32(uptr a, u32 v) { *(volatile u32 *)a = v; }

static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
static inline u64 rdmsr(u32 msr)
{
    u32 lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline uptr read_cr0(void) { uptr v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uptr read_cr2(void) { uptr v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uptr read_cr3(void) { uptr v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uptr read_cr4(void) { uptr v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uptr v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr3(uptr v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void write_cr4(uptr v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cpu_pause(void) { __asm__ volatile("pause" ::: "memory"); }

/* ------------------------------------------------------- guarded code */
#define NOFAULT (-1)
extern volatile uptr recover_ip;    /* where the next fault resumes; 0: none */
extern volatile int fault_vec;      /* vector of the last recovered fault */
extern volatile u32 fault_err;      /* its error code (0 in real mode) */

#if RT_BITS == 64
#define TRY_MOVP "movq"
#else
#define TRY_MOVP "movl"
#endif
/* Around the guarded instructions, inside one asm statement. */
#define TRY_BEGIN TRY_MOVP " $1f, recover_ip\n\t"
#define TRY_END   "\n1:\n\t" TRY_MOVP " $0, recover_ip\n\t"

static inline void fault_arm(void)
{
    fault_vec = NOFAULT;
    fault_err = 0;
}

/* Return NOFAULT, or the vector the instruction raised (*val untouched). */
static inline int rdmsr_safe(u32 msr, u64 *val)
{
    u32 lo = 0, hi = 0;
    fault_arm();
    __asm__ volatile(TRY_BEGIN "rdmsr" TRY_END : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    if (fault_vec == NOFAULT)
        *val = ((u64)hi << 32) | lo;
    return fault_vec;
}
static inline int wrmsr_safe(u32 msr, u64 val)
{
    fault_arm();
    __asm__ volatile(TRY_BEGIN "wrmsr" TRY_END
                     : : "c"(msr), "a"((u32)val), "d"((u32)(val >> 32)) : "memory");
    return fault_vec;
}
static inline int read32_safe(uptr addr, u32 *val)
{
    u32 v = 0;
    fault_arm();
    __asm__ volatile(TRY_BEGIN "movl (%1), %0" TRY_END : "+r"(v) : "r"(addr) : "memory");
    if (fault_vec == NOFAULT)
        *val = v;
    return fault_vec;
}
static inline int write32_safe(uptr addr, u32 val)
{
    fault_arm();
    __asm__ volatile(TRY_BEGIN "movl %1, (%0)" TRY_END : : "r"(addr), "r"(val) : "memory");
    return fault_vec;
}
static inline int ud2_safe(void)
{
    fault_arm();
    __asm__ volatile(TRY_BEGIN "ud2" TRY_END : : : "memory");
    return fault_vec;
}

#endif
