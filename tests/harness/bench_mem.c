/* tests/harness/bench_mem.c — the sizes of the library's vCPU and VM records, for
 * the "BENCH vCPU memory" line (hypercall.c). The one harness file that
 * sees the library's private headers (-Isrc, set in mk/profile.mk): the
 * record is opaque to embedders. */
#include "vmx/vcpu.h"
#include "bench_mem.h"

unsigned long bench_vcpu_record_bytes(void)
{
    return sizeof(struct x86vcpu_vcpu);
}

/* The VM's record with its CPUID table (one frame). */
unsigned long bench_vm_record_bytes(void)
{
    return sizeof(struct x86vcpu_vm);
}
