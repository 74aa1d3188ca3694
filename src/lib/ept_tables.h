/* EPT paging structures (SDM Vol. 3C 29.3): pure table logic over a frame
 * source, so it runs on the host in unit tests and in the library alike. */
#ifndef X86VCPU_LIB_EPT_TABLES_H
#define X86VCPU_LIB_EPT_TABLES_H

#include <stdint.h>
#include <x86vcpu/x86vcpu.h> /* X86VCPU_EPT_R/W/X, X86VCPU_MT_* */

struct x86vcpu_ept_frames {
    void *ctx;
    uint64_t (*alloc)(void *ctx);              /* zeroed 4 KiB frame, 0 if none */
    void (*free)(void *ctx, uint64_t pa);
    void *(*p2v)(void *ctx, uint64_t pa);
};

/* One guest-physical address space. */
struct x86vcpu_ept_tables {
    struct x86vcpu_ept_frames f;
    uint64_t root;           /* PML4 frame */
    uint32_t large;          /* bit 0: 2 MiB pages allowed, bit 1: 1 GiB pages */
    uint32_t tables;         /* frames in use for tables, root included */
};

int x86vcpu__ept_tables_init(struct x86vcpu_ept_tables *t, const struct x86vcpu_ept_frames *f,
                             int allow_2m, int allow_1g);
/* Map [gpa, gpa + size) to [hpa, ...) with perms (R/W/X) and memory type,
 * choosing 1 GiB / 2 MiB / 4 KiB pages as alignment of both addresses and
 * the remaining size allow; existing mappings are replaced, a large page
 * only partly covered is split first. All three must be 4 KiB aligned. */
int x86vcpu__ept_tables_map(struct x86vcpu_ept_tables *t, uint64_t gpa, uint64_t hpa, uint64_t size,
                            uint32_t perms, uint32_t memtype);
/* Remove mappings (perms 0) or change their permissions, splitting large
 * pages the range cuts through. Unmapped parts of the range are skipped.
 * Removing frees the tables (below the root) left with no present entry. */
int x86vcpu__ept_tables_unmap(struct x86vcpu_ept_tables *t, uint64_t gpa, uint64_t size);
int x86vcpu__ept_tables_protect(struct x86vcpu_ept_tables *t, uint64_t gpa, uint64_t size,
                                uint32_t perms);
/* Translate: 0 and *hpa, *perms, *page_size when mapped, -1 otherwise. */
int x86vcpu__ept_tables_lookup(const struct x86vcpu_ept_tables *t, uint64_t gpa, uint64_t *hpa,
                               uint32_t *perms, uint64_t *page_size);
/* The same, and the leaf's memory type (X86VCPU_MT_*) in *memtype. */
int x86vcpu__ept_tables_lookup_mt(const struct x86vcpu_ept_tables *t, uint64_t gpa, uint64_t *hpa,
                                  uint32_t *perms, uint32_t *memtype);
/* Free every table frame, root included. */
void x86vcpu__ept_tables_destroy(struct x86vcpu_ept_tables *t);

/* The EPT pointer (SDM 25.6.11) for a 4-level walk of write-back tables,
 * with accessed/dirty flags when asked for (the caller checks the CPU). */
uint64_t x86vcpu__eptp(uint64_t root, int ad);

#endif
