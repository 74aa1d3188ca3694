/* Guest page-table walker: translates a guest-virtual (linear) address to a
 * guest-physical address the way the CPU's paging does (SDM Vol. 3A chapter
 * 4 "Paging"): mode selection (4.1.1), the 32-bit, PAE, 4-level and 5-level
 * formats (4.3-4.5), access rights (4.6), the page-fault error code (4.7)
 * and the accessed/dirty flags (4.8). Pure logic: guest memory is reached
 * only through the caller's callbacks.
 *
 * Deliberate differences from the hardware, all documented here:
 *  - PAE paging: the CPU loads the four PDPTEs when CR3 is written (4.4.1)
 *    and a reserved bit in one of them makes that MOV to CR3 #GP. The walker
 *    has no PDPTE registers: it reads the PDPTE from CR3[31:5] at walk time
 *    and reports a reserved PDPTE bit as a reserved-bit page fault (RSVD=1,
 *    P=1). A caller emulating the PDPTE registers exactly must check them at
 *    CR3 write time itself.
 *  - Accessed and dirty flags are written only when the whole walk succeeds
 *    (4.8 allows the CPU to set A bits of a walk that then faults; the walker
 *    never does). The CPU sets them with a locked operation (4.8): given
 *    gmem->cmpxchg the walker does too, comparing the whole entry with the
 *    value it walked, and reports X86VCPU_WALK_RETRY when another agent
 *    changed the entry meanwhile (the caller walks again, or lets the guest
 *    re-execute the instruction). Without cmpxchg it falls back to a plain
 *    write of the entry's low 32 bits through gmem->write.
 *  - Protection keys (CR4.PKE/PKS, PKRU; 4.6.2) are not implemented: PK
 *    (error-code bit 5) is never set and bits 62:59 are ignored as when
 *    CR4.PKE = 0. Shadow-stack accesses, HLAT and LASS are not modelled.
 *  - 1-GByte pages are assumed supported (CPUID.80000001H:EDX[26]), as are
 *    PSE-36, PAT and execute-disable.
 *  - Only the paging-structure entries are read; CR3 is taken as already
 *    validated (its bits above MAXPHYADDR are ignored, not faulted).
 */
#ifndef X86VCPU_LIB_WALK_H
#define X86VCPU_LIB_WALK_H

#include <stdint.h>

/* Guest-physical memory access for the walker: read/write 4 or 8 bytes at a
 * guest-physical address (little-endian, as the guest sees it); return 0 on
 * success, nonzero if the address is not backed (the walk then fails with
 * X86VCPU_WALK_NO_MEMORY). */
struct x86vcpu_gmem {
    void *ctx;
    int (*read)(void *ctx, uint64_t gpa, void *buf, uint32_t len);
    int (*write)(void *ctx, uint64_t gpa, const void *buf, uint32_t len); /* may be NULL: no A/D updates */
    /* Atomically replace the len-byte (4 or 8) entry at gpa by `val` if it
     * still holds `old`: 0 done, 1 the entry differs (nothing written),
     * -1 not writable memory. May be NULL: A/D through write, not locked. */
    int (*cmpxchg)(void *ctx, uint64_t gpa, uint32_t len, uint64_t old, uint64_t val);
};

struct x86vcpu_walk_ctx {
    uint64_t cr0, cr3, cr4, efer;   /* guest values */
    uint32_t cpl;                   /* 0..3 */
    uint32_t maxphyaddr;            /* for reserved-bit checks; 0 = not reported (36 assumed),
                                     * clamped to 32..52 */
    uint64_t rflags;                /* for SMAP's AC flag */
    int implicit_supervisor;        /* access is an implicit supervisor access (e.g. descriptor
                                     * tables): supervisor even at CPL 3, and SMAP applies
                                     * regardless of AC */
};

enum { X86VCPU_ACC_READ = 0, X86VCPU_ACC_WRITE = 1, X86VCPU_ACC_FETCH = 2 };

/* x86vcpu__walk return values. */
enum {
    X86VCPU_WALK_OK = 0,
    X86VCPU_WALK_PAGE_FAULT = 1,   /* deliver #PF with result->pf_errcode, CR2 = gva */
    X86VCPU_WALK_NO_MEMORY = 2,    /* a read (or A/D write) callback failed */
    X86VCPU_WALK_NONCANONICAL = 3, /* 4-/5-level paging: gva not canonical (#GP or #SS is the
                                    * caller's business) */
    X86VCPU_WALK_INVALID = 4,      /* NULL pointer, NULL read callback or unknown access */
    X86VCPU_WALK_RETRY = 5,        /* an entry changed under the A/D update (cmpxchg): walk again */
};

/* Page-fault error code bits (SDM 4.7). */
#define X86VCPU_PFEC_P    (1u << 0)  /* 0: not-present page; 1: protection or reserved bit */
#define X86VCPU_PFEC_WR   (1u << 1)  /* access was a write */
#define X86VCPU_PFEC_US   (1u << 2)  /* access was a user-mode access */
#define X86VCPU_PFEC_RSVD (1u << 3)  /* reserved bit set in a paging-structure entry */
#define X86VCPU_PFEC_ID   (1u << 4)  /* instruction fetch (only with SMEP, or PAE-style paging and NXE) */
#define X86VCPU_PFEC_PK   (1u << 5)  /* protection key (never set: PK not implemented) */

struct x86vcpu_walk_result {
    uint64_t gpa;          /* on success */
    uint32_t page_size;    /* on success: 4096, 2 MiB, 4 MiB, 1 GiB (4096 without paging) */
    uint32_t pf_errcode;   /* on #PF: P, W/R, U/S, RSVD, I/D (bits 0-4), PK (5) as the CPU
                            * would report (SDM 4.7); 0 otherwise */
    int level;             /* paging-structure entries read (PAE's PDPTE counts; 0 without
                            * paging); on #PF, including the faulting entry */
    uint64_t fail_gpa;     /* on X86VCPU_WALK_NO_MEMORY: the entry whose read or A/D write
                            * failed */
    int fail_write;        /* ... and 1 when it was the A/D write */
};

/* Translate `gva` for an access of kind X86VCPU_ACC_* in the paging mode
 * that c's CR0.PG, CR4.PAE, EFER.LMA and CR4.LA57 select (SDM 4.1.1).
 * Outside IA-32e mode the linear address is 32 bits (gva is truncated).
 * Returns X86VCPU_WALK_OK (result->gpa valid), X86VCPU_WALK_PAGE_FAULT
 * (result->pf_errcode valid), X86VCPU_WALK_NO_MEMORY,
 * X86VCPU_WALK_NONCANONICAL or X86VCPU_WALK_INVALID. `r` is always filled
 * (zeroed first) when non-NULL. */
int x86vcpu__walk(const struct x86vcpu_walk_ctx *c, const struct x86vcpu_gmem *m,
                  uint64_t gva, int access, struct x86vcpu_walk_result *r);

#endif
