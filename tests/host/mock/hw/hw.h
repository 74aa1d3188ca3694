/* Host-side stand-in for src/hw/hw.h (tests/host): the same declarations,
 * implemented by tests/host/mock/mock.c over a modelled CPU (struct mock,
 * mock.h) that records every privileged operation. Put this directory first
 * on the include path so the library's #include "hw/hw.h" finds it. Every
 * function src/hw/hw.h declares must be declared here too. */
#ifndef X86VCPU_HW_H
#define X86VCPU_HW_H

#include <stdint.h>

enum hw_vmx_status { HW_VM_OK = 0, HW_VM_FAIL_INVALID = 1, HW_VM_FAIL_VALID = 2 };
#define HW_VMX_STATUS(cf, zf) ((cf) ? HW_VM_FAIL_INVALID : (zf) ? HW_VM_FAIL_VALID : HW_VM_OK)

struct hw_cpuid { uint32_t eax, ebx, ecx, edx; };
struct __attribute__((packed)) hw_dtr { uint16_t limit; uint64_t base; };
struct hw_inv_desc { uint64_t a, b; };

struct hw_cpuid hw_cpuid(uint32_t leaf, uint32_t subleaf);
uint64_t hw_rdmsr(uint32_t msr);
void hw_wrmsr(uint32_t msr, uint64_t val);
uint64_t hw_rdtsc(void);
uint64_t hw_xgetbv(uint32_t idx);
void hw_xsetbv(uint32_t idx, uint64_t val);

uint64_t hw_read_cr0(void);
uint64_t hw_read_cr2(void);
uint64_t hw_read_cr3(void);
uint64_t hw_read_cr4(void);
void hw_write_cr0(uint64_t v);
void hw_write_cr2(uint64_t v);
void hw_write_cr3(uint64_t v);
void hw_write_cr4(uint64_t v);

/* Debug registers (n = 0..3, 6, 7). */
uint64_t hw_read_dr0(void);
uint64_t hw_read_dr1(void);
uint64_t hw_read_dr2(void);
uint64_t hw_read_dr3(void);
uint64_t hw_read_dr6(void);
uint64_t hw_read_dr7(void);
void hw_write_dr0(uint64_t v);
void hw_write_dr1(uint64_t v);
void hw_write_dr2(uint64_t v);
void hw_write_dr3(uint64_t v);
void hw_write_dr6(uint64_t v);
void hw_write_dr7(uint64_t v);

struct hw_dtr hw_sgdt(void);
struct hw_dtr hw_sidt(void);
uint16_t hw_read_cs(void);
uint16_t hw_read_ss(void);
uint16_t hw_read_ds(void);
uint16_t hw_read_es(void);
uint16_t hw_read_fs(void);
uint16_t hw_read_gs(void);
uint16_t hw_read_tr(void);

void hw_xsave(void *area, uint64_t mask);
void hw_xrstor(const void *area, uint64_t mask);
void hw_fxsave(void *area);
void hw_fxrstor(const void *area);

int hw_vmxon(uint64_t pa);
int hw_vmxoff(void);
int hw_vmclear(uint64_t pa);
int hw_vmptrld(uint64_t pa);
uint64_t hw_vmread(uint32_t field);
void hw_vmwrite(uint32_t field, uint64_t val);
int hw_vmread_checked(uint32_t field, uint64_t *out);
int hw_vmwrite_checked(uint32_t field, uint64_t val);
int hw_invept(uint64_t type, uint64_t eptp);
int hw_invvpid(uint64_t type, uint16_t vpid, uint64_t gla);

#endif
