/* Capability-MSR logic (SDM Appendix A). */
#include <x86vcpu/x86vcpu.h>
#include "lib/logic.h"

int x86vcpu__basic_check(uint64_t basic)
{
    /* A.1: bit 31 is always 0; the region size is at most 4096 bytes; the
     * VMCS must be accessed with memory type write-back (6) by this library
     * because its frames are ordinary WB memory. */
    if (basic & (1ull << 31))
        return X86VCPU_EVMXBASIC;
    uint32_t size = X86VCPU_BASIC_REGION_SIZE(basic);
    if (size == 0 || size > 4096)
        return X86VCPU_EVMXBASIC;
    if (X86VCPU_BASIC_MEMTYPE(basic) != 6)
        return X86VCPU_EVMXBASIC;
    return X86VCPU_OK;
}

int x86vcpu__ctls_negotiate(uint64_t cap, uint32_t required, uint32_t optional,
                            struct x86vcpu_ctls_result *out)
{
    uint32_t must1 = (uint32_t)cap;
    uint32_t may1 = (uint32_t)(cap >> 32);
    out->missing = required & ~may1;
    out->value = (must1 | required | (optional & may1)) & (may1 | must1);
    return out->missing ? X86VCPU_ECTLS : X86VCPU_OK;
}

int x86vcpu__fixed_ok(uint64_t value, uint64_t fixed0, uint64_t fixed1)
{
    return (value & fixed0) == fixed0 && (value & ~fixed1) == 0;
}

int x86vcpu__fixed_apply(uint64_t value, uint64_t fixed0, uint64_t fixed1, uint64_t *out)
{
    /* A bit that must be 1 and must be 0 at once cannot be satisfied. */
    if (fixed0 & ~fixed1)
        return X86VCPU_EFIXEDCR;
    *out = (value | fixed0) & fixed1;
    return X86VCPU_OK;
}

uint64_t x86vcpu__cr_pinned_mask(uint64_t fixed0, uint64_t fixed1)
{
    return fixed0 | ~fixed1;
}

uint64_t x86vcpu__cr0_pinned_mask(uint64_t fixed0, uint64_t fixed1, int unrestricted)
{
    uint64_t m = x86vcpu__cr_pinned_mask(fixed0, fixed1);
    if (unrestricted)
        m &= ~(uint64_t)0x80000001u; /* PG, PE */
    return m;
}
