/* tests/lib/hv.h — guest side of the test hypervisor's protocol (proto.h):
 * VMCALL with the number in RAX and arguments in RDI, RSI, RDX, RCX (R8,
 * R9 zero), the result in RAX. For the flat test guests (backend-hv.c). */
#ifndef LIBTEST_HV_H
#define LIBTEST_HV_H

#include "libtest.h"
#include "proto.h"

static inline ulong hypercall(ulong nr, ulong a0, ulong a1, ulong a2, ulong a3)
{
    ulong ret;
#if RT_BITS == 64
    register ulong r8 __asm__("r8") = 0;
    register ulong r9 __asm__("r9") = 0;
    __asm__ volatile("vmcall" : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "c"(a3), "r"(r8), "r"(r9) : "memory");
#else
    __asm__ volatile("vmcall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "c"(a3) : "memory");
#endif
    return ret;
}

#endif
