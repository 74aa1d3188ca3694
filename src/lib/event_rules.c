/* Pure event rules (see event_rules.h). */
#include "lib/event_rules.h"

enum x86vcpu_exc_class x86vcpu__exception_class(uint32_t vector)
{
    switch (vector) {
    case 0:  /* #DE */
    case 10: /* #TS */
    case 11: /* #NP */
    case 12: /* #SS */
    case 13: /* #GP */
        return X86VCPU_EXC_CONTRIBUTORY;
    case 14: /* #PF */
    case 20: /* #VE: handled like a page fault (SDM 6.15, Table 6-5 note) */
        return X86VCPU_EXC_PAGE_FAULT;
    case X86VCPU_VEC_DF:
        return X86VCPU_EXC_DOUBLE_FAULT;
    default:
        return X86VCPU_EXC_BENIGN;
    }
}

uint32_t x86vcpu__exception_merge(uint32_t first, uint32_t second)
{
    enum x86vcpu_exc_class a = x86vcpu__exception_class(first);
    enum x86vcpu_exc_class b = x86vcpu__exception_class(second);
    /* Benign second exceptions are always handled serially. */
    if (b == X86VCPU_EXC_BENIGN)
        return second;
    /* A contributory or page fault while delivering #DF: shutdown. */
    if (a == X86VCPU_EXC_DOUBLE_FAULT)
        return X86VCPU_EXC_SHUTDOWN;
    if (a == X86VCPU_EXC_CONTRIBUTORY && b == X86VCPU_EXC_CONTRIBUTORY)
        return X86VCPU_VEC_DF;
    if (a == X86VCPU_EXC_PAGE_FAULT && b != X86VCPU_EXC_BENIGN)
        return X86VCPU_VEC_DF;
    return second; /* benign first, or contributory then page fault */
}

int x86vcpu__exception_has_error_code(uint32_t vector)
{
    switch (vector) {
    case 8: case 10: case 11: case 12: case 13: case 14: case 17: case 21:
        return 1;
    default:
        return 0;
    }
}

int x86vcpu__exception_is_fault(uint32_t vector)
{
    switch (vector) {
    case 0:  /* #DE */
    case 5:  /* #BR */
    case 6:  /* #UD */
    case 7:  /* #NM */
    case 9:  /* coprocessor segment overrun */
    case 10: case 11: case 12: case 13: case 14: /* #TS #NP #SS #GP #PF */
    case 16: /* #MF */
    case 17: /* #AC */
    case 19: /* #XM */
    case 20: /* #VE */
    case 21: /* #CP */
        return 1;
    default:
        return 0;
    }
}

int x86vcpu__can_inject(int kind, uint64_t rflags, uint32_t intr)
{
    if (kind == 0)
        return (rflags & RFLAGS_IF) && !(intr & (INTR_BLOCK_STI | INTR_BLOCK_MOVSS));
    if (kind == 1)
        return !(intr & (INTR_BLOCK_STI | INTR_BLOCK_MOVSS | INTR_BLOCK_NMI));
    return 1;
}
