/* What the default CPUID policy shows of bare Bochs' answer (docs/CPUID.md),
 * written out by leaf for the harness's CPUID check (hypercall.c): an
 * independent statement of the allow-list in src/lib/cpuid_features.c with
 * the default features. */
#include <stdint.h>

#include "harness.h"

#define B(n) (1u << (n))

void cpuid_expect_policy(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    uint32_t m[4] = { 0, 0, 0, 0 };
    switch (leaf) {
    case 0: case 2: case 4: case 0xb: case 0xd: case 0x15: case 0x16: case 0x18: case 0x1f:
    case 0x80000000u: case 0x80000002u: case 0x80000003u: case 0x80000004u: case 0x80000006u:
        m[0] = m[1] = m[2] = m[3] = ~0u;
        if (leaf == 0xd && sub == 1)
            m[0] = 0xf;                     /* XSAVEOPT XSAVEC XGETBV1 XSAVES; not XFD */
        if (leaf == 0xd && sub > 63)
            m[0] = m[1] = m[2] = m[3] = 0;
        break;
    case 1:
        m[0] = m[1] = ~0u;
        m[2] = 0x7ffa3203u;                 /* not DTES64 MONITOR DS-CPL VMX SMX EST TM2 ... PDCM */
        m[3] = 0x1f8bfbffu;                 /* not PSN DS ACPI TM PBE */
        break;
    case 6:
        m[0] = B(2);                        /* ARAT */
        break;
    case 7:
        if (sub == 0) {
            m[0] = ~0u;
            m[1] = 0xfdbf2ffbu;             /* not SGX RDT-M MPX RDT-A PT */
            m[2] = 0x1a405f5fu;             /* not WAITPKG CET TME LA57 MAWAU KL ... */
            m[3] = 0x0001451cu;
        } else if (sub == 1) {
            m[0] = B(4) | B(5) | B(10) | B(11) | B(12);
        }
        break;
    case 0x80000001u:
        m[0] = ~0u;
        m[2] = B(0) | B(5) | B(8);
        m[3] = B(11) | B(20) | B(26) | B(27) | B(29);
        break;
    case 0x80000007u:
        m[3] = B(8);                        /* invariant TSC */
        break;
    case 0x80000008u:
        m[0] = ~0u;
        m[1] = B(9);
        break;
    default:                                /* 3, 5, 9, 0xA, 0xF, 0x10, 0x12, 0x14 ... */
        break;
    }
    for (int i = 0; i < 4; i++)
        out[i] &= m[i];
}
