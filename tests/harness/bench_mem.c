/* tests/harness/bench_mem.c — the size of the library's vCPU record, for
 * the "BENCH vCPU memory" line (hypercall.c). The one harness file that
 * sees the library's private headers (-Isrc, set in mk/profile.mk): the
 * record is opaque to embedders. */
#include "vmx/vcpu.h"
#include "bench_mem.h"

unsigned long bench_vcpu_record_bytes(void)
{
    return sizeof(struct x86vcpu_vcpu);
}
