/* The one seam for privileged instructions (VMX, CPUID, MSR, XCR, CR, DR,
 * descriptor tables, segment registers). Nothing else in the library uses
 * inline assembly; the only other assembly is src/vmx/entry.S, which must
 * own VMLAUNCH/VMRESUME and the HOST_RSP write because they manipulate the
 * stack around the world switch. Keep this file small and auditable.
 */
#ifndef X86VCPU_HW_H
#define X86VCPU_HW_H

#include <stdint.h>

/* Result of a VMX instruction (SDM 31.2 "Conventions"): CF=1 is VMfailInvalid,
 * ZF=1 is VMfailValid (error number in the VM-instruction error field). */
enum hw_vmx_status { HW_VM_OK = 0, HW_VM_FAIL_INVALID = 1, HW_VM_FAIL_VALID = 2 };

#define HW_VMX_STATUS(cf, zf) ((cf) ? HW_VM_FAIL_INVALID : (zf) ? HW_VM_FAIL_VALID : HW_VM_OK)

struct hw_cpuid { uint32_t eax, ebx, ecx, edx; };

static inline struct hw_cpuid hw_cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct hw_cpuid r;
    __asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
    return r;
}

static inline uint64_t hw_rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void hw_wrmsr(uint32_t msr, uint64_t val)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
                     : "memory");
}

/* The host's TSC (the library's own time reads: guest TSC arithmetic). */
static inline uint64_t hw_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t hw_xgetbv(uint32_t idx)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(idx));
    return ((uint64_t)hi << 32) | lo;
}

static inline void hw_xsetbv(uint32_t idx, uint64_t val)
{
    __asm__ volatile("xsetbv" : : "c"(idx), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
}

#define HW_CR_ACCESSORS(n)                                                     \
    static inline uint64_t hw_read_cr##n(void)                                 \
    {                                                                          \
        uint64_t v;                                                            \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                      \
        return v;                                                              \
    }                                                                          \
    static inline void hw_write_cr##n(uint64_t v)                              \
    {                                                                          \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");             \
    }
HW_CR_ACCESSORS(0)
HW_CR_ACCESSORS(2)
HW_CR_ACCESSORS(3)
HW_CR_ACCESSORS(4)
#undef HW_CR_ACCESSORS

/* Debug registers DR0-DR3, DR6, DR7 (SDM Vol. 3 18.2): the guest's are
 * switched by src/vmx/dr.c; DR7 is also in the VMCS. */
#define HW_DR_ACCESSORS(n)                                                     \
    static inline uint64_t hw_read_dr##n(void)                                 \
    {                                                                          \
        uint64_t v;                                                            \
        __asm__ volatile("mov %%db" #n ", %0" : "=r"(v));                      \
        return v;                                                              \
    }                                                                          \
    static inline void hw_write_dr##n(uint64_t v)                              \
    {                                                                          \
        __asm__ volatile("mov %0, %%db" #n : : "r"(v) : "memory");             \
    }
HW_DR_ACCESSORS(0)
HW_DR_ACCESSORS(1)
HW_DR_ACCESSORS(2)
HW_DR_ACCESSORS(3)
HW_DR_ACCESSORS(6)
HW_DR_ACCESSORS(7)
#undef HW_DR_ACCESSORS

struct __attribute__((packed)) hw_dtr { uint16_t limit; uint64_t base; };

static inline struct hw_dtr hw_sgdt(void)
{
    struct hw_dtr d;
    __asm__ volatile("sgdt %0" : "=m"(d));
    return d;
}

static inline struct hw_dtr hw_sidt(void)
{
    struct hw_dtr d;
    __asm__ volatile("sidt %0" : "=m"(d));
    return d;
}

#define HW_SEG_READER(name, insn)                                              \
    static inline uint16_t hw_read_##name(void)                                \
    {                                                                          \
        uint16_t s;                                                            \
        __asm__ volatile(insn " %0" : "=r"(s));                                \
        return s;                                                              \
    }
HW_SEG_READER(cs, "mov %%cs,")
HW_SEG_READER(ss, "mov %%ss,")
HW_SEG_READER(ds, "mov %%ds,")
HW_SEG_READER(es, "mov %%es,")
HW_SEG_READER(fs, "mov %%fs,")
HW_SEG_READER(gs, "mov %%gs,")
HW_SEG_READER(tr, "str")
#undef HW_SEG_READER

/* Extended state (SDM Vol. 1 13.7, 13.8): the area must be 64-byte aligned;
 * the mask is intersected with XCR0. FXSAVE64/FXRSTOR64 for CPUs without
 * XSAVE. */
static inline void hw_xsave(void *area, uint64_t mask)
{
    __asm__ volatile("xsave64 (%0)" : : "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32))
                     : "memory");
}

static inline void hw_xrstor(const void *area, uint64_t mask)
{
    __asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32))
                     : "memory");
}

static inline void hw_fxsave(void *area)
{
    __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

static inline void hw_fxrstor(const void *area)
{
    __asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

/* ------------------------------------------------------------------ VMX */
static inline int hw_vmxon(uint64_t pa)
{
    uint8_t cf, zf;
    __asm__ volatile("vmxon %2; setc %0; setz %1"
                     : "=qm"(cf), "=qm"(zf) : "m"(pa) : "cc", "memory");
    return HW_VMX_STATUS(cf, zf);
}

static inline int hw_vmxoff(void)
{
    uint8_t cf, zf;
    __asm__ volatile("vmxoff; setc %0; setz %1" : "=qm"(cf), "=qm"(zf) : : "cc", "memory");
    return HW_VMX_STATUS(cf, zf);
}

static inline int hw_vmclear(uint64_t pa)
{
    uint8_t cf, zf;
    __asm__ volatile("vmclear %2; setc %0; setz %1"
                     : "=qm"(cf), "=qm"(zf) : "m"(pa) : "cc", "memory");
    return HW_VMX_STATUS(cf, zf);
}

static inline int hw_vmptrld(uint64_t pa)
{
    uint8_t cf, zf;
    __asm__ volatile("vmptrld %2; setc %0; setz %1"
                     : "=qm"(cf), "=qm"(zf) : "m"(pa) : "cc", "memory");
    return HW_VMX_STATUS(cf, zf);
}

/* Unchecked forms for the exit path: with a current VMCS and a field the CPU
 * supports, VMREAD/VMWRITE cannot fail (SDM 31.3). */
static inline uint64_t hw_vmread(uint32_t field)
{
    uint64_t v;
    __asm__ volatile("vmread %1, %0" : "=r"(v) : "r"((uint64_t)field) : "cc");
    return v;
}

static inline void hw_vmwrite(uint32_t field, uint64_t val)
{
    __asm__ volatile("vmwrite %0, %1" : : "r"(val), "r"((uint64_t)field) : "cc");
}

static inline int hw_vmread_checked(uint32_t field, uint64_t *out)
{
    uint8_t cf, zf;
    uint64_t v = 0;
    __asm__ volatile("vmread %3, %0; setc %1; setz %2"
                     : "=r"(v), "=qm"(cf), "=qm"(zf) : "r"((uint64_t)field) : "cc");
    *out = v;
    return HW_VMX_STATUS(cf, zf);
}

static inline int hw_vmwrite_checked(uint32_t field, uint64_t val)
{
    uint8_t cf, zf;
    __asm__ volatile("vmwrite %2, %3; setc %0; setz %1"
                     : "=qm"(cf), "=qm"(zf) : "r"(val), "r"((uint64_t)field) : "cc");
    return HW_VMX_STATUS(cf, zf);
}

struct hw_inv_desc { uint64_t a, b; };

static inline int hw_invept(uint64_t type, uint64_t eptp)
{
    struct hw_inv_desc d = { eptp, 0 };
    uint8_t cf, zf;
    __asm__ volatile("invept %2, %3; setc %0; setz %1"
                     : "=qm"(cf), "=qm"(zf) : "m"(d), "r"(type) : "cc", "memory");
    return HW_VMX_STATUS(cf, zf);
}

static inline int hw_invvpid(uint64_t type, uint16_t vpid, uint64_t gla)
{
    struct hw_inv_desc d = { vpid, gla };
    uint8_t cf, zf;
    __asm__ volatile("invvpid %2, %3; setc %0; setz %1"
                     : "=qm"(cf), "=qm"(zf) : "m"(d), "r"(type) : "cc", "memory");
    return HW_VMX_STATUS(cf, zf);
}

#endif
